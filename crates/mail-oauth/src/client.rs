//! Talking to an issuer with the `oauth2` crate over reqwest (the project's rustls
//! configuration): the authorization URL with PKCE, exchanging a code, the device flow,
//! refreshing and revoking. Turns the provider's answers into `Tokens` or a typed failure.

use std::sync::Arc;
use std::time::{Duration, Instant};

use oauth2::basic::{BasicClient, BasicErrorResponseType};
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, DeviceAuthorizationUrl,
    EndpointMaybeSet, EndpointNotSet, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl,
    RefreshToken, RequestTokenError, RevocationUrl, Scope, StandardDeviceAuthorizationResponse,
    StandardRevocableToken, TokenResponse, TokenUrl,
};

use crate::issuer::{is_loopback_http, Issuer};

type Client = BasicClient<
    EndpointMaybeSet,
    EndpointMaybeSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// What a sign-in or a refresh gives.
#[derive(Clone)]
pub struct Tokens {
    pub access: mail_engine::AccessToken,
    /// When the access token stops working (as the issuer said; `None`: it did not say).
    pub expires_at: Option<Instant>,
    /// A refresh token, when the issuer gave one (a refresh may omit it: the old one stays).
    pub refresh: Option<String>,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens")
            .field("expires_at", &self.expires_at)
            .field("refresh", &self.refresh.as_ref().map(|_| "<redacted>"))
            .finish_non_exhaustive()
    }
}

/// Why a request to the issuer failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OAuthError {
    /// The grant is gone (revoked, expired, never valid): sign in again.
    #[error("the sign-in is no longer valid ({0}): sign in again")]
    GrantGone(String),
    /// The person declined (or the device request was denied or expired).
    #[error("sign-in declined: {0}")]
    Declined(String),
    /// The issuer refused the request for another reason (client not registered, …).
    #[error("the provider refused: {0}")]
    Refused(String),
    /// The issuer could not be reached or answered nonsense: try again later.
    #[error("the provider could not be reached: {0}")]
    Unavailable(String),
    #[error("{0}")]
    Setup(String),
}

/// The HTTP side of the oauth2 crate.
#[derive(Clone)]
pub struct Http {
    client: reqwest::Client,
}

/// An HTTP failure, for the oauth2 crate.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct HttpError(String);

impl Http {
    pub fn new(tls: Arc<rustls::ClientConfig>) -> Result<Http, OAuthError> {
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured((*tls).clone())
            // Token endpoints answer directly; a redirect there is not to be followed.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(20))
            .user_agent(concat!("Tern/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| OAuthError::Setup(format!("Setting up HTTPS: {error}")))?;
        Ok(Http { client })
    }

    async fn execute(
        &self,
        request: oauth2::HttpRequest,
    ) -> Result<oauth2::HttpResponse, HttpError> {
        let url = request.uri().to_string();
        if !url.starts_with("https://") && !is_loopback_http(&url) {
            return Err(HttpError(format!("refusing plain http to {url}")));
        }
        let (parts, body) = request.into_parts();
        let mut builder = self.client.request(parts.method, url);
        for (name, value) in &parts.headers {
            builder = builder.header(name, value);
        }
        let response = builder
            .body(body)
            .send()
            .await
            .map_err(|error| HttpError(error.to_string()))?;
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .bytes()
            .await
            .map_err(|error| HttpError(error.to_string()))?;
        if bytes.len() > 1 << 20 {
            return Err(HttpError("answer larger than 1 MiB".into()));
        }
        let mut answer = http::Response::builder().status(status.as_u16());
        for (name, value) in &headers {
            answer = answer.header(name.as_str(), value.as_bytes());
        }
        answer
            .body(bytes.to_vec())
            .map_err(|error| HttpError(error.to_string()))
    }

    /// GETs a JSON document (an issuer's metadata).
    pub async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        url: &str,
    ) -> Result<T, OAuthError> {
        if !url.starts_with("https://") && !is_loopback_http(url) {
            return Err(OAuthError::Setup(format!("refusing plain http to {url}")));
        }
        let response = self
            .client
            .get(url)
            .send()
            .await
            .map_err(|error| OAuthError::Unavailable(error.to_string()))?;
        if !response.status().is_success() {
            return Err(OAuthError::Unavailable(format!(
                "HTTP {}",
                response.status()
            )));
        }
        let bytes = response
            .bytes()
            .await
            .map_err(|error| OAuthError::Unavailable(error.to_string()))?;
        serde_json::from_slice(&bytes)
            .map_err(|error| OAuthError::Unavailable(format!("not the expected JSON: {error}")))
    }
}

impl<'c> oauth2::AsyncHttpClient<'c> for Http {
    type Error = HttpError;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<oauth2::HttpResponse, HttpError>> + Send + 'c>,
    >;

    fn call(&'c self, request: oauth2::HttpRequest) -> Self::Future {
        Box::pin(self.execute(request))
    }
}

fn url<T>(
    make: fn(String) -> Result<T, oauth2::url::ParseError>,
    text: &str,
) -> Result<T, OAuthError> {
    make(text.to_string()).map_err(|error| OAuthError::Setup(format!("{text}: {error}")))
}

fn client(issuer: &Issuer, redirect: Option<&str>) -> Result<Client, OAuthError> {
    let mut client = BasicClient::new(ClientId::new(issuer.client_id.clone()))
        .set_auth_uri_option(Some(url(AuthUrl::new, &issuer.authorization_url)?))
        .set_token_uri_option(Some(url(TokenUrl::new, &issuer.token_url)?))
        .set_device_authorization_url_option(
            issuer
                .device_url
                .as_deref()
                .map(|text| url(DeviceAuthorizationUrl::new, text))
                .transpose()?,
        )
        .set_revocation_url_option(
            issuer
                .revocation_url
                .as_deref()
                .map(|text| url(RevocationUrl::new, text))
                .transpose()?,
        );
    if let Some(secret) = &issuer.client_secret {
        client = client.set_client_secret(ClientSecret::new(secret.clone()));
    }
    if let Some(redirect) = redirect {
        client = client.set_redirect_uri(url(RedirectUrl::new, redirect)?);
    }
    Ok(client)
}

fn tokens(response: &impl TokenResponse) -> Tokens {
    Tokens {
        access: mail_engine::AccessToken::new(response.access_token().secret().clone()),
        expires_at: response
            .expires_in()
            .map(|lifetime| Instant::now() + lifetime),
        refresh: response.refresh_token().map(|token| token.secret().clone()),
    }
}

/// Maps the crate's token errors: `invalid_grant` means the grant is gone.
fn token_error<E: std::error::Error>(
    error: RequestTokenError<E, oauth2::basic::BasicErrorResponse>,
) -> OAuthError {
    match error {
        RequestTokenError::ServerResponse(response) => {
            let text = response.error().to_string();
            match response.error() {
                BasicErrorResponseType::InvalidGrant => OAuthError::GrantGone(text),
                _ => OAuthError::Refused(text),
            }
        }
        RequestTokenError::Request(error) => OAuthError::Unavailable(error.to_string()),
        RequestTokenError::Parse(error, _) => {
            OAuthError::Unavailable(format!("unreadable answer: {error}"))
        }
        RequestTokenError::Other(text) => OAuthError::Unavailable(text),
    }
}

/// An authorization request for the browser: its URL, and what the return must match.
pub struct Authorization {
    pub url: String,
    pub state: String,
    verifier: PkceCodeVerifier,
    redirect: String,
}

/// Starts a sign-in: the URL to open (PKCE S256, the given state) returning to `redirect`.
pub fn authorization(
    issuer: &Issuer,
    redirect: &str,
    login_hint: Option<&str>,
) -> Result<Authorization, OAuthError> {
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let client = client(issuer, Some(redirect))?;
    let mut request = client
        .authorize_url(CsrfToken::new_random)
        .map_err(|error| OAuthError::Setup(error.to_string()))?
        .add_scopes(issuer.scopes.iter().cloned().map(Scope::new))
        .set_pkce_challenge(challenge);
    if let Some(hint) = login_hint {
        request = request.add_extra_param("login_hint", hint.to_string());
    }
    let (url, state) = request.url();
    Ok(Authorization {
        url: url.to_string(),
        state: state.secret().clone(),
        verifier,
        redirect: redirect.to_string(),
    })
}

/// Exchanges the code the browser brought back.
pub async fn exchange_code(
    issuer: &Issuer,
    http: &Http,
    authorization: Authorization,
    code: &str,
) -> Result<Tokens, OAuthError> {
    let client = client(issuer, Some(&authorization.redirect))?;
    let request = client
        .exchange_code(AuthorizationCode::new(code.to_string()))
        .map_err(|error| OAuthError::Setup(error.to_string()))?
        .set_pkce_verifier(authorization.verifier);
    let response = request.request_async(http).await.map_err(token_error)?;
    Ok(tokens(&response))
}

/// A fresh access token for `refresh_token`.
pub async fn refresh(
    issuer: &Issuer,
    http: &Http,
    refresh_token: &str,
) -> Result<Tokens, OAuthError> {
    let client = client(issuer, None)?;
    let token = RefreshToken::new(refresh_token.to_string());
    let response = client
        .exchange_refresh_token(&token)
        .map_err(|error| OAuthError::Setup(error.to_string()))?
        .request_async(http)
        .await
        .map_err(token_error)?;
    Ok(tokens(&response))
}

/// What the person is asked to do in the device flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceCode {
    pub user_code: String,
    pub verification_uri: String,
    pub verification_uri_complete: Option<String>,
    pub expires_in: Duration,
}

/// The device flow (RFC 8628): asks for a code, shows it (`show`), and polls until the person
/// approved it elsewhere, declined, or it expired.
pub async fn device_flow(
    issuer: &Issuer,
    http: &Http,
    show: impl FnOnce(&DeviceCode),
) -> Result<Tokens, OAuthError> {
    let client = client(issuer, None)?;
    let details: StandardDeviceAuthorizationResponse = client
        .exchange_device_code()
        .map_err(|_| OAuthError::Setup(format!("{} offers no device sign-in", issuer.name)))?
        .add_scopes(issuer.scopes.iter().cloned().map(Scope::new))
        .request_async(http)
        .await
        .map_err(|error| match error {
            RequestTokenError::ServerResponse(response) => {
                OAuthError::Refused(response.error().to_string())
            }
            other => OAuthError::Unavailable(other.to_string()),
        })?;
    show(&DeviceCode {
        user_code: details.user_code().secret().clone(),
        verification_uri: details.verification_uri().to_string(),
        verification_uri_complete: details
            .verification_uri_complete()
            .map(|uri| uri.secret().clone()),
        expires_in: details.expires_in(),
    });
    let response = client
        .exchange_device_access_token(&details)
        .map_err(|error| OAuthError::Setup(error.to_string()))?
        .request_async(
            &|request| http.execute(request),
            tokio::time::sleep,
            Some(details.expires_in()),
        )
        .await
        .map_err(|error| match error {
            RequestTokenError::ServerResponse(response) => {
                OAuthError::Declined(response.error().to_string())
            }
            other => OAuthError::Unavailable(other.to_string()),
        })?;
    Ok(tokens(&response))
}

/// Tells the issuer to forget a refresh token (best effort: not every issuer can).
pub async fn revoke(issuer: &Issuer, http: &Http, refresh_token: &str) -> Result<(), OAuthError> {
    let client = client(issuer, None)?;
    let Ok(request) = client.revoke_token(StandardRevocableToken::RefreshToken(RefreshToken::new(
        refresh_token.to_string(),
    ))) else {
        return Ok(());
    };
    request
        .request_async(http)
        .await
        .map_err(|error| OAuthError::Unavailable(error.to_string()))
}
