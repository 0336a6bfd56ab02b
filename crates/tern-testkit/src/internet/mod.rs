//! A pretend Internet on a private loopback address for discovery tests and benchmarks: a
//! DNS server whose zone the test writes, a test CA and a certificate for the names the
//! test uses, an HTTPS server for autoconfig documents, and TLS services (IMAP and SMTP,
//! implicit or after STARTTLS) on their real ports. Binding ports below 1024 needs root,
//! as the test harness runs. Every answer can be delayed to play a distant network.

mod dns;
mod services;

use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;

pub use dns::{DnsServer, Zone};
pub use services::Service;

/// The pretend Internet. Dropping it stops everything.
pub struct Internet {
    /// The loopback address every name of the zone points at.
    pub ip: Ipv4Addr,
    pub dns: DnsServer,
    /// The test CA (PEM), what clients trust.
    pub ca_file: PathBuf,
    dir: tempfile::TempDir,
    server_tls: Arc<rustls::ServerConfig>,
    latency_ms: Arc<AtomicU64>,
    requests: Arc<Mutex<Vec<String>>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for Internet {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

fn openssl(dir: &std::path::Path, args: &[&str]) -> anyhow::Result<()> {
    let output = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .context("running openssl")?;
    if !output.status.success() {
        anyhow::bail!(
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}

/// A test CA and a server certificate for `names` in `dir`.
fn certificates(dir: &std::path::Path, names: &[&str]) -> anyhow::Result<()> {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "30",
            "-subj",
            "/CN=Tern discovery test CA",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
            "-keyout",
            "ca-key.pem",
            "-out",
            "ca.pem",
        ],
    )?;
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=discovery test",
            "-keyout",
            "key.pem",
            "-out",
            "server.csr",
        ],
    )?;
    let alt: Vec<String> = names.iter().map(|name| format!("DNS:{name}")).collect();
    std::fs::write(
        dir.join("server.ext"),
        format!(
            "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName={}\n",
            alt.join(",")
        ),
    )?;
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca-key.pem",
            "-CAcreateserial",
            "-days",
            "30",
            "-extfile",
            "server.ext",
            "-out",
            "cert.pem",
        ],
    )
}

fn pem_items(path: &std::path::Path) -> anyhow::Result<Vec<rustls_pemfile::Item>> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    rustls_pemfile::read_all(&mut bytes.as_slice())
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("parsing {}", path.display()))
}

fn server_config(dir: &std::path::Path) -> anyhow::Result<Arc<rustls::ServerConfig>> {
    let mut chain = Vec::new();
    for item in pem_items(&dir.join("cert.pem"))? {
        if let rustls_pemfile::Item::X509Certificate(cert) = item {
            chain.push(cert);
        }
    }
    let key = pem_items(&dir.join("key.pem"))?
        .into_iter()
        .find_map(|item| match item {
            rustls_pemfile::Item::Pkcs8Key(key) => Some(key.into()),
            rustls_pemfile::Item::Pkcs1Key(key) => Some(key.into()),
            _ => None,
        })
        .context("no private key")?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    Ok(Arc::new(config))
}

/// A loopback address of its own for this fixture (127.N.N.N, not 127.0.0.1).
fn private_loopback() -> Ipv4Addr {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let seed = u64::from(std::process::id())
        .wrapping_mul(2_654_435_761)
        .wrapping_add(NEXT.fetch_add(1, Ordering::Relaxed).wrapping_mul(40_503))
        .wrapping_add(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|elapsed| u64::from(elapsed.subsec_nanos()))
                .unwrap_or(0),
        );
    let [_, _, _, _, _, a, b, c] = seed.to_be_bytes();
    Ipv4Addr::new(127, 64 | (a & 0x3f), b, c.max(1))
}

impl Internet {
    /// Starts the DNS server and makes a certificate for `names`, every one of which
    /// resolves to this fixture's address.
    pub async fn start(names: &[&str]) -> anyhow::Result<Internet> {
        let dir = tempfile::tempdir()?;
        certificates(dir.path(), names)?;
        let server_tls = server_config(dir.path())?;
        let ip = private_loopback();
        let dns = DnsServer::start(ip).await?;
        dns.edit(|zone| {
            for name in names {
                zone.a(name, ip);
            }
            Ok(())
        })?;
        Ok(Internet {
            ip,
            dns,
            ca_file: dir.path().join("ca.pem"),
            dir,
            server_tls,
            latency_ms: Arc::new(AtomicU64::new(0)),
            requests: Arc::new(Mutex::new(Vec::new())),
            tasks: Vec::new(),
        })
    }

    /// Delays every DNS answer, HTTP response and service greeting by `latency`.
    pub fn set_latency(&self, latency: Duration) -> anyhow::Result<()> {
        let ms = u64::try_from(latency.as_millis()).unwrap_or(u64::MAX);
        self.latency_ms.store(ms, Ordering::Relaxed);
        self.dns.edit(|zone| {
            zone.latency = latency;
            Ok(())
        })
    }

    /// Serves `documents` ("host/path", without scheme or query -> body) over HTTPS on
    /// port 443; anything else is a 404.
    pub async fn serve_https(&mut self, documents: &[(&str, &str)]) -> anyhow::Result<()> {
        self.serve_http_on(443, true, documents).await
    }

    /// The same over plain HTTP on port 80.
    pub async fn serve_plain_http(&mut self, documents: &[(&str, &str)]) -> anyhow::Result<()> {
        self.serve_http_on(80, false, documents).await
    }

    async fn serve_http_on(
        &mut self,
        port: u16,
        tls: bool,
        documents: &[(&str, &str)],
    ) -> anyhow::Result<()> {
        let documents = documents
            .iter()
            .map(|(url, body)| (url.to_ascii_lowercase(), body.to_string()))
            .collect();
        let task = services::http(
            (self.ip, port),
            tls.then(|| self.server_tls.clone()),
            documents,
            self.latency_ms.clone(),
            self.requests.clone(),
        )
        .await?;
        self.tasks.push(task);
        Ok(())
    }

    /// Runs `service` on `port` (its TLS with the fixture's certificate).
    pub async fn serve(&mut self, port: u16, service: Service) -> anyhow::Result<()> {
        let task = services::tls_service(
            (self.ip, port),
            self.server_tls.clone(),
            service,
            self.latency_ms.clone(),
        )
        .await?;
        self.tasks.push(task);
        Ok(())
    }

    /// HTTP(S) requests served so far, as "host/path?query".
    pub fn requests(&self) -> Vec<String> {
        self.requests
            .lock()
            .map(|list| list.clone())
            .unwrap_or_default()
    }

    /// A TLS client configuration that trusts only the test CA.
    pub fn client_tls(&self) -> anyhow::Result<Arc<rustls::ClientConfig>> {
        let mut roots = rustls::RootCertStore::empty();
        for item in pem_items(&self.ca_file)? {
            if let rustls_pemfile::Item::X509Certificate(cert) = item {
                roots.add(cert)?;
            }
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Arc::new(config))
    }

    /// The directory of the certificates.
    pub fn dir(&self) -> &std::path::Path {
        self.dir.path()
    }
}
