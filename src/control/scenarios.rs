//! `/mock/scenarios`: what professionals do with the requests they get.
//!
//! `POST` adds a scenario (`match`, then `steps` or `always`); `PUT
//! /mock/scenarios/{id}` creates or replaces one, and with a bare outcome
//! (`{"action": "deny"}`) sets the sticky behaviour of the professional
//! whose idNat is `{id}`. See [`crate::scenarios`].

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde_json::{Value, json};

use super::{ControlError, body};
use crate::scenarios::{Outcome, Scenario, ScenarioError};
use crate::state::AppState;

impl From<ScenarioError> for ControlError {
    fn from(e: ScenarioError) -> Self {
        match e {
            ScenarioError::Invalid(m) => Self::BadRequest(m),
            ScenarioError::Exists(_) => Self::Conflict(e.to_string()),
            ScenarioError::Full(_) => Self::Full(e.to_string()),
        }
    }
}

pub async fn list(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "default": state.scenarios.default_outcome(),
        "scenarios": state.scenarios.list(),
    }))
}

/// `POST /mock/scenarios`: 201 with the scenario (and its id).
pub async fn create(
    state: web::Data<AppState>,
    value: web::Json<Value>,
) -> Result<HttpResponse, ControlError> {
    let scenario: Scenario = body::parse(value.into_inner())?;
    scenario
        .validate(&state.annuaire)
        .map_err(ControlError::BadRequest)?;
    let added = state.scenarios.add(scenario, false)?;
    Ok(HttpResponse::build(StatusCode::CREATED).json(added))
}

/// `PUT /mock/scenarios/{id}`: a whole scenario with that id, or a bare
/// outcome for the professional whose idNat is `id`.
pub async fn put(
    state: web::Data<AppState>,
    path: web::Path<String>,
    value: web::Json<Value>,
) -> Result<HttpResponse, ControlError> {
    let id = path.into_inner();
    let value = value.into_inner();
    let bare_outcome = value.get("action").is_some();
    let scenario = if bare_outcome {
        Scenario::for_professional(&id, body::parse::<Outcome>(value)?)
    } else {
        let mut scenario: Scenario = body::parse(value)?;
        if !scenario.id.is_empty() && scenario.id != id {
            return Err(ControlError::BadRequest(format!(
                "the body's id {:?} differs from the path's {id:?}",
                scenario.id
            )));
        }
        scenario.id = id;
        scenario
    };
    scenario
        .validate(&state.annuaire)
        .map_err(ControlError::BadRequest)?;
    let known = state.annuaire.get(&scenario.id).is_some();
    let added = state.scenarios.add(scenario, true)?;
    let mut answer = serde_json::to_value(&added).unwrap_or_default();
    if bare_outcome && let Some(map) = answer.as_object_mut() {
        map.insert("login_hint".into(), added.id.clone().into());
        map.insert("known_professional".into(), known.into());
    }
    Ok(HttpResponse::Ok().json(answer))
}

pub async fn get(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ControlError> {
    state
        .scenarios
        .get(&path)
        .map(|s| HttpResponse::Ok().json(s))
        .ok_or_else(|| not_found(&path))
}

pub async fn delete(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ControlError> {
    state
        .scenarios
        .remove(&path)
        .map(|_| HttpResponse::NoContent().finish())
        .ok_or_else(|| not_found(&path))
}

/// `DELETE /mock/scenarios`: removes every scenario (the file's too; `POST
/// /mock/reset` puts those back).
pub async fn delete_all(state: web::Data<AppState>) -> HttpResponse {
    state.scenarios.replace_all(Vec::new());
    HttpResponse::NoContent().finish()
}

fn not_found(id: &str) -> ControlError {
    ControlError::NotFound(format!(
        "no scenario with id {id:?} (GET /mock/scenarios lists them)"
    ))
}
