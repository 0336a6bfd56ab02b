//! A loopback proxy in front of a real server that keeps both byte streams of every
//! connection, to turn real sessions into [`Transcript`]s.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;

use super::transcript::Transcript;
use crate::loopback::Loopback;

#[derive(Default)]
struct Recorded {
    client: Vec<u8>,
    server: Vec<u8>,
}

/// A running recorder; stops accepting when dropped.
pub struct RecordingProxy {
    pub port: u16,
    connections: Arc<Mutex<Vec<Arc<Mutex<Recorded>>>>>,
    open: Arc<std::sync::atomic::AtomicUsize>,
    _server: Loopback,
}

impl RecordingProxy {
    /// Listens on a free loopback port and forwards to `127.0.0.1:target_port`.
    pub async fn start(target_port: u16) -> anyhow::Result<RecordingProxy> {
        let connections: Arc<Mutex<Vec<Arc<Mutex<Recorded>>>>> = Arc::default();
        let open = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (accepted, counter) = (connections.clone(), open.clone());
        let server = Loopback::serve("recorder", move |client| {
            let recorded = Arc::new(Mutex::new(Recorded::default()));
            if let Ok(mut list) = accepted.lock() {
                list.push(recorded.clone());
            }
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let counter = counter.clone();
            Some(async move {
                if let Ok(server) = TcpStream::connect(("127.0.0.1", target_port)).await {
                    relay(client, server, recorded).await;
                }
                counter.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
            })
        })
        .await?;
        Ok(RecordingProxy {
            port: server.port,
            connections,
            open,
            _server: server,
        })
    }

    /// Connections still open.
    pub fn open_connections(&self) -> usize {
        self.open.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// The sessions recorded so far (one per connection, in the order they were accepted),
    /// and forgets them.
    pub fn take(&self) -> Vec<Transcript> {
        let taken = match self.connections.lock() {
            Ok(mut list) => std::mem::take(&mut *list),
            Err(_) => Vec::new(),
        };
        taken
            .iter()
            .filter_map(|recorded| {
                let recorded = recorded.lock().ok()?;
                Some(Transcript::from_streams(&recorded.client, &recorded.server))
            })
            .collect()
    }
}

async fn relay(client: TcpStream, server: TcpStream, recorded: Arc<Mutex<Recorded>>) {
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    tokio::join!(
        pump(client_read, server_write, &recorded, |r| &mut r.client),
        pump(server_read, client_write, &recorded, |r| &mut r.server),
    );
}

/// Copies one direction until either side closes, appending what passes to `side` of the record.
async fn pump(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    recorded: &Mutex<Recorded>,
    side: fn(&mut Recorded) -> &mut Vec<u8>,
) {
    let mut buffer = vec![0u8; 64 << 10];
    loop {
        let read = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(read) => read,
        };
        if let Ok(mut recorded) = recorded.lock() {
            side(&mut recorded).extend_from_slice(&buffer[..read]);
        }
        if to.write_all(&buffer[..read]).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}
