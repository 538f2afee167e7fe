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
    modifiers(&ControlToken, &CrossSite),
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

/// The refusals of the cross-site checks (`cross_site.rs`), which every
/// operation but `/mock/health` may answer: 421 and 403 for all, 415 for
/// those that change something.
struct CrossSite;

impl utoipa::Modify for CrossSite {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let refusal = |description: &str| {
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ErrorBody")))
                        .build(),
                )
                .build()
        };
        for (path, item) in &mut openapi.paths.paths {
            if path == "/mock/health" {
                continue;
            }
            let changing = [
                &mut item.post,
                &mut item.put,
                &mut item.delete,
                &mut item.patch,
            ];
            for operation in changing.into_iter().flatten() {
                operation.responses.responses.insert(
                    "415".into(),
                    refusal("A body without a JSON content type (unsupported_media_type: the type seen, the one accepted)").into(),
                );
            }
            let all = [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.delete,
                &mut item.patch,
            ];
            for operation in all.into_iter().flatten() {
                let responses = &mut operation.responses.responses;
                responses.insert(
                    "403".into(),
                    refusal("Sent by a page of another origin (invalid_origin: the Origin seen, the accepted ones)").into(),
                );
                responses.insert(
                    "421".into(),
                    refusal("A Host that is none of the server's names (invalid_host: seen, accepted; see control.allowed_hosts)").into(),
                );
            }
        }
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
