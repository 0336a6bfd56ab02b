//! A running account: its engine, the watchers (INBOX always, plus the folder on screen),
//! and the background work (event forwarding, keepalive, folder checks, body prefetch).

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mail_engine::{Credentials, Engine, EngineEvent, EngineOptions, Password, WatchSubscription};
use tauri::{AppHandle, Emitter, Runtime};
use tokio::sync::broadcast::Receiver;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::dto::{AppEvent, IpcError, EVENT};

pub const INBOX: &str = "INBOX";

/// How often the folders nobody watches (all but INBOX and the one on screen) are checked.
pub const CHECK_EVERY: Duration = Duration::from_secs(5 * 60);
/// How soon a check that could not reach the server is tried again.
const RETRY_CHECK: Duration = Duration::from_secs(60);

pub struct Session {
    pub engine: Arc<Engine>,
    inbox: Option<WatchSubscription>,
    visible: Option<(String, WatchSubscription)>,
    /// Wakes the folder checker at once ("Check mail now").
    check: Arc<Notify>,
    /// Sends the outbox (stopped gracefully: a send in progress finishes).
    outbox: Option<mail_engine::OutboxWorker>,
    tasks: Vec<JoinHandle<()>>,
}

/// An account's engine, and why it cannot reach the server (no password, no sign-in), if so.
pub type OpenedAccount = (Arc<Engine>, Option<IpcError>);

/// Opens every account of the profile over the app's one cache handle (see
/// `AppState::cache`). Without a password (no keyring) or sign-in, an account's cache still
/// shows and its actions still queue; its error says why nothing reaches the server.
pub async fn open_engines(
    store: Arc<Mutex<mail_store::Store>>,
) -> anyhow::Result<Vec<OpenedAccount>> {
    let accounts = store
        .lock()
        .map_err(|_| anyhow::anyhow!("the cache lock was poisoned"))?
        .accounts()?;
    let mut opened = Vec::with_capacity(accounts.len());
    for account in accounts {
        let (credentials, problem) = match tern_profile::credentials_for(&account).await {
            Ok(credentials) => (credentials, None),
            Err(error) => {
                tracing::warn!(account = %account.email, error = %format!("{error:#}"), "no password or sign-in; showing the cache only");
                (
                    Credentials::Password(Password::new("")),
                    Some(IpcError::from(error)),
                )
            }
        };
        let engine = Arc::new(Engine::new(
            store.clone(),
            account,
            credentials,
            EngineOptions::default(),
        ));
        opened.push((engine, problem));
    }
    Ok(opened)
}

impl Session {
    /// Starts forwarding events (with `forward`: `forward::spawn`), then (with a password)
    /// watching INBOX and `visible`, listing folders, first-syncing them and prefetching
    /// recent INBOX bodies.
    pub fn start<R: Runtime>(
        app: &AppHandle<R>,
        engine: Arc<Engine>,
        online: bool,
        visible: Option<String>,
        forward: impl FnOnce(Receiver<EngineEvent>) -> JoinHandle<()>,
    ) -> Self {
        // Subscribe before anything runs: events sent before subscribing are lost.
        let mut tasks = vec![forward(engine.subscribe())];
        if online {
            tasks.push(tokio::spawn(keep_new_mail_readable(
                engine.clone(),
                engine.subscribe(),
            )));
        }
        let mut session = Self {
            engine: engine.clone(),
            inbox: None,
            visible: None,
            check: Arc::new(Notify::new()),
            outbox: None,
            tasks: Vec::new(),
        };
        if online {
            session.inbox = Some(engine.watch(INBOX));
            if let Some(folder) = visible {
                session.show_folder(&folder);
            }
            tasks.push(engine.spawn_keepalive());
            // Mail written offline (or while the server was away) goes out from here.
            if engine.smtp_server().is_ok() {
                session.outbox = Some(engine.spawn_outbox());
            }
            tasks.push(tokio::spawn(check_folders(
                app.clone(),
                engine,
                session.check.clone(),
            )));
        }
        session.tasks = tasks;
        session
    }

    /// Watches the folder on screen too (INBOX is always watched).
    pub fn show_folder(&mut self, folder: &str) {
        if self.inbox.is_none() {
            return;
        }
        if folder.eq_ignore_ascii_case(INBOX) {
            self.visible = None;
            return;
        }
        if self
            .visible
            .as_ref()
            .is_some_and(|(name, _)| name == folder)
        {
            return;
        }
        self.visible = Some((folder.to_string(), self.engine.watch(folder)));
    }

    /// "Check mail now": sends queued changes, lists the folders again and delta-syncs every
    /// folder now instead of at the next periodic check.
    pub fn check_now(&self) {
        self.check.notify_one();
    }

    /// Stops the watchers and background work and logs out.
    pub async fn stop(mut self) {
        self.inbox = None;
        self.visible = None;
        if let Some(outbox) = self.outbox.take() {
            outbox.stop().await;
        }
        for task in &self.tasks {
            task.abort();
        }
        self.engine.shutdown().await;
    }
}

/// Mail arriving in INBOX while the app runs is kept readable offline too: after each burst
/// of arrivals (quiet for a second), recent INBOX bodies are prefetched again (already
/// cached ones cost nothing).
async fn keep_new_mail_readable(
    engine: Arc<Engine>,
    mut events: tokio::sync::broadcast::Receiver<mail_engine::EngineEvent>,
) {
    use tokio::sync::broadcast::error::RecvError;
    let arrived = |event: &mail_engine::EngineEvent| {
        matches!(event, mail_engine::EngineEvent::FolderChanged { folder, added, .. }
            if *added > 0 && folder.eq_ignore_ascii_case(INBOX))
    };
    loop {
        match events.recv().await {
            Ok(event) if arrived(&event) => {}
            Ok(_) | Err(RecvError::Lagged(_)) => continue,
            Err(RecvError::Closed) => return,
        }
        // Wait for the burst to end.
        while let Ok(next) = tokio::time::timeout(Duration::from_secs(1), events.recv()).await {
            if matches!(next, Err(RecvError::Closed)) {
                return;
            }
        }
        if let Err(error) = engine.prefetch_bodies(INBOX, 30).await {
            tracing::info!(%error, "new mail not prefetched");
        }
    }
}

/// Lists the folders (telling the window) and checks every folder — INBOX and the folder on
/// screen are kept current by their watchers, the others only by this —: their STATUS in one
/// round trip, a sync only for those that changed (and, on a server without CONDSTORE, a
/// sync of every folder now and then and when the person asks); keeps recent INBOX bodies
/// for offline reading; then does it again every [`CHECK_EVERY`] or when woken.
async fn check_folders<R: Runtime>(app: AppHandle<R>, engine: Arc<Engine>, wake: Arc<Notify>) {
    // The window shows the cached folders; it reloads only when the server lists others.
    let mut listed: Option<BTreeSet<String>> = engine.snapshot().ok().map(|snapshot| {
        snapshot
            .folders
            .into_iter()
            .map(|folder| folder.name)
            .collect()
    });
    let mut pass = Pass::default();
    let mut first = true;
    let mut asked = false;
    loop {
        let full = mail_sync::full_sync_due(pass.condstore, pass.since_full, asked);
        let checked = check_all(&app, &engine, listed.as_ref(), first, full, &mut pass).await;
        let wait = match checked {
            Some(names) => {
                listed = Some(names);
                if first {
                    if let Err(error) = engine.prefetch_bodies(INBOX, 30).await {
                        tracing::info!(%error, "bodies not prefetched");
                    }
                    first = false;
                }
                CHECK_EVERY
            }
            // Offline or refused: try again sooner than a full period.
            None => RETRY_CHECK,
        };
        asked = false;
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = wake.notified() => {
                tracing::info!("checking mail now");
                asked = true;
            }
        }
    }
}

/// What the folder checker has learned between passes.
#[derive(Debug, Default)]
struct Pass {
    /// The server has CONDSTORE (known after the first status check).
    condstore: Option<bool>,
    /// Passes since every folder was last synced.
    since_full: u32,
}

/// One pass: LIST (the window reloads when the folders changed), then every selectable
/// folder checked — by STATUS, or (`full`) by a sync each; at the first pass INBOX is left to
/// its watcher. Returns the folder names listed, or None when the server could not be asked.
async fn check_all<R: Runtime>(
    app: &AppHandle<R>,
    engine: &Engine,
    listed_before: Option<&BTreeSet<String>>,
    first: bool,
    full: bool,
    pass: &mut Pass,
) -> Option<BTreeSet<String>> {
    let folders = match engine.refresh_folders().await {
        Ok(folders) => folders,
        Err(error) => {
            tracing::info!(%error, "folders not listed now; the watchers keep trying");
            return None;
        }
    };
    let names: BTreeSet<String> = folders.iter().map(|folder| folder.name.clone()).collect();
    if listed_before != Some(&names) {
        let _ = app.emit(EVENT, AppEvent::Reload);
    }
    let checked: Vec<String> = folders
        .into_iter()
        .filter(|folder| folder.selectable && !(first && folder.name.eq_ignore_ascii_case(INBOX)))
        .map(|folder| folder.name)
        .collect();
    if full {
        sync_each(engine, &checked, pass).await;
        return Some(names);
    }
    match engine.check_folders(&checked).await {
        Ok(report) => {
            pass.condstore = Some(report.condstore);
            pass.since_full += 1;
            tracing::debug!(
                way = ?report.way,
                checked = report.checked,
                synced = report.synced.len(),
                status_ms = report.status_time.as_secs_f64() * 1e3,
                "folders checked"
            );
            for (folder, reason, outcome) in &report.synced {
                if let Err(error) = outcome {
                    tracing::info!(%folder, ?reason, %error, "folder not synced now");
                }
            }
            Some(names)
        }
        Err(error) => {
            // The server just answered LIST: a STATUS it cannot give must not leave every
            // folder unchecked. Each folder's own sync says what goes wrong with it.
            tracing::info!(%error, "folders not checked by STATUS; syncing each");
            sync_each(engine, &checked, pass).await;
            Some(names)
        }
    }
}

/// A sync of every folder in `names` (each failure is its own).
async fn sync_each(engine: &Engine, names: &[String], pass: &mut Pass) {
    for name in names {
        if let Err(error) = engine.sync_folder(name, None).await {
            tracing::info!(folder = %name, %error, "folder not synced now");
        }
    }
    pass.since_full = 0;
}
