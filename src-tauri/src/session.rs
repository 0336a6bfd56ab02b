//! A running account: its engine, the watchers (INBOX always, plus the folder on screen),
//! and the background work (event forwarding, keepalive, first syncs, body prefetch).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use mail_engine::{Engine, EngineOptions, Password, WatchSubscription};
use tauri::{AppHandle, Emitter, Runtime};
use tokio::task::JoinHandle;

use crate::dto::{AppEvent, IpcError};
use crate::forward;

pub const INBOX: &str = "INBOX";

pub struct Session {
    pub engine: Arc<Engine>,
    inbox: Option<WatchSubscription>,
    visible: Option<(String, WatchSubscription)>,
    tasks: Vec<JoinHandle<()>>,
}

/// Opens the profile's account. Without a password (no keyring) the cache still shows and
/// actions still queue; the error says why nothing reaches the server.
pub async fn open_engine(
    data_dir: &std::path::Path,
) -> anyhow::Result<Option<(Arc<Engine>, Option<IpcError>)>> {
    let store = tern_profile::open_store(Some(data_dir.to_path_buf()))?;
    let Some(account) = store.accounts()?.into_iter().next() else {
        return Ok(None);
    };
    let (password, problem) = match tern_profile::password_for(&account).await {
        Ok(password) => (password, None),
        Err(error) => {
            tracing::warn!(account = %account.email, error = %format!("{error:#}"), "no password; showing the cache only");
            (Password::new(""), Some(IpcError::from(error)))
        }
    };
    let engine = Arc::new(Engine::new(
        Arc::new(Mutex::new(store)),
        account,
        password,
        EngineOptions::default(),
    ));
    Ok(Some((engine, problem)))
}

impl Session {
    /// Starts forwarding events, then (with a password) watching INBOX and `visible`,
    /// listing folders, first-syncing them and prefetching recent INBOX bodies.
    pub fn start<R: Runtime>(
        app: &AppHandle<R>,
        engine: Arc<Engine>,
        online: bool,
        visible: Option<String>,
    ) -> Self {
        // Subscribe before anything runs: events sent before subscribing are lost.
        let mut tasks = vec![forward::spawn(app.clone(), engine.subscribe())];
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
            tasks: Vec::new(),
        };
        if online {
            session.inbox = Some(engine.watch(INBOX));
            if let Some(folder) = visible {
                session.show_folder(&folder);
            }
            tasks.push(engine.spawn_keepalive());
            tasks.push(tokio::spawn(first_syncs(app.clone(), engine)));
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

    /// Stops the watchers and background work and logs out.
    pub async fn stop(mut self) {
        self.inbox = None;
        self.visible = None;
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

/// Lists the folders (telling the window), then syncs every folder not synced yet (INBOX is
/// synced by its watcher), and keeps recent INBOX bodies for offline reading.
async fn first_syncs<R: Runtime>(app: AppHandle<R>, engine: Arc<Engine>) {
    let folders = match engine.refresh_folders().await {
        Ok(folders) => folders,
        Err(error) => {
            tracing::info!(%error, "folders not listed now; the watchers keep trying");
            return;
        }
    };
    let _ = app.emit(forward::EVENT, AppEvent::Reload);
    for folder in folders {
        if folder.name.eq_ignore_ascii_case(INBOX) || !folder.selectable {
            continue;
        }
        if let Err(error) = engine.sync_folder(&folder.name, None).await {
            tracing::info!(folder = %folder.name, %error, "folder not synced now");
        }
    }
    if let Err(error) = engine.prefetch_bodies(INBOX, 30).await {
        tracing::info!(%error, "bodies not prefetched");
    }
}
