//! The mock authorization server's state and rules: codes, grants, tokens and device
//! requests, and the answer to each request.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::json;

use super::http::{encode, Request, Response};

/// How the mock behaves.
#[derive(Debug, Clone)]
pub struct MockConfig {
    /// Lifetime of new access tokens.
    pub expires_in: Duration,
    /// The authorization endpoint denies (`error=access_denied`).
    pub deny: bool,
    /// The device flow's polling interval, in seconds.
    pub interval: u64,
    /// Refreshing hands out a new refresh token (and kills the old one).
    pub rotate_refresh: bool,
}

impl Default for MockConfig {
    fn default() -> Self {
        MockConfig {
            expires_in: Duration::from_secs(3600),
            deny: false,
            interval: 1,
            rotate_refresh: false,
        }
    }
}

/// One sign-in: a user and its refresh token; its access tokens die with it.
#[derive(Debug, Clone)]
pub struct Grant {
    pub user: String,
    pub refresh: String,
    pub alive: bool,
}

struct Code {
    user: String,
    challenge: String,
    redirect_uri: String,
    issued: Instant,
    used: bool,
}

struct AccessToken {
    grant: usize,
    expires: Instant,
}

enum Device {
    Pending { user: String },
    Approved { user: String },
    Denied,
    Done,
}

pub(super) struct State {
    client_id: String,
    pub(super) config: MockConfig,
    codes: HashMap<String, Code>,
    grants: Vec<Grant>,
    access: HashMap<String, AccessToken>,
    /// device_code -> (user_code, state)
    devices: HashMap<String, (String, Device)>,
    pub(super) requests: HashMap<String, usize>,
    counter: u64,
}

fn random_token(prefix: &str, counter: u64) -> String {
    let mut bytes = [0u8; 24];
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_nanos())
        .unwrap_or(0);
    for (index, byte) in bytes.iter_mut().enumerate() {
        *byte = ((nanos >> ((index % 16) * 8)) as u8)
            ^ (counter.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> ((index % 8) * 8)) as u8
            ^ (index as u8).wrapping_mul(31);
    }
    format!(
        "{prefix}{counter}.{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

fn s256(verifier: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, verifier.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref())
}

fn oauth_error(status: u16, error: &str) -> Response {
    Response::json(status, json!({ "error": error }))
}

/// Whether `uri` is an http redirect to this machine (RFC 8252 loopback redirection).
fn loopback_redirect(uri: &str) -> bool {
    let Some(rest) = uri.strip_prefix("http://") else {
        return false;
    };
    let host = rest.split(['/', '?']).next().unwrap_or("");
    let host = host.rsplit_once(':').map_or(host, |(host, _)| host);
    matches!(host, "127.0.0.1" | "localhost" | "[::1]")
}

impl State {
    pub(super) fn new(client_id: &str) -> Self {
        State {
            client_id: client_id.to_string(),
            config: MockConfig::default(),
            codes: HashMap::new(),
            grants: Vec::new(),
            access: HashMap::new(),
            devices: HashMap::new(),
            requests: HashMap::new(),
            counter: 0,
        }
    }

    fn next(&mut self, prefix: &str) -> String {
        self.counter += 1;
        random_token(prefix, self.counter)
    }

    /// A new sign-in of `user` with its refresh token; returns its index.
    fn new_grant(&mut self, user: String) -> usize {
        let refresh = self.next("rt");
        self.grants.push(Grant {
            user,
            refresh,
            alive: true,
        });
        self.grants.len() - 1
    }

    fn new_access(&mut self, grant: usize) -> String {
        let token = self.next("at");
        self.access.insert(
            token.clone(),
            AccessToken {
                grant,
                expires: Instant::now() + self.config.expires_in,
            },
        );
        token
    }

    pub(super) fn issue(&mut self, user: &str, expires_in: Duration) -> (String, String) {
        let grant = self.new_grant(user.to_string());
        let refresh = self.grants[grant].refresh.clone();
        let saved = self.config.expires_in;
        self.config.expires_in = expires_in;
        let access = self.new_access(grant);
        self.config.expires_in = saved;
        (access, refresh)
    }

    fn tokens_response(&mut self, grant: usize) -> Response {
        let access = self.new_access(grant);
        let refresh = self.grants[grant].refresh.clone();
        Response::json(
            200,
            json!({
                "access_token": access,
                "token_type": "Bearer",
                "expires_in": self.config.expires_in.as_secs(),
                "refresh_token": refresh,
                "scope": "mail",
            }),
        )
    }

    pub(super) fn decide_device(&mut self, user_code: &str, approve: bool) -> bool {
        for (code, device) in self.devices.values_mut() {
            if code == user_code {
                if let Device::Pending { user } = device {
                    *device = if approve {
                        Device::Approved { user: user.clone() }
                    } else {
                        Device::Denied
                    };
                    return true;
                }
            }
        }
        false
    }

    pub(super) fn revoke(&mut self, token: &str) {
        if let Some(grant) = self.grants.iter_mut().find(|grant| grant.refresh == token) {
            grant.alive = false;
        }
        self.access.remove(token);
    }

    pub(super) fn expire(&mut self, token: &str) {
        if let Some(access) = self.access.get_mut(token) {
            access.expires = Instant::now();
        }
    }

    pub(super) fn all_tokens(&self) -> Vec<String> {
        self.access
            .keys()
            .cloned()
            .chain(self.grants.iter().map(|grant| grant.refresh.clone()))
            .collect()
    }

    fn active_user(&self, token: &str) -> Option<String> {
        let access = self.access.get(token)?;
        let grant = self.grants.get(access.grant)?;
        (grant.alive && access.expires > Instant::now()).then(|| grant.user.clone())
    }

    pub(super) fn handle(&mut self, request: &Request, port: u16) -> Response {
        *self.requests.entry(request.path.clone()).or_insert(0) += 1;
        let posted_only = ["/token", "/device/code", "/revoke", "/introspect"];
        if posted_only.contains(&request.path.as_str()) && request.method != "POST" {
            return Response::text(405, "POST only");
        }
        let param = |name: &str| request.params.get(name).cloned().unwrap_or_default();
        let issuer = format!("http://127.0.0.1:{port}");
        match request.path.as_str() {
            "/.well-known/oauth-authorization-server" | "/.well-known/openid-configuration" => {
                Response::json(
                    200,
                    json!({
                        "issuer": issuer,
                        "authorization_endpoint": format!("{issuer}/authorize"),
                        "token_endpoint": format!("{issuer}/token"),
                        "device_authorization_endpoint": format!("{issuer}/device/code"),
                        "revocation_endpoint": format!("{issuer}/revoke"),
                        "introspection_endpoint": format!("{issuer}/introspect"),
                        "code_challenge_methods_supported": ["S256"],
                        "grant_types_supported": ["authorization_code", "refresh_token",
                            "urn:ietf:params:oauth:grant-type:device_code"],
                    }),
                )
            }
            "/authorize" => {
                let redirect = param("redirect_uri");
                if param("client_id") != self.client_id || !loopback_redirect(&redirect) {
                    return Response::text(400, "unknown client or redirect URI");
                }
                if param("code_challenge_method") != "S256" || param("code_challenge").is_empty() {
                    return Response::text(400, "PKCE S256 required");
                }
                let state = encode(&param("state"));
                let separator = if redirect.contains('?') { '&' } else { '?' };
                if self.config.deny || request.params.contains_key("mock_deny") {
                    return Response::redirect(format!(
                        "{redirect}{separator}error=access_denied&state={state}"
                    ));
                }
                let user = request
                    .params
                    .get("login_hint")
                    .cloned()
                    .unwrap_or_else(|| "alice".to_string());
                let user = user.split('@').next().unwrap_or("alice").to_string();
                let code = self.next("code");
                self.codes.insert(
                    code.clone(),
                    Code {
                        user,
                        challenge: param("code_challenge"),
                        redirect_uri: redirect.clone(),
                        issued: Instant::now(),
                        used: false,
                    },
                );
                Response::redirect(format!("{redirect}{separator}code={code}&state={state}"))
            }
            "/token" => self.token(request),
            "/device/code" => {
                if param("client_id") != self.client_id {
                    return oauth_error(401, "invalid_client");
                }
                let device_code = self.next("dc");
                self.counter += 1;
                let user_code = format!("ABCD-{:04}", self.counter % 10_000);
                let user = request
                    .params
                    .get("login_hint")
                    .map(|hint| hint.split('@').next().unwrap_or("alice").to_string())
                    .unwrap_or_else(|| "alice".to_string());
                self.devices.insert(
                    device_code.clone(),
                    (user_code.clone(), Device::Pending { user }),
                );
                Response::json(
                    200,
                    json!({
                        "device_code": device_code,
                        "user_code": user_code,
                        "verification_uri": format!("{issuer}/device"),
                        "verification_uri_complete": format!("{issuer}/device?user_code={user_code}"),
                        "expires_in": 600,
                        "interval": self.config.interval,
                    }),
                )
            }
            "/device/approve" | "/device/deny" => {
                let approve = request.path == "/device/approve";
                if self.decide_device(&param("user_code"), approve) {
                    Response::text(200, "done")
                } else {
                    Response::text(404, "no such request")
                }
            }
            "/revoke" => {
                self.revoke(&param("token"));
                Response::text(200, "")
            }
            "/introspect" => match self.active_user(&param("token")) {
                Some(user) => Response::json(
                    200,
                    json!({ "active": true, "username": user, "client_id": self.client_id, "scope": "mail" }),
                ),
                None => Response::json(200, json!({ "active": false })),
            },
            _ => Response::text(404, "not found"),
        }
    }

    fn token(&mut self, request: &Request) -> Response {
        let param = |name: &str| request.params.get(name).cloned().unwrap_or_default();
        if param("client_id") != self.client_id {
            return oauth_error(401, "invalid_client");
        }
        match param("grant_type").as_str() {
            "authorization_code" => {
                let Some(code) = self.codes.get_mut(&param("code")) else {
                    return oauth_error(400, "invalid_grant");
                };
                let valid = !code.used
                    && code.issued.elapsed() < Duration::from_secs(60)
                    && code.redirect_uri == param("redirect_uri")
                    && code.challenge == s256(&param("code_verifier"));
                code.used = true;
                if !valid {
                    return oauth_error(400, "invalid_grant");
                }
                let user = code.user.clone();
                let grant = self.new_grant(user);
                self.tokens_response(grant)
            }
            "refresh_token" => {
                let token = param("refresh_token");
                let Some(grant) = self
                    .grants
                    .iter()
                    .position(|grant| grant.alive && grant.refresh == token)
                else {
                    return oauth_error(400, "invalid_grant");
                };
                if self.config.rotate_refresh {
                    let refresh = self.next("rt");
                    self.grants[grant].refresh = refresh;
                }
                self.tokens_response(grant)
            }
            "urn:ietf:params:oauth:grant-type:device_code" => {
                let device_code = param("device_code");
                let Some((_, device)) = self.devices.get_mut(&device_code) else {
                    return oauth_error(400, "invalid_grant");
                };
                match std::mem::replace(device, Device::Done) {
                    Device::Pending { user } => {
                        *device = Device::Pending { user };
                        oauth_error(400, "authorization_pending")
                    }
                    Device::Denied => {
                        *device = Device::Denied;
                        oauth_error(400, "access_denied")
                    }
                    Device::Done => oauth_error(400, "invalid_grant"),
                    Device::Approved { user } => {
                        let grant = self.new_grant(user);
                        self.tokens_response(grant)
                    }
                }
            }
            _ => oauth_error(400, "unsupported_grant_type"),
        }
    }
}
