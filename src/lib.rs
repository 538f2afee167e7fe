//! psc-mock: a mock of Pro Santé Connect (PSC), the OpenID Connect provider
//! of French health professionals, for CI pipelines and test suites.
//!
//! It serves PSC's endpoints at Keycloak's paths (discovery, JWKS, CIBA in
//! poll mode, token, userinfo), enforces mutual TLS with PSC's rule (the
//! client certificate's CN is the client_id), authenticates fixture
//! professionals of a fake Annuaire santé, and lets a control API play the
//! professional's CPS card or e-CPS app.
//!
//! Inside a test suite, [`MockServer`] starts one on a free port and plays
//! the professional directly:
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let psc = psc_mock::MockServer::builder().start().await?;
//! println!("issuer: {}", psc.issuer());
//! // … the code under test starts a CIBA request, then:
//! for request in psc.pending_requests() {
//!     psc.approve(&request.auth_req_id)?;
//! }
//! # Ok(()) }
//! ```

pub mod annuaire;
pub mod channel;
pub mod ciba;
pub mod ciba_client;
pub mod cli;
pub mod client_http;
pub mod clients;
pub mod clock;
pub mod codeflow;
pub mod compare;
pub mod config;
pub mod control;
pub mod endpoint;
pub mod error;
pub mod faults;
pub mod form;
pub mod identifiers;
pub mod journal;
pub mod keys;
pub mod listener;
pub mod login_page;
pub mod matching;
mod mock_server;
pub mod oidc;
pub mod outbound;
pub mod outcome;
pub mod pki;
pub mod registry;
pub mod scenarios;
pub mod sessions;
pub mod startup;
pub mod state;
pub mod tls;
pub mod tokens;
pub mod urls;

pub use mock_server::{MockServer, MockServerBuilder, MockServerError};
pub use startup::{Application, StartupError};
