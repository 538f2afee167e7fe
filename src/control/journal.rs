//! `/mock/journal`: the requests the OIDC endpoints received, for a test
//! to assert on. See [`crate::journal`].

use actix_web::{HttpResponse, web};

use crate::journal::Filter;
use crate::state::AppState;

/// `GET /mock/journal?endpoint=token&client_id=…&since=N&limit=M`:
/// matching entries, oldest first.
pub async fn list(state: web::Data<AppState>, filter: web::Query<Filter>) -> HttpResponse {
    let entries = state.journal.query(&filter);
    HttpResponse::Ok()
        .insert_header(("X-Journal-Capacity", state.journal.capacity().to_string()))
        .json(entries)
}

pub async fn clear(state: web::Data<AppState>) -> HttpResponse {
    state.journal.clear();
    HttpResponse::NoContent().finish()
}
