//! Previews for messages whose bodies are not kept, a batch per UID FETCH, newest first: the
//! server's own (RFC 8970 `PREVIEW`, where offered — Dovecot keeps them in its cache), else
//! the MIME header fields and the first bytes of each one's text, decoded by
//! `mail_message::preview_of_start`; a message the server has no PREVIEW for (NIL) gets the
//! first bytes too. BODY.PEEK and PREVIEW: nothing is marked read.
//!
//! Not with the list headers of a first sync: that FETCH stays as lean as the wire allows
//! (issue 17); previews follow right after it, newest first.

use std::collections::HashSet;

use imap_proto::{AttributeValue, MessageSection, Response, SectionPath};
use mail_message::{preview, preview_of_start, PREVIEW_SOURCE_BYTES};
use mail_store::Folder;
use mail_sync::{compress_uids, Uid};

use super::bodies::ensure_selected;
use super::service::Reading;
use crate::connection::ImapConnection;
use crate::core_handle::FolderChange;
use crate::error::Result;
use crate::store_access::with_store;

/// Messages per UID FETCH (~450 KiB of answer at most).
const PREVIEW_BATCH: usize = 200;

/// How a batch's previews are asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// RFC 8970: the server's own preview text.
    Server,
    /// The MIME header fields and the first [`PREVIEW_SOURCE_BYTES`] of the text.
    FirstBytes,
}

/// What is fetched of each message for its preview.
fn preview_command(uids: &[u64], source: Source) -> String {
    let uids: Vec<Uid> = uids.iter().map(|&uid| Uid(uid as u32)).collect();
    match source {
        Source::Server => format!("UID FETCH {} (UID PREVIEW)", compress_uids(&uids)),
        Source::FirstBytes => format!(
            "UID FETCH {} (UID BODY.PEEK[HEADER.FIELDS (CONTENT-TYPE CONTENT-TRANSFER-ENCODING)] BODY.PEEK[TEXT]<0.{PREVIEW_SOURCE_BYTES}>)",
            compress_uids(&uids)
        ),
    }
}

/// The preview a FETCH answer carries for one of the `asked` UIDs; `None` for anything else
/// (an unsolicited flag update, a UID not asked for, an answer without the text, a server
/// with no PREVIEW at hand: NIL).
fn preview_answer(
    attributes: &[AttributeValue<'_>],
    asked: &HashSet<u64>,
) -> Option<(u64, String)> {
    let mut uid = None;
    let mut header: &[u8] = &[];
    let mut text = None;
    let mut server = None;
    for attribute in attributes {
        match attribute {
            AttributeValue::Uid(value) => uid = Some(u64::from(*value)),
            AttributeValue::BodySection {
                section: Some(SectionPath::Full(MessageSection::Header)),
                data,
                ..
            } => header = data.as_deref().unwrap_or_default(),
            AttributeValue::BodySection {
                section: Some(SectionPath::Full(MessageSection::Text)),
                data,
                ..
            } => text = Some(data.as_deref().unwrap_or_default()),
            AttributeValue::Preview(Some(data)) => server = Some(data.as_ref()),
            _ => {}
        }
    }
    let uid = uid.filter(|uid| asked.contains(uid))?;
    if let Some(server) = server {
        // Plain text already (RFC 8970 §3); made one line and cut as ours are.
        return Some((uid, preview(&String::from_utf8_lossy(server))));
    }
    let text = text?;
    // As much as was asked for came: the text goes on beyond it.
    let cut = text.len() >= PREVIEW_SOURCE_BYTES;
    Some((uid, preview_of_start(header, text, cut)))
}

/// Fetches the previews of `uids` (of the selected folder): the server's where it offers
/// PREVIEW, the first bytes for the rest. Answers for UIDs not asked for, and second
/// answers, are dropped.
async fn fetch_previews(
    connection: &mut ImapConnection,
    folder: &str,
    uids: &[u64],
) -> Result<Vec<(u64, String)>> {
    let mut previews: Vec<(u64, String)> = Vec::with_capacity(uids.len());
    let mut answered: HashSet<u64> = HashSet::with_capacity(uids.len());
    let sources: &[Source] = if connection.has_capability("PREVIEW") {
        &[Source::Server, Source::FirstBytes]
    } else {
        &[Source::FirstBytes]
    };
    for &source in sources {
        let wanted: Vec<u64> = uids
            .iter()
            .copied()
            .filter(|uid| !answered.contains(uid))
            .collect();
        if wanted.is_empty() {
            break;
        }
        let asked: HashSet<u64> = wanted.iter().copied().collect();
        connection
            .execute(&preview_command(&wanted, source), |response| {
                if let Response::Fetch(_, attributes) = response {
                    if let Some((uid, preview)) = preview_answer(attributes, &asked) {
                        if answered.insert(uid) {
                            previews.push((uid, preview));
                        }
                    }
                }
                Ok(())
            })
            .await?
            .require_ok(&format!("Fetching previews of {folder}"))?;
    }
    Ok(previews)
}

impl Reading {
    /// Gives messages without a kept body their preview, newest first: INBOX, then the other
    /// folders, Junk and Trash last (as bodies are kept); at most `per_folder` of each
    /// (`None`: every one), only the folders named in `only` if given. Returns how many.
    pub(crate) async fn fill_all_previews(
        &self,
        per_folder: Option<usize>,
        only: Option<&[String]>,
    ) -> Result<usize> {
        let mut filled = 0;
        for folder in &self.offline_folders(only)? {
            filled += self
                .fill_previews(folder, per_folder.unwrap_or(usize::MAX))
                .await?;
        }
        Ok(filled)
    }

    /// Gives up to `limit` messages of `folder` without a known preview theirs, newest first,
    /// a batch per round trip (the request connection is free between batches); a
    /// `folder_changed` event once any came, so the list shows them. Returns how many. A pass
    /// that went through the whole folder is remembered (with its UIDVALIDITY), so the next
    /// looks only above it: new mail, not every row again.
    pub(crate) async fn fill_previews(&self, folder: &Folder, limit: usize) -> Result<usize> {
        let (validity, top, complete) = with_store(self.core.store(), |store| {
            let meta = store.sync_meta(folder.id)?;
            Ok((
                meta.as_ref().map(|meta| meta.uid_validity),
                store.highest_server_uid(folder.id)?,
                // An initial sync still going adds rows below the ones cached.
                meta.is_some_and(|meta| meta.initial_low_uid.is_none()),
            ))
        })?;
        let above = self
            .previews_done(folder.id)
            .filter(|(done, _)| Some(*done) == validity)
            .map_or(0, |(_, done_to)| done_to);
        let mut filled = 0;
        let mut left = limit;
        let mut below = None;
        let mut finished = false;
        while left > 0 {
            let uids = with_store(self.core.store(), |store| {
                store.previews_wanted(folder.id, above, below, left.min(PREVIEW_BATCH))
            })?;
            let Some(&last) = uids.last() else {
                finished = true;
                break;
            };
            below = Some(last);
            left = left.saturating_sub(uids.len());
            let asked = (folder.name.clone(), uids);
            let previews = self
                .core
                .with_retry_for(&asked, 2, |(name, uids), connection, _| {
                    Box::pin(async move {
                        ensure_selected(connection, name).await?;
                        fetch_previews(connection, name, uids).await
                    })
                })
                .await?;
            filled += with_store(self.core.store(), |store| {
                store.save_previews(folder.id, &previews)
            })?;
        }
        if let (true, true, Some(validity)) = (finished, complete, validity) {
            self.set_previews_done(folder.id, validity, top);
        }
        if filled > 0 {
            let counts = with_store(self.core.store(), |store| store.folder_counts(folder.id))?;
            self.core
                .folder_changed(&folder.name, FolderChange::counted(counts));
        }
        Ok(filled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(line: &str) -> Option<(u64, String)> {
        let asked: HashSet<u64> = [7, 8].into_iter().collect();
        match Response::parse(line.as_bytes()) {
            Ok((_, Response::Fetch(_, attributes))) => preview_answer(&attributes, &asked),
            other => panic!("not a FETCH: {other:?}"),
        }
    }

    #[test]
    fn the_command_asks_for_the_type_and_the_first_bytes_only() {
        assert_eq!(
            preview_command(&[9, 8, 7, 3], Source::FirstBytes),
            "UID FETCH 3,7:9 (UID BODY.PEEK[HEADER.FIELDS (CONTENT-TYPE CONTENT-TRANSFER-ENCODING)] BODY.PEEK[TEXT]<0.2048>)"
        );
        assert_eq!(
            preview_command(&[9, 8, 7, 3], Source::Server),
            "UID FETCH 3,7:9 (UID PREVIEW)"
        );
    }

    #[test]
    fn the_servers_preview_is_taken_as_ours_are_made_and_nil_is_no_answer() {
        assert_eq!(
            answer("* 1 FETCH (UID 7 PREVIEW \"Lunch at \\\"Luigi's\\\" at 12?\")\r\n"),
            Some((7, "Lunch at \"Luigi's\" at 12?".to_string()))
        );
        assert_eq!(
            answer("* 1 FETCH (UID 7 PREVIEW \"Gr\u{fc}\u{df}e   aus\tBerlin\")\r\n"),
            Some((7, "Grüße aus Berlin".to_string()))
        );
        let long = "word ".repeat(60);
        let (_, cut) = answer(&format!(
            "* 1 FETCH (UID 8 PREVIEW {{{}}}\r\n{long})\r\n",
            long.len()
        ))
        .expect("a literal preview");
        assert!(
            cut.ends_with('…') && cut.chars().count() <= mail_message::PREVIEW_CHARS,
            "{cut}"
        );
        assert_eq!(
            answer("* 1 FETCH (UID 8 PREVIEW \"C:\\\\Temp is full\")\r\n"),
            Some((8, "C:\\Temp is full".to_string()))
        );
        // NIL: the server has none at hand; the first bytes are fetched instead.
        assert_eq!(answer("* 1 FETCH (UID 7 PREVIEW NIL)\r\n"), None);
        // Not asked for.
        assert_eq!(answer("* 1 FETCH (UID 9 PREVIEW \"x\")\r\n"), None);
    }

    #[test]
    fn an_answer_gives_the_preview_of_an_asked_message_only() {
        let header = "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n";
        let text = "Gr=C3=BC=C3=9Fe, see you at 10=2E\r\n";
        let line = |uid: u32| {
            format!(
                "* 1 FETCH (UID {uid} BODY[HEADER.FIELDS (CONTENT-TYPE CONTENT-TRANSFER-ENCODING)] {{{}}}\r\n{header} BODY[TEXT]<0> {{{}}}\r\n{text})\r\n",
                header.len(),
                text.len()
            )
        };
        assert_eq!(
            answer(&line(7)),
            Some((7, "Grüße, see you at 10.".to_string()))
        );
        // Not asked for: dropped.
        assert_eq!(answer(&line(9)), None);
        // A flag update between the answers carries no preview.
        assert_eq!(answer("* 1 FETCH (UID 8 FLAGS (\\Seen))\r\n"), None);
        // An empty text is a known, empty preview.
        assert_eq!(
            answer(
                "* 2 FETCH (UID 8 BODY[HEADER.FIELDS (CONTENT-TYPE)] NIL BODY[TEXT]<0> \"\")\r\n"
            ),
            Some((8, String::new()))
        );
    }
}
