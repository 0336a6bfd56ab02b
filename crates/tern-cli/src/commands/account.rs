//! `tern account add`, `tern account list` and `tern account smtp`.

use crate::output::{say, say_err};
use std::path::PathBuf;

use anyhow::Context;
use mail_engine::{is_loopback_host, Password};
use mail_store::{NewAccount, PasswordSource, Security, SmtpServer};
use serde::Serialize;

use crate::cli::{AccountAdd, AccountSmtp, SecurityArg};
use tern_profile::{add_account, open_store, AccountSetup};

use crate::output::print_json;
use crate::password::read_password_stdin;

fn security_of(argument: SecurityArg) -> Security {
    match argument {
        SecurityArg::Tls => Security::Tls,
        SecurityArg::Starttls => Security::StartTls,
        SecurityArg::Plain => Security::Plain,
    }
}

fn smtp_port(security: Security, port: Option<u16>) -> u16 {
    port.unwrap_or(match security {
        Security::Tls => 465,
        Security::StartTls => 587,
        Security::Plain => 25,
    })
}

fn check_smtp_plaintext(server: &SmtpServer) -> anyhow::Result<()> {
    if server.security == Security::Plain
        && !server.allow_plaintext
        && !is_loopback_host(&server.host)
    {
        anyhow::bail!(
            "Refusing plaintext SMTP to {}: the password would cross the network unencrypted; use --security tls or starttls (or --allow-plaintext)",
            server.host
        );
    }
    Ok(())
}

pub async fn add(data_dir: Option<PathBuf>, add: AccountAdd) -> anyhow::Result<()> {
    let security = security_of(add.security);
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
    let smtp = match &add.smtp_host {
        Some(host) => {
            let security = security_of(add.smtp_security);
            Some(SmtpServer {
                host: host.trim().to_string(),
                port: smtp_port(security, add.smtp_port),
                security,
                username: add.smtp_user.clone(),
                allow_plaintext: add.allow_plaintext,
                saves_sent: add.server_saves_sent,
            })
        }
        None => tern_profile::provider_for(&account.email).map(|provider| provider.smtp_server()),
    };
    if let Some(server) = &smtp {
        check_smtp_plaintext(server)?;
    }
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
    let id = account_id(&store, &account.email)?;
    if let Some(server) = &smtp {
        store.set_smtp_server(id, server)?;
    }
    if let Some(name) = &add.name {
        store.set_display_name(id, Some(name))?;
    }
    say_err!(
        "Added {} ({}:{}, {}){}",
        account.email,
        account.imap_host,
        account.imap_port,
        security.as_str(),
        match &smtp {
            Some(server) => format!(
                "; sending through {}:{} ({})",
                server.host,
                server.port,
                server.security.as_str()
            ),
            None =>
                "; no SMTP server yet: `tern account smtp --host HOST` to send mail".to_string(),
        }
    );
    Ok(())
}

fn account_id(store: &mail_store::Store, email: &str) -> anyhow::Result<mail_store::AccountId> {
    store
        .accounts()?
        .into_iter()
        .find(|account| account.email.eq_ignore_ascii_case(email))
        .map(|account| account.id)
        .with_context(|| format!("The account {email} was not saved"))
}

/// `tern account smtp`: sets the sending server (and the From name) of an existing account.
pub fn smtp(
    data_dir: Option<PathBuf>,
    wanted: Option<&str>,
    smtp: AccountSmtp,
) -> anyhow::Result<()> {
    let mut store = open_store(data_dir)?;
    let account = tern_profile::choose_account(&store, wanted)?;
    let security = security_of(smtp.security);
    let server = SmtpServer {
        host: smtp.host.trim().to_string(),
        port: smtp_port(security, smtp.port),
        security,
        username: smtp.user,
        allow_plaintext: smtp.allow_plaintext,
        saves_sent: smtp.server_saves_sent,
    };
    check_smtp_plaintext(&server)?;
    store.set_smtp_server(account.id, &server)?;
    if let Some(name) = &smtp.name {
        store.set_display_name(account.id, Some(name))?;
    }
    say_err!(
        "{} sends through {}:{} ({})",
        account.email,
        server.host,
        server.port,
        server.security.as_str()
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
    /// The name in From (null: none).
    name: Option<String>,
    smtp_host: Option<String>,
    smtp_port: Option<u16>,
    smtp_security: Option<&'static str>,
    /// The SMTP server files sent mail itself (no copy appended).
    smtp_saves_sent: Option<bool>,
}

pub fn list(data_dir: Option<PathBuf>, json: bool) -> anyhow::Result<()> {
    let store = open_store(data_dir)?;
    let mut accounts: Vec<AccountJson> = Vec::new();
    for account in store.accounts()? {
        let smtp = store.smtp_server(account.id)?;
        let name = store.display_name(account.id)?;
        accounts.push(AccountJson {
            name,
            smtp_host: smtp.as_ref().map(|server| server.host.clone()),
            smtp_port: smtp.as_ref().map(|server| server.port),
            smtp_security: smtp.as_ref().map(|server| server.security.as_str()),
            smtp_saves_sent: smtp.as_ref().map(|server| server.saves_sent),
            email: account.email,
            imap_host: account.imap_host,
            imap_port: account.imap_port,
            security: account.security.as_str(),
            user: account.username,
            password_source: match account.password_source {
                PasswordSource::Keyring => "keyring".to_string(),
                PasswordSource::Env(variable) => format!("env:{variable}"),
            },
        });
    }
    if json {
        return print_json(&accounts);
    }
    for account in accounts {
        say!(
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
