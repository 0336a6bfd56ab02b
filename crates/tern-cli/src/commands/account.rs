//! `tern account add` and `tern account list`.

use std::path::PathBuf;

use anyhow::Context;
use mail_engine::{is_loopback_host, Password};
use mail_store::{NewAccount, PasswordSource, Security};
use serde::Serialize;

use crate::cli::{AccountAdd, SecurityArg};
use tern_profile::{add_account, open_store, AccountSetup};

use crate::output::print_json;
use crate::password::read_password_stdin;

pub async fn add(data_dir: Option<PathBuf>, add: AccountAdd) -> anyhow::Result<()> {
    let security = match add.security {
        SecurityArg::Tls => Security::Tls,
        SecurityArg::Starttls => Security::StartTls,
        SecurityArg::Plain => Security::Plain,
    };
    if security == Security::Plain && !add.allow_plaintext && !is_loopback_host(&add.imap_host) {
        anyhow::bail!(
            "Refusing plaintext IMAP to {}: the password would cross the network unencrypted; use --security tls or starttls (or --allow-plaintext)",
            add.imap_host
        );
    }
    let imap_port = add.imap_port.unwrap_or(match security {
        Security::Tls => 993,
        Security::StartTls | Security::Plain => 143,
    });
    if let Some(ca_file) = &add.ca_file {
        if !ca_file.is_file() {
            anyhow::bail!("The CA file {} does not exist", ca_file.display());
        }
    }
    let ca_file = add
        .ca_file
        .as_ref()
        .map(|path| {
            std::fs::canonicalize(path).with_context(|| format!("Resolving {}", path.display()))
        })
        .transpose()?;
    let (password, source) = match &add.password_env {
        Some(variable) => {
            let value = std::env::var(variable)
                .with_context(|| format!("The password variable {variable} is not set"))?;
            (Password::new(value), PasswordSource::Env(variable.clone()))
        }
        None => (read_password_stdin()?, PasswordSource::Keyring),
    };
    let account = NewAccount {
        email: add.email.trim().to_string(),
        imap_host: add.imap_host.trim().to_string(),
        imap_port,
        security,
        username: add
            .user
            .clone()
            .unwrap_or_else(|| add.email.trim().to_string()),
        ca_file: ca_file.as_ref().map(|path| path.display().to_string()),
        password_source: source.clone(),
        allow_plaintext: add.allow_plaintext,
    };
    let mut store = open_store(data_dir)?;
    add_account(
        &mut store,
        AccountSetup {
            account: account.clone(),
            password,
            verify: !add.no_verify,
        },
    )
    .await?;
    eprintln!(
        "Added {} ({}:{}, {})",
        account.email,
        account.imap_host,
        account.imap_port,
        security.as_str()
    );
    Ok(())
}

#[derive(Serialize)]
struct AccountJson {
    email: String,
    imap_host: String,
    imap_port: u16,
    security: &'static str,
    user: String,
    password_source: String,
}

pub fn list(data_dir: Option<PathBuf>, json: bool) -> anyhow::Result<()> {
    let store = open_store(data_dir)?;
    let accounts: Vec<AccountJson> = store
        .accounts()?
        .into_iter()
        .map(|account| AccountJson {
            email: account.email,
            imap_host: account.imap_host,
            imap_port: account.imap_port,
            security: account.security.as_str(),
            user: account.username,
            password_source: match account.password_source {
                PasswordSource::Keyring => "keyring".to_string(),
                PasswordSource::Env(variable) => format!("env:{variable}"),
            },
        })
        .collect();
    if json {
        return print_json(&accounts);
    }
    for account in accounts {
        println!(
            "{}  {}:{} ({}), user {}, password from {}",
            account.email,
            account.imap_host,
            account.imap_port,
            account.security,
            account.user,
            account.password_source
        );
    }
    Ok(())
}
