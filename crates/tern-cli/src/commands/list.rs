//! `tern list`: a folder's newest messages from the cache only (no network).

use std::path::PathBuf;

use anyhow::Context;
use serde::Serialize;

use crate::context::{choose_account, open_store};
use crate::output::{clip, display_from, print_json, rfc3339};

#[derive(Serialize)]
struct MessageJson {
    uid: u64,
    subject: String,
    from: String,
    date: String,
    flags: Vec<String>,
    message_id: String,
}

pub fn run(
    data_dir: Option<PathBuf>,
    wanted: Option<&str>,
    folder: &str,
    limit: u32,
    json: bool,
) -> anyhow::Result<()> {
    let store = open_store(data_dir)?;
    let account = choose_account(&store, wanted)?;
    let cached = store
        .folder_by_name(account.id, folder)?
        .with_context(|| format!("No folder {folder} in the cache; run `tern sync` first"))?;
    let messages: Vec<MessageJson> = store
        .list_messages(cached.id, limit)?
        .into_iter()
        .map(|message| MessageJson {
            uid: message.uid,
            subject: message.subject,
            from: display_from(message.from_name, message.from_address),
            date: rfc3339(message.date),
            flags: message.flags.iter().map(str::to_string).collect(),
            message_id: message.message_id,
        })
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
        println!(
            "{unread}{flagged} {:>7}  {}  {:<28}  {}",
            message.uid,
            &message.date[..16.min(message.date.len())].replace('T', " "),
            clip(&message.from, 28),
            clip(&message.subject, 70)
        );
    }
    Ok(())
}
