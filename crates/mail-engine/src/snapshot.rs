//! What a window needs to draw at start, from the cache alone: folders with counts, the
//! account's connectivity, and the changes waiting for the server. Events keep it current
//! afterwards (events sent before a window listens are lost: load this first).

use serde::Serialize;

use crate::engine::Engine;
use crate::error::Result;
use crate::events::ConnectivityState;
use crate::sync::with_store;

/// One folder as a folder list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FolderState {
    pub name: String,
    /// inbox, sent, drafts, trash, archive, junk, all, flagged.
    pub role: Option<String>,
    pub total: u64,
    pub unread: u64,
}

/// The account as the window shows it before any network answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Snapshot {
    pub account: String,
    pub folders: Vec<FolderState>,
    /// `None` until a watcher has reported (nothing watched yet).
    pub connectivity: Option<ConnectivityState>,
    pub connectivity_reason: Option<String>,
    /// Changes waiting for the server.
    pub pending: usize,
}

impl Engine {
    /// The account's state from the cache (no network).
    pub fn snapshot(&self) -> Result<Snapshot> {
        let account = self.account().id;
        let (folders, pending) = with_store(self.store(), |store| {
            Ok((
                store.folder_summaries(account)?,
                store.pending_count(account)?,
            ))
        })?;
        let (connectivity, connectivity_reason) = match self.connectivity_now() {
            Some((state, reason)) => (Some(state), reason),
            None => (None, None),
        };
        Ok(Snapshot {
            account: self.account().email.clone(),
            folders: folders
                .into_iter()
                .map(|folder| FolderState {
                    name: folder.name,
                    role: folder.role.map(|role| role.as_str().to_string()),
                    total: folder.total,
                    unread: folder.unread,
                })
                .collect(),
            connectivity,
            connectivity_reason,
            pending,
        })
    }
}
