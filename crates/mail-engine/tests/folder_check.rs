//! Checking 30 folders at once against a real Dovecot: their STATUS in one round trip, and
//! only the folders whose status changed are synced — with LIST-STATUS and CONDSTORE, and
//! with neither (pipelined STATUS; the unread count the only sign of flags).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;

use common::{append, expunge, server_view, store_flag, Harness};
use mail_engine::CheckReport;
use mail_sync::{CheckWay, Reason};

/// INBOX and 29 more folders with two messages each, every one synced once.
async fn thirty_synced_folders(
    harness: &Harness,
) -> (Vec<String>, std::sync::Arc<mail_engine::Engine>) {
    let mut phone = harness.phone().await;
    let names = common::inbox_and_folders(&mut phone, 30, 2).await;
    let engine = harness.engine(None, common::options());
    engine.refresh_folders().await.expect("folders");
    for name in &names {
        engine.sync_folder(name, None).await.expect("first sync");
    }
    (names, engine)
}

fn synced(report: &CheckReport) -> BTreeMap<String, Reason> {
    report
        .synced
        .iter()
        .map(|(name, reason, outcome)| {
            assert!(outcome.is_ok(), "{name}: {outcome:?}");
            (name.clone(), *reason)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_list_status_and_condstore_one_round_trip_finds_exactly_the_changed_folders() {
    let harness = Harness::new(2);
    let (names, engine) = thirty_synced_folders(&harness).await;

    let quiet = engine.check_folders(&names).await.expect("check");
    println!(
        "offered LIST-STATUS and CONDSTORE; checked by {:?}",
        quiet.way
    );
    assert_eq!(quiet.way, CheckWay::ListStatus);
    assert!(quiet.condstore);
    assert_eq!(quiet.checked, 30);
    assert_eq!(quiet.status_round_trips, 1);
    assert!(quiet.synced.is_empty(), "{:?}", quiet.synced);

    // The phone: new mail in one folder, a flag in another, an expunge in a third.
    let mut phone = harness.phone().await;
    append(&mut phone, "Folder 07", 999).await;
    store_flag(&mut phone, "Folder 12", &[1], "\\Flagged", true).await;
    expunge(&mut phone, "Folder 20", &[2]).await;

    let busy = engine.check_folders(&names).await.expect("check");
    assert_eq!(busy.status_round_trips, 1);
    assert_eq!(
        synced(&busy),
        BTreeMap::from([
            ("Folder 07".to_string(), Reason::NewMail),
            ("Folder 12".to_string(), Reason::ModSeqChanged),
            ("Folder 20".to_string(), Reason::CountChanged),
        ])
    );
    for folder in ["Folder 07", "Folder 12", "Folder 20"] {
        assert_eq!(
            harness.cached(folder),
            server_view(&mut phone, folder).await,
            "{folder}"
        );
    }
    assert!(engine
        .check_folders(&names)
        .await
        .expect("check")
        .synced
        .is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_list_status_or_condstore_pipelined_status_finds_new_mail_expunges_and_reads() {
    // Dovecot's own list minus LIST-STATUS, CONDSTORE, QRESYNC and NOTIFY.
    let server =
        tern_testkit::Dovecot::start_without(&["LIST-STATUS", "CONDSTORE", "QRESYNC", "NOTIFY"])
            .expect("dovecot");
    let harness = Harness::on(server, 2);
    let (names, engine) = thirty_synced_folders(&harness).await;

    let quiet = engine.check_folders(&names).await.expect("check");
    println!(
        "offered neither LIST-STATUS nor CONDSTORE; checked by {:?}",
        quiet.way
    );
    assert_eq!(quiet.way, CheckWay::Status);
    assert!(!quiet.condstore);
    assert_eq!(
        quiet.status_round_trips, 1,
        "30 STATUS commands in one round trip"
    );
    assert!(quiet.synced.is_empty(), "{:?}", quiet.synced);

    let mut phone = harness.phone().await;
    append(&mut phone, "Folder 03", 999).await;
    store_flag(&mut phone, "Folder 15", &[1], "\\Seen", true).await;
    expunge(&mut phone, "Folder 25", &[1]).await;
    // A flag that keeps the unread count is not visible without CONDSTORE.
    store_flag(&mut phone, "Folder 28", &[1], "\\Flagged", true).await;

    let busy = engine.check_folders(&names).await.expect("check");
    assert_eq!(
        synced(&busy),
        BTreeMap::from([
            ("Folder 03".to_string(), Reason::NewMail),
            ("Folder 15".to_string(), Reason::UnseenChanged),
            ("Folder 25".to_string(), Reason::CountChanged),
        ])
    );
    for folder in ["Folder 03", "Folder 15", "Folder 25"] {
        assert_eq!(
            harness.cached(folder),
            server_view(&mut phone, folder).await,
            "{folder}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_folder_gone_from_the_server_or_new_to_the_cache_is_synced_not_skipped() {
    let harness = Harness::new(2);
    let (mut names, engine) = thirty_synced_folders(&harness).await;
    let mut phone = harness.phone().await;
    common::command(&mut phone, "CREATE Fresh").await;
    append(&mut phone, "Fresh", 500).await;
    engine.refresh_folders().await.expect("folders");
    names.push("Fresh".to_string());
    // Deleted on the server behind Tern's back: no status comes for it; its sync says why
    // it failed, and its cache is kept (a missing answer is never an empty folder).
    common::command(&mut phone, "DELETE \"Folder 29\"").await;
    let report = engine.check_folders(&names).await.expect("check");
    let outcomes: BTreeMap<String, (Reason, bool)> = report
        .synced
        .iter()
        .map(|(name, reason, outcome)| (name.clone(), (*reason, outcome.is_ok())))
        .collect();
    assert_eq!(
        outcomes,
        BTreeMap::from([
            ("Fresh".to_string(), (Reason::NeverSynced, true)),
            ("Folder 29".to_string(), (Reason::StatusIncomplete, false)),
        ])
    );
    assert_eq!(harness.cached("Fresh").len(), 1);
    assert_eq!(
        harness.cached("Folder 29").len(),
        2,
        "the cache of the gone folder is kept"
    );
}
