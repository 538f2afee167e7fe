//! The control API under `/mock/`: what plays the professional's CPS card or
//! e-CPS app, and what lets a test steer the mock.
//!
//! JSON in and out (but `/mock/ui`, the e-CPS simulator page: HTML, a
//! browser front end to the same calls), no client certificate needed.
//! Errors are [`ControlError`]s, rendered here with the same `error` /
//! `error_description` shape as the protocol's. Every call but
//! `/mock/health` passes the cross-site checks first (`cross_site.rs`),
//! then the control token's (`access.rs`).

mod access;
mod body;
mod ciba;
mod cross_site;
mod faults;
mod identities;
mod journal;
mod keys;
mod misc;
mod openapi;
mod scenarios;
mod ui;

pub use access::ControlToken;
pub use cross_site::Site;
pub use openapi::json as openapi_json;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError, web};
use serde::Serialize;

use crate::oidc::Mount;

#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Full(String),
    #[error("{0}")]
    Unauthorized(String),
    /// A `Host` that is none of the server's names (DNS rebinding).
    #[error(
        "the control API does not answer under the host {seen:?}, only under its own names; add it to control.allowed_hosts if it is one (docs/control.md, \"Cross-site protection\")"
    )]
    ForeignHost { seen: String, accepted: Vec<String> },
    /// An `Origin` that is not the server's own (a cross-site page).
    #[error(
        "the control API refuses requests sent by a page of another origin ({seen}) (docs/control.md, \"Cross-site protection\")"
    )]
    ForeignOrigin { seen: String, accepted: Vec<String> },
    /// A state-changing call whose body is not declared JSON.
    #[error(
        "the body of a control call must be JSON: Content-Type {seen} is not application/json (a call without body needs none)"
    )]
    UnsupportedMediaType { seen: String, accepted: Vec<String> },
}

/// The `error` / `error_description` body of every refusal of the control
/// API: what it sends, and what its OpenAPI document describes.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// `invalid_request`, `not_found`, `conflict`, `invalid_token`,
    /// `temporarily_unavailable`, or for the cross-site checks
    /// `invalid_host`, `invalid_origin` and `unsupported_media_type`.
    pub error: &'static str,
    /// What was wrong, in words.
    pub error_description: String,
    /// The cross-site checks only: the `Host`, `Origin` or `Content-Type`
    /// refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seen: Option<String>,
    /// …and the values accepted instead.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accepted: Option<Vec<String>>,
}

/// The 401 of every protected operation: the one response the guard sends
/// (`access.rs`) and the one the document lists for each operation.
#[derive(Debug, utoipa::IntoResponses)]
#[response(
    status = 401,
    description = "The control token is missing or wrong (only with --control-token)"
)]
pub struct Unauthorized(pub ErrorBody);

impl Unauthorized {
    pub fn new(why: impl Into<String>) -> Self {
        Self(ErrorBody {
            error: "invalid_token",
            error_description: why.into(),
            seen: None,
            accepted: None,
        })
    }

    pub fn into_response(self) -> HttpResponse {
        HttpResponse::Unauthorized()
            .insert_header((
                actix_web::http::header::WWW_AUTHENTICATE,
                "Bearer realm=\"psc-mock-control\"",
            ))
            .json(self.0)
    }
}

/// `GET /mock/<items>/{id}`: 200 with the item, or a 404 naming the id.
pub fn found<T: crate::registry::Item + Serialize>(
    item: Option<T>,
    id: &str,
) -> Result<HttpResponse, ControlError> {
    item.map(|item| HttpResponse::Ok().json(item))
        .ok_or_else(|| not_found::<T>(id))
}

/// `DELETE /mock/<items>/{id}`: 204, or a 404 naming the id.
pub fn removed<T: crate::registry::Item>(
    item: Option<T>,
    id: &str,
) -> Result<HttpResponse, ControlError> {
    item.map(|_| HttpResponse::NoContent().finish())
        .ok_or_else(|| not_found::<T>(id))
}

fn not_found<T: crate::registry::Item>(id: &str) -> ControlError {
    ControlError::NotFound(format!(
        "no {noun} with id {id:?} (GET /mock/{noun}s lists them)",
        noun = T::NOUN
    ))
}

/// A refused outcome or scenario: 400, naming the value.
impl From<crate::outcome::OutcomeError> for ControlError {
    fn from(e: crate::outcome::OutcomeError) -> Self {
        Self::BadRequest(e.to_string())
    }
}

impl From<crate::scenarios::ScenarioInvalid> for ControlError {
    fn from(e: crate::scenarios::ScenarioInvalid) -> Self {
        Self::BadRequest(e.to_string())
    }
}

/// A scenario or fault not added: 409 for an id taken, 503 for a cap.
impl From<crate::registry::RegistryError> for ControlError {
    fn from(e: crate::registry::RegistryError) -> Self {
        use crate::registry::RegistryError;
        match e {
            RegistryError::Exists { .. } => Self::Conflict(e.to_string()),
            RegistryError::Full { .. }
            | RegistryError::TooBig { .. }
            | RegistryError::Patterns { .. } => Self::Full(e.to_string()),
        }
    }
}

impl ResponseError for ControlError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Full(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::ForeignHost { .. } => StatusCode::MISDIRECTED_REQUEST,
            Self::ForeignOrigin { .. } => StatusCode::FORBIDDEN,
            Self::UnsupportedMediaType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let (error, refused) = match self {
            Self::NotFound(_) => ("not_found", None),
            Self::Conflict(_) => ("conflict", None),
            Self::BadRequest(_) => ("invalid_request", None),
            Self::Full(_) => ("temporarily_unavailable", None),
            Self::Unauthorized(why) => return Unauthorized::new(why.clone()).into_response(),
            Self::ForeignHost { seen, accepted } => ("invalid_host", Some((seen, accepted))),
            Self::ForeignOrigin { seen, accepted } => ("invalid_origin", Some((seen, accepted))),
            Self::UnsupportedMediaType { seen, accepted } => {
                ("unsupported_media_type", Some((seen, accepted)))
            }
        };
        let (seen, accepted) = refused.map(|(s, a)| (s.clone(), a.clone())).unzip();
        HttpResponse::build(self.status_code()).json(ErrorBody {
            error,
            error_description: self.to_string(),
            seen,
            accepted,
        })
    }
}

/// Mounts `/mock/…`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    let json = web::JsonConfig::default()
        .limit(64 * 1024)
        .error_handler(|err, _| {
            ControlError::BadRequest(format!("invalid JSON body: {err}")).into()
        });
    let query = web::QueryConfig::default().error_handler(|err, _| {
        ControlError::BadRequest(format!("invalid query string: {err}")).into()
    });
    let path = web::PathConfig::default()
        .error_handler(|err, _| ControlError::BadRequest(err.to_string()).into());
    cfg.service(
        web::scope("/mock")
            .wrap(actix_web::middleware::from_fn(access::guard))
            .app_data(json)
            .app_data(path)
            .app_data(query)
            .service(Mount::at("/health").get(misc::health).done())
            .service(Mount::at("/openapi.json").get(openapi::document).done())
            .service(Mount::at("/ui").get(ui::page).done())
            .service(Mount::at("/ciba/requests").get(ciba::list).done())
            .service(Mount::at("/ciba/recent").get(ciba::recent).done())
            // The conformance suite's automated approval (before the
            // `{auth_req_id}` route, which would take "actionize").
            .service(Mount::at("/ciba/actionize").post(ciba::actionize).done())
            .service(
                Mount::at("/ciba/requests/{auth_req_id}")
                    .get(ciba::get)
                    .done(),
            )
            .service(
                Mount::at("/ciba/requests/{auth_req_id}/{action}")
                    .post(ciba::decide)
                    .done(),
            )
            .service(
                Mount::at("/scenarios")
                    .get(scenarios::list)
                    .post(scenarios::create)
                    .delete(scenarios::delete_all)
                    .done(),
            )
            // Ids default to idNats, which may contain a '/'.
            .service(
                Mount::at("/scenarios/{id:.+}")
                    .get(scenarios::get)
                    .put(scenarios::put)
                    .delete(scenarios::delete)
                    .done(),
            )
            .service(
                Mount::at("/faults")
                    .get(faults::list)
                    .post(faults::create)
                    .delete(faults::delete_all)
                    .done(),
            )
            .service(
                Mount::at("/faults/{id:.+}")
                    .get(faults::get)
                    .delete(faults::delete)
                    .done(),
            )
            .service(
                Mount::at("/journal")
                    .get(journal::list)
                    .delete(journal::clear)
                    .done(),
            )
            .service(
                Mount::at("/identities")
                    .get(identities::list)
                    .post(identities::add)
                    .done(),
            )
            // idNats issued by structures contain a '/': the tail takes it.
            .service(
                Mount::at("/identities/{id_nat:.+}")
                    .get(identities::get)
                    .delete(identities::remove)
                    .done(),
            )
            .service(Mount::at("/keys").get(keys::list).post(keys::add).done())
            .service(
                Mount::at("/keys/{kid}/activate")
                    .post(keys::activate)
                    .done(),
            )
            .service(Mount::at("/keys/{kid}").delete(keys::retire).done())
            .service(Mount::at("/clock").get(misc::clock).done())
            .service(Mount::at("/clock/advance").post(misc::advance_clock).done())
            .service(Mount::at("/reset").post(misc::reset).done()),
    );
}
