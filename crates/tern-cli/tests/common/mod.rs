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

/// Asserts a failure with exactly one line on stderr, and returns it.
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

/// alice's password, from the variable `tern account add --password-env ALICE_PW` names.
pub const ALICE_PW: [(&str, &str); 1] = [("ALICE_PW", "alice-pw")];

/// `tern account add` for alice@tern.test on a plain loopback IMAP server (the password in
/// `ALICE_PW`), with `extra` arguments (a name, an SMTP server, …).
pub fn add_alice(data: &Path, imap_port: u16, extra: &[&str]) -> Output {
    let port = imap_port.to_string();
    let mut args = vec![
        "account",
        "add",
        "--email",
        "alice@tern.test",
        "--user",
        "alice",
        "--imap-host",
        "127.0.0.1",
        "--imap-port",
        &port,
        "--security",
        "plain",
        "--password-env",
        "ALICE_PW",
    ];
    args.extend_from_slice(extra);
    tern(data, &args, &ALICE_PW, None)
}
