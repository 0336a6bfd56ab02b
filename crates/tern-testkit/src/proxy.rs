//! A loopback TCP proxy that can add latency, stall, refuse, and cut connections (also after
//! a given number of bytes from the server), to test and measure behaviour on bad networks.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};

use crate::loopback::Loopback;

struct Control {
    target_port: u16,
    one_way_delay_micros: AtomicU64,
    refuse: AtomicBool,
    /// Cut every connection once this many more server->client bytes have passed (0 = off).
    cut_after_bytes: AtomicU64,
    accepted: AtomicUsize,
    cut_generation: watch::Sender<u64>,
    stalled: watch::Sender<bool>,
    /// Stall everything as soon as a client sends a chunk containing these bytes.
    stall_on: Mutex<Option<Vec<u8>>>,
    /// Everything clients sent, in arrival order (for tests that check which commands went
    /// out); capped at 16 MiB.
    client_bytes: Mutex<Vec<u8>>,
    /// Bytes forwarded each way (client->server, server->client), for benchmarks.
    forwarded: [AtomicU64; 2],
}

/// A running proxy; stops accepting when dropped.
pub struct Proxy {
    pub port: u16,
    control: Arc<Control>,
    _server: Loopback,
}

impl Proxy {
    /// Listens on a free loopback port and forwards to `127.0.0.1:target_port`.
    pub async fn start(target_port: u16) -> anyhow::Result<Proxy> {
        let control = Arc::new(Control {
            target_port,
            one_way_delay_micros: AtomicU64::new(0),
            refuse: AtomicBool::new(false),
            cut_after_bytes: AtomicU64::new(0),
            accepted: AtomicUsize::new(0),
            cut_generation: watch::channel(0).0,
            stalled: watch::channel(false).0,
            stall_on: Mutex::new(None),
            client_bytes: Mutex::new(Vec::new()),
            forwarded: [AtomicU64::new(0), AtomicU64::new(0)],
        });
        let accept_control = control.clone();
        let server = Loopback::serve("proxy", move |client| {
            if accept_control.refuse.load(Ordering::SeqCst) {
                return None;
            }
            accept_control.accepted.fetch_add(1, Ordering::SeqCst);
            let control = accept_control.clone();
            Some(async move {
                if let Ok(server) = TcpStream::connect(("127.0.0.1", control.target_port)).await {
                    relay(client, server, control).await;
                }
            })
        })
        .await?;
        Ok(Proxy {
            port: server.port,
            control,
            _server: server,
        })
    }

    /// Adds `round_trip / 2` of latency in each direction, without limiting throughput.
    pub fn set_round_trip(&self, round_trip: Duration) {
        self.control
            .one_way_delay_micros
            .store((round_trip / 2).as_micros() as u64, Ordering::SeqCst);
    }

    /// Stops (or resumes) forwarding bytes on every connection; connections stay open.
    pub fn stall(&self, stalled: bool) {
        self.control.stalled.send_replace(stalled);
    }

    /// Stalls (as [`Proxy::stall`]) the moment any client sends `text`, before forwarding
    /// it: a command that is guaranteed to go unanswered. Once only.
    pub fn stall_when_client_sends(&self, text: &str) {
        if let Ok(mut stall_on) = self.control.stall_on.lock() {
            *stall_on = Some(text.as_bytes().to_vec());
        }
    }

    /// What clients have sent so far, as text (lossy UTF-8).
    pub fn client_text(&self) -> String {
        self.control
            .client_bytes
            .lock()
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default()
    }

    /// Whether forwarding is stalled (by [`Proxy::stall`] or a stall-on-command trigger).
    /// Bytes forwarded so far: (client to server, server to client).
    pub fn bytes_forwarded(&self) -> (u64, u64) {
        (
            self.control.forwarded[0].load(Ordering::SeqCst),
            self.control.forwarded[1].load(Ordering::SeqCst),
        )
    }

    pub fn is_stalled(&self) -> bool {
        *self.control.stalled.borrow()
    }

    /// Closes every open connection now.
    pub fn cut_all(&self) {
        self.control
            .cut_generation
            .send_modify(|generation| *generation += 1);
    }

    /// Closes every open connection once `bytes` more bytes have gone from server to client.
    pub fn cut_after_server_bytes(&self, bytes: u64) {
        self.control
            .cut_after_bytes
            .store(bytes.max(1), Ordering::SeqCst);
    }

    /// Refuses (closes at once) new connections while on.
    pub fn refuse_new(&self, refuse: bool) {
        self.control.refuse.store(refuse, Ordering::SeqCst);
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> usize {
        self.control.accepted.load(Ordering::SeqCst)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.cut_all();
    }
}

fn stall_if_sending(control: &Control, chunk: &[u8]) {
    let Ok(mut stall_on) = control.stall_on.lock() else {
        return;
    };
    let found = stall_on.as_ref().is_some_and(|text| {
        !text.is_empty()
            && chunk
                .windows(text.len())
                .any(|window| window == text.as_slice())
    });
    if found {
        *stall_on = None;
        control.stalled.send_replace(true);
    }
}

async fn relay(client: TcpStream, server: TcpStream, control: Arc<Control>) {
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    let mut cut = control.cut_generation.subscribe();
    cut.borrow_and_update();
    let upstream = pump(client_read, server_write, control.clone(), false);
    let downstream = pump(server_read, client_write, control.clone(), true);
    tokio::select! {
        _ = upstream => {}
        _ = downstream => {}
        _ = cut.changed() => {}
    }
}

async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    control: Arc<Control>,
    server_to_client: bool,
) {
    let (sender, mut receiver) = mpsc::unbounded_channel::<(Instant, Vec<u8>)>();
    let reader = async move {
        let mut buffer = vec![0u8; 64 * 1024];
        loop {
            match from.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(read) => {
                    if sender
                        .send((Instant::now(), buffer[..read].to_vec()))
                        .is_err()
                    {
                        return;
                    }
                }
            }
        }
    };
    let writer = async move {
        let mut stalled = control.stalled.subscribe();
        while let Some((arrived, chunk)) = receiver.recv().await {
            if !server_to_client {
                stall_if_sending(&control, &chunk);
                if let Ok(mut sent) = control.client_bytes.lock() {
                    if sent.len() + chunk.len() <= 16 << 20 {
                        sent.extend_from_slice(&chunk);
                    }
                }
            }
            let delay = Duration::from_micros(control.one_way_delay_micros.load(Ordering::SeqCst));
            let due = arrived + delay;
            if due > Instant::now() {
                tokio::time::sleep_until(due.into()).await;
            }
            if stalled.wait_for(|stalled| !*stalled).await.is_err() {
                return;
            }
            let mut chunk = chunk.as_slice();
            let mut cut_now = false;
            if server_to_client {
                let budget = control.cut_after_bytes.load(Ordering::SeqCst);
                if budget > 0 {
                    if (chunk.len() as u64) >= budget {
                        chunk = &chunk[..budget as usize];
                        control.cut_after_bytes.store(0, Ordering::SeqCst);
                        cut_now = true;
                    } else {
                        control
                            .cut_after_bytes
                            .store(budget - chunk.len() as u64, Ordering::SeqCst);
                    }
                }
            }
            if to.write_all(chunk).await.is_err() {
                return;
            }
            control.forwarded[usize::from(server_to_client)]
                .fetch_add(chunk.len() as u64, Ordering::SeqCst);
            if cut_now {
                control
                    .cut_generation
                    .send_modify(|generation| *generation += 1);
                return;
            }
        }
        let _ = to.shutdown().await;
    };
    tokio::join!(reader, writer);
}
