//! Private Cyrus IMAP 3.6 and Courier-IMAP 5 servers on loopback (issue 16), started by
//! `scripts/cyrus-start.sh` / `scripts/courier-start.sh` and stopped on drop — beside
//! [`crate::Dovecot`], so the same tests can run against the servers people have.

use std::path::Path;
use std::process::Command;

use anyhow::Context;

use crate::dovecot::{free_port, scripts_dir, stop_with};

/// Which server a [`PrivateServer`] runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerKind {
    /// Cyrus IMAP 3.6 (QRESYNC, CONDSTORE, MOVE, SPECIAL-USE, LIST-STATUS; separator `/`).
    Cyrus,
    /// Courier-IMAP 5 (IDLE, UIDPLUS — no CONDSTORE, MOVE or SPECIAL-USE; `INBOX.` namespace).
    Courier,
}

impl ServerKind {
    pub fn name(self) -> &'static str {
        match self {
            ServerKind::Cyrus => "cyrus",
            ServerKind::Courier => "courier",
        }
    }

    /// The full name of the folder people call `short` (Archive, Trash, …) on this server.
    pub fn folder(self, short: &str) -> String {
        match self {
            ServerKind::Cyrus => short.to_string(),
            ServerKind::Courier => format!("INBOX.{short}"),
        }
    }
}

/// A private Cyrus or Courier on 127.0.0.1 (users alice/alice-pw and bob/bob-pw, with Archive,
/// Trash, Sent, Drafts and Junk), stopped when dropped.
pub struct PrivateServer {
    pub kind: ServerKind,
    dir: tempfile::TempDir,
    pub port: u16,
    running: bool,
}

impl PrivateServer {
    pub fn start(kind: ServerKind) -> anyhow::Result<PrivateServer> {
        // A port found free can be taken before the server binds it: the start script says
        // so with exit code 3, and another is chosen.
        const ATTEMPTS: usize = 5;
        let dir = tempfile::Builder::new()
            .prefix(&format!("tern-{}-", kind.name()))
            .tempdir_in("/tmp")
            .context("Creating the server's directory")?;
        let mut server = PrivateServer {
            kind,
            dir,
            port: 0,
            running: false,
        };
        for attempt in 1..=ATTEMPTS {
            server.port = free_port()?;
            let output = Command::new("bash")
                .arg(scripts_dir().join(format!("{}-start.sh", kind.name())))
                .arg(server.dir.path())
                .arg(server.port.to_string())
                .output()
                .with_context(|| format!("Running scripts/{}-start.sh", kind.name()))?;
            if output.status.success() {
                server.running = true;
                return Ok(server);
            }
            let message = format!(
                "{} did not start on port {}: {}{}",
                kind.name(),
                server.port,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
            if output.status.code() != Some(3) || attempt == ATTEMPTS {
                anyhow::bail!(message);
            }
            eprintln!("tern-testkit: {message}; choosing another port");
        }
        anyhow::bail!("{} did not start", kind.name())
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Stops the server (its mail stays on disk until drop).
    pub fn stop(&mut self) -> anyhow::Result<()> {
        stop_with(
            &format!("{}-stop.sh", self.kind.name()),
            self.dir.path(),
            &mut self.running,
        )
    }
}

impl Drop for PrivateServer {
    fn drop(&mut self) {
        if let Err(error) = self.stop() {
            eprintln!("tern-testkit: stopping {}: {error:#}", self.kind.name());
        }
    }
}
