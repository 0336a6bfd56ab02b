//! A watched folder's sync runner: delta syncs one at a time on the request connection,
//! pushes that arrive meanwhile coalesced into one more, the first acted on at once.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tokio::sync::Notify;

use crate::core_handle::Core;
use crate::sync::FolderSync;

/// Runs the folder's delta syncs, one at a time, on the request connection. Triggers that
/// arrive while a sync runs coalesce into one more sync, so a burst of pushes costs a few
/// syncs and the first push is acted on at once (no debounce delay on the first message).
pub(super) struct Syncer {
    wake: Arc<Notify>,
    stopping: Arc<AtomicBool>,
}

impl Syncer {
    pub(super) fn spawn(core: Arc<Core>, sync: Arc<FolderSync>, folder: &str) -> Syncer {
        let wake = Arc::new(Notify::new());
        let stopping = Arc::new(AtomicBool::new(false));
        let folder = folder.to_string();
        let (woken, stopped) = (wake.clone(), stopping.clone());
        // Never aborted mid-sync: stopping lets the running sync finish, then ends.
        tokio::spawn(async move {
            loop {
                woken.notified().await;
                if stopped.load(Ordering::SeqCst) {
                    return;
                }
                let mut attempt = 0;
                loop {
                    attempt += 1;
                    match sync.sync_folder(&folder, None).await {
                        Ok(_) => {
                            // New arrivals become searchable while watching.
                            core.index_in_background();
                            break;
                        }
                        Err(error) => {
                            tracing::warn!(%folder, %error, attempt, "watch sync failed");
                            if attempt >= 3
                                || !error.is_connection_failure()
                                || stopped.load(Ordering::SeqCst)
                            {
                                break;
                            }
                            // Told to stop while waiting: stop now, not after the wait.
                            tokio::select! {
                                _ = tokio::time::sleep(core.options().reconnect_initial * attempt) => {}
                                _ = woken.notified() => {
                                    if stopped.load(Ordering::SeqCst) {
                                        return;
                                    }
                                }
                            }
                        }
                    }
                }
            }
        });
        Syncer { wake, stopping }
    }

    pub(super) fn trigger(&self) {
        self.wake.notify_one();
    }

    pub(super) fn stop(&self) {
        self.stopping.store(true, Ordering::SeqCst);
        self.wake.notify_one();
    }
}
