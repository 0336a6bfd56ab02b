//! LIST: the account's folders with their SPECIAL-USE roles (or roles guessed from names).

use imap_proto::{MailboxDatum, NameAttribute, Response};
use mail_store::ListedFolder;
use mail_sync::{role_from_attributes, role_from_name, FolderRole};

use crate::connection::ImapConnection;
use crate::error::{EngineError, ErrorKind, Result};
use crate::mailbox_name::decode_mailbox_name;

fn attribute_name(attribute: &NameAttribute<'_>) -> String {
    match attribute {
        NameAttribute::NoInferiors => "\\Noinferiors".into(),
        NameAttribute::NoSelect => "\\Noselect".into(),
        NameAttribute::Marked => "\\Marked".into(),
        NameAttribute::Unmarked => "\\Unmarked".into(),
        NameAttribute::All => "\\All".into(),
        NameAttribute::Archive => "\\Archive".into(),
        NameAttribute::Drafts => "\\Drafts".into(),
        NameAttribute::Flagged => "\\Flagged".into(),
        NameAttribute::Junk => "\\Junk".into(),
        NameAttribute::Sent => "\\Sent".into(),
        NameAttribute::Trash => "\\Trash".into(),
        NameAttribute::Extension(other) => other.to_string(),
        other => format!("{other:?}"),
    }
}

/// Lists every folder. Roles come from SPECIAL-USE attributes; where the server gives none,
/// from well-known names, and only for a role no other folder already has.
pub async fn list_folders(connection: &mut ImapConnection) -> Result<Vec<ListedFolder>> {
    let command =
        if connection.has_capability("SPECIAL-USE") && connection.has_capability("LIST-EXTENDED") {
            "LIST \"\" \"*\" RETURN (SPECIAL-USE)"
        } else {
            "LIST \"\" \"*\""
        };
    let mut folders: Vec<ListedFolder> = Vec::new();
    connection
        .execute(command, |response| {
            if let Response::MailboxData(MailboxDatum::List(list)) = response {
                let attributes: Vec<String> =
                    list.name_attributes.iter().map(attribute_name).collect();
                let name = decode_mailbox_name(&list.name);
                let is_inbox = name.eq_ignore_ascii_case("INBOX");
                let selectable = !attributes.iter().any(|attribute| {
                    attribute.eq_ignore_ascii_case("\\Noselect")
                        || attribute.eq_ignore_ascii_case("\\NonExistent")
                });
                folders.push(ListedFolder {
                    name: if is_inbox { "INBOX".to_string() } else { name },
                    delimiter: list.delimiter.as_deref().map(str::to_string),
                    role: if is_inbox {
                        Some(FolderRole::Inbox)
                    } else {
                        role_from_attributes(&attributes)
                    },
                    attributes,
                    selectable,
                });
            }
            Ok(())
        })
        .await?
        .require_ok("Listing folders")?;
    if !folders
        .iter()
        .any(|folder| folder.role == Some(FolderRole::Inbox))
    {
        return Err(EngineError::new(
            ErrorKind::Protocol,
            "The folder list has no INBOX; refusing to trust it",
        ));
    }
    assign_fallback_roles(&mut folders);
    Ok(folders)
}

/// Gives roles by name to folders without one, for roles no folder has yet.
pub fn assign_fallback_roles(folders: &mut [ListedFolder]) {
    let taken: Vec<FolderRole> = folders.iter().filter_map(|folder| folder.role).collect();
    let mut assigned: Vec<FolderRole> = Vec::new();
    for folder in folders
        .iter_mut()
        .filter(|folder| folder.role.is_none() && folder.selectable)
    {
        if let Some(role) = role_from_name(&folder.name, folder.delimiter.as_deref()) {
            if !taken.contains(&role) && !assigned.contains(&role) {
                folder.role = Some(role);
                assigned.push(role);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(name: &str, role: Option<FolderRole>) -> ListedFolder {
        ListedFolder {
            name: name.into(),
            delimiter: Some("/".into()),
            attributes: vec![],
            role,
            selectable: true,
        }
    }

    #[test]
    fn fallback_roles_only_fill_gaps() {
        let mut folders = vec![
            folder("INBOX", Some(FolderRole::Inbox)),
            folder("Sent Items", None),
            folder("Sent", None),
            folder("Trash", None),
            folder("Bin", Some(FolderRole::Trash)),
            folder("Projects", None),
        ];
        assign_fallback_roles(&mut folders);
        let roles: Vec<Option<FolderRole>> = folders.iter().map(|folder| folder.role).collect();
        assert_eq!(
            roles,
            vec![
                Some(FolderRole::Inbox),
                Some(FolderRole::Sent),
                None,
                None,
                Some(FolderRole::Trash),
                None
            ]
        );
    }
}
