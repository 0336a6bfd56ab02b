//! Running sync plans on a connection: the initial sync and the three delta strategies.

mod delta;
mod initial;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use mail_store::{MessageRow, Store};
use mail_sync::Strategy;

pub(crate) use delta::{delta_sync, DeltaOutcome};
pub(crate) use initial::initial_sync;

use crate::error::{EngineError, ErrorKind, Result};

/// What one folder's sync did. Fields mirror `tern sync --json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncReport {
    pub folder: String,
    pub strategy: Strategy,
    pub uid_validity: u32,
    pub added: usize,
    pub removed: usize,
    pub flags_changed: usize,
    /// The folder was dropped and fetched again (UIDVALIDITY changed, or forced).
    pub resync: bool,
    /// Messages cached for the folder afterwards.
    pub total: usize,
    /// Of those, not \Seen.
    pub unread: usize,
    /// Messages a delta added (not an initial sync or resync), for new-mail announcements.
    pub new_messages: Vec<NewMessage>,
    /// Pending actions dropped because their messages are gone from the server.
    pub dropped: Vec<mail_store::PendingOp>,
    /// Round trips to the server this sync took.
    pub round_trips: u64,
    pub duration: Duration,
    /// Of `duration`, the time spent waiting for the server's answers.
    pub server_wait: Duration,
}

/// A message a delta sync added: what a new-mail notification shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    pub uid: u32,
    pub from: String,
    pub from_address: String,
    pub subject: String,
    pub seen: bool,
}

impl NewMessage {
    pub(crate) fn from_row(row: &MessageRow) -> NewMessage {
        NewMessage {
            uid: row.uid.0,
            from: row.from_name.clone(),
            from_address: row.from_address.clone(),
            subject: row.subject.clone(),
            seen: row.flags.is_seen(),
        }
    }
}

pub(crate) type SharedStore = Arc<Mutex<Store>>;

/// Runs `work` with the store locked. The lock is held only for cache work, never across IO.
pub(crate) fn with_store<T>(
    store: &SharedStore,
    work: impl FnOnce(&mut Store) -> anyhow::Result<T>,
) -> Result<T> {
    let mut guard = store.lock().map_err(|_| {
        EngineError::new(
            ErrorKind::Other,
            "The cache lock was poisoned by a crash in another task",
        )
    })?;
    work(&mut guard).map_err(|error| {
        let dir = guard
            .path()
            .parent()
            .map(std::path::Path::to_path_buf)
            .unwrap_or_default();
        let kind = match mail_store::cache_problem_at(&error, &dir) {
            Some(mail_store::CacheProblem::DiskFull) => ErrorKind::DiskFull,
            Some(_) => ErrorKind::CacheDamaged,
            None => ErrorKind::Other,
        };
        let message = match kind {
            ErrorKind::DiskFull => format!("The disk holding the cache is full: {error:#}"),
            _ => format!("{error:#}"),
        };
        EngineError::new(kind, message)
    })
}

pub(crate) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs() as i64)
        .unwrap_or(0)
}
