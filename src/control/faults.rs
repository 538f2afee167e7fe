//! `/mock/faults`: make PSC slow, down, or hand out bad tokens. See
//! [`crate::faults`] for what a fault is.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde_json::Value;

use super::{ControlError, body};
use crate::faults::{Fault, FaultError};
use crate::state::AppState;

impl From<FaultError> for ControlError {
    fn from(e: FaultError) -> Self {
        match e {
            FaultError::Invalid(m) => Self::BadRequest(m),
            FaultError::Exists(_) => Self::Conflict(e.to_string()),
            FaultError::Full(_) => Self::Full(e.to_string()),
        }
    }
}

pub async fn list(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(state.faults.list())
}

/// `POST /mock/faults`: 201 with the fault (and its id).
pub async fn create(
    state: web::Data<AppState>,
    value: web::Json<Value>,
) -> Result<HttpResponse, ControlError> {
    let fault: Fault = body::parse(value.into_inner())?;
    fault.validate().map_err(ControlError::BadRequest)?;
    let added = state.faults.add(fault)?;
    Ok(HttpResponse::build(StatusCode::CREATED).json(added))
}

pub async fn get(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ControlError> {
    state
        .faults
        .get(&path)
        .map(|f| HttpResponse::Ok().json(f))
        .ok_or_else(|| not_found(&path))
}

pub async fn delete(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ControlError> {
    state
        .faults
        .remove(&path)
        .map(|_| HttpResponse::NoContent().finish())
        .ok_or_else(|| not_found(&path))
}

pub async fn delete_all(state: web::Data<AppState>) -> HttpResponse {
    state.faults.replace_all(Vec::new());
    HttpResponse::NoContent().finish()
}

fn not_found(id: &str) -> ControlError {
    ControlError::NotFound(format!(
        "no fault with id {id:?} (GET /mock/faults lists them)"
    ))
}
