//! Cross-site protection of the control API (docs/control.md, "Cross-site
//! protection"): a page the developer happens to visit must neither steer
//! the mock nor read it, whichever listener serves `/mock/…`.
//!
//! - `Host` must be a name of this server: loopback (`localhost`,
//!   `127.0.0.1`, `::1`), the bound address (any IP address when bound to
//!   an unspecified one), the hosts of `server.public_url` (or the derived
//!   base URL) and `server.wallet_url`, and `control.allowed_hosts`; else
//!   421. This is what defeats DNS rebinding, in which a foreign name is
//!   made to resolve to the mock: the browser then sends that name.
//! - `Origin`, when present, must be this server's own: the base URL's,
//!   the control listener's, or the request's own (`scheme://Host`, the
//!   `Host` having passed the rule above); else 403. Browsers send it on
//!   every cross-origin request and on every `POST`, so a cross-site form
//!   or `fetch` is refused whatever its body, even a bodiless one.
//! - A state-changing call (`POST`, `PUT`, `PATCH`, `DELETE`) that carries
//!   a body must declare it JSON; else 415. A browser's "simple" request
//!   can only send `text/plain`, form or multipart bodies, so this also
//!   stops a cross-site body where `Origin` is missing. A bodiless call
//!   needs no content type: the approval without body, `reset`, and the
//!   conformance suite's `actionize` are such calls.
//!
//! `/mock/health` is exempt, as it is from the control token: it tells
//! nothing, and health checks use whatever name they like.

use std::net::IpAddr;

use actix_web::dev::ServiceRequest;
use actix_web::http::{Method, Uri, header};

use super::ControlError;
use crate::config::{Settings, reachable_at};

/// The names and origins under which `/mock/…` answers, as app data.
#[derive(Debug, Clone)]
pub struct Site {
    /// Host names and IP addresses, lowercase, without brackets or port.
    hosts: Vec<String>,
    /// Any IP address (a listener bound to `0.0.0.0` or `::`): an address
    /// in `Host` never comes from DNS rebinding, which needs a name.
    any_ip: bool,
    /// `control.allowed_hosts` has `*`.
    any_host: bool,
    /// The configured origins, normalized (`scheme://host[:port]`).
    origins: Vec<String>,
}

impl Default for Site {
    /// Loopback only.
    fn default() -> Self {
        Self {
            hosts: LOOPBACK.iter().map(|h| (*h).to_owned()).collect(),
            any_ip: false,
            any_host: false,
            origins: Vec::new(),
        }
    }
}

/// Names a browser never resolves through DNS.
const LOOPBACK: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// The one content type the control API reads.
const JSON: &str = "application/json";

impl Site {
    /// From the effective settings (with the ports actually bound).
    pub fn new(settings: &Settings) -> Self {
        let mut site = Self::default();
        for addr in [Some(settings.server.bind), settings.control.bind]
            .into_iter()
            .flatten()
        {
            if addr.ip().is_unspecified() {
                site.any_ip = true;
            } else {
                site.hosts.push(addr.ip().to_string());
            }
        }
        let control = settings
            .control
            .bind
            .map(|addr| format!("http://{}", reachable_at(addr)));
        for url in [Some(settings.base_url()), control]
            .into_iter()
            .flatten()
            .chain(
                (!settings.server.wallet_url.is_empty())
                    .then(|| settings.server.wallet_url.clone()),
            )
        {
            if let Some((origin, host)) = origin_of(&url) {
                site.hosts.push(host);
                site.origins.push(origin);
            }
        }
        for host in &settings.control.allowed_hosts {
            if host == "*" {
                site.any_host = true;
            } else {
                site.hosts.push(name_of(host));
            }
        }
        site.hosts.sort();
        site.hosts.dedup();
        site.origins.dedup();
        site
    }

    /// The three checks, in order: `Host`, `Origin`, the body's type.
    pub fn check(&self, req: &ServiceRequest) -> Result<(), ControlError> {
        if req.path() == "/mock/health" {
            return Ok(());
        }
        let host = self.check_host(req)?;
        self.check_origin(req, host.as_deref())?;
        check_body(req)
    }

    /// The request's `Host` (or HTTP/2 authority), if it names one of ours;
    /// `None` if it names none (no browser sends such a request).
    fn check_host(&self, req: &ServiceRequest) -> Result<Option<String>, ControlError> {
        let authority = req
            .headers()
            .get(header::HOST)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .or_else(|| req.uri().authority().map(ToString::to_string));
        let Some(authority) = authority else {
            return Ok(None);
        };
        let name = name_of(&authority);
        let ours = self.any_host
            || self.hosts.contains(&name)
            || (self.any_ip && name.parse::<IpAddr>().is_ok());
        if ours {
            return Ok(Some(authority));
        }
        let mut accepted = self.hosts.clone();
        if self.any_ip {
            accepted.push("any IP address".into());
        }
        Err(ControlError::ForeignHost {
            seen: authority,
            accepted,
        })
    }

    fn check_origin(&self, req: &ServiceRequest, host: Option<&str>) -> Result<(), ControlError> {
        let Some(seen) = req.headers().get(header::ORIGIN) else {
            return Ok(());
        };
        let seen = String::from_utf8_lossy(seen.as_bytes()).into_owned();
        let mut accepted = self.origins.clone();
        if let Some(host) = host {
            let scheme = req.connection_info().scheme().to_owned();
            if let Some((own, _)) = origin_of(&format!("{scheme}://{host}")) {
                accepted.push(own);
            }
        }
        accepted.dedup();
        let ours = origin_of(&seen).is_some_and(|(origin, _)| accepted.contains(&origin));
        if ours {
            return Ok(());
        }
        Err(ControlError::ForeignOrigin { seen, accepted })
    }
}

/// A state-changing call with a body must say it is JSON.
fn check_body(req: &ServiceRequest) -> Result<(), ControlError> {
    let changes = [Method::POST, Method::PUT, Method::PATCH, Method::DELETE];
    if !changes.contains(req.method()) {
        return Ok(());
    }
    let headers = req.headers();
    // RFC 9112 §6.3: no Content-Length and no Transfer-Encoding, or a
    // Content-Length of 0, is no body.
    let length = headers
        .get(header::CONTENT_LENGTH)
        .map(|v| v.to_str().ok().and_then(|v| v.trim().parse::<u64>().ok()));
    let body = match length {
        Some(Some(0)) => false,
        Some(_) => true,
        None => headers.contains_key(header::TRANSFER_ENCODING),
    };
    if !body {
        return Ok(());
    }
    let seen = headers
        .get(header::CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    if seen.as_deref().is_some_and(is_json) {
        return Ok(());
    }
    Err(ControlError::UnsupportedMediaType {
        seen: seen.unwrap_or_else(|| "none".into()),
        accepted: vec![JSON.into()],
    })
}

/// `application/json` or `application/…+json`, with any parameter.
fn is_json(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == JSON || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// The host name of `host[:port]` (or `[v6]:port`): lowercase, no port,
/// no brackets, no final dot.
fn name_of(authority: &str) -> String {
    let authority = authority.trim().to_ascii_lowercase();
    let name = if let Some(rest) = authority.strip_prefix('[') {
        rest.split(']').next().unwrap_or_default()
    } else {
        match authority.split_once(':') {
            Some((name, port)) if !port.contains(':') => name,
            _ => authority.as_str(),
        }
    };
    name.trim_end_matches('.').to_owned()
}

/// `(scheme://host[:port], host name)` of an `http(s)` URL, the port left
/// out when it is the scheme's default; `None` for anything else (an
/// `Origin` of `null`, say).
fn origin_of(url: &str) -> Option<(String, String)> {
    let uri: Uri = url.trim().parse().ok()?;
    let scheme = uri.scheme_str()?.to_ascii_lowercase();
    let default = match scheme.as_str() {
        "https" => 443,
        "http" => 80,
        _ => return None,
    };
    let authority = uri.authority()?;
    let host = authority.host().to_ascii_lowercase();
    let port = match uri.port_u16() {
        Some(port) if port != default => format!(":{port}"),
        _ => String::new(),
    };
    Some((format!("{scheme}://{host}{port}"), name_of(&host)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_their_port_brackets_and_case() {
        assert_eq!(name_of("LocalHost:8443"), "localhost");
        assert_eq!(name_of("[::1]:8443"), "::1");
        assert_eq!(name_of("[::1]"), "::1");
        assert_eq!(name_of("psc-mock."), "psc-mock");
        assert_eq!(name_of("127.0.0.1"), "127.0.0.1");
    }

    #[test]
    fn origins_are_normalized() {
        let origin = |url| origin_of(url).map(|(o, _)| o);
        assert_eq!(
            origin("https://LOCALHOST:443").as_deref(),
            Some("https://localhost")
        );
        assert_eq!(
            origin("https://psc-mock:8443/auth").as_deref(),
            Some("https://psc-mock:8443")
        );
        assert_eq!(
            origin("http://[::1]:9090").as_deref(),
            Some("http://[::1]:9090")
        );
        assert_eq!(origin("null"), None);
        assert_eq!(origin("ftp://x"), None);
    }

    #[test]
    fn json_is_application_json_or_a_json_suffix() {
        for ok in [
            "application/json",
            "Application/JSON; charset=utf-8",
            "application/merge-patch+json",
        ] {
            assert!(is_json(ok), "{ok}");
        }
        for bad in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "text/json",
            "",
        ] {
            assert!(!is_json(bad), "{bad}");
        }
    }

    #[test]
    fn an_unspecified_bind_accepts_addresses_and_the_configured_names() {
        let mut settings = Settings::default();
        settings.server.bind = "0.0.0.0:8443".parse().unwrap();
        settings.server.public_url = "https://psc-mock:8443".into();
        settings.control.allowed_hosts = vec!["Backend.Example".into()];
        let site = Site::new(&settings);
        assert!(site.any_ip);
        for host in ["localhost", "psc-mock", "backend.example", "::1"] {
            assert!(site.hosts.contains(&host.to_owned()), "{host}");
        }
        assert_eq!(site.origins, ["https://psc-mock:8443"]);
        let loopback = Site::new(&Settings::default());
        assert!(!loopback.any_ip);
        assert_eq!(loopback.origins, ["https://127.0.0.1:8443"]);
    }
}
