//! One IMAP connection: TLS/STARTTLS, login, capabilities, command execution with pipelining,
//! and tracking of the selected folder and its mode (EXAMINE read-only vs SELECT read-write).
//!
//! Responses are read here, never through async-imap's unsolicited channel (which drops
//! items past 100), and any IO error, parse error, timeout, BYE or end of stream marks the
//! connection broken: a broken connection is never used again, so a dead session can never
//! look like an empty mailbox.

mod idle;
mod sorter;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_imap::{Authenticator, Client, Session};
use futures::FutureExt;
use imap_proto::{Capability, MailboxDatum, RequestId, Response, ResponseCode, Status};
use mail_store::Security;
use mail_sync::{SelectedState, ServerCapabilities, Uid};

use crate::account::{ConnectSettings, Password};
use crate::credentials::{bearer_response, BearerMechanism, Secret};
use crate::error::{EngineError, ErrorKind, Result};
use crate::mailbox_name::wire_argument;
use crate::response::apply_mailbox_data;
use crate::response_limits::{RaisedLimit, ResponseLimits};
use crate::tls;
use crate::transport::{connect_tcp, is_loopback_host, start_tls, GuardedStream, ImapStream, Wire};

pub use idle::{Idle, Push};
use sorter::{Sorter, Step};
pub use sorter::{Tagged, TaggedStatus};

/// How a folder is selected. Writes (STORE, EXPUNGE) need `ReadWrite`: servers answer STORE
/// after EXAMINE with OK and ignore it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SelectMode {
    /// EXAMINE: nothing can change the folder through this selection.
    ReadOnly,
    /// SELECT, and the server confirmed READ-WRITE.
    ReadWrite,
}

/// The folder this connection has selected, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selected {
    pub name: String,
    pub mode: SelectMode,
}

/// A flag change for `uid_store`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagOperation<'a> {
    Add(&'a str),
    Remove(&'a str),
}

/// What a UID SEARCH may answer: at most `max` UIDs (what the folder holds), all within
/// `within` when the search named a range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SearchBound {
    pub max: usize,
    pub within: Option<(u32, u32)>,
}

impl SearchBound {
    /// Anything in a folder whose SELECT/EXAMINE announced `state`: at most EXISTS UIDs
    /// (or the count a later EXISTS announces).
    pub fn folder(state: &SelectedState) -> SearchBound {
        SearchBound {
            max: state.exists as usize,
            within: None,
        }
    }

    /// A search of the UIDs `low..=high` in a folder announced as `state`.
    pub fn range(state: &SelectedState, low: u32, high: u32) -> SearchBound {
        SearchBound {
            max: (state.exists as usize)
                .min((u64::from(high) - u64::from(low.min(high)) + 1) as usize),
            within: Some((low, high)),
        }
    }

    /// Whether `more` UIDs, after `so_far`, still fit.
    pub fn check(&self, so_far: usize, more: &[u32]) -> Result<()> {
        if so_far.saturating_add(more.len()) > self.max {
            return Err(EngineError::new(
                ErrorKind::Protocol,
                format!(
                    "UID SEARCH answered more than the {} messages the folder holds",
                    self.max
                ),
            ));
        }
        if let Some((low, high)) = self.within {
            if let Some(stray) = more.iter().find(|uid| **uid < low || **uid > high) {
                return Err(EngineError::new(
                    ErrorKind::Protocol,
                    format!("UID SEARCH answered UID {stray}, outside the {low}:{high} searched"),
                ));
            }
        }
        Ok(())
    }
}

impl Tagged {
    pub fn is_ok(&self) -> bool {
        self.status == TaggedStatus::Ok
    }

    /// Turns a NO/BAD into a `ServerRefused` error naming `what`.
    pub fn require_ok(&self, what: &str) -> Result<()> {
        if self.is_ok() {
            Ok(())
        } else {
            let kind = if crate::response::is_temporary_refusal(&self.text) {
                ErrorKind::ServerBusy
            } else {
                ErrorKind::ServerRefused
            };
            Err(EngineError::new(
                kind,
                format!(
                    "{what}: the server answered {:?} {}",
                    self.status, self.text
                ),
            ))
        }
    }
}

/// Timeouts of one connection.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// Connecting, TLS handshake and login.
    pub connect: Duration,
    /// The longest wait for the next response line while a command is running.
    pub response: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(20),
            response: Duration::from_secs(60),
        }
    }
}

pub struct ImapConnection {
    session: Session<Wire>,
    capabilities: HashSet<String>,
    qresync_enabled: bool,
    selected: Option<Selected>,
    broken: Option<String>,
    last_activity: Instant,
    timeouts: Timeouts,
    label: String,
    round_trips: u64,
    /// Time spent waiting for the server's answers (from writing a pipeline to its last
    /// tagged answer), summed over the connection's life.
    server_wait: Duration,
    /// How large a response the stream accepts now (shared with it).
    limits: Arc<ResponseLimits>,
}

/// Commands written together whose answers are being read.
pub struct Pipeline {
    sorter: Sorter,
}

impl Pipeline {
    /// Whether every command written has its answer (the stream is between commands).
    pub fn finished(&self) -> bool {
        self.sorter.finished()
    }
}

struct PlainAuthenticator<'a> {
    username: &'a str,
    password: &'a str,
}

impl Authenticator for PlainAuthenticator<'_> {
    type Response = Vec<u8>;

    fn process(&mut self, _challenge: &[u8]) -> Self::Response {
        let mut response = Vec::with_capacity(self.username.len() + self.password.len() + 2);
        response.push(0);
        response.extend_from_slice(self.username.as_bytes());
        response.push(0);
        response.extend_from_slice(self.password.as_bytes());
        response
    }
}

fn network(message: impl Into<String>) -> EngineError {
    EngineError::new(ErrorKind::Network, message)
}

fn capability_names(capabilities: &[Capability<'_>]) -> HashSet<String> {
    capabilities
        .iter()
        .map(|capability| match capability {
            Capability::Imap4rev1 => "IMAP4REV1".to_string(),
            Capability::Auth(mechanism) => format!("AUTH={}", mechanism.to_ascii_uppercase()),
            Capability::Atom(atom) => atom.to_ascii_uppercase(),
        })
        .collect()
}

/// Runs a read (or a command that reads) of async-imap's, turning a panic inside it into an
/// error: imap-proto 0.17 slices text at byte offsets that hostile bytes can put inside a
/// UTF-8 character. The connection is given up after that (its buffer is in an unknown
/// state), so nothing of it is used again. While it runs, [`panic_is_contained`] is true on
/// its thread, so a panic hook can tell such a panic from a real one.
async fn contained<T>(future: impl std::future::Future<Output = T>) -> Result<T> {
    let mut future = Box::pin(future);
    let guarded = std::future::poll_fn(move |context| {
        let _containing = Containing::enter();
        future.as_mut().poll(context)
    });
    match std::panic::AssertUnwindSafe(guarded).catch_unwind().await {
        Ok(value) => Ok(value),
        Err(panic) => {
            let what = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("a panic");
            tracing::info!(reason = %excerpt(what), "a server's response broke the IMAP parser");
            Err(EngineError::new(
                ErrorKind::Protocol,
                format!(
                    "The server sent a response that broke the IMAP parser ({})",
                    excerpt(what)
                ),
            ))
        }
    }
}

thread_local! {
    static CONTAINING: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// Marks the current thread as inside [`contained`] while alive (also while unwinding).
struct Containing;

impl Containing {
    fn enter() -> Containing {
        CONTAINING.with(|depth| depth.set(depth.get() + 1));
        Containing
    }
}

impl Drop for Containing {
    fn drop(&mut self) {
        CONTAINING.with(|depth| depth.set(depth.get().saturating_sub(1)));
    }
}

/// Whether the panic now unwinding on this thread will be caught by the engine and turned
/// into an error for a server's response (a panic hook may then stay quiet about it).
pub fn panic_is_contained() -> bool {
    CONTAINING.with(|depth| depth.get() > 0)
}

/// For async-imap's parse errors, which carry the whole response (a message's text,
/// megabytes of it): what happened, with only the response's start.
fn unparsable(error: &dyn std::fmt::Display) -> Option<String> {
    let text = error.to_string();
    let (_, response) = text.split_once(" during parsing of ")?;
    Some(format!(
        "The server sent a response that is not IMAP ({} bytes, starting {})",
        response.len(),
        excerpt(response)
    ))
}

/// The start of what a server sent, for an error message: at most 80 characters, control
/// characters escaped.
fn excerpt(text: &str) -> String {
    let mut out: String = text
        .chars()
        .take(80)
        .flat_map(char::escape_default)
        .collect();
    if text.chars().count() > 80 {
        out.push('…');
    }
    out
}

/// Reads the server greeting; returns the capabilities it announced, if any.
async fn read_greeting(
    client: &mut Client<Wire>,
    host: &str,
    timeout: Duration,
) -> Result<Option<HashSet<String>>> {
    let greeting = tokio::time::timeout(timeout, contained(client.read_response()))
        .await
        .map_err(|_| {
            network(format!(
                "{host} sent no IMAP greeting within {:.1} s",
                timeout.as_secs_f64()
            ))
        })??
        .map_err(|error| match unparsable(&error) {
            Some(text) => EngineError::new(ErrorKind::Protocol, format!("{host}: {text}")),
            None => network(format!("Reading the greeting of {host}: {error}")),
        })?
        .ok_or_else(|| network(format!("{host} closed the connection before greeting")))?;
    match greeting.parsed() {
        Response::Data {
            status: Status::Ok | Status::PreAuth,
            outcome,
        } => Ok(match &outcome.code {
            Some(ResponseCode::Capabilities(capabilities)) => Some(capability_names(capabilities)),
            _ => None,
        }),
        Response::Data {
            status: Status::Bye,
            outcome,
        } => Err(network(format!(
            "{host} refused the connection: {}",
            outcome.information.as_deref().unwrap_or("BYE")
        ))),
        other => Err(EngineError::new(
            ErrorKind::Protocol,
            format!(
                "{host} did not greet like an IMAP server: {}",
                excerpt(&format!("{other:?}"))
            ),
        )),
    }
}

/// Carries a bearer token: the initial response first; an error report the server sends
/// back as a challenge gets an empty answer, after which the server says NO.
struct BearerAuthenticator {
    response: Vec<u8>,
    sent: bool,
}

impl Authenticator for BearerAuthenticator {
    type Response = Vec<u8>;

    fn process(&mut self, _challenge: &[u8]) -> Self::Response {
        if std::mem::replace(&mut self.sent, true) {
            Vec::new()
        } else {
            std::mem::take(&mut self.response)
        }
    }
}

impl ImapConnection {
    /// Connects, secures, greets, logs in with a password, reads capabilities and ENABLEs
    /// QRESYNC when offered.
    pub async fn connect(
        settings: &ConnectSettings,
        password: &Password,
        timeouts: Timeouts,
    ) -> Result<Self> {
        Self::connect_with(settings, &Secret::Password(password.clone()), timeouts).await
    }

    /// [`Self::connect`] signing in with `secret` (a password, or an OAuth2 bearer token).
    pub async fn connect_with(
        settings: &ConnectSettings,
        secret: &Secret,
        timeouts: Timeouts,
    ) -> Result<Self> {
        let host = settings.host.as_str();
        if settings.security == Security::Plain
            && !settings.allow_plaintext
            && !is_loopback_host(host)
        {
            return Err(EngineError::new(
                ErrorKind::Policy,
                format!(
                    "Refusing plaintext IMAP to {host}: the password would cross the network unencrypted (use TLS or STARTTLS, or opt in explicitly)"
                ),
            ));
        }
        let label = format!("{}@{host}:{}", settings.username, settings.port);
        let limits = Arc::new(ResponseLimits::default());
        let wire = |stream: ImapStream| Wire::new(GuardedStream::new(stream, limits.clone()));
        let tcp = connect_tcp(host, settings.port, timeouts.connect).await?;
        let (client, greeting_capabilities) = match settings.security {
            Security::Tls => {
                let config = tls::client_config(settings.ca_file.as_deref())?;
                let stream = start_tls(tcp, host, config, timeouts.connect).await?;
                let mut client = Client::new(wire(stream));
                let capabilities = read_greeting(&mut client, host, timeouts.connect).await?;
                (client, capabilities)
            }
            Security::StartTls => {
                let config = tls::client_config(settings.ca_file.as_deref())?;
                let mut plain = Client::new(wire(ImapStream::Plain(tcp)));
                read_greeting(&mut plain, host, timeouts.connect).await?;
                tokio::time::timeout(
                    timeouts.connect,
                    contained(plain.run_command_and_check_ok("STARTTLS", None)),
                )
                .await
                .map_err(|_| network(format!("{host} did not answer STARTTLS")))??
                .map_err(|error| {
                    EngineError::new(ErrorKind::Tls, format!("{host} refused STARTTLS: {error}"))
                })?;
                let ImapStream::Plain(tcp) = plain.into_inner().into_inner().into_inner() else {
                    return Err(EngineError::new(ErrorKind::Tls, "STARTTLS on a TLS stream"));
                };
                let stream = start_tls(tcp, host, config, timeouts.connect).await?;
                // After STARTTLS there is no new greeting; capabilities must be asked again.
                (Client::new(wire(stream)), None)
            }
            Security::Plain => {
                let mut client = Client::new(wire(ImapStream::Plain(tcp)));
                let capabilities = read_greeting(&mut client, host, timeouts.connect).await?;
                (client, capabilities)
            }
        };
        // Never log the password; the user name is fine.
        tracing::debug!(connection = %label, plain = ?greeting_capabilities.as_ref().map(|c| c.contains("AUTH=PLAIN")), "logging in");
        let offers = |mechanism: &str| {
            greeting_capabilities
                .as_ref()
                .is_some_and(|capabilities| capabilities.contains(&format!("AUTH={mechanism}")))
        };
        let login = async {
            match secret {
                Secret::Password(password) if offers("PLAIN") => {
                    client
                        .authenticate(
                            "PLAIN",
                            PlainAuthenticator {
                                username: &settings.username,
                                password: password.expose(),
                            },
                        )
                        .await
                }
                Secret::Password(password) => {
                    client.login(&settings.username, password.expose()).await
                }
                Secret::Bearer { token, mechanism } => {
                    let mechanism = mechanism.unwrap_or(if offers("OAUTHBEARER") {
                        BearerMechanism::OAuthBearer
                    } else {
                        BearerMechanism::XOAuth2
                    });
                    client
                        .authenticate(
                            mechanism.name(),
                            BearerAuthenticator {
                                response: bearer_response(mechanism, &settings.username, token),
                                sent: false,
                            },
                        )
                        .await
                }
            }
        };
        let session = match tokio::time::timeout(timeouts.connect, contained(login)).await {
            Err(_) => {
                return Err(network(format!(
                    "{host} did not answer the login within {:.1} s",
                    timeouts.connect.as_secs_f64()
                )))
            }
            Ok(Err(panicked)) => return Err(panicked.context(format!("Login to {host}"))),
            Ok(Ok(Ok(session))) => session,
            Ok(Ok(Err((error, _client)))) => {
                return Err(match error {
                    async_imap::error::Error::No(text) | async_imap::error::Error::Bad(text) => {
                        EngineError::new(
                            ErrorKind::Authentication,
                            format!("Login to {host} as {} failed: {text}", settings.username),
                        )
                    }
                    other => match unparsable(&other) {
                        Some(text) => EngineError::new(
                            ErrorKind::Protocol,
                            format!("Login to {host} failed: {text}"),
                        ),
                        None => network(format!("Login to {host} failed: {other}")),
                    },
                })
            }
        };
        let mut connection = ImapConnection {
            session,
            capabilities: HashSet::new(),
            qresync_enabled: false,
            selected: None,
            broken: None,
            last_activity: Instant::now(),
            timeouts,
            label,
            round_trips: 0,
            server_wait: Duration::ZERO,
            limits,
        };
        connection.refresh_capabilities().await?;
        if connection.has_capability("QRESYNC") {
            connection
                .execute("ENABLE QRESYNC", |_| Ok(()))
                .await?
                .require_ok("ENABLE QRESYNC")?;
            connection.qresync_enabled = true;
        }
        tracing::info!(connection = %connection.label, qresync = connection.qresync_enabled, "IMAP connection ready");
        Ok(connection)
    }

    async fn refresh_capabilities(&mut self) -> Result<()> {
        let mut found = HashSet::new();
        self.execute("CAPABILITY", |response| {
            if let Response::Capabilities(list) = response {
                found = capability_names(list);
            }
            Ok(())
        })
        .await?
        .require_ok("CAPABILITY")?;
        if found.is_empty() {
            return Err(EngineError::new(
                ErrorKind::Protocol,
                "The server sent no capabilities",
            ));
        }
        self.capabilities = found;
        Ok(())
    }

    /// What the server offers in this session (upper case, sorted).
    pub fn capabilities(&self) -> Vec<String> {
        let mut names: Vec<String> = self.capabilities.iter().cloned().collect();
        names.sort();
        names
    }

    /// The FETCH items a cache row is built from on this server (Gmail's ids and labels
    /// too where it offers X-GM-EXT-1).
    pub fn header_items(&self) -> &'static str {
        crate::fetch::header_items(self.has_capability("X-GM-EXT-1"))
    }

    /// The FETCH items a flag update is read from (Gmail's labels too where offered).
    pub fn flag_items(&self) -> &'static str {
        if self.has_capability("X-GM-EXT-1") {
            "(UID FLAGS X-GM-LABELS)"
        } else {
            "(UID FLAGS)"
        }
    }

    pub fn has_capability(&self, name: &str) -> bool {
        self.capabilities.contains(&name.to_ascii_uppercase())
    }

    /// What the sync planner needs to know about this server and session.
    pub fn sync_capabilities(&self) -> ServerCapabilities {
        ServerCapabilities {
            condstore: self.has_capability("CONDSTORE") || self.qresync_enabled,
            qresync_enabled: self.qresync_enabled,
        }
    }

    pub fn selected(&self) -> Option<&Selected> {
        self.selected.as_ref()
    }

    pub fn is_broken(&self) -> bool {
        self.broken.is_some()
    }

    /// Time since the server last answered anything on this connection.
    pub fn idle_for(&self) -> Duration {
        self.last_activity.elapsed()
    }

    pub fn label(&self) -> &str {
        &self.label
    }

    fn mark_broken(&mut self, reason: String) -> EngineError {
        let kind = if reason.contains("during parsing") {
            ErrorKind::Protocol
        } else {
            ErrorKind::Network
        };
        self.mark_broken_as(kind, reason)
    }

    fn mark_broken_as(&mut self, kind: ErrorKind, reason: String) -> EngineError {
        // The error goes back to whoever ran the command: logged here for diagnosis only.
        tracing::info!(connection = %self.label, %reason, "IMAP connection broken");
        self.broken = Some(reason.clone());
        self.selected = None;
        EngineError::new(kind, reason)
    }

    /// Lets responses grow to `bytes` (a body of a known size) until the guard is dropped;
    /// never beyond `response_limits::CEILING_RESPONSE_BYTES`.
    pub fn expect_responses_up_to(&self, bytes: u64) -> RaisedLimit {
        self.limits.raise_to(bytes)
    }

    fn check_usable(&self) -> Result<()> {
        match &self.broken {
            Some(reason) => Err(network(format!("The connection is broken ({reason})"))),
            None => Ok(()),
        }
    }

    async fn send(&mut self, command: &str) -> Result<RequestId> {
        self.check_usable()?;
        match tokio::time::timeout(self.timeouts.response, self.session.run_command(command)).await
        {
            Ok(Ok(tag)) => Ok(tag),
            Ok(Err(error)) => Err(self.mark_broken(format!("Sending a command: {error}"))),
            Err(_) => Err(self.mark_broken("Sending a command timed out".to_string())),
        }
    }

    /// Runs one command; `on_response` sees every untagged response.
    pub async fn execute<F>(&mut self, command: &str, mut on_response: F) -> Result<Tagged>
    where
        F: FnMut(&Response<'_>) -> Result<()>,
    {
        let mut results = self
            .pipeline(&[command.to_string()], |_, response| on_response(response))
            .await?;
        results
            .pop()
            .ok_or_else(|| EngineError::new(ErrorKind::Protocol, "No tagged answer"))
    }

    /// Writes all `commands` at once (one round trip) and reads until each has its tagged
    /// answer, returned in command order. Servers may interleave the untagged responses of
    /// pipelined commands, so handlers must go by content, not by which command is running.
    pub async fn pipeline<F>(
        &mut self,
        commands: &[String],
        mut on_response: F,
    ) -> Result<Vec<Tagged>>
    where
        F: FnMut(usize, &Response<'_>) -> Result<()>,
    {
        let started = Instant::now();
        let mut pending = self.start_pipeline(commands).await?;
        let mut results: Vec<Option<Tagged>> = vec![None; commands.len()];
        while let Some((index, tagged)) = self.next_tagged(&mut pending, &mut on_response).await? {
            results[index] = Some(tagged);
        }
        self.server_wait += started.elapsed();
        results
            .into_iter()
            .map(|result| {
                result
                    .ok_or_else(|| EngineError::new(ErrorKind::Protocol, "A command got no answer"))
            })
            .collect()
    }

    /// Writes all `commands` at once; read their answers with [`Self::next_tagged`].
    pub async fn start_pipeline(&mut self, commands: &[String]) -> Result<Pipeline> {
        let mut tags = Vec::with_capacity(commands.len());
        for command in commands {
            tags.push(self.send(command).await?);
        }
        self.round_trips += 1;
        Ok(Pipeline {
            sorter: Sorter::new(tags),
        })
    }

    /// Writes one more command into a running pipeline (a sliding window: the next batch
    /// goes out as soon as one is answered); returns its index among the pipeline's commands.
    pub async fn pipeline_more(&mut self, pending: &mut Pipeline, command: &str) -> Result<usize> {
        let tag = self.send(command).await?;
        Ok(pending.sorter.add(tag))
    }

    /// Reads a pipeline's responses up to the next tagged answer (in whatever order the server
    /// sends them), passing untagged ones to `on_response` with the number of commands
    /// answered so far. Returns the tagged answer and its command's index, or `None` once
    /// every command has been answered.
    pub async fn next_tagged<F>(
        &mut self,
        pending: &mut Pipeline,
        on_response: &mut F,
    ) -> Result<Option<(usize, Tagged)>>
    where
        F: FnMut(usize, &Response<'_>) -> Result<()>,
    {
        if pending.sorter.finished() {
            return Ok(None);
        }
        loop {
            let read = tokio::time::timeout(
                self.timeouts.response,
                contained(self.session.read_response()),
            )
            .await;
            let Some(response) = self.settle_read(read)? else {
                return Err(self.mark_broken(format!(
                    "No answer from the server within {:.1} s",
                    self.timeouts.response.as_secs_f64()
                )));
            };
            // Servers may run pipelined commands in parallel and answer them in any order.
            match pending.sorter.on_response(response.parsed()) {
                Step::Answered { index, tagged } => return Ok(Some((index, tagged))),
                Step::Bye(text) => {
                    return Err(self.mark_broken(format!("The server ended the session: {text}")))
                }
                Step::Stray(reason) => return Err(self.mark_broken(reason)),
                Step::Untagged | Step::Continue => {
                    if let Err(error) = on_response(pending.sorter.answered(), response.parsed()) {
                        // The stream is mid-answer; it cannot be trusted for the next command.
                        self.abandon(&format!("Handling a response: {error}"));
                        return Err(error);
                    }
                }
            }
        }
    }

    /// The outcome of one timed read: `Ok(None)` when the time ran out; a read error or the
    /// end of the stream marks the connection broken; a response counts as activity.
    fn settle_read<R>(
        &mut self,
        read: std::result::Result<Result<std::io::Result<Option<R>>>, tokio::time::error::Elapsed>,
    ) -> Result<Option<R>> {
        match read {
            Err(_) => Ok(None),
            Ok(Err(panicked)) => Err(self.mark_broken_as(panicked.kind, panicked.to_string())),
            Ok(Ok(Err(error))) if error.kind() == std::io::ErrorKind::InvalidData => Err(self
                .mark_broken_as(
                    ErrorKind::Protocol,
                    format!("Reading from the server: {error}"),
                )),
            Ok(Ok(Err(error))) => match unparsable(&error) {
                Some(text) => Err(self.mark_broken_as(ErrorKind::Protocol, text)),
                None => Err(self.mark_broken(format!("Reading from the server: {error}"))),
            },
            Ok(Ok(Ok(None))) => {
                Err(self.mark_broken("The server closed the connection".to_string()))
            }
            Ok(Ok(Ok(Some(response)))) => {
                self.last_activity = Instant::now();
                Ok(Some(response))
            }
        }
    }

    /// Gives the connection up (mid-answer, or after a surprise): it is never used again.
    pub fn abandon(&mut self, reason: &str) {
        if self.broken.is_none() {
            self.mark_broken(reason.to_string());
        }
    }

    /// How many round trips (pipelines) this connection has made.
    pub fn round_trips(&self) -> u64 {
        self.round_trips
    }

    /// Time spent in pipelines, from the first write to the last tagged answer: the server's
    /// work plus the network (and handling untagged answers as they stream in).
    pub fn server_wait(&self) -> Duration {
        self.server_wait
    }

    /// NOOP: proves the connection alive and collects pending untagged responses.
    pub async fn noop(&mut self) -> Result<()> {
        self.execute("NOOP", |_| Ok(())).await?.require_ok("NOOP")
    }

    /// The SELECT or EXAMINE command text for `name`, with an optional parameter list
    /// such as `(CONDSTORE)` or `(QRESYNC (uidvalidity modseq))`.
    pub fn select_command(name: &str, mode: SelectMode, parameters: Option<&str>) -> String {
        let verb = match mode {
            SelectMode::ReadOnly => "EXAMINE",
            SelectMode::ReadWrite => "SELECT",
        };
        match parameters {
            Some(parameters) => format!("{verb} {} {parameters}", wire_argument(name)),
            None => format!("{verb} {}", wire_argument(name)),
        }
    }

    /// Forget the selection before a SELECT/EXAMINE is sent: a failed one leaves none.
    pub(crate) fn selection_starting(&mut self) {
        self.selected = None;
    }

    /// Record the outcome of a SELECT/EXAMINE sent by `select_command`, whose untagged
    /// answers made `state` (`at_select`: nothing else was pipelined with it). Impossible
    /// counts give the connection up (a protocol error) before anything is planned from them.
    pub(crate) fn selection_finished(
        &mut self,
        name: &str,
        requested: SelectMode,
        tagged: &Tagged,
        state: &SelectedState,
        at_select: bool,
    ) -> Result<SelectMode> {
        tagged.require_ok(&format!("Selecting {name}"))?;
        if let Err(reason) = state.check_plausible(at_select) {
            return Err(
                self.mark_broken_as(ErrorKind::Protocol, format!("Selecting {name}: {reason}"))
            );
        }
        let mode = match (requested, tagged.read_only) {
            (SelectMode::ReadOnly, _) | (_, Some(true)) => SelectMode::ReadOnly,
            (SelectMode::ReadWrite, _) => SelectMode::ReadWrite,
        };
        self.selected = Some(Selected {
            name: name.to_string(),
            mode,
        });
        Ok(mode)
    }

    /// SELECTs (read-write) or EXAMINEs (read-only) a folder and returns what it reported.
    pub async fn select(&mut self, name: &str, mode: SelectMode) -> Result<SelectedState> {
        let parameters =
            (!self.qresync_enabled && self.has_capability("CONDSTORE")).then_some("(CONDSTORE)");
        let command = Self::select_command(name, mode, parameters);
        self.selection_starting();
        let mut state = SelectedState::default();
        let tagged = self
            .execute(&command, |response| {
                apply_mailbox_data(&mut state, response);
                Ok(())
            })
            .await?;
        self.selection_finished(name, mode, &tagged, &state, true)?;
        Ok(state)
    }

    /// Makes sure `name` is selected read-write, re-SELECTing when it was only EXAMINEd (or
    /// another folder is selected). Fails clearly when the server only grants read-only.
    pub async fn ensure_writable(&mut self, name: &str) -> Result<()> {
        let writable = self.selected.as_ref().is_some_and(|selected| {
            selected.name == name && selected.mode == SelectMode::ReadWrite
        });
        if writable {
            return Ok(());
        }
        self.select(name, SelectMode::ReadWrite).await?;
        if self.selected.as_ref().map(|selected| selected.mode) != Some(SelectMode::ReadWrite) {
            return Err(EngineError::new(
                ErrorKind::ServerRefused,
                format!("The server opened {name} read-only; changes cannot be saved"),
            ));
        }
        Ok(())
    }

    /// Adds or removes a flag on messages, through a read-write selection of the folder.
    pub async fn uid_store(
        &mut self,
        folder: &str,
        uids: &[Uid],
        operation: FlagOperation<'_>,
    ) -> Result<()> {
        if uids.is_empty() {
            return Ok(());
        }
        self.ensure_writable(folder).await?;
        let (sign, flag) = match operation {
            FlagOperation::Add(flag) => ('+', flag),
            FlagOperation::Remove(flag) => ('-', flag),
        };
        let set = mail_sync::compress_uids(uids);
        self.execute(
            &format!("UID STORE {set} {sign}FLAGS.SILENT ({flag})"),
            |_| Ok(()),
        )
        .await?
        .require_ok(&format!("Changing flags in {folder}"))
    }

    /// UID SEARCH over the selected folder; never ESEARCH (imap-proto cannot parse it). An
    /// answer beyond `bound` (more UIDs than the folder can hold, or UIDs outside the range
    /// searched) is a protocol error, noticed while it streams in.
    pub async fn uid_search(&mut self, criteria: &str, bound: SearchBound) -> Result<Vec<Uid>> {
        let mut found = Vec::new();
        let mut bound = bound;
        self.execute(&format!("UID SEARCH {criteria}"), |response| {
            match response {
                Response::MailboxData(MailboxDatum::Search(uids)) => {
                    bound.check(found.len(), uids)?;
                    found.extend(uids.iter().copied().map(Uid));
                }
                // Mail that arrived meanwhile may be found too.
                Response::MailboxData(MailboxDatum::Exists(exists)) => {
                    bound.max = bound.max.max(*exists as usize);
                }
                _ => {}
            }
            Ok(())
        })
        .await?
        .require_ok("UID SEARCH")?;
        found.sort_unstable();
        found.dedup();
        Ok(found)
    }

    /// APPENDs one message with `flags` (e.g. `(\Seen)`) to the folder `name`: with a LITERAL+ literal when the
    /// server has it (one round trip, APPENDUID returned when given), else with a
    /// synchronizing literal (async-imap's, which drops APPENDUID). The message must be
    /// 7-bit or UTF-8 text (what `mail_message::compose` builds).
    pub async fn append(
        &mut self,
        name: &str,
        flags: &str,
        message: &[u8],
    ) -> Result<Option<(u32, u32)>> {
        if !self.has_capability("LITERAL+") {
            self.check_usable()?;
            let appended = tokio::time::timeout(
                self.timeouts.response,
                contained(self.session.append(
                    crate::mailbox_name::encode_mailbox_name(name),
                    Some(flags),
                    None,
                    message,
                )),
            )
            .await;
            return match appended {
                Ok(Ok(Ok(()))) => Ok(None),
                Ok(Ok(Err(async_imap::error::Error::No(text)))) => Err(EngineError::new(
                    ErrorKind::ServerRefused,
                    format!("APPEND: the server answered NO {text}"),
                )),
                Ok(Ok(Err(error))) => Err(self.mark_broken(format!("APPEND: {error}"))),
                Ok(Err(panicked)) => Err(self.mark_broken_as(panicked.kind, panicked.to_string())),
                Err(_) => Err(self.mark_broken("APPEND timed out".to_string())),
            };
        }
        let text = std::str::from_utf8(message)
            .map_err(|_| EngineError::new(ErrorKind::Other, "The message to append is not text"))?;
        let command = format!(
            "APPEND {} {flags} {{{}+}}\r\n{text}",
            crate::mailbox_name::wire_argument(name),
            message.len()
        );
        let tagged = self.execute(&command, |_| Ok(())).await?;
        tagged.require_ok("APPEND")?;
        Ok(tagged.append_uid)
    }

    /// Asks the server (RFC 5465 NOTIFY) to report changes in every other folder of the
    /// person's namespace on this connection, as STATUS responses (the selected folder's
    /// changes come as usual). A server that refuses says NO. Returns what the server
    /// announced while answering (changes made since the folder was selected).
    pub async fn notify_set(&mut self) -> Result<Vec<Push>> {
        let mut pushes = Vec::new();
        self.execute(mail_sync::NOTIFY_SET, |response| {
            pushes.extend(Push::from_response(response));
            Ok(())
        })
        .await?
        .require_ok("NOTIFY SET")?;
        Ok(pushes)
    }

    /// (UIDVALIDITY, UID) of the newest message in `folder` whose Message-ID is `message_id`
    /// (without angle brackets), EXAMINEd read-only.
    pub async fn find_message_id(
        &mut self,
        folder: &str,
        message_id: &str,
    ) -> Result<Option<(u32, u32)>> {
        // An ID with a line break in it (from a message a stranger wrote) matches nothing
        // and must never reach the wire.
        let Some(quoted) = crate::mailbox_name::quote(&format!("<{message_id}>")) else {
            return Ok(None);
        };
        let selected = self.select(folder, SelectMode::ReadOnly).await?;
        let found = self
            .uid_search(
                &format!("HEADER Message-ID {quoted}"),
                SearchBound::folder(&selected),
            )
            .await?;
        Ok(selected
            .uid_validity
            .zip(found.last().copied())
            .map(|(validity, uid)| (validity.0, uid.0)))
    }

    /// Logs out politely; errors are irrelevant at this point.
    pub async fn logout(mut self) {
        if self.broken.is_none() {
            let _ = tokio::time::timeout(Duration::from_secs(2), contained(self.session.logout()))
                .await;
        }
    }
}
