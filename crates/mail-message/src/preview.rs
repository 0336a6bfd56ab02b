//! A message's preview for the message list: the beginning of what the sender wrote, on one
//! line — quoted text, the "On …, … wrote:" line above it and the signature left out.

use crate::SIGNATURE_SEPARATOR;

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
}
