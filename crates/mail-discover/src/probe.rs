//! Probing a guessed server: connect (through the discovery resolver) and complete a real
//! TLS handshake — at once on implicit-TLS ports, after the protocol's STARTTLS on the
//! others. A certificate that does not verify for the host is a failed guess.

use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::ServerName;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use crate::dns::Dns;
use crate::types::{Security, Server};

/// Which protocol speaks before STARTTLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Imap,
    Smtp,
}

/// The longest line read before STARTTLS.
const MAX_LINE: usize = 4096;

async fn read_line(reader: &mut BufReader<TcpStream>) -> Result<String, String> {
    let mut line = String::new();
    let mut limited = reader.take(MAX_LINE as u64);
    limited
        .read_line(&mut line)
        .await
        .map_err(|error| error.to_string())?;
    if line.is_empty() {
        return Err("the server closed the connection".into());
    }
    Ok(line)
}

/// Runs the protocol up to an accepted STARTTLS.
async fn starttls(stream: TcpStream, protocol: Protocol) -> Result<TcpStream, String> {
    let mut reader = BufReader::new(stream);
    match protocol {
        Protocol::Imap => {
            let greeting = read_line(&mut reader).await?;
            if !greeting.starts_with("* OK") {
                return Err(format!("not an IMAP greeting: {}", greeting.trim()));
            }
            reader
                .get_mut()
                .write_all(b"t1 STARTTLS\r\n")
                .await
                .map_err(|error| error.to_string())?;
            loop {
                let line = read_line(&mut reader).await?;
                if line.starts_with("t1 OK") {
                    break;
                }
                if line.starts_with("t1 ") {
                    return Err(format!("STARTTLS refused: {}", line.trim()));
                }
            }
        }
        Protocol::Smtp => {
            // The greeting and the EHLO answer may span several lines ("220-", "250-").
            async fn reply(reader: &mut BufReader<TcpStream>, code: &str) -> Result<(), String> {
                loop {
                    let line = read_line(reader).await?;
                    if !line.starts_with(code) {
                        return Err(format!("expected {code}, got {}", line.trim()));
                    }
                    if line.as_bytes().get(3) != Some(&b'-') {
                        return Ok(());
                    }
                }
            }
            reply(&mut reader, "220").await?;
            for (command, code) in [("EHLO tern.invalid\r\n", "250"), ("STARTTLS\r\n", "220")] {
                reader
                    .get_mut()
                    .write_all(command.as_bytes())
                    .await
                    .map_err(|error| error.to_string())?;
                reply(&mut reader, code).await?;
            }
        }
    }
    if !reader.buffer().is_empty() {
        // Bytes sent before the handshake could be an attacker's injection.
        return Err("the server sent data before the TLS handshake".into());
    }
    Ok(reader.into_inner())
}

/// Whether `server` answers with a TLS certificate valid for its host name, within `timeout`.
pub async fn probe(
    server: &Server,
    protocol: Protocol,
    dns: &Dns,
    tls: Arc<rustls::ClientConfig>,
    timeout: Duration,
) -> Result<(), String> {
    let work = async {
        if server.security == Security::Plain {
            return Err("plaintext is never guessed".to_string());
        }
        let addresses = dns.addresses(&server.host).await?;
        let address = addresses
            .first()
            .ok_or_else(|| format!("{} has no address", server.host))?;
        let stream = TcpStream::connect((*address, server.port))
            .await
            .map_err(|error| error.to_string())?;
        let stream = match server.security {
            Security::StartTls => starttls(stream, protocol).await?,
            Security::Tls | Security::Plain => stream,
        };
        let name = ServerName::try_from(server.host.clone())
            .map_err(|error| format!("invalid server name: {error}"))?;
        TlsConnector::from(tls)
            .connect(name, stream)
            .await
            .map_err(|error| format!("TLS: {error}"))?;
        Ok(())
    };
    match tokio::time::timeout(timeout, work).await {
        Ok(result) => result,
        Err(_) => Err("timed out".into()),
    }
}
