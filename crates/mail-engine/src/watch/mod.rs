//! The watchers service: one IDLE connection per watched folder (shared by all its
//! subscribers through the hub) while the account's connection budget allows, pushes turned
//! into arrivals and delta syncs, reconnects with backoff, polling on the request connection
//! where the server has no IDLE or the budget is spent, and restarts after a clock jump or a
//! network change. The task is in `watcher.rs`, the bookkeeping in `registry.rs`.

mod arrivals;
mod backoff;
mod clock;
mod connectivity;
mod registry;
mod syncer;
mod watcher;

use std::sync::{Arc, OnceLock, Weak};
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use crate::announcing::Announcing;
use crate::core_handle::Core;
use crate::events::ConnectivityState;
use crate::hub::{Hub, Subscription};
use crate::sync::FolderSync;

use clock::JumpDetector;
use registry::Registry;
pub use watcher::WatchHandle;
use watcher::WatchMode;

/// The hub key of a NOTIFY watcher (before its selected folder's name): never a folder name.
const NOTIFY_KEY: &str = "\u{0}notify:";

/// A subscriber's share of a folder watcher; dropping it stops watching when it was the last.
pub type WatchSubscription = Subscription<WatchHandle>;

pub(crate) struct Watchers {
    core: Arc<Core>,
    sync: Arc<FolderSync>,
    hub: Hub<WatchHandle>,
    registry: Arc<Registry>,
    /// Connections the watchers may hold at once: the account's budget less the request
    /// connection. A watcher without one polls instead, and takes one when it frees up.
    slots: Arc<Semaphore>,
    clock_watch: OnceLock<()>,
}

impl Watchers {
    pub(crate) fn new(core: Arc<Core>, sync: Arc<FolderSync>, announcing: Announcing) -> Self {
        let budget = usize::from(core.account().max_connections.max(1));
        Watchers {
            registry: Arc::new(Registry::new(core.clone(), announcing)),
            slots: Arc::new(Semaphore::new(budget - 1)),
            core,
            sync,
            hub: Hub::default(),
            clock_watch: OnceLock::new(),
        }
    }

    /// Watches `folder` until the returned subscription is dropped. Subscribers of one
    /// folder share one IDLE connection.
    pub(crate) fn watch(self: &Arc<Self>, folder: &str) -> WatchSubscription {
        self.start_clock_watch();
        self.hub.subscribe(folder, || {
            watcher::spawn(
                self.core.clone(),
                self.sync.clone(),
                &self.registry,
                self.slots.clone(),
                folder,
                WatchMode::Idle,
            )
        })
    }

    /// Watches `selected` with IDLE and, where the server offers NOTIFY, every other folder
    /// on the same connection (changes there are delta-synced; arrivals in `announced` are
    /// new mail). Without NOTIFY it is a watcher of `selected` alone.
    pub(crate) fn watch_with_notify(
        self: &Arc<Self>,
        selected: &str,
        announced: &[String],
    ) -> WatchSubscription {
        self.start_clock_watch();
        let mode = WatchMode::Notify {
            announced: announced.to_vec(),
        };
        self.hub.subscribe(&format!("{NOTIFY_KEY}{selected}"), || {
            watcher::spawn(
                self.core.clone(),
                self.sync.clone(),
                &self.registry,
                self.slots.clone(),
                selected,
                mode,
            )
        })
    }

    fn start_clock_watch(self: &Arc<Self>) {
        self.clock_watch.get_or_init(|| {
            spawn_clock_watch(
                Arc::downgrade(self),
                self.core.options().clock_check_interval,
            );
        });
    }

    /// How many subscribers share the watcher of `folder` (0: not watched).
    pub(crate) fn subscribers(&self, folder: &str) -> usize {
        self.hub.subscribers(folder)
    }

    /// Every watcher reconnects now instead of waiting for its connection to time out.
    pub(crate) fn network_changed(&self) {
        self.hub.for_each(|_, watcher| watcher.restart());
    }

    pub(crate) fn last_push_at(&self, folder: &str) -> Option<Instant> {
        self.registry.last_push_at(folder)
    }

    pub(crate) fn connectivity_now(&self) -> Option<(ConnectivityState, Option<String>)> {
        self.registry.connectivity_now()
    }

    /// Stops every watcher, waiting up to `limit` for them to log out.
    pub(crate) async fn stop_all(&self, limit: Duration) {
        self.hub.stop_all();
        if !self.registry.all_ended_within(limit).await {
            tracing::warn!("watchers did not stop in time; leaving them");
        }
    }
}

/// Restarts every watcher when the machine seems to have slept.
fn spawn_clock_watch(watchers: Weak<Watchers>, every: Duration) {
    tokio::spawn(async move {
        let mut detector = JumpDetector::new(every * 3 / 2);
        let mut ticker = tokio::time::interval(every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            let Some(watchers) = watchers.upgrade() else {
                return;
            };
            if detector.check() {
                tracing::info!("the clock jumped (the machine slept?); restarting watchers");
                watchers.network_changed();
            }
        }
    });
}
