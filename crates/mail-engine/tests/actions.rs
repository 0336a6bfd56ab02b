//! Offline-first actions against a real Dovecot: each action reaches the server through a
//! read-write SELECT and the cache matches; a read made while a delta is in flight stays read;
//! a message deleted elsewhere drops its pending change with an event; a move and a flag on
//! the moved message made offline both land.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{expunge, server_view, store_flag, Harness};
use mail_engine::{Action, EngineEvent, SelectMode};
use mail_store::LOCAL_UID_BASE;

const DEADLINE: Duration = Duration::from_secs(15);

fn flags(view: &std::collections::BTreeMap<u32, (String, String)>, uid: u32) -> String {
    view.get(&uid)
        .map(|(flags, _)| flags.clone())
        .unwrap_or_else(|| "<absent>".into())
}

/// The next event that `matches`, within the deadline.
async fn next_event(
    events: &mut tokio::sync::broadcast::Receiver<EngineEvent>,
    what: &str,
    matches: impl Fn(&EngineEvent) -> bool,
) -> EngineEvent {
    common::expect_event(events, what, matches).await.0
}

/// Seeded messages 0, 3, 6, … arrive \Seen; the rest unread. UID n is seeded message n - 1.
fn seeded_seen(uid: u32) -> bool {
    (uid - 1).is_multiple_of(3)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_action_reaches_the_server_and_the_cache_matches() {
    let harness = Harness::new(12);
    let engine = harness.engine(None, common::options());
    engine.refresh_folders().await.expect("folders");
    for folder in ["INBOX", "Archive", "Trash", "Junk"] {
        engine.sync_folder(folder, None).await.expect("sync");
    }
    let unread: Vec<u64> = (1..=12u32)
        .filter(|uid| !seeded_seen(*uid))
        .map(u64::from)
        .collect();
    let report = engine
        .act("INBOX", &unread[..2], &Action::MarkRead)
        .expect("read");
    assert_eq!(report.changed, unread[..2].to_vec());
    assert_eq!(report.pending, 2);
    engine
        .act("INBOX", &[1], &Action::MarkUnread)
        .expect("unread");
    engine.act("INBOX", &[4, 5], &Action::Flag).expect("flag");
    engine.act("INBOX", &[5], &Action::Unflag).expect("unflag");
    engine
        .act("INBOX", &[7], &Action::Archive)
        .expect("archive");
    engine
        .act("INBOX", &[8], &Action::Delete)
        .expect("delete to trash");
    engine
        .act("INBOX", &[9], &Action::Move { to: "Junk".into() })
        .expect("move");
    // Before the server knows anything, the cache shows it all.
    let cached = harness.cached("INBOX");
    assert!(cached[&2].0.contains("\\Seen"));
    assert!(!cached.contains_key(&7) && !cached.contains_key(&8));

    let replay = engine.replay_pending().await.expect("replay");
    assert_eq!(replay.pending, 0);
    assert_eq!(replay.dropped, 0);
    // Trash: a delete there removes for good.
    let trash_uid = harness
        .cached("Trash")
        .keys()
        .copied()
        .next()
        .expect("moved to trash");
    engine
        .act("Trash", &[u64::from(trash_uid)], &Action::Delete)
        .expect("delete in trash");
    engine.replay_pending().await.expect("replay");

    let mut phone = harness.phone().await;
    let inbox = server_view(&mut phone, "INBOX").await;
    assert!(flags(&inbox, 2).contains("\\Seen") && flags(&inbox, 3).contains("\\Seen"));
    assert!(!flags(&inbox, 1).contains("\\Seen"), "{}", flags(&inbox, 1));
    assert!(flags(&inbox, 4).contains("\\Flagged"));
    assert!(!flags(&inbox, 5).contains("\\Flagged"));
    assert!(!inbox.contains_key(&7) && !inbox.contains_key(&8) && !inbox.contains_key(&9));
    let subject = |index: u64| tern_testkit::messages::subject(index);
    let archive = server_view(&mut phone, "Archive").await;
    assert_eq!(
        archive.values().map(|(_, s)| s.clone()).collect::<Vec<_>>(),
        vec![subject(6)]
    );
    let junk = server_view(&mut phone, "Junk").await;
    assert_eq!(
        junk.values().map(|(_, s)| s.clone()).collect::<Vec<_>>(),
        vec![subject(8)]
    );
    assert!(
        server_view(&mut phone, "Trash").await.is_empty(),
        "deleted for good"
    );

    // The cache names moved messages by their server UIDs (COPYUID) and matches the server.
    for folder in ["INBOX", "Archive", "Trash", "Junk"] {
        engine.sync_folder(folder, None).await.expect("sync");
        harness.assert_cache_is_server(&mut phone, folder).await;
    }
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_made_while_a_delta_is_in_flight_stays_read() {
    let (harness, proxy, engine) = Harness::synced_via_proxy(6, common::options()).await;
    // Another device labels message 2: the next delta reports its flags (still unread).
    let mut phone = harness.phone().await;
    store_flag(&mut phone, "INBOX", &[2], "$Work", true).await;

    // Hold the delta's commands in the network, read the message meanwhile, then let go.
    proxy.stall_when_client_sends("UID FETCH");
    let syncing = tokio::spawn({
        let engine = engine.clone();
        async move { engine.sync_folder("INBOX", None).await }
    });
    tern_testkit::wait_until("the delta to be held", DEADLINE, || async {
        proxy.is_stalled()
    })
    .await
    .expect("stalled");
    engine.act("INBOX", &[2], &Action::MarkRead).expect("read");
    proxy.stall(false);
    let report = syncing.await.expect("join").expect("sync");
    assert_eq!(report.flags_changed, 1, "the label arrived");
    assert_eq!(harness.cached("INBOX")[&2].0, "$Work \\Seen");

    engine.replay_pending().await.expect("replay");
    assert_eq!(
        flags(&server_view(&mut phone, "INBOX").await, 2),
        "$Work \\Seen"
    );
    engine.sync_folder("INBOX", None).await.expect("sync");
    harness.assert_cache_is_server(&mut phone, "INBOX").await;
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_folder_examined_by_the_same_session_still_takes_the_write() {
    // The sync leaves INBOX EXAMINEd (read-only) on the request connection.
    let (harness, engine) = Harness::synced(3).await;
    engine.act("INBOX", &[2], &Action::MarkRead).expect("read");
    engine.replay_pending().await.expect("replay");
    let mut phone = harness.phone().await;
    assert!(flags(&server_view(&mut phone, "INBOX").await, 2).contains("\\Seen"));
    // And the other way round: the write SELECTed it; the next sync EXAMINEs again and
    // sees its own change without reporting it as news.
    let report = engine.sync_folder("INBOX", None).await.expect("sync");
    assert_eq!(report.flags_changed, 0);
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_to_a_message_deleted_elsewhere_is_dropped_with_an_event() {
    let (harness, engine) = Harness::synced(4).await;
    let mut events = engine.subscribe();
    engine.act("INBOX", &[3], &Action::Flag).expect("flag");
    let mut phone = harness.phone().await;
    expunge(&mut phone, "INBOX", &[3]).await;

    let replay = engine.replay_pending().await.expect("replay");
    assert_eq!(
        (replay.confirmed, replay.dropped, replay.pending),
        (0, 1, 0)
    );
    let event = next_event(&mut events, "an action_dropped event", |event| {
        matches!(event, EngineEvent::ActionDropped { .. })
    })
    .await;
    let EngineEvent::ActionDropped { uid, action, .. } = event else {
        unreachable!()
    };
    let dropped = (uid, action);
    assert_eq!(dropped, (3, "flag".to_string()));
    // No loop: nothing left to retry, and the next sync just removes the message.
    assert_eq!(
        engine.replay_pending().await.expect("replay").round_trips,
        0
    );
    engine.sync_folder("INBOX", None).await.expect("sync");
    harness.assert_cache_is_server(&mut phone, "INBOX").await;
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_move_and_a_flag_on_the_moved_message_made_offline_both_land() {
    let harness = Harness::new(4);
    let (proxy, engine) = harness.engine_via_proxy(common::options()).await;
    engine.refresh_folders().await.expect("folders");
    engine.sync_folder("INBOX", None).await.expect("sync");
    engine.sync_folder("Archive", None).await.expect("sync");
    // Offline: the connection is cut and new ones refused.
    proxy.refuse_new(true);
    proxy.cut_all();

    let moved = engine
        .act("INBOX", &[2], &Action::Archive)
        .expect("archive");
    let (_, local) = moved.moved[0];
    assert!(local >= LOCAL_UID_BASE);
    engine
        .act("Archive", &[local], &Action::Flag)
        .expect("flag the moved message");
    assert!(engine.replay_pending().await.is_err(), "offline");
    assert_eq!(engine.pending().expect("pending").len(), 2);

    proxy.refuse_new(false);
    let replay = engine.replay_pending().await.expect("replay");
    assert_eq!((replay.confirmed, replay.pending), (2, 0));
    let mut phone = harness.phone().await;
    let archive = server_view(&mut phone, "Archive").await;
    assert_eq!(archive.len(), 1);
    let (uid, (flags, subject)) = archive.iter().next().unwrap();
    assert_eq!(subject, &tern_testkit::messages::subject(1));
    assert!(flags.contains("\\Flagged"), "{flags}");
    assert!(!server_view(&mut phone, "INBOX").await.contains_key(&2));
    // The cache already calls it by its server UID.
    assert_eq!(
        harness
            .cached("Archive")
            .keys()
            .copied()
            .collect::<Vec<_>>(),
        vec![*uid]
    );
    phone
        .select("INBOX", SelectMode::ReadOnly)
        .await
        .expect("examine");
    engine.sync_folder("Archive", None).await.expect("sync");
    harness.assert_cache_is_server(&mut phone, "Archive").await;
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watching_engine_sends_an_action_by_itself() {
    let (harness, engine) = Harness::synced(3).await;
    let (mut events, _watch) = common::watch_inbox_until_live(&engine).await;
    engine.act("INBOX", &[2], &Action::Flag).expect("flag");
    // Nobody calls replay: the engine's worker does, and says so.
    next_event(&mut events, "pending back to 0", |event| {
        matches!(event, EngineEvent::PendingChanged { pending: 0, .. })
    })
    .await;
    let mut phone = harness.phone().await;
    assert!(flags(&server_view(&mut phone, "INBOX").await, 2).contains("\\Flagged"));
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_move_a_move_is_copy_then_expunge_of_exactly_those_messages() {
    // Dovecot's own list minus MOVE (it would still accept MOVE; Tern must not use it).
    let server = tern_testkit::Dovecot::start_without(&["MOVE"]).expect("dovecot");
    let harness = Harness::on(server, 5);
    let (proxy, engine) = harness.engine_via_proxy(common::options()).await;
    engine.refresh_folders().await.expect("folders");
    engine.sync_folder("INBOX", None).await.expect("sync");
    engine.sync_folder("Archive", None).await.expect("sync");
    // Another device marked message 4 deleted without expunging: a move must not expunge it.
    let mut phone = harness.phone().await;
    store_flag(&mut phone, "INBOX", &[4], "\\Deleted", true).await;
    engine
        .act("INBOX", &[2, 3], &Action::Archive)
        .expect("archive");
    let replay = engine.replay_pending().await.expect("replay");
    assert_eq!((replay.confirmed, replay.dropped), (2, 0));
    let sent = proxy.client_text();
    assert!(sent.contains("UID COPY 2:3 \"Archive\""), "{sent}");
    assert!(sent.contains("UID EXPUNGE 2:3"), "{sent}");
    assert!(!sent.contains("MOVE"), "{sent}");
    let inbox = server_view(&mut phone, "INBOX").await;
    assert_eq!(inbox.keys().copied().collect::<Vec<_>>(), vec![1, 4, 5]);
    let archive = server_view(&mut phone, "Archive").await;
    assert_eq!(archive.len(), 2);
    // COPYUID named them: the cache already has their server UIDs.
    assert_eq!(
        harness.cached("Archive").keys().collect::<Vec<_>>(),
        archive.keys().collect::<Vec<_>>()
    );
    engine.shutdown().await;
}

/// The process dies after the server carried an operation out but before the queue recorded
/// it: the operation is replayed again. Simulated by putting the confirmed operations back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replaying_an_operation_twice_does_no_harm() {
    let harness = Harness::new(5);
    let engine = harness.engine(None, common::options());
    engine.refresh_folders().await.expect("folders");
    engine.sync_folder("INBOX", None).await.expect("sync");
    engine.sync_folder("Junk", None).await.expect("sync");
    engine.act("INBOX", &[2], &Action::Flag).expect("flag");
    engine
        .act("INBOX", &[3], &Action::Move { to: "Junk".into() })
        .expect("move");
    let db = rusqlite::Connection::open(harness.data.path().join(mail_store::DATABASE_FILE))
        .expect("db");
    db.execute_batch("CREATE TABLE saved AS SELECT * FROM pending_ops")
        .expect("save");
    engine.replay_pending().await.expect("replay");
    let mut phone = harness.phone().await;
    let once = (
        server_view(&mut phone, "INBOX").await,
        server_view(&mut phone, "Junk").await,
    );
    // The crash: the queue never heard back. The moved message's placeholder is back too.
    db.execute_batch("INSERT INTO pending_ops SELECT * FROM saved")
        .expect("restore");
    let replay = engine.replay_pending().await.expect("replay again");
    assert_eq!(replay.pending, 0);
    let twice = (
        server_view(&mut phone, "INBOX").await,
        server_view(&mut phone, "Junk").await,
    );
    assert_eq!(once, twice, "nothing changed on the server");
    assert_eq!(twice.1.len(), 1, "moved once");
    for folder in ["INBOX", "Junk"] {
        engine.sync_folder(folder, None).await.expect("sync");
        harness.assert_cache_is_server(&mut phone, folder).await;
    }
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_snapshot_shows_folders_pending_changes_and_connectivity() {
    let harness = Harness::new(6);
    let engine = harness.engine(None, common::options());
    engine.refresh_folders().await.expect("folders");
    engine.sync_folder("INBOX", None).await.expect("sync");
    engine
        .act("INBOX", &[2, 3], &Action::MarkRead)
        .expect("read");
    let before = engine.snapshot().expect("snapshot");
    assert_eq!(before.account, "alice@tern.test");
    assert_eq!(before.pending, 2);
    assert_eq!(before.connectivity, None, "nothing watched yet");
    let inbox = before
        .folders
        .iter()
        .find(|f| f.name == "INBOX")
        .expect("inbox");
    assert_eq!((inbox.total, inbox.role.as_deref()), (6, Some("inbox")));
    // Seeded messages 0 and 3 are read; 1 and 2 (UIDs 2, 3) were just read here.
    assert_eq!(inbox.unread, 2);
    assert!(before
        .folders
        .iter()
        .any(|f| f.role.as_deref() == Some("trash")));

    let (_events, _watch) = common::watch_inbox_until_live(&engine).await;
    let live = engine.snapshot().expect("snapshot");
    assert_eq!(
        live.connectivity,
        Some(mail_engine::ConnectivityState::Live)
    );
    assert_eq!(live.pending, 0, "the catch-up sync sent the reads");
    engine.shutdown().await;
}
