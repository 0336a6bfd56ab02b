//! Whole mailboxes offline against a real Dovecot (issue 17): the offline policy keeps
//! exactly the bodies it names across folders; "all" makes every message readable with the
//! server stopped; a message beyond the size limit keeps its text and fetches its attachment
//! when saved; a download cut short resumes without fetching a stored body again; the first
//! search while the index is built answers from what is indexed and the rest follows; with
//! headers only, every row still gets its list preview from the first bytes of its text
//! (issue 18), nothing marked read.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::{append, command, Harness};
use mail_engine::{Engine, EngineEvent, EngineOptions};
use mail_sync::{OfflinePolicy, ProgressPhase};

/// Every folder listed and synced.
async fn sync_all(engine: &Engine) -> Vec<String> {
    let folders: Vec<String> = engine
        .refresh_folders()
        .await
        .expect("list")
        .into_iter()
        .map(|folder| folder.name)
        .collect();
    for name in &folders {
        engine.sync_folder(name, None).await.expect("sync");
    }
    folders
}

/// UIDs of `folder` with a cached body.
fn with_body(harness: &Harness, folder: &str) -> BTreeSet<u32> {
    let store = harness.store.lock().unwrap();
    let id = store
        .folders(harness.account.id)
        .unwrap()
        .into_iter()
        .find(|f| f.name == folder)
        .unwrap()
        .id;
    let missing: BTreeSet<u32> = store
        .messages_without_body(id, i64::MIN, None, 100_000)
        .unwrap()
        .iter()
        .map(|m| m.uid.0)
        .collect();
    drop(store);
    harness
        .cached(folder)
        .keys()
        .copied()
        .filter(|uid| !missing.contains(uid))
        .collect()
}

/// Old mail (seeded, dated 2023) in INBOX and Work, and a few messages appended now.
async fn old_and_new(harness: &Harness) {
    harness
        .server
        .seed("alice", "Work", 100, 6)
        .expect("seed Work");
    let mut phone = harness.phone().await;
    command(&mut phone, "SUBSCRIBE Work").await;
    for index in 0..3 {
        append(&mut phone, "INBOX", 500 + index).await;
    }
    for index in 0..4 {
        append(&mut phone, "Work", 600 + index).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_last_days_policy_keeps_exactly_those_bodies_in_every_folder() {
    let harness = Harness::new(8);
    old_and_new(&harness).await;
    let engine = harness.engine(None, common::options());
    let folders = sync_all(&engine).await;
    assert!(folders.iter().any(|name| name == "Work"), "{folders:?}");
    let mut events = engine.subscribe();

    let report = engine
        .keep_offline(Some(OfflinePolicy::Days(30)), None)
        .await
        .expect("keep offline");
    assert_eq!(
        report.fetched, 7,
        "the three new in INBOX, the four in Work"
    );
    // UIDs after the seeded ones are the appended ones.
    assert_eq!(with_body(&harness, "INBOX"), BTreeSet::from([9, 10, 11]));
    assert_eq!(with_body(&harness, "Work"), BTreeSet::from([7, 8, 9, 10]));

    // Progress said so, folder by folder, ending at the total.
    let mut finished = Vec::new();
    while let Ok(event) = events.try_recv() {
        if let EngineEvent::SyncProgress {
            folder,
            synced,
            total,
            phase: ProgressPhase::Bodies,
            ..
        } = event
        {
            assert!(synced <= total);
            if synced == total {
                finished.push((folder, total));
            }
        }
    }
    assert!(finished.contains(&("INBOX".to_string(), 3)), "{finished:?}");
    assert!(finished.contains(&("Work".to_string(), 4)), "{finished:?}");

    // Again: nothing left to fetch.
    let again = engine
        .keep_offline(Some(OfflinePolicy::Days(30)), None)
        .await
        .expect("again");
    assert_eq!(again.fetched, 0);
    // Headers only: nothing either.
    let none = engine
        .keep_offline(Some(OfflinePolicy::None), None)
        .await
        .expect("none");
    assert_eq!(none.fetched, 0);
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn everything_kept_offline_opens_and_is_found_with_the_server_stopped() {
    let mut harness = Harness::new(8);
    old_and_new(&harness).await;
    // The account's own policy is "all" (what `tern account offline all` writes).
    harness
        .store
        .lock()
        .unwrap()
        .set_offline_policy(harness.account.id, OfflinePolicy::All, 2 << 20)
        .unwrap();
    let mut account = harness.account.clone();
    account.offline = OfflinePolicy::All;
    let engine = harness.engine_for(account, common::options());
    sync_all(&engine).await;
    let report = engine.keep_offline(None, None).await.expect("keep");
    assert_eq!(report.fetched, 8 + 3 + 6 + 4);
    assert_eq!(report.evicted, 0);
    harness.server.stop().expect("stop dovecot");

    for folder in ["INBOX", "Work"] {
        for uid in harness.cached(folder).keys() {
            let opened = engine
                .open_message(folder, u64::from(*uid), false)
                .await
                .unwrap_or_else(|error| panic!("{folder} {uid} offline: {error}"));
            assert!(opened.from_cache);
        }
    }
    // Every row of the list now has its preview: the beginning of the body's text.
    let page = engine.message_page("Work", 0, 50).expect("page");
    assert!(!page.rows.is_empty());
    for message in &page.rows {
        assert!(
            !message.preview.is_empty(),
            "no preview for {}",
            message.uid
        );
        assert!(message.preview.chars().count() <= mail_message::PREVIEW_CHARS);
    }
    assert!(page
        .rows
        .iter()
        .any(|message| message.preview.contains("Reply number 103.")));
    // Body text is searchable offline ("Reply number 103." is in a Work body only).
    engine.index_for_search().expect("index");
    let hits = engine.search("reply number 103", 10).expect("search");
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].folder, "Work");
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_beyond_the_size_limit_keeps_its_text_and_fetches_its_attachment_when_saved() {
    let mut harness = Harness::new(1);
    let payload: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let message = format!(
        "From: Big Sender <big@example.org>\r\nTo: alice@tern.test\r\nSubject: Scans\r\n\
         Message-ID: <scans@example.org>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"mix\"\r\n\r\n--mix\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\nThe scans are attached.\r\n--mix\r\n\
         Content-Type: application/pdf; name=\"scans.pdf\"\r\n\
         Content-Disposition: attachment; filename=\"scans.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n\
         {}\r\n--mix--\r\n",
        tern_testkit::messages::base64_lines(&payload)
    );
    let mut phone = harness.phone().await;
    common::append_raw(&mut phone, "INBOX", &message).await;
    let mut account = harness.account.clone();
    account.offline_max_bytes = 64 << 10;
    let engine = harness.engine_for(account, common::options());
    engine.sync_folder("INBOX", None).await.expect("sync");
    let report = engine
        .keep_offline(Some(OfflinePolicy::All), None)
        .await
        .expect("keep");
    assert_eq!((report.fetched, report.text_only), (2, 1));
    let cached = harness.store.lock().unwrap().bodies_size().unwrap();
    assert!(
        cached < 64 << 10,
        "the attachment stayed on the server: {cached} bytes"
    );

    harness.server.stop().expect("stop dovecot");
    let opened = engine
        .open_message("INBOX", 2, false)
        .await
        .expect("offline open");
    assert!(opened.from_cache);
    assert!(opened
        .view
        .text
        .as_deref()
        .unwrap()
        .contains("The scans are attached."));
    assert_eq!(opened.view.attachments.len(), 1);
    assert_eq!(opened.view.attachments[0].name, "scans.pdf");
    let dir = tempfile::tempdir().unwrap();
    assert!(
        engine
            .save_attachment("INBOX", 2, 0, dir.path(), false)
            .await
            .is_err(),
        "offline, the attachment is not here"
    );

    harness.server.restart().expect("restart dovecot");
    let saved = engine
        .save_attachment("INBOX", 2, 0, dir.path(), false)
        .await
        .expect("save once the server is back");
    assert_eq!(std::fs::read(saved).unwrap(), payload);
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_cut_short_resumes_without_fetching_a_stored_body_again() {
    let harness = Harness::new(600);
    let options = EngineOptions {
        body_batch_messages: 50,
        body_batches_in_flight: 2,
        ..common::options()
    };
    let (proxy, engine) = harness.engine_via_proxy(options).await;
    engine.sync_folder("INBOX", None).await.expect("sync");
    proxy.set_round_trip(Duration::from_millis(100));
    let download = tokio::spawn({
        let engine = engine.clone();
        async move { engine.keep_offline(Some(OfflinePolicy::All), None).await }
    });
    tern_testkit::wait_until("the first bodies", Duration::from_secs(30), || async {
        harness.store.lock().unwrap().bodies_size().unwrap() > 0
    })
    .await
    .expect("download started");
    // Cut short as a killed process would be: the task is gone mid-download.
    download.abort();
    let _ = download.await;
    engine.shutdown().await;
    let kept = with_body(&harness, "INBOX").len();
    assert!((1..600).contains(&kept), "cut mid-way: {kept} kept");

    let again = harness.engine(None, options);
    let report = again
        .keep_offline(Some(OfflinePolicy::All), None)
        .await
        .expect("resume");
    assert_eq!(report.fetched, 600 - kept, "only what was missing");
    assert_eq!(with_body(&harness, "INBOX").len(), 600);
    let (kept, counted) = {
        let store = harness.store.lock().unwrap();
        (
            store.bodies_size().unwrap(),
            store.bodies_size_counted().unwrap(),
        )
    };
    assert_eq!(kept, counted);
    again.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_search_answers_from_what_is_indexed_and_the_rest_follows() {
    let harness = Harness::new(3_000);
    let engine = harness.engine(
        None,
        EngineOptions {
            // One batch, then answer: what a big first sync looks like to a search.
            search_indexes_for: Duration::ZERO,
            ..common::options()
        },
    );
    engine.sync_folder("INBOX", None).await.expect("sync");
    assert_eq!(
        engine.index_progress().unwrap().waiting,
        3_000,
        "the sync indexed nothing"
    );
    let mut events = engine.subscribe();

    // A first sync stores the newest first, and the index follows that order: message 2
    // (UID 3, in the oldest chunk) is indexed among the last. The first search cannot find
    // it yet and says indexing continues (the hits and the progress describe one index).
    let first = engine.search_indexed("message 2 ", 10).expect("search");
    assert!(
        first.hits.iter().all(|hit| hit.message.uid != 3),
        "{:?}",
        first.hits
    );
    assert!(!first.index.done(), "indexing continues: {:?}", first.index);
    assert_eq!(first.index.messages, 3_000);
    // What is indexed is found at once.
    let some = engine.search("test message ", 10).expect("search");
    assert!(!some.is_empty());

    // The background indexer (woken by the search) finishes, saying how far it got.
    let told_done = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            if let EngineEvent::SyncProgress {
                phase: ProgressPhase::Indexing,
                synced,
                total,
                folder,
                ..
            } = events.recv().await.expect("events")
            {
                assert!(folder.is_empty());
                assert!(synced <= total);
                if synced == total {
                    return total;
                }
            }
        }
    })
    .await
    .expect("a last indexing event says everything is searchable");
    assert_eq!(told_done, 3_000);
    assert!(engine.index_progress().unwrap().done());
    let oldest = engine.search("message 2 ", 10).expect("search");
    assert!(oldest.iter().any(|hit| hit.message.uid == 3), "{oldest:?}");
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headers_only_still_gives_every_row_the_servers_preview_without_reading_it() {
    // Dovecot offers RFC 8970 PREVIEW (and keeps previews in its cache).
    previews_without_bodies(Harness::new(1), true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headers_only_still_gives_every_row_a_preview_from_the_first_bytes_without_reading_it() {
    let server =
        tern_testkit::Dovecot::start_without(&["PREVIEW", "PREVIEW=FUZZY", "SNIPPET=FUZZY"])
            .expect("dovecot without PREVIEW");
    previews_without_bodies(Harness::on(server, 1), false).await;
}

/// Messages of every kind, headers only: each row gets its preview (the server's own when
/// `server_preview`, else from the first bytes), nothing is read or fetched twice.
async fn previews_without_bodies(harness: Harness, server_preview: bool) {
    let mut phone = harness.phone().await;
    let head = |subject: &str, kind: &str| {
        format!(
            "From: Ann <ann@example.org>\r\nTo: alice@tern.test\r\nSubject: {subject}\r\n\
             Message-ID: <{subject}@example.org>\r\nMIME-Version: 1.0\r\n{kind}\r\n\r\n"
        )
    };
    let messages = [
        format!(
            "{}Gr=FC=DFe aus K=F6ln, bis=\r\n bald.\r\n",
            head(
                "qp",
                "Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable"
            )
        ),
        format!(
            "{}--alt\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n--alt\r\nContent-Type: text/html\r\n\r\n<p>The plan</p>\r\n--alt--\r\n",
            head("alt", "Content-Type: multipart/alternative; boundary=\"alt\""),
            tern_testkit::messages::base64_lines(
                format!("The plan for Monday is ready.\n{}", "Details follow. ".repeat(200))
                    .as_bytes()
            )
        ),
        format!(
            "{}<html><head><style>{}</style></head><body><p>Hi <b>Alice</b>, the room is booked.</p></body></html>\r\n",
            head("html", "Content-Type: text/html; charset=utf-8"),
            "p { margin: 0 } ".repeat(40)
        ),
        format!(
            "{}--mix\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n--mix--\r\n",
            head("pdf", "Content-Type: multipart/mixed; boundary=\"mix\""),
            tern_testkit::messages::base64_lines(&[7u8; 4000])
        ),
    ];
    for message in &messages {
        common::append_raw(&mut phone, "INBOX", message).await;
    }
    let mut account = harness.account.clone();
    account.offline = OfflinePolicy::None;
    let engine = harness.engine_for(account, common::options());
    let mut events = engine.subscribe();
    engine.sync_folder("INBOX", None).await.expect("sync");
    let kept = engine.keep_offline(None, None).await.expect("policy");
    assert_eq!(kept.fetched, 0, "headers only");
    assert_eq!(engine.fill_previews(None, None).await.expect("previews"), 5);
    // The list learns of them.
    let mut changed = false;
    while let Ok(event) = events.try_recv() {
        if let EngineEvent::FolderChanged {
            folder,
            added: 0,
            total: 5,
            ..
        } = event
        {
            changed |= folder == "INBOX";
        }
    }
    assert!(changed, "no folder_changed for the previews");
    let page = engine.message_page("INBOX", 0, 50).expect("page");
    let preview = |subject: &str| {
        page.rows
            .iter()
            .find(|row| row.subject == subject)
            .map(|row| row.preview.clone())
            .unwrap_or_else(|| panic!("no row {subject}"))
    };
    assert_eq!(preview("qp"), "Grüße aus Köln, bis bald.");
    assert!(
        preview("alt").starts_with("The plan for Monday is ready. Details follow."),
        "{}",
        preview("alt")
    );
    assert!(preview("alt").ends_with('…'));
    // Dovecot's own HTML-to-text ("FUZZY") leaves a space where an inline element ended.
    let html = preview("html");
    if server_preview {
        assert_eq!(
            html.replace(" ,", ","),
            "Hi Alice, the room is booked.",
            "{html}"
        );
    } else {
        assert_eq!(html, "Hi Alice, the room is booked.");
    }
    assert_eq!(preview("pdf"), "");
    // No body kept, nothing read on the server, nothing fetched twice.
    assert!(with_body(&harness, "INBOX").is_empty());
    let server = common::server_view(&mut phone, "INBOX").await;
    assert!(
        server
            .values()
            .filter(|(_, subject)| subject != "Test message 0")
            .all(|(flags, _)| !flags.contains("Seen")),
        "{server:?}"
    );
    assert_eq!(engine.fill_previews(None, None).await.expect("again"), 0);
    // New mail: only it is asked for.
    common::append_raw(
        &mut phone,
        "INBOX",
        &format!(
            "{}See you there.\r\n",
            head("new", "Content-Type: text/plain")
        ),
    )
    .await;
    engine.sync_folder("INBOX", None).await.expect("sync");
    assert_eq!(engine.fill_previews(None, None).await.expect("new"), 1);
    let page = engine.message_page("INBOX", 0, 50).expect("page");
    assert_eq!(page.rows[0].preview, "See you there.");
    engine.shutdown().await;
}
