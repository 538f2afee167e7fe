//! `/mock/scenarios`: what professionals do with the requests they get.
//!
//! `POST` adds a scenario (`match`, then `steps` or `always`); `PUT
//! /mock/scenarios/{id}` creates or replaces one, and with a bare outcome
//! (`{"action": "deny"}`) sets the sticky behaviour of the professional
//! whose idNat is `{id}`. See [`crate::scenarios`].

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Serialize;
use serde_json::Value;

use super::{ControlError, ErrorBody, Unauthorized, body, found, removed};
use crate::scenarios::{Outcome, Scenario};
use crate::state::AppState;

#[utoipa::path(
    get,
    path = "/mock/scenarios",
    tag = "scenarios",
    operation_id = "scenarios_list",
    responses(
        (status = 200, description = "The default outcome and the scenarios, oldest first", body = ScenarioList),
        Unauthorized
    )
)]
pub async fn list(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(ScenarioList {
        default: state.scenarios.default_outcome().clone(),
        scenarios: state.scenarios.list(),
    })
}

/// The scenarios in force and the default outcome.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ScenarioList {
    /// The outcome when no scenario matches and the professional has no
    /// default of their own.
    default: Outcome,
    scenarios: Vec<Scenario>,
}

/// The body of `PUT /mock/scenarios/{id}`: an outcome when it has an
/// `action`, a whole scenario otherwise.
#[derive(utoipa::ToSchema)]
#[serde(untagged)]
pub enum ScenarioOrOutcome {
    /// A whole scenario, given the path's id.
    Scenario(Box<Scenario>),
    /// The sticky behaviour of the professional whose idNat is the id.
    Outcome(Outcome),
}

impl ScenarioOrOutcome {
    /// Reads the body, naming the wrong value's path. Not serde's
    /// `untagged`, whose error names no field.
    fn parse(value: Value) -> Result<Self, ControlError> {
        if value.get("action").is_some() {
            Ok(Self::Outcome(body::parse(value)?))
        } else {
            Ok(Self::Scenario(Box::new(body::parse(value)?)))
        }
    }

    /// The scenario stored under `id`.
    fn into_scenario(self, id: String) -> Result<Scenario, ControlError> {
        match self {
            Self::Outcome(outcome) => Ok(Scenario::for_professional(&id, outcome)),
            Self::Scenario(scenario) if !scenario.id.is_empty() && scenario.id != id => {
                Err(ControlError::BadRequest(format!(
                    "the body's id {:?} differs from the path's {id:?}",
                    scenario.id
                )))
            }
            Self::Scenario(mut scenario) => {
                scenario.id = id;
                Ok(*scenario)
            }
        }
    }
}

/// `POST /mock/scenarios`: 201 with the scenario (and its id).
#[utoipa::path(
    post,
    path = "/mock/scenarios",
    tag = "scenarios",
    operation_id = "scenarios_create",
    request_body = Scenario,
    responses(
        (status = 201, description = "The scenario, with its id", body = Scenario),
        (status = 400, description = "A malformed parameter or body, named in error_description", body = ErrorBody),
        Unauthorized,
        (status = 409, description = "Conflict with the current state", body = ErrorBody),
        (status = 503, description = "A store is full", body = ErrorBody)
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    value: web::Json<Value>,
) -> Result<HttpResponse, ControlError> {
    let scenario: Scenario = body::parse(value.into_inner())?;
    scenario.validate(&state.annuaire)?;
    let added = state.scenarios.add(scenario, false)?;
    Ok(HttpResponse::build(StatusCode::CREATED).json(added))
}

/// `PUT /mock/scenarios/{id}`: a whole scenario with that id, or a bare
/// outcome for the professional whose idNat is `id`.
#[utoipa::path(
    put,
    path = "/mock/scenarios/{id}",
    tag = "scenarios",
    operation_id = "scenarios_put",
    params(("id" = String, Path, description = "The scenario id, or a professional's idNat")),
    request_body = ScenarioOrOutcome,
    responses(
        (status = 200, description = "The scenario", body = Scenario),
        (status = 400, description = "A malformed parameter or body, named in error_description", body = ErrorBody),
        Unauthorized,
        (status = 503, description = "A store is full", body = ErrorBody)
    )
)]
pub async fn put(
    state: web::Data<AppState>,
    path: web::Path<String>,
    value: web::Json<Value>,
) -> Result<HttpResponse, ControlError> {
    let scenario =
        ScenarioOrOutcome::parse(value.into_inner())?.into_scenario(path.into_inner())?;
    scenario.validate(&state.annuaire)?;
    let added = state.scenarios.add(scenario, true)?;
    Ok(HttpResponse::Ok().json(added))
}

#[utoipa::path(
    get,
    path = "/mock/scenarios/{id}",
    tag = "scenarios",
    operation_id = "scenarios_get",
    params(("id" = String, Path, description = "The scenario id")),
    responses(
        (status = 200, description = "The scenario", body = Scenario),
        (status = 400, description = "A malformed parameter or body, named in error_description", body = ErrorBody),
        Unauthorized,
        (status = 404, description = "Not found", body = ErrorBody)
    )
)]
pub async fn get(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ControlError> {
    found(state.scenarios.get(&path), &path)
}

#[utoipa::path(
    delete,
    path = "/mock/scenarios/{id}",
    tag = "scenarios",
    operation_id = "scenarios_delete",
    params(("id" = String, Path, description = "The scenario id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 400, description = "A malformed parameter or body, named in error_description", body = ErrorBody),
        Unauthorized,
        (status = 404, description = "Not found", body = ErrorBody)
    )
)]
pub async fn delete(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ControlError> {
    removed(state.scenarios.remove(&path), &path)
}

/// `DELETE /mock/scenarios`: removes every scenario (the file's too; `POST
/// /mock/reset` puts those back).
#[utoipa::path(
    delete,
    path = "/mock/scenarios",
    tag = "scenarios",
    operation_id = "scenarios_delete_all",
    responses(
        (status = 204, description = "Every scenario removed"),
        Unauthorized
    )
)]
pub async fn delete_all(state: web::Data<AppState>) -> HttpResponse {
    state.scenarios.replace_all(Vec::new());
    HttpResponse::NoContent().finish()
}
