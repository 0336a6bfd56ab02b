//! Table tests of checking folders without selecting them.

use super::*;

const NONE: CheckCapabilities = CheckCapabilities {
    notify: false,
    list_status: false,
    condstore: false,
};

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|name| name.to_string()).collect()
}

#[test]
fn the_way_to_check_is_the_best_the_server_offers() {
    let cases = [
        (NONE, CheckWay::Status),
        (
            CheckCapabilities {
                list_status: true,
                ..NONE
            },
            CheckWay::ListStatus,
        ),
        (
            CheckCapabilities {
                notify: true,
                list_status: true,
                condstore: true,
            },
            CheckWay::Notify,
        ),
    ];
    for (capabilities, way) in cases {
        assert_eq!(check_way(capabilities), way, "{capabilities:?}");
    }
    assert_eq!(
        list_status_command(CheckCapabilities {
            list_status: true,
            condstore: true,
            ..NONE
        }),
        "LIST \"\" \"*\" RETURN (STATUS (MESSAGES UIDNEXT UIDVALIDITY UNSEEN HIGHESTMODSEQ))"
    );
    assert!(!status_items(NONE).contains("HIGHESTMODSEQ"));
}

#[test]
fn the_budget_holds_whatever_the_number_of_folders() {
    let thirty: Vec<String> = std::iter::once("INBOX".to_string())
        .chain((1..30).map(|n| format!("Folder {n}")))
        .collect();
    let notify = CheckCapabilities {
        notify: true,
        ..NONE
    };
    // (budget, capabilities, preferred) -> (idle, notify selected, polled count)
    type Case = (
        usize,
        CheckCapabilities,
        &'static [&'static str],
        &'static [&'static str],
        Option<&'static str>,
        usize,
    );
    let cases: [Case; 8] = [
        (
            4,
            NONE,
            &["INBOX", "Folder 7"],
            &["INBOX", "Folder 7"],
            None,
            28,
        ),
        (4, NONE, &["INBOX"], &["INBOX"], None, 29),
        (4, NONE, &["INBOX", "INBOX"], &["INBOX"], None, 29),
        // Two connections: the request connection and INBOX's IDLE; the shown one is polled.
        (2, NONE, &["INBOX", "Folder 7"], &["INBOX"], None, 29),
        // One: everything over the request connection.
        (1, NONE, &["INBOX", "Folder 7"], &[], None, 30),
        // `tern watch --folder …` (six asked, four connections): three get IDLE, in order.
        (
            4,
            NONE,
            &[
                "Folder 3", "INBOX", "Folder 9", "Folder 1", "Folder 2", "Folder 4",
            ],
            &["Folder 3", "INBOX", "Folder 9"],
            None,
            27,
        ),
        (4, notify, &["INBOX", "Folder 7"], &[], Some("Folder 7"), 0),
        (4, notify, &["INBOX"], &[], Some("INBOX"), 0),
    ];
    for (budget, capabilities, shown, idle, selected, polled) in cases {
        let plan = plan_watch(budget, capabilities, &thirty, shown);
        assert_eq!(
            plan.idle,
            names(idle),
            "budget {budget}, {capabilities:?}, {shown:?}"
        );
        assert_eq!(plan.notify_selected.as_deref(), selected);
        assert_eq!(plan.polled.len(), polled);
        assert!(plan.watch_connections() < budget.max(1), "{plan:?}");
        let watched = plan.idle.len() + plan.polled.len();
        assert!(
            plan.notify_selected.is_some() || watched == thirty.len(),
            "every folder is watched or polled: {plan:?}"
        );
    }
    // NOTIFY needs a connection of its own: with a budget of one, poll.
    let tight = plan_watch(1, notify, &thirty, &["INBOX"]);
    assert_eq!(tight.notify_selected, None);
    assert_eq!(tight.polled.len(), 30);
    // A folder on screen that the account does not have is not watched.
    assert_eq!(
        plan_watch(4, NONE, &thirty, &["INBOX", "Gone"]).idle,
        names(&["INBOX"])
    );
}

fn meta(uid_next: u32, modseq: Option<u64>) -> SyncMeta {
    SyncMeta {
        uid_validity: UidValidity(7),
        uid_next: Uid(uid_next),
        highest_modseq: modseq.map(ModSeq),
        initial_low_uid: None,
    }
}

fn status(messages: u32, uid_next: u32, unseen: u32, modseq: Option<u64>) -> FolderStatus {
    FolderStatus {
        messages: Some(messages),
        uid_next: Some(Uid(uid_next)),
        uid_validity: Some(UidValidity(7)),
        unseen: Some(unseen),
        highest_modseq: modseq.map(ModSeq),
    }
}

#[test]
fn a_status_answer_says_which_folders_need_a_sync() {
    let known = |meta: Option<SyncMeta>| KnownFolder {
        meta,
        total: 10,
        unread: 2,
    };
    let synced = known(Some(meta(11, Some(50))));
    let plain = known(Some(meta(11, None)));
    let cases: Vec<(&str, KnownFolder, FolderStatus, Verdict)> = vec![
        (
            "nothing changed (CONDSTORE)",
            synced.clone(),
            status(10, 11, 2, Some(50)),
            Verdict::Unchanged,
        ),
        (
            "nothing changed (no CONDSTORE)",
            plain.clone(),
            status(10, 11, 2, None),
            Verdict::Unchanged,
        ),
        (
            "never synced",
            known(None),
            status(10, 11, 2, None),
            Verdict::Sync(Reason::NeverSynced),
        ),
        (
            "UIDVALIDITY changed",
            synced.clone(),
            FolderStatus {
                uid_validity: Some(UidValidity(8)),
                ..status(10, 11, 2, Some(50))
            },
            Verdict::Resync(Reason::UidValidityChanged),
        ),
        (
            "a new UIDVALIDITY for a folder empty here and there (Courier)",
            KnownFolder {
                total: 0,
                unread: 0,
                ..synced.clone()
            },
            FolderStatus {
                uid_validity: Some(UidValidity(8)),
                ..status(0, 11, 0, None)
            },
            Verdict::Unchanged,
        ),
        (
            "a new UIDVALIDITY for a folder empty here only",
            KnownFolder {
                total: 0,
                unread: 0,
                ..synced.clone()
            },
            FolderStatus {
                uid_validity: Some(UidValidity(8)),
                ..status(1, 12, 1, None)
            },
            Verdict::Resync(Reason::UidValidityChanged),
        ),
        (
            "new mail",
            synced.clone(),
            status(11, 12, 3, Some(51)),
            Verdict::Sync(Reason::NewMail),
        ),
        (
            "an expunge",
            synced.clone(),
            status(9, 11, 2, Some(51)),
            Verdict::Sync(Reason::CountChanged),
        ),
        (
            "flags (CONDSTORE)",
            synced.clone(),
            status(10, 11, 2, Some(51)),
            Verdict::Sync(Reason::ModSeqChanged),
        ),
        (
            "read elsewhere (no CONDSTORE)",
            plain.clone(),
            status(10, 11, 1, None),
            Verdict::Sync(Reason::UnseenChanged),
        ),
        // A flag that leaves the unread count alone is invisible without CONDSTORE.
        (
            "flagged elsewhere (no CONDSTORE)",
            plain.clone(),
            status(10, 11, 2, None),
            Verdict::Unchanged,
        ),
        (
            "the first sync stopped half-way",
            known(Some(SyncMeta {
                initial_low_uid: Some(Uid(5)),
                ..meta(11, None)
            })),
            status(10, 11, 2, None),
            Verdict::Sync(Reason::InitialIncomplete),
        ),
        (
            "no UIDNEXT in the answer",
            plain.clone(),
            FolderStatus {
                uid_next: None,
                ..status(10, 11, 2, None)
            },
            Verdict::Sync(Reason::StatusIncomplete),
        ),
        (
            "no UNSEEN and no MODSEQ",
            plain.clone(),
            FolderStatus {
                unseen: None,
                ..status(10, 11, 2, None)
            },
            Verdict::Sync(Reason::StatusIncomplete),
        ),
    ];
    for (what, known, answer, expected) in cases {
        assert_eq!(judge(&known, &answer), Ok(expected), "{what}");
    }
}

#[test]
fn numbers_no_folder_can_have_are_refused() {
    let known = KnownFolder {
        meta: Some(meta(11, None)),
        total: 10,
        unread: 2,
    };
    for (what, answer) in [
        (
            "too many messages",
            status(MAX_FOLDER_MESSAGES + 1, 11, 0, None),
        ),
        ("UIDNEXT 0", status(10, 0, 0, None)),
        ("more unseen than messages", status(10, 11, 11, None)),
    ] {
        assert!(judge(&known, &answer).is_err(), "{what}");
    }
}

#[test]
fn without_condstore_every_folder_is_synced_now_and_then_and_when_asked() {
    // (condstore known?, passes since the last full sync, asked) -> full sync
    let cases = [
        (None, 0, false, false),
        (None, 9, true, false),
        (Some(true), 100, true, false),
        (Some(false), 0, false, false),
        (Some(false), FULL_SYNC_EVERY - 1, false, false),
        (Some(false), FULL_SYNC_EVERY, false, true),
        (Some(false), 0, true, true),
    ];
    for (condstore, passes, asked, full) in cases {
        assert_eq!(
            full_sync_due(condstore, passes, asked),
            full,
            "{condstore:?} {passes} {asked}"
        );
    }
}
