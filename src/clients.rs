//! Registered clients and client authentication at the token and
//! backchannel endpoints.
//!
//! Methods (RFC 6749 §2.3, RFC 8705 §2): `client_secret_basic`,
//! `client_secret_post` and `tls_client_auth`. On top of the method, a
//! client that requires a certificate must present one whose subject CN is
//! its client_id, as PSC requires (docs/fidelity.md).

use std::collections::HashMap;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::config::{ClientSettings, Settings};
use crate::error::OAuthError;
use crate::form::Form;
use crate::identifiers::ClientId;
use crate::tls::PeerCertificate;

/// Keycloak's description of a failed client authentication.
pub const INVALID_CREDENTIALS: &str = "Invalid client or Invalid client credentials";

/// A registered client.
#[derive(Debug, Clone)]
pub struct Client {
    pub client_id: ClientId,
    secret: String,
    pub ciba: bool,
    pub require_certificate: bool,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub require_pkce: bool,
    pub auto_login: bool,
    pub client_credentials: bool,
    /// Access tokens carry `cnf.x5t#S256` of the certificate presented at
    /// the token endpoint (RFC 8705 §3). Off by default (docs/fidelity.md).
    pub certificate_bound_access_tokens: bool,
    pub lifetimes: Lifetimes,
}

/// How long a client's tokens and CIBA requests last: its own settings,
/// else the global ones. Keycloak has per-client token lifespans; its CIBA
/// `expires_in` and `interval` are per realm, here also per client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifetimes {
    pub access: Duration,
    pub id: Duration,
    pub refresh: Duration,
    /// The acknowledgement's `expires_in`, when no `requested_expiry`.
    pub ciba_expires_in: Duration,
    /// The acknowledgement's `interval`, the minimum between polls.
    pub ciba_interval: Duration,
}

impl Lifetimes {
    /// `client`'s lifetimes over the global ones of `settings`.
    pub fn of(client: &ClientSettings, settings: &Settings) -> Self {
        let secs = |own: Option<u64>, global: u64| Duration::from_secs(own.unwrap_or(global));
        let (t, c) = (&settings.tokens, &settings.ciba);
        Self {
            access: secs(client.access_token_ttl_s, t.access_token_ttl_s),
            id: secs(client.id_token_ttl_s, t.id_token_ttl_s),
            refresh: secs(client.refresh_token_ttl_s, t.refresh_token_ttl_s),
            ciba_expires_in: secs(client.ciba_expires_in_s, c.expires_in_s),
            ciba_interval: secs(client.ciba_interval_s, c.interval_s),
        }
    }
}

/// How a client proved who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    SecretBasic,
    SecretPost,
    TlsClientAuth,
}

/// The outcome of a successful authentication.
#[derive(Debug, Clone)]
pub struct Authenticated<'a> {
    pub client: &'a Client,
    pub method: AuthMethod,
    /// The certificate presented on the connection, if any.
    pub certificate: Option<&'a PeerCertificate>,
}

/// Every configured client, by client_id.
#[derive(Debug, Default)]
pub struct Clients {
    by_id: HashMap<String, Client>,
}

impl Clients {
    pub fn new(settings: &Settings) -> Self {
        let by_id = settings
            .clients
            .iter()
            .map(|c| {
                let client = Client {
                    client_id: ClientId::new(c.client_id.clone()),
                    secret: c.client_secret.clone(),
                    ciba: c.ciba,
                    require_certificate: c.require_certificate,
                    redirect_uris: c.redirect_uris.clone(),
                    post_logout_redirect_uris: c.post_logout_redirect_uris.clone(),
                    require_pkce: c.require_pkce,
                    auto_login: c.auto_login,
                    client_credentials: c.client_credentials,
                    certificate_bound_access_tokens: c.certificate_bound_access_tokens,
                    lifetimes: Lifetimes::of(c, settings),
                };
                (c.client_id.clone(), client)
            })
            .collect();
        Self { by_id }
    }

    pub fn get(&self, client_id: &str) -> Option<&Client> {
        self.by_id.get(client_id)
    }

    /// Authenticates the client of a request from its `Authorization`
    /// header, its form and its certificate.
    pub fn authenticate<'a>(
        &'a self,
        authorization: Option<&str>,
        form: &Form,
        certificate: Option<&'a PeerCertificate>,
    ) -> Result<Authenticated<'a>, OAuthError> {
        let basic = authorization.map(parse_basic).transpose()?;
        let form_id = form.get("client_id");
        let form_secret = form.get("client_secret");

        let (client_id, secret, method) = match (basic, form_secret) {
            (Some(_), Some(_)) => {
                // RFC 6749 §2.3: one authentication method per request.
                return Err(OAuthError::invalid_request(
                    "the client authenticated twice (HTTP Basic and client_secret in the form); use one method",
                ));
            }
            (Some((id, secret)), None) => {
                if let Some(form_id) = form_id.filter(|f| *f != id) {
                    return Err(OAuthError::invalid_request(format!(
                        "client_id {form_id:?} in the form differs from {id:?} in the Basic header"
                    )));
                }
                (id, Some(secret), AuthMethod::SecretBasic)
            }
            (None, Some(secret)) => {
                let id = form_id.ok_or_else(|| {
                    OAuthError::invalid_request(
                        "Missing parameter: client_id (sent with client_secret)",
                    )
                })?;
                (
                    id.to_owned(),
                    Some(secret.to_owned()),
                    AuthMethod::SecretPost,
                )
            }
            (None, None) => {
                let Some(id) = form_id else {
                    return Err(no_credentials(certificate));
                };
                (id.to_owned(), None, AuthMethod::TlsClientAuth)
            }
        };
        let basic_used = method == AuthMethod::SecretBasic;
        let fail = |description: String| OAuthError::InvalidClient {
            description,
            basic: basic_used,
        };

        // Keycloak's description, then what was wrong (docs/fidelity.md).
        let client = self.by_id.get(&client_id).ok_or_else(|| {
            fail(format!(
                "{INVALID_CREDENTIALS}: unknown client_id {client_id:?}"
            ))
        })?;
        if let Some(secret) = &secret
            && aws_lc_rs::constant_time::verify_slices_are_equal(
                secret.as_bytes(),
                client.secret.as_bytes(),
            )
            .is_err()
        {
            // Keycloak answers a wrong secret 401 `unauthorized_client`.
            return Err(OAuthError::ClientRefused {
                description: format!(
                    "{INVALID_CREDENTIALS}: wrong client_secret for client_id {client_id:?}"
                ),
                basic: basic_used,
            });
        }

        if method == AuthMethod::TlsClientAuth || client.require_certificate {
            let why = match method {
                AuthMethod::TlsClientAuth => {
                    "no client_secret was sent (tls_client_auth)".to_owned()
                }
                _ => format!("client {client_id:?} requires mTLS"),
            };
            let cert = certificate
                .ok_or_else(|| fail(format!("no client certificate presented; {why}")))?;
            // Which CN would be the client_id? Neither (docs/fidelity.md,
            // the client certificate row).
            if let count @ 2.. = cert.common_names.len() {
                let count = match count {
                    2 => "two".to_owned(),
                    n => n.to_string(),
                };
                return Err(fail(format!(
                    "the client certificate's subject has {count} CN attributes, {}: it must have one, the client_id",
                    cert.describe_cn()
                )));
            }
            if cert.common_name() != Some(client_id.as_str()) {
                return Err(fail(format!(
                    "client certificate CN {} does not match client_id {client_id:?}",
                    cert.describe_cn()
                )));
            }
        }
        Ok(Authenticated {
            client,
            method,
            certificate,
        })
    }
}

fn no_credentials(certificate: Option<&PeerCertificate>) -> OAuthError {
    let hint = match certificate {
        Some(cert) => format!(
            "; a client certificate (CN {}) was presented: add client_id to the form for tls_client_auth",
            cert.describe_cn()
        ),
        None => String::new(),
    };
    OAuthError::invalid_client(format!(
        "no client authentication: send HTTP Basic credentials, client_id and client_secret, or client_id with a client certificate{hint}"
    ))
}

/// Decodes `Basic base64(urlencode(id):urlencode(secret))` (RFC 6749 §2.3.1).
pub fn parse_basic(header: &str) -> Result<(String, String), OAuthError> {
    let bad = |why: &str| OAuthError::InvalidClient {
        description: format!("malformed Authorization header: {why}"),
        basic: true,
    };
    let (scheme, value) = header.split_once(' ').unwrap_or((header, ""));
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(bad(&format!(
            "scheme {scheme:?} is not accepted here; use Basic"
        )));
    }
    let decoded = STANDARD
        .decode(value.trim())
        .map_err(|_| bad("the credentials are not base64"))?;
    let text = String::from_utf8(decoded).map_err(|_| bad("the credentials are not UTF-8"))?;
    let (id, secret) = text
        .split_once(':')
        .ok_or_else(|| bad("the credentials have no ':' between client_id and secret"))?;
    let unescape = |s: &str| {
        form_urlencoded::parse(format!("v={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    let id = unescape(id);
    if id.is_empty() {
        return Err(bad("the client_id is empty"));
    }
    Ok((id, unescape(secret)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;

    fn clients() -> Clients {
        Clients::new(&Settings::default())
    }

    fn basic(id: &str, secret: &str) -> String {
        format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
    }

    fn cert(cn: &str) -> PeerCertificate {
        PeerCertificate {
            common_names: vec![Some(cn.into())],
            thumbprint: "t".into(),
        }
    }

    #[test]
    fn basic_with_the_right_certificate_passes() {
        let c = clients();
        let cert = cert("psc-mock-client");
        let auth = c
            .authenticate(
                Some(&basic("psc-mock-client", "psc-mock-secret")),
                &Form::default(),
                Some(&cert),
            )
            .unwrap();
        assert_eq!(auth.method, AuthMethod::SecretBasic);
    }

    #[test]
    fn errors_say_what_was_seen_and_expected() {
        let c = clients();
        let other = cert("other-app");
        let header = basic("psc-mock-client", "psc-mock-secret");
        let cases: [(Option<&str>, Option<&PeerCertificate>, &str); 4] = [
            (
                Some(&header),
                Some(&other),
                "client certificate CN \"other-app\" does not match client_id \"psc-mock-client\"",
            ),
            (Some(&header), None, "no client certificate presented"),
            (Some("Bearer abc"), None, "scheme \"Bearer\""),
            (None, None, "no client authentication"),
        ];
        for (authz, cert, expected) in cases {
            let err = c.authenticate(authz, &Form::default(), cert).unwrap_err();
            assert!(err.description().contains(expected), "{err:?}");
            assert_eq!(err.to_string(), "invalid_client");
        }
        let wrong = c
            .authenticate(
                Some(&basic("psc-mock-client", "nope")),
                &Form::default(),
                None,
            )
            .unwrap_err();
        assert!(wrong.description().contains("wrong client_secret"));
        assert_eq!(wrong.to_string(), "unauthorized_client");
    }

    #[test]
    fn a_client_without_required_certificate_can_use_its_secret_alone() {
        let c = clients();
        let form = Form::from_pairs([
            ("client_id", "psc-mock-no-ciba"),
            ("client_secret", "psc-mock-secret-no-ciba"),
        ]);
        let auth = c.authenticate(None, &form, None).unwrap();
        assert_eq!(auth.method, AuthMethod::SecretPost);
    }

    #[test]
    fn tls_client_auth_needs_the_certificate() {
        let c = clients();
        let form = Form::from_pairs([("client_id", "psc-mock-no-ciba")]);
        assert!(c.authenticate(None, &form, None).is_err());
        let good = cert("psc-mock-no-ciba");
        let auth = c.authenticate(None, &form, Some(&good)).unwrap();
        assert_eq!(auth.method, AuthMethod::TlsClientAuth);
    }
}
