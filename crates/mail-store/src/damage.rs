//! What can be wrong with the cache file itself, told apart from every other error: damaged
//! (not a database, or pages missing or scribbled over), written by a newer Tern, or on a
//! full disk. The CLI and the app say so in one sentence and offer to rebuild the cache from
//! the server (`crate::salvage` keeps what only exists locally).

use std::path::{Path, PathBuf};

use rusqlite::{Connection, ErrorCode};

use crate::migrate::SchemaTooNew;

/// The cache file cannot be read as a database: open it no further.
#[derive(Debug, thiserror::Error)]
#[error("The cache {} is damaged ({reason})", path.display())]
pub struct CacheDamaged {
    pub path: PathBuf,
    pub reason: String,
}

/// What is wrong with the cache file, when something is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CacheProblem {
    /// Not a database any more (truncated, scribbled over, not SQLite at all).
    Damaged { reason: String },
    /// Written by a newer Tern: this one must not touch it.
    TooNew { found: i64, supported: i64 },
    /// The disk (or the user's quota) is full: writes fail, nothing is damaged.
    DiskFull,
}

impl CacheProblem {
    /// One sentence for a person, naming the cache's directory.
    pub fn explain(&self, data_dir: &Path) -> String {
        match self {
            CacheProblem::Damaged { reason } => format!(
                "The cache in {} is damaged ({reason}); run `tern cache rebuild` to rebuild it from the server (queued changes, the outbox and drafts are kept)",
                data_dir.display()
            ),
            CacheProblem::TooNew { found, supported } => format!(
                "The cache in {} was written by a newer version of Tern (schema {found}, this one knows {supported}); upgrade Tern, or run `tern cache rebuild` to rebuild it from the server (queued changes, the outbox and drafts are kept)",
                data_dir.display()
            ),
            CacheProblem::DiskFull => format!(
                "The disk holding the cache ({}) is full; free some space and try again (nothing was lost)",
                data_dir.display()
            ),
        }
    }
}

fn from_sqlite(error: &rusqlite::Error) -> Option<CacheProblem> {
    let rusqlite::Error::SqliteFailure(failure, message) = error else {
        return None;
    };
    let reason = || message.clone().unwrap_or_else(|| failure.to_string());
    match failure.code {
        ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase => {
            Some(CacheProblem::Damaged { reason: reason() })
        }
        ErrorCode::DiskFull => Some(CacheProblem::DiskFull),
        _ => None,
    }
}

/// [`cache_problem`] for a cache in `data_dir`: an I/O error while the disk holding it has
/// no room left is a full disk too (SQLite reports growing its shared-memory file on a full
/// disk as an I/O error of its own).
pub fn cache_problem_at(error: &anyhow::Error, data_dir: &Path) -> Option<CacheProblem> {
    cache_problem(error).or_else(|| {
        let io_error = error.chain().any(|cause| {
            matches!(
                cause.downcast_ref::<rusqlite::Error>(),
                Some(rusqlite::Error::SqliteFailure(failure, _))
                    if failure.code == ErrorCode::SystemIoFailure
            ) || cause.downcast_ref::<std::io::Error>().is_some()
        });
        (io_error && nearly_full(data_dir)).then_some(CacheProblem::DiskFull)
    })
}

/// Whether the file system holding `dir` has (almost) no room left for its user.
fn nearly_full(dir: &Path) -> bool {
    #[cfg(unix)]
    {
        match rustix::fs::statvfs(dir) {
            Ok(stats) => stats.f_bavail.saturating_mul(stats.f_frsize) < (256 << 10),
            Err(_) => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        false
    }
}

/// The cache problem behind `error`, looking through its whole chain of causes.
pub fn cache_problem(error: &anyhow::Error) -> Option<CacheProblem> {
    error.chain().find_map(|cause| {
        if let Some(damaged) = cause.downcast_ref::<CacheDamaged>() {
            return Some(CacheProblem::Damaged {
                reason: damaged.reason.clone(),
            });
        }
        if let Some(too_new) = cause.downcast_ref::<SchemaTooNew>() {
            return Some(CacheProblem::TooNew {
                found: too_new.found,
                supported: too_new.supported,
            });
        }
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            if io.raw_os_error() == Some(28) || io.kind() == std::io::ErrorKind::StorageFull {
                return Some(CacheProblem::DiskFull);
            }
        }
        cause
            .downcast_ref::<rusqlite::Error>()
            .and_then(from_sqlite)
    })
}

/// Cheap checks that an opened cache is whole, done at every start: SQLite reads pages
/// lazily, so a truncated file opens fine and fails later, in the middle of some command.
/// The header's page count must fit in the file, and the schema must be readable.
pub(crate) fn check_whole(conn: &Connection, path: &Path) -> Result<(), CacheDamaged> {
    let damaged = |reason: String| CacheDamaged {
        path: path.to_path_buf(),
        reason,
    };
    let pages: i64 = conn
        .query_row("PRAGMA page_count", [], |row| row.get(0))
        .map_err(|error| damaged(error.to_string()))?;
    let page_size: i64 = conn
        .query_row("PRAGMA page_size", [], |row| row.get(0))
        .map_err(|error| damaged(error.to_string()))?;
    let file = std::fs::metadata(path).map(|meta| meta.len()).unwrap_or(0);
    let wal = std::fs::metadata(wal_path(path))
        .map(|meta| meta.len())
        .unwrap_or(0);
    // With WAL, newer pages may live in the WAL file until a checkpoint.
    let needed = (pages.max(0) as u64).saturating_mul(page_size.max(0) as u64);
    if wal == 0 && file < needed {
        return Err(damaged(format!(
            "the file holds {file} bytes of the {needed} its header announces: it was cut short"
        )));
    }
    conn.query_row("SELECT count(*) FROM sqlite_schema", [], |row| {
        row.get::<_, i64>(0)
    })
    .map_err(|error| damaged(error.to_string()))?;
    Ok(())
}

/// [`crate::Store::check_whole_cache`] on a connection of its own (read-only, beside the
/// app's): a background check that never holds up the app's work on the cache.
pub fn check_cache_file(path: &Path) -> anyhow::Result<()> {
    let conn = Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|error| CacheDamaged {
        path: path.to_path_buf(),
        reason: error.to_string(),
    })?;
    quick_check(&conn, path)
}

pub(crate) fn quick_check(conn: &Connection, path: &Path) -> anyhow::Result<()> {
    let damaged = |reason: String| CacheDamaged {
        path: path.to_path_buf(),
        reason,
    };
    let mut statement = conn
        .prepare("PRAGMA quick_check(5)")
        .map_err(|error| damaged(error.to_string()))?;
    let findings: Vec<String> = statement
        .query_map([], |row| row.get(0))
        .map_err(|error| damaged(error.to_string()))?
        .collect::<rusqlite::Result<_>>()
        .map_err(|error| damaged(error.to_string()))?;
    if findings.len() == 1 && findings[0] == "ok" {
        return Ok(());
    }
    let findings: Vec<String> = findings
        .iter()
        .flat_map(|finding| finding.lines())
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with("***"))
        .map(str::to_string)
        .collect();
    let shown = findings
        .iter()
        .take(2)
        .cloned()
        .collect::<Vec<_>>()
        .join("; ");
    let more = findings.len().saturating_sub(2);
    Err(damaged(if more > 0 {
        format!("{shown}; and {more} more")
    } else {
        shown
    })
    .into())
}

fn wal_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push("-wal");
    PathBuf::from(name)
}

/// `error` (from opening the cache at `path`) as a [`CacheDamaged`] when SQLite said the
/// file is not a database or is malformed.
pub(crate) fn damaged_on_open(error: anyhow::Error, path: &Path) -> anyhow::Error {
    let reason = error.chain().find_map(|cause| {
        cause
            .downcast_ref::<rusqlite::Error>()
            .and_then(from_sqlite)
            .and_then(|problem| match problem {
                CacheProblem::Damaged { reason } => Some(reason),
                _ => None,
            })
    });
    match reason {
        Some(reason) => anyhow::Error::new(CacheDamaged {
            path: path.to_path_buf(),
            reason,
        }),
        None => error,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn a_full_disk_is_told_apart() {
        let full = anyhow::Error::new(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_FULL),
            Some("database or disk is full".into()),
        ))
        .context("Saving INBOX");
        assert_eq!(cache_problem(&full), Some(CacheProblem::DiskFull));
        let io = anyhow::Error::new(std::io::Error::from_raw_os_error(28));
        assert_eq!(cache_problem(&io), Some(CacheProblem::DiskFull));
        assert_eq!(cache_problem(&anyhow::anyhow!("other")), None);
    }
}
