//! The prefetcher: bodies of recent messages fetched ahead in small batches (an interactive
//! request waiting for the connection gets it between them), within the body budget.

use serde::Serialize;

use super::bodies::fetch_bodies;
use super::service::Reading;
use crate::error::Result;
use crate::store_access::{unix_now, with_store};

/// What one prefetch pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PrefetchReport {
    pub fetched: usize,
    pub bytes: u64,
    /// Bodies evicted to stay within the budget.
    pub evicted: usize,
}

/// Bodies fetched per command by the prefetcher: small enough that an interactive request
/// waiting for the connection gets it soon.
const PREFETCH_BATCH_BYTES: u64 = 2 << 20;
const PREFETCH_BATCH_MESSAGES: usize = 50;

impl Reading {
    /// Fetches and caches the bodies of `folder`'s messages that arrived in the last `days`
    /// days, newest first, in small batches (an interactive request waiting for the
    /// connection gets it between batches), then evicts down to the budget.
    pub(crate) async fn prefetch_bodies(&self, folder: &str, days: u32) -> Result<PrefetchReport> {
        let folder = self.core.cached_folder(folder)?;
        let since = unix_now() - i64::from(days) * 86_400;
        let mut report = PrefetchReport::default();
        // Where the last batch ended (newest first): each listing starts there, so a long
        // prefetch never walks again past the bodies it already fetched.
        let mut below = None;
        loop {
            let missing = with_store(self.core.store(), |store| {
                store.messages_without_body(folder.id, since, below, 200)
            })?;
            let Some(last) = missing.last() else {
                break;
            };
            let listed_to = (last.internal_date, last.uid);
            // Too big to keep within the budget: skip (opened on demand instead).
            let budget = self.core.options().body_budget;
            let wanted: Vec<_> = missing
                .into_iter()
                .filter(|message| u64::from(message.size) <= budget / 10)
                .collect();
            if wanted.is_empty() {
                below = Some(listed_to);
                continue;
            }
            let mut batch = Vec::new();
            let mut bytes = 0u64;
            for message in &wanted {
                if !batch.is_empty()
                    && (bytes + u64::from(message.size) > PREFETCH_BATCH_BYTES
                        || batch.len() >= PREFETCH_BATCH_MESSAGES)
                {
                    break;
                }
                bytes += u64::from(message.size);
                batch.push(*message);
            }
            if let Some(end) = batch.last() {
                below = Some((end.internal_date, end.uid));
            }
            let name = folder.name.clone();
            let fetched = self
                .core
                .with_retry(2, |connection, _| {
                    let name = name.clone();
                    let batch = batch.clone();
                    Box::pin(async move { fetch_bodies(connection, &name, &batch).await })
                })
                .await?;
            if fetched.is_empty() {
                // Gone from the server: the next sync removes them; the listing goes on past them.
                continue;
            }
            report.bytes += fetched.iter().map(|(_, raw)| raw.len() as u64).sum::<u64>();
            // Bodies that cannot be kept (a full disk) end the prefetch: fetching them again
            // and again would only spin.
            self.keep_bodies(&folder, &fetched)?;
            report.fetched += fetched.len();
            if with_store(self.core.store(), |store| store.bodies_size())? >= budget {
                break;
            }
        }
        report.evicted = with_store(self.core.store(), |store| {
            store.evict_bodies(self.core.options().body_budget)
        })?;
        Ok(report)
    }
}
