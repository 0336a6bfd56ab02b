//! The data directory and Tern's files in it, readable by their owner only.
//!
//! The cache holds whole messages, drafts and the outbox's wire bytes (Bcc included); a lock
//! file another user could hold would stall sending. So the directory is 0700 and every
//! file Tern keeps there 0600: created so (no window where another user can open one), and
//! tightened at every start for profiles made by older versions. Only Tern's own files are
//! touched: a person may point `--data-dir` at a directory that holds other things.

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};

use anyhow::Context;

/// Mode of the data directory.
pub const DIRECTORY_MODE: u32 = 0o700;
/// Mode of every file Tern keeps in it.
pub const FILE_MODE: u32 = 0o600;

/// The names (in the data directory) of the files Tern keeps there, by prefix: the cache
/// and its WAL, shared-memory and lock files (and what a rebuild sets aside), settings.
const OWN_PREFIXES: &[&str] = &["tern.db", "app-settings.json"];

/// Creates `dir` (and its parents) if needed; `dir` itself ends up owner-only.
pub fn private_dir(dir: &Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        if !dir.is_dir() {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(DIRECTORY_MODE)
                .create(dir)
                .with_context(|| format!("Creating the data directory {}", dir.display()))?;
        }
        let mode = std::fs::metadata(dir)
            .with_context(|| format!("Reading {}", dir.display()))?
            .permissions()
            .mode()
            & 0o777;
        if mode != DIRECTORY_MODE {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(DIRECTORY_MODE))
                .with_context(|| format!("Making {} private", dir.display()))?;
        }
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(dir)
        .with_context(|| format!("Creating the data directory {}", dir.display()))?;
    Ok(())
}

/// `OpenOptions` that create a file owner-only (the mode applies when it is created).
pub fn private_options() -> OpenOptions {
    #[allow(unused_mut)]
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(FILE_MODE);
    }
    options
}

/// Makes `path` owner-only if it exists.
pub fn tighten_file(path: &Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let metadata = match std::fs::symlink_metadata(path) {
            Ok(metadata) => metadata,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(error) => return Err(error).with_context(|| format!("Reading {}", path.display())),
        };
        if metadata.is_file() && metadata.permissions().mode() & 0o777 != FILE_MODE {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(FILE_MODE))
                .with_context(|| format!("Making {} private", path.display()))?;
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// The data directory owner-only, and every file of Tern's in it.
pub fn tighten_data_dir(dir: &Path) -> anyhow::Result<()> {
    private_dir(dir)?;
    for path in own_files(dir)? {
        tighten_file(&path)?;
    }
    Ok(())
}

fn is_own_file(name: &str) -> bool {
    OWN_PREFIXES.iter().any(|prefix| name.starts_with(prefix))
}

fn own_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir).with_context(|| format!("Listing {}", dir.display()))?;
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.with_context(|| format!("Listing {}", dir.display()))?;
        if entry.file_name().to_str().is_some_and(is_own_file) {
            files.push(entry.path());
        }
    }
    Ok(files)
}

#[cfg(all(test, unix))]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_new_directory_and_its_files_are_private() {
        let top = tempfile::tempdir().unwrap();
        let dir = top.path().join("a/b/tern");
        private_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        let file = dir.join("tern.db.outbox-lock");
        private_options()
            .write(true)
            .create(true)
            .truncate(false)
            .open(&file)
            .unwrap();
        assert_eq!(mode(&file), 0o600);
    }

    #[test]
    fn an_old_profile_is_tightened_but_other_files_are_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        for name in ["tern.db", "tern.db-wal", "app-settings.json", "notes.txt"] {
            let path = dir.path().join(name);
            std::fs::write(&path, b"x").unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        tighten_data_dir(dir.path()).unwrap();
        assert_eq!(mode(dir.path()), 0o700);
        for name in ["tern.db", "tern.db-wal", "app-settings.json"] {
            assert_eq!(mode(&dir.path().join(name)), 0o600, "{name}");
        }
        assert_eq!(mode(&dir.path().join("notes.txt")), 0o644);
    }
}
