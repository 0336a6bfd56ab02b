//! One column of one cached message, looked up by folder and UID: the lookup the body,
//! overlay and pending-action code share.

use anyhow::Context;
use rusqlite::types::FromSql;
use rusqlite::{params, Connection, OptionalExtension};

use crate::FolderId;

/// One column of one cached message (`column` is one of this table's, never input), or `None`
/// when the message is not cached.
pub(crate) fn message_column<T: FromSql>(
    conn: &Connection,
    column: &'static str,
    folder: FolderId,
    uid: u64,
) -> anyhow::Result<Option<T>> {
    conn.prepare_cached(&format!(
        "SELECT {column} FROM messages WHERE folder_id = ?1 AND uid = ?2"
    ))
    .and_then(|mut statement| {
        statement
            .query_row(params![folder.0, uid as i64], |row| row.get(0))
            .optional()
    })
    .with_context(|| format!("Reading a message's {column}"))
}
