//! A damaged cache is not a dead `tern`: cut short or scribbled over, every command says so
//! in one sentence and points at `tern cache rebuild`, which keeps what only existed here
//! (queued changes, the outbox), sets the old file aside, and brings the rest back from the
//! server — where the queued changes then land.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;

use common::{fails, ok, tern};
use tern_testkit::Dovecot;

const PW: [(&str, &str); 1] = common::ALICE_PW;

/// alice, with an SMTP server nothing listens on (mail she sends stays in the outbox).
fn add_account(data: &Path, server: &Dovecot) {
    ok(&common::add_alice(
        data,
        server.port,
        &[
            "--name",
            "Alice",
            "--smtp-host",
            "127.0.0.1",
            "--smtp-port",
            "1",
            "--smtp-security",
            "plain",
        ],
    ));
}

fn json(output: &std::process::Output) -> serde_json::Value {
    serde_json::from_str(&ok(output)).expect("JSON")
}

/// Damage done to the file.
#[derive(Clone, Copy, Debug)]
enum Damage {
    /// The last 40 % gone (a crash while copying, a full disk during a backup).
    CutShort,
    /// 64 KiB of garbage in the middle (a bad sector, another program writing into it).
    Scribbled,
}

fn damage(path: &Path, how: Damage) {
    let bytes = std::fs::read(path).unwrap();
    match how {
        Damage::CutShort => std::fs::write(path, &bytes[..bytes.len() * 6 / 10]).unwrap(),
        Damage::Scribbled => {
            let mut scribbled = bytes.clone();
            let start = bytes.len() / 2;
            let mut noise = 0x2545_f491_u32;
            for byte in scribbled.iter_mut().skip(start).take(64 << 10) {
                noise ^= noise << 13;
                noise ^= noise >> 17;
                noise ^= noise << 5;
                *byte = noise as u8;
            }
            std::fs::write(path, &scribbled).unwrap();
        }
    }
}

fn rebuild_after(how: Damage) {
    let mut server = Dovecot::start().expect("dovecot");
    server.seed("alice", "INBOX", 0, 400).expect("seed");
    let data = tempfile::tempdir().unwrap();
    add_account(data.path(), &server);
    // A cache of some size: every message with its body.
    common::run(data.path(), &["sync", "--prefetch-days", "36500"], &PW);
    // Made while the server is away: they exist only here.
    server.stop().expect("stop dovecot");
    common::run(
        data.path(),
        &["flag", "--folder", "INBOX", "--uid", "3"],
        &PW,
    );
    common::run(
        data.path(),
        &["archive", "--folder", "INBOX", "--uid", "4"],
        &PW,
    );
    ok(&tern(
        data.path(),
        &[
            "send",
            "--queue-only",
            "--to",
            "bob@tern.test",
            "--subject",
            "Written on the train",
            "--body-file",
            "-",
        ],
        &PW,
        Some("See you at nine.\n"),
    ));
    let cache = data.path().join("tern.db");
    damage(&cache, how);

    // Every command that meets the damage says what happened and what to do, in one line
    // (a cut-short file at once; scribbled pages when something reads them, which `tern
    // cache check` does for all of them).
    let commands: Vec<Vec<&str>> = match how {
        Damage::CutShort => vec![
            vec!["list", "--folder", "INBOX"],
            vec!["folders"],
            vec!["pending"],
            vec!["cache", "check"],
        ],
        Damage::Scribbled => vec![vec!["cache", "check"]],
    };
    for args in commands {
        let line = fails(&tern(data.path(), &args, &PW, None));
        assert!(
            line.contains("damaged") && line.contains("tern cache rebuild"),
            "{how:?}, tern {}: {line}",
            args.join(" ")
        );
    }

    server.restart().expect("dovecot back");
    let rebuilt = json(&tern(
        data.path(),
        &["cache", "rebuild", "--json"],
        &PW,
        None,
    ));
    assert_eq!(rebuilt["accounts"], 1, "{how:?}: {rebuilt}");
    assert_eq!(rebuilt["queued_changes"], 2, "{how:?}: {rebuilt}");
    assert_eq!(rebuilt["outbox"], 1, "{how:?}: {rebuilt}");
    assert_eq!(
        rebuilt["sync_errors"],
        serde_json::json!([]),
        "{how:?}: {rebuilt}"
    );
    // The copy of what only existed here, and the old cache, are kept (owner-only).
    for key in ["saved_to", "old_cache"] {
        let path = rebuilt[key].as_str().expect("path");
        let meta = std::fs::metadata(path).unwrap_or_else(|error| panic!("{path}: {error}"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(meta.permissions().mode() & 0o777, 0o600, "{path}");
        }
        let _ = meta;
    }
    let saved = std::fs::read_to_string(rebuilt["saved_to"].as_str().unwrap()).unwrap();
    assert!(
        saved.contains("Written on the train"),
        "the outbox is in the copy"
    );

    // The new cache has everything again, and the queued changes reached the server.
    let inbox = json(&tern(
        data.path(),
        &["list", "--folder", "INBOX", "--limit", "1000", "--json"],
        &[],
        None,
    ));
    assert_eq!(inbox.as_array().map(Vec::len), Some(399), "{how:?}");
    let pending = common::run(data.path(), &["pending"], &PW);
    assert!(pending.contains("Nothing waiting"), "{how:?}: {pending}");
    let flagged = server
        .fetch("alice", "flags", &["mailbox", "INBOX", "uid", "3"])
        .unwrap();
    assert!(flagged.contains("\\Flagged"), "{how:?}: {flagged}");
    let archived = server
        .fetch("alice", "hdr.message-id", &["mailbox", "Archive", "all"])
        .unwrap();
    assert!(
        archived.contains(&tern_testkit::messages::message_id(3)),
        "{how:?}: {archived}"
    );
    let outbox = json(&tern(data.path(), &["outbox", "--json"], &PW, None));
    assert_eq!(
        outbox[0]["subject"], "Written on the train",
        "{how:?}: {outbox}"
    );
    assert_eq!(outbox[0]["state"], "queued", "{how:?}: {outbox}");
    server.stop().expect("stop");
}

#[test]
fn a_cut_short_cache_is_rebuilt_keeping_what_only_existed_here() {
    rebuild_after(Damage::CutShort);
}

#[test]
fn a_scribbled_cache_is_rebuilt_keeping_what_only_existed_here() {
    rebuild_after(Damage::Scribbled);
}
