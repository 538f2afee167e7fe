//! `/mock/identities`: the professionals of the annuaire — list with
//! filters, read one, add one at run time (validated like the fixture
//! file), remove one. Changes apply to the next CIBA request.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::{ControlError, ErrorBody, Unauthorized};
use crate::annuaire::{AddError, AuthMode, Professional};
use crate::state::AppState;

/// Most identities returned by one list call.
const MAX_LIMIT: usize = 1000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Filter {
    /// TRE_G15 profession code, e.g. `10`.
    profession: Option<String>,
    /// `identifiantTechniqueDeLaStructure` of one of the activities.
    structure: Option<String>,
    /// Mode d'exercice of one of the activities: `L`, `S` or `B`.
    mode: Option<String>,
    /// `MOBILE` or `CARD`.
    auth_mode: Option<AuthMode>,
    /// Part of the last or first name, any case.
    q: Option<String>,
    #[serde(default)]
    offset: usize,
    /// Default 100; more than 1000 counts as 1000.
    limit: Option<usize>,
}

impl Filter {
    fn matches(&self, p: &Professional) -> bool {
        let activities = || p.exercices.iter().flat_map(|e| e.activities.iter());
        self.profession
            .as_ref()
            .is_none_or(|code| p.exercices.iter().any(|e| &e.code_profession == code))
            && self.structure.as_ref().is_none_or(|id| {
                activities().any(|a| &a.identifiant_technique_de_la_structure == id)
            })
            && self
                .mode
                .as_ref()
                .is_none_or(|m| activities().any(|a| &a.code_mode_exercice == m))
            && self.auth_mode.is_none_or(|m| p.reachable_by(m))
            && self.q.as_ref().is_none_or(|q| {
                let q = q.to_uppercase();
                p.nom.to_uppercase().contains(&q) || p.prenom.to_uppercase().contains(&q)
            })
    }
}

/// A line of the list: enough to pick a `login_hint`.
#[derive(Serialize)]
struct Summary<'a> {
    #[serde(rename = "idNat")]
    id_nat: &'a str,
    civilite: &'a str,
    given_name: &'a str,
    family_name: &'a str,
    professions: Vec<&'a str>,
    structures: Vec<&'a str>,
    #[serde(rename = "authModes")]
    auth_modes: &'a [AuthMode],
}

impl<'a> Summary<'a> {
    fn of(p: &'a Professional) -> Self {
        Self {
            id_nat: &p.id_nat,
            civilite: &p.civilite,
            given_name: &p.prenom,
            family_name: &p.nom,
            professions: p
                .exercices
                .iter()
                .map(|e| e.code_profession.as_str())
                .collect(),
            structures: p
                .exercices
                .iter()
                .flat_map(|e| &e.activities)
                .map(|a| a.raison_sociale_site.as_str())
                .collect(),
            auth_modes: &p.auth_modes,
        }
    }
}

/// `GET /mock/identities?profession=&structure=&mode=&auth_mode=&q=&offset=&limit=`;
/// the total number of matches is in the `X-Total-Count` header.
#[utoipa::path(
    get,
    path = "/mock/identities",
    tag = "identities",
    operation_id = "identities_list",
    params(Filter),
    responses(
        (status = 200, description = "Professionals, by idNat", body = Vec<Object>, headers(("X-Total-Count" = u64, description = "How many match, before offset and limit"))),
        (status = 400, description = "A malformed parameter or body, named in error_description", body = ErrorBody),
        Unauthorized
    )
)]
pub async fn list(state: web::Data<AppState>, filter: web::Query<Filter>) -> HttpResponse {
    let limit = filter.limit.unwrap_or(100).min(MAX_LIMIT);
    let all = state.annuaire.all();
    let matching: Vec<_> = all.iter().filter(|p| filter.matches(p)).collect();
    let page: Vec<_> = matching
        .iter()
        .skip(filter.offset)
        .take(limit)
        .map(|p| Summary::of(p))
        .collect();
    HttpResponse::Ok()
        .insert_header(("X-Total-Count", matching.len().to_string()))
        .json(page)
}

/// `GET /mock/identities/{idNat}`: the professional as the fixture file has it.
#[utoipa::path(
    get,
    path = "/mock/identities/{id_nat}",
    tag = "identities",
    operation_id = "identities_get",
    params(("id_nat" = String, Path, description = "The idNat")),
    responses(
        (status = 200, description = "The professional", body = Object),
        (status = 400, description = "A malformed parameter or body, named in error_description", body = ErrorBody),
        Unauthorized,
        (status = 404, description = "Not found", body = ErrorBody)
    )
)]
pub async fn get(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ControlError> {
    let professional = state.annuaire.get(&path).ok_or_else(|| not_found(&path))?;
    Ok(HttpResponse::Ok().json(&*professional))
}

/// `POST /mock/identities` with one professional in the fixture schema.
#[utoipa::path(
    post,
    path = "/mock/identities",
    tag = "identities",
    operation_id = "identities_add",
    request_body = Object,
    responses(
        (status = 201, description = "The professional, completed", body = Object),
        (status = 400, description = "A malformed parameter or body, named in error_description", body = ErrorBody),
        Unauthorized,
        (status = 409, description = "Conflict with the current state", body = ErrorBody),
        (status = 503, description = "A store is full", body = ErrorBody)
    )
)]
pub async fn add(
    state: web::Data<AppState>,
    body: web::Json<Professional>,
) -> Result<HttpResponse, ControlError> {
    let added = state.annuaire.add(body.into_inner()).map_err(|e| match e {
        AddError::Invalid(_) => ControlError::BadRequest(e.to_string()),
        AddError::Exists(_) => ControlError::Conflict(e.to_string()),
        AddError::Full(_) => ControlError::Full(e.to_string()),
    })?;
    tracing::info!(id_nat = %added.id_nat, "professional added through the control API");
    Ok(HttpResponse::Created().json(&*added))
}

/// `DELETE /mock/identities/{idNat}`.
#[utoipa::path(
    delete,
    path = "/mock/identities/{id_nat}",
    tag = "identities",
    operation_id = "identities_remove",
    params(("id_nat" = String, Path, description = "The idNat")),
    responses(
        (status = 204, description = "Removed"),
        (status = 400, description = "A malformed parameter or body, named in error_description", body = ErrorBody),
        Unauthorized,
        (status = 404, description = "Not found", body = ErrorBody)
    )
)]
pub async fn remove(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ControlError> {
    state
        .annuaire
        .remove(&path)
        .ok_or_else(|| not_found(&path))?;
    Ok(HttpResponse::NoContent().finish())
}

fn not_found(id_nat: &str) -> ControlError {
    ControlError::NotFound(format!("no professional with idNat {id_nat:?}"))
}
