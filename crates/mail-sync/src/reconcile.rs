//! Turning a delta sync's server answer into the changes the cache must apply.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::flags::Flags;
use crate::plan::Strategy;
use crate::types::{ModSeq, SelectedState, SyncMeta, Uid};

/// The cached state of a folder that a delta is reconciled against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalSnapshot {
    pub meta: SyncMeta,
    /// How many messages of the folder are cached.
    pub count: usize,
    /// The highest cached UID, if any.
    pub max_uid: Option<Uid>,
    /// Cached flags by UID: every cached message when the answer has `all_uids`, otherwise at
    /// least every UID the answer names (an incremental delta never loads the whole folder).
    pub flags: HashMap<Uid, Flags>,
}

/// Everything a delta exchange with the server returned, already parsed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerAnswer {
    pub selected: SelectedState,
    /// UIDs the server reported as expunged (QRESYNC `VANISHED (EARLIER)` or `VANISHED`).
    pub vanished: Vec<Uid>,
    /// FLAGS seen in FETCH responses, in arrival order (later answers win).
    pub flags: Vec<(Uid, Flags)>,
    /// UIDs whose full headers were fetched in this exchange (the "new messages" fetch).
    pub fetched_new: Vec<Uid>,
    /// Every UID the folder holds, when the exchange listed them (UID+flags method, or a
    /// `UID SEARCH ALL` after a count mismatch). `None` when the answer is incremental only.
    pub all_uids: Option<Vec<Uid>>,
}

/// The cache changes that bring a folder level with the server, and the new sync state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reconciled {
    /// Messages to insert. Headers for these were fetched, or must be (`missing_headers`).
    pub added: Vec<Uid>,
    /// Added UIDs whose headers the answer did not carry: fetch them before applying.
    pub missing_headers: Vec<Uid>,
    pub removed: Vec<Uid>,
    pub flags_changed: Vec<(Uid, Flags)>,
    pub new_meta: SyncMeta,
}

/// Why an answer cannot be applied as it is. None of these means "the mailbox is empty".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReconcileError {
    /// The server did not report UIDVALIDITY: the answer cannot be trusted.
    MissingUidValidity,
    /// UIDVALIDITY changed: the cached UIDs are void and the folder needs a full resync.
    UidValidityChanged,
    /// The server did not report HIGHESTMODSEQ, or it went backwards: redo the delta with UID+flags.
    ModSeqUnusable,
    /// The incremental answer cannot account for the message count (`expected` messages
    /// after it, the server counts `exists`): list UIDs and reconcile again.
    NeedUidList { expected: usize, exists: u32 },
    /// The answer contradicts itself (counts do not add up even with a full listing).
    Inconsistent { expected: usize, exists: u32 },
}

impl std::fmt::Display for ReconcileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReconcileError::MissingUidValidity => {
                f.write_str("the server did not report UIDVALIDITY")
            }
            ReconcileError::UidValidityChanged => f.write_str("UIDVALIDITY changed"),
            ReconcileError::ModSeqUnusable => {
                f.write_str("HIGHESTMODSEQ missing or lower than before")
            }
            ReconcileError::NeedUidList { expected, exists } => write!(
                f,
                "{expected} messages expected but the server counts {exists}: UIDs must be listed"
            ),
            ReconcileError::Inconsistent { expected, exists } => write!(
                f,
                "the server's answer is inconsistent: {expected} messages listed, EXISTS {exists}"
            ),
        }
    }
}

impl std::error::Error for ReconcileError {}

/// Reconciles a delta answer obtained with `strategy` against the local snapshot.
///
/// Removals are decided only from explicit VANISHED responses or a complete UID listing, and
/// every result is checked against the server's message count: an answer that does not add up
/// is an error, never a reason to drop cached messages.
pub fn reconcile(
    local: &LocalSnapshot,
    strategy: Strategy,
    answer: &ServerAnswer,
) -> Result<Reconciled, ReconcileError> {
    let selected = &answer.selected;
    let uid_validity = selected
        .uid_validity
        .ok_or(ReconcileError::MissingUidValidity)?;
    if uid_validity != local.meta.uid_validity {
        return Err(ReconcileError::UidValidityChanged);
    }
    if matches!(strategy, Strategy::Qresync | Strategy::Condstore) {
        match (selected.highest_modseq, local.meta.highest_modseq) {
            (Some(now), Some(before)) if now >= before => {}
            _ => return Err(ReconcileError::ModSeqUnusable),
        }
    }

    // Latest flags per UID; duplicates in the answer collapse, the last one wins.
    let mut server_flags: BTreeMap<Uid, &Flags> = BTreeMap::new();
    for (uid, flags) in &answer.flags {
        server_flags.insert(*uid, flags);
    }
    let vanished: BTreeSet<Uid> = answer.vanished.iter().copied().collect();
    let fetched_new: BTreeSet<Uid> = answer.fetched_new.iter().copied().collect();

    let mut removed: BTreeSet<Uid> = BTreeSet::new();
    let mut present_on_server: Option<BTreeSet<Uid>> = None;
    if let Some(all) = &answer.all_uids {
        let all: BTreeSet<Uid> = all
            .iter()
            .copied()
            .filter(|uid| !vanished.contains(uid))
            .collect();
        removed.extend(local.flags.keys().filter(|uid| !all.contains(uid)));
        present_on_server = Some(all);
    }
    removed.extend(vanished.iter().filter(|uid| local.flags.contains_key(uid)));

    // Messages to add: fetched as new, or listed by the server but not cached (a hole).
    let mut added: BTreeSet<Uid> = fetched_new
        .iter()
        .copied()
        .filter(|uid| !vanished.contains(uid) && !local.flags.contains_key(uid))
        .collect();
    let mut missing_headers = Vec::new();
    let candidates = present_on_server
        .iter()
        .flatten()
        .copied()
        .chain(server_flags.keys().copied());
    for uid in candidates {
        if !local.flags.contains_key(&uid) && !vanished.contains(&uid) && added.insert(uid) {
            missing_headers.push(uid);
        }
    }
    missing_headers.sort_unstable();
    missing_headers.dedup();

    let flags_changed: Vec<(Uid, Flags)> = server_flags
        .iter()
        .filter(|(uid, _)| !removed.contains(uid))
        .filter_map(|(uid, flags)| match local.flags.get(uid) {
            Some(cached) if cached != *flags => Some((*uid, (*flags).clone())),
            _ => None,
        })
        .collect();

    // The count must add up before anything is applied.
    let expected = (local.count + added.len()).saturating_sub(removed.len());
    if expected != selected.exists as usize {
        return Err(if answer.all_uids.is_some() {
            ReconcileError::Inconsistent {
                expected,
                exists: selected.exists,
            }
        } else {
            ReconcileError::NeedUidList {
                expected,
                exists: selected.exists,
            }
        });
    }

    let highest_added = added.iter().next_back().copied();
    let highest_local = local.max_uid;
    let derived_next = highest_added
        .max(highest_local)
        .map_or(Uid(1), |uid| Uid(uid.0.saturating_add(1)));
    let uid_next = selected
        .uid_next
        .unwrap_or(derived_next)
        .max(derived_next)
        .max(local.meta.uid_next);
    let highest_modseq = match strategy {
        // UID+flags learns nothing about modseqs; keep what the server says, if anything.
        Strategy::UidFlags | Strategy::Initial => selected.highest_modseq,
        Strategy::Qresync | Strategy::Condstore => selected.highest_modseq.max(Some(ModSeq(0))),
    };

    Ok(Reconciled {
        added: added.into_iter().collect(),
        missing_headers,
        removed: removed.into_iter().collect(),
        flags_changed,
        new_meta: SyncMeta {
            uid_validity,
            uid_next,
            highest_modseq,
            initial_low_uid: None,
        },
    })
}

#[cfg(test)]
mod tests;
