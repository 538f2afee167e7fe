//! [`MockServer`]: psc-mock inside a Rust test suite.
//!
//! One call starts a server on a free loopback port, with TLS and the test
//! PKI, on the test's tokio runtime; the handle gives what a client needs
//! (issuer, CA, client identity) and plays the professional directly, without
//! HTTP (approve, deny, expire, scenarios, the journal). The server stops when
//! the handle is dropped; several can run in one process.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use psc_mock::MockServer;
//!
//! let psc = MockServer::builder().start().await?;
//! let http = reqwest::Client::builder()
//!     .tls_certs_only([reqwest::Certificate::from_pem(psc.ca_pem().as_bytes())?])
//!     .identity(reqwest::Identity::from_pem(psc.client_identity_pem().as_bytes())?)
//!     .build()?;
//!
//! // The connecting service asks PSC to authenticate a professional…
//! let ack: serde_json::Value = http
//!     .post(format!("{}/protocol/openid-connect/ext/ciba/auth", psc.issuer()))
//!     .basic_auth(psc.client_id(), Some(psc.client_secret()))
//!     .form(&[("login_hint", "899700245667"), ("scope", "openid scope_all")])
//!     .send()
//!     .await?
//!     .json()
//!     .await?;
//! let auth_req_id = ack["auth_req_id"].as_str().unwrap();
//!
//! // …the professional confirms on their phone (here, the handle)…
//! psc.approve(auth_req_id)?;
//!
//! // …and the service's next poll gets the tokens.
//! let tokens: serde_json::Value = http
//!     .post(format!("{}/protocol/openid-connect/token", psc.issuer()))
//!     .basic_auth(psc.client_id(), Some(psc.client_secret()))
//!     .form(&[
//!         ("grant_type", "urn:openid:params:grant-type:ciba"),
//!         ("auth_req_id", auth_req_id),
//!     ])
//!     .send()
//!     .await?
//!     .json()
//!     .await?;
//! assert!(tokens["access_token"].is_string());
//! # Ok(()) }
//! ```

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use actix_web::dev::ServerHandle;
use actix_web::web;

use crate::annuaire::{AnnuaireError, Professional};
use crate::ciba::{Action, Approval, CibaRequest, StoreError};
use crate::clock::Clock;
use crate::config::{ClientSettings, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, Settings};
use crate::journal::{Entry, Filter};
use crate::keys::{KeyOrigin, KeySpec, KeyView, SigningKey};
use crate::pki::EMBEDDED;
use crate::scenarios::{Scenario, ScenarioError};
use crate::startup::{Application, StartupError};
use crate::state::AppState;

/// What can go wrong starting or driving a [`MockServer`].
#[derive(Debug, thiserror::Error)]
pub enum MockServerError {
    #[error(transparent)]
    Startup(#[from] StartupError),
    #[error(transparent)]
    Annuaire(#[from] AnnuaireError),
    #[error("invalid scenario: {0}")]
    InvalidScenario(#[from] crate::scenarios::ScenarioInvalid),
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("no professional with idNat {0:?} in the annuaire")]
    UnknownProfessional(String),
    #[error(transparent)]
    Key(#[from] crate::keys::KeyError),
    #[error(transparent)]
    Keys(#[from] crate::keys::RingError),
}

/// Settings of a [`MockServer`] before it starts.
#[derive(Debug)]
pub struct MockServerBuilder {
    settings: Settings,
    clock: Option<Clock>,
    professionals: Vec<Professional>,
    scenarios: Vec<Scenario>,
}

impl MockServerBuilder {
    /// Adjusts any setting (see `config/psc-mock.toml`); the address stays a
    /// free loopback port unless this changes it.
    pub fn settings(mut self, adjust: impl FnOnce(&mut Settings)) -> Self {
        adjust(&mut self.settings);
        self
    }

    /// Adds a professional to the bundled fixtures (validated at start).
    pub fn professional(mut self, professional: Professional) -> Self {
        self.professionals.push(professional);
        self
    }

    /// Registers another client.
    pub fn client(mut self, client: ClientSettings) -> Self {
        self.settings.clients.push(client);
        self
    }

    /// A scenario in force from the start.
    pub fn scenario(mut self, scenario: Scenario) -> Self {
        self.scenarios.push(scenario);
        self
    }

    /// A clock that stands still at `at` until [`Clock::advance`].
    pub fn fixed_clock(mut self, at: SystemTime) -> Self {
        self.clock = Some(Clock::fixed(at));
        self
    }

    /// Every CIBA request no scenario speaks for is approved after `delay`.
    pub fn auto_approve_after(mut self, delay: Duration) -> Self {
        self.settings.ciba.default_action = Action::Approve;
        self.settings.ciba.default_after_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
        self
    }

    /// Starts the server on the current tokio runtime.
    pub async fn start(self) -> Result<MockServer, MockServerError> {
        let clock = self.clock.unwrap_or_else(Clock::system);
        let app = Application::build_with(self.settings, clock, false)?;
        let state = app.state().clone();
        if !self.professionals.is_empty() {
            state
                .annuaire
                .extend("MockServerBuilder::professional", self.professionals)?;
        }
        for scenario in self.scenarios {
            scenario.validate(&state.annuaire)?;
            state.scenarios.add(scenario, false)?;
        }
        let server = MockServer {
            port: app.port(),
            issuer: app.issuer().to_owned(),
            handle: app.handle(),
            state,
        };
        tokio::spawn(app.run_until_stopped());
        Ok(server)
    }
}

/// A running psc-mock; stops when dropped.
pub struct MockServer {
    port: u16,
    issuer: String,
    handle: ServerHandle,
    state: web::Data<AppState>,
}

impl MockServer {
    /// A builder with the defaults: the bundled fixtures and clients, a free
    /// loopback port, the system clock, requests waiting for an answer.
    pub fn builder() -> MockServerBuilder {
        let mut settings = Settings::default();
        settings.server.bind = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
        settings.server.workers = 1;
        MockServerBuilder {
            settings,
            clock: None,
            professionals: Vec::new(),
            scenarios: Vec::new(),
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `https://127.0.0.1:<port>/auth/realms/esante-wallet`.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// `https://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }

    /// The CA certificate (PEM) the client must trust: the test CA, unless
    /// the settings name another server certificate.
    pub fn ca_pem(&self) -> &'static str {
        EMBEDDED.ca_cert
    }

    /// The default client's certificate and key (PEM, concatenated), whose
    /// CN is [`client_id`](Self::client_id).
    pub fn client_identity_pem(&self) -> String {
        format!("{}\n{}", EMBEDDED.client_cert, EMBEDDED.client_key)
    }

    pub fn client_id(&self) -> &'static str {
        DEFAULT_CLIENT_ID
    }

    pub fn client_secret(&self) -> &'static str {
        DEFAULT_CLIENT_SECRET
    }

    /// The server's clock (fixed clocks move with `advance`).
    pub fn clock(&self) -> &Clock {
        &self.state.clock
    }

    /// The professional confirms.
    pub fn approve(&self, auth_req_id: &str) -> Result<CibaRequest, MockServerError> {
        self.decide(auth_req_id, Action::Approve, None)
    }

    /// The request is approved with tokens for another professional.
    pub fn approve_as(
        &self,
        auth_req_id: &str,
        id_nat: &str,
    ) -> Result<CibaRequest, MockServerError> {
        if self.state.annuaire.get(id_nat).is_none() {
            return Err(MockServerError::UnknownProfessional(id_nat.to_owned()));
        }
        let approval = Approval {
            as_id_nat: Some(id_nat.to_owned()),
            claims: None,
        };
        self.decide(auth_req_id, Action::Approve, Some(approval))
    }

    /// The professional refuses.
    pub fn deny(&self, auth_req_id: &str) -> Result<CibaRequest, MockServerError> {
        self.decide(auth_req_id, Action::Deny, None)
    }

    /// The request expires now.
    pub fn expire(&self, auth_req_id: &str) -> Result<CibaRequest, MockServerError> {
        self.decide(auth_req_id, Action::Expire, None)
    }

    fn decide(
        &self,
        auth_req_id: &str,
        action: Action,
        approval: Option<Approval>,
    ) -> Result<CibaRequest, MockServerError> {
        let now = self.state.clock.now();
        Ok(self.state.ciba.decide(auth_req_id, action, approval, now)?)
    }

    /// The CIBA requests still waiting for the professional, oldest first.
    pub fn pending_requests(&self) -> Vec<CibaRequest> {
        let now = self.state.clock.now();
        self.state
            .ciba
            .list()
            .into_iter()
            .filter(|r| r.status(now) == crate::ciba::Status::Pending)
            .collect()
    }

    /// Adds a scenario (validated); returns it with its id.
    pub fn add_scenario(&self, scenario: Scenario) -> Result<Scenario, MockServerError> {
        scenario.validate(&self.state.annuaire)?;
        Ok(self.state.scenarios.add(scenario, false)?)
    }

    /// The journal's entries that match `filter`, oldest first.
    pub fn journal(&self, filter: &Filter) -> Vec<Arc<Entry>> {
        self.state.journal.query(filter)
    }

    /// The published signing keys, the active one marked.
    pub fn keys(&self) -> Vec<KeyView> {
        self.state.tokens.keys.list()
    }

    /// Rotates the signing key: a fresh RSA key, published and active
    /// from now on; the previous one stays published (passive) until
    /// [`MockServer::retire_key`]. Returns the new `kid`. To test that a
    /// client refetches the JWKS when it meets an unknown `kid`.
    pub fn rotate_key(&self) -> Result<String, MockServerError> {
        let spec = KeySpec {
            realm: self.state.urls.realm(),
            origin: KeyOrigin::Generated,
            ..KeySpec::default()
        };
        let key = SigningKey::generate(spec)?;
        Ok(self.state.tokens.keys.add(key, true)?.kid)
    }

    /// Removes a key from the JWKS: tokens it signed are refused from now
    /// on (not the active key).
    pub fn retire_key(&self, kid: &str) -> Result<(), MockServerError> {
        Ok(self.state.tokens.keys.retire(kid)?)
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        // The stop command is sent now; the future only waits for it.
        drop(self.handle.stop(false));
    }
}
