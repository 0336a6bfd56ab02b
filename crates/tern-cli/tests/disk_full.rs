//! A full disk stops a sync or a send with a clear error and loses nothing: the data
//! directory lives on a small tmpfs (mounted by the test, as root or with passwordless
//! sudo), which fills up in the middle of a first sync, in the middle of keeping bodies
//! offline, and before a queued message is sent. The cache stays sound and shows what was saved; the outbox keeps the message, which
//! goes out exactly once when there is room again.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::{fails, ok, tern};
use tern_testkit::{Dovecot, Postfix};

const PW: [(&str, &str); 1] = common::ALICE_PW;

/// A tmpfs of a given size at a temporary directory, unmounted when dropped.
struct SmallDisk {
    dir: tempfile::TempDir,
}

fn privileged(args: &[&str]) -> std::process::Output {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
        .unwrap_or(false);
    let mut command = if root {
        Command::new(args[0])
    } else {
        let mut sudo = Command::new("sudo");
        sudo.arg("-n").arg(args[0]);
        sudo
    };
    command.args(&args[1..]).output().expect("runs")
}

impl SmallDisk {
    fn mount(size: &str) -> SmallDisk {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().to_str().unwrap().to_string();
        let out = privileged(&[
            "mount",
            "-t",
            "tmpfs",
            "-o",
            &format!("size={size},mode=0700"),
            "tmpfs",
            &target,
        ]);
        assert!(
            out.status.success(),
            "this test mounts a small tmpfs and needs root or passwordless sudo: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        if Command::new("id")
            .arg("-u")
            .output()
            .map(|out| String::from_utf8_lossy(&out.stdout).trim() != "0")
            .unwrap_or(true)
        {
            let user = std::env::var("USER").unwrap_or_default();
            privileged(&["chown", &user, &target]);
        }
        SmallDisk { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn resize(&self, size: &str) {
        let target = self.path().to_str().unwrap();
        let out = privileged(&["mount", "-o", &format!("remount,size={size}"), target]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Fills what is left with a file (removed by `free`).
    fn fill(&self) -> PathBuf {
        use std::io::Write;
        let path = self.path().join("filler");
        let mut file = std::fs::File::create(&path).unwrap();
        let block = vec![0u8; 4096];
        while file.write_all(&block).is_ok() {}
        let _ = file.sync_all();
        path
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let target = self.dir.path().to_str().unwrap_or("").to_string();
        privileged(&["umount", "-l", &target]);
    }
}

fn is_disk_full(line: &str) -> bool {
    line.contains("full") && (line.contains("disk") || line.contains("space"))
}

#[test]
fn a_full_disk_stops_a_first_sync_cleanly_and_the_next_one_finishes() {
    let server = Dovecot::start().expect("dovecot");
    server.seed("alice", "INBOX", 0, 8000).expect("seed");
    let disk = SmallDisk::mount("1m");
    let data = disk.path().join("profile");
    ok(&common::add_alice(&data, server.port, &[]));
    // The headers of 8,000 messages do not fit in a megabyte, let alone their bodies.
    let line = fails(&tern(
        &data,
        &["sync", "--prefetch-days", "36500"],
        &PW,
        None,
    ));
    assert!(is_disk_full(&line), "{line}");

    // What was saved is sound and readable.
    common::run(&data, &["cache", "check"], &[]);
    let listed: serde_json::Value = common::json(
        &data,
        &["list", "--folder", "INBOX", "--limit", "10000", "--json"],
        &[],
    );
    let saved = listed.as_array().map_or(0, Vec::len);
    assert!(
        saved > 0 && saved < 8000,
        "the disk was to fill up in the middle of the first sync: {saved} saved"
    );
    eprintln!("{saved} of 8000 messages were saved before the disk filled up");

    // With room again, the next sync finishes the job.
    disk.resize("64m");
    common::run(&data, &["sync", "--prefetch-days", "36500"], &PW);
    let listed: serde_json::Value = common::json(
        &data,
        &["list", "--folder", "INBOX", "--limit", "10000", "--json"],
        &[],
    );
    assert_eq!(listed.as_array().map(Vec::len), Some(8000));
    common::run(&data, &["cache", "check"], &[]);
}

#[test]
fn a_full_disk_stops_keeping_bodies_cleanly_and_the_next_run_fetches_only_the_rest() {
    let mut server = Dovecot::start().expect("dovecot");
    server.seed("alice", "INBOX", 0, 6000).expect("seed");
    let disk = SmallDisk::mount("8m");
    let data = disk.path().join("profile");
    ok(&common::add_alice(&data, server.port, &[]));
    // The headers fit (1.3 MB); the bodies, their search text and the journal of their
    // writes (~7 MB more) do not.
    common::run(&data, &["sync", "--bodies", "none"], &PW);
    let line = fails(&tern(&data, &["sync", "--bodies", "all"], &PW, None));
    assert!(is_disk_full(&line), "{line}");
    common::run(&data, &["cache", "check"], &[]);

    // With room again, the next run fetches the bodies still missing, and only those.
    disk.resize("64m");
    let synced = common::run(&data, &["sync", "--bodies", "all"], &PW);
    let kept: usize = synced
        .lines()
        .find_map(|line| line.strip_prefix("Kept ")?.split(' ').next()?.parse().ok())
        .unwrap_or_else(|| panic!("no bodies kept: {synced}"));
    assert!(
        kept > 0 && kept < 6000,
        "the disk was to fill up in the middle of the download: {kept} left"
    );
    eprintln!(
        "{} of 6000 bodies were kept before the disk filled up",
        6000 - kept
    );
    common::run(&data, &["cache", "check"], &[]);
    let again = common::run(&data, &["sync", "--bodies", "all"], &PW);
    assert!(!again.contains("Kept"), "nothing left: {again}");

    // Every body reads with the server gone.
    server.stop().expect("stop");
    for uid in [1u32, 3000, 6000] {
        let shown = common::show_json(&data, "INBOX", &uid.to_string());
        assert_eq!(
            shown["subject"],
            tern_testkit::messages::subject(u64::from(uid) - 1).as_str()
        );
    }
}

#[test]
fn a_full_disk_never_sends_a_message_and_keeps_it_for_later() {
    let dovecot = Dovecot::start_with_delivery().expect("dovecot");
    let postfix = Postfix::start(&dovecot).expect("postfix");
    let disk = SmallDisk::mount("8m");
    let data = disk.path().join("profile");
    let smtp = postfix.port.to_string();
    ok(&common::add_alice(
        &data,
        dovecot.port,
        &[
            "--name",
            "Alice",
            "--smtp-host",
            "127.0.0.1",
            "--smtp-port",
            &smtp,
            "--smtp-security",
            "plain",
        ],
    ));
    let queued: serde_json::Value = serde_json::from_str(&ok(&tern(
        &data,
        &[
            "send",
            "--queue-only",
            "--json",
            "--to",
            "bob@tern.test",
            "--subject",
            "Sent once, after the disk was full",
            "--body-file",
            "-",
        ],
        &PW,
        Some("Hello.\n"),
    )))
    .unwrap();
    let message_id = queued["message_id"].as_str().unwrap().to_string();

    // No room for the outbox to record "sending": nothing may go out.
    let filler = disk.fill();
    let line = fails(&tern(&data, &["outbox", "--flush"], &PW, None));
    assert!(is_disk_full(&line), "{line}");
    let count = |folder: &str| {
        dovecot
            .doveadm(&[
                "search",
                "-u",
                "bob",
                "mailbox",
                folder,
                "header",
                "Message-ID",
                &message_id,
            ])
            .unwrap()
            .lines()
            .filter(|line| !line.trim().is_empty())
            .count()
    };
    assert_eq!(
        count("INBOX"),
        0,
        "sent while the outbox could not record it"
    );

    // Room again: it goes out, once.
    std::fs::remove_file(filler).unwrap();
    let flushed = tern(&data, &["outbox", "--flush"], &PW, None);
    ok(&flushed);
    tern_testkit::poll_until(
        "the message in bob's INBOX",
        Duration::from_secs(30),
        || count("INBOX") == 1,
    )
    .unwrap();
    let outbox: serde_json::Value = common::json(&data, &["outbox", "--json"], &PW);
    assert_eq!(outbox[0]["state"], "sent", "{outbox}");
    assert_eq!(count("INBOX"), 1);
}
