//! Initial and delta sync against a real Dovecot: the cache must equal the server.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{append, expunge, server_view, store_flag, Harness};
use mail_sync::Strategy;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn initial_sync_of_10k_messages_equals_the_server() {
    let harness = Harness::new(10_000);
    let engine = harness.engine(None, common::options());
    let report = engine.sync_folder("INBOX", None).await.expect("sync");
    assert_eq!(report.strategy, Strategy::Initial);
    assert_eq!(report.added, 10_000);
    assert_eq!(report.total, 10_000);
    assert!(!report.resync);
    let mut phone = harness.phone().await;
    let server = server_view(&mut phone, "INBOX").await;
    assert_eq!(server.len(), 10_000);
    assert_eq!(harness.cached("INBOX"), server);
    // Newest first: the list starts at the highest UID.
    let store = harness.store.lock().expect("lock");
    let inbox = store
        .folder_by_name(harness.account.id, "INBOX")
        .expect("lookup")
        .expect("inbox");
    let newest = store.list_messages(inbox.id, 3).expect("list");
    let highest = *server.keys().next_back().expect("messages");
    assert_eq!(newest[0].uid, u64::from(highest));
    assert_eq!(newest[0].subject, tern_testkit::messages::subject(9_999));
}

async fn delta_converges_with(strategy: Strategy) {
    let harness = Harness::new(300);
    let engine = harness.engine(None, common::options());
    engine
        .sync_folder("INBOX", None)
        .await
        .expect("initial sync");
    let mut phone = harness.phone().await;

    // Another device: flags on, flags off, expunges, new mail.
    store_flag(&mut phone, "INBOX", &[5, 6, 7, 250], "\\Seen", true).await;
    store_flag(&mut phone, "INBOX", &[1, 4], "\\Seen", false).await;
    store_flag(&mut phone, "INBOX", &[10, 11], "$Label1", true).await;
    expunge(&mut phone, "INBOX", &[20, 21, 22, 299]).await;
    for index in 0..5 {
        append(&mut phone, "INBOX", 1_000 + index).await;
    }

    let report = engine
        .sync_folder("INBOX", Some(strategy))
        .await
        .expect("delta");
    assert_eq!(report.strategy, strategy);
    assert_eq!(report.added, 5, "{report:?}");
    assert_eq!(report.removed, 4, "{report:?}");
    // 4 seen (7 and 250 may already be seen: every third seeded message is), 2 unseen, 2 labelled.
    assert!(report.flags_changed >= 6, "{report:?}");
    assert!(!report.resync);
    let server = server_view(&mut phone, "INBOX").await;
    assert_eq!(harness.cached("INBOX"), server, "{strategy:?}");

    // A second delta with no change changes nothing, in one round trip.
    let again = engine
        .sync_folder("INBOX", Some(strategy))
        .await
        .expect("no-change delta");
    assert_eq!(
        (again.added, again.removed, again.flags_changed),
        (0, 0, 0),
        "{again:?}"
    );
    assert_eq!(again.round_trips, 1, "{again:?}");
    assert_eq!(harness.cached("INBOX"), server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delta_converges_with_qresync() {
    delta_converges_with(Strategy::Qresync).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delta_converges_with_condstore() {
    delta_converges_with(Strategy::Condstore).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delta_converges_with_uid_and_flags() {
    delta_converges_with(Strategy::UidFlags).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uidvalidity_change_resyncs_the_folder() {
    let harness = Harness::new(0);
    let mut phone = harness.phone().await;
    common::command(&mut phone, "CREATE Work").await;
    for index in 0..6 {
        append(&mut phone, "Work", index).await;
    }
    let engine = harness.engine(None, common::options());
    engine.refresh_folders().await.expect("folders");
    let first = engine.sync_folder("Work", None).await.expect("first sync");
    assert_eq!(first.added, 6);

    // Delete and re-create: same name, new UIDVALIDITY, different messages.
    phone
        .execute("UNSELECT", |_| Ok(()))
        .await
        .expect("unselect");
    common::command(&mut phone, "DELETE Work").await;
    common::command(&mut phone, "CREATE Work").await;
    for index in 100..103 {
        append(&mut phone, "Work", index).await;
    }
    let second = engine.sync_folder("Work", None).await.expect("resync");
    assert!(second.resync, "{second:?}");
    assert_ne!(second.uid_validity, first.uid_validity);
    assert_eq!(second.total, 3);
    let server = server_view(&mut phone, "Work").await;
    assert_eq!(harness.cached("Work"), server);
    assert!(harness
        .cached("Work")
        .values()
        .all(|(_, subject)| !subject.ends_with("message 1")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn folders_are_listed_with_roles() {
    let harness = Harness::new(3);
    let engine = harness.engine(None, common::options());
    let listed = engine.refresh_folders().await.expect("list");
    let role = |name: &str| {
        listed
            .iter()
            .find(|folder| folder.name == name)
            .and_then(|folder| folder.role)
    };
    use mail_sync::FolderRole::*;
    assert_eq!(role("INBOX"), Some(Inbox));
    assert_eq!(role("Sent"), Some(Sent));
    assert_eq!(role("Drafts"), Some(Drafts));
    assert_eq!(role("Trash"), Some(Trash));
    assert_eq!(role("Archive"), Some(Archive));
    assert_eq!(role("Junk"), Some(Junk));
}
