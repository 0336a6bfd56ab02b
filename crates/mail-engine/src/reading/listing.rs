//! Windows of a folder's message list from the cache, for a virtual list that shows any
//! part of a 100k-message folder without loading it all.

use mail_store::MessageSummary;

use super::service::Reading;
use crate::error::Result;
use crate::store_access::with_store;

/// Part of a folder's newest-first list, with the folder's counts at the same moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessagePage {
    pub folder: String,
    /// Messages in the folder (cached).
    pub total: u64,
    pub unread: u64,
    /// Position of `rows[0]` in the newest-first order.
    pub offset: u32,
    pub rows: Vec<MessageSummary>,
}

impl Reading {
    /// `limit` messages of `folder` from position `offset` (newest first), cache only.
    pub(crate) fn message_page(
        &self,
        folder: &str,
        offset: u32,
        limit: u32,
    ) -> Result<MessagePage> {
        let folder = self.core.cached_folder(folder)?;
        let account = self.core.account().id;
        with_store(self.core.store(), |store| {
            let rows = store.message_page(folder.id, offset, limit)?;
            let counts = store
                .folder_summaries(account)?
                .into_iter()
                .find(|summary| summary.id == folder.id);
            let (total, unread) = counts.map_or((0, 0), |summary| (summary.total, summary.unread));
            Ok(MessagePage {
                folder: folder.name.clone(),
                total,
                unread,
                offset,
                rows,
            })
        })
    }
}
