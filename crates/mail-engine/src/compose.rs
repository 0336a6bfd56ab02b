//! The composer's help: replies and forwards of a message (a forward carries its
//! attachments whole, fetching any a text-first fetch left on the server), and addresses
//! to complete from the cache.

use std::sync::Arc;

use mail_message::Draft;

use crate::core_handle::Core;
use crate::error::Result;
use crate::identity::{identity, signature};
use crate::reading::Reading;
use crate::store_access::with_store;

/// Whether `prefix` starts the address or a word of the name (case-insensitive).
fn matches_prefix(name: &str, address: &str, prefix: &str) -> bool {
    let prefix = prefix.trim().to_lowercase();
    address.to_lowercase().starts_with(&prefix)
        || name
            .to_lowercase()
            .split_whitespace()
            .any(|word| word.trim_matches('"').starts_with(&prefix))
}

/// Senders plus the matching recipients of sent mail, counted, most frequent first.
fn merge_suggestions(
    senders: Vec<mail_store::KnownAddress>,
    sent_lists: &[String],
    prefix: &str,
    limit: usize,
) -> Vec<mail_store::KnownAddress> {
    let mut all = senders;
    for list in sent_lists {
        let parsed = mail_message::parse_address_list(list).unwrap_or_else(|_| {
            list.split(',')
                .filter_map(|one| mail_message::parse_address_list(one).ok())
                .flatten()
                .collect()
        });
        for address in parsed {
            if !matches_prefix(&address.name, &address.address, prefix) {
                continue;
            }
            match all
                .iter_mut()
                .find(|known| known.address.eq_ignore_ascii_case(&address.address))
            {
                Some(known) => {
                    known.messages += 1;
                    if known.name.is_empty() {
                        known.name = address.name;
                    }
                }
                None => all.push(mail_store::KnownAddress {
                    name: address.name,
                    address: address.address,
                    messages: 1,
                }),
            }
        }
    }
    all.sort_by(|a, b| {
        b.messages
            .cmp(&a.messages)
            .then_with(|| a.address.cmp(&b.address))
    });
    all.truncate(limit);
    all
}

/// What a new message starts from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DraftStart {
    New,
    Reply { folder: String, uid: u64, all: bool },
    Forward { folder: String, uid: u64 },
}

pub(crate) struct Compose {
    core: Arc<Core>,
    reading: Arc<Reading>,
}

impl Compose {
    pub(crate) fn new(core: Arc<Core>, reading: Arc<Reading>) -> Self {
        Compose { core, reading }
    }

    /// The draft a message starts as: from the account, with its signature under the room
    /// for the person's words (when `signed`) and above a quote or forwarded message.
    pub(crate) async fn start_draft(&self, start: &DraftStart, signed: bool) -> Result<Draft> {
        let mut draft = match start {
            DraftStart::New => Draft {
                from: Some(identity(&self.core)?),
                ..Draft::default()
            },
            DraftStart::Reply { folder, uid, all } => self.reply_draft(folder, *uid, *all).await?,
            DraftStart::Forward { folder, uid } => self.forward_draft(folder, *uid).await?,
        };
        if signed {
            let signature = signature(&self.core)?;
            draft.text = mail_message::signed(&draft.text, signature.as_deref());
        }
        Ok(draft)
    }

    /// A reply (or reply-all) to a cached or fetchable message, to edit and queue.
    async fn reply_draft(&self, folder: &str, uid: u64, all: bool) -> Result<Draft> {
        let folder = self.core.cached_folder(folder)?;
        let message = self.reading.raw_message(&folder, uid).await?;
        let view = mail_message::parse_message(&message.raw);
        Ok(mail_message::reply_draft(
            &view,
            &identity(&self.core)?,
            all,
        ))
    }

    /// A forward of a message (its text inline, its attachments attached), to address.
    async fn forward_draft(&self, folder: &str, uid: u64) -> Result<Draft> {
        let folder = self.core.cached_folder(folder)?;
        let message = self.reading.raw_message(&folder, uid).await?;
        let view = mail_message::parse_message(&message.raw);
        // Attachments a text-first fetch left on the server are fetched now: a forward
        // carries them whole.
        let mut attachments = Vec::with_capacity(view.attachments.len());
        for attachment in &view.attachments {
            attachments.push(Some(
                self.reading
                    .attachment_data(&folder, uid, &message, attachment.index)
                    .await?,
            ));
        }
        Ok(mail_message::forward_draft_with(
            &view,
            attachments,
            &identity(&self.core)?,
        ))
    }

    /// Addresses from the cache for completing To/Cc/Bcc: people who wrote (senders) and
    /// people written to (recipients of sent mail), matching `prefix` at the start of the
    /// address or of a word of the name, most frequent first.
    pub(crate) fn address_suggestions(
        &self,
        prefix: &str,
        limit: usize,
    ) -> Result<Vec<mail_store::KnownAddress>> {
        let account = self.core.account().id;
        let (senders, sent_lists) = with_store(self.core.store(), |store| {
            Ok((
                store.address_suggestions(account, prefix, limit)?,
                store.sent_recipient_lists(account, prefix, 500)?,
            ))
        })?;
        Ok(merge_suggestions(senders, &sent_lists, prefix, limit))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_add_the_people_written_to() {
        let senders = vec![mail_store::KnownAddress {
            name: "Bob Builder".into(),
            address: "bob@x".into(),
            messages: 1,
        }];
        let sent = vec![
            "Bobby Tables <tables@x>, carol@x, ".to_string(),
            "bob@x, \"Roberts, Bo\" <bo@x>".to_string(),
            "Bobby Tables <tables@x>".to_string(),
        ];
        let merged = merge_suggestions(senders, &sent, "bo", 10);
        let found: Vec<(&str, u64)> = merged
            .iter()
            .map(|known| (known.address.as_str(), known.messages))
            .collect();
        assert_eq!(found, vec![("bob@x", 2), ("tables@x", 2), ("bo@x", 1)]);
        assert_eq!(merged[0].name, "Bob Builder", "the sender's name is kept");
        assert_eq!(
            merge_suggestions(vec![], &sent, "bo", 1).len(),
            1,
            "limited"
        );
    }
}
