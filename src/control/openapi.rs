//! The OpenAPI 3.1 description of the control API, generated from the
//! handlers' annotations and the types they exchange, served at
//! `/mock/openapi.json`.

use actix_web::HttpResponse;
use actix_web::http::header;
use utoipa::OpenApi;

use super::Unauthorized;

use super::{ciba, faults, identities, journal, keys, misc, scenarios, ui};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "psc-mock control API",
        description = "Steers the Pro Santé Connect mock: answer CIBA requests as the professional, script outcomes (scenarios), inject faults, read the request journal, manage the fixture professionals, rotate the signing keys, move the clock. JSON in and out; open unless the server runs with a control token.",
        license(name = "MIT OR Apache-2.0"),
    ),
    paths(
        misc::health,
        misc::clock,
        misc::advance_clock,
        misc::reset,
        ciba::list,
        ciba::get,
        ciba::decide,
        ciba::recent,
        ciba::actionize,
        scenarios::list,
        scenarios::create,
        scenarios::put,
        scenarios::get,
        scenarios::delete,
        scenarios::delete_all,
        faults::list,
        faults::create,
        faults::get,
        faults::delete,
        faults::delete_all,
        journal::list,
        journal::clear,
        identities::list,
        identities::get,
        identities::add,
        identities::remove,
        keys::list,
        keys::add,
        keys::activate,
        keys::retire,
        ui::page,
        document,
    ),
    components(schemas(super::ErrorBody, ciba::Decision)),
    modifiers(&ControlToken),
    security((), ("control_token" = [])),
    tags(
        (name = "ciba", description = "CIBA requests, answered as the professional would"),
        (name = "scenarios", description = "Scripted outcomes of future requests"),
        (name = "faults", description = "Latency, errors, dropped connections, bad tokens"),
        (name = "journal", description = "What the OIDC endpoints received"),
        (name = "identities", description = "The fixture professionals (the annuaire)"),
        (name = "keys", description = "The token signing keys: add, activate, retire"),
        (name = "control", description = "Health, clock, reset, this document"),
        (name = "ui", description = "The e-CPS simulator page"),
    )
)]
struct ControlApi;

/// Declares the optional bearer token (`--control-token`).
struct ControlToken;

impl utoipa::Modify for ControlToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut scheme = Http::new(HttpAuthScheme::Bearer);
        scheme.description = Some(
            "Only when the server runs with --control-token; otherwise the API is open.".into(),
        );
        components.add_security_scheme("control_token", SecurityScheme::Http(scheme));
    }
}

/// The document as pretty JSON, built for each request (about a
/// millisecond; it is fetched once per client run), so that no state
/// outlives a server.
pub fn json() -> String {
    ControlApi::openapi()
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

#[utoipa::path(
    get,
    path = "/mock/openapi.json",
    tag = "control",
    operation_id = "control_document",
    responses(
        (status = 200, description = "This document (OpenAPI 3.1)", content_type = "application/json", body = Object),
        Unauthorized
    )
)]
pub async fn document() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/json"))
        .body(json())
}
