//! Planning replay: pending operations grouped into few server commands (one UID set per
//! folder and kind) without reordering any two operations on the same message.

use std::collections::HashMap;

use mail_store::{is_server_uid, FolderId, PendingKind, PendingOp};
use mail_sync::{compress_uids, Uid};

/// A UID set longer than this is split (servers limit command lines; Dovecot to 64 KiB).
const MAX_SET_CHARS: usize = 8_000;

/// What one command does to every message of a batch.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum BatchKind {
    Flag { add: bool, flag: String },
    Move { target: FolderId },
    Expunge,
}

impl BatchKind {
    fn of(kind: &PendingKind) -> BatchKind {
        match kind {
            PendingKind::AddFlag(flag) => BatchKind::Flag {
                add: true,
                flag: flag.clone(),
            },
            PendingKind::RemoveFlag(flag) => BatchKind::Flag {
                add: false,
                flag: flag.clone(),
            },
            PendingKind::Move { target } => BatchKind::Move { target: *target },
            PendingKind::Expunge => BatchKind::Expunge,
        }
    }
}

/// Operations of one kind on messages of one folder, replayed by one command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Batch {
    pub folder: FolderId,
    pub folder_name: String,
    pub kind: BatchKind,
    /// For moves: the target folder's name.
    pub target_name: Option<String>,
    pub ops: Vec<PendingOp>,
}

impl Batch {
    pub fn uids(&self) -> Vec<Uid> {
        let mut uids: Vec<Uid> = self.ops.iter().map(|op| Uid(op.uid as u32)).collect();
        uids.sort_unstable();
        uids.dedup();
        uids
    }

    pub fn set(&self) -> String {
        compress_uids(&self.uids())
    }
}

/// Groups `ops` (oldest first) into batches, in an order that keeps every message's
/// operations in the order they were made. Planning stops before the first operation on a
/// local UID: it waits for the move that names the message, so the caller replays what was
/// planned, then plans again.
pub(crate) fn plan(ops: &[PendingOp]) -> Vec<Batch> {
    let mut done: Vec<Batch> = Vec::new();
    let mut open: Vec<Batch> = Vec::new();
    // Which open batch holds each message.
    let mut holder: HashMap<(FolderId, u64), usize> = HashMap::new();
    for op in ops {
        if !is_server_uid(op.uid) {
            break;
        }
        let kind = BatchKind::of(&op.kind);
        let message = (op.folder, op.uid);
        if let Some(&index) = holder.get(&message) {
            if open[index].kind != kind {
                // This message's earlier operation must go first: close everything open.
                done.append(&mut open);
                holder.clear();
            }
        }
        let index = match open
            .iter()
            .position(|batch| batch.folder == op.folder && batch.kind == kind)
        {
            Some(index) => index,
            None => {
                open.push(Batch {
                    folder: op.folder,
                    folder_name: op.folder_name.clone(),
                    kind,
                    target_name: op.target_name.clone(),
                    ops: Vec::new(),
                });
                open.len() - 1
            }
        };
        open[index].ops.push(op.clone());
        holder.insert(message, index);
    }
    done.append(&mut open);
    done.into_iter().flat_map(split_long).collect()
}

/// Splits a batch whose UID set would make too long a command line.
fn split_long(batch: Batch) -> Vec<Batch> {
    if batch.ops.len() < 2 || batch.set().len() <= MAX_SET_CHARS {
        return vec![batch];
    }
    // Split by UID so each half compresses on its own; the same message never straddles.
    let mut ops = batch.ops.clone();
    ops.sort_by_key(|op| op.uid);
    let middle = ops.len() / 2;
    let cut = ops[middle].uid;
    let (low, high): (Vec<PendingOp>, Vec<PendingOp>) =
        batch.ops.iter().cloned().partition(|op| op.uid < cut);
    if low.is_empty() || high.is_empty() {
        return vec![batch];
    }
    let half = |ops: Vec<PendingOp>| Batch {
        ops,
        ..batch.clone()
    };
    let mut out = split_long(half(low));
    out.extend(split_long(half(high)));
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use mail_store::LOCAL_UID_BASE;
    use mail_sync::Flags;

    use super::*;

    fn op(id: i64, folder: i64, uid: u64, kind: PendingKind) -> PendingOp {
        PendingOp {
            id,
            folder: FolderId(folder),
            folder_name: format!("F{folder}"),
            uid,
            kind,
            target_name: None,
            local_uid: None,
            prior_flags: Flags::new(),
            created_at: 0,
            attempts: 0,
            last_error: None,
        }
    }

    fn seen(id: i64, folder: i64, uid: u64) -> PendingOp {
        op(id, folder, uid, PendingKind::AddFlag("\\Seen".into()))
    }

    fn ids(batch: &Batch) -> Vec<i64> {
        batch.ops.iter().map(|op| op.id).collect()
    }

    #[test]
    fn ten_thousand_flag_changes_are_one_command() {
        let ops: Vec<PendingOp> = (1..=10_000).map(|n| seen(n, 1, n as u64)).collect();
        let batches = plan(&ops);
        assert_eq!(batches.len(), 1);
        assert_eq!(batches[0].set(), "1:10000");
    }

    #[test]
    fn kinds_and_folders_get_their_own_batches() {
        let ops = vec![
            seen(1, 1, 10),
            op(2, 1, 11, PendingKind::AddFlag("\\Flagged".into())),
            seen(3, 2, 10),
            seen(4, 1, 12),
        ];
        let batches = plan(&ops);
        assert_eq!(batches.len(), 3);
        assert_eq!(ids(&batches[0]), vec![1, 4]);
        assert_eq!(ids(&batches[1]), vec![2]);
        assert_eq!(ids(&batches[2]), vec![3]);
    }

    #[test]
    fn one_message_keeps_its_order() {
        // Read, unread, read again: three commands in that order, never merged across.
        let ops = vec![
            seen(1, 1, 5),
            op(2, 1, 5, PendingKind::RemoveFlag("\\Seen".into())),
            seen(3, 1, 5),
            seen(4, 1, 6),
        ];
        let batches = plan(&ops);
        let order: Vec<Vec<i64>> = batches.iter().map(ids).collect();
        assert_eq!(order, vec![vec![1], vec![2], vec![3, 4]]);
    }

    #[test]
    fn planning_stops_at_a_message_waiting_for_its_move() {
        let ops = vec![
            op(
                1,
                1,
                5,
                PendingKind::Move {
                    target: FolderId(2),
                },
            ),
            seen(2, 2, LOCAL_UID_BASE + 1),
            seen(3, 1, 6),
        ];
        let batches = plan(&ops);
        assert_eq!(batches.len(), 1);
        assert_eq!(ids(&batches[0]), vec![1]);
    }

    #[test]
    fn scattered_uids_are_split_into_short_commands() {
        let ops: Vec<PendingOp> = (1..=20_000).map(|n| seen(n, 1, (n * 2) as u64)).collect();
        let batches = plan(&ops);
        assert!(batches.len() > 1);
        assert!(batches
            .iter()
            .all(|batch| batch.set().len() <= MAX_SET_CHARS));
        let total: usize = batches.iter().map(|batch| batch.ops.len()).sum();
        assert_eq!(total, 20_000);
    }
}
