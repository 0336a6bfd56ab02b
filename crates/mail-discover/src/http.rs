//! HTTPS for discovery: reqwest over the caller's rustls configuration (the system's roots
//! plus the account's CA file) and the discovery resolver, with a deadline, redirects kept
//! on https, and a cap on what is read.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::dns::Dns;

/// reqwest's resolver: the discovery resolver.
struct ViaDns(Dns);

impl Resolve for ViaDns {
    fn resolve(&self, name: Name) -> Resolving {
        let dns = self.0.clone();
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addresses = dns
                .addresses(&host)
                .await
                .map_err(|error| -> Box<dyn std::error::Error + Send + Sync> { error.into() })?;
            let addrs: Addrs = Box::new(
                addresses
                    .into_iter()
                    .map(|ip| SocketAddr::new(ip, 0))
                    .collect::<Vec<_>>()
                    .into_iter(),
            );
            Ok(addrs)
        })
    }
}

/// An HTTP client for small documents.
#[derive(Clone)]
pub struct Http {
    client: reqwest::Client,
}

impl Http {
    /// `allow_http`: plain http URLs may be fetched (and redirected to).
    pub fn new(
        tls: Arc<rustls::ClientConfig>,
        dns: Dns,
        timeout: Duration,
        allow_http: bool,
    ) -> Result<Http, String> {
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured((*tls).clone())
            .dns_resolver(Arc::new(ViaDns(dns)))
            .https_only(!allow_http)
            .redirect(reqwest::redirect::Policy::limited(3))
            .connect_timeout(timeout)
            .timeout(timeout)
            .no_proxy()
            .user_agent(concat!("Tern/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| format!("Setting up HTTPS: {error}"))?;
        Ok(Http { client })
    }

    /// The body of `url` as text, if the server answers 200 within the deadline with at most
    /// `limit` bytes.
    pub async fn get_text(&self, url: &str, limit: usize) -> Result<String, String> {
        let mut response = self
            .client
            .get(url)
            .send()
            .await
            .map_err(|error| describe(&error))?;
        let status = response.status();
        if !status.is_success() {
            return Err(format!("HTTP {}", status.as_u16()));
        }
        if response
            .content_length()
            .is_some_and(|length| length > limit as u64)
        {
            return Err(format!("larger than {limit} bytes"));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|error| describe(&error))? {
            if body.len() + chunk.len() > limit {
                return Err(format!("larger than {limit} bytes"));
            }
            body.extend_from_slice(&chunk);
        }
        String::from_utf8(body).map_err(|_| "not UTF-8 text".to_string())
    }
}

/// A reqwest error with its causes (reqwest's own text is often just "error sending request").
fn describe(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        return "timed out".to_string();
    }
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
