//! Choosing how to bring a folder up to date: initial sync, QRESYNC, CONDSTORE or UID+flags.

use serde::{Deserialize, Serialize};

use crate::types::{ModSeq, SyncMeta, Uid};

/// How a folder is (or was) synchronised. The JSON names are a public interface of `tern sync`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// Everything fetched from scratch (first sync, or after a UIDVALIDITY change).
    Initial,
    /// RFC 7162 QRESYNC: SELECT with the known state returns VANISHED and changed flags.
    Qresync,
    /// RFC 7162 CONDSTORE: FETCH (CHANGEDSINCE) for flags, new UIDs above UIDNEXT, removals by count.
    Condstore,
    /// No CONDSTORE: new UIDs above the highest known one, and a flags-only FETCH of all known UIDs.
    UidFlags,
}

impl Strategy {
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::Initial => "initial",
            Strategy::Qresync => "qresync",
            Strategy::Condstore => "condstore",
            Strategy::UidFlags => "uid_flags",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "initial" => Strategy::Initial,
            "qresync" => Strategy::Qresync,
            "condstore" => Strategy::Condstore,
            "uid_flags" => Strategy::UidFlags,
            _ => return None,
        })
    }
}

/// What the server (and this session) can do, as far as sync is concerned.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ServerCapabilities {
    pub condstore: bool,
    /// QRESYNC is offered *and* was ENABLEd on this connection.
    pub qresync_enabled: bool,
}

impl ServerCapabilities {
    /// Neither extension: the UID+flags method only.
    pub const NONE: Self = Self {
        condstore: false,
        qresync_enabled: false,
    };
    pub const CONDSTORE: Self = Self {
        condstore: true,
        qresync_enabled: false,
    };
    /// CONDSTORE and an ENABLEd QRESYNC.
    pub const QRESYNC: Self = Self {
        condstore: true,
        qresync_enabled: true,
    };
}

/// What to do for one folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncPlan {
    /// Fetch everything from scratch: drop whatever the cache holds for the folder.
    Initial,
    /// Continue an interrupted initial sync below `low_uid`, checking UIDVALIDITY still matches.
    ResumeInitial { meta: SyncMeta, low_uid: Uid },
    /// A delta with the given strategy from a complete local state.
    Delta { strategy: Strategy, meta: SyncMeta },
}

impl SyncPlan {
    pub fn strategy(&self) -> Strategy {
        match self {
            SyncPlan::Initial | SyncPlan::ResumeInitial { .. } => Strategy::Initial,
            SyncPlan::Delta { strategy, .. } => *strategy,
        }
    }
}

/// Picks the plan for a folder from its cached sync state and the server's capabilities.
/// `forced` (tests, benchmarks, `tern sync --strategy`) asks for a strategy; a delta strategy the
/// server cannot do is degraded to the best one it can.
pub fn plan_sync(
    local: Option<&SyncMeta>,
    capabilities: ServerCapabilities,
    forced: Option<Strategy>,
) -> SyncPlan {
    let Some(meta) = local else {
        return SyncPlan::Initial;
    };
    if forced == Some(Strategy::Initial) {
        return SyncPlan::Initial;
    }
    if let Some(low_uid) = meta.initial_low_uid {
        return SyncPlan::ResumeInitial {
            meta: meta.clone(),
            low_uid,
        };
    }
    let has_modseq = meta.highest_modseq.is_some_and(|modseq| modseq > ModSeq(0));
    let qresync = capabilities.qresync_enabled && has_modseq;
    let condstore = (capabilities.condstore || capabilities.qresync_enabled) && has_modseq;
    let best = if qresync {
        Strategy::Qresync
    } else if condstore {
        Strategy::Condstore
    } else {
        Strategy::UidFlags
    };
    let strategy = match forced {
        Some(Strategy::Qresync) | None => best,
        Some(Strategy::Condstore) if condstore => Strategy::Condstore,
        Some(Strategy::Condstore) | Some(Strategy::UidFlags) => Strategy::UidFlags,
        Some(Strategy::Initial) => Strategy::Initial,
    };
    SyncPlan::Delta {
        strategy,
        meta: meta.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::UidValidity;

    fn meta(modseq: Option<u64>, low: Option<u32>) -> SyncMeta {
        SyncMeta {
            uid_validity: UidValidity(7),
            uid_next: Uid(100),
            highest_modseq: modseq.map(ModSeq),
            initial_low_uid: low.map(Uid),
        }
    }

    const NONE: ServerCapabilities = ServerCapabilities::NONE;
    const CONDSTORE: ServerCapabilities = ServerCapabilities::CONDSTORE;
    const QRESYNC: ServerCapabilities = ServerCapabilities::QRESYNC;

    #[test]
    fn strategy_table() {
        use Strategy::*;
        let cases: Vec<(
            Option<SyncMeta>,
            ServerCapabilities,
            Option<Strategy>,
            Strategy,
        )> = vec![
            // Nothing cached: initial, whatever the server can do.
            (None, QRESYNC, None, Initial),
            (None, NONE, Some(Qresync), Initial),
            // Interrupted initial sync resumes before any delta.
            (Some(meta(Some(5), Some(40))), QRESYNC, None, Initial),
            // Best available delta.
            (Some(meta(Some(5), None)), QRESYNC, None, Qresync),
            (Some(meta(Some(5), None)), CONDSTORE, None, Condstore),
            (Some(meta(Some(5), None)), NONE, None, UidFlags),
            // No modseq known for the folder (server said NOMODSEQ): UID+flags.
            (Some(meta(None, None)), QRESYNC, None, UidFlags),
            (Some(meta(Some(0), None)), QRESYNC, None, UidFlags),
            // Forced strategies, degraded to what the server can do.
            (
                Some(meta(Some(5), None)),
                QRESYNC,
                Some(Condstore),
                Condstore,
            ),
            (Some(meta(Some(5), None)), QRESYNC, Some(UidFlags), UidFlags),
            (Some(meta(Some(5), None)), NONE, Some(Condstore), UidFlags),
            (
                Some(meta(Some(5), None)),
                CONDSTORE,
                Some(Qresync),
                Condstore,
            ),
            (Some(meta(Some(5), None)), QRESYNC, Some(Initial), Initial),
        ];
        for (local, capabilities, forced, expected) in cases {
            let plan = plan_sync(local.as_ref(), capabilities, forced);
            assert_eq!(
                plan.strategy(),
                expected,
                "local {local:?}, caps {capabilities:?}, forced {forced:?}"
            );
        }
    }

    #[test]
    fn resume_carries_the_low_water_mark() {
        let local = meta(Some(5), Some(40));
        match plan_sync(Some(&local), QRESYNC, None) {
            SyncPlan::ResumeInitial { low_uid, meta } => {
                assert_eq!(low_uid, Uid(40));
                assert_eq!(meta, local);
            }
            other => panic!("expected a resume, got {other:?}"),
        }
        // Forcing a full initial sync starts over instead of resuming.
        assert_eq!(
            plan_sync(Some(&local), QRESYNC, Some(Strategy::Initial)),
            SyncPlan::Initial
        );
    }

    #[test]
    fn strategy_names_round_trip() {
        for strategy in [
            Strategy::Initial,
            Strategy::Qresync,
            Strategy::Condstore,
            Strategy::UidFlags,
        ] {
            assert_eq!(Strategy::parse(strategy.as_str()), Some(strategy));
        }
    }
}
