//! OAuth2 accounts from the command line, in a private D-Bus session with an unlocked
//! keyring, against a mock authorization server and a Dovecot that checks bearer tokens:
//! `tern account add --oauth2-issuer` signs in through the "browser" (a script that follows
//! the redirect), the refresh token lives in the keyring and nowhere else, syncs use access
//! tokens; a withdrawn grant makes `tern sync` say "sign in again" and `tern account list`
//! show it; `tern account signin` (browser, then device code) resumes; removing the account
//! forgets the token.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use tern_testkit::oauth::MockIdp;
use tern_testkit::Dovecot;

const CLIENT: &str = "tern-test-client";

#[test]
fn an_oauth2_account_signs_in_syncs_needs_a_new_sign_in_when_revoked_and_resumes() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let idp = runtime.block_on(MockIdp::start(CLIENT)).unwrap();
    let server = Dovecot::start_with_oauth2(&idp.introspection_url()).unwrap();
    server.seed("alice", "INBOX", 0, 4).unwrap();
    let data = tempfile::tempdir().unwrap();
    let browser = data.path().join("browser.sh");
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
