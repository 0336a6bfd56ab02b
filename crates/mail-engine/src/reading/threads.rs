//! Conversations from the cache: every folder's messages threaded by their references (and
//! Gmail's X-GM-THRID where the server gives it), the ones touching a folder kept. A Gmail
//! message that shows in several label folders counts once.

use super::service::Reading;
use crate::error::Result;
use crate::store_access::with_store;

/// A conversation: messages from any folder of the account, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversation {
    pub messages: Vec<mail_store::ThreadRow>,
}

impl Conversation {
    pub fn latest_date(&self) -> i64 {
        self.messages
            .iter()
            .map(|row| row.message.date)
            .max()
            .unwrap_or(0)
    }

    pub fn unread(&self) -> usize {
        self.messages
            .iter()
            .filter(|row| !row.message.flags.is_seen())
            .count()
    }
}

impl Reading {
    /// The conversations that have at least one message in `folder`, newest activity
    /// first, each with its messages from every folder of the account. Computed from the
    /// cache (offline), so it follows every sync and action.
    pub(crate) fn threads(&self, folder: &str) -> Result<Vec<Conversation>> {
        let folder = self.core.cached_folder(folder)?;
        let account = self.core.account().id;
        let rows = with_store(self.core.store(), |store| store.thread_rows(account))?;
        Ok(conversations(rows, &folder.name))
    }
}

/// Threads `rows` and keeps the conversations touching `folder`.
pub fn conversations(rows: Vec<mail_store::ThreadRow>, folder: &str) -> Vec<Conversation> {
    let rows = one_copy_each(rows, folder);
    let inputs: Vec<mail_message::ThreadInput> = rows
        .iter()
        .map(|row| {
            let mut parents = row.references.clone();
            if !row.in_reply_to.is_empty() && !parents.contains(&row.in_reply_to) {
                parents.push(row.in_reply_to.clone());
            }
            // Gmail says which conversation: a parent all its messages share.
            if let Some(thread) = row.gm_thrid {
                parents.push(format!("x-gm-thrid:{thread}"));
            }
            mail_message::ThreadInput {
                message_id: row.message.message_id.clone(),
                parents,
                subject: row.message.subject.clone(),
                date: row.message.date,
            }
        })
        .collect();
    mail_message::thread(&inputs)
        .into_iter()
        .filter(|group| group.iter().any(|&index| rows[index].folder == folder))
        .map(|group| Conversation {
            messages: group.into_iter().map(|index| rows[index].clone()).collect(),
        })
        .collect()
}

/// `rows` with each Gmail message (X-GM-MSGID) once: its copy in `folder` if it has one,
/// else the first listed. Rows without a Gmail id are all kept.
fn one_copy_each(rows: Vec<mail_store::ThreadRow>, folder: &str) -> Vec<mail_store::ThreadRow> {
    let mut chosen: std::collections::HashMap<u64, usize> = std::collections::HashMap::new();
    for (index, row) in rows.iter().enumerate() {
        if let Some(id) = row.gm_msgid {
            let keep = chosen
                .get(&id)
                .is_none_or(|&kept| rows[kept].folder != folder && row.folder == folder);
            if keep {
                chosen.insert(id, index);
            }
        }
    }
    rows.into_iter()
        .enumerate()
        .filter(|(index, row)| row.gm_msgid.is_none_or(|id| chosen.get(&id) == Some(index)))
        .map(|(_, row)| row)
        .collect()
}
