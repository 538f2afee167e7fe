//! The JWKS: every published signing key (the active one and the passive
//! ones), as Keycloak lists them: `kid`, `kty`, `alg`, `use`, `n`, `e`,
//! `x5c`, `x5t`, `x5t#S256`.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::state::AppState;

/// RFC 7517 §8.5's media type, which Keycloak answers to clients that
/// ask for it; others get `application/json`.
const JWK_SET: &str = "application/jwk-set+json";

pub async fn get(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let asks_jwk_set = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains(JWK_SET));
    let content_type = if asks_jwk_set {
        JWK_SET
    } else {
        "application/json"
    };
    HttpResponse::Ok()
        .content_type(content_type)
        .body(state.tokens.keys.jwks_json().to_vec())
}
