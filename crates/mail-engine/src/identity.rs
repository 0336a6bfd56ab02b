//! Who the account's mail is from, and the SMTP server it is sent through.

use mail_message::Address;
use mail_store::SmtpServer;

use crate::core_handle::Core;
use crate::error::{EngineError, ErrorKind, Result};
use crate::store_access::with_store;

/// The account's display name and address.
pub(crate) fn identity(core: &Core) -> Result<Address> {
    let account = core.account();
    let name = with_store(core.store(), |store| store.display_name(account.id))?;
    Ok(Address::new(
        name.unwrap_or_default(),
        account.email.clone(),
    ))
}

/// The account's signature, if it has one.
pub(crate) fn signature(core: &Core) -> Result<Option<String>> {
    let account = core.account().id;
    with_store(core.store(), |store| store.signature(account))
}

/// The account's SMTP server, or a clear error when none is set.
pub(crate) fn smtp_server(core: &Core) -> Result<SmtpServer> {
    let account = core.account();
    with_store(core.store(), |store| store.smtp_server(account.id))?.ok_or_else(|| {
        EngineError::new(
            ErrorKind::Other,
            format!(
                "No SMTP server is set for {}: add it with `tern account smtp --host HOST` (or add the account again with --smtp-host)",
                account.email
            ),
        )
    })
}
