//! The lock a long-running session of a profile holds — the app or `tern watch` — so two
//! processes never run one profile's watchers twice. A file lock: the OS releases it however
//! the holder ends.

use std::fs::{File, TryLockError};
use std::path::Path;

use anyhow::Context;

/// The lock file (its name from when only the app took it: a running older app holds it).
const SESSION_LOCK: &str = "tern.db.app-lock";

/// The profile held for one long-running session while this lives.
#[derive(Debug)]
pub struct SessionHeld {
    _lock: File,
}

/// Holds `data_dir`'s session lock; `None` when another session (the app or another `tern
/// watch`) has it.
pub fn hold_session(data_dir: &Path) -> anyhow::Result<Option<SessionHeld>> {
    mail_store::private_dir(data_dir)?;
    let path = data_dir.join(SESSION_LOCK);
    let file = mail_store::private_options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("Opening {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(SessionHeld { _lock: file })),
        Err(TryLockError::WouldBlock) => Ok(None),
        Err(TryLockError::Error(error)) => {
            Err(error).with_context(|| format!("Locking {}", path.display()))
        }
    }
}

/// What a second session on a held profile is told.
pub fn already_running(data_dir: &Path) -> String {
    format!(
        "Tern is already running on {} (the app or `tern watch`): quit it first, or use another --data-dir",
        data_dir.display()
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn one_session_per_profile_until_it_ends() {
        let dir = tempfile::tempdir().unwrap();
        let first = hold_session(dir.path()).unwrap();
        assert!(first.is_some());
        assert!(hold_session(dir.path()).unwrap().is_none(), "held");
        let other = tempfile::tempdir().unwrap();
        assert!(
            hold_session(other.path()).unwrap().is_some(),
            "another profile"
        );
        drop(first);
        assert!(hold_session(dir.path()).unwrap().is_some(), "released");
    }
}
