//! Access tokens for the engine: cached until shortly before they expire, refreshed with the
//! stored refresh token (kept wherever the caller keeps it: the OS keyring), one refresh at a
//! time. A refresh token the issuer no longer accepts means "sign in again", not a retry loop.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mail_engine::{AccessToken, TokenError, TokenFuture, TokenProvider};

use crate::client::{refresh, Http, OAuthError, Tokens};
use crate::issuer::Issuer;

/// A future of a refresh-token store.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, String>> + Send + 'a>>;

/// Where the refresh token lives.
pub trait RefreshTokenStore: Send + Sync {
    fn load(&self) -> StoreFuture<'_, Option<String>>;
    fn save(&self, token: String) -> StoreFuture<'_, ()>;
}

/// Refreshed this long before the issuer's expiry, so a login never races it.
pub const EXPIRY_MARGIN: Duration = Duration::from_secs(60);

struct Cached {
    token: AccessToken,
    expires_at: Option<Instant>,
}

/// Whether the cached token may be handed out now.
fn usable(expires_at: Option<Option<Instant>>, now: Instant, refresh: bool) -> bool {
    match expires_at {
        None => false,
        Some(_) if refresh => false,
        Some(None) => true,
        Some(Some(expires_at)) => now + EXPIRY_MARGIN < expires_at,
    }
}

/// The engine's token provider for one account.
pub struct RefreshingTokens {
    issuer: Issuer,
    http: Http,
    store: Arc<dyn RefreshTokenStore>,
    cached: tokio::sync::Mutex<Option<Cached>>,
}

impl RefreshingTokens {
    pub fn new(issuer: Issuer, http: Http, store: Arc<dyn RefreshTokenStore>) -> Self {
        RefreshingTokens {
            issuer,
            http,
            store,
            cached: tokio::sync::Mutex::new(None),
        }
    }

    /// Starts with the tokens a sign-in just gave (no refresh needed for the first login).
    pub fn with_tokens(self, tokens: &Tokens) -> Self {
        RefreshingTokens {
            cached: tokio::sync::Mutex::new(Some(Cached {
                token: tokens.access.clone(),
                expires_at: tokens.expires_at,
            })),
            ..self
        }
    }

    async fn token(&self, refresh_now: bool) -> Result<AccessToken, TokenError> {
        let mut cached = self.cached.lock().await;
        let expiry = cached.as_ref().map(|cached| cached.expires_at);
        if usable(expiry, Instant::now(), refresh_now) {
            if let Some(cached) = cached.as_ref() {
                return Ok(cached.token.clone());
            }
        }
        let stored = self
            .store
            .load()
            .await
            .map_err(TokenError::Unavailable)?
            .ok_or_else(|| TokenError::SignInNeeded("no sign-in is stored".into()))?;
        let fresh =
            refresh(&self.issuer, &self.http, &stored)
                .await
                .map_err(|error| match error {
                    OAuthError::GrantGone(_) | OAuthError::Declined(_) | OAuthError::Refused(_) => {
                        TokenError::SignInNeeded(error.to_string())
                    }
                    OAuthError::Unavailable(_) | OAuthError::Setup(_) => {
                        TokenError::Unavailable(error.to_string())
                    }
                })?;
        if let Some(rotated) = fresh.refresh.clone().filter(|token| *token != stored) {
            self.store
                .save(rotated)
                .await
                .map_err(TokenError::Unavailable)?;
        }
        tracing::debug!(issuer = %self.issuer.name, "access token refreshed");
        *cached = Some(Cached {
            token: fresh.access.clone(),
            expires_at: fresh.expires_at,
        });
        Ok(fresh.access)
    }
}

impl TokenProvider for RefreshingTokens {
    fn access_token(&self, refresh: bool) -> TokenFuture<'_> {
        Box::pin(self.token(refresh))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cached_token_is_used_until_just_before_it_expires() {
        let now = Instant::now();
        let cases = [
            (None, false, false),
            (Some(None), false, true),
            (Some(None), true, false),
            (Some(Some(now + Duration::from_secs(3600))), false, true),
            (Some(Some(now + Duration::from_secs(3600))), true, false),
            (Some(Some(now + Duration::from_secs(30))), false, false),
            (Some(Some(now)), false, false),
        ];
        for (expiry, refresh, expected) in cases {
            assert_eq!(
                usable(expiry, now, refresh),
                expected,
                "{expiry:?} {refresh}"
            );
        }
    }
}
