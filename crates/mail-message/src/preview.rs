//! A message's preview for the message list: the beginning of what the sender wrote, on one
//! line — quoted text, the "On …, … wrote:" line above it and the signature left out; from
//! the whole message, or from its first bytes where the body is not kept.

use crate::{parse_message, SIGNATURE_SEPARATOR};

/// About this many characters (the list shows two lines at most).
pub const PREVIEW_CHARS: usize = 140;

/// The preview of a message whose text is `text`: at most [`PREVIEW_CHARS`] characters, cut
/// at a word with "…" when there was more.
pub fn preview(text: &str) -> String {
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    let mut words = String::new();
    for (index, line) in lines.iter().enumerate() {
        if *line == SIGNATURE_SEPARATOR.trim_end() || line.starts_with(SIGNATURE_SEPARATOR) {
            break;
        }
        let trimmed = line.trim_start();
        if trimmed.starts_with('>') || introduces_quote(trimmed, &lines[index + 1..]) {
            continue;
        }
        for word in trimmed.split_whitespace() {
            if !words.is_empty() {
                words.push(' ');
            }
            words.push_str(word);
        }
        if words.chars().count() > PREVIEW_CHARS {
            break;
        }
    }
    let words: String = words.chars().filter(|c| !c.is_control()).collect();
    if words.chars().count() <= PREVIEW_CHARS {
        return words;
    }
    let cut: String = words.chars().take(PREVIEW_CHARS - 1).collect();
    let cut = match cut.rfind(' ') {
        Some(space) if space > cut.len() / 2 => &cut[..space],
        _ => cut.as_str(),
    };
    format!("{}…", cut.trim_end())
}

/// How much of a message's text (`BODY.PEEK[TEXT]<0.N>`) a preview is made from when its
/// body is not kept: enough for a multipart's preamble, part headers and the first lines.
pub const PREVIEW_SOURCE_BYTES: usize = 2048;

/// Header fields beyond this are not a real message's Content-Type: the preview reads the
/// text as plain instead.
const MAX_PREVIEW_HEADER: usize = 8 * 1024;

/// The preview of a message known only by its MIME header fields (`header`: Content-Type and
/// Content-Transfer-Encoding as the server sent them) and the first bytes of its text
/// (`text_start`, cut after [`PREVIEW_SOURCE_BYTES`] when `cut`). The text is decoded as the
/// whole message would be — quoted-printable, base64 (cut back to its last whole line, so a
/// broken last quantum is never decoded), charsets, the text part of a multipart, HTML made
/// text; what a cut leaves half-done is dropped.
pub fn preview_of_start(header: &[u8], text_start: &[u8], cut: bool) -> String {
    let header = if header.len() > MAX_PREVIEW_HEADER {
        &[][..]
    } else {
        header.trim_ascii_end()
    };
    let text_start = &text_start[..text_start.len().min(PREVIEW_SOURCE_BYTES)];
    let text = match (cut, text_start.iter().rposition(|&byte| byte == b'\n')) {
        (true, Some(end)) => &text_start[..=end],
        _ => text_start,
    };
    let mut raw = Vec::with_capacity(header.len() + text.len() + 4);
    raw.extend_from_slice(header);
    raw.extend_from_slice(if header.is_empty() {
        b"\r\n"
    } else {
        b"\r\n\r\n"
    });
    raw.extend_from_slice(text);
    if cut {
        // A part without its closing delimiter is not decoded (mail-parser keeps it raw):
        // close every multipart opened so far, innermost first.
        let opened: Vec<&[u8]> = boundaries(header)
            .into_iter()
            .chain(boundaries(text))
            .collect();
        for boundary in opened.iter().rev() {
            raw.extend_from_slice(b"\r\n--");
            raw.extend_from_slice(boundary);
            raw.extend_from_slice(b"--\r\n");
        }
    }
    preview(parse_message(&raw).text.as_deref().unwrap_or_default())
}

/// The `boundary=` parameters in `bytes`, in order (quoted or not); at most a few, each at
/// most RFC 2046's 70 characters.
fn boundaries(bytes: &[u8]) -> Vec<&[u8]> {
    const KEY: &[u8] = b"boundary=";
    let mut found = Vec::new();
    let mut at = 0;
    while found.len() < 8 {
        let Some(start) = bytes[at..]
            .windows(KEY.len())
            .position(|window| window.eq_ignore_ascii_case(KEY))
        else {
            break;
        };
        at += start + KEY.len();
        let value = &bytes[at..];
        let boundary = match value.strip_prefix(b"\"") {
            Some(quoted) => &quoted[..quoted.iter().position(|&b| b == b'"').unwrap_or(0)],
            None => {
                let end = value
                    .iter()
                    .position(|&b| b == b';' || b.is_ascii_whitespace())
                    .unwrap_or(value.len());
                &value[..end]
            }
        };
        if !boundary.is_empty() && boundary.len() <= 70 {
            found.push(boundary);
        }
    }
    found
}

/// "On Tue, Ann wrote:" (in any language: a line ending in ':' right above a quote).
fn introduces_quote(line: &str, rest: &[&str]) -> bool {
    line.ends_with(':')
        && rest
            .iter()
            .find(|next| !next.trim().is_empty())
            .is_some_and(|next| next.trim_start().starts_with('>'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_senders_own_words_on_one_line() {
        let cases: &[(&str, &str)] = &[
            (
                "Hello Ann,\n\nLunch on Friday?\n",
                "Hello Ann, Lunch on Friday?",
            ),
            (
                "Sounds good.\n\nOn Tue, 3 Mar 2026, Ann <ann@x> wrote:\n> Lunch?\n> Friday\n",
                "Sounds good.",
            ),
            ("Am Dienstag schrieb Ann:\n\n> Hallo\nJa!\n", "Ja!"),
            ("See you\n\n-- \nBob Example\nTel. 123\n", "See you"),
            (
                "Note: this line ends with a colon:\nand goes on\n",
                "Note: this line ends with a colon: and goes on",
            ),
            ("  \t \n\n", ""),
            ("tab\tand\u{7}bell", "tab andbell"),
        ];
        for (text, expected) in cases {
            assert_eq!(preview(text), *expected, "{text:?}");
        }
    }

    #[test]
    fn a_long_text_is_cut_at_a_word() {
        let text = "word ".repeat(100);
        let cut = preview(&text);
        assert!(cut.chars().count() <= PREVIEW_CHARS, "{cut}");
        assert!(cut.ends_with("word…"), "{cut}");
        // One endless word is cut where it must be.
        let cut = preview(&"ü".repeat(500));
        assert_eq!(cut.chars().count(), PREVIEW_CHARS);
        assert!(cut.ends_with('…'));
        // Exactly the limit: kept whole.
        let exact = "x".repeat(PREVIEW_CHARS);
        assert_eq!(preview(&exact), exact);
    }

    /// (header fields, the text's first bytes, cut there?, the preview).
    #[test]
    fn a_preview_from_the_first_bytes_of_the_text() {
        let base64_lines = "SGVsbG8gQW5uLCBsdW5jaCBvbiBGcmlkYXk/IFRoZSBwbGFjZSBieSB0aGUgcml2ZXIg\r\naXMgb3BlbiBhZ2Fpbi4gV291bGQgMTIgc3VpdCB5b3U/IEJvYg==\r\n";
        let cases: &[(&str, &str, bool, &str)] = &[
            // No header fields at all: plain US-ASCII text.
            ("", "Lunch on Friday?\r\n", false, "Lunch on Friday?"),
            (
                "Content-Type: text/plain; charset=utf-8\r\n\r\n",
                "Grüße aus Köln\r\n\r\n> quoted\r\n",
                false,
                "Grüße aus Köln",
            ),
            (
                "Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n",
                "Gr=FC=DFe aus K=F6ln, bis=\r\n bald\r\n",
                false,
                "Grüße aus Köln, bis bald",
            ),
            // A cut in the middle of an escape: the half line is dropped.
            (
                "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n",
                "First line\r\nsecond line with =C3",
                true,
                "First line",
            ),
            (
                "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n",
                base64_lines,
                false,
                "Hello Ann, lunch on Friday? The place by the river is open again. Would 12 suit you? Bob",
            ),
            // Base64 cut in the middle of its second line: the first line's words.
            (
                "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n",
                &base64_lines[..100],
                true,
                "Hello Ann, lunch on Friday? The place by the river",
            ),
            (
                "Content-Type: text/html; charset=utf-8\r\n",
                "<html><head><style>p{color:red}</style></head><body><p>Hi <b>Ann</b>,</p><p>the report is attached.</p></body></html>\r\n",
                false,
                "Hi Ann, the report is attached.",
            ),
            // multipart/alternative: the plain part's words, not the boundaries or part headers.
            (
                "Content-Type: multipart/alternative;\r\n boundary=\"b1\"\r\n",
                "This is a multi-part message in MIME format.\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nThe plan for Monday=2E\r\n--b1\r\nContent-Type: text/html\r\n\r\n<p>The plan",
                true,
                "The plan for Monday.",
            ),
            // multipart/mixed around an alternative, cut before the first part ends.
            (
                "Content-Type: multipart/mixed; boundary=outer\r\n",
                "--outer\r\nContent-Type: multipart/alternative; boundary=inner\r\n\r\n--inner\r\nContent-Type: text/plain\r\n\r\nInvoice 42 is attached.\r\nPlease pay by Friday, thank y",
                true,
                "Invoice 42 is attached.",
            ),
            // A base64 text part cut short inside a multipart: decoded all the same.
            (
                "Content-Type: multipart/alternative; boundary=\"alt\"\r\n",
                "--alt\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\nVGhlIHBsYW4gZm9yIE1vbmRheSBpcyByZWFkeS4KRGV0YWlscyBmb2xsb3cuIERldGFpbHMgZm9s\r\nbG93LiBEZXRhaWxzIGZvbGxv",
                true,
                "The plan for Monday is ready. Details follow. Details fol",
            ),
            // Only an attachment before the cut: nothing to show, and nothing made up.
            (
                "Content-Type: multipart/mixed; boundary=x\r\n",
                "--x\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\nJVBERi0x",
                true,
                "",
            ),
        ];
        for (header, text, cut, expected) in cases {
            assert_eq!(
                preview_of_start(header.as_bytes(), text.as_bytes(), *cut),
                *expected,
                "{header:?} {text:?}"
            );
        }
    }

    #[test]
    fn a_preview_never_reads_beyond_what_it_asked_for() {
        // A server sending more than was asked: only the first PREVIEW_SOURCE_BYTES count.
        let text = format!("{}\r\nLATE WORDS\r\n", "a\r\n".repeat(PREVIEW_SOURCE_BYTES));
        assert!(!preview_of_start(b"", text.as_bytes(), true).contains("LATE"));
        // Header fields no message has: read as plain text instead of parsed.
        let header = format!(
            "Content-Type: multipart/mixed; boundary=\"{}\"",
            "b".repeat(10_000)
        );
        assert_eq!(
            preview_of_start(header.as_bytes(), b"Plain words\r\n", false),
            "Plain words"
        );
    }
}
