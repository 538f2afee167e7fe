//! `POST …/ext/ciba/auth/callback`: a device's answer through Keycloak's
//! HTTP authentication channel (`crate::channel`), with the bearer token it
//! was given and `{"status": "SUCCEED" | "UNAUTHORIZED" | "CANCELLED"}`.
//!
//! Keycloak's answers (`BackchannelAuthenticationCallbackEndpoint`): 401
//! without a bearer token; 403 `invalid_token` for a token that fails its
//! checks (signature, `typ`, `iss`, `aud` = issuer, expiry) or names no
//! waiting request; 400 `invalid_request` when its `azp` is not the
//! request's client or the status is missing or unknown; 200 once
//! recorded. `SUCCEED` approves; `UNAUTHORIZED` and `CANCELLED` both make
//! the client's poll answer `access_denied`, as Keycloak's do. A second
//! answer to the same request is refused with 403 and changes nothing
//! (Keycloak also deletes the request then; the mock keeps the first
//! answer, so the client still gets it).

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::channel::ChannelClaims;
use crate::ciba::{Action, StoreError};
use crate::clock::unix_seconds;
use crate::error::OAuthError;
use crate::state::AppState;

/// The device's answer (Keycloak's `AuthenticationChannelResponse`; other
/// fields are ignored).
#[derive(Deserialize)]
struct DeviceAnswer {
    status: Option<String>,
}

pub async fn post(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, OAuthError> {
    let Some(channel) = &state.channel else {
        return Err(OAuthError::NotFound(
            "no authentication channel is configured (ciba.authentication_channel_uri): this callback is for its device".into(),
        ));
    };
    let now = state.clock.now();
    let token = super::bearer(&req, "the device's token")?.ok_or_else(|| {
        OAuthError::InvalidToken(
            "Invalid token: send back the bearer token the authentication channel was given (Authorization: Bearer …)".into(),
        )
    })?;
    let claims = check(&state, token, now)?;
    let waiting = || {
        OAuthError::RefusedToken(
            "Invalid token: no CIBA request waits for this token (it expired, or was dropped or purged)".into(),
        )
    };
    let auth_req_id = channel.request_of(&claims.jti).ok_or_else(waiting)?;
    let request = state.ciba.get(&auth_req_id).ok_or_else(waiting)?;
    if request.client_id != claims.azp {
        return Err(OAuthError::invalid_request(format!(
            "Token recipient mismatch: the token names client {:?}, the request is {:?}'s",
            claims.azp, request.client_id
        )));
    }
    let answer: DeviceAnswer = serde_json::from_slice(&body).map_err(|e| {
        OAuthError::invalid_request(format!(
            "Invalid authentication status: the body must be JSON {{\"status\": \"SUCCEED\" | \"UNAUTHORIZED\" | \"CANCELLED\"}} ({e})"
        ))
    })?;
    let status = answer.status.unwrap_or_default();
    let action = match status.as_str() {
        "SUCCEED" => Action::Approve,
        "UNAUTHORIZED" | "CANCELLED" => Action::Deny,
        other => {
            return Err(OAuthError::invalid_request(format!(
                "Invalid authentication status {other:?}: SUCCEED, UNAUTHORIZED or CANCELLED"
            )));
        }
    };
    state
        .ciba
        .decide(&auth_req_id, action, None, now)
        .map_err(|e| match e {
            StoreError::NotPending(was) => OAuthError::RefusedToken(format!(
                "Invalid token: the request was already answered ({was:?}); this answer is ignored"
            )),
            _ => waiting(),
        })?;
    tracing::info!(
        auth_req_id,
        status,
        "CIBA request answered by the authentication channel's device"
    );
    Ok(HttpResponse::Ok().finish())
}

/// Keycloak's checks of the device's token: signed by a published key,
/// `typ` Bearer, an issuer of this server, `aud` = that issuer, unexpired.
fn check(
    state: &AppState,
    token: &str,
    now: std::time::SystemTime,
) -> Result<ChannelClaims, OAuthError> {
    let refuse = |why: String| OAuthError::RefusedToken(format!("Invalid token: {why}"));
    let claims: ChannelClaims = state
        .tokens
        .keys
        .verify(token)
        .map_err(|e| refuse(e.to_string()))?;
    if !claims.typ.eq_ignore_ascii_case("bearer") {
        return Err(refuse(format!("its typ is {:?}, not Bearer", claims.typ)));
    }
    if !state.urls.accepts(&claims.iss) || claims.aud != claims.iss {
        return Err(refuse(format!(
            "issued by {:?} for {:?}, not by and for this issuer",
            claims.iss, claims.aud
        )));
    }
    if unix_seconds(now) >= claims.exp {
        return Err(refuse("it has expired, with its CIBA request".into()));
    }
    Ok(claims)
}
