//! Scenarios per professional, the clock, reset, health.

use std::time::Duration;

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::ControlError;
use crate::ciba::Scenario;
use crate::state::AppState;

/// The longest delay a scenario may ask for: a day.
const MAX_AFTER_MS: u64 = 86_400_000;

/// The furthest the clock may move in one call: ten years.
const MAX_ADVANCE_S: u64 = 10 * 366 * 86_400;

pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

#[derive(Serialize)]
struct ScenarioView {
    login_hint: String,
    #[serde(flatten)]
    scenario: Scenario,
}

pub async fn list_scenarios(state: web::Data<AppState>) -> HttpResponse {
    let scenarios: Vec<_> = state
        .scenarios
        .list()
        .into_iter()
        .map(|(login_hint, scenario)| ScenarioView {
            login_hint,
            scenario,
        })
        .collect();
    HttpResponse::Ok().json(json!({
        "default": state.scenarios.default_scenario(),
        "scenarios": scenarios,
    }))
}

/// `PUT /mock/scenarios/{login_hint}` with `{"action": …, "after_ms": N}`.
pub async fn put_scenario(
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<Scenario>,
) -> Result<HttpResponse, ControlError> {
    let login_hint = path.into_inner();
    let scenario = body.into_inner();
    if scenario.after_ms > MAX_AFTER_MS {
        return Err(ControlError::BadRequest(format!(
            "after_ms {} is more than a day ({MAX_AFTER_MS}); use \"pending\" for a professional who never answers",
            scenario.after_ms
        )));
    }
    if !state.scenarios.set(&login_hint, scenario) {
        return Err(ControlError::Full(
            "too many scenarios; DELETE some or POST /mock/reset".into(),
        ));
    }
    let known = state.annuaire.get(&login_hint).is_some();
    Ok(HttpResponse::Ok().json(json!({
        "login_hint": login_hint,
        "action": scenario.action,
        "after_ms": scenario.after_ms,
        "known_professional": known,
    })))
}

pub async fn delete_scenario(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ControlError> {
    state
        .scenarios
        .remove(&path)
        .map(|_| HttpResponse::NoContent().finish())
        .ok_or_else(|| ControlError::NotFound(format!("no scenario for login_hint {:?}", *path)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Advance {
    seconds: u64,
}

/// `POST /mock/clock/advance` with `{"seconds": N}`: moves the mock's clock
/// forward, to expire requests and tokens without waiting.
pub async fn advance_clock(
    state: web::Data<AppState>,
    body: web::Json<Advance>,
) -> Result<HttpResponse, ControlError> {
    if body.seconds > MAX_ADVANCE_S {
        return Err(ControlError::BadRequest(format!(
            "seconds {} is more than ten years ({MAX_ADVANCE_S})",
            body.seconds
        )));
    }
    state.clock.advance(Duration::from_secs(body.seconds));
    Ok(HttpResponse::Ok().json(json!({"now": crate::clock::unix_seconds(state.clock.now())})))
}

/// `POST /mock/reset`: forgets every CIBA request, scenario and session.
pub async fn reset(state: web::Data<AppState>) -> HttpResponse {
    state.ciba.clear();
    state.scenarios.clear();
    state.sessions.clear();
    state.codeflow.clear();
    HttpResponse::NoContent().finish()
}
