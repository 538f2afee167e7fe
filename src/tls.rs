//! The TLS listener's configuration and the client certificate a request
//! came with.
//!
//! The listener asks every client for a certificate but does not require one
//! (the control API and discovery need none); a certificate that does not
//! chain to a configured client CA fails the handshake. The certificate of a
//! connection is parsed once, when the connection opens, and kept in its
//! connection data; handlers read it through the [`ClientCert`] extractor.
//! Behind a TLS-terminating proxy, the extractor reads it from a configured
//! header instead, and checks it as the handshake would: it must chain to a
//! configured client CA, be valid at the mock's time and allow client
//! authentication. That header must only be reachable through the proxy.

use std::any::Any;
use std::future::{Ready, ready};
use std::sync::Arc;

use actix_tls::accept::rustls_0_23::TlsStream;
use actix_web::dev::{Extensions, Payload};
use actix_web::rt::net::TcpStream;
use actix_web::{FromRequest, HttpRequest, web};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::UnixTime;
use rustls::pki_types::pem::PemObject;
use rustls::server::WebPkiClientVerifier;
use rustls::server::danger::ClientCertVerifier;
use rustls::{RootCertStore, ServerConfig};

use crate::clock::Clock;
use crate::error::OAuthError;
use crate::keys::sha256_b64;
use crate::pki::{Pki, PkiError};

/// A client certificate seen on a connection, with what psc-mock needs of it.
#[derive(Debug, Clone)]
pub struct PeerCertificate {
    /// The subject's CN attributes, in order (`None`: a value that is not
    /// text). PSC's rule, CN = client_id, needs exactly one: a subject with
    /// two is ambiguous, and `clients` refuses it.
    pub common_names: Vec<Option<String>>,
    /// RFC 8705 §3.1 `x5t#S256`: base64url SHA-256 of the DER certificate.
    pub thumbprint: String,
}

/// DER that does not parse as an X.509 certificate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an X.509 certificate: {0}")]
pub struct NotACertificate(String);

impl PeerCertificate {
    pub fn from_der(der: &[u8]) -> Result<Self, NotACertificate> {
        let (_, cert) =
            x509_parser::parse_x509_certificate(der).map_err(|e| NotACertificate(e.to_string()))?;
        let common_names = cert
            .subject()
            .iter_common_name()
            .map(|cn| cn.as_str().ok().map(str::to_owned))
            .collect();
        Ok(Self {
            common_names,
            thumbprint: sha256_b64(der),
        })
    }

    /// The subject's CN, if it has exactly one and it is text.
    pub fn common_name(&self) -> Option<&str> {
        match self.common_names.as_slice() {
            [Some(cn)] => Some(cn),
            _ => None,
        }
    }

    /// The CN as shown in error messages and the journal: `"a"`, `(none)`,
    /// or every one of several, `"a" and "b"`.
    pub fn describe_cn(&self) -> String {
        let shown: Vec<String> = self
            .common_names
            .iter()
            .map(|cn| {
                cn.as_deref()
                    .map_or_else(|| "(not text)".to_owned(), |cn| format!("{cn:?}"))
            })
            .collect();
        match shown.as_slice() {
            [] => "(none)".to_owned(),
            [one] => one.clone(),
            [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
        }
    }
}

/// The verifier of client certificates: chain to one of `client_cas`,
/// validity, client-authentication usage.
fn client_verifier(
    client_cas: Vec<CertificateDer<'static>>,
    optional: bool,
) -> Result<Arc<dyn ClientCertVerifier>, PkiError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut roots = RootCertStore::empty();
    for ca in client_cas {
        roots.add(ca).map_err(|e| PkiError::Pem {
            what: "client CA".into(),
            message: e.to_string(),
        })?;
    }
    let builder = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider);
    let builder = if optional {
        builder.allow_unauthenticated()
    } else {
        builder
    };
    builder.build().map_err(|e| PkiError::Pem {
        what: "client CA".into(),
        message: e.to_string(),
    })
}

/// The rustls configuration of the HTTPS listener.
pub fn server_config(pki: Pki) -> Result<ServerConfig, PkiError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier = client_verifier(pki.client_cas, true)?;
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| PkiError::Pem {
            what: "TLS versions".into(),
            message: e.to_string(),
        })?
        .with_client_cert_verifier(verifier)
        .with_single_cert(pki.server_chain, pki.server_key)
        .map_err(|e| PkiError::Pem {
            what: "server certificate and key".into(),
            message: e.to_string(),
        })?;
    // HTTP/1.1 only (docs/fidelity.md, "HTTP version"): the listener runs
    // actix-http's HTTP/1 service alone (`listener`), so `h2` is not offered
    // and a client that offers only `h2` is refused in the handshake.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// The listener's on-connect hook: keeps the connection's client certificate.
pub fn capture_peer_certificate(connection: &dyn Any, data: &mut Extensions) {
    let Some(stream) = connection.downcast_ref::<TlsStream<TcpStream>>() else {
        return;
    };
    let (_, session) = stream.get_ref();
    let Some(leaf) = session.peer_certificates().and_then(|c| c.first()) else {
        return;
    };
    // The handshake already verified the chain, so the certificate parses;
    // should it not, the connection simply carries no certificate.
    if let Ok(peer) = PeerCertificate::from_der(leaf) {
        data.insert(Arc::new(peer));
    }
}

/// Where a request's client certificate is read from.
#[derive(Debug, Clone)]
pub enum CertSource {
    /// The TLS connection itself.
    Tls,
    /// A header set by a TLS-terminating proxy (URL-encoded PEM), checked
    /// against the client CAs at the mock's time (`None`: no CA could be
    /// loaded, every certificate is refused).
    Header {
        name: String,
        verifier: Option<Arc<dyn ClientCertVerifier>>,
        clock: Clock,
    },
    /// Plain HTTP without a certificate header: never any certificate.
    None,
}

impl CertSource {
    /// The source `server` configures: the TLS connection, a proxy header
    /// checked against `client_cas` at `clock`'s time, or none.
    pub fn of(
        server: &crate::config::ServerSettings,
        client_cas: Vec<CertificateDer<'static>>,
        clock: Clock,
    ) -> Self {
        match (server.tls, server.client_cert_header.as_str()) {
            (true, _) => Self::Tls,
            (false, "") => Self::None,
            (false, name) => Self::Header {
                name: name.to_owned(),
                verifier: client_verifier(client_cas, false).ok(),
                clock,
            },
        }
    }
}

/// The client certificate presented with a request, if any.
#[derive(Debug, Clone)]
pub struct ClientCert(pub Option<Arc<PeerCertificate>>);

impl FromRequest for ClientCert {
    type Error = OAuthError;
    type Future = Ready<Result<Self, OAuthError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(client_cert(req))
    }
}

pub fn client_cert(req: &HttpRequest) -> Result<ClientCert, OAuthError> {
    let source = req
        .app_data::<web::Data<CertSource>>()
        .map_or(CertSource::Tls, |s| s.get_ref().clone());
    match source {
        CertSource::Tls => Ok(ClientCert(req.conn_data::<Arc<PeerCertificate>>().cloned())),
        CertSource::None => Ok(ClientCert(None)),
        CertSource::Header {
            name,
            verifier,
            clock,
        } => {
            let Some(value) = req.headers().get(&name) else {
                return Ok(ClientCert(None));
            };
            let bad = |why: String| {
                OAuthError::invalid_client(format!(
                    "the {name} header does not hold a client certificate: {why}"
                ))
            };
            let raw = value.to_str().map_err(|e| bad(e.to_string()))?;
            let pem = percent_encoding::percent_decode_str(raw)
                .decode_utf8()
                .map_err(|e| bad(e.to_string()))?;
            let der = CertificateDer::from_pem_slice(pem.as_bytes())
                .map_err(|e| bad(format!("not a PEM certificate ({e})")))?;
            let peer = PeerCertificate::from_der(&der).map_err(|e| bad(e.to_string()))?;
            // As the TLS handshake would: the chain, validity and usage.
            let since_epoch = clock
                .now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default();
            let checked = verifier
                .ok_or_else(|| "no client CA could be loaded".to_owned())
                .and_then(|v| {
                    v.verify_client_cert(&der, &[], UnixTime::since_unix_epoch(since_epoch))
                        .map_err(|e| e.to_string())
                });
            if let Err(why) = checked {
                return Err(OAuthError::invalid_client(format!(
                    "the client certificate in {name} (CN {}) is refused: {why}; it must chain to a configured client CA, be valid now and allow client authentication",
                    peer.describe_cn()
                )));
            }
            Ok(ClientCert(Some(Arc::new(peer))))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_client_certificate_carries_the_default_client_id() {
        let der = CertificateDer::from_pem_slice(crate::pki::EMBEDDED.client_cert.as_bytes())
            .expect("embedded client certificate");
        let peer = PeerCertificate::from_der(&der).expect("parses");
        assert_eq!(peer.common_name(), Some(crate::config::DEFAULT_CLIENT_ID));
        assert_eq!(peer.thumbprint.len(), 43);
    }

    #[test]
    fn several_common_names_are_all_shown() {
        let peer = |names: &[Option<&str>]| PeerCertificate {
            common_names: names.iter().map(|n| n.map(str::to_owned)).collect(),
            thumbprint: String::new(),
        };
        assert_eq!(peer(&[]).describe_cn(), "(none)");
        assert_eq!(peer(&[Some("a")]).common_name(), Some("a"));
        let two = peer(&[Some("a"), None]);
        assert_eq!(two.common_name(), None);
        assert_eq!(two.describe_cn(), "\"a\" and (not text)");
        assert_eq!(
            peer(&[Some("a"), Some("b"), Some("c")]).describe_cn(),
            "\"a\", \"b\" and \"c\""
        );
    }

    #[test]
    fn garbage_is_not_a_certificate() {
        assert!(PeerCertificate::from_der(b"\x30\x03garbage").is_err());
    }
}
