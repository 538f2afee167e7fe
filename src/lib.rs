//! psc-mock: a mock of Pro Santé Connect (PSC), the OpenID Connect provider
//! of French health professionals, for CI pipelines and test suites.
//!
//! It serves PSC's endpoints at Keycloak's paths (discovery, JWKS, CIBA in
//! poll mode, token, userinfo), enforces mutual TLS with PSC's rule (the
//! client certificate's CN is the client_id), authenticates fixture
//! professionals of a fake Annuaire santé, and lets a control API play the
//! professional's CPS card or e-CPS app.
//!
//! Start it inside a test on a free port:
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let mut settings = psc_mock::config::Settings::default();
//! settings.server.bind = "127.0.0.1:0".parse()?;
//! let app = psc_mock::Application::build(settings)?;
//! println!("issuer: {}", app.issuer());
//! tokio::spawn(app.run_until_stopped());
//! # Ok(()) }
//! ```

pub mod annuaire;
pub mod ciba;
pub mod ciba_client;
pub mod cli;
pub mod clients;
pub mod clock;
pub mod codeflow;
pub mod config;
pub mod control;
pub mod error;
pub mod faults;
pub mod form;
pub mod journal;
pub mod keys;
pub mod login_page;
pub mod oidc;
pub mod pki;
pub mod scenarios;
pub mod sessions;
pub mod startup;
pub mod state;
pub mod tls;
pub mod tokens;

pub use startup::{Application, StartupError};
