//! `tern send` and `tern outbox` end to end: a real Postfix on loopback delivering into the
//! real Dovecot. Sent and delivered with headers; a reply with Re:, threading headers and
//! the quote; offline -> queued -> delivered once when the MTA is back; killed while the
//! outbox drains -> every message delivered at most once, none lost silently; an unknown
//! recipient refused with the server's words and kept.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{ok, tern};
use tern_testkit::{Dovecot, Postfix};

struct Setup {
    dovecot: Dovecot,
    postfix: Postfix,
    data: tempfile::TempDir,
}

const PW: [(&str, &str); 1] = common::ALICE_PW;

fn setup() -> Setup {
    let dovecot = Dovecot::start_with_delivery().expect("dovecot");
    let postfix = Postfix::start(&dovecot).expect("postfix");
    let data = tempfile::tempdir().unwrap();
    let smtp_port = postfix.port.to_string();
    ok(&common::add_alice(
        data.path(),
        dovecot.port,
        &[
            "--name",
            "Alice Example",
            "--smtp-host",
            "127.0.0.1",
            "--smtp-port",
            &smtp_port,
            "--smtp-security",
            "plain",
        ],
    ));
    Setup {
        dovecot,
        postfix,
        data,
    }
}

/// UIDs of `user`'s messages in `folder` with this Message-ID (doveadm, no IMAP client).
fn delivered(dovecot: &Dovecot, user: &str, folder: &str, message_id: &str) -> usize {
    dovecot
        .doveadm(&[
            "search",
            "-u",
            user,
            "mailbox",
            folder,
            "header",
            "Message-ID",
            message_id,
        ])
        .unwrap()
        .lines()
        .filter(|line| !line.trim().is_empty())
        .count()
}

/// Hands `message` to the MTA the way another server would (no AUTH: mail for tern.test).
fn smtp_deliver(port: u16, from: &str, to: &str, message: &str) {
    use std::io::{BufRead, BufReader, Write};
    let stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    let expect = |code: &str, reader: &mut BufReader<std::net::TcpStream>| loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        assert!(line.starts_with(code), "expected {code}, got {line}");
        if line.as_bytes().get(3) == Some(&b' ') {
            break;
        }
    };
    expect("220", &mut reader);
    for (command, code) in [
        ("EHLO test.example".to_string(), "250"),
        (format!("MAIL FROM:<{from}>"), "250"),
        (format!("RCPT TO:<{to}>"), "250"),
        ("DATA".to_string(), "354"),
    ] {
        write!(writer, "{command}\r\n").unwrap();
        expect(code, &mut reader);
    }
    write!(writer, "{message}\r\n.\r\n").unwrap();
    expect("250", &mut reader);
    write!(writer, "QUIT\r\n").unwrap();
}

fn wait_for(what: &str, deadline: Duration, check: impl FnMut() -> bool) {
    tern_testkit::poll_until(what, deadline, check).unwrap();
}

fn send_json(data: &Path, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["send", "--json"];
    all.extend_from_slice(args);
    serde_json::from_str(&ok(&tern(data, &all, &PW, Some("Hello from the test.\n")))).unwrap()
}

/// Asserts that `tern send`'s message went out: at once, or (after a temporary failure, which
/// a loaded machine can cause at the MTA's password check) by `tern outbox --flush`, as a
/// person would retry.
fn went_out(data: &Path, sent: &serde_json::Value) {
    let id = sent["message_id"].as_str().unwrap();
    let started = Instant::now();
    let mut state = sent["state"].as_str().unwrap().to_string();
    while state == "queued" {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "still queued: {sent}"
        );
        eprintln!(
            "queued after a temporary failure ({}); flushing",
            sent["error"]
        );
        common::run(data, &["outbox", "--flush"], &PW);
        state = outbox(data)
            .into_iter()
            .find(|entry| entry["message_id"] == id)
            .map(|entry| entry["state"].as_str().unwrap().to_string())
            .unwrap();
    }
    assert_eq!(state, "sent", "{sent}");
}

fn outbox(data: &Path) -> Vec<serde_json::Value> {
    common::json(data, &["outbox", "--json"], &PW)
}

#[test]
fn send_delivers_and_a_reply_threads_and_quotes() {
    let setup = setup();
    let data = setup.data.path();
    let attachment = data.join("notes.txt");
    std::fs::write(&attachment, "line one\nline two\n").unwrap();
    let sent = send_json(
        data,
        &[
            "--to",
            "Bob <bob@tern.test>",
            "--subject",
            "Lunch?",
            "--body-file",
            "-",
            "--attach",
            attachment.to_str().unwrap(),
        ],
    );
    went_out(data, &sent);
    let message_id = sent["message_id"].as_str().unwrap().to_string();
    let raw = delivered_copy(&setup.dovecot, "bob", &message_id);
    assert_eq!(
        delivered(&setup.dovecot, "alice", "Sent", &message_id),
        1,
        "one copy in Sent"
    );
    assert!(
        raw.contains("From: \"Alice Example\" <alice@tern.test>"),
        "{raw}"
    );
    assert!(raw.contains("Subject: Lunch?"), "{raw}");
    assert!(
        raw.contains("filename=\"notes.txt\"") || raw.contains("filename=notes.txt"),
        "{raw}"
    );

    // alice receives bob's answer and replies to it.
    let answer_id = "answer-1@tern.test";
    let answer = format!(
        "From: Bob <bob@tern.test>\r\nTo: alice@tern.test\r\nCc: carol@tern.test\r\nSubject: Re: Lunch?\r\n\
Message-ID: <{answer_id}>\r\nIn-Reply-To: <{message_id}>\r\nReferences: <{message_id}>\r\n\
Date: Sat, 28 Nov 2026 12:00:00 +0000\r\n\r\nYes, at noon.\r\n"
    );
    smtp_deliver(
        setup.postfix.port,
        "bob@tern.test",
        "alice@tern.test",
        &answer,
    );
    wait_for(
        "the answer in alice's INBOX",
        Duration::from_secs(20),
        || delivered(&setup.dovecot, "alice", "INBOX", answer_id) == 1,
    );
    let uid = synced_uid(data, "INBOX", "Re: Lunch?");
    common::run(
        data,
        &["account", "signature", "--text", "Alice at Tern"],
        &[],
    );
    let reply = send_json(
        data,
        &[
            "--reply-uid",
            &uid,
            "--folder",
            "INBOX",
            "--all",
            "--body-file",
            "-",
        ],
    );
    went_out(data, &reply);
    let reply_id = reply["message_id"].as_str().unwrap().to_string();
    let raw = delivered_copy(&setup.dovecot, "bob", &reply_id);
    assert!(raw.contains("Subject: Re: Lunch?"), "Re: once: {raw}");
    assert!(!raw.contains("Re: Re:"), "{raw}");
    assert!(
        raw.contains(&format!("In-Reply-To: <{answer_id}>")),
        "{raw}"
    );
    let unfolded = raw.replace("\r\n ", " ").replace("\n ", " ");
    assert!(
        unfolded.contains(&format!("References: <{message_id}> <{answer_id}>")),
        "References chain: {raw}"
    );
    assert!(
        raw.contains("Cc: carol@tern.test"),
        "reply-all keeps Cc: {raw}"
    );
    assert!(raw.contains("Hello from the test."), "{raw}");
    assert!(raw.contains("> Yes, at noon."), "quoted: {raw}");
    assert!(raw.contains("Bob <bob@tern.test> wrote:"), "{raw}");
    // The signature: under the words, above the quote, after the "-- " line.
    let position = |what: &str| {
        raw.find(what)
            .unwrap_or_else(|| panic!("no {what:?} in {raw}"))
    };
    let separator = raw
        .find("\r\n-- \r\n")
        .or_else(|| raw.find("\n-- \n"))
        .or_else(|| raw.find("--=20"))
        .unwrap_or_else(|| panic!("no signature separator in {raw}"));
    assert!(position("Hello from the test.") < separator, "{raw}");
    assert!(separator < position("Alice at Tern"), "{raw}");
    assert!(position("Alice at Tern") < position("wrote:"), "{raw}");

    // Forwarding the first message from Sent keeps its attachment.
    let lunch = synced_uid(data, "Sent", "Lunch?");
    let forward = send_json(
        data,
        &[
            "--forward-uid",
            &lunch,
            "--folder",
            "Sent",
            "--to",
            "carol@tern.test",
            "--body-file",
            "-",
            "--no-signature",
        ],
    );
    went_out(data, &forward);
    let forward_id = forward["message_id"].as_str().unwrap().to_string();
    let raw = delivered_copy(&setup.dovecot, "carol", &forward_id);
    assert!(raw.contains("Subject: Fwd: Lunch?"), "{raw}");
    assert!(
        raw.contains("---------- Forwarded message ----------"),
        "{raw}"
    );
    assert!(
        raw.contains("filename=\"notes.txt\""),
        "attachment kept: {raw}"
    );
    assert!(raw.contains("line one"), "{raw}");
    assert!(!raw.contains("Alice at Tern"), "--no-signature: {raw}");
}

#[test]
fn a_mailto_link_fills_the_message_and_nothing_else() {
    let setup = setup();
    let data = setup.data.path();
    let sent = send_json(
        data,
        &[
            "--mailto",
            "mailto:bob@tern.test?cc=carol@tern.test&subject=Hi%20there&body=Line%201%0D%0ALine%202\
             &In-Reply-To=%3Cparent@tern.test%3E&attach=/etc/passwd&from=evil@tern.test",
            "--no-signature",
        ],
    );
    went_out(data, &sent);
    let message_id = sent["message_id"].as_str().unwrap().to_string();
    let raw = delivered_copy(&setup.dovecot, "bob", &message_id);
    assert!(raw.contains("Subject: Hi there"), "{raw}");
    assert!(raw.contains("To: bob@tern.test"), "{raw}");
    assert!(raw.contains("Cc: carol@tern.test"), "{raw}");
    assert!(raw.contains("In-Reply-To: <parent@tern.test>"), "{raw}");
    assert!(
        raw.contains("From: \"Alice Example\" <alice@tern.test>"),
        "{raw}"
    );
    assert!(
        raw.contains("Line 1\r\nLine 2") || raw.contains("Line 1\nLine 2"),
        "{raw}"
    );
    // Neither the file the link named nor the sender it asked for.
    assert!(!raw.contains("root:"), "{raw}");
    assert!(!raw.contains("evil@"), "{raw}");
    assert!(
        !raw.to_ascii_lowercase().contains("multipart/mixed"),
        "{raw}"
    );
    assert_eq!(delivered(&setup.dovecot, "carol", "INBOX", &message_id), 1);

    let refused = tern(
        data,
        &["send", "--mailto", "https://example.org/"],
        &PW,
        None,
    );
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("is not a mailto: link"),
        "{refused:?}"
    );
}

#[test]
fn written_offline_it_waits_in_the_outbox_and_goes_out_once() {
    let mut setup = setup();
    let data = setup.data.path();
    setup.postfix.stop().unwrap();
    let queued = send_json(
        data,
        &[
            "--to",
            "bob@tern.test",
            "--subject",
            "From the train",
            "--body-file",
            "-",
        ],
    );
    assert_eq!(queued["state"], "queued", "{queued}");
    assert!(
        queued["error"].as_str().unwrap().contains("Connecting"),
        "{queued}"
    );
    let message_id = queued["message_id"].as_str().unwrap().to_string();
    let entries = outbox(data);
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["state"], "queued");
    assert!(entries[0]["last_error"].is_string());
    assert!(entries[0]["next_attempt"].is_string());

    setup.postfix.start_again().unwrap();
    common::run(data, &["outbox", "--flush"], &PW);
    wait_for("delivery", Duration::from_secs(20), || {
        delivered(&setup.dovecot, "bob", "INBOX", &message_id) == 1
    });
    common::run(data, &["outbox", "--flush"], &PW);
    let entries = outbox(data);
    assert_eq!(entries[0]["state"], "sent");
    assert_eq!(entries[0]["sent_folder"], "done");
    // Postfix delivered it once, so LMTP saw it once.
    assert_eq!(delivered(&setup.dovecot, "bob", "INBOX", &message_id), 1);
    assert_eq!(delivered(&setup.dovecot, "alice", "Sent", &message_id), 1);
}

#[test]
fn killed_while_the_outbox_drains_nothing_goes_out_twice_and_nothing_is_lost() {
    let setup = setup();
    let data = setup.data.path();
    // Big enough that the drain takes a while: the kill lands in the middle of it.
    let attachment = data.join("big.bin");
    std::fs::write(&attachment, vec![b'x'; 3_000_000]).unwrap();
    let mut ids = Vec::new();
    for n in 0..16 {
        let subject = format!("Batch {n}");
        let queued = send_json(
            data,
            &[
                "--queue-only",
                "--to",
                "bob@tern.test",
                "--subject",
                &subject,
                "--attach",
                attachment.to_str().unwrap(),
            ],
        );
        assert_eq!(queued["state"], "queued");
        ids.push(queued["message_id"].as_str().unwrap().to_string());
    }
    let mut drain = common::spawn_tern(
        data,
        &["outbox", "--flush"],
        &PW,
        Stdio::null(),
        Stdio::null(),
    );
    wait_for("the first deliveries", Duration::from_secs(60), || {
        ids.iter()
            .filter(|id| delivered(&setup.dovecot, "bob", "INBOX", id) > 0)
            .count()
            >= 1
    });
    drain.kill().unwrap(); // SIGKILL: no cleanup at all
    drain.wait().unwrap();
    let after_kill = outbox(data);
    assert!(
        after_kill.iter().any(|entry| entry["state"] != "sent"),
        "the kill landed while messages were still waiting"
    );

    common::run(data, &["outbox", "--flush"], &PW);
    let entries = outbox(data);
    let mut uncertain = 0;
    for id in &ids {
        let entry = entries
            .iter()
            .find(|entry| entry["message_id"] == id.as_str())
            .unwrap();
        let state = entry["state"].as_str().unwrap();
        let expected = match state {
            "sent" => 1,
            // Killed between the final dot and recording the answer: never resent by
            // itself, shown to the person instead.
            "uncertain" => {
                uncertain += 1;
                assert!(entry["last_error"]
                    .as_str()
                    .unwrap()
                    .contains("may have been sent"));
                delivered(&setup.dovecot, "bob", "INBOX", id).min(1)
            }
            other => panic!("{id} ended {other}: {entry}"),
        };
        wait_for("delivery", Duration::from_secs(20), || {
            delivered(&setup.dovecot, "bob", "INBOX", id) >= expected
        });
        assert_eq!(
            delivered(&setup.dovecot, "bob", "INBOX", id),
            expected,
            "{id} ({state})"
        );
        assert!(
            delivered(&setup.dovecot, "alice", "Sent", id) <= 1,
            "{id} in Sent at most once"
        );
    }
    assert!(
        uncertain <= 1,
        "only the message being committed can be uncertain"
    );
}

#[test]
fn an_unknown_recipient_is_refused_with_the_servers_words_and_kept() {
    let setup = setup();
    let data = setup.data.path();
    let output = tern(
        data,
        &[
            "send",
            "--to",
            "nobody@tern.test",
            "--subject",
            "Hello?",
            "--body-file",
            "-",
        ],
        &PW,
        Some("Anyone there?\n"),
    );
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("User unknown"), "{stderr}");
    let entries = outbox(data);
    assert_eq!(entries[0]["state"], "failed");
    assert_eq!(entries[0]["attempts"], 1);
    common::run(data, &["outbox", "--flush"], &PW);
    assert_eq!(outbox(data)[0]["attempts"], 1, "not retried by itself");
}

/// Syncs `folder` and returns the UID of its message with `subject`.
fn synced_uid(data: &Path, folder: &str, subject: &str) -> String {
    common::run(
        data,
        &["sync", "--folder", folder, "--prefetch-days", "0"],
        &PW,
    );
    let list: Vec<serde_json::Value> =
        common::json(data, &["list", "--folder", folder, "--json"], &PW);
    let found = list
        .iter()
        .find(|message| message["subject"] == subject)
        .unwrap_or_else(|| panic!("{subject} is not listed in {folder}"));
    found["uid"].as_u64().expect("a UID").to_string()
}

/// The message with `message_id` once it is in `user`'s INBOX (waited for), as raw text.
fn delivered_copy(dovecot: &Dovecot, user: &str, message_id: &str) -> String {
    wait_for(
        &format!("{message_id} delivered to {user}"),
        Duration::from_secs(20),
        || delivered(dovecot, user, "INBOX", message_id) == 1,
    );
    dovecot
        .doveadm(&[
            "fetch",
            "-u",
            user,
            "text",
            "mailbox",
            "INBOX",
            "header",
            "Message-ID",
            message_id,
        ])
        .unwrap()
}
