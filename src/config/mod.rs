//! One settings tree with a default for every field.
//!
//! `config/psc-mock.toml` documents those defaults and is checked against
//! [`Settings::default`] by a test. A user's TOML file may set any subset;
//! unknown keys are refused with their name. `PSC_MOCK_<SECTION>__<KEY>`
//! environment variables override the file ([`layers`]); command-line flags
//! are applied on top by `cli`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::outcome::Action;

mod defaults;
mod layers;
mod validate;

pub use layers::ENV_PREFIX;

/// Errors while reading the configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read configuration file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("configuration file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("environment variable {name}: {message}")]
    Env { name: String, message: String },
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

/// A TOML error as one message (its text ends with a line break).
fn toml_message(e: &toml::de::Error) -> String {
    e.to_string().trim_end().to_owned()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub server: ServerSettings,
    pub pki: PkiSettings,
    pub tokens: TokenSettings,
    pub ciba: CibaSettings,
    pub annuaire: AnnuaireSettings,
    pub control: ControlSettings,
    pub clients: Vec<ClientSettings>,
}

/// The control plane (`/mock/…`): scenarios, faults, journal, the e-CPS
/// simulator page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ControlSettings {
    /// When set, `/mock/…` requires `Authorization: Bearer <token>`
    /// (the simulator page takes it as `?token=`). Empty: open, as suits a
    /// test tool on a private network.
    pub token: String,
    /// When set, `/mock/…` is served on this separate plain-HTTP listener
    /// (e.g. `127.0.0.1:9090`) and not on the main one.
    pub bind: Option<SocketAddr>,
    /// Scenario file (JSON: `scenarios` and `faults`) loaded at start and
    /// restored by `POST /mock/reset`.
    pub scenarios_file: Option<PathBuf>,
    /// Requests the journal keeps (a ring buffer); 0 turns it off.
    pub journal_capacity: usize,
    /// Host names `/mock/…` answers under besides its own (loopback, the
    /// bound address, the hosts of `server.public_url` and
    /// `server.wallet_url`): a compose service name, say. `"*"`: any name,
    /// which gives up the protection against DNS rebinding
    /// (docs/control.md, "Cross-site protection").
    pub allowed_hosts: Vec<String>,
}

impl Default for ControlSettings {
    fn default() -> Self {
        Self {
            token: String::new(),
            bind: None,
            scenarios_file: None,
            journal_capacity: 1_000,
            allowed_hosts: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerSettings {
    /// Address to listen on; port 0 picks a free port.
    pub bind: SocketAddr,
    /// Base URL clients use to reach the server (scheme, host, port), e.g.
    /// `https://psc-mock:8443` in a compose file. Empty: derived from `bind`.
    pub public_url: String,
    /// Keycloak realm name, the last segment of the issuer.
    pub realm: String,
    /// `false` serves plain HTTP, for use behind a TLS-terminating proxy.
    pub tls: bool,
    /// With `tls = false` only: the request header in which the proxy passes
    /// the client certificate (URL-encoded PEM, as nginx's
    /// `$ssl_client_escaped_cert`). Empty: no client certificates at all.
    pub client_cert_header: String,
    /// Take the issuer and every advertised URL from each request
    /// (`Forwarded`, `X-Forwarded-Proto`/`-Host`, `Host`) instead of
    /// `public_url`: one server under several names (`localhost` for a
    /// browser, `psc-mock` for a backend in compose).
    pub issuer_from_request: bool,
    /// Keep the issuer (and the authorization endpoint) of `public_url`,
    /// but advertise the endpoints a server calls (token, userinfo, JWKS,
    /// backchannel, …) under the name of each request, as Keycloak's
    /// `hostname-backchannel-dynamic`.
    pub backchannel_from_request: bool,
    /// PSC's layout: discovery's `authorization_endpoint` is
    /// `<wallet_url>/auth` (PSC's `https://wallet.…/auth`) instead of
    /// Keycloak's path under the issuer. `/auth` is served either way.
    pub psc_layout: bool,
    /// The wallet origin of the PSC layout, e.g. `https://localhost:8443`;
    /// empty: the issuer's.
    pub wallet_url: String,
    /// Worker threads; 0 means one per core.
    pub workers: usize,
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// Connections the system queues before they are accepted (capped by
    /// the system's own limit, `net.core.somaxconn` on Linux).
    pub listen_backlog: u32,
    /// Time a client has to complete its TLS handshake once connected;
    /// then the connection is closed.
    pub tls_handshake_timeout_ms: u64,
    /// TLS handshakes in progress at once, per worker; beyond, new
    /// connections wait to be accepted. Large, so that silent connections
    /// cannot make the others wait (docs/configuration.md).
    pub max_tls_handshakes: usize,
    /// Time a client has to send a request's line and headers (the first
    /// request of a connection); then 408 and the connection is closed.
    pub request_timeout_ms: u64,
    /// Time a request's body has to arrive, from when it is first read;
    /// then 408 `invalid_request` and the connection is closed.
    pub body_timeout_ms: u64,
    /// Longest request target (path and query), in bytes; beyond, 414
    /// `invalid_request`.
    pub max_uri_bytes: usize,
    /// Largest header block (each header's name and value), in bytes;
    /// beyond, 431 `invalid_request`.
    pub max_header_bytes: usize,
}

/// Where the TLS material and the token signing key come from. An empty path
/// means the committed test-only file embedded in the binary (`keys/`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PkiSettings {
    pub server_cert: Option<PathBuf>,
    pub server_key: Option<PathBuf>,
    /// CA certificates whose client certificates are accepted.
    pub client_ca: Vec<PathBuf>,
    /// RSA private key (PKCS#8 or PKCS#1 PEM): the active key, which signs
    /// the tokens. None: the committed test key.
    pub signing_key: Option<PathBuf>,
    /// The `kid` of that key; empty: its RFC 7638 thumbprint.
    pub signing_kid: String,
    /// PEM certificates published as the key's `x5c`, its own first; none:
    /// a self-signed certificate with CN = the realm, as Keycloak makes.
    pub signing_cert: Option<PathBuf>,
    /// Generate a fresh active key at each start instead (`signing_key`
    /// must then be unset), to test that clients fetch the JWKS.
    pub ephemeral_keys: bool,
    /// More keys published in the JWKS and accepted, that sign nothing
    /// (Keycloak's passive keys): the previous key of a rotation, say.
    pub passive_keys: Vec<PassiveKey>,
}

/// A published key that does not sign (`[[pki.passive_keys]]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PassiveKey {
    /// RSA private key, PEM.
    pub file: PathBuf,
    /// Its `kid`; empty: the thumbprint.
    #[serde(default)]
    pub kid: String,
    /// Its `x5c` certificates, PEM; none: self-signed.
    #[serde(default)]
    pub cert: Option<PathBuf>,
}

/// Token lifetimes, in seconds (defaults from PSC's tokens, docs/fidelity.md: PSC's 120 s access
/// token and 30 min refresh token).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TokenSettings {
    pub access_token_ttl_s: u64,
    pub id_token_ttl_s: u64,
    pub refresh_token_ttl_s: u64,
    /// A session ends this long after login, whatever happens (PSC: 4 h).
    pub session_max_s: u64,
    /// …or after this long without a refresh (PSC: 30 min).
    pub session_idle_s: u64,
    /// Most live sessions; beyond, the least recently used ones end.
    pub max_sessions: usize,
    /// Most pending logins of the code flow and codes not yet exchanged,
    /// together; beyond, the busiest client's oldest pending logins are
    /// dropped (docs/configuration.md).
    pub max_pending_logins: usize,
    /// Keycloak's "Revoke Refresh Token": each refresh token is accepted
    /// once and a reused one is refused and ends its session
    /// (docs/fidelity.md). Off (Keycloak's default): a refresh token stays
    /// usable until it expires or its session ends.
    pub revoke_refresh_token: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CibaSettings {
    /// `expires_in` of the acknowledgement (PSC: 120).
    pub expires_in_s: u64,
    /// Minimum polling interval (ANS's own test double: 1; Keycloak: 5).
    pub interval_s: u64,
    /// Largest `requested_expiry` a client may ask for.
    pub max_requested_expiry_s: u64,
    /// How long a finished (denied, expired) request is kept so that polls
    /// still see its outcome, after its expiry.
    pub keep_finished_s: u64,
    /// Cap of the request store; a new request beyond it is refused.
    pub max_requests: usize,
    /// What happens to a request no scenario speaks for.
    pub default_action: Action,
    /// Delay before `default_action` applies.
    pub default_after_ms: u64,
    /// Keycloak's HTTP authentication channel: each new request is POSTed
    /// there (`login_hint`, `scope`, `binding_message`, `acr_values`,
    /// `is_consent_required`, with a bearer token), and the device answers
    /// at `…/ext/ciba/auth/callback`. Empty: off.
    pub authentication_channel_uri: String,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AnnuaireSettings {
    /// Fixture file (JSON); empty means the bundled `fixtures/annuaire.json`.
    pub file: Option<PathBuf>,
    /// Generated professionals added at start, on top of the file.
    pub generated: usize,
    /// Seed of the generated professionals (same seed, same people).
    pub seed: u64,
}

/// A registered client (a connecting service).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientSettings {
    pub client_id: String,
    pub client_secret: String,
    /// CIBA must be enabled per client on PSC.
    #[serde(default = "yes")]
    pub ciba: bool,
    /// Require a client certificate whose subject CN is the client_id.
    #[serde(default = "yes")]
    pub require_certificate: bool,
    /// Registered redirect URIs of the code flow (exact match).
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    /// Registered `post_logout_redirect_uri`s (exact match).
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    /// Refuse authorization requests without a PKCE `code_challenge`.
    #[serde(default)]
    pub require_pkce: bool,
    /// With a `login_hint`, log the professional in without the login page.
    #[serde(default)]
    pub auto_login: bool,
    /// Allow the `client_credentials` grant (a service account).
    #[serde(default)]
    pub client_credentials: bool,
    /// Bind this client's access tokens to its certificate (`cnf`, RFC 8705
    /// §3; Keycloak's "OAuth 2.0 Mutual TLS Certificate Bound Access Tokens
    /// Enabled"). Off, as PSC's tokens show (docs/fidelity.md).
    #[serde(default)]
    pub certificate_bound_access_tokens: bool,
    /// This client's access token lifetime; unset: `tokens.access_token_ttl_s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token_ttl_s: Option<u64>,
    /// …ID token; unset: `tokens.id_token_ttl_s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token_ttl_s: Option<u64>,
    /// …refresh token; unset: `tokens.refresh_token_ttl_s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token_ttl_s: Option<u64>,
    /// …CIBA `expires_in`; unset: `ciba.expires_in_s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ciba_expires_in_s: Option<u64>,
    /// …CIBA `interval`; unset: `ciba.interval_s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ciba_interval_s: Option<u64>,
}

impl ClientSettings {
    /// A client with this id and secret, CIBA enabled and a certificate
    /// required (PSC's rule), no redirect URI, global lifetimes.
    pub fn new(client_id: &str, client_secret: &str) -> Self {
        Self {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            ciba: true,
            require_certificate: true,
            redirect_uris: Vec::new(),
            post_logout_redirect_uris: Vec::new(),
            require_pkce: false,
            auto_login: false,
            client_credentials: false,
            certificate_bound_access_tokens: false,
            access_token_ttl_s: None,
            id_token_ttl_s: None,
            refresh_token_ttl_s: None,
            ciba_expires_in_s: None,
            ciba_interval_s: None,
        }
    }
}

/// Upper bound of the CIBA durations, in seconds.
const DAY_S: u64 = 86_400;
/// Upper bound of token and session lifetimes, in seconds.
const YEAR_S: u64 = 366 * DAY_S;

/// Most requests the journal may keep.
const MAX_JOURNAL: usize = 1_000_000;

fn yes() -> bool {
    true
}

/// The default client of the embedded configuration.
pub const DEFAULT_CLIENT_ID: &str = "psc-mock-client";
pub const DEFAULT_CLIENT_SECRET: &str = "psc-mock-secret";

impl Settings {
    /// Reads a TOML file; fields it does not set keep their defaults.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::from_toml(&text).map_err(|e| ConfigError::Parse {
            path: path.to_owned(),
            message: toml_message(&e),
        })
    }

    pub fn from_toml(text: &str) -> Result<Self, toml::de::Error> {
        toml::from_str(text)
    }

    /// The base URL clients use: `public_url`, or one derived from `bind`
    /// ([`reachable_at`]).
    pub fn base_url(&self) -> String {
        let configured = self.server.public_url.trim_end_matches('/');
        if !configured.is_empty() {
            return configured.to_owned();
        }
        let scheme = if self.server.tls { "https" } else { "http" };
        format!("{scheme}://{}", reachable_at(self.server.bind))
    }

    /// The issuer, `<base>/auth/realms/<realm>`, never with a trailing slash.
    pub fn issuer(&self) -> String {
        format!("{}/auth/realms/{}", self.base_url(), self.server.realm)
    }
}

/// `host:port` under which a listener bound to `addr` is reached: the
/// address itself, or `localhost` for an unspecified one (`0.0.0.0`, `::`),
/// which is no address a client can use, nor an issuer (a container's
/// `-p 8443:8443` reaches it as `localhost:8443`; docs/configuration.md).
pub fn reachable_at(addr: SocketAddr) -> String {
    if addr.ip().is_unspecified() {
        format!("localhost:{}", addr.port())
    } else {
        addr.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_file_is_the_default() {
        let text = include_str!("../../config/psc-mock.toml");
        let parsed = Settings::from_toml(text).expect("config/psc-mock.toml parses");
        assert_eq!(parsed, Settings::default());
    }

    #[test]
    fn unknown_keys_are_named() {
        let err = Settings::from_toml("[server]\nbnid = \"127.0.0.1:1\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("bnid"), "{err}");
    }

    #[test]
    fn issuer_has_no_trailing_slash() {
        let mut s = Settings::default();
        assert_eq!(
            s.issuer(),
            "https://127.0.0.1:8443/auth/realms/esante-wallet"
        );
        s.server.public_url = "https://psc-mock:8443/".into();
        assert_eq!(
            s.issuer(),
            "https://psc-mock:8443/auth/realms/esante-wallet"
        );
    }

    #[test]
    fn an_unspecified_address_is_never_the_issuer() {
        let mut s = Settings::default();
        for bind in ["0.0.0.0:8443", "[::]:8443"] {
            s.server.bind = bind.parse().unwrap();
            assert_eq!(
                s.issuer(),
                "https://localhost:8443/auth/realms/esante-wallet"
            );
        }
        s.server.bind = "[::1]:8443".parse().unwrap();
        assert_eq!(s.base_url(), "https://[::1]:8443");
    }

    #[test]
    fn absurd_lifetimes_are_refused() {
        let mut s = Settings::default();
        s.tokens.access_token_ttl_s = u64::MAX;
        assert!(
            s.validate()
                .unwrap_err()
                .to_string()
                .contains("tokens.access_token_ttl_s")
        );
    }

    #[test]
    fn allowed_hosts_are_names_addresses_or_a_star() {
        let mut s = Settings::default();
        s.control.allowed_hosts = vec!["psc-mock".into(), "10.0.0.2".into(), "*".into()];
        assert!(s.validate().is_ok());
        for bad in ["https://psc-mock", "psc-mock:8443", "", "a b"] {
            s.control.allowed_hosts = vec![bad.into()];
            let err = s.validate().unwrap_err().to_string();
            assert!(err.contains("control.allowed_hosts"), "{bad}: {err}");
        }
    }

    #[test]
    fn duplicate_clients_are_refused() {
        let mut s = Settings::default();
        s.clients.push(s.clients[0].clone());
        assert!(s.validate().unwrap_err().to_string().contains("twice"));
    }
}
