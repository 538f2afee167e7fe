//! Health, the clock, reset.

use std::time::Duration;

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::ControlError;
use crate::state::AppState;

/// The furthest the clock may move in one call: ten years.
const MAX_ADVANCE_S: u64 = 10 * 366 * 86_400;

pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
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

/// `POST /mock/reset`: back to the start-up state: no CIBA request,
/// session or journal entry, and the scenarios and faults of the start-up
/// file only.
pub async fn reset(state: web::Data<AppState>) -> HttpResponse {
    state.ciba.clear();
    state.reset_script();
    state.journal.clear();
    state.sessions.clear();
    state.codeflow.clear();
    HttpResponse::NoContent().finish()
}
