//! The pretend Internet's servers: HTTPS for documents (HTTP/1.1, one request per
//! connection) and IMAP or SMTP that go as far as a completed TLS handshake and a greeting.

use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

/// What a TLS service speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// IMAP over TLS from the first byte (993).
    ImapTls,
    /// IMAP greeting, STARTTLS, then TLS (143).
    ImapStartTls,
    /// SMTP over TLS from the first byte (465).
    SmtpTls,
    /// SMTP greeting, EHLO, STARTTLS, then TLS (587).
    SmtpStartTls,
}

async fn bind(address: (Ipv4Addr, u16)) -> anyhow::Result<TcpListener> {
    TcpListener::bind(address).await.with_context(|| {
        format!(
            "binding {}:{} (ports below 1024 need root)",
            address.0, address.1
        )
    })
}

async fn delay(latency_ms: &AtomicU64) {
    let ms = latency_ms.load(Ordering::Relaxed);
    if ms > 0 {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
}

/// Reads an HTTP request head: the request line and the Host header.
async fn request_head<S: tokio::io::AsyncRead + Unpin>(stream: &mut S) -> Option<(String, String)> {
    let head = crate::oauth::http::read_head(stream).await?;
    let text = String::from_utf8_lossy(&head).into_owned();
    let mut lines = text.lines();
    let target = lines.next()?.split_whitespace().nth(1)?.to_string();
    let host = lines
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("host")
                .then(|| value.trim().to_string())
        })
        .unwrap_or_default();
    Some((host, target))
}

/// Answers one HTTP request on `stream` from `documents` ("host/path" -> body).
async fn answer_http<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(
    mut stream: S,
    documents: &[(String, String)],
    latency_ms: &AtomicU64,
    requests: &Mutex<Vec<String>>,
) {
    let Some((host, target)) = request_head(&mut stream).await else {
        return;
    };
    if let Ok(mut list) = requests.lock() {
        list.push(format!("{host}{target}"));
    }
    delay(latency_ms).await;
    let host = host.split(':').next().unwrap_or("").to_ascii_lowercase();
    let path = target.split('?').next().unwrap_or("");
    let wanted = format!("{host}{path}");
    let response = match documents.iter().find(|(known, _)| *known == wanted) {
        Some((_, body)) => format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
        None => "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_string(),
    };
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// Serves `documents` over HTTP on `address`, with TLS when `tls` is given.
pub(crate) async fn http(
    address: (Ipv4Addr, u16),
    tls: Option<Arc<rustls::ServerConfig>>,
    documents: Vec<(String, String)>,
    latency_ms: Arc<AtomicU64>,
    requests: Arc<Mutex<Vec<String>>>,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let listener = bind(address).await?;
    let acceptor = tls.map(TlsAcceptor::from);
    let documents = Arc::new(documents);
    Ok(tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, documents, latency_ms, requests) = (
                acceptor.clone(),
                documents.clone(),
                latency_ms.clone(),
                requests.clone(),
            );
            tokio::spawn(async move {
                match acceptor {
                    Some(acceptor) => {
                        if let Ok(stream) = acceptor.accept(tcp).await {
                            answer_http(stream, &documents, &latency_ms, &requests).await;
                        }
                    }
                    None => answer_http(tcp, &documents, &latency_ms, &requests).await,
                }
            });
        }
    }))
}

/// Reads one line (at most 4 KiB).
async fn line(reader: &mut BufReader<TcpStream>) -> Option<String> {
    let mut text = String::new();
    let read = (&mut *reader).take(4096).read_line(&mut text).await.ok()?;
    (read > 0).then_some(text)
}

async fn serve_one(tcp: TcpStream, acceptor: TlsAcceptor, service: Service) -> Option<()> {
    let tcp = match service {
        Service::ImapTls | Service::SmtpTls => tcp,
        Service::ImapStartTls => {
            let mut reader = BufReader::new(tcp);
            reader
                .get_mut()
                .write_all(b"* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n")
                .await
                .ok()?;
            let command = line(&mut reader).await?;
            let tag = command.split_whitespace().next()?.to_string();
            reader
                .get_mut()
                .write_all(format!("{tag} OK Begin TLS\r\n").as_bytes())
                .await
                .ok()?;
            reader.into_inner()
        }
        Service::SmtpStartTls => {
            let mut reader = BufReader::new(tcp);
            reader
                .get_mut()
                .write_all(b"220 pretend ESMTP\r\n")
                .await
                .ok()?;
            line(&mut reader).await?;
            reader
                .get_mut()
                .write_all(b"250-pretend\r\n250 STARTTLS\r\n")
                .await
                .ok()?;
            line(&mut reader).await?;
            reader.get_mut().write_all(b"220 Go ahead\r\n").await.ok()?;
            reader.into_inner()
        }
    };
    let mut stream = acceptor.accept(tcp).await.ok()?;
    let greeting: &[u8] = match service {
        Service::ImapTls => b"* OK ready\r\n",
        Service::SmtpTls => b"220 pretend ESMTP\r\n",
        Service::ImapStartTls | Service::SmtpStartTls => b"",
    };
    stream.write_all(greeting).await.ok()?;
    let mut rest = [0u8; 256];
    let _ = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut rest)).await;
    Some(())
}

pub(crate) async fn tls_service(
    address: (Ipv4Addr, u16),
    tls: Arc<rustls::ServerConfig>,
    service: Service,
    latency_ms: Arc<AtomicU64>,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let listener = bind(address).await?;
    let acceptor = TlsAcceptor::from(tls);
    Ok(tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, latency_ms) = (acceptor.clone(), latency_ms.clone());
            tokio::spawn(async move {
                delay(&latency_ms).await;
                serve_one(tcp, acceptor, service).await;
            });
        }
    }))
}
