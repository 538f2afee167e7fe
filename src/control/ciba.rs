//! `/mock/ciba/requests`: list the CIBA requests and answer them as the
//! professional would; `/mock/ciba/recent`: the requests that have ended.

use std::sync::Arc;
use std::time::SystemTime;

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{ControlError, ErrorBody, Unauthorized};
use crate::annuaire::AuthMode;
use crate::ciba::{Action, CibaRequest, Ending, Finished, Status, StoreError};
use crate::clock::unix_seconds;
use crate::identifiers::{AuthReqId, ClientId, IdNat};
use crate::scenarios::Outcome;
use crate::state::AppState;

/// A request as the control API shows it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RequestView {
    #[serde(flatten)]
    request: CibaRequest,
    status: Status,
    created_at: u64,
    expires_at: u64,
    /// Seconds left before the expiry, on the mock's clock.
    expires_in: u64,
    interval: u64,
    /// A scripted answer still to come: `{"action": "approve", "at": …}`.
    scheduled: Option<Scheduled>,
    professional: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
struct Scheduled {
    action: Action,
    /// Unix milliseconds, on the mock's clock.
    #[schema(value_type = u64)]
    at_ms: u128,
}

/// What the professional does (path segment of the answer call).
#[derive(Debug, Clone, Copy, PartialEq, Eq, utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum Decision {
    Approve,
    Deny,
    Expire,
}

impl Decision {
    /// The path segment, or a 404 naming the ones that exist.
    fn parse(segment: &str) -> Result<Self, ControlError> {
        match segment {
            "approve" => Ok(Self::Approve),
            "deny" => Ok(Self::Deny),
            "expire" => Ok(Self::Expire),
            other => Err(ControlError::NotFound(format!(
                "unknown action {other:?}: use approve, deny or expire"
            ))),
        }
    }

    fn action(self) -> Action {
        match self {
            Self::Approve => Action::Approve,
            Self::Deny => Action::Deny,
            Self::Expire => Action::Expire,
        }
    }
}

impl RequestView {
    fn new(request: CibaRequest, state: &AppState, now: SystemTime) -> Self {
        let scheduled = request.scheduled(now).map(|(action, at)| Scheduled {
            action,
            at_ms: at
                .duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis()),
        });
        let professional = professional_name(state, &request.login_hint);
        Self {
            status: request.status(now),
            created_at: unix_seconds(request.created_at),
            expires_at: unix_seconds(request.expires_at),
            expires_in: request
                .expires_at
                .duration_since(now)
                .map_or(0, |d| d.as_secs()),
            interval: request.interval.as_secs(),
            scheduled,
            professional,
            request,
        }
    }
}

/// "Prénom Nom" of the professional, if the annuaire knows them.
fn professional_name(state: &AppState, login_hint: &str) -> Option<String> {
    state
        .annuaire
        .get(login_hint)
        .map(|p| format!("{} {}", p.prenom, p.nom))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Filter {
    /// `pending`, `approved`, `denied`, `expired` or `redeemed`.
    status: Option<String>,
    login_hint: Option<String>,
    client_id: Option<String>,
}

#[utoipa::path(
    get,
    path = "/mock/ciba/requests",
    tag = "ciba",
    operation_id = "ciba_list",
    params(Filter),
    responses(
        (status = 200, description = "CIBA requests in the store, oldest first", body = Vec<RequestView>),
        (status = 400, description = "A malformed parameter or body, named in error_description", body = ErrorBody),
        Unauthorized
    )
)]
pub async fn list(
    state: web::Data<AppState>,
    filter: web::Query<Filter>,
) -> Result<HttpResponse, ControlError> {
    let now = state.clock.now();
    let wanted_status = filter
        .status
        .as_deref()
        .map(|s| {
            serde_json::from_value::<Status>(serde_json::Value::String(s.to_owned())).map_err(
                |_| {
                    ControlError::BadRequest(format!(
                        "status {s:?} is not one of pending, approved, denied, expired, redeemed"
                    ))
                },
            )
        })
        .transpose()?;
    let views: Vec<_> = state
        .ciba
        .list()
        .into_iter()
        .filter(|r| wanted_status.is_none_or(|s| r.status(now) == s))
        .filter(|r| {
            filter
                .login_hint
                .as_ref()
                .is_none_or(|h| r.login_hint == *h)
        })
        .filter(|r| filter.client_id.as_ref().is_none_or(|c| r.client_id == *c))
        .map(|r| RequestView::new(r, &state, now))
        .collect();
    Ok(HttpResponse::Ok().json(views))
}

#[utoipa::path(
    get,
    path = "/mock/ciba/requests/{auth_req_id}",
    tag = "ciba",
    operation_id = "ciba_get",
    params(("auth_req_id" = String, Path, description = "The auth_req_id")),
    responses(
        (status = 200, description = "The request", body = RequestView),
        (status = 400, description = "A malformed parameter or body, named in error_description", body = ErrorBody),
        Unauthorized,
        (status = 404, description = "Not found", body = ErrorBody)
    )
)]
pub async fn get(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ControlError> {
    let now = state.clock.now();
    let request = state.ciba.get(&path).ok_or_else(|| {
        ControlError::NotFound(StoreError::Unknown(path.into_inner()).to_string())
    })?;
    Ok(HttpResponse::Ok().json(RequestView::new(request, &state, now)))
}

/// What an approval through the control API may carry.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproveBody {
    /// Tokens for this professional (idNat) instead.
    #[serde(rename = "as")]
    as_id_nat: Option<String>,
    /// Claims added to (or replacing those of) the tokens and userinfo;
    /// those the mock relies on, the idNat's and PSC claims of the wrong
    /// type are refused (docs/control.md, "Scenarios").
    #[schema(value_type = Option<Object>)]
    claims: Option<Arc<Map<String, Value>>>,
}

/// `POST /mock/ciba/requests/{auth_req_id}/{approve|deny|expire}`; an
/// approval may have a body `{"as": idNat, "claims": {…}}`.
#[utoipa::path(
    post,
    path = "/mock/ciba/requests/{auth_req_id}/{action}",
    tag = "ciba",
    operation_id = "ciba_decide",
    params(("auth_req_id" = String, Path, description = "The auth_req_id"), ("action" = Decision, Path, description = "What the professional does")),
    request_body = Option<ApproveBody>,
    responses(
        (status = 200, description = "The request, answered", body = RequestView),
        (status = 400, description = "A malformed parameter or body, named in error_description", body = ErrorBody),
        Unauthorized,
        (status = 404, description = "Not found", body = ErrorBody),
        (status = 409, description = "Conflict with the current state", body = ErrorBody)
    )
)]
pub async fn decide(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    payload: web::Payload,
) -> Result<HttpResponse, ControlError> {
    let (auth_req_id, action) = path.into_inner();
    let action = Decision::parse(&action)?.action();
    let approval = match super::body::parse_optional::<ApproveBody>(payload).await? {
        None => None,
        Some(_) if action != Action::Approve => {
            return Err(ControlError::BadRequest(format!(
                "only an approval takes a body ({{\"as\": …, \"claims\": …}}), not {}",
                action.as_str()
            )));
        }
        Some(body) => {
            let outcome = Outcome {
                action,
                after_ms: 0,
                as_id_nat: body.as_id_nat,
                claims: body.claims,
            };
            outcome.validate(&state.annuaire)?;
            Some(outcome.approval())
        }
    };
    answer(&state, &auth_req_id, action, approval)
}

/// Answers a pending request as the professional; the request, answered.
fn answer(
    state: &AppState,
    auth_req_id: &str,
    action: Action,
    approval: Option<crate::ciba::Approval>,
) -> Result<HttpResponse, ControlError> {
    let now = state.clock.now();
    let request = state
        .ciba
        .decide(auth_req_id, action, approval, now)
        .map_err(|e| match e {
            StoreError::Unknown(_) => ControlError::NotFound(e.to_string()),
            StoreError::NotPending(_) | StoreError::Full { .. } => {
                ControlError::Conflict(e.to_string())
            }
        })?;
    tracing::info!(
        auth_req_id,
        ?action,
        "CIBA request answered through the control API"
    );
    Ok(HttpResponse::Ok().json(RequestView::new(request, state, now)))
}

/// The query of the conformance suite's approval call.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Actionize {
    /// The auth_req_id (the suite's `{auth_req_id}`).
    token: String,
    /// `allow` or `deny` (the suite's `{action}`).
    action: Option<String>,
    /// The same as `action`, under the name of the suite's own example URL.
    #[serde(rename = "type")]
    kind: Option<String>,
    /// The control token, for a server started with one (RFC 6750 §2.3).
    #[expect(
        dead_code,
        reason = "read by the control-token guard (access.rs); named here so that the query is described and checked whole"
    )]
    access_token: Option<String>,
}

/// `POST /mock/ciba/actionize?token={auth_req_id}&action={action}`, empty
/// body: the OpenID Foundation conformance suite's automated CIBA approval
/// (its `automated_ciba_approval_url`), `allow` or `deny`.
#[utoipa::path(
    post,
    path = "/mock/ciba/actionize",
    tag = "ciba",
    operation_id = "ciba_actionize",
    params(Actionize),
    responses(
        (status = 200, description = "The request, answered", body = RequestView),
        (status = 400, description = "A malformed parameter or body, named in error_description", body = ErrorBody),
        Unauthorized,
        (status = 404, description = "Not found", body = ErrorBody),
        (status = 409, description = "Conflict with the current state", body = ErrorBody)
    )
)]
pub async fn actionize(
    state: web::Data<AppState>,
    query: web::Query<Actionize>,
) -> Result<HttpResponse, ControlError> {
    let action = match (query.action.as_deref(), query.kind.as_deref()) {
        (Some(a), Some(t)) if a != t => {
            return Err(ControlError::BadRequest(format!(
                "action {a:?} and type {t:?} disagree: send one of them"
            )));
        }
        (Some(a), _) | (None, Some(a)) => a,
        (None, None) => {
            return Err(ControlError::BadRequest(
                "missing parameter action (allow or deny)".into(),
            ));
        }
    };
    let action = match action {
        "allow" | "approve" => Action::Approve,
        "deny" => Action::Deny,
        other => {
            return Err(ControlError::BadRequest(format!(
                "action {other:?} is not allow or deny (the conformance suite's values)"
            )));
        }
    };
    answer(&state, &query.token, action, None)
}

/// A finished request as `GET /mock/ciba/recent` shows it.
#[derive(Serialize, utoipa::ToSchema)]
struct FinishedView {
    auth_req_id: AuthReqId,
    client_id: ClientId,
    login_hint: IdNat,
    binding_message: Option<String>,
    channel: AuthMode,
    outcome: Ending,
    professional: Option<String>,
    /// Unix seconds, on the mock's clock.
    finished_at: u64,
}

/// `GET /mock/ciba/recent`: the last answered requests, newest first:
/// those still in the store with an answer (approved and not yet
/// collected, denied, expired), then the history of those that left it
/// (redeemed, or purged `ciba.keep_finished_s` after their expiry).
#[utoipa::path(
    get,
    path = "/mock/ciba/recent",
    tag = "ciba",
    operation_id = "ciba_recent",
    responses(
        (status = 200, description = "Answered requests, newest first", body = Vec<FinishedView>),
        Unauthorized
    )
)]
pub async fn recent(state: web::Data<AppState>) -> HttpResponse {
    let now = state.clock.now();
    state.ciba.purge(now);
    let mut answered = state.ciba.answered(now);
    answered.sort_by_key(|f| std::cmp::Reverse(f.finished_at));
    let views: Vec<_> = answered
        .into_iter()
        .chain(state.ciba.recent())
        .map(|f: Finished| FinishedView {
            professional: professional_name(&state, &f.login_hint),
            finished_at: unix_seconds(f.finished_at),
            auth_req_id: f.auth_req_id,
            client_id: f.client_id,
            login_hint: f.login_hint,
            binding_message: f.binding_message,
            channel: f.channel,
            outcome: f.outcome,
        })
        .collect();
    HttpResponse::Ok().json(views)
}
