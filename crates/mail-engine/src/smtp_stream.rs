//! The connection lettre's SMTP client runs over, opened by us: TCP with TCP_NODELAY (lettre
//! writes the message and its final dot separately; with Nagle's algorithm the dot waited
//! ~40 ms for a delayed ACK), TLS with the same rustls configuration as IMAP (system roots
//! plus the account's CA file, which may pin a self-signed certificate), and STARTTLS done
//! here before lettre takes over — lettre then reads a greeting, so the stream replays one.

use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use lettre::transport::smtp::client::AsyncTokioStream;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;

use crate::error::{EngineError, ErrorKind, Result};
use crate::transport::{connect_tcp, start_tls, ImapStream};

/// A TCP or TLS stream that first yields `replay` (a greeting) to its reader.
#[derive(Debug)]
pub struct SmtpStream {
    replay: Vec<u8>,
    replayed: usize,
    inner: ImapStream,
}

impl SmtpStream {
    fn new(inner: ImapStream, replay: &[u8]) -> Self {
        Self {
            replay: replay.to_vec(),
            replayed: 0,
            inner,
        }
    }
}

impl AsyncRead for SmtpStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.replayed < this.replay.len() {
            let rest = &this.replay[this.replayed..];
            let n = rest.len().min(buf.remaining());
            buf.put_slice(&rest[..n]);
            this.replayed += n;
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

crate::transport::write_through_inner!(SmtpStream);

impl AsyncTokioStream for SmtpStream {
    fn peer_addr(&self) -> io::Result<SocketAddr> {
        match &self.inner {
            ImapStream::Plain(tcp) => tcp.peer_addr(),
            ImapStream::Tls(tls) => tls.get_ref().0.peer_addr(),
        }
    }
}

/// How the SMTP connection is protected.
pub enum Protection<'a> {
    Plain,
    /// TLS from the first byte (port 465).
    Implicit {
        ca_file: Option<&'a Path>,
    },
    /// Plaintext greeting, EHLO, STARTTLS, then TLS (port 587).
    StartTls {
        ca_file: Option<&'a Path>,
    },
}

fn network(message: String) -> EngineError {
    EngineError::new(ErrorKind::Network, message)
}

/// One SMTP reply (all its lines) read byte by byte: nothing after it is consumed, so the
/// TLS handshake that follows a STARTTLS reply starts on a clean stream.
async fn read_reply(tcp: &mut TcpStream) -> Result<(u16, String)> {
    let mut text = String::new();
    loop {
        let mut line = Vec::new();
        loop {
            let byte = tcp
                .read_u8()
                .await
                .map_err(|error| network(format!("Reading the SMTP server's reply: {error}")))?;
            line.push(byte);
            if byte == b'\n' || line.len() > 4096 {
                break;
            }
        }
        let line = String::from_utf8_lossy(&line).trim_end().to_string();
        let code = line
            .get(..3)
            .and_then(|code| code.parse::<u16>().ok())
            .ok_or_else(|| {
                EngineError::new(ErrorKind::Protocol, format!("Not an SMTP reply: {line:?}"))
            })?;
        text.push_str(line.get(4..).unwrap_or(""));
        text.push('\n');
        if line.as_bytes().get(3) != Some(&b'-') {
            return Ok((code, text));
        }
    }
}

async fn command(tcp: &mut TcpStream, line: &str) -> Result<(u16, String)> {
    tcp.write_all(format!("{line}\r\n").as_bytes())
        .await
        .map_err(|error| network(format!("Writing to the SMTP server: {error}")))?;
    read_reply(tcp).await
}

/// Opens the connection for lettre's `connect_with_transport`, which then reads the
/// greeting and says EHLO.
pub async fn open(
    host: &str,
    port: u16,
    protection: Protection<'_>,
    timeout: Duration,
) -> Result<SmtpStream> {
    let tcp = connect_tcp(host, port, timeout).await?;
    match protection {
        Protection::Plain => Ok(SmtpStream::new(ImapStream::Plain(tcp), b"")),
        Protection::Implicit { ca_file } => {
            let config = crate::tls::client_config(ca_file)?;
            Ok(SmtpStream::new(
                start_tls(tcp, host, config, timeout).await?,
                b"",
            ))
        }
        Protection::StartTls { ca_file } => {
            let mut tcp = tcp;
            let exchange = async {
                let (code, text) = read_reply(&mut tcp).await?;
                if code != 220 {
                    return Err(EngineError::new(
                        ErrorKind::ServerRefused,
                        format!("The SMTP server greeted with {code} {}", text.trim()),
                    ));
                }
                let (code, text) = command(&mut tcp, "EHLO localhost").await?;
                let offers = text
                    .lines()
                    .any(|line| line.trim().eq_ignore_ascii_case("STARTTLS"));
                if code != 250 || !offers {
                    return Err(EngineError::new(
                        ErrorKind::Policy,
                        format!("{host} does not offer STARTTLS: choose TLS (port 465) or check the port"),
                    ));
                }
                let (code, text) = command(&mut tcp, "STARTTLS").await?;
                if code != 220 {
                    return Err(EngineError::new(
                        ErrorKind::ServerRefused,
                        format!("The SMTP server refused STARTTLS: {code} {}", text.trim()),
                    ));
                }
                Ok(())
            };
            tokio::time::timeout(timeout, exchange)
                .await
                .map_err(|_| network(format!("{host} did not answer before STARTTLS")))??;
            let config = crate::tls::client_config(ca_file)?;
            let tls = start_tls(tcp, host, config, timeout).await?;
            // After STARTTLS the server sends no new greeting; lettre expects one, then
            // says EHLO again over TLS (as RFC 3207 requires).
            Ok(SmtpStream::new(tls, b"220 tern STARTTLS done\r\n"))
        }
    }
}
