//! `tern account add`, `list`, `smtp`, `signature` and `remove`.

use crate::output::{say, say_err};

use anyhow::Context;
use mail_engine::Password;
use mail_store::{PasswordSource, Security};
use serde::Serialize;

use crate::cli::{AccountAdd, AccountSignature, AccountSmtp, SecurityArg};
use tern_profile::{
    add_account, plan_smtp, request_from_found, AccountRequest, AccountSetup, Discovery, Found,
    OAuthSettings, SignIn, SignInWay, SmtpChoice, SmtpRequest, Source,
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

/// Where the password comes from, when one is given.
fn password_flags(add: &AccountAdd) -> anyhow::Result<Option<(Password, PasswordSource)>> {
    match &add.password_env {
        Some(variable) => {
            let value = std::env::var(variable)
                .with_context(|| format!("The password variable {variable} is not set"))?;
            Ok(Some((
                Password::new(value),
                PasswordSource::Env(variable.clone()),
            )))
        }
        None if add.password_stdin => Ok(Some((read_password_stdin()?, PasswordSource::Keyring))),
        None => Ok(None),
    }
}

/// Tells the person where to sign in, and opens the browser there when there is one
/// (`$BROWSER`, else `xdg-open`).
fn open_browser(url: &str) {
    say_err!("To sign in, open this page (a browser should open by itself):\n  {url}");
    tern_profile::open_in_browser(url);
}

fn show_device_code(code: &tern_profile::DeviceCode) {
    say_err!(
        "To sign in, open {} on any device and enter the code {} (within {} minutes)",
        code.verification_uri,
        code.user_code,
        code.expires_in.as_secs().div_ceil(60)
    );
}

/// Signs `email` in with `settings` (the browser, or a device code) and keeps the refresh
/// token in the keyring.
async fn oauth_sign_in(
    settings: &OAuthSettings,
    email: &str,
    ca_file: Option<&std::path::Path>,
    device_code: bool,
) -> anyhow::Result<tern_profile::Tokens> {
    let way = if device_code {
        SignInWay::Device {
            show: &show_device_code,
        }
    } else {
        SignInWay::Browser {
            open: &open_browser,
        }
    };
    tern_profile::sign_in(settings, email, ca_file, way)
        .await
        .with_context(|| format!("Signing in to {email}"))
}

pub async fn add(target: &Target, add: AccountAdd) -> anyhow::Result<()> {
    let password_flags = password_flags(&add)?;
    let password_source = password_flags
        .as_ref()
        .map_or(PasswordSource::Keyring, |(_, source)| source.clone());
    let mut request = match &add.imap_host {
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
            oauth: None,
        },
        None => discovered_request(&add, password_source).await?,
    };
    if let Some(issuer) = &add.oauth2_issuer {
        request.oauth = Some(OAuthSettings {
            issuer: issuer.clone(),
            client_id: add.oauth2_client_id.clone(),
        });
    }
    let (password, tokens) = match (&request.oauth, password_flags) {
        (Some(settings), _) => {
            let tokens =
                oauth_sign_in(settings, &request.email, add.ca_file.as_deref(), add.device_code)
                    .await?;
            (Password::new(""), Some(tokens))
        }
        (None, Some((password, _))) => (password, None),
        (None, None) => anyhow::bail!(
            "Give the password with --password-env VAR or --password-stdin (or sign in with --oauth2-issuer)"
        ),
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
            tokens,
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
    let mut request = request_from_found(
        found,
        &add.email,
        password_source,
        add.ca_file.clone(),
        &tern_profile::oauth_client_ready,
    )
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
    /// How it signs in: `password` or `oauth2`.
    auth: &'static str,
    /// The OAuth2 issuer (`google`, `microsoft`, or a URL); null for a password.
    oauth2_issuer: Option<String>,
    /// The OAuth2 sign-in expired or was withdrawn: `tern account signin EMAIL`.
    sign_in_needed: bool,
    /// The most IMAP connections held at once, the request connection included.
    max_connections: u16,
    /// Which bodies are kept offline: `none`, `days:N` or `all`.
    offline_bodies: String,
    /// Beyond this many bytes a message kept offline keeps its text only.
    offline_max_bytes: u64,
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
            auth: if account.oauth.is_some() {
                "oauth2"
            } else {
                "password"
            },
            oauth2_issuer: account.oauth.as_ref().map(|oauth| oauth.issuer.clone()),
            sign_in_needed: account.sign_in_needed,
            max_connections: account.max_connections,
            offline_bodies: account.offline.to_string(),
            offline_max_bytes: account.offline_max_bytes,
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
        let sign_in = match &account.oauth2_issuer {
            Some(issuer) => format!("OAuth2 ({issuer})"),
            None => format!("password from {}", account.password_source),
        };
        say!(
            "{}  {}:{} ({}), user {}, {sign_in}{}",
            account.email,
            account.imap_host,
            account.imap_port,
            account.security,
            account.user,
            if account.sign_in_needed {
                " — sign-in needed: tern account signin EMAIL"
            } else {
                ""
            }
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

/// `tern account connections N`.
pub fn connections(target: &Target, most: u16) -> anyhow::Result<()> {
    let (mut store, account) = target.cached()?;
    store.set_max_connections(account.id, most)?;
    say_err!(
        "{} holds at most {most} IMAP connection(s) at once",
        account.email
    );
    Ok(())
}

/// `tern account offline POLICY [--max-size MIB]`.
pub fn offline(
    target: &Target,
    policy: mail_sync::OfflinePolicy,
    max_size_mib: Option<u32>,
) -> anyhow::Result<()> {
    let (mut store, account) = target.cached()?;
    let max_bytes = max_size_mib.map_or(account.offline_max_bytes, |mib| u64::from(mib) << 20);
    store.set_offline_policy(account.id, policy, max_bytes)?;
    let kept = match policy {
        mail_sync::OfflinePolicy::None => "no bodies (headers only)".to_string(),
        mail_sync::OfflinePolicy::Days(days) => format!("the bodies of the last {days} days"),
        mail_sync::OfflinePolicy::All => "every body".to_string(),
    };
    say_err!(
        "{} keeps {kept} offline; messages over {} KiB keep their text",
        account.email,
        max_bytes / 1024
    );
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

/// `tern account signin EMAIL`: signs an OAuth2 account in again.
pub async fn signin(target: &Target, email: &str, device_code: bool) -> anyhow::Result<()> {
    let mut store = target.store()?;
    let account = store
        .account_by_email(email)?
        .with_context(|| format!("No account {email} in this profile"))?;
    let Some(settings) = account.oauth.clone() else {
        anyhow::bail!("{email} signs in with a password: add it again to change the password");
    };
    let tokens = oauth_sign_in(
        &settings,
        &account.email,
        account.ca_file.as_deref().map(std::path::Path::new),
        device_code,
    )
    .await?;
    let secret = mail_engine::Secret::Bearer {
        token: tokens.access.clone(),
        mechanism: None,
    };
    let connection = mail_engine::ImapConnection::connect_with(
        &mail_engine::ConnectSettings::from_account(&account),
        &secret,
        mail_engine::Timeouts::default(),
    )
    .await
    .with_context(|| format!("Checking the new sign-in of {email}"))?;
    connection.logout().await;
    store.set_sign_in_needed(account.id, false)?;
    say_err!("Signed in to {}", account.email);
    Ok(())
}
