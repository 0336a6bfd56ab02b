//! The public `Engine`: a thin facade over one account's services — folder sync, watchers,
//! actions, reading, the composer's help, drafts and the outbox — which share a core (the
//! cache, the events, the request connection). The CLI and the app use only this.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mail_message::{Address, Draft};
use mail_store::{
    Account, DraftId, Folder, IndexProgress, KnownAddress, ListedFolder, OutboxEntry, OutboxId,
    PendingOp, SearchHit, SmtpServer, Store,
};
use mail_sync::{OfflinePolicy, Strategy};

use crate::actions::{Action, ActionReport, Actions, ReplayReport};
use crate::announcing::Announcing;
use crate::compose::{Compose, DraftStart};
use crate::connection::ImapConnection;
use crate::core_handle::Core;
use crate::credentials::Credentials;
use crate::drafts::Drafts;
use crate::error::Result;
use crate::events::EngineEvent;
use crate::identity;
use crate::options::EngineOptions;
use crate::outbox::{self, DrainReport, Outbox, OutboxWorker, QueuedMessage};
use crate::reading::{Conversation, MessagePage, OpenedMessage, PrefetchReport, Reading, Snapshot};
use crate::sync::{CheckReport, Depth, FolderSync, SyncReport};
use crate::watch::{WatchSubscription, Watchers};

/// One account's engine. Cheap to share behind an `Arc`; every method takes `&self`.
pub struct Engine {
    core: Arc<Core>,
    actions: Arc<Actions>,
    sync: Arc<FolderSync>,
    watchers: Arc<Watchers>,
    reading: Arc<Reading>,
    compose: Compose,
    outbox: Arc<Outbox>,
    drafts: Arc<Drafts>,
}

impl Engine {
    pub fn new(
        store: Arc<Mutex<Store>>,
        account: Account,
        credentials: impl Into<Credentials>,
        options: EngineOptions,
    ) -> Self {
        let core = Arc::new(Core::new(store, account, credentials.into(), options));
        let announcing = Announcing::default();
        let actions = Arc::new(Actions::new(core.clone()));
        let sync = Arc::new(FolderSync::new(
            core.clone(),
            actions.clone(),
            announcing.clone(),
        ));
        let watchers = Arc::new(Watchers::new(core.clone(), sync.clone(), announcing));
        let reading = Arc::new(Reading::new(core.clone()));
        let outbox = Arc::new(Outbox::new(core.clone()));
        Engine {
            compose: Compose::new(core.clone(), reading.clone()),
            drafts: Arc::new(Drafts::new(core.clone(), reading.clone(), outbox.clone())),
            core,
            actions,
            sync,
            watchers,
            reading,
            outbox,
        }
    }

    pub fn options(&self) -> EngineOptions {
        self.core.options()
    }

    pub fn account(&self) -> &Account {
        self.core.account()
    }

    pub fn store(&self) -> &Arc<Mutex<Store>> {
        self.core.store()
    }

    /// A new subscriber to every event sent from now on.
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<EngineEvent> {
        self.core.events().subscribe()
    }

    // --- Connections ---

    /// Opens a new connection with this account's settings (not the shared request connection).
    pub async fn open_connection(&self) -> Result<ImapConnection> {
        self.core.open_connection().await
    }

    /// Sends NOOP on the request connection when it has been idle for the keepalive interval.
    pub async fn keepalive(&self) -> Result<()> {
        self.core.keepalive().await
    }

    /// Keeps the request connection warm until the engine is dropped.
    pub fn spawn_keepalive(&self) -> tokio::task::JoinHandle<()> {
        self.core.spawn_keepalive()
    }

    /// Stops every watcher (waiting a few seconds for them to log out) and closes the
    /// request connection politely.
    pub async fn shutdown(&self) {
        let limit = self.core.options().idle_done_timeout + Duration::from_secs(1);
        self.watchers.stop_all(limit).await;
        self.core.stop_indexer();
        self.core.close().await;
    }

    // --- Folders and sync ---

    /// LISTs the folders and makes the cached folder list equal to it.
    pub async fn refresh_folders(&self) -> Result<Vec<ListedFolder>> {
        self.core.refresh_folders().await
    }

    /// The cached folder named `name`, LISTing the server first if it is not known yet.
    pub async fn folder(&self, name: &str) -> Result<Folder> {
        self.core.folder(name).await
    }

    /// Initial or delta sync of one folder. `forced` picks a strategy (degraded to what the
    /// server can do); `Some(Strategy::Initial)` drops the folder's cache and fetches it again.
    pub async fn sync_folder(&self, name: &str, forced: Option<Strategy>) -> Result<SyncReport> {
        self.sync.sync_folder(name, forced).await
    }

    /// A delta sync that, on a server without CONDSTORE, fetches every message's flags
    /// (a usual one fetches the newest messages' and every message's every
    /// `mail_sync::FULL_FLAGS_EVERY`): "Check mail now".
    pub async fn sync_folder_thoroughly(&self, name: &str) -> Result<SyncReport> {
        self.sync.sync_folder_to(name, None, Depth::Thorough).await
    }

    /// Checks `names` at once (their STATUS in one round trip) and syncs only the folders
    /// whose status changed. Without CONDSTORE a flag change that keeps the unread count is
    /// not seen: sync every folder (`sync_folder`) now and then too.
    pub async fn check_folders(&self, names: &[String]) -> Result<CheckReport> {
        self.sync.check_folders(names).await
    }

    // --- Watching ---

    /// Watches `folder` (pushes become delta syncs and events) until the returned
    /// subscription is dropped. Subscribers of one folder share one IDLE connection.
    /// Watching starts the replay worker too.
    pub fn watch(&self, folder: &str) -> WatchSubscription {
        self.actions.spawn_replayer();
        self.watchers.watch(folder)
    }

    /// Watches `selected` (the folder on screen) with IDLE and, where the server offers
    /// NOTIFY (RFC 5465), every other folder on the same one connection: their changes are
    /// delta-synced as they are reported, and arrivals in `announced` become `new_mail`.
    /// Where the server has no NOTIFY this watches `selected` alone (see
    /// [`Engine::check_capabilities`] to plan for that).
    pub fn watch_with_notify(&self, selected: &str, announced: &[String]) -> WatchSubscription {
        self.actions.spawn_replayer();
        self.watchers.watch_with_notify(selected, announced)
    }

    /// What the server offers for watching and checking many folders (NOTIFY, LIST-STATUS,
    /// CONDSTORE), asked on the request connection.
    pub async fn check_capabilities(&self) -> Result<mail_sync::CheckCapabilities> {
        self.core
            .with_retry_for(&(), 2, |_, connection, _| {
                Box::pin(async move { Ok(crate::folder_status::check_capabilities(connection)) })
            })
            .await
    }

    /// How many subscribers share the watcher of `folder` (0: not watched).
    pub fn watch_subscribers(&self, folder: &str) -> usize {
        self.watchers.subscribers(folder)
    }

    /// The network changed or the machine woke up: every watcher reconnects now instead of
    /// waiting for its connection to time out. (The desktop app calls this on OS signals;
    /// the engine itself does when the clock jumps.)
    pub fn network_changed(&self) {
        self.watchers.network_changed();
    }

    /// When the last push (an IDLE notice) for `folder` arrived, if any.
    pub fn last_push_at(&self, folder: &str) -> Option<Instant> {
        self.watchers.last_push_at(folder)
    }

    // --- Actions ---

    /// Applies `action` to messages `uids` of `folder` in the cache and queues it for the
    /// server, in one transaction: the change is visible at once and survives a crash. Works
    /// offline; call [`Engine::replay_pending`] to send it (syncs and watchers replay too).
    pub fn act(&self, folder: &str, uids: &[u64], action: &Action) -> Result<ActionReport> {
        self.actions.act(folder, uids, action)
    }

    /// Operations waiting for the server, oldest first.
    pub fn pending(&self) -> Result<Vec<PendingOp>> {
        self.actions.pending()
    }

    /// Sends every pending operation to the server (on the request connection). Connection
    /// failures leave the rest queued and are returned; refusals and vanished messages drop
    /// their operations with an `action_dropped` event.
    pub async fn replay_pending(&self) -> Result<ReplayReport> {
        self.actions.replay_pending().await
    }

    /// Starts (once) the worker that replays actions as soon as they are made. Watching
    /// starts it; a long-running app may start it itself.
    pub fn spawn_replayer(&self) {
        self.actions.spawn_replayer();
    }

    // --- Reading ---

    /// The account's state from the cache (no network).
    pub fn snapshot(&self) -> Result<Snapshot> {
        self.reading.snapshot(self.watchers.connectivity_now())
    }

    /// `limit` messages of `folder` from position `offset` (newest first), cache only.
    pub fn message_page(&self, folder: &str, offset: u32, limit: u32) -> Result<MessagePage> {
        self.reading.message_page(folder, offset, limit)
    }

    /// Opens a message for reading: the cached body at once, or fetched with BODY.PEEK[]
    /// (opening never marks it read on the server; that is [`crate::Action::MarkRead`]).
    /// Remote content loads when `allow_remote` (this message) or when its sender is allowed
    /// ([`Engine::allow_remote_content_from`]).
    pub async fn open_message(
        &self,
        folder: &str,
        uid: u64,
        allow_remote: bool,
    ) -> Result<OpenedMessage> {
        self.reading.open_message(folder, uid, allow_remote).await
    }

    /// Lets (or stops letting) messages from `sender` load remote content when opened.
    pub fn allow_remote_content_from(&self, sender: &str, allowed: bool) -> Result<()> {
        self.reading.allow_remote_content_from(sender, allowed)
    }

    /// Writes attachment `index` of a message to `path` (a directory gets the attachment's
    /// safe name). An existing file is never replaced unless `overwrite`. Returns the path
    /// written.
    pub async fn save_attachment(
        &self,
        folder: &str,
        uid: u64,
        index: usize,
        path: &Path,
        overwrite: bool,
    ) -> Result<PathBuf> {
        self.reading
            .save_attachment(folder, uid, index, path, overwrite)
            .await
    }

    /// Fetches and caches the bodies of `folder`'s messages that arrived in the last `days`
    /// days, newest first, in small batches, then evicts down to the budget.
    pub async fn prefetch_bodies(&self, folder: &str, days: u32) -> Result<PrefetchReport> {
        self.reading.prefetch_bodies(folder, days).await
    }

    /// Keeps bodies offline in every folder (or those named in `only`) as `policy` says
    /// (`None`: the account's offline policy), INBOX first, newest first in each, with
    /// `sync_progress` events (phase `bodies`); messages beyond the account's size limit keep
    /// their text.
    pub async fn keep_offline(
        &self,
        policy: Option<OfflinePolicy>,
        only: Option<&[String]>,
    ) -> Result<PrefetchReport> {
        self.reading.keep_offline(policy, only).await
    }

    /// Gives cached messages without a kept body the message list's preview (the first bytes
    /// of their text, never marking them read), newest first, INBOX first; at most
    /// `per_folder` of each folder (`None`: all), only the folders in `only` if given.
    /// Returns how many got one.
    pub async fn fill_previews(
        &self,
        per_folder: Option<usize>,
        only: Option<&[String]>,
    ) -> Result<usize> {
        self.reading.fill_all_previews(per_folder, only).await
    }

    /// Brings the search index up to date with the cache (all of it, now).
    pub fn index_for_search(&self) -> Result<usize> {
        self.reading.index_for_search()
    }

    /// Wakes the background indexer: what syncs and body downloads brought becomes
    /// searchable in small batches (`sync_progress` events, phase `indexing`). Needs a Tokio
    /// runtime; outside one nothing starts.
    pub fn index_in_background(&self) {
        self.reading.index_in_background();
    }

    /// How far the search index is behind the cache.
    pub fn index_progress(&self) -> Result<IndexProgress> {
        self.reading.index_progress()
    }

    /// Searches the cached messages of the account (offline): every word, the last as a
    /// prefix; best first, newest first among equals. Indexes what waits for at most
    /// `EngineOptions::search_indexes_for` first and leaves the rest to the background indexer:
    /// [`Engine::index_progress`] says whether the answer covers everything.
    pub fn search(&self, query: &str, limit: u32) -> Result<Vec<SearchHit>> {
        Ok(self.reading.search(query, limit)?.hits)
    }

    /// [`Engine::search`] that also says how far the index was when the hits were found.
    pub fn search_indexed(&self, query: &str, limit: u32) -> Result<crate::Searched> {
        self.reading.search(query, limit)
    }

    /// The conversations that have at least one message in `folder`, newest activity first.
    pub fn threads(&self, folder: &str) -> Result<Vec<Conversation>> {
        self.reading.threads(folder)
    }

    // --- Composing ---

    /// Who the account's mail is from: its display name and address.
    pub fn identity(&self) -> Result<Address> {
        identity::identity(&self.core)
    }

    /// The account's SMTP server, or a clear error when none is set.
    pub fn smtp_server(&self) -> Result<SmtpServer> {
        identity::smtp_server(&self.core)
    }

    /// The draft a new message, reply, reply-all or forward starts as (from the account;
    /// its signature under the room for the person's words and above any quote when
    /// `signed`).
    pub async fn start_draft(&self, start: &DraftStart, signed: bool) -> Result<Draft> {
        self.compose.start_draft(start, signed).await
    }

    /// Addresses from the cache for completing To/Cc/Bcc, most frequent first.
    pub fn address_suggestions(&self, prefix: &str, limit: usize) -> Result<Vec<KnownAddress>> {
        self.compose.address_suggestions(prefix, limit)
    }

    // --- Drafts ---

    /// Saves a draft locally (a new one, or a new version of `id`); the outbox worker copies
    /// it to the Drafts folder. Returns its id.
    pub fn save_draft(&self, id: Option<DraftId>, draft: &Draft) -> Result<DraftId> {
        self.drafts.save_draft(id, draft)
    }

    pub fn load_draft(&self, id: DraftId) -> Result<Draft> {
        self.drafts.load_draft(id)
    }

    /// Drops a draft here and (soon) its copy in the Drafts folder.
    pub fn discard_draft(&self, id: DraftId) -> Result<()> {
        self.drafts.discard_draft(id)
    }

    /// Sends a draft: into the outbox first, then the draft (and its server copy) goes.
    pub fn send_draft(&self, id: DraftId, draft: &Draft) -> Result<QueuedMessage> {
        self.drafts.send_draft(id, draft)
    }

    /// A message in a Drafts folder as a draft to continue.
    pub async fn draft_from_message(&self, folder: &str, uid: u64) -> Result<(DraftId, Draft)> {
        self.drafts.draft_from_message(folder, uid).await
    }

    /// A message of the outbox that was not sent, taken back for editing as a draft.
    pub fn edit_outgoing(&self, id: OutboxId) -> Result<(DraftId, Draft)> {
        self.drafts.edit_outgoing(id)
    }

    /// Copies new draft versions to the Drafts folder and removes the copies they replace.
    /// Returns how many copies changed.
    pub async fn sync_drafts(&self) -> Result<usize> {
        self.drafts.sync_drafts().await
    }

    // --- Outbox ---

    /// Builds `draft` (From = the account) and writes it to the outbox, durably, due now.
    /// Sending happens in [`Engine::drain_outbox`] (at once when a drainer is running).
    pub fn queue_message(&self, draft: &Draft) -> Result<QueuedMessage> {
        self.outbox.queue_message(draft)
    }

    /// The account's outbox, oldest first.
    pub fn outbox(&self) -> Result<Vec<OutboxEntry>> {
        self.outbox.outbox()
    }

    /// Puts a failed or uncertain message back in the queue, due now (the user's decision).
    pub fn retry_outgoing(&self, id: OutboxId) -> Result<()> {
        self.outbox.retry_outgoing(id)
    }

    /// Removes a message that is not being sent.
    pub fn discard_outgoing(&self, id: OutboxId) -> Result<()> {
        self.outbox.discard_outgoing(id)
    }

    /// Sends what is due (everything queued when `force`), then saves Sent copies. Returns
    /// at once with `busy` when another process holds the outbox.
    pub async fn drain_outbox(&self, force: bool) -> Result<DrainReport> {
        self.outbox.drain_outbox(force).await
    }

    /// Appends sent messages to the Sent folder. Returns how many copies are now in Sent.
    pub async fn save_sent_copies(&self) -> Result<usize> {
        self.outbox.save_sent_copies().await
    }

    /// Drains the outbox in the background (and keeps draft copies current) until stopped.
    pub fn spawn_outbox(&self) -> OutboxWorker {
        outbox::spawn_worker(self.outbox.clone(), self.drafts.clone())
    }

    /// Wakes the background drainer (for example when the network is back).
    pub fn wake_outbox(&self) {
        self.outbox.wake();
    }
}
