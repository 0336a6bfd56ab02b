//! How an account signs in: a password, or OAuth2 access tokens from a provider the caller
//! supplies (which refreshes them and keeps the refresh token). Tokens never print.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::account::Password;

/// An OAuth2 access token. `Debug` and `Display` print a placeholder.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken(String);

impl AccessToken {
    pub fn new(token: impl Into<String>) -> Self {
        AccessToken(token.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken(<redacted>)")
    }
}

impl fmt::Display for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// The SASL mechanism that carries a bearer token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BearerMechanism {
    /// Google's and Microsoft's `XOAUTH2`.
    XOAuth2,
    /// RFC 7628 `OAUTHBEARER`.
    OAuthBearer,
}

impl BearerMechanism {
    pub fn name(self) -> &'static str {
        match self {
            BearerMechanism::XOAuth2 => "XOAUTH2",
            BearerMechanism::OAuthBearer => "OAUTHBEARER",
        }
    }
}

/// What one login presents.
#[derive(Debug, Clone)]
pub enum Secret {
    Password(Password),
    /// A bearer token, with the mechanism to carry it (`None`: the best the server offers,
    /// OAUTHBEARER before XOAUTH2).
    Bearer {
        token: AccessToken,
        mechanism: Option<BearerMechanism>,
    },
}

/// Why no access token could be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// The grant is gone (revoked, expired, password changed): the person must sign in again.
    #[error("{0}")]
    SignInNeeded(String),
    /// The provider could not be reached or failed for now: try again later.
    #[error("{0}")]
    Unavailable(String),
}

/// A future of the token provider.
pub type TokenFuture<'a> =
    Pin<Box<dyn Future<Output = Result<AccessToken, TokenError>> + Send + 'a>>;

/// Hands out access tokens for one account.
pub trait TokenProvider: Send + Sync {
    /// A token valid for a while; `refresh`: the last one was refused, get a new one.
    fn access_token(&self, refresh: bool) -> TokenFuture<'_>;
}

/// How an account signs in.
#[derive(Clone)]
pub enum Credentials {
    Password(Password),
    OAuth2 {
        tokens: Arc<dyn TokenProvider>,
        mechanism: Option<BearerMechanism>,
    },
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::Password(_) => f.write_str("Credentials::Password(<redacted>)"),
            Credentials::OAuth2 { mechanism, .. } => {
                write!(f, "Credentials::OAuth2 {{ mechanism: {mechanism:?} }}")
            }
        }
    }
}

impl From<Password> for Credentials {
    fn from(password: Password) -> Self {
        Credentials::Password(password)
    }
}

/// The SASL initial response carrying `token` for `user` (RFC 7628 §3.1 for OAUTHBEARER;
/// Google's format for XOAUTH2), before base64.
pub fn bearer_response(mechanism: BearerMechanism, user: &str, token: &AccessToken) -> Vec<u8> {
    let token = token.expose();
    match mechanism {
        BearerMechanism::XOAuth2 => format!("user={user}\x01auth=Bearer {token}\x01\x01"),
        BearerMechanism::OAuthBearer => format!("n,a={user},\x01auth=Bearer {token}\x01\x01"),
    }
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sasl_responses_follow_the_formats_servers_check() {
        let token = AccessToken::new("ya29.abc");
        let cases = [
            (
                BearerMechanism::XOAuth2,
                "user=alice@x.test\x01auth=Bearer ya29.abc\x01\x01",
            ),
            (
                BearerMechanism::OAuthBearer,
                "n,a=alice@x.test,\x01auth=Bearer ya29.abc\x01\x01",
            ),
        ];
        for (mechanism, expected) in cases {
            assert_eq!(
                bearer_response(mechanism, "alice@x.test", &token),
                expected.as_bytes()
            );
        }
    }

    #[test]
    fn tokens_never_print() {
        let token = AccessToken::new("secret-token");
        let secret = Secret::Bearer {
            token: token.clone(),
            mechanism: None,
        };
        let printed = format!("{token:?} {token} {secret:?}");
        assert!(!printed.contains("secret-token"), "{printed}");
    }
}
