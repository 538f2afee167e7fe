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

/// Mounts the endpoints under `/auth/realms/{realm}`, and the
/// authorization endpoint at PSC's wallet path, `/auth`.
pub fn routes(realm: &str) -> impl FnOnce(&mut web::ServiceConfig) + '_ {
    move |cfg| {
        // A resource, not a scope: a scope "/auth" would also take every
        // path under /auth/realms.
        cfg.service(
            resource(crate::urls::WALLET_AUTHORIZE, "GET, POST")
                .wrap(actix_web::middleware::from_fn(observe::observe))
                .route(web::get().to(authorize::get))
                .route(web::post().to(authorize::post)),
        );
        cfg.service(
            web::scope(&format!("/auth/realms/{realm}"))
                .wrap(actix_web::middleware::from_fn(observe::observe))
                .service(resource("", "GET").route(web::get().to(realm::get)))
                .service(resource(DISCOVERY, "GET").route(web::get().to(discovery::get)))
                .service(resource(WALLET_DISCOVERY, "GET").route(web::get().to(discovery::get)))
                .service(resource(JWKS, "GET").route(web::get().to(jwks::get)))
                .service(resource(BC_AUTHORIZE, "POST").route(web::post().to(bc_authorize::post)))
                .service(resource(CIBA_CALLBACK, "POST").route(web::post().to(ciba_callback::post)))
                .service(resource(TOKEN, "POST").route(web::post().to(token::post)))
                .service(resource(INTROSPECT, "POST").route(web::post().to(introspect::post)))
                .service(resource(REVOKE, "POST").route(web::post().to(revoke::post)))
                .service(
                    resource(LOGOUT, "GET, POST")
                        .route(web::get().to(logout::get))
                        .route(web::post().to(logout::post)),
                )
                .service(
                    resource(USERINFO, "GET, POST")
                        .route(web::get().to(userinfo::handle))
                        .route(web::post().to(userinfo::handle)),
                )
                .service(
                    resource(AUTHORIZE, "GET, POST")
                        .route(web::get().to(authorize::get))
                        .route(web::post().to(authorize::post)),
                )
                .service(
                    resource(LOGIN_PATH, "GET, POST")
                        .route(web::get().to(authorize::search))
                        .route(web::post().to(authorize::decide)),
                ),
        );
    }
}

/// The methods a resource answers, for the `Allow` header of its 405s.
#[derive(Debug, Clone, Copy)]
struct Allow(&'static str);

/// A resource whose other methods get a JSON 405 with an `Allow` header
/// listing `allow` (RFC 9110 §15.5.6), rather than an empty one.
pub fn resource(path: &str, allow: &'static str) -> actix_web::Resource {
    web::resource(path)
        .app_data(Allow(allow))
        .default_service(web::to(method_not_allowed))
}

async fn method_not_allowed(req: HttpRequest) -> HttpResponse {
    let error =
        OAuthError::MethodNotAllowed(format!("{} is not allowed on {}", req.method(), req.path()));
    let mut response = HttpResponse::from_error(error);
    if let Some(Allow(allow)) = req.app_data::<Allow>()
        && let Ok(value) = header::HeaderValue::from_str(allow)
    {
        response.headers_mut().insert(header::ALLOW, value);
    }
    response
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
