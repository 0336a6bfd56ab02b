//! What crosses the IPC boundary for writing mail: drafts as the compose form edits them,
//! the outbox, address suggestions. TypeScript types generated like `dto.rs`'s.

use base64::Engine as _;
use mail_message::{format_address_list, parse_address_list, Draft, OutgoingAttachment};
use mail_store::OutboxEntry;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::dto::{count, ErrorCode, IpcError};

/// What the compose form starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ComposeKind {
    New,
    Reply,
    ReplyAll,
    Forward,
}

/// A file attached to a message being written (its bytes base64-encoded).
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct DraftAttachmentDto {
    pub name: String,
    pub content_type: String,
    pub size: u32,
    pub data_base64: String,
}

/// A message being written. Address fields hold what is typed: `Name <a@b>, c@d`.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct DraftDto {
    /// The account it is written from (its From address, signature, Drafts and outbox).
    pub account: String,
    pub to: String,
    pub cc: String,
    pub bcc: String,
    pub subject: String,
    pub text: String,
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    pub attachments: Vec<DraftAttachmentDto>,
    /// Also send a simple HTML version of the text (escaped, line breaks kept, links).
    pub with_html: bool,
}

impl DraftDto {
    pub fn of(account: &str, draft: Draft) -> Self {
        Self {
            account: account.to_string(),
            to: format_address_list(&draft.to),
            cc: format_address_list(&draft.cc),
            bcc: format_address_list(&draft.bcc),
            subject: draft.subject,
            text: draft.text,
            with_html: draft.html.is_some(),
            in_reply_to: draft.in_reply_to,
            references: draft.references,
            attachments: draft
                .attachments
                .into_iter()
                .map(|attachment| DraftAttachmentDto {
                    size: count(attachment.data.len()),
                    data_base64: base64::engine::general_purpose::STANDARD.encode(&attachment.data),
                    name: attachment.name,
                    content_type: attachment.content_type,
                })
                .collect(),
        }
    }
}

impl TryFrom<DraftDto> for Draft {
    type Error = IpcError;

    fn try_from(dto: DraftDto) -> Result<Self, IpcError> {
        let parse = |field: &str, text: &str| {
            parse_address_list(text)
                .map_err(|error| IpcError::new(ErrorCode::Invalid, format!("{field}: {error}")))
        };
        let attachments = dto
            .attachments
            .into_iter()
            .map(|attachment| {
                let data = base64::engine::general_purpose::STANDARD
                    .decode(attachment.data_base64.as_bytes())
                    .map_err(|_| {
                        IpcError::new(
                            ErrorCode::Invalid,
                            format!("The attachment {} could not be read", attachment.name),
                        )
                    })?;
                Ok(OutgoingAttachment {
                    name: attachment.name,
                    content_type: if attachment.content_type.is_empty() {
                        "application/octet-stream".into()
                    } else {
                        attachment.content_type
                    },
                    data,
                })
            })
            .collect::<Result<Vec<_>, IpcError>>()?;
        let html = dto.with_html.then(|| {
            format!(
                "<!doctype html><html><body>{}</body></html>",
                mail_message::text_to_html(&dto.text)
            )
        });
        Ok(Draft {
            from: None,
            to: parse("To", &dto.to)?,
            cc: parse("Cc", &dto.cc)?,
            bcc: parse("Bcc", &dto.bcc)?,
            subject: dto.subject,
            text: dto.text,
            html,
            in_reply_to: dto.in_reply_to,
            references: dto.references,
            attachments,
        })
    }
}

/// A draft continued from the Drafts folder.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct OpenedDraftDto {
    #[ts(type = "number")]
    pub id: i64,
    pub draft: DraftDto,
}

/// A message written to the outbox.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct QueuedDto {
    #[ts(type = "number")]
    pub id: i64,
    pub message_id: String,
}

/// One outbox message.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct OutboxEntryDto {
    /// The account it is sent from.
    pub account: String,
    #[ts(type = "number")]
    pub id: i64,
    pub subject: String,
    pub recipients: Vec<String>,
    /// queued, sending, committing, sent, failed, uncertain.
    pub state: String,
    pub attempts: u32,
    pub last_error: Option<String>,
    #[ts(type = "number")]
    pub created_at: i64,
    #[ts(type = "number | null")]
    pub sent_at: Option<i64>,
}

impl OutboxEntryDto {
    pub fn of(account: &str, entry: OutboxEntry) -> Self {
        Self {
            account: account.to_string(),
            id: entry.id.0,
            subject: entry.subject,
            recipients: entry.recipients,
            state: entry.state.as_str().to_string(),
            attempts: entry.attempts,
            last_error: entry.last_error,
            created_at: entry.created_at,
            sent_at: entry.sent_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mail_message::Address;

    #[test]
    fn a_draft_crosses_both_ways() {
        let draft = Draft {
            to: vec![Address {
                name: "Bob".into(),
                address: "bob@tern.test".into(),
            }],
            subject: "Re: x".into(),
            text: "hi".into(),
            attachments: vec![OutgoingAttachment {
                name: "a.bin".into(),
                content_type: "application/octet-stream".into(),
                data: vec![0, 255, 7],
            }],
            ..Draft::default()
        };
        let dto = DraftDto::of("me@tern.test", draft.clone());
        assert_eq!(dto.account, "me@tern.test");
        assert_eq!(dto.to, "Bob <bob@tern.test>");
        assert_eq!(dto.attachments[0].size, 3);
        let mut dto = dto;
        dto.text = "See https://example.org <now>".into();
        dto.with_html = true;
        let back = Draft::try_from(dto).unwrap();
        assert_eq!(back.to, draft.to);
        assert_eq!(back.attachments, draft.attachments);
        let html = back.html.unwrap();
        assert!(html.contains("<a href=\"https://example.org\""), "{html}");
        assert!(html.contains("&lt;now&gt;"), "escaped: {html}");
    }

    #[test]
    fn a_bad_address_is_named_by_its_field() {
        let dto = DraftDto {
            account: "me@tern.test".into(),
            to: "bob@".into(),
            cc: String::new(),
            bcc: String::new(),
            subject: String::new(),
            text: String::new(),
            in_reply_to: None,
            references: vec![],
            attachments: vec![],
            with_html: false,
        };
        let error = Draft::try_from(dto).unwrap_err();
        assert!(error.message.starts_with("To:"), "{}", error.message);
    }
}
