//! Account commands: the app state at start, the provider table and discovery, adding an
//! account (or the demo one) — with a password or an OAuth2 sign-in —, and opening and
//! starting the profile's accounts over the app's one cache handle.

use std::sync::Arc;

use mail_engine::Engine;
use mail_store::{PasswordSource, Security};
use tauri::{AppHandle, Emitter, Runtime, State};
use tern_profile::{
    provider_for, AccountRequest, AccountSetup, SignInWay, SmtpChoice, SmtpRequest,
};

use crate::dto::{
    AccountDto, AccountInput, AccountStateDto, AppEvent, AppStateDto, DiscoveredDto, ErrorCode,
    IpcError, ProviderDto, SecurityDto,
};
use crate::forward::EVENT;
use crate::session::{open_engines, Session};
use crate::state::AppState;

/// Everything the window draws at start, from the cache (then events keep it current).
#[tauri::command]
pub async fn app_state(state: State<'_, AppState>) -> Result<AppStateDto, IpcError> {
    tracing::debug!(target: "tern_app::startup", since_start_ms = crate::timing::since_start_ms(), "app state asked");
    state.wait_started().await;
    let mut accounts = Vec::new();
    for engine in state.all_engines() {
        let account = engine.account();
        let name = state
            .with_cache(|store| store.display_name(account.id))
            .ok()
            .flatten();
        accounts.push(AccountStateDto {
            account: AccountDto {
                email: account.email.clone(),
                name,
                imap_host: account.imap_host.clone(),
                imap_port: account.imap_port,
                security: account.security.as_str().to_string(),
                oauth2: account.oauth.is_some(),
            },
            snapshot: engine.snapshot()?.into(),
            outbox: engine
                .outbox()
                .map(|entries| crate::dto::OutboxCountsDto::of(&entries))
                .unwrap_or_default(),
            can_send: engine.smtp_server().is_ok(),
        });
    }
    tracing::debug!(target: "tern_app::startup", since_start_ms = crate::timing::since_start_ms(), "app state served");
    Ok(AppStateDto {
        accounts,
        settings: crate::commands::desktop::with_autostart(state.settings()),
        demo: state.demo.as_ref().map(|demo| demo.email.clone()),
        startup_error: state
            .startup_error
            .lock()
            .ok()
            .and_then(|error| error.clone()),
    })
}

pub(crate) fn security(value: SecurityDto) -> Security {
    match value {
        SecurityDto::Tls => Security::Tls,
        SecurityDto::Starttls => Security::StartTls,
        SecurityDto::Plain => Security::Plain,
    }
}

pub(crate) fn security_dto(value: Security) -> SecurityDto {
    match value {
        Security::Tls => SecurityDto::Tls,
        Security::StartTls => SecurityDto::Starttls,
        Security::Plain => SecurityDto::Plain,
    }
}

/// The servers of a well-known provider for this address, to fill the form.
#[tauri::command]
pub fn provider(email: String) -> Option<ProviderDto> {
    provider_for(&email).map(|provider| ProviderDto {
        name: provider.name.to_string(),
        imap_host: provider.imap_host.to_string(),
        imap_port: provider.imap_port,
        security: security_dto(provider.imap_security),
        needs_app_password: provider.needs_app_password(),
        smtp_host: provider.smtp_host.to_string(),
        smtp_port: provider.smtp_port,
        smtp_security: security_dto(provider.smtp_security),
    })
}

/// Searches the servers of `email` (autoconfig, MX, SRV, guesses; about 3 s at most) to fill
/// the form; no password is sent anywhere. `None` when nothing was found.
#[tauri::command]
pub async fn discover(email: String) -> Result<Option<DiscoveredDto>, IpcError> {
    let discovery = tern_profile::discover_servers(&email, None, false).await?;
    let Some(found) = discovery.found else {
        return Ok(None);
    };
    let source = match &found.source {
        tern_profile::Source::Table => "Tern's provider table".to_string(),
        tern_profile::Source::Autoconfig { url } => format!("autoconfig {url}"),
        tern_profile::Source::MxProvider { mx } => format!("the mail exchanger {mx}"),
        tern_profile::Source::MxAutoconfig { url, .. } => format!("autoconfig {url}"),
        tern_profile::Source::Srv => "the domain's SRV records".to_string(),
        tern_profile::Source::Guess => "guessed names with valid certificates".to_string(),
    };
    // OAuth2 when this build has a client for the provider; else its app-password route.
    let (oauth2_issuer, sign_in_note) = match found.sign_in {
        tern_profile::SignIn::OAuth2 { issuer, .. } => {
            match tern_profile::oauth_client_ready(issuer) {
                Ok(()) => (Some(issuer_name(issuer).to_string()), None),
                Err(why) => (None, Some(why)),
            }
        }
        _ => (None, None),
    };
    Ok(Some(DiscoveredDto {
        oauth2_issuer,
        sign_in_note,
        trusted: found.source.is_trustworthy(),
        provider: found.provider.clone(),
        source,
        imap_host: found.imap.host.clone(),
        imap_port: found.imap.port,
        security: security_dto(found.imap.security),
        username: found.username.clone(),
        smtp_host: found.smtp.as_ref().map(|smtp| smtp.host.clone()),
        smtp_port: found.smtp.as_ref().map(|smtp| smtp.port),
        smtp_security: found.smtp.as_ref().map(|smtp| security_dto(smtp.security)),
        sign_in: match found.sign_in {
            tern_profile::SignIn::Password => "password",
            tern_profile::SignIn::AppPassword => "app_password",
            tern_profile::SignIn::OAuth2 { .. } => "oauth2",
        }
        .to_string(),
        ms: discovery.ms,
    }))
}

/// The name an OAuth2 issuer has in the account's settings.
fn issuer_name(issuer: tern_profile::Issuer) -> &'static str {
    match issuer {
        tern_profile::Issuer::Google => "google",
        tern_profile::Issuer::Microsoft => "microsoft",
    }
}

/// The form as an account request: an empty SMTP host means none (the account only reads).
pub(crate) fn request(input: &AccountInput) -> AccountRequest {
    let smtp_host = input.smtp_host.trim();
    AccountRequest {
        email: input.email.clone(),
        imap_host: input.imap_host.clone(),
        imap_port: Some(input.imap_port),
        security: security(input.security),
        username: Some(input.username.clone()),
        ca_file: None,
        allow_plaintext: false,
        password_source: PasswordSource::Keyring,
        smtp: if smtp_host.is_empty() {
            SmtpChoice::None
        } else {
            SmtpChoice::Server(SmtpRequest {
                host: smtp_host.to_string(),
                port: Some(input.smtp_port),
                security: security(input.smtp_security),
                username: None,
                saves_sent: None,
            })
        },
        name: None,
        oauth: input
            .oauth2_issuer
            .as_ref()
            .filter(|issuer| !issuer.trim().is_empty())
            .map(|issuer| tern_profile::OAuthSettings {
                issuer: issuer.trim().to_string(),
                client_id: None,
            }),
    }
}

/// A refusal of the rules as the window's error: a missing field is `invalid`, plaintext
/// to a remote host is `policy`.
pub(crate) fn refused(error: mail_engine::EngineError) -> IpcError {
    match error.kind {
        mail_engine::ErrorKind::Other => IpcError::new(ErrorCode::Invalid, error.to_string()),
        _ => IpcError::from(error),
    }
}

/// Logs in with the settings and logs out: a clear error (bad password, TLS, unreachable)
/// before anything is stored.
#[tauri::command]
pub async fn test_connection(input: AccountInput) -> Result<(), IpcError> {
    let request = request(&input);
    let password = mail_engine::Password::new(input.password);
    let plan = tern_profile::plan(&request, &password).map_err(refused)?;
    tern_profile::check_settings(&plan.account, &password).await?;
    Ok(())
}

/// Checks the settings (signing in with the browser first for an OAuth2 account), keeps
/// the password or sign-in in the OS keyring, stores the account and starts it — beside the
/// accounts already running.
#[tauri::command]
pub async fn add_account<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    input: AccountInput,
) -> Result<(), IpcError> {
    let request = request(&input);
    let password = mail_engine::Password::new(input.password);
    tern_profile::plan(&request, &password).map_err(refused)?;
    if state.engine_for(&request.email).is_some() {
        return Err(IpcError::new(
            ErrorCode::Invalid,
            format!("{} is already here", request.email.trim()),
        ));
    }
    let tokens = match &request.oauth {
        Some(settings) => Some(browser_sign_in(settings, request.email.trim(), None).await?),
        None => None,
    };
    add(&app, &state, request, password, tokens).await
}

/// Opens the sign-in page in the person's browser.
fn open_browser(url: &str) {
    if !tern_profile::open_in_browser(url) {
        tracing::warn!("no browser could be opened for the sign-in page");
    }
}

/// Signs `email` in with the browser (Authorization Code + PKCE, a loopback listener) and
/// keeps the refresh token in the keyring. Runs on a blocking thread of its own: the
/// sign-in's future is not `Send` (a borrow across its awaits), which a command needs.
pub(crate) async fn browser_sign_in(
    settings: &tern_profile::OAuthSettings,
    email: &str,
    ca_file: Option<std::path::PathBuf>,
) -> Result<tern_profile::Tokens, IpcError> {
    let settings = settings.clone();
    let email = email.to_string();
    let runtime = tokio::runtime::Handle::current();
    tauri::async_runtime::spawn_blocking(move || {
        runtime.block_on(tern_profile::sign_in(
            &settings,
            &email,
            ca_file.as_deref(),
            SignInWay::Browser {
                open: &open_browser,
            },
        ))
    })
    .await
    .map_err(|error| IpcError::new(ErrorCode::Other, format!("The sign-in stopped: {error}")))?
    .map_err(IpcError::from)
}

/// Adds the demo account offered by `scripts/run.sh`.
#[tauri::command]
pub async fn use_demo<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
) -> Result<(), IpcError> {
    let demo = state
        .demo
        .clone()
        .ok_or_else(|| IpcError::new(ErrorCode::Invalid, "No demo server is running"))?;
    let password = std::env::var(crate::demo::PASSWORD_VARIABLE)
        .map_err(|_| IpcError::new(ErrorCode::Invalid, "The demo server's password is not set"))?;
    let request = demo.request()?;
    add(
        &app,
        &state,
        request,
        mail_engine::Password::new(password),
        None,
    )
    .await
}

/// Logs in (no cache lock held meanwhile), stores the account through the app's cache
/// handle and starts its session.
async fn add<R: Runtime>(
    app: &AppHandle<R>,
    state: &AppState,
    request: AccountRequest,
    password: mail_engine::Password,
    tokens: Option<tern_profile::Tokens>,
) -> Result<(), IpcError> {
    let prepared = tern_profile::prepare_account(AccountSetup {
        request,
        password,
        verify: true,
        tokens,
    })
    .await?;
    let mut sessions = state.sessions.lock().await;
    state.with_cache(|store| tern_profile::save_account(store, &prepared))?;
    start(app, state, &mut sessions).await?;
    let _ = app.emit(EVENT, AppEvent::Reload);
    Ok(())
}

/// Rebuilds a damaged cache (or one from a newer Tern) from the server, keeping what only
/// exists here: the session stops (this app must let go of the cache), `tern_profile`
/// rebuilds, the account opens again and the session restarts (the folder checker brings the
/// mail back). Returns what was kept, in words.
#[tauri::command]
pub async fn rebuild_cache<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
) -> Result<String, IpcError> {
    let mut sessions = state.sessions.lock().await;
    for running in sessions.drain(..) {
        running.stop().await;
    }
    if let Ok(mut engines) = state.engines.lock() {
        engines.clear();
    }
    // The rebuild replaces the file: this app lets go of it first.
    state.forget_cache();
    let dir = state.data_dir.clone();
    let rebuilt = tauri::async_runtime::spawn_blocking(move || tern_profile::rebuild_cache(&dir))
        .await
        .map_err(|error| {
            IpcError::new(ErrorCode::Other, format!("The rebuild stopped: {error}"))
        })??;
    if let Ok(mut error) = state.startup_error.lock() {
        *error = None;
    }
    start(&app, &state, &mut sessions).await?;
    let _ = app.emit(EVENT, AppEvent::Reload);
    Ok(rebuilt.summary())
}

/// Opens the profile's accounts and starts a session for each one not running yet.
pub async fn start<R: Runtime>(
    app: &AppHandle<R>,
    state: &AppState,
    sessions: &mut Vec<Session>,
) -> Result<(), IpcError> {
    let opened = open(app, state).await?;
    start_opened(app, state, sessions, opened);
    Ok(())
}

/// Starts a session for each opened account not running yet; the account whose folder the
/// window shows watches that folder too.
pub fn start_opened<R: Runtime>(
    app: &AppHandle<R>,
    state: &AppState,
    sessions: &mut Vec<Session>,
    opened: Vec<(Arc<Engine>, bool)>,
) {
    let view = state.view();
    let first = opened
        .first()
        .map(|(engine, _)| engine.account().email.clone());
    for (engine, online) in opened {
        let email = engine.account().email.clone();
        if sessions
            .iter()
            .any(|session| session.engine.account().email == email)
        {
            continue;
        }
        let shown = match (&view.account, view.unified) {
            (_, true) => false,
            (Some(account), false) => account.eq_ignore_ascii_case(&email),
            (None, false) => first.as_deref() == Some(email.as_str()),
        };
        let visible = if shown { view.folder.clone() } else { None };
        sessions.push(Session::start(app, engine, online, visible, |events| {
            crate::forward::spawn(app.clone(), events)
        }));
    }
}

/// Opens the profile's accounts (if any) for the commands and the tray, without touching
/// the network yet. Returns each engine and whether it can go online (a password or sign-in);
/// an account already open here keeps its engine.
pub async fn open<R: Runtime>(
    app: &AppHandle<R>,
    state: &AppState,
) -> Result<Vec<(Arc<Engine>, bool)>, IpcError> {
    let opened = open_engines(state.cache()?).await?;
    let mut engines = Vec::with_capacity(opened.len());
    let mut first_problem = None;
    for (engine, problem) in opened {
        let engine = state.engine_for(&engine.account().email).unwrap_or(engine);
        let online = problem.is_none();
        if first_problem.is_none() {
            first_problem = problem;
        }
        let unread = engine
            .snapshot()
            .ok()
            .and_then(|snapshot| {
                snapshot
                    .folders
                    .into_iter()
                    .find(|folder| folder.role.as_deref() == Some("inbox"))
            })
            .map_or(0, |inbox| inbox.unread);
        let email = engine.account().email.clone();
        state.update_view(|view| view.account(&email).inbox_unread = unread);
        engines.push((engine, online));
    }
    if let Ok(mut error) = state.startup_error.lock() {
        *error = first_problem;
    }
    if let Ok(mut current) = state.engines.lock() {
        *current = engines.iter().map(|(engine, _)| engine.clone()).collect();
    }
    let (shown, unread) = state.view().tray();
    crate::tray::show(app, shown, unread);
    Ok(engines)
}
