//! Initial sync: every message's headers, newest first, in batches that commit with a
//! low-water mark so an interrupted sync resumes without duplicates or holes.

use std::collections::HashSet;

use imap_proto::Response;
use mail_store::{Folder, MessageRow};
use mail_sync::{initial_chunks, SelectedState, SyncMeta, Uid, UidValidity};

use crate::connection::{ImapConnection, SearchBound, SelectMode};
use crate::error::{EngineError, ErrorKind, Result};
use crate::fetch::message_row;
use crate::response::{apply_mailbox_data, range_len};
use crate::store_access::{unix_now, with_store, SharedStore};

/// What an initial (or resumed) sync did.
pub(crate) struct InitialOutcome {
    pub added: usize,
    /// Pending operations on the messages a fresh start dropped.
    pub dropped: Vec<mail_store::PendingOp>,
    /// UIDVALIDITY differed from the interrupted sync's, so it started over.
    pub restarted: bool,
    pub uid_validity: u32,
}

/// Told `(synced, total)` after each batch is committed, for a first-sync progress bar.
pub(crate) type Progress = Box<dyn Fn(usize, usize) + Send + 'static>;

struct Batch {
    rows: Vec<MessageRow>,
    low_uid: Uid,
    complete: bool,
}

/// EXAMINEs the folder and reports what it said.
pub(crate) async fn examine(
    connection: &mut ImapConnection,
    folder: &str,
) -> Result<SelectedState> {
    let capabilities = connection.sync_capabilities();
    let parameters =
        (capabilities.condstore && !capabilities.qresync_enabled).then_some("(CONDSTORE)");
    let command = ImapConnection::select_command(folder, SelectMode::ReadOnly, parameters);
    connection.selection_starting();
    let mut state = SelectedState::default();
    let tagged = connection
        .execute(&command, |response| {
            apply_mailbox_data(&mut state, response);
            Ok(())
        })
        .await?;
    connection.selection_finished(folder, SelectMode::ReadOnly, &tagged, &state, true)?;
    Ok(state)
}

/// Runs (or resumes, when `resume` holds the interrupted sync's state and low-water mark)
/// the initial sync of `folder`. `replaced` is the cached UIDVALIDITY a delta found changed:
/// the folder's cache is dropped only if this EXAMINE confirms a different one.
pub(crate) async fn initial_sync(
    connection: &mut ImapConnection,
    store: &SharedStore,
    folder: &Folder,
    resume: Option<(SyncMeta, Uid)>,
    replaced: Option<UidValidity>,
    chunk_size: usize,
    progress: Progress,
) -> Result<InitialOutcome> {
    let state = examine(connection, &folder.name).await?;
    let uid_validity = state.uid_validity.ok_or_else(|| {
        EngineError::new(
            ErrorKind::Protocol,
            format!("{} reported no UIDVALIDITY", folder.name),
        )
    })?;
    if replaced == Some(uid_validity) {
        connection.abandon("the server took back a UIDVALIDITY change");
        return Err(EngineError::new(
            ErrorKind::Protocol,
            format!(
                "{}: the server announced a new UIDVALIDITY, then the old one again; keeping the cache",
                folder.name
            ),
        ));
    }

    let mut dropped = Vec::new();
    let mut already = 0;
    let (chunks, expected, restarted) = match resume {
        Some((meta, low_uid)) if meta.uid_validity == uid_validity => {
            let below = if low_uid.0 > 1 {
                connection
                    .uid_search(
                        &format!("UID 1:{}", low_uid.0 - 1),
                        SearchBound::range(&state, 1, low_uid.0 - 1),
                    )
                    .await?
            } else {
                Vec::new()
            };
            tracing::info!(folder = %folder.name, low_uid = low_uid.0, remaining = below.len(), "resuming initial sync");
            // What is cached plus what is listed must account for every message announced.
            let cached = with_store(store, |store| store.sync_counts(folder.id))?.count;
            if cached + below.len() < state.exists as usize {
                return Err(EngineError::new(
                    ErrorKind::Protocol,
                    format!(
                        "{}: the server announced {} messages but lists {} below the {} already cached; not trusting this answer",
                        folder.name,
                        state.exists,
                        below.len(),
                        cached
                    ),
                ));
            }
            let expected = below.len();
            already = cached;
            (
                Chunks::Uids(initial_chunks(&below, chunk_size)),
                expected,
                false,
            )
        }
        previous => {
            let (chunks, expected, uid_next) = match state.uid_next {
                // EXISTS is enough: sequence ranges, newest first, no UID SEARCH round trip.
                Some(uid_next) => (
                    Chunks::Seqs(sequence_chunks(state.exists, chunk_size)),
                    state.exists as usize,
                    uid_next,
                ),
                // No UIDNEXT: list the UIDs to derive it.
                None => {
                    let uids = connection
                        .uid_search("ALL", SearchBound::folder(&state))
                        .await?;
                    if uids.is_empty() && state.exists > 0 {
                        return Err(EngineError::new(
                            ErrorKind::Protocol,
                            format!(
                                "{}: EXISTS is {} but UID SEARCH listed no message; not trusting this answer",
                                folder.name, state.exists
                            ),
                        ));
                    }
                    let next = Uid(uids.last().map_or(1, |uid| uid.0.saturating_add(1)));
                    let expected = uids.len();
                    (
                        Chunks::Uids(initial_chunks(&uids, chunk_size)),
                        expected,
                        next,
                    )
                }
            };
            let meta = SyncMeta {
                uid_validity,
                uid_next,
                highest_modseq: state.highest_modseq,
                initial_low_uid: None,
            };
            dropped = with_store(store, |store| store.begin_initial_sync(folder.id, &meta))?;
            (chunks, expected, previous.is_some())
        }
    };

    if chunks.is_empty() {
        with_store(store, |store| {
            store.apply_initial_chunk(folder.id, &[], Uid(1), true, unix_now())
        })?;
        return Ok(InitialOutcome {
            added: 0,
            dropped,
            restarted,
            uid_validity: uid_validity.0,
        });
    }

    // The writer commits batches on a blocking thread while the network keeps streaming.
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<Batch>(4);
    let writer_store = store.clone();
    let folder_id = folder.id;
    let writer = tokio::task::spawn_blocking(move || -> Result<usize> {
        let mut written = 0;
        while let Some(batch) = receiver.blocking_recv() {
            with_store(&writer_store, |store| {
                store.apply_initial_chunk(
                    folder_id,
                    &batch.rows,
                    batch.low_uid,
                    batch.complete,
                    unix_now(),
                )
            })?;
            written += batch.rows.len();
            progress(already + written, already + expected);
        }
        Ok(written)
    });

    let streamed = stream_chunks(connection, &chunks, expected, &sender).await;
    drop(sender);
    let written = writer.await.map_err(|error| {
        EngineError::new(
            ErrorKind::Other,
            format!("The cache writer crashed: {error}"),
        )
    })?;
    // A writer failure (disk full, …) explains a send failure: report it first.
    let written = written.map_err(|error| error.context(format!("Saving {}", folder.name)))?;
    streamed?;
    Ok(InitialOutcome {
        added: written,
        dropped,
        restarted,
        uid_validity: uid_validity.0,
    })
}

/// How an initial sync addresses its chunks (each newest first, highest range first).
enum Chunks {
    /// UID ranges from a UID SEARCH (resuming below a low-water mark, or no UIDNEXT).
    Uids(Vec<(Uid, Uid)>),
    /// Sequence-number ranges from EXISTS (a fresh sync). Descending sequence chunks never
    /// skip a message: an expunge only shifts higher messages down, into the next chunk
    /// (fetched twice, stored once), and servers send no EXPUNGE during a FETCH.
    Seqs(Vec<(u32, u32)>),
}

impl Chunks {
    fn is_empty(&self) -> bool {
        match self {
            Chunks::Uids(chunks) => chunks.is_empty(),
            Chunks::Seqs(chunks) => chunks.is_empty(),
        }
    }

    fn len(&self) -> usize {
        match self {
            Chunks::Uids(chunks) => chunks.len(),
            Chunks::Seqs(chunks) => chunks.len(),
        }
    }

    fn commands(&self, items: &str) -> Vec<String> {
        match self {
            Chunks::Uids(chunks) => chunks
                .iter()
                .map(|(low, high)| format!("UID FETCH {}:{} {items}", low.0, high.0))
                .collect(),
            Chunks::Seqs(chunks) => chunks
                .iter()
                .map(|(low, high)| format!("FETCH {low}:{high} {items}"))
                .collect(),
        }
    }

    /// The chunk a FETCH response (sequence number, UID) belongs to.
    fn index_of(&self, sequence: u32, uid: Uid) -> Option<usize> {
        match self {
            Chunks::Uids(chunks) => chunks
                .iter()
                .position(|(low, high)| uid >= *low && uid <= *high),
            Chunks::Seqs(chunks) => chunks
                .iter()
                .position(|(low, high)| sequence >= *low && sequence <= *high),
        }
    }

    /// The low-water mark once chunks `0..=index` are stored: the chunk's lowest UID.
    fn low_uid(&self, index: usize, rows: &[MessageRow]) -> Option<Uid> {
        match self {
            Chunks::Uids(chunks) => chunks.get(index).map(|(low, _)| *low),
            Chunks::Seqs(_) => rows.iter().map(|row| row.uid).min(),
        }
    }
}

/// What the responses of an initial-sync pipeline delivered so far.
struct Seen {
    rows: Vec<Vec<MessageRow>>,
    received: HashSet<Uid>,
    expunged: u64,
    /// How many messages the chunks cover: more distinct ones is a lie.
    expected: usize,
}

impl Seen {
    fn collect(&mut self, chunks: &Chunks, response: &Response<'_>) -> Result<()> {
        match response {
            Response::Fetch(sequence, attributes) => {
                if let Some(row) = message_row(attributes) {
                    let Some(index) = chunks.index_of(*sequence, row.uid) else {
                        // Not a message that was asked for.
                        return Ok(());
                    };
                    // A message seen again (shifted into the next chunk by an expunge, or
                    // repeated) is stored once.
                    if !self.received.insert(row.uid) {
                        return Ok(());
                    }
                    if self.received.len() > self.expected {
                        return Err(EngineError::new(
                            ErrorKind::Protocol,
                            format!(
                                "The server sent more messages than the {} it announced",
                                self.expected
                            ),
                        ));
                    }
                    self.rows[index].push(row);
                }
            }
            Response::Expunge(_) => self.expunged += 1,
            Response::Vanished {
                earlier: false,
                uids,
            } => self.expunged += uids.iter().map(range_len).sum::<u64>(),
            _ => {}
        }
        Ok(())
    }
}

/// Sequence ranges covering `1..=exists`, `chunk_size` each, highest first.
fn sequence_chunks(exists: u32, chunk_size: usize) -> Vec<(u32, u32)> {
    let size = u32::try_from(chunk_size.max(1)).unwrap_or(u32::MAX);
    let mut chunks = Vec::new();
    let mut high = exists;
    while high >= 1 {
        let low = high.saturating_sub(size - 1).max(1);
        chunks.push((low, high));
        high = low - 1;
    }
    chunks
}

/// Streams every chunk into batches for the writer. `expected` is how many messages the
/// chunks cover; a server that sends fewer (minus what it expunged meanwhile) is lying or
/// broken, and the sync is not marked complete.
async fn stream_chunks(
    connection: &mut ImapConnection,
    chunks: &Chunks,
    expected: usize,
    sender: &tokio::sync::mpsc::Sender<Batch>,
) -> Result<()> {
    let commands = chunks.commands(connection.header_items());
    let mut pipeline = connection.start_pipeline(&commands).await?;
    // Rows per chunk (answers may interleave), sent once the chunks above them are done.
    let mut seen = Seen {
        rows: vec![Vec::new(); chunks.len()],
        received: HashSet::new(),
        expunged: 0,
        expected,
    };
    // Chunks may be answered in any order; the mark only moves over a finished prefix.
    let mut finished = vec![false; chunks.len()];
    let mut prefix = 0;
    let mut low_uid = None;
    while let Some((index, tagged)) = connection
        .next_tagged(&mut pipeline, &mut |_, response| {
            seen.collect(chunks, response)
        })
        .await?
    {
        if let Err(error) = tagged.require_ok("Fetching message headers") {
            connection.abandon("a pipelined FETCH failed");
            return Err(error);
        }
        finished[index] = true;
        let mut batch_rows = Vec::new();
        while prefix < chunks.len() && finished[prefix] {
            let chunk_rows = std::mem::take(&mut seen.rows[prefix]);
            low_uid = chunks.low_uid(prefix, &chunk_rows).or(low_uid);
            batch_rows.extend(chunk_rows);
            prefix += 1;
        }
        let last = prefix == chunks.len();
        if batch_rows.is_empty() && !last {
            continue;
        }
        let accounted = seen.received.len() as u64 + seen.expunged;
        let short = last && accounted < expected as u64;
        let batch = Batch {
            rows: batch_rows,
            low_uid: low_uid.unwrap_or(Uid(u32::MAX)),
            complete: last && !short,
        };
        if sender.send(batch).await.is_err() {
            connection.abandon("the cache writer stopped");
            return Err(EngineError::new(
                ErrorKind::Other,
                "The cache writer stopped",
            ));
        }
        if short {
            connection.abandon("the server sent fewer messages than it announced");
            return Err(EngineError::new(
                ErrorKind::Protocol,
                format!(
                    "The server announced {expected} messages but sent {}; not trusting this answer",
                    seen.received.len()
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_chunks_cover_everything_newest_first() {
        assert_eq!(sequence_chunks(0, 10), vec![]);
        assert_eq!(sequence_chunks(5, 10), vec![(1, 5)]);
        assert_eq!(sequence_chunks(25, 10), vec![(16, 25), (6, 15), (1, 5)]);
        assert_eq!(sequence_chunks(20, 10), vec![(11, 20), (1, 10)]);
        assert_eq!(sequence_chunks(3, 0), vec![(3, 3), (2, 2), (1, 1)]);
    }
}
