//! Session tokens already checked, with their session and user, kept for a
//! moment between requests. Every authenticated request needs them: reading
//! the session was a sixth of the cost of `GET /cart`, and checking the
//! token's signature a tenth of its instructions.
//!
//! Entries are keyed by the whole token, made only after its signature
//! checked out, and refused once the token expires. One holds while the
//! store's accounts version is the one it was read under (a logout,
//! revocation, deletion or role change through this process moves it on),
//! and for at most [`TTL`], which bounds what another process (`tienda admin
//! grant`) can change unseen. Admins are never kept, so taking the role away
//! is immediate; callers that refuse a non-admin ask the store again first,
//! so granting it is too.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::domain::accounts::{Session, User};

/// Longest an entry is used without asking the store again.
const TTL: Duration = Duration::from_secs(1);
/// Most entries kept; past this the cache starts over.
const MAX_ENTRIES: usize = 4096;

struct Entry {
    /// The token's own expiry (Unix seconds).
    expires: i64,
    session: Session,
    user: User,
    version: u64,
    read_at: Instant,
}

#[derive(Default)]
pub struct SessionCache {
    entries: Mutex<HashMap<String, Entry>>,
}

impl SessionCache {
    /// The session and user of `token`, if read under `version` less than
    /// [`TTL`] ago and the token is unexpired at `now` (Unix seconds).
    pub fn get(&self, token: &str, version: u64, now: i64) -> Option<(Session, User)> {
        let entries = self.entries.lock().ok()?;
        let entry = entries.get(token)?;
        (entry.version == version && entry.read_at.elapsed() < TTL && now < entry.expires)
            .then(|| (entry.session.clone(), entry.user.clone()))
    }

    /// Keeps what the store answered for `token` (whose signature checked
    /// out, expiring at `expires`), read under `version` (taken before the
    /// read, so a change committed meanwhile makes the entry stale). `None`
    /// (no such session) and admins are not kept.
    pub fn put(&self, token: &str, expires: i64, version: u64, found: Option<&(Session, User)>) {
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        match found {
            Some((session, user)) if !user.is_admin() => {
                if entries.len() >= MAX_ENTRIES {
                    entries.clear();
                }
                entries.insert(
                    token.to_owned(),
                    Entry {
                        expires,
                        session: session.clone(),
                        user: user.clone(),
                        version,
                        read_at: Instant::now(),
                    },
                );
            }
            _ => {
                entries.remove(token);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::accounts::{signed_in, Role};

    #[test]
    fn an_entry_holds_only_under_the_version_it_was_read_at() {
        let cache = SessionCache::default();
        cache.put("t1", 100, 7, Some(&signed_in(Role::Customer)));
        let hit = cache.get("t1", 7, 50).map(|(s, _)| s.id);
        assert_eq!(hit, Some("s1".into()));
        assert!(
            cache.get("t1", 8, 50).is_none(),
            "a later change makes it stale"
        );
        assert!(cache.get("t2", 7, 50).is_none());
    }

    #[test]
    fn admins_and_missing_sessions_are_not_kept() {
        let cache = SessionCache::default();
        cache.put("t1", 100, 1, Some(&signed_in(Role::Customer)));
        // Granted admin meanwhile: the new answer replaces the old entry.
        cache.put("t1", 100, 2, Some(&signed_in(Role::Admin)));
        assert!(cache.get("t1", 2, 50).is_none());
        cache.put("t1", 100, 3, Some(&signed_in(Role::Customer)));
        cache.put("t1", 100, 3, None);
        assert!(cache.get("t1", 3, 50).is_none());
    }

    #[test]
    fn entries_and_tokens_expire() {
        let cache = SessionCache::default();
        cache.put("t1", 100, 1, Some(&signed_in(Role::Customer)));
        assert!(cache.get("t1", 1, 99).is_some());
        assert!(cache.get("t1", 1, 100).is_none(), "the token has expired");
        if let Ok(mut entries) = cache.entries.lock() {
            if let Some(entry) = entries.get_mut("t1") {
                entry.read_at = entry
                    .read_at
                    .checked_sub(TTL)
                    .expect("up for over a second");
            }
        }
        assert!(cache.get("t1", 1, 50).is_none(), "read too long ago");
    }
}
