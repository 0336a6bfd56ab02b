//! The watchers' shared bookkeeping: which are running (so shutdown can wait for them to log
//! out), each one's connectivity folded into the account's (sent as events when it changes),
//! which folders are caught up and announce new mail, and when each folder's last push came.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use super::connectivity::Connectivity;
use crate::announcing::Announcing;
use crate::core_handle::Core;
use crate::events::{ConnectivityState, EngineEvent};

pub(crate) struct Registry {
    core: Arc<Core>,
    connectivity: Mutex<Connectivity>,
    announcing: Announcing,
    next_id: AtomicU64,
    running: AtomicUsize,
    /// Notified when the last running watcher ends.
    none_running: Notify,
    /// When each watched folder's last push arrived (diagnostics and latency benchmarks).
    last_push: Mutex<HashMap<String, Instant>>,
}

/// Held by a running watcher task; dropping it forgets the watcher.
pub(crate) struct RunningWatcher {
    registry: Arc<Registry>,
    id: u64,
}

impl RunningWatcher {
    /// Unique among this engine's watchers (a folder may briefly have an old one winding
    /// down beside a new one).
    pub(crate) fn id(&self) -> u64 {
        self.id
    }
}

impl Drop for RunningWatcher {
    fn drop(&mut self) {
        let registry = &self.registry;
        registry.announcing.stop(self.id);
        let changed = registry
            .connectivity
            .lock()
            .ok()
            .and_then(|mut connectivity| connectivity.remove(&watcher_key(self.id)));
        if let Some((state, reason)) = changed {
            registry.send_connectivity(state, reason);
        }
        if registry.running.fetch_sub(1, Ordering::SeqCst) == 1 {
            registry.none_running.notify_waiters();
        }
    }
}

fn watcher_key(id: u64) -> String {
    format!("watcher-{id}")
}

impl Registry {
    pub(crate) fn new(core: Arc<Core>, announcing: Announcing) -> Self {
        Registry {
            core,
            connectivity: Mutex::new(Connectivity::default()),
            announcing,
            next_id: AtomicU64::new(1),
            running: AtomicUsize::new(0),
            none_running: Notify::new(),
            last_push: Mutex::new(HashMap::new()),
        }
    }

    /// A watcher task starts: it holds the returned guard until it ends.
    pub(crate) fn started(self: &Arc<Self>) -> RunningWatcher {
        self.running.fetch_add(1, Ordering::SeqCst);
        RunningWatcher {
            registry: self.clone(),
            id: self.next_id.fetch_add(1, Ordering::SeqCst),
        }
    }

    /// Records watcher `id`'s state; tells subscribers when the account's state changed.
    pub(crate) fn report(
        &self,
        id: u64,
        folder: &str,
        state: ConnectivityState,
        reason: Option<String>,
    ) {
        tracing::debug!(%folder, ?state, ?reason, "watcher state");
        let changed = self
            .connectivity
            .lock()
            .ok()
            .and_then(|mut connectivity| connectivity.update(&watcher_key(id), state, reason));
        if let Some((state, reason)) = changed {
            self.send_connectivity(state, reason);
        }
    }

    fn send_connectivity(&self, state: ConnectivityState, reason: Option<String>) {
        self.core.send(EngineEvent::Connectivity {
            account: self.core.account().email.clone(),
            state,
            reason,
        });
    }

    /// Watcher `id`'s first sync of `folder` is done: arrivals from now on are new mail.
    pub(crate) fn caught_up(&self, id: u64, folder: &str) {
        self.announcing.start(id, folder);
    }

    pub(crate) fn announcing(&self) -> &Announcing {
        &self.announcing
    }

    pub(crate) fn push_arrived(&self, folder: &str) {
        if let Ok(mut pushes) = self.last_push.lock() {
            pushes.insert(folder.to_string(), Instant::now());
        }
    }

    /// When the last push for `folder` arrived, if any.
    pub(crate) fn last_push_at(&self, folder: &str) -> Option<Instant> {
        self.last_push
            .lock()
            .ok()
            .and_then(|pushes| pushes.get(folder).copied())
    }

    /// The account's aggregated connectivity now (`None` while nothing is watched).
    pub(crate) fn connectivity_now(&self) -> Option<(ConnectivityState, Option<String>)> {
        self.connectivity
            .lock()
            .ok()
            .and_then(|connectivity| connectivity.current())
    }

    /// Waits up to `limit` for every watcher task to end; false when some did not.
    pub(crate) async fn all_ended_within(&self, limit: Duration) -> bool {
        let wait = async {
            loop {
                let ended = self.none_running.notified();
                if self.running.load(Ordering::SeqCst) == 0 {
                    return;
                }
                ended.await;
            }
        };
        tokio::time::timeout(limit, wait).await.is_ok()
    }
}
