//! Engine errors whose kind callers branch on (authentication, TLS, network, server refusal).

use std::fmt;

/// What went wrong, coarsely: enough for a UI to choose its message and for retry logic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The server refused the user name or password.
    Authentication,
    /// The account's OAuth2 sign-in is gone (revoked, expired, refused even when fresh):
    /// the person must sign in again; retrying alone will not help.
    SignInNeeded,
    /// The TLS handshake failed (untrusted or invalid certificate, protocol error).
    Tls,
    /// The server could not be reached, or the connection broke or stalled.
    Network,
    /// A security policy of ours refused to connect (plaintext to a remote host).
    Policy,
    /// The server answered NO or BAD to a command.
    ServerRefused,
    /// The server answered NO for now (RFC 5530 `[INUSE]`, `[UNAVAILABLE]`, `[SERVERBUG]`,
    /// `[OVERQUOTA]`): the same command may succeed later.
    ServerBusy,
    /// The server's answer made no sense (cannot be parsed or does not add up).
    Protocol,
    /// The cache file is damaged or from a newer Tern: rebuild it from the server.
    CacheDamaged,
    /// The disk holding the cache is full: nothing was written, nothing lost.
    DiskFull,
    /// Anything else (cache, configuration).
    Other,
}

/// An engine error: a kind plus a message with context. Never contains a password.
#[derive(Debug)]
pub struct EngineError {
    pub kind: ErrorKind,
    message: String,
}

impl EngineError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    /// Whether a fresh connection might succeed where this one failed.
    pub fn is_connection_failure(&self) -> bool {
        matches!(self.kind, ErrorKind::Network | ErrorKind::Protocol)
    }

    /// Adds context in front of the message, keeping the kind.
    pub fn context(self, context: impl fmt::Display) -> Self {
        Self {
            kind: self.kind,
            message: format!("{context}: {}", self.message),
        }
    }
}

impl fmt::Display for EngineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for EngineError {}

pub type Result<T, E = EngineError> = std::result::Result<T, E>;
