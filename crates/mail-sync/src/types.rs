//! Newtypes for IMAP identifiers and the per-folder sync state they make up.

use serde::{Deserialize, Serialize};

/// A message UID (RFC 3501 §2.3.1.1). Never zero on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Uid(pub u32);

/// A folder's UIDVALIDITY. When it changes, every cached UID of the folder is void.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct UidValidity(pub u32);

/// A CONDSTORE modification sequence (RFC 7162).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ModSeq(pub u64);

/// What the cache knows about a folder's server state; advances atomically with its rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncMeta {
    pub uid_validity: UidValidity,
    /// UIDNEXT as last seen (every UID below it that exists on the server is cached,
    /// once `initial_low_uid` is `None`).
    pub uid_next: Uid,
    /// HIGHESTMODSEQ as last seen, when the server has CONDSTORE for this folder.
    pub highest_modseq: Option<ModSeq>,
    /// While an initial sync is incomplete: every server UID in `[initial_low_uid, uid_next)`
    /// is cached, the ones below are not yet. `None` once the initial sync has finished.
    pub initial_low_uid: Option<Uid>,
}

impl SyncMeta {
    pub fn initial_sync_complete(&self) -> bool {
        self.initial_low_uid.is_none()
    }
}

/// What a SELECT or EXAMINE reported about a folder.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SelectedState {
    pub uid_validity: Option<UidValidity>,
    pub uid_next: Option<Uid>,
    pub highest_modseq: Option<ModSeq>,
    /// The number of messages (EXISTS), after every EXISTS/EXPUNGE seen during the exchange.
    pub exists: u32,
}
