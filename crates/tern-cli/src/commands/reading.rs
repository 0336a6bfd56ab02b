//! `tern show`, `tern save-attachment`, `tern search`: reading cached mail (bodies fetched on
//! demand without marking anything read) and searching it offline.

use crate::output::say;
use std::path::Path;

use mail_message::Address;
use serde::Serialize;

use crate::context::Target;
use crate::output::{clip, print_json, rfc3339, MessageJson};

pub enum ShowFormat {
    Human,
    Json,
    Text,
    Html,
}

#[derive(Serialize)]
struct AttachmentJson {
    index: usize,
    name: String,
    content_type: String,
    size: usize,
    inline: bool,
}

#[derive(Serialize)]
struct ShowJson {
    folder: String,
    uid: u64,
    subject: String,
    from: Vec<Address>,
    to: Vec<Address>,
    cc: Vec<Address>,
    reply_to: Vec<Address>,
    date: Option<String>,
    message_id: String,
    text: Option<String>,
    /// Sanitized: safe to show in a browser.
    html: String,
    attachments: Vec<AttachmentJson>,
    remote_blocked: usize,
    warnings: Vec<String>,
    from_cache: bool,
}

fn people(addresses: &[Address]) -> String {
    addresses
        .iter()
        .map(|a| match (a.name.is_empty(), a.address.is_empty()) {
            (false, false) => format!("{} <{}>", a.name, a.address),
            (true, _) => a.address.clone(),
            (_, true) => a.name.clone(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

pub async fn show(
    target: &Target,
    folder: &str,
    uid: u64,
    format: ShowFormat,
    allow_remote: bool,
) -> anyhow::Result<()> {
    let engine = target.engine().await?;
    let opened = engine.open_message(folder, uid, allow_remote).await;
    engine.shutdown().await;
    let opened = opened?;
    let view = &opened.view;
    match format {
        ShowFormat::Json => print_json(&ShowJson {
            folder: opened.folder.clone(),
            uid: opened.uid,
            subject: view.subject.clone(),
            from: view.from.clone(),
            to: view.to.clone(),
            cc: view.cc.clone(),
            reply_to: view.reply_to.clone(),
            date: view.date.map(rfc3339),
            message_id: view.message_id.clone(),
            text: view.text.clone(),
            html: opened.safe_html.html.clone(),
            attachments: view
                .attachments
                .iter()
                .map(|a| AttachmentJson {
                    index: a.index,
                    name: a.name.clone(),
                    content_type: a.content_type.clone(),
                    size: a.size,
                    inline: a.inline,
                })
                .collect(),
            remote_blocked: opened.safe_html.remote_blocked,
            warnings: view.warnings.clone(),
            from_cache: opened.from_cache,
        }),
        ShowFormat::Text => {
            say!("{}", view.text.as_deref().unwrap_or(""));
            Ok(())
        }
        ShowFormat::Html => {
            say!("{}", opened.safe_html.html);
            Ok(())
        }
        ShowFormat::Human => {
            say!("Subject: {}", view.subject);
            say!("From:    {}", people(&view.from));
            say!("To:      {}", people(&view.to));
            if !view.cc.is_empty() {
                say!("Cc:      {}", people(&view.cc));
            }
            if let Some(date) = view.date {
                say!("Date:    {}", rfc3339(date));
            }
            for attachment in view.attachments.iter().filter(|a| !a.inline) {
                say!(
                    "Attached [{}]: {} ({}, {} bytes)",
                    attachment.index,
                    attachment.name,
                    attachment.content_type,
                    attachment.size
                );
            }
            if opened.safe_html.remote_blocked > 0 {
                say!(
                    "({} remote images blocked; --allow-remote shows them)",
                    opened.safe_html.remote_blocked
                );
            }
            for warning in &view.warnings {
                say!("(warning: {warning})");
            }
            say!();
            say!("{}", view.text.as_deref().unwrap_or("(no text)"));
            Ok(())
        }
    }
}

pub async fn save_attachment(
    target: &Target,
    folder: &str,
    uid: u64,
    index: usize,
    to: &Path,
    overwrite: bool,
) -> anyhow::Result<()> {
    let engine = target.engine().await?;
    let saved = engine
        .save_attachment(folder, uid, index, to, overwrite)
        .await;
    engine.shutdown().await;
    say!("Saved {}", saved?.display());
    Ok(())
}

#[derive(Serialize)]
struct HitJson {
    folder: String,
    #[serde(flatten)]
    message: MessageJson,
}

pub fn search(
    target: &Target,
    query: &str,
    limit: u32,
    wait: bool,
    json: bool,
) -> anyhow::Result<()> {
    // The cache only: no password, no network.
    let (mut store, account) = target.cached()?;
    // What a sync brought is indexed here, not by the sync: for a moment at most (the
    // answer covers what is indexed by then), or all of it with --wait.
    if wait {
        store.index_all_for_search()?;
    } else {
        let deadline = std::time::Instant::now() + mail_engine::SEARCH_INDEXES_FOR;
        let progress = store.index_for_search_until(deadline, 500)?;
        if !progress.done() {
            eprintln!(
                "Indexing continues: {} of {} cached messages are searchable so far; search again, or use --wait to index the rest first.",
                progress.indexed(),
                progress.messages
            );
        }
    }
    let hits: Vec<HitJson> = store
        .search(account.id, query, limit)?
        .into_iter()
        .map(|hit| hit_json(hit.folder, hit.message))
        .collect();
    if json {
        return print_json(&hits);
    }
    if hits.is_empty() {
        say!("No cached message matches.");
    }
    for hit in hits {
        say!(
            "{:<12} {:>7}  {}  {:<28}  {}",
            clip(&hit.folder, 12),
            hit.message.uid,
            &hit.message.date[..16.min(hit.message.date.len())].replace('T', " "),
            clip(&hit.message.from, 28),
            clip(&hit.message.subject, 60)
        );
    }
    Ok(())
}

#[derive(Serialize)]
struct ThreadJson {
    subject: String,
    count: usize,
    unread: usize,
    /// The newest message's date.
    latest: String,
    /// Oldest first, from any folder.
    messages: Vec<HitJson>,
}

fn hit_json(folder: String, message: mail_store::MessageSummary) -> HitJson {
    HitJson {
        folder,
        message: MessageJson::from_summary(message),
    }
}

pub fn threads(target: &Target, folder: &str, limit: usize, json: bool) -> anyhow::Result<()> {
    let (store, account) = target.cached()?;
    if store.folder_by_name(account.id, folder)?.is_none() {
        anyhow::bail!("No folder {folder} in the cache; run `tern sync` first");
    }
    let conversations = mail_engine::conversations(store.thread_rows(account.id)?, folder);
    let threads: Vec<ThreadJson> = conversations
        .into_iter()
        .take(limit)
        .map(|conversation| ThreadJson {
            subject: conversation
                .messages
                .first()
                .map(|row| row.message.subject.clone())
                .unwrap_or_default(),
            count: conversation.messages.len(),
            unread: conversation.unread(),
            latest: rfc3339(conversation.latest_date()),
            messages: conversation
                .messages
                .into_iter()
                .map(|row| hit_json(row.folder, row.message))
                .collect(),
        })
        .collect();
    if json {
        return print_json(&threads);
    }
    for thread in threads {
        say!(
            "{}  {:>3} message{} {}  {}",
            &thread.latest[..16.min(thread.latest.len())].replace('T', " "),
            thread.count,
            if thread.count == 1 { " " } else { "s" },
            if thread.unread > 0 {
                format!("({} unread)", thread.unread)
            } else {
                String::new()
            },
            clip(&thread.subject, 60)
        );
    }
    Ok(())
}

pub fn remote_images_set(target: &Target, address: &str, allowed: bool) -> anyhow::Result<()> {
    if !address.contains('@') || address.trim().contains(char::is_whitespace) {
        anyhow::bail!("{address:?} is not an email address");
    }
    let (mut store, account) = target.cached()?;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    store.set_remote_allowed(account.id, address, allowed, now)?;
    if allowed {
        say!(
            "Remote images in messages from {} will load.",
            address.trim().to_lowercase()
        );
    } else {
        say!(
            "Remote images in messages from {} are blocked.",
            address.trim().to_lowercase()
        );
    }
    Ok(())
}

pub fn remote_images_list(target: &Target, json: bool) -> anyhow::Result<()> {
    let (store, account) = target.cached()?;
    let senders = store.remote_allowed_senders(account.id)?;
    if json {
        return print_json(&senders);
    }
    if senders.is_empty() {
        say!("Remote images are blocked for every sender.");
    }
    for sender in senders {
        say!("{sender}");
    }
    Ok(())
}
