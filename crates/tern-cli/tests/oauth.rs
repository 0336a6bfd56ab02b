//! OAuth2 accounts from the command line, in a private D-Bus session with an unlocked
//! keyring, against a mock authorization server and a Dovecot that checks bearer tokens:
//! `tern account add --oauth2-issuer` signs in through the "browser" (a script that follows
//! the redirect), the refresh token lives in the keyring and nowhere else, syncs use access
//! tokens; a withdrawn grant makes `tern sync` say "sign in again" and `tern account list`
//! show it; `tern account signin` (browser, then device code) resumes; removing the account
//! forgets the token; a long `tern watch` outlives access tokens of a second and a half.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use tern_testkit::oauth::MockIdp;
use tern_testkit::Dovecot;

const CLIENT: &str = "tern-test-client";

/// A "browser" that follows the sign-in page's redirect to Tern's loopback listener.
fn browser_script(dir: &std::path::Path) -> std::path::PathBuf {
    let browser = dir.join("browser.sh");
    std::fs::write(
        &browser,
        "#!/bin/sh\nexec python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=20).read()' \"$1\"\n",
    )
    .unwrap();
    std::fs::set_permissions(
        &browser,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    browser
}

#[test]
fn an_oauth2_account_signs_in_syncs_needs_a_new_sign_in_when_revoked_and_resumes() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let idp = runtime.block_on(MockIdp::start(CLIENT)).unwrap();
    let server = Dovecot::start_with_oauth2(&idp.introspection_url()).unwrap();
    server.seed("alice", "INBOX", 0, 4).unwrap();
    let data = tempfile::tempdir().unwrap();
    let browser = browser_script(data.path());
    let profile = data.path().join("profile");
    let script = format!(
        r#"set +e
export BROWSER={browser}
T="$TERN --data-dir {profile}"
post() {{ python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], data=sys.argv[2].encode(), timeout=10).read()' "$@"; }}
$T account add --email alice@tern.test --user alice --imap-host 127.0.0.1 --imap-port {port} --security plain --oauth2-issuer {issuer} --oauth2-client-id {CLIENT}
echo "added=$?"
refresh=$(secret-tool lookup service tern-oauth2 username alice@tern.test)
echo "refresh-stored=${{#refresh}}"
$T sync --folder INBOX && echo "synced=ok"
$T account list --json > list1.json
post {issuer}/revoke "token=$refresh"
$T sync --folder INBOX 2> sync-revoked.err; echo "sync-after-revoke=$?"
$T account list --json > list2.json
$T account signin alice@tern.test && echo "signin=ok"
$T sync --folder INBOX && echo "resynced=ok"
$T account list --json > list3.json
$T account signin alice@tern.test --device-code 2> device.err &
pid=$!
for i in $(seq 1 200); do grep -q "enter the code" device.err 2>/dev/null && break; sleep 0.05; done
code=$(sed -n 's/.*enter the code \([A-Z0-9-]*\).*/\1/p' device.err)
post "{issuer}/device/approve?user_code=$code" ""
wait $pid; echo "device=$?"
$T account remove alice@tern.test --force && echo "removed=ok"
echo "after-remove=[$(secret-tool lookup service tern-oauth2 username alice@tern.test || true)]"
"#,
        browser = browser.display(),
        profile = profile.display(),
        port = server.port,
        issuer = idp.issuer(),
    );
    let output = common::in_keyring_session(&format!("cd {}\n{script}", data.path().display()));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let said = format!("{stdout}\n{stderr}");
    for expected in [
        "added=0",
        "synced=ok",
        "sync-after-revoke=1",
        "signin=ok",
        "resynced=ok",
        "device=0",
        "removed=ok",
        "after-remove=[]",
    ] {
        assert!(stdout.contains(expected), "{expected} missing:\n{said}");
    }
    assert!(
        !stdout.contains("refresh-stored=0"),
        "a refresh token is in the keyring:\n{said}"
    );
    let read = |name: &str| -> Vec<serde_json::Value> {
        serde_json::from_str(&std::fs::read_to_string(data.path().join(name)).unwrap()).unwrap()
    };
    let first = read("list1.json");
    assert_eq!(first[0]["auth"], "oauth2");
    assert_eq!(first[0]["oauth2_issuer"], idp.issuer());
    assert_eq!(first[0]["sign_in_needed"], false);
    assert_eq!(read("list2.json")[0]["sign_in_needed"], true, "{said}");
    assert_eq!(read("list3.json")[0]["sign_in_needed"], false);
    let revoked = std::fs::read_to_string(data.path().join("sync-revoked.err")).unwrap();
    assert!(revoked.contains("sign in again"), "{revoked}");
    assert!(idp.count("/device/code") >= 1);

    // No token anywhere in the profile (the removed account's cache is rebuilt anyway; the
    // error texts and logs went to stderr above).
    let tokens = idp.tokens();
    assert!(!tokens.is_empty());
    for token in &tokens {
        assert!(!said.contains(token.as_str()), "a token was printed");
    }
    for entry in std::fs::read_dir(&profile).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        for token in &tokens {
            assert!(
                !bytes
                    .windows(token.len())
                    .any(|window| window == token.as_bytes()),
                "a token in the data directory"
            );
        }
    }
    drop(runtime);
}

/// The events `tern watch --json` printed so far.
fn events(path: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect()
}

/// Waits (at most 30 s) until `check` holds for the printed events.
fn wait_for_events(
    path: &std::path::Path,
    what: &str,
    check: impl Fn(&[serde_json::Value]) -> bool,
) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !check(&events(path)) {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}; events: {:?}",
            events(path)
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn a_long_tern_watch_outlives_short_access_tokens_and_loses_no_mail() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let idp = runtime.block_on(MockIdp::start(CLIENT)).unwrap();
    // Every access token lives a second and a half; refresh tokens live on.
    idp.configure(|config| config.expires_in = std::time::Duration::from_millis(1_500));
    let server = Dovecot::start_with_oauth2(&idp.introspection_url()).unwrap();
    server.seed("alice", "INBOX", 0, 2).unwrap();
    let proxy = runtime
        .block_on(tern_testkit::Proxy::start(server.port))
        .unwrap();
    let data = tempfile::tempdir().unwrap();
    let browser = browser_script(data.path());
    let dir = data.path().to_path_buf();
    let script = format!(
        r#"set +e
cd {dir}
export BROWSER={browser}
T="$TERN --data-dir {dir}/profile"
$T account add --email alice@tern.test --user alice --imap-host 127.0.0.1 --imap-port {port} --security plain --oauth2-issuer {issuer} --oauth2-client-id {CLIENT} || echo "add-failed"
$T watch --json > events.jsonl 2> watch.err &
pid=$!
for i in $(seq 1 1200); do [ -e stop ] && break; sleep 0.05; done
kill -INT $pid
wait $pid
echo "watch-exit=$?"
"#,
        dir = dir.display(),
        browser = browser.display(),
        port = proxy.port,
        issuer = idp.issuer(),
    );
    let session = std::thread::spawn(move || common::in_keyring_session(&script));
    let printed = data.path().join("events.jsonl");
    let live = |events: &[serde_json::Value]| {
        events
            .iter()
            .filter(|event| event["event"] == "connectivity" && event["state"] == "live")
            .count()
    };
    let arrived = |events: &[serde_json::Value]| {
        events
            .iter()
            .filter(|event| event["event"] == "folder_changed" && event["added"].as_u64() > Some(0))
            .map(|event| event["added"].as_u64().unwrap_or(0))
            .sum::<u64>()
    };
    wait_for_events(&printed, "the watch live", |events| live(events) >= 1);
    let start = arrived(&events(&printed));
    for round in 0..3u64 {
        // The token in use expires (a wait for the clock, not for a race); the server cuts
        // the connection; mail arrives meanwhile. The watch reconnects with a fresh token.
        std::thread::sleep(std::time::Duration::from_millis(1_600));
        let tokens_before = idp.count("/token");
        proxy.cut_all();
        server.seed("alice", "INBOX", 10 + round, 1).unwrap();
        wait_for_events(&printed, "the mail that came while cut off", |events| {
            arrived(events) > start + round
        });
        assert!(
            idp.count("/token") > tokens_before,
            "round {round}: a fresh access token was fetched"
        );
    }
    std::fs::write(data.path().join("stop"), b"").unwrap();
    let output = session.join().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let watch_err = std::fs::read_to_string(data.path().join("watch.err")).unwrap_or_default();
    let said = format!("{stdout}\n{stderr}\n{watch_err}");
    assert!(!stdout.contains("add-failed"), "{said}");
    assert!(stdout.contains("watch-exit=0"), "{said}");
    let all = events(&printed);
    assert_eq!(
        arrived(&all),
        start + 3,
        "every message arrived once: {all:?}"
    );
    assert!(
        !all.iter().any(|event| event["state"] == "sign_in_needed"),
        "never asked to sign in again: {all:?}"
    );
    let printed_text = std::fs::read_to_string(&printed).unwrap();
    for token in idp.tokens() {
        assert!(
            !said.contains(token.as_str()) && !printed_text.contains(token.as_str()),
            "a token was printed"
        );
    }
    drop(proxy);
    drop(runtime);
}
