//! `tern account add`, `list`, `smtp`, `signature` and `remove`.

use crate::output::{say, say_err};

use anyhow::Context;
use mail_engine::Password;
use mail_store::{PasswordSource, Security};
use serde::Serialize;

use crate::cli::{AccountAdd, AccountSignature, AccountSmtp, SecurityArg};
use tern_profile::{add_account, plan_smtp, AccountRequest, AccountSetup, SmtpChoice, SmtpRequest};

use crate::context::Target;
use crate::output::print_json;
use crate::password::read_password_stdin;

fn security_of(argument: SecurityArg) -> Security {
    match argument {
        SecurityArg::Tls => Security::Tls,
        SecurityArg::Starttls => Security::StartTls,
        SecurityArg::Plain => Security::Plain,
    }
}

pub async fn add(target: &Target, add: AccountAdd) -> anyhow::Result<()> {
    let (password, password_source) = match &add.password_env {
        Some(variable) => {
            let value = std::env::var(variable)
                .with_context(|| format!("The password variable {variable} is not set"))?;
            (Password::new(value), PasswordSource::Env(variable.clone()))
        }
        None => (read_password_stdin()?, PasswordSource::Keyring),
    };
    let request = AccountRequest {
        email: add.email.clone(),
        imap_host: add.imap_host.clone(),
        imap_port: add.imap_port,
        security: security_of(add.security),
        username: add.user.clone(),
        ca_file: add.ca_file.clone(),
        allow_plaintext: add.allow_plaintext,
        password_source,
        smtp: match &add.smtp_host {
            Some(host) => SmtpChoice::Server(SmtpRequest {
                host: host.clone(),
                port: add.smtp_port,
                security: security_of(add.smtp_security),
                username: add.smtp_user.clone(),
                saves_sent: add.server_saves_sent.then_some(true),
            }),
            None => SmtpChoice::ProviderDefault,
        },
        name: add.name.clone(),
    };
    // The rules first: a refused setting is said before the store is touched.
    tern_profile::plan(&request, &password)?;
    let mut store = target.store()?;
    let (account, plan) = add_account(
        &mut store,
        AccountSetup {
            request,
            password,
            verify: !add.no_verify,
        },
    )
    .await?;
    say_err!(
        "Added {} ({}:{}, {}){}",
        account.email,
        account.imap_host,
        account.imap_port,
        account.security.as_str(),
        match &plan.smtp {
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

/// `tern account smtp`: sets the sending server (and the From name) of an existing account.
pub fn smtp(target: &Target, smtp: AccountSmtp) -> anyhow::Result<()> {
    let (mut store, account) = target.cached()?;
    let server = plan_smtp(
        &account.email,
        &SmtpRequest {
            host: smtp.host,
            port: smtp.port,
            security: security_of(smtp.security),
            username: smtp.user,
            saves_sent: smtp.server_saves_sent.then_some(true),
        },
        smtp.allow_plaintext,
    )
    .map_err(mail_engine::EngineError::from)?;
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
    /// The signature (null: none).
    signature: Option<String>,
}

pub fn list(target: &Target, json: bool) -> anyhow::Result<()> {
    let store = target.store()?;
    let mut accounts: Vec<AccountJson> = Vec::new();
    for account in store.accounts()? {
        let smtp = store.smtp_server(account.id)?;
        let name = store.display_name(account.id)?;
        let signature = store.signature(account.id)?;
        accounts.push(AccountJson {
            name,
            signature,
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

/// `tern account signature`: sets (or clears) the signature of the chosen account.
pub fn signature(target: &Target, signature: AccountSignature) -> anyhow::Result<()> {
    let (mut store, account) = target.cached()?;
    let text = match (&signature.text, &signature.file) {
        (Some(text), _) => Some(text.clone()),
        (None, Some(path)) => Some(crate::commands::send::read_text(path)?),
        (None, None) => None,
    };
    store.set_signature(account.id, text.as_deref())?;
    match store.signature(account.id)? {
        Some(saved) => say_err!(
            "{} signs with {} line(s)",
            account.email,
            saved.lines().count()
        ),
        None => say_err!("{} has no signature", account.email),
    }
    Ok(())
}

/// `tern account remove EMAIL [--force]`.
pub async fn remove(target: &Target, email: &str, force: bool) -> anyhow::Result<()> {
    let mut store = target.store()?;
    let account = store
        .account_by_email(email)?
        .with_context(|| format!("No account {email} in this profile"))?;
    let lost = tern_profile::remove_account(&mut store, &account, force).await?;
    if lost.is_empty() {
        say_err!("Removed {}", account.email);
    } else {
        say_err!("Removed {} with {}", account.email, lost.describe());
    }
    Ok(())
}
