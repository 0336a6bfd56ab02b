//! A Gmail-like IMAP server on loopback (issue 16): `scripts/gmail-like-server.js` on
//! hoodiecrow-imap (installed once by `scripts/gmail-like-prepare.sh`), offering X-GM-EXT-1
//! with one message in INBOX, "Work" and "[Gmail]/All Mail" under one X-GM-MSGID. User
//! alice/alice-pw. Stopped when dropped.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use anyhow::Context;

use crate::dovecot::{free_port, scripts_dir};

/// The X-GM-MSGID of the message that shows in INBOX, Work and All Mail.
pub const SHARED_MSGID: u64 = 1_278_455_344_230_334_865;

pub struct GmailLike {
    pub port: u16,
    child: Child,
}

impl GmailLike {
    pub fn start() -> anyhow::Result<GmailLike> {
        let prepared = Command::new("bash")
            .arg(scripts_dir().join("gmail-like-prepare.sh"))
            .stderr(Stdio::inherit())
            .output()
            .context("Running scripts/gmail-like-prepare.sh")?;
        anyhow::ensure!(
            prepared.status.success(),
            "gmail-like-prepare.sh failed: {}",
            String::from_utf8_lossy(&prepared.stderr)
        );
        let module = String::from_utf8(prepared.stdout)
            .context("The module path is not UTF-8")?
            .trim()
            .to_string();
        let port = free_port()?;
        let mut child = Command::new("node")
            .arg(scripts_dir().join("gmail-like-server.js"))
            .arg(&module)
            .arg(port.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .context("Starting node scripts/gmail-like-server.js")?;
        let stdout = child.stdout.take().context("The server's output")?;
        let mut first = String::new();
        BufReader::new(stdout)
            .read_line(&mut first)
            .context("Reading the server's first line")?;
        if !first.starts_with("ready") {
            let _ = child.kill();
            let _ = child.wait();
            anyhow::bail!("The Gmail-like server did not start: {first:?}");
        }
        Ok(GmailLike { port, child })
    }
}

impl Drop for GmailLike {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
