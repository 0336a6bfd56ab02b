//! `tern account add`, `list`, `smtp`, `signature` and `remove`.

use crate::output::{say, say_err};

use anyhow::Context;
use mail_engine::Password;
use mail_store::{PasswordSource, Security};
use serde::Serialize;

use crate::cli::{AccountAdd, AccountSignature, AccountSmtp, SecurityArg};
use tern_profile::{
    add_account, plan_smtp, request_from_found, AccountRequest, AccountSetup, Discovery, Found,
    SignIn, SmtpChoice, SmtpRequest, Source,
};

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
    let request = match &add.imap_host {
        Some(imap_host) => AccountRequest {
            email: add.email.clone(),
            imap_host: imap_host.clone(),
            imap_port: add.imap_port,
            security: security_of(add.security.unwrap_or(SecurityArg::Tls)),
            username: add.user.clone(),
            ca_file: add.ca_file.clone(),
            allow_plaintext: add.allow_plaintext,
            password_source,
            smtp: smtp_choice(&add),
            name: add.name.clone(),
        },
        None => discovered_request(&add, password_source).await?,
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

/// The SMTP server the flags ask for (none: the provider's, for a known provider).
fn smtp_choice(add: &AccountAdd) -> SmtpChoice {
    match &add.smtp_host {
        Some(host) => SmtpChoice::Server(SmtpRequest {
            host: host.clone(),
            port: add.smtp_port,
            security: security_of(add.smtp_security),
            username: add.smtp_user.clone(),
            saves_sent: add.server_saves_sent.then_some(true),
        }),
        None => SmtpChoice::ProviderDefault,
    }
}

/// Finds the servers of `add.email`, shows them, and (confirmed) makes the request; flags
/// given beside (the user name, an SMTP server, the From name) override what was found.
async fn discovered_request(
    add: &AccountAdd,
    password_source: PasswordSource,
) -> anyhow::Result<AccountRequest> {
    let discovery =
        tern_profile::discover_servers(&add.email, add.ca_file.as_deref(), add.allow_http).await?;
    let Some(found) = &discovery.found else {
        for line in tried_lines(&discovery) {
            say_err!("{line}");
        }
        anyhow::bail!(
            "No servers found for {} (tried the above in {} ms); give them with --imap-host (and --smtp-host)",
            add.email,
            discovery.ms
        );
    };
    for line in found_lines(found) {
        say_err!("{line}");
    }
    let mut request = request_from_found(found, &add.email, password_source, add.ca_file.clone())
        .map_err(mail_engine::EngineError::from)?;
    if let Some(user) = &add.user {
        request.username = Some(user.clone());
    }
    if add.smtp_host.is_some() {
        request.smtp = smtp_choice(add);
    }
    request.name = add.name.clone();
    request.allow_plaintext = add.allow_plaintext;
    if !confirmed(add)? {
        anyhow::bail!(
            "Not added: run again with --yes to use these settings, or give them with --imap-host"
        );
    }
    Ok(request)
}

/// Whether the person accepts the settings shown: `--yes`, or "y" at a terminal prompt
/// (never when the password comes on standard input).
fn confirmed(add: &AccountAdd) -> anyhow::Result<bool> {
    use std::io::{BufRead, IsTerminal, Write};
    if add.yes {
        return Ok(true);
    }
    if add.password_stdin || !std::io::stdin().is_terminal() {
        return Ok(false);
    }
    eprint!("Use these settings? [y/N] ");
    std::io::stderr().flush().ok();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .context("Reading the answer")?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}

/// What was found, in lines for a person.
fn found_lines(found: &Found) -> Vec<String> {
    let source = match &found.source {
        Source::Table => "Tern's provider table".to_string(),
        Source::Autoconfig { url } => format!("autoconfig {url}"),
        Source::MxProvider { mx } => format!("the domain's mail exchanger {mx}"),
        Source::MxAutoconfig { mx, url } => format!("autoconfig {url} of the mail exchanger {mx}"),
        Source::Srv => "the domain's SRV records".to_string(),
        Source::Guess => "guessed names that answered with a valid certificate".to_string(),
    };
    let mut lines = vec![format!(
        "Found {} (from {source}):",
        found.provider.as_deref().unwrap_or("servers")
    )];
    lines.push(format!(
        "  IMAP {}:{} ({}), user {}",
        found.imap.host,
        found.imap.port,
        found.imap.security.as_str(),
        found.username
    ));
    match &found.smtp {
        Some(smtp) => lines.push(format!(
            "  SMTP {}:{} ({}){}",
            smtp.host,
            smtp.port,
            smtp.security.as_str(),
            if found.saves_sent {
                ", files sent mail itself"
            } else {
                ""
            }
        )),
        None => lines.push("  SMTP: none found".to_string()),
    }
    lines.push(format!(
        "  sign-in: {}",
        match found.sign_in {
            SignIn::Password => "password",
            SignIn::AppPassword => "an app password (made in the provider's security settings)",
            SignIn::OAuth2 {
                app_password: true, ..
            } => "OAuth2, or an app password (made in the provider's security settings)",
            SignIn::OAuth2 { .. } => "OAuth2",
        }
    ));
    lines
}

/// What the search tried, in lines for a person.
fn tried_lines(discovery: &Discovery) -> Vec<String> {
    discovery
        .tried
        .iter()
        .map(|attempt| format!("  tried {}: {}", attempt.what, attempt.outcome))
        .collect()
}

/// `tern account discover EMAIL`.
pub async fn discover(
    email: &str,
    ca_file: Option<&std::path::Path>,
    allow_http: bool,
    json: bool,
) -> anyhow::Result<()> {
    let discovery = tern_profile::discover_servers(email, ca_file, allow_http).await?;
    if json {
        return print_json(&discovery);
    }
    match &discovery.found {
        Some(found) => {
            for line in found_lines(found) {
                say!("{line}");
            }
            if !found.source.is_trustworthy() {
                say!("  (read over plain http: check these before giving a password)");
            }
        }
        None => say!("No servers found for {email}"),
    }
    for line in tried_lines(&discovery) {
        say!("{line}");
    }
    say!("  ({} ms)", discovery.ms);
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
