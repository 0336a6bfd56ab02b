//! Signatures: put under the person's words and above a quote or a forwarded message, after
//! the "-- " line (RFC 3676 §4.3) that mail readers recognise and fold away.

/// The line a signature starts under (dash, dash, space).
pub const SIGNATURE_SEPARATOR: &str = "-- ";

/// The text a message starts with: room for the person's words (before it), then the
/// signature (none when `None` or blank), then `rest` (a quote, a forwarded message, or "").
pub fn signed(rest: &str, signature: Option<&str>) -> String {
    let Some(signature) = signature
        .map(|text| text.trim_end())
        .filter(|text| !text.trim().is_empty())
    else {
        return rest.to_string();
    };
    let mut text = format!("\n\n{SIGNATURE_SEPARATOR}\n{signature}\n");
    if !rest.is_empty() {
        // The rest starts with its own blank lines ("\n\nOn …, … wrote:").
        text.pop();
        text.push_str(rest);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_goes_under_the_words_and_above_the_quote() {
        let quote = "\n\nOn Sat, 28 Nov 2026 14:05, Bob wrote:\n> Lunch?\n";
        let cases: [(&str, Option<&str>, &str); 6] = [
            ("", None, ""),
            ("", Some("   \n"), ""),
            (quote, None, quote),
            (
                "",
                Some("Alice\nhttps://alice.example\n\n"),
                "\n\n-- \nAlice\nhttps://alice.example\n",
            ),
            (
                quote,
                Some("Alice"),
                "\n\n-- \nAlice\n\nOn Sat, 28 Nov 2026 14:05, Bob wrote:\n> Lunch?\n",
            ),
            (
                "\n\n---------- Forwarded message ----------\n",
                Some("A."),
                "\n\n-- \nA.\n\n---------- Forwarded message ----------\n",
            ),
        ];
        for (rest, signature, expected) in cases {
            assert_eq!(signed(rest, signature), expected, "{rest:?} {signature:?}");
        }
        // What the person types goes in front.
        let message = format!("Yes, at noon.{}", signed(quote, Some("Alice")));
        assert!(
            message.starts_with("Yes, at noon.\n\n-- \nAlice\n\nOn Sat"),
            "{message}"
        );
    }
}
