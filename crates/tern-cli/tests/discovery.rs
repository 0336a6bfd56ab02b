//! `tern account discover` and `tern account add --email` without servers, against a
//! pretend Internet (DNS and HTTPS on a private loopback address, `TERN_DNS_SERVERS`
//! pointing at it) and a real Dovecot: what was found is shown, used only when confirmed,
//! and never with a password when it was read over plain http.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};

use common::{fails_after_explaining as fails, ok, tern};
use tern_testkit::internet::Internet;
use tern_testkit::Dovecot;

/// A document sending example.test's mail to the local Dovecot (over TLS, as "alice").
fn document(dovecot: &Dovecot) -> String {
    format!(
        r#"<clientConfig version="1.1"><emailProvider id="example.test">
  <displayName>Example Test Mail</displayName>
  <incomingServer type="imap"><hostname>localhost</hostname><port>{port}</port>
    <socketType>SSL</socketType><authentication>password-cleartext</authentication>
    <username>%EMAILLOCALPART%</username></incomingServer>
  <outgoingServer type="smtp"><hostname>localhost</hostname><port>2525</port>
    <socketType>STARTTLS</socketType><authentication>password-cleartext</authentication>
    <username>%EMAILADDRESS%</username></outgoingServer>
</emailProvider></clientConfig>"#,
        port = dovecot.tls_port
    )
}

/// One CA file trusting both the pretend Internet's CA and Dovecot's.
fn both_cas(internet: &Internet, dovecot: &Dovecot, dir: &Path) -> PathBuf {
    let mut pem = std::fs::read(&internet.ca_file).unwrap();
    pem.extend(std::fs::read(dovecot.ca_file()).unwrap());
    let path = dir.join("cas.pem");
    std::fs::write(&path, pem).unwrap();
    path
}

struct World {
    runtime: tokio::runtime::Runtime,
    internet: Internet,
    dovecot: Dovecot,
    data: tempfile::TempDir,
    cas: PathBuf,
}

impl World {
    fn env(&self) -> Vec<(String, String)> {
        vec![
            (
                "TERN_DNS_SERVERS".into(),
                self.internet.dns.addr.to_string(),
            ),
            ("ALICE_PW".into(), "alice-pw".into()),
        ]
    }

    /// `tern account add --email alice@example.test` with no servers, trusting both CAs, and
    /// `extra` flags.
    fn add_alice(&self, extra: &[&str]) -> std::process::Output {
        let cas = self.cas.to_str().unwrap_or_default().to_string();
        let mut args = vec![
            "account",
            "add",
            "--email",
            "alice@example.test",
            "--password-env",
            "ALICE_PW",
            "--ca-file",
            &cas,
        ];
        args.extend_from_slice(extra);
        self.tern(&args)
    }

    fn tern(&self, args: &[&str]) -> std::process::Output {
        let env = self.env();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        tern(self.data.path(), args, &env, None)
    }
}

fn world(https: bool) -> World {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dovecot = Dovecot::start().expect("dovecot");
    dovecot.seed("alice", "INBOX", 0, 3).expect("seed");
    let mut internet = runtime
        .block_on(Internet::start(&["autoconfig.example.test"]))
        .unwrap();
    let document = document(&dovecot);
    let served = [(
        "autoconfig.example.test/mail/config-v1.1.xml",
        document.as_str(),
    )];
    runtime
        .block_on(async {
            if https {
                internet.serve_https(&served).await
            } else {
                internet.serve_plain_http(&served).await
            }
        })
        .unwrap();
    let data = tempfile::tempdir().unwrap();
    let cas = both_cas(&internet, &dovecot, data.path());
    World {
        runtime,
        internet,
        dovecot,
        data,
        cas,
    }
}

#[test]
fn discover_shows_what_it_found_and_where_from() {
    let world = world(true);
    let cas = world.cas.to_str().unwrap();
    let output = ok(&world.tern(&[
        "account",
        "discover",
        "alice@example.test",
        "--ca-file",
        cas,
        "--json",
    ]));
    let found: serde_json::Value = serde_json::from_str(&output).unwrap();
    assert_eq!(found["email"], "alice@example.test");
    assert_eq!(found["found"]["imap"]["host"], "localhost");
    assert_eq!(found["found"]["imap"]["port"], world.dovecot.tls_port);
    assert_eq!(found["found"]["imap"]["security"], "tls");
    assert_eq!(found["found"]["username"], "alice");
    assert_eq!(found["found"]["smtp"]["port"], 2525);
    assert_eq!(found["found"]["sign_in"]["kind"], "password");
    assert_eq!(found["found"]["source"]["kind"], "autoconfig");
    assert!(found["tried"].as_array().unwrap().len() >= 2, "{found}");
    assert!(found["ms"].as_u64().unwrap() < 3_500);

    let text = ok(&world.tern(&[
        "account",
        "discover",
        "alice@example.test",
        "--ca-file",
        cas,
    ]));
    assert!(text.contains("IMAP localhost:"), "{text}");
    assert!(
        text.contains("autoconfig https://autoconfig.example.test/"),
        "{text}"
    );
    // Nothing was stored.
    let accounts: Vec<serde_json::Value> =
        common::json(world.data.path(), &["account", "list", "--json"], &[]);
    assert!(accounts.is_empty());
    drop(world.runtime);
}

#[test]
fn an_address_alone_adds_the_account_once_confirmed() {
    let world = world(true);
    // Not confirmed (no terminal, no --yes): shown, and nothing stored.
    let line = fails(&world.add_alice(&[]));
    assert!(line.contains("--yes"), "{line}");
    let accounts: Vec<serde_json::Value> =
        common::json(world.data.path(), &["account", "list", "--json"], &[]);
    assert!(accounts.is_empty());

    let output = world.add_alice(&["--yes"]);
    ok(&output);
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains("Found Example Test Mail"), "{said}");
    assert!(said.contains("Added alice@example.test"), "{said}");
    let accounts: Vec<serde_json::Value> =
        common::json(world.data.path(), &["account", "list", "--json"], &[]);
    assert_eq!(accounts.len(), 1);
    assert_eq!(accounts[0]["imap_host"], "localhost");
    assert_eq!(accounts[0]["imap_port"], world.dovecot.tls_port);
    assert_eq!(accounts[0]["security"], "tls");
    assert_eq!(accounts[0]["user"], "alice");
    assert_eq!(accounts[0]["smtp_port"], 2525);
    // And it works: the mailbox syncs.
    let synced = ok(&world.tern(&["sync", "--folder", "INBOX"]));
    assert!(synced.contains("+3"), "{synced}");
    drop(world.runtime);
}

#[test]
fn settings_read_over_plain_http_are_never_used_with_a_password() {
    let world = world(false);
    let line = fails(&world.add_alice(&["--allow-http", "--yes"]));
    assert!(line.contains("plain http"), "{line}");
    let accounts: Vec<serde_json::Value> =
        common::json(world.data.path(), &["account", "list", "--json"], &[]);
    assert!(accounts.is_empty());
    // Without --allow-http it is not even asked for.
    let line = fails(&world.add_alice(&["--yes"]));
    assert!(line.contains("No servers found"), "{line}");
    assert_eq!(
        world.internet.requests().len(),
        1,
        "{:?}",
        world.internet.requests()
    );
    drop(world.runtime);
}
