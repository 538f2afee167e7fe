//! The middleware around the OIDC endpoints: it reads the request's
//! parameters (a form body is read and parsed here, once, strictly, and
//! handed to the handler's `Form` extractor through the request's
//! extensions), injects the fault that matches if any, and records the
//! request and its answer in the journal.

use std::collections::BTreeMap;
use std::time::{Duration, UNIX_EPOCH};

use crate::clock::Stopwatch;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes};
use actix_web::{HttpMessage, HttpResponse};

use crate::endpoint::Endpoint;
use crate::error::OAuthError;
use crate::faults::{Applied, Fault, FaultKind};
use crate::form::{Form, ParsedForm, body_limit, is_form, read_limited};
use crate::journal::{Entry, MASK, MASKED, MAX_PARAMS, MAX_VALUE, bounded, cut};
use crate::scenarios::Facts;
use crate::state::AppState;

/// What the request said, before any handler looked at it.
struct Seen {
    params: Vec<(String, String)>,
    basic_client_id: Option<String>,
    authorization: Option<String>,
    certificate_cn: Option<String>,
}

impl Seen {
    fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, v)| k == name && !v.is_empty())
            .map(|(_, v)| v.as_str())
    }

    /// The client_id the request claims: form, HTTP Basic, certificate CN.
    fn client_id(&self) -> Option<&str> {
        self.param("client_id")
            .or(self.basic_client_id.as_deref())
            .or(self.certificate_cn.as_deref())
    }
}

/// Around the handlers of `endpoint` (attached where it is mounted).
pub async fn observe(
    endpoint: Endpoint,
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    let started = Stopwatch::start();
    let at = state.clock.now();
    let limit = body_limit(req.request());

    // A form is read and parsed here, once; other bodies (the channel's
    // JSON callback) are left to their handler.
    let read = if req.method() == Method::POST && is_form(req.headers()) {
        read_limited(req.take_payload(), limit)
            .await
            .map(|body| Some(Form::parse(&body)))
    } else {
        Ok(None)
    };
    let form = read.as_ref().ok().and_then(Option::as_ref);
    let seen = seen(&req, form.and_then(|f| f.as_ref().ok()));
    let mut fault = None;
    let outcome = match read {
        Err(refusal) => Err(HttpResponse::from_error(refusal)),
        Ok(parsed) => {
            if let Some(parsed) = parsed {
                req.extensions_mut().insert(ParsedForm(parsed));
            }
            fault = pick_fault(&state, endpoint, &seen);
            inject(&mut req, fault.as_ref()).await
        }
    };
    let res = match outcome {
        Err(answer) => req.into_response(answer),
        Ok(()) => match next.call(req).await {
            Ok(res) => res.map_into_boxed_body(),
            Err(e) => return Err(e),
        },
    };

    let (error, error_description) = oauth_error(res.response());
    let entry = Entry {
        seq: 0,
        at_ms: at
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
        method: res.request().method().to_string(),
        path: bounded(res.request().path()),
        endpoint,
        client_id: seen.client_id().map(bounded),
        certificate_cn: seen.certificate_cn.as_deref().map(bounded),
        authorization: seen.authorization.clone(),
        params: masked(&seen.params),
        // A dropped connection sent no answer at all.
        status: match fault.as_ref().map(|f| &f.fault) {
            Some(FaultKind::Drop) => 0,
            _ => res.status().as_u16(),
        },
        error,
        // Descriptions may quote what the client sent.
        error_description: error_description.map(|d| cut(&d, 4 * MAX_VALUE)),
        // A token fault counts only if the tokens went out with it.
        fault: fault
            .as_ref()
            .filter(|f| {
                !f.fault.signs_tokens() || res.request().extensions().get::<Applied>().is_some()
            })
            .map(|f| f.fault.name()),
        duration_ms: started.elapsed().as_secs_f64() * 1000.0,
    };
    tracing::info!(
        target: "psc_mock::journal",
        method = %entry.method,
        path = %entry.path,
        client_id = entry.client_id.as_deref().unwrap_or("-"),
        certificate_cn = entry.certificate_cn.as_deref().unwrap_or("-"),
        status = entry.status,
        error = entry.error.as_deref().unwrap_or("-"),
        fault = entry.fault.unwrap_or("-"),
        duration_ms = format_args!("{:.2}", entry.duration_ms),
        "request",
    );
    state.journal.record(entry);
    Ok(res)
}

/// What the journal and the fault matcher see: the query's parameters
/// and the parsed form's (none if the form was refused).
fn seen(req: &ServiceRequest, form: Option<&Form>) -> Seen {
    let mut params: Vec<(String, String)> = form_urlencoded::parse(req.query_string().as_bytes())
        .into_owned()
        .collect();
    if let Some(form) = form {
        params.extend(form.iter().map(|(k, v)| (k.to_owned(), v.to_owned())));
    }
    let header = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let basic_client_id =
        header.and_then(|h| crate::clients::parse_basic(h).ok().map(|(id, _)| id));
    // Only a known scheme is shown: a header without one may be a bare token.
    let authorization = header.map(|h| {
        let scheme = h.split_ascii_whitespace().next().unwrap_or_default();
        let known = ["Basic", "Bearer", "DPoP"]
            .into_iter()
            .find(|k| k.eq_ignore_ascii_case(scheme));
        match (known, &basic_client_id) {
            (Some(scheme), Some(id)) => format!("{scheme} {}:{MASK}", bounded(id)),
            (Some(scheme), None) => format!("{scheme} {MASK}"),
            (None, _) => MASK.to_owned(),
        }
    });
    let certificate_cn = crate::tls::client_cert(req.request())
        .ok()
        .and_then(|c| c.0)
        .and_then(|c| match (c.common_name(), c.common_names.len()) {
            (Some(cn), _) => Some(cn.to_owned()),
            (None, 0) => None,
            // Several, or not text: as error messages show them.
            (None, _) => Some(c.describe_cn()),
        });
    Seen {
        params,
        basic_client_id,
        authorization,
        certificate_cn,
    }
}

/// The parameters as recorded: secrets masked, sizes bounded.
fn masked(params: &[(String, String)]) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    let mut dropped = 0usize;
    for (k, v) in params {
        if map.len() >= MAX_PARAMS && !map.contains_key(k.as_str()) {
            dropped += 1;
            continue;
        }
        let value = if MASKED.contains(&k.as_str()) {
            MASK.to_owned()
        } else {
            bounded(v)
        };
        map.entry(bounded(k)).or_insert(value);
    }
    if dropped > 0 {
        map.insert("…".into(), format!("{dropped} more parameters"));
    }
    map
}

/// The fault for this request. A token-endpoint poll is matched with the
/// facts of its CIBA request (login_hint, channel, binding message).
fn pick_fault(state: &AppState, endpoint: Endpoint, seen: &Seen) -> Option<Fault> {
    if state.faults.is_empty() {
        return None;
    }
    let request = seen
        .param("auth_req_id")
        .filter(|_| endpoint == Endpoint::Token)
        .and_then(|id| state.ciba.get(id));
    let channel = match (&request, endpoint) {
        (Some(r), _) => Some(r.channel.as_str()),
        (None, Endpoint::BcAuthorize) => Some(seen.param("channel").unwrap_or("MOBILE")),
        (None, _) => seen.param("channel"),
    };
    let facts = Facts {
        client_id: seen.client_id(),
        login_hint: request
            .as_ref()
            .map(|r| r.login_hint.as_str())
            .or(seen.param("login_hint")),
        channel,
        binding_message: request
            .as_ref()
            .and_then(|r| r.binding_message.as_deref())
            .or(seen.param("binding_message")),
    };
    state.faults.pick(endpoint, &facts)
}

/// Applies a fault before the handler: waits, or answers instead of it
/// (`Err`). Token faults are left in the request for the token endpoint.
async fn inject(req: &mut ServiceRequest, picked: Option<&Fault>) -> Result<(), HttpResponse> {
    let Some(picked) = picked else {
        return Ok(());
    };
    let fault = &picked.fault;
    if let Some(ms) = fault.latency_ms() {
        tokio::time::sleep(Duration::from_millis(ms)).await;
        return Ok(());
    }
    if let Some((status, error, description)) = fault.answer() {
        return Err(HttpResponse::from_error(OAuthError::Injected {
            status,
            error,
            description,
        }));
    }
    match fault {
        FaultKind::Drop => Err(dropped()),
        FaultKind::SlowDown => Err(HttpResponse::from_error(OAuthError::SlowDown(
            "injected fault: slow_down; wait longer between polls".into(),
        ))),
        _ => {
            req.extensions_mut().insert(picked.clone());
            Ok(())
        }
    }
}

/// An answer whose body fails before its first byte: the server closes
/// the connection without a response.
fn dropped() -> HttpResponse {
    let failing = futures_util::stream::once(async {
        Err::<Bytes, _>(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "injected fault: connection dropped",
        ))
    });
    HttpResponse::Ok().streaming(failing)
}

/// The OAuth `error` and description of an error answer, if it is one.
fn oauth_error(res: &HttpResponse) -> (Option<String>, Option<String>) {
    let Some(err) = res.error() else {
        return (None, None);
    };
    match err.as_error::<OAuthError>() {
        Some(e) => (Some(e.to_string()), Some(e.description().to_owned())),
        None => (None, Some(err.to_string())),
    }
}
