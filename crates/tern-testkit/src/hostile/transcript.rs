//! An IMAP session as data: the greeting and, per client command, the server's bytes up to
//! and including that command's tagged answer. Built from the two byte streams of a real
//! session (recorded through [`super::RecordingProxy`]), replayed by
//! [`super::ScriptedServer`], mutated by [`super::mutate`], and kept as JSON for the
//! corpus of inputs that once failed.

use serde::{Deserialize, Serialize};

/// The placeholder that stands for the client's tag in a recorded answer.
pub const TAG: &[u8] = b"\x00TAG\x00";

/// One command and what the server sent for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exchange {
    /// The command as the client sent it, without its tag (literals included, CRLF at the
    /// end of each line).
    #[serde(with = "latin1")]
    pub command: Vec<u8>,
    /// Everything the server sent from the previous tagged answer up to and including this
    /// command's, the tag written as [`TAG`].
    #[serde(with = "latin1")]
    pub response: Vec<u8>,
}

impl Exchange {
    /// The command's first word, or first two for `UID …` commands, upper-cased.
    pub fn verb(&self) -> String {
        verb_of(&self.command)
    }
}

/// The command's first word, or first two for `UID …` commands, upper-cased.
pub fn verb_of(command: &[u8]) -> String {
    let text = String::from_utf8_lossy(command);
    let mut words = text.split_whitespace();
    let first = words.next().unwrap_or("").to_ascii_uppercase();
    if first == "UID" {
        format!("UID {}", words.next().unwrap_or("").to_ascii_uppercase())
    } else {
        first
    }
}

/// One connection's session.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transcript {
    #[serde(with = "latin1")]
    pub greeting: Vec<u8>,
    pub exchanges: Vec<Exchange>,
}

/// Bytes as a JSON string of the characters U+0000..U+00FF (one per byte): readable for
/// ASCII protocol text, lossless for anything else.
pub(super) mod latin1 {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        let text: String = bytes.iter().map(|byte| char::from(*byte)).collect();
        serializer.serialize_str(&text)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.chars()
            .map(|c| u8::try_from(u32::from(c)).map_err(serde::de::Error::custom))
            .collect()
    }
}

/// A response or command split into its lines: each ends at a CRLF that is not the start of
/// a literal (`{n}` / `{n+}` / `~{n}` before it), so a literal stays inside its line.
pub fn split_lines(bytes: &[u8]) -> Vec<&[u8]> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'\n' && index > 0 && bytes[index - 1] == b'\r' {
            if let Some(literal) = literal_before(&bytes[start..index - 1]) {
                index = (index + 1).saturating_add(literal).min(bytes.len());
                continue;
            }
            lines.push(&bytes[start..=index]);
            start = index + 1;
        }
        index += 1;
    }
    if start < bytes.len() {
        lines.push(&bytes[start..]);
    }
    lines
}

/// The size of the literal announced at the end of `line` (`{12}` or `{12+}`), if any.
pub fn literal_before(line: &[u8]) -> Option<usize> {
    let line = line.strip_suffix(b"}")?;
    let line = line.strip_suffix(b"+").unwrap_or(line);
    let open = line.iter().rposition(|byte| *byte == b'{')?;
    let digits = &line[open + 1..];
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) || digits.len() > 12 {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

/// The tag of a tagged line (its first word, when that is not `*` or `+`).
fn tag_of(line: &[u8]) -> Option<&[u8]> {
    let end = line.iter().position(|byte| *byte == b' ')?;
    let tag = &line[..end];
    (!tag.is_empty() && tag != b"*" && tag != b"+").then_some(tag)
}

impl Transcript {
    /// The session from what the client sent and what the server sent. Commands are matched
    /// to answers by tag; lines of the client's that carry no tag (AUTHENTICATE data,
    /// `DONE`) belong to the command before them.
    pub fn from_streams(client: &[u8], server: &[u8]) -> Transcript {
        let mut commands: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
        for line in split_lines(client) {
            let tag = tag_of(line).filter(|tag| {
                // A tagged command's tag is short and alphanumeric; data lines (base64) are
                // one long word without a space, and `DONE` has no space at all.
                tag.len() <= 16 && tag.iter().all(u8::is_ascii_alphanumeric)
            });
            match (tag, commands.last_mut()) {
                (Some(tag), _) => {
                    commands.push((tag.to_vec(), line[tag.len() + 1..].to_vec()));
                }
                (None, Some((_, command))) => command.extend_from_slice(line),
                (None, None) => {}
            }
        }
        let mut greeting = Vec::new();
        let mut answers: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
        let mut pending = Vec::new();
        let mut greeted = false;
        for line in split_lines(server) {
            if !greeted {
                greeting.extend_from_slice(line);
                greeted = true;
                continue;
            }
            match tag_of(line).filter(|tag| commands.iter().any(|(known, _)| known == tag)) {
                Some(tag) => {
                    pending.extend_from_slice(TAG);
                    pending.extend_from_slice(&line[tag.len()..]);
                    answers.push((tag.to_vec(), std::mem::take(&mut pending)));
                }
                None => pending.extend_from_slice(line),
            }
        }
        let exchanges = commands
            .into_iter()
            .filter_map(|(tag, command)| {
                let response = answers
                    .iter()
                    .find(|(answered, _)| *answered == tag)
                    .map(|(_, response)| response.clone())?;
                Some(Exchange { command, response })
            })
            .collect();
        Transcript {
            greeting,
            exchanges,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn lines_keep_their_literals() {
        let bytes = b"* 1 FETCH (BODY[] {7}\r\nab\r\ncd)\r\nA1 OK done\r\n";
        let lines = split_lines(bytes);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0], b"* 1 FETCH (BODY[] {7}\r\nab\r\ncd)\r\n");
        assert_eq!(literal_before(b"A APPEND x {12+}"), Some(12));
        assert_eq!(literal_before(b"* OK {x}"), None);
    }

    #[test]
    fn a_session_becomes_exchanges_by_tag() {
        let client = b"A1 AUTHENTICATE PLAIN\r\nAGFsaWNlAHB3\r\nA2 SELECT INBOX\r\nA3 IDLE\r\nDONE\r\nA4 APPEND Sent {5+}\r\nhello\r\n";
        let server = b"* OK ready\r\n+ \r\nA1 OK logged in\r\n* 3 EXISTS\r\nA2 OK [READ-WRITE] done\r\n+ idling\r\n* 4 EXISTS\r\nA3 OK Idle completed\r\nA4 OK [APPENDUID 1 5] done\r\n";
        let transcript = Transcript::from_streams(client, server);
        assert_eq!(transcript.greeting, b"* OK ready\r\n");
        let commands: Vec<String> = transcript
            .exchanges
            .iter()
            .map(|exchange| String::from_utf8_lossy(&exchange.command).into_owned())
            .collect();
        assert_eq!(
            commands,
            vec![
                "AUTHENTICATE PLAIN\r\nAGFsaWNlAHB3\r\n",
                "SELECT INBOX\r\n",
                "IDLE\r\nDONE\r\n",
                "APPEND Sent {5+}\r\nhello\r\n"
            ]
        );
        assert_eq!(
            transcript.exchanges[2].response,
            b"+ idling\r\n* 4 EXISTS\r\n\x00TAG\x00 OK Idle completed\r\n"
        );
        assert_eq!(transcript.exchanges[3].verb(), "APPEND");
        let json = serde_json::to_string(&transcript).unwrap();
        assert_eq!(
            serde_json::from_str::<Transcript>(&json).unwrap(),
            transcript
        );
    }
}
