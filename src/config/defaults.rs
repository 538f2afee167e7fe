//! The default of every setting: the embedded configuration that
//! `config/psc-mock.toml` documents (a test keeps them equal): PSC's
//! lifetimes and CIBA answers, the three test clients.

use std::net::SocketAddr;

use crate::outcome::Action;

use super::{
    AnnuaireSettings, CibaSettings, ClientSettings, ControlSettings, DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET, PkiSettings, ServerSettings, Settings, TokenSettings,
};

impl Default for Settings {
    fn default() -> Self {
        Self {
            server: ServerSettings::default(),
            pki: PkiSettings::default(),
            tokens: TokenSettings::default(),
            ciba: CibaSettings::default(),
            annuaire: AnnuaireSettings::default(),
            control: ControlSettings::default(),
            clients: vec![
                local_client(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET),
                ClientSettings {
                    require_pkce: true,
                    ..local_client("psc-mock-client-2", "psc-mock-secret-2")
                },
                ClientSettings {
                    ciba: false,
                    require_certificate: false,
                    ..local_client("psc-mock-no-ciba", "psc-mock-secret-no-ciba")
                },
            ],
        }
    }
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8443)),
            public_url: String::new(),
            realm: "esante-wallet".into(),
            tls: true,
            client_cert_header: String::new(),
            issuer_from_request: false,
            backchannel_from_request: false,
            psc_layout: false,
            wallet_url: String::new(),
            workers: 0,
            max_body_bytes: 64 * 1024,
            listen_backlog: 1_024,
            tls_handshake_timeout_ms: 3_000,
            max_tls_handshakes: 10_000,
            request_timeout_ms: 5_000,
            body_timeout_ms: 5_000,
            max_uri_bytes: 16 * 1024,
            max_header_bytes: 32 * 1024,
        }
    }
}

impl Default for TokenSettings {
    fn default() -> Self {
        Self {
            access_token_ttl_s: 120,
            id_token_ttl_s: 120,
            refresh_token_ttl_s: 1800,
            session_max_s: 4 * 3600,
            session_idle_s: 1800,
            max_sessions: 10_000,
            max_pending_logins: 10_000,
            revoke_refresh_token: false,
        }
    }
}

impl Default for CibaSettings {
    fn default() -> Self {
        Self {
            expires_in_s: 120,
            interval_s: 1,
            max_requested_expiry_s: 600,
            keep_finished_s: 300,
            max_requests: 10_000,
            default_action: Action::Never,
            default_after_ms: 0,
            authentication_channel_uri: String::new(),
        }
    }
}

/// A default client: CIBA and a certificate required (`ClientSettings::new`),
/// a local web app's callback and logout URIs.
fn local_client(client_id: &str, client_secret: &str) -> ClientSettings {
    ClientSettings {
        redirect_uris: local_app("/callback"),
        post_logout_redirect_uris: local_app("/"),
        ..ClientSettings::new(client_id, client_secret)
    }
}

/// Callback URIs registered for the default clients: a local web app.
fn local_app(path: &str) -> Vec<String> {
    ["http://localhost:8080", "http://127.0.0.1:8080"]
        .iter()
        .map(|origin| format!("{origin}{path}"))
        .collect()
}
