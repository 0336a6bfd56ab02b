//! The `tern` binary end to end against a real Dovecot: accounts, sync, folders, list,
//! offline use, TLS, the plaintext policy, errors as one line, and the OS keyring.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::{fails, json_lines, next_matching, ok, tern};
use tern_testkit::Dovecot;

fn add_plain(data: &Path, server: &Dovecot) -> Output {
    common::add_alice(data, server.port, &[])
}

const PW: [(&str, &str); 1] = common::ALICE_PW;

#[test]
fn add_sync_folders_and_list_then_work_offline() {
    let mut server = Dovecot::start().expect("dovecot");
    server.seed("alice", "INBOX", 0, 40).expect("seed");
    let data = tempfile::tempdir().expect("temp");
    ok(&add_plain(data.path(), &server));

    let sync: serde_json::Value = common::json(data.path(), &["sync", "--json"], &PW);
    let folders = sync.as_array().expect("an array, one object per folder");
    assert_eq!(folders.len(), 6);
    assert_eq!(folders[0]["folder"], "INBOX", "INBOX is synced first");
    for key in [
        "folder",
        "strategy",
        "uidvalidity",
        "added",
        "removed",
        "flags_changed",
        "resync",
        "ms",
    ] {
        assert!(folders[0].get(key).is_some(), "sync JSON has {key}");
    }
    assert_eq!(folders[0]["strategy"], "initial");
    assert_eq!(folders[0]["added"], 40);

    let again: serde_json::Value =
        common::json(data.path(), &["sync", "--folder", "INBOX", "--json"], &PW);
    assert_eq!(again[0]["strategy"], "qresync");
    assert_eq!(again[0]["added"], 0);
    let forced: serde_json::Value = common::json(
        data.path(),
        &[
            "sync",
            "--folder",
            "INBOX",
            "--strategy",
            "uid-flags",
            "--json",
        ],
        &PW,
    );
    assert_eq!(forced[0]["strategy"], "uid_flags");

    let folders: serde_json::Value = common::json(data.path(), &["folders", "--json"], &PW);
    let inbox = &folders[0];
    assert_eq!(
        (inbox["name"].as_str(), inbox["role"].as_str()),
        (Some("INBOX"), Some("inbox"))
    );
    assert_eq!(inbox["total"], 40);
    // Every third seeded message (index 0, 3, …, 39) is \Seen: 14 of 40.
    assert_eq!(inbox["unread"], 26);
    assert!(folders
        .as_array()
        .expect("array")
        .iter()
        .any(|folder| folder["role"] == "trash"));

    // The server goes away: list still answers from the cache, sync fails clearly.
    server.stop().expect("stop");
    let list: serde_json::Value = common::json(
        data.path(),
        &["list", "--folder", "INBOX", "--limit", "5", "--json"],
        &[],
    );
    let messages = list.as_array().expect("array");
    assert_eq!(messages.len(), 5);
    let newest = &messages[0];
    assert_eq!(newest["uid"], 40);
    assert_eq!(newest["subject"], "Test message 39");
    assert_eq!(newest["from"], "Newsletter <news@example.org>");
    assert_eq!(newest["message_id"], "seed-39@tern.test");
    assert_eq!(newest["flags"], serde_json::json!(["\\Seen"]));
    assert_eq!(newest["date"], "2023-11-14T22:52:20Z");
    let text = common::run(
        data.path(),
        &["list", "--folder", "INBOX", "--limit", "3"],
        &[],
    );
    assert!(text.contains("Test message 39"), "{text}");
    let line = fails(&tern(data.path(), &["sync"], &PW, None));
    assert!(line.contains("Connecting to 127.0.0.1"), "{line}");
    // …and the cache is intact.
    let list: serde_json::Value = common::json(
        data.path(),
        &["list", "--folder", "INBOX", "--limit", "100", "--json"],
        &[],
    );
    assert_eq!(list.as_array().expect("array").len(), 40);
}

#[test]
fn tls_needs_the_ca_file_and_failures_store_nothing() {
    let server = Dovecot::start().expect("dovecot");
    let data = tempfile::tempdir().expect("temp");
    let ca = server.ca_file();
    let base = common::account_add_args("alice", server.tls_port, "tls");
    let base: Vec<&str> = base.iter().map(String::as_str).collect();
    let line = fails(&tern(data.path(), &base, &PW, None));
    assert!(line.contains("certificate"), "{line}");
    let accounts = common::run(data.path(), &["account", "list", "--json"], &[]);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&accounts).expect("JSON"),
        serde_json::json!([])
    );

    let mut with_ca: Vec<&str> = base.to_vec();
    let ca_text = ca.display().to_string();
    with_ca.extend(["--ca-file", &ca_text]);
    common::run(data.path(), &with_ca, &PW);
    let sync = common::run(data.path(), &["sync", "--folder", "INBOX"], &PW);
    assert!(sync.contains("INBOX"), "{sync}");
}

#[test]
fn plaintext_to_a_remote_host_is_refused() {
    let data = tempfile::tempdir().expect("temp");
    // `tern account add` for a@example.org with these servers, which must fail.
    let refused = |servers: &[&str]| {
        let mut args = vec!["account", "add", "--email", "a@example.org"];
        args.extend_from_slice(servers);
        args.extend(["--password-env", "ALICE_PW", "--no-verify"]);
        fails(&tern(data.path(), &args, &PW, None))
    };
    let line = refused(&["--imap-host", "192.0.2.7", "--security", "plain"]);
    assert!(line.contains("Refusing plaintext IMAP"), "{line}");
    // The same rule for the sending server (one setup path for the CLI and the app).
    let line = refused(&[
        "--imap-host",
        "imap.example.org",
        "--smtp-host",
        "192.0.2.8",
        "--smtp-security",
        "plain",
    ]);
    assert!(
        line.contains("Refusing plaintext SMTP to 192.0.2.8"),
        "{line}"
    );
    let accounts = common::run(data.path(), &["account", "list", "--json"], &[]);
    assert_eq!(accounts.trim(), "[]", "nothing stored");
}

#[test]
fn a_wrong_password_is_one_line_without_the_password() {
    let server = Dovecot::start().expect("dovecot");
    let data = tempfile::tempdir().expect("temp");
    let line = fails(&common::add_user(
        data.path(),
        "alice",
        server.port,
        &[],
        &[("ALICE_PW", "not-the-password")],
    ));
    assert!(line.contains("Login"), "{line}");
    assert!(!line.contains("not-the-password"), "{line}");
}

#[test]
fn two_accounts_need_a_choice() {
    let server = Dovecot::start().expect("dovecot");
    server.seed("bob", "INBOX", 0, 3).expect("seed bob");
    let data = tempfile::tempdir().expect("temp");
    ok(&add_plain(data.path(), &server));
    ok(&common::add_user(
        data.path(),
        "bob",
        server.port,
        &[],
        &[("BOB_PW", "bob-pw")],
    ));
    let line = fails(&tern(data.path(), &["sync"], &PW, None));
    assert!(line.contains("--account"), "{line}");
    common::run(
        data.path(),
        &["--account", "bob@tern.test", "sync", "--folder", "INBOX"],
        &[("BOB_PW", "bob-pw")],
    );
    let list: serde_json::Value = common::json(
        data.path(),
        &[
            "--account",
            "bob@tern.test",
            "list",
            "--folder",
            "INBOX",
            "--json",
        ],
        &[],
    );
    assert_eq!(list.as_array().expect("array").len(), 3);
}

#[test]
fn the_password_lives_in_the_os_keyring_and_nowhere_else() {
    let server = Dovecot::start().expect("dovecot");
    server.seed("alice", "INBOX", 0, 5).expect("seed");
    let data = tempfile::tempdir().expect("temp");
    let script = format!(
        r#"echo 'kr-secret-Pw1' | "$TERN" --data-dir {data} account add --email alice@tern.test --user alice --imap-host 127.0.0.1 --imap-port {port} --security plain --password-stdin --no-verify
echo "stored=$(secret-tool lookup service tern username alice@tern.test)"
"$TERN" --data-dir {data} sync --folder INBOX 2>&1 || true"#,
        data = data.path().display(),
        port = server.port,
    );
    // Dovecot's alice has password alice-pw; use it through the keyring for a real login.
    let real = script.replace("kr-secret-Pw1", "alice-pw");
    let output = common::in_keyring_session(&real);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("stored=alice-pw"), "{stdout}");
    assert!(
        stdout.contains("INBOX") && stdout.contains("+5"),
        "sync with the keyring password: {stdout}"
    );
    for entry in std::fs::read_dir(data.path()).expect("data dir") {
        let bytes = std::fs::read(entry.expect("entry").path()).expect("read");
        assert!(
            !bytes.windows(8).any(|window| window == b"alice-pw"),
            "password found in the data directory"
        );
    }

    // Without any keyring the error says so plainly.
    let no_keyring = tern(
        data.path(),
        &[
            "account",
            "add",
            "--email",
            "x@tern.test",
            "--imap-host",
            "127.0.0.1",
            "--security",
            "plain",
            "--password-stdin",
            "--no-verify",
        ],
        &[("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")],
        Some("pw\n"),
    );
    let line = fails(&no_keyring);
    assert!(line.contains("No OS keyring is available"), "{line}");
}

/// Delivers one message (number `index`) into `folder` and waits for `tern watch` to say
/// the folder changed; returns that event.
fn deliver_and_hear(
    server: &Dovecot,
    lines: &std::sync::mpsc::Receiver<serde_json::Value>,
    folder: &str,
    index: u64,
) -> serde_json::Value {
    server.seed("alice", folder, index, 1).expect("deliver");
    next_matching(lines, &format!("{folder} changed"), |value| {
        value["event"] == "folder_changed" && value["folder"] == folder
    })
}

/// Alice's IMAP connections as Dovecot counts them, and what it said.
fn alice_connections(server: &Dovecot) -> (usize, String) {
    let who = server.doveadm(&["who", "-1"]).expect("doveadm who");
    let connections = who
        .lines()
        .filter(|line| line.starts_with("alice") && line.contains("imap"))
        .count();
    (connections, who)
}

#[test]
fn watch_prints_events_as_json_lines_and_exits_cleanly_on_sigterm() {
    let server = Dovecot::start().expect("dovecot");
    server.seed("alice", "INBOX", 0, 5).expect("seed");
    let data = tempfile::tempdir().expect("temp");
    ok(&add_plain(data.path(), &server));
    common::run(data.path(), &["sync", "--folder", "INBOX"], &PW);

    let mut watching = common::watch_live(data.path(), &[]);
    let lines = &watching.lines;
    assert_eq!(watching.live["account"], "alice@tern.test");

    // A second `tern watch` on the profile would watch it twice: it refuses at once.
    let mut second = common::spawn_tern(
        data.path(),
        &["watch", "--json"],
        &PW,
        Stdio::null(),
        Stdio::piped(),
    );
    let status = common::exit_within(
        &mut second,
        20,
        "a second tern watch on one profile kept running",
    );
    let mut said = String::new();
    std::io::Read::read_to_string(&mut second.stderr.take().expect("stderr"), &mut said)
        .expect("stderr");
    assert!(!status.success());
    assert!(said.contains("already running"), "{said}");

    // New mail delivered into the Maildir (as a delivery agent would) is pushed over IDLE.
    server.seed("alice", "INBOX", 5, 1).expect("deliver");
    let changed = next_matching(lines, "folder_changed", |value| {
        value["event"] == "folder_changed"
    });
    assert_eq!(changed["folder"], "INBOX");
    assert_eq!(changed["added"], 1);
    assert_eq!(changed["total"], 6);
    for key in ["removed", "flags_changed", "unread", "resync"] {
        assert!(changed.get(key).is_some(), "folder_changed has {key}");
    }
    let new_mail = next_matching(lines, "new_mail", |value| value["event"] == "new_mail");
    assert_eq!(new_mail["folder"], "INBOX");
    assert_eq!(new_mail["uid"], 6);
    assert_eq!(
        new_mail["subject"],
        tern_testkit::messages::subject(5).as_str()
    );
    assert!(new_mail["from"].is_string());

    let status = Command::new("kill")
        .arg("-TERM")
        .arg(watching.child.id().to_string())
        .status()
        .expect("kill");
    assert!(status.success());
    let exit = common::exit_within(
        &mut watching.child,
        15,
        "tern watch did not exit after SIGTERM",
    );
    assert!(exit.success(), "exit status {exit:?}");

    // The delivered message is in the cache: `tern list` shows it offline.
    let listed: serde_json::Value =
        common::json(data.path(), &["list", "--folder", "INBOX", "--json"], &[]);
    assert_eq!(listed.as_array().expect("array").len(), 6);
}

#[test]
fn watch_keeps_to_its_connection_budget_and_checks_the_other_folders_by_status() {
    // Without NOTIFY (with it, one connection watches everything: the next test).
    let server = Dovecot::start_without(&["NOTIFY"]).expect("dovecot");
    server.seed("alice", "INBOX", 0, 2).expect("seed");
    for folder in ["Lists", "Work", "Old"] {
        server.seed("alice", folder, 0, 2).expect("seed folder");
    }
    let data = tempfile::tempdir().expect("temp");
    ok(&add_plain(data.path(), &server));
    common::run(data.path(), &["sync"], &PW);

    // Four folders, three connections (the account's setting): the request connection, IDLE
    // for INBOX and Lists; Work and Old are checked by STATUS every second.
    common::run(data.path(), &["account", "connections", "3"], &PW);
    let listed: serde_json::Value = common::json(data.path(), &["account", "list", "--json"], &PW);
    assert_eq!(listed[0]["max_connections"], 3);
    let refused = common::tern(data.path(), &["account", "connections", "0"], &PW, None);
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(
        !refused.status.success() && said.contains("1..=64"),
        "no connection at all is refused: {said}"
    );
    let watching = common::watch_live(
        data.path(),
        &[
            "--check-every",
            "1",
            "--folder",
            "INBOX",
            "--folder",
            "Lists",
            "--folder",
            "Work",
            "--folder",
            "Old",
        ],
    );
    let lines = &watching.lines;
    // A checked folder, then a watched one.
    assert_eq!(deliver_and_hear(&server, lines, "Old", 2)["added"], 1);
    assert_eq!(deliver_and_hear(&server, lines, "Lists", 2)["added"], 1);
    let (connections, who) = alice_connections(&server);
    assert!(
        // One line per connection: two IDLE (INBOX, Lists) and maybe the request one.
        (2..=3).contains(&connections),
        "{connections} connections for a budget of 3:\n{who}"
    );
}

#[test]
fn watch_with_notify_holds_one_connection_and_hears_every_folder() {
    let server = Dovecot::start().expect("dovecot");
    server.seed("alice", "INBOX", 0, 2).expect("seed");
    server.seed("alice", "Work", 0, 2).expect("seed folder");
    let data = tempfile::tempdir().expect("temp");
    ok(&add_plain(data.path(), &server));
    common::run(data.path(), &["sync"], &PW);
    let watching = common::watch_live(data.path(), &["--folder", "INBOX"]);
    let lines = &watching.lines;
    // A folder not given is heard too.
    assert_eq!(deliver_and_hear(&server, lines, "Work", 2)["added"], 1);
    server
        .seed("alice", "INBOX", 2, 1)
        .expect("deliver to INBOX");
    next_matching(lines, "new mail in INBOX", |value| {
        value["event"] == "new_mail" && value["folder"] == "INBOX"
    });
    let (connections, who) = alice_connections(&server);
    // The request connection and the one NOTIFY connection.
    assert_eq!(connections, 2, "{who}");
}

/// Every message on the server, read with doveadm: (folder, Message-ID) -> flags.
fn server_messages(server: &Dovecot) -> std::collections::BTreeMap<(String, String), String> {
    let out = server
        .fetch("alice", "mailbox flags hdr.message-id", &["all"])
        .expect("doveadm fetch");
    out.lines()
        .skip(1)
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let mut fields = line.split('\t');
            let folder = fields.next().unwrap_or("").to_string();
            let mut flags: Vec<&str> = fields
                .next()
                .unwrap_or("")
                .split_whitespace()
                .filter(|flag| *flag != "\\Recent")
                .collect();
            flags.sort_unstable();
            let id = fields.next().unwrap_or("").trim().to_string();
            ((folder, id), flags.join(" "))
        })
        .collect()
}

fn action_json(data: &Path, args: &[&str]) -> serde_json::Value {
    let mut all = args.to_vec();
    all.push("--json");
    serde_json::from_str(&common::run(data, &all, &PW)).expect("action JSON")
}

#[test]
fn actions_made_offline_survive_a_kill_and_land_on_the_server_once() {
    let mut server = Dovecot::start().expect("dovecot");
    server.seed("alice", "INBOX", 0, 30).expect("seed");
    let data = tempfile::tempdir().expect("temp");
    ok(&add_plain(data.path(), &server));
    common::run(data.path(), &["sync"], &PW);
    let before = server_messages(&server);
    assert_eq!(before.len(), 30, "{before:?}");
    let id = |index: u64| format!("<{}>", tern_testkit::messages::message_id(index));
    let inbox = |index: u64| ("INBOX".to_string(), id(index));

    server.stop().expect("stop dovecot");
    // 20 actions, each on one message (UID n is seeded message n - 1).
    let mut local_uids = Vec::new();
    for args in [
        vec!["mark-read", "--folder", "INBOX", "--uid", "2"],
        vec!["mark-read", "--folder", "INBOX", "--uid", "3"],
        vec!["mark-unread", "--folder", "INBOX", "--uid", "4"],
        vec!["flag", "--folder", "INBOX", "--uid", "5"],
        vec!["flag", "--folder", "INBOX", "--uid", "6"],
        vec!["flag", "--folder", "INBOX", "--uid", "16"],
        vec!["unflag", "--folder", "INBOX", "--uid", "16"],
        vec!["mark-read", "--folder", "INBOX", "--uid", "9"],
        vec!["mark-unread", "--folder", "INBOX", "--uid", "9"],
        vec!["archive", "--folder", "INBOX", "--uid", "10"],
        vec!["delete", "--folder", "INBOX", "--uid", "11"],
        vec!["move", "--folder", "INBOX", "--uid", "12", "--to", "Junk"],
        vec![
            "move", "--folder", "INBOX", "--uid", "13", "--to", "Archive",
        ],
        vec!["mark-read", "--folder", "INBOX", "--uid", "14"],
        vec!["flag", "--folder", "INBOX", "--uid", "14"],
        vec!["archive", "--folder", "INBOX", "--uid", "14"],
        vec!["flag", "--folder", "INBOX", "--uid", "20"],
        vec!["mark-read", "--folder", "INBOX", "--uid", "21"],
    ] {
        let report = action_json(data.path(), &args);
        assert_eq!(report["sent"], false, "{report}");
        assert!(
            report["error"].is_string(),
            "says why it is queued: {report}"
        );
        assert_eq!(
            report["changed"].as_array().map(Vec::len),
            Some(1),
            "{report}"
        );
        if let Some(moved) = report["moved"].as_array().and_then(|moved| moved.first()) {
            local_uids.push((args[0], moved["local_uid"].as_u64().expect("local uid")));
        }
    }
    // The message archived last (UID 14, read and flagged first) is unflagged and marked
    // unread in its new folder, under its local UID.
    let (_, local) = *local_uids.last().expect("moves");
    let local = local.to_string();
    for action in ["unflag", "mark-unread"] {
        let report = action_json(
            data.path(),
            &[action, "--folder", "Archive", "--uid", &local],
        );
        assert_eq!(
            report["changed"].as_array().map(Vec::len),
            Some(1),
            "{report}"
        );
    }
    let pending: serde_json::Value = common::json(data.path(), &["pending", "--json"], &[]);
    assert_eq!(pending.as_array().map(Vec::len), Some(20), "{pending}");
    // The cache shows it all already, offline.
    let archive: serde_json::Value =
        common::json(data.path(), &["list", "--folder", "Archive", "--json"], &[]);
    assert_eq!(archive.as_array().map(Vec::len), Some(3));

    // A long-running tern holding the queue is killed outright.
    let mut watch = common::spawn_tern(
        data.path(),
        &["watch", "--json"],
        &PW,
        Stdio::piped(),
        Stdio::null(),
    );
    let lines = json_lines(watch.stdout.take().expect("stdout"));
    next_matching(&lines, "offline", |value| {
        value["event"] == "connectivity" && value["state"] == "offline"
    });
    watch.kill().expect("kill -9");
    watch.wait().expect("reaped");

    server.restart().expect("dovecot back");
    let synced = common::run(data.path(), &["sync"], &PW);
    assert!(synced.contains("Sent 20 queued changes"), "{synced}");
    let pending = common::run(data.path(), &["pending"], &[]);
    assert!(pending.contains("Nothing waiting"), "{pending}");

    // Exactly the expected server state: every action once, nothing else changed.
    let mut expected = before.clone();
    let mut set = |key: (String, String), change: &dyn Fn(&mut Vec<String>)| {
        let flags = expected.get_mut(&key).unwrap_or_else(|| panic!("{key:?}"));
        let mut list: Vec<String> = flags.split_whitespace().map(str::to_string).collect();
        change(&mut list);
        list.sort();
        list.dedup();
        *flags = list.join(" ");
    };
    let add = |flag: &'static str| move |list: &mut Vec<String>| list.push(flag.to_string());
    let remove = |flag: &'static str| move |list: &mut Vec<String>| list.retain(|f| f != flag);
    // Seeded message n: \Seen when n % 3 == 0, \Flagged when n % 7 == 0. Flag + unflag of
    // 15, read + unread of 8, and read, flag, unflag, unread of 13 change nothing in the end.
    set(inbox(1), &add("\\Seen"));
    set(inbox(2), &add("\\Seen"));
    set(inbox(3), &remove("\\Seen"));
    set(inbox(4), &add("\\Flagged"));
    set(inbox(5), &add("\\Flagged"));
    set(inbox(19), &add("\\Flagged"));
    set(inbox(20), &add("\\Seen"));
    for (index, folder) in [
        (9, "Archive"),
        (10, "Trash"),
        (11, "Junk"),
        (12, "Archive"),
        (13, "Archive"),
    ] {
        let flags = expected.remove(&inbox(index)).expect("moved message");
        expected.insert((folder.to_string(), id(index)), flags);
    }
    let after = server_messages(&server);
    assert_eq!(after, expected);
    server.stop().expect("stop");
}

#[test]
fn show_search_and_save_attachment() {
    let server = Dovecot::start().expect("dovecot");
    server.seed("alice", "INBOX", 0, 10).expect("seed");
    let data = tempfile::tempdir().expect("temp");
    ok(&add_plain(data.path(), &server));
    let synced = common::run(data.path(), &["sync", "--prefetch-days", "10000"], &PW);
    assert!(synced.contains("Kept 10 message bodies"), "{synced}");

    let shown = common::show_json(data.path(), "INBOX", "5");
    assert_eq!(
        shown["subject"],
        tern_testkit::messages::subject(4).as_str()
    );
    assert_eq!(shown["from"][0]["address"], "news@example.org");
    assert_eq!(shown["to"][0]["name"], "Alice");
    assert!(shown["cc"].as_array().expect("cc").is_empty());
    assert!(shown["date"].as_str().expect("date").starts_with("2023-"));
    assert!(shown["text"].as_str().expect("text").contains("Issue 4"));
    assert!(shown["html"].as_str().expect("html").contains("<b>4</b>"));
    assert_eq!(shown["remote_blocked"], 1);
    assert!(shown["attachments"]
        .as_array()
        .expect("attachments")
        .is_empty());

    // Always allowing the sender lets its images load; blocking again stops them.
    let images =
        |args: &[&str]| common::run(data.path(), &[&["remote-images"], args].concat(), &[]);
    images(&["allow", "News@Example.org"]);
    let allowed = common::show_json(data.path(), "INBOX", "5");
    assert_eq!(allowed["remote_blocked"], 0);
    assert!(allowed["html"]
        .as_str()
        .expect("html")
        .contains("https://tracker.example/4.png"));
    let listed = images(&["list"]);
    assert_eq!(listed.trim(), "news@example.org");
    images(&["block", "news@example.org"]);
    let blocked = common::show_json(data.path(), "INBOX", "5");
    assert_eq!(blocked["remote_blocked"], 1);

    let text = common::run(
        data.path(),
        &["show", "--folder", "INBOX", "--uid", "3", "--text"],
        &PW,
    );
    assert!(text.contains("See the attached report 2."), "{text}");
    let listed: serde_json::Value = common::show_json(data.path(), "INBOX", "3");
    assert_eq!(listed["attachments"][0]["name"], "report-2.bin");
    assert_eq!(
        listed["attachments"][0]["content_type"],
        "application/octet-stream"
    );
    assert!(listed["attachments"][0]["size"].as_u64().expect("size") > 0);

    let target = tempfile::tempdir().expect("temp");
    let save = [
        "save-attachment",
        "--folder",
        "INBOX",
        "--uid",
        "3",
        "--index",
        "0",
        "--to",
        target.path().to_str().expect("utf-8 path"),
    ];
    let saved = common::run(data.path(), &save, &PW);
    assert!(saved.contains("report-2.bin"), "{saved}");
    // Never over an existing file.
    let line = fails(&tern(data.path(), &save, &PW, None));
    assert!(line.contains("already exists"), "{line}");

    // Search needs neither the server nor the password.
    drop(server);
    let hits: serde_json::Value =
        common::json(data.path(), &["search", "reply number 8", "--json"], &[]);
    let hits = hits.as_array().expect("array");
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(hits[0]["folder"], "INBOX");
    assert_eq!(hits[0]["uid"], 9);
    for key in ["subject", "from", "date", "flags", "message_id"] {
        assert!(hits[0].get(key).is_some(), "search result has {key}");
    }
    // Seeded messages 0-3 are a conversation: 3 replies to 2 and references 0 (see
    // tern_testkit::messages), all in INBOX.
    let threads: serde_json::Value = common::json(
        data.path(),
        &["threads", "--folder", "INBOX", "--json"],
        &[],
    );
    let threads = threads.as_array().expect("array");
    let biggest = threads
        .iter()
        .max_by_key(|thread| thread["count"].as_u64())
        .expect("a thread");
    assert_eq!(biggest["count"], 3, "{threads:?}");
    let uids: Vec<u64> = biggest["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|message| message["uid"].as_u64().expect("uid"))
        .collect();
    assert_eq!(uids, vec![1, 3, 4], "0, 2 and its reply 3, oldest first");
    // Cached bodies open offline.
    let offline = common::run(
        data.path(),
        &["show", "--folder", "INBOX", "--uid", "9", "--text"],
        &PW,
    );
    assert!(offline.contains("Reply number 8."), "{offline}");
}
