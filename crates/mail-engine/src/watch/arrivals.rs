//! New mail fetched on the watch connection itself, the moment the server announces it.
//!
//! The watch connection's view of the folder is already current when its push arrives, so
//! ending IDLE and fetching the new headers there (DONE and UID FETCH in one write: one
//! round trip) costs the server almost nothing, where a delta sync on the request
//! connection makes it open and rescan the folder first. The delta sync still follows and
//! stays the truth: arrivals are cached without touching the folder's sync state.

use imap_proto::Response;
use mail_store::{Folder, MessageRow};

use crate::announcing::Announcing;
use crate::connection::{Idle, ImapConnection};
use crate::core_handle::{Core, FolderChange};
use crate::error::{EngineError, ErrorKind, Result};
use crate::fetch::message_row;
use crate::store_access::with_store;
use crate::sync::NewMessage;

/// More arrivals than this at once (a burst) are left to the delta sync, which batches them.
const MAX_ARRIVALS: usize = 50;

/// The UID to fetch from when a push's message count (`exists`) announces a few messages
/// the complete cache lacks; `None` when the delta sync should handle it alone.
pub(super) fn fetch_from(core: &Core, folder: &Folder, exists: u32) -> Result<Option<u32>> {
    let (counts, meta) = with_store(core.store(), |store| {
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
    core: &Core,
    announcing: &Announcing,
    connection: &mut ImapConnection,
    idle: Idle,
    folder: &Folder,
    uid_validity: u32,
    from: u32,
) -> Result<()> {
    let command = format!("UID FETCH {from}:* {}", connection.header_items());
    let mut rows: Vec<MessageRow> = Vec::new();
    let (_, tagged) = connection
        .idle_done_then(
            idle,
            core.options().idle_done_timeout,
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
    match cache_arrivals(core, announcing, folder, uid_validity, &rows) {
        Ok(added) => tracing::debug!(folder = %folder.name, added, "arrivals cached"),
        Err(error) => tracing::warn!(folder = %folder.name, %error, "caching arrivals failed"),
    }
    Ok(())
}

/// Caches messages fetched right after the server announced them, and tells subscribers,
/// ahead of the delta sync that confirms them. Nothing is cached when the folder's cache is
/// not complete or belongs to another UIDVALIDITY (the delta sync sorts that out). Returns
/// how many messages were new to the cache.
fn cache_arrivals(
    core: &Core,
    announcing: &Announcing,
    folder: &Folder,
    uid_validity: u32,
    rows: &[MessageRow],
) -> Result<usize> {
    let cached = with_store(core.store(), |store| {
        match store.sync_meta(folder.id)? {
            Some(meta) if meta.uid_validity.0 == uid_validity && meta.initial_low_uid.is_none() => {
            }
            _ => return Ok(None),
        }
        let inserted = store.add_arrivals(folder.id, rows)?;
        Ok(Some((inserted, store.folder_counts(folder.id)?)))
    })?;
    let Some((inserted, counts)) = cached else {
        return Ok(0);
    };
    if inserted.is_empty() {
        return Ok(0);
    }
    core.folder_changed(
        &folder.name,
        FolderChange {
            added: inserted.len(),
            ..FolderChange::counted(counts)
        },
    );
    if announcing.announces(&folder.name) {
        let messages: Vec<NewMessage> = rows
            .iter()
            .filter(|row| inserted.contains(&row.uid))
            .map(NewMessage::from_row)
            .collect();
        core.new_mail(&folder.name, &messages);
    }
    Ok(inserted.len())
}
