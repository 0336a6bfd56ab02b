//! Finding an address's servers for setup (the CLI and the app): mail-discover's search
//! with this profile's TLS (the system's roots plus the account's CA file) and, when set,
//! the name servers in `TERN_DNS_SERVERS`.

use std::net::SocketAddr;
use std::path::Path;

use anyhow::Context;
use mail_discover::{discover, DiscoverOptions, Discovery};

/// Name servers to ask instead of the system's (`IP:PORT`, comma-separated): for a private
/// resolver, and for tests.
pub const DNS_SERVERS_VARIABLE: &str = "TERN_DNS_SERVERS";

fn name_servers() -> anyhow::Result<Option<Vec<SocketAddr>>> {
    let Ok(value) = std::env::var(DNS_SERVERS_VARIABLE) else {
        return Ok(None);
    };
    let servers = value
        .split(',')
        .map(str::trim)
        .filter(|server| !server.is_empty())
        .map(|server| {
            server
                .parse::<SocketAddr>()
                .with_context(|| format!("{DNS_SERVERS_VARIABLE}: {server} is not IP:PORT"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok((!servers.is_empty()).then_some(servers))
}

/// Searches the servers of `email` (no password is sent anywhere).
pub async fn discover_servers(
    email: &str,
    ca_file: Option<&Path>,
    allow_http: bool,
) -> anyhow::Result<Discovery> {
    let tls = mail_engine::tls_client_config(ca_file)?;
    let options = DiscoverOptions {
        name_servers: name_servers()?,
        allow_http,
        ..DiscoverOptions::new(tls)
    };
    Ok(discover(email, &options).await?)
}
