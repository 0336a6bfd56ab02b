//! Two processes, one profile: `tern watch` syncs, watches and replays while actions run
//! through other `tern` processes on the same data directory, mail arrives and flags change
//! from "another device", and the watcher is killed and restarted. Every action must be
//! accepted (a busy cache never refuses one), and right after it returns the cache must show
//! it: the message flagged, read, or listed in the folder it was moved to.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::{Child, Stdio};
use std::time::Instant;

use common::{ok, tern};
use tern_testkit::Dovecot;

const PW: [(&str, &str); 1] = common::ALICE_PW;

/// A `tern watch` that is killed when dropped (also when the test fails half-way).
struct Watcher(Child);

impl Drop for Watcher {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_watch(data: &Path) -> Watcher {
    Watcher(common::spawn_tern(
        data,
        &[
            "watch", "--json", "--folder", "INBOX", "--folder", "Archive", "--folder", "Trash",
        ],
        &PW,
        Stdio::null(),
        Stdio::null(),
    ))
}

/// A message as `tern list --json` shows it.
#[derive(Debug, Clone)]
struct Listed {
    uid: u64,
    message_id: String,
    flags: Vec<String>,
}

fn list(data: &Path, folder: &str) -> Vec<Listed> {
    let out = common::run(
        data,
        &["list", "--folder", folder, "--limit", "1000", "--json"],
        &[],
    );
    let value: serde_json::Value = serde_json::from_str(&out).expect("list JSON");
    value
        .as_array()
        .expect("array")
        .iter()
        .map(|row| Listed {
            uid: row["uid"].as_u64().expect("uid"),
            message_id: row["message_id"].as_str().unwrap_or("").to_string(),
            flags: row["flags"]
                .as_array()
                .expect("flags")
                .iter()
                .map(|flag| flag.as_str().unwrap_or("").to_string())
                .collect(),
        })
        .collect()
}

/// A small deterministic generator (the seed is printed, so a failure can be replayed).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % below.max(1)
    }
}

#[test]
fn actions_through_one_process_show_at_once_while_another_syncs_and_replays() {
    let mut server = Dovecot::start().expect("dovecot");
    server.seed("alice", "INBOX", 0, 80).expect("seed");
    let data = tempfile::tempdir().expect("temp");
    ok(&common::add_alice(data.path(), server.port, &[]));
    common::run(data.path(), &["sync"], &PW);

    let seed = std::env::var("TERN_SOAK_SEED")
        .ok()
        .and_then(|seed| seed.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|elapsed| elapsed.as_nanos() as u64)
                .unwrap_or(7)
        });
    eprintln!("two-process soak seed {seed} (TERN_SOAK_SEED={seed} replays it)");
    let mut random = Lcg(seed);
    let mut watch = start_watch(data.path());
    let mut delivered = 80;
    let started = Instant::now();

    for round in 0..60 {
        // Another device: new mail, and a flag changed on the server.
        match random.next(6) {
            0 => {
                server
                    .seed("alice", "INBOX", delivered, 2)
                    .expect("deliver");
                delivered += 2;
            }
            1 => {
                let uid = 1 + random.next(delivered);
                let _ = server.doveadm(&[
                    "flags",
                    "add",
                    "-u",
                    "alice",
                    "\\Seen",
                    "mailbox",
                    "INBOX",
                    "uid",
                    &uid.to_string(),
                ]);
            }
            _ => {}
        }
        // Now and then the watcher dies and another one starts (as when the app restarts).
        if round % 15 == 14 {
            drop(watch);
            watch = start_watch(data.path());
        }
        if round == 30 {
            server.restart().expect("restart dovecot");
        }

        let inbox = list(data.path(), "INBOX");
        let candidates: Vec<&Listed> = inbox
            .iter()
            .filter(|row| row.uid < (1 << 32) && !row.message_id.is_empty())
            .collect();
        if candidates.is_empty() {
            server
                .seed("alice", "INBOX", delivered, 5)
                .expect("deliver");
            delivered += 5;
            continue;
        }
        let message = candidates[random.next(candidates.len() as u64) as usize].clone();
        let uid = message.uid.to_string();
        let (action, expectation): (Vec<&str>, (&str, Option<&str>)) = match random.next(7) {
            0 => (vec!["flag"], ("INBOX", Some("\\Flagged"))),
            1 => (vec!["mark-read"], ("INBOX", Some("\\Seen"))),
            2 => (vec!["unflag"], ("INBOX", None)),
            3 | 4 => (vec!["archive"], ("Archive", None)),
            5 => (vec!["delete"], ("Trash", None)),
            _ => (vec!["move", "--to", "Archive"], ("Archive", None)),
        };
        let mut args = vec![action[0], "--folder", "INBOX", "--uid", &uid];
        args.extend_from_slice(&action[1..]);
        let output = tern(data.path(), &args, &PW, None);
        assert!(
            output.status.success(),
            "round {round} (seed {seed}): `tern {}` was refused: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        );

        // Right after it returned, the cache shows it, whatever the watcher does meanwhile.
        let (folder, flag) = expectation;
        let shown = list(data.path(), folder);
        let found = shown
            .iter()
            .find(|row| row.message_id == message.message_id)
            .unwrap_or_else(|| {
                panic!(
                    "round {round} (seed {seed}): after `tern {}` message {} is not listed in {folder}",
                    args.join(" "),
                    message.message_id
                )
            });
        match (action[0], flag) {
            ("unflag", _) => assert!(
                !found.flags.iter().any(|f| f == "\\Flagged"),
                "round {round} (seed {seed}): still flagged after unflag: {found:?}"
            ),
            (_, Some(flag)) => assert!(
                found.flags.iter().any(|f| f == flag),
                "round {round} (seed {seed}): {flag} missing after `tern {}`: {found:?}",
                args.join(" ")
            ),
            _ => {}
        }
        if folder != "INBOX" {
            assert!(
                !list(data.path(), "INBOX")
                    .iter()
                    .any(|row| row.message_id == message.message_id),
                "round {round} (seed {seed}): moved to {folder} but still in INBOX"
            );
        }
    }
    eprintln!(
        "two-process soak: 60 rounds in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    drop(watch);

    // In the end everything reached the server and the cache agrees with it.
    let sync = tern(data.path(), &["sync"], &PW, None);
    ok(&sync);
    let pending = common::run(data.path(), &["pending"], &[]);
    assert!(pending.contains("Nothing waiting"), "{pending}");
    server.stop().expect("stop");
}
