//! Large messages fetched text first: BODYSTRUCTURE and the header, then only the text
//! parts; the cached message is rebuilt with the same MIME tree, attachments standing in as
//! empty parts that name their IMAP section and size (`X-Tern-Section`, `X-Tern-Size`) until
//! one is saved, which fetches just that section.

use std::collections::HashMap;

use imap_proto::{AttributeValue, BodyStructure, MessageSection, Response, SectionPath};

use crate::connection::ImapConnection;
use crate::error::{EngineError, ErrorKind, Result};
use crate::structure::{read_structure, RemotePart};

/// The header a rebuilt message carries so it is known to be partial
/// (`mail_message::is_partial`, `mail_message::remote_attachment`).
const PARTIAL_HEADER: &str = "X-Tern-Partial";

fn section_label(path: &SectionPath) -> String {
    let (numbers, suffix) = match path {
        SectionPath::Full(MessageSection::Header) => return "HEADER".into(),
        SectionPath::Full(MessageSection::Mime) => return "MIME".into(),
        SectionPath::Full(MessageSection::Text) => return "TEXT".into(),
        SectionPath::Part(numbers, suffix) => (numbers, suffix),
    };
    let mut label = numbers
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(".");
    match suffix {
        Some(MessageSection::Mime) => label.push_str(".MIME"),
        Some(MessageSection::Header) => label.push_str(".HEADER"),
        Some(MessageSection::Text) => label.push_str(".TEXT"),
        None => {}
    }
    label
}

/// Fetches `items` for one UID; returns the body sections by label ("HEADER", "1.2",
/// "1.2.MIME", ...) and the BODYSTRUCTURE's text/attachment split with the raw structure.
async fn fetch_sections(
    connection: &mut ImapConnection,
    uid: u32,
    items: &str,
) -> Result<(HashMap<String, Vec<u8>>, Option<Owned>)> {
    let mut sections = HashMap::new();
    let mut structure = None;
    connection
        .execute(&format!("UID FETCH {uid} ({items})"), |response| {
            if let Response::Fetch(_, attributes) = response {
                for attribute in attributes {
                    match attribute {
                        AttributeValue::BodySection {
                            section: Some(path),
                            data: Some(data),
                            ..
                        } => {
                            sections.insert(section_label(path), data.to_vec());
                        }
                        AttributeValue::BodyStructure(body) => {
                            structure = Some(Owned(shape(body, 0), read_structure(body)));
                        }
                        _ => {}
                    }
                }
            }
            Ok(())
        })
        .await?
        .require_ok("Fetching parts of a message")?;
    Ok((sections, structure))
}

/// The MIME tree of a message, as much of it as rebuilding needs.
pub(crate) enum Node {
    Multipart(String, Vec<Node>),
    Leaf,
}

fn shape(body: &BodyStructure<'_>, depth: usize) -> Node {
    match body {
        BodyStructure::Multipart { common, bodies, .. } if depth < 32 => Node::Multipart(
            common.ty.subtype.to_ascii_lowercase(),
            bodies.iter().map(|child| shape(child, depth + 1)).collect(),
        ),
        _ => Node::Leaf,
    }
}

/// What a BODYSTRUCTURE says: the tree and the text/attachment split.
pub(crate) struct Owned(Node, crate::structure::Structure);

fn header_without_content_fields(header: &[u8]) -> String {
    let text = String::from_utf8_lossy(header);
    let mut out = String::new();
    let mut skipping = false;
    for line in text.split_inclusive('\n') {
        let continuation = line.starts_with(' ') || line.starts_with('\t');
        if !continuation {
            let lower = line.to_ascii_lowercase();
            skipping = lower.starts_with("content-type:")
                || lower.starts_with("content-transfer-encoding:")
                || lower.starts_with("mime-version:");
        }
        if !skipping && !line.trim().is_empty() {
            out.push_str(line.trim_end_matches(['\r', '\n']));
            out.push_str("\r\n");
        }
    }
    out
}

fn quote(value: &str) -> String {
    let cleaned: String = value
        .chars()
        .filter(|c| !c.is_control() && *c != '"' && *c != '\\')
        .collect();
    format!("\"{cleaned}\"")
}

fn placeholder(part: &RemotePart) -> String {
    let mut out = format!("Content-Type: {}", part.content_type);
    if let Some(name) = &part.name {
        out.push_str(&format!("; name={}", quote(name)));
    }
    out.push_str("\r\nContent-Disposition: attachment");
    if let Some(name) = &part.name {
        out.push_str(&format!("; filename={}", quote(name)));
    }
    out.push_str("\r\n");
    if let Some(id) = &part.content_id {
        out.push_str(&format!(
            "Content-ID: <{}>\r\n",
            id.replace(['<', '>', '\r', '\n'], "")
        ));
    }
    // The decoded size: base64 carries 3 bytes in 4 characters (line breaks aside).
    let size = if part.encoding == "base64" {
        u64::from(part.size) * 3 / 4
    } else {
        u64::from(part.size)
    };
    out.push_str(&format!(
        "X-Tern-Section: {}\r\nX-Tern-Size: {size}\r\n\r\n",
        part.section
    ));
    out
}

fn rebuild(
    body: &Node,
    section: &str,
    texts: &HashMap<String, RemotePart>,
    attachments: &HashMap<String, RemotePart>,
    sections: &HashMap<String, Vec<u8>>,
    out: &mut Vec<u8>,
    depth: usize,
) {
    if depth > 32 {
        return;
    }
    if let Node::Multipart(subtype, bodies) = body {
        let boundary = format!("=_tern_{}_{depth}", section.replace('.', "_"));
        out.extend_from_slice(
            format!("Content-Type: multipart/{subtype}; boundary=\"{boundary}\"\r\n\r\n")
                .as_bytes(),
        );
        for (index, child) in bodies.iter().enumerate() {
            let child_section = if section.is_empty() {
                format!("{}", index + 1)
            } else {
                format!("{section}.{}", index + 1)
            };
            out.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
            rebuild(
                child,
                &child_section,
                texts,
                attachments,
                sections,
                out,
                depth + 1,
            );
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        return;
    }
    let section = if section.is_empty() { "1" } else { section };
    if texts.contains_key(section) {
        if let (Some(mime), Some(data)) = (
            sections.get(&format!("{section}.MIME")),
            sections.get(section),
        ) {
            out.extend_from_slice(mime);
            out.extend_from_slice(data);
            return;
        }
    }
    if let Some(part) = attachments.get(section).or_else(|| texts.get(section)) {
        out.extend_from_slice(placeholder(part).as_bytes());
    }
}

/// Fetches a large message text first and returns it rebuilt (attachments as placeholders);
/// `None` when it is a single part (nothing to leave out: fetch it whole).
pub(crate) async fn fetch_text_first(
    connection: &mut ImapConnection,
    uid: u32,
) -> Result<Option<Vec<u8>>> {
    let (head, structure) =
        fetch_sections(connection, uid, "UID BODYSTRUCTURE BODY.PEEK[HEADER]").await?;
    let (Some(Owned(structure, split)), Some(header)) = (structure, head.get("HEADER")) else {
        return Err(EngineError::new(
            ErrorKind::Protocol,
            "The server sent no BODYSTRUCTURE or header",
        ));
    };
    if !matches!(structure, Node::Multipart(..)) {
        return Ok(None);
    }
    let items: Vec<String> = split
        .text
        .iter()
        .flat_map(|part| {
            [
                format!("BODY.PEEK[{}.MIME]", part.section),
                format!("BODY.PEEK[{}]", part.section),
            ]
        })
        .collect();
    let sections = if items.is_empty() {
        HashMap::new()
    } else {
        fetch_sections(connection, uid, &format!("UID {}", items.join(" ")))
            .await?
            .0
    };
    let texts: HashMap<String, RemotePart> = split
        .text
        .into_iter()
        .map(|part| (part.section.clone(), part))
        .collect();
    let attachments: HashMap<String, RemotePart> = split
        .attachments
        .into_iter()
        .map(|part| (part.section.clone(), part))
        .collect();
    let mut raw = header_without_content_fields(header).into_bytes();
    raw.extend_from_slice(format!("MIME-Version: 1.0\r\n{PARTIAL_HEADER}: 1\r\n").as_bytes());
    rebuild(&structure, "", &texts, &attachments, &sections, &mut raw, 0);
    Ok(Some(raw))
}

/// Fetches one section's bytes as sent (still transfer-encoded).
pub(crate) async fn fetch_section(
    connection: &mut ImapConnection,
    uid: u32,
    section: &str,
) -> Result<Vec<u8>> {
    let (mut sections, _) = fetch_sections(
        connection,
        uid,
        &format!("UID BODY.PEEK[{section}.MIME] BODY.PEEK[{section}]"),
    )
    .await?;
    let (Some(mime), Some(body)) = (
        sections.remove(&format!("{section}.MIME")),
        sections.remove(section),
    ) else {
        return Err(EngineError::new(
            ErrorKind::Other,
            format!("The server no longer has part {section} of this message"),
        ));
    };
    let mut part = mime;
    part.extend_from_slice(&body);
    Ok(part)
}
