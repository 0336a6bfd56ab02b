//! Gmail's labels-as-folders (X-GM-EXT-1, issue 16), pure: a message shows in every folder
//! of its labels, so removing it from a label folder is removing that label — said
//! explicitly with `-X-GM-LABELS`, never with `\Deleted` + EXPUNGE (which Gmail turns into
//! "archive" or "move to Trash" depending on the person's settings). Only Trash and Spam
//! delete for good.

use crate::folder_role::FolderRole;

/// The label a Gmail folder stands for, when taking a message out of it removes one: INBOX
/// is `\Inbox`; All Mail, Trash, Spam, Sent, Drafts and Starred are not plain labels.
pub fn folder_label(name: &str, role: Option<FolderRole>) -> Option<String> {
    if name.eq_ignore_ascii_case("INBOX") || role == Some(FolderRole::Inbox) {
        return Some("\\Inbox".to_string());
    }
    match role {
        None | Some(FolderRole::Archive) => Some(name.to_string()),
        Some(_) => None,
    }
}

/// The command that takes the messages `set` out of the Gmail folder `name`: the label's
/// removal, or None where that means deleting for good (Trash, Spam: `\Deleted` + EXPUNGE).
pub fn remove_from_label_command(
    name: &str,
    role: Option<FolderRole>,
    set: &str,
) -> Option<String> {
    let label = folder_label(name, role)?;
    Some(format!("UID STORE {set} -X-GM-LABELS ({})", quoted(&label)))
}

/// `label` as an IMAP astring: atoms as they are (`\Inbox`), anything else quoted.
fn quoted(label: &str) -> String {
    let atom = !label.is_empty()
        && label.chars().enumerate().all(|(index, c)| {
            c.is_ascii_alphanumeric() || c == '-' || c == '_' || (c == '\\' && index == 0)
        });
    if atom {
        label.to_string()
    } else {
        format!("\"{}\"", label.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn taking_a_message_out_of_a_label_folder_removes_the_label() {
        let cases = [
            (
                "INBOX",
                Some(FolderRole::Inbox),
                Some("UID STORE 4:5 -X-GM-LABELS (\\Inbox)"),
            ),
            ("Work", None, Some("UID STORE 4:5 -X-GM-LABELS (Work)")),
            (
                "Travel/2026 trip",
                None,
                Some("UID STORE 4:5 -X-GM-LABELS (\"Travel/2026 trip\")"),
            ),
            (
                "Say \"hi\"",
                None,
                Some("UID STORE 4:5 -X-GM-LABELS (\"Say \\\"hi\\\"\")"),
            ),
            ("[Gmail]/Trash", Some(FolderRole::Trash), None),
            ("[Gmail]/Spam", Some(FolderRole::Junk), None),
            ("[Gmail]/All Mail", Some(FolderRole::All), None),
            ("[Gmail]/Sent Mail", Some(FolderRole::Sent), None),
        ];
        for (name, role, expected) in cases {
            assert_eq!(
                remove_from_label_command(name, role, "4:5").as_deref(),
                expected,
                "{name}"
            );
        }
    }
}
