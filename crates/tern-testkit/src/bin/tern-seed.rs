//! `tern-seed`: puts N varied messages into a folder of a private Dovecot started by
//! scripts/dovecot-start.sh (used by the demo and by hand).

use std::path::PathBuf;
use std::process::Command;

use anyhow::Context;

fn main() -> anyhow::Result<()> {
    let mut dir: Option<PathBuf> = None;
    let mut user = "alice".to_string();
    let mut folder = "INBOX".to_string();
    let mut count: u64 = 100;
    let mut first: u64 = 0;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().with_context(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--dir" => dir = Some(PathBuf::from(value()?)),
            "--user" => user = value()?,
            "--folder" => folder = value()?,
            "--count" => count = value()?.parse().context("--count takes a number")?,
            "--first" => first = value()?.parse().context("--first takes a number")?,
            "--help" | "-h" => {
                println!("usage: tern-seed --dir DOVECOT_DIR [--user alice] [--folder INBOX] [--count 100] [--first 0]");
                return Ok(());
            }
            other => anyhow::bail!("unknown argument {other} (see --help)"),
        }
    }
    let dir = dir.context("--dir DOVECOT_DIR is required")?;
    let maildir = dir.join("mail").join(&user).join("Maildir");
    let started = std::time::Instant::now();
    tern_testkit::seed::write_maildir(&maildir, &folder, first, count)?;
    let status = Command::new("doveadm")
        .arg("-c")
        .arg(dir.join("dovecot.conf"))
        .args(["index", "-u", &user, &folder])
        .status()
        .context("Running doveadm")?;
    if !status.success() {
        anyhow::bail!("doveadm could not index the seeded messages");
    }
    eprintln!(
        "seeded {count} messages into {user}/{folder} in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
