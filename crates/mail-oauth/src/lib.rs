//! OAuth2 sign-in for mail accounts: the issuers (Google, Microsoft, any RFC 8414 server),
//! the browser flow with a loopback redirect and PKCE, the device flow, and access tokens
//! refreshed for the engine. `issuer` and `callback` are pure; `client`, `loopback` and
//! `tokens` talk to the issuer.

mod callback;
mod client;
mod issuer;
mod loopback;
mod tokens;

pub use callback::{parse as parse_callback, Callback};
pub use client::{
    authorization, device_flow, exchange_code, refresh, revoke, Authorization, DeviceCode, Http,
    OAuthError, Tokens,
};
pub use issuer::{builtin, custom, is_loopback_http, Issuer, IssuerError, IssuerId, Metadata};
pub use loopback::sign_in_in_browser;
pub use tokens::{RefreshTokenStore, RefreshingTokens, StoreFuture, EXPIRY_MARGIN};
