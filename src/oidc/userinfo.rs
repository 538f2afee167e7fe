//! `GET|POST …/userinfo`: the professional's claims as plain JSON (FACTS
//! §5), for a valid access token in the `Authorization: Bearer` header.
//!
//! A token bound to a certificate (`cnf.x5t#S256`) is only accepted over a
//! connection presenting that certificate (RFC 8705 §3).

use actix_web::{HttpRequest, HttpResponse, web};

use super::bearer;
use crate::annuaire::ScopeSet;
use crate::error::OAuthError;
use crate::state::AppState;
use crate::tls::ClientCert;

pub async fn handle(
    req: HttpRequest,
    state: web::Data<AppState>,
    cert: ClientCert,
) -> Result<HttpResponse, OAuthError> {
    let token = bearer(&req, "access_token")?.ok_or_else(|| {
        OAuthError::InvalidToken(
            "Token not provided: send Authorization: Bearer <access_token>".into(),
        )
    })?;
    let claims = state
        .tokens
        .verify_access(token, state.clock.now())
        .map_err(OAuthError::InvalidToken)?;
    // Keycloak refuses tokens of ended sessions (logout, revocation).
    if state.sessions.is_revoked(&claims.jti) {
        return Err(OAuthError::InvalidToken(
            "the access token was revoked".into(),
        ));
    }
    let session = state
        .sessions
        .active(&claims.sid, state.clock.now())
        .ok_or_else(|| {
            OAuthError::InvalidToken(
                "the session of this token has ended (logout, revocation or expiry)".into(),
            )
        })?;
    if let Some(cnf) = &claims.cnf {
        match cert.0.as_deref() {
            None => {
                return Err(OAuthError::InvalidToken(
                    "the access token is bound to a client certificate (cnf.x5t#S256) but none was presented".into(),
                ));
            }
            Some(c) if c.thumbprint != cnf.x5t_s256 => {
                return Err(OAuthError::InvalidToken(format!(
                    "the access token is bound to another client certificate than the one presented (CN {})",
                    c.describe_cn()
                )));
            }
            Some(_) => {}
        }
    }
    let professional = state.annuaire.get(&claims.subject_name_id).ok_or_else(|| {
        OAuthError::InvalidToken(format!(
            "professional {} is no longer in the annuaire",
            claims.subject_name_id
        ))
    })?;
    let body = professional.userinfo(ScopeSet::from_scope(&claims.scope), claims.auth_mode);
    // Claims a scenario added to the session's tokens are added here too.
    let body = match &session.claims {
        None => serde_json::to_value(body),
        Some(extra) => serde_json::to_value(body).map(|mut value| {
            if let Some(map) = value.as_object_mut() {
                map.extend(extra.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
            value
        }),
    }
    .map_err(|e| OAuthError::ServerError(format!("userinfo could not be serialized: {e}")))?;
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(body))
}
