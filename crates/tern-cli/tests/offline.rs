//! `tern account offline`, `tern sync --bodies` and `tern search` against a real Dovecot
//! (issue 17): the account's policy decides which bodies `tern sync` keeps, in every folder;
//! `--bodies` overrides it once; a sync leaves indexing to the next search; everything kept
//! reads with the server stopped; rows without a kept body still get their preview.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{ok, tern};
use tern_testkit::Dovecot;

const PW: [(&str, &str); 1] = common::ALICE_PW;

fn offline_policy(data: &std::path::Path) -> (String, u64) {
    let accounts: serde_json::Value = common::json(data, &["account", "list", "--json"], &[]);
    (
        accounts[0]["offline_bodies"].as_str().unwrap().to_string(),
        accounts[0]["offline_max_bytes"].as_u64().unwrap(),
    )
}

#[test]
fn the_accounts_offline_policy_decides_which_bodies_sync_keeps_in_every_folder() {
    let mut server = Dovecot::start().expect("dovecot");
    // Seeded mail is from 2023: beyond the default 90 days.
    server.seed("alice", "INBOX", 0, 10).expect("seed");
    server.seed("alice", "Work", 100, 5).expect("seed");
    let data = tempfile::tempdir().expect("temp");
    ok(&common::add_alice(data.path(), server.port, &[]));
    assert_eq!(
        offline_policy(data.path()),
        ("days:90".to_string(), 2 << 20)
    );

    let synced = common::run(data.path(), &["sync"], &PW);
    assert!(!synced.contains("Kept"), "nothing that recent: {synced}");
    assert!(synced.contains("INBOX"), "{synced}");
    let listed = |data: &std::path::Path| -> Vec<serde_json::Value> {
        common::json(data, &["list", "--folder", "INBOX", "--json"], &[])
    };
    // No body kept, yet every row has its preview, from the first bytes of its text.
    let previews = |data: &std::path::Path| -> Vec<String> {
        listed(data)
            .iter()
            .map(|row| row["preview"].as_str().unwrap().to_string())
            .collect()
    };
    let from_first_bytes = previews(data.path());
    assert_eq!(from_first_bytes.len(), 10);
    assert!(
        from_first_bytes.iter().all(|preview| !preview.is_empty()),
        "{from_first_bytes:?}"
    );

    // Once, everything: both folders.
    let synced = common::run(data.path(), &["sync", "--bodies", "all"], &PW);
    assert!(synced.contains("Kept 15 message bodies"), "{synced}");
    // With its body kept, every row has the same preview, now from the whole text.
    assert_eq!(previews(data.path()), from_first_bytes);
    let again = common::run(data.path(), &["sync", "--bodies", "all"], &PW);
    assert!(!again.contains("Kept"), "nothing left to fetch: {again}");

    // The account's own policy.
    let set = tern(
        data.path(),
        &["account", "offline", "all", "--max-size", "5"],
        &[],
        None,
    );
    ok(&set);
    let said = String::from_utf8_lossy(&set.stderr);
    assert!(said.contains("keeps every body offline"), "{said}");
    assert_eq!(offline_policy(data.path()), ("all".to_string(), 5 << 20));
    ok(&tern(
        data.path(),
        &["account", "offline", "days:30"],
        &[],
        None,
    ));
    assert_eq!(
        offline_policy(data.path()),
        ("days:30".to_string(), 5 << 20)
    );
    let refused = tern(data.path(), &["account", "offline", "sometimes"], &[], None);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("not none, all or days:N"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    let both = tern(
        data.path(),
        &["sync", "--bodies", "all", "--prefetch-days", "3"],
        &PW,
        None,
    );
    assert!(
        !both.status.success(),
        "--bodies and --prefetch-days conflict"
    );

    // Read with the server gone: every body of Work is here.
    server.stop().expect("stop");
    for uid in 1..=5 {
        let shown = common::show_json(data.path(), "Work", &uid.to_string());
        assert_eq!(
            shown["subject"],
            tern_testkit::messages::subject(99 + uid).as_str()
        );
    }
    // The sync left indexing to the search, which finds body text offline.
    let found = common::run(data.path(), &["search", "reply number 103", "--json"], &[]);
    let hits: serde_json::Value = serde_json::from_str(&found).unwrap();
    assert_eq!(hits.as_array().unwrap().len(), 1, "{found}");
    assert_eq!(hits[0]["folder"], "Work");
}

#[test]
fn tern_watch_keeps_bodies_as_the_policy_says_and_new_mail_too() {
    let mut server = Dovecot::start().expect("dovecot");
    server.seed("alice", "INBOX", 0, 3).expect("seed");
    server.seed("alice", "Work", 100, 2).expect("seed");
    let data = tempfile::tempdir().expect("temp");
    ok(&common::add_alice(data.path(), server.port, &[]));
    common::run(data.path(), &["sync", "--bodies", "none"], &PW);
    ok(&tern(
        data.path(),
        &["account", "offline", "all"],
        &[],
        None,
    ));

    let mut child = common::spawn_tern(
        data.path(),
        &["watch", "--json"],
        &PW,
        std::process::Stdio::piped(),
        std::process::Stdio::null(),
    );
    let lines = common::json_lines(child.stdout.take().expect("stdout"));
    let kept_all = |folder: &'static str, total: u64| {
        move |value: &serde_json::Value| {
            value["event"] == "sync_progress"
                && value["phase"] == "bodies"
                && value["folder"] == folder
                && value["synced"] == total
                && value["total"] == total
        }
    };
    // Every folder the cache holds, not INBOX's last 30 days (what `tern watch` used to keep).
    common::next_matching(&lines, "INBOX's bodies kept", kept_all("INBOX", 3));
    common::next_matching(&lines, "Work's bodies kept", kept_all("Work", 2));
    // New mail is kept too, once it has arrived.
    server.seed("alice", "INBOX", 3, 1).expect("deliver");
    common::next_matching(&lines, "the new message's body kept", kept_all("INBOX", 1));
    let _ = child.kill();
    let _ = child.wait();

    server.stop().expect("stop");
    for (folder, uid, index) in [("INBOX", 4, 3), ("Work", 2, 101)] {
        let shown = common::show_json(data.path(), folder, &uid.to_string());
        assert_eq!(
            shown["subject"],
            tern_testkit::messages::subject(index).as_str(),
            "{folder} {uid} opens offline"
        );
    }
}
