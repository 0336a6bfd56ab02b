//! Folder watchers against a real Dovecot: pushes become events and delta syncs, watchers
//! are shared and torn down, cuts and server restarts are survived without losing changes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{
    append, expect_event, expect_state, expunge, is_state, store_flag, watch_inbox_until_live,
    Harness,
};
use mail_engine::{ConnectivityState, EngineEvent, EngineOptions, ImapConnection};
use tern_testkit::{wait_until, Proxy};

/// Dovecot delays IDLE pushes by ~0.5 s; everything here waits with generous deadlines.
const DEADLINE: Duration = Duration::from_secs(15);

fn watch_options() -> EngineOptions {
    EngineOptions {
        reconnect_initial: Duration::from_millis(100),
        reconnect_max: Duration::from_millis(800),
        ..common::options()
    }
}

/// `watch_options()` polling (folders without a watch connection) every `interval`.
fn polling_every(interval: Duration) -> EngineOptions {
    EngineOptions {
        poll_interval: interval,
        ..watch_options()
    }
}

/// The UIDs of the new_mail events among `events`, in order.
fn new_mail_uids(events: &[EngineEvent]) -> Vec<u32> {
    events
        .iter()
        .filter_map(|event| match event {
            EngineEvent::NewMail { uid, .. } => Some(*uid),
            _ => None,
        })
        .collect()
}

fn is_new_mail(event: &EngineEvent) -> bool {
    matches!(event, EngineEvent::NewMail { .. })
}

/// Alice's IMAP connections as Dovecot counts them.
fn server_connections(harness: &Harness) -> usize {
    harness
        .server
        .doveadm(&["who", "-1"])
        .expect("doveadm who")
        .lines()
        .filter(|line| line.starts_with("alice"))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushes_from_another_client_become_events_and_the_cache_follows() {
    let (harness, engine) = Harness::synced_with(20, watch_options()).await;
    let mut events = engine.subscribe();
    let _watch = engine.watch("INBOX");
    let (_, before_live) = expect_state(&mut events, ConnectivityState::Live).await;
    assert!(
        before_live
            .iter()
            .any(|event| is_state(event, ConnectivityState::Connecting)),
        "connecting comes first: {before_live:?}"
    );
    assert!(
        !before_live.iter().any(is_new_mail),
        "the catch-up at start announces nothing"
    );

    let mut phone = harness.phone().await;
    append(&mut phone, "INBOX", 900).await;
    let (new_mail, seen) = expect_event(&mut events, "new mail", is_new_mail).await;
    let EngineEvent::NewMail {
        folder,
        uid,
        subject,
        from_address,
        ..
    } = new_mail
    else {
        unreachable!()
    };
    assert_eq!(folder, "INBOX");
    assert_eq!(uid, 21);
    assert_eq!(subject, tern_testkit::messages::subject(900));
    assert!(!from_address.is_empty());
    assert!(
        seen.iter().any(|event| matches!(
            event,
            EngineEvent::FolderChanged {
                added: 1,
                total: 21,
                ..
            }
        )),
        "folder_changed for the arrival: {seen:?}"
    );

    store_flag(&mut phone, "INBOX", &[3], "\\Flagged", true).await;
    expect_event(&mut events, "flag change", |event| {
        matches!(
            event,
            EngineEvent::FolderChanged {
                flags_changed: 1,
                added: 0,
                ..
            }
        )
    })
    .await;
    expunge(&mut phone, "INBOX", &[5, 6]).await;
    let (_, seen) = expect_event(&mut events, "expunge", |event| {
        matches!(
            event,
            EngineEvent::FolderChanged {
                removed: 2,
                total: 19,
                ..
            }
        )
    })
    .await;
    assert!(!seen.iter().any(is_new_mail));
    harness.assert_cache_is_server(&mut phone, "INBOX").await;
    engine.shutdown().await;
}

/// Arrivals are fetched on the watch connection as soon as they are pushed, then confirmed
/// by a delta sync: each is announced exactly once, one read elsewhere is not announced, and
/// the cache ends equal to the server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_arrival_is_announced_once_and_one_already_read_is_not() {
    let (harness, engine) = Harness::synced_with(5, watch_options()).await;
    let (mut events, _watch) = watch_inbox_until_live(&engine).await;
    let mut phone = harness.phone().await;
    let mut seen = Vec::new();
    for index in 0..4u64 {
        append(&mut phone, "INBOX", 500 + index).await;
        let (event, before) = expect_event(&mut events, "new mail", is_new_mail).await;
        seen.extend(before);
        seen.push(event);
    }
    // Read on another device before it arrived here: counted, never announced.
    let text = String::from_utf8(tern_testkit::messages::message(600, 1_800_000_600)).unwrap();
    phone
        .execute(
            &format!("APPEND INBOX (\\Seen) {{{}+}}\r\n{text}", text.len()),
            |_| Ok(()),
        )
        .await
        .unwrap()
        .require_ok("append seen")
        .unwrap();
    let (event, before) = expect_event(&mut events, "the read arrival", |event| {
        matches!(event, EngineEvent::FolderChanged { total: 10, .. })
    })
    .await;
    seen.extend(before);
    seen.push(event);
    // The syncer runs one delta at a time: once this flag change is reported, the deltas
    // confirming the arrivals have run too.
    store_flag(&mut phone, "INBOX", &[1], "$TernMark", true).await;
    let (_, before) = expect_event(&mut events, "the flag change", |event| {
        matches!(
            event,
            EngineEvent::FolderChanged {
                flags_changed: 1,
                ..
            }
        )
    })
    .await;
    seen.extend(before);
    assert_eq!(
        new_mail_uids(&seen),
        vec![6, 7, 8, 9],
        "each once: {seen:#?}"
    );
    let added: usize = seen
        .iter()
        .map(|event| match event {
            EngineEvent::FolderChanged { added, .. } => *added,
            _ => 0,
        })
        .sum();
    assert_eq!(added, 5, "every arrival counted once: {seen:#?}");
    harness.assert_cache_is_server(&mut phone, "INBOX").await;
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribers_share_one_idle_connection_that_closes_when_the_last_leaves() {
    let (harness, proxy, engine) = Harness::synced_via_proxy(5, watch_options()).await;
    assert_eq!(proxy.accepted(), 1, "the request connection");
    let base = server_connections(&harness);

    let mut events = engine.subscribe();
    let first = engine.watch("INBOX");
    expect_state(&mut events, ConnectivityState::Live).await;
    let second = engine.watch("INBOX");
    assert_eq!(engine.watch_subscribers("INBOX"), 2);
    assert_eq!(
        proxy.accepted(),
        2,
        "one watch connection for both subscribers"
    );
    wait_until(
        "Dovecot to count the watch connection",
        DEADLINE,
        || async { server_connections(&harness) == base + 1 },
    )
    .await
    .expect("one more connection");

    // Both subscribers see the same push.
    let mut other_events = engine.subscribe();
    let mut phone = harness.phone().await;
    append(&mut phone, "INBOX", 1).await;
    expect_event(&mut events, "new mail (first)", is_new_mail).await;
    expect_event(&mut other_events, "new mail (second)", is_new_mail).await;

    drop(first);
    assert_eq!(engine.watch_subscribers("INBOX"), 1);
    drop(second);
    assert_eq!(engine.watch_subscribers("INBOX"), 0);
    wait_until("the watch connection to close", DEADLINE, || async {
        // The watch connection is gone; the phone is one of alice's connections now.
        server_connections(&harness) == base + 1
    })
    .await
    .expect("closed");
    assert_eq!(proxy.accepted(), 2, "nothing reconnected");
    drop(phone);
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_watch_connection_reconnects_and_catches_up() {
    let (harness, proxy, engine) = Harness::synced_via_proxy(10, watch_options()).await;
    let (mut events, _watch) = watch_inbox_until_live(&engine).await;

    // Cut everything and keep the proxy closed while mail arrives.
    proxy.refuse_new(true);
    proxy.cut_all();
    expect_state(&mut events, ConnectivityState::Connecting).await;
    let mut phone = harness.phone().await;
    append(&mut phone, "INBOX", 500).await;
    append(&mut phone, "INBOX", 501).await;
    store_flag(&mut phone, "INBOX", &[1], "\\Seen", true).await;
    expect_state(&mut events, ConnectivityState::Offline).await;

    proxy.refuse_new(false);
    let (_, seen) = expect_state(&mut events, ConnectivityState::Live).await;
    let arrived: Vec<u32> = new_mail_uids(&seen);
    assert_eq!(
        arrived,
        vec![11, 12],
        "mail that came while cut off is new mail"
    );
    harness.assert_cache_is_server(&mut phone, "INBOX").await;
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_restart_goes_offline_then_live_and_loses_nothing() {
    let (mut harness, engine) = Harness::synced_with(10, watch_options()).await;
    let (mut events, _watch) = watch_inbox_until_live(&engine).await;

    harness.server.stop().expect("stop dovecot");
    expect_state(&mut events, ConnectivityState::Connecting).await;
    expect_state(&mut events, ConnectivityState::Offline).await;
    // Mail delivered while the IMAP server was down (straight into its Maildir, as a
    // delivery agent would; Dovecot indexes it when it next looks).
    tern_testkit::seed::write_maildir(&harness.server.maildir("alice"), "INBOX", 10, 3)
        .expect("deliver while down");
    harness.server.restart().expect("restart dovecot");
    let (_, seen) = expect_state(&mut events, ConnectivityState::Live).await;
    assert!(
        seen.iter()
            .any(|event| is_state(event, ConnectivityState::Connecting)),
        "{seen:?}"
    );
    // Seeded message 12 arrives already \Seen (read elsewhere): not announced as new mail.
    let arrived: Vec<u32> = new_mail_uids(&seen);
    assert_eq!(arrived, vec![11, 12], "UIDs of seeded messages 10 and 11");
    let mut phone = harness.phone().await;
    harness.assert_cache_is_server(&mut phone, "INBOX").await;
    assert_eq!(harness.cached("INBOX").len(), 13);
    engine.shutdown().await;
}

/// Appends `count` messages in one MULTIAPPEND command (LITERAL+).
async fn append_many(phone: &mut ImapConnection, count: u64) {
    let mut command = String::from("APPEND INBOX");
    for index in 0..count {
        let bytes = tern_testkit::messages::message(10_000 + index, 1_800_000_000);
        let text = String::from_utf8(bytes).expect("utf-8");
        command.push_str(&format!(" {{{}+}}\r\n{text}", text.len()));
    }
    phone
        .execute(&command, |_| Ok(()))
        .await
        .expect("multiappend")
        .require_ok("multiappend")
        .expect("multiappend ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_a_thousand_arrivals_takes_a_few_delta_syncs() {
    let (harness, engine) = Harness::synced_with(10, watch_options()).await;
    let (mut events, _watch) = watch_inbox_until_live(&engine).await;
    let mut phone = harness.phone().await;
    for _ in 0..4 {
        append_many(&mut phone, 250).await;
    }
    let (_, seen) = expect_event(&mut events, "the last of the burst", |event| {
        matches!(event, EngineEvent::FolderChanged { total: 1010, .. })
    })
    .await;
    let syncs = seen
        .iter()
        .filter(|event| matches!(event, EngineEvent::FolderChanged { .. }))
        .count()
        + 1;
    let mut announced: Vec<u32> = new_mail_uids(&seen);
    // The last sync's new-mail events follow its folder_changed.
    while announced.len() < 1000 {
        let (event, _) = expect_event(&mut events, "the rest of the new mail", is_new_mail).await;
        if let EngineEvent::NewMail { uid, .. } = event {
            announced.push(uid);
        }
    }
    announced.sort_unstable();
    announced.dedup();
    assert_eq!(announced, (11..=1010).collect::<Vec<u32>>(), "each once");
    assert!(syncs <= 12, "{syncs} delta syncs for 1,000 arrivals");
    harness.assert_cache_is_server(&mut phone, "INBOX").await;
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_is_renewed_and_an_unanswered_done_means_a_dead_connection() {
    let harness = Harness::new(3);
    let proxy = Proxy::start(harness.server.port).await.expect("proxy");
    let options = EngineOptions {
        idle_renewal: Duration::from_millis(300),
        idle_done_timeout: Duration::from_millis(500),
        ..watch_options()
    };
    let engine = harness.engine(Some(proxy.port), options);
    engine.sync_folder("INBOX", None).await.expect("sync");
    let (mut events, _watch) = watch_inbox_until_live(&engine).await;
    let mut phone = harness.phone().await;
    // Several renewals (DONE + IDLE every 300 ms) pass while this message is on its way.
    append(&mut phone, "INBOX", 40).await;
    expect_event(&mut events, "new mail across renewals", is_new_mail).await;
    let connections_before_stall = proxy.accepted();

    // A silent network: the next DONE gets no answer, which must count as a dead connection.
    proxy.stall_when_client_sends("DONE\r\n");
    let (event, _) = expect_event(
        &mut events,
        "connecting after an unanswered DONE",
        |event| is_state(event, ConnectivityState::Connecting),
    )
    .await;
    let EngineEvent::Connectivity { reason, .. } = event else {
        unreachable!()
    };
    let reason = reason.expect("a reason");
    assert!(reason.contains("DONE"), "{reason}");
    proxy.stall(false);
    expect_state(&mut events, ConnectivityState::Live).await;
    assert!(
        proxy.accepted() > connections_before_stall,
        "it reconnected"
    );
    append(&mut phone, "INBOX", 41).await;
    expect_event(&mut events, "new mail after reconnecting", is_new_mail).await;
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_without_idle_is_polled() {
    // Dovecot's own list minus IDLE (it would still accept IDLE; Tern must not use it).
    let server = tern_testkit::Dovecot::start_without(&["IDLE"]).expect("dovecot without IDLE");
    let harness = Harness::on(server, 3);
    let engine = harness.engine(None, polling_every(Duration::from_millis(200)));
    engine.sync_folder("INBOX", None).await.expect("sync");
    let mut phone = harness.phone().await;
    assert!(!phone.has_capability("IDLE"), "the test server hides IDLE");
    let (mut events, _watch) = watch_inbox_until_live(&engine).await;
    append(&mut phone, "INBOX", 60).await;
    let (event, _) = expect_event(&mut events, "new mail by polling", is_new_mail).await;
    assert!(
        matches!(event, EngineEvent::NewMail { uid: 4, .. }),
        "{event:?}"
    );
    harness.assert_cache_is_server(&mut phone, "INBOX").await;
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_password_is_offline_with_a_reason_that_never_shows_the_password() {
    let harness = Harness::new(1);
    let mut account = harness.account.clone();
    account.imap_port = harness.server.port;
    let engine = std::sync::Arc::new(mail_engine::Engine::new(
        harness.store.clone(),
        account,
        mail_engine::Password::new("not-alices-secret"),
        watch_options(),
    ));
    let mut events = engine.subscribe();
    let _watch = engine.watch("INBOX");
    let (event, _) = expect_state(&mut events, ConnectivityState::Offline).await;
    let EngineEvent::Connectivity { reason, .. } = event else {
        unreachable!()
    };
    let reason = reason.expect("a reason");
    assert!(reason.contains("Login"), "{reason}");
    assert!(!reason.contains("not-alices-secret"), "{reason}");
    let json = serde_json::to_string(&EngineEvent::Connectivity {
        account: "a".into(),
        state: ConnectivityState::Offline,
        reason: Some(reason),
    })
    .expect("json");
    assert!(!json.contains("not-alices-secret"));
    engine.shutdown().await;
}

/// What `work` returns, and the most connections `harness`'s alice held while it ran.
async fn most_connections_during<T>(
    harness: &Harness,
    work: impl std::future::Future<Output = T>,
) -> (usize, T) {
    let mut most = 0;
    // Sampled every 50 ms while `work` runs (a sampling rate, not a wait for anything).
    let mut every = tokio::time::interval(Duration::from_millis(50));
    let sampling = async {
        loop {
            every.tick().await;
            most = most.max(server_connections(harness));
        }
    };
    let output = tokio::select! {
        output = work => output,
        never = sampling => never,
    };
    (most.max(server_connections(harness)), output)
}

/// Whether `folder` is cached with `count` messages.
fn cached_with(harness: &Harness, folder: &str, count: usize) -> bool {
    let store = harness.store.lock().expect("store");
    store
        .folder_by_name(harness.account.id, folder)
        .ok()
        .flatten()
        .is_some_and(|folder| {
            store
                .message_rows(folder.id)
                .is_ok_and(|rows| rows.len() == count)
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_folders_watched_hold_at_most_the_budget_and_a_change_in_any_still_arrives() {
    let mut harness = Harness::new(1);
    harness.account.max_connections = 4;
    let mut phone = harness.phone().await;
    let names = common::inbox_and_folders(&mut phone, 30, 1).await;
    phone.logout().await;
    wait_until("the phone has gone", DEADLINE, || async {
        server_connections(&harness) == 0
    })
    .await
    .expect("no connection left");
    let engine = harness.engine(None, polling_every(Duration::from_millis(500)));
    engine.refresh_folders().await.expect("folders");

    // Every folder watched, INBOX first; each is caught up on a connection of its own or
    // polled on the request connection.
    let (most, _watches) = most_connections_during(&harness, async {
        let watches: Vec<_> = names.iter().map(|name| engine.watch(name)).collect();
        wait_until("every folder cached", DEADLINE, || async {
            names.iter().all(|name| cached_with(&harness, name, 1))
        })
        .await
        .expect("caught up");
        wait_until("the budget used", DEADLINE, || async {
            server_connections(&harness) == 4
        })
        .await
        .expect("three watchers on IDLE beside the request connection");
        watches
    })
    .await;
    println!("30 folders watched with a budget of 4: at most {most} connections at the server");
    assert!(most <= 4, "{most} connections for a budget of 4");
    let mut events = engine.subscribe();

    // A change in a folder on IDLE and in polled ones all reach the cache and the events.
    let (most, ()) = most_connections_during(&harness, async {
        let mut phone = harness.phone().await;
        append(&mut phone, "INBOX", 100).await;
        append(&mut phone, "Folder 29", 129).await;
        store_flag(&mut phone, "Folder 17", &[1], "\\Flagged", true).await;
        phone.logout().await;
        let mut arrived = std::collections::BTreeSet::new();
        let mut flagged = false;
        while arrived.len() < 2 || !flagged {
            let (event, _) = expect_event(&mut events, "the changes", |event| {
                matches!(event, EngineEvent::FolderChanged { added, flags_changed, .. }
                    if *added > 0 || *flags_changed > 0)
            })
            .await;
            if let EngineEvent::FolderChanged {
                folder,
                added,
                flags_changed,
                ..
            } = event
            {
                if added > 0 {
                    arrived.insert(folder.clone());
                }
                flagged |= folder == "Folder 17" && flags_changed > 0;
            }
        }
        assert_eq!(
            arrived,
            ["Folder 29", "INBOX"]
                .iter()
                .map(|name| name.to_string())
                .collect()
        );
    })
    .await;
    assert!(
        most <= 5,
        "{most} connections: the phone's and at most 4 of the engine's"
    );
    assert_eq!(harness.cached("Folder 29").len(), 2);
    assert_eq!(harness.cached("INBOX").len(), 2);
    assert!(harness.cached("Folder 17")[&1].0.contains("\\Flagged"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watcher_without_a_connection_takes_the_one_another_watcher_gives_back() {
    let mut harness = Harness::new(1);
    harness.account.max_connections = 2;
    {
        let mut phone = harness.phone().await;
        common::command(&mut phone, "CREATE Lists").await;
        phone.logout().await;
    }
    // Polling never comes in this test: only IDLE (or a new watch session) finds changes.
    let engine = harness.engine(None, polling_every(Duration::from_secs(3600)));
    engine.refresh_folders().await.expect("folders");
    let (mut events, inbox) = watch_inbox_until_live(&engine).await;
    // The folder on screen changes at once: the new watcher may find the old one still
    // holding the only watch connection, and polls until it is given back.
    let lists = engine.watch("Lists");
    drop(inbox);
    wait_until("Lists caught up", DEADLINE, || async {
        cached_with(&harness, "Lists", 0)
    })
    .await
    .expect("caught up");
    wait_until(
        "INBOX's connection gone, Lists' there",
        DEADLINE,
        || async { server_connections(&harness) == 2 },
    )
    .await
    .expect("one watch connection");
    let mut phone = harness.phone().await;
    append(&mut phone, "Lists", 5).await;
    expect_event(&mut events, "the new message in Lists", |event| {
        matches!(event, EngineEvent::FolderChanged { folder, added: 1, .. } if folder == "Lists")
    })
    .await;
    assert_eq!(harness.cached("Lists").len(), 1);
    drop(lists);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_budget_of_one_connection_inbox_is_polled_on_the_request_connection() {
    let mut harness = Harness::new(1);
    harness.account.max_connections = 1;
    let engine = harness.engine(None, polling_every(Duration::from_millis(300)));
    let (mut events, _watch) = watch_inbox_until_live(&engine).await;
    let mut phone = harness.phone().await;
    let (most, _) = most_connections_during(&harness, async {
        append(&mut phone, "INBOX", 7).await;
        expect_event(&mut events, "the new message", |event| {
            matches!(event, EngineEvent::FolderChanged { added: 1, .. })
        })
        .await
    })
    .await;
    // The phone's connection and the engine's one request connection.
    assert!(
        most <= 2,
        "{most} connections: the phone's and one of the engine's"
    );
    assert_eq!(harness.cached("INBOX").len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_notify_one_connection_brings_changes_in_every_folder() {
    let harness = Harness::new(1);
    let mut phone = harness.phone().await;
    let names = common::inbox_and_folders(&mut phone, 30, 1).await;
    // Polling never comes in this test: only NOTIFY can bring the other folders' changes.
    let engine = harness.engine(None, polling_every(Duration::from_secs(3600)));
    engine.refresh_folders().await.expect("folders");
    for name in &names {
        engine.sync_folder(name, None).await.expect("first sync");
    }
    let offered = engine.check_capabilities().await.expect("capabilities");
    println!("Dovecot offers {offered:?}");
    assert!(
        offered.notify,
        "Dovecot offers NOTIFY with mailbox_list_index"
    );
    let mut events = engine.subscribe();
    let _watch = engine.watch_with_notify("Folder 05", &["INBOX".to_string()]);
    expect_state(&mut events, ConnectivityState::Live).await;

    let changed_at = std::time::Instant::now();
    append(&mut phone, "Folder 17", 117).await;
    store_flag(&mut phone, "Folder 03", &[1], "\\Flagged", true).await;
    expunge(&mut phone, "Folder 20", &[1]).await;
    append(&mut phone, "INBOX", 100).await;
    append(&mut phone, "Folder 05", 105).await;
    let mut seen = std::collections::BTreeMap::new();
    let mut new_mail = Vec::new();
    while seen.len() < 5 || !new_mail.contains(&"INBOX".to_string()) {
        let (event, _) = expect_event(&mut events, "the changes", |event| {
            matches!(
                event,
                EngineEvent::FolderChanged { .. } | EngineEvent::NewMail { .. }
            )
        })
        .await;
        match event {
            EngineEvent::FolderChanged {
                folder,
                added,
                removed,
                flags_changed,
                ..
            } => {
                seen.insert(folder, (added, removed, flags_changed));
            }
            EngineEvent::NewMail { folder, .. } => new_mail.push(folder),
            _ => {}
        }
    }
    println!(
        "NOTIFY: changes in 5 folders reached the cache within {:?}",
        changed_at.elapsed()
    );
    assert_eq!(seen["Folder 17"], (1, 0, 0));
    assert_eq!(seen["Folder 03"], (0, 0, 1));
    assert_eq!(seen["Folder 20"], (0, 1, 0));
    assert_eq!(seen["INBOX"], (1, 0, 0));
    assert_eq!(seen["Folder 05"], (1, 0, 0));
    assert!(new_mail.contains(&"INBOX".to_string()), "{new_mail:?}");
    assert!(!new_mail.contains(&"Folder 17".to_string()), "{new_mail:?}");
    phone.logout().await;
    wait_until("the phone has gone", DEADLINE, || async {
        server_connections(&harness) == 2
    })
    .await
    .expect("the request connection and the one NOTIFY connection");
    assert_eq!(harness.cached("Folder 17").len(), 2);
}
