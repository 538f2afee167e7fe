//! `GET|POST …/userinfo`: the professional's claims as plain JSON (PSC's
//! shape, docs/annuaire.md), for a valid access token in the
//! `Authorization: Bearer` header.
//!
//! Refusals are Keycloak's (docs/fidelity.md): an empty body and the error
//! in `WWW-Authenticate`; 401 `invalid_token` with Keycloak's description
//! followed by what was wrong, 403 `insufficient_scope` "Missing openid
//! scope" for a token of a plain OAuth 2.0 request (no `openid`). A token
//! bound to a certificate (`cnf.x5t#S256`, clients with
//! `certificate_bound_access_tokens`) is only accepted over a connection
//! presenting that certificate (RFC 8705 §3); an unbound one with or
//! without a certificate.

use actix_web::{HttpRequest, HttpResponse, web};

use super::bearer;
use crate::annuaire::ScopeSet;
use crate::error::OAuthError;
use crate::state::AppState;
use crate::tls::ClientCert;
use crate::tokens::{has_openid, with_claims};

/// Keycloak's description of a token that fails its checks.
const VERIFICATION_FAILED: &str = "Token verification failed";

pub async fn handle(
    req: HttpRequest,
    state: web::Data<AppState>,
    cert: ClientCert,
) -> Result<HttpResponse, OAuthError> {
    let now = state.clock.now();
    let token = bearer(&req, "access_token")?.ok_or_else(|| {
        OAuthError::MissingToken(
            "Token not provided: send Authorization: Bearer <access_token>".into(),
        )
    })?;
    let failed = |why: &str| OAuthError::InvalidToken(format!("{VERIFICATION_FAILED}: {why}"));
    let claims = state
        .tokens
        .verify_access(token, now)
        .map_err(|e| failed(&e.to_string()))?;
    // Keycloak refuses tokens of ended sessions (logout, revocation).
    if state.sessions.is_revoked(&claims.jti) {
        return Err(failed("the access token was revoked"));
    }
    // Keycloak 20 and later: checked right after the signature.
    if !has_openid(&claims.scope) {
        return Err(OAuthError::InsufficientScope(format!(
            "Missing openid scope: the token's scope is {:?}; ask for openid to call userinfo",
            claims.scope
        )));
    }
    let session = state.sessions.active(&claims.sid, now).ok_or_else(|| {
        OAuthError::InvalidToken(
            "user_session_not_found: the session of this token has ended (logout, revocation or expiry)"
                .into(),
        )
    })?;
    if let Some(cnf) = &claims.cnf {
        let seen = cert.0.as_deref();
        if seen.is_none_or(|c| c.thumbprint != cnf.x5t_s256) {
            let why = match seen {
                None => "none was presented".to_owned(),
                Some(c) => format!("CN {} was presented", c.describe_cn()),
            };
            return Err(OAuthError::InvalidToken(format!(
                "Client certificate missing, or its thumbprint and one in the refresh token did NOT match: the access token is bound to a client certificate (cnf.x5t#S256) and {why}"
            )));
        }
    }
    let professional = state.annuaire.get(&claims.subject_name_id).ok_or_else(|| {
        OAuthError::InvalidToken(format!(
            "User not found: professional {} is no longer in the annuaire",
            claims.subject_name_id
        ))
    })?;
    let body = professional.userinfo(ScopeSet::from_scope(&claims.scope), claims.auth_mode);
    // Claims a scenario added to the session's tokens are added here too.
    let body = match &session.claims {
        None => serde_json::to_vec(&body),
        Some(extra) => with_claims(&body, extra).and_then(|value| serde_json::to_vec(&value)),
    }
    .map_err(|e| OAuthError::ServerError(format!("userinfo could not be serialized: {e}")))?;
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .content_type("application/json")
        .body(body))
}
