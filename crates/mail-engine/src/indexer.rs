//! The background indexer: makes new messages, and messages whose body arrived or went,
//! searchable in small batches after syncs and body downloads — never holding the cache
//! long (readers get it between batches), never holding up a sync — and tells subscribers
//! how far it got (`sync_progress`, phase `indexing`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mail_store::IndexProgress;
use mail_sync::{time_left, ProgressPhase};
use tokio::sync::Notify;

use crate::events::{EngineEvent, Events};
use crate::store_access::{with_store, SharedStore};

/// Messages per batch: one batch holds the cache for tens of milliseconds at most.
const BATCH: usize = 200;

/// Leaf pages merged per step once everything is indexed.
const MERGE_PAGES: u32 = 200;

/// Merge steps per run at most (a run that merges less leaves the rest to the next).
const MERGE_STEPS: usize = 2_000;

/// A `sync_progress` event at most this often while indexing.
const PROGRESS_EVERY: Duration = Duration::from_millis(500);

/// What the task needs: the cache, and whom to tell.
#[derive(Clone)]
struct Target {
    store: SharedStore,
    events: Events,
    account: String,
}

/// The handle of the running indexer task: waking it starts a run unless one is running.
/// Dropping it (the engine goes) or [`Indexer::stop`] ends the task after its batch.
pub(crate) struct Indexer {
    wake: Arc<Notify>,
    stopping: Arc<AtomicBool>,
}

impl Indexer {
    /// Starts the task on the current Tokio runtime; `None` outside one.
    pub(crate) fn spawn(store: SharedStore, events: Events, account: String) -> Option<Indexer> {
        let runtime = tokio::runtime::Handle::try_current().ok()?;
        let wake = Arc::new(Notify::new());
        let stopping = Arc::new(AtomicBool::new(false));
        let (woken, stopped) = (wake.clone(), stopping.clone());
        let target = Target {
            store,
            events,
            account,
        };
        runtime.spawn(async move {
            loop {
                woken.notified().await;
                if stopped.load(Ordering::SeqCst) {
                    return;
                }
                run(&target, &stopped).await;
            }
        });
        Some(Indexer { wake, stopping })
    }

    pub(crate) fn wake(&self) {
        self.wake.notify_one();
    }

    /// Ends the task after the batch it is in.
    pub(crate) fn stop(&self) {
        self.stopping.store(true, Ordering::SeqCst);
        self.wake.notify_one();
    }
}

impl Drop for Indexer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// What one blocking step did.
enum Step {
    Indexed(usize),
    Merged(bool),
}

/// Runs `step` against the cache on a blocking thread; `None` when it could not run.
async fn blocking(
    target: &Target,
    step: impl FnOnce(&mut mail_store::Store) -> anyhow::Result<Step> + Send + 'static,
) -> Option<crate::error::Result<Step>> {
    let store = target.store.clone();
    tokio::task::spawn_blocking(move || with_store(&store, step))
        .await
        .ok()
}

/// Indexes until nothing waits, then merges the index's segments a step at a time.
async fn run(target: &Target, stopping: &AtomicBool) {
    let started = Instant::now();
    let mut indexed = 0u64;
    let mut told = Instant::now() - PROGRESS_EVERY;
    loop {
        if stopping.load(Ordering::SeqCst) {
            return;
        }
        let added = match blocking(target, |store| {
            store.index_for_search(BATCH).map(Step::Indexed)
        })
        .await
        {
            None => return,
            Some(Ok(Step::Indexed(added))) => added,
            Some(Ok(Step::Merged(_))) => 0,
            Some(Err(error)) => {
                tracing::warn!(%error, "updating the search index");
                return;
            }
        };
        indexed += added as u64;
        if added == 0 || told.elapsed() >= PROGRESS_EVERY {
            tell(target, indexed, started.elapsed());
            told = Instant::now();
        }
        if added == 0 {
            break;
        }
    }
    if indexed == 0 {
        return;
    }
    for _ in 0..MERGE_STEPS {
        if stopping.load(Ordering::SeqCst) {
            return;
        }
        match blocking(target, |store| {
            store.merge_search_index(MERGE_PAGES).map(Step::Merged)
        })
        .await
        {
            None => return,
            Some(Ok(Step::Merged(true))) => {}
            Some(Ok(_)) => break,
            Some(Err(error)) => {
                tracing::warn!(%error, "merging the search index");
                break;
            }
        }
    }
    tracing::debug!(
        indexed,
        ms = started.elapsed().as_millis() as u64,
        "indexed for search"
    );
}

/// Sends a `sync_progress` event for indexing: `indexed` messages took `elapsed` so far.
fn tell(target: &Target, indexed: u64, elapsed: Duration) {
    let Ok(progress) = with_store(&target.store, |store| store.index_progress()) else {
        return;
    };
    target
        .events
        .send(progress_event(&target.account, progress, indexed, elapsed));
}

/// The `sync_progress` event for indexing at `progress`, with the pace so far.
fn progress_event(
    account: &str,
    progress: IndexProgress,
    indexed: u64,
    elapsed: Duration,
) -> EngineEvent {
    EngineEvent::SyncProgress {
        account: account.to_string(),
        folder: String::new(),
        synced: progress.indexed() as usize,
        total: progress.messages as usize,
        phase: ProgressPhase::Indexing,
        eta_ms: time_left(indexed, elapsed, progress.waiting).map(|left| left.as_millis() as u64),
    }
}
