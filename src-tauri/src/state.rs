//! What the app keeps between commands: the data directory, settings, the running sessions
//! (one per account), and what the window is looking at (for notifications and the tray).

use std::collections::BTreeMap;
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
    /// One running session per account, in the profile's order.
    pub sessions: tokio::sync::Mutex<Vec<Session>>,
    /// Every account's engine, in the profile's order, for commands that need no session
    /// change.
    pub engines: Mutex<Vec<Arc<Engine>>>,
    pub view: Mutex<View>,
    /// The app's one handle on the cache, shared by every engine (opened once: closing a
    /// second handle on the file would drop SQLite's locks of the first).
    cache: Mutex<Option<Arc<Mutex<mail_store::Store>>>>,
    pub demo: Option<DemoAccount>,
    pub startup_error: Mutex<Option<IpcError>>,
    /// A `mailto:` link the app was started for (or handed by a second start), until the
    /// window takes it into a compose form.
    pub pending_mailto: Mutex<Option<mail_message::Mailto>>,
    /// Wakes the task that lists the newest unread mail in the tray's menu.
    pub tray_menu_stale: Arc<tokio::sync::Notify>,
    /// The OS notifications (none without a session bus).
    notifier: Mutex<Option<Arc<crate::notifier::Notifier>>>,
    /// Becomes true once the profile's account has been opened (or found absent) at start;
    /// commands that read the account wait for it.
    started: tokio::sync::watch::Sender<bool>,
    /// Becomes true when the window has painted its first screen (`painted`).
    painted: tokio::sync::watch::Sender<bool>,
}

/// One account as the tray sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountView {
    pub connectivity: Connectivity,
    pub inbox_unread: u64,
}

impl Default for AccountView {
    fn default() -> Self {
        AccountView {
            connectivity: Connectivity::Offline,
            inbox_unread: 0,
        }
    }
}

/// What the window shows and the tray says.
#[derive(Debug, Clone, Default)]
pub struct View {
    pub window_focused: bool,
    pub folder: Option<String>,
    /// The account of `folder`; none with the unified inbox on screen (every INBOX shows),
    /// or before the window said (the first account's).
    pub account: Option<String>,
    pub unified: bool,
    /// Each account by address.
    pub accounts: BTreeMap<String, AccountView>,
}

impl View {
    /// The tray's state and count: the worst account's state, every INBOX's unread mail.
    pub fn tray(&self) -> (Connectivity, u64) {
        crate::tray::summary(
            self.accounts
                .values()
                .map(|account| (account.connectivity, account.inbox_unread)),
        )
    }

    /// Changes one account's view.
    pub fn account(&mut self, email: &str) -> &mut AccountView {
        self.accounts.entry(email.to_string()).or_default()
    }
}

impl AppState {
    pub fn new(data_dir: PathBuf, settings: SettingsDto, demo: Option<DemoAccount>) -> Self {
        let view = View {
            folder: settings.last_folder.clone(),
            account: settings.last_account.clone(),
            unified: settings.last_unified,
            ..View::default()
        };
        Self {
            data_dir,
            settings: Mutex::new(settings),
            sessions: tokio::sync::Mutex::new(Vec::new()),
            engines: Mutex::new(Vec::new()),
            view: Mutex::new(view),
            cache: Mutex::new(None),
            demo,
            startup_error: Mutex::new(None),
            pending_mailto: Mutex::new(None),
            notifier: Mutex::new(None),
            tray_menu_stale: Arc::new(tokio::sync::Notify::new()),
            started: tokio::sync::watch::Sender::new(false),
            painted: tokio::sync::watch::Sender::new(false),
        }
    }

    pub fn set_notifier(&self, notifier: Arc<crate::notifier::Notifier>) {
        if let Ok(mut slot) = self.notifier.lock() {
            *slot = Some(notifier);
        }
    }

    pub fn notifier(&self) -> Option<Arc<crate::notifier::Notifier>> {
        self.notifier.lock().ok().and_then(|slot| slot.clone())
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

    /// The cache, opened at the first call.
    pub fn cache(&self) -> Result<Arc<Mutex<mail_store::Store>>, IpcError> {
        let mut cache = self.cache.lock().map_err(|_| {
            IpcError::new(crate::dto::ErrorCode::Other, "The cache lock was poisoned")
        })?;
        if let Some(store) = cache.as_ref() {
            return Ok(store.clone());
        }
        let store = Arc::new(Mutex::new(tern_profile::open_store(Some(
            self.data_dir.clone(),
        ))?));
        *cache = Some(store.clone());
        Ok(store)
    }

    /// Runs `work` on the cache under its lock (never across an await: the engines share it).
    pub fn with_cache<T>(
        &self,
        work: impl FnOnce(&mut mail_store::Store) -> anyhow::Result<T>,
    ) -> Result<T, IpcError> {
        let cache = self.cache()?;
        let mut store = cache.lock().map_err(|_| {
            IpcError::new(crate::dto::ErrorCode::Other, "The cache lock was poisoned")
        })?;
        Ok(work(&mut store)?)
    }

    /// Lets go of the cache (to rebuild it); the next [`AppState::cache`] opens it again.
    pub fn forget_cache(&self) {
        if let Ok(mut cache) = self.cache.lock() {
            *cache = None;
        }
    }

    /// The engine of the account `email`, or why there is none.
    pub fn engine_of(&self, email: &str) -> Result<Arc<Engine>, IpcError> {
        self.engine_for(email).ok_or_else(|| {
            IpcError::new(
                crate::dto::ErrorCode::NoAccount,
                format!("There is no account {email} here (was it removed?)"),
            )
        })
    }

    /// Every account's engine, in the profile's order.
    pub fn all_engines(&self) -> Vec<Arc<Engine>> {
        self.engines
            .lock()
            .map(|engines| engines.clone())
            .unwrap_or_default()
    }

    /// The engine of the account `email`, if it runs here.
    pub fn engine_for(&self, email: &str) -> Option<Arc<Engine>> {
        self.engines.lock().ok().and_then(|engines| {
            engines
                .iter()
                .find(|engine| engine.account().email.eq_ignore_ascii_case(email))
                .cloned()
        })
    }

    pub fn settings(&self) -> SettingsDto {
        self.settings
            .lock()
            .map(|settings| settings.clone())
            .unwrap_or_default()
    }

    /// Makes `settings` the app's, and writes them next to the cache (the error says why
    /// they were not written; the app runs with them anyway).
    pub fn keep_settings(&self, settings: SettingsDto) -> anyhow::Result<()> {
        let saved = crate::settings::save(&self.data_dir, &settings);
        if let Ok(mut current) = self.settings.lock() {
            *current = settings;
        }
        saved
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
            folder: if view.unified {
                Some(crate::session::INBOX.to_string())
            } else {
                view.folder
            },
            account: match (view.unified, view.account) {
                (true, _) => None,
                (false, Some(account)) => Some(account),
                (false, None) => self
                    .all_engines()
                    .first()
                    .map(|engine| engine.account().email.clone()),
            },
            several_accounts: view.accounts.len() > 1,
        }
    }
}
