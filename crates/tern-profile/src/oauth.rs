//! OAuth2 for the profile's accounts: the issuer an account names (Google, Microsoft, or a
//! custom one read from its metadata), signing in (the system browser or the device flow),
//! the refresh token in the OS keyring (service `tern-oauth2`, user = email), and the
//! engine's credentials for an account.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use mail_engine::Credentials;
use mail_oauth::{
    builtin, custom, device_flow, sign_in_in_browser, DeviceCode, Http, Issuer, IssuerId, Metadata,
    RefreshTokenStore, RefreshingTokens, StoreFuture, Tokens,
};
use mail_store::{Account, OAuthSettings};

/// The keyring service under which refresh tokens are kept.
pub const KEYRING_OAUTH_SERVICE: &str = "tern-oauth2";

/// How long a person has to finish signing in.
const SIGN_IN_TIMEOUT: Duration = Duration::from_secs(300);

/// The scopes asked of a custom issuer (a mail server's own authorization server).
const CUSTOM_SCOPES: &[&str] = &["mail", "offline_access"];

/// The refresh token of one account, in the OS keyring.
pub struct KeyringRefreshStore {
    email: String,
}

impl KeyringRefreshStore {
    pub fn new(email: &str) -> Self {
        KeyringRefreshStore {
            email: email.to_string(),
        }
    }
}

fn keyring_entry(email: &str) -> Result<keyring::Entry, String> {
    keyring::Entry::new(KEYRING_OAUTH_SERVICE, email).map_err(|error| error.to_string())
}

impl RefreshTokenStore for KeyringRefreshStore {
    fn load(&self) -> StoreFuture<'_, Option<String>> {
        let email = self.email.clone();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || match keyring_entry(&email)?.get_password() {
                Ok(token) => Ok(Some(token)),
                Err(keyring::Error::NoEntry) => Ok(None),
                Err(error) => Err(format!("the OS keyring: {error}")),
            })
            .await
            .map_err(|error| error.to_string())?
        })
    }

    fn save(&self, token: String) -> StoreFuture<'_, ()> {
        let email = self.email.clone();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || {
                keyring_entry(&email)?
                    .set_password(&token)
                    .map_err(|error| format!("the OS keyring: {error}"))
            })
            .await
            .map_err(|error| error.to_string())?
        })
    }
}

/// Forgets an account's refresh token (nothing there is not an error).
pub async fn forget_refresh_token(email: &str) -> anyhow::Result<()> {
    let email = email.to_string();
    tokio::task::spawn_blocking(move || match keyring_entry(&email) {
        Ok(entry) => match entry.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(error) => Err(anyhow::anyhow!("The OS keyring: {error}")),
        },
        Err(error) => Err(anyhow::anyhow!("The OS keyring: {error}")),
    })
    .await
    .context("The keyring task failed")?
}

fn http(ca_file: Option<&Path>) -> anyhow::Result<Http> {
    Ok(Http::new(mail_engine::tls_client_config(ca_file)?)?)
}

/// The issuer an account's settings name, ready to use.
pub async fn issuer_for(
    settings: &OAuthSettings,
    ca_file: Option<&Path>,
) -> anyhow::Result<Issuer> {
    let id = IssuerId::parse(&settings.issuer)
        .with_context(|| format!("{} is not an OAuth2 issuer Tern can use", settings.issuer))?;
    match id {
        IssuerId::Custom(url) => {
            let metadata: Metadata = http(ca_file)?
                .get_json(&format!("{url}/.well-known/oauth-authorization-server"))
                .await
                .with_context(|| format!("Reading the metadata of {url}"))?;
            let client_id = settings
                .client_id
                .as_deref()
                .context("A custom OAuth2 issuer needs the client ID registered there")?;
            let scopes = CUSTOM_SCOPES
                .iter()
                .map(|scope| scope.to_string())
                .collect();
            Ok(custom(&url, metadata, client_id, scopes)?)
        }
        builtin_id => Ok(builtin(&builtin_id, &|name| std::env::var(name).ok())?),
    }
}

/// Whether this build (or the environment) has a client for a provider's issuer; the
/// reason, for a person, when not.
pub fn oauth_client_ready(issuer: mail_discover::Issuer) -> Result<(), String> {
    let id = match issuer {
        mail_discover::Issuer::Google => IssuerId::Google,
        mail_discover::Issuer::Microsoft => IssuerId::Microsoft,
    };
    builtin(&id, &|name| std::env::var(name).ok())
        .map(|_| ())
        .map_err(|error| error.to_string())
}

/// How the person signs in.
pub enum SignInWay<'a> {
    /// The system browser; `open` shows or opens the URL.
    Browser { open: &'a (dyn Fn(&str) + Sync) },
    /// A code to enter on another device; `show` tells it.
    Device {
        show: &'a (dyn Fn(&DeviceCode) + Sync),
    },
}

/// Opens `url` in the person's browser (`$BROWSER`, else `xdg-open`), without waiting;
/// false when none could be started (the caller shows the URL anyway).
pub fn open_in_browser(url: &str) -> bool {
    let opener = std::env::var("BROWSER").unwrap_or_else(|_| "xdg-open".to_string());
    let started = std::process::Command::new(&opener)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    match started {
        Ok(mut child) => {
            // Reaped when it ends (an app runs long: no zombie left behind).
            std::thread::spawn(move || child.wait());
            true
        }
        Err(error) => {
            tracing::debug!(%error, opener, "no browser could be opened");
            false
        }
    }
}

/// Signs `email` in with `settings`' issuer and keeps the refresh token in the keyring.
pub async fn sign_in(
    settings: &OAuthSettings,
    email: &str,
    ca_file: Option<&Path>,
    way: SignInWay<'_>,
) -> anyhow::Result<Tokens> {
    let issuer = issuer_for(settings, ca_file).await?;
    let http = http(ca_file)?;
    let tokens = match way {
        SignInWay::Browser { open } => {
            sign_in_in_browser(
                &issuer,
                &http,
                Some(email),
                |url| open(url),
                SIGN_IN_TIMEOUT,
            )
            .await?
        }
        SignInWay::Device { show } => device_flow(&issuer, &http, |code| show(code)).await?,
    };
    let refresh = tokens
        .refresh
        .clone()
        .context("The provider gave no refresh token: Tern could not stay signed in")?;
    KeyringRefreshStore::new(email)
        .save(refresh)
        .await
        .map_err(|error| anyhow::anyhow!("Keeping the sign-in of {email}: {error}"))?;
    Ok(tokens)
}

/// The engine's credentials for `account`: its password, or refreshed access tokens.
pub async fn credentials_for(account: &Account) -> anyhow::Result<Credentials> {
    let Some(settings) = &account.oauth else {
        return Ok(Credentials::Password(crate::password_for(account).await?));
    };
    let ca_file = account.ca_file.as_deref().map(Path::new);
    let issuer = issuer_for(settings, ca_file).await?;
    let tokens = RefreshingTokens::new(
        issuer,
        http(ca_file)?,
        Arc::new(KeyringRefreshStore::new(&account.email)),
    );
    Ok(Credentials::OAuth2 {
        tokens: Arc::new(tokens),
        mechanism: None,
    })
}
