//! Turning engine, keyring and cache errors into the `{code, message}` the window gets.

use mail_engine::{EngineError, ErrorKind};
use tern_profile::KeyringError;

use crate::dto::{ErrorCode, IpcError};

impl IpcError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

fn code_of(kind: ErrorKind) -> ErrorCode {
    match kind {
        ErrorKind::Authentication => ErrorCode::Authentication,
        ErrorKind::SignInNeeded => ErrorCode::SignInNeeded,
        ErrorKind::Tls => ErrorCode::Tls,
        ErrorKind::Network => ErrorCode::Network,
        ErrorKind::Policy => ErrorCode::Policy,
        ErrorKind::ServerRefused | ErrorKind::ServerBusy | ErrorKind::Protocol => ErrorCode::Server,
        ErrorKind::CacheDamaged => ErrorCode::CacheDamaged,
        ErrorKind::DiskFull => ErrorCode::DiskFull,
        ErrorKind::Other => ErrorCode::Other,
    }
}

impl From<EngineError> for IpcError {
    fn from(error: EngineError) -> Self {
        Self::new(code_of(error.kind), error.to_string())
    }
}

impl From<anyhow::Error> for IpcError {
    fn from(error: anyhow::Error) -> Self {
        let message = format!("{error:#}");
        let code = error
            .chain()
            .find_map(|cause| {
                if let Some(engine) = cause.downcast_ref::<EngineError>() {
                    return Some(code_of(engine.kind));
                }
                match cause.downcast_ref::<KeyringError>() {
                    Some(KeyringError::Unavailable { .. }) => Some(ErrorCode::KeyringUnavailable),
                    Some(_) => Some(ErrorCode::Other),
                    None => None,
                }
            })
            .or_else(|| match mail_store::cache_problem(&error) {
                Some(mail_store::CacheProblem::DiskFull) => Some(ErrorCode::DiskFull),
                Some(_) => Some(ErrorCode::CacheDamaged),
                None => None,
            })
            .unwrap_or(ErrorCode::Other);
        Self::new(code, message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn the_engine_kind_survives_added_context() {
        let error: anyhow::Result<()> = Err(EngineError::new(
            ErrorKind::Authentication,
            "[AUTHENTICATIONFAILED] no",
        ))
        .context("Checking the settings of a@x");
        let ipc = IpcError::from(error.expect_err("fails"));
        assert_eq!(ipc.code, ErrorCode::Authentication);
        assert!(
            ipc.message.contains("Checking the settings of a@x"),
            "{}",
            ipc.message
        );
        assert!(
            ipc.message.contains("AUTHENTICATIONFAILED"),
            "{}",
            ipc.message
        );
    }

    #[test]
    fn a_missing_keyring_has_its_own_code() {
        let error = anyhow::Error::new(KeyringError::Unavailable {
            email: "a@x".into(),
            detail: "no secret service".into(),
        });
        let ipc = IpcError::from(error);
        assert_eq!(ipc.code, ErrorCode::KeyringUnavailable);
        assert!(ipc.message.contains("No OS keyring"), "{}", ipc.message);
    }
}
