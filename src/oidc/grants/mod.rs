//! The grants of the token endpoint, one file each, and what they share:
//! starting or continuing a session and signing its tokens.

pub mod ciba;
pub mod client_credentials;
pub mod code;
pub mod refresh;

use std::time::SystemTime;

use crate::annuaire::Professional;
use crate::clients::Authenticated;
use crate::error::OAuthError;
use crate::sessions::Session;
use crate::state::AppState;
use crate::tokens::{Grant, TokenResponse};

pub const CIBA: &str = "urn:openid:params:grant-type:ciba";
pub const REFRESH: &str = "refresh_token";
pub const CODE: &str = "authorization_code";
pub const CLIENT_CREDENTIALS: &str = "client_credentials";

/// The grant types served, in the order of PSC's discovery document
/// (`client_credentials` needs a client that enables it).
pub const SUPPORTED: [&str; 4] = [CODE, CLIENT_CREDENTIALS, REFRESH, CIBA];

/// What every grant is given: the state, the authenticated client, the
/// form, the issuer of the request's name and the time.
pub struct Request<'a> {
    pub state: &'a AppState,
    pub auth: &'a Authenticated<'a>,
    pub form: &'a crate::form::Form,
    pub issuer: &'a str,
    pub now: SystemTime,
}

/// Signs the tokens of `session` for the authenticated client.
fn issue(
    request: &Request<'_>,
    session: &Session,
    professional: &Professional,
    scope: &str,
    refresh_jti: &str,
) -> Result<TokenResponse, OAuthError> {
    let Request {
        state, auth, now, ..
    } = request;
    let grant = Grant {
        session,
        professional,
        scope,
        refresh_jti,
        // Bound only for clients that enable it (docs/fidelity.md).
        certificate_thumbprint: auth
            .certificate
            .filter(|_| auth.client.certificate_bound_access_tokens)
            .map(|c| c.thumbprint.as_str()),
        issuer: request.issuer,
        lifetimes: &auth.client.lifetimes,
    };
    state
        .tokens
        .issue(&grant, *now)
        .map_err(|e| OAuthError::ServerError(e.to_string()))
}

/// The professional of a session, who may have left the annuaire since.
fn professional_of(
    state: &AppState,
    id_nat: &str,
) -> Result<std::sync::Arc<Professional>, OAuthError> {
    state.annuaire.get(id_nat).ok_or_else(|| {
        OAuthError::invalid_grant(format!(
            "Could not identify user: professional {id_nat} left the annuaire"
        ))
    })
}
