//! What the app keeps between commands: the data directory, settings, the running account
//! session, and what the window is looking at (for notifications and the tray).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use mail_engine::Engine;

use crate::demo::DemoAccount;
use crate::dto::{Connectivity, IpcError, SettingsDto};
use crate::notify::Attention;
use crate::session::Session;

pub struct AppState {
    pub data_dir: PathBuf,
    pub settings: Mutex<SettingsDto>,
    pub session: tokio::sync::Mutex<Option<Session>>,
    /// The engine of the running session, for commands that need no session change.
    pub engine: Mutex<Option<Arc<Engine>>>,
    pub view: Mutex<View>,
    pub demo: Option<DemoAccount>,
    pub startup_error: Mutex<Option<IpcError>>,
    /// Becomes true once the profile's account has been opened (or found absent) at start;
    /// commands that read the account wait for it.
    started: tokio::sync::watch::Sender<bool>,
    /// Becomes true when the window has painted its first screen (`painted`).
    painted: tokio::sync::watch::Sender<bool>,
}

/// What the window shows and the tray says.
#[derive(Debug, Clone)]
pub struct View {
    pub window_focused: bool,
    pub folder: Option<String>,
    pub connectivity: Connectivity,
    pub inbox_unread: u64,
}

impl Default for View {
    fn default() -> Self {
        Self {
            window_focused: false,
            folder: None,
            connectivity: Connectivity::Offline,
            inbox_unread: 0,
        }
    }
}

impl AppState {
    pub fn new(data_dir: PathBuf, settings: SettingsDto, demo: Option<DemoAccount>) -> Self {
        let view = View {
            folder: settings.last_folder.clone(),
            ..View::default()
        };
        Self {
            data_dir,
            settings: Mutex::new(settings),
            session: tokio::sync::Mutex::new(None),
            engine: Mutex::new(None),
            view: Mutex::new(view),
            demo,
            startup_error: Mutex::new(None),
            started: tokio::sync::watch::Sender::new(false),
            painted: tokio::sync::watch::Sender::new(false),
        }
    }

    pub fn mark_started(&self) {
        self.started.send_replace(true);
    }

    /// Waits until start-up has opened the account (or found none).
    pub async fn wait_started(&self) {
        let mut started = self.started.subscribe();
        let _ = started.wait_for(|started| *started).await;
    }

    pub fn mark_painted(&self) {
        self.painted
            .send_if_modified(|painted| !std::mem::replace(painted, true));
    }

    /// Waits until the window has painted its first screen, or `at_most`.
    pub async fn wait_painted(&self, at_most: std::time::Duration) {
        let mut painted = self.painted.subscribe();
        let _ = tokio::time::timeout(at_most, painted.wait_for(|painted| *painted)).await;
    }

    pub fn engine(&self) -> Result<Arc<Engine>, IpcError> {
        self.engine
            .lock()
            .ok()
            .and_then(|engine| engine.clone())
            .ok_or_else(|| {
                IpcError::new(
                    crate::dto::ErrorCode::NoAccount,
                    "No account yet: add one first",
                )
            })
    }

    pub fn settings(&self) -> SettingsDto {
        self.settings
            .lock()
            .map(|settings| settings.clone())
            .unwrap_or_default()
    }

    pub fn view(&self) -> View {
        self.view
            .lock()
            .map(|view| view.clone())
            .unwrap_or_default()
    }

    pub fn update_view(&self, change: impl FnOnce(&mut View)) -> View {
        match self.view.lock() {
            Ok(mut view) => {
                change(&mut view);
                view.clone()
            }
            Err(_) => View::default(),
        }
    }

    pub fn attention(&self) -> Attention {
        let view = self.view();
        Attention {
            enabled: self.settings().notifications,
            window_focused: view.window_focused,
            folder: view.folder,
        }
    }
}
