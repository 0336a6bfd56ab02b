//! The byte stream under an IMAP session: plain TCP or TLS over TCP, and the plaintext policy.

use std::fmt;
use std::io;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

use crate::error::{EngineError, ErrorKind, Result};
use crate::response_limits::{ResponseLimits, ResponseScanner};

/// What an IMAP session reads and writes: the stream with writes buffered until flushed.
/// async-imap writes a command as four pieces (tag, space, text, CRLF) and flushes once;
/// unbuffered, that is four TCP segments per command (TCP_NODELAY is on), which cost a
/// ~4 ms delayed-ACK stall per pipelined delta on loopback.
pub type Wire = tokio::io::BufWriter<GuardedStream>;

/// The server's bytes checked against the connection's [`ResponseLimits`] as they arrive:
/// a literal or response beyond them fails the read (`InvalidData`) before the parser
/// allocates anything for it.
pub struct GuardedStream {
    inner: ImapStream,
    scanner: ResponseScanner,
    limits: Arc<ResponseLimits>,
}

impl fmt::Debug for GuardedStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GuardedStream")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl GuardedStream {
    pub fn new(inner: ImapStream, limits: Arc<ResponseLimits>) -> Self {
        Self {
            inner,
            scanner: ResponseScanner::default(),
            limits,
        }
    }

    pub fn into_inner(self) -> ImapStream {
        self.inner
    }
}

impl AsyncRead for GuardedStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let start = buf.filled().len();
        ready!(Pin::new(&mut this.inner).poll_read(cx, buf))?;
        let limit = this.limits.max_response();
        match this.scanner.feed(&buf.filled()[start..], limit) {
            Ok(()) => Poll::Ready(Ok(())),
            Err(exceeded) => Poll::Ready(Err(io::Error::new(io::ErrorKind::InvalidData, exceeded))),
        }
    }
}

/// Implements `AsyncWrite` for a stream wrapper by handing every write to its `inner`
/// stream (the wrappers only look at what is read).
macro_rules! write_through_inner {
    ($wrapper:ty) => {
        impl tokio::io::AsyncWrite for $wrapper {
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                tokio::io::AsyncWrite::poll_write(
                    std::pin::Pin::new(&mut self.get_mut().inner),
                    cx,
                    buf,
                )
            }

            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                tokio::io::AsyncWrite::poll_flush(std::pin::Pin::new(&mut self.get_mut().inner), cx)
            }

            fn poll_shutdown(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                tokio::io::AsyncWrite::poll_shutdown(
                    std::pin::Pin::new(&mut self.get_mut().inner),
                    cx,
                )
            }
        }
    };
}
pub(crate) use write_through_inner;

write_through_inner!(GuardedStream);

/// Plain or TLS-wrapped TCP.
pub enum ImapStream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl fmt::Debug for ImapStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImapStream::Plain(_) => f.write_str("ImapStream::Plain"),
            ImapStream::Tls(_) => f.write_str("ImapStream::Tls"),
        }
    }
}

impl AsyncRead for ImapStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            ImapStream::Plain(stream) => Pin::new(stream).poll_read(cx, buf),
            ImapStream::Tls(stream) => Pin::new(stream.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for ImapStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            ImapStream::Plain(stream) => Pin::new(stream).poll_write(cx, buf),
            ImapStream::Tls(stream) => Pin::new(stream.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            ImapStream::Plain(stream) => Pin::new(stream).poll_flush(cx),
            ImapStream::Tls(stream) => Pin::new(stream.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            ImapStream::Plain(stream) => Pin::new(stream).poll_shutdown(cx),
            ImapStream::Tls(stream) => Pin::new(stream.as_mut()).poll_shutdown(cx),
        }
    }
}

/// Whether `host` names this machine: `localhost` or a loopback IP address.
/// Other host names count as remote (they could resolve anywhere).
pub fn is_loopback_host(host: &str) -> bool {
    let host = host.trim().trim_start_matches('[').trim_end_matches(']');
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Opens a TCP connection with a deadline.
pub async fn connect_tcp(host: &str, port: u16, timeout: Duration) -> Result<TcpStream> {
    let connecting = TcpStream::connect((host, port));
    let stream = tokio::time::timeout(timeout, connecting)
        .await
        .map_err(|_| {
            EngineError::new(
                ErrorKind::Network,
                format!(
                    "Connecting to {host}:{port} timed out after {} s",
                    timeout.as_secs()
                ),
            )
        })?
        .map_err(|error| {
            EngineError::new(
                ErrorKind::Network,
                format!("Connecting to {host}:{port}: {error}"),
            )
        })?;
    stream.set_nodelay(true).map_err(|error| {
        EngineError::new(ErrorKind::Network, format!("Setting TCP_NODELAY: {error}"))
    })?;
    Ok(stream)
}

/// Runs the TLS handshake over `tcp`, verifying the certificate for `host`.
pub async fn start_tls(
    tcp: TcpStream,
    host: &str,
    config: Arc<rustls::ClientConfig>,
    timeout: Duration,
) -> Result<ImapStream> {
    let name = ServerName::try_from(
        host.trim_start_matches('[')
            .trim_end_matches(']')
            .to_string(),
    )
    .map_err(|error| {
        EngineError::new(
            ErrorKind::Tls,
            format!("Invalid TLS server name {host}: {error}"),
        )
    })?;
    let handshake = TlsConnector::from(config).connect(name, tcp);
    let stream = tokio::time::timeout(timeout, handshake)
        .await
        .map_err(|_| {
            EngineError::new(
                ErrorKind::Network,
                format!("TLS handshake with {host} timed out"),
            )
        })?
        .map_err(|error| {
            EngineError::new(
                ErrorKind::Tls,
                format!("TLS handshake with {host} failed: {error}"),
            )
        })?;
    Ok(ImapStream::Tls(Box::new(stream)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for host in [
            "localhost",
            "LOCALHOST",
            "127.0.0.1",
            "127.8.9.10",
            "::1",
            "[::1]",
        ] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in [
            "example.org",
            "10.0.0.1",
            "192.168.1.1",
            "0.0.0.0",
            "localhost.evil.org",
            "",
        ] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }
}
