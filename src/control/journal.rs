//! `/mock/journal`: the requests the OIDC endpoints received, for a test
//! to assert on. See [`crate::journal`].

use actix_web::{HttpResponse, web};

use super::{ErrorBody, Unauthorized};
use crate::journal::{Entry, Filter};
use crate::state::AppState;

/// `GET /mock/journal?endpoint=token&client_id=…&since=N&limit=M`:
/// matching entries, oldest first.
#[utoipa::path(
    get,
    path = "/mock/journal",
    tag = "journal",
    operation_id = "journal_list",
    params(Filter),
    responses(
        (status = 200, description = "Matching entries, oldest first", body = Vec<Entry>, headers(("X-Journal-Capacity" = u64, description = "Entries the journal keeps"))),
        (status = 400, description = "A malformed parameter or body, named in error_description", body = ErrorBody),
        Unauthorized
    )
)]
pub async fn list(state: web::Data<AppState>, filter: web::Query<Filter>) -> HttpResponse {
    let entries = state.journal.query(&filter);
    HttpResponse::Ok()
        .insert_header(("X-Journal-Capacity", state.journal.capacity().to_string()))
        .json(entries)
}

#[utoipa::path(
    delete,
    path = "/mock/journal",
    tag = "journal",
    operation_id = "journal_clear",
    responses(
        (status = 204, description = "The journal is empty"),
        Unauthorized
    )
)]
pub async fn clear(state: web::Data<AppState>) -> HttpResponse {
    state.journal.clear();
    HttpResponse::NoContent().finish()
}
