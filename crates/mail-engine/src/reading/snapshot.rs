//! What a window needs to draw at start, from the cache alone: folders with counts, the
//! account's connectivity, and the changes waiting for the server. Events keep it current
//! afterwards (events sent before a window listens are lost: load this first).

use serde::Serialize;

use super::service::Reading;
use crate::error::Result;
use crate::events::ConnectivityState;
use crate::store_access::with_store;

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

impl Reading {
    /// The account's state from the cache (no network), with the watchers' `connectivity`.
    pub(crate) fn snapshot(
        &self,
        connectivity: Option<(ConnectivityState, Option<String>)>,
    ) -> Result<Snapshot> {
        let account = self.core.account().id;
        let (folders, pending) = with_store(self.core.store(), |store| {
            Ok((
                store.folder_summaries(account)?,
                store.pending_count(account)?,
            ))
        })?;
        let (connectivity, connectivity_reason) = match connectivity {
            Some((state, reason)) => (Some(state), reason),
            None => (None, None),
        };
        Ok(Snapshot {
            account: self.core.account().email.clone(),
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
