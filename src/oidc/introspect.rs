//! `POST …/token/introspect` (RFC 7662): is this token active, and what
//! does it say. Client authentication as at the token endpoint.
//!
//! Active means: signed here, unexpired, of a live session, not revoked,
//! and, for an access token bound to a certificate (RFC 8705) and
//! introspected by the client it was issued to, over a connection
//! presenting that certificate. Another client (a resource server) gets the
//! token described with its `cnf`, and compares it with the certificate it
//! was shown (RFC 8705 §3.2). The answer carries the
//! token's claims plus `active`, `client_id`, `username` and `token_type`
//! (Keycloak's). Anything else is `{"active": false}`, never an error.

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};

use super::{authorization, no_store_json};
use crate::error::OAuthError;
use crate::form::Form;
use crate::state::AppState;
use crate::tls::{ClientCert, PeerCertificate};

pub async fn post(
    req: HttpRequest,
    state: web::Data<AppState>,
    cert: ClientCert,
    form: Form,
) -> Result<HttpResponse, OAuthError> {
    let auth = state
        .clients
        .authenticate(authorization(&req)?, &form, cert.0.as_deref())?;
    let token = form.require("token")?;
    let answer = introspect(&state, token, &auth.client.client_id, auth.certificate)
        .unwrap_or_else(|| json!({"active": false}));
    Ok(no_store_json(answer))
}

fn introspect(
    state: &AppState,
    token: &str,
    caller: &str,
    cert: Option<&PeerCertificate>,
) -> Option<Value> {
    // The token's own client must present the certificate it is bound to.
    let wrong_cert = |azp: &str, bound: Option<&str>| {
        azp == caller && bound.is_some_and(|t| cert.is_none_or(|c| c.thumbprint != t))
    };
    let now = state.clock.now();
    if let Ok(claims) = state.tokens.verify_access(token, now) {
        if state.sessions.is_revoked(&claims.jti)
            || state.sessions.active(&claims.sid, now).is_none()
        {
            return None;
        }
        if wrong_cert(
            &claims.azp,
            claims.cnf.as_ref().map(|c| c.x5t_s256.as_str()),
        ) {
            return None;
        }
        let (client_id, username) = (claims.azp.clone(), claims.preferred_username.clone());
        return Some(with_extras(
            serde_json::to_value(claims).ok()?,
            &client_id,
            &username,
            "Bearer",
        ));
    }
    if let Ok(claims) = state.tokens.verify_service(token, now) {
        let text = |name: &str| {
            claims
                .get(name)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned()
        };
        if state.sessions.is_revoked(&text("jti")) {
            return None;
        }
        let bound = claims.pointer("/cnf/x5t#S256").and_then(Value::as_str);
        if wrong_cert(
            claims.get("azp").and_then(Value::as_str).unwrap_or(""),
            bound,
        ) {
            return None;
        }
        let (client_id, username) = (text("azp"), text("preferred_username"));
        return Some(with_extras(claims, &client_id, &username, "Bearer"));
    }
    let claims = state.tokens.verify_refresh(token, now).ok()?;
    let session = state.sessions.active(&claims.sid, now)?;
    if !state.sessions.accepts_refresh(&session, &claims.jti) {
        return None;
    }
    let client_id = claims.azp.clone();
    Some(with_extras(
        serde_json::to_value(claims).ok()?,
        &client_id,
        &session.id_nat,
        "Refresh",
    ))
}

fn with_extras(mut claims: Value, client_id: &str, username: &str, token_type: &str) -> Value {
    if let Some(object) = claims.as_object_mut() {
        object.insert("active".into(), Value::Bool(true));
        object.insert("client_id".into(), client_id.into());
        object.insert("username".into(), username.into());
        object.insert("token_type".into(), token_type.into());
    }
    claims
}
