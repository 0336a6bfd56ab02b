//! Table-driven tests: (local state, server answer) -> cache changes or a refusal.

use super::*;
use crate::types::UidValidity;

fn local(uids_and_flags: &[(u32, &str)], uid_next: u32, modseq: Option<u64>) -> LocalSnapshot {
    LocalSnapshot {
        meta: SyncMeta {
            uid_validity: UidValidity(1),
            uid_next: Uid(uid_next),
            highest_modseq: modseq.map(ModSeq),
            initial_low_uid: None,
        },
        count: uids_and_flags.len(),
        max_uid: uids_and_flags.iter().map(|(uid, _)| Uid(*uid)).max(),
        flags: uids_and_flags
            .iter()
            .map(|(uid, flags)| (Uid(*uid), Flags::parse_stored(flags)))
            .collect(),
    }
}

fn selected(
    validity: u32,
    uid_next: Option<u32>,
    modseq: Option<u64>,
    exists: u32,
) -> SelectedState {
    SelectedState {
        uid_validity: Some(UidValidity(validity)),
        uid_next: uid_next.map(Uid),
        highest_modseq: modseq.map(ModSeq),
        exists,
    }
}

fn flags(list: &[(u32, &str)]) -> Vec<(Uid, Flags)> {
    list.iter()
        .map(|(uid, flags)| (Uid(*uid), Flags::parse_stored(flags)))
        .collect()
}

fn uids(list: &[u32]) -> Vec<Uid> {
    list.iter().copied().map(Uid).collect()
}

/// What a reconcile should yield; built as `Expect::next(uid_next).added(&[..])…`, naming only
/// what is not empty.
struct Expect {
    added: &'static [u32],
    missing: &'static [u32],
    removed: &'static [u32],
    changed: &'static [(u32, &'static str)],
    uid_next: u32,
}

impl Expect {
    fn next(uid_next: u32) -> Self {
        Self {
            added: &[],
            missing: &[],
            removed: &[],
            changed: &[],
            uid_next,
        }
    }

    fn added(self, added: &'static [u32]) -> Self {
        Self { added, ..self }
    }

    fn missing(self, missing: &'static [u32]) -> Self {
        Self { missing, ..self }
    }

    fn removed(self, removed: &'static [u32]) -> Self {
        Self { removed, ..self }
    }

    fn changed(self, changed: &'static [(u32, &'static str)]) -> Self {
        Self { changed, ..self }
    }
}

fn check(local: &LocalSnapshot, strategy: Strategy, answer: ServerAnswer, expected: Expect) {
    let got = match reconcile(local, strategy, &answer) {
        Ok(got) => got,
        Err(error) => panic!("{strategy:?} {answer:?}: unexpected error {error}"),
    };
    assert_eq!(got.added, uids(expected.added), "added, {answer:?}");
    assert_eq!(
        got.missing_headers,
        uids(expected.missing),
        "missing, {answer:?}"
    );
    assert_eq!(got.removed, uids(expected.removed), "removed, {answer:?}");
    assert_eq!(
        got.flags_changed,
        flags(expected.changed),
        "flags, {answer:?}"
    );
    assert_eq!(got.new_meta.uid_next, Uid(expected.uid_next), "uid_next");
    assert_eq!(got.new_meta.initial_low_uid, None);
}

fn check_error(
    local: &LocalSnapshot,
    strategy: Strategy,
    answer: ServerAnswer,
    expected: ReconcileError,
) {
    assert_eq!(
        reconcile(local, strategy, &answer),
        Err(expected),
        "{answer:?}"
    );
}

#[test]
fn qresync_no_change() {
    let cache = local(&[(1, "\\Seen"), (2, "")], 3, Some(10));
    let answer = ServerAnswer {
        selected: selected(1, Some(3), Some(10), 2),
        ..Default::default()
    };
    check(&cache, Strategy::Qresync, answer, Expect::next(3));
}

#[test]
fn qresync_vanished_flags_and_new() {
    let cache = local(&[(1, "\\Seen"), (2, ""), (3, "")], 4, Some(10));
    let answer = ServerAnswer {
        selected: selected(1, Some(6), Some(15), 4),
        // VANISHED (EARLIER) may name UIDs the cache never had (2 is cached, 99 is not).
        vanished: uids(&[2, 99]),
        // Flags for 3 (changed), 1 (unchanged), and the new 4 and 5 (fetched with headers).
        flags: flags(&[(3, "\\Flagged"), (1, "\\Seen"), (4, ""), (5, "\\Seen")]),
        fetched_new: uids(&[4, 5]),
        all_uids: None,
    };
    check(
        &cache,
        Strategy::Qresync,
        answer,
        Expect::next(6)
            .added(&[4, 5])
            .removed(&[2])
            .changed(&[(3, "\\Flagged")]),
    );
}

#[test]
fn duplicate_answers_collapse_last_wins() {
    let cache = local(&[(1, ""), (2, "")], 3, Some(10));
    let answer = ServerAnswer {
        selected: selected(1, Some(4), Some(12), 3),
        flags: flags(&[(1, "\\Seen"), (1, "\\Seen \\Flagged"), (3, ""), (3, "")]),
        fetched_new: uids(&[3, 3]),
        ..Default::default()
    };
    check(
        &cache,
        Strategy::Qresync,
        answer,
        Expect::next(4)
            .added(&[3])
            .changed(&[(1, "\\Flagged \\Seen")]),
    );
}

#[test]
fn condstore_removal_needs_a_uid_listing() {
    let cache = local(&[(1, ""), (2, ""), (3, "")], 4, Some(10));
    // One message expunged elsewhere, one arrived: the count alone does not say which.
    let incremental = ServerAnswer {
        selected: selected(1, Some(5), Some(11), 3),
        flags: flags(&[(4, "")]),
        fetched_new: uids(&[4]),
        ..Default::default()
    };
    check_error(
        &cache,
        Strategy::Condstore,
        incremental.clone(),
        ReconcileError::NeedUidList {
            expected: 4,
            exists: 3,
        },
    );
    let listed = ServerAnswer {
        all_uids: Some(uids(&[1, 3, 4])),
        ..incremental
    };
    check(
        &cache,
        Strategy::Condstore,
        listed,
        Expect::next(5).added(&[4]).removed(&[2]),
    );
}

#[test]
fn condstore_count_match_means_no_removal() {
    let cache = local(&[(1, ""), (2, "")], 3, Some(10));
    let answer = ServerAnswer {
        selected: selected(1, Some(3), Some(11), 2),
        flags: flags(&[(2, "\\Seen")]),
        ..Default::default()
    };
    check(
        &cache,
        Strategy::Condstore,
        answer,
        Expect::next(3).changed(&[(2, "\\Seen")]),
    );
}

#[test]
fn uid_flags_method_derives_changes_and_removals_with_gaps() {
    // UIDs with gaps: 1, 5, 9; 5 was expunged, 9 changed, 12 and 20 are new.
    let cache = local(&[(1, "\\Seen"), (5, ""), (9, "")], 10, None);
    let answer = ServerAnswer {
        selected: selected(1, Some(21), None, 4),
        flags: flags(&[(1, "\\Seen"), (9, "\\Seen \\Answered"), (12, ""), (20, "")]),
        fetched_new: uids(&[12, 20]),
        all_uids: Some(uids(&[1, 9, 12, 20])),
        ..Default::default()
    };
    check(
        &cache,
        Strategy::UidFlags,
        answer,
        Expect::next(21)
            .added(&[12, 20])
            .removed(&[5])
            .changed(&[(9, "\\Answered \\Seen")]),
    );
}

#[test]
fn server_omitting_uidnext_derives_it() {
    let cache = local(&[(1, ""), (7, "")], 8, None);
    let answer = ServerAnswer {
        selected: selected(1, None, None, 3),
        flags: flags(&[(1, ""), (7, ""), (9, "")]),
        fetched_new: uids(&[9]),
        all_uids: Some(uids(&[1, 7, 9])),
        ..Default::default()
    };
    check(
        &cache,
        Strategy::UidFlags,
        answer,
        Expect::next(10).added(&[9]),
    );
    // And a UIDNEXT that went backwards is not believed.
    let cache = local(&[(1, "")], 50, None);
    let answer = ServerAnswer {
        selected: selected(1, Some(2), None, 1),
        flags: flags(&[(1, "")]),
        all_uids: Some(uids(&[1])),
        ..Default::default()
    };
    check(&cache, Strategy::UidFlags, answer, Expect::next(50));
}

#[test]
fn a_hole_in_the_cache_is_filled() {
    // UID 3 exists on the server below the old UIDNEXT but is not cached.
    let cache = local(&[(1, ""), (5, "")], 6, None);
    let answer = ServerAnswer {
        selected: selected(1, Some(6), None, 3),
        flags: flags(&[(1, ""), (3, "\\Seen"), (5, "")]),
        all_uids: Some(uids(&[1, 3, 5])),
        ..Default::default()
    };
    check(
        &cache,
        Strategy::UidFlags,
        answer,
        Expect::next(6).added(&[3]).missing(&[3]),
    );
}

#[test]
fn uidvalidity_change_demands_resync() {
    let cache = local(&[(1, "")], 2, Some(4));
    let answer = ServerAnswer {
        selected: selected(2, Some(2), Some(4), 1),
        ..Default::default()
    };
    check_error(
        &cache,
        Strategy::Qresync,
        answer,
        ReconcileError::UidValidityChanged,
    );
}

#[test]
fn missing_uidvalidity_is_refused() {
    let cache = local(&[(1, "")], 2, Some(4));
    let answer = ServerAnswer {
        selected: SelectedState {
            uid_validity: None,
            uid_next: Some(Uid(2)),
            highest_modseq: Some(ModSeq(4)),
            exists: 1,
        },
        ..Default::default()
    };
    check_error(
        &cache,
        Strategy::Qresync,
        answer,
        ReconcileError::MissingUidValidity,
    );
}

#[test]
fn modseq_missing_or_regressed_falls_back() {
    let cache = local(&[(1, "")], 2, Some(40));
    for modseq in [None, Some(39)] {
        let answer = ServerAnswer {
            selected: selected(1, Some(2), modseq, 1),
            ..Default::default()
        };
        check_error(
            &cache,
            Strategy::Qresync,
            answer.clone(),
            ReconcileError::ModSeqUnusable,
        );
        check_error(
            &cache,
            Strategy::Condstore,
            answer,
            ReconcileError::ModSeqUnusable,
        );
    }
}

#[test]
fn an_empty_answer_from_a_full_mailbox_is_never_read_as_empty() {
    // The trap: a dead connection yields "EXISTS 5" (or 0) with no FETCH data.
    let cache = local(&[(1, ""), (2, ""), (3, ""), (4, ""), (5, "")], 6, None);
    let answer = ServerAnswer {
        selected: selected(1, Some(6), None, 5),
        all_uids: Some(Vec::new()),
        ..Default::default()
    };
    check_error(
        &cache,
        Strategy::UidFlags,
        answer,
        ReconcileError::Inconsistent {
            expected: 0,
            exists: 5,
        },
    );
    // QRESYNC that says nothing vanished but EXISTS dropped to 0 asks for a listing first.
    let cache = local(&[(1, ""), (2, "")], 3, Some(9));
    let answer = ServerAnswer {
        selected: selected(1, Some(3), Some(9), 0),
        ..Default::default()
    };
    check_error(
        &cache,
        Strategy::Qresync,
        answer,
        ReconcileError::NeedUidList {
            expected: 2,
            exists: 0,
        },
    );
}

#[test]
fn everything_really_deleted_elsewhere_is_applied() {
    let cache = local(&[(1, ""), (2, "")], 3, Some(9));
    let answer = ServerAnswer {
        selected: selected(1, Some(3), Some(12), 0),
        vanished: uids(&[1, 2]),
        ..Default::default()
    };
    check(
        &cache,
        Strategy::Qresync,
        answer,
        Expect::next(3).removed(&[1, 2]),
    );
}

#[test]
fn new_meta_carries_the_servers_modseq() {
    let cache = local(&[(1, "")], 2, Some(9));
    let answer = ServerAnswer {
        selected: selected(1, Some(2), Some(12), 1),
        ..Default::default()
    };
    let got = reconcile(&cache, Strategy::Qresync, &answer).expect("reconciles");
    assert_eq!(got.new_meta.highest_modseq, Some(ModSeq(12)));
    assert_eq!(got.new_meta.uid_validity, UidValidity(1));
}
