//! The server's outgoing HTTPS: awc, the client of the actix stack the
//! server already runs on (one HTTP stack in the binary), over rustls with
//! aws-lc-rs. Used by Keycloak's authentication channel (`channel`) and by
//! the client commands, `client ciba` and `compare` (`client_http`).
//!
//! An awc client belongs to the thread that made it (its connection pool is
//! not shared), so [`Outbound`] keeps the TLS configuration and hands out a
//! client per task; requests run on a tokio `LocalSet` (every actix worker
//! is one; the client commands make one).

use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ClientConfig, RootCertStore};

/// Why the outgoing client could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum OutboundError {
    #[error("no CA certificate to trust: {0}")]
    NoRoots(String),
    #[error("the TLS client: {0}")]
    Tls(String),
    #[error("the client certificate or key is unusable: {0}")]
    Identity(String),
}

/// Which CAs the client trusts.
pub enum Trust<'a> {
    /// The system's roots and these (the test CA).
    SystemAnd(&'a [CertificateDer<'static>]),
    /// These alone.
    Only(&'a [CertificateDer<'static>]),
}

/// The TLS configuration and timeout of outgoing requests.
#[derive(Clone)]
pub struct Outbound {
    tls: Arc<ClientConfig>,
    timeout: Duration,
}

impl std::fmt::Debug for Outbound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbound")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl Outbound {
    /// Requests trusting `trust`, presenting `identity` (a certificate chain
    /// and its key) if any, each bounded by `timeout`.
    pub fn new(
        trust: Trust<'_>,
        identity: Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>,
        timeout: Duration,
    ) -> Result<Self, OutboundError> {
        let mut roots = RootCertStore::empty();
        let extra = match trust {
            Trust::SystemAnd(extra) => {
                // Unreadable system certificates are skipped, as browsers do.
                let system = rustls_native_certs::load_native_certs();
                roots.add_parsable_certificates(system.certs);
                extra
            }
            Trust::Only(only) => only,
        };
        for ca in extra {
            roots
                .add(ca.clone())
                .map_err(|e| OutboundError::NoRoots(e.to_string()))?;
        }
        if roots.is_empty() {
            return Err(OutboundError::NoRoots(
                "neither the system's nor any given".into(),
            ));
        }
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let builder = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| OutboundError::Tls(e.to_string()))?
            .with_root_certificates(roots);
        let mut config = match identity {
            Some((chain, key)) => builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| OutboundError::Identity(e.to_string()))?,
            None => builder.with_no_client_auth(),
        };
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Self {
            tls: Arc::new(config),
            timeout,
        })
    }

    /// A client for the requests of the current task: no redirects
    /// followed, the timeout on connecting and on the whole answer.
    pub fn client(&self) -> awc::Client {
        let connector = awc::Connector::new()
            .rustls_0_23(self.tls.clone())
            .timeout(self.timeout);
        awc::Client::builder()
            .connector(connector)
            .timeout(self.timeout)
            .disable_redirects()
            .finish()
    }
}

/// An error and its sources, one after the other.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut detail = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        let next = e.to_string();
        if !detail.contains(&next) {
            detail = format!("{detail}: {next}");
        }
        source = e.source();
    }
    detail
}
