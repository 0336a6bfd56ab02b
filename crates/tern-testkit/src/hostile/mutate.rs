//! What a hostile or broken server does to a real session: numbers made huge or zero, sets
//! reversed or unbounded, literals lying about their size, lines cut short, random bytes,
//! `BYE` in the middle of a literal, answers for other tags, lines dropped or repeated, the
//! connection closed or stalled, and lines known to have hurt clients injected. Pure and
//! seeded: the same seed mutates a script the same way.

use super::server::{After, Script};
use super::transcript::{split_lines, TAG};

/// A small deterministic random source (xorshift64*).
#[derive(Debug, Clone)]
pub struct Random(u64);

impl Random {
    pub fn new(seed: u64) -> Random {
        Random(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..below` (0 when `below` is 0).
    pub fn below(&mut self, below: usize) -> usize {
        if below == 0 {
            return 0;
        }
        (self.next_u64() % below as u64) as usize
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        items.get(self.below(items.len()))
    }
}

/// Numbers that break careless arithmetic and allocation.
const HOSTILE_NUMBERS: &[&str] = &[
    "0",
    "1",
    "2147483647",
    "2147483648",
    "4294967295",
    "4294967296",
    "18446744073709551615",
    "99999999999999999999999",
    "1000000000",
];

/// Whole lines that once made clients fall over (the security review's finds among them).
const HOSTILE_LINES: &[&str] = &[
    "* OK [COPYUID 1 1 1:4294967295] copied\r\n",
    "* OK [COPYUID 1 1:4294967295 1:4294967295] copied\r\n",
    "* 4294967295 EXISTS\r\n",
    "* 99999999 EXISTS\r\n",
    "* VANISHED 1:4294967295\r\n",
    "* VANISHED (EARLIER) 1:4294967295\r\n",
    "* 1 FETCH (UID 4294967295 FLAGS (\\Seen) BODY[] {1000000000}\r\n",
    "* 1 FETCH (UID 1 BODY[] {4294967296}\r\n",
    "* OK [UIDNEXT 0] lie\r\n",
    "* OK [UIDVALIDITY 0] lie\r\n",
    "* OK [HIGHESTMODSEQ 18446744073709551615] lie\r\n",
    "* 5 EXPUNGE\r\n",
    "* 0 FETCH (FLAGS (\\Deleted))\r\n",
    "* BYE server going down\r\n",
    "* CAPABILITY IMAP4rev1\r\n",
    "* LIST (\\HasNoChildren) \"/\" \"INBOX\\r\\nA1 DELETE INBOX\"\r\n",
    "* LIST (\\HasNoChildren) \"/\" {20}\r\nEvil\r\nA1 DELETE x\r\n\r\n",
    "* OK [APPENDUID 1 1:4294967295] appended\r\n",
    "* \x1b]0;owned\x07 OK hello\r\n",
];

/// One change to a script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mutation {
    HugeNumber,
    BadSet,
    LyingLiteral,
    Truncate,
    RandomBytes,
    FlipByte,
    ByeMidLiteral,
    OtherTag,
    DropLine,
    RepeatLine,
    SwapLines,
    InjectLine,
    CloseEarly,
    Stall,
    LongLine,
    ManyLines,
}

const ALL: &[Mutation] = &[
    Mutation::HugeNumber,
    Mutation::HugeNumber,
    Mutation::HugeNumber,
    Mutation::BadSet,
    Mutation::BadSet,
    Mutation::LyingLiteral,
    Mutation::LyingLiteral,
    Mutation::Truncate,
    Mutation::RandomBytes,
    Mutation::FlipByte,
    Mutation::ByeMidLiteral,
    Mutation::OtherTag,
    Mutation::DropLine,
    Mutation::RepeatLine,
    Mutation::SwapLines,
    Mutation::InjectLine,
    Mutation::InjectLine,
    Mutation::InjectLine,
    Mutation::CloseEarly,
    Mutation::Stall,
    Mutation::LongLine,
    Mutation::ManyLines,
];

/// Applies 1–3 random mutations to `script` (to its exchanges after the login, mostly; now
/// and then to the greeting or the login itself). Returns what was done, for the log.
pub fn mutate(script: &mut Script, random: &mut Random) -> Vec<String> {
    let count = 1 + random.below(3);
    let mut done = Vec::new();
    for _ in 0..count {
        let Some(&mutation) = random.pick(ALL) else {
            break;
        };
        if script.exchanges.is_empty() {
            break;
        }
        // Past the login (the first two exchanges are CAPABILITY/AUTHENTICATE) nine times
        // out of ten.
        let skip = if random.below(10) == 0 {
            0
        } else {
            2.min(script.exchanges.len() - 1)
        };
        let index = skip + random.below(script.exchanges.len() - skip);
        let verb = script.exchanges[index].0.verb();
        let (exchange, after) = &mut script.exchanges[index];
        let applied = apply(mutation, &mut exchange.response, after, random);
        done.push(format!("{mutation:?} on #{index} {verb}: {applied}"));
    }
    done
}

/// Applies one mutation to one response.
fn apply(
    mutation: Mutation,
    response: &mut Vec<u8>,
    after: &mut After,
    random: &mut Random,
) -> String {
    match mutation {
        Mutation::HugeNumber => {
            let numbers = number_spans(response);
            let Some(&(start, end)) = random.pick(&numbers) else {
                return "no number".into();
            };
            let Some(replacement) = random.pick(HOSTILE_NUMBERS) else {
                return String::new();
            };
            let old = String::from_utf8_lossy(&response[start..end]).into_owned();
            response.splice(start..end, replacement.bytes());
            format!("{old} -> {replacement}")
        }
        Mutation::BadSet => {
            let sets = set_spans(response);
            let Some(&(start, colon, end)) = random.pick(&sets) else {
                return "no set".into();
            };
            let low = response[start..colon].to_vec();
            let high = response[colon + 1..end].to_vec();
            let replacement: Vec<u8> = match random.below(4) {
                0 => [high.as_slice(), b":", low.as_slice()].concat(),
                1 => b"1:4294967295".to_vec(),
                2 => b"1:*".to_vec(),
                _ => b"4294967295:1".to_vec(),
            };
            let shown = String::from_utf8_lossy(&replacement).into_owned();
            response.splice(start..end, replacement);
            shown
        }
        Mutation::LyingLiteral => {
            let literals = literal_spans(response);
            let Some(&(start, end, size)) = random.pick(&literals) else {
                return "no literal".into();
            };
            let lie = match random.below(5) {
                0 => size.saturating_add(1 + random.below(50)),
                1 => size.saturating_sub(1 + random.below(size.max(1))),
                2 => 0,
                3 => 1_000_000_000,
                _ => 4_294_967_296,
            };
            response.splice(start..end, lie.to_string().bytes());
            format!("{{{size}}} -> {{{lie}}}")
        }
        Mutation::Truncate => {
            let at = random.below(response.len().max(1));
            response.truncate(at);
            *after = After::Close;
            format!("cut at {at}, closed")
        }
        Mutation::RandomBytes => {
            let at = random.below(response.len() + 1);
            let count = 1 + random.below(64);
            let bytes: Vec<u8> = (0..count).map(|_| random.next_u64() as u8).collect();
            response.splice(at..at, bytes);
            format!("{count} random bytes at {at}")
        }
        Mutation::FlipByte => {
            if response.is_empty() {
                return "empty".into();
            }
            let at = random.below(response.len());
            response[at] ^= 1 << random.below(8);
            format!("flipped byte {at}")
        }
        Mutation::ByeMidLiteral => {
            let literals = literal_spans(response);
            match literals.iter().find(|(_, _, size)| *size > 1) {
                Some(&(_, end, size)) => {
                    // end points at `}`; the data starts after "}\r\n".
                    let cut = (end + 3 + random.below(size)).min(response.len());
                    response.truncate(cut);
                    response.extend_from_slice(b"\r\n* BYE Shutting down\r\n");
                    *after = After::Close;
                    format!("BYE {} bytes into a literal", cut - end - 3)
                }
                None => {
                    response.splice(0..0, b"* BYE Shutting down\r\n".iter().copied());
                    *after = After::Close;
                    "BYE before the answer".into()
                }
            }
        }
        Mutation::OtherTag => {
            let other: &[u8] = match random.below(3) {
                0 => b"A9999",
                1 => b"*",
                _ => b"",
            };
            let mut replaced = Vec::new();
            let mut rest: &[u8] = response;
            while let Some(at) = rest.windows(TAG.len()).position(|window| window == TAG) {
                replaced.extend_from_slice(&rest[..at]);
                replaced.extend_from_slice(other);
                rest = &rest[at + TAG.len()..];
            }
            replaced.extend_from_slice(rest);
            *response = replaced;
            format!("tag -> {:?}", String::from_utf8_lossy(other))
        }
        Mutation::DropLine | Mutation::RepeatLine | Mutation::SwapLines => {
            let mut lines: Vec<Vec<u8>> = split_lines(response)
                .iter()
                .map(|line| line.to_vec())
                .collect();
            if lines.is_empty() {
                return "no line".into();
            }
            let at = random.below(lines.len());
            let what = match mutation {
                Mutation::DropLine => {
                    lines.remove(at);
                    format!("dropped line {at}")
                }
                Mutation::RepeatLine => {
                    // Up to 20,000 times, but no more than 4 MiB of repeats: a flood of
                    // lines, not a test harness out of memory.
                    let wanted = [1, 2, 10, 1000, 20_000][random.below(5)];
                    let times = wanted.min((4 << 20) / lines[at].len().max(1)).max(1);
                    let line = lines[at].clone();
                    for _ in 0..times {
                        lines.insert(at, line.clone());
                    }
                    format!("line {at} repeated {times} times")
                }
                _ => {
                    let other = random.below(lines.len());
                    lines.swap(at, other);
                    format!("swapped lines {at} and {other}")
                }
            };
            *response = lines.concat();
            what
        }
        Mutation::InjectLine => {
            let Some(line) = random.pick(HOSTILE_LINES) else {
                return String::new();
            };
            let lines = split_lines(response);
            let at: usize = lines
                .iter()
                .take(random.below(lines.len() + 1))
                .map(|line| line.len())
                .sum();
            response.splice(at..at, line.bytes());
            format!("injected {:?}", line.trim_end())
        }
        Mutation::CloseEarly => {
            response.clear();
            *after = After::Close;
            "closed instead of answering".into()
        }
        Mutation::Stall => {
            let at = random.below(response.len() + 1);
            response.truncate(at);
            *after = After::Stall;
            format!("stalled after {at} bytes")
        }
        Mutation::LongLine => {
            let length = [100_000, 3_000_000][random.below(2)];
            let mut line = b"* SEARCH".to_vec();
            while line.len() < length {
                line.extend_from_slice(b" 4294967295 1 2 3 77777");
            }
            line.extend_from_slice(b"\r\n");
            response.splice(0..0, line);
            format!("a {length}-byte SEARCH line first")
        }
        Mutation::ManyLines => {
            let count = [1_000, 100_000][random.below(2)];
            let mut lines = Vec::new();
            for n in 0..count {
                lines.extend_from_slice(
                    format!(
                        "* {} FETCH (UID {} FLAGS (\\Seen))\r\n",
                        n + 1,
                        4_000_000_000u64 + n as u64
                    )
                    .as_bytes(),
                );
            }
            response.splice(0..0, lines);
            format!("{count} unasked FETCH lines first")
        }
    }
}

/// Byte ranges of the decimal numbers in `bytes` outside literals.
fn number_spans(bytes: &[u8]) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut index = 0;
    for line in split_lines(bytes) {
        let text_end = line_text_end(line);
        let mut at = 0;
        while at < text_end {
            if line[at].is_ascii_digit() && (at == 0 || !line[at - 1].is_ascii_alphanumeric()) {
                let start = at;
                while at < text_end && line[at].is_ascii_digit() {
                    at += 1;
                }
                spans.push((index + start, index + at));
            } else {
                at += 1;
            }
        }
        index += line.len();
    }
    spans
}

/// `a:b` sets: (start, colon, end).
fn set_spans(bytes: &[u8]) -> Vec<(usize, usize, usize)> {
    let numbers = number_spans(bytes);
    numbers
        .windows(2)
        .filter(|pair| {
            pair[0].1 < bytes.len() && bytes[pair[0].1] == b':' && pair[1].0 == pair[0].1 + 1
        })
        .map(|pair| (pair[0].0, pair[0].1, pair[1].1))
        .collect()
}

/// `{n}` literal announcements: (start of n, end of n, n).
fn literal_spans(bytes: &[u8]) -> Vec<(usize, usize, usize)> {
    let mut spans = Vec::new();
    let mut index = 0;
    for line in split_lines(bytes) {
        let end = line_text_end(line);
        if end < line.len() {
            // The line's text ends with `{n}` right before the literal.
            if let Some(open) = line[..end].iter().rposition(|byte| *byte == b'{') {
                let digits_end = end.saturating_sub(3);
                if let Some(size) = std::str::from_utf8(&line[open + 1..digits_end])
                    .ok()
                    .and_then(|digits| digits.parse().ok())
                {
                    spans.push((index + open + 1, index + digits_end, size));
                }
            }
        }
        index += line.len();
    }
    spans
}

/// Where the text of the line's first part ends: after `{n}\r\n` when a literal follows,
/// else the whole line.
fn line_text_end(line: &[u8]) -> usize {
    match line.windows(2).position(|pair| pair == b"\r\n") {
        Some(crlf) if crlf + 2 < line.len() => crlf + 2,
        _ => line.len(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn spans_are_found_outside_literals() {
        let bytes = b"* 12 FETCH (UID 7:9 BODY[] {5}\r\n12345)\r\n";
        let numbers: Vec<&[u8]> = number_spans(bytes)
            .iter()
            .map(|(s, e)| &bytes[*s..*e])
            .collect();
        assert_eq!(numbers, vec![&b"12"[..], b"7", b"9", b"5"]);
        assert_eq!(set_spans(bytes).len(), 1);
        let literals = literal_spans(bytes);
        assert_eq!(literals.len(), 1);
        assert_eq!(&bytes[literals[0].0..literals[0].1], b"5");
        assert_eq!(literals[0].2, 5);
    }

    #[test]
    fn the_same_seed_mutates_the_same_way() {
        let script = Script {
            greeting: b"* OK hi\r\n".to_vec(),
            exchanges: (0..6)
                .map(|n| {
                    (
                        super::super::transcript::Exchange {
                            command: format!("UID FETCH {n}:* (FLAGS)\r\n").into_bytes(),
                            response: format!("* {n} FETCH (UID {n} BODY[] {{3}}\r\nabc)\r\n\x00TAG\x00 OK done\r\n").into_bytes(),
                        },
                        After::Continue,
                    )
                })
                .collect(),
        };
        for seed in 0..200 {
            let (mut first, mut second) = (script.clone(), script.clone());
            let a = mutate(&mut first, &mut Random::new(seed));
            let b = mutate(&mut second, &mut Random::new(seed));
            assert_eq!(a, b);
            assert_eq!(first, second);
        }
    }
}
