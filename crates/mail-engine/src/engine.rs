//! The public `Engine`: one account's request connection (kept warm, replaced when broken),
//! folder sync on top of it, folder watchers, and the events subscribers see.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use mail_store::{Account, Folder, ListedFolder, MessageRow, Store};
use mail_sync::{NextStep, StepOutcome, Strategy, SyncChain, SyncPlan};
use tokio::sync::MutexGuard;

use crate::account::{ConnectSettings, Password};
use crate::connection::{ImapConnection, Timeouts};
use crate::error::{EngineError, ErrorKind, Result};
use crate::events::{ConnectivityState, EngineEvent, Events};
use crate::folders::list_folders;
use crate::hub::{Hub, Subscription};
use crate::sync::{
    delta_sync, initial_sync, with_store, DeltaOutcome, NewMessage, SharedStore, SyncReport,
};
use crate::watch::{self, Connectivity, WatchHandle};

/// A subscriber's share of a folder watcher; dropping it stops watching when it was the last.
pub type WatchSubscription = Subscription<WatchHandle>;

/// Tunables; the defaults suit real servers, tests shorten them.
#[derive(Debug, Clone, Copy)]
pub struct EngineOptions {
    pub timeouts: Timeouts,
    /// A connection that answered within this window is used without probing it first.
    pub freshness: Duration,
    /// How often an idle request connection is kept alive with NOOP.
    pub keepalive_interval: Duration,
    /// Messages per FETCH batch (and per transaction) in an initial sync.
    pub initial_chunk_size: usize,
    /// First reconnect delay of a watcher (doubling, jittered, up to `reconnect_max`).
    pub reconnect_initial: Duration,
    pub reconnect_max: Duration,
    /// IDLE is ended and re-issued this often (servers drop idle connections silently).
    pub idle_renewal: Duration,
    /// A DONE not answered within this is a dead connection.
    pub idle_done_timeout: Duration,
    /// Delta-sync interval for watched folders on servers without IDLE.
    pub poll_interval: Duration,
    /// How often the clock is checked for jumps (the machine slept).
    pub clock_check_interval: Duration,
    /// Bytes of message bodies kept for offline reading; the oldest go first beyond it.
    pub body_budget: u64,
    /// Messages larger than this open text first: their attachments are fetched when saved.
    pub large_message_bytes: u64,
}

impl Default for EngineOptions {
    fn default() -> Self {
        Self {
            timeouts: Timeouts::default(),
            freshness: Duration::from_secs(30),
            keepalive_interval: Duration::from_secs(240),
            initial_chunk_size: 2000,
            reconnect_initial: Duration::from_secs(1),
            reconnect_max: Duration::from_secs(60),
            idle_renewal: Duration::from_secs(240),
            idle_done_timeout: Duration::from_secs(5),
            poll_interval: Duration::from_secs(60),
            clock_check_interval: Duration::from_secs(10),
            body_budget: 1 << 30,
            large_message_bytes: 2 << 20,
        }
    }
}

/// One account's engine. Cheap to share behind an `Arc`; every method takes `&self`.
pub struct Engine {
    store: SharedStore,
    account: Account,
    settings: ConnectSettings,
    password: Password,
    options: EngineOptions,
    connection: tokio::sync::Mutex<Option<ImapConnection>>,
    events: Events,
    watchers: Hub<WatchHandle>,
    connectivity: Mutex<Connectivity>,
    /// Watchers (by id) whose folder's baseline sync is done: later arrivals are new mail.
    announcing: Mutex<HashMap<u64, String>>,
    next_watcher: AtomicU64,
    running_watchers: Arc<RunningWatchers>,
    clock_watch: OnceLock<()>,
    /// Wakes the replay worker (started with the first watcher) after an action.
    replay_wake: Arc<tokio::sync::Notify>,
    replayer: OnceLock<()>,
    /// When each watched folder's last push arrived (diagnostics and latency benchmarks).
    last_push: Mutex<HashMap<String, Instant>>,
    /// Wakes the outbox drainer (`spawn_outbox`) after a message is queued.
    pub(crate) outbox_wake: Arc<tokio::sync::Notify>,
}

/// Counts watcher tasks so shutdown can wait for them to log out.
#[derive(Default)]
struct RunningWatchers {
    count: AtomicUsize,
    idle: tokio::sync::Notify,
}

/// Held by a running watcher task; dropping it forgets the watcher.
pub(crate) struct RunningWatcher {
    engine: Arc<Engine>,
    id: u64,
}

impl RunningWatcher {
    pub(crate) fn id(&self) -> u64 {
        self.id
    }
}

impl Drop for RunningWatcher {
    fn drop(&mut self) {
        let engine = &self.engine;
        if let Ok(mut announcing) = engine.announcing.lock() {
            announcing.remove(&self.id);
        }
        let changed = engine
            .connectivity
            .lock()
            .ok()
            .and_then(|mut connectivity| connectivity.remove(&watcher_key(self.id)));
        if let Some((state, reason)) = changed {
            engine.send_connectivity(state, reason);
        }
        let running = &engine.running_watchers;
        if running.count.fetch_sub(1, Ordering::SeqCst) == 1 {
            running.idle.notify_waiters();
        }
    }
}

fn watcher_key(id: u64) -> String {
    format!("watcher-{id}")
}

impl Engine {
    pub fn new(
        store: Arc<Mutex<Store>>,
        account: Account,
        password: Password,
        options: EngineOptions,
    ) -> Self {
        let settings = ConnectSettings::from_account(&account);
        Self {
            store,
            account,
            settings,
            password,
            options,
            connection: tokio::sync::Mutex::new(None),
            events: Events::default(),
            watchers: Hub::default(),
            connectivity: Mutex::new(Connectivity::default()),
            announcing: Mutex::new(HashMap::new()),
            next_watcher: AtomicU64::new(1),
            running_watchers: Arc::new(RunningWatchers::default()),
            clock_watch: OnceLock::new(),
            replay_wake: Arc::new(tokio::sync::Notify::new()),
            replayer: OnceLock::new(),
            last_push: Mutex::new(HashMap::new()),
            outbox_wake: Arc::new(tokio::sync::Notify::new()),
        }
    }

    pub fn options(&self) -> EngineOptions {
        self.options
    }

    /// A new subscriber to every event sent from now on.
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<EngineEvent> {
        self.events.subscribe()
    }

    /// Watches `folder` (pushes become delta syncs and events) until the returned
    /// subscription is dropped. Subscribers of one folder share one IDLE connection.
    pub fn watch(self: &Arc<Self>, folder: &str) -> WatchSubscription {
        self.clock_watch.get_or_init(|| {
            watch::spawn_clock_watch(Arc::downgrade(self), self.options.clock_check_interval);
        });
        self.spawn_replayer();
        self.watchers
            .subscribe(folder, || watch::spawn(self, folder))
    }

    /// Starts (once) the worker that replays actions as soon as they are made: [`Engine::act`]
    /// wakes it. Watching starts it; a long-running app may start it itself. A replay that
    /// fails for the network waits for the next action or the watchers' next catch-up sync
    /// (which replays first), so an offline engine does not spin.
    pub fn spawn_replayer(self: &Arc<Self>) {
        self.replayer.get_or_init(|| {
            let engine = Arc::downgrade(self);
            let wake = self.replay_wake.clone();
            tokio::spawn(async move {
                loop {
                    wake.notified().await;
                    let Some(engine) = engine.upgrade() else {
                        return;
                    };
                    if let Err(error) = engine.replay_pending().await {
                        tracing::info!(%error, "changes stay queued");
                    }
                }
            });
        });
    }

    pub(crate) fn wake_replayer(&self) {
        self.replay_wake.notify_one();
    }

    /// How many subscribers share the watcher of `folder` (0: not watched).
    pub fn watch_subscribers(&self, folder: &str) -> usize {
        self.watchers.subscribers(folder)
    }

    /// The network changed or the machine woke up: every watcher reconnects now instead of
    /// waiting for its connection to time out. (The desktop app calls this on OS signals;
    /// the engine itself calls it when the clock jumps.)
    pub fn network_changed(&self) {
        self.watchers.for_each(|_, watcher| watcher.restart());
    }

    /// When the last push (an IDLE notice) for `folder` arrived, if any.
    pub fn last_push_at(&self, folder: &str) -> Option<Instant> {
        self.last_push
            .lock()
            .ok()
            .and_then(|pushes| pushes.get(folder).copied())
    }

    pub(crate) fn push_arrived(&self, folder: &str) {
        if let Ok(mut pushes) = self.last_push.lock() {
            pushes.insert(folder.to_string(), Instant::now());
        }
    }

    pub(crate) fn watcher_started(self: &Arc<Self>) -> RunningWatcher {
        self.running_watchers.count.fetch_add(1, Ordering::SeqCst);
        RunningWatcher {
            engine: self.clone(),
            id: self.next_watcher.fetch_add(1, Ordering::SeqCst),
        }
    }

    pub(crate) fn watcher_state(
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
        self.events.send(EngineEvent::Connectivity {
            account: self.account.email.clone(),
            state,
            reason,
        });
    }

    /// The watcher's first sync is done: messages that arrive from now on are new mail.
    pub(crate) fn announce_new_mail(&self, id: u64, folder: &str) {
        if let Ok(mut announcing) = self.announcing.lock() {
            announcing.insert(id, folder.to_string());
        }
    }

    fn announces_new_mail(&self, folder: &str) -> bool {
        self.announcing
            .lock()
            .map(|announcing| announcing.values().any(|watched| watched == folder))
            .unwrap_or(false)
    }

    /// Tells subscribers what a sync changed (and which new messages arrived while watched).
    fn publish(&self, report: &SyncReport, announce: bool) {
        if report.added + report.removed + report.flags_changed > 0 || report.resync {
            self.events.send(EngineEvent::FolderChanged {
                account: self.account.email.clone(),
                folder: report.folder.clone(),
                added: report.added,
                removed: report.removed,
                flags_changed: report.flags_changed,
                resync: report.resync,
                total: report.total,
                unread: report.unread,
            });
        }
        if announce && !report.resync && report.strategy != Strategy::Initial {
            self.publish_new_mail(&report.folder, &report.new_messages);
        }
        if !report.dropped.is_empty() {
            self.announce_dropped(&report.dropped, "the message is gone from the server");
            if let Ok(pending) =
                with_store(&self.store, |store| store.pending_count(self.account.id))
            {
                self.events.send(EngineEvent::PendingChanged {
                    account: self.account.email.clone(),
                    pending,
                });
            }
        }
    }

    /// The account's aggregated connectivity now (`None` while nothing is watched).
    pub(crate) fn connectivity_now(&self) -> Option<(ConnectivityState, Option<String>)> {
        self.connectivity
            .lock()
            .ok()
            .and_then(|connectivity| connectivity.current())
    }

    pub(crate) fn send_event(&self, event: EngineEvent) {
        self.events.send(event);
    }

    fn publish_new_mail(&self, folder: &str, messages: &[NewMessage]) {
        for message in messages.iter().filter(|message| !message.seen) {
            self.events.send(EngineEvent::NewMail {
                account: self.account.email.clone(),
                folder: folder.to_string(),
                uid: message.uid,
                from: message.from.clone(),
                from_address: message.from_address.clone(),
                subject: message.subject.clone(),
            });
        }
    }

    /// Caches messages a watch connection fetched right after the server announced them,
    /// and tells subscribers, ahead of the delta sync that confirms them. Nothing is cached
    /// when the folder's cache is not complete or belongs to another UIDVALIDITY (the delta
    /// sync sorts that out). Returns how many messages were new to the cache.
    pub(crate) fn cache_arrivals(
        &self,
        folder: &Folder,
        uid_validity: u32,
        rows: &[MessageRow],
    ) -> Result<usize> {
        let cached = with_store(&self.store, |store| {
            match store.sync_meta(folder.id)? {
                Some(meta)
                    if meta.uid_validity.0 == uid_validity && meta.initial_low_uid.is_none() => {}
                _ => return Ok(None),
            }
            let inserted = store.add_arrivals(folder.id, rows)?;
            Ok(Some((inserted, store.folder_counts(folder.id)?)))
        })?;
        let Some((inserted, counts)) = cached else {
            return Ok(0);
        };
        if inserted.is_empty() {
            return Ok(0);
        }
        self.events.send(EngineEvent::FolderChanged {
            account: self.account.email.clone(),
            folder: folder.name.clone(),
            added: inserted.len(),
            removed: 0,
            flags_changed: 0,
            resync: false,
            total: counts.count,
            unread: counts.unread,
        });
        if self.announces_new_mail(&folder.name) {
            let messages: Vec<NewMessage> = rows
                .iter()
                .filter(|row| inserted.contains(&row.uid))
                .map(NewMessage::from_row)
                .collect();
            self.publish_new_mail(&folder.name, &messages);
        }
        Ok(inserted.len())
    }

    pub(crate) fn password(&self) -> &Password {
        &self.password
    }

    pub fn account(&self) -> &Account {
        &self.account
    }

    pub fn store(&self) -> &Arc<Mutex<Store>> {
        &self.store
    }

    /// Opens a new connection with this account's settings (not the shared request connection).
    pub async fn open_connection(&self) -> Result<ImapConnection> {
        ImapConnection::connect(&self.settings, &self.password, self.options.timeouts).await
    }

    /// The request connection, connected and known alive: used without a probe when it
    /// answered within the freshness window, otherwise probed with NOOP and replaced if dead.
    async fn request_connection(&self) -> Result<MutexGuard<'_, Option<ImapConnection>>> {
        let mut guard = self.connection.lock().await;
        let usable = match guard.as_mut() {
            Some(connection) if connection.is_broken() => false,
            Some(connection) if connection.idle_for() <= self.options.freshness => true,
            Some(connection) => match connection.noop().await {
                Ok(()) => true,
                Err(error) => {
                    tracing::info!(%error, "request connection went stale; reconnecting");
                    false
                }
            },
            None => false,
        };
        if !usable {
            *guard = None;
            *guard = Some(self.open_connection().await?);
        }
        Ok(guard)
    }

    /// Sends NOOP on the request connection when it has been idle for the keepalive interval.
    pub async fn keepalive(&self) -> Result<()> {
        let mut guard = self.connection.lock().await;
        if let Some(connection) = guard.as_mut() {
            if connection.is_broken() {
                *guard = None;
            } else if connection.idle_for() >= self.options.keepalive_interval {
                if let Err(error) = connection.noop().await {
                    tracing::info!(%error, "keepalive failed; the next request reconnects");
                    *guard = None;
                }
            }
        }
        Ok(())
    }

    /// Keeps the request connection warm until the engine is dropped.
    pub fn spawn_keepalive(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let weak = Arc::downgrade(self);
        let interval = self.options.keepalive_interval;
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval((interval / 2).max(Duration::from_secs(1)));
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticker.tick().await;
                let Some(engine) = weak.upgrade() else { return };
                let _ = engine.keepalive().await;
            }
        })
    }

    /// Stops every watcher (waiting a few seconds for them to log out) and closes the
    /// request connection politely.
    pub async fn shutdown(&self) {
        self.watchers.stop_all();
        let running = &self.running_watchers;
        let wait = async {
            loop {
                let idle = running.idle.notified();
                if running.count.load(Ordering::SeqCst) == 0 {
                    return;
                }
                idle.await;
            }
        };
        let limit = self.options.idle_done_timeout + Duration::from_secs(1);
        if tokio::time::timeout(limit, wait).await.is_err() {
            tracing::warn!("watchers did not stop in time; leaving them");
        }
        if let Some(connection) = self.connection.lock().await.take() {
            connection.logout().await;
        }
    }

    /// LISTs the folders and makes the cached folder list equal to it.
    pub async fn refresh_folders(&self) -> Result<Vec<ListedFolder>> {
        let listed = self
            .with_retry(2, |_, connection, _| {
                Box::pin(async move { list_folders(connection).await })
            })
            .await?;
        let account = self.account.id;
        with_store(&self.store, |store| store.replace_folders(account, &listed))?;
        Ok(listed)
    }

    /// The cached folder named `name`, LISTing the server first if it is not known yet.
    pub async fn folder(&self, name: &str) -> Result<Folder> {
        let account = self.account.id;
        if let Some(folder) = with_store(&self.store, |store| store.folder_by_name(account, name))?
        {
            return Ok(folder);
        }
        self.refresh_folders().await?;
        with_store(&self.store, |store| store.folder_by_name(account, name))?.ok_or_else(|| {
            EngineError::new(ErrorKind::Other, format!("There is no folder named {name}"))
        })
    }

    /// Initial or delta sync of one folder. `forced` picks a strategy (degraded to what the
    /// server can do); `Some(Strategy::Initial)` drops the folder's cache and fetches it again.
    pub async fn sync_folder(&self, name: &str, forced: Option<Strategy>) -> Result<SyncReport> {
        let folder = self.folder(name).await?;
        if !folder.selectable {
            return Err(EngineError::new(
                ErrorKind::Other,
                format!("{name} cannot hold messages"),
            ));
        }
        let started = Instant::now();
        let announce = self.announces_new_mail(name);
        let mut report = self
            .with_retry(3, |engine, connection, attempt| {
                let folder = folder.clone();
                Box::pin(async move {
                    // A retry resumes: an interrupted initial sync continues where it stopped.
                    let forced = match forced {
                        Some(Strategy::Initial) if attempt > 1 => None,
                        other => other,
                    };
                    let trips_before = connection.round_trips();
                    let wait_before = connection.server_wait();
                    let mut report = engine.sync_on(connection, &folder, forced).await?;
                    report.round_trips = connection.round_trips() - trips_before;
                    report.server_wait = connection.server_wait().saturating_sub(wait_before);
                    Ok(report)
                })
            })
            .await
            .map_err(|error| error.context(format!("Syncing {name}")))?;
        report.duration = started.elapsed();
        tracing::debug!(
            folder = %report.folder,
            strategy = ?report.strategy,
            added = report.added,
            removed = report.removed,
            flags_changed = report.flags_changed,
            ms = report.duration.as_secs_f64() * 1e3,
            server_ms = report.server_wait.as_secs_f64() * 1e3,
            "synced"
        );
        self.publish(&report, announce);
        self.requeue_restored(&folder);
        Ok(report)
    }

    async fn sync_on(
        &self,
        connection: &mut ImapConnection,
        folder: &Folder,
        forced: Option<Strategy>,
    ) -> Result<SyncReport> {
        // What the user did goes to the server before anything is read back from it.
        if with_store(&self.store, |store| store.pending_count(self.account.id))? > 0 {
            match self.replay_on(connection).await {
                Ok(_) => {}
                Err(error) if error.is_connection_failure() => return Err(error),
                // The server cannot take them now: they stay queued, and the sync goes on
                // (it keeps what they changed in the cache).
                Err(error) => tracing::warn!(%error, "queued changes wait"),
            }
        }
        let meta = with_store(&self.store, |store| store.sync_meta(folder.id))?;
        let (mut chain, mut next) =
            SyncChain::start(meta.as_ref(), connection.sync_capabilities(), forced);
        let mut report = SyncReport {
            folder: folder.name.clone(),
            strategy: match &next {
                NextStep::Run { plan, .. } => plan.strategy(),
                _ => Strategy::Initial,
            },
            uid_validity: 0,
            added: 0,
            removed: 0,
            flags_changed: 0,
            resync: forced == Some(Strategy::Initial) && meta.is_some(),
            total: 0,
            unread: 0,
            new_messages: Vec::new(),
            dropped: Vec::new(),
            round_trips: 0,
            duration: Duration::ZERO,
            server_wait: Duration::ZERO,
        };
        // Each step runs here; `mail_sync::SyncChain` decides the next one.
        loop {
            let (plan, replacing) = match next {
                NextStep::Run { plan, replacing } => (plan, replacing),
                NextStep::Done => {
                    let counts = with_store(&self.store, |store| store.folder_counts(folder.id))?;
                    report.total = counts.count;
                    report.unread = counts.unread;
                    return Ok(report);
                }
                NextStep::GiveUp => {
                    return Err(EngineError::new(
                        ErrorKind::Protocol,
                        format!("{}: sync did not settle", folder.name),
                    ))
                }
            };
            let outcome = match plan {
                SyncPlan::Initial | SyncPlan::ResumeInitial { .. } => {
                    let resume = match &plan {
                        SyncPlan::ResumeInitial { meta, low_uid } => Some((meta.clone(), *low_uid)),
                        _ => None,
                    };
                    let events = self.events.clone();
                    let (account, folder_name) = (self.account.email.clone(), folder.name.clone());
                    let progress = Box::new(move |synced, total| {
                        events.send(EngineEvent::SyncProgress {
                            account: account.clone(),
                            folder: folder_name.clone(),
                            synced,
                            total,
                        })
                    });
                    let outcome = initial_sync(
                        connection,
                        &self.store,
                        folder,
                        resume,
                        replacing,
                        self.options.initial_chunk_size,
                        progress,
                    )
                    .await?;
                    report.strategy = Strategy::Initial;
                    report.added += outcome.added;
                    report.dropped.extend(outcome.dropped);
                    report.resync |= outcome.restarted || replacing.is_some();
                    report.uid_validity = outcome.uid_validity;
                    StepOutcome::InitialDone {
                        meta: with_store(&self.store, |store| store.sync_meta(folder.id))?,
                    }
                }
                SyncPlan::Delta { strategy, meta } => {
                    match delta_sync(connection, &self.store, folder, strategy, &meta).await? {
                        DeltaOutcome::Applied {
                            added,
                            removed,
                            flags_changed,
                            uid_validity,
                            new_messages,
                            dropped,
                        } => {
                            if report.strategy != Strategy::Initial {
                                report.strategy = strategy;
                            }
                            report.added += added;
                            report.removed += removed;
                            report.flags_changed += flags_changed;
                            report.uid_validity = uid_validity;
                            report.new_messages = new_messages;
                            report.dropped.extend(dropped);
                            StepOutcome::DeltaApplied
                        }
                        DeltaOutcome::UidValidityChanged => {
                            tracing::warn!(folder = %folder.name, "UIDVALIDITY changed; resyncing the folder from scratch");
                            StepOutcome::UidValidityChanged {
                                cached: meta.uid_validity,
                            }
                        }
                        DeltaOutcome::ModSeqUnusable => {
                            tracing::info!(folder = %folder.name, "modseqs unusable; using the UID+flags method");
                            StepOutcome::ModSeqUnusable
                        }
                    }
                }
            };
            next = chain.next(outcome);
        }
    }

    /// Runs `work` on the request connection, once more on a fresh one if the first broke.
    /// Runs `work` on the request connection (attempt 1, 2, …); after a connection failure,
    /// again on a fresh connection, up to `attempts` times.
    pub(crate) async fn with_retry<T>(
        &self,
        attempts: u32,
        work: impl for<'c> Fn(
            &'c Engine,
            &'c mut ImapConnection,
            u32,
        ) -> std::pin::Pin<
            Box<dyn std::future::Future<Output = Result<T>> + Send + 'c>,
        >,
    ) -> Result<T> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut guard = self.request_connection().await?;
            let Some(connection) = guard.as_mut() else {
                return Err(EngineError::new(ErrorKind::Other, "No request connection"));
            };
            match work(self, connection, attempt).await {
                Ok(value) => return Ok(value),
                Err(error) => {
                    if let Some(error) = give_up_or_retry(&mut guard, error, attempt, attempts) {
                        return Err(error);
                    }
                }
            }
        }
    }
}

/// After a failed request: drops the connection if the failure was the connection's, and
/// returns the error to give up with, or `None` to retry on a new connection.
fn give_up_or_retry(
    guard: &mut Option<ImapConnection>,
    error: EngineError,
    attempt: u32,
    attempts: u32,
) -> Option<EngineError> {
    if !error.is_connection_failure() {
        return Some(error);
    }
    *guard = None;
    if attempt >= attempts {
        return Some(error);
    }
    tracing::warn!(%error, attempt, "request failed on this connection; retrying on a new one");
    None
}
