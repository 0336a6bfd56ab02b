//! Who issues tokens, pure: Google's and Microsoft's endpoints and mail scopes, a custom
//! issuer read from its RFC 8414 metadata, and the client ID a build or the environment
//! supplies (a project must register its own).

use serde::Deserialize;

/// Which issuer an account signs in with (stored with the account).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum IssuerId {
    Google,
    Microsoft,
    /// Any RFC 8414 authorization server, by its issuer URL.
    Custom(String),
}

impl IssuerId {
    /// How it is stored: `google`, `microsoft`, or the issuer URL.
    pub fn as_stored(&self) -> String {
        match self {
            IssuerId::Google => "google".into(),
            IssuerId::Microsoft => "microsoft".into(),
            IssuerId::Custom(url) => url.clone(),
        }
    }

    pub fn parse(text: &str) -> Option<IssuerId> {
        match text.trim() {
            "google" => Some(IssuerId::Google),
            "microsoft" => Some(IssuerId::Microsoft),
            url if url.starts_with("https://") || is_loopback_http(url) => {
                Some(IssuerId::Custom(url.trim_end_matches('/').to_string()))
            }
            _ => None,
        }
    }

    /// The environment variable holding the client ID (none for a custom issuer: given at
    /// setup and stored).
    pub fn client_id_variable(&self) -> Option<&'static str> {
        match self {
            IssuerId::Google => Some(GOOGLE.client_id_variable),
            IssuerId::Microsoft => Some(MICROSOFT.client_id_variable),
            IssuerId::Custom(_) => None,
        }
    }
}

/// Whether `url` is plain http to this machine (allowed for a local authorization server).
pub fn is_loopback_http(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = match host.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host,
        _ => host,
    };
    matches!(host, "127.0.0.1" | "localhost" | "[::1]")
}

/// An issuer's endpoints and what to ask for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issuer {
    pub id: IssuerId,
    pub name: String,
    pub authorization_url: String,
    pub token_url: String,
    pub device_url: Option<String>,
    pub revocation_url: Option<String>,
    pub scopes: Vec<String>,
    pub client_id: String,
    /// "Installed app" clients of some providers (Google) come with a secret that is not
    /// secret; sent when set.
    pub client_secret: Option<String>,
}

/// Why an issuer cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IssuerError {
    #[error("{provider} sign-in needs a registered OAuth2 client: set {variable} (or build Tern with it); meanwhile, {fallback}")]
    NoClientId {
        provider: &'static str,
        variable: &'static str,
        fallback: &'static str,
    },
    #[error("The authorization server's metadata is unusable: {0}")]
    Metadata(String),
}

/// A client ID from the environment, else the one this build was configured with.
fn client_setting(
    variable: &str,
    built_in: Option<&'static str>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Option<String> {
    env(variable)
        .or_else(|| built_in.map(str::to_string))
        .map(|value| value.trim().to_string())
        .filter(|value| !value.is_empty())
}

/// A built-in issuer: its endpoints, scopes, and where its client comes from.
struct Builtin {
    id: IssuerId,
    name: &'static str,
    authorization_url: &'static str,
    token_url: &'static str,
    device_url: Option<&'static str>,
    revocation_url: Option<&'static str>,
    scopes: &'static [&'static str],
    client_id_variable: &'static str,
    client_id_built_in: Option<&'static str>,
    /// Google's "installed app" clients come with a secret that is not secret.
    client_secret: Option<(&'static str, Option<&'static str>)>,
    /// What to do without a client ID.
    fallback: &'static str,
}

const GOOGLE: Builtin = Builtin {
    id: IssuerId::Google,
    name: "Google",
    authorization_url: "https://accounts.google.com/o/oauth2/v2/auth",
    token_url: "https://oauth2.googleapis.com/token",
    device_url: Some("https://oauth2.googleapis.com/device/code"),
    revocation_url: Some("https://oauth2.googleapis.com/revoke"),
    scopes: &["https://mail.google.com/"],
    client_id_variable: "TERN_OAUTH_GOOGLE_CLIENT_ID",
    client_id_built_in: option_env!("TERN_OAUTH_GOOGLE_CLIENT_ID"),
    client_secret: Some((
        "TERN_OAUTH_GOOGLE_CLIENT_SECRET",
        option_env!("TERN_OAUTH_GOOGLE_CLIENT_SECRET"),
    )),
    fallback:
        "use an app password (Google Account > Security > 2-Step Verification > App passwords)",
};

const MICROSOFT: Builtin = Builtin {
    id: IssuerId::Microsoft,
    name: "Microsoft",
    authorization_url: "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
    token_url: "https://login.microsoftonline.com/common/oauth2/v2.0/token",
    device_url: Some("https://login.microsoftonline.com/common/oauth2/v2.0/devicecode"),
    revocation_url: None,
    scopes: &[
        "https://outlook.office.com/IMAP.AccessAsUser.All",
        "https://outlook.office.com/SMTP.Send",
        "offline_access",
    ],
    client_id_variable: "TERN_OAUTH_MICROSOFT_CLIENT_ID",
    client_id_built_in: option_env!("TERN_OAUTH_MICROSOFT_CLIENT_ID"),
    client_secret: None,
    fallback: "Outlook.com and Microsoft 365 accept no password for IMAP, so this account cannot be added yet",
};

/// Google's or Microsoft's issuer, with the client ID from `env` (or the build).
pub fn builtin(id: &IssuerId, env: &dyn Fn(&str) -> Option<String>) -> Result<Issuer, IssuerError> {
    let spec = match id {
        IssuerId::Google => &GOOGLE,
        IssuerId::Microsoft => &MICROSOFT,
        IssuerId::Custom(_) => {
            return Err(IssuerError::Metadata(
                "a custom issuer is read from its metadata".into(),
            ))
        }
    };
    let client_id = client_setting(spec.client_id_variable, spec.client_id_built_in, env).ok_or(
        IssuerError::NoClientId {
            provider: spec.name,
            variable: spec.client_id_variable,
            fallback: spec.fallback,
        },
    )?;
    Ok(Issuer {
        id: spec.id.clone(),
        name: spec.name.into(),
        authorization_url: spec.authorization_url.into(),
        token_url: spec.token_url.into(),
        device_url: spec.device_url.map(Into::into),
        revocation_url: spec.revocation_url.map(Into::into),
        scopes: spec.scopes.iter().map(|scope| scope.to_string()).collect(),
        client_id,
        client_secret: spec
            .client_secret
            .and_then(|(variable, built_in)| client_setting(variable, built_in, env)),
    })
}

/// RFC 8414 metadata, the fields used.
#[derive(Debug, Deserialize)]
pub struct Metadata {
    pub issuer: Option<String>,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub device_authorization_endpoint: Option<String>,
    pub revocation_endpoint: Option<String>,
}

/// Whether an endpoint may be used: https, or http to this machine.
fn acceptable(url: &str) -> bool {
    url.starts_with("https://") || is_loopback_http(url)
}

/// A custom issuer from its metadata (`scopes` to ask for, `client_id` registered there).
pub fn custom(
    issuer_url: &str,
    metadata: Metadata,
    client_id: &str,
    scopes: Vec<String>,
) -> Result<Issuer, IssuerError> {
    let endpoints = [
        Some(&metadata.authorization_endpoint),
        Some(&metadata.token_endpoint),
        metadata.device_authorization_endpoint.as_ref(),
        metadata.revocation_endpoint.as_ref(),
    ];
    if let Some(bad) = endpoints.into_iter().flatten().find(|url| !acceptable(url)) {
        return Err(IssuerError::Metadata(format!(
            "{bad} is neither https nor on this machine"
        )));
    }
    if let Some(stated) = &metadata.issuer {
        if stated.trim_end_matches('/') != issuer_url.trim_end_matches('/') {
            return Err(IssuerError::Metadata(format!(
                "it names {stated} as its issuer, not {issuer_url}"
            )));
        }
    }
    if client_id.trim().is_empty() {
        return Err(IssuerError::Metadata("no client ID was given".into()));
    }
    Ok(Issuer {
        id: IssuerId::Custom(issuer_url.trim_end_matches('/').to_string()),
        name: issuer_url.to_string(),
        authorization_url: metadata.authorization_endpoint,
        token_url: metadata.token_endpoint,
        device_url: metadata.device_authorization_endpoint,
        revocation_url: metadata.revocation_endpoint,
        scopes,
        client_id: client_id.trim().to_string(),
        client_secret: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn builtin_issuers_need_a_client_id_and_say_what_to_do_without_one() {
        let with =
            |name: &str| (name == "TERN_OAUTH_MICROSOFT_CLIENT_ID").then(|| " abc ".to_string());
        let microsoft = builtin(&IssuerId::Microsoft, &with).expect("configured");
        assert_eq!(microsoft.client_id, "abc");
        assert!(microsoft
            .scopes
            .iter()
            .any(|scope| scope == "offline_access"));
        assert!(microsoft
            .scopes
            .iter()
            .any(|scope| scope.ends_with("IMAP.AccessAsUser.All")));
        if option_env!("TERN_OAUTH_GOOGLE_CLIENT_ID").is_none() {
            let error = builtin(&IssuerId::Google, &no_env).expect_err("no client");
            assert!(error.to_string().contains("app password"), "{error}");
            assert!(
                error.to_string().contains("TERN_OAUTH_GOOGLE_CLIENT_ID"),
                "{error}"
            );
        }
    }

    #[test]
    fn issuer_ids_round_trip_and_refuse_insecure_urls() {
        let cases = [
            ("google", Some(IssuerId::Google)),
            ("microsoft", Some(IssuerId::Microsoft)),
            (
                "https://idp.example.org/",
                Some(IssuerId::Custom("https://idp.example.org".into())),
            ),
            (
                "http://127.0.0.1:8080",
                Some(IssuerId::Custom("http://127.0.0.1:8080".into())),
            ),
            ("http://idp.example.org", None),
            ("ftp://x", None),
        ];
        for (text, expected) in cases {
            let parsed = IssuerId::parse(text);
            assert_eq!(parsed, expected, "{text}");
            if let Some(id) = parsed {
                assert_eq!(IssuerId::parse(&id.as_stored()), Some(id));
            }
        }
    }

    #[test]
    fn custom_metadata_is_checked() {
        let metadata = |token: &str, issuer: Option<&str>| Metadata {
            issuer: issuer.map(str::to_string),
            authorization_endpoint: "https://idp.example.org/authorize".into(),
            token_endpoint: token.into(),
            device_authorization_endpoint: None,
            revocation_endpoint: None,
        };
        let url = "https://idp.example.org";
        assert!(custom(
            url,
            metadata("https://idp.example.org/token", Some(url)),
            "c",
            vec![]
        )
        .is_ok());
        assert!(custom(
            url,
            metadata("http://idp.example.org/token", None),
            "c",
            vec![]
        )
        .is_err());
        assert!(custom(
            url,
            metadata(
                "https://idp.example.org/token",
                Some("https://evil.example")
            ),
            "c",
            vec![]
        )
        .is_err());
        assert!(custom(
            url,
            metadata("https://idp.example.org/token", None),
            " ",
            vec![]
        )
        .is_err());
    }
}
