//! What every handler shares: built once at start, passed as app data.

use std::time::Duration;

use crate::annuaire::Annuaire;
use crate::ciba::CibaStore;
use crate::clients::Clients;
use crate::clock::Clock;
use crate::codeflow::CodeFlow;
use crate::config::{CibaSettings, Settings};
use crate::faults::Faults;
use crate::journal::Journal;
use crate::keys::Keys;
use crate::scenarios::{Outcome, PatternBudget, Scenarios, ScriptFile};
use crate::sessions::Sessions;
use crate::tokens::TokenIssuer;
use crate::urls::Urls;

/// Most scenarios a control API user may set at once.
const MAX_SCENARIOS: usize = 10_000;

/// Most faults at once.
const MAX_FAULTS: usize = 1_000;

pub struct AppState {
    /// The issuer and advertised URLs, per request.
    pub urls: Urls,
    pub clock: Clock,
    pub clients: Clients,
    pub annuaire: Annuaire,
    pub ciba: CibaStore,
    pub ciba_settings: CibaSettings,
    pub scenarios: Scenarios,
    pub faults: Faults,
    /// The scenarios and faults of the start-up file, restored by a reset.
    pub script: ScriptFile,
    pub journal: Journal,
    pub sessions: Sessions,
    pub codeflow: CodeFlow,
    pub tokens: TokenIssuer,
    /// Keycloak's HTTP authentication channel, when configured.
    pub channel: Option<crate::channel::AuthChannel>,
}

impl AppState {
    pub fn new(
        settings: &Settings,
        clock: Clock,
        annuaire: Annuaire,
        keys: Keys,
        script: ScriptFile,
    ) -> Self {
        let urls = Urls::new(settings);
        let ciba = &settings.ciba;
        let default = Outcome::new(ciba.default_action, ciba.default_after_ms);
        let patterns = PatternBudget::default();
        let state = Self {
            clock,
            clients: Clients::new(settings),
            annuaire,
            ciba: CibaStore::new(ciba.max_requests, Duration::from_secs(ciba.keep_finished_s)),
            ciba_settings: ciba.clone(),
            scenarios: Scenarios::new(default, MAX_SCENARIOS, patterns.clone()),
            faults: Faults::new(MAX_FAULTS, patterns),
            journal: Journal::new(settings.control.journal_capacity),
            codeflow: CodeFlow::new(settings.tokens.max_pending_logins),
            sessions: Sessions::new(
                settings.tokens.max_sessions,
                Duration::from_secs(settings.tokens.session_max_s),
                Duration::from_secs(settings.tokens.session_idle_s),
            )
            .with_rotation(settings.tokens.revoke_refresh_token),
            tokens: TokenIssuer::new(keys, urls.clone()),
            channel: None,
            urls,
            script,
        };
        state.reset_script();
        state
    }

    /// The issuer of the configuration.
    pub fn issuer(&self) -> &str {
        self.urls.issuer()
    }

    /// Puts back the scenarios and faults of the start-up file.
    pub fn reset_script(&self) {
        self.scenarios.replace_all(self.script.scenarios.clone());
        self.faults.replace_all(self.script.faults.clone());
    }
}
