//! DNS lookups for discovery (MX, SRV, addresses) through hickory's resolver: the system's
//! name servers, or the ones the caller names (a private resolver; tests answer from
//! loopback). "No such name" and "no records" are answers, not failures.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use hickory_resolver::config::{NameServerConfig, ResolverConfig, ResolverOpts};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::RData;
use hickory_resolver::TokioResolver;

use crate::srv::SrvRecord;

/// A resolver with short deadlines.
#[derive(Clone)]
pub struct Dns {
    resolver: TokioResolver,
}

fn fqdn(name: &str) -> String {
    if name.ends_with('.') {
        name.to_string()
    } else {
        format!("{name}.")
    }
}

fn no_records(error: &hickory_resolver::net::NetError) -> bool {
    error.is_no_records_found() || error.is_nx_domain()
}

impl Dns {
    /// A resolver asking `name_servers` (UDP, then TCP), or the system's when `None`; each
    /// query gives up after `timeout`.
    pub fn new(name_servers: Option<&[SocketAddr]>, timeout: Duration) -> Result<Dns, String> {
        let mut builder = match name_servers {
            Some(servers) => {
                let configs = servers
                    .iter()
                    .map(|server| {
                        let mut config = NameServerConfig::udp_and_tcp(server.ip());
                        for connection in &mut config.connections {
                            connection.port = server.port();
                        }
                        config
                    })
                    .collect();
                TokioResolver::builder_with_config(
                    ResolverConfig::from_name_servers(configs),
                    TokioRuntimeProvider::default(),
                )
            }
            None => TokioResolver::builder_tokio()
                .map_err(|error| format!("Reading the system's DNS settings: {error}"))?,
        };
        let options: &mut ResolverOpts = builder.options_mut();
        options.timeout = timeout;
        options.attempts = 1;
        let resolver = builder
            .build()
            .map_err(|error| format!("Setting up DNS: {error}"))?;
        Ok(Dns { resolver })
    }

    /// The domain's mail exchangers, most preferred first (empty: none).
    pub async fn mx(&self, domain: &str) -> Result<Vec<(u16, String)>, String> {
        let lookup = match self.resolver.mx_lookup(fqdn(domain)).await {
            Ok(lookup) => lookup,
            Err(error) if no_records(&error) => return Ok(Vec::new()),
            Err(error) => return Err(error.to_string()),
        };
        let mut hosts: Vec<(u16, String)> = lookup
            .answers()
            .iter()
            .filter_map(|record| match &record.data {
                RData::MX(mx) => Some((
                    mx.preference,
                    mx.exchange
                        .to_ascii()
                        .trim_end_matches('.')
                        .to_ascii_lowercase(),
                )),
                _ => None,
            })
            .collect();
        hosts.sort();
        Ok(hosts)
    }

    /// The SRV records of `name` (empty: none).
    pub async fn srv(&self, name: &str) -> Result<Vec<SrvRecord>, String> {
        let lookup = match self.resolver.srv_lookup(fqdn(name)).await {
            Ok(lookup) => lookup,
            Err(error) if no_records(&error) => return Ok(Vec::new()),
            Err(error) => return Err(error.to_string()),
        };
        Ok(lookup
            .answers()
            .iter()
            .filter_map(|record| match &record.data {
                RData::SRV(srv) => Some(SrvRecord {
                    priority: srv.priority,
                    weight: srv.weight,
                    port: srv.port,
                    target: srv.target.to_ascii(),
                }),
                _ => None,
            })
            .collect())
    }

    /// The host's addresses (an IP address stands for itself).
    pub async fn addresses(&self, host: &str) -> Result<Vec<IpAddr>, String> {
        if let Ok(ip) = host.trim_matches(['[', ']']).parse::<IpAddr>() {
            return Ok(vec![ip]);
        }
        match self.resolver.lookup_ip(fqdn(host)).await {
            Ok(lookup) => Ok(lookup.iter().collect()),
            Err(error) if no_records(&error) => Err(format!("{host} has no address")),
            Err(error) => Err(error.to_string()),
        }
    }
}
