//! Thunderbird's autoconfig documents (`config-v1.1.xml`), pure: where they are looked for,
//! and what one says — the IMAP and SMTP servers (placeholders such as `%EMAILLOCALPART%`
//! filled in), the login name, and whether the provider signs in with OAuth2. A document
//! with a DTD, too many nodes, or servers no client should use is refused.

use crate::address::is_host_name;
use crate::types::{Security, Server};

/// The most a document may hold, in bytes (real ones are a few KiB).
pub const MAX_DOCUMENT_BYTES: usize = 256 * 1024;
/// The most XML nodes a document may have.
const MAX_NODES: u32 = 20_000;

/// Where the domain's own document may be, in the order they are tried: the `autoconfig.`
/// host (with the address, which some servers use to tailor the answer), then the domain's
/// well-known path. Plain http only when `allow_http`, after the https ones.
pub fn document_urls(domain: &str, email: &str, allow_http: bool) -> Vec<String> {
    let query = percent_encode(email);
    let paths = [
        format!("autoconfig.{domain}/mail/config-v1.1.xml?emailaddress={query}"),
        format!("{domain}/.well-known/autoconfig/mail/config-v1.1.xml"),
    ];
    let mut urls: Vec<String> = paths.iter().map(|path| format!("https://{path}")).collect();
    if allow_http {
        urls.extend(paths.iter().map(|path| format!("http://{path}")));
    }
    urls
}

/// Everything but unreserved URL characters (RFC 3986) is percent-encoded.
const UNRESERVED_KEPT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `text` with everything but unreserved URL characters percent-encoded.
fn percent_encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, UNRESERVED_KEPT).to_string()
}

/// What a document says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub display_name: Option<String>,
    pub imap: Server,
    pub smtp: Option<Server>,
    /// The IMAP login name, placeholders filled in.
    pub username: String,
    /// The IMAP server takes OAuth2 (and not a password).
    pub oauth2_only: bool,
}

/// Why a document was not used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("not an autoconfig document: {0}")]
    NotXml(String),
    #[error("the document is larger than {MAX_DOCUMENT_BYTES} bytes")]
    TooLarge,
    #[error("the document names no usable IMAP server")]
    NoImap,
}

/// One `incomingServer` or `outgoingServer` as written.
struct Candidate {
    server: Server,
    username: Option<String>,
    auth: Vec<String>,
}

fn fill(template: &str, email: &str) -> String {
    let (local, domain) = email.rsplit_once('@').unwrap_or((email, ""));
    template
        .replace("%EMAILADDRESS%", email)
        .replace("%EMAILLOCALPART%", local)
        .replace("%EMAILDOMAIN%", domain)
}

fn child_text<'a>(node: roxmltree::Node<'a, '_>, name: &str) -> Option<&'a str> {
    node.children()
        .find(|child| child.has_tag_name(name))
        .and_then(|child| child.text())
        .map(str::trim)
}

fn candidate(node: roxmltree::Node<'_, '_>, email: &str) -> Option<Candidate> {
    let host = fill(child_text(node, "hostname")?, email).to_ascii_lowercase();
    let port: u16 = child_text(node, "port")?
        .parse()
        .ok()
        .filter(|port| *port > 0)?;
    let security = match child_text(node, "socketType")?
        .to_ascii_uppercase()
        .as_str()
    {
        "SSL" | "TLS" => Security::Tls,
        "STARTTLS" => Security::StartTls,
        "PLAIN" => Security::Plain,
        _ => return None,
    };
    if !is_host_name(&host) {
        return None;
    }
    let auth = node
        .children()
        .filter(|child| child.has_tag_name("authentication"))
        .filter_map(|child| child.text())
        .map(|text| text.trim().to_ascii_lowercase())
        .collect();
    Some(Candidate {
        server: Server::new(host, port, security),
        username: child_text(node, "username").map(|name| fill(name, email)),
        auth,
    })
}

/// Whether Tern can sign in to a server that lists `auth` (none listed: a password).
fn usable_auth(auth: &[String]) -> bool {
    auth.is_empty()
        || auth.iter().any(|method| {
            matches!(
                method.as_str(),
                "password-cleartext" | "plain" | "password-encrypted" | "secure" | "oauth2"
            )
        })
}

fn rank(security: Security) -> u8 {
    match security {
        Security::Tls => 0,
        Security::StartTls => 1,
        Security::Plain => 2,
    }
}

/// The best of `candidates`: a usable sign-in, then the strongest protection, then the
/// document's order.
fn best(candidates: Vec<Candidate>) -> Option<Candidate> {
    candidates
        .into_iter()
        .enumerate()
        .filter(|(_, candidate)| usable_auth(&candidate.auth))
        .min_by_key(|(index, candidate)| (rank(candidate.server.security), *index))
        .map(|(_, candidate)| candidate)
}

/// Reads a document for `email`.
pub fn parse(document: &str, email: &str) -> Result<Config, ConfigError> {
    if document.len() > MAX_DOCUMENT_BYTES {
        return Err(ConfigError::TooLarge);
    }
    let options = roxmltree::ParsingOptions {
        allow_dtd: false,
        nodes_limit: MAX_NODES,
        ..roxmltree::ParsingOptions::default()
    };
    let xml = roxmltree::Document::parse_with_options(document, options)
        .map_err(|error| ConfigError::NotXml(error.to_string()))?;
    let root = xml.root_element();
    if !root.has_tag_name("clientConfig") {
        return Err(ConfigError::NotXml("no clientConfig element".into()));
    }
    let provider = root
        .children()
        .find(|child| child.has_tag_name("emailProvider"))
        .ok_or(ConfigError::NoImap)?;
    let servers = |element: &str, kind: &str| -> Vec<Candidate> {
        provider
            .children()
            .filter(|child| child.has_tag_name(element) && child.attribute("type") == Some(kind))
            .filter_map(|child| candidate(child, email))
            .collect()
    };
    let imap = best(servers("incomingServer", "imap")).ok_or(ConfigError::NoImap)?;
    let smtp = best(servers("outgoingServer", "smtp"));
    let oauth2_only = !imap.auth.is_empty() && imap.auth.iter().all(|method| method == "oauth2");
    Ok(Config {
        display_name: child_text(provider, "displayName")
            .filter(|name| !name.is_empty())
            .map(str::to_string),
        username: imap
            .username
            .filter(|name| !name.trim().is_empty())
            .unwrap_or_else(|| email.to_string()),
        imap: imap.server,
        smtp: smtp.map(|candidate| candidate.server),
        oauth2_only,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1">
  <emailProvider id="example.org">
    <domain>example.org</domain>
    <displayName>Example Mail</displayName>
    <incomingServer type="pop3">
      <hostname>pop.example.org</hostname><port>995</port><socketType>SSL</socketType>
      <authentication>password-cleartext</authentication><username>%EMAILADDRESS%</username>
    </incomingServer>
    <incomingServer type="imap">
      <hostname>imap-plain.%EMAILDOMAIN%</hostname><port>143</port><socketType>plain</socketType>
      <authentication>password-cleartext</authentication><username>%EMAILLOCALPART%</username>
    </incomingServer>
    <incomingServer type="imap">
      <hostname>IMAP.%EMAILDOMAIN%</hostname><port>993</port><socketType>SSL</socketType>
      <authentication>password-cleartext</authentication><username>%EMAILLOCALPART%</username>
    </incomingServer>
    <outgoingServer type="smtp">
      <hostname>smtp.example.org</hostname><port>587</port><socketType>STARTTLS</socketType>
      <authentication>password-cleartext</authentication><username>%EMAILADDRESS%</username>
    </outgoingServer>
  </emailProvider>
</clientConfig>"#;

    #[test]
    fn a_document_gives_the_strongest_imap_and_smtp_servers_with_the_login() {
        let config = parse(EXAMPLE, "alice@example.org").expect("parsed");
        assert_eq!(config.display_name.as_deref(), Some("Example Mail"));
        assert_eq!(
            config.imap,
            Server::new("imap.example.org", 993, Security::Tls)
        );
        assert_eq!(config.username, "alice");
        assert_eq!(
            config.smtp,
            Some(Server::new("smtp.example.org", 587, Security::StartTls))
        );
        assert!(!config.oauth2_only);
    }

    #[test]
    fn oauth2_only_servers_are_marked_and_unusable_methods_skipped() {
        let document = r#"<clientConfig><emailProvider id="x">
  <incomingServer type="imap"><hostname>imap.x.org</hostname><port>993</port><socketType>SSL</socketType>
    <authentication>GSSAPI</authentication></incomingServer>
  <incomingServer type="imap"><hostname>oauth.x.org</hostname><port>993</port><socketType>SSL</socketType>
    <authentication>OAuth2</authentication></incomingServer>
</emailProvider></clientConfig>"#;
        let config = parse(document, "a@x.org").expect("parsed");
        assert_eq!(config.imap.host, "oauth.x.org");
        assert!(config.oauth2_only);
        assert_eq!(config.username, "a@x.org", "no username: the address");
        assert_eq!(config.smtp, None);
    }

    #[test]
    fn hostile_or_useless_documents_are_refused() {
        let cases: [(&str, ConfigError); 6] = [
            ("not xml at all", ConfigError::NotXml(String::new())),
            (
                r#"<!DOCTYPE x [<!ENTITY a "aaaa">]><clientConfig/>"#,
                ConfigError::NotXml(String::new()),
            ),
            (
                "<html><body>Not found</body></html>",
                ConfigError::NotXml(String::new()),
            ),
            (
                "<clientConfig><emailProvider/></clientConfig>",
                ConfigError::NoImap,
            ),
            (
                r#"<clientConfig><emailProvider><incomingServer type="imap"><hostname>bad host name</hostname><port>993</port><socketType>SSL</socketType></incomingServer></emailProvider></clientConfig>"#,
                ConfigError::NoImap,
            ),
            (
                r#"<clientConfig><emailProvider><incomingServer type="imap"><hostname>imap.x.org</hostname><port>99999</port><socketType>SSL</socketType></incomingServer></emailProvider></clientConfig>"#,
                ConfigError::NoImap,
            ),
        ];
        for (document, expected) in cases {
            let error = parse(document, "a@x.org").expect_err(document);
            assert_eq!(
                std::mem::discriminant(&error),
                std::mem::discriminant(&expected),
                "{document}: {error}"
            );
        }
        let huge = format!(
            "<clientConfig>{}</clientConfig>",
            " ".repeat(MAX_DOCUMENT_BYTES)
        );
        assert_eq!(parse(&huge, "a@x.org"), Err(ConfigError::TooLarge));
        let many = format!(
            "<clientConfig>{}</clientConfig>",
            "<a/>".repeat(MAX_NODES as usize + 10)
        );
        assert!(matches!(
            parse(&many, "a@x.org"),
            Err(ConfigError::NotXml(_))
        ));
    }

    #[test]
    fn urls_are_https_first_with_the_address_encoded() {
        assert_eq!(
            document_urls("example.org", "a+b@example.org", false),
            vec![
                "https://autoconfig.example.org/mail/config-v1.1.xml?emailaddress=a%2Bb%40example.org",
                "https://example.org/.well-known/autoconfig/mail/config-v1.1.xml",
            ]
        );
        let with_http = document_urls("example.org", "a@example.org", true);
        assert_eq!(with_http.len(), 4);
        assert!(with_http[2].starts_with("http://autoconfig.example.org/"));
    }
}
