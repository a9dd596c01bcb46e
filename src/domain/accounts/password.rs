//! Password hashing with argon2id. Hashing is CPU-bound (~35 ms): it runs on
//! dedicated threads, never on the async workers.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

/// OWASP's first recommended argon2id setting: 19 MiB, 2 passes, 1 lane.
pub const ARGON2_M_KIB: u32 = 19 * 1024;
/// argon2id passes (time cost).
pub const ARGON2_T: u32 = 2;
/// argon2id lanes (parallelism).
pub const ARGON2_P: u32 = 1;

type Job = Box<dyn FnOnce() + Send>;

/// Hashing runs on its own few threads (half the cores, at least one), at a
/// lower CPU priority: a burst of logins queues here instead of starving other
/// requests of CPU, and each thread reuses its 19 MiB of argon2 memory instead
/// of spreading it over the blocking pool's many threads (which kept gigabytes
/// resident under load).
fn hashing_queue() -> &'static std::sync::mpsc::Sender<Job> {
    static QUEUE: std::sync::OnceLock<std::sync::mpsc::Sender<Job>> = std::sync::OnceLock::new();
    QUEUE.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel::<Job>();
        let rx = std::sync::Arc::new(std::sync::Mutex::new(rx));
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        for i in 0..(cores / 2).max(1) {
            let rx = rx.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || {
                    lower_thread_priority();
                    loop {
                        let job = match rx.lock() {
                            Ok(rx) => rx.recv(),
                            Err(_) => return,
                        };
                        match job {
                            // A bug in one job must not take a hashing thread with it.
                            Ok(job) => {
                                if std::panic::catch_unwind(std::panic::AssertUnwindSafe(job))
                                    .is_err()
                                {
                                    tracing::error!("a password hashing job panicked");
                                }
                            }
                            Err(_) => return,
                        }
                    }
                });
            if let Err(e) = spawned {
                tracing::error!("cannot start a hashing thread: {e}");
            }
        }
        tx
    })
}

/// How much nicer the hashing threads are than the rest. At +10 a busy hashing thread gets about a
/// tenth of a core's time while request handling wants it, all of it otherwise:
/// logins slow down under load instead of the catalog (measured in bench/).
const HASHING_NICE: i32 = 10;

#[cfg(target_os = "linux")]
fn lower_thread_priority() {
    // On Linux a nice value belongs to a thread: PRIO_PROCESS with id 0 reads
    // and sets the calling thread's only. Relative to the process's own nice
    // value, so a shop already started under `nice` keeps the order.
    // SAFETY: plain system calls that take no pointers.
    let current = unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) };
    let rc = unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, (current + HASHING_NICE).min(19)) };
    if rc != 0 {
        tracing::warn!(
            "cannot lower the hashing thread's priority: {}",
            std::io::Error::last_os_error()
        );
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_thread_priority() {}

/// Jobs handed to the hashing threads that none has started yet.
static WAITING: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Password hashes waiting for a hashing thread (a burst of logins shows here first).
pub fn waiting_hashes() -> usize {
    WAITING.load(std::sync::atomic::Ordering::Relaxed)
}

/// Runs one argon2 job on the hashing threads.
async fn run_hashing<T: Send + 'static>(
    job: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
) -> anyhow::Result<T> {
    use std::sync::atomic::Ordering;
    let (tx, rx) = tokio::sync::oneshot::channel();
    WAITING.fetch_add(1, Ordering::Relaxed);
    hashing_queue()
        .send(Box::new(move || {
            WAITING.fetch_sub(1, Ordering::Relaxed);
            // The request may have gone while this waited (the client hung up
            // or timed out): hashing for nobody would only delay the queue.
            if !tx.is_closed() {
                let _ = tx.send(job());
            }
        }))
        .map_err(|_| {
            WAITING.fetch_sub(1, Ordering::Relaxed);
            anyhow::anyhow!("the hashing threads have stopped")
        })?;
    rx.await
        .map_err(|_| anyhow::anyhow!("a hashing thread dropped its job"))?
}

fn hasher() -> Argon2<'static> {
    let params =
        Params::new(ARGON2_M_KIB, ARGON2_T, ARGON2_P, None).unwrap_or_else(|_| Params::default());
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// PHC-format argon2id hash of `password`.
pub async fn hash_password(password: String) -> anyhow::Result<String> {
    run_hashing(move || {
        let salt = SaltString::generate(&mut OsRng);
        hasher()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("argon2 hashing failed: {e}"))
    })
    .await
}

/// Checks `password` against `hash`. With no hash (unknown account) a dummy
/// hash is verified anyway so both cases take the same time.
pub async fn verify_password(password: String, hash: Option<String>) -> anyhow::Result<bool> {
    run_hashing(move || {
        let hash = hash.unwrap_or_else(|| DUMMY_HASH.to_owned());
        let parsed = PasswordHash::new(&hash)
            .map_err(|e| anyhow::anyhow!("stored password hash is malformed: {e}"))?;
        let ok = hasher()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        Ok(ok && hash != DUMMY_HASH)
    })
    .await
}

/// argon2id hash of a random string at the same parameters, for timing parity.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$3j5nPu9GHXzm0q+3dc5JW1b4y9z8k0yxGKz6x2vVdnw";

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_use_argon2id_parameters() {
        let hash = hash_password("s3cret-pass".into()).await.expect("hash");
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_password("s3cret-pass".into(), Some(hash.clone()))
            .await
            .expect("verify"));
        assert!(!verify_password("wrong-pass".into(), Some(hash))
            .await
            .expect("verify"));
        assert!(!verify_password("anything".into(), None)
            .await
            .expect("dummy"));
    }

    #[tokio::test]
    async fn abandoned_and_panicking_jobs_do_not_cost_the_queue() {
        use std::sync::atomic::{AtomicBool, Ordering};
        use std::sync::Arc;
        // Hold every hashing thread so the next job has to wait in the queue.
        let threads = (std::thread::available_parallelism().map_or(1, usize::from) / 2).max(1);
        let (release, gate) = std::sync::mpsc::channel::<()>();
        let gate = Arc::new(std::sync::Mutex::new(gate));
        let held: Vec<_> = (0..threads)
            .map(|_| {
                let gate = gate.clone();
                tokio::spawn(run_hashing(move || {
                    let _ = gate.lock().map(|g| g.recv());
                    Ok(())
                }))
            })
            .collect();
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let ran = Arc::new(AtomicBool::new(false));
        let flag = ran.clone();
        // Its requester gives up while it waits.
        let gave_up = tokio::time::timeout(
            std::time::Duration::from_millis(10),
            run_hashing(move || {
                flag.store(true, Ordering::SeqCst);
                Ok(())
            }),
        )
        .await;
        assert!(gave_up.is_err());
        for _ in 0..threads {
            let _ = release.send(());
        }
        for h in held {
            h.await.expect("join").expect("held job");
        }
        let panicked = run_hashing(|| -> anyhow::Result<()> { panic!("a bug in a job") }).await;
        assert!(panicked.is_err());
        // Queued after the abandoned job: by now that one was skipped, and
        // the hashing thread survived the panic.
        assert_eq!(run_hashing(|| Ok(7)).await.expect("later job"), 7);
        assert!(!ran.load(Ordering::SeqCst), "the abandoned job ran");
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn hashing_threads_run_below_request_priority() {
        // SAFETY: a plain system call that takes no pointers.
        let here = unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) };
        let there = run_hashing(|| Ok(unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) }))
            .await
            .expect("job");
        assert_eq!(there, (here + HASHING_NICE).min(19));
    }
}
