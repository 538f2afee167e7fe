//! `/mock/faults`: make PSC slow, down, or hand out bad tokens. See
//! [`crate::faults`] for what a fault is.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde_json::Value;

use super::{ControlError, ErrorBody, Unauthorized, body, found, removed};
use crate::faults::Fault;
use crate::state::AppState;

#[utoipa::path(
    get,
    path = "/mock/faults",
    tag = "faults",
    operation_id = "faults_list",
    responses(
        (status = 200, description = "The faults in force, oldest first", body = Vec<Fault>),
        Unauthorized
    )
)]
pub async fn list(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(state.faults.list())
}

/// `POST /mock/faults`: 201 with the fault (and its id).
#[utoipa::path(
    post,
    path = "/mock/faults",
    tag = "faults",
    operation_id = "faults_create",
    request_body = Fault,
    responses(
        (status = 201, description = "The fault, with its id", body = Fault),
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
    let fault: Fault = body::parse(value.into_inner())?;
    fault
        .validate()
        .map_err(|e| ControlError::BadRequest(e.to_string()))?;
    let added = state.faults.add(fault)?;
    Ok(HttpResponse::build(StatusCode::CREATED).json(added))
}

#[utoipa::path(
    get,
    path = "/mock/faults/{id}",
    tag = "faults",
    operation_id = "faults_get",
    params(("id" = String, Path, description = "The fault id")),
    responses(
        (status = 200, description = "The fault", body = Fault),
        (status = 400, description = "A malformed parameter or body, named in error_description", body = ErrorBody),
        Unauthorized,
        (status = 404, description = "Not found", body = ErrorBody)
    )
)]
pub async fn get(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ControlError> {
    found(state.faults.get(&path), &path)
}

#[utoipa::path(
    delete,
    path = "/mock/faults/{id}",
    tag = "faults",
    operation_id = "faults_delete",
    params(("id" = String, Path, description = "The fault id")),
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
    removed(state.faults.remove(&path), &path)
}

#[utoipa::path(
    delete,
    path = "/mock/faults",
    tag = "faults",
    operation_id = "faults_delete_all",
    responses(
        (status = 204, description = "Every fault removed"),
        Unauthorized
    )
)]
pub async fn delete_all(state: web::Data<AppState>) -> HttpResponse {
    state.faults.replace_all(Vec::new());
    HttpResponse::NoContent().finish()
}
