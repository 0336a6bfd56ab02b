//! The search for an address's servers: the provider table first (no network); otherwise,
//! all at once and each with a short deadline, the domain's autoconfig documents, its mail
//! exchangers (a known provider, or the exchanger's own autoconfig), its SRV records and
//! guessed host names checked with a real TLS handshake — the first of those in that order
//! that finds something wins. Says what it tried.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use crate::address::{base_domain, split_address};
use crate::autoconfig;
use crate::dns::Dns;
use crate::http::Http;
use crate::plan;
use crate::probe::{probe, Protocol};
use crate::providers::{provider_for_domain, provider_for_mx};
use crate::race::{first_in_order, Alternative, Outcome, Race};
use crate::srv;
use crate::types::{Attempt, Discovery, Found, Server, Source};

/// How to search.
#[derive(Clone)]
pub struct DiscoverOptions {
    /// TLS for autoconfig documents and guessed servers (the system's roots, plus the CA
    /// file the person gave).
    pub tls: Arc<rustls::ClientConfig>,
    /// DNS servers to ask instead of the system's.
    pub name_servers: Option<Vec<SocketAddr>>,
    /// Also fetch autoconfig documents over plain http (their settings are then shown, never
    /// used with a password).
    pub allow_http: bool,
    /// When the search answers with what it has.
    pub deadline: Duration,
}

impl DiscoverOptions {
    pub fn new(tls: Arc<rustls::ClientConfig>) -> Self {
        DiscoverOptions {
            tls,
            name_servers: None,
            allow_http: false,
            deadline: Duration::from_secs(3),
        }
    }
}

/// Why nothing could be searched.
#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    #[error("{0} is not an email address")]
    InvalidAddress(String),
    #[error("{0}")]
    Setup(String),
}

/// What one step reports.
struct StepReport {
    found: Option<Found>,
    tried: Vec<Attempt>,
}

fn attempt(what: impl Into<String>, outcome: impl Into<String>) -> Attempt {
    Attempt {
        what: what.into(),
        outcome: outcome.into(),
    }
}

fn outcome_text(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Won => "found".into(),
        Outcome::Passed => "found (not needed)".into(),
        Outcome::Failed(error) => error.clone(),
        Outcome::Unfinished => "not finished".into(),
    }
}

/// The IO the steps share.
struct Tools {
    dns: Dns,
    http: Http,
    tls: Arc<rustls::ClientConfig>,
    /// Each network operation's own deadline.
    step_timeout: Duration,
    deadline: Instant,
}

impl Tools {
    /// Fetches and reads one autoconfig document.
    async fn document(&self, url: &str, email: &str) -> Result<autoconfig::Config, String> {
        let text = self
            .http
            .get_text(url, autoconfig::MAX_DOCUMENT_BYTES)
            .await?;
        autoconfig::parse(&text, email).map_err(|error| error.to_string())
    }

    /// The first of `urls` (in order) whose document has usable settings.
    async fn documents(
        &self,
        urls: &[String],
        email: &str,
        source: impl Fn(&str) -> Source,
    ) -> StepReport {
        let alternatives: Vec<Alternative<'_, Found>> = urls
            .iter()
            .map(|url| -> Alternative<'_, Found> {
                let source = source(url);
                Box::pin(async move {
                    let config = self.document(url, email).await?;
                    plan::from_config(config, source).ok_or_else(|| {
                        "OAuth2 only, with a provider Tern does not know".to_string()
                    })
                })
            })
            .collect();
        let race = first_in_order(alternatives, self.deadline).await;
        StepReport {
            tried: urls
                .iter()
                .zip(&race.outcomes)
                .map(|(url, outcome)| attempt(format!("autoconfig {url}"), outcome_text(outcome)))
                .collect(),
            found: race.winner.map(|(_, found)| found),
        }
    }

    /// The domain's mail exchanger: a provider in the table, else its own autoconfig.
    async fn mail_exchanger(&self, domain: &str, email: &str) -> StepReport {
        let what = format!("MX {domain}");
        let hosts = match self.dns.mx(domain).await {
            Ok(hosts) => hosts,
            Err(error) => {
                return StepReport {
                    found: None,
                    tried: vec![attempt(what, error)],
                }
            }
        };
        let Some((_, mx)) = hosts.first() else {
            return StepReport {
                found: None,
                tried: vec![attempt(what, "no records")],
            };
        };
        if let Some(provider) = provider_for_mx(mx) {
            return StepReport {
                found: Some(plan::from_provider(
                    &provider,
                    email,
                    Source::MxProvider { mx: mx.clone() },
                )),
                tried: vec![attempt(what, format!("{mx}: {}", provider.name))],
            };
        }
        let host_domain = base_domain(mx);
        let mut tried = vec![attempt(what, mx.clone())];
        if host_domain == domain {
            // The domain's own documents are a step of their own.
            return StepReport { found: None, tried };
        }
        let urls: Vec<String> = autoconfig::document_urls(&host_domain, email, false);
        let mx_host = mx.clone();
        let report = self
            .documents(&urls, email, |url| Source::MxAutoconfig {
                mx: mx_host.clone(),
                url: url.to_string(),
            })
            .await;
        tried.extend(report.tried);
        StepReport {
            found: report.found,
            tried,
        }
    }

    /// The servers RFC 6186 SRV records announce.
    async fn srv_records(&self, domain: &str, email: &str) -> StepReport {
        let names: Vec<(String, crate::types::Security, bool)> = srv::imap_names(domain)
            .into_iter()
            .map(|(name, security)| (name, security, true))
            .chain(
                srv::submission_names(domain)
                    .into_iter()
                    .map(|(name, security)| (name, security, false)),
            )
            .collect();
        let lookups = names.iter().map(|(name, _, _)| self.dns.srv(name));
        let answers = futures::future::join_all(lookups).await;
        let mut tried = Vec::new();
        let mut imap = Vec::new();
        let mut submission = Vec::new();
        for ((name, security, is_imap), answer) in names.iter().zip(answers) {
            let records = match answer {
                Ok(records) => {
                    tried.push(attempt(
                        format!("SRV {name}"),
                        if records.is_empty() {
                            "no records".to_string()
                        } else {
                            format!("{} record(s)", records.len())
                        },
                    ));
                    records
                }
                Err(error) => {
                    tried.push(attempt(format!("SRV {name}"), error));
                    Vec::new()
                }
            };
            let list = if *is_imap { &mut imap } else { &mut submission };
            list.push((records, *security));
        }
        let found = srv::choose(&imap)
            .map(|server| plan::from_servers(server, srv::choose(&submission), email, Source::Srv));
        StepReport { found, tried }
    }

    /// The first guessed servers that complete a TLS handshake.
    async fn guesses(&self, domain: &str, email: &str) -> StepReport {
        let race_of = |servers: Vec<Server>, protocol: Protocol| async move {
            let alternatives: Vec<Alternative<'_, Server>> = servers
                .iter()
                .map(|server| -> Alternative<'_, Server> {
                    let server = server.clone();
                    Box::pin(async move {
                        probe(
                            &server,
                            protocol,
                            &self.dns,
                            self.tls.clone(),
                            self.step_timeout,
                        )
                        .await
                        .map(|()| server)
                    })
                })
                .collect();
            let race: Race<Server> = first_in_order(alternatives, self.deadline).await;
            let tried: Vec<Attempt> = servers
                .iter()
                .zip(&race.outcomes)
                .map(|(server, outcome)| {
                    attempt(
                        format!("guess {}:{}", server.host, server.port),
                        outcome_text(outcome),
                    )
                })
                .collect();
            (race.winner.map(|(_, server)| server), tried)
        };
        let ((imap, mut tried), (smtp, smtp_tried)) = tokio::join!(
            race_of(plan::imap_guesses(domain), Protocol::Imap),
            race_of(plan::smtp_guesses(domain), Protocol::Smtp)
        );
        tried.extend(smtp_tried);
        StepReport {
            found: imap.map(|imap| plan::from_servers(imap, smtp, email, Source::Guess)),
            tried,
        }
    }
}

/// Finds the servers of `email`.
pub async fn discover(email: &str, options: &DiscoverOptions) -> Result<Discovery, DiscoverError> {
    let started = Instant::now();
    let (_, domain) =
        split_address(email).ok_or_else(|| DiscoverError::InvalidAddress(email.to_string()))?;
    let email = email.trim().to_string();
    let finish = |found: Option<Found>, tried: Vec<Attempt>| Discovery {
        email: email.clone(),
        found,
        tried,
        ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    };
    if let Some(provider) = provider_for_domain(&domain) {
        let found = plan::from_provider(&provider, &email, Source::Table);
        return Ok(finish(
            Some(found),
            vec![attempt(format!("provider table {domain}"), provider.name)],
        ));
    }
    let mut tried = vec![attempt(format!("provider table {domain}"), "not listed")];

    let deadline = started + options.deadline;
    let step_timeout = options.deadline.mul_f32(0.8);
    let dns = Dns::new(options.name_servers.as_deref(), step_timeout.mul_f32(0.5))
        .map_err(DiscoverError::Setup)?;
    let http = Http::new(
        options.tls.clone(),
        dns.clone(),
        step_timeout,
        options.allow_http,
    )
    .map_err(DiscoverError::Setup)?;
    let tools = Tools {
        dns,
        http,
        tls: options.tls.clone(),
        step_timeout,
        deadline,
    };

    let urls = autoconfig::document_urls(&domain, &email, options.allow_http);
    let as_step = |report: StepReport| report;
    let steps: Vec<Alternative<'_, StepReport>> = vec![
        Box::pin(async {
            Ok(as_step(
                tools
                    .documents(&urls, &email, |url| Source::Autoconfig {
                        url: url.to_string(),
                    })
                    .await,
            ))
        }),
        Box::pin(async { Ok(tools.mail_exchanger(&domain, &email).await) }),
        Box::pin(async { Ok(tools.srv_records(&domain, &email).await) }),
        Box::pin(async { Ok(tools.guesses(&domain, &email).await) }),
    ];
    // Each step always reports; a step "succeeds" in the race only when it found something.
    let reports = std::sync::Mutex::new(Vec::<(usize, Vec<Attempt>)>::new());
    let raced: Vec<Alternative<'_, Found>> = steps
        .into_iter()
        .enumerate()
        .map(|(index, step)| -> Alternative<'_, Found> {
            let reports = &reports;
            Box::pin(async move {
                let report = step.await?;
                if let Ok(mut all) = reports.lock() {
                    all.push((index, report.tried));
                }
                report.found.ok_or_else(|| "nothing found".to_string())
            })
        })
        .collect();
    let race = first_in_order(raced, deadline).await;
    let mut reports = reports.into_inner().unwrap_or_default();
    reports.sort_by_key(|(index, _)| *index);
    for (_, step_tried) in reports {
        tried.extend(step_tried);
    }
    const NAMES: [&str; 4] = ["autoconfig", "MX", "SRV", "guesses"];
    for (name, outcome) in NAMES.iter().zip(&race.outcomes) {
        if *outcome == Outcome::Unfinished {
            tried.push(attempt(*name, "not finished by the deadline"));
        }
    }
    Ok(finish(race.winner.map(|(_, found)| found), tried))
}
