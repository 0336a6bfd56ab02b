//! Per-folder sync state (`sync_meta`) and the transactions that advance it with the rows.
//!
//! Invariant: a folder's sync_meta only ever changes in the same transaction as the message
//! rows it describes, so a crash at any point leaves a cache that a later sync can trust.

use std::collections::HashMap;

use anyhow::Context;
use mail_sync::{Flags, ModSeq, Strategy, SyncMeta, Uid, UidValidity};
use rusqlite::{params, OptionalExtension, Transaction};

use crate::messages::{remove_messages, set_flags, upsert_messages};
use crate::overlay;
use crate::pending_ops::{PendingOp, LOCAL_UID_BASE};
use crate::{FolderId, MessageRow, Store};

/// How many messages of a folder are cached, and the highest UID among them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FolderCounts {
    pub count: usize,
    pub unread: usize,
    pub max_uid: Option<Uid>,
}

/// What applying a delta did to the cache.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeltaApplied {
    /// Messages that were not cached before (an arrival may have been cached ahead of the
    /// delta by [`Store::add_arrivals`]).
    pub inserted: Vec<Uid>,
    /// Messages whose cached flags changed (server changes that pending operations override
    /// do not count).
    pub flags_changed: usize,
    /// Pending operations dropped because their message is gone from the server.
    pub dropped: Vec<PendingOp>,
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
                        (SELECT max(uid) FROM messages WHERE folder_id = ?1 AND uid < ?2)",
                params![folder.0, LOCAL_UID_BASE as i64],
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
        for (uid, flags) in overlay::shadows(&self.conn, folder)? {
            if uids.contains(&uid) {
                found.entry(uid).or_insert(flags);
            }
        }
        Ok(found)
    }

    /// The server's view of a folder's size, for delta syncs: cached messages, minus those
    /// moved in locally (local UIDs), plus those moved or deleted away locally and not yet
    /// replayed; and the highest server UID among them.
    pub fn sync_counts(&self, folder: FolderId) -> anyhow::Result<FolderCounts> {
        let cached = self.folder_counts(folder)?;
        let shadows = overlay::shadows(&self.conn, folder)?;
        let local = overlay::placeholders(&self.conn, folder)?;
        Ok(FolderCounts {
            count: (cached.count + shadows.len()).saturating_sub(local),
            unread: cached.unread,
            max_uid: cached.max_uid.max(shadows.keys().max().copied()),
        })
    }

    /// Cached flags of every message of the folder as the server knows it (messages moved
    /// away locally included, local UIDs left out).
    pub fn all_flags(&self, folder: FolderId) -> anyhow::Result<HashMap<Uid, Flags>> {
        let mut statement = self
            .conn
            .prepare_cached("SELECT uid, flags FROM messages WHERE folder_id = ?1 AND uid < ?2")
            .context("Preparing flag scan")?;
        let rows = statement
            .query_map(params![folder.0, LOCAL_UID_BASE as i64], |row| {
                let flags: String = row.get(1)?;
                Ok((Uid(row.get(0)?), Flags::parse_stored(&flags)))
            })
            .context("Reading cached flags")?;
        let mut all: HashMap<Uid, Flags> = rows
            .collect::<rusqlite::Result<_>>()
            .context("Reading cached flags")?;
        for (uid, flags) in overlay::shadows(&self.conn, folder)? {
            all.entry(uid).or_insert(flags);
        }
        Ok(all)
    }

    /// The UID of the `n`-th newest cached message of the folder as the server knows it
    /// (local UIDs left out), if it holds that many: where a flag window starts.
    pub fn nth_newest_uid(&self, folder: FolderId, n: usize) -> anyhow::Result<Option<Uid>> {
        let Some(offset) = n.checked_sub(1) else {
            return Ok(None);
        };
        self.conn
            .query_row(
                "SELECT uid FROM messages WHERE folder_id = ?1 AND uid < ?2
                 ORDER BY uid DESC LIMIT 1 OFFSET ?3",
                params![folder.0, LOCAL_UID_BASE as i64, offset as i64],
                |row| row.get(0).map(Uid),
            )
            .optional()
            .context("Finding where the newest messages start")
    }

    /// Cached UIDs of the folder from `low` to `high` as the server knows them (messages
    /// moved away locally included, local UIDs left out), ascending.
    pub fn server_uids_between(
        &self,
        folder: FolderId,
        low: Uid,
        high: Uid,
    ) -> anyhow::Result<Vec<Uid>> {
        let mut statement = self
            .conn
            .prepare_cached(
                "SELECT uid FROM messages WHERE folder_id = ?1 AND uid >= ?2 AND uid <= ?3
                 AND uid < ?4 ORDER BY uid",
            )
            .context("Preparing the UID range lookup")?;
        let rows = statement
            .query_map(
                params![folder.0, low.0, high.0, LOCAL_UID_BASE as i64],
                |row| row.get(0).map(Uid),
            )
            .context("Reading cached UIDs")?;
        let mut uids: Vec<Uid> = rows
            .collect::<rusqlite::Result<_>>()
            .context("Reading cached UIDs")?;
        uids.extend(
            overlay::shadows(&self.conn, folder)?
                .into_keys()
                .filter(|uid| (low..=high).contains(uid)),
        );
        uids.sort_unstable();
        uids.dedup();
        Ok(uids)
    }

    /// Starts a fresh initial sync: drops every cached message of the folder and records the
    /// server state it starts from, with nothing below `meta.uid_next` cached yet. Pending
    /// operations on the dropped messages are dropped too (their UIDs mean nothing any more)
    /// and returned; messages moved in locally (local UIDs) stay with their moves.
    pub fn begin_initial_sync(
        &mut self,
        folder: FolderId,
        meta: &SyncMeta,
    ) -> anyhow::Result<Vec<PendingOp>> {
        let tx = self.conn.transaction().context("Starting initial sync")?;
        let stale: Vec<i64> = crate::pending_ops::ops_where(
            &tx,
            "p.folder_id = ?1 AND p.uid < ?2",
            params![folder.0, LOCAL_UID_BASE as i64],
        )?
        .iter()
        .map(|op| op.id)
        .collect();
        let mut dropped = Vec::new();
        for id in stale.into_iter().rev() {
            dropped.extend(overlay::drop_op(&tx, id, true)?);
        }
        tx.execute(
            "DELETE FROM messages WHERE folder_id = ?1 AND uid < ?2",
            params![folder.0, LOCAL_UID_BASE as i64],
        )
        .context("Dropping cached messages for a full resync")?;
        let meta = SyncMeta {
            initial_low_uid: Some(meta.uid_next),
            ..meta.clone()
        };
        write_meta(&tx, folder, &meta, Strategy::Initial)?;
        tx.commit()
            .context("Committing the start of an initial sync")?;
        Ok(dropped)
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

    /// Applies a delta and the folder's new sync state in one transaction, keeping what
    /// pending operations did: a message moved away locally is not brought back, and server
    /// flags get the pending flag changes layered on top. Operations on messages the server
    /// no longer has are dropped.
    pub fn apply_delta(
        &mut self,
        folder: FolderId,
        delta: &DeltaWrite<'_>,
    ) -> anyhow::Result<DeltaApplied> {
        let tx = self.conn.transaction().context("Starting delta")?;
        let pending = overlay::pending_by_uid(&tx, folder)?;
        let dropped = overlay::drop_for_removed(&tx, delta.removed, &pending)?;
        remove_messages(&tx, folder, delta.removed)?;
        let inserted = if pending.is_empty() {
            upsert_messages(&tx, folder, delta.added)?
        } else {
            let (kept, overlaid): (Vec<MessageRow>, Vec<MessageRow>) = delta
                .added
                .iter()
                .filter(|row| {
                    pending
                        .get(&u64::from(row.uid.0))
                        .is_none_or(|ops| !ops.iter().any(|op| op.kind.removes()))
                })
                .cloned()
                .partition(|row| !pending.contains_key(&u64::from(row.uid.0)));
            let mut inserted = upsert_messages(&tx, folder, &kept)?;
            for row in overlaid {
                let ops = pending
                    .get(&u64::from(row.uid.0))
                    .map_or(&[][..], Vec::as_slice);
                let mut row = row;
                if let Some(flags) = overlay::effective_flags(&row.flags, ops) {
                    row.flags = flags;
                }
                inserted.extend(upsert_messages(&tx, folder, std::slice::from_ref(&row))?);
            }
            inserted
        };
        let flags_changed = if pending.is_empty() {
            set_flags(&tx, folder, delta.flags_changed)?
        } else {
            let effective: Vec<(Uid, Flags)> = delta
                .flags_changed
                .iter()
                .filter_map(|(uid, flags)| match pending.get(&u64::from(uid.0)) {
                    None => Some((*uid, flags.clone())),
                    Some(ops) => overlay::effective_flags(flags, ops).map(|flags| (*uid, flags)),
                })
                .collect();
            set_flags(&tx, folder, &effective)?
        };
        write_meta(&tx, folder, delta.new_meta, delta.strategy)?;
        tx.execute(
            "UPDATE sync_meta SET last_delta_sync = ?2 WHERE folder_id = ?1",
            params![folder.0, delta.now],
        )
        .context("Recording delta time")?;
        tx.commit().context("Committing delta")?;
        Ok(DeltaApplied {
            inserted,
            flags_changed,
            dropped,
        })
    }

    /// Caches messages that just arrived (fetched on a watch connection right after the
    /// server announced them), ahead of the delta sync that confirms them. The sync state is
    /// left alone, so that delta still fetches them and stays the truth; an arrival expunged
    /// meanwhile is removed by it. Returns the UIDs that were not cached before.
    pub fn add_arrivals(
        &mut self,
        folder: FolderId,
        rows: &[MessageRow],
    ) -> anyhow::Result<Vec<Uid>> {
        let tx = self
            .conn
            .transaction()
            .context("Starting to cache arrivals")?;
        let inserted = upsert_messages(&tx, folder, rows)?;
        tx.commit().context("Committing arrivals")?;
        Ok(inserted)
    }
}

#[cfg(test)]
mod tests {
    //! The one store test that needs the store's own connection (a page cap is set per
    //! connection); every other test is in `tests/` and uses tern-testkit's account fixture,
    //! which a unit test cannot (it links its own copy of this crate).
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use mail_sync::{Flags, FolderRole, ModSeq, Strategy, SyncMeta, Uid, UidValidity};

    use crate::{
        DeltaWrite, FolderId, ListedFolder, MessageRow, NewAccount, PasswordSource, Security, Store,
    };

    fn inbox(store: &mut Store) -> FolderId {
        let account = store
            .upsert_account(
                &NewAccount {
                    email: "alice@tern.test".into(),
                    imap_host: "127.0.0.1".into(),
                    imap_port: 143,
                    security: Security::Plain,
                    username: "alice".into(),
                    ca_file: None,
                    password_source: PasswordSource::Env("TERN_TEST_PASSWORD".into()),
                    allow_plaintext: false,
                    oauth: None,
                },
                1,
            )
            .expect("account");
        store
            .replace_folders(
                account,
                &[ListedFolder {
                    name: "INBOX".into(),
                    delimiter: Some("/".into()),
                    attributes: vec![],
                    role: Some(FolderRole::Inbox),
                    selectable: true,
                }],
            )
            .expect("folders");
        store
            .folder_by_name(account, "INBOX")
            .expect("lookup")
            .expect("inbox exists")
            .id
    }

    /// A row with what the cache needs and little else: this test counts pages, not fields.
    fn row(uid: u32) -> MessageRow {
        let empty = String::new;
        MessageRow {
            uid: Uid(uid),
            internal_date: 1_700_000_000 + i64::from(uid),
            date: None,
            size: 100,
            flags: Flags::default(),
            attachments: false,
            gmail: None,
            message_id: format!("<{uid}@example.org>"),
            subject: empty(),
            from_name: empty(),
            from_address: empty(),
            to_list: empty(),
            cc_list: empty(),
            in_reply_to: empty(),
            references: empty(),
        }
    }

    #[test]
    fn a_full_disk_is_a_clear_error_and_keeps_what_was_saved() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut store = Store::open_in_dir(dir.path()).expect("store");
        let folder = inbox(&mut store);
        let meta = |uid_next| SyncMeta {
            uid_validity: UidValidity(42),
            uid_next: Uid(uid_next),
            highest_modseq: Some(ModSeq(7)),
            initial_low_uid: None,
        };
        store.begin_initial_sync(folder, &meta(6)).expect("begin");
        let rows: Vec<MessageRow> = (1..=5).map(row).collect();
        store
            .apply_initial_chunk(folder, &rows, Uid(1), true, 1)
            .expect("initial");
        let before_rows = store.message_rows(folder).expect("rows");
        let before_meta = store.sync_meta(folder).expect("meta");

        // The database may not grow any more: every new page fails with SQLITE_FULL.
        let pages: i64 = store
            .conn
            .pragma_query_value(None, "page_count", |row| row.get(0))
            .expect("pages");
        store
            .conn
            .pragma_update(None, "max_page_count", pages)
            .expect("cap");
        let big: Vec<MessageRow> = (10..2_000)
            .map(|uid| MessageRow {
                subject: "x".repeat(500),
                ..row(uid)
            })
            .collect();
        let new_meta = meta(2_000);
        let error = store
            .apply_delta(
                folder,
                &DeltaWrite {
                    added: &big,
                    removed: &[Uid(1)],
                    flags_changed: &[],
                    new_meta: &new_meta,
                    strategy: Strategy::Qresync,
                    now: 3,
                },
            )
            .expect_err("a full database refuses the delta");
        let text = format!("{error:#}");
        assert!(text.contains("full"), "{text}");
        assert_eq!(
            store.message_rows(folder).expect("rows"),
            before_rows,
            "nothing lost, nothing half-written"
        );
        assert_eq!(store.sync_meta(folder).expect("meta"), before_meta);
    }
}
