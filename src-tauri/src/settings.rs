//! The app's settings (notifications, close to tray, last folder), kept as JSON next to the
//! cache and replaced atomically so a crash never leaves half a file.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::dto::SettingsDto;

const FILE: &str = "app-settings.json";

fn path(data_dir: &Path) -> PathBuf {
    data_dir.join(FILE)
}

/// The saved settings, or the defaults when there are none or they cannot be read.
pub fn load(data_dir: &Path) -> SettingsDto {
    let path = path(data_dir);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|error| {
            tracing::warn!(path = %path.display(), %error, "unreadable settings; using defaults");
            SettingsDto::default()
        }),
        Err(_) => SettingsDto::default(),
    }
}

pub fn save(data_dir: &Path, settings: &SettingsDto) -> anyhow::Result<()> {
    mail_store::private_dir(data_dir)?;
    let path = path(data_dir);
    let temporary = path.with_extension("json.tmp");
    let bytes = serde_json::to_vec_pretty(settings).context("Encoding the settings")?;
    // Owner-only like everything in the data directory (a left-over temporary file from
    // an older version is tightened too).
    let mut file = mail_store::private_options()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&temporary)
        .with_context(|| format!("Writing {}", temporary.display()))?;
    mail_store::tighten_file(&temporary)?;
    file.write_all(&bytes)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("Writing {}", temporary.display()))?;
    drop(file);
    std::fs::rename(&temporary, &path).with_context(|| format!("Replacing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_round_trip_and_default_when_missing_or_broken() {
        let dir = tempfile::tempdir().expect("dir");
        assert_eq!(load(dir.path()), SettingsDto::default());
        let settings = SettingsDto {
            notifications: false,
            close_to_tray: false,
            last_folder: Some("Archive".into()),
            last_account: Some("me@tern.test".into()),
            last_unified: false,
            start_at_login: true,
            folder_pane: 240,
            list_pane: 410,
        };
        save(dir.path(), &settings).expect("save");
        assert_eq!(load(dir.path()), settings);
        std::fs::write(dir.path().join(FILE), b"{broken").expect("write");
        assert_eq!(load(dir.path()), SettingsDto::default());
    }

    #[cfg(unix)]
    #[test]
    fn settings_are_readable_by_their_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let top = tempfile::tempdir().expect("dir");
        let dir = top.path().join("tern");
        save(&dir, &SettingsDto::default()).expect("save");
        let mode =
            |path: &Path| std::fs::metadata(path).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&dir.join(FILE)), 0o600);
    }
}
