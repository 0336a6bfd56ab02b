//! Several accounts in one profile from the command line: the unified inbox, a signature
//! per account, and removing an account (refused while something of it waits, then without
//! a trace in the data directory or the keyring).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;

use common::{fails, ok, tern};
use tern_testkit::Dovecot;

const BOB_PW: [(&str, &str); 1] = [("BOB_PW", "bob-pw")];

/// A profile with alice (4 messages) and bob (3 messages) on one Dovecot, both synced.
fn two_accounts(server: &Dovecot, data: &Path) {
    server.seed("alice", "INBOX", 0, 4).expect("seed alice");
    server.seed("bob", "INBOX", 10, 3).expect("seed bob");
    ok(&common::add_alice(data, server.port, &[]));
    ok(&common::add_user(data, "bob", server.port, &[], &BOB_PW));
    for (account, env) in [
        ("alice@tern.test", common::ALICE_PW),
        ("bob@tern.test", BOB_PW),
    ] {
        common::run(
            data,
            &["--account", account, "sync", "--folder", "INBOX"],
            &env,
        );
    }
}

/// Every file of the data directory, concatenated.
fn data_bytes(data: &Path) -> Vec<u8> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir(data).expect("data dir") {
        let path = entry.expect("entry").path();
        if path.is_file() {
            all.extend(std::fs::read(&path).expect("read"));
        }
    }
    all
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle.as_bytes())
}

#[test]
fn the_unified_inbox_lists_every_accounts_mail_newest_first() {
    let server = Dovecot::start().expect("dovecot");
    let data = tempfile::tempdir().expect("temp");
    two_accounts(&server, data.path());

    let all: Vec<serde_json::Value> =
        common::json(data.path(), &["list", "--unified", "--json"], &[]);
    assert_eq!(all.len(), 7, "{all:?}");
    let accounts: Vec<&str> = all
        .iter()
        .map(|row| row["account"].as_str().expect("account"))
        .collect();
    assert_eq!(
        accounts.iter().filter(|a| **a == "alice@tern.test").count(),
        4
    );
    assert_eq!(
        accounts.iter().filter(|a| **a == "bob@tern.test").count(),
        3
    );
    assert!(all
        .iter()
        .all(|row| row["folder"] == "INBOX" && row["uid"].is_u64()));
    let dates: Vec<&str> = all
        .iter()
        .map(|row| row["date"].as_str().unwrap())
        .collect();
    let mut sorted = dates.clone();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(dates, sorted, "newest first");

    let two: Vec<serde_json::Value> = common::json(
        data.path(),
        &["list", "--unified", "--limit", "2", "--json"],
        &[],
    );
    assert_eq!(two, all[..2].to_vec());
    let text = common::run(data.path(), &["list", "--unified"], &[]);
    assert_eq!(text.lines().count(), 7, "{text}");
    assert!(
        text.lines().all(|line| line.contains("@tern.test")),
        "{text}"
    );
    // `--folder` still needs its account chosen; `--unified` does not.
    let line = fails(&tern(
        data.path(),
        &["list", "--folder", "INBOX"],
        &[],
        None,
    ));
    assert!(line.contains("--account"), "{line}");
}

#[test]
fn an_account_with_waiting_changes_is_removed_only_when_forced_and_leaves_no_trace() {
    let mut server = Dovecot::start().expect("dovecot");
    let data = tempfile::tempdir().expect("temp");
    two_accounts(&server, data.path());
    common::run(
        data.path(),
        &[
            "--account",
            "bob@tern.test",
            "account",
            "signature",
            "--text",
            "Bob",
        ],
        &[],
    );
    let accounts: Vec<serde_json::Value> =
        common::json(data.path(), &["account", "list", "--json"], &[]);
    assert_eq!(accounts.len(), 2);
    assert_eq!(accounts[1]["signature"], "Bob");
    assert_eq!(accounts[0]["signature"], serde_json::Value::Null);

    // A change made offline waits in bob's queue.
    server.stop().expect("stop");
    let report: serde_json::Value = common::json(
        data.path(),
        &[
            "--account",
            "bob@tern.test",
            "flag",
            "--folder",
            "INBOX",
            "--uid",
            "1",
            "--json",
        ],
        &BOB_PW,
    );
    assert_eq!(report["sent"], false, "{report}");

    let line = fails(&tern(
        data.path(),
        &["account", "remove", "bob@tern.test"],
        &[],
        None,
    ));
    assert!(line.contains("1 change not yet on the server"), "{line}");
    assert!(line.contains("--force"), "{line}");
    let accounts: Vec<serde_json::Value> =
        common::json(data.path(), &["account", "list", "--json"], &[]);
    assert_eq!(accounts.len(), 2, "nothing removed when refused");
    assert!(
        contains(&data_bytes(data.path()), "bob@tern.test"),
        "the control"
    );

    let said = tern(
        data.path(),
        &["account", "remove", "bob@tern.test", "--force"],
        &[],
        None,
    );
    ok(&said);
    let said = String::from_utf8_lossy(&said.stderr);
    assert!(
        said.contains("Removed bob@tern.test with 1 change"),
        "{said}"
    );
    let accounts: Vec<serde_json::Value> =
        common::json(data.path(), &["account", "list", "--json"], &[]);
    assert_eq!(accounts.len(), 1);
    assert_eq!(accounts[0]["email"], "alice@tern.test");
    let unified: Vec<serde_json::Value> =
        common::json(data.path(), &["list", "--unified", "--json"], &[]);
    assert_eq!(unified.len(), 4, "alice's mail is all that is left");
    assert!(
        !contains(&data_bytes(data.path()), "bob@tern.test"),
        "bob is still in the data directory"
    );
    // With one account left, no --account is needed any more.
    common::run(data.path(), &["list", "--folder", "INBOX"], &[]);
    let line = fails(&tern(
        data.path(),
        &["account", "remove", "bob@tern.test"],
        &[],
        None,
    ));
    assert!(line.contains("No account bob@tern.test"), "{line}");
}

#[test]
fn removing_an_account_forgets_its_password_in_the_keyring() {
    let server = Dovecot::start().expect("dovecot");
    let data = tempfile::tempdir().expect("temp");
    let script = format!(
        r#"echo 'alice-pw' | "$TERN" --data-dir {data} account add --email alice@tern.test --user alice --imap-host 127.0.0.1 --imap-port {port} --security plain --password-stdin
echo "before=$(secret-tool lookup service tern username alice@tern.test)"
"$TERN" --data-dir {data} account remove alice@tern.test
echo "after=$(secret-tool lookup service tern username alice@tern.test || true)"
"$TERN" --data-dir {data} account list"#,
        data = data.path().display(),
        port = server.port,
    );
    let output = common::in_keyring_session(&script);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("before=alice-pw"), "{stdout}");
    assert!(
        stdout.contains("after=\n") || stdout.ends_with("after="),
        "{stdout}"
    );
    assert!(!stdout.contains("alice@tern.test  127.0.0.1"), "{stdout}");
}
