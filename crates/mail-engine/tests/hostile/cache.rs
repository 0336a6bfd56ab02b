//! What the fuzzer checks of the cache after each session: it is sound (integrity, counts),
//! and a failed piece of work left it as it was, as far as that work may have got.

use std::path::Path;

use super::work::Work;

/// A queued action: (folder, UID, kind, where a move put the message: target, local UID).
pub type Queued = (i64, i64, String, Option<(i64, i64)>);

/// What the cache holds, as far as a failed piece of work must not change it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contents {
    /// (folder, UID) -> flags, subject, Message-ID.
    messages: std::collections::BTreeMap<(i64, i64), (String, String, String)>,
    /// Folder -> UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ, initial low-water mark.
    sync: std::collections::BTreeMap<i64, (i64, i64, i64, i64)>,
    /// (folder, UID) -> body size and where its parts left on the server are.
    bodies: std::collections::BTreeMap<(i64, i64), (i64, String)>,
    /// Queued action -> what it is.
    pending: std::collections::BTreeMap<i64, Queued>,
}

pub fn contents(path: &Path) -> Contents {
    let conn = rusqlite::Connection::open(path).unwrap();
    Contents {
        messages: table(
            &conn,
            "SELECT folder_id, uid, flags, subject, message_id FROM messages",
            |row| Ok(((row.get(0)?, row.get(1)?), (row.get(2)?, row.get(3)?, row.get(4)?))),
        ),
        sync: table(
            &conn,
            "SELECT folder_id, uidvalidity, uidnext, highestmodseq, coalesce(initial_low_uid, -1) FROM sync_meta",
            |row| Ok((row.get(0)?, (row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?))),
        ),
        bodies: table(
            &conn,
            "SELECT m.folder_id, m.uid, b.size, b.remote_parts FROM bodies b JOIN messages m ON m.id = b.message_id",
            |row| Ok(((row.get(0)?, row.get(1)?), (row.get(2)?, row.get(3)?))),
        ),
        pending: table(
            &conn,
            "SELECT id, folder_id, uid, kind, target_id, local_uid FROM pending_ops",
            |row| {
                let target: Option<i64> = row.get(4)?;
                let local: Option<i64> = row.get(5)?;
                Ok((row.get(0)?, (row.get(1)?, row.get(2)?, row.get(3)?, target.zip(local))))
            },
        ),
    }
}

/// The rows of `sql`, each read by `read` into a key and a value.
fn table<K: Ord, V>(
    conn: &rusqlite::Connection,
    sql: &str,
    read: impl Fn(&rusqlite::Row<'_>) -> rusqlite::Result<(K, V)>,
) -> std::collections::BTreeMap<K, V> {
    let mut statement = conn.prepare(sql).unwrap();
    let rows = statement.query_map([], |row| read(row)).unwrap();
    rows.collect::<rusqlite::Result<_>>().unwrap()
}

/// What a failed piece of work may have changed: a delta nothing (it writes in one
/// transaction); opening only added bodies (the steps before the failure may have
/// finished); a replay only the messages it had queued actions for (those it finished are
/// done, refused ones undone), and every action left still names a message in sight.
pub fn check_failure_kept(work: Work, before: &Contents, after: &Contents) -> Result<(), String> {
    let same = |what: &str, equal: bool| {
        if equal {
            Ok(())
        } else {
            Err(format!("the failure changed {what}"))
        }
    };
    match work {
        Work::Delta => same("the cache", before == after),
        Work::Open => {
            same("messages", before.messages == after.messages)?;
            same("sync state", before.sync == after.sync)?;
            same("queued actions", before.pending == after.pending)?;
            for (key, body) in &before.bodies {
                if after.bodies.get(key) != Some(body) {
                    return Err(format!("the failure lost or changed the body of {key:?}"));
                }
            }
            Ok(())
        }
        Work::Replay => {
            same("sync state", before.sync == after.sync)?;
            let touched: std::collections::BTreeSet<(i64, i64)> = before
                .pending
                .values()
                .flat_map(|(folder, uid, _, moved)| std::iter::once((*folder, *uid)).chain(*moved))
                .collect();
            for (key, message) in &before.messages {
                if !touched.contains(key) && after.messages.get(key) != Some(message) {
                    return Err(format!(
                        "the failure changed {key:?}, which had no queued action"
                    ));
                }
            }
            for (id, (folder, uid, kind, moved)) in &after.pending {
                if !before.pending.contains_key(id) {
                    return Err(format!("the failure queued a new action {id} ({kind})"));
                }
                // Where the message is shown now: moved ones under their local UID in the
                // target (or moved on by a later queued action).
                let shown = moved.unwrap_or((*folder, *uid));
                let moved_on = after
                    .pending
                    .values()
                    .any(|(other_folder, other_uid, _, _)| (*other_folder, *other_uid) == shown);
                if kind != "expunge" && !after.messages.contains_key(&shown) && !moved_on {
                    return Err(format!(
                        "queued action {id} ({kind}) names a message out of sight"
                    ));
                }
            }
            Ok(())
        }
        Work::Initial | Work::Watch => Ok(()),
    }
}

/// The cache is a sound database whose cached counts match its rows.
pub fn check_sound(path: &Path) -> Result<(), String> {
    let conn = rusqlite::Connection::open(path).map_err(|error| error.to_string())?;
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .map_err(|error| error.to_string())?;
    if integrity != "ok" {
        return Err(format!("integrity_check: {integrity}"));
    }
    let mut statement = conn
        .prepare(
            "SELECT f.name, f.total, f.unread,
                    (SELECT count(*) FROM messages m WHERE m.folder_id = f.id),
                    (SELECT count(*) FROM messages m WHERE m.folder_id = f.id AND m.seen = 0)
             FROM folders f",
        )
        .map_err(|error| error.to_string())?;
    let rows: Vec<(String, i64, i64, i64, i64)> = statement
        .query_map([], |row| {
            Ok((
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
            ))
        })
        .map_err(|error| error.to_string())?
        .collect::<Result<_, _>>()
        .map_err(|error| error.to_string())?;
    for (name, total, unread, counted, unseen) in rows {
        if (total, unread) != (counted, unseen) {
            return Err(format!(
                "{name}: cached counts {total}/{unread}, rows {counted}/{unseen}"
            ));
        }
    }
    Ok(())
}

pub fn uid_validity(path: &Path) -> Vec<i64> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut statement = conn
        .prepare("SELECT uidvalidity FROM sync_meta ORDER BY folder_id")
        .unwrap();
    let values: Vec<i64> = statement
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    values
}
