//! A server that announces messages but sends none must never empty or "complete" the cache.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};

use mail_engine::{Engine, ErrorKind, Password};
use mail_store::{MessageRow, Store};
use mail_sync::{Flags, Strategy, SyncMeta, Uid, UidValidity};
use tern_testkit::fake_imap::LyingImapServer;
use tern_testkit::TestUser;

fn engine(store: Arc<Mutex<Store>>, port: u16) -> Engine {
    let account = {
        let mut locked = store.lock().unwrap();
        tern_testkit::add_account(
            &mut locked,
            TestUser::with_email("alice", "liar@tern.test"),
            port,
        )
        .unwrap()
    };
    Engine::new(
        store,
        account,
        Password::new("pw"),
        mail_engine::EngineOptions::default(),
    )
}

fn row(uid: u32) -> MessageRow {
    MessageRow {
        uid: Uid(uid),
        flags: Flags::new(),
        subject: format!("kept {uid}"),
        from_name: String::new(),
        from_address: "a@b.c".into(),
        to_list: String::new(),
        cc_list: String::new(),
        date: None,
        internal_date: 1,
        size: 1,
        message_id: String::new(),
        in_reply_to: String::new(),
        references: String::new(),
        attachments: false,
        gmail: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_initial_sync_from_a_lying_server_is_not_marked_complete() {
    let server = LyingImapServer::start(5).await.unwrap();
    let data = tempfile::tempdir().unwrap();
    let store = Arc::new(Mutex::new(Store::open_in_dir(data.path()).unwrap()));
    let engine = engine(store.clone(), server.port);
    let error = engine
        .sync_folder("INBOX", None)
        .await
        .expect_err("a lie is an error");
    assert_eq!(error.kind, ErrorKind::Protocol, "{error}");
    assert!(
        error.to_string().contains("announced 5 messages"),
        "{error}"
    );
    let locked = store.lock().unwrap();
    let inbox = locked
        .folder_by_name(engine.account().id, "INBOX")
        .unwrap()
        .unwrap();
    let meta = locked
        .sync_meta(inbox.id)
        .unwrap()
        .expect("the attempt is recorded");
    assert!(
        !meta.initial_sync_complete(),
        "an empty answer must not complete the initial sync"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delta_from_a_lying_server_leaves_the_cache_untouched() {
    let server = LyingImapServer::start(5).await.unwrap();
    let data = tempfile::tempdir().unwrap();
    let store = Arc::new(Mutex::new(Store::open_in_dir(data.path()).unwrap()));
    let engine = engine(store.clone(), server.port);
    engine.refresh_folders().await.unwrap();
    // A cache that already holds the folder's five messages.
    let folder = {
        let mut locked = store.lock().unwrap();
        let inbox = locked
            .folder_by_name(engine.account().id, "INBOX")
            .unwrap()
            .unwrap();
        let meta = SyncMeta {
            uid_validity: UidValidity(7),
            uid_next: Uid(6),
            highest_modseq: None,
            initial_low_uid: None,
        };
        locked.begin_initial_sync(inbox.id, &meta).unwrap();
        let rows: Vec<MessageRow> = (1..=5).map(row).collect();
        locked
            .apply_initial_chunk(inbox.id, &rows, Uid(1), true, 1)
            .unwrap();
        inbox
    };
    for strategy in [None, Some(Strategy::UidFlags)] {
        let error = engine
            .sync_folder("INBOX", strategy)
            .await
            .expect_err("a lie is an error");
        assert_eq!(error.kind, ErrorKind::Protocol, "{error}");
        let locked = store.lock().unwrap();
        assert_eq!(
            locked.message_rows(folder.id).unwrap().len(),
            5,
            "nothing was deleted"
        );
    }
}
