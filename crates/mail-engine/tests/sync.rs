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

/// The flags a proxy saw the engine ask for since `before` bytes of its sent text.
fn asked_since(proxy: &tern_testkit::Proxy, before: usize) -> String {
    proxy.client_text()[before..].to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_condstore_a_big_folder_checks_recent_flags_and_finds_old_expunges_by_uid() {
    let server =
        tern_testkit::Dovecot::start_without(&["CONDSTORE", "QRESYNC"]).expect("dovecot starts");
    let harness = Harness::on(server, 3_000);
    let (proxy, engine) = harness.engine_via_proxy(common::options()).await;
    engine
        .sync_folder("INBOX", None)
        .await
        .expect("initial sync");
    // The first delta of this process fetches every flag; later ones the newest 1,000's.
    let first = engine
        .sync_folder("INBOX", None)
        .await
        .expect("first delta");
    assert_eq!(first.strategy, Strategy::UidFlags);
    let mut phone = harness.phone().await;
    store_flag(&mut phone, "INBOX", &[2_990], "$Label9", true).await;
    store_flag(&mut phone, "INBOX", &[10], "$Label9", true).await;

    let before = proxy.client_text().len();
    let usual = engine
        .sync_folder("INBOX", None)
        .await
        .expect("usual delta");
    let asked = asked_since(&proxy, before);
    assert!(asked.contains("UID FETCH 2001:3000 (UID FLAGS)"), "{asked}");
    assert!(!asked.contains("UID FETCH 1:3000 (UID FLAGS)"), "{asked}");
    assert_eq!(
        (usual.flags_changed, usual.round_trips),
        (1, 1),
        "{usual:?}"
    );
    assert!(harness.cached("INBOX")[&2_990].0.contains("$Label9"));
    assert!(
        !harness.cached("INBOX")[&10].0.contains("$Label9"),
        "old flags wait"
    );

    // Asked for ("Check mail now"): every flag.
    let before = proxy.client_text().len();
    let thorough = engine
        .sync_folder_thoroughly("INBOX")
        .await
        .expect("thorough delta");
    assert!(asked_since(&proxy, before).contains("UID FETCH 1:3000 (UID FLAGS)"));
    assert_eq!(thorough.flags_changed, 1, "{thorough:?}");
    assert!(harness.cached("INBOX")[&10].0.contains("$Label9"));

    // A recent expunge shows in the window; old ones are found by UIDs in ranges, newest
    // first — never by fetching every flag or listing every UID.
    expunge(&mut phone, "INBOX", &[2_995]).await;
    let recent = engine.sync_folder("INBOX", None).await.expect("delta");
    assert_eq!(recent.removed, 1, "{recent:?}");
    expunge(&mut phone, "INBOX", &[5, 1_500]).await;
    append(&mut phone, "INBOX", 5_000).await;
    let before = proxy.client_text().len();
    let old = engine.sync_folder("INBOX", None).await.expect("delta");
    let asked = asked_since(&proxy, before);
    assert_eq!((old.removed, old.added), (2, 1), "{old:?}");
    assert!(
        asked.contains("UID SEARCH UID 1000:1999") && asked.contains("UID SEARCH UID 1:999"),
        "{asked}"
    );
    assert!(!asked.contains("UID SEARCH ALL"), "{asked}");
    assert!(!asked.contains("UID FETCH 1:3000"), "{asked}");
    assert_eq!(
        harness.cached("INBOX"),
        server_view(&mut phone, "INBOX").await
    );
}
