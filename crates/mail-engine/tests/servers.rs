//! The same tests against the servers people have (issue 16): Dovecot, Cyrus IMAP 3.6 (what
//! Fastmail runs: QRESYNC, MOVE, SPECIAL-USE in lower case, `/` separator) and Courier-IMAP 5
//! (no CONDSTORE, no MOVE, no SPECIAL-USE, `INBOX.` namespace, no UIDNEXT on SELECT). Each
//! prints what the server offered and what Tern chose, so a regression names the server,
//! then proves: first and delta syncs converge with the server, every action path lands
//! (read, flag, archive and delete found by role or name, delete for good in Trash, COPY +
//! EXPUNGE where there is no MOVE), and a push from another client arrives as new mail.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::{
    append, expect_event, expect_state, expunge, plain_settings, server_view, store_flag,
};
use mail_engine::{
    Action, ConnectivityState, Engine, EngineEvent, EngineOptions, ImapConnection, Password,
    Timeouts,
};

use mail_sync::{CheckWay, FolderRole, Strategy};
use tern_testkit::{Dovecot, PrivateServer, ServerKind};

/// One of the servers under test, stopped when dropped.
enum Server {
    Dovecot(Dovecot),
    Other(PrivateServer),
}

impl Server {
    fn start(kind: Option<ServerKind>) -> Server {
        match kind {
            None => Server::Dovecot(Dovecot::start().expect("dovecot starts")),
            Some(kind) => Server::Other(PrivateServer::start(kind).expect("server starts")),
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Server::Dovecot(_) => "dovecot",
            Server::Other(server) => server.kind.name(),
        }
    }

    fn port(&self) -> u16 {
        match self {
            Server::Dovecot(server) => server.port,
            Server::Other(server) => server.port,
        }
    }

    /// The full name of the folder people call `short` on this server.
    fn folder(&self, short: &str) -> String {
        match self {
            Server::Dovecot(_) => short.to_string(),
            Server::Other(server) => server.kind.folder(short),
        }
    }
}

async fn phone(server: &Server) -> ImapConnection {
    phone_at(server.port()).await
}

/// A second client ("the user's phone") logged in as alice at `port`.
async fn phone_at(port: u16) -> ImapConnection {
    ImapConnection::connect(
        &plain_settings(port, "alice"),
        &Password::new("alice-pw"),
        Timeouts::default(),
    )
    .await
    .expect("phone connects")
}

fn options() -> EngineOptions {
    EngineOptions {
        timeouts: Timeouts {
            connect: Duration::from_secs(10),
            response: Duration::from_secs(10),
        },
        reconnect_initial: Duration::from_millis(100),
        reconnect_max: Duration::from_millis(800),
        ..EngineOptions::default()
    }
}

/// The cache's view of `folder`: UID -> (flags, subject).
fn cached(engine: &Engine, folder: &str) -> BTreeMap<u32, (String, String)> {
    common::cached_view(engine.store(), engine.account(), folder)
}

async fn assert_converged(
    engine: &Engine,
    phone: &mut ImapConnection,
    server: &Server,
    folder: &str,
) {
    assert_eq!(
        cached(engine, folder),
        server_view(phone, folder).await,
        "{}: the cache of {folder} differs from the server",
        server.name()
    );
}

/// The subjects in `view`, sorted.
fn subjects(view: &BTreeMap<u32, (String, String)>) -> Vec<String> {
    let mut subjects: Vec<String> = view.values().map(|(_, subject)| subject.clone()).collect();
    subjects.sort();
    subjects
}

/// The whole tour against one server; `delta` is the strategy a second sync must choose,
/// `way` how many folders are checked at once.
async fn syncs_acts_and_announces(kind: Option<ServerKind>) {
    // The delta each server allows and how other folders are checked: Courier has neither
    // CONDSTORE nor LIST-STATUS.
    let (delta, way) = match kind {
        Some(ServerKind::Courier) => (Strategy::UidFlags, CheckWay::Status),
        _ => (Strategy::Qresync, CheckWay::ListStatus),
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    let server = Server::start(kind);
    let mut phone = phone(&server).await;
    println!(
        "{} offers: {}",
        server.name(),
        phone.capabilities().join(" ")
    );
    for index in 1..=10 {
        append(&mut phone, "INBOX", index).await;
    }

    let data = tempfile::tempdir().expect("temp dir");
    let engine =
        tern_testkit::engine_for(data.path(), "alice", server.port(), options()).expect("engine");

    // Folders and their roles: by SPECIAL-USE where offered (Cyrus's in lower case), by name
    // on Courier.
    let folders = engine.refresh_folders().await.expect("folders");
    let role_of = |role: FolderRole| {
        folders
            .iter()
            .find(|folder| folder.role == Some(role))
            .map(|folder| folder.name.clone())
    };
    let (archive, trash) = (server.folder("Archive"), server.folder("Trash"));
    assert_eq!(role_of(FolderRole::Archive), Some(archive.clone()));
    assert_eq!(role_of(FolderRole::Trash), Some(trash.clone()));

    // A first sync, then a delta after another client's changes.
    let first = engine.sync_folder("INBOX", None).await.expect("first sync");
    assert_eq!((first.strategy, first.total), (Strategy::Initial, 10));
    assert_converged(&engine, &mut phone, &server, "INBOX").await;
    store_flag(&mut phone, "INBOX", &[2], "\\Flagged", true).await;
    store_flag(&mut phone, "INBOX", &[3], "\\Seen", true).await;
    expunge(&mut phone, "INBOX", &[4]).await;
    append(&mut phone, "INBOX", 11).await;
    append(&mut phone, "INBOX", 12).await;
    let second = engine.sync_folder("INBOX", None).await.expect("delta");
    println!(
        "{}: a delta sync chose {:?} ({} added, {} removed, {} flags changed)",
        server.name(),
        second.strategy,
        second.added,
        second.removed,
        second.flags_changed
    );
    assert_eq!(second.strategy, delta);
    assert_eq!(
        (second.added, second.removed, second.flags_changed),
        (2, 1, 2)
    );
    assert_converged(&engine, &mut phone, &server, "INBOX").await;
    let quiet = engine
        .sync_folder("INBOX", None)
        .await
        .expect("quiet delta");
    assert_eq!(
        (
            quiet.strategy,
            quiet.added,
            quiet.removed,
            quiet.flags_changed
        ),
        (delta, 0, 0, 0)
    );

    // The other delta strategies this server can do, each after a change of its own.
    let mut others = vec![Strategy::UidFlags];
    if delta != Strategy::UidFlags {
        others.push(Strategy::Condstore);
    }
    for (round, strategy) in others.into_iter().enumerate() {
        store_flag(&mut phone, "INBOX", &[8], "\\Answered", round == 0).await;
        let forced = engine
            .sync_folder("INBOX", Some(strategy))
            .await
            .expect("forced delta");
        assert_eq!(
            (forced.strategy, forced.flags_changed),
            (strategy, 1),
            "{}",
            server.name()
        );
        assert_converged(&engine, &mut phone, &server, "INBOX").await;
    }

    // Every action path, queued and replayed on the server.
    let inbox = server_view(&mut phone, "INBOX").await;
    let subject_of = |uid: u32| inbox[&uid].1.clone();
    engine.act("INBOX", &[1], &Action::MarkRead).expect("read");
    engine.act("INBOX", &[2], &Action::Unflag).expect("unflag");
    engine
        .act("INBOX", &[5], &Action::Archive)
        .expect("archive");
    engine.act("INBOX", &[6], &Action::Delete).expect("delete");
    engine
        .act(
            "INBOX",
            &[7],
            &Action::Move {
                to: server.folder("Junk"),
            },
        )
        .expect("move");
    let replayed = engine.replay_pending().await.expect("replay");
    assert!(
        engine.pending().expect("pending").is_empty(),
        "{}: left waiting after {replayed:?}",
        server.name()
    );
    let after = server_view(&mut phone, "INBOX").await;
    assert!(after[&1].0.contains("\\Seen"), "{after:?}");
    assert!(!after[&2].0.contains("\\Flagged"), "{after:?}");
    for gone in [5, 6, 7] {
        assert!(
            !after.contains_key(&gone),
            "{}: {gone} still in INBOX",
            server.name()
        );
    }
    for (folder, uid) in [(&archive, 5), (&trash, 6), (&server.folder("Junk"), 7)] {
        assert_eq!(
            subjects(&server_view(&mut phone, folder).await),
            vec![subject_of(uid)],
            "{}: {folder}",
            server.name()
        );
    }
    for folder in ["INBOX", archive.as_str(), trash.as_str()] {
        engine.sync_folder(folder, None).await.expect("sync");
        assert_converged(&engine, &mut phone, &server, folder).await;
    }
    // In Trash, delete is for good.
    let in_trash: Vec<u64> = cached(&engine, &trash)
        .keys()
        .map(|uid| u64::from(*uid))
        .collect();
    engine
        .act(&trash, &in_trash, &Action::Delete)
        .expect("delete for good");
    engine.replay_pending().await.expect("replay");
    assert!(server_view(&mut phone, &trash).await.is_empty());
    engine.sync_folder(&trash, None).await.expect("sync");
    assert!(cached(&engine, &trash).is_empty());

    // Every folder checked in one go: STATUS answers, only the changed folder synced
    // (Courier gives never-selected empty folders a new UIDVALIDITY every second: empty on
    // both sides, they need nothing). A folder's second sync is a delta (Courier sends no
    // UIDNEXT on SELECT).
    let drafts = server.folder("Drafts");
    append(&mut phone, &drafts, 15).await;
    engine.sync_folder(&drafts, None).await.expect("first sync");
    let again = engine
        .sync_folder(&drafts, None)
        .await
        .expect("second sync");
    assert_eq!(again.strategy, delta, "{}: Drafts", server.name());
    let names: Vec<String> = folders
        .iter()
        .filter(|folder| folder.selectable)
        .map(|folder| folder.name.clone())
        .collect();
    for name in &names {
        engine.sync_folder(name, None).await.expect("sync");
    }
    append(&mut phone, &archive, 14).await;
    let check = engine.check_folders(&names).await.expect("check");
    println!(
        "{}: {} folders checked by {:?} in {} round trip(s)",
        server.name(),
        check.checked,
        check.way,
        check.status_round_trips
    );
    assert_eq!(check.way, way);
    let synced: Vec<&str> = check
        .synced
        .iter()
        .map(|(name, _, outcome)| {
            assert!(outcome.is_ok(), "{name}: {outcome:?}");
            name.as_str()
        })
        .collect();
    assert_eq!(synced, vec![archive.as_str()], "{}", server.name());
    assert_converged(&engine, &mut phone, &server, &archive).await;

    // A push from another client: live, then new mail.
    let mut events = engine.subscribe();
    let _watch = engine.watch("INBOX");
    expect_state(&mut events, ConnectivityState::Live).await;
    append(&mut phone, "INBOX", 13).await;
    let (event, _) = expect_event(&mut events, "new mail", |event| {
        matches!(event, EngineEvent::NewMail { .. })
    })
    .await;
    let EngineEvent::NewMail { subject, .. } = event else {
        unreachable!("matched above");
    };
    assert_eq!(subject, tern_testkit::messages::subject(13));
    println!("{}: pushed mail arrived as new mail", server.name());
    assert_converged(&engine, &mut phone, &server, "INBOX").await;
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dovecot_syncs_acts_and_announces() {
    syncs_acts_and_announces(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cyrus_syncs_acts_and_announces() {
    syncs_acts_and_announces(Some(ServerKind::Cyrus)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn courier_syncs_acts_and_announces() {
    syncs_acts_and_announces(Some(ServerKind::Courier)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gmail_like_one_message_in_three_folders_is_one_message() {
    let server = tern_testkit::GmailLike::start().expect("the Gmail-like server starts");
    let phone = phone_at(server.port).await;
    let offered = phone.capabilities();
    println!("gmail-like offers: {}", offered.join(" "));
    assert!(offered.iter().any(|name| name == "X-GM-EXT-1"));
    phone.logout().await;

    let data = tempfile::tempdir().expect("temp dir");
    let engine =
        tern_testkit::engine_for(data.path(), "alice", server.port, options()).expect("engine");
    let folders = engine.refresh_folders().await.expect("folders");
    let all_mail = folders
        .iter()
        .find(|folder| folder.role == Some(FolderRole::All))
        .map(|folder| folder.name.clone());
    assert_eq!(all_mail.as_deref(), Some("[Gmail]/All Mail"));
    for name in ["INBOX", "Work", "[Gmail]/All Mail"] {
        let first = engine.sync_folder(name, None).await.expect("first sync");
        let again = engine.sync_folder(name, None).await.expect("delta");
        println!(
            "gmail-like: {name} first {:?}, then {:?}",
            first.strategy, again.strategy
        );
    }

    // The same X-GM-MSGID (and conversation) in all three folders, its labels read.
    let shared = tern_testkit::gmail_like::SHARED_MSGID;
    for name in ["INBOX", "Work", "[Gmail]/All Mail"] {
        let store = engine.store().lock().expect("store");
        let folder = store
            .folder_by_name(engine.account().id, name)
            .expect("lookup")
            .expect("cached");
        let rows = store.message_rows(folder.id).expect("rows");
        let row = rows
            .iter()
            .find(|row| row.subject == "One message, three folders")
            .unwrap_or_else(|| panic!("{name}: {rows:?}"));
        let gmail = row.gmail.as_ref().expect("Gmail ids");
        assert_eq!((gmail.msgid, gmail.thrid), (shared, Some(shared)), "{name}");
        assert!(
            gmail.labels.iter().any(|label| label == "Work"),
            "{gmail:?}"
        );
    }

    // A label added elsewhere (no flag moves) reaches the cache with the next delta.
    {
        let mut phone = phone_at(server.port).await;
        common::command(&mut phone, "SELECT Work").await;
        common::command(&mut phone, "UID STORE 1 +X-GM-LABELS (Travel)").await;
        phone.logout().await;
        let relabelled = engine.sync_folder("Work", None).await.expect("delta");
        assert_eq!(relabelled.flags_changed, 1, "{relabelled:?}");
        let store = engine.store().lock().expect("store");
        let work = store
            .folder_by_name(engine.account().id, "Work")
            .expect("lookup")
            .expect("cached");
        let page = store.message_page(work.id, 0, 10).expect("page");
        assert!(
            page.iter()
                .any(|row| row.labels.iter().any(|label| label == "Travel")),
            "{page:?}"
        );
    }

    // Searched, it is one message.
    engine.index_for_search().expect("index");
    let hits = engine.search("three folders", 10).expect("search");
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(hits[0].folder, "INBOX");
    let archived = engine.search("archived", 10).expect("search");
    assert_eq!(archived.len(), 1, "{archived:?}");

    // X-GM-THRID makes one conversation of messages that do not reference each other, and
    // the message in three folders is in it once (its INBOX copy).
    let conversations = engine.threads("INBOX").expect("threads");
    assert_eq!(conversations.len(), 1, "{conversations:?}");
    let mut shown: Vec<(String, String)> = conversations[0]
        .messages
        .iter()
        .map(|row| (row.folder.clone(), row.message.subject.clone()))
        .collect();
    shown.sort();
    assert_eq!(
        shown,
        vec![
            (
                "INBOX".to_string(),
                "One message, three folders".to_string()
            ),
            ("[Gmail]/All Mail".to_string(), "Only archived".to_string()),
        ]
    );

    // Its body is fetched once: opened in INBOX, it opens from Work and All Mail with the
    // server gone, and prefetching finds nothing more to fetch for it.
    let uid_in = |folder: &str| {
        cached(&engine, folder)
            .into_iter()
            .find(|(_, (_, subject))| subject == "One message, three folders")
            .map(|(uid, _)| u64::from(uid))
            .expect("cached")
    };
    let opened = engine
        .open_message("INBOX", uid_in("INBOX"), false)
        .await
        .expect("open in INBOX");
    let text = opened.view.text.clone().unwrap_or_default();
    assert!(text.contains("The same message"), "{text}");
    let (inbox, work, all) = (uid_in("INBOX"), uid_in("Work"), uid_in("[Gmail]/All Mail"));

    // Archived (Gmail has no Archive folder): out of INBOX by removing its \Inbox label —
    // never \Deleted + EXPUNGE —; All Mail and Work keep it. Deleted: moved to Trash.
    engine
        .act("INBOX", &[inbox], &Action::Archive)
        .expect("archive");
    let only_archived = cached(&engine, "[Gmail]/All Mail")
        .into_iter()
        .find(|(_, (_, subject))| subject == "Only archived")
        .map(|(uid, _)| u64::from(uid))
        .expect("cached");
    let deleted = engine
        .act("[Gmail]/All Mail", &[only_archived], &Action::Delete)
        .expect("delete");
    assert_eq!(deleted.target.as_deref(), Some("[Gmail]/Trash"));
    engine.replay_pending().await.expect("replay");
    assert!(engine.pending().expect("pending").is_empty());
    assert!(!cached(&engine, "INBOX").contains_key(&(inbox as u32)));
    let mut phone = phone_at(server.port).await;
    // On the server it left INBOX (its \Inbox label removed), and is still in Work and All
    // Mail; nothing was expunged there.
    let inbox_now = subjects(&server_view(&mut phone, "INBOX").await);
    assert!(
        !inbox_now.contains(&"One message, three folders".to_string()),
        "{inbox_now:?}"
    );
    for folder in ["Work", "[Gmail]/All Mail"] {
        assert!(
            subjects(&server_view(&mut phone, folder).await)
                .contains(&"One message, three folders".to_string()),
            "{folder}"
        );
    }
    assert_eq!(
        subjects(&server_view(&mut phone, "[Gmail]/Trash").await),
        vec!["Only archived".to_string()]
    );
    phone.logout().await;
    drop(server);
    for (folder, uid) in [("Work", work), ("[Gmail]/All Mail", all)] {
        let again = engine
            .open_message(folder, uid, false)
            .await
            .unwrap_or_else(|error| panic!("{folder} offline: {error}"));
        assert!(again.from_cache, "{folder}");
        assert_eq!(again.view.text.as_deref(), Some(text.as_str()), "{folder}");
    }
    engine.shutdown().await;
}
