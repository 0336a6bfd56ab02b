//! The rows of the `pending_ops` queue: what an operation does, reading them back, and the
//! SQL both the queue (`pending.rs`) and the server-view overlay (`overlay.rs`) build on.

use anyhow::Context;
use mail_sync::Flags;
use rusqlite::{params, Transaction};

use crate::FolderId;

/// UIDs from here up are local: a message moved while its server UID is unknown.
pub const LOCAL_UID_BASE: u64 = 1 << 32;

/// Whether `uid` is a server UID (not a local placeholder).
pub fn is_server_uid(uid: u64) -> bool {
    uid > 0 && uid < LOCAL_UID_BASE
}

/// What an operation does to its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PendingKind {
    AddFlag(String),
    RemoveFlag(String),
    /// Move to another folder of the same account.
    Move {
        target: FolderId,
    },
    /// Remove for good (deleting in the Trash).
    Expunge,
}

impl PendingKind {
    fn columns(&self) -> (&'static str, Option<&str>, Option<i64>) {
        match self {
            PendingKind::AddFlag(flag) => ("add_flag", Some(flag.as_str()), None),
            PendingKind::RemoveFlag(flag) => ("remove_flag", Some(flag.as_str()), None),
            PendingKind::Move { target } => ("move", None, Some(target.0)),
            PendingKind::Expunge => ("expunge", None, None),
        }
    }

    /// Whether the message leaves its folder (the server's view keeps it until replayed).
    pub fn removes(&self) -> bool {
        matches!(self, PendingKind::Move { .. } | PendingKind::Expunge)
    }

    /// Applies a flag operation to `flags` (others leave them alone).
    pub fn apply_to(&self, flags: &mut Flags) {
        match self {
            PendingKind::AddFlag(flag) => flags.insert(flag),
            PendingKind::RemoveFlag(flag) => flags.remove(flag),
            PendingKind::Move { .. } | PendingKind::Expunge => {}
        }
    }
}

/// One queued operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingOp {
    pub id: i64,
    pub folder: FolderId,
    pub folder_name: String,
    /// The message in `folder` (a local UID when it was moved there while offline).
    pub uid: u64,
    pub kind: PendingKind,
    /// For a move: the target's name and the message's local UID there.
    pub target_name: Option<String>,
    pub local_uid: Option<u64>,
    /// The message's flags before the action.
    pub prior_flags: Flags,
    pub created_at: i64,
    pub attempts: i64,
    pub last_error: Option<String>,
}

/// What queueing an action did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Queued {
    /// Messages changed in the cache (each with its queued operation).
    pub changed: Vec<u64>,
    /// Messages already as asked, with nothing pending that could change them: no operation.
    pub unchanged: Vec<u64>,
    /// Messages not in the cache.
    pub missing: Vec<u64>,
    /// For moves: each message's local UID in the target folder.
    pub moved: Vec<(u64, u64)>,
}

const OP_COLUMNS: &str = "p.id, p.folder_id, f.name, p.uid, p.kind, p.flag, p.target_id, t.name,
     p.local_uid, p.prior_flags, p.created_at, p.attempts, p.last_error";
const OP_FROM: &str = "pending_ops p JOIN folders f ON f.id = p.folder_id
     LEFT JOIN folders t ON t.id = p.target_id";

fn op_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<PendingOp> {
    let kind: String = row.get(4)?;
    let flag: Option<String> = row.get(5)?;
    let target: Option<i64> = row.get(6)?;
    let kind = match (kind.as_str(), flag, target) {
        ("add_flag", Some(flag), _) => PendingKind::AddFlag(flag),
        ("remove_flag", Some(flag), _) => PendingKind::RemoveFlag(flag),
        ("move", _, Some(target)) => PendingKind::Move {
            target: FolderId(target),
        },
        ("expunge", _, _) => PendingKind::Expunge,
        (other, ..) => {
            return Err(rusqlite::Error::FromSqlConversionFailure(
                4,
                rusqlite::types::Type::Text,
                format!("unknown pending operation {other:?}").into(),
            ))
        }
    };
    let uid: i64 = row.get(3)?;
    let local_uid: Option<i64> = row.get(8)?;
    let prior: String = row.get(9)?;
    Ok(PendingOp {
        id: row.get(0)?,
        folder: FolderId(row.get(1)?),
        folder_name: row.get(2)?,
        uid: uid as u64,
        kind,
        target_name: row.get(7)?,
        local_uid: local_uid.map(|uid| uid as u64),
        prior_flags: Flags::parse_stored(&prior),
        created_at: row.get(10)?,
        attempts: row.get(11)?,
        last_error: row.get(12)?,
    })
}

pub(crate) fn ops_where(
    tx: &rusqlite::Connection,
    condition: &str,
    values: impl rusqlite::Params,
) -> anyhow::Result<Vec<PendingOp>> {
    let sql = format!("SELECT {OP_COLUMNS} FROM {OP_FROM} WHERE {condition} ORDER BY p.id");
    let mut statement = tx
        .prepare_cached(&sql)
        .context("Preparing pending operations query")?;
    let ops = statement
        .query_map(values, op_from_row)
        .context("Reading pending operations")?
        .collect::<rusqlite::Result<Vec<_>>>()
        .context("Reading pending operations")?;
    Ok(ops)
}

pub(crate) fn stored_flags(
    tx: &Transaction<'_>,
    folder: FolderId,
    uid: u64,
) -> anyhow::Result<Option<Flags>> {
    let flags: Option<String> = crate::message_column::message_column(tx, "flags", folder, uid)?;
    Ok(flags.map(|flags| Flags::parse_stored(&flags)))
}

pub(crate) fn write_flags(
    tx: &Transaction<'_>,
    folder: FolderId,
    uid: u64,
    flags: &Flags,
) -> anyhow::Result<bool> {
    let changed = tx
        .prepare_cached(
            "UPDATE messages SET flags = ?3, seen = ?4, flagged = ?5
             WHERE folder_id = ?1 AND uid = ?2 AND flags <> ?3",
        )
        .context("Preparing flag write")?
        .execute(params![
            folder.0,
            uid as i64,
            flags.to_string(),
            flags.is_seen() as i64,
            flags.is_flagged() as i64
        ])
        .context("Writing a message's flags")?;
    Ok(changed > 0)
}

pub(crate) fn has_pending(
    tx: &Transaction<'_>,
    folder: FolderId,
    uid: u64,
) -> anyhow::Result<bool> {
    tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM pending_ops WHERE folder_id = ?1 AND uid = ?2)",
        params![folder.0, uid as i64],
        |row| row.get(0),
    )
    .context("Looking for pending operations")
}

pub(crate) fn insert_op(
    tx: &Transaction<'_>,
    folder: FolderId,
    uid: u64,
    kind: &PendingKind,
    prior: &Flags,
    now: i64,
) -> anyhow::Result<i64> {
    let (name, flag, target) = kind.columns();
    tx.prepare_cached(
        "INSERT INTO pending_ops (folder_id, uid, kind, flag, target_id, local_uid, prior_flags, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, CASE WHEN ?3 = 'move' THEN 0 END, ?6, ?7)",
    )
    .context("Preparing to queue an operation")?
    .execute(params![
        folder.0,
        uid as i64,
        name,
        flag,
        target,
        prior.to_string(),
        now
    ])
    .context("Queueing an operation")?;
    Ok(tx.last_insert_rowid())
}
