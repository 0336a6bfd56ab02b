//! The background outbox worker: drains at once whenever a message is queued or retried (or
//! a draft saved), when the next deferred message is due, and every minute (the network may
//! be back); waits out another process's drain; brings draft copies in the Drafts folder up
//! to date on the same turns. Stopping waits for a send in progress.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use super::drain::DrainReport;
use super::service::Outbox;
use crate::drafts::Drafts;
use crate::error::Result;
use crate::store_access::{unix_now, with_store};

/// How long stopping waits for a send in progress.
const STOP_GRACE: Duration = Duration::from_secs(30);

/// The running worker ([`crate::Engine::spawn_outbox`]).
pub struct OutboxWorker {
    task: tokio::task::JoinHandle<()>,
    closing: Arc<AtomicBool>,
    wake: Arc<Notify>,
}

impl OutboxWorker {
    /// Stops after the send in progress, if any (up to [`STOP_GRACE`]): a message cut off
    /// after its final dot would have to be marked uncertain.
    pub async fn stop(self) {
        self.closing.store(true, Ordering::SeqCst);
        self.wake.notify_one();
        let mut task = self.task;
        if tokio::time::timeout(STOP_GRACE, &mut task).await.is_err() {
            tracing::warn!("the outbox did not stop in time; cutting it off");
            task.abort();
        }
    }
}

/// Starts the worker for `outbox`, keeping `drafts`' server copies current on its turns.
pub(crate) fn spawn(outbox: Arc<Outbox>, drafts: Arc<Drafts>) -> OutboxWorker {
    let closing = Arc::new(AtomicBool::new(false));
    let stop = Arc::clone(&closing);
    let wake = Arc::clone(&outbox.wake);
    let task = tokio::spawn(async move {
        while !closing.load(Ordering::SeqCst) {
            let drained = outbox.drain_outbox(false).await;
            if closing.load(Ordering::SeqCst) {
                break;
            }
            if let Err(error) = drafts.sync_drafts().await {
                tracing::info!(%error, "drafts not copied to the server now");
            }
            tokio::select! {
                _ = tokio::time::sleep(next_turn(&outbox, drained)) => {}
                _ = outbox.wake.notified() => {}
            }
        }
    });
    OutboxWorker {
        task,
        closing: stop,
        wake,
    }
}

/// How long to wait before the next drain, after one that ended with `drained`.
fn next_turn(outbox: &Outbox, drained: Result<DrainReport>) -> Duration {
    match drained {
        Ok(report) if report.busy => Duration::from_secs(5),
        Ok(_) => {
            let account = outbox.core.account().id;
            let next = with_store(outbox.core.store(), |store| store.outbox_next_due(account))
                .ok()
                .flatten();
            match next {
                Some(due) => Duration::from_secs(
                    u64::try_from((due - unix_now()).max(1))
                        .unwrap_or(60)
                        .min(60),
                ),
                None => Duration::from_secs(60),
            }
        }
        Err(error) => {
            tracing::warn!(%error, "the outbox could not be drained");
            Duration::from_secs(60)
        }
    }
}
