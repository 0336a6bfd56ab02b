//! `Store`: one connection to the cache database — opened (checked, migrated, its
//! directory private, the profile's in-use lock shared) and the handful of things every
//! query module builds on. The typed queries live in the modules beside it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use rusqlite::Connection;

use crate::private_files::{private_dir, private_options, tighten_data_dir};
use crate::{damage, migrate};

/// How long a write waits for another process's write to finish.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// The cache file name inside a data directory.
pub const DATABASE_FILE: &str = "tern.db";

/// One connection to the cache database.
pub struct Store {
    pub(crate) conn: Connection,
    path: PathBuf,
    /// A shared lock on the profile while this is open: a rebuild of the cache (which
    /// needs it alone) waits for nobody and refuses while any process has it open.
    _in_use: std::fs::File,
}

/// The lock file every open cache holds shared, and a rebuild exclusively.
fn in_use_path(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_os_string();
    name.push(".in-use");
    PathBuf::from(name)
}

fn open_in_use(database: &Path) -> anyhow::Result<std::fs::File> {
    let path = in_use_path(database);
    private_options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("Opening {}", path.display()))
}

/// Holds the cache of a data directory for this process alone (while the returned file is
/// open): `None` when another process has it open. For rebuilding the cache.
pub fn take_cache_alone(data_dir: &Path) -> anyhow::Result<Option<std::fs::File>> {
    private_dir(data_dir)?;
    let file = open_in_use(&data_dir.join(DATABASE_FILE))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(std::fs::TryLockError::WouldBlock) => Ok(None),
        Err(std::fs::TryLockError::Error(error)) => {
            Err(error).context("Locking the cache for a rebuild")
        }
    }
}

impl Store {
    /// Opens (creating if needed) the cache at `path` and migrates it to the current schema.
    /// A database written by a newer Tern is refused with [`SchemaTooNew`].
    pub fn open(path: &Path) -> anyhow::Result<Store> {
        // Owner-only from the first byte: the cache holds whole messages and the outbox.
        // SQLite gives its WAL and shared-memory files the database file's mode.
        if let Some(parent) = path
            .parent()
            .filter(|parent| !parent.as_os_str().is_empty())
        {
            tighten_data_dir(parent)?;
        }
        // Created here (owner-only) only when missing: opening an existing cache file with
        // an fd of our own and closing it would drop every SQLite lock this process holds
        // on it (POSIX locks are per process), and another connection's writes could then
        // collide with a second process's.
        match private_options().write(true).create_new(true).open(path) {
            Ok(_) => {}
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(error) => {
                return Err(error).with_context(|| format!("Creating the cache {}", path.display()))
            }
        }
        let in_use = open_in_use(path)?;
        match in_use.try_lock_shared() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => anyhow::bail!(
                "The cache {} is being rebuilt by another Tern process; try again when it is done",
                path.display()
            ),
            Err(std::fs::TryLockError::Error(error)) => {
                return Err(error).context("Locking the cache for use")
            }
        }
        Self::open_checked(path, in_use).map_err(|error| damage::damaged_on_open(error, path))
    }

    fn open_checked(path: &Path, in_use: std::fs::File) -> anyhow::Result<Store> {
        let mut conn = Connection::open(path)
            .with_context(|| format!("Opening the cache {}", path.display()))?;
        // Another process (the app, `tern watch`, a `tern` command) may be writing: wait
        // for it rather than fail. Every transaction starts as a write (IMMEDIATE), so it
        // waits for the lock up front; a read that turned into a write after another process
        // committed would fail at once (SQLITE_BUSY_SNAPSHOT), whatever the timeout.
        conn.busy_timeout(BUSY_TIMEOUT)
            .context("Setting the busy timeout")?;
        conn.set_transaction_behavior(rusqlite::TransactionBehavior::Immediate);
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
        // Hot statements (a body or header batch's, with the triggers they compile in) are
        // prepared once per connection: more than rusqlite's default of 16 are in use.
        conn.set_prepared_statement_cache_capacity(64);
        damage::check_whole(&conn, path)?;
        migrate::migrate(&mut conn)
            .with_context(|| format!("Migrating the cache {}", path.display()))?;
        Ok(Store {
            conn,
            path: path.to_path_buf(),
            _in_use: in_use,
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

impl Store {
    /// Reads every page of the cache and checks its structure (`PRAGMA quick_check`): the
    /// damage a command that never reads the damaged pages would not notice. Linear in the
    /// cache's size (about a second per gigabyte), so run on request or in the background.
    pub fn check_whole_cache(&self) -> anyhow::Result<()> {
        damage::quick_check(&self.conn, &self.path)
    }
}
