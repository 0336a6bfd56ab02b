//! The actions service: user actions on messages (mark read, flag, move, archive, delete)
//! applied to the cache at once and queued durably ([`Actions::act`]), replayed on the
//! server by a worker it wakes (see `replay.rs`); batches planned by the pure `batch.rs`.

mod batch;
mod replay;

use std::sync::{Arc, OnceLock};

use mail_store::{Folder, PendingKind, PendingOp};
use mail_sync::flags::{FLAGGED, SEEN};
use mail_sync::{gmail, FolderRole};
use serde::Serialize;

pub use replay::ReplayReport;

use tokio::sync::Notify;

use crate::core_handle::{Core, FolderChange};
use crate::error::{EngineError, ErrorKind, Result};
use crate::events::EngineEvent;
use crate::store_access::{unix_now, with_store};

/// What a user can do to messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    MarkRead,
    MarkUnread,
    Flag,
    Unflag,
    /// Move to the named folder.
    Move {
        to: String,
    },
    /// Move to the account's Archive folder.
    Archive,
    /// Move to Trash; in Trash, remove for good.
    Delete,
}

/// What [`Actions::act`] did to the cache.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ActionReport {
    pub folder: String,
    /// Where moved messages went (move, archive, delete to Trash).
    pub target: Option<String>,
    /// Messages changed (each queued for the server).
    pub changed: Vec<u64>,
    /// Messages already as asked (nothing queued).
    pub unchanged: Vec<u64>,
    /// UIDs not in the cached folder.
    pub missing: Vec<u64>,
    /// Moved messages' local UIDs in the target folder, until the server names them.
    pub moved: Vec<(u64, u64)>,
    /// Operations waiting for the server, account-wide, after this action.
    pub pending: usize,
}

/// The name events and `tern pending` use for an operation.
pub fn action_name(kind: &PendingKind) -> &'static str {
    match kind {
        PendingKind::AddFlag(flag) if flag == SEEN => "mark_read",
        PendingKind::RemoveFlag(flag) if flag == SEEN => "mark_unread",
        PendingKind::AddFlag(flag) if flag == FLAGGED => "flag",
        PendingKind::RemoveFlag(flag) if flag == FLAGGED => "unflag",
        PendingKind::AddFlag(_) => "add_flag",
        PendingKind::RemoveFlag(_) => "remove_flag",
        PendingKind::Move { .. } => "move",
        PendingKind::Expunge => "delete",
    }
}

/// Queues user actions and replays them.
pub(crate) struct Actions {
    core: Arc<Core>,
    /// Wakes the replay worker (started once) after an action.
    wake: Arc<Notify>,
    replayer: OnceLock<()>,
}

impl Actions {
    pub(crate) fn new(core: Arc<Core>) -> Self {
        Actions {
            core,
            wake: Arc::new(Notify::new()),
            replayer: OnceLock::new(),
        }
    }

    /// Whether the account's server is Gmail (its messages carry X-GM-MSGIDs).
    fn is_gmail(&self) -> Result<bool> {
        let account = self.core.account().id;
        with_store(self.core.store(), |store| store.has_gmail_ids(account))
    }

    fn folder_with_role(&self, role: FolderRole, what: &str) -> Result<Folder> {
        self.core.cached_folder_with_role(role)?.ok_or_else(|| {
            EngineError::new(
                ErrorKind::Other,
                format!("The account has no {what} folder; use move with a folder name"),
            )
        })
    }

    /// Starts (once) the worker that replays actions as soon as they are made: [`Self::act`]
    /// wakes it. A replay that fails for the network waits for the next action or the
    /// watchers' next catch-up sync (which replays first), so an offline engine does not spin.
    pub(crate) fn spawn_replayer(self: &Arc<Self>) {
        self.replayer.get_or_init(|| {
            let actions = Arc::downgrade(self);
            let wake = self.wake.clone();
            tokio::spawn(async move {
                loop {
                    wake.notified().await;
                    let Some(actions) = actions.upgrade() else {
                        return;
                    };
                    if let Err(error) = actions.replay_pending().await {
                        tracing::info!(%error, "changes stay queued");
                    }
                }
            });
        });
    }

    fn wake_replayer(&self) {
        self.wake.notify_one();
    }

    /// Applies `action` to messages `uids` of `folder` in the cache and queues it for the
    /// server, in one transaction: the change is visible at once and survives a crash. Works
    /// offline; the replay worker (or a sync) sends it (syncs and watchers replay too).
    pub(crate) fn act(&self, folder: &str, uids: &[u64], action: &Action) -> Result<ActionReport> {
        let source = self.core.cached_folder(folder)?;
        let (kind, target) = match action {
            Action::MarkRead => (PendingKind::AddFlag(SEEN.into()), None),
            Action::MarkUnread => (PendingKind::RemoveFlag(SEEN.into()), None),
            Action::Flag => (PendingKind::AddFlag(FLAGGED.into()), None),
            Action::Unflag => (PendingKind::RemoveFlag(FLAGGED.into()), None),
            Action::Move { to } => {
                let target = self.core.cached_folder(to)?;
                (PendingKind::Move { target: target.id }, Some(target))
            }
            Action::Archive => match self.core.cached_folder_with_role(FolderRole::Archive)? {
                Some(target) => (PendingKind::Move { target: target.id }, Some(target)),
                // Gmail has no Archive folder: archiving takes the message out of INBOX (a
                // label), where All Mail keeps it; the replay removes the label.
                None if self.is_gmail()?
                    && gmail::folder_label(&source.name, source.role).is_some() =>
                {
                    (PendingKind::Expunge, None)
                }
                None => {
                    return Err(EngineError::new(
                        ErrorKind::Other,
                        "The account has no Archive folder; use move with a folder name",
                    ))
                }
            },
            Action::Delete if source.role == Some(FolderRole::Trash) => {
                (PendingKind::Expunge, None)
            }
            Action::Delete => {
                let target = self.folder_with_role(FolderRole::Trash, "Trash")?;
                (PendingKind::Move { target: target.id }, Some(target))
            }
        };
        if let Some(target) = &target {
            if !target.selectable {
                return Err(EngineError::new(
                    ErrorKind::Other,
                    format!("{} cannot hold messages", target.name),
                ));
            }
            if target.id == source.id {
                return Err(EngineError::new(
                    ErrorKind::Other,
                    format!("The messages are already in {}", target.name),
                ));
            }
        }
        let account = self.core.account().id;
        let (queued, pending, source_counts, target_counts) =
            with_store(self.core.store(), |store| {
                let queued = store.queue_action(source.id, uids, &kind, unix_now())?;
                let pending = store.pending_count(account)?;
                let source_counts = store.folder_counts(source.id)?;
                let target_counts = match &target {
                    Some(target) => Some(store.folder_counts(target.id)?),
                    None => None,
                };
                Ok((queued, pending, source_counts, target_counts))
            })?;
        let changed = queued.changed.len();
        if changed > 0 {
            let leaves = kind.removes();
            self.core.folder_changed(
                &source.name,
                FolderChange {
                    removed: if leaves { changed } else { 0 },
                    flags_changed: if leaves { 0 } else { changed },
                    ..FolderChange::counted(source_counts)
                },
            );
            if let (Some(target), Some(counts)) = (&target, target_counts) {
                self.core.folder_changed(
                    &target.name,
                    FolderChange {
                        added: changed,
                        ..FolderChange::counted(counts)
                    },
                );
            }
            self.core.send(EngineEvent::PendingChanged {
                account: self.core.account().email.clone(),
                pending,
            });
            self.wake_replayer();
        }
        Ok(ActionReport {
            folder: source.name,
            target: target.map(|target| target.name),
            changed: queued.changed,
            unchanged: queued.unchanged,
            missing: queued.missing,
            moved: queued.moved,
            pending,
        })
    }

    /// Operations waiting for the server, oldest first.
    pub(crate) fn pending(&self) -> Result<Vec<PendingOp>> {
        let account = self.core.account().id;
        with_store(self.core.store(), |store| store.pending_ops(account))
    }

    /// Tells subscribers about operations given up.
    /// Actions brought over from a damaged cache (`tern cache rebuild`) whose folder has
    /// just been synced go back into the queue; the ones that cannot are announced dropped.
    pub(crate) fn requeue_restored(&self, folder: &mail_store::Folder) {
        let account = self.core.account().id;
        let waiting = with_store(self.core.store(), |store| store.restored_waiting(account));
        if !matches!(waiting, Ok(count) if count > 0) {
            return;
        }
        match with_store(self.core.store(), |store| {
            store.requeue_restored(folder, unix_now())
        }) {
            Ok(requeued) => {
                for dropped in &requeued.dropped {
                    self.core.send(EngineEvent::ActionDropped {
                        account: self.core.account().email.clone(),
                        folder: dropped.folder.clone(),
                        uid: dropped.uid,
                        action: match (dropped.kind.as_str(), dropped.flag.as_deref()) {
                            ("add_flag", Some("\\Seen")) => "mark_read",
                            ("remove_flag", Some("\\Seen")) => "mark_unread",
                            ("add_flag", Some("\\Flagged")) => "flag",
                            ("remove_flag", Some("\\Flagged")) => "unflag",
                            ("expunge", _) => "delete",
                            (kind, _) => kind,
                        }
                        .to_string(),
                        reason: dropped.reason.clone(),
                    });
                }
                if requeued.queued > 0 {
                    tracing::info!(folder = %folder.name, queued = requeued.queued, "restored actions queued again");
                    self.wake_replayer();
                }
            }
            Err(error) => {
                tracing::warn!(folder = %folder.name, %error, "queueing restored actions again")
            }
        }
    }

    pub(crate) fn announce_dropped(&self, dropped: &[PendingOp], reason: &str) {
        for op in dropped {
            self.core.send(EngineEvent::ActionDropped {
                account: self.core.account().email.clone(),
                folder: op.folder_name.clone(),
                uid: op.uid,
                action: action_name(&op.kind).to_string(),
                reason: reason.to_string(),
            });
        }
    }
}
