//! The prefetcher: bodies kept offline as the account's offline policy says (none, the last
//! N days of every folder, or all), newest first. Batches stream on the request connection
//! as a sliding window of UID FETCHes (an interactive request waiting for the connection
//! gets it once what is in flight is answered) and are written by a blocking thread while
//! the next ones download; messages beyond the size limit keep their text, their attachments
//! fetched when saved.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use mail_message::parse_message;
use mail_store::{Folder, MissingBody};
use mail_sync::{keep_body, time_left, FolderRole, KeepBody, OfflinePolicy, ProgressPhase};
use serde::Serialize;

use super::bodies::{stream_body_batches, Delivery, Stream};
use super::render::search_text;
use super::service::Reading;
use crate::error::{EngineError, ErrorKind, Result};
use crate::events::EngineEvent;
use crate::store_access::{unix_now, with_store, SharedStore};

/// What one prefetch pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PrefetchReport {
    pub fetched: usize,
    pub bytes: u64,
    /// Bodies evicted to stay within the budget.
    pub evicted: usize,
    /// Messages beyond the size limit kept text first (counted in `fetched` too).
    pub text_only: usize,
}

/// Messages listed from the cache at a time (~1 MiB of listing): the window of batches in
/// flight drains at the end of each listing, one round trip lost per listing.
const LISTING: usize = 50_000;

/// Delivered batches waiting for the writer at most (the download waits beyond).
const WRITE_QUEUE: usize = 4;

/// What to keep of one folder.
#[derive(Debug, Clone, Copy)]
struct Want {
    /// Messages that arrived at or after this (Unix seconds).
    since: i64,
    /// Beyond this, text first.
    max_bytes: u64,
    /// Stop once the cache holds this many bytes of bodies (`None`: no budget).
    budget: Option<u64>,
}

/// The order folders are kept offline in: INBOX, then the other folders, Junk and Trash
/// last (what the person is least likely to open on a flight).
fn offline_rank(folder: &Folder) -> u8 {
    match folder.role {
        Some(FolderRole::Inbox) => 0,
        Some(FolderRole::Junk) | Some(FolderRole::Trash) => 3,
        Some(FolderRole::All) => 2,
        _ => 1,
    }
}

/// How big a batch may be.
#[derive(Debug, Clone, Copy)]
struct BatchSize {
    bytes: u64,
    messages: usize,
}

/// Splits `messages` into batches of at most `limit.bytes` (one larger message goes alone)
/// and `limit.messages`.
fn batches(messages: &[MissingBody], limit: BatchSize) -> Vec<&[MissingBody]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut bytes = 0u64;
    for (index, message) in messages.iter().enumerate() {
        let size = u64::from(message.size);
        if index > start && (bytes + size > limit.bytes || index - start >= limit.messages) {
            out.push(&messages[start..index]);
            start = index;
            bytes = 0;
        }
        bytes += size;
    }
    if start < messages.len() {
        out.push(&messages[start..]);
    }
    out
}

/// Extracts the search text of fetched bodies and keeps them in one transaction. Returns
/// how many were kept.
fn write_bodies(
    store: &SharedStore,
    folder: mail_store::FolderId,
    fetched: &[(u32, Vec<u8>)],
) -> Result<usize> {
    // The search text and the list's preview of each, from one parse.
    let texts: Vec<(String, String)> = fetched
        .iter()
        .map(|(_, raw)| {
            let view = parse_message(raw);
            let preview = mail_message::preview(view.text.as_deref().unwrap_or_default());
            (search_text(&view), preview)
        })
        .collect();
    let bodies: Vec<mail_store::FetchedBody<'_>> = fetched
        .iter()
        .zip(&texts)
        .map(|((uid, raw), (text, preview))| mail_store::FetchedBody {
            uid: u64::from(*uid),
            raw,
            remote_parts: "",
            body_text: text,
            preview,
        })
        .collect();
    with_store(store, |store| {
        store.save_bodies(folder, &bodies, unix_now())
    })
}

/// What the writer kept.
#[derive(Debug, Default)]
struct Written {
    kept: usize,
    bytes: u64,
}

impl Reading {
    /// Keeps the bodies of `folder`'s messages that arrived in the last `days` days, newest
    /// first, then evicts down to the budget (messages beyond the account's size limit keep
    /// their text).
    pub(crate) async fn prefetch_bodies(&self, folder: &str, days: u32) -> Result<PrefetchReport> {
        let folder = self.core.cached_folder(folder)?;
        let mut report = PrefetchReport::default();
        let Some(since) = OfflinePolicy::Days(days.max(1)).kept_since(unix_now()) else {
            return Ok(report);
        };
        if days > 0 {
            let want = Want {
                since,
                max_bytes: self.core.account().offline_max_bytes,
                budget: Some(self.core.options().body_budget),
            };
            self.keep_folder(&folder, want, &mut report).await?;
        }
        report.evicted = self.evict()?;
        Ok(report)
    }

    /// Keeps bodies offline in every folder (or those named in `only`) as `policy` says
    /// (default: the account's policy): INBOX first, newest first in each folder. "All" ignores the body budget (the
    /// disk is the limit); a window of days stays within it.
    pub(crate) async fn keep_offline(
        &self,
        policy: Option<OfflinePolicy>,
        only: Option<&[String]>,
    ) -> Result<PrefetchReport> {
        let policy = policy.unwrap_or(self.core.account().offline);
        let mut report = PrefetchReport::default();
        let Some(since) = policy.kept_since(unix_now()) else {
            return Ok(report);
        };
        let folders = self.offline_folders(only)?;
        let want = Want {
            since,
            max_bytes: self.core.account().offline_max_bytes,
            budget: policy
                .within_budget()
                .then_some(self.core.options().body_budget),
        };
        for folder in &folders {
            if !self.keep_folder(folder, want, &mut report).await? {
                break;
            }
        }
        if policy.within_budget() {
            report.evicted = self.evict()?;
        }
        Ok(report)
    }

    /// The account's selectable folders (only those named in `only`, if given) in the order
    /// they are kept offline: [`offline_rank`].
    pub(super) fn offline_folders(&self, only: Option<&[String]>) -> Result<Vec<Folder>> {
        let account = self.core.account().id;
        let mut folders: Vec<Folder> =
            with_store(self.core.store(), |store| store.folders(account))?
                .into_iter()
                .filter(|folder| folder.selectable)
                .filter(|folder| only.is_none_or(|names| names.contains(&folder.name)))
                .collect();
        folders.sort_by_key(offline_rank);
        Ok(folders)
    }

    fn evict(&self) -> Result<usize> {
        let budget = self.core.options().body_budget;
        with_store(self.core.store(), |store| store.evict_bodies(budget))
    }

    /// Keeps the wanted bodies of one folder; false when the budget is full (stop there).
    async fn keep_folder(
        &self,
        folder: &Folder,
        want: Want,
        report: &mut PrefetchReport,
    ) -> Result<bool> {
        let total = with_store(self.core.store(), |store| {
            store.count_without_body(folder.id, want.since)
        })?;
        if total == 0 {
            return Ok(true);
        }
        let progress = Progress {
            started: Instant::now(),
            total,
            done: Arc::new(AtomicUsize::new(0)),
        };
        let (sender, receiver) = tokio::sync::mpsc::channel(WRITE_QUEUE);
        let writer = self.spawn_writer(folder, receiver, progress.clone());
        let downloaded = self
            .download(folder, want, &sender, &progress, report)
            .await;
        drop(sender);
        // Whatever was delivered is kept, even when the download failed.
        let written = writer.await.map_err(|error| {
            EngineError::new(ErrorKind::Other, format!("Keeping bodies stopped: {error}"))
        })?;
        let written = written?;
        report.fetched += written.kept;
        report.bytes += written.bytes;
        let full = downloaded?;
        let done = progress.done.load(Ordering::SeqCst);
        self.core.send(bodies_event(
            &self.core.account().email,
            &folder.name,
            done,
            &progress,
        ));
        Ok(!full)
    }

    /// The writer of one folder's download: each delivered batch parsed and kept in one
    /// transaction on a blocking thread, with a progress event after each.
    fn spawn_writer(
        &self,
        folder: &Folder,
        mut receiver: tokio::sync::mpsc::Receiver<Vec<(u32, Vec<u8>)>>,
        progress: Progress,
    ) -> tokio::task::JoinHandle<Result<Written>> {
        let core = self.core.clone();
        let folder = folder.clone();
        tokio::task::spawn_blocking(move || {
            let mut written = Written::default();
            while let Some(fetched) = receiver.blocking_recv() {
                // Bodies that cannot be kept (a full disk) end the download: fetching them
                // again and again would only spin.
                let kept = write_bodies(core.store(), folder.id, &fetched)?;
                written.kept += kept;
                written.bytes += fetched.iter().map(|(_, raw)| raw.len() as u64).sum::<u64>();
                let done = progress.done.fetch_add(kept, Ordering::SeqCst) + kept;
                core.send(bodies_event(
                    &core.account().email,
                    &folder.name,
                    done,
                    &progress,
                ));
            }
            Ok(written)
        })
    }

    /// Streams the wanted bodies of one folder to the writer, newest first; true when the
    /// budget filled up. Messages beyond the size limit are kept text first as they come.
    async fn download(
        &self,
        folder: &Folder,
        want: Want,
        deliver: &Delivery,
        progress: &Progress,
        report: &mut PrefetchReport,
    ) -> Result<bool> {
        let options = self.core.options();
        let limit = BatchSize {
            bytes: options.body_batch_bytes,
            messages: options.body_batch_messages.max(1),
        };
        let depth = options.body_batches_in_flight.max(1);
        let core = self.core.clone();
        let yield_now = move || core.others_wait();
        // A batch written late leaves out what was kept meanwhile (a message opened while
        // the download yielded).
        let store = self.core.store().clone();
        let folder_id = folder.id;
        let still_missing = move |batch: &[MissingBody]| -> Vec<MissingBody> {
            let uids: Vec<u64> = batch.iter().map(|m| u64::from(m.uid.0)).collect();
            match with_store(&store, |store| store.with_body(folder_id, &uids)) {
                Ok(kept) => batch
                    .iter()
                    .filter(|m| !kept.contains(&u64::from(m.uid.0)))
                    .copied()
                    .collect(),
                Err(_) => batch.to_vec(),
            }
        };
        // Where the last listing ended (newest first): each listing starts there, so a long
        // download never walks again past the bodies it already has.
        let mut below = None;
        'listing: loop {
            let listed = with_store(self.core.store(), |store| {
                store.messages_without_body(folder.id, want.since, below, LISTING)
            })?;
            let Some(last) = listed.last() else {
                return Ok(false);
            };
            let listed_to = (last.internal_date, last.uid);
            let (whole, text_first): (Vec<MissingBody>, Vec<MissingBody>) =
                listed.into_iter().partition(|message| {
                    keep_body(u64::from(message.size), want.max_bytes) == KeepBody::Whole
                });
            let whole: Vec<MissingBody> = match want.budget {
                // Too big to keep within the budget: opened on demand instead.
                Some(budget) => whole
                    .into_iter()
                    .filter(|message| u64::from(message.size) <= budget / 10)
                    .collect(),
                None => whole,
            };
            let split = batches(&whole, limit);
            let mut next = 0;
            while next < split.len() {
                let rest = &split[next..];
                let name = folder.name.as_str();
                let (yielding, missing) = (&yield_now, &still_missing);
                next += self
                    .core
                    .with_retry_for(rest, 2, |rest, connection, _| {
                        Box::pin(stream_body_batches(
                            connection,
                            name,
                            rest,
                            Stream {
                                depth,
                                yield_now: yielding,
                                still_missing: missing,
                                deliver,
                            },
                        ))
                    })
                    .await?;
                if let Some(budget) = want.budget {
                    if with_store(self.core.store(), |store| store.bodies_size())? >= budget {
                        return Ok(true);
                    }
                }
                if next < split.len() {
                    // Another request took the connection: list again from what was
                    // delivered (a body it opened meanwhile is not fetched again).
                    let Some(end) = split[next - 1].last() else {
                        break;
                    };
                    let cursor = (end.internal_date, end.uid);
                    for message in text_first
                        .iter()
                        .filter(|message| (message.internal_date, message.uid) > cursor)
                    {
                        self.keep_large(folder, message, progress, report).await?;
                    }
                    below = Some(cursor);
                    continue 'listing;
                }
            }
            for message in &text_first {
                self.keep_large(folder, message, progress, report).await?;
            }
            below = Some(listed_to);
        }
    }

    /// Keeps a message beyond the size limit text first, counted in the progress.
    async fn keep_large(
        &self,
        folder: &Folder,
        message: &MissingBody,
        progress: &Progress,
        report: &mut PrefetchReport,
    ) -> Result<()> {
        if self.keep_text_first(folder, message.uid.0).await? {
            report.fetched += 1;
            report.text_only += 1;
            let done = progress.done.fetch_add(1, Ordering::SeqCst) + 1;
            self.core.send(bodies_event(
                &self.core.account().email,
                &folder.name,
                done,
                progress,
            ));
        }
        Ok(())
    }

    /// Keeps one message beyond the size limit text first; false when it is a single part
    /// (nothing to leave out: it opens on demand) or gone.
    async fn keep_text_first(&self, folder: &Folder, uid: u32) -> Result<bool> {
        let name = folder.name.clone();
        let partial = self
            .core
            .with_retry(2, |connection, _| {
                let name = name.clone();
                Box::pin(async move {
                    super::bodies::ensure_selected(connection, &name).await?;
                    super::partial::fetch_text_first(connection, uid).await
                })
            })
            .await;
        match partial {
            Ok(Some((raw, remote))) => {
                self.keep_body(folder, u64::from(uid), &raw, &remote)?;
                Ok(true)
            }
            Ok(None) => Ok(false),
            // Gone from the server meanwhile: the next sync removes it.
            Err(error) if error.kind == ErrorKind::Protocol => {
                tracing::info!(%error, uid, folder = %folder.name, "not kept text first");
                Ok(false)
            }
            Err(error) => Err(error),
        }
    }
}

/// How far one folder's download is.
#[derive(Debug, Clone)]
struct Progress {
    started: Instant,
    total: usize,
    /// Bodies kept so far (by the writer, and large messages text first).
    done: Arc<AtomicUsize>,
}

/// The `sync_progress` event (phase `bodies`) for `done` of a folder's download.
fn bodies_event(account: &str, folder: &str, done: usize, progress: &Progress) -> EngineEvent {
    let total = progress.total.max(done);
    EngineEvent::SyncProgress {
        account: account.to_string(),
        folder: folder.to_string(),
        synced: done,
        total,
        phase: ProgressPhase::Bodies,
        eta_ms: time_left(
            done as u64,
            progress.started.elapsed(),
            (total - done) as u64,
        )
        .map(|left| left.as_millis() as u64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mail_sync::Uid;

    fn sized(sizes: &[u32]) -> Vec<MissingBody> {
        sizes
            .iter()
            .enumerate()
            .map(|(index, size)| MissingBody {
                uid: Uid(index as u32 + 1),
                size: *size,
                internal_date: 0,
            })
            .collect()
    }

    #[test]
    fn batches_hold_at_most_their_bytes_and_messages_and_never_none() {
        let mib = 1 << 20;
        let table: &[(&[u32], &[usize])] = &[
            (&[], &[]),
            (&[100], &[1]),
            (&[mib, mib], &[2]),
            (&[mib, mib, 1], &[2, 1]),
            // One message above the batch size still goes (alone).
            (&[5 * mib, 10, 10], &[1, 2]),
            (&[10; 1_001], &[500, 500, 1]),
        ];
        for (sizes, expected) in table {
            let messages = sized(sizes);
            let limit = BatchSize {
                bytes: 2 * mib as u64,
                messages: 500,
            };
            let lengths: Vec<usize> = batches(&messages, limit).iter().map(|b| b.len()).collect();
            assert_eq!(lengths, *expected, "{:?}", &sizes[..sizes.len().min(4)]);
        }
    }

    #[test]
    fn inbox_goes_first_and_junk_and_trash_last() {
        let folder = |name: &str, role: Option<FolderRole>| Folder {
            id: mail_store::FolderId(0),
            account_id: mail_store::AccountId(0),
            name: name.to_string(),
            delimiter: None,
            role,
            selectable: true,
        };
        let mut folders = [
            folder("Trash", Some(FolderRole::Trash)),
            folder("Work", None),
            folder("Junk", Some(FolderRole::Junk)),
            folder("INBOX", Some(FolderRole::Inbox)),
            folder("Sent", Some(FolderRole::Sent)),
        ];
        folders.sort_by_key(offline_rank);
        let names: Vec<&str> = folders.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["INBOX", "Work", "Sent", "Trash", "Junk"]);
    }
}
