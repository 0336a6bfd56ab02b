//! The reading service: everything a reader asks of the cache and, when a body is missing,
//! of the server — list pages, the start-up snapshot, opening, attachments, prefetching,
//! threads and local search (split over the files of `reading/`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use std::time::Instant;

use mail_store::{FolderId, IndexProgress, SearchHit};
use mail_sync::UidValidity;

use crate::core_handle::Core;
use crate::error::Result;
use crate::store_access::with_store;

/// Messages per indexing batch during a search.
const SEARCH_BATCH: usize = 200;

pub(crate) struct Reading {
    pub(super) core: Arc<Core>,
    /// Per folder, the UIDVALIDITY and highest UID of the last preview pass that went
    /// through the whole folder: every message up to it has its preview (or is gone).
    previews_done: Mutex<HashMap<FolderId, (UidValidity, u64)>>,
}

impl Reading {
    pub(crate) fn new(core: Arc<Core>) -> Self {
        Reading {
            core,
            previews_done: Mutex::new(HashMap::new()),
        }
    }

    pub(super) fn previews_done(&self, folder: FolderId) -> Option<(UidValidity, u64)> {
        self.previews_done
            .lock()
            .ok()
            .and_then(|done| done.get(&folder).copied())
    }

    pub(super) fn set_previews_done(&self, folder: FolderId, validity: UidValidity, top: u64) {
        if let Ok(mut done) = self.previews_done.lock() {
            done.insert(folder, (validity, top));
        }
    }

    /// Brings the search index up to date with the cache.
    pub(crate) fn index_for_search(&self) -> Result<usize> {
        with_store(self.core.store(), |store| store.index_all_for_search())
    }

    pub(crate) fn index_in_background(&self) {
        self.core.index_in_background();
    }

    pub(crate) fn index_progress(&self) -> Result<IndexProgress> {
        with_store(self.core.store(), |store| store.index_progress())
    }

    /// Searches the cached messages of the account (offline): every word, the last as a
    /// prefix; best first, newest first among equals. What waits to be indexed is indexed
    /// first for at most `EngineOptions::search_indexes_for` (in batches: other readers get the cache
    /// between them); the rest is left to the background indexer.
    pub(crate) fn search(&self, query: &str, limit: u32) -> Result<Searched> {
        let deadline = Instant::now() + self.core.options().search_indexes_for;
        loop {
            let added = with_store(self.core.store(), |store| {
                store.index_for_search(SEARCH_BATCH)
            })?;
            if added == 0 {
                break;
            }
            if Instant::now() >= deadline {
                self.core.index_in_background();
                break;
            }
        }
        let account = self.core.account().id;
        // The hits and how far the index is, read together: they describe the same index.
        with_store(self.core.store(), |store| {
            Ok(Searched {
                hits: store.search(account, query, limit)?,
                index: store.index_progress()?,
            })
        })
    }
}

/// A search's answer: the hits, and how far the index was when they were found (not
/// `done()`: messages not yet indexed may match too, and indexing continues).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Searched {
    pub hits: Vec<SearchHit>,
    pub index: IndexProgress,
}
