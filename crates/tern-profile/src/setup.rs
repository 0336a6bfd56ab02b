//! Adding an account, the one path the CLI and the app share: the rules (`setup_rules.rs`)
//! make the account to store, then its settings are checked by logging in, the password is
//! kept, and the account is stored with its SMTP server and From name. Nothing is stored
//! when a step fails.

use anyhow::Context;
use mail_engine::{
    ConnectSettings, EngineError, ErrorKind, ImapConnection, Password, Secret, Timeouts,
};
use mail_store::{Account, NewAccount, PasswordSource, Store};

use crate::password::store_in_keyring;
use crate::setup_rules::{plan_account, AccountPlan, AccountRequest, SetupRefused};

/// What a person entered to add an account, with the password.
#[derive(Debug, Clone)]
pub struct AccountSetup {
    pub request: AccountRequest,
    pub password: Password,
    /// Log in before storing (off only for scripted setups that know better).
    pub verify: bool,
    /// For an OAuth2 account: the tokens its sign-in just gave (the refresh token is in the
    /// keyring already); the login check uses the access token.
    pub tokens: Option<mail_oauth::Tokens>,
}

/// A refusal as the engine's error kinds (plaintext is a policy refusal), so the app and
/// the CLI explain it like a refused login.
impl From<SetupRefused> for EngineError {
    fn from(refused: SetupRefused) -> Self {
        let kind = match refused {
            SetupRefused::Invalid(_) => ErrorKind::Other,
            SetupRefused::Plaintext(_) | SetupRefused::Untrusted(_) => ErrorKind::Policy,
            SetupRefused::NeedsOAuth2(_) => ErrorKind::Other,
        };
        EngineError::new(kind, refused.to_string())
    }
}

/// The rules applied to `request` (nothing is checked on the network).
pub fn plan(request: &AccountRequest, password: &Password) -> Result<AccountPlan, EngineError> {
    Ok(plan_account(request, password)?)
}

/// Logs in with the settings (and logs out). The error keeps the engine's kind
/// (authentication, TLS, network) for the caller to explain.
pub async fn check_settings(account: &NewAccount, password: &Password) -> anyhow::Result<()> {
    check_settings_with(account, &Secret::Password(password.clone())).await
}

/// [`check_settings`] signing in with `secret` (a password or an access token).
pub async fn check_settings_with(account: &NewAccount, secret: &Secret) -> anyhow::Result<()> {
    let settings = ConnectSettings {
        host: account.imap_host.clone(),
        port: account.imap_port,
        security: account.security,
        username: account.username.clone(),
        ca_file: account.ca_file.as_ref().map(Into::into),
        allow_plaintext: account.allow_plaintext,
    };
    let connection = ImapConnection::connect_with(&settings, secret, Timeouts::default()).await?;
    connection.logout().await;
    Ok(())
}

/// The CA file as an absolute path, checked to exist.
fn resolve_ca_file(request: &mut AccountRequest) -> anyhow::Result<()> {
    if let Some(path) = &request.ca_file {
        if !path.is_file() {
            anyhow::bail!("The CA file {} does not exist", path.display());
        }
        request.ca_file = Some(
            std::fs::canonicalize(path).with_context(|| format!("Resolving {}", path.display()))?,
        );
    }
    Ok(())
}

/// An account checked and ready to store: [`prepare_account`]'s answer, for
/// [`save_account`]. The app prepares without its cache (a login takes seconds), then saves
/// under the running cache's lock.
#[derive(Debug)]
pub struct PreparedAccount {
    pub plan: AccountPlan,
}

/// Applies the rules, checks the settings by logging in (when asked) and keeps the password
/// in the keyring (when the account says so). Nothing touches the cache.
pub async fn prepare_account(mut setup: AccountSetup) -> anyhow::Result<PreparedAccount> {
    resolve_ca_file(&mut setup.request)?;
    let plan = plan(&setup.request, &setup.password)?;
    let email = plan.account.email.clone();
    let secret = match (&plan.account.oauth, &setup.tokens) {
        (None, _) => Secret::Password(setup.password.clone()),
        (Some(_), Some(tokens)) => Secret::Bearer {
            token: tokens.access.clone(),
            mechanism: None,
        },
        (Some(_), None) => anyhow::bail!("Sign in to {email} before adding it"),
    };
    if setup.verify {
        check_settings_with(&plan.account, &secret)
            .await
            .with_context(|| format!("Checking the settings of {email}"))?;
    }
    if plan.account.oauth.is_none() && plan.account.password_source == PasswordSource::Keyring {
        store_in_keyring(&email, &setup.password).await?;
    }
    Ok(PreparedAccount { plan })
}

/// Stores a prepared account, its SMTP server and its From name (an account of the same
/// address is updated: its cache stays). Returns what was stored.
pub fn save_account(store: &mut Store, prepared: &PreparedAccount) -> anyhow::Result<Account> {
    let plan = &prepared.plan;
    let email = &plan.account.email;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs() as i64)
        .unwrap_or(0);
    let id = store.upsert_account(&plan.account, now)?;
    if let Some(server) = &plan.smtp {
        store.set_smtp_server(id, server)?;
    }
    if let Some(name) = &plan.name {
        store.set_display_name(id, Some(name))?;
    }
    store
        .accounts()?
        .into_iter()
        .find(|account| account.id == id)
        .with_context(|| format!("The account {email} was not saved"))
}

/// [`prepare_account`] then [`save_account`]: what the CLI does. Returns what was stored.
pub async fn add_account(
    store: &mut Store,
    setup: AccountSetup,
) -> anyhow::Result<(Account, AccountPlan)> {
    let prepared = prepare_account(setup).await?;
    let account = save_account(store, &prepared)?;
    Ok((account, prepared.plan))
}
