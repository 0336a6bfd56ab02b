//! Reading IMAP responses into sync facts: SELECT data, EXISTS/EXPUNGE bookkeeping, FETCH flags.

use std::collections::HashSet;
use std::ops::RangeInclusive;

use imap_proto::rfc4315::UidSetMember;
use imap_proto::{AttributeValue, MailboxDatum, Response, ResponseCode, Status};
use mail_sync::{Flags, ModSeq, SelectedState, Uid, UidValidity};

/// Updates `state` from one response that may carry SELECT/EXAMINE data or a count change.
/// Returns true when the response was such data.
pub fn apply_mailbox_data(state: &mut SelectedState, response: &Response<'_>) -> bool {
    apply_selection_code(state, response) || apply_count_change(state, response)
}

/// UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ and NOMODSEQ, as a SELECT/EXAMINE reports them. Only
/// answers to the SELECT itself may set them: a server cannot change UIDVALIDITY within a
/// selection (it must end the session), so one that arrives later is a lie or a mistake.
pub fn apply_selection_code(state: &mut SelectedState, response: &Response<'_>) -> bool {
    let Response::Data {
        status: Status::Ok,
        outcome,
    } = response
    else {
        return false;
    };
    match &outcome.code {
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
    }
}

/// EXISTS, EXPUNGE and VANISHED: the message count as it changes, at any time.
pub fn apply_count_change(state: &mut SelectedState, response: &Response<'_>) -> bool {
    match response {
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

/// COPYUID (RFC 4315): where copied or moved messages landed in the target folder, as the
/// server wrote it (UID ranges, not expanded: a hostile `1:4294967295` costs nothing until
/// [`CopyUid::pairs`] checks it against what was asked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyUid {
    pub uid_validity: u32,
    sources: Vec<RangeInclusive<u32>>,
    targets: Vec<RangeInclusive<u32>>,
}

fn ranges(set: &[UidSetMember]) -> Vec<RangeInclusive<u32>> {
    set.iter()
        .map(|member| match member {
            UidSetMember::Uid(uid) => *uid..=*uid,
            UidSetMember::UidRange(range) => range.clone(),
        })
        .collect()
}

fn total(ranges: &[RangeInclusive<u32>]) -> u64 {
    ranges.iter().map(range_len).sum()
}

impl CopyUid {
    /// (source UID, target UID) in the server's order, when the answer is about messages
    /// among `asked` (each at most once) and both sets have the same length; otherwise the
    /// answer is impossible and an error says why.
    pub fn pairs(&self, asked: &HashSet<u32>) -> Result<Vec<(Uid, Uid)>, String> {
        let (sources, targets) = (total(&self.sources), total(&self.targets));
        if sources != targets {
            return Err(format!(
                "COPYUID names {sources} source and {targets} target messages"
            ));
        }
        if sources > asked.len() as u64 {
            return Err(format!(
                "COPYUID names {sources} messages where {} were copied",
                asked.len()
            ));
        }
        let sources: Vec<u32> = self
            .sources
            .iter()
            .flat_map(|range| range.clone())
            .collect();
        let mut seen = HashSet::with_capacity(sources.len());
        if let Some(stray) = sources
            .iter()
            .find(|uid| !asked.contains(uid) || !seen.insert(**uid))
        {
            return Err(format!(
                "COPYUID names message {stray}, which was not copied (or twice)"
            ));
        }
        Ok(sources
            .into_iter()
            .zip(self.targets.iter().flat_map(|range| range.clone()))
            .map(|(source, target)| (Uid(source), Uid(target)))
            .collect())
    }
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

/// The COPYUID in a response code, unexpanded.
pub fn copy_uid(code: Option<&ResponseCode<'_>>) -> Option<CopyUid> {
    let Some(ResponseCode::CopyUid(uid_validity, sources, targets)) = code else {
        return None;
    };
    Some(CopyUid {
        uid_validity: *uid_validity,
        sources: ranges(sources),
        targets: ranges(targets),
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

#[cfg(test)]
mod copy_uid_tests {
    use super::*;
    use imap_proto::Response;

    fn code(line: &str) -> CopyUid {
        let (_, response) = Response::parse(line.as_bytes()).expect("parses");
        let Response::Done { outcome, .. } = response else {
            panic!("not a tagged answer")
        };
        copy_uid(outcome.code.as_ref()).expect("a COPYUID")
    }

    fn asked(uids: &[u32]) -> HashSet<u32> {
        uids.iter().copied().collect()
    }

    #[test]
    fn pairs_follow_the_server_order() {
        let mapping = code("A1 OK [COPYUID 9 4:5,7 100:102] done\r\n");
        assert_eq!(mapping.uid_validity, 9);
        assert_eq!(
            mapping.pairs(&asked(&[4, 5, 6, 7])),
            Ok(vec![
                (Uid(4), Uid(100)),
                (Uid(5), Uid(101)),
                (Uid(7), Uid(102))
            ])
        );
    }

    #[test]
    fn impossible_answers_are_refused_without_expanding_them() {
        // The line from the security review: 4 billion targets for one message.
        let huge = code("A1 OK [COPYUID 1 1 1:4294967295] done\r\n");
        assert!(huge.pairs(&asked(&[1])).is_err());
        // Both sides huge and equal: still more than was asked.
        let both = code("A1 OK [COPYUID 1 1:4294967295 1:4294967295] done\r\n");
        assert!(both.pairs(&asked(&[1, 2, 3])).is_err());
        // A message that was not copied, or one named twice.
        assert!(code("A1 OK [COPYUID 1 8 20] done\r\n")
            .pairs(&asked(&[7]))
            .is_err());
        assert!(code("A1 OK [COPYUID 1 7,7 20:21] done\r\n")
            .pairs(&asked(&[7, 8]))
            .is_err());
    }
}
