//! A private Dovecot on loopback for one test or benchmark, via scripts/dovecot-start.sh.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context;

/// The repository's scripts/ directory.
/// What this Dovecot (2.3) announces after login.
pub const CAPABILITIES: &str = "IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT \
     SORT=DISPLAY THREAD=REFERENCES THREAD=REFS THREAD=ORDEREDSUBJECT MULTIAPPEND URL-PARTIAL \
     CATENATE UNSELECT CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED I18NLEVEL=1 CONDSTORE QRESYNC \
     ESEARCH ESORT SEARCHRES WITHIN CONTEXT=SEARCH LIST-STATUS BINARY MOVE SNIPPET=FUZZY \
     PREVIEW=FUZZY PREVIEW STATUS=SIZE SAVEDATE LITERAL+ NOTIFY SPECIAL-USE";

/// [`CAPABILITIES`] without `missing`.
pub fn capabilities_without(missing: &[&str]) -> String {
    CAPABILITIES
        .split_whitespace()
        .filter(|capability| {
            !missing
                .iter()
                .any(|gone| gone.eq_ignore_ascii_case(capability))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn scripts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts")
}

/// Stops a server that is `running` with `scripts/{script}` on its directory (its failure
/// is an error); a stopped one is left alone.
pub(crate) fn stop_with(script: &str, dir: &Path, running: &mut bool) -> anyhow::Result<()> {
    if !std::mem::replace(running, false) {
        return Ok(());
    }
    let status = Command::new("bash")
        .arg(scripts_dir().join(script))
        .arg(dir)
        .status()
        .with_context(|| format!("Running scripts/{script}"))?;
    if !status.success() {
        anyhow::bail!("{script} failed");
    }
    Ok(())
}

/// A running private Dovecot with users alice/alice-pw, bob/bob-pw and carol/carol-pw.
/// Stopped on drop.
pub struct Dovecot {
    dir: tempfile::TempDir,
    pub port: u16,
    pub tls_port: u16,
    running: bool,
    self_signed: bool,
    capability: Option<String>,
    /// LMTP and SASL auth ports, for an MTA in front ([`crate::Postfix`]).
    delivery: Option<(u16, u16)>,
    /// Where bearer tokens are introspected, when the server takes OAuth2.
    oauth2_introspection: Option<String>,
}

pub(crate) fn free_port() -> anyhow::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("Binding a free port")?;
    Ok(listener
        .local_addr()
        .context("Reading the bound port")?
        .port())
}

/// Why a start failed: a port race (worth retrying with other ports) or anything else.
/// A free port that is none of `taken`.
pub(crate) fn free_port_except(taken: &[u16]) -> anyhow::Result<u16> {
    loop {
        let port = free_port()?;
        if !taken.contains(&port) {
            return Ok(port);
        }
    }
}

enum LaunchError {
    PortTaken(String),
    Other(anyhow::Error),
}

impl LaunchError {
    fn into_anyhow(self) -> anyhow::Error {
        match self {
            LaunchError::PortTaken(message) => anyhow::anyhow!(message),
            LaunchError::Other(error) => error,
        }
    }
}

impl From<anyhow::Error> for LaunchError {
    fn from(error: anyhow::Error) -> Self {
        LaunchError::Other(error)
    }
}

impl Dovecot {
    /// Starts a fresh instance in a new temporary directory on free ports.
    pub fn start() -> anyhow::Result<Dovecot> {
        Self::start_with(false, None)
    }

    /// Like `start`, but announcing `capability` (space-separated) after login instead of
    /// Dovecot's own list, to play a server that lacks something (IDLE, QRESYNC, …).
    pub fn start_with_capability(capability: &str) -> anyhow::Result<Dovecot> {
        Self::start_with(false, Some(capability.to_string()))
    }

    /// Like `start`, announcing Dovecot's own capabilities after login but `missing` (it
    /// still accepts those commands: Tern must not use them).
    pub fn start_without(missing: &[&str]) -> anyhow::Result<Dovecot> {
        Self::start_with_capability(&capabilities_without(missing))
    }

    /// Like `start`, but the server presents one self-signed certificate (no CA);
    /// `ca_file()` is then that certificate itself.
    pub fn start_self_signed() -> anyhow::Result<Dovecot> {
        Self::start_with(true, None)
    }

    /// Like `start`, plus LMTP delivery and SASL auth listeners for [`crate::Postfix`].
    pub fn start_with_delivery() -> anyhow::Result<Dovecot> {
        Self::start_relaunched(None)
    }

    /// Like [`Dovecot::start_with_delivery`], and also taking OAuth2 bearer tokens (XOAUTH2,
    /// OAUTHBEARER; SMTP through the SASL listener too), checked by introspection at
    /// `introspection_url` (a [`crate::oauth::MockIdp`]).
    pub fn start_with_oauth2(introspection_url: &str) -> anyhow::Result<Dovecot> {
        Self::start_relaunched(Some(introspection_url.to_string()))
    }

    /// Starts, then starts again with delivery listeners (and OAuth2), choosing other ports
    /// when one was taken between choosing and binding it.
    fn start_relaunched(oauth2_introspection: Option<String>) -> anyhow::Result<Dovecot> {
        const ATTEMPTS: usize = 5;
        let mut server = Self::start()?;
        server.stop()?;
        server.oauth2_introspection = oauth2_introspection;
        let mut attempt = 1;
        loop {
            // Free ports, but not the server's own (free again while it was stopped).
            let taken = [server.port, server.tls_port];
            let lmtp = free_port_except(&taken)?;
            let auth = free_port_except(&[server.port, server.tls_port, lmtp])?;
            server.delivery = Some((lmtp, auth));
            match server.launch() {
                Ok(()) => return Ok(server),
                Err(LaunchError::PortTaken(message)) if attempt < ATTEMPTS => {
                    eprintln!("tern-testkit: {message}; choosing other ports");
                    attempt += 1;
                }
                Err(error) => return Err(error.into_anyhow()),
            }
        }
    }

    /// (LMTP port, SASL auth port) when started with [`Dovecot::start_with_delivery`].
    pub fn delivery_ports(&self) -> Option<(u16, u16)> {
        self.delivery
    }

    fn start_with(self_signed: bool, capability: Option<String>) -> anyhow::Result<Dovecot> {
        // A port found free can be taken (by any process's outgoing connection) before
        // Dovecot binds it; the start script says so with exit code 3, and we pick again.
        const ATTEMPTS: usize = 5;
        let mut attempt = 1;
        loop {
            match Self::try_start(self_signed, capability.clone()) {
                Err(LaunchError::PortTaken(message)) if attempt < ATTEMPTS => {
                    eprintln!("tern-testkit: {message}; choosing other ports");
                    attempt += 1;
                }
                Err(LaunchError::PortTaken(message)) => anyhow::bail!(message),
                Err(LaunchError::Other(error)) => return Err(error),
                Ok(server) => return Ok(server),
            }
        }
    }

    fn try_start(self_signed: bool, capability: Option<String>) -> Result<Dovecot, LaunchError> {
        let dir = tempfile::Builder::new()
            .prefix("tern-dovecot-")
            .tempdir_in("/tmp")
            .context("Creating the Dovecot directory")?;
        let port = free_port()?;
        let mut tls_port = free_port()?;
        while tls_port == port {
            tls_port = free_port()?;
        }
        let mut server = Dovecot {
            dir,
            port,
            tls_port,
            running: false,
            self_signed,
            capability,
            delivery: None,
            oauth2_introspection: None,
        };
        server.launch()?;
        Ok(server)
    }

    fn launch(&mut self) -> Result<(), LaunchError> {
        let output = Command::new("bash")
            .arg(scripts_dir().join("dovecot-start.sh"))
            .arg(self.dir.path())
            .arg(self.port.to_string())
            .arg(self.tls_port.to_string())
            .env(
                "TERN_DOVECOT_SELF_SIGNED",
                if self.self_signed { "1" } else { "0" },
            )
            .env(
                "TERN_DOVECOT_CAPABILITY",
                self.capability.as_deref().unwrap_or(""),
            )
            .env(
                "TERN_DOVECOT_LMTP_PORT",
                self.delivery
                    .map(|(lmtp, _)| lmtp.to_string())
                    .unwrap_or_default(),
            )
            .env(
                "TERN_DOVECOT_AUTH_PORT",
                self.delivery
                    .map(|(_, auth)| auth.to_string())
                    .unwrap_or_default(),
            )
            .env(
                "TERN_DOVECOT_OAUTH2_INTROSPECTION",
                self.oauth2_introspection.as_deref().unwrap_or(""),
            )
            .output()
            .context("Running scripts/dovecot-start.sh")?;
        if !output.status.success() {
            // A master that did start (a listener failed after it) would make the next
            // attempt find "Dovecot is already running": stop whatever is there.
            let _ = stop_with("dovecot-stop.sh", self.dir.path(), &mut true);
            let message = format!(
                "Dovecot did not start on ports {}/{}: {}{}",
                self.port,
                self.tls_port,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
            return Err(if output.status.code() == Some(3) {
                LaunchError::PortTaken(message)
            } else {
                LaunchError::Other(anyhow::anyhow!(message))
            });
        }
        self.running = true;
        Ok(())
    }

    /// Stops the server (its mail stays on disk).
    pub fn stop(&mut self) -> anyhow::Result<()> {
        stop_with("dovecot-stop.sh", self.dir.path(), &mut self.running)
    }

    /// Starts the server again on the same ports, with the same mail.
    pub fn restart(&mut self) -> anyhow::Result<()> {
        self.stop()?;
        self.launch().map_err(LaunchError::into_anyhow)
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The private CA that signed the server's certificate (what `--ca-file` takes).
    pub fn ca_file(&self) -> PathBuf {
        self.dir.path().join("tls/ca.pem")
    }

    /// The Maildir of `user`.
    pub fn maildir(&self, user: &str) -> PathBuf {
        self.dir.path().join("mail").join(user).join("Maildir")
    }

    /// Runs doveadm against this instance.
    pub fn doveadm(&self, args: &[&str]) -> anyhow::Result<String> {
        let output = Command::new("doveadm")
            .arg("-c")
            .arg(self.dir.path().join("dovecot.conf"))
            .args(args)
            .output()
            .context("Running doveadm")?;
        if !output.status.success() {
            anyhow::bail!(
                "doveadm {args:?} failed: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// `doveadm -f tab fetch -u <user> <fields> <query…>`: a header line, then one
    /// tab-separated line per message.
    pub fn fetch(&self, user: &str, fields: &str, query: &[&str]) -> anyhow::Result<String> {
        let mut args = vec!["-f", "tab", "fetch", "-u", user, fields];
        args.extend_from_slice(query);
        self.doveadm(&args)
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        if let Err(error) = self.stop() {
            eprintln!("stopping Dovecot: {error:#}");
        }
    }
}
