//! rustls client configuration: the system's root certificates plus an optional extra CA file.

use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::CertificateDer;
use rustls::{ClientConfig, RootCertStore};

use crate::error::{EngineError, ErrorKind, Result};

/// Builds a TLS client configuration that verifies servers against the system roots and,
/// when given, the certificates in `extra_ca_file` (PEM).
pub fn client_config(extra_ca_file: Option<&Path>) -> Result<Arc<ClientConfig>> {
    let mut roots = RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    for error in &native.errors {
        tracing::debug!(%error, "skipping an unreadable system certificate");
    }
    let (added, ignored) = roots.add_parsable_certificates(native.certs);
    tracing::debug!(added, ignored, "loaded system root certificates");

    if let Some(path) = extra_ca_file {
        let pem = std::fs::read(path).map_err(|error| {
            EngineError::new(
                ErrorKind::Tls,
                format!("Reading the CA file {}: {error}", path.display()),
            )
        })?;
        let certificates: Vec<CertificateDer<'static>> = rustls_pemfile::certs(&mut pem.as_slice())
            .collect::<std::result::Result<_, _>>()
            .map_err(|error| {
                EngineError::new(
                    ErrorKind::Tls,
                    format!("Parsing the CA file {}: {error}", path.display()),
                )
            })?;
        if certificates.is_empty() {
            return Err(EngineError::new(
                ErrorKind::Tls,
                format!("The CA file {} holds no PEM certificate", path.display()),
            ));
        }
        for certificate in certificates {
            roots.add(certificate).map_err(|error| {
                EngineError::new(
                    ErrorKind::Tls,
                    format!("Using a certificate from {}: {error}", path.display()),
                )
            })?;
        }
    }

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| EngineError::new(ErrorKind::Tls, format!("TLS setup: {error}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}
