//! The user's Tern profile, shared by the desktop app and the `tern` CLI: one data directory
//! (`--data-dir`, `TERN_DATA_DIR`, or the OS default), its accounts, and their passwords in
//! the OS keyring (service `tern`, user = email), so an account added by one shows in the other.

mod data_dir;
mod discovery;
mod logging;
mod oauth;
mod password;
mod rebuild;
mod removal;
mod session;
mod setup;
mod setup_rules;

pub use data_dir::{choose_account, data_dir, open_store, DATA_DIR_VARIABLE};
pub use discovery::{discover_servers, DNS_SERVERS_VARIABLE};
pub use logging::init_logging;
pub use mail_discover::{provider_for, Discovery, Found, Issuer, Provider, SignIn, Source};
pub use mail_oauth::{DeviceCode, Tokens};
pub use mail_store::OAuthSettings;
pub use oauth::{
    credentials_for, forget_refresh_token, issuer_for, oauth_client_ready, open_in_browser,
    sign_in, KeyringRefreshStore, SignInWay, KEYRING_OAUTH_SERVICE,
};
pub use password::{
    forget_in_keyring, password_for, store_in_keyring, KeyringError, KEYRING_SERVICE,
};
pub use rebuild::{rebuild_cache, Rebuilt};
pub use removal::{
    check_removal, forget_secrets, remove_account, remove_from_cache, RemoveRefused,
};
pub use session::{already_running, hold_session, SessionHeld};
pub use setup::{
    add_account, check_settings, check_settings_with, plan, prepare_account, save_account,
    AccountSetup, PreparedAccount,
};
pub use setup_rules::{
    plan_account, plan_smtp, request_from_found, AccountPlan, AccountRequest, SetupRefused,
    SmtpChoice, SmtpRequest,
};
