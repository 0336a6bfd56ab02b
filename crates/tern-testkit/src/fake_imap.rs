//! A scripted IMAP server that lies: it announces messages in SELECT/EXAMINE but answers every
//! FETCH and SEARCH with OK and no data (what a broken or dishonest server looks like).

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::loopback::Loopback;

/// A running fake server on a loopback port; stops accepting when dropped.
pub struct LyingImapServer {
    pub port: u16,
    _server: Loopback,
}

impl LyingImapServer {
    /// Announces `exists` messages (UIDs 1..=exists) in INBOX, sends none of them.
    pub async fn start(exists: u32) -> anyhow::Result<LyingImapServer> {
        let server = Loopback::serve("fake server", move |socket| {
            Some(async move {
                let _ = serve(socket, exists).await;
            })
        })
        .await?;
        Ok(LyingImapServer {
            port: server.port,
            _server: server,
        })
    }
}

async fn serve(socket: tokio::net::TcpStream, exists: u32) -> std::io::Result<()> {
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read).lines();
    write
        .write_all(b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] fake server ready\r\n")
        .await?;
    while let Some(line) = lines.next_line().await? {
        let mut words = line.splitn(3, ' ');
        let tag = words.next().unwrap_or("*").to_string();
        let command = words.next().unwrap_or("").to_ascii_uppercase();
        let rest = words.next().unwrap_or("").to_ascii_uppercase();
        let reply = match command.as_str() {
            "AUTHENTICATE" => {
                write.write_all(b"+ \r\n").await?;
                let _credentials = lines.next_line().await?;
                format!("{tag} OK logged in\r\n")
            }
            "LOGIN" => format!("{tag} OK logged in\r\n"),
            "CAPABILITY" => format!("* CAPABILITY IMAP4rev1 UIDPLUS\r\n{tag} OK done\r\n"),
            "LIST" => format!("* LIST (\\HasNoChildren) \"/\" INBOX\r\n{tag} OK done\r\n"),
            "SELECT" | "EXAMINE" => format!(
                "* {exists} EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT {}] ok\r\n{tag} OK [READ-ONLY] done\r\n",
                exists + 1
            ),
            "UID" if rest.starts_with("SEARCH") => format!("* SEARCH\r\n{tag} OK done\r\n"),
            "LOGOUT" => format!("* BYE bye\r\n{tag} OK done\r\n"),
            // FETCH, UID FETCH, NOOP, anything else: OK and nothing.
            _ => format!("{tag} OK done\r\n"),
        };
        write.write_all(reply.as_bytes()).await?;
    }
    Ok(())
}
