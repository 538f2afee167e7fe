//! The JWKS: the public signing key, `kid` = its RFC 7638 thumbprint.

use actix_web::{HttpResponse, web};

use crate::state::AppState;

pub async fn get(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(state.tokens.key.jwks_json().to_vec())
}
