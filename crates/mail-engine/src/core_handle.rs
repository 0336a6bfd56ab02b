//! The core every service shares: the account and its settings, the cache, the event
//! broadcast, and the request connection (kept warm, probed when stale, replaced when
//! broken) with the retry every request goes through. Services hold an `Arc<Core>` and never
//! each other's internals.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use mail_store::{Account, Folder, FolderCounts, ListedFolder};
use mail_sync::FolderRole;
use tokio::sync::MutexGuard;

use crate::account::ConnectSettings;
use crate::connection::ImapConnection;
use crate::credentials::{Credentials, Secret, TokenError};
use crate::error::{EngineError, ErrorKind, Result};
use crate::events::{EngineEvent, Events};
use crate::folders::list_folders;
use crate::indexer::Indexer;
use crate::options::EngineOptions;
use crate::store_access::{with_store, SharedStore};
use crate::sync::NewMessage;

/// Counts one request waiting for the request connection while it lives (a request given
/// up while waiting is no longer counted).
struct Waiting<'a>(&'a std::sync::atomic::AtomicUsize);

impl<'a> Waiting<'a> {
    fn on(count: &'a std::sync::atomic::AtomicUsize) -> Waiting<'a> {
        count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Waiting(count)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// A unit of work on the request connection: attempt number `u32` (1, 2, …) on a connection
/// known alive, with a context `S` the work may borrow.
pub(crate) type Work<'c, T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'c>>;

pub(crate) struct Core {
    store: SharedStore,
    account: Account,
    settings: ConnectSettings,
    credentials: Credentials,
    options: EngineOptions,
    connection: tokio::sync::Mutex<Option<ImapConnection>>,
    events: Events,
    /// The cache says the OAuth2 sign-in is gone (kept in step with it).
    sign_in_needed: std::sync::atomic::AtomicBool,
    /// The background indexer, started at its first wake inside a Tokio runtime.
    indexer: std::sync::OnceLock<Indexer>,
    /// Requests waiting for the request connection (a long download yields to them).
    waiting: std::sync::atomic::AtomicUsize,
}

impl Core {
    pub(crate) fn new(
        store: SharedStore,
        account: Account,
        credentials: Credentials,
        options: EngineOptions,
    ) -> Core {
        Core {
            settings: ConnectSettings::from_account(&account),
            sign_in_needed: std::sync::atomic::AtomicBool::new(account.sign_in_needed),
            store,
            account,
            credentials,
            options,
            connection: tokio::sync::Mutex::new(None),
            events: Events::default(),
            indexer: std::sync::OnceLock::new(),
            waiting: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    /// Whether another request waits for the request connection: work that holds it long
    /// (a body download) finishes what is in flight and lets it go.
    pub(crate) fn others_wait(&self) -> bool {
        self.waiting.load(std::sync::atomic::Ordering::SeqCst) > 0
    }

    /// Wakes the background indexer (started on first use): new and changed messages
    /// become searchable soon, in small batches that never hold the cache long.
    pub(crate) fn index_in_background(&self) {
        if self.indexer.get().is_none() {
            // Outside a Tokio runtime (a blocking caller) nothing starts: a later wake will.
            let Some(started) = Indexer::spawn(
                self.store.clone(),
                self.events.clone(),
                self.account.email.clone(),
            ) else {
                return;
            };
            if let Err(extra) = self.indexer.set(started) {
                extra.stop();
            }
        }
        if let Some(indexer) = self.indexer.get() {
            indexer.wake();
        }
    }

    /// Ends the background indexer after its current batch.
    pub(crate) fn stop_indexer(&self) {
        if let Some(indexer) = self.indexer.get() {
            indexer.stop();
        }
    }

    pub(crate) fn account(&self) -> &Account {
        &self.account
    }

    pub(crate) fn store(&self) -> &SharedStore {
        &self.store
    }

    pub(crate) fn options(&self) -> EngineOptions {
        self.options
    }

    /// What the next login presents: the password, or an access token (a fresh one when
    /// `refresh`: the last was refused).
    pub(crate) async fn secret(&self, refresh: bool) -> Result<Secret> {
        match &self.credentials {
            Credentials::Password(password) => Ok(Secret::Password(password.clone())),
            Credentials::OAuth2 { tokens, mechanism } => {
                let token = tokens.access_token(refresh).await.map_err(|error| {
                    let kind = match error {
                        TokenError::SignInNeeded(_) => ErrorKind::SignInNeeded,
                        TokenError::Unavailable(_) => ErrorKind::Network,
                    };
                    EngineError::new(
                        kind,
                        format!("Signing in to {}: {error}", self.account.email),
                    )
                })?;
                Ok(Secret::Bearer {
                    token,
                    mechanism: *mechanism,
                })
            }
        }
    }

    /// Whether the account signs in with OAuth2 (a refused token is worth one refresh).
    pub(crate) fn uses_oauth2(&self) -> bool {
        matches!(self.credentials, Credentials::OAuth2 { .. })
    }

    pub(crate) fn events(&self) -> &Events {
        &self.events
    }

    pub(crate) fn send(&self, event: EngineEvent) {
        self.events.send(event);
    }

    /// Tells subscribers a folder's cached contents changed.
    pub(crate) fn folder_changed(&self, folder: &str, change: FolderChange) {
        self.send(EngineEvent::FolderChanged {
            account: self.account.email.clone(),
            folder: folder.to_string(),
            added: change.added,
            removed: change.removed,
            flags_changed: change.flags_changed,
            resync: change.resync,
            total: change.total,
            unread: change.unread,
        });
    }

    /// Announces the unread ones of `messages` as new mail in `folder`.
    pub(crate) fn new_mail(&self, folder: &str, messages: &[NewMessage]) {
        for message in messages.iter().filter(|message| !message.seen) {
            self.send(EngineEvent::NewMail {
                account: self.account.email.clone(),
                folder: folder.to_string(),
                uid: message.uid,
                from: message.from.clone(),
                from_address: message.from_address.clone(),
                subject: message.subject.clone(),
            });
        }
    }

    /// Tells subscribers how many actions wait for the server now.
    pub(crate) fn pending_changed(&self) {
        let account = self.account.id;
        if let Ok(pending) = with_store(&self.store, |store| store.pending_count(account)) {
            self.send(EngineEvent::PendingChanged {
                account: self.account.email.clone(),
                pending,
            });
        }
    }

    /// Opens a new connection with this account's settings (not the shared request connection).
    /// With OAuth2, a refused token is refreshed once (it may have expired or been revoked);
    /// a refused fresh one means the person must sign in again.
    pub(crate) async fn open_connection(&self) -> Result<ImapConnection> {
        let opened = self.sign_in_and_connect().await;
        self.note_sign_in(&opened);
        opened
    }

    /// Keeps the cache's "sign-in needed" mark in step with what the last login found.
    fn note_sign_in(&self, opened: &Result<ImapConnection>) {
        use std::sync::atomic::Ordering;
        let needed = match opened {
            Ok(_) => false,
            Err(error) if error.kind == ErrorKind::SignInNeeded => true,
            Err(_) => return,
        };
        if self.sign_in_needed.swap(needed, Ordering::SeqCst) == needed {
            return;
        }
        let account = self.account.id;
        if let Err(error) = with_store(&self.store, |store| {
            store.set_sign_in_needed(account, needed)
        }) {
            tracing::warn!(%error, "could not record the account's sign-in state");
        }
    }

    async fn sign_in_and_connect(&self) -> Result<ImapConnection> {
        let timeouts = self.options.timeouts;
        let secret = self.secret(false).await?;
        match ImapConnection::connect_with(&self.settings, &secret, timeouts).await {
            Err(error) if error.kind == ErrorKind::Authentication && self.uses_oauth2() => {
                tracing::info!(account = %self.account.email, "access token refused; refreshing it once");
                let fresh = self.secret(true).await?;
                ImapConnection::connect_with(&self.settings, &fresh, timeouts)
                    .await
                    .map_err(|error| match error.kind {
                        ErrorKind::Authentication => EngineError::new(
                            ErrorKind::SignInNeeded,
                            format!("{error} (even with a fresh access token: sign in again)"),
                        ),
                        _ => error,
                    })
            }
            other => other,
        }
    }

    /// The request connection, connected and known alive: used without a probe when it
    /// answered within the freshness window, otherwise probed with NOOP and replaced if dead.
    async fn request_connection(&self) -> Result<MutexGuard<'_, Option<ImapConnection>>> {
        let waiting = Waiting::on(&self.waiting);
        let mut guard = self.connection.lock().await;
        drop(waiting);
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
    pub(crate) async fn keepalive(&self) -> Result<()> {
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

    /// Keeps the request connection warm until the core is dropped.
    pub(crate) fn spawn_keepalive(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let weak = Arc::downgrade(self);
        let interval = self.options.keepalive_interval;
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval((interval / 2).max(Duration::from_secs(1)));
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticker.tick().await;
                let Some(core) = weak.upgrade() else { return };
                let _ = core.keepalive().await;
            }
        })
    }

    /// Logs the request connection out politely.
    pub(crate) async fn close(&self) {
        if let Some(connection) = self.connection.lock().await.take() {
            connection.logout().await;
        }
    }

    /// Runs `work` on the request connection (attempt 1, 2, …); after a connection failure,
    /// again on a fresh connection, up to `attempts` times.
    pub(crate) async fn with_retry<T>(
        &self,
        attempts: u32,
        work: impl for<'c> Fn(&'c mut ImapConnection, u32) -> Work<'c, T>,
    ) -> Result<T> {
        self.with_retry_for(&(), attempts, |_, connection, attempt| {
            work(connection, attempt)
        })
        .await
    }

    /// [`Self::with_retry`] for work that borrows `context` (a service running its steps).
    pub(crate) async fn with_retry_for<S: Sync + ?Sized, T>(
        &self,
        context: &S,
        attempts: u32,
        work: impl for<'c> Fn(&'c S, &'c mut ImapConnection, u32) -> Work<'c, T>,
    ) -> Result<T> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut guard = self.request_connection().await?;
            let Some(connection) = guard.as_mut() else {
                return Err(EngineError::new(ErrorKind::Other, "No request connection"));
            };
            match work(context, connection, attempt).await {
                Ok(value) => return Ok(value),
                Err(error) => {
                    if let Some(error) = give_up_or_retry(&mut guard, error, attempt, attempts) {
                        return Err(error);
                    }
                }
            }
        }
    }

    /// LISTs the folders and makes the cached folder list equal to it.
    pub(crate) async fn refresh_folders(&self) -> Result<Vec<ListedFolder>> {
        let listed = self
            .with_retry(2, |connection, _| {
                Box::pin(async move { list_folders(connection).await })
            })
            .await?;
        let account = self.account.id;
        with_store(&self.store, |store| store.replace_folders(account, &listed))?;
        Ok(listed)
    }

    /// The cached folder named `name` (no network).
    pub(crate) fn cached_folder(&self, name: &str) -> Result<Folder> {
        let account = self.account.id;
        with_store(&self.store, |store| store.folder_by_name(account, name))?.ok_or_else(|| {
            EngineError::new(
                ErrorKind::Other,
                format!("There is no folder named {name} in the cache"),
            )
        })
    }

    /// The cached folder named `name`, LISTing the server first if it is not known yet.
    pub(crate) async fn folder(&self, name: &str) -> Result<Folder> {
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

    /// The cached selectable folder with `role` (\\Sent, \\Drafts, \\Archive, …).
    pub(crate) fn cached_folder_with_role(&self, role: FolderRole) -> Result<Option<Folder>> {
        let account = self.account.id;
        Ok(with_store(&self.store, |store| store.folders(account))?
            .into_iter()
            .find(|folder| folder.role == Some(role) && folder.selectable))
    }

    /// Like [`Self::cached_folder_with_role`], but a profile that never listed its folders
    /// (a first `tern send`) lists them now. None when the server marks no such folder.
    pub(crate) async fn listed_folder_with_role(&self, role: FolderRole) -> Result<Option<Folder>> {
        if let Some(folder) = self.cached_folder_with_role(role)? {
            return Ok(Some(folder));
        }
        self.refresh_folders().await?;
        self.cached_folder_with_role(role)
    }
}

/// How a folder's cached contents changed, and its counts afterwards: a `folder_changed`
/// event.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct FolderChange {
    pub added: usize,
    pub removed: usize,
    pub flags_changed: usize,
    pub resync: bool,
    pub total: usize,
    pub unread: usize,
}

impl FolderChange {
    /// A change to a folder now holding `counts`.
    pub(crate) fn counted(counts: FolderCounts) -> FolderChange {
        FolderChange {
            total: counts.count,
            unread: counts.unread,
            ..FolderChange::default()
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
