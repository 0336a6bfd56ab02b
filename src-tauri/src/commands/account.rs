//! Account commands: the app state at start, the provider table, adding an account (or the
//! demo one).

use std::sync::Arc;

use mail_engine::Engine;
use mail_store::{PasswordSource, Security};
use tauri::{AppHandle, Emitter, Runtime, State};
use tern_profile::{
    add_account as add_to_profile, provider_for, AccountRequest, AccountSetup, SmtpChoice,
    SmtpRequest,
};

use crate::dto::{
    AccountDto, AccountInput, AppEvent, AppStateDto, DiscoveredDto, ErrorCode, IpcError,
    ProviderDto, SecurityDto,
};
use crate::forward::EVENT;
use crate::session::{open_engines, Session};
use crate::state::AppState;

/// Everything the window draws at start, from the cache (then events keep it current).
#[tauri::command]
pub async fn app_state(state: State<'_, AppState>) -> Result<AppStateDto, IpcError> {
    tracing::debug!(target: "tern_app::startup", since_start_ms = crate::timing::since_start_ms(), "app state asked");
    state.wait_started().await;
    let engine = state.engine().ok();
    let (account, snapshot) = match &engine {
        Some(engine) => {
            let account = engine.account();
            (
                Some(AccountDto {
                    email: account.email.clone(),
                    imap_host: account.imap_host.clone(),
                    imap_port: account.imap_port,
                    security: account.security.as_str().to_string(),
                }),
                Some(engine.snapshot()?.into()),
            )
        }
        None => (None, None),
    };
    let (outbox, can_send) = match &engine {
        Some(engine) => (
            engine
                .outbox()
                .map(|entries| crate::dto::OutboxCountsDto::of(&entries))
                .unwrap_or_default(),
            engine.smtp_server().is_ok(),
        ),
        None => (Default::default(), false),
    };
    tracing::debug!(target: "tern_app::startup", since_start_ms = crate::timing::since_start_ms(), "app state served");
    Ok(AppStateDto {
        outbox,
        can_send,
        account,
        snapshot,
        settings: state.settings(),
        demo: state.demo.as_ref().map(|demo| demo.email.clone()),
        startup_error: state
            .startup_error
            .lock()
            .ok()
            .and_then(|error| error.clone()),
    })
}

fn security(value: SecurityDto) -> Security {
    match value {
        SecurityDto::Tls => Security::Tls,
        SecurityDto::Starttls => Security::StartTls,
        SecurityDto::Plain => Security::Plain,
    }
}

fn security_dto(value: Security) -> SecurityDto {
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
        security: security_dto(tern_profile::store_security(provider.imap_security)),
        needs_app_password: provider.needs_app_password(),
        smtp_host: provider.smtp_host.to_string(),
        smtp_port: provider.smtp_port,
        smtp_security: security_dto(tern_profile::store_security(provider.smtp_security)),
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
    let security = |value| security_dto(tern_profile::store_security(value));
    Ok(Some(DiscoveredDto {
        trusted: found.source.is_trustworthy(),
        provider: found.provider.clone(),
        source,
        imap_host: found.imap.host.clone(),
        imap_port: found.imap.port,
        security: security(found.imap.security),
        username: found.username.clone(),
        smtp_host: found.smtp.as_ref().map(|smtp| smtp.host.clone()),
        smtp_port: found.smtp.as_ref().map(|smtp| smtp.port),
        smtp_security: found.smtp.as_ref().map(|smtp| security(smtp.security)),
        sign_in: match found.sign_in {
            tern_profile::SignIn::Password => "password",
            tern_profile::SignIn::AppPassword => "app_password",
            tern_profile::SignIn::OAuth2 { .. } => "oauth2",
        }
        .to_string(),
        ms: discovery.ms,
    }))
}

/// The form as an account request: an empty SMTP host means none (the account only reads).
fn request(input: &AccountInput) -> AccountRequest {
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
        oauth: None,
    }
}

/// A refusal of the rules as the window's error: a missing field is `invalid`, plaintext
/// to a remote host is `policy`.
fn refused(error: mail_engine::EngineError) -> IpcError {
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

/// Checks the settings, keeps the password in the OS keyring, stores the account and
/// starts it.
#[tauri::command]
pub async fn add_account<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    input: AccountInput,
) -> Result<(), IpcError> {
    let request = request(&input);
    let password = mail_engine::Password::new(input.password);
    tern_profile::plan(&request, &password).map_err(refused)?;
    add(&app, &state, request, password).await
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
    add(&app, &state, request, mail_engine::Password::new(password)).await
}

async fn add<R: Runtime>(
    app: &AppHandle<R>,
    state: &AppState,
    request: AccountRequest,
    password: mail_engine::Password,
) -> Result<(), IpcError> {
    let mut sessions = state.sessions.lock().await;
    if !sessions.is_empty() {
        // The running engines hold the cache: opening it again here would drop their locks
        // when closed. Further accounts come from `tern account add` (picked up by "Check
        // mail now") until the window's settings add them through the running cache.
        return Err(IpcError::new(
            ErrorCode::Invalid,
            "Add further accounts with `tern account add`; \"Check mail now\" starts them here",
        ));
    }
    let mut store = tern_profile::open_store(Some(state.data_dir.clone()))?;
    add_to_profile(
        &mut store,
        AccountSetup {
            request,
            password,
            verify: true,
            tokens: None,
        },
    )
    .await?;
    drop(store);
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
    let folder = state.view().folder;
    for (engine, online) in open(app, state).await? {
        let email = engine.account().email.clone();
        if sessions
            .iter()
            .any(|session| session.engine.account().email == email)
        {
            continue;
        }
        // The window shows the first account's folder; the others watch their INBOX.
        let visible = if sessions.is_empty() {
            folder.clone()
        } else {
            None
        };
        sessions.push(Session::start(app, engine, online, visible, |events| {
            crate::forward::spawn(app.clone(), events)
        }));
    }
    Ok(())
}

/// Opens the profile's accounts (if any) for the commands and the tray, without touching
/// the network yet. Returns each engine and whether it can go online (a password or sign-in);
/// an account already open here keeps its engine.
pub async fn open<R: Runtime>(
    app: &AppHandle<R>,
    state: &AppState,
) -> Result<Vec<(Arc<Engine>, bool)>, IpcError> {
    let running = state
        .engines
        .lock()
        .ok()
        .and_then(|engines| engines.first().map(|engine| engine.store().clone()));
    let opened = open_engines(&state.data_dir, running).await?;
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
