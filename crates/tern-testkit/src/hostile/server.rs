//! A loopback IMAP server that plays back [`Transcript`]s: it greets, reads commands (with
//! their literals and continuation data), finds the recorded exchange for each — the same
//! command text first, else the same verb — and sends its bytes with the client's tag. It
//! knows nothing of IMAP beyond that, so whatever the (mutated) script says is what the
//! client gets: lies, garbage, answers to other tags, a closed or stalled connection.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::OwnedReadHalf;
use tokio::net::TcpStream;

use super::transcript::{literal_before, split_lines, verb_of, Exchange, Transcript, TAG};
use crate::loopback::Loopback;

/// What the server does after sending an exchange's bytes (set by mutations).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum After {
    /// Go on with the next command.
    #[default]
    Continue,
    /// Close the connection.
    Close,
    /// Keep the connection open and say nothing more (until the client goes away).
    Stall,
}

/// A script to play: the sessions' greeting (the first transcript's) and every recorded
/// exchange, with what to do after each.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Script {
    #[serde(with = "super::transcript::latin1")]
    pub greeting: Vec<u8>,
    pub exchanges: Vec<(Exchange, After)>,
}

impl Script {
    /// Every exchange of `transcripts`, answered as recorded.
    pub fn from_transcripts(transcripts: &[Transcript]) -> Script {
        Script {
            greeting: transcripts
                .first()
                .map(|transcript| transcript.greeting.clone())
                .unwrap_or_else(|| b"* OK ready\r\n".to_vec()),
            exchanges: transcripts
                .iter()
                .flat_map(|transcript| transcript.exchanges.iter().cloned())
                .map(|exchange| (exchange, After::Continue))
                .collect(),
        }
    }
}

/// A running scripted server; stops accepting when dropped (open sessions end with the
/// runtime or when their client leaves).
pub struct ScriptedServer {
    pub port: u16,
    server: Loopback,
}

impl ScriptedServer {
    /// Serves `script` to every connection (each starts at the beginning of the script).
    pub async fn start(script: Script) -> anyhow::Result<ScriptedServer> {
        let script = Arc::new(script);
        let server = Loopback::serve("scripted server", move |socket| {
            let script = script.clone();
            Some(async move {
                let _ = serve(socket, &script).await;
            })
        })
        .await?;
        Ok(ScriptedServer {
            port: server.port,
            server,
        })
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.server.accepted()
    }
}

/// The longest client line the server reads (its own memory stays bounded too).
const MAX_CLIENT_LINE: usize = 1 << 20;

/// Reads one client line, with the literals inside it: `{n+}` data follows at once, `{n}`
/// waits for a continuation, which this sends. `None` at the end of the stream.
async fn read_command(
    reader: &mut BufReader<OwnedReadHalf>,
    writer: &mut tokio::net::tcp::OwnedWriteHalf,
) -> std::io::Result<Option<Vec<u8>>> {
    let mut line = Vec::new();
    loop {
        let before = line.len();
        let read = reader.read_until(b'\n', &mut line).await?;
        if read == 0 {
            return Ok((!line.is_empty()).then_some(line));
        }
        if line.len() > MAX_CLIENT_LINE {
            return Err(std::io::Error::other("client line too long"));
        }
        if !line.ends_with(b"\r\n") {
            continue;
        }
        let content = &line[before..line.len() - 2];
        let synchronizing = content.ends_with(b"}") && !content.ends_with(b"+}");
        match literal_before(&line[..line.len() - 2]) {
            Some(size) if size <= MAX_CLIENT_LINE => {
                if synchronizing {
                    writer.write_all(b"+ Ready for literal data\r\n").await?;
                }
                let mut data = vec![0u8; size];
                reader.read_exact(&mut data).await?;
                line.extend_from_slice(&data);
            }
            _ => return Ok(Some(line)),
        }
    }
}

/// The exchange for `command`: the same text not yet used, else the same verb not yet used,
/// else the same verb again.
fn find(script: &Script, used: &[bool], command: &[u8]) -> Option<usize> {
    let verb = verb_of(command);
    let exchanges = &script.exchanges;
    (0..exchanges.len())
        .find(|&index| !used[index] && exchanges[index].0.command.starts_with(first_line(command)))
        .or_else(|| {
            (0..exchanges.len()).find(|&index| !used[index] && exchanges[index].0.verb() == verb)
        })
        .or_else(|| (0..exchanges.len()).find(|&index| exchanges[index].0.verb() == verb))
}

fn first_line(command: &[u8]) -> &[u8] {
    match command.windows(2).position(|pair| pair == b"\r\n") {
        Some(end) => &command[..end + 2],
        None => command,
    }
}

fn with_tag(bytes: &[u8], tag: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + tag.len());
    let mut rest = bytes;
    while let Some(position) = rest.windows(TAG.len()).position(|window| window == TAG) {
        out.extend_from_slice(&rest[..position]);
        out.extend_from_slice(tag);
        rest = &rest[position + TAG.len()..];
    }
    out.extend_from_slice(rest);
    out
}

async fn serve(socket: TcpStream, script: &Script) -> std::io::Result<()> {
    let (read, mut writer) = socket.into_split();
    let mut reader = BufReader::new(read);
    writer.write_all(&script.greeting).await?;
    let mut used = vec![false; script.exchanges.len()];
    while let Some(line) = read_command(&mut reader, &mut writer).await? {
        let Some(space) = line.iter().position(|byte| *byte == b' ') else {
            // `DONE` or data nobody asked for: nothing to answer.
            continue;
        };
        let (tag, command) = (&line[..space], &line[space + 1..]);
        let Some(index) = find(script, &used, command) else {
            let mut answer = tag.to_vec();
            answer.extend_from_slice(b" BAD Not in the script\r\n");
            writer.write_all(&answer).await?;
            continue;
        };
        used[index] = true;
        let (exchange, after) = &script.exchanges[index];
        let response = with_tag(&exchange.response, tag);
        let pieces = split_lines(&response);
        if exchange.verb() == "IDLE" {
            // Everything up to the tagged answer (the go-ahead and the pushes) at once; the
            // tagged answer after the client's DONE.
            let held_back = pieces
                .iter()
                .rposition(|piece| piece.starts_with(tag) && !tag.is_empty())
                .unwrap_or(pieces.len());
            for piece in &pieces[..held_back] {
                writer.write_all(piece).await?;
            }
            if held_back < pieces.len() {
                if read_command(&mut reader, &mut writer).await?.is_none() {
                    return Ok(());
                }
                for piece in &pieces[held_back..] {
                    writer.write_all(piece).await?;
                }
            }
        } else {
            // A continuation request waits for the client's next line (AUTHENTICATE data)
            // before the rest is sent. (Written piece by piece: the test's own memory stays
            // small whatever a mutation made of the answer.)
            let mut writer_buffered = tokio::io::BufWriter::new(&mut writer);
            for piece in pieces {
                writer_buffered.write_all(piece).await?;
                if piece.starts_with(b"+") {
                    writer_buffered.flush().await?;
                    if read_command(&mut reader, writer_buffered.get_mut())
                        .await?
                        .is_none()
                    {
                        return Ok(());
                    }
                }
            }
            writer_buffered.flush().await?;
        }
        match after {
            After::Continue => {}
            After::Close => {
                let _ = writer.shutdown().await;
                return Ok(());
            }
            After::Stall => {
                // Read and ignore until the client gives up.
                let mut sink = [0u8; 4096];
                loop {
                    match tokio::time::timeout(Duration::from_secs(60), reader.read(&mut sink))
                        .await
                    {
                        Ok(Ok(0)) | Ok(Err(_)) | Err(_) => return Ok(()),
                        Ok(Ok(_)) => {}
                    }
                }
            }
        }
    }
    Ok(())
}
