//! The `pending_ops` table: user actions applied to the cache at once and queued, durably, for
//! the server. An action's optimistic change and its queue entry are one transaction.
//!
//! A move gives the message a *local UID* (>= 2^32, derived from the operation's id) in the
//! target folder until the server names it; operations on the moved message use that local
//! UID and are re-pointed when the move is confirmed. Until an operation is confirmed, the
//! server's view of the folder still has the message as it was: [`Store::sync_counts`] and the
//! flag lookups used by delta syncs answer with that view (see `overlay.rs`).

use anyhow::Context;
use mail_sync::Uid;
use rusqlite::params;

use crate::pending_ops::{
    has_pending, insert_op, ops_where, stored_flags, write_flags, PendingKind, PendingOp, Queued,
    LOCAL_UID_BASE,
};
use crate::{FolderId, Store};

impl Store {
    /// Applies an action to cached messages and queues it for the server, in one transaction.
    pub fn queue_action(
        &mut self,
        folder: FolderId,
        uids: &[u64],
        kind: &PendingKind,
        now: i64,
    ) -> anyhow::Result<Queued> {
        if let PendingKind::Move { target } = kind {
            if *target == folder {
                anyhow::bail!("The messages are already in that folder");
            }
        }
        let tx = self.conn.transaction().context("Starting an action")?;
        let queued = queue_in(&tx, folder, uids, kind, now)?;
        tx.commit().context("Committing an action")?;
        Ok(queued)
    }

    /// Every queued operation of the account, in the order they were made.
    pub fn pending_ops(&self, account: crate::AccountId) -> anyhow::Result<Vec<PendingOp>> {
        ops_where(&self.conn, "f.account_id = ?1", [account.0])
    }

    /// How many operations wait for the server.
    pub fn pending_count(&self, account: crate::AccountId) -> anyhow::Result<usize> {
        let count: i64 = self
            .conn
            .query_row(
                "SELECT count(*) FROM pending_ops
                 WHERE folder_id IN (SELECT id FROM folders WHERE account_id = ?1)",
                [account.0],
                |row| row.get(0),
            )
            .context("Counting pending operations")?;
        Ok(count.max(0) as usize)
    }

    /// The server confirmed these operations.
    pub fn complete_ops(&mut self, ids: &[i64]) -> anyhow::Result<()> {
        let tx = self.conn.transaction().context("Starting to complete")?;
        {
            let mut delete = tx
                .prepare_cached("DELETE FROM pending_ops WHERE id = ?1")
                .context("Preparing to complete operations")?;
            for id in ids {
                delete.execute([id]).context("Completing an operation")?;
            }
        }
        tx.commit().context("Committing completed operations")
    }

    /// Records a failed attempt (the operations stay queued).
    pub fn note_attempt(&mut self, ids: &[i64], error: &str) -> anyhow::Result<()> {
        let tx = self
            .conn
            .transaction()
            .context("Starting to note a failure")?;
        {
            let mut update = tx
                .prepare_cached(
                    "UPDATE pending_ops SET attempts = attempts + 1, last_error = ?2 WHERE id = ?1",
                )
                .context("Preparing to note a failure")?;
            for id in ids {
                update
                    .execute(params![id, error])
                    .context("Noting a failure")?;
            }
        }
        tx.commit().context("Committing a failure note")
    }

    /// The server moved the message of move `op_id`; `new_uid` is its UID in the target
    /// (from COPYUID), or `None` when the server did not say. The local UID is replaced by the
    /// real one everywhere (or, without one, the placeholder is dropped for the target's next
    /// sync to bring the message, with the operations that named it). Returns the operations
    /// dropped.
    pub fn resolve_move(
        &mut self,
        op_id: i64,
        new_uid: Option<Uid>,
    ) -> anyhow::Result<Vec<PendingOp>> {
        let tx = self
            .conn
            .transaction()
            .context("Starting to resolve a move")?;
        let dropped = crate::overlay::resolve_move(&tx, op_id, new_uid)?;
        tx.commit().context("Committing a resolved move")?;
        Ok(dropped)
    }

    /// Gives up operations that can never apply (`gone`: the message is no longer on the
    /// server) or that the server refused: each is removed, and a refused one's local change
    /// is undone (flags restored, a moved message moved back). Operations that depended on a
    /// dropped move are dropped too. Returns everything dropped.
    pub fn drop_ops(&mut self, ids: &[i64], gone: bool) -> anyhow::Result<Vec<PendingOp>> {
        let tx = self
            .conn
            .transaction()
            .context("Starting to drop operations")?;
        let mut dropped = Vec::new();
        for &id in ids {
            dropped.extend(crate::overlay::drop_op(&tx, id, gone)?);
        }
        tx.commit().context("Committing dropped operations")?;
        Ok(dropped)
    }
}

/// [`Store::queue_action`] inside a transaction of the caller's.
pub(crate) fn queue_in(
    tx: &rusqlite::Transaction<'_>,
    folder: FolderId,
    uids: &[u64],
    kind: &PendingKind,
    now: i64,
) -> anyhow::Result<Queued> {
    let mut queued = Queued::default();
    for &uid in uids {
        let Some(flags) = stored_flags(tx, folder, uid)? else {
            queued.missing.push(uid);
            continue;
        };
        match kind {
            PendingKind::AddFlag(_) | PendingKind::RemoveFlag(_) => {
                let mut wanted = flags.clone();
                kind.apply_to(&mut wanted);
                if wanted == flags && !has_pending(tx, folder, uid)? {
                    queued.unchanged.push(uid);
                    continue;
                }
                write_flags(tx, folder, uid, &wanted)?;
                insert_op(tx, folder, uid, kind, &flags, now)?;
            }
            PendingKind::Move { target } => {
                let id = insert_op(tx, folder, uid, kind, &flags, now)?;
                let local = LOCAL_UID_BASE + id as u64;
                tx.execute(
                    "UPDATE pending_ops SET local_uid = ?2 WHERE id = ?1",
                    params![id, local as i64],
                )
                .context("Naming the moved message")?;
                // The count trigger moves the message between the folders' counts.
                tx.execute(
                        "UPDATE messages SET folder_id = ?3, uid = ?4 WHERE folder_id = ?1 AND uid = ?2",
                        params![folder.0, uid as i64, target.0, local as i64],
                    )
                    .context("Moving the message in the cache")?;
                queued.moved.push((uid, local));
            }
            PendingKind::Expunge => {
                insert_op(tx, folder, uid, kind, &flags, now)?;
                tx.execute(
                    "DELETE FROM messages WHERE folder_id = ?1 AND uid = ?2",
                    params![folder.0, uid as i64],
                )
                .context("Removing the message from the cache")?;
            }
        }
        queued.changed.push(uid);
    }
    Ok(queued)
}
