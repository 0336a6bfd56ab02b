//! What a delta sync sends, pure: the SELECT's parameters and the FETCH commands that follow
//! it in one pipeline, for each strategy, from the cached state. The engine writes them after
//! `EXAMINE folder` and sorts the answers; nothing here knows a socket.

use crate::flag_window::FlagScope;
use crate::plan::{ServerCapabilities, Strategy};
use crate::types::{SyncMeta, Uid};

/// The commands of one delta.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeltaCommands {
    /// The EXAMINE's parameter list (`(QRESYNC (v m))`, `(CONDSTORE)`), if any.
    pub select_parameters: Option<String>,
    /// UIDs from this one up are new (their headers are fetched).
    pub new_from: u32,
    /// The commands after the EXAMINE, in order.
    pub fetches: Vec<String>,
}

/// The delta of `strategy` from the cached `meta`; `max_known` is the highest cached UID.
/// `header_items` is the FETCH item list a cache row is built from, `flag_items` the one a
/// flag update is (`(UID FLAGS)`, with Gmail's labels where offered); `scope` which cached
/// messages' flags the UID+flags method asks for.
pub fn delta_commands(
    strategy: Strategy,
    meta: &SyncMeta,
    max_known: Option<Uid>,
    capabilities: ServerCapabilities,
    header_items: &str,
    flag_items: &str,
    scope: FlagScope,
) -> DeltaCommands {
    let max_known = max_known.map_or(0, |uid| uid.0);
    let new_from = match strategy {
        Strategy::UidFlags | Strategy::Initial => max_known.saturating_add(1),
        Strategy::Qresync | Strategy::Condstore => meta.uid_next.0.max(1),
    };
    let modseq = meta.highest_modseq.map_or(0, |modseq| modseq.0);
    let select_parameters = match strategy {
        Strategy::Qresync => Some(format!("(QRESYNC ({} {modseq}))", meta.uid_validity.0)),
        Strategy::Condstore if !capabilities.qresync_enabled => Some("(CONDSTORE)".to_string()),
        _ => None,
    };
    // With modseqs, CHANGEDSINCE keeps `n:*` from returning the newest old message (and the
    // server from reading its headers): every new message has a higher modseq.
    let new_fetch = match (strategy, meta.highest_modseq) {
        (Strategy::Qresync | Strategy::Condstore, Some(modseq)) => format!(
            "UID FETCH {new_from}:* {header_items} (CHANGEDSINCE {})",
            modseq.0
        ),
        _ => format!("UID FETCH {new_from}:* {header_items}"),
    };
    let mut fetches = vec![new_fetch];
    match strategy {
        Strategy::Condstore if new_from > 1 => fetches.push(format!(
            "UID FETCH 1:{} {flag_items} (CHANGEDSINCE {modseq})",
            new_from - 1
        )),
        Strategy::UidFlags if max_known > 0 => {
            let from = match scope {
                FlagScope::From(from) if from.0 <= max_known => from.0.max(1),
                _ => 1,
            };
            fetches.push(format!("UID FETCH {from}:{max_known} {flag_items}"))
        }
        _ => {}
    }
    DeltaCommands {
        select_parameters,
        new_from,
        fetches,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{ModSeq, UidValidity};

    const ITEMS: &str = "(UID FLAGS)";

    fn meta(uid_next: u32, modseq: Option<u64>) -> SyncMeta {
        SyncMeta {
            uid_validity: UidValidity(42),
            uid_next: Uid(uid_next),
            highest_modseq: modseq.map(ModSeq),
            initial_low_uid: None,
        }
    }

    const QRESYNC: ServerCapabilities = ServerCapabilities::QRESYNC;
    const CONDSTORE: ServerCapabilities = ServerCapabilities::CONDSTORE;

    struct Case {
        name: &'static str,
        strategy: Strategy,
        meta: SyncMeta,
        max_known: Option<u32>,
        capabilities: ServerCapabilities,
        select: Option<&'static str>,
        new_from: u32,
        fetches: &'static [&'static str],
        scope: FlagScope,
    }

    #[test]
    fn commands_per_strategy() {
        let cases = [
            Case {
                name: "QRESYNC: one EXAMINE with the known state and the new messages",
                strategy: Strategy::Qresync,
                meta: meta(100, Some(7)),
                max_known: Some(99),
                capabilities: QRESYNC,
                select: Some("(QRESYNC (42 7))"),
                new_from: 100,
                scope: FlagScope::All,
                fetches: &["UID FETCH 100:* (UID FLAGS) (CHANGEDSINCE 7)"],
            },
            Case {
                name: "CONDSTORE: new messages and changed flags below UIDNEXT",
                strategy: Strategy::Condstore,
                meta: meta(100, Some(7)),
                max_known: Some(99),
                capabilities: CONDSTORE,
                select: Some("(CONDSTORE)"),
                new_from: 100,
                scope: FlagScope::All,
                fetches: &[
                    "UID FETCH 100:* (UID FLAGS) (CHANGEDSINCE 7)",
                    "UID FETCH 1:99 (UID FLAGS) (CHANGEDSINCE 7)",
                ],
            },
            Case {
                name: "CONDSTORE after ENABLE QRESYNC: no (CONDSTORE) parameter",
                strategy: Strategy::Condstore,
                meta: meta(100, Some(7)),
                max_known: Some(99),
                capabilities: QRESYNC,
                select: None,
                new_from: 100,
                scope: FlagScope::All,
                fetches: &[
                    "UID FETCH 100:* (UID FLAGS) (CHANGEDSINCE 7)",
                    "UID FETCH 1:99 (UID FLAGS) (CHANGEDSINCE 7)",
                ],
            },
            Case {
                name: "CONDSTORE on an empty folder: nothing below UIDNEXT 1",
                strategy: Strategy::Condstore,
                meta: meta(1, Some(3)),
                max_known: None,
                capabilities: CONDSTORE,
                select: Some("(CONDSTORE)"),
                new_from: 1,
                scope: FlagScope::All,
                fetches: &["UID FETCH 1:* (UID FLAGS) (CHANGEDSINCE 3)"],
            },
            Case {
                name: "UID+flags: above the highest cached UID, then every known UID's flags",
                strategy: Strategy::UidFlags,
                meta: meta(100, None),
                max_known: Some(87),
                capabilities: ServerCapabilities::default(),
                select: None,
                new_from: 88,
                scope: FlagScope::All,
                fetches: &["UID FETCH 88:* (UID FLAGS)", "UID FETCH 1:87 (UID FLAGS)"],
            },
            Case {
                name: "UID+flags on an empty cache: only new messages",
                strategy: Strategy::UidFlags,
                meta: meta(1, None),
                max_known: None,
                capabilities: ServerCapabilities::default(),
                select: None,
                new_from: 1,
                scope: FlagScope::All,
                fetches: &["UID FETCH 1:* (UID FLAGS)"],
            },
            Case {
                name: "UID+flags with a modseq known (CONDSTORE unusable): no CHANGEDSINCE",
                strategy: Strategy::UidFlags,
                meta: meta(100, Some(7)),
                max_known: Some(99),
                capabilities: CONDSTORE,
                select: None,
                new_from: 100,
                scope: FlagScope::All,
                fetches: &["UID FETCH 100:* (UID FLAGS)", "UID FETCH 1:99 (UID FLAGS)"],
            },
            Case {
                name: "a highest UID of 4294967295 does not wrap to 0",
                strategy: Strategy::UidFlags,
                meta: meta(1, None),
                max_known: Some(u32::MAX),
                capabilities: ServerCapabilities::default(),
                select: None,
                new_from: u32::MAX,
                scope: FlagScope::All,
                fetches: &[
                    "UID FETCH 4294967295:* (UID FLAGS)",
                    "UID FETCH 1:4294967295 (UID FLAGS)",
                ],
            },
            Case {
                name: "UID+flags, newest messages only: their flags from the window's start",
                strategy: Strategy::UidFlags,
                meta: meta(100_001, None),
                max_known: Some(100_000),
                capabilities: ServerCapabilities::default(),
                select: None,
                new_from: 100_001,
                scope: FlagScope::From(Uid(99_001)),
                fetches: &[
                    "UID FETCH 100001:* (UID FLAGS)",
                    "UID FETCH 99001:100000 (UID FLAGS)",
                ],
            },
            Case {
                name: "UID+flags, a window starting above the cache: every flag",
                strategy: Strategy::UidFlags,
                meta: meta(100, None),
                max_known: Some(87),
                capabilities: ServerCapabilities::default(),
                select: None,
                new_from: 88,
                scope: FlagScope::From(Uid(90)),
                fetches: &["UID FETCH 88:* (UID FLAGS)", "UID FETCH 1:87 (UID FLAGS)"],
            },
            Case {
                name: "QRESYNC ignores a flag window",
                strategy: Strategy::Qresync,
                meta: meta(100, Some(7)),
                max_known: Some(99),
                capabilities: QRESYNC,
                select: Some("(QRESYNC (42 7))"),
                new_from: 100,
                scope: FlagScope::From(Uid(50)),
                fetches: &["UID FETCH 100:* (UID FLAGS) (CHANGEDSINCE 7)"],
            },
        ];
        for case in cases {
            let commands = delta_commands(
                case.strategy,
                &case.meta,
                case.max_known.map(Uid),
                case.capabilities,
                ITEMS,
                ITEMS,
                case.scope,
            );
            assert_eq!(
                commands.select_parameters.as_deref(),
                case.select,
                "{}",
                case.name
            );
            assert_eq!(commands.new_from, case.new_from, "{}", case.name);
            assert_eq!(commands.fetches, case.fetches, "{}", case.name);
        }
    }
}
