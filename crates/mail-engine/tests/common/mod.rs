//! Shared helpers for engine tests: a real Dovecot, a cache in a temp dir, a second client.

#![allow(clippy::unwrap_used, clippy::expect_used)]
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use imap_proto::{AttributeValue, Response};
use mail_engine::{
    ConnectSettings, ConnectivityState, Engine, EngineEvent, EngineOptions, ImapConnection,
    Password, SelectMode, Timeouts,
};
use mail_store::{Account, Security, Store};
use mail_sync::{Flags, Uid};
use tern_testkit::{Dovecot, Proxy};
use tokio::sync::broadcast::Receiver;

pub struct Harness {
    pub server: Dovecot,
    pub data: tempfile::TempDir,
    pub store: Arc<Mutex<Store>>,
    pub account: Account,
}

pub fn options() -> EngineOptions {
    EngineOptions {
        timeouts: Timeouts {
            connect: Duration::from_secs(10),
            response: Duration::from_secs(10),
        },
        initial_chunk_size: 500,
        ..EngineOptions::default()
    }
}

impl Harness {
    /// A fresh Dovecot with `seeded` messages in alice's INBOX and an empty cache.
    pub fn new(seeded: u64) -> Harness {
        Self::on(Dovecot::start().expect("dovecot starts"), seeded)
    }

    /// `new(seeded)` with an engine (default test options) that has synced INBOX once.
    pub async fn synced(seeded: u64) -> (Harness, Arc<Engine>) {
        Self::synced_with(seeded, options()).await
    }

    /// `new(seeded)` with an engine (these options) that has synced INBOX once.
    pub async fn synced_with(seeded: u64, options: EngineOptions) -> (Harness, Arc<Engine>) {
        let harness = Self::new(seeded);
        let engine = harness.engine(None, options);
        engine.sync_folder("INBOX", None).await.expect("sync");
        (harness, engine)
    }

    /// `new(seeded)` with an engine behind a fresh `Proxy` that has synced INBOX once.
    pub async fn synced_via_proxy(
        seeded: u64,
        options: EngineOptions,
    ) -> (Harness, Proxy, Arc<Engine>) {
        let harness = Self::new(seeded);
        let (proxy, engine) = harness.engine_via_proxy(options).await;
        engine.sync_folder("INBOX", None).await.expect("sync");
        (harness, proxy, engine)
    }

    /// Like `new`, on a server started some other way.
    pub fn on(server: Dovecot, seeded: u64) -> Harness {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_test_writer()
            .try_init();
        if seeded > 0 {
            server.seed("alice", "INBOX", 0, seeded).expect("seeding");
        }
        let data = tempfile::tempdir().expect("temp dir");
        let (store, account) =
            tern_testkit::store_with_account(data.path(), "alice", server.port).expect("account");
        Harness {
            server,
            data,
            store,
            account,
        }
    }

    /// An engine talking to the server directly, or to `port` (a proxy) when given.
    pub fn engine(&self, port: Option<u16>, options: EngineOptions) -> Arc<Engine> {
        let mut account = self.account.clone();
        if let Some(port) = port {
            account.imap_port = port;
        }
        self.engine_for(account, options)
    }

    /// An engine for `account` (the harness's, changed by the test) on the harness's cache.
    pub fn engine_for(&self, account: Account, options: EngineOptions) -> Arc<Engine> {
        Arc::new(Engine::new(
            self.store.clone(),
            account,
            Password::new("alice-pw"),
            options,
        ))
    }

    /// An engine whose request and watch connections go through a fresh `Proxy` (to delay,
    /// cut or stall them).
    pub async fn engine_via_proxy(&self, options: EngineOptions) -> (Proxy, Arc<Engine>) {
        let proxy = Proxy::start(self.server.port).await.expect("proxy");
        let engine = self.engine(Some(proxy.port), options);
        (proxy, engine)
    }

    /// Asserts that the cached `folder` is what the server has (seen from `phone`).
    pub async fn assert_cache_is_server(&self, phone: &mut ImapConnection, folder: &str) {
        assert_eq!(
            self.cached(folder),
            server_view(phone, folder).await,
            "the cache of {folder} differs from the server"
        );
    }

    /// A second client ("the user's phone") logged in as alice.
    pub async fn phone(&self) -> ImapConnection {
        ImapConnection::connect(
            &plain_settings(self.server.port, "alice"),
            &Password::new("alice-pw"),
            Timeouts::default(),
        )
        .await
        .expect("phone connects")
    }

    /// The cache's view of a folder: UID -> (flags, subject).
    pub fn cached(&self, folder: &str) -> BTreeMap<u32, (String, String)> {
        cached_view(&self.store, &self.account, folder)
    }
}

/// `account`'s cached `folder` in `store`: UID -> (flags, subject).
pub fn cached_view(
    store: &Mutex<Store>,
    account: &Account,
    folder: &str,
) -> BTreeMap<u32, (String, String)> {
    let store = store.lock().expect("store lock");
    let folder = store
        .folder_by_name(account.id, folder)
        .expect("lookup")
        .expect("folder cached");
    store
        .message_rows(folder.id)
        .expect("rows")
        .into_iter()
        .map(|row| (row.uid.0, (row.flags.to_string(), row.subject)))
        .collect()
}

pub fn plain_settings(port: u16, user: &str) -> ConnectSettings {
    ConnectSettings {
        host: "127.0.0.1".into(),
        port,
        security: Security::Plain,
        username: user.into(),
        ca_file: None,
        allow_plaintext: false,
    }
}

/// The server's view of a folder: UID -> (flags, decoded subject), read over IMAP.
/// The error connecting with `settings` and `password` must give (`why`: why it must fail).
pub async fn refused(
    settings: &ConnectSettings,
    password: &Password,
    why: String,
) -> mail_engine::EngineError {
    match ImapConnection::connect(settings, password, Timeouts::default()).await {
        Ok(_) => panic!("{why}"),
        Err(error) => error,
    }
}

/// Runs `command` on `connection`; the server must answer OK.
pub async fn command(connection: &mut ImapConnection, command: &str) {
    connection
        .execute(command, |_| Ok(()))
        .await
        .unwrap_or_else(|error| panic!("{command}: {error}"))
        .require_ok(command)
        .unwrap_or_else(|error| panic!("{command}: {error}"));
}

pub async fn server_view(
    phone: &mut ImapConnection,
    folder: &str,
) -> BTreeMap<u32, (String, String)> {
    phone
        .select(folder, SelectMode::ReadOnly)
        .await
        .expect("examine");
    let mut view = BTreeMap::new();
    phone
        .execute("UID FETCH 1:* (UID FLAGS ENVELOPE)", |response| {
            if let Response::Fetch(_, attributes) = response {
                let mut uid = None;
                let mut flags = Flags::new();
                let mut subject = String::new();
                for attribute in attributes {
                    match attribute {
                        AttributeValue::Uid(value) => uid = Some(*value),
                        AttributeValue::Flags(list) => flags = Flags::from_server(list.iter()),
                        AttributeValue::Envelope(envelope) => {
                            subject = envelope
                                .subject
                                .as_deref()
                                .map(mail_message::decode_header_text)
                                .unwrap_or_default()
                        }
                        _ => {}
                    }
                }
                if let Some(uid) = uid {
                    view.insert(uid, (flags.to_string(), subject));
                }
            }
            Ok(())
        })
        .await
        .expect("fetch")
        .require_ok("fetch")
        .expect("fetch ok");
    view
}

/// Appends a generated message (with LITERAL+ in one round trip where the server has it)
/// and returns nothing; the UID is learned by syncing.
pub async fn append(phone: &mut ImapConnection, folder: &str, index: u64) {
    let bytes = tern_testkit::messages::message(index, 1_800_000_000 + index as i64);
    phone.append(folder, "()", &bytes).await.expect("append");
}

/// Appends `message` as it is to `folder` (LITERAL+, one round trip).
pub async fn append_raw(phone: &mut ImapConnection, folder: &str, message: &str) {
    phone
        .execute(
            &format!("APPEND {folder} {{{}+}}\r\n{message}", message.len()),
            |_| Ok(()),
        )
        .await
        .expect("append")
        .require_ok("append")
        .expect("appended");
}

/// INBOX and `count - 1` folders `Folder 01`, `Folder 02`, … created through the phone,
/// each given `each` generated messages; returns their names, INBOX first.
pub async fn inbox_and_folders(phone: &mut ImapConnection, count: u64, each: u64) -> Vec<String> {
    let mut names = vec!["INBOX".to_string()];
    for n in 1..count {
        let name = format!("Folder {n:02}");
        command(phone, &format!("CREATE \"{name}\"")).await;
        for index in 0..each {
            append(phone, &name, n * 10 + index).await;
        }
        names.push(name);
    }
    names
}

/// UID STORE on the phone (it selects read-write itself).
pub async fn store_flag(
    phone: &mut ImapConnection,
    folder: &str,
    uids: &[u32],
    flag: &str,
    add: bool,
) {
    let uids: Vec<Uid> = uids.iter().copied().map(Uid).collect();
    let operation = if add {
        mail_engine::FlagOperation::Add(flag)
    } else {
        mail_engine::FlagOperation::Remove(flag)
    };
    phone
        .uid_store(folder, &uids, operation)
        .await
        .expect("store");
}

/// Expunges messages through the phone (read-write selection, \Deleted, UID EXPUNGE).
pub async fn expunge(phone: &mut ImapConnection, folder: &str, uids: &[u32]) {
    store_flag(phone, folder, uids, "\\Deleted", true).await;
    let set = mail_sync::compress_uids(&uids.iter().copied().map(Uid).collect::<Vec<_>>());
    phone
        .execute(&format!("UID EXPUNGE {set}"), |_| Ok(()))
        .await
        .expect("expunge")
        .require_ok("expunge")
        .expect("expunge ok");
}

/// How long a test waits for an engine event.
pub const EVENT_DEADLINE: Duration = Duration::from_secs(15);

/// Receives events until one matches, returning it and everything seen before it.
pub async fn expect_event(
    events: &mut Receiver<EngineEvent>,
    what: &str,
    matches: impl Fn(&EngineEvent) -> bool,
) -> (EngineEvent, Vec<EngineEvent>) {
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + EVENT_DEADLINE;
    loop {
        let event = tokio::time::timeout_at(deadline, events.recv())
            .await
            .unwrap_or_else(|_| panic!("no {what} within {EVENT_DEADLINE:?}; saw {seen:#?}"))
            .expect("event stream");
        if matches(&event) {
            return (event, seen);
        }
        seen.push(event);
    }
}

/// Subscribes to events, watches INBOX and waits until the watcher is live.
pub async fn watch_inbox_until_live(
    engine: &std::sync::Arc<mail_engine::Engine>,
) -> (Receiver<EngineEvent>, mail_engine::WatchSubscription) {
    let mut events = engine.subscribe();
    let watch = engine.watch("INBOX");
    expect_state(&mut events, ConnectivityState::Live).await;
    (events, watch)
}

/// Waits for the engine to say it is `wanted` (connecting, live, offline…).
pub async fn expect_state(
    events: &mut Receiver<EngineEvent>,
    wanted: ConnectivityState,
) -> (EngineEvent, Vec<EngineEvent>) {
    expect_event(events, &format!("{wanted:?}"), |event| {
        is_state(event, wanted)
    })
    .await
}

pub fn is_state(event: &EngineEvent, wanted: ConnectivityState) -> bool {
    matches!(event, EngineEvent::Connectivity { state, .. } if *state == wanted)
}
