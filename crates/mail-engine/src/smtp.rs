//! SMTP submission with lettre over our own connection (`smtp_stream`: TCP_NODELAY, the same
//! rustls setup as IMAP): implicit TLS (465) or STARTTLS (587), AUTH PLAIN/LOGIN, plaintext
//! only to loopback or when the account allows it. The transaction is
//! split at its point of no return: `commit` runs (the outbox records "committing") after
//! the server accepted DATA and before the final dot, so a crash can be told apart from
//! "maybe delivered".

use std::path::Path;
use std::time::Duration;

use lettre::address::Address as LettreAddress;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};
use mail_store::{Security, SmtpServer};

use crate::credentials::{bearer_response, BearerMechanism, Secret};
use crate::error::ErrorKind;
use crate::smtp_stream::{self, Protection};
use crate::transport::is_loopback_host;

/// How a submission ended when it did not end in the server's acceptance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubmitError {
    /// Nothing was delivered and trying later may work (network down, 4xx, timeouts).
    Temporary(String),
    /// The server refused for good (5xx: unknown recipient, too big, bad password) or the
    /// settings cannot work (plaintext to a remote host, TLS certificate not trusted).
    Permanent(String),
    /// The final dot went out but no answer came back: the message may have been delivered.
    Uncertain(String),
    /// The server refused the password or token (nothing was sent). For a password this is
    /// for good; an OAuth2 token may be refreshed and tried once more.
    SignInRefused(String),
}

impl SubmitError {
    pub fn message(&self) -> &str {
        match self {
            SubmitError::Temporary(message)
            | SubmitError::Permanent(message)
            | SubmitError::Uncertain(message)
            | SubmitError::SignInRefused(message) => message,
        }
    }
}

impl std::fmt::Display for SubmitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}

/// Where and as whom to submit.
pub struct Submission<'a> {
    pub server: &'a SmtpServer,
    pub username: &'a str,
    pub secret: &'a Secret,
    /// Extra CA certificate(s) to trust (the account's CA file).
    pub ca_file: Option<&'a Path>,
    /// Per step; the message transfer gets more time for big messages.
    pub timeout: Duration,
}

/// A message's envelope and bytes.
pub struct Envelope<'a> {
    pub from: &'a str,
    pub recipients: &'a [String],
    pub raw: &'a [u8],
}

/// Classifies a lettre error from before the final dot (nothing can have been delivered).
fn before_commit(what: &str, error: &lettre::transport::smtp::Error) -> SubmitError {
    let text = format!("{what}: {error}");
    if error.is_permanent() {
        SubmitError::Permanent(text)
    } else {
        SubmitError::Temporary(text)
    }
}

async fn step<T>(
    what: &str,
    limit: Duration,
    future: impl std::future::Future<Output = Result<T, lettre::transport::smtp::Error>>,
) -> Result<T, SubmitError> {
    match tokio::time::timeout(limit, future).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => Err(before_commit(what, &error)),
        Err(_) => Err(SubmitError::Temporary(format!(
            "{what}: no answer within {} s",
            limit.as_secs()
        ))),
    }
}

fn parse_address(address: &str) -> Result<LettreAddress, SubmitError> {
    address
        .trim()
        .parse()
        .map_err(|_| SubmitError::Permanent(format!("{address:?} is not a valid email address")))
}

/// Connects, logs in and sends `envelope`. `commit` runs after DATA was accepted, before the
/// final dot; if it fails, the transaction is abandoned (nothing delivered). Returns the
/// server's answer to the message (e.g. "2.0.0 Ok: queued as ...").
pub async fn submit(
    submission: &Submission<'_>,
    envelope: &Envelope<'_>,
    commit: impl FnOnce() -> anyhow::Result<()>,
) -> Result<String, SubmitError> {
    let server = submission.server;
    let host = server.host.trim();
    let limit = submission.timeout;
    if server.security == Security::Plain && !is_loopback_host(host) && !server.allow_plaintext {
        return Err(SubmitError::Permanent(format!(
            "Refusing plaintext SMTP to {host}: the password would cross the network unencrypted (use TLS or STARTTLS, or allow plaintext for this account explicitly)"
        )));
    }
    let from = parse_address(envelope.from)?;
    let recipients = envelope
        .recipients
        .iter()
        .map(|recipient| parse_address(recipient))
        .collect::<Result<Vec<_>, _>>()?;
    if recipients.is_empty() {
        return Err(SubmitError::Permanent(
            "The message has no recipient".into(),
        ));
    }
    let protection = match server.security {
        Security::Tls => Protection::Implicit {
            ca_file: submission.ca_file,
        },
        Security::StartTls => Protection::StartTls {
            ca_file: submission.ca_file,
        },
        Security::Plain => Protection::Plain,
    };
    let stream = smtp_stream::open(host, server.port, protection, limit)
        .await
        .map_err(|error| match error.kind {
            // Settings that cannot work: retrying will not help.
            ErrorKind::Tls => SubmitError::Permanent(format!(
                "{error} (a private CA or a self-signed certificate goes in the account's CA file)"
            )),
            ErrorKind::Policy => SubmitError::Permanent(error.to_string()),
            _ => SubmitError::Temporary(error.to_string()),
        })?;
    let hello = ClientId::Domain("localhost".to_string());
    let mut connection = step(
        &format!("Greeting from {host}:{}", server.port),
        limit,
        AsyncSmtpConnection::connect_with_transport(Box::new(stream), &hello),
    )
    .await?;
    let result = transact(
        &mut connection,
        submission,
        &from,
        &recipients,
        envelope,
        commit,
    )
    .await;
    match &result {
        // After a refusal the session is still fine: end it politely.
        Ok(_)
        | Err(SubmitError::Permanent(_))
        | Err(SubmitError::Temporary(_))
        | Err(SubmitError::SignInRefused(_)) => {
            let _ = tokio::time::timeout(Duration::from_secs(5), connection.quit()).await;
        }
        Err(SubmitError::Uncertain(_)) => connection.abort().await,
    }
    result
}

/// `AUTH mechanism` without an initial response (Postfix cuts long initial-response lines,
/// and tokens are long), then the response on its own line; an error report sent back as a
/// 334 challenge gets an empty line, after which the server refuses.
async fn bearer_auth(
    connection: &mut AsyncSmtpConnection,
    mechanism: BearerMechanism,
    response: &[u8],
) -> Result<lettre::transport::smtp::response::Response, lettre::transport::smtp::Error> {
    use base64::Engine as _;
    struct Line(String);
    impl std::fmt::Display for Line {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "{}\r\n", self.0)
        }
    }
    let challenge = connection
        .command(Line(format!("AUTH {}", mechanism.name())))
        .await?;
    if !challenge.has_code(334) {
        return Ok(challenge);
    }
    let answer = connection
        .command(Line(
            base64::engine::general_purpose::STANDARD.encode(response),
        ))
        .await?;
    if answer.has_code(334) {
        return connection.command(Line(String::new())).await;
    }
    Ok(answer)
}

async fn transact(
    connection: &mut AsyncSmtpConnection,
    submission: &Submission<'_>,
    from: &LettreAddress,
    recipients: &[LettreAddress],
    envelope: &Envelope<'_>,
    commit: impl FnOnce() -> anyhow::Result<()>,
) -> Result<String, SubmitError> {
    let limit = submission.timeout;
    let info = connection.server_info();
    let logged_in = match submission.secret {
        Secret::Password(password)
            if info.supports_auth_mechanism(Mechanism::Plain)
                || info.supports_auth_mechanism(Mechanism::Login) =>
        {
            let credentials = Credentials::new(
                submission.username.to_string(),
                password.expose().to_string(),
            );
            Some(
                tokio::time::timeout(
                    limit,
                    connection.auth(&[Mechanism::Plain, Mechanism::Login], &credentials),
                )
                .await,
            )
        }
        Secret::Password(_) => None,
        Secret::Bearer { token, mechanism } => {
            let mechanism = mechanism.unwrap_or(BearerMechanism::XOAuth2);
            let response = bearer_response(mechanism, submission.username, token);
            Some(tokio::time::timeout(limit, bearer_auth(connection, mechanism, &response)).await)
        }
    };
    let offered_sign_in = logged_in.is_some();
    match logged_in {
        None | Some(Ok(Ok(_))) => {}
        Some(Ok(Err(error))) if error.is_permanent() => {
            let what = match submission.secret {
                Secret::Password(_) => "the user name or password",
                Secret::Bearer { .. } => "the access token",
            };
            return Err(SubmitError::SignInRefused(format!(
                "The SMTP server refused {what}: {error}"
            )));
        }
        Some(Ok(Err(error))) => return Err(before_commit("Logging in", &error)),
        Some(Err(_)) => return Err(SubmitError::Temporary("Logging in: no answer".into())),
    }
    let mut parameters = Vec::new();
    if !envelope.raw.is_ascii() {
        if !connection
            .server_info()
            .supports_feature(Extension::EightBitMime)
        {
            return Err(SubmitError::Permanent(
                "The message has 8-bit content but the server does not accept it (no 8BITMIME)"
                    .into(),
            ));
        }
        parameters.push(MailParameter::Body(MailBodyParameter::EightBitMime));
    }
    let mail_from = step(
        "MAIL FROM",
        limit,
        connection.command(Mail::new(Some(from.clone()), parameters)),
    )
    .await;
    match mail_from {
        // Refused for want of a sign-in the server did not offer (no AUTH in its EHLO: its
        // password service may be down for a moment): nothing was sent; try later rather
        // than give the message up.
        Err(SubmitError::Permanent(error)) if !offered_sign_in && error.contains("(530)") => {
            return Err(SubmitError::Temporary(format!(
                "{error} (the server offered no sign-in; trying later)"
            )))
        }
        other => {
            other?;
        }
    }
    let mut refused = Vec::new();
    let mut temporary = false;
    for recipient in recipients {
        match tokio::time::timeout(
            limit,
            connection.command(Rcpt::new(recipient.clone(), vec![])),
        )
        .await
        {
            Ok(Ok(_)) => {}
            Ok(Err(error)) if error.is_permanent() || error.is_transient() => {
                temporary |= error.is_transient();
                refused.push(format!("{recipient}: {error}"));
            }
            Ok(Err(error)) => return Err(before_commit("RCPT TO", &error)),
            Err(_) => return Err(SubmitError::Temporary("RCPT TO: no answer".into())),
        }
    }
    if !refused.is_empty() {
        // Sending to some recipients only would surprise the user: nothing goes out.
        let _ = tokio::time::timeout(
            limit,
            connection.command(lettre::transport::smtp::commands::Rset),
        )
        .await;
        let text = format!("The server refused recipients: {}", refused.join("; "));
        return Err(if temporary {
            SubmitError::Temporary(text)
        } else {
            SubmitError::Permanent(text)
        });
    }
    step("DATA", limit, connection.command(Data)).await?;
    if let Err(error) = commit() {
        return Err(SubmitError::Temporary(format!(
            "Not sent: recording the send failed: {error:#}"
        )));
    }
    // From here the server may deliver: only its explicit refusal means "not delivered".
    let transfer = limit + Duration::from_secs(envelope.raw.len() as u64 / 50_000);
    match tokio::time::timeout(transfer, connection.message(envelope.raw)).await {
        Ok(Ok(response)) => Ok(response.message().collect::<Vec<_>>().join(" ")),
        Ok(Err(error)) if error.is_permanent() => Err(SubmitError::Permanent(format!(
            "The server refused the message: {error}"
        ))),
        Ok(Err(error)) if error.is_transient() => Err(SubmitError::Temporary(format!(
            "The server did not take the message now: {error}"
        ))),
        Ok(Err(error)) => Err(SubmitError::Uncertain(format!(
            "The connection failed while the server was accepting the message: {error}"
        ))),
        Err(_) => Err(SubmitError::Uncertain(
            "No answer from the server after the message was sent".into(),
        )),
    }
}
