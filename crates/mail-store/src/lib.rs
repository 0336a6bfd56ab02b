//! The local SQLite cache: opening and migrating it, and typed queries for every table.
//!
//! Only this crate speaks SQL. A `Store` wraps one connection; the engine keeps exactly one
//! writing `Store` per database (WAL mode lets readers in other processes, like a second `tern`,
//! read meanwhile).

mod accounts;
mod bodies;
mod drafts;
mod folders;
mod messages;
mod migrate;
mod outbox;
mod overlay;
mod pending;
mod search;
mod sync_state;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use rusqlite::Connection;

pub use accounts::{Account, AccountId, NewAccount, PasswordSource, Security};
pub use bodies::MissingBody;
pub use drafts::{DraftId, StoredDraft};
pub use folders::{Folder, FolderId, FolderSummary, ListedFolder};
pub use messages::{MessageRow, MessageSummary};
pub use migrate::{SchemaTooNew, SCHEMA_VERSION};
pub use outbox::{
    Claimed, KnownAddress, NewOutgoing, OutboxEntry, OutboxId, OutboxState, Recovered, SentCopyDue,
    SentFolderCopy, SmtpServer,
};
pub use pending::{is_server_uid, PendingKind, PendingOp, Queued, LOCAL_UID_BASE};
pub use search::{fts_query, SearchHit, ThreadRow};
pub use sync_state::{DeltaApplied, DeltaWrite, FolderCounts};

/// The cache file name inside a data directory.
pub const DATABASE_FILE: &str = "tern.db";

/// One connection to the cache database.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl Store {
    /// Opens (creating if needed) the cache at `path` and migrates it to the current schema.
    /// A database written by a newer Tern is refused with [`SchemaTooNew`].
    pub fn open(path: &Path) -> anyhow::Result<Store> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("Creating the data directory {}", parent.display()))?;
        }
        let mut conn = Connection::open(path)
            .with_context(|| format!("Opening the cache {}", path.display()))?;
        conn.busy_timeout(Duration::from_secs(10))
            .context("Setting the busy timeout")?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .context("Enabling WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .context("Setting synchronous=NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .context("Enabling foreign keys")?;
        // Statement journals (an upsert that fires the count triggers needs one) and temp
        // b-trees stay in memory instead of temp files: a quarter of the write cost.
        conn.pragma_update(None, "temp_store", "MEMORY")
            .context("Setting temp_store=MEMORY")?;
        migrate::migrate(&mut conn)
            .with_context(|| format!("Migrating the cache {}", path.display()))?;
        Ok(Store {
            conn,
            path: path.to_path_buf(),
        })
    }

    /// Opens the cache inside a data directory.
    pub fn open_in_dir(data_dir: &Path) -> anyhow::Result<Store> {
        Self::open(&data_dir.join(DATABASE_FILE))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version recorded in the database.
    pub fn schema_version(&self) -> anyhow::Result<i64> {
        migrate::current_version(&self.conn)
    }
}

#[cfg(test)]
mod tests;
