//! A private Postfix on loopback in front of a [`Dovecot`] started with delivery listeners:
//! it accepts mail for alice, bob and carol @tern.test (others: 550 at RCPT), checks SMTP
//! AUTH against Dovecot's passwords and delivers over LMTP into their INBOX. Via
//! scripts/postfix-start.sh; stopped on drop (queued mail stays for a restart).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context;

use crate::dovecot::{free_port, scripts_dir, stop_with, Dovecot};

pub struct Postfix {
    dir: tempfile::TempDir,
    /// Plain SMTP with AUTH (loopback only).
    pub port: u16,
    /// STARTTLS required before AUTH (587's role).
    pub submission_port: u16,
    /// Implicit TLS (465's role).
    pub smtps_port: u16,
    lmtp: u16,
    auth: u16,
    tls_dir: PathBuf,
    running: bool,
}

impl Postfix {
    /// Starts Postfix delivering into `dovecot` (which must have delivery listeners).
    pub fn start(dovecot: &Dovecot) -> anyhow::Result<Postfix> {
        let (lmtp, auth) = dovecot
            .delivery_ports()
            .context("Dovecot was not started with delivery listeners (start_with_delivery)")?;
        let mut last_error = None;
        for _ in 0..5 {
            let mut postfix = Postfix {
                port: free_port()?,
                submission_port: free_port()?,
                smtps_port: free_port()?,
                dir: tempfile::Builder::new()
                    .prefix("tern-postfix-")
                    .tempdir_in("/tmp")
                    .context("Creating the Postfix directory")?,
                lmtp,
                auth,
                tls_dir: dovecot.dir().join("tls"),
                running: false,
            };
            match postfix.launch() {
                Ok(()) => return Ok(postfix),
                Err(error) => last_error = Some(error),
            }
        }
        Err(last_error.unwrap_or_else(|| anyhow::anyhow!("Postfix did not start")))
    }

    fn launch(&mut self) -> anyhow::Result<()> {
        let output = Command::new("bash")
            .arg(scripts_dir().join("postfix-start.sh"))
            .arg(self.dir.path())
            .arg(self.port.to_string())
            .arg(self.submission_port.to_string())
            .arg(self.smtps_port.to_string())
            .arg(self.lmtp.to_string())
            .arg(self.auth.to_string())
            .arg(&self.tls_dir)
            .output()
            .context("Running scripts/postfix-start.sh")?;
        if !output.status.success() {
            anyhow::bail!(
                "Postfix did not start on ports {}/{}/{}: {}{}",
                self.port,
                self.submission_port,
                self.smtps_port,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        self.running = true;
        Ok(())
    }

    /// Stops Postfix; mail it queued stays for the next start.
    pub fn stop(&mut self) -> anyhow::Result<()> {
        stop_with("postfix-stop.sh", self.dir.path(), &mut self.running)
    }

    /// Starts it again on the same ports.
    pub fn start_again(&mut self) -> anyhow::Result<()> {
        self.stop()?;
        self.launch()
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Postfix's log (every SMTP session and delivery).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("postfix.log")).unwrap_or_default()
    }
}

impl Drop for Postfix {
    fn drop(&mut self) {
        if let Err(error) = self.stop() {
            eprintln!("stopping Postfix: {error:#}");
        }
    }
}
