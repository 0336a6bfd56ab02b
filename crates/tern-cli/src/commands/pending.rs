//! `tern pending`: the changes made here that the server has not confirmed yet (cache only).

use crate::output::say;

use mail_engine::action_name;
use serde::Serialize;

use crate::context::Target;
use crate::output::{print_json, rfc3339};

#[derive(Serialize)]
struct PendingJson {
    id: i64,
    folder: String,
    /// The message's UID in `folder` (>= 2^32: moved there while offline, not named yet).
    uid: u64,
    action: &'static str,
    /// For add_flag / remove_flag: which flag.
    flag: Option<String>,
    /// For moves: where to.
    to: Option<String>,
    created: String,
    attempts: i64,
    last_error: Option<String>,
}

pub fn run(target: &Target, json: bool) -> anyhow::Result<()> {
    let (store, account) = target.cached()?;
    let ops: Vec<PendingJson> = store
        .pending_ops(account.id)?
        .into_iter()
        .map(|op| PendingJson {
            id: op.id,
            action: action_name(&op.kind),
            flag: match &op.kind {
                mail_store::PendingKind::AddFlag(flag)
                | mail_store::PendingKind::RemoveFlag(flag) => Some(flag.clone()),
                _ => None,
            },
            folder: op.folder_name,
            uid: op.uid,
            to: op.target_name,
            created: rfc3339(op.created_at),
            attempts: op.attempts,
            last_error: op.last_error,
        })
        .collect();
    if json {
        return print_json(&ops);
    }
    if ops.is_empty() {
        say!("Nothing waiting: every change is on the server.");
        return Ok(());
    }
    say!(
        "{} change{} waiting for the server:",
        ops.len(),
        if ops.len() == 1 { "" } else { "s" }
    );
    for op in ops {
        let target = op.to.map(|to| format!(" to {to}")).unwrap_or_default();
        let failure = op
            .last_error
            .map(|error| format!("  [{} attempts; last: {error}]", op.attempts))
            .unwrap_or_default();
        say!(
            "  {:<12} {} UID {}{target}  ({}){failure}",
            op.action,
            op.folder,
            op.uid,
            op.created
        );
    }
    Ok(())
}
