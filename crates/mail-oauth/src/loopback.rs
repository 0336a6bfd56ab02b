//! Signing in through the system browser (RFC 8252): a listener on a free loopback port
//! receives the provider's redirect with the code, which is exchanged with PKCE.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::callback::{self, Callback};
use crate::client::{authorization, exchange_code, Http, OAuthError, Tokens};
use crate::issuer::Issuer;

/// Reads the first line of an HTTP request (at most 8 KiB of head).
async fn request_line(stream: &mut tokio::net::TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > 8 * 1024 || stream.read(&mut byte).await.ok()? == 0 {
            break;
        }
        head.push(byte[0]);
    }
    let text = String::from_utf8_lossy(&head).into_owned();
    text.lines().next().map(str::to_string)
}

/// Signs in: opens `open(url)` (the system browser, or the CLI printing the URL) and waits up
/// to `timeout` for the provider's redirect to a loopback listener.
pub async fn sign_in_in_browser(
    issuer: &Issuer,
    http: &Http,
    login_hint: Option<&str>,
    open: impl FnOnce(&str),
    timeout: Duration,
) -> Result<Tokens, OAuthError> {
    let listener = TcpListener::bind(("127.0.0.1", 0))
        .await
        .map_err(|error| OAuthError::Setup(format!("Listening for the sign-in: {error}")))?;
    let port = listener
        .local_addr()
        .map_err(|error| OAuthError::Setup(error.to_string()))?
        .port();
    let redirect = format!("http://127.0.0.1:{port}/");
    let request = authorization(issuer, &redirect, login_hint)?;
    open(&request.url);
    let state = request.state.clone();
    let wait = async {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                continue;
            };
            let line = request_line(&mut stream).await.unwrap_or_default();
            let callback = callback::parse(&line, &state);
            let _ = stream.write_all(callback::page(&callback).as_bytes()).await;
            let _ = stream.shutdown().await;
            match callback {
                Callback::Stray => continue,
                other => return other,
            }
        }
    };
    let callback = tokio::time::timeout(timeout, wait)
        .await
        .map_err(|_| OAuthError::Declined("no answer from the browser in time".into()))?;
    match callback {
        Callback::Code(code) => exchange_code(issuer, http, request, &code).await,
        Callback::Denied { error, description } => {
            Err(OAuthError::Declined(if description.is_empty() {
                error
            } else {
                format!("{error}: {description}")
            }))
        }
        Callback::Stray => Err(OAuthError::Declined("no code".into())),
    }
}
