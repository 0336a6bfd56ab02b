//! A mock OAuth2 authorization server on loopback, for sign-in tests: RFC 8414 metadata,
//! the authorization endpoint (approves at once, or denies; PKCE S256 required; loopback
//! redirect URIs only), the token endpoint (authorization code, refresh token, device code),
//! device authorization (RFC 8628) with approve / deny hooks the test plays, revocation
//! (RFC 7009) and introspection (RFC 7662, what Dovecot's `passdb oauth2` asks). Hooks under
//! `/_mock/` set token lifetimes, issue tokens without a browser, expire one, count requests.

pub(crate) mod http;
mod state;

use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use state::{Grant, MockConfig};

use crate::loopback::Loopback;

/// The running mock.
pub struct MockIdp {
    pub port: u16,
    state: Arc<Mutex<state::State>>,
    _server: Loopback,
}

impl MockIdp {
    /// Serves on a free loopback port; tokens are for `client_id`.
    pub async fn start(client_id: &str) -> anyhow::Result<MockIdp> {
        let state = Arc::new(Mutex::new(state::State::new(client_id)));
        let shared = state.clone();
        let server = Loopback::serve("mock authorization server", move |mut stream| {
            let state = shared.clone();
            Some(async move {
                let Some(request) = http::read_request(&mut stream).await else {
                    return;
                };
                let port = stream
                    .local_addr()
                    .map(|address| address.port())
                    .unwrap_or(0);
                let response = match state.lock() {
                    Ok(mut state) => state.handle(&request, port),
                    Err(_) => http::Response::text(500, "poisoned"),
                };
                response.write(&mut stream).await;
            })
        })
        .await?;
        let port = server.port;
        Ok(MockIdp {
            port,
            state,
            _server: server,
        })
    }

    /// `http://127.0.0.1:PORT`: the issuer, whose metadata is at
    /// `/.well-known/oauth-authorization-server`.
    pub fn issuer(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn introspection_url(&self) -> String {
        format!("{}/introspect", self.issuer())
    }

    /// Changes the mock's behaviour.
    pub fn configure(&self, change: impl FnOnce(&mut MockConfig)) {
        if let Ok(mut state) = self.state.lock() {
            change(&mut state.config);
        }
    }

    /// Tokens for `user` without the browser step: (access, refresh).
    pub fn issue(&self, user: &str, expires_in: Duration) -> (String, String) {
        match self.state.lock() {
            Ok(mut state) => state.issue(user, expires_in),
            Err(_) => (String::new(), String::new()),
        }
    }

    /// Approves (or denies) the device-flow request with this user code, as the person would.
    pub fn decide_device(&self, user_code: &str, approve: bool) -> bool {
        self.state
            .lock()
            .map(|mut state| state.decide_device(user_code, approve))
            .unwrap_or(false)
    }

    /// Revokes a refresh token and every access token of its grant.
    pub fn revoke(&self, token: &str) {
        if let Ok(mut state) = self.state.lock() {
            state.revoke(token);
        }
    }

    /// Expires a token now.
    pub fn expire(&self, token: &str) {
        if let Ok(mut state) = self.state.lock() {
            state.expire(token);
        }
    }

    /// Requests per path so far.
    pub fn count(&self, path: &str) -> usize {
        self.state
            .lock()
            .map(|state| state.requests.get(path).copied().unwrap_or(0))
            .unwrap_or(0)
    }

    /// Every token issued so far (to check none leaked anywhere).
    pub fn tokens(&self) -> Vec<String> {
        self.state
            .lock()
            .map(|state| state.all_tokens())
            .unwrap_or_default()
    }
}

/// Plays the person's browser: GETs `url` (the authorization URL, http on loopback), then the
/// redirect it answers with (Tern's loopback listener). Returns the final status line.
pub async fn play_browser(url: &str) -> anyhow::Result<String> {
    let (status, location) = get(url).await?;
    let Some(location) = location else {
        return Ok(status);
    };
    let (status, _) = get(&location).await?;
    Ok(status)
}

/// One HTTP GET of an `http://127.0.0.1:PORT/…` URL: (status line, Location header).
async fn get(url: &str) -> anyhow::Result<(String, Option<String>)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| anyhow::anyhow!("not an http URL: {url}"))?;
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let mut stream = tokio::net::TcpStream::connect(authority).await?;
    stream
        .write_all(
            format!("GET /{path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        )
        .await?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await?;
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text.lines().next().unwrap_or_default().to_string();
    let location = text.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.eq_ignore_ascii_case("location")
            .then(|| value.trim().to_string())
    });
    Ok((status, location))
}
