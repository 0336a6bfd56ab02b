//! Folder roles from SPECIAL-USE attributes (RFC 6154), with a fallback by well-known names.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FolderRole {
    Inbox,
    Sent,
    Drafts,
    Trash,
    Archive,
    Junk,
    All,
    Flagged,
}

impl FolderRole {
    pub fn as_str(self) -> &'static str {
        match self {
            FolderRole::Inbox => "inbox",
            FolderRole::Sent => "sent",
            FolderRole::Drafts => "drafts",
            FolderRole::Trash => "trash",
            FolderRole::Archive => "archive",
            FolderRole::Junk => "junk",
            FolderRole::All => "all",
            FolderRole::Flagged => "flagged",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "inbox" => FolderRole::Inbox,
            "sent" => FolderRole::Sent,
            "drafts" => FolderRole::Drafts,
            "trash" => FolderRole::Trash,
            "archive" => FolderRole::Archive,
            "junk" => FolderRole::Junk,
            "all" => FolderRole::All,
            "flagged" => FolderRole::Flagged,
            _ => return None,
        })
    }
}

/// The role named by a LIST response's attributes (`\Sent`, `\Trash`, …), if any.
pub fn role_from_attributes<S: AsRef<str>>(attributes: &[S]) -> Option<FolderRole> {
    attributes.iter().find_map(|attribute| {
        let attribute = attribute.as_ref();
        let pairs = [
            ("\\Sent", FolderRole::Sent),
            ("\\Drafts", FolderRole::Drafts),
            ("\\Trash", FolderRole::Trash),
            ("\\Archive", FolderRole::Archive),
            ("\\Junk", FolderRole::Junk),
            ("\\All", FolderRole::All),
            ("\\Flagged", FolderRole::Flagged),
        ];
        pairs
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(attribute))
            .map(|(_, role)| *role)
    })
}

/// The role a folder most likely has from its name alone, for servers without SPECIAL-USE.
/// Only the last hierarchy level counts ("[Gmail]/Sent Mail" is Sent).
pub fn role_from_name(name: &str, delimiter: Option<&str>) -> Option<FolderRole> {
    if name.eq_ignore_ascii_case("INBOX") {
        return Some(FolderRole::Inbox);
    }
    let leaf = match delimiter {
        Some(delimiter) if !delimiter.is_empty() => name.rsplit(delimiter).next().unwrap_or(name),
        _ => name,
    };
    let leaf = leaf.trim().to_ascii_lowercase();
    let role = match leaf.as_str() {
        "sent" | "sent mail" | "sent items" | "sent messages" | "gesendet" | "envoyés" => {
            FolderRole::Sent
        }
        "drafts" | "draft" | "entwürfe" | "brouillons" => FolderRole::Drafts,
        "trash" | "deleted" | "deleted items" | "deleted messages" | "bin" | "papierkorb"
        | "corbeille" => FolderRole::Trash,
        "archive" | "archives" | "archiv" => FolderRole::Archive,
        "junk" | "spam" | "junk e-mail" | "junk email" | "bulk mail" => FolderRole::Junk,
        "all mail" => FolderRole::All,
        _ => return None,
    };
    Some(role)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_win_and_are_case_insensitive() {
        let cases: &[(&[&str], Option<FolderRole>)] = &[
            (&["\\HasNoChildren", "\\Sent"], Some(FolderRole::Sent)),
            (&["\\trash"], Some(FolderRole::Trash)),
            (&["\\Archive"], Some(FolderRole::Archive)),
            (&["\\Junk"], Some(FolderRole::Junk)),
            (&["\\Drafts"], Some(FolderRole::Drafts)),
            (&["\\All"], Some(FolderRole::All)),
            (&["\\HasChildren"], None),
            (&[], None),
        ];
        for (attributes, expected) in cases {
            assert_eq!(
                role_from_attributes(attributes),
                *expected,
                "{attributes:?}"
            );
        }
    }

    #[test]
    fn name_fallback() {
        let cases = [
            ("INBOX", Some("/"), Some(FolderRole::Inbox)),
            ("inbox", None, Some(FolderRole::Inbox)),
            ("Sent", Some("/"), Some(FolderRole::Sent)),
            ("[Gmail]/Sent Mail", Some("/"), Some(FolderRole::Sent)),
            ("INBOX.Trash", Some("."), Some(FolderRole::Trash)),
            ("Deleted Items", Some("/"), Some(FolderRole::Trash)),
            ("Spam", Some("/"), Some(FolderRole::Junk)),
            ("Archive", None, Some(FolderRole::Archive)),
            ("Projects/Sent stuff", Some("/"), None),
            ("Receipts", Some("/"), None),
        ];
        for (name, delimiter, expected) in cases {
            assert_eq!(role_from_name(name, delimiter), expected, "{name}");
        }
    }

    #[test]
    fn role_names_round_trip() {
        for role in [
            FolderRole::Inbox,
            FolderRole::Sent,
            FolderRole::Drafts,
            FolderRole::Trash,
            FolderRole::Archive,
            FolderRole::Junk,
            FolderRole::All,
            FolderRole::Flagged,
        ] {
            assert_eq!(FolderRole::parse(role.as_str()), Some(role));
        }
    }
}
