//! Accounts in the settings: their details for the edit form, editing (From name,
//! signature, servers), removing (asking first when something would be lost), and signing
//! an OAuth2 account in again. One account's session restarts; the others run on.

use mail_store::Account;
use tauri::{AppHandle, Emitter, Runtime, State};
use tern_profile::{AccountSetup, SmtpChoice, SmtpRequest};

use crate::commands::account::{browser_sign_in, refused, request, security_dto, start};
use crate::dto::{
    AccountEditDto, AccountSettingsDto, AppEvent, ErrorCode, IpcError, SecurityDto, EVENT,
};
use crate::state::AppState;

/// The stored account `email`.
fn stored(state: &AppState, email: &str) -> Result<Account, IpcError> {
    state
        .with_cache(|store| store.account_by_email(email))?
        .ok_or_else(|| {
            IpcError::new(
                ErrorCode::NoAccount,
                format!("There is no account {email} here"),
            )
        })
}

/// What the edit form shows of `account`.
#[tauri::command]
pub fn account_settings(
    state: State<'_, AppState>,
    account: String,
) -> Result<AccountSettingsDto, IpcError> {
    let stored = stored(&state, &account)?;
    let (smtp, name, signature) = state.with_cache(|store| {
        Ok((
            store.smtp_server(stored.id)?,
            store.display_name(stored.id)?,
            store.signature(stored.id)?,
        ))
    })?;
    Ok(AccountSettingsDto {
        name: name.unwrap_or_default(),
        signature: signature.unwrap_or_default(),
        imap_host: stored.imap_host.clone(),
        imap_port: stored.imap_port,
        security: security_dto(stored.security),
        username: stored.username.clone(),
        smtp_host: smtp
            .as_ref()
            .map(|smtp| smtp.host.clone())
            .unwrap_or_default(),
        smtp_port: smtp.as_ref().map_or(465, |smtp| smtp.port),
        smtp_security: smtp
            .as_ref()
            .map_or(SecurityDto::Tls, |smtp| security_dto(smtp.security)),
        oauth2: stored.oauth.is_some(),
        sign_in_needed: stored.sign_in_needed,
        max_connections: stored.max_connections,
        offline_bodies: stored.offline.to_string(),
        offline_max_mib: u32::try_from(stored.offline_max_bytes >> 20)
            .unwrap_or(u32::MAX)
            .max(1),
        email: stored.email,
    })
}

/// Saves the From name and signature; with `servers`, checks the new servers by logging in
/// (with the new password, or the kept one when left empty) before storing them, then
/// restarts the account's session on them.
#[tauri::command]
pub async fn update_account<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    account: String,
    edit: AccountEditDto,
) -> Result<(), IpcError> {
    let current = stored(&state, &account)?;
    tracing::info!(
        account = %current.email,
        servers = edit.servers.is_some(),
        max_connections = edit.max_connections,
        offline = %edit.offline_bodies,
        "saving account settings"
    );
    let policy: mail_sync::OfflinePolicy = edit
        .offline_bodies
        .parse()
        .map_err(|error: String| IpcError::new(ErrorCode::Invalid, error))?;
    let max_bytes = u64::from(edit.offline_max_mib.max(1)) << 20;
    // Checked before anything is saved: a refused edit changes nothing.
    if !(1..=mail_store::MAX_CONNECTIONS_LIMIT).contains(&edit.max_connections) {
        return Err(IpcError::new(
            ErrorCode::Invalid,
            format!(
                "An account holds between 1 and {} connections",
                mail_store::MAX_CONNECTIONS_LIMIT
            ),
        ));
    }
    let offline_changed = policy != current.offline || max_bytes != current.offline_max_bytes;
    if offline_changed {
        state.with_cache(|store| store.set_offline_policy(current.id, policy, max_bytes))?;
    }
    if edit.max_connections != current.max_connections || offline_changed {
        state.with_cache(|store| store.set_max_connections(current.id, edit.max_connections))?;
        if edit.servers.is_none() {
            // The watchers start again within the new budget, the keeping of bodies with the
            // new policy.
            let mut sessions = state.sessions.lock().await;
            tracing::info!(account = %current.email, "restarting the account's session under its new settings");
            stop_one(&state, &mut sessions, &current.email).await;
            start(&app, &state, &mut sessions).await?;
        }
    }
    if let Some(servers) = &edit.servers {
        if current.oauth.is_some() {
            return Err(IpcError::new(
                ErrorCode::Invalid,
                "The servers of an account that signs in with OAuth2 come from its provider",
            ));
        }
        let mut wanted = request(servers);
        wanted.email = current.email.clone();
        wanted.ca_file = current.ca_file.as_ref().map(Into::into);
        wanted.allow_plaintext = current.allow_plaintext;
        wanted.password_source = current.password_source.clone();
        if let SmtpChoice::Server(smtp) = &mut wanted.smtp {
            *smtp = SmtpRequest {
                saves_sent: smtp_saves_sent(&state, &current, &smtp.host)?,
                ..smtp.clone()
            };
        }
        let password = if servers.password.is_empty() {
            tern_profile::password_for(&current).await?
        } else {
            mail_engine::Password::new(servers.password.clone())
        };
        tern_profile::plan(&wanted, &password).map_err(refused)?;
        let prepared = tern_profile::prepare_account(AccountSetup {
            request: wanted,
            password,
            verify: true,
            tokens: None,
        })
        .await?;
        let mut sessions = state.sessions.lock().await;
        state.with_cache(|store| tern_profile::save_account(store, &prepared))?;
        stop_one(&state, &mut sessions, &current.email).await;
        start(&app, &state, &mut sessions).await?;
    }
    state.with_cache(|store| {
        let name = edit.name.trim();
        store.set_display_name(current.id, (!name.is_empty()).then_some(name))?;
        let signature = edit.signature.trim_end();
        store.set_signature(
            current.id,
            (!signature.trim().is_empty()).then_some(signature),
        )
    })?;
    let _ = app.emit(EVENT, AppEvent::Reload);
    Ok(())
}

/// Whether the account's SMTP server saves sent mail itself, kept across an edit that keeps
/// the host (another host: the rules decide again).
fn smtp_saves_sent(
    state: &AppState,
    account: &Account,
    host: &str,
) -> Result<Option<bool>, IpcError> {
    Ok(state
        .with_cache(|store| store.smtp_server(account.id))?
        .filter(|smtp| smtp.host.eq_ignore_ascii_case(host))
        .map(|smtp| smtp.saves_sent))
}

/// Removes `account` from this computer: refused with `changes_waiting` (naming them)
/// while changes, unsent mail or drafts exist only here, unless `force`. Its session stops,
/// its cache rows, bodies, search entries and drafts go, and its keyring entry. Says what
/// was thrown away.
#[tauri::command]
pub async fn remove_account<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    account: String,
    force: bool,
) -> Result<String, IpcError> {
    let current = stored(&state, &account)?;
    let waiting = state.with_cache(|store| store.waiting_changes(current.id))?;
    if !waiting.is_empty() && !force {
        return Err(IpcError::new(
            ErrorCode::ChangesWaiting,
            format!(
                "{} has {} that exist only on this computer; removing the account loses them.",
                current.email,
                waiting.describe()
            ),
        ));
    }
    let mut sessions = state.sessions.lock().await;
    stop_one(&state, &mut sessions, &current.email).await;
    let lost = state.with_cache(|store| tern_profile::remove_from_cache(store, &current, true))?;
    tern_profile::forget_secrets(&current).await?;
    let view = state.update_view(|view| {
        view.accounts.remove(&current.email);
        if view
            .account
            .as_deref()
            .is_some_and(|shown| shown.eq_ignore_ascii_case(&current.email))
        {
            view.account = None;
            view.folder = None;
        }
    });
    forget_place_of(&state, &current.email);
    let (shown, unread) = view.tray();
    crate::tray::show(&app, shown, unread);
    drop(sessions);
    let _ = app.emit(EVENT, AppEvent::Reload);
    Ok(if lost.is_empty() {
        format!("{} was removed from this computer.", current.email)
    } else {
        format!(
            "{} was removed from this computer, with {}.",
            current.email,
            lost.describe()
        )
    })
}

/// The window's last place, when it was in the removed account, is forgotten (nothing of
/// the account stays in the data directory).
fn forget_place_of(state: &AppState, email: &str) {
    let mut settings = state.settings();
    if !settings
        .last_account
        .as_deref()
        .is_some_and(|last| last.eq_ignore_ascii_case(email))
    {
        return;
    }
    settings.last_account = None;
    settings.last_folder = None;
    if let Err(error) = state.keep_settings(settings) {
        tracing::warn!(error = %format!("{error:#}"), "the last place was not forgotten");
    }
}

/// Signs an OAuth2 account in again with the browser; its session restarts with the new
/// sign-in (queued changes and the outbox go out then).
#[tauri::command]
pub async fn sign_in<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    account: String,
) -> Result<(), IpcError> {
    let current = stored(&state, &account)?;
    let settings = current.oauth.clone().ok_or_else(|| {
        IpcError::new(
            ErrorCode::Invalid,
            format!("{} signs in with a password", current.email),
        )
    })?;
    browser_sign_in(
        &settings,
        &current.email,
        current.ca_file.as_ref().map(Into::into),
    )
    .await?;
    let mut sessions = state.sessions.lock().await;
    state.with_cache(|store| store.set_sign_in_needed(current.id, false))?;
    stop_one(&state, &mut sessions, &current.email).await;
    start(&app, &state, &mut sessions).await?;
    let _ = app.emit(EVENT, AppEvent::Reload);
    Ok(())
}

/// Stops the session of `email` and forgets its engine (the next `start` opens it anew,
/// with the stored settings and credentials).
async fn stop_one(state: &AppState, sessions: &mut Vec<crate::session::Session>, email: &str) {
    let at = sessions
        .iter()
        .position(|session| session.engine.account().email.eq_ignore_ascii_case(email));
    if let Some(at) = at {
        sessions.remove(at).stop().await;
    }
    if let Ok(mut engines) = state.engines.lock() {
        engines.retain(|engine| !engine.account().email.eq_ignore_ascii_case(email));
    }
}
