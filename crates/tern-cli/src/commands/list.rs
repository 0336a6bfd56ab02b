//! `tern list`: a folder's newest messages from the cache only (no network).

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
    for message in messages {
        let unread = if message.flags.iter().any(|flag| flag == "\\Seen") {
            ' '
        } else {
            '*'
        };
        let flagged = if message.flags.iter().any(|flag| flag == "\\Flagged") {
            '!'
        } else {
            ' '
        };
        say!(
            "{unread}{flagged} {:>7}  {}  {:<28}  {}",
            message.uid,
            &message.date[..16.min(message.date.len())].replace('T', " "),
            clip(&message.from, 28),
            clip(&message.subject, 70)
        );
    }
    Ok(())
}
