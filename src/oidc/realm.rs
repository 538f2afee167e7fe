//! `GET /auth/realms/{realm}`: Keycloak's realm descriptor, which older
//! adapters read for the realm's public key and service URLs
//! (docs/fidelity.md): `realm`, `public_key` (the active signing key, base64
//! DER), `token-service`, `account-service`, `tokens-not-before`.

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::oidc::Here;
use crate::state::AppState;

pub async fn get(state: web::Data<AppState>, here: Here) -> HttpResponse {
    let issuer = &here.0.issuer;
    HttpResponse::Ok()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-cache"))
        .json(json!({
            "realm": state.urls.realm(),
            "public_key": state.tokens.keys.active().public_key_b64(),
            "token-service": format!("{issuer}/protocol/openid-connect"),
            "account-service": format!("{issuer}/account"),
            "tokens-not-before": 0,
        }))
}
