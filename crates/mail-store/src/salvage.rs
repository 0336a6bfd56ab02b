//! What only exists on this computer, read out of a damaged cache (as far as it can still
//! be read) and put into a new one: accounts and their SMTP servers, the senders allowed
//! to show images, the outbox, drafts and the server copies of drafts still to remove, and
//! the queued actions — those by folder name and UIDVALIDITY, since the new cache's folders
//! are new rows ([`crate::restored`] queues them again once their folder is synced).
//! Everything else (messages, bodies, the search index) comes back from the server.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;
use base64::Engine as _;
use rusqlite::types::Value;
use rusqlite::{params_from_iter, Connection, OpenFlags};
use serde::{Deserialize, Serialize};

use crate::Store;

/// One column's value, as JSON can hold it (blobs as base64 text).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum Cell {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
    /// Base64.
    Blob(String),
}

/// A table's rows: column -> value, per row.
pub type Rows = Vec<BTreeMap<String, Cell>>;

/// A queued action, named so a new cache can place it: by folder name and UIDVALIDITY.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SalvagedAction {
    /// The order it was made in.
    pub order: i64,
    pub account_id: i64,
    pub folder: String,
    /// The folder's UIDVALIDITY the UID belongs to (0 when it could not be read).
    pub uid_validity: i64,
    pub uid: i64,
    /// `add_flag`, `remove_flag`, `move` or `expunge`.
    pub kind: String,
    pub flag: Option<String>,
    /// For moves: the target folder's name, and the local UID the message had there
    /// (later actions on the moved message name it).
    pub target: Option<String>,
    pub local_uid: Option<i64>,
    pub created_at: i64,
}

/// Everything read out of a cache that only exists locally.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LocalData {
    /// Table -> rows, for the tables copied as they are.
    pub tables: BTreeMap<String, Rows>,
    pub actions: Vec<SalvagedAction>,
    /// What could not be read, and why (said to the person; never silently dropped).
    pub unreadable: Vec<String>,
}

impl LocalData {
    /// How many rows of `table` were read.
    pub fn count(&self, table: &str) -> usize {
        self.tables.get(table).map_or(0, Vec::len)
    }
}

/// The tables copied row by row, in an order that keeps foreign keys satisfied, with the
/// columns this version knows (a newer cache's extra columns are left behind).
const TABLES: &[(&str, &[&str])] = &[
    (
        "accounts",
        &[
            "id",
            "email",
            "imap_host",
            "imap_port",
            "security",
            "username",
            "ca_file",
            "password_source",
            "password_env",
            "allow_plaintext",
            "created_at",
            "display_name",
            "signature",
            "auth",
            "oauth_issuer",
            "oauth_client_id",
        ],
    ),
    (
        "smtp_servers",
        &[
            "account_id",
            "host",
            "port",
            "security",
            "username",
            "allow_plaintext",
            "saves_sent",
        ],
    ),
    (
        "remote_content_allowed",
        &["account_id", "sender", "created_at"],
    ),
    (
        "outbox",
        &[
            "id",
            "account_id",
            "message_id",
            "envelope_from",
            "recipients",
            "subject",
            "raw",
            "sent_copy",
            "state",
            "attempts",
            "next_attempt_at",
            "last_error",
            "created_at",
            "sent_at",
            "sent_folder",
            "sent_uidvalidity",
            "sent_uid",
        ],
    ),
    (
        "drafts",
        &[
            "id",
            "account_id",
            "content",
            "subject",
            "message_id",
            "version",
            "server_version",
            "server_uidvalidity",
            "server_uid",
            "updated_at",
        ],
    ),
    (
        "draft_removals",
        &["id", "account_id", "uidvalidity", "uid"],
    ),
];

fn to_base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn from_base64(text: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD.decode(text).ok()
}

impl From<Value> for Cell {
    fn from(value: Value) -> Cell {
        match value {
            Value::Null => Cell::Null,
            Value::Integer(value) => Cell::Integer(value),
            Value::Real(value) => Cell::Real(value),
            Value::Text(value) => Cell::Text(value),
            Value::Blob(value) => Cell::Blob(to_base64(&value)),
        }
    }
}

impl Cell {
    fn to_value(&self) -> anyhow::Result<Value> {
        Ok(match self {
            Cell::Null => Value::Null,
            Cell::Integer(value) => Value::Integer(*value),
            Cell::Real(value) => Value::Real(*value),
            Cell::Text(value) => Value::Text(value.clone()),
            Cell::Blob(value) => {
                Value::Blob(from_base64(value).context("A blob in the saved data is not base64")?)
            }
        })
    }
}

/// A table's rows, as many as can be read: a damaged page ends the reading (the rows before
/// it are kept), and the error says where.
/// The ones of `columns` the damaged file's `table` has (a cache from an older Tern lacks the
/// newer ones; they take their defaults). All of them when the file cannot say.
fn present<'a>(conn: &Connection, table: &str, columns: &[&'a str]) -> Vec<&'a str> {
    let known: rusqlite::Result<Vec<String>> = conn
        .prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))
        .and_then(|mut statement| {
            statement
                .query_map([], |row| row.get(0))?
                .collect::<rusqlite::Result<Vec<String>>>()
        });
    match known {
        Ok(known) if !known.is_empty() => columns
            .iter()
            .copied()
            .filter(|column| known.iter().any(|name| name == column))
            .collect(),
        _ => columns.to_vec(),
    }
}

fn read_table(conn: &Connection, table: &str, columns: &[&str]) -> (Rows, Option<rusqlite::Error>) {
    let columns = present(conn, table, columns);
    let mut out = Vec::new();
    let mut read = || -> rusqlite::Result<()> {
        let mut statement = conn.prepare(&format!(
            "SELECT {} FROM {table} ORDER BY rowid",
            columns.join(", ")
        ))?;
        let mut rows = statement.query([])?;
        while let Some(row) = rows.next()? {
            let mut record = BTreeMap::new();
            for (index, column) in columns.iter().enumerate() {
                let value: Value = row.get(index)?;
                record.insert((*column).to_string(), Cell::from(value));
            }
            out.push(record);
        }
        Ok(())
    };
    let error = read().err();
    (out, error)
}

fn read_actions(conn: &Connection) -> rusqlite::Result<Vec<SalvagedAction>> {
    let mut statement = conn.prepare(
        "SELECT p.id, f.account_id, f.name, coalesce(m.uidvalidity, 0), p.uid, p.kind, p.flag,
                t.name, p.local_uid, p.created_at
         FROM pending_ops p JOIN folders f ON f.id = p.folder_id
         LEFT JOIN folders t ON t.id = p.target_id
         LEFT JOIN sync_meta m ON m.folder_id = p.folder_id
         ORDER BY p.id",
    )?;
    let rows = statement.query_map([], |row| {
        Ok(SalvagedAction {
            order: row.get(0)?,
            account_id: row.get(1)?,
            folder: row.get(2)?,
            uid_validity: row.get(3)?,
            uid: row.get(4)?,
            kind: row.get(5)?,
            flag: row.get(6)?,
            target: row.get(7)?,
            local_uid: row.get(8)?,
            created_at: row.get(9)?,
        })
    })?;
    rows.collect()
}

/// Reads what only exists locally out of the cache at `path`, which may be damaged (or
/// written by a newer Tern): each table as far as it can be read, the rest named in
/// [`LocalData::unreadable`]. Never writes to it.
pub fn salvage(path: &Path) -> LocalData {
    let first = salvage_from(path);
    if first.unreadable.is_empty() {
        return first;
    }
    // SQLite refuses every page of a file shorter than its header says: read a copy whose
    // header counts the pages that are there.
    let repaired = repaired_copy(path);
    let second = match &repaired {
        Ok(copy) => salvage_from(copy),
        Err(_) => LocalData::default(),
    };
    if let Ok(copy) = &repaired {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", copy.display()));
        }
    }
    // Whichever read more of each table.
    let mut best = first;
    for (table, rows) in second.tables {
        let better = rows.len() > best.tables.get(&table).map_or(0, Vec::len);
        if better {
            best.tables.insert(table, rows);
        }
    }
    if second.actions.len() > best.actions.len() {
        best.actions = second.actions;
    }
    best.unreadable = second.unreadable;
    if let Err(error) = repaired {
        best.unreadable
            .push(format!("a repaired copy could not be made: {error}"));
    }
    best
}

fn salvage_from(path: &Path) -> LocalData {
    let mut data = LocalData::default();
    let conn = match Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    ) {
        Ok(conn) => conn,
        Err(error) => {
            data.unreadable
                .push(format!("the cache could not be opened at all: {error}"));
            return data;
        }
    };
    for (table, columns) in TABLES {
        let (rows, error) = read_table(&conn, table, columns);
        if let Some(error) = error {
            data.unreadable.push(format!(
                "{table} (after {} row{}): {error}",
                rows.len(),
                if rows.len() == 1 { "" } else { "s" }
            ));
        }
        data.tables.insert((*table).to_string(), rows);
    }
    match read_actions(&conn) {
        Ok(actions) => data.actions = actions,
        Err(error) => data.unreadable.push(format!("queued actions: {error}")),
    }
    data
}

/// A copy of the cache (with its WAL) beside it whose header counts only the whole pages the
/// file still has (bytes 28–31 of the SQLite header: the database size in pages).
fn repaired_copy(path: &Path) -> anyhow::Result<std::path::PathBuf> {
    let mut bytes = std::fs::read(path).with_context(|| format!("Reading {}", path.display()))?;
    if bytes.len() < 100 {
        anyhow::bail!("the file is too short to have a database header");
    }
    let page_size = match u16::from_be_bytes([bytes[16], bytes[17]]) {
        1 => 65_536,
        size => usize::from(size),
    };
    if !page_size.is_power_of_two() || !(512..=65_536).contains(&page_size) {
        anyhow::bail!("the header's page size ({page_size}) is not one SQLite writes");
    }
    let pages = bytes.len() / page_size;
    bytes.truncate(pages * page_size);
    let count = u32::try_from(pages).context("Too many pages")?;
    bytes[28..32].copy_from_slice(&count.to_be_bytes());
    let mut copy = path.as_os_str().to_os_string();
    copy.push(".salvage");
    let copy = std::path::PathBuf::from(copy);
    let mut file = crate::private_options()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&copy)
        .with_context(|| format!("Creating {}", copy.display()))?;
    std::io::Write::write_all(&mut file, &bytes)
        .with_context(|| format!("Writing {}", copy.display()))?;
    let mut wal = path.as_os_str().to_os_string();
    wal.push("-wal");
    if std::path::Path::new(&wal).exists() {
        std::fs::copy(&wal, format!("{}-wal", copy.display()))
            .context("Copying the cache's WAL")?;
    }
    Ok(copy)
}

/// What [`Store::restore_local_data`] put back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Restored {
    pub accounts: usize,
    pub outbox: usize,
    pub drafts: usize,
    pub actions: usize,
    /// Rows that could not be put back, and why (they stay in the saved copy).
    pub refused: Vec<String>,
}

impl Store {
    /// Puts `data` into this (new, empty) cache in one transaction: the tables as they were
    /// (same ids, so the outbox and drafts keep their accounts), the queued actions into
    /// `restored_actions`, to be queued again when their folders have been synced.
    pub fn restore_local_data(&mut self, data: &LocalData) -> anyhow::Result<Restored> {
        let tx = self
            .conn
            .transaction()
            .context("Starting to restore local data")?;
        let mut restored = Restored::default();
        for (table, _) in TABLES {
            for (index, row) in data.tables.get(*table).into_iter().flatten().enumerate() {
                let columns: Vec<&str> = row.keys().map(String::as_str).collect();
                let values = row
                    .values()
                    .map(Cell::to_value)
                    .collect::<anyhow::Result<Vec<Value>>>()?;
                let placeholders = vec!["?"; columns.len()].join(", ");
                // One row that does not fit (a newer Tern's value) is reported, not fatal.
                let inserted = tx.execute(
                    &format!(
                        "INSERT INTO {table} ({}) VALUES ({placeholders})",
                        columns.join(", ")
                    ),
                    params_from_iter(values),
                );
                match (inserted, *table) {
                    (Err(error), _) => restored
                        .refused
                        .push(format!("{table} row {}: {error}", index + 1)),
                    (Ok(_), "accounts") => restored.accounts += 1,
                    (Ok(_), "outbox") => restored.outbox += 1,
                    (Ok(_), "drafts") => restored.drafts += 1,
                    (Ok(_), _) => {}
                }
            }
        }
        for action in &data.actions {
            tx.execute(
                "INSERT INTO restored_actions (account_id, ordinal, folder, uidvalidity, uid,
                     kind, flag, target, local_uid, created_at)
                 SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10
                 WHERE EXISTS (SELECT 1 FROM accounts WHERE id = ?1)",
                rusqlite::params![
                    action.account_id,
                    action.order,
                    action.folder,
                    action.uid_validity,
                    action.uid,
                    action.kind,
                    action.flag,
                    action.target,
                    action.local_uid,
                    action.created_at
                ],
            )
            .context("Restoring a queued action")?;
            restored.actions += 1;
        }
        tx.commit().context("Committing the restored data")?;
        Ok(restored)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn base64_round_trips() {
        for bytes in [&b""[..], b"f", b"fo", b"foo", b"\x00\xff\x10binary"] {
            assert_eq!(from_base64(&to_base64(bytes)).unwrap(), bytes);
        }
        assert_eq!(to_base64(b"foobar"), "Zm9vYmFy");
    }
}
