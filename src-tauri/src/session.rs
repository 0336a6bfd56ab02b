//! A running account: its engine, the watchers (INBOX and the folder on screen on IDLE; on a
//! server with NOTIFY one connection for every folder, selecting the folder on screen), and
//! the background work (event forwarding, keepalive, folder checks, body prefetch).

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

/// How a session's folders are watched.
enum Watching {
    /// Without a password or sign-in: nothing reaches the server.
    Offline,
    /// INBOX on IDLE, and the folder on screen on a connection of its own.
    Idle {
        /// Held: dropping it stops watching INBOX.
        _inbox: WatchSubscription,
        visible: Option<(String, WatchSubscription)>,
    },
    /// One NOTIFY connection: the folder on screen selected, every other folder reported.
    Notify {
        selected: String,
        watch: WatchSubscription,
    },
}

pub struct Session {
    pub engine: Arc<Engine>,
    /// Shared with the folder checker, which switches it to NOTIFY once the server says so.
    watching: Arc<Mutex<Watching>>,
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
        let keep_offline = Arc::new(Notify::new());
        if online {
            tasks.push(tokio::spawn(mail_engine::keep_bodies_offline(
                engine.clone(),
                engine.subscribe(),
                keep_offline.clone(),
            )));
        }
        let mut session = Self {
            engine: engine.clone(),
            watching: Arc::new(Mutex::new(Watching::Offline)),
            check: Arc::new(Notify::new()),
            outbox: None,
            tasks: Vec::new(),
        };
        if online {
            // NOTIFY, where offered, is learnt at the first folder check (`use_notify`).
            *lock(&session.watching) = Watching::Idle {
                _inbox: engine.watch(INBOX),
                visible: None,
            };
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
                session.watching.clone(),
                keep_offline,
            )));
        }
        session.tasks = tasks;
        session
    }

    /// Watches the folder on screen too (INBOX is always watched).
    pub fn show_folder(&mut self, folder: &str) {
        let mut watching = lock(&self.watching);
        match &mut *watching {
            Watching::Offline => {}
            Watching::Idle { visible, .. } => {
                if folder.eq_ignore_ascii_case(INBOX) {
                    *visible = None;
                } else if visible.as_ref().is_none_or(|(name, _)| name != folder) {
                    *visible = Some((folder.to_string(), self.engine.watch(folder)));
                }
            }
            Watching::Notify { selected, watch } => {
                if selected != folder {
                    // The new watcher first, so the account is never left unwatched.
                    let next = self.engine.watch_with_notify(folder, &[INBOX.to_string()]);
                    *watch = next;
                    *selected = folder.to_string();
                }
            }
        }
    }

    /// "Check mail now": sends queued changes, lists the folders again and delta-syncs every
    /// folder now instead of at the next periodic check.
    pub fn check_now(&self) {
        self.check.notify_one();
    }

    /// Stops the watchers and background work and logs out.
    pub async fn stop(mut self) {
        *lock(&self.watching) = Watching::Offline;
        if let Some(outbox) = self.outbox.take() {
            outbox.stop().await;
        }
        for task in &self.tasks {
            task.abort();
        }
        self.engine.shutdown().await;
    }
}

/// Lists the folders (telling the window) and checks every folder — INBOX and the folder on
/// screen are kept current by their watchers, the others only by this —: their STATUS in one
/// round trip, a sync only for those that changed (and, on a server without CONDSTORE, a
/// sync of every folder now and then and when the person asks); wakes the keeping of
/// bodies offline (`keep_offline`); then does it again every [`CHECK_EVERY`] or when woken.
async fn check_folders<R: Runtime>(
    app: AppHandle<R>,
    engine: Arc<Engine>,
    wake: Arc<Notify>,
    watching: Arc<Mutex<Watching>>,
    keep_offline: Arc<Notify>,
) {
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
        // With CONDSTORE a STATUS shows every change: no pass needs more.
        let depth = match (full, asked) {
            (true, true) => Depth::Thorough,
            (true, false) => Depth::Usual,
            (false, _) => Depth::StatusOnly,
        };
        let checked = check_all(&app, &engine, listed.as_ref(), first, depth, &mut pass).await;
        let wait = match checked {
            Some(names) => {
                listed = Some(names);
                if first {
                    if engine
                        .check_capabilities()
                        .await
                        .is_ok_and(|offered| offered.notify)
                    {
                        use_notify(&engine, &watching);
                    }
                    first = false;
                }
                keep_offline.notify_one();
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

/// How deep one pass of the folder checker looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Depth {
    /// Every folder's STATUS; only changed folders are synced.
    StatusOnly,
    /// A delta sync of every folder (without CONDSTORE: the newest messages' flags, and
    /// every message's when a folder has not had that for a while).
    Usual,
    /// A delta sync of every folder with every message's flags (the person asked).
    Thorough,
}

/// The server offers NOTIFY: one connection watches every folder from now on, selecting
/// the folder on screen (INBOX's arrivals still announced).
fn use_notify(engine: &Engine, watching: &Mutex<Watching>) {
    let mut watching = lock(watching);
    let selected = match &*watching {
        Watching::Idle { visible, .. } => visible
            .as_ref()
            .map_or_else(|| INBOX.to_string(), |(name, _)| name.clone()),
        Watching::Offline | Watching::Notify { .. } => return,
    };
    tracing::info!(account = %engine.account().email, "the server offers NOTIFY: one connection for every folder");
    let watch = engine.watch_with_notify(&selected, &[INBOX.to_string()]);
    *watching = Watching::Notify { selected, watch };
}

/// The watching state (never left half-changed: every change is one assignment).
fn lock(watching: &Mutex<Watching>) -> std::sync::MutexGuard<'_, Watching> {
    watching
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
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
/// folder checked — by STATUS, or by a sync each as deep as `depth` says; at the first pass
/// INBOX is left to its watcher. Returns the folder names listed, or None when the server
/// could not be asked.
async fn check_all<R: Runtime>(
    app: &AppHandle<R>,
    engine: &Engine,
    listed_before: Option<&BTreeSet<String>>,
    first: bool,
    depth: Depth,
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
    if depth != Depth::StatusOnly {
        sync_each(engine, &checked, depth, pass).await;
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
            report.log_failures();
            Some(names)
        }
        Err(error) => {
            // The server just answered LIST: a STATUS it cannot give must not leave every
            // folder unchecked. Each folder's own sync says what goes wrong with it.
            tracing::info!(%error, "folders not checked by STATUS; syncing each");
            sync_each(engine, &checked, Depth::Usual, pass).await;
            Some(names)
        }
    }
}

/// A sync of every folder in `names` (each failure is its own).
async fn sync_each(engine: &Engine, names: &[String], depth: Depth, pass: &mut Pass) {
    for name in names {
        let synced = match depth {
            Depth::Thorough => engine.sync_folder_thoroughly(name).await,
            Depth::Usual | Depth::StatusOnly => engine.sync_folder(name, None).await,
        };
        if let Err(error) = synced {
            tracing::info!(folder = %name, %error, "folder not synced now");
        }
    }
    pass.since_full = 0;
}
