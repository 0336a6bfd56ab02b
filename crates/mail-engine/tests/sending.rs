//! Sending through a real Postfix on loopback that delivers into the real Dovecot over LMTP:
//! delivery with headers and attachments seen by the recipient's IDLE watcher, one copy in
//! Sent, STARTTLS and implicit TLS, the offline outbox delivered once when the MTA is back,
//! and a permanent refusal kept with the server's words.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{options, plain_settings, Harness};
use imap_proto::{AttributeValue, Response};
use mail_engine::{
    Engine, EngineEvent, ImapConnection, Password, SearchBound, SelectMode, SendOutcome, Timeouts,
};
use mail_message::{parse_message, Address, Draft, OutgoingAttachment};
use mail_store::{OutboxState, Security, SmtpServer};
use tern_testkit::{Dovecot, Postfix};

struct Mail {
    harness: Harness,
    postfix: Postfix,
}

fn mail_system() -> Mail {
    let dovecot = Dovecot::start_with_delivery().expect("dovecot with delivery");
    let postfix = Postfix::start(&dovecot).expect("postfix starts");
    let harness = Harness::on(dovecot, 0);
    Mail { harness, postfix }
}

impl Mail {
    fn alice(&self, security: Security, port: u16) -> Arc<Engine> {
        {
            let mut store = self.harness.store.lock().unwrap();
            store
                .set_smtp_server(
                    self.harness.account.id,
                    &SmtpServer {
                        host: "127.0.0.1".into(),
                        port,
                        security,
                        username: None,
                        allow_plaintext: false,
                        saves_sent: false,
                    },
                )
                .unwrap();
            store
                .set_display_name(self.harness.account.id, Some("Alice Sender"))
                .unwrap();
        }
        let mut account = self.harness.account.clone();
        account.ca_file = Some(self.harness.server.ca_file().display().to_string());
        self.harness.engine_for(account, options())
    }
}

/// An engine for bob (the recipient) with its own cache.
fn bob(server: &Dovecot) -> (tempfile::TempDir, Arc<Engine>) {
    let data = tempfile::tempdir().unwrap();
    let engine = tern_testkit::engine_for(data.path(), "bob", server.port, options()).unwrap();
    (data, engine)
}

/// The raw messages in `user`'s `folder` whose Message-ID is `id`.
async fn with_message_id(port: u16, user: &str, folder: &str, id: &str) -> Vec<Vec<u8>> {
    let mut connection = ImapConnection::connect(
        &plain_settings(port, user),
        &Password::new(format!("{user}-pw")),
        Timeouts::default(),
    )
    .await
    .unwrap();
    let selected = connection
        .select(folder, SelectMode::ReadOnly)
        .await
        .unwrap();
    let uids = connection
        .uid_search(
            &format!("HEADER Message-ID \"<{id}>\""),
            SearchBound::folder(&selected),
        )
        .await
        .unwrap();
    let mut messages = Vec::new();
    for uid in uids {
        connection
            .execute(&format!("UID FETCH {} BODY.PEEK[]", uid.0), |response| {
                if let Response::Fetch(_, attributes) = response {
                    for attribute in attributes {
                        if let AttributeValue::BodySection {
                            data: Some(data), ..
                        } = attribute
                        {
                            messages.push(data.to_vec());
                        }
                    }
                }
                Ok(())
            })
            .await
            .unwrap();
    }
    connection.logout().await;
    messages
}

/// Drains until the message `id` is sent: a temporary failure (a loaded machine can make the
/// MTA's password check time out) is retried as the outbox would, a permanent one fails.
async fn drain_until_sent(engine: &Engine, id: mail_store::OutboxId) {
    tern_testkit::wait_until("the message sent", Duration::from_secs(60), || async {
        let report = engine.drain_outbox(true).await.unwrap();
        let mut sent = false;
        for (sent_id, _, outcome) in &report.outcomes {
            match outcome {
                SendOutcome::Sent { .. } if *sent_id == id => sent = true,
                SendOutcome::Deferred { error, .. } => eprintln!("deferred (retrying): {error}"),
                other => panic!("{other:?}"),
            }
        }
        sent
    })
    .await
    .unwrap();
}

fn draft(subject: &str, to: &str) -> Draft {
    Draft {
        to: vec![Address::new("Bob", to)],
        subject: subject.into(),
        text: format!("Hello, this is {subject}.\n"),
        ..Draft::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sent_message_arrives_with_its_headers_and_attachments_and_lands_in_sent_once() {
    let mail = mail_system();
    let alice = mail.alice(Security::Plain, mail.postfix.port);
    alice.refresh_folders().await.unwrap();
    let (_bob_data, bob) = bob(&mail.harness.server);
    let mut bob_events = bob.subscribe();
    let _watch = bob.watch("INBOX");
    let live = || async {
        bob.snapshot().ok().and_then(|s| s.connectivity)
            == Some(mail_engine::ConnectivityState::Live)
    };
    tern_testkit::wait_until("bob's watcher live", Duration::from_secs(20), live)
        .await
        .unwrap();

    let mut message = draft("Quarterly plans", "bob@tern.test");
    message.cc = vec![Address::new("", "alice@tern.test")];
    message.bcc = vec![Address::new("Hidden", "bob@tern.test")];
    message.html = Some("<p>Hello, <b>plans</b>.</p>".into());
    message.attachments = vec![OutgoingAttachment {
        name: "plan.pdf".into(),
        content_type: "application/pdf".into(),
        data: (0..=255u8).cycle().take(70_000).collect(),
    }];
    let queued = alice.queue_message(&message).unwrap();
    let report = alice.drain_outbox(false).await.unwrap();
    assert!(!report.busy);
    assert!(
        matches!(
            report.outcomes.as_slice(),
            [(_, _, SendOutcome::Sent { .. })]
        ),
        "{report:?}"
    );
    assert_eq!(report.sent_copies, 1, "{report:?}");

    // bob's IDLE watcher announces it.
    let heard = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            if let Ok(EngineEvent::NewMail { subject, from, .. }) = bob_events.recv().await {
                if subject == "Quarterly plans" {
                    return from;
                }
            }
        }
    })
    .await
    .expect("bob's watcher hears of the message");
    assert_eq!(heard, "Alice Sender");

    let delivered =
        with_message_id(mail.harness.server.port, "bob", "INBOX", &queued.message_id).await;
    assert_eq!(
        delivered.len(),
        1,
        "delivered once (Bcc to an address already in To)"
    );
    let view = parse_message(&delivered[0]);
    assert_eq!(view.subject, "Quarterly plans");
    assert_eq!(
        view.from,
        vec![Address::new("Alice Sender", "alice@tern.test")]
    );
    assert_eq!(view.to, vec![Address::new("Bob", "bob@tern.test")]);
    assert_eq!(view.cc[0].address, "alice@tern.test");
    assert!(
        !String::from_utf8_lossy(&delivered[0]).contains("Bcc:"),
        "no Bcc on the wire"
    );
    assert!(view.html_unsafe.unwrap().contains("<b>plans</b>"));
    assert_eq!(view.attachments.len(), 1);
    assert_eq!(
        mail_message::attachment_bytes(&delivered[0], 0).unwrap(),
        message.attachments[0].data
    );

    // Sent holds it once, with the Bcc; a second drain appends nothing.
    let in_sent = with_message_id(
        mail.harness.server.port,
        "alice",
        "Sent",
        &queued.message_id,
    )
    .await;
    assert_eq!(in_sent.len(), 1);
    assert!(String::from_utf8_lossy(&in_sent[0]).contains("Bcc: Hidden <bob@tern.test>"));
    let again = alice.drain_outbox(false).await.unwrap();
    assert!(again.outcomes.is_empty());
    assert_eq!(
        with_message_id(
            mail.harness.server.port,
            "alice",
            "Sent",
            &queued.message_id
        )
        .await
        .len(),
        1
    );
    let entry = outbox_entry(&alice, queued.id);
    assert_eq!(entry.state, OutboxState::Sent);
    assert_eq!(entry.sent_folder, mail_store::SentFolderCopy::Done);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starttls_and_implicit_tls_submission_work_with_the_accounts_ca() {
    let mail = mail_system();
    for (security, port, subject) in [
        (
            Security::StartTls,
            mail.postfix.submission_port,
            "Over STARTTLS",
        ),
        (Security::Tls, mail.postfix.smtps_port, "Over TLS"),
    ] {
        let alice = mail.alice(security, port);
        let queued = alice
            .queue_message(&draft(subject, "bob@tern.test"))
            .unwrap();
        let report = alice.drain_outbox(false).await.unwrap();
        assert!(
            matches!(
                report.outcomes.as_slice(),
                [(_, _, SendOutcome::Sent { .. })]
            ),
            "{subject}: {report:?}"
        );
        let port = mail.harness.server.port;
        let id = queued.message_id.clone();
        tern_testkit::wait_until(subject, Duration::from_secs(20), || {
            let id = id.clone();
            async move { with_message_id(port, "bob", "INBOX", &id).await.len() == 1 }
        })
        .await
        .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn written_offline_it_waits_and_is_delivered_once_when_the_mta_is_back() {
    let mut mail = mail_system();
    let alice = mail.alice(Security::Plain, mail.postfix.port);
    mail.postfix.stop().unwrap();
    let queued = alice
        .queue_message(&draft("Written on a plane", "bob@tern.test"))
        .unwrap();
    let report = alice.drain_outbox(false).await.unwrap();
    match report.outcomes.as_slice() {
        [(_, _, SendOutcome::Deferred { error, .. })] => {
            assert!(error.contains("Connecting"), "{error}")
        }
        other => panic!("expected a deferral: {other:?}"),
    }
    let entry = outbox_entry(&alice, queued.id);
    assert_eq!(entry.state, OutboxState::Queued);
    assert!(entry.last_error.is_some());
    assert!(entry.next_attempt_at > entry.created_at, "backs off");
    // Not due yet: a normal drain leaves it.
    assert!(alice.drain_outbox(false).await.unwrap().outcomes.is_empty());

    mail.postfix.start_again().unwrap();
    let report = alice.drain_outbox(true).await.unwrap();
    assert!(
        matches!(
            report.outcomes.as_slice(),
            [(_, _, SendOutcome::Sent { .. })]
        ),
        "{report:?}"
    );
    assert!(
        alice.drain_outbox(true).await.unwrap().outcomes.is_empty(),
        "never twice"
    );
    let port = mail.harness.server.port;
    let id = queued.message_id.clone();
    tern_testkit::wait_until("delivery", Duration::from_secs(20), || {
        let id = id.clone();
        async move { !with_message_id(port, "bob", "INBOX", &id).await.is_empty() }
    })
    .await
    .unwrap();
    assert_eq!(
        with_message_id(port, "bob", "INBOX", &queued.message_id)
            .await
            .len(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_recipient_is_refused_for_good_with_the_servers_words() {
    let mail = mail_system();
    let alice = mail.alice(Security::Plain, mail.postfix.port);
    let queued = alice
        .queue_message(&draft("To nobody", "nobody@tern.test"))
        .unwrap();
    let report = alice.drain_outbox(false).await.unwrap();
    match report.outcomes.as_slice() {
        [(_, _, SendOutcome::Failed { error })] => {
            assert!(error.contains("nobody@tern.test"), "{error}");
            assert!(
                error.contains("User unknown"),
                "the server's words: {error}"
            );
        }
        other => panic!("expected a refusal: {other:?}"),
    }
    assert!(
        alice.drain_outbox(true).await.unwrap().outcomes.is_empty(),
        "not retried"
    );
    let entry = outbox_entry(&alice, queued.id);
    assert_eq!(entry.state, OutboxState::Failed);
    assert_eq!(entry.attempts, 1);

    // Kept for editing: it comes back as a draft, the address is fixed, it goes out.
    let (draft_id, mut draft) = alice.edit_outgoing(queued.id).unwrap();
    assert_eq!(draft.subject, "To nobody");
    assert_eq!(draft.to[0].address, "nobody@tern.test");
    assert!(
        draft.text.starts_with("Hello, this is To nobody."),
        "{:?}",
        draft.text
    );
    assert!(
        alice.outbox().unwrap().iter().all(|e| e.id != queued.id),
        "out of the outbox"
    );
    draft.to = vec![Address::new("Bob", "bob@tern.test")];
    let fixed = alice.send_draft(draft_id, &draft).unwrap();
    drain_until_sent(&alice, fixed.id).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_is_a_permanent_failure_not_a_retry_loop() {
    let mail = mail_system();
    let good = mail.alice(Security::Plain, mail.postfix.port);
    let wrong = Arc::new(Engine::new(
        mail.harness.store.clone(),
        good.account().clone(),
        Password::new("wrong"),
        options(),
    ));
    wrong
        .queue_message(&draft("Bad login", "bob@tern.test"))
        .unwrap();
    let report = wrong.drain_outbox(false).await.unwrap();
    match report.outcomes.as_slice() {
        [(_, _, SendOutcome::Failed { error })] => {
            assert!(
                error.contains("refused the user name or password"),
                "{error}"
            )
        }
        other => panic!("expected a refusal: {other:?}"),
    }
}

/// Subjects and flags of the messages in alice's Drafts folder.
async fn drafts_on_server(port: u16) -> Vec<(String, String)> {
    let mut connection = ImapConnection::connect(
        &plain_settings(port, "alice"),
        &Password::new("alice-pw"),
        Timeouts::default(),
    )
    .await
    .unwrap();
    connection
        .select("Drafts", SelectMode::ReadOnly)
        .await
        .unwrap();
    let mut found = Vec::new();
    connection
        .execute(
            "UID FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])",
            |response| {
                if let Response::Fetch(_, attributes) = response {
                    let mut subject = String::new();
                    let mut flags = String::new();
                    for attribute in attributes {
                        match attribute {
                            AttributeValue::BodySection {
                                data: Some(data), ..
                            } => {
                                subject = String::from_utf8_lossy(data)
                                    .trim()
                                    .trim_start_matches("Subject:")
                                    .trim()
                                    .to_string();
                            }
                            AttributeValue::Flags(list) => flags = list.join(" "),
                            _ => {}
                        }
                    }
                    found.push((subject, flags));
                }
                Ok(())
            },
        )
        .await
        .unwrap();
    connection.logout().await;
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drafts_are_saved_locally_copied_to_drafts_replaced_per_version_and_gone_when_sent() {
    let mail = mail_system();
    let alice = mail.alice(Security::Plain, mail.postfix.port);
    let port = mail.harness.server.port;

    // Saved while offline-capable: locally at once, no recipient needed yet.
    let mut draft = Draft {
        subject: "Half-written".into(),
        text: "First thoughts".into(),
        ..Draft::default()
    };
    let id = alice.save_draft(None, &draft).unwrap();
    assert_eq!(alice.load_draft(id).unwrap().text, "First thoughts");
    assert_eq!(alice.sync_drafts().await.unwrap(), 1);
    let on_server = drafts_on_server(port).await;
    assert_eq!(on_server.len(), 1);
    assert_eq!(on_server[0].0, "Half-written");
    assert!(on_server[0].1.contains("\\Draft"), "{on_server:?}");

    // A new version replaces the copy: still one draft there, the new one.
    draft.subject = "Nearly done".into();
    draft.to = vec![Address::new("Bob", "bob@tern.test")];
    alice.save_draft(Some(id), &draft).unwrap();
    alice.sync_drafts().await.unwrap();
    let on_server = drafts_on_server(port).await;
    assert_eq!(
        on_server
            .iter()
            .map(|(s, _)| s.as_str())
            .collect::<Vec<_>>(),
        vec!["Nearly done"]
    );

    // Opening the server copy continues the same local draft.
    alice.sync_folder("Drafts", None).await.unwrap();
    let cached_uid = {
        let store = mail.harness.store.lock().unwrap();
        let folder = store
            .folder_by_name(mail.harness.account.id, "Drafts")
            .unwrap()
            .unwrap();
        store.message_rows(folder.id).unwrap()[0].uid.0
    };
    let (continued, opened) = alice
        .draft_from_message("Drafts", u64::from(cached_uid))
        .await
        .unwrap();
    assert_eq!(continued, id);
    assert_eq!(opened.subject, "Nearly done");

    // Sent: delivered, and the Drafts copy is removed.
    let queued = alice.send_draft(id, &opened).unwrap();
    drain_until_sent(&alice, queued.id).await;
    alice.sync_drafts().await.unwrap();
    assert!(drafts_on_server(port).await.is_empty());
    assert!(
        alice.load_draft(id).is_err(),
        "the draft is gone locally too"
    );
    let id_sent = queued.message_id.clone();
    tern_testkit::wait_until("delivery", Duration::from_secs(20), || {
        let id = id_sent.clone();
        async move { with_message_id(port, "bob", "INBOX", &id).await.len() == 1 }
    })
    .await
    .unwrap();
}

/// Other users of the machine read nothing: the data directory is 0700 and every file in it
/// 0600 — from the start, and after a first sync, a send (outbox wire bytes with Bcc, lock
/// file) and a draft.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_profile_is_private_after_a_sync_a_send_and_a_draft() {
    use std::os::unix::fs::PermissionsExt;
    let mail = mail_system();
    mail.harness.server.seed("alice", "INBOX", 0, 20).unwrap();
    let dir = mail.harness.data.path().to_path_buf();
    let modes = |when: &str| {
        let dir_mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
        assert_eq!(
            dir_mode, 0o700,
            "{when}: the data directory is {dir_mode:o}"
        );
        let mut seen = Vec::new();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let entry = entry.unwrap();
            let mode = entry.metadata().unwrap().permissions().mode() & 0o777;
            let name = entry.file_name().to_string_lossy().into_owned();
            assert_eq!(mode, 0o600, "{when}: {name} is {mode:o}");
            seen.push(name);
        }
        seen.sort();
        seen
    };
    assert!(modes("new").contains(&"tern.db".to_string()));

    let alice = mail.alice(Security::Plain, mail.postfix.port);
    alice.sync_folder("INBOX", None).await.unwrap();
    alice.prefetch_bodies("INBOX", 36_500).await.unwrap();
    modes("after the first sync");

    alice
        .queue_message(&Draft {
            to: vec![Address::new("Bob", "bob@tern.test")],
            bcc: vec![Address::new("Carol", "carol@tern.test")],
            subject: "Private".into(),
            text: "Nobody else on this machine reads this.".into(),
            ..Draft::default()
        })
        .unwrap();
    let drained = alice.drain_outbox(true).await.unwrap();
    assert!(
        drained
            .outcomes
            .iter()
            .any(|(_, _, outcome)| matches!(outcome, SendOutcome::Sent { .. })),
        "{drained:?}"
    );
    let files = modes("after a send");
    assert!(
        files.iter().any(|name| name.ends_with("outbox-lock")),
        "{files:?}"
    );

    alice
        .save_draft(
            None,
            &Draft {
                subject: "Half-written".into(),
                text: "secret plans".into(),
                ..Draft::default()
            },
        )
        .unwrap();
    alice.sync_drafts().await.unwrap();
    modes("after a draft");
}

#[tokio::test]
async fn a_stopped_outbox_worker_ends_without_waiting_for_its_next_turn() {
    let data = tempfile::tempdir().unwrap();
    // Nothing listens on port 1: the worker's first drain finds nothing due anyway.
    let engine = tern_testkit::engine_for(data.path(), "alice", 1, options()).unwrap();
    let worker = engine.spawn_outbox();
    let started = std::time::Instant::now();
    worker.stop().await;
    // Its next turn would be a minute away: it stopped when told.
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}

/// The outbox entry `id` of `engine`'s account.
fn outbox_entry(engine: &Engine, id: mail_store::OutboxId) -> mail_store::OutboxEntry {
    engine
        .outbox()
        .unwrap()
        .into_iter()
        .find(|entry| entry.id == id)
        .expect("the message is in the outbox")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_wants_a_sign_in_it_does_not_offer_keeps_the_message_for_later() {
    use mail_engine::{submit, Envelope, Secret, Submission, SubmitError};
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    // An MTA whose password service is down: no AUTH in its EHLO, and MAIL FROM refused 530.
    let server = tern_testkit::loopback::Loopback::serve("a half-working MTA", |stream| {
        Some(async move {
            let mut stream = BufReader::new(stream);
            let _ = stream.get_mut().write_all(b"220 mta ESMTP\r\n").await;
            let mut line = String::new();
            while stream.read_line(&mut line).await.unwrap_or(0) > 0 {
                let answer: &[u8] = if line.starts_with("EHLO") {
                    b"250-mta\r\n250 8BITMIME\r\n"
                } else if line.starts_with("MAIL FROM") {
                    b"530 5.7.0 Authentication required\r\n"
                } else if line.starts_with("QUIT") {
                    b"221 bye\r\n"
                } else {
                    b"500 what\r\n"
                };
                let _ = stream.get_mut().write_all(answer).await;
                line.clear();
            }
        })
    })
    .await
    .unwrap();
    let smtp = tern_testkit::loopback_smtp(server.port);
    let recipients = vec!["bob@tern.test".to_string()];
    let result = submit(
        &Submission {
            server: &smtp,
            username: "alice",
            secret: &Secret::Password(Password::new("alice-pw")),
            ca_file: None,
            timeout: Duration::from_secs(10),
        },
        &Envelope {
            from: "alice@tern.test",
            recipients: &recipients,
            raw: b"Subject: x\r\n\r\nhi\r\n",
        },
        || Ok(()),
    )
    .await;
    assert!(
        matches!(&result, Err(SubmitError::Temporary(text)) if text.contains("offered no sign-in")),
        "{result:?}"
    );
}
