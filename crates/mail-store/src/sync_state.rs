//! Per-folder sync state (`sync_meta`) and the transactions that advance it with the rows.
//!
//! Invariant: a folder's sync_meta only ever changes in the same transaction as the message
//! rows it describes, so a crash at any point leaves a cache that a later sync can trust.

use std::collections::HashMap;

use anyhow::Context;
use mail_sync::{Flags, ModSeq, Strategy, SyncMeta, Uid, UidValidity};
use rusqlite::{params, OptionalExtension, Transaction};

use crate::messages::{remove_messages, set_flags, upsert_messages};
use crate::{FolderId, MessageRow, Store};

/// How many messages of a folder are cached, and the highest UID among them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FolderCounts {
    pub count: usize,
    pub unread: usize,
    pub max_uid: Option<Uid>,
}

/// One delta's worth of changes to a folder, applied atomically with its new sync state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeltaWrite<'a> {
    pub added: &'a [MessageRow],
    pub removed: &'a [Uid],
    pub flags_changed: &'a [(Uid, Flags)],
    pub new_meta: &'a SyncMeta,
    pub strategy: Strategy,
    pub now: i64,
}

fn write_meta(
    tx: &Transaction<'_>,
    folder: FolderId,
    meta: &SyncMeta,
    strategy: Strategy,
) -> anyhow::Result<()> {
    tx.execute(
        "INSERT INTO sync_meta (folder_id, uidvalidity, uidnext, highestmodseq, initial_low_uid, last_strategy)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (folder_id) DO UPDATE SET uidvalidity = excluded.uidvalidity, uidnext = excluded.uidnext,
           highestmodseq = excluded.highestmodseq, initial_low_uid = excluded.initial_low_uid,
           last_strategy = excluded.last_strategy",
        params![
            folder.0,
            meta.uid_validity.0,
            meta.uid_next.0,
            meta.highest_modseq.map_or(0, |modseq| modseq.0 as i64),
            meta.initial_low_uid.map(|uid| uid.0),
            strategy.as_str(),
        ],
    )
    .context("Saving sync state")?;
    Ok(())
}

impl Store {
    pub fn sync_meta(&self, folder: FolderId) -> anyhow::Result<Option<SyncMeta>> {
        self.conn
            .query_row(
                "SELECT uidvalidity, uidnext, highestmodseq, initial_low_uid FROM sync_meta WHERE folder_id = ?1",
                [folder.0],
                |row| {
                    let modseq: i64 = row.get(2)?;
                    let low: Option<u32> = row.get(3)?;
                    Ok(SyncMeta {
                        uid_validity: UidValidity(row.get(0)?),
                        uid_next: Uid(row.get(1)?),
                        highest_modseq: (modseq > 0).then_some(ModSeq(modseq as u64)),
                        initial_low_uid: low.map(Uid),
                    })
                },
            )
            .optional()
            .context("Reading sync state")
    }

    pub fn folder_counts(&self, folder: FolderId) -> anyhow::Result<FolderCounts> {
        self.conn
            .query_row(
                "SELECT (SELECT total FROM folders WHERE id = ?1), (SELECT unread FROM folders WHERE id = ?1),
                        (SELECT max(uid) FROM messages WHERE folder_id = ?1)",
                [folder.0],
                |row| {
                    let count: i64 = row.get::<_, Option<i64>>(0)?.unwrap_or(0);
                    let unread: i64 = row.get::<_, Option<i64>>(1)?.unwrap_or(0);
                    let max: Option<u32> = row.get(2)?;
                    Ok(FolderCounts {
                        count: count.max(0) as usize,
                        unread: unread.max(0) as usize,
                        max_uid: max.map(Uid),
                    })
                },
            )
            .context("Counting cached messages")
    }

    /// Cached flags of the given UIDs (those not cached are absent from the map).
    pub fn flags_of(&self, folder: FolderId, uids: &[Uid]) -> anyhow::Result<HashMap<Uid, Flags>> {
        let mut statement = self
            .conn
            .prepare_cached("SELECT flags FROM messages WHERE folder_id = ?1 AND uid = ?2")
            .context("Preparing flag lookup")?;
        let mut found = HashMap::with_capacity(uids.len());
        for uid in uids {
            let flags: Option<String> = statement
                .query_row(params![folder.0, uid.0], |row| row.get(0))
                .optional()
                .context("Reading cached flags")?;
            if let Some(flags) = flags {
                found.insert(*uid, Flags::parse_stored(&flags));
            }
        }
        Ok(found)
    }

    /// Cached flags of every message of the folder.
    pub fn all_flags(&self, folder: FolderId) -> anyhow::Result<HashMap<Uid, Flags>> {
        let mut statement = self
            .conn
            .prepare_cached("SELECT uid, flags FROM messages WHERE folder_id = ?1")
            .context("Preparing flag scan")?;
        let rows = statement
            .query_map([folder.0], |row| {
                let flags: String = row.get(1)?;
                Ok((Uid(row.get(0)?), Flags::parse_stored(&flags)))
            })
            .context("Reading cached flags")?;
        rows.collect::<rusqlite::Result<_>>()
            .context("Reading cached flags")
    }

    /// Starts a fresh initial sync: drops every cached message of the folder and records the
    /// server state it starts from, with nothing below `meta.uid_next` cached yet.
    pub fn begin_initial_sync(&mut self, folder: FolderId, meta: &SyncMeta) -> anyhow::Result<()> {
        let tx = self.conn.transaction().context("Starting initial sync")?;
        tx.execute("DELETE FROM messages WHERE folder_id = ?1", [folder.0])
            .context("Dropping cached messages for a full resync")?;
        let meta = SyncMeta {
            initial_low_uid: Some(meta.uid_next),
            ..meta.clone()
        };
        write_meta(&tx, folder, &meta, Strategy::Initial)?;
        tx.commit()
            .context("Committing the start of an initial sync")
    }

    /// Stores one chunk of an initial sync and lowers the low-water mark to `low_uid`
    /// (every server UID from `low_uid` up is now cached). `complete` ends the initial sync.
    pub fn apply_initial_chunk(
        &mut self,
        folder: FolderId,
        rows: &[MessageRow],
        low_uid: Uid,
        complete: bool,
        now: i64,
    ) -> anyhow::Result<()> {
        let tx = self
            .conn
            .transaction()
            .context("Starting initial-sync batch")?;
        upsert_messages(&tx, folder, rows)?;
        let low = if complete { None } else { Some(low_uid.0) };
        let updated = tx
            .execute(
                "UPDATE sync_meta SET initial_low_uid = ?2,
                   last_full_sync = CASE WHEN ?2 IS NULL THEN ?3 ELSE last_full_sync END
                 WHERE folder_id = ?1",
                params![folder.0, low, now],
            )
            .context("Advancing the initial-sync mark")?;
        if updated != 1 {
            anyhow::bail!(
                "No sync state for folder {}: the initial sync was not begun",
                folder.0
            );
        }
        tx.commit().context("Committing initial-sync batch")
    }

    /// Applies a delta and the folder's new sync state in one transaction.
    pub fn apply_delta(&mut self, folder: FolderId, delta: &DeltaWrite<'_>) -> anyhow::Result<()> {
        let tx = self.conn.transaction().context("Starting delta")?;
        remove_messages(&tx, folder, delta.removed)?;
        upsert_messages(&tx, folder, delta.added)?;
        set_flags(&tx, folder, delta.flags_changed)?;
        write_meta(&tx, folder, delta.new_meta, delta.strategy)?;
        tx.execute(
            "UPDATE sync_meta SET last_delta_sync = ?2 WHERE folder_id = ?1",
            params![folder.0, delta.now],
        )
        .context("Recording delta time")?;
        tx.commit().context("Committing delta")
    }
}
