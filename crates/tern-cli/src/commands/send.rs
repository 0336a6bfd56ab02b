//! `tern send`: builds a message (new, reply or forward), writes it to the outbox, then
//! tries to send it now unless told to only queue it.

use crate::output::say_err;
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::Context;
use mail_engine::{DraftStart, SendOutcome};
use mail_message::{parse_address_list, Address, OutgoingAttachment};
use serde::Serialize;

use crate::cli::SendArgs;
use crate::context::Target;
use crate::output::print_json;

#[derive(Serialize)]
struct SendJson {
    /// The outbox id (`tern outbox --retry ID`).
    id: i64,
    /// Without angle brackets.
    message_id: String,
    /// `sent`, `queued` (not sent yet: offline, the server busy, or another process is
    /// sending), `failed` (refused for good) or `uncertain` (may have been sent).
    state: &'static str,
    error: Option<String>,
    /// From connecting to the server's acceptance.
    ms: Option<f64>,
}

fn addresses(values: &[String]) -> anyhow::Result<Vec<Address>> {
    let mut all = Vec::new();
    for value in values {
        all.extend(parse_address_list(value)?);
    }
    Ok(all)
}

pub(crate) fn read_text(path: &Path) -> anyhow::Result<String> {
    if path == Path::new("-") {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("Reading standard input")?;
        return Ok(text);
    }
    std::fs::read_to_string(path).with_context(|| format!("Reading {}", path.display()))
}

fn attachment(path: &PathBuf) -> anyhow::Result<OutgoingAttachment> {
    let data = std::fs::read(path)
        .with_context(|| format!("Reading the attachment {}", path.display()))?;
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| "attachment".to_string());
    Ok(OutgoingAttachment {
        content_type: content_type_for(&name).to_string(),
        name,
        data,
    })
}

/// A MIME type from the file name's extension (what mail clients do; the content is not
/// inspected).
fn content_type_for(name: &str) -> &'static str {
    let extension = name
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .unwrap_or_default();
    match extension.as_str() {
        "txt" | "text" | "log" => "text/plain",
        "csv" => "text/csv",
        "html" | "htm" => "text/html",
        "pdf" => "application/pdf",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "svg" => "image/svg+xml",
        "zip" => "application/zip",
        "gz" => "application/gzip",
        "json" => "application/json",
        "ics" => "text/calendar",
        "eml" => "message/rfc822",
        "doc" => "application/msword",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "odt" => "application/vnd.oasis.opendocument.text",
        _ => "application/octet-stream",
    }
}

pub async fn run(target: &Target, args: SendArgs) -> anyhow::Result<()> {
    let engine = target.engine().await?;
    let body = match &args.body_file {
        Some(path) => read_text(path)?,
        None => String::new(),
    };
    let start = match (args.reply_uid, args.forward_uid, args.folder.clone()) {
        (Some(uid), _, Some(folder)) => DraftStart::Reply {
            folder,
            uid,
            all: args.all,
        },
        (_, Some(uid), Some(folder)) => DraftStart::Forward { folder, uid },
        _ => DraftStart::New,
    };
    let link = match &args.mailto {
        Some(uri) => Some(
            mail_message::parse_mailto(uri)
                .with_context(|| format!("--mailto {uri:?} is not a mailto: link"))?,
        ),
        None => None,
    };
    let mut draft = engine.start_draft(&start, !args.no_signature).await?;
    if let Some(mut link) = link {
        if args.body_file.is_some() {
            link.body = None;
        }
        link.fill(&mut draft);
    }
    // The person's text goes above the signature and the quote (or the forwarded message).
    draft.text = format!("{}{}", body, draft.text);
    draft.to.extend(addresses(&args.to)?);
    draft.cc.extend(addresses(&args.cc)?);
    draft.bcc.extend(addresses(&args.bcc)?);
    if !args.subject.is_empty() {
        draft.subject = args.subject.clone();
    }
    if let Some(path) = &args.html_file {
        draft.html = Some(read_text(path)?);
    }
    for path in &args.attach {
        draft.attachments.push(attachment(path)?);
    }
    let queued = engine.queue_message(&draft)?;
    let mut result = SendJson {
        id: queued.id.0,
        message_id: queued.message_id.clone(),
        state: "queued",
        error: None,
        ms: None,
    };
    if !args.queue_only {
        let report = engine.drain_outbox(false).await?;
        if report.busy {
            result.error = Some(
                "Another Tern process is sending the outbox; it will send this message".into(),
            );
        }
        for (id, _, outcome) in report.outcomes {
            if id != queued.id {
                continue;
            }
            match outcome {
                SendOutcome::Sent { ms, .. } => {
                    result.state = "sent";
                    result.ms = Some(ms);
                }
                SendOutcome::Deferred { error, .. } => result.error = Some(error),
                SendOutcome::Failed { error } => {
                    result.state = "failed";
                    result.error = Some(error);
                }
                SendOutcome::Uncertain { error } => {
                    result.state = "uncertain";
                    result.error = Some(error);
                }
            }
        }
        if let Some(error) = &report.sent_copy_error {
            say_err!("Sent, but the copy in Sent waits: {error}");
        }
    }
    engine.shutdown().await;
    let failed = result.state == "failed";
    if args.json {
        print_json(&result)?;
    } else {
        match (result.state, &result.error) {
            ("sent", _) => say_err!("Sent ({}).", result.message_id),
            ("queued", Some(error)) => {
                say_err!("Queued, not sent yet: {error}. It stays in the outbox (`tern outbox`).")
            }
            ("queued", None) => say_err!("Queued in the outbox ({}).", result.message_id),
            (state, error) => say_err!("Not sent ({state}): {}", error.as_deref().unwrap_or("")),
        }
    }
    if failed {
        anyhow::bail!(
            "The server refused the message: {}",
            result.error.unwrap_or_default()
        );
    }
    Ok(())
}
