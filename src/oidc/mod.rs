//! PSC's OpenID Connect endpoints, at Keycloak's paths under the issuer
//! (docs/fidelity.md). One file per endpoint.

mod authorize;
mod bc_authorize;
mod ciba_callback;
pub mod discovery;
mod grants;
mod here;
mod introspect;
mod jwks;
pub mod limits;
mod logout;
mod mount;
mod observe;
pub mod params;
mod realm;
mod revoke;
mod token;
mod userinfo;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::error::OAuthError;

pub use crate::endpoint::{
    AUTHORIZE, BC_AUTHORIZE, CIBA_CALLBACK, DISCOVERY, Endpoint, INTROSPECT, JWKS, LOGIN_PATH,
    LOGOUT, REVOKE, TOKEN, USERINFO, WALLET_DISCOVERY,
};
pub use here::Here;
pub use mount::Mount;

use actix_web::middleware::from_fn;

/// Mounts the endpoints under `/auth/realms/{realm}`, and the
/// authorization endpoint at PSC's wallet path, `/auth`. Each is mounted
/// with the endpoint it serves (for the journal and faults); an unknown
/// path under the realm is journaled too, as `*`.
pub fn routes(realm: &str) -> impl FnOnce(&mut web::ServiceConfig) + '_ {
    use Endpoint as E;
    move |cfg| {
        // A resource, not a scope: a scope "/auth" would also take every
        // path under /auth/realms.
        cfg.service(
            Mount::at(crate::urls::WALLET_AUTHORIZE)
                .get(authorize::get)
                .post(authorize::post)
                .serving(E::Authorize),
        );
        let unknown = actix_service::apply(
            from_fn(|req, next| observe::observe(E::Any, req, next)),
            web::to(not_found),
        );
        cfg.service(
            web::scope(&format!("/auth/realms/{realm}"))
                .service(Mount::at("").get(realm::get).serving(E::Realm))
                .service(
                    Mount::at(DISCOVERY)
                        .get(discovery::get)
                        .serving(E::Discovery),
                )
                .service(
                    Mount::at(WALLET_DISCOVERY)
                        .get(discovery::get)
                        .serving(E::Discovery),
                )
                .service(Mount::at(JWKS).get(jwks::get).serving(E::Jwks))
                .service(
                    Mount::at(BC_AUTHORIZE)
                        .post(bc_authorize::post)
                        .serving(E::BcAuthorize),
                )
                .service(
                    Mount::at(CIBA_CALLBACK)
                        .post(ciba_callback::post)
                        .serving(E::CibaCallback),
                )
                .service(Mount::at(TOKEN).post(token::post).serving(E::Token))
                .service(
                    Mount::at(INTROSPECT)
                        .post(introspect::post)
                        .serving(E::Introspect),
                )
                .service(Mount::at(REVOKE).post(revoke::post).serving(E::Revoke))
                .service(
                    Mount::at(LOGOUT)
                        .get(logout::get)
                        .post(logout::post)
                        .serving(E::Logout),
                )
                .service(
                    Mount::at(USERINFO)
                        .get(userinfo::handle)
                        .post(userinfo::handle)
                        .serving(E::Userinfo),
                )
                .service(
                    Mount::at(AUTHORIZE)
                        .get(authorize::get)
                        .post(authorize::post)
                        .serving(E::Authorize),
                )
                .service(
                    Mount::at(LOGIN_PATH)
                        .get(authorize::search)
                        .post(authorize::decide)
                        .serving(E::Login),
                )
                .default_service(unknown),
        );
    }
}

/// Unknown paths: a JSON 404 naming the path; under another realm,
/// Keycloak's `{"error":"Realm does not exist"}` with the realm served.
pub async fn not_found(
    req: HttpRequest,
    state: web::Data<crate::state::AppState>,
) -> Result<HttpResponse, OAuthError> {
    if let Some(under) = req.path().strip_prefix("/auth/realms/") {
        let asked = under.split('/').next().unwrap_or("");
        let served = state.urls.realm();
        if asked != served {
            return Ok(HttpResponse::NotFound()
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .json(serde_json::json!({
                    "error": "Realm does not exist",
                    "error_description": format!(
                        "this server serves realm {served:?}, not {:?}",
                        percent_encoding::percent_decode_str(asked).decode_utf8_lossy()
                    ),
                })));
        }
    }
    Err(OAuthError::NotFound(format!(
        "no endpoint at {} {}",
        req.method(),
        req.path()
    )))
}

/// The `Authorization` header as text, if present.
pub fn authorization(req: &HttpRequest) -> Result<Option<&str>, OAuthError> {
    req.headers()
        .get(header::AUTHORIZATION)
        .map(|v| {
            v.to_str().map_err(|_| {
                OAuthError::invalid_request("the Authorization header is not visible ASCII")
            })
        })
        .transpose()
}

/// The token of an `Authorization: Bearer <token>` header (RFC 6750
/// §2.1): `None` without the header; another scheme or an empty token is
/// refused, naming `what` the token should be.
pub fn bearer<'a>(req: &'a HttpRequest, what: &str) -> Result<Option<&'a str>, OAuthError> {
    let Some(header) = authorization(req)? else {
        return Ok(None);
    };
    match header.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(Some(token.trim()))
        }
        _ => Err(OAuthError::InvalidToken(format!(
            "the Authorization header must be \"Bearer <{what}>\""
        ))),
    }
}

/// A JSON answer that must not be cached (RFC 6749 §5.1).
pub fn no_store_json(body: impl serde::Serialize) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(body)
}
