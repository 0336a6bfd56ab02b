//! Large messages fetched text first: BODYSTRUCTURE and the header, then only the text
//! parts; the cached message is rebuilt with the same MIME tree, attachments standing in as
//! empty placeholder parts until one is saved, which fetches just that section. Where each
//! placeholder's part is on the server ([`RemoteParts`]) is returned beside the bytes and
//! kept beside them in the cache: the bytes hold text a sender wrote, so nothing in them is
//! trusted to name a section.

use std::collections::HashMap;

use imap_proto::{AttributeValue, BodyStructure, MessageSection, Response, SectionPath};
use mail_message::{RemotePartRef, RemoteParts};

use crate::connection::ImapConnection;
use crate::error::{EngineError, ErrorKind, Result};
use crate::structure::{read_structure, RemotePart};

/// A token unique to one rebuild (random per process and call), marking its placeholders.
fn placeholder_token() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut token = String::new();
    for _ in 0..2 {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|elapsed| elapsed.as_nanos())
                .unwrap_or(0),
        );
        token.push_str(&format!("{:016x}", hasher.finish()));
    }
    token
}

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
                // Only the message asked for (an unsolicited FETCH of another one carries
                // none of its parts).
                let (answered, _) = crate::response::fetch_uid_and_flags(attributes);
                if answered != Some(mail_sync::Uid(uid)) {
                    return Ok(());
                }
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

/// A placeholder for `part`, marked `token.number`.
fn placeholder(part: &RemotePart, token: &str, number: usize) -> String {
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
    out.push_str(&format!(
        "{}: {token}.{number}\r\n\r\n",
        mail_message::PLACEHOLDER_HEADER
    ));
    out
}

/// The decoded size of a part BODYSTRUCTURE announced as `part.size` bytes on the wire:
/// base64 carries 3 bytes in 4 characters (line breaks aside).
fn decoded_size(part: &RemotePart) -> u64 {
    if part.encoding == "base64" {
        u64::from(part.size) * 3 / 4
    } else {
        u64::from(part.size)
    }
}

/// What a rebuild writes into and learns along the way.
struct Rebuild<'a> {
    texts: &'a HashMap<String, RemotePart>,
    attachments: &'a HashMap<String, RemotePart>,
    sections: &'a HashMap<String, Vec<u8>>,
    token: String,
    /// The parts behind the placeholders written, in order.
    placeholders: Vec<RemotePartRef>,
    out: Vec<u8>,
}

fn rebuild(body: &Node, section: &str, state: &mut Rebuild<'_>, depth: usize) {
    if depth > 32 {
        return;
    }
    if let Node::Multipart(subtype, bodies) = body {
        let boundary = format!("=_tern_{}_{depth}", section.replace('.', "_"));
        state.out.extend_from_slice(
            format!("Content-Type: multipart/{subtype}; boundary=\"{boundary}\"\r\n\r\n")
                .as_bytes(),
        );
        for (index, child) in bodies.iter().enumerate() {
            let child_section = if section.is_empty() {
                format!("{}", index + 1)
            } else {
                format!("{section}.{}", index + 1)
            };
            state
                .out
                .extend_from_slice(format!("--{boundary}\r\n").as_bytes());
            rebuild(child, &child_section, state, depth + 1);
            state.out.extend_from_slice(b"\r\n");
        }
        state
            .out
            .extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        return;
    }
    let section = if section.is_empty() { "1" } else { section };
    if state.texts.contains_key(section) {
        if let (Some(mime), Some(data)) = (
            state.sections.get(&format!("{section}.MIME")),
            state.sections.get(section),
        ) {
            state.out.extend_from_slice(mime);
            state.out.extend_from_slice(data);
            return;
        }
    }
    if let Some(part) = state
        .attachments
        .get(section)
        .or_else(|| state.texts.get(section))
    {
        let number = state.placeholders.len();
        let text = placeholder(part, &state.token, number);
        state.out.extend_from_slice(text.as_bytes());
        state.placeholders.push(RemotePartRef {
            section: part.section.clone(),
            size: decoded_size(part),
        });
    }
}

/// Fetches a large message text first and returns it rebuilt (attachments as placeholders)
/// with where those attachments are on the server; `None` when it is a single part
/// (nothing to leave out: fetch it whole).
pub(crate) async fn fetch_text_first(
    connection: &mut ImapConnection,
    uid: u32,
) -> Result<Option<(Vec<u8>, RemoteParts)>> {
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
        // The text parts may be as large as BODYSTRUCTURE said (and their MIME headers).
        let expected: u64 = split
            .text
            .iter()
            .map(|part| crate::response_limits::body_limit(part.size))
            .sum();
        let _raised = connection.expect_responses_up_to(expected);
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
    let mut state = Rebuild {
        texts: &texts,
        attachments: &attachments,
        sections: &sections,
        token: placeholder_token(),
        placeholders: Vec::new(),
        out: header_without_content_fields(header).into_bytes(),
    };
    state.out.extend_from_slice(b"MIME-Version: 1.0\r\n");
    rebuild(&structure, "", &mut state, 0);
    // Which attachment of the rebuilt message each placeholder became.
    let mut remote = RemoteParts::default();
    for (index, number) in mail_message::locate_placeholders(&state.out, &state.token) {
        if let Some(part) = state.placeholders.get(number) {
            if RemotePartRef::is_valid_section(&part.section) {
                remote.0.insert(index, part.clone());
            }
        }
    }
    Ok(Some((state.out, remote)))
}

/// Fetches one section's bytes as sent (still transfer-encoded); `size` is what the
/// message's structure said the part holds (decoded), which bounds the answer.
pub(crate) async fn fetch_section(
    connection: &mut ImapConnection,
    uid: u32,
    section: &str,
    size: u64,
) -> Result<Vec<u8>> {
    // Transfer encoding makes a part up to a third larger than its decoded size.
    let encoded = u32::try_from(size.saturating_mul(4) / 3).unwrap_or(u32::MAX);
    let _raised = connection.expect_responses_up_to(crate::response_limits::body_limit(encoded));
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
