//! Connection behaviour against a real Dovecot: TLS, policy, login errors, select modes, and
//! broken connections that must never look like empty mailboxes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{plain_settings, server_view, Harness};
use mail_engine::{
    ConnectSettings, ErrorKind, FlagOperation, ImapConnection, Password, SelectMode, Timeouts,
};
use mail_store::Security;
use mail_sync::Uid;
use tern_testkit::Proxy;

fn tls_settings(
    port: u16,
    security: Security,
    ca_file: Option<std::path::PathBuf>,
) -> ConnectSettings {
    ConnectSettings {
        host: "127.0.0.1".into(),
        port,
        security,
        username: "alice".into(),
        ca_file,
        allow_plaintext: false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_with_the_servers_ca_file_works_and_without_it_is_refused() {
    let harness = Harness::new(2);
    let password = Password::new("alice-pw");
    let ca = Some(harness.server.ca_file());

    for (port, security) in [
        (harness.server.tls_port, Security::Tls),
        (harness.server.port, Security::StartTls),
    ] {
        let mut connection = ImapConnection::connect(
            &tls_settings(port, security, ca.clone()),
            &password,
            Timeouts::default(),
        )
        .await
        .unwrap_or_else(|error| panic!("{security:?} with the CA file: {error}"));
        let inbox = connection.select("INBOX", SelectMode::ReadOnly).await;
        assert_eq!(inbox.expect("examine").exists, 2, "{security:?}");
    }

    for (port, security) in [
        (harness.server.tls_port, Security::Tls),
        (harness.server.port, Security::StartTls),
    ] {
        let error = common::refused(
            &tls_settings(port, security, None),
            &password,
            format!("{security:?} without the CA file must be refused"),
        )
        .await;
        assert_eq!(error.kind, ErrorKind::Tls, "{error}");
        assert!(error.to_string().contains("certificate"), "{error}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plaintext_to_a_remote_host_is_refused_before_connecting() {
    // 192.0.2.0/24 is TEST-NET-1: nothing is sent, the policy check comes first.
    let mut settings = plain_settings(143, "alice");
    settings.host = "192.0.2.10".into();
    let error =
        match ImapConnection::connect(&settings, &Password::new("secret-pw"), Timeouts::default())
            .await
        {
            Ok(_) => panic!("plaintext to a remote host must be refused"),
            Err(error) => error,
        };
    assert_eq!(error.kind, ErrorKind::Policy);
    assert!(!error.to_string().contains("secret-pw"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_is_an_authentication_error_that_does_not_leak_it() {
    let harness = Harness::new(0);
    let error = common::refused(
        &plain_settings(harness.server.port, "alice"),
        &Password::new("wrong-pw-123"),
        "a wrong password must fail".into(),
    )
    .await;
    assert_eq!(error.kind, ErrorKind::Authentication, "{error}");
    assert!(!format!("{error} {error:?}").contains("wrong-pw-123"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flag_written_after_examine_reaches_the_server() {
    let harness = Harness::new(5);
    let mut phone = harness.phone().await;
    let mut connection = harness.phone().await;

    // The trap this guards against: a raw STORE after EXAMINE is answered OK and ignored.
    connection
        .select("INBOX", SelectMode::ReadOnly)
        .await
        .expect("examine");
    let tagged = connection
        .execute("UID STORE 2 +FLAGS.SILENT (\\Flagged)", |_| Ok(()))
        .await
        .expect("raw store");
    assert!(tagged.is_ok(), "Dovecot answers OK to STORE after EXAMINE");
    assert!(
        !server_view(&mut phone, "INBOX").await[&2]
            .0
            .contains("\\Flagged"),
        "…and ignores it"
    );

    // uid_store knows the folder was only EXAMINEd and re-SELECTs it read-write.
    connection
        .select("INBOX", SelectMode::ReadOnly)
        .await
        .expect("examine");
    assert_eq!(
        connection.selected().map(|selected| selected.mode),
        Some(SelectMode::ReadOnly)
    );
    connection
        .uid_store("INBOX", &[Uid(2)], FlagOperation::Add("\\Flagged"))
        .await
        .expect("store");
    assert_eq!(
        connection.selected().map(|selected| selected.mode),
        Some(SelectMode::ReadWrite)
    );
    assert!(server_view(&mut phone, "INBOX").await[&2]
        .0
        .contains("\\Flagged"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_in_the_middle_of_an_initial_sync_resumes_without_duplicates_or_holes() {
    let harness = Harness::new(4_000);
    let (proxy, engine) = harness.engine_via_proxy(common::options()).await;
    engine.refresh_folders().await.expect("connect and list");

    // Cut the connection after ~1 MB of headers (about 40 %) and refuse the engine's reconnects.
    proxy.refuse_new(true);
    proxy.cut_after_server_bytes(1_000_000);
    let error = engine
        .sync_folder("INBOX", None)
        .await
        .expect_err("the cut sync fails");
    assert_eq!(error.kind, ErrorKind::Network, "{error}");

    let partial = harness.cached("INBOX");
    assert!(
        !partial.is_empty() && partial.len() < 4_000,
        "partial: {}",
        partial.len()
    );
    {
        let store = harness.store.lock().expect("lock");
        let inbox = store
            .folder_by_name(harness.account.id, "INBOX")
            .expect("lookup")
            .expect("inbox");
        let meta = store
            .sync_meta(inbox.id)
            .expect("meta")
            .expect("meta exists");
        let low = meta
            .initial_low_uid
            .expect("the initial sync is marked incomplete");
        // Newest first: what was saved is exactly the top of the folder, from the mark up.
        assert_eq!(*partial.keys().next().expect("rows"), low.0);
        assert_eq!(*partial.keys().next_back().expect("rows"), 4_000);
        assert_eq!(partial.len() as u32, 4_000 - low.0 + 1);
    }

    proxy.refuse_new(false);
    let report = engine
        .sync_folder("INBOX", None)
        .await
        .expect("resumed sync");
    assert_eq!(report.strategy, mail_sync::Strategy::Initial);
    assert_eq!(report.added + partial.len(), 4_000, "{report:?}");
    let mut phone = harness.phone().await;
    harness.assert_cache_is_server(&mut phone, "INBOX").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_connection_is_an_error_and_leaves_the_cache_untouched() {
    let harness = Harness::new(50);
    let proxy = Proxy::start(harness.server.port).await.expect("proxy");
    let mut options = common::options();
    options.timeouts = Timeouts {
        connect: Duration::from_secs(2),
        response: Duration::from_secs(1),
    };
    let engine = harness.engine(Some(proxy.port), options);
    engine
        .sync_folder("INBOX", None)
        .await
        .expect("initial sync");
    let before = harness.cached("INBOX");

    proxy.stall(true);
    let error = engine
        .sync_folder("INBOX", None)
        .await
        .expect_err("a stalled server fails the sync");
    assert_eq!(error.kind, ErrorKind::Network, "{error}");
    assert_eq!(
        harness.cached("INBOX"),
        before,
        "a dead connection is never an empty mailbox"
    );

    proxy.stall(false);
    proxy.cut_all();
    let report = engine
        .sync_folder("INBOX", None)
        .await
        .expect("sync after the network is back");
    assert_eq!(report.total, 50);
    assert_eq!(harness.cached("INBOX"), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_vanishes_mid_delta_is_never_read_as_empty() {
    let harness = Harness::new(30);
    let (proxy, engine) = harness.engine_via_proxy(common::options()).await;
    engine
        .sync_folder("INBOX", Some(mail_sync::Strategy::UidFlags))
        .await
        .expect("initial");
    let before = harness.cached("INBOX");
    // The flags-only listing is cut a few hundred bytes in; reconnects are refused.
    proxy.refuse_new(true);
    proxy.cut_after_server_bytes(400);
    let error = engine
        .sync_folder("INBOX", Some(mail_sync::Strategy::UidFlags))
        .await
        .expect_err("cut delta fails");
    assert!(error.is_connection_failure(), "{error}");
    assert_eq!(harness.cached("INBOX"), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_warm_connection_is_reused_and_a_dead_one_replaced() {
    let harness = Harness::new(10);
    let proxy = Proxy::start(harness.server.port).await.expect("proxy");

    // Inside the freshness window the warm connection is used as it is: one connection.
    let engine = harness.engine(Some(proxy.port), common::options());
    engine.sync_folder("INBOX", None).await.expect("first");
    let again = engine.sync_folder("INBOX", None).await.expect("second");
    assert_eq!(
        again.round_trips, 1,
        "no probe inside the freshness window: {again:?}"
    );
    assert_eq!(proxy.accepted(), 1);

    // Keepalive on an idle connection that died drops it; the next request reconnects.
    let mut options = common::options();
    options.keepalive_interval = Duration::ZERO;
    let keepalive_engine = harness.engine(Some(proxy.port), options);
    keepalive_engine
        .sync_folder("INBOX", None)
        .await
        .expect("sync");
    assert_eq!(proxy.accepted(), 2);
    keepalive_engine
        .keepalive()
        .await
        .expect("keepalive on a live connection");
    assert_eq!(proxy.accepted(), 2, "a live connection survives keepalive");
    proxy.cut_all();
    keepalive_engine
        .keepalive()
        .await
        .expect("keepalive notices the cut");
    let report = keepalive_engine
        .sync_folder("INBOX", None)
        .await
        .expect("sync after reconnect");
    assert_eq!(report.total, 10);
    assert_eq!(proxy.accepted(), 3, "exactly one new connection");

    // Past the freshness window a dead connection is found by the probe, not by a failed sync.
    let mut options = common::options();
    options.freshness = Duration::ZERO;
    let probing = harness.engine(Some(proxy.port), options);
    probing.sync_folder("INBOX", None).await.expect("sync");
    let accepted = proxy.accepted();
    proxy.cut_all();
    let report = probing
        .sync_folder("INBOX", None)
        .await
        .expect("sync after a cut while idle");
    assert_eq!(
        report.round_trips, 1,
        "the probe replaced the connection before the sync: {report:?}"
    );
    assert_eq!(proxy.accepted(), accepted + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_self_signed_server_certificate_can_be_pinned_with_the_ca_file() {
    let server = tern_testkit::Dovecot::start_self_signed().expect("dovecot");
    let password = Password::new("alice-pw");
    let pinned = Some(server.ca_file());
    for (port, security) in [
        (server.tls_port, Security::Tls),
        (server.port, Security::StartTls),
    ] {
        let mut connection = ImapConnection::connect(
            &tls_settings(port, security, pinned.clone()),
            &password,
            Timeouts::default(),
        )
        .await
        .expect("the pinned self-signed certificate is trusted");
        connection
            .select("INBOX", SelectMode::ReadOnly)
            .await
            .expect("examine");
        let error = common::refused(
            &tls_settings(port, security, None),
            &password,
            format!("{security:?}: an unpinned self-signed certificate must be refused"),
        )
        .await;
        assert_eq!(error.kind, ErrorKind::Tls, "{error}");
    }
    // Pinning one certificate does not trust another: the CA-signed test server is refused.
    let other = tern_testkit::Dovecot::start().expect("second dovecot");
    let error = common::refused(
        &tls_settings(other.tls_port, Security::Tls, pinned),
        &password,
        "a pin must not trust a different server".into(),
    )
    .await;
    assert_eq!(error.kind, ErrorKind::Tls, "{error}");
}
