//! The rules of adding an account, pure: what a person entered (the CLI's flags or the
//! window's form) becomes the account and SMTP server to store — fields trimmed, ports and
//! the user name defaulted, plaintext to a remote host refused, the provider's SMTP server
//! offered, and whether that server files sent mail itself — or a clear refusal.

use mail_engine::{is_loopback_host, Password};
use mail_store::{NewAccount, OAuthSettings, PasswordSource, Security, SmtpServer};

use mail_discover::{provider_for, Found, Issuer, Provider, SignIn};

/// What a person asked for.
#[derive(Debug, Clone)]
pub struct AccountRequest {
    pub email: String,
    pub imap_host: String,
    /// None: 993 with TLS, else 143.
    pub imap_port: Option<u16>,
    pub security: Security,
    /// None or empty: the email address.
    pub username: Option<String>,
    /// Extra CA certificates (PEM) to trust, for a self-signed server.
    pub ca_file: Option<std::path::PathBuf>,
    /// Allows plaintext (IMAP and SMTP) to a host that is not this machine.
    pub allow_plaintext: bool,
    pub password_source: PasswordSource,
    pub smtp: SmtpChoice,
    /// The name in From.
    pub name: Option<String>,
    /// Sign in with OAuth2 (no password) at this issuer.
    pub oauth: Option<OAuthSettings>,
}

/// Which server sends the account's mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SmtpChoice {
    /// None for now: the account only reads (`tern account smtp` sets one later).
    None,
    /// The provider's, when the address's domain is a known provider.
    ProviderDefault,
    Server(SmtpRequest),
}

/// A sending server as entered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpRequest {
    pub host: String,
    /// None: 465 with TLS, 587 with STARTTLS, 25 in plaintext.
    pub port: Option<u16>,
    pub security: Security,
    /// None: the account's user name.
    pub username: Option<String>,
    /// Whether the server files sent mail in Sent itself; None: the provider table says
    /// (for the provider's own server), else no.
    pub saves_sent: Option<bool>,
}

/// The account and SMTP server to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountPlan {
    pub account: NewAccount,
    pub smtp: Option<SmtpServer>,
    pub name: Option<String>,
}

/// Why a request cannot be stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SetupRefused {
    /// A field is missing or malformed.
    #[error("{0}")]
    Invalid(String),
    /// Plaintext to a remote host: the password would cross the network unencrypted.
    #[error("{0}")]
    Plaintext(String),
    /// Settings from a source that cannot be trusted with a password.
    #[error("{0}")]
    Untrusted(String),
    /// The provider signs in with OAuth2 only and this build has no client for it.
    #[error("{0}")]
    NeedsOAuth2(String),
}

/// Applies the rules to `request` (with `password`, which must not be empty).
pub fn plan_account(
    request: &AccountRequest,
    password: &Password,
) -> Result<AccountPlan, SetupRefused> {
    let email = request.email.trim().to_string();
    if !email.contains('@') {
        return Err(SetupRefused::Invalid("Enter the full email address".into()));
    }
    let imap_host = request.imap_host.trim().to_string();
    if imap_host.is_empty() {
        return Err(SetupRefused::Invalid("Enter the IMAP server".into()));
    }
    if password.expose().is_empty() && request.oauth.is_none() {
        return Err(SetupRefused::Invalid("Enter the password".into()));
    }
    refuse_plaintext(
        "IMAP",
        &imap_host,
        request.security,
        request.allow_plaintext,
    )?;
    let username = match request.username.as_deref().map(str::trim) {
        None | Some("") => email.clone(),
        Some(name) => name.to_string(),
    };
    let smtp = match &request.smtp {
        SmtpChoice::None => None,
        SmtpChoice::ProviderDefault => {
            provider_for(&email).map(|provider| provider_smtp(&provider))
        }
        SmtpChoice::Server(server) => Some(plan_smtp(&email, server, request.allow_plaintext)?),
    };
    Ok(AccountPlan {
        account: NewAccount {
            imap_port: request.imap_port.unwrap_or(match request.security {
                Security::Tls => 993,
                Security::StartTls | Security::Plain => 143,
            }),
            email,
            imap_host,
            security: request.security,
            username,
            ca_file: request
                .ca_file
                .as_ref()
                .map(|path| path.display().to_string()),
            password_source: request.password_source.clone(),
            allow_plaintext: request.allow_plaintext,
            oauth: request.oauth.clone(),
        },
        smtp,
        name: request
            .name
            .as_deref()
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .map(str::to_string),
    })
}

/// The SMTP server to store for the account `email` (a new one, or `tern account smtp`).
pub fn plan_smtp(
    email: &str,
    request: &SmtpRequest,
    allow_plaintext: bool,
) -> Result<SmtpServer, SetupRefused> {
    let host = request.host.trim().to_string();
    if host.is_empty() {
        return Err(SetupRefused::Invalid("Enter the SMTP server".into()));
    }
    refuse_plaintext("SMTP", &host, request.security, allow_plaintext)?;
    // The provider's own server files sent mail itself when the table says so.
    let saves_sent = request.saves_sent.unwrap_or_else(|| {
        provider_for(email).is_some_and(|provider| {
            provider.smtp_host.eq_ignore_ascii_case(&host) && provider.smtp_saves_sent
        })
    });
    Ok(SmtpServer {
        port: request.port.unwrap_or(match request.security {
            Security::Tls => 465,
            Security::StartTls => 587,
            Security::Plain => 25,
        }),
        host,
        security: request.security,
        username: request
            .username
            .as_deref()
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .map(str::to_string),
        allow_plaintext,
        saves_sent,
    })
}

/// The SMTP server a new account of a table provider gets.
fn provider_smtp(provider: &Provider) -> SmtpServer {
    SmtpServer {
        host: provider.smtp_host.to_string(),
        port: provider.smtp_port,
        security: provider.smtp_security,
        username: None,
        allow_plaintext: false,
        saves_sent: provider.smtp_saves_sent,
    }
}

/// The request for servers discovery found for `email`, or why they cannot be used: found
/// over plain http (anyone on the path could have written them), or OAuth2 only with no
/// client for it. `oauth_ready(issuer)`: this build or the environment has a client ID for
/// that issuer (then OAuth2 is used, else an app password where the provider allows one).
pub fn request_from_found(
    found: &Found,
    email: &str,
    password_source: PasswordSource,
    ca_file: Option<std::path::PathBuf>,
    oauth_ready: &dyn Fn(Issuer) -> Result<(), String>,
) -> Result<AccountRequest, SetupRefused> {
    if !found.source.is_trustworthy() {
        return Err(SetupRefused::Untrusted(
            "These settings were read over plain http, which anyone on the way could have written: check them with the provider and give them with --imap-host (and --smtp-host) instead"
                .to_string(),
        ));
    }
    let oauth = match found.sign_in {
        SignIn::OAuth2 {
            issuer,
            app_password,
        } => match (oauth_ready(issuer), app_password) {
            (Ok(()), _) => Some(OAuthSettings {
                issuer: match issuer {
                    Issuer::Google => "google".into(),
                    Issuer::Microsoft => "microsoft".into(),
                },
                client_id: None,
            }),
            (Err(_), true) => None,
            (Err(why), false) => return Err(SetupRefused::NeedsOAuth2(why)),
        },
        _ => None,
    };
    Ok(AccountRequest {
        email: email.trim().to_string(),
        imap_host: found.imap.host.clone(),
        imap_port: Some(found.imap.port),
        security: found.imap.security,
        username: Some(found.username.clone()),
        ca_file,
        allow_plaintext: false,
        password_source,
        smtp: match &found.smtp {
            Some(server) => SmtpChoice::Server(SmtpRequest {
                host: server.host.clone(),
                port: Some(server.port),
                security: server.security,
                username: None,
                saves_sent: Some(found.saves_sent),
            }),
            None => SmtpChoice::None,
        },
        name: None,
        oauth,
    })
}

fn refuse_plaintext(
    protocol: &str,
    host: &str,
    security: Security,
    allowed: bool,
) -> Result<(), SetupRefused> {
    if security == Security::Plain && !allowed && !is_loopback_host(host) {
        return Err(SetupRefused::Plaintext(format!(
            "Refusing plaintext {protocol} to {host}: the password would cross the network unencrypted; use TLS or STARTTLS (--security tls or starttls), or allow plaintext explicitly (--allow-plaintext)"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(email: &str, host: &str, security: Security, smtp: SmtpChoice) -> AccountRequest {
        AccountRequest {
            email: email.into(),
            imap_host: host.into(),
            imap_port: None,
            security,
            username: None,
            ca_file: None,
            allow_plaintext: false,
            password_source: PasswordSource::Keyring,
            smtp,
            name: None,
            oauth: None,
        }
    }

    /// ann@gmail.com (a known provider) over TLS, sending as `smtp` says.
    fn at_gmail(smtp: SmtpChoice) -> AccountRequest {
        request("ann@gmail.com", "imap.gmail.com", Security::Tls, smtp)
    }

    /// ann@x.test (an unknown domain) over TLS, sending as `smtp` says.
    fn at_xtest(smtp: SmtpChoice) -> AccountRequest {
        request("ann@x.test", "imap.x.test", Security::Tls, smtp)
    }

    fn server(host: &str, security: Security, saves_sent: Option<bool>) -> SmtpChoice {
        SmtpChoice::Server(SmtpRequest {
            host: host.into(),
            port: None,
            security,
            username: None,
            saves_sent,
        })
    }

    /// What was asked -> (IMAP port, user name, SMTP host:port, saves sent) or the refusal.
    #[test]
    fn requests_become_accounts_or_refusals() {
        type Expected =
            Result<(u16, &'static str, Option<(&'static str, u16)>, bool), &'static str>;
        let cases: Vec<(&str, AccountRequest, Expected)> = vec![
            (
                "TLS defaults to 993, the user name to the address",
                request(
                    " ann@example.org ",
                    " imap.example.org ",
                    Security::Tls,
                    SmtpChoice::None,
                ),
                Ok((993, "ann@example.org", None, false)),
            ),
            (
                "STARTTLS and plaintext default to 143; loopback may be plaintext",
                request("ann@x.test", "127.0.0.1", Security::Plain, SmtpChoice::None),
                Ok((143, "ann@x.test", None, false)),
            ),
            (
                "plaintext to a remote host is refused",
                request("ann@x.test", "192.0.2.7", Security::Plain, SmtpChoice::None),
                Err("Refusing plaintext IMAP to 192.0.2.7"),
            ),
            (
                "plaintext SMTP to a remote host is refused too",
                at_xtest(server("smtp.x.test", Security::Plain, None)),
                Err("Refusing plaintext SMTP to smtp.x.test"),
            ),
            (
                "a known provider's SMTP server is offered when none is given",
                at_gmail(SmtpChoice::ProviderDefault),
                Ok((993, "ann@gmail.com", Some(("smtp.gmail.com", 465)), true)),
            ),
            (
                "an unknown domain gets no SMTP server by default",
                at_xtest(SmtpChoice::ProviderDefault),
                Ok((993, "ann@x.test", None, false)),
            ),
            (
                "the provider's own server, entered by hand, files sent mail itself",
                at_gmail(server("SMTP.gmail.com", Security::Tls, None)),
                Ok((993, "ann@gmail.com", Some(("SMTP.gmail.com", 465)), true)),
            ),
            (
                "another server of a provider's user does not",
                at_gmail(server("relay.x.test", Security::StartTls, None)),
                Ok((993, "ann@gmail.com", Some(("relay.x.test", 587)), false)),
            ),
            (
                "what the person says about Sent wins",
                at_xtest(server("smtp.x.test", Security::Tls, Some(true))),
                Ok((993, "ann@x.test", Some(("smtp.x.test", 465)), true)),
            ),
            (
                "an address without @",
                request("ann", "imap.x.test", Security::Tls, SmtpChoice::None),
                Err("Enter the full email address"),
            ),
            (
                "no IMAP server",
                request("ann@x.test", "  ", Security::Tls, SmtpChoice::None),
                Err("Enter the IMAP server"),
            ),
        ];
        for (name, request, expected) in cases {
            let got = plan_account(&request, &Password::new("pw")).map(|plan| {
                (
                    plan.account.imap_port,
                    plan.account.username.clone(),
                    plan.smtp
                        .as_ref()
                        .map(|smtp| (smtp.host.clone(), smtp.port)),
                    plan.smtp.as_ref().is_some_and(|smtp| smtp.saves_sent),
                )
            });
            match (got, expected) {
                (Ok(got), Ok(want)) => {
                    assert_eq!(got.0, want.0, "{name}");
                    assert_eq!(got.1, want.1, "{name}");
                    assert_eq!(
                        got.2,
                        want.2.map(|(host, port)| (host.to_string(), port)),
                        "{name}"
                    );
                    assert_eq!(got.3, want.3, "{name}");
                }
                (Err(refused), Err(want)) => {
                    assert!(refused.to_string().contains(want), "{name}: {refused}")
                }
                (got, want) => panic!("{name}: got {got:?}, wanted {want:?}"),
            }
        }
    }

    #[test]
    fn an_empty_password_and_an_allowed_plaintext_host() {
        let plain = request("ann@x.test", "192.0.2.7", Security::Plain, SmtpChoice::None);
        assert_eq!(
            plan_account(&plain, &Password::new("")),
            Err(SetupRefused::Invalid("Enter the password".into()))
        );
        let allowed = AccountRequest {
            allow_plaintext: true,
            username: Some("  ann  ".into()),
            name: Some("  Ann  ".into()),
            ..plain
        };
        let plan = plan_account(&allowed, &Password::new("pw")).expect("allowed");
        assert!(plan.account.allow_plaintext);
        assert_eq!(plan.account.username, "ann");
        assert_eq!(plan.name.as_deref(), Some("Ann"));
    }

    fn found(source: mail_discover::Source, sign_in: SignIn) -> Found {
        use mail_discover::{Security as S, Server};
        Found {
            provider: Some("Example".into()),
            imap: Server::new("imap.example.org", 993, S::Tls),
            smtp: Some(Server::new("smtp.example.org", 587, S::StartTls)),
            username: "ann".into(),
            sign_in,
            saves_sent: true,
            source,
        }
    }

    /// What discovery found -> the request to set up, or the refusal.
    #[test]
    fn found_settings_become_requests_unless_untrusted_or_oauth2_only() {
        use mail_discover::Source;
        let https = Source::Autoconfig {
            url: "https://autoconfig.example.org/mail/config-v1.1.xml".into(),
        };
        let http = Source::Autoconfig {
            url: "http://autoconfig.example.org/mail/config-v1.1.xml".into(),
        };
        let cases: Vec<(Found, Result<(), &str>)> = vec![
            (found(https.clone(), SignIn::Password), Ok(())),
            (found(Source::Guess, SignIn::AppPassword), Ok(())),
            (
                found(
                    Source::Table,
                    SignIn::OAuth2 {
                        issuer: Issuer::Google,
                        app_password: true,
                    },
                ),
                Ok(()),
            ),
            (found(http, SignIn::Password), Err("read over plain http")),
            (
                found(
                    Source::MxProvider {
                        mx: "x.mail.protection.outlook.com".into(),
                    },
                    SignIn::OAuth2 {
                        issuer: Issuer::Microsoft,
                        app_password: false,
                    },
                ),
                Err("no client ID"),
            ),
        ];
        for (found, expected) in cases {
            let no_client = |_: Issuer| Err("no client ID".to_string());
            let got = request_from_found(
                &found,
                " ann@example.org ",
                PasswordSource::Keyring,
                None,
                &no_client,
            );
            match (got, expected) {
                (Ok(request), Ok(())) => {
                    assert_eq!(request.email, "ann@example.org");
                    assert_eq!(request.imap_host, "imap.example.org");
                    assert_eq!(request.imap_port, Some(993));
                    assert_eq!(request.security, Security::Tls);
                    assert_eq!(request.username.as_deref(), Some("ann"));
                    let SmtpChoice::Server(smtp) = request.smtp else {
                        panic!("an SMTP server")
                    };
                    assert_eq!(
                        (smtp.host.as_str(), smtp.port),
                        ("smtp.example.org", Some(587))
                    );
                    assert_eq!(smtp.saves_sent, Some(true));
                }
                (Err(refused), Err(text)) => {
                    assert!(refused.to_string().contains(text), "{refused}")
                }
                (got, expected) => panic!("{found:?}: got {got:?}, expected {expected:?}"),
            }
        }
    }
}
