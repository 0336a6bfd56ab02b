//! Rebuilding a damaged cache (or one from a newer Tern) from the server, keeping what only
//! exists on this computer. In this order, so nothing is ever lost: read out what can be read
//! of the local-only data; write it to a file in the data directory (exported first); set the
//! old cache aside under a new name (never deleted); create a new cache and put the local data
//! back. Messages come back with the next sync, and queued actions go back into the queue as
//! their folders are synced. The CLI (`tern cache rebuild`) and the app share this.

use std::path::{Path, PathBuf};

use anyhow::Context;
use mail_store::{LocalData, Restored, Store, DATABASE_FILE};

/// What a rebuild did.
#[derive(Debug)]
pub struct Rebuilt {
    /// The local-only data, as read out of the old cache (JSON, owner-only).
    pub saved_to: PathBuf,
    /// The old cache, set aside.
    pub old_cache: PathBuf,
    pub restored: Restored,
    /// What could not be read out of the old cache (it is still in `old_cache`).
    pub unreadable: Vec<String>,
}

impl Rebuilt {
    /// One paragraph for a person.
    pub fn summary(&self) -> String {
        let plural = |count: usize, one: &str, many: &str| {
            if count == 1 {
                format!("1 {one}")
            } else {
                format!("{count} {many}")
            }
        };
        let mut text =
            format!(
            "Rebuilt the cache: kept {}, {}, {} and {}; their copy is in {}; the old cache is {}.",
            plural(self.restored.accounts, "account", "accounts"),
            plural(self.restored.actions, "queued change", "queued changes"),
            plural(self.restored.outbox, "message in the outbox", "messages in the outbox"),
            plural(self.restored.drafts, "draft", "drafts"),
            self.saved_to.display(),
            self.old_cache.display()
        );
        if !self.unreadable.is_empty() {
            text.push_str(&format!(
                " Could not be read: {}.",
                self.unreadable.join("; ")
            ));
        }
        if !self.restored.refused.is_empty() {
            text.push_str(&format!(
                " Not put back (still in the copy): {}.",
                self.restored.refused.join("; ")
            ));
        }
        text
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or(0)
}

/// `tern.db` + `suffix`, in `dir`.
fn beside(dir: &Path, suffix: &str) -> PathBuf {
    dir.join(format!("{DATABASE_FILE}{suffix}"))
}

/// Rebuilds the cache of `data_dir` (see the module). Refuses while another Tern process has
/// it open: that process would go on writing to the old file.
pub fn rebuild_cache(data_dir: &Path) -> anyhow::Result<Rebuilt> {
    let database = data_dir.join(DATABASE_FILE);
    if !database.exists() {
        anyhow::bail!("There is no cache in {} to rebuild", data_dir.display());
    }
    let Some(alone) = mail_store::take_cache_alone(data_dir)? else {
        anyhow::bail!(
            "Another Tern process (the app, or `tern watch`) has the cache open; quit it, then rebuild"
        );
    };
    let stamp = unix_now();

    // 1. Read out what only exists here, and 2. keep a copy of it before touching anything.
    let data = mail_store::salvage(&database);
    let saved_to = beside(data_dir, &format!(".local-changes-{stamp}.json"));
    save_copy(&data, &saved_to)?;

    // 3. The old cache goes aside, with its WAL and shared-memory files.
    let old_cache = beside(data_dir, &format!(".damaged-{stamp}"));
    for suffix in ["", "-wal", "-shm"] {
        let from = beside(data_dir, suffix);
        if from.exists() {
            let to = PathBuf::from(format!("{}{suffix}", old_cache.display()));
            std::fs::rename(&from, &to).with_context(|| {
                format!(
                    "Setting the old cache aside ({} -> {})",
                    from.display(),
                    to.display()
                )
            })?;
        }
    }

    // 4. A new cache with the local data back in it.
    drop(alone);
    let mut store = Store::open_in_dir(data_dir).context("Creating the new cache")?;
    let restored = store
        .restore_local_data(&data)
        .context("Putting the local data into the new cache")?;
    tracing::info!(
        saved = %saved_to.display(),
        old = %old_cache.display(),
        accounts = restored.accounts,
        actions = restored.actions,
        "cache rebuilt"
    );
    Ok(Rebuilt {
        saved_to,
        old_cache,
        restored,
        unreadable: data.unreadable,
    })
}

fn save_copy(data: &LocalData, path: &Path) -> anyhow::Result<()> {
    use std::io::Write;
    let bytes = serde_json::to_vec_pretty(data).context("Encoding the local data")?;
    let mut file = mail_store::private_options()
        .write(true)
        .create_new(true)
        .open(path)
        .with_context(|| format!("Creating {}", path.display()))?;
    file.write_all(&bytes)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("Writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use mail_store::{NewAccount, PasswordSource, Security};

    #[test]
    fn a_cache_in_use_is_not_rebuilt_and_a_free_one_is() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open_in_dir(dir.path()).unwrap();
        store
            .upsert_account(
                &NewAccount {
                    email: "a@b.c".into(),
                    imap_host: "127.0.0.1".into(),
                    imap_port: 143,
                    security: Security::Plain,
                    username: "a".into(),
                    ca_file: None,
                    password_source: PasswordSource::Env("PW".into()),
                    allow_plaintext: false,
                    oauth: None,
                },
                1,
            )
            .unwrap();
        let error = rebuild_cache(dir.path()).unwrap_err();
        assert!(error.to_string().contains("has the cache open"), "{error}");
        drop(store);

        let rebuilt = rebuild_cache(dir.path()).unwrap();
        assert_eq!(rebuilt.restored.accounts, 1);
        assert!(rebuilt.saved_to.exists() && rebuilt.old_cache.exists());
        let store = Store::open_in_dir(dir.path()).unwrap();
        assert_eq!(store.accounts().unwrap()[0].email, "a@b.c");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&rebuilt.saved_to)
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(
            rebuilt.summary().contains("kept 1 account"),
            "{}",
            rebuilt.summary()
        );
    }
}
