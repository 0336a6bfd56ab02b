//! rustls client configuration: the system's root certificates plus an optional extra CA file.
//!
//! Certificates in the CA file work two ways: as trust anchors (a private CA that signed the
//! server's certificate), and as pins (the server's own self-signed certificate, which
//! WebPKI rejects as an end entity when it is marked as a CA, as `openssl req -x509` does).

use std::path::Path;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

use crate::error::{EngineError, ErrorKind, Result};

fn tls_error(message: String) -> EngineError {
    EngineError::new(ErrorKind::Tls, message)
}

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

    let pinned = match extra_ca_file {
        Some(path) => read_certificates(path)?,
        None => Vec::new(),
    };
    for certificate in &pinned {
        roots
            .add(certificate.clone())
            .map_err(|error| tls_error(format!("Using a certificate from the CA file: {error}")))?;
    }

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|error| tls_error(format!("TLS setup: {error}")))?;
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| tls_error(format!("TLS setup: {error}")))?;
    let config = if pinned.is_empty() {
        builder.with_webpki_verifier(webpki).with_no_client_auth()
    } else {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(PinningVerifier { webpki, pinned }))
            .with_no_client_auth()
    };
    Ok(Arc::new(config))
}

fn read_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>> {
    let pem = std::fs::read(path)
        .map_err(|error| tls_error(format!("Reading the CA file {}: {error}", path.display())))?;
    let certificates: Vec<CertificateDer<'static>> = rustls_pemfile::certs(&mut pem.as_slice())
        .collect::<std::result::Result<_, _>>()
        .map_err(|error| tls_error(format!("Parsing the CA file {}: {error}", path.display())))?;
    if certificates.is_empty() {
        return Err(tls_error(format!(
            "The CA file {} holds no PEM certificate",
            path.display()
        )));
    }
    Ok(certificates)
}

/// WebPKI verification, except that a server presenting exactly one of the pinned
/// certificates is trusted (the user named that certificate). Handshake signatures are
/// always verified.
#[derive(Debug)]
struct PinningVerifier {
    webpki: Arc<WebPkiServerVerifier>,
    pinned: Vec<CertificateDer<'static>>,
}

impl ServerCertVerifier for PinningVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        match self.webpki.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Ok(verified) => Ok(verified),
            Err(error) => {
                if self
                    .pinned
                    .iter()
                    .any(|pinned| pinned.as_ref() == end_entity.as_ref())
                {
                    tracing::debug!(%error, "server certificate accepted: it is pinned in the CA file");
                    Ok(ServerCertVerified::assertion())
                } else {
                    Err(error)
                }
            }
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}
