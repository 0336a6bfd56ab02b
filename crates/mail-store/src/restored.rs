//! Queued actions brought over from a damaged cache (`restored_actions`, written by
//! [`crate::Store::restore_local_data`]) go back into the queue once their folder has been
//! synced into the new cache: in their original order, each in the same transaction as its
//! removal from `restored_actions`, so a crash never queues one twice or loses one.

use anyhow::Context;
use rusqlite::{params, OptionalExtension};

use crate::pending::queue_in;
use crate::pending_ops::{PendingKind, LOCAL_UID_BASE};
use crate::{AccountId, Folder, Store};

/// A restored action that could not be queued again, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoredDropped {
    pub folder: String,
    pub uid: u64,
    /// `add_flag`, `remove_flag`, `move` or `expunge`.
    pub kind: String,
    pub flag: Option<String>,
    pub reason: String,
}

/// What [`Store::requeue_restored`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Requeued {
    pub queued: usize,
    pub dropped: Vec<RestoredDropped>,
    /// Still waiting (their folder, or the folder of a move they depend on, is not synced).
    pub waiting: usize,
}

struct Row {
    id: i64,
    uid_validity: i64,
    uid: i64,
    kind: String,
    flag: Option<String>,
    target: Option<String>,
}

impl Store {
    /// How many restored actions of the account wait to be queued again.
    pub fn restored_waiting(&self, account: AccountId) -> anyhow::Result<usize> {
        let count: i64 = self
            .conn
            .query_row(
                "SELECT count(*) FROM restored_actions WHERE account_id = ?1 AND folder <> ''",
                [account.0],
                |row| row.get(0),
            )
            .context("Counting restored actions")?;
        Ok(count.max(0) as usize)
    }

    /// Queues again the restored actions on messages of `folder`, which has just been synced.
    pub fn requeue_restored(&mut self, folder: &Folder, now: i64) -> anyhow::Result<Requeued> {
        let mut result = Requeued::default();
        let meta = self.sync_meta(folder.id)?;
        let Some(meta) = meta.filter(|meta| meta.initial_sync_complete()) else {
            return Ok(result);
        };
        let rows: Vec<Row> = {
            let mut statement = self
                .conn
                .prepare(
                    "SELECT id, uidvalidity, uid, kind, flag, target FROM restored_actions
                     WHERE account_id = ?1 AND folder = ?2 ORDER BY ordinal, id",
                )
                .context("Preparing restored actions")?;
            let rows = statement
                .query_map(params![folder.account_id.0, folder.name], |row| {
                    Ok(Row {
                        id: row.get(0)?,
                        uid_validity: row.get(1)?,
                        uid: row.get(2)?,
                        kind: row.get(3)?,
                        flag: row.get(4)?,
                        target: row.get(5)?,
                    })
                })
                .context("Reading restored actions")?;
            rows.collect::<rusqlite::Result<_>>()
                .context("Reading restored actions")?
        };
        for row in rows {
            let tx = self
                .conn
                .transaction()
                .context("Starting to queue a restored action")?;
            let drop = |reason: &str| RestoredDropped {
                folder: folder.name.clone(),
                uid: row.uid as u64,
                kind: row.kind.clone(),
                flag: row.flag.clone(),
                reason: reason.to_string(),
            };
            let (uid, kind) = match resolve(&tx, folder, meta.uid_validity.0, &row)? {
                Resolved::Queue { uid, kind } => (uid, kind),
                Resolved::Wait => {
                    result.waiting += 1;
                    continue;
                }
                Resolved::Drop(reason) => {
                    result.dropped.push(drop(reason));
                    delete(&tx, row.id)?;
                    tx.commit()
                        .context("Committing a dropped restored action")?;
                    continue;
                }
            };
            let queued = queue_in(&tx, folder.id, &[uid as u64], &kind, now)?;
            if !queued.missing.is_empty() {
                result
                    .dropped
                    .push(drop("the message is no longer on the server"));
            } else {
                result.queued += 1;
                if let Some((_, local)) = queued.moved.first() {
                    tx.execute(
                        "UPDATE restored_actions SET requeued_as = ?2 WHERE id = ?1",
                        params![row.id, *local as i64],
                    )
                    .context("Recording where a restored move put its message")?;
                }
            }
            // A move stays (with `requeued_as`) while actions that follow it may still wait.
            if matches!(kind, PendingKind::Move { .. }) && queued.missing.is_empty() {
                tx.execute(
                    "UPDATE restored_actions SET folder = '', uid = 0 WHERE id = ?1",
                    [row.id],
                )
                .context("Marking a restored move as queued")?;
            } else {
                delete(&tx, row.id)?;
            }
            tx.commit().context("Committing a restored action")?;
        }
        // Moves nothing waits for any more have done their part.
        self.conn
            .execute(
                "DELETE FROM restored_actions AS moved
                 WHERE moved.account_id = ?1 AND moved.kind = 'move' AND moved.requeued_as IS NOT NULL
                   AND NOT EXISTS (SELECT 1 FROM restored_actions later
                                   WHERE later.account_id = moved.account_id
                                     AND later.uid = moved.local_uid)",
                [folder.account_id.0],
            )
            .context("Forgetting restored moves")?;
        Ok(result)
    }
}

/// What becomes of one restored action in the folder just synced.
enum Resolved {
    Queue {
        uid: i64,
        kind: PendingKind,
    },
    /// Its move waits for its own folder: so does this.
    Wait,
    /// Why it can no longer be queued.
    Drop(&'static str),
}

fn resolve(
    tx: &rusqlite::Transaction<'_>,
    folder: &Folder,
    uid_validity: u32,
    row: &Row,
) -> anyhow::Result<Resolved> {
    // A UID the old cache gave a message it had moved here: the message is where its
    // restored move put it this time.
    let uid = if row.uid as u64 >= LOCAL_UID_BASE {
        let now_as: Option<Option<i64>> = tx
            .query_row(
                "SELECT requeued_as FROM restored_actions
                 WHERE account_id = ?1 AND local_uid = ?2 AND kind = 'move'",
                params![folder.account_id.0, row.uid],
                |found| found.get(0),
            )
            .optional()
            .context("Finding a restored move")?;
        match now_as {
            Some(Some(uid)) => uid,
            Some(None) => return Ok(Resolved::Wait),
            None => return Ok(Resolved::Drop("the move it followed is gone")),
        }
    } else if row.uid_validity != 0 && row.uid_validity != i64::from(uid_validity) {
        return Ok(Resolved::Drop(
            "the folder was replaced on the server (UIDVALIDITY changed)",
        ));
    } else {
        row.uid
    };
    let kind = match (row.kind.as_str(), &row.flag, &row.target) {
        ("add_flag", Some(flag), _) => PendingKind::AddFlag(flag.clone()),
        ("remove_flag", Some(flag), _) => PendingKind::RemoveFlag(flag.clone()),
        ("expunge", _, _) => PendingKind::Expunge,
        ("move", _, Some(target)) => {
            let found: Option<i64> = tx
                .query_row(
                    "SELECT id FROM folders WHERE account_id = ?1 AND name = ?2",
                    params![folder.account_id.0, target],
                    |found| found.get(0),
                )
                .optional()
                .context("Finding a move's target")?;
            match found {
                Some(target) => PendingKind::Move {
                    target: crate::FolderId(target),
                },
                None => return Ok(Resolved::Drop("its target folder is gone")),
            }
        }
        _ => return Ok(Resolved::Drop("it could not be read")),
    };
    Ok(Resolved::Queue { uid, kind })
}

fn delete(tx: &rusqlite::Transaction<'_>, id: i64) -> anyhow::Result<()> {
    tx.execute("DELETE FROM restored_actions WHERE id = ?1", [id])
        .context("Removing a restored action")?;
    Ok(())
}
