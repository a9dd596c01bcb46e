//! Where uploaded photos are decoded and resized: [`MAX_AT_ONCE`] threads of
//! their own, at a lower CPU priority (nice 10 on Linux), so uploads never
//! take the cores from the requests the shop serves meanwhile (a 12-megapixel
//! JPEG keeps a core busy for a quarter of a second); more uploads wait
//! their turn. Threads of their own also keep the memory a decode used
//! (their allocator heaps) for the next one instead of spreading it over
//! the blocking pool's threads.

use std::sync::{mpsc, Arc, Mutex};

use async_trait::async_trait;
use bytes::Bytes;

use crate::domain::error::{ShopError, ShopResult};
use crate::domain::new_id;
use crate::domain::photos::{upload, PhotoRefusal, PhotoRules, PhotoWorker, ProcessedPhoto};

/// Photos processed at once; more wait their turn.
pub const MAX_AT_ONCE: usize = 2;
/// How much less CPU the photo threads get than the rest when cores are short.
const NICENESS: i32 = 10;

type Job = Box<dyn FnOnce() + Send>;

/// The photo threads and their queue.
pub struct PhotoProcessing {
    jobs: Mutex<mpsc::Sender<Job>>,
}

impl PhotoProcessing {
    /// Starts [`MAX_AT_ONCE`] photo threads; they end when this is dropped.
    pub fn new() -> std::io::Result<Self> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..MAX_AT_ONCE {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("photo-{n}"))
                .spawn(move || {
                    lower_priority();
                    loop {
                        // The lock is held only while waiting for the next job.
                        let job = match queue.lock() {
                            Ok(queue) => queue.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(),
                            Err(_) => return, // the runner is gone
                        }
                    }
                })?;
        }
        Ok(Self {
            jobs: Mutex::new(jobs),
        })
    }
}

#[cfg(target_os = "linux")]
fn lower_priority() {
    // Linux keeps a nice value per thread: `who = 0` is this thread only.
    // Raising it needs no privilege; if refused, the thread runs as it is.
    // SAFETY: setpriority reads no memory of ours.
    let _ = unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, NICENESS) };
}

#[cfg(not(target_os = "linux"))]
fn lower_priority() {}

#[async_trait]
impl PhotoWorker for PhotoProcessing {
    async fn process(
        &self,
        upload: Bytes,
        rules: PhotoRules,
    ) -> ShopResult<Result<ProcessedPhoto, PhotoRefusal>> {
        let (done, result) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            // A panic in a decoder fails this upload, not the thread.
            let out = std::panic::catch_unwind(|| upload::process(&upload, &rules, new_id()));
            let _ = done.send(out);
        });
        self.jobs
            .lock()
            .map_err(|_| ShopError::internal(anyhow::anyhow!("photo queue poisoned")))?
            .send(job)
            .map_err(|_| ShopError::internal(anyhow::anyhow!("photo threads stopped")))?;
        match result.await {
            Ok(Ok(out)) => Ok(out),
            Ok(Err(_)) => Err(ShopError::internal(anyhow::anyhow!(
                "photo processing panicked"
            ))),
            Err(_) => Err(ShopError::internal(anyhow::anyhow!(
                "photo thread dropped the job"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn no_more_than_two_run_at_once() {
        let runner = Arc::new(PhotoProcessing::new().expect("threads"));
        // Hold both threads.
        let (release, held) = mpsc::channel::<()>();
        let held = Arc::new(Mutex::new(held));
        for _ in 0..MAX_AT_ONCE {
            let held = held.clone();
            let job: Job = Box::new(move || {
                let _ = held.lock().map(|h| h.recv());
            });
            assert!(runner
                .jobs
                .lock()
                .map(|j| j.send(job).is_ok())
                .unwrap_or(false));
        }
        let waiting = {
            let runner = runner.clone();
            tokio::spawn(async move {
                runner
                    .process(Bytes::from_static(b"not a photo"), PhotoRules::default())
                    .await
            })
        };
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(!waiting.is_finished(), "ran while both threads were busy");
        for _ in 0..MAX_AT_ONCE {
            let _ = release.send(());
        }
        let refused = tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .ok()
            .and_then(|r| r.ok())
            .and_then(|r| r.ok());
        assert_eq!(
            refused.map(|r| r.err()),
            Some(Some(PhotoRefusal::Unsupported { kind: "" }))
        );
    }
}
