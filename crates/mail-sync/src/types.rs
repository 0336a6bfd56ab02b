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

/// More messages than any real folder holds (Gmail's All Mail of a large account has a few
/// million): an EXISTS above it is a lie, refused before anything is planned from it.
pub const MAX_FOLDER_MESSAGES: u32 = 20_000_000;

/// What a SELECT or EXAMINE reported about a folder.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SelectedState {
    pub uid_validity: Option<UidValidity>,
    pub uid_next: Option<Uid>,
    pub highest_modseq: Option<ModSeq>,
    /// The number of messages (EXISTS), after every EXISTS/EXPUNGE seen during the exchange.
    pub exists: u32,
}

impl SelectedState {
    /// Whether the counts can be true: at most [`MAX_FOLDER_MESSAGES`], and (for a SELECT's
    /// own answer, `at_select`) no more messages than UIDs below UIDNEXT, since every
    /// message has its own UID. Later EXISTS (mail arriving during a pipeline) may pass
    /// the UIDNEXT seen at the start, so only the first check applies then.
    pub fn check_plausible(&self, at_select: bool) -> Result<(), String> {
        if self.exists > MAX_FOLDER_MESSAGES {
            return Err(format!(
                "the server announced {} messages, more than any folder holds",
                self.exists
            ));
        }
        if let (true, Some(next)) = (at_select, self.uid_next) {
            if u64::from(self.exists) >= u64::from(next.0).max(1) {
                return Err(format!(
                    "the server announced {} messages but only UIDs below {} exist",
                    self.exists, next.0
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(exists: u32, uid_next: Option<u32>) -> SelectedState {
        SelectedState {
            uid_validity: Some(UidValidity(1)),
            uid_next: uid_next.map(Uid),
            highest_modseq: None,
            exists,
        }
    }

    #[test]
    fn impossible_counts_are_refused() {
        let cases = [
            // (exists, uidnext, at_select, plausible)
            (0, Some(1), true, true),
            (5, Some(6), true, true),
            (5, Some(100), true, true),
            (5, None, true, true),
            (6, Some(6), true, false),
            (u32::MAX, Some(u32::MAX), true, false),
            (1, Some(0), true, false),
            // Mail arriving during a pipeline may pass the UIDNEXT seen at its start.
            (7, Some(6), false, true),
            (MAX_FOLDER_MESSAGES, None, false, true),
            (MAX_FOLDER_MESSAGES + 1, None, false, false),
            (u32::MAX, None, false, false),
        ];
        for (exists, uid_next, at_select, plausible) in cases {
            assert_eq!(
                state(exists, uid_next).check_plausible(at_select).is_ok(),
                plausible,
                "{exists} {uid_next:?} {at_select}"
            );
        }
    }
}
