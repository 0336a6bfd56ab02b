//! Running the `tern` binary in tests: with a data directory, variables and stdin, and
//! checking it succeeded or failed with one clear line.

#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

pub fn tern(data: &Path, args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tern"));
    command
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env_remove("TERN_DATA_DIR");
    for (key, value) in env {
        command.env(key, value);
    }
    command.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn().expect("tern runs");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write stdin");
    }
    child.wait_with_output().expect("tern finishes")
}

pub fn ok(output: &Output) -> String {
    assert!(
        output.status.success(),
        "tern failed: {}\n{}",
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(&output.stdout)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Starts `tern` with `args` on the profile in `data` (stdin closed), its output as asked.
pub fn spawn_tern(
    data: &Path,
    args: &[&str],
    env: &[(&str, &str)],
    stdout: Stdio,
    stderr: Stdio,
) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_tern"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env_remove("TERN_DATA_DIR")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .spawn()
        .expect("tern starts")
}

/// Runs `tern` (which must succeed, stdin closed) and returns its output.
pub fn run(data: &Path, args: &[&str], env: &[(&str, &str)]) -> String {
    ok(&tern(data, args, env, None))
}

/// Runs `tern` (which must succeed) and reads its output as JSON.
pub fn json<T: serde::de::DeserializeOwned>(data: &Path, args: &[&str], env: &[(&str, &str)]) -> T {
    let output = run(data, args, env);
    serde_json::from_str(&output).unwrap_or_else(|error| panic!("not JSON ({error}): {output}"))
}

pub fn fails(output: &Output) -> String {
    assert!(
        !output.status.success(),
        "expected failure, got: {}",
        String::from_utf8_lossy(&output.stdout)
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|line| !line.trim().is_empty())
        .collect();
    assert_eq!(lines.len(), 1, "one clear line, got: {stderr}");
    assert!(lines[0].starts_with("tern: "), "{stderr}");
    lines[0].to_string()
}

/// Asserts a failure whose last line on stderr is the error (after lines that explain, such
/// as the settings discovery found), and returns that line.
pub fn fails_after_explaining(output: &Output) -> String {
    assert_eq!(
        output.status.code(),
        Some(1),
        "expected a failure: {output:?}"
    );
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let last = stderr
        .lines()
        .rfind(|line| !line.trim().is_empty())
        .unwrap_or_default()
        .to_string();
    assert!(last.starts_with("tern: "), "{stderr}");
    last
}

/// alice's password, from the variable `tern account add --password-env ALICE_PW` names.
pub const ALICE_PW: [(&str, &str); 1] = [("ALICE_PW", "alice-pw")];

/// The arguments of `tern account add` for `user`@tern.test (login `user`) on
/// 127.0.0.1:`port` with `security`, the password in the variable `{USER}_PW`.
pub fn account_add_args(user: &str, port: u16, security: &str) -> Vec<String> {
    [
        "account",
        "add",
        "--email",
        &format!("{user}@tern.test"),
        "--user",
        user,
        "--imap-host",
        "127.0.0.1",
        "--imap-port",
        &port.to_string(),
        "--security",
        security,
        "--password-env",
        &format!("{}_PW", user.to_uppercase()),
    ]
    .map(str::to_string)
    .to_vec()
}

/// `tern account add` for `user`@tern.test on a plain loopback IMAP server, with `extra`
/// arguments (a name, an SMTP server, …) and `env` (the password variable, at least).
pub fn add_user(
    data: &Path,
    user: &str,
    imap_port: u16,
    extra: &[&str],
    env: &[(&str, &str)],
) -> Output {
    let mut args = account_add_args(user, imap_port, "plain");
    args.extend(extra.iter().map(|arg| arg.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    tern(data, &args, env, None)
}

/// [`add_user`] for alice, her password in `ALICE_PW`.
pub fn add_alice(data: &Path, imap_port: u16, extra: &[&str]) -> Output {
    add_user(data, "alice", imap_port, extra, &ALICE_PW)
}

/// Runs a shell script inside a private D-Bus session with an unlocked gnome-keyring.
pub fn in_keyring_session(script: &str) -> Output {
    let home = tempfile::tempdir().expect("home");
    let full = format!(
        r#"set -e
eval "$(printf %s keyring-pw | gnome-keyring-daemon --unlock --components=secrets --daemonize)" >/dev/null
for i in $(seq 1 200); do
  dbus-send --session --dest=org.freedesktop.DBus --print-reply /org/freedesktop/DBus org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q true && break
  sleep 0.05
done
{script}"#
    );
    Command::new("dbus-run-session")
        .arg("--")
        .arg("bash")
        .arg("-c")
        .arg(full)
        .env("HOME", home.path())
        .env("TERN", env!("CARGO_BIN_EXE_tern"))
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .output()
        .expect("dbus-run-session runs")
}

/// Reads `tern watch --json` lines on a thread, so the test can wait with deadlines.
pub fn json_lines(
    stdout: std::process::ChildStdout,
) -> std::sync::mpsc::Receiver<serde_json::Value> {
    use std::io::BufRead;
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { return };
            let value: serde_json::Value =
                serde_json::from_str(&line).unwrap_or_else(|_| panic!("not JSON: {line}"));
            if sender.send(value).is_err() {
                return;
            }
        }
    });
    receiver
}

pub fn next_matching(
    lines: &std::sync::mpsc::Receiver<serde_json::Value>,
    what: &str,
    matches: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match lines.recv_timeout(left) {
            Ok(value) if matches(&value) => return value,
            Ok(value) => seen.push(value),
            Err(_) => panic!("no {what} from tern watch; saw {seen:?}"),
        }
    }
}

/// `tern show --json` of message `uid` of `folder` (alice's password given).
pub fn show_json(data: &Path, folder: &str, uid: &str) -> serde_json::Value {
    json(
        data,
        &["show", "--folder", folder, "--uid", uid, "--json"],
        &ALICE_PW,
    )
}

/// A `tern watch --json` process that has said it is live; killed when dropped.
pub struct Watching {
    pub child: std::process::Child,
    pub lines: std::sync::mpsc::Receiver<serde_json::Value>,
    /// The first `connectivity` event saying `live`.
    pub live: serde_json::Value,
}

impl Drop for Watching {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `tern watch --json <args>` (alice's password given) and waits until it is live.
pub fn watch_live(data: &Path, args: &[&str]) -> Watching {
    let args: Vec<&str> = ["watch", "--json"]
        .into_iter()
        .chain(args.iter().copied())
        .collect();
    let mut child = spawn_tern(data, &args, &ALICE_PW, Stdio::piped(), Stdio::piped());
    let lines = json_lines(child.stdout.take().expect("stdout"));
    let live = next_matching(&lines, "live", |value| {
        value["event"] == "connectivity" && value["state"] == "live"
    });
    Watching { child, lines, live }
}

/// Waits for `child` to exit, failing the test after `seconds` with `what`.
pub fn exit_within(
    child: &mut std::process::Child,
    seconds: u64,
    what: &str,
) -> std::process::ExitStatus {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("{what}");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}
