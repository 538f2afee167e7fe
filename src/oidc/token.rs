//! `POST …/token`: the token endpoint. This version serves the CIBA grant
//! (CIBA Core §10–11) with Keycloak's answers and descriptions (FACTS §3).

use actix_web::{HttpRequest, HttpResponse, web};

use super::authorization;
use super::discovery::CIBA_GRANT;
use crate::ciba::{PollError, PollOutcome};
use crate::error::OAuthError;
use crate::form::Form;
use crate::state::AppState;
use crate::tls::ClientCert;
use crate::tokens::Grant;

pub async fn post(
    req: HttpRequest,
    state: web::Data<AppState>,
    cert: ClientCert,
    form: Form,
) -> Result<HttpResponse, OAuthError> {
    let now = state.clock.now();
    let auth = state
        .clients
        .authenticate(authorization(&req)?, &form, cert.0.as_deref())?;
    let grant_type = form
        .get("grant_type")
        .ok_or_else(|| OAuthError::invalid_request("Missing form parameter: grant_type"))?;
    if grant_type != CIBA_GRANT {
        return Err(OAuthError::UnsupportedGrantType(format!(
            "grant_type {grant_type:?} is not supported; psc-mock serves {CIBA_GRANT}"
        )));
    }
    let client_id = auth.client.client_id.as_str();
    if !auth.client.ciba {
        return Err(OAuthError::invalid_grant(
            "Client not allowed OIDC CIBA Grant",
        ));
    }
    let auth_req_id = form.require("auth_req_id")?;
    let _span = tracing::info_span!("ciba_token", client_id, auth_req_id).entered();

    let request = match state.ciba.poll(auth_req_id, client_id, now) {
        PollOutcome::Redeemed(request) => request,
        PollOutcome::Unknown | PollOutcome::Refused(PollError::AlreadyRedeemed) => {
            return Err(OAuthError::invalid_grant(
                "Invalid Auth Req ID: unknown, already used, or purged after expiry",
            ));
        }
        PollOutcome::Refused(refusal) => return Err(refused(refusal)),
    };
    let professional = state.annuaire.get(&request.login_hint).ok_or_else(|| {
        OAuthError::invalid_grant(format!(
            "Could not identify user: professional {} left the annuaire",
            request.login_hint
        ))
    })?;
    let grant = Grant {
        client_id,
        professional: &professional,
        scope: &request.scope,
        acr: &request.acr,
        auth_mode: request.channel,
        auth_time: now,
        certificate_thumbprint: auth.certificate.map(|c| c.thumbprint.as_str()),
    };
    let response = state
        .tokens
        .issue(&grant, now)
        .map_err(|e| OAuthError::ServerError(e.to_string()))?;
    tracing::info!("tokens issued");
    Ok(super::no_store_json(response))
}

/// Keycloak's descriptions, each followed by what it means here.
fn refused(refusal: PollError) -> OAuthError {
    match refusal {
        PollError::OtherClient => OAuthError::invalid_grant(
            "unauthorized client: this auth_req_id was issued to another client",
        ),
        PollError::Expired => OAuthError::ExpiredToken(
            "authentication timed out: the professional did not answer before expires_in".into(),
        ),
        PollError::SlowDown { new_interval } => OAuthError::SlowDown(format!(
            "too early to access: polled before the interval elapsed; wait {} s between polls now",
            new_interval.as_secs()
        )),
        PollError::Denied => OAuthError::AccessDenied(
            "not authorized: the professional refused the authentication request".into(),
        ),
        PollError::Pending => OAuthError::AuthorizationPending,
        PollError::AlreadyRedeemed => OAuthError::invalid_grant("Invalid Auth Req ID"),
    }
}
