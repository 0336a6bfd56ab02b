//! Pending operations layered over server data: the server's view of a folder for delta
//! syncs (a message moved away locally is still there until replayed), server writes that
//! keep what the user did (a message read during a sync stays read), and undoing or
//! re-pointing operations when the server answers.

use std::collections::HashMap;

use anyhow::Context;
use mail_sync::{Flags, Uid};
use rusqlite::{params, Connection, Transaction};

use crate::pending_ops::{ops_where, write_flags, PendingKind, PendingOp, LOCAL_UID_BASE};
use crate::FolderId;

/// The pending operations of one folder, by message, oldest first.
pub(crate) fn pending_by_uid(
    conn: &Connection,
    folder: FolderId,
) -> anyhow::Result<HashMap<u64, Vec<PendingOp>>> {
    let mut by_uid: HashMap<u64, Vec<PendingOp>> = HashMap::new();
    for op in ops_where(conn, "p.folder_id = ?1", [folder.0])? {
        by_uid.entry(op.uid).or_default().push(op);
    }
    Ok(by_uid)
}

/// Messages that left `folder` locally but are still on the server (moved or expunged, not
/// replayed yet), with the flags they had.
pub(crate) fn shadows(conn: &Connection, folder: FolderId) -> anyhow::Result<HashMap<Uid, Flags>> {
    let mut statement = conn
        .prepare_cached(
            "SELECT uid, prior_flags FROM pending_ops
             WHERE folder_id = ?1 AND kind IN ('move', 'expunge') AND uid < ?2",
        )
        .context("Preparing the shadow lookup")?;
    let rows = statement
        .query_map(params![folder.0, LOCAL_UID_BASE as i64], |row| {
            let uid: u32 = row.get(0)?;
            let flags: String = row.get(1)?;
            Ok((Uid(uid), Flags::parse_stored(&flags)))
        })
        .context("Reading shadows")?;
    rows.collect::<rusqlite::Result<_>>()
        .context("Reading shadows")
}

/// Messages moved into `folder` locally that the server has not confirmed (local UIDs).
pub(crate) fn placeholders(conn: &Connection, folder: FolderId) -> anyhow::Result<usize> {
    let count: i64 = conn
        .query_row(
            "SELECT count(*) FROM messages WHERE folder_id = ?1 AND uid >= ?2",
            params![folder.0, LOCAL_UID_BASE as i64],
            |row| row.get(0),
        )
        .context("Counting local messages")?;
    Ok(count.max(0) as usize)
}

/// What the server will report for a message after `ops` are replayed, given its `server`
/// flags now; `None` when the message has left the folder locally.
pub(crate) fn effective_flags(server: &Flags, ops: &[PendingOp]) -> Option<Flags> {
    let mut flags = server.clone();
    for op in ops {
        if op.kind.removes() {
            return None;
        }
        op.kind.apply_to(&mut flags);
    }
    Some(flags)
}

fn delete_op(tx: &Transaction<'_>, id: i64) -> anyhow::Result<()> {
    tx.execute("DELETE FROM pending_ops WHERE id = ?1", [id])
        .context("Removing a pending operation")?;
    Ok(())
}

fn delete_message(tx: &Transaction<'_>, folder: FolderId, uid: u64) -> anyhow::Result<()> {
    tx.execute(
        "DELETE FROM messages WHERE folder_id = ?1 AND uid = ?2",
        params![folder.0, uid as i64],
    )
    .context("Removing a message from the cache")?;
    Ok(())
}

fn message_exists(tx: &Transaction<'_>, folder: FolderId, uid: u64) -> anyhow::Result<bool> {
    Ok(crate::message_column::message_column::<i64>(tx, "id", folder, uid)?.is_some())
}

fn ops_on(tx: &Transaction<'_>, folder: FolderId, uid: u64) -> anyhow::Result<Vec<PendingOp>> {
    ops_where(
        tx,
        "p.folder_id = ?1 AND p.uid = ?2",
        params![folder.0, uid as i64],
    )
}

/// See [`crate::Store::resolve_move`].
pub(crate) fn resolve_move(
    tx: &Transaction<'_>,
    op_id: i64,
    new_uid: Option<Uid>,
) -> anyhow::Result<Vec<PendingOp>> {
    let Some(op) = ops_where(tx, "p.id = ?1", [op_id])?.pop() else {
        return Ok(Vec::new());
    };
    delete_op(tx, op.id)?;
    let (PendingKind::Move { target }, Some(local)) = (&op.kind, op.local_uid) else {
        return Ok(Vec::new());
    };
    let target = *target;
    match new_uid {
        Some(uid) => {
            let real = u64::from(uid.0);
            if message_exists(tx, target, real)? {
                // The target's sync already brought the message: the placeholder goes.
                delete_message(tx, target, local)?;
            } else {
                tx.execute(
                    "UPDATE messages SET uid = ?3 WHERE folder_id = ?1 AND uid = ?2",
                    params![target.0, local as i64, real as i64],
                )
                .context("Naming a moved message")?;
            }
            tx.execute(
                "UPDATE pending_ops SET uid = ?3 WHERE folder_id = ?1 AND uid = ?2",
                params![target.0, local as i64, real as i64],
            )
            .context("Re-pointing operations on a moved message")?;
            Ok(Vec::new())
        }
        None => {
            let mut dropped = Vec::new();
            for dependent in ops_on(tx, target, local)?.into_iter().rev() {
                dropped.extend(drop_op(tx, dependent.id, true)?);
            }
            delete_message(tx, target, local)?;
            Ok(dropped)
        }
    }
}

/// See [`crate::Store::drop_ops`]. Returns the dropped operation and any that depended on it.
pub(crate) fn drop_op(tx: &Transaction<'_>, id: i64, gone: bool) -> anyhow::Result<Vec<PendingOp>> {
    let Some(op) = ops_where(tx, "p.id = ?1", [id])?.pop() else {
        return Ok(Vec::new());
    };
    delete_op(tx, op.id)?;
    let mut dropped = Vec::new();
    match &op.kind {
        PendingKind::AddFlag(_) | PendingKind::RemoveFlag(_) => {
            if !gone {
                // Back to what the message had, with the later operations still on top.
                let later: Vec<PendingOp> = ops_on(tx, op.folder, op.uid)?
                    .into_iter()
                    .filter(|other| other.id > op.id)
                    .collect();
                if let Some(flags) = effective_flags(&op.prior_flags, &later) {
                    write_flags(tx, op.folder, op.uid, &flags)?;
                }
            }
        }
        PendingKind::Move { target } => {
            let target = *target;
            if let Some(local) = op.local_uid {
                // Later moves of the moved message are undone first (newest first), so the
                // message is back at its local UID in the target.
                for dependent in ops_on(tx, target, local)?.into_iter().rev() {
                    if dependent.kind.removes() {
                        dropped.extend(drop_op(tx, dependent.id, gone)?);
                    }
                }
                if gone || message_exists(tx, op.folder, op.uid)? {
                    for dependent in ops_on(tx, target, local)?.into_iter().rev() {
                        dropped.extend(drop_op(tx, dependent.id, true)?);
                    }
                    delete_message(tx, target, local)?;
                } else {
                    tx.execute(
                        "UPDATE messages SET folder_id = ?3, uid = ?4 WHERE folder_id = ?1 AND uid = ?2",
                        params![target.0, local as i64, op.folder.0, op.uid as i64],
                    )
                    .context("Moving a message back")?;
                    tx.execute(
                        "UPDATE pending_ops SET folder_id = ?3, uid = ?4 WHERE folder_id = ?1 AND uid = ?2",
                        params![target.0, local as i64, op.folder.0, op.uid as i64],
                    )
                    .context("Re-pointing operations on a message moved back")?;
                }
            }
        }
        // A refused expunge: the engine fetches the message again (the row is gone).
        PendingKind::Expunge => {}
    }
    dropped.insert(0, op);
    Ok(dropped)
}

/// Drops the operations on messages a delta found gone from the server. A move stays: its
/// message leaving the folder is what a move does, and the replay that sent it (perhaps in
/// another process, between this delta's listing and its write) is about to record where it
/// went; dropping it here would take the moved message out of sight. A replay that finds
/// the message really gone drops it then.
pub(crate) fn drop_for_removed(
    tx: &Transaction<'_>,
    removed: &[Uid],
    pending: &HashMap<u64, Vec<PendingOp>>,
) -> anyhow::Result<Vec<PendingOp>> {
    let mut dropped = Vec::new();
    for uid in removed {
        for op in pending.get(&u64::from(uid.0)).into_iter().flatten().rev() {
            if matches!(op.kind, PendingKind::Move { .. }) {
                continue;
            }
            dropped.extend(drop_op(tx, op.id, true)?);
        }
    }
    Ok(dropped)
}
