//! Locks that one process of a profile holds at a time (the app, `tern watch` and `tern`
//! commands share one data directory): an OS file lock next to the cache, released when it
//! is dropped or when its process dies, whatever way it dies.
//!
//! `outbox` is held while sending, so no message goes out twice; `replay` while sending
//! queued actions, so two processes never replay the same action at once (the second would
//! find the message gone and drop what the first is recording).

use std::fs::{File, TryLockError};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::error::{EngineError, ErrorKind, Result};

/// One held lock.
#[derive(Debug)]
pub(crate) struct ProfileLock {
    _file: File,
}

/// `tern.db` + `.suffix`: the lock file for `database`.
pub(crate) fn lock_path(database: &Path, suffix: &str) -> PathBuf {
    let mut name = database.file_name().unwrap_or_default().to_os_string();
    name.push(".");
    name.push(suffix);
    database.with_file_name(name)
}

impl ProfileLock {
    /// Takes the lock at `path` if no process holds it.
    pub(crate) fn try_take(path: &Path) -> Result<Option<ProfileLock>> {
        // Owner-only: another user who could open it could hold the lock.
        let file = mail_store::private_options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .map_err(|error| {
                EngineError::new(
                    ErrorKind::Other,
                    format!("Opening the lock {}: {error}", path.display()),
                )
            })?;
        match file.try_lock() {
            Ok(()) => Ok(Some(ProfileLock { _file: file })),
            Err(TryLockError::WouldBlock) => Ok(None),
            Err(TryLockError::Error(error)) => Err(EngineError::new(
                ErrorKind::Other,
                format!("Locking {}: {error}", path.display()),
            )),
        }
    }

    /// Takes the lock, waiting up to `patience` for another process to let it go.
    pub(crate) async fn take_within(
        path: &Path,
        patience: Duration,
    ) -> Result<Option<ProfileLock>> {
        let deadline = Instant::now() + patience;
        loop {
            if let Some(lock) = Self::try_take(path)? {
                return Ok(Some(lock));
            }
            if Instant::now() >= deadline {
                return Ok(None);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn a_lock_admits_one_holder() {
        let dir = tempfile::tempdir().unwrap();
        let path = lock_path(&dir.path().join("tern.db"), "outbox-lock");
        assert_eq!(path, dir.path().join("tern.db.outbox-lock"));
        let first = ProfileLock::try_take(&path).unwrap();
        assert!(first.is_some());
        assert!(ProfileLock::try_take(&path).unwrap().is_none(), "held");
        drop(first);
        assert!(
            ProfileLock::try_take(&path).unwrap().is_some(),
            "free again"
        );
    }

    #[tokio::test]
    async fn a_waiter_gets_the_lock_once_it_is_let_go() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tern.db.replay-lock");
        let held = ProfileLock::try_take(&path).unwrap().expect("free");
        assert!(ProfileLock::take_within(&path, Duration::from_millis(50))
            .await
            .unwrap()
            .is_none());
        let waiter = {
            let path = path.clone();
            tokio::spawn(
                async move { ProfileLock::take_within(&path, Duration::from_secs(10)).await },
            )
        };
        drop(held);
        assert!(waiter.await.unwrap().unwrap().is_some());
    }
}
