//! The refresh-token grant (RFC 6749 §6) with rotation: each refresh token
//! is accepted once and answered with a new one; a replayed, revoked or
//! logged-out one gets `invalid_grant` (Keycloak's "Stale token" and
//! "Session not active"). A narrower `scope` may be asked, never a wider one.

use super::Request;
use crate::error::OAuthError;
use crate::keys::random_id;
use crate::tokens::TokenResponse;

pub fn redeem(request: &Request<'_>) -> Result<TokenResponse, OAuthError> {
    let Request {
        state,
        auth,
        form,
        now,
        ..
    } = *request;
    let token = form.require("refresh_token")?;
    let claims = state
        .tokens
        .verify_refresh(token, now)
        .map_err(|e| OAuthError::invalid_grant(format!("Invalid refresh token: {e}")))?;
    let client_id = auth.client.client_id.as_str();
    if claims.azp != client_id {
        return Err(OAuthError::invalid_grant(format!(
            "Invalid refresh token: it was issued to client {:?}",
            claims.azp
        )));
    }
    // RFC 6749 §6: compared with the scope originally granted (the
    // session's), not with the last refresh token's.
    // Every check before the rotation, so that a refusal burns nothing.
    // (An ended session is reported by the rotation below.)
    let current = state.sessions.active(&claims.sid, now);
    let scope = match (form.get("scope"), &current) {
        (Some(asked), Some(session)) => narrower(asked, &session.scope)?,
        _ => claims.scope.clone(),
    };
    if let Some(session) = &current {
        super::professional_of(state, &session.id_nat)?;
    }
    let next_jti = random_id();
    let session = state
        .sessions
        .rotate(&claims.sid, client_id, &claims.jti, next_jti.clone(), now)
        .map_err(|e| OAuthError::invalid_grant(e.to_string()))?;
    let professional = super::professional_of(state, &session.id_nat)?;
    let _span = tracing::info_span!("refresh", client_id, session = %session.id).entered();
    super::issue(request, &session, &professional, &scope, &next_jti)
}

/// RFC 6749 §6: the new scope must not include a value the original lacked.
fn narrower(asked: &str, granted: &str) -> Result<String, OAuthError> {
    let granted: Vec<&str> = granted.split_ascii_whitespace().collect();
    if let Some(extra) = asked
        .split_ascii_whitespace()
        .find(|s| !granted.contains(s))
    {
        return Err(OAuthError::InvalidScope(format!(
            "scope {extra:?} was not granted to this session (granted: {})",
            granted.join(" ")
        )));
    }
    Ok(asked.to_owned())
}
