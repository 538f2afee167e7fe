//! `/mock/keys`: the realm's signing keys, rotated while the server runs,
//! so that a client's JWKS refresh can be tested: add a key (generated or
//! given as PEM), make it the active one, retire the old one. See
//! [`crate::keys`] for what each state means.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::{ControlError, ErrorBody, Unauthorized, body};
use crate::keys::{KeyOrigin, KeySpec, KeyView, RingError, SigningKey};
use crate::state::AppState;

impl From<RingError> for ControlError {
    fn from(e: RingError) -> Self {
        match e {
            RingError::Unknown(_) => Self::NotFound(format!("{e} (GET /mock/keys lists them)")),
            RingError::Duplicate(_) | RingError::Active(_) => Self::Conflict(e.to_string()),
            RingError::Full => Self::Full(e.to_string()),
        }
    }
}

/// A key to publish; every field is optional: `{}` generates an RSA-2048
/// key, published and passive.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewKey {
    /// Its `kid`; default: its RFC 7638 thumbprint.
    kid: Option<String>,
    /// An RSA private key (PKCS#8 or PKCS#1 PEM); default: a new one.
    pem: Option<String>,
    /// PEM certificates for its `x5c`, its own first; default: self-signed.
    cert_pem: Option<String>,
    /// Sign every new token with it from now on.
    #[serde(default)]
    activate: bool,
}

#[utoipa::path(
    get,
    path = "/mock/keys",
    tag = "keys",
    operation_id = "keys_list",
    responses(
        (status = 200, description = "The published keys, the active one marked", body = Vec<KeyView>),
        Unauthorized
    )
)]
pub async fn list(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(state.tokens.keys.list())
}

/// `POST /mock/keys`: 201 with the key as listed.
#[utoipa::path(
    post,
    path = "/mock/keys",
    tag = "keys",
    operation_id = "keys_add",
    request_body(content = Option<NewKey>, description = "Empty or {}: a generated key"),
    responses(
        (status = 201, description = "The key, published", body = KeyView),
        (status = 400, description = "A malformed parameter or body, named in error_description", body = ErrorBody),
        Unauthorized,
        (status = 409, description = "Conflict with the current state", body = ErrorBody),
        (status = 503, description = "A store is full", body = ErrorBody)
    )
)]
pub async fn add(
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, ControlError> {
    let new: NewKey = body::parse_optional(payload).await?.unwrap_or_default();
    // Refused before generating a key for nothing; the ring checks again.
    if state.tokens.keys.list().len() >= crate::keys::MAX_KEYS {
        return Err(RingError::Full.into());
    }
    if let Some(kid) = &new.kid {
        crate::keys::check_kid(kid).map_err(|e| ControlError::BadRequest(e.to_string()))?;
    }
    let realm = state.urls.realm().to_owned();
    // Generating an RSA key takes tens to hundreds of milliseconds: off the
    // worker thread.
    let key = web::block(move || {
        let spec = KeySpec {
            kid: new.kid.as_deref(),
            chain_pem: new.cert_pem.as_deref(),
            realm: &realm,
            origin: if new.pem.is_some() {
                KeyOrigin::Imported
            } else {
                KeyOrigin::Generated
            },
        };
        let key = match &new.pem {
            Some(pem) => SigningKey::load(pem, spec),
            None => SigningKey::generate(spec),
        };
        key.map(|k| (k, new.activate))
    })
    .await
    .map_err(|e| ControlError::BadRequest(format!("the key could not be made: {e}")))?
    .map_err(|e| ControlError::BadRequest(e.to_string()))?;
    let (key, activate) = key;
    let view = state.tokens.keys.add(key, activate)?;
    tracing::info!(kid = %view.kid, active = activate, "signing key added through the control API");
    Ok(HttpResponse::build(StatusCode::CREATED).json(view))
}

#[utoipa::path(
    post,
    path = "/mock/keys/{kid}/activate",
    tag = "keys",
    operation_id = "keys_activate",
    params(("kid" = String, Path, description = "The key's kid")),
    responses(
        (status = 200, description = "The key, now signing every new token", body = KeyView),
        Unauthorized,
        (status = 404, description = "Not found", body = ErrorBody)
    )
)]
pub async fn activate(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ControlError> {
    let view = state.tokens.keys.activate(&path)?;
    tracing::info!(kid = %view.kid, "signing key activated through the control API");
    Ok(HttpResponse::Ok().json(view))
}

/// `DELETE /mock/keys/{kid}`: the key leaves the JWKS; tokens it signed
/// are refused from now on.
#[utoipa::path(
    delete,
    path = "/mock/keys/{kid}",
    tag = "keys",
    operation_id = "keys_retire",
    params(("kid" = String, Path, description = "The key's kid")),
    responses(
        (status = 204, description = "Retired"),
        Unauthorized,
        (status = 404, description = "Not found", body = ErrorBody),
        (status = 409, description = "Conflict with the current state", body = ErrorBody)
    )
)]
pub async fn retire(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ControlError> {
    state.tokens.keys.retire(&path)?;
    tracing::info!(kid = %path, "signing key retired through the control API");
    Ok(HttpResponse::NoContent().finish())
}
