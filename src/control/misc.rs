//! Health, the clock, reset.

use std::time::Duration;

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::{ControlError, ErrorBody, Unauthorized};
use crate::state::AppState;

/// The furthest the clock may move in one call: ten years.
const MAX_ADVANCE_S: u64 = 10 * 366 * 86_400;

#[utoipa::path(
    get,
    path = "/mock/health",
    tag = "control",
    operation_id = "control_health",
    responses(
        (status = 200, description = "The server is up", body = Health)
    )
)]
pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok" })
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    status: &'static str,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Advance {
    /// At most ten years.
    #[schema(maximum = 316_224_000)]
    seconds: u64,
}

/// The mock's clock after the move (Unix seconds).
#[derive(Serialize, utoipa::ToSchema)]
pub struct Now {
    now: u64,
}

/// The mock's clock.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ClockView {
    /// Unix seconds, on the mock's clock.
    now: u64,
    /// How far it is ahead of the system clock, in seconds (0 for a fixed
    /// clock: it only moves when advanced).
    offset_s: u64,
    /// `system`, `offset` (moved forward) or `fixed` (library tests).
    kind: &'static str,
}

#[utoipa::path(
    get,
    path = "/mock/clock",
    tag = "control",
    operation_id = "control_clock",
    responses(
        (status = 200, description = "The mock's clock", body = ClockView),
        Unauthorized
    )
)]
pub async fn clock(state: web::Data<AppState>) -> HttpResponse {
    let now = state.clock.now();
    let (kind, offset) = state.clock.describe();
    HttpResponse::Ok().json(ClockView {
        now: crate::clock::unix_seconds(now),
        offset_s: offset.as_secs(),
        kind,
    })
}

/// `POST /mock/clock/advance` with `{"seconds": N}`: moves the mock's clock
/// forward, to expire requests and tokens without waiting.
#[utoipa::path(
    post,
    path = "/mock/clock/advance",
    tag = "control",
    operation_id = "control_advance_clock",
    request_body = Advance,
    responses(
        (status = 200, description = "The mock's clock, moved", body = Now),
        (status = 400, description = "A malformed parameter or body, named in error_description", body = ErrorBody),
        Unauthorized
    )
)]
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
    Ok(HttpResponse::Ok().json(Now {
        now: crate::clock::unix_seconds(state.clock.now()),
    }))
}

/// `POST /mock/reset`: forgets every CIBA request, session, code and
/// journal entry, and puts back the scenarios and faults of the start-up
/// file and the signing keys of the start. The clock and the annuaire stay
/// as they are.
#[utoipa::path(
    post,
    path = "/mock/reset",
    tag = "control",
    operation_id = "control_reset",
    responses(
        (status = 204, description = "Back to the start-up state"),
        Unauthorized
    )
)]
pub async fn reset(state: web::Data<AppState>) -> HttpResponse {
    state.ciba.clear();
    state.reset_script();
    state.tokens.keys.reset();
    if let Some(channel) = &state.channel {
        channel.clear();
    }
    state.journal.clear();
    state.sessions.clear();
    state.codeflow.clear();
    HttpResponse::NoContent().finish()
}
