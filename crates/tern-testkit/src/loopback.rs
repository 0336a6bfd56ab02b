//! A TCP server on a free loopback port for the test doubles (the lying and scripted IMAP
//! servers, the proxies): every connection goes to a handler on its own task; it stops
//! accepting when dropped (open connections end with their handler).

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use anyhow::Context;
use tokio::net::{TcpListener, TcpStream};

pub struct Loopback {
    pub port: u16,
    accepted: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Loopback {
    /// Listens on `127.0.0.1:0` and hands each accepted connection to `handler` (`what`
    /// names the server in errors). A handler returning `None` refused the connection.
    pub async fn serve<H, F>(what: &str, handler: H) -> anyhow::Result<Loopback>
    where
        H: Fn(TcpStream) -> Option<F> + Send + 'static,
        F: Future<Output = ()> + Send + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .with_context(|| format!("Binding the {what}"))?;
        let port = listener
            .local_addr()
            .with_context(|| format!("The {what}'s address"))?
            .port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let counter = accepted.clone();
        let task = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                if let Some(work) = handler(socket) {
                    counter.fetch_add(1, Ordering::SeqCst);
                    tokio::spawn(work);
                }
            }
        });
        Ok(Loopback {
            port,
            accepted,
            task,
        })
    }

    /// Connections accepted so far (refused ones not counted).
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

impl Drop for Loopback {
    fn drop(&mut self) {
        self.task.abort();
    }
}
