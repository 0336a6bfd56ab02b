//! Asking many folders' STATUS at once, without selecting them: one `LIST … RETURN
//! (STATUS …)` where the server has LIST-STATUS, else one pipelined STATUS per folder (one
//! round trip's wait for all). The answers are bounded by what was asked; what they mean is
//! `mail_sync::judge`'s to say.

use std::collections::{HashMap, HashSet};

use imap_proto::{MailboxDatum, Response, StatusAttribute};
use mail_sync::{
    list_status_command, status_items, CheckCapabilities, CheckWay, FolderStatus, ModSeq, Uid,
    UidValidity,
};

use crate::connection::ImapConnection;
use crate::error::{EngineError, ErrorKind, Result};
use crate::mailbox_name::{decode_mailbox_name, wire_argument};

/// More folders than any account has: a longer list is refused rather than asked.
pub const MAX_CHECKED_FOLDERS: usize = 10_000;

/// STATUS commands written in one go (a server reads them as they come).
const STATUS_PIPELINE: usize = 100;

/// What this connection's server offers for checking folders.
pub fn check_capabilities(connection: &ImapConnection) -> CheckCapabilities {
    CheckCapabilities {
        notify: connection.has_capability("NOTIFY"),
        list_status: connection.has_capability("LIST-STATUS"),
        condstore: connection.has_capability("CONDSTORE") || connection.has_capability("QRESYNC"),
    }
}

/// The STATUS of each of `names` the server answered for (a folder it refused — gone
/// meanwhile — is missing), and how they were asked. NOTIFY is not used here: a check
/// without it costs one round trip too.
pub async fn folder_statuses(
    connection: &mut ImapConnection,
    names: &[String],
) -> Result<(CheckWay, HashMap<String, FolderStatus>)> {
    if names.len() > MAX_CHECKED_FOLDERS {
        return Err(EngineError::new(
            ErrorKind::Other,
            format!("{} folders are more than Tern checks at once", names.len()),
        ));
    }
    let capabilities = check_capabilities(connection);
    let wanted: HashSet<&str> = names.iter().map(String::as_str).collect();
    let mut found: HashMap<String, FolderStatus> = HashMap::with_capacity(names.len());
    let mut answers = 0usize;
    let mut collect = |response: &Response<'_>| -> Result<()> {
        if let Response::MailboxData(MailboxDatum::Status { mailbox, status }) = response {
            answers += 1;
            // A LIST-STATUS answers for every folder; anything beyond them all is a lie.
            if answers > MAX_CHECKED_FOLDERS {
                return Err(EngineError::new(
                    ErrorKind::Protocol,
                    "The server sent more STATUS answers than there are folders",
                ));
            }
            let name = decode_mailbox_name(mailbox);
            let name = if name.eq_ignore_ascii_case("INBOX") {
                "INBOX".to_string()
            } else {
                name
            };
            if wanted.contains(name.as_str()) {
                found.insert(name, folder_status(status));
            }
        }
        Ok(())
    };
    if capabilities.list_status {
        connection
            .execute(&list_status_command(capabilities), |response| {
                collect(response)
            })
            .await?
            .require_ok("LIST-STATUS")?;
        return Ok((CheckWay::ListStatus, found));
    }
    let items = status_items(capabilities);
    for chunk in names.chunks(STATUS_PIPELINE) {
        let commands: Vec<String> = chunk
            .iter()
            .map(|name| format!("STATUS {} ({items})", wire_argument(name)))
            .collect();
        // A NO (the folder is gone) leaves it out of the answer; the caller syncs it.
        connection
            .pipeline(&commands, |_, response| collect(response))
            .await?;
    }
    Ok((CheckWay::Status, found))
}

fn folder_status(attributes: &[StatusAttribute]) -> FolderStatus {
    let mut status = FolderStatus::default();
    for attribute in attributes {
        match *attribute {
            StatusAttribute::Messages(messages) => status.messages = Some(messages),
            StatusAttribute::UidNext(next) => status.uid_next = Some(Uid(next)),
            StatusAttribute::UidValidity(validity) => {
                status.uid_validity = Some(UidValidity(validity))
            }
            StatusAttribute::Unseen(unseen) => status.unseen = Some(unseen),
            StatusAttribute::HighestModSeq(modseq) => status.highest_modseq = Some(ModSeq(modseq)),
            _ => {}
        }
    }
    status
}
