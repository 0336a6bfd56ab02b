//! New mail fetched on the watch connection itself, the moment the server announces it.
//!
//! The watch connection's view of the folder is already current when its push arrives, so
//! ending IDLE and fetching the new headers there (DONE and UID FETCH in one write: one
//! round trip) costs the server almost nothing, where a delta sync on the request
//! connection makes it open and rescan the folder first. The delta sync still follows and
//! stays the truth: arrivals are cached without touching the folder's sync state.

use imap_proto::Response;
use mail_store::{Folder, MessageRow};

use crate::connection::{Idle, ImapConnection};
use crate::engine::Engine;
use crate::error::{EngineError, ErrorKind, Result};
use crate::fetch::{message_row, HEADER_ITEMS};
use crate::sync::with_store;

/// More arrivals than this at once (a burst) are left to the delta sync, which batches them.
const MAX_ARRIVALS: usize = 50;

/// The UID to fetch from when a push's message count (`exists`) announces a few messages
/// the complete cache lacks; `None` when the delta sync should handle it alone.
pub(super) fn fetch_from(engine: &Engine, folder: &Folder, exists: u32) -> Result<Option<u32>> {
    let (counts, meta) = with_store(engine.store(), |store| {
        Ok((store.sync_counts(folder.id)?, store.sync_meta(folder.id)?))
    })?;
    let Some(meta) = meta.filter(|meta| meta.initial_low_uid.is_none()) else {
        return Ok(None);
    };
    let arriving = (exists as usize).saturating_sub(counts.count);
    if arriving == 0 || arriving > MAX_ARRIVALS {
        return Ok(None);
    }
    let after_cached = counts.max_uid.map_or(1, |uid| uid.0.saturating_add(1));
    Ok(Some(after_cached.max(meta.uid_next.0)))
}

/// Ends `idle`, fetches the messages from UID `from` up, caches them and tells subscribers.
/// Connection failures are returned; a refused FETCH or a cache error is only logged (the
/// delta sync that follows covers the same ground).
pub(super) async fn fetch(
    engine: &Engine,
    connection: &mut ImapConnection,
    idle: Idle,
    folder: &Folder,
    uid_validity: u32,
    from: u32,
) -> Result<()> {
    let command = format!("UID FETCH {from}:* {HEADER_ITEMS}");
    let mut rows: Vec<MessageRow> = Vec::new();
    let (_, tagged) = connection
        .idle_done_then(
            idle,
            engine.options().idle_done_timeout,
            &command,
            |response| {
                if let Response::Fetch(_, attributes) = response {
                    // `from:*` names the last message when nothing is newer: skip it.
                    if let Some(row) = message_row(attributes).filter(|row| row.uid.0 >= from) {
                        if rows.iter().any(|known| known.uid == row.uid) {
                            return Ok(());
                        }
                        // A few were announced; a flood is a lie (the delta sync that
                        // follows on a fresh connection gets the truth).
                        if rows.len() >= MAX_ARRIVALS * 2 {
                            return Err(EngineError::new(
                                ErrorKind::Protocol,
                                format!(
                                    "{}: more new messages than the server announced",
                                    folder.name
                                ),
                            ));
                        }
                        rows.push(row);
                    }
                }
                Ok(())
            },
        )
        .await?;
    if let Err(error) = tagged.require_ok(&format!("Fetching new mail in {}", folder.name)) {
        tracing::warn!(folder = %folder.name, %error, "fetching arrivals failed");
        return Ok(());
    }
    match engine.cache_arrivals(folder, uid_validity, &rows) {
        Ok(added) => tracing::debug!(folder = %folder.name, added, "arrivals cached"),
        Err(error) => tracing::warn!(folder = %folder.name, %error, "caching arrivals failed"),
    }
    Ok(())
}
