//! What every handler shares: built once at start, passed as app data.

use std::time::Duration;

use crate::annuaire::Annuaire;
use crate::ciba::{CibaStore, Scenario, Scenarios};
use crate::clients::Clients;
use crate::clock::Clock;
use crate::codeflow::CodeFlow;
use crate::config::{CibaSettings, Settings};
use crate::sessions::Sessions;
use crate::tokens::TokenIssuer;

/// Most pending logins and unexchanged codes at once.
const MAX_CODE_FLOW: usize = 10_000;

/// Most scenarios a control API user may set at once.
const MAX_SCENARIOS: usize = 10_000;

pub struct AppState {
    pub issuer: String,
    pub clock: Clock,
    pub clients: Clients,
    pub annuaire: Annuaire,
    pub ciba: CibaStore,
    pub ciba_settings: CibaSettings,
    pub scenarios: Scenarios,
    pub sessions: Sessions,
    pub codeflow: CodeFlow,
    pub tokens: TokenIssuer,
    /// The discovery document, serialized once.
    pub discovery: Vec<u8>,
}

impl AppState {
    pub fn new(
        settings: &Settings,
        clock: Clock,
        annuaire: Annuaire,
        key: crate::keys::SigningKey,
    ) -> Self {
        let issuer = settings.issuer();
        let ciba = &settings.ciba;
        let default = Scenario {
            action: ciba.default_action,
            after_ms: ciba.default_after_ms,
        };
        let any_service_account = settings.clients.iter().any(|c| c.client_credentials);
        let discovery = crate::oidc::discovery::document(&issuer, any_service_account);
        Self {
            clock,
            clients: Clients::new(&settings.clients),
            annuaire,
            ciba: CibaStore::new(ciba.max_requests, Duration::from_secs(ciba.keep_finished_s)),
            ciba_settings: ciba.clone(),
            scenarios: Scenarios::new(default, MAX_SCENARIOS),
            codeflow: CodeFlow::new(MAX_CODE_FLOW),
            sessions: Sessions::new(
                settings.tokens.max_sessions,
                Duration::from_secs(settings.tokens.session_max_s),
                Duration::from_secs(settings.tokens.session_idle_s),
            ),
            tokens: TokenIssuer {
                issuer: issuer.clone(),
                key,
                access_ttl: Duration::from_secs(settings.tokens.access_token_ttl_s),
                id_ttl: Duration::from_secs(settings.tokens.id_token_ttl_s),
                refresh_ttl: Duration::from_secs(settings.tokens.refresh_token_ttl_s),
            },
            discovery,
            issuer,
        }
    }
}
