//! `POST …/revoke` (RFC 7009). Revoking a refresh token ends its session
//! (its access tokens stop working, as on Keycloak); revoking an access
//! token stops that token. An unknown or invalid token is answered 200 as
//! the RFC says (§2.2); a token of another client is refused.

use actix_web::{HttpRequest, HttpResponse, web};

use super::authorization;
use crate::error::OAuthError;
use crate::form::Form;
use crate::state::AppState;
use crate::tls::ClientCert;

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
    let token = form.require("token")?;
    let client_id = auth.client.client_id.as_str();
    let other = |owner: &str| {
        OAuthError::UnauthorizedClient(format!(
            "the token was issued to client {owner:?}, not {client_id:?}"
        ))
    };
    if let Ok(claims) = state.tokens.verify_refresh(token, now) {
        if claims.azp != client_id {
            return Err(other(&claims.azp));
        }
        state.sessions.end(&claims.sid);
        tracing::info!(client_id, session = %claims.sid, "refresh token revoked: session ended");
    } else if let Some((azp, jti, exp)) = access_token(&state, token, now) {
        if azp != client_id {
            return Err(other(&azp));
        }
        let expiry =
            crate::clock::later(std::time::UNIX_EPOCH, std::time::Duration::from_secs(exp));
        if !state.sessions.revoke_access(&jti, expiry, now) {
            return Err(OAuthError::TemporarilyUnavailable(
                "too many revoked access tokens remembered; POST /mock/reset or retry when some expire".into(),
            ));
        }
        tracing::info!(client_id, "access token revoked");
    }
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .finish())
}

/// `(azp, jti, exp)` of an access token, a professional's or a service
/// account's.
fn access_token(
    state: &AppState,
    token: &str,
    now: std::time::SystemTime,
) -> Option<(String, String, u64)> {
    if let Ok(claims) = state.tokens.verify_access(token, now) {
        return Some((claims.azp, claims.jti, claims.exp));
    }
    let claims = state.tokens.verify_service(token, now).ok()?;
    let text = |name: &str| {
        claims
            .get(name)
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
    };
    Some((text("azp")?, text("jti")?, claims.get("exp")?.as_u64()?))
}
