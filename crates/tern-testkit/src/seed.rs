//! Fast seeding: writes generated messages straight into a Maildir, then lets Dovecot index
//! them (100k messages in seconds, where APPEND per message would take minutes).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use anyhow::Context;

use crate::dovecot::Dovecot;
use crate::messages::message;

/// The first seeded message's date; later ones are a minute apart.
pub const SEED_EPOCH: i64 = 1_700_000_000;

/// The Maildir++ directory of `folder` under a Maildir root.
pub fn folder_dir(maildir: &Path, folder: &str) -> PathBuf {
    if folder.eq_ignore_ascii_case("INBOX") {
        maildir.to_path_buf()
    } else {
        maildir.join(format!(".{}", folder.replace('/', ".")))
    }
}

/// Writes messages `first..first + count` into `folder` of the Maildir. Every third is
/// \Seen and every seventh \Flagged. Files are owned by the mail user (uid 8) when root.
pub fn write_maildir(maildir: &Path, folder: &str, first: u64, count: u64) -> anyhow::Result<()> {
    let dir = folder_dir(maildir, folder);
    for sub in ["cur", "new", "tmp"] {
        fs::create_dir_all(dir.join(sub))
            .with_context(|| format!("Creating {}", dir.join(sub).display()))?;
    }
    let is_root = effective_uid_is_root();
    for index in first..first + count {
        let date = SEED_EPOCH + index as i64 * 60;
        let bytes = message(index, date);
        let mut flags = String::new();
        if index % 7 == 0 {
            flags.push('F');
        }
        if index % 3 == 0 {
            flags.push('S');
        }
        // Names sort by index so that Dovecot assigns UIDs in this order.
        let name = format!("{date}.M{index:09}P1.tern,S={}:2,{flags}", bytes.len());
        let path = dir.join("cur").join(name);
        let mut file =
            fs::File::create(&path).with_context(|| format!("Writing {}", path.display()))?;
        file.write_all(&bytes)
            .with_context(|| format!("Writing {}", path.display()))?;
        file.set_modified(UNIX_EPOCH + Duration::from_secs(date as u64))
            .with_context(|| format!("Dating {}", path.display()))?;
        if is_root {
            std::os::unix::fs::chown(&path, Some(8), Some(8))
                .with_context(|| format!("Chowning {}", path.display()))?;
        }
    }
    if is_root {
        for path in [
            maildir.to_path_buf(),
            dir.clone(),
            dir.join("cur"),
            dir.join("new"),
            dir.join("tmp"),
        ] {
            std::os::unix::fs::chown(&path, Some(8), Some(8))
                .with_context(|| format!("Chowning {}", path.display()))?;
        }
    }
    Ok(())
}

fn effective_uid_is_root() -> bool {
    // /proc/self/status "Uid:" line: real, effective, saved, fs.
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with("Uid:"))
                .and_then(|line| line.split_whitespace().nth(2).map(|uid| uid == "0"))
        })
        .unwrap_or(false)
}

impl Dovecot {
    /// Seeds `count` varied messages (indexes from `first`) into `folder` of `user` and has
    /// Dovecot index them, so they are visible over IMAP when this returns.
    pub fn seed(&self, user: &str, folder: &str, first: u64, count: u64) -> anyhow::Result<()> {
        write_maildir(&self.maildir(user), folder, first, count)?;
        self.doveadm(&["index", "-u", user, folder])?;
        Ok(())
    }
}
