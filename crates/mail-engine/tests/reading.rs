//! Reading against a real Dovecot: opening fetches with BODY.PEEK[] (the server does not mark
//! the message read) and caches the body; prefetched bodies open and are searchable with the
//! server stopped; attachments are saved decoded, never over an existing file.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{server_view, Harness};

/// Seeded message n - 1 is UID n; seeded messages 1, 2, 4 (mod 5) are unread.
const UNREAD_WITH_ATTACHMENT: u64 = 3; // seeded message 2: text + report-2.bin
const UNREAD_HTML: u64 = 5; // seeded message 4: alternative with a tracking pixel

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opening_fetches_the_body_without_marking_it_read() {
    let (harness, engine) = Harness::synced(6).await;
    let opened = engine
        .open_message("INBOX", UNREAD_HTML, false)
        .await
        .expect("open");
    assert!(!opened.from_cache);
    assert_eq!(opened.view.subject, tern_testkit::messages::subject(4));
    assert!(opened
        .view
        .text
        .as_deref()
        .unwrap()
        .contains("Issue 4 in plain text"));
    assert!(opened.safe_html.html.contains("<b>4</b>"));
    assert_eq!(opened.safe_html.remote_blocked, 1, "the tracking pixel");
    assert!(!opened.safe_html.html.contains("tracker.example"));

    let mut phone = harness.phone().await;
    let server = server_view(&mut phone, "INBOX").await;
    assert!(
        !server[&(UNREAD_HTML as u32)].0.contains("\\Seen"),
        "opening must not mark read: {:?}",
        server[&(UNREAD_HTML as u32)]
    );
    assert!(!harness.cached("INBOX")[&(UNREAD_HTML as u32)]
        .0
        .contains("\\Seen"));

    let again = engine
        .open_message("INBOX", UNREAD_HTML, true)
        .await
        .expect("open again");
    assert!(again.from_cache);
    assert!(again
        .safe_html
        .html
        .contains("https://tracker.example/4.png"));
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prefetched_bodies_open_and_are_searchable_with_the_server_stopped() {
    let (mut harness, engine) = Harness::synced(10).await;
    // Seeded mail is from 2023: "the last 10,000 days" takes all of it.
    let report = engine
        .prefetch_bodies("INBOX", 10_000)
        .await
        .expect("prefetch");
    assert_eq!(report.fetched, 10);
    harness.server.stop().expect("stop dovecot");

    for uid in 1..=10u64 {
        let opened = engine
            .open_message("INBOX", uid, false)
            .await
            .expect("offline open");
        assert!(opened.from_cache);
    }
    // "Reply number 8." is only in the body of seeded message 8 (UID 9).
    let hits = engine.search("reply number 8", 10).expect("search");
    let uids: Vec<u64> = hits.iter().map(|hit| hit.message.uid).collect();
    assert_eq!(uids, vec![9]);
    assert_eq!(hits[0].folder, "INBOX");
    // Attachment names are searchable too.
    let hits = engine.search("report-2", 10).expect("search");
    assert_eq!(
        hits.iter().map(|hit| hit.message.uid).collect::<Vec<_>>(),
        vec![3]
    );
    // Not cached and the server is down: a clear error, not an empty message.
    assert!(engine.open_message("INBOX", 99, false).await.is_err());
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attachment_is_saved_decoded_and_never_over_an_existing_file() {
    let (_harness, engine) = Harness::synced(4).await;
    let opened = engine
        .open_message("INBOX", UNREAD_WITH_ATTACHMENT, false)
        .await
        .expect("open");
    assert_eq!(opened.view.attachments.len(), 1);
    assert_eq!(opened.view.attachments[0].name, "report-2.bin");
    let dir = tempfile::tempdir().unwrap();
    let saved = engine
        .save_attachment("INBOX", UNREAD_WITH_ATTACHMENT, 0, dir.path(), false)
        .await
        .expect("save");
    assert_eq!(saved, dir.path().join("report-2.bin"));
    let bytes = std::fs::read(&saved).unwrap();
    assert!(String::from_utf8_lossy(&bytes).starts_with("Tern test attachment line"));
    let again = engine
        .save_attachment("INBOX", UNREAD_WITH_ATTACHMENT, 0, dir.path(), false)
        .await;
    assert!(again.unwrap_err().to_string().contains("already exists"));
    engine
        .save_attachment("INBOX", UNREAD_WITH_ATTACHMENT, 0, dir.path(), true)
        .await
        .expect("overwrite when asked");
    assert!(engine
        .save_attachment("INBOX", UNREAD_WITH_ATTACHMENT, 5, dir.path(), false)
        .await
        .is_err());
    engine.shutdown().await;
}

/// The prefetcher streams batches on the request connection: a message opened meanwhile
/// gets the connection once the batches in flight are answered, instead of waiting for the
/// whole download.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prefetching_does_not_starve_opening_a_message() {
    let harness = Harness::new(400);
    let proxy = tern_testkit::Proxy::start(harness.server.port)
        .await
        .expect("proxy");
    let engine = harness.engine(
        Some(proxy.port),
        mail_engine::EngineOptions {
            body_batch_messages: 50,
            body_batches_in_flight: 2,
            ..common::options()
        },
    );
    engine.sync_folder("INBOX", None).await.expect("sync");
    // 400 bodies in batches of 50, two in flight, at 100 ms a round trip.
    proxy.set_round_trip(std::time::Duration::from_millis(100));
    let prefetch = tokio::spawn({
        let engine = engine.clone();
        async move { engine.prefetch_bodies("INBOX", 10_000).await }
    });
    // Once the prefetcher has stored its first batch, ask for the oldest message (fetched last).
    tern_testkit::wait_until(
        "the first batch",
        std::time::Duration::from_secs(20),
        || async {
            let store = harness.store.lock().unwrap();
            store.bodies_size().unwrap() > 0
        },
    )
    .await
    .expect("prefetch started");
    let opened = engine.open_message("INBOX", 1, false).await.expect("open");
    assert!(
        !opened.from_cache,
        "fetched on demand, not by the prefetcher"
    );
    assert!(
        !prefetch.is_finished(),
        "the open waited for the whole prefetch"
    );
    let report = prefetch.await.expect("join").expect("prefetch");
    assert_eq!(
        report.fetched, 399,
        "everything else, and not the opened one twice"
    );
    engine.shutdown().await;
}

/// A message over the large-message threshold opens with its text only; its attachment is
/// fetched when saved, byte for byte.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_message_opens_text_first_and_fetches_its_attachment_when_saved() {
    let harness = Harness::new(1);
    let payload: Vec<u8> = (0..3_000_000u32).map(|i| (i % 253) as u8).collect();
    let message = format!(
        "From: Big Sender <big@example.org>\r\nTo: alice@tern.test\r\nSubject: Holiday photos\r\n\
         Message-ID: <big@example.org>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"mix\"\r\n\r\n--mix\r\n\
         Content-Type: multipart/alternative; boundary=\"alt\"\r\n\r\n--alt\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\nThe photos are attached. Grüße!\r\n--alt\r\n\
         Content-Type: text/html; charset=utf-8\r\n\r\n<p>The photos are <b>attached</b>.</p>\r\n--alt--\r\n\
         --mix\r\nContent-Type: application/zip; name=\"photos.zip\"\r\n\
         Content-Disposition: attachment; filename=\"photos.zip\"\r\nContent-Transfer-Encoding: base64\r\n\r\n\
         {}\r\n--mix--\r\n",
        tern_testkit::messages::base64_lines(&payload)
    );
    let mut phone = harness.phone().await;
    common::append_raw(&mut phone, "INBOX", &message).await;
    let engine = harness.engine(None, common::options());
    engine.sync_folder("INBOX", None).await.expect("sync");

    let opened = engine.open_message("INBOX", 2, false).await.expect("open");
    assert_eq!(opened.view.subject, "Holiday photos");
    assert!(opened.view.text.as_deref().unwrap().contains("Grüße"));
    assert!(opened.safe_html.html.contains("<b>attached</b>"));
    assert_eq!(opened.view.attachments.len(), 1);
    let listed = &opened.view.attachments[0];
    assert_eq!(listed.name, "photos.zip");
    assert!(
        (2_900_000..=3_100_000).contains(&listed.size),
        "about the decoded size: {}",
        listed.size
    );
    let cached = harness.store.lock().unwrap().bodies_size().unwrap();
    assert!(
        cached < 10_000,
        "only the text was fetched and kept: {cached} bytes"
    );

    let dir = tempfile::tempdir().unwrap();
    let saved = engine
        .save_attachment("INBOX", 2, 0, dir.path(), false)
        .await
        .expect("save");
    assert_eq!(std::fs::read(saved).unwrap(), payload);
    // Reopening is from the cache, still text only.
    assert!(
        engine
            .open_message("INBOX", 2, false)
            .await
            .unwrap()
            .from_cache
    );
    assert!(!server_view(&mut phone, "INBOX").await[&2]
        .0
        .contains("\\Seen"));
    engine.shutdown().await;
}
