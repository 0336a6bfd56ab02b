//! `tern list`: a folder's newest messages, or every account's INBOX merged (`--unified`),
//! from the cache only (no network).

use crate::output::say;

use crate::context::Target;
use crate::output::{clip, print_json, MessageJson};
use anyhow::Context;

pub fn run(target: &Target, folder: &str, limit: u32, json: bool) -> anyhow::Result<()> {
    let (store, account) = target.cached()?;
    let cached = store
        .folder_by_name(account.id, folder)?
        .with_context(|| format!("No folder {folder} in the cache; run `tern sync` first"))?;
    let messages: Vec<MessageJson> = store
        .list_messages(cached.id, limit)?
        .into_iter()
        .map(MessageJson::from_summary)
        .collect();
    if json {
        return print_json(&messages);
    }
    for message in &messages {
        say!("{}", row_line(message));
    }
    Ok(())
}

/// A message of the unified inbox as `tern list --unified --json` prints it: the fields of
/// `tern list` plus its account and folder.
#[derive(serde::Serialize)]
struct UnifiedJson {
    #[serde(flatten)]
    message: MessageJson,
    /// The account's address.
    account: String,
    folder: String,
}

/// `tern list --unified`: every account's INBOX merged, newest first.
pub fn unified(target: &Target, limit: u32, json: bool) -> anyhow::Result<()> {
    let store = target.store()?;
    let rows: Vec<UnifiedJson> = store
        .unified_inbox(0, limit)?
        .into_iter()
        .map(|row| UnifiedJson {
            account: row.email,
            folder: row.folder_name,
            message: MessageJson::from_summary(row.message),
        })
        .collect();
    if json {
        return print_json(&rows);
    }
    let width = rows
        .iter()
        .map(|row| row.account.chars().count())
        .max()
        .unwrap_or(0)
        .min(28);
    for row in &rows {
        say!(
            "{:<width$}  {}",
            clip(&row.account, width),
            row_line(&row.message)
        );
    }
    Ok(())
}

/// One line of `tern list`: unread and flag marks, UID, date, sender, subject.
fn row_line(message: &MessageJson) -> String {
    let has = |flag: &str| message.flags.iter().any(|present| present == flag);
    let unread = if has("\\Seen") { ' ' } else { '*' };
    let flagged = if has("\\Flagged") { '!' } else { ' ' };
    format!(
        "{unread}{flagged} {:>7}  {}  {:<28}  {}",
        message.uid,
        &message.date[..16.min(message.date.len())].replace('T', " "),
        clip(&message.from, 28),
        clip(&message.subject, 70)
    )
}
