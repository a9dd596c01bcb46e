//! Account operations: registration, login and sessions, who is an admin,
//! and password resets. Handlers parse and render; the rules are here.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use sha2::{Digest, Sha256};

use super::{
    hash_password, verify_password, Claims, Credentials, PasswordReset, Permission, Registration,
    Role, Session, TokenKeys, User,
};
use crate::domain::error::{ShopError, ShopResult};
use crate::domain::mail::compose;
use crate::domain::message::{MessageId, ShopText};
use crate::domain::ports::{ShopEvents, Store};
use crate::domain::{from_millis, new_id, now, to_millis, truncate};
use crate::i18n::Locale;

/// How long a password reset link stays valid.
const RESET_TTL_MS: i64 = 3600 * 1000;
/// Checked tokens kept: verifying a token's signature was a tenth of the
/// instructions of `GET /cart`, and a signature stays valid until the
/// token's own expiry, so a verified token need not be checked again.
const VERIFIED_TOKENS: u64 = 4096;
const VERIFIED_TTL: Duration = Duration::from_secs(60);

/// A caller with a live session.
#[derive(Debug, Clone)]
pub struct Identity {
    /// The account, with its effective role.
    pub user: User,
    /// The session the token names.
    pub session: Session,
}

impl Identity {
    /// Whether the caller's role may do `permission` (see [`Role::may`]).
    pub fn may(&self, permission: Permission) -> bool {
        self.user.may(permission)
    }

    /// Nothing if the caller's role may do `permission`; otherwise forbidden,
    /// saying which accounts may.
    pub fn allowed(&self, permission: Permission) -> ShopResult<()> {
        if self.may(permission) {
            Ok(())
        } else if Role::Staff.may(permission) {
            Err(ShopError::Forbidden(ShopText::StaffOnly.message()))
        } else {
            Err(ShopError::Forbidden(ShopText::AdminOnly.message()))
        }
    }
}

/// A session just started: the token to hand to the client.
#[derive(Debug, Clone)]
pub struct Login {
    /// The signed session token (JWT).
    pub token: String,
    /// When the token and its session expire.
    pub expires_at: crate::domain::Timestamp,
    /// The logged-in account.
    pub user: User,
    /// The new session's id.
    pub session_id: String,
}

/// The settings account rules depend on.
pub struct AccountRules {
    /// Emails that are admins whatever their stored role (`admin.emails`).
    pub admin_emails: Vec<String>,
    /// Session lifetime (`session.ttl`).
    pub session_ttl: Duration,
    /// Base of links in emails (`server.public_url`).
    pub public_url: String,
    /// Address copied on every registration (`mail.notify`).
    pub notify: String,
    /// Key that signs session tokens (`auth.jwt_secret`).
    pub jwt_secret: String,
}

/// Account operations over the store.
pub struct Accounts {
    pub(super) store: Arc<dyn Store>,
    pub(super) events: Arc<dyn ShopEvents>,
    tokens: TokenKeys,
    rules: AccountRules,
    verified: moka::sync::Cache<String, Claims>,
}

impl Accounts {
    /// Account operations on `store`, telling `events` what ended.
    pub fn new(store: Arc<dyn Store>, events: Arc<dyn ShopEvents>, rules: AccountRules) -> Self {
        Self {
            store,
            events,
            tokens: TokenKeys::new(&rules.jwt_secret),
            rules,
            verified: moka::sync::Cache::builder()
                .max_capacity(VERIFIED_TOKENS)
                .time_to_live(VERIFIED_TTL)
                .build(),
        }
    }

    /// Whether `email` is an admin by configuration.
    fn admin_by_config(&self, email: &str) -> bool {
        self.rules
            .admin_emails
            .iter()
            .any(|e| e.eq_ignore_ascii_case(email))
    }

    /// The user with the role they have now: stored, or by configuration.
    fn effective(&self, mut user: User) -> User {
        if self.admin_by_config(&user.email) {
            user.role = Role::Admin;
        }
        user
    }

    /// Creates a customer account (an admin when configured so) and queues
    /// the welcome mail in the same transaction.
    /// The welcome speaks `locale`, the language the customer registered in.
    pub async fn register(&self, registration: Registration, locale: Locale) -> ShopResult<User> {
        let at = now();
        let role = if self.admin_by_config(&registration.email) {
            Role::Admin
        } else {
            Role::Customer
        };
        let user = User {
            id: new_id(),
            name: registration.name,
            phone: registration.phone,
            email: registration.email,
            role,
            password_hash: hash_password(registration.password)
                .await
                .map_err(ShopError::internal)?,
            created_at: at,
            locale: Some(locale),
        };
        let mails = compose::registration(&user, &self.rules.notify, at, locale)
            .map_err(ShopError::internal)?;
        self.store.create_user(&user, &mails).await?;
        self.events.mail_queued();
        tracing::info!(user_id = %user.id, "registered");
        Ok(user)
    }

    /// Checks the credentials and starts a session.
    pub async fn login(&self, credentials: Credentials) -> ShopResult<Login> {
        let user = self.store.get_user_by_email(&credentials.email).await?;
        // Verified even for an unknown email, so timing does not tell.
        let ok = verify_password(
            credentials.password,
            user.as_ref().map(|u| u.password_hash.clone()),
        )
        .await
        .map_err(ShopError::internal)?;
        match (ok, user) {
            (true, Some(user)) => {
                let login = self.start_session(&user).await?;
                tracing::info!(user_id = %user.id, session_id = %login.session_id, "logged in");
                Ok(login)
            }
            _ => Err(ShopError::InvalidCredentials),
        }
    }

    /// A new session for `user` and its signed token.
    pub async fn start_session(&self, user: &User) -> ShopResult<Login> {
        let at = now();
        let ttl_ms = i64::try_from(self.rules.session_ttl.as_millis()).unwrap_or(i64::MAX);
        let expires_at = from_millis(to_millis(at).saturating_add(ttl_ms));
        let session = Session {
            id: new_id(),
            user_id: user.id.clone(),
            created_at: at,
            expires_at,
            revoked_at: None,
        };
        self.store.create_session(&session).await?;
        let user = self.effective(user.clone());
        let token = self
            .tokens
            .sign(&Claims {
                sub: user.id.clone(),
                sid: session.id.clone(),
                role: user.role,
                iat: at.unix_timestamp(),
                exp: expires_at.unix_timestamp(),
            })
            .map_err(ShopError::internal)?;
        Ok(Login {
            token,
            expires_at,
            user,
            session_id: session.id,
        })
    }

    /// The token's claims, if it is ours and unexpired.
    fn verify(&self, token: &str) -> Option<Claims> {
        let unexpired = |claims: &Claims| claims.exp > now().unix_timestamp();
        if let Some(claims) = self.verified.get(token) {
            return unexpired(&claims).then_some(claims);
        }
        let claims = self.tokens.verify(token)?;
        self.verified.insert(token.to_owned(), claims.clone());
        Some(claims)
    }

    /// Who holds `token`: a live session and its user, or why not.
    pub async fn identify(&self, token: &str) -> ShopResult<Identity> {
        let claims = self
            .verify(token)
            .ok_or_else(|| ShopError::Unauthorized(ShopText::SessionInvalid.message()))?;
        let (session, user) = self
            .store
            .get_session_user(&claims.sid)
            .await?
            .filter(|(s, _)| s.user_id == claims.sub)
            .ok_or_else(|| ShopError::Unauthorized(ShopText::SessionMissing.message()))?;
        if !session.is_live(now()) {
            return Err(ShopError::Unauthorized(ShopText::SessionEnded.message()));
        }
        Ok(Identity {
            user: self.effective(user),
            session,
        })
    }

    /// `who`, if their role may do `permission`; otherwise forbidden. A
    /// refusal asks the store once more: the session read may be a cached one
    /// from before `tienda admin grant`.
    pub async fn require(&self, who: Identity, permission: Permission) -> ShopResult<Identity> {
        if who.may(permission) {
            return Ok(who);
        }
        let now_user = self
            .store
            .get_user(&who.user.id)
            .await?
            .map(|u| self.effective(u));
        match now_user {
            Some(user) if user.may(permission) => Ok(Identity { user, ..who }),
            _ => who.allowed(permission).map(|()| who),
        }
    }

    /// Whether a session is still live; a store hiccup counts as live, so
    /// open sockets are not dropped for it.
    pub async fn session_is_live(&self, session_id: &str) -> bool {
        match self.store.get_session(session_id).await {
            Ok(Some(s)) => s.is_live(now()),
            Ok(None) => false,
            Err(e) => {
                tracing::warn!("session check failed: {e:#}");
                true
            }
        }
    }

    /// Remembers the language the caller picked, for their emails and for
    /// pages on a device that has not picked one.
    pub async fn set_locale(&self, who: &Identity, locale: Locale) -> ShopResult<()> {
        if who.user.locale != Some(locale) {
            self.store.set_locale(&who.user.id, locale).await?;
        }
        Ok(())
    }

    /// Ends the caller's session at once.
    pub async fn logout(&self, who: &Identity) -> ShopResult<()> {
        self.store.revoke_session(&who.session.id, now()).await?;
        self.events.session_ended(&who.session.id);
        Ok(())
    }

    /// Ends a session: the caller's own, or anyone's for an admin. Any other
    /// session is "not found", so ids of others' sessions cannot be probed.
    pub async fn revoke_session(&self, who: &Identity, id: &str) -> ShopResult<()> {
        let not_found =
            || ShopError::NotFound(ShopText::SessionNotFound.arg("id", truncate(id, 64)));
        let session = self.store.get_session(id).await?.ok_or_else(not_found)?;
        if session.user_id != who.user.id && !who.may(Permission::ManageAccounts) {
            return Err(not_found());
        }
        if !self.store.revoke_session(id, now()).await? {
            return Err(not_found());
        }
        self.events.session_ended(id);
        if session.user_id != who.user.id {
            let before = serde_json::json!({ "user_id": session.user_id, "revoked": false });
            let after = serde_json::json!({ "user_id": session.user_id, "revoked": true });
            let target = format!("session:{id}");
            crate::domain::audit::record(
                &*self.store,
                who,
                "session.revoke",
                &target,
                Some(before),
                Some(after),
            )
            .await?;
        }
        Ok(())
    }

    /// The account with this email.
    pub(super) async fn find_user(&self, email: &str) -> ShopResult<User> {
        let email = email.trim().to_ascii_lowercase();
        self.store.get_user_by_email(&email).await?.ok_or_else(|| {
            ShopError::NotFound(ShopText::AccountNotFound.arg("email", truncate(&email, 100)))
        })
    }

    /// The sessions of the account with this email (for admins).
    pub async fn user_sessions(&self, email: &str) -> ShopResult<Vec<Session>> {
        let user = self.find_user(email).await?;
        Ok(self.store.list_sessions(&user.id).await?)
    }

    /// Mails a reset link to the account with this email, if there is one
    /// (the caller answers the same either way).
    /// The email speaks `locale`, the language the reset was asked in.
    pub async fn request_password_reset(&self, email: &str, locale: Locale) -> ShopResult<()> {
        let Some(user) = self.store.get_user_by_email(email).await? else {
            return Ok(());
        };
        let mut raw = [0u8; 32];
        rand::Rng::fill(&mut rand::thread_rng(), &mut raw);
        let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw);
        let at = now();
        let reset = PasswordReset {
            token_hash: hash_token(&token),
            user_id: user.id.clone(),
            expires_at: from_millis(to_millis(at) + RESET_TTL_MS),
        };
        let link = format!(
            "{}/password/reset?token={token}",
            self.rules.public_url.trim_end_matches('/')
        );
        // The account's language if they picked one, else the asking page's.
        let locale = user.locale.unwrap_or(locale);
        let mail =
            compose::password_reset(&user, &link, at, locale).map_err(ShopError::internal)?;
        self.store.create_password_reset(&reset, &mail).await?;
        self.events.mail_queued();
        Ok(())
    }

    /// Sets a new password with a reset token and ends every session of the
    /// account.
    pub async fn reset_password(&self, token: &str, password: String) -> ShopResult<()> {
        let hash = hash_password(password).await.map_err(ShopError::internal)?;
        match self
            .store
            .consume_password_reset(&hash_token(token), &hash, now())
            .await?
        {
            Some(user_id) => {
                self.events.user_ended(&user_id);
                Ok(())
            }
            None => Err(ShopError::Invalid(
                crate::domain::validation::FieldErrors::single("token", ShopText::ResetLinkInvalid),
            )),
        }
    }
}

/// Only the SHA-256 of a reset token is stored, so a leaked database holds
/// no usable link.
fn hash_token(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}
