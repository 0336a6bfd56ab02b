//! Cache access for the engine: the store behind its lock, taken only for cache work and
//! never across IO, and cache errors sorted into a full disk, a damaged cache, or other.

use std::sync::{Arc, Mutex};

use mail_store::Store;

use crate::error::{EngineError, ErrorKind, Result};

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
