//! BODYSTRUCTURE (RFC 3501) read into what opening a large message needs before fetching
//! anything big: the sections holding the text to show, and the attachments (with their
//! sizes) to list and fetch only on demand (`partial.rs`).

use imap_proto::{BodyContentCommon, BodyStructure, ContentEncoding};

/// One leaf part of a message, named by its IMAP section ("1", "2.1", ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemotePart {
    pub section: String,
    /// "text/plain", "image/png", ...
    pub content_type: String,
    /// The file name (disposition `filename` or type `name`), if any.
    pub name: Option<String>,
    /// Content-ID without angle brackets.
    pub content_id: Option<String>,
    /// "base64", "quoted-printable", "7bit", ...
    pub encoding: String,
    /// Size as sent (encoded), in bytes.
    pub size: u32,
}

/// A message's parts, split for partial fetching.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Structure {
    /// Text and HTML parts that are not attachments, in order.
    pub text: Vec<RemotePart>,
    /// Everything else (files, images, attached messages), in order.
    pub attachments: Vec<RemotePart>,
}

fn param(common: &BodyContentCommon<'_>, key: &str) -> Option<String> {
    let from_disposition = common
        .disposition
        .as_ref()
        .and_then(|disposition| disposition.params.as_ref())
        .and_then(|params| {
            params
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case("filename"))
                .map(|(_, value)| value.to_string())
        });
    let from_type = common.ty.params.as_ref().and_then(|params| {
        params
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(key))
            .map(|(_, value)| value.to_string())
    });
    from_disposition.or(from_type)
}

fn encoding(encoding: &ContentEncoding<'_>) -> String {
    match encoding {
        ContentEncoding::SevenBit => "7bit".into(),
        ContentEncoding::EightBit => "8bit".into(),
        ContentEncoding::Binary => "binary".into(),
        ContentEncoding::Base64 => "base64".into(),
        ContentEncoding::QuotedPrintable => "quoted-printable".into(),
        ContentEncoding::Other(other) => other.to_ascii_lowercase(),
    }
}

fn is_attachment(common: &BodyContentCommon<'_>) -> bool {
    common
        .disposition
        .as_ref()
        .is_some_and(|disposition| disposition.ty.eq_ignore_ascii_case("attachment"))
}

fn walk(body: &BodyStructure<'_>, section: &str, into: &mut Structure, depth: usize) {
    // A hostile structure must not recurse without end.
    if depth > 32 {
        return;
    }
    let (common, other, text) = match body {
        BodyStructure::Multipart { bodies, .. } => {
            for (index, part) in bodies.iter().enumerate() {
                let child = if section.is_empty() {
                    format!("{}", index + 1)
                } else {
                    format!("{section}.{}", index + 1)
                };
                walk(part, &child, into, depth + 1);
            }
            return;
        }
        BodyStructure::Text { common, other, .. } => (common, other, true),
        BodyStructure::Basic { common, other, .. } => (common, other, false),
        BodyStructure::Message { common, other, .. } => (common, other, false),
    };
    let content_type = format!("{}/{}", common.ty.ty, common.ty.subtype).to_ascii_lowercase();
    let part = RemotePart {
        section: if section.is_empty() {
            "1".into()
        } else {
            section.to_string()
        },
        name: param(common, "name"),
        content_id: other
            .id
            .as_ref()
            .map(|id| id.trim().trim_matches(['<', '>']).to_string()),
        encoding: encoding(&other.transfer_encoding),
        size: other.octets,
        content_type,
    };
    let readable = text
        && matches!(part.content_type.as_str(), "text/plain" | "text/html")
        && !is_attachment(common)
        && part.name.is_none();
    if readable {
        into.text.push(part);
    } else {
        into.attachments.push(part);
    }
}

/// Splits a BODYSTRUCTURE into text parts and attachments.
pub fn read_structure(body: &BodyStructure<'_>) -> Structure {
    let mut structure = Structure::default();
    walk(body, "", &mut structure, 0);
    structure
}

#[cfg(test)]
mod tests {
    use super::*;
    use imap_proto::{AttributeValue, Response};

    fn structure_of(line: &str) -> Structure {
        let (_, response) = Response::parse(line.as_bytes()).expect("parses");
        let Response::Fetch(_, attributes) = response else {
            panic!("not a fetch")
        };
        let body = attributes
            .iter()
            .find_map(|attribute| match attribute {
                AttributeValue::BodyStructure(body) => Some(body),
                _ => None,
            })
            .expect("a BODYSTRUCTURE");
        read_structure(body)
    }

    #[test]
    fn a_single_text_part_is_section_one() {
        let s = structure_of(
            "* 1 FETCH (BODYSTRUCTURE (\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 120 4 NIL NIL NIL NIL))\r\n",
        );
        assert_eq!(s.text.len(), 1);
        assert_eq!(s.text[0].section, "1");
        assert_eq!(s.text[0].size, 120);
        assert!(s.attachments.is_empty());
    }

    #[test]
    fn alternative_inside_mixed_with_a_large_attachment() {
        let s = structure_of(concat!(
            "* 1 FETCH (BODYSTRUCTURE (",
            "((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"quoted-printable\" 300 10 NIL NIL NIL NIL)",
            "(\"text\" \"html\" (\"charset\" \"utf-8\") NIL NIL \"base64\" 900 12 NIL NIL NIL NIL)",
            " \"alternative\" (\"boundary\" \"alt\") NIL NIL NIL)",
            "(\"application\" \"pdf\" (\"name\" \"report.pdf\") \"<r1@x>\" NIL \"base64\" 26214400 NIL (\"attachment\" (\"filename\" \"report.pdf\")) NIL NIL)",
            " \"mixed\" (\"boundary\" \"mix\") NIL NIL NIL))\r\n"
        ));
        let text: Vec<(&str, &str)> = s
            .text
            .iter()
            .map(|p| (p.section.as_str(), p.content_type.as_str()))
            .collect();
        assert_eq!(text, vec![("1.1", "text/plain"), ("1.2", "text/html")]);
        assert_eq!(s.attachments.len(), 1);
        let pdf = &s.attachments[0];
        assert_eq!(pdf.section, "2");
        assert_eq!(pdf.name.as_deref(), Some("report.pdf"));
        assert_eq!(pdf.size, 26_214_400);
        assert_eq!(pdf.encoding, "base64");
        assert_eq!(pdf.content_id.as_deref(), Some("r1@x"));
    }

    #[test]
    fn a_text_file_attachment_is_not_body_text() {
        let s = structure_of(concat!(
            "* 1 FETCH (BODYSTRUCTURE (",
            "(\"text\" \"plain\" NIL NIL NIL \"7bit\" 10 1 NIL NIL NIL NIL)",
            "(\"text\" \"plain\" (\"name\" \"notes.txt\") NIL NIL \"7bit\" 5000 100 NIL (\"attachment\" NIL) NIL NIL)",
            " \"mixed\" (\"boundary\" \"b\") NIL NIL NIL))\r\n"
        ));
        assert_eq!(s.text.len(), 1);
        assert_eq!(s.attachments[0].name.as_deref(), Some("notes.txt"));
        assert_eq!(s.attachments[0].section, "2");
    }
}
