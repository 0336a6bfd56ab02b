//! The reading service: everything a reader asks of the cache and, when a body is missing,
//! of the server — list pages, the start-up snapshot, opening, attachments, prefetching,
//! threads and local search (split over the files of `reading/`).

use std::sync::Arc;

use mail_store::SearchHit;

use crate::core_handle::Core;
use crate::error::Result;
use crate::store_access::with_store;

pub(crate) struct Reading {
    pub(super) core: Arc<Core>,
}

impl Reading {
    pub(crate) fn new(core: Arc<Core>) -> Self {
        Reading { core }
    }

    /// Brings the search index up to date with the cache.
    pub(crate) fn index_for_search(&self) -> Result<usize> {
        with_store(self.core.store(), |store| store.index_all_for_search())
    }

    /// Searches the cached messages of the account (offline): every word, the last as a
    /// prefix; best first, newest first among equals.
    pub(crate) fn search(&self, query: &str, limit: u32) -> Result<Vec<SearchHit>> {
        self.index_for_search()?;
        let account = self.core.account().id;
        with_store(self.core.store(), |store| {
            store.search(account, query, limit)
        })
    }
}
