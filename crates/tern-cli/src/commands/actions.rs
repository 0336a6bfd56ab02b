//! `tern mark-read|mark-unread|flag|unflag|archive|delete|move`: change the cache at once,
//! queue the change, and try to send it to the server right away. Unreachable server: the
//! change stays queued (`tern pending`) and the command still succeeds.

use crate::output::{say, say_err};
use std::time::Duration;

use mail_engine::{Action, EngineOptions, Timeouts};
use serde::Serialize;

use crate::cli::ActionArgs;
use crate::context::Target;
use crate::output::print_json;

#[derive(Serialize)]
struct MovedJson {
    uid: u64,
    /// Its UID in the target until the server names it (then `tern list` shows the real one).
    local_uid: u64,
}

#[derive(Serialize)]
struct ActionJson {
    folder: String,
    action: &'static str,
    target: Option<String>,
    changed: Vec<u64>,
    unchanged: Vec<u64>,
    missing: Vec<u64>,
    moved: Vec<MovedJson>,
    /// Whether the server has confirmed everything queued (nothing pending afterwards).
    sent: bool,
    /// Changes still waiting for the server, account-wide.
    pending: usize,
    /// Why the changes could not be sent now, when they could not.
    error: Option<String>,
}

fn action_word(action: &Action) -> &'static str {
    match action {
        Action::MarkRead => "mark_read",
        Action::MarkUnread => "mark_unread",
        Action::Flag => "flag",
        Action::Unflag => "unflag",
        Action::Move { .. } => "move",
        Action::Archive => "archive",
        Action::Delete => "delete",
    }
}

pub async fn run(target: &Target, messages: &ActionArgs, action: Action) -> anyhow::Result<()> {
    let store = target.store()?;
    // An unreachable server should not hold the command up for long: the change is queued.
    let options = EngineOptions {
        timeouts: Timeouts {
            connect: Duration::from_secs(10),
            ..Timeouts::default()
        },
        ..EngineOptions::default()
    };
    let engine = target.engine_over(store, options).await?;
    let uids = messages.uid_list();
    let applied = engine.act(&messages.folder, &uids, &action)?;
    if applied.changed.is_empty() && applied.unchanged.is_empty() {
        anyhow::bail!(
            "No message with UID {} in {} (see `tern list --folder {}`)",
            join(&applied.missing),
            messages.folder,
            messages.folder
        );
    }
    let replay = if applied.pending > 0 {
        Some(engine.replay_pending().await)
    } else {
        None
    };
    let (pending, error) = match &replay {
        Some(Ok(report)) => (report.pending, None),
        Some(Err(error)) => (applied.pending, Some(error.to_string())),
        None => (0, None),
    };
    engine.shutdown().await;
    let report = ActionJson {
        folder: applied.folder,
        action: action_word(&action),
        target: applied.target,
        changed: applied.changed,
        unchanged: applied.unchanged,
        missing: applied.missing,
        moved: applied
            .moved
            .into_iter()
            .map(|(uid, local_uid)| MovedJson { uid, local_uid })
            .collect(),
        sent: pending == 0 && error.is_none(),
        pending,
        error,
    };
    if messages.json {
        return print_json(&report);
    }
    print_human(&report);
    Ok(())
}

fn join(uids: &[u64]) -> String {
    uids.iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn print_human(report: &ActionJson) {
    let count = report.changed.len();
    let noun = if count == 1 { "message" } else { "messages" };
    let what = match (report.action, &report.target) {
        ("move" | "archive" | "delete", Some(target)) => {
            format!("Moved {count} {noun} from {} to {target}", report.folder)
        }
        ("delete", None) => format!("Deleted {count} {noun} from {}", report.folder),
        (action, _) => format!(
            "{} {count} {noun} in {}",
            match action {
                "mark_read" => "Marked read:",
                "mark_unread" => "Marked unread:",
                "flag" => "Flagged:",
                _ => "Unflagged:",
            },
            report.folder
        ),
    };
    say!("{what}.");
    if !report.unchanged.is_empty() {
        say!("Already so: UID {}.", join(&report.unchanged));
    }
    if !report.missing.is_empty() {
        say_err!("Not in the cache: UID {}.", join(&report.missing));
    }
    match (&report.error, report.pending) {
        (None, 0) => say!("The server has it."),
        (Some(error), pending) => say!(
            "Queued: {pending} change{} waiting for the server ({error}). They are sent by the next `tern sync` or `tern watch`.",
            if pending == 1 { "" } else { "s" }
        ),
        (None, pending) => say!(
            "{pending} change{} still waiting for the server (see `tern pending`).",
            if pending == 1 { "" } else { "s" }
        ),
    }
}
