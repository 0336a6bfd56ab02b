//! Reading IMAP responses into sync facts: SELECT data, EXISTS/EXPUNGE bookkeeping, FETCH flags.

use imap_proto::rfc4315::UidSetMember;
use imap_proto::{AttributeValue, MailboxDatum, Response, ResponseCode, Status};
use mail_sync::{Flags, ModSeq, SelectedState, Uid, UidValidity};

/// Updates `state` from one response that may carry SELECT/EXAMINE data or a count change.
/// Returns true when the response was such data.
pub fn apply_mailbox_data(state: &mut SelectedState, response: &Response<'_>) -> bool {
    match response {
        Response::Data {
            status: Status::Ok,
            outcome,
        } => match &outcome.code {
            Some(ResponseCode::UidValidity(value)) => {
                state.uid_validity = Some(UidValidity(*value));
                true
            }
            Some(ResponseCode::UidNext(value)) => {
                state.uid_next = Some(Uid(*value));
                true
            }
            Some(ResponseCode::HighestModSeq(value)) => {
                state.highest_modseq = Some(ModSeq(*value));
                true
            }
            _ => {
                // [NOMODSEQ]: the folder has no persistent modseqs (imap-proto keeps it as text).
                if outcome
                    .information
                    .as_deref()
                    .is_some_and(|text| text.starts_with("[NOMODSEQ]"))
                {
                    state.highest_modseq = None;
                    return true;
                }
                false
            }
        },
        Response::MailboxData(MailboxDatum::Exists(count)) => {
            state.exists = *count;
            true
        }
        Response::Expunge(_) => {
            state.exists = state.exists.saturating_sub(1);
            true
        }
        Response::Vanished {
            earlier: false,
            uids,
        } => {
            let count: u64 = uids.iter().map(range_len).sum();
            state.exists = state
                .exists
                .saturating_sub(u32::try_from(count).unwrap_or(u32::MAX));
            true
        }
        _ => false,
    }
}

pub fn range_len(range: &std::ops::RangeInclusive<u32>) -> u64 {
    if range.end() < range.start() {
        0
    } else {
        u64::from(*range.end()) - u64::from(*range.start()) + 1
    }
}

/// The UID and FLAGS of a FETCH response, when it carries both.
pub fn fetch_uid_and_flags(attributes: &[AttributeValue<'_>]) -> (Option<Uid>, Option<Flags>) {
    let mut uid = None;
    let mut flags = None;
    for attribute in attributes {
        match attribute {
            AttributeValue::Uid(value) => uid = Some(Uid(*value)),
            AttributeValue::Flags(list) => flags = Some(Flags::from_server(list.iter())),
            _ => {}
        }
    }
    (uid, flags)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &[u8]) -> Response<'_> {
        Response::parse(line).expect("parses").1
    }

    #[test]
    fn select_data_is_collected() {
        let mut state = SelectedState::default();
        for line in [
            &b"* 172 EXISTS\r\n"[..],
            b"* OK [UIDVALIDITY 3857529045] UIDs valid\r\n",
            b"* OK [UIDNEXT 4392] Predicted next UID\r\n",
            b"* OK [HIGHESTMODSEQ 715194045007] Highest\r\n",
            b"* 3 EXPUNGE\r\n",
            b"* VANISHED 10:12\r\n",
        ] {
            assert!(apply_mailbox_data(&mut state, &parse(line)));
        }
        assert_eq!(state.uid_validity, Some(UidValidity(3_857_529_045)));
        assert_eq!(state.uid_next, Some(Uid(4392)));
        assert_eq!(state.highest_modseq, Some(ModSeq(715_194_045_007)));
        assert_eq!(state.exists, 168);
        assert!(apply_mailbox_data(
            &mut state,
            &parse(b"* OK [NOMODSEQ] Sorry\r\n")
        ));
        assert_eq!(state.highest_modseq, None);
        // VANISHED (EARLIER) reports history, not a change of the current count.
        assert!(!apply_mailbox_data(
            &mut state,
            &parse(b"* VANISHED (EARLIER) 1:5\r\n")
        ));
        assert_eq!(state.exists, 168);
    }

    #[test]
    fn fetch_flags() {
        let response = parse(b"* 12 FETCH (UID 99 FLAGS (\\Seen \\Recent) MODSEQ (5))\r\n");
        let Response::Fetch(_, attributes) = response else {
            panic!("not a fetch")
        };
        let (uid, flags) = fetch_uid_and_flags(&attributes);
        assert_eq!(uid, Some(Uid(99)));
        assert_eq!(flags.expect("flags").to_string(), "\\Seen");
    }
}

/// COPYUID (RFC 4315): where copied or moved messages landed in the target folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyUid {
    pub uid_validity: u32,
    /// (source UID, target UID), in the server's order.
    pub pairs: Vec<(Uid, Uid)>,
}

fn expand_set(set: &[UidSetMember]) -> Vec<u32> {
    set.iter()
        .flat_map(|member| match member {
            UidSetMember::Uid(uid) => *uid..=*uid,
            UidSetMember::UidRange(range) => range.clone(),
        })
        .collect()
}

/// The APPENDUID (RFC 4315) of a one-message APPEND: (UIDVALIDITY, UID).
pub fn append_uid(code: Option<&ResponseCode<'_>>) -> Option<(u32, u32)> {
    let Some(ResponseCode::AppendUid(uid_validity, uids)) = code else {
        return None;
    };
    match uids.as_slice() {
        [UidSetMember::Uid(uid)] => Some((*uid_validity, *uid)),
        _ => None,
    }
}

/// The COPYUID in a response code; `None` when there is none or its two sets differ in
/// length (a malformed answer is no mapping at all).
pub fn copy_uid(code: Option<&ResponseCode<'_>>) -> Option<CopyUid> {
    let Some(ResponseCode::CopyUid(uid_validity, sources, targets)) = code else {
        return None;
    };
    let total: u64 = sources
        .iter()
        .map(|member| match member {
            UidSetMember::Uid(_) => 1,
            UidSetMember::UidRange(range) => range_len(range),
        })
        .sum();
    // A hostile answer must not make us expand billions of UIDs.
    if total > 1_000_000 {
        return None;
    }
    let (sources, targets) = (expand_set(sources), expand_set(targets));
    if sources.len() != targets.len() {
        return None;
    }
    Some(CopyUid {
        uid_validity: *uid_validity,
        pairs: sources
            .into_iter()
            .zip(targets)
            .map(|(source, target)| (Uid(source), Uid(target)))
            .collect(),
    })
}

/// Whether a NO answer says "not now" rather than "never" (RFC 5530 codes a later try may
/// get past: the mailbox is locked, the server is busy or broken, the quota is full).
/// imap-proto leaves codes it does not know at the start of the text.
/// `Tagged::require_ok` turns such answers into `ErrorKind::ServerBusy`.
pub fn is_temporary_refusal(text: &str) -> bool {
    let text = text.trim_start().to_ascii_uppercase();
    ["[INUSE]", "[UNAVAILABLE]", "[SERVERBUG]", "[OVERQUOTA]"]
        .iter()
        .any(|code| text.starts_with(code))
}

#[cfg(test)]
mod refusal_tests {
    use super::is_temporary_refusal;
    use imap_proto::Response;

    #[test]
    fn rfc_5530_codes_that_a_later_try_may_pass() {
        let (_, response) = Response::parse(b"A1 NO [INUSE] Mailbox is locked\r\n").unwrap();
        let Response::Done { outcome, .. } = response else {
            panic!("not a tagged answer")
        };
        assert!(is_temporary_refusal(
            outcome.information.as_deref().unwrap()
        ));
        assert!(is_temporary_refusal(" [unavailable] try later"));
        assert!(is_temporary_refusal("[OVERQUOTA] Quota exceeded"));
        assert!(!is_temporary_refusal("[TRYCREATE] No such mailbox"));
        assert!(!is_temporary_refusal("Permission denied"));
    }
}
