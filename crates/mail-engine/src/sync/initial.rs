//! Initial sync: every message's headers, newest first, in batches that commit with a
//! low-water mark so an interrupted sync resumes without duplicates or holes.

use imap_proto::Response;
use mail_store::{Folder, MessageRow};
use mail_sync::{initial_chunks, SelectedState, SyncMeta, Uid};

use crate::connection::{ImapConnection, SelectMode};
use crate::error::{EngineError, ErrorKind, Result};
use crate::fetch::{message_row, HEADER_ITEMS};
use crate::response::apply_mailbox_data;
use crate::sync::{unix_now, with_store, SharedStore};

/// What an initial (or resumed) sync did.
pub(crate) struct InitialOutcome {
    pub added: usize,
    /// UIDVALIDITY differed from the interrupted sync's, so it started over.
    pub restarted: bool,
    pub uid_validity: u32,
}

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
    connection.selection_finished(folder, SelectMode::ReadOnly, &tagged)?;
    Ok(state)
}

/// Runs (or resumes, when `resume` holds the interrupted sync's state and low-water mark)
/// the initial sync of `folder`.
pub(crate) async fn initial_sync(
    connection: &mut ImapConnection,
    store: &SharedStore,
    folder: &Folder,
    resume: Option<(SyncMeta, Uid)>,
    chunk_size: usize,
) -> Result<InitialOutcome> {
    let state = examine(connection, &folder.name).await?;
    let uid_validity = state.uid_validity.ok_or_else(|| {
        EngineError::new(
            ErrorKind::Protocol,
            format!("{} reported no UIDVALIDITY", folder.name),
        )
    })?;

    let (uids, restarted) = match resume {
        Some((meta, low_uid)) if meta.uid_validity == uid_validity => {
            let below = if low_uid.0 > 1 {
                connection
                    .uid_search(&format!("UID 1:{}", low_uid.0 - 1))
                    .await?
            } else {
                Vec::new()
            };
            tracing::info!(folder = %folder.name, low_uid = low_uid.0, remaining = below.len(), "resuming initial sync");
            (below, false)
        }
        previous => {
            let uids = connection.uid_search("ALL").await?;
            if uids.is_empty() && state.exists > 0 {
                return Err(EngineError::new(
                    ErrorKind::Protocol,
                    format!(
                        "{}: EXISTS is {} but UID SEARCH listed {} messages; not trusting this answer",
                        folder.name,
                        state.exists,
                        uids.len()
                    ),
                ));
            }
            let derived_next = uids.last().map_or(1, |uid| uid.0.saturating_add(1));
            let uid_next = state
                .uid_next
                .map_or(derived_next, |next| next.0.max(derived_next));
            let meta = SyncMeta {
                uid_validity,
                uid_next: Uid(uid_next),
                highest_modseq: state.highest_modseq,
                initial_low_uid: None,
            };
            with_store(store, |store| store.begin_initial_sync(folder.id, &meta))?;
            (uids, previous.is_some())
        }
    };

    let chunks = initial_chunks(&uids, chunk_size);
    if chunks.is_empty() {
        with_store(store, |store| {
            store.apply_initial_chunk(folder.id, &[], Uid(1), true, unix_now())
        })?;
        return Ok(InitialOutcome {
            added: 0,
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
        }
        Ok(written)
    });

    let streamed = stream_chunks(connection, &chunks, &sender).await;
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
        restarted,
        uid_validity: uid_validity.0,
    })
}

async fn stream_chunks(
    connection: &mut ImapConnection,
    chunks: &[(Uid, Uid)],
    sender: &tokio::sync::mpsc::Sender<Batch>,
) -> Result<()> {
    let commands: Vec<String> = chunks
        .iter()
        .map(|(low, high)| format!("UID FETCH {}:{} {HEADER_ITEMS}", low.0, high.0))
        .collect();
    let mut pipeline = connection.start_pipeline(&commands).await?;
    // Filled by the response handler, drained whenever the low-water mark can advance.
    let rows: std::cell::RefCell<Vec<MessageRow>> = std::cell::RefCell::new(Vec::new());
    let (lowest, highest) = (chunks[chunks.len() - 1].0, chunks[0].1);
    let mut collect = |_: usize, response: &Response<'_>| {
        if let Response::Fetch(_, attributes) = response {
            if let Some(row) =
                message_row(attributes).filter(|row| row.uid >= lowest && row.uid <= highest)
            {
                rows.borrow_mut().push(row);
            }
        }
        Ok(())
    };
    // Chunks may be answered in any order; the mark only moves over a finished prefix.
    let mut finished = vec![false; chunks.len()];
    let mut prefix = 0;
    while let Some((index, tagged)) = connection.next_tagged(&mut pipeline, &mut collect).await? {
        if let Err(error) = tagged.require_ok("Fetching message headers") {
            connection.abandon("a pipelined FETCH failed");
            return Err(error);
        }
        finished[index] = true;
        let before = prefix;
        while prefix < chunks.len() && finished[prefix] {
            prefix += 1;
        }
        if prefix == before {
            continue;
        }
        let batch = Batch {
            rows: rows.take(),
            low_uid: chunks[prefix - 1].0,
            complete: prefix == chunks.len(),
        };
        if sender.send(batch).await.is_err() {
            connection.abandon("the cache writer stopped");
            return Err(EngineError::new(
                ErrorKind::Other,
                "The cache writer stopped",
            ));
        }
    }
    Ok(())
}
