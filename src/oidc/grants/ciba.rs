//! The CIBA grant (CIBA Core §10–11) with Keycloak's answers and
//! descriptions (docs/fidelity.md, endpoints and CIBA). A redeemed request starts a session.

use super::Request;
use crate::ciba::{PollError, PollOutcome};
use crate::error::OAuthError;
use crate::keys::random_id;
use crate::sessions::NewSession;
use crate::tokens::TokenResponse;

pub fn redeem(grant: &Request<'_>) -> Result<TokenResponse, OAuthError> {
    let Request {
        state,
        auth,
        form,
        now,
        ..
    } = *grant;
    let client_id = &auth.client.client_id;
    if !auth.client.ciba {
        return Err(OAuthError::invalid_grant(
            "Client not allowed OIDC CIBA Grant",
        ));
    }
    let auth_req_id = form.require("auth_req_id")?;
    let _span =
        tracing::info_span!("ciba_token", client_id = client_id.as_str(), auth_req_id).entered();
    let request = match state.ciba.poll(auth_req_id, client_id, now) {
        PollOutcome::Redeemed(request) => request,
        PollOutcome::Unknown | PollOutcome::Refused(PollError::AlreadyRedeemed) => {
            return Err(OAuthError::invalid_grant(
                "Invalid Auth Req ID: unknown, already used, or purged after expiry",
            ));
        }
        PollOutcome::Refused(refusal) => return Err(refused(refusal)),
    };
    // A scenario may approve as another professional than the one asked for.
    let id_nat = request
        .approval
        .as_id_nat
        .as_deref()
        .unwrap_or(&request.login_hint);
    let professional = super::professional_of(state, id_nat)?;
    let refresh_jti = random_id();
    let session = state.sessions.start(
        NewSession {
            client_id: client_id.to_owned(),
            id_nat: professional.id_nat.clone(),
            scope: request.scope.clone(),
            acr: request.acr.clone(),
            auth_mode: request.channel,
            nonce: None,
            claims: request.approval.claims.clone(),
        },
        refresh_jti.clone(),
        now,
    );
    let response = super::issue(grant, &session, &professional, &request.scope, &refresh_jti)?;
    tracing::info!(session = %session.id, "tokens issued");
    Ok(response)
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
