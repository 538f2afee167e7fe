//! The refresh-token grant (RFC 6749 §6), as Keycloak: each refresh is
//! answered with a new refresh token, and the one used stays usable until it
//! expires or its session ends; with `tokens.revoke_refresh_token` each is
//! accepted once, and a reused one is refused and ends its session, the
//! latest refresh token with it (docs/fidelity.md, "refresh token reuse").
//! A revoked or logged-out one gets `invalid_grant` ("Session not active").
//! A narrower `scope` may be asked, never a wider one.

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
            "Invalid refresh token. Token client and authorized client don't match: it was issued to client {:?}",
            claims.azp
        )));
    }
    // A bound refresh token needs its certificate (Keycloak: 401).
    if let Some(cnf) = &claims.cnf
        && auth
            .certificate
            .is_none_or(|c| c.thumbprint != cnf.x5t_s256)
    {
        return Err(OAuthError::ClientRefused {
            description: "Client certificate missing, or its thumbprint and one in the refresh token did NOT match".into(),
            basic: false,
        });
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
