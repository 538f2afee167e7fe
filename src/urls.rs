//! The issuer and the URLs psc-mock advertises, for each request.
//!
//! By default they come from `server.public_url` (or the bound address):
//! one issuer, whatever name a client used, as with Keycloak's fixed
//! `hostname`. With `server.issuer_from_request`, each request gets the
//! issuer of the name it was sent to: `Forwarded`, else
//! `X-Forwarded-Proto`/`X-Forwarded-Host`, else `Host` (Keycloak without a
//! hostname, behind a proxy with `proxy-headers`), so that one server can
//! be `https://localhost:8443` to a browser and `https://psc-mock:8443` to
//! a backend in compose. With `server.backchannel_from_request` the issuer
//! stays fixed and only the endpoints a server calls (token, userinfo,
//! JWKS, …) follow the request, as Keycloak's `hostname-backchannel-dynamic`.
//!
//! The issuer never ends with a slash, and discovery's `issuer` is the
//! `iss` of the tokens issued under the same name. In request mode, a
//! token issued under one name is accepted under another (the names are one
//! server; Keycloak, which does not expect several, would refuse it).
//!
//! With `server.psc_layout`, discovery's `authorization_endpoint` is
//! `<wallet_url>/auth`, PSC's login page on its own origin
//! (`https://wallet.bas.psc.esante.gouv.fr/auth`); `/auth` is served
//! whatever the layout.

use std::sync::Arc;

use actix_web::HttpRequest;
use actix_web::http::header;

use crate::config::Settings;
use crate::error::OAuthError;

/// PSC's path of the login page on its wallet origin.
pub use crate::endpoint::WALLET_AUTHORIZE;

/// Longest host name (with port) taken from a request.
const MAX_HOST: usize = 255;

/// How the URLs are made; built once from the settings.
#[derive(Debug, Clone)]
pub struct Urls {
    /// The configured `scheme://host[:port]`.
    base: String,
    /// The URLs under `base`.
    fixed: Arc<Site>,
    realm: String,
    /// `/auth/realms/<realm>`.
    realm_path: String,
    issuer_from_request: bool,
    backchannel_from_request: bool,
    psc_layout: bool,
    /// The wallet origin of the PSC layout; empty: the issuer's origin.
    wallet_url: String,
}

/// The issuer and advertised URLs of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    /// `iss` of the tokens, `issuer` of discovery.
    pub issuer: String,
    /// Where the endpoints a server calls live (`<base>/auth/realms/<realm>`):
    /// the issuer, unless they follow the request.
    pub backchannel: String,
    /// The authorization endpoint, for browsers.
    pub authorization_endpoint: String,
}

impl Urls {
    pub fn new(settings: &Settings) -> Self {
        let server = &settings.server;
        let realm_path = format!("/auth/realms/{}", server.realm);
        let wallet_url = server.wallet_url.trim_end_matches('/').to_owned();
        let mut urls = Self {
            base: settings.base_url(),
            fixed: Arc::new(Site {
                issuer: String::new(),
                backchannel: String::new(),
                authorization_endpoint: String::new(),
            }),
            realm: server.realm.clone(),
            realm_path,
            issuer_from_request: server.issuer_from_request,
            backchannel_from_request: server.backchannel_from_request,
            psc_layout: server.psc_layout,
            wallet_url,
        };
        urls.fixed = Arc::new(urls.site(&urls.base, &urls.base));
        urls
    }

    /// The issuer of the configuration (the banner's, the library's).
    pub fn issuer(&self) -> &str {
        &self.fixed.issuer
    }

    /// The realm, the issuer's last segment.
    pub fn realm(&self) -> &str {
        &self.realm
    }

    /// `/auth/realms/<realm>`.
    pub fn realm_path(&self) -> &str {
        &self.realm_path
    }

    /// Whether the URLs depend on the request at all.
    pub fn follow_request(&self) -> bool {
        self.issuer_from_request || self.backchannel_from_request
    }

    /// The issuer and URLs for `req`; an unusable `Host` or forwarded
    /// header is refused, naming it.
    pub fn for_request(&self, req: &HttpRequest) -> Result<Arc<Site>, OAuthError> {
        if !self.follow_request() {
            return Ok(self.fixed.clone());
        }
        let Some(base) = request_base(req)? else {
            return Ok(self.fixed.clone());
        };
        let site = if self.issuer_from_request {
            self.site(&base, &base)
        } else {
            self.site(&self.base, &base)
        };
        Ok(Arc::new(site))
    }

    fn site(&self, base: &str, backchannel_base: &str) -> Site {
        let issuer = format!("{base}{}", self.realm_path);
        let authorization_endpoint = if self.psc_layout {
            let wallet = if self.wallet_url.is_empty() {
                base
            } else {
                &self.wallet_url
            };
            format!("{wallet}{WALLET_AUTHORIZE}")
        } else {
            format!("{issuer}{}", crate::endpoint::AUTHORIZE)
        };
        Site {
            backchannel: format!("{backchannel_base}{}", self.realm_path),
            issuer,
            authorization_endpoint,
        }
    }

    /// Whether `iss` is an issuer of this server: the configured one, or
    /// in request mode any `http(s)://<host>` followed by the realm path.
    pub fn accepts(&self, iss: &str) -> bool {
        if iss == self.fixed.issuer {
            return true;
        }
        if !self.issuer_from_request {
            return false;
        }
        let Some(base) = iss.strip_suffix(&self.realm_path) else {
            return false;
        };
        let host = base
            .strip_prefix("https://")
            .or_else(|| base.strip_prefix("http://"));
        host.is_some_and(valid_host)
    }
}

/// `scheme://host` of the request, or `None` if it names no host.
fn request_base(req: &HttpRequest) -> Result<Option<String>, OAuthError> {
    let headers = req.headers();
    let named = [
        header::FORWARDED,
        header::HOST,
        header::HeaderName::from_static("x-forwarded-host"),
    ]
    .iter()
    .any(|h| headers.contains_key(h))
        || req.uri().authority().is_some();
    if !named {
        return Ok(None);
    }
    let info = req.connection_info();
    let scheme = info.scheme();
    if scheme != "https" && scheme != "http" {
        return Err(OAuthError::invalid_request(format!(
            "the forwarded scheme {scheme:?} is not http or https"
        )));
    }
    let host = info.host();
    if !valid_host(host) {
        return Err(OAuthError::invalid_request(format!(
            "the request's host {host:?} (from Forwarded, X-Forwarded-Host or Host) is not a host name with an optional port"
        )));
    }
    Ok(Some(format!("{scheme}://{}", host.to_ascii_lowercase())))
}

/// A host name or IP literal with an optional port, as it may stand in a
/// URL: letters, digits, `-`, `.`, and for IPv6 `[`, `]` and `:`.
fn valid_host(host: &str) -> bool {
    let (name, port) = match host.rsplit_once(':') {
        Some((name, _)) if !name.ends_with(']') && name.contains(':') => (host, None),
        Some((name, port)) => (name, Some(port)),
        None => (host, None),
    };
    let port_ok =
        port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()));
    let name_ok = if let Some(inner) = name.strip_prefix('[').and_then(|n| n.strip_suffix(']')) {
        !inner.is_empty()
            && inner
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
    } else {
        !name.is_empty()
            && !name.starts_with(['-', '.'])
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
    };
    host.len() <= MAX_HOST && port_ok && name_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_checked() {
        for ok in [
            "psc-mock",
            "localhost:8443",
            "127.0.0.1:1",
            "[::1]:8443",
            "[::1]",
            "a.b-c.d",
        ] {
            assert!(valid_host(ok), "{ok}");
        }
        for bad in [
            "",
            "a b",
            "evil.com/x",
            "x:",
            "x:123456",
            "-x",
            "a\"b",
            "[zz]",
            "host:80:80",
        ] {
            assert!(!valid_host(bad), "{bad}");
        }
    }

    fn urls(adjust: impl FnOnce(&mut Settings)) -> Urls {
        let mut settings = Settings::default();
        adjust(&mut settings);
        Urls::new(&settings)
    }

    #[test]
    fn fixed_issuers_have_no_trailing_slash_and_only_they_are_accepted() {
        let u = urls(|s| s.server.public_url = "https://psc-mock:8443/".into());
        assert_eq!(
            u.issuer(),
            "https://psc-mock:8443/auth/realms/esante-wallet"
        );
        assert!(u.accepts("https://psc-mock:8443/auth/realms/esante-wallet"));
        assert!(!u.accepts("https://localhost:8443/auth/realms/esante-wallet"));
    }

    #[test]
    fn in_request_mode_any_name_of_the_realm_is_accepted() {
        let u = urls(|s| s.server.issuer_from_request = true);
        assert!(u.accepts("https://localhost:8443/auth/realms/esante-wallet"));
        assert!(u.accepts("http://psc-mock/auth/realms/esante-wallet"));
        assert!(!u.accepts("https://localhost:8443/auth/realms/other"));
        assert!(!u.accepts("ftp://localhost/auth/realms/esante-wallet"));
        assert!(!u.accepts("https://a/b/auth/realms/esante-wallet"));
    }

    #[test]
    fn the_psc_layout_moves_the_authorization_endpoint() {
        let u = urls(|s| {
            s.server.psc_layout = true;
            s.server.wallet_url = "https://wallet.localhost:8443/".into();
        });
        assert_eq!(
            u.fixed.authorization_endpoint,
            "https://wallet.localhost:8443/auth"
        );
        let same_origin = urls(|s| s.server.psc_layout = true);
        assert_eq!(
            same_origin.fixed.authorization_endpoint,
            "https://127.0.0.1:8443/auth"
        );
    }
}
