//! `POST …/ext/ciba/auth`: the backchannel authentication request (CIBA
//! Core §7), in poll mode, with PSC's parameters (docs/fidelity.md, endpoints and CIBA).
//!
//! Checks run in Keycloak's order: client authentication → CIBA enabled for
//! the client → `login_hint` present → `scope` present → known
//! professional → valid scope; then what Keycloak leaves to its
//! authentication channel (acr, binding message, channel, expiry). With
//! Keycloak's HTTP authentication channel configured (`crate::channel`),
//! the device is told before the client gets its acknowledgement.

use std::time::{Duration, SystemTime};

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use tracing::Instrument;

use super::authorization;
use super::params::{acr, check_scope};
use crate::annuaire::{AuthMode, Professional};
use crate::channel::{AuthChannel, ChannelRequest, Draft};
use crate::ciba::{CibaRequest, NewRequest, StoreError};
use crate::clients::Authenticated;
use crate::error::OAuthError;
use crate::form::Form;
use crate::identifiers::{AuthReqId, IdNat};
use crate::oidc::Here;
use crate::scenarios::{Facts, Taken};
use crate::state::AppState;
use crate::tls::ClientCert;

/// Longest `binding_message` accepted (ANS sends two digits).
const MAX_BINDING_MESSAGE: usize = 64;

#[derive(Serialize)]
struct Acknowledgement {
    auth_req_id: AuthReqId,
    expires_in: u64,
    interval: u64,
}

pub async fn post(
    req: HttpRequest,
    state: web::Data<AppState>,
    cert: ClientCert,
    here: Here,
    form: Form,
) -> Result<HttpResponse, OAuthError> {
    let now = state.clock.now();
    let auth = state
        .clients
        .authenticate(authorization(&req)?, &form, cert.0.as_deref())?;
    let span = tracing::info_span!("bc_authorize", client_id = %auth.client.client_id);
    let created = span.in_scope(|| create(&state, &auth, &form, now))?;
    let request = &created.request;
    if let Some(channel) = &state.channel {
        let told = tell_device(&state, channel, &created, &form, &here.0.issuer, now)
            .instrument(span)
            .await;
        if let Err(refusal) = told {
            // Keycloak drops the request; so does the mock, and its
            // scenario step is given back.
            state.ciba.withdraw(&request.auth_req_id);
            state.scenarios.give_back(created.taken);
            return Err(refusal);
        }
    }
    Ok(HttpResponse::Ok().json(Acknowledgement {
        auth_req_id: request.auth_req_id.clone(),
        expires_in: request
            .expires_at
            .duration_since(request.created_at)
            .map_or(0, |d| d.as_secs()),
        interval: request.interval.as_secs(),
    }))
}

/// A stored request, with the professional it is for and the scenario
/// step it took.
struct Created {
    request: CibaRequest,
    professional: std::sync::Arc<Professional>,
    taken: Taken,
}

/// Validates the request (Keycloak's order) and stores it.
fn create(
    state: &AppState,
    auth: &Authenticated<'_>,
    form: &Form,
    now: SystemTime,
) -> Result<Created, OAuthError> {
    if !auth.client.ciba {
        // Keycloak answers 401 here, 400 at the token endpoint.
        return Err(OAuthError::InvalidGrant {
            description: "Client not allowed OIDC CIBA Grant".into(),
            status: StatusCode::UNAUTHORIZED,
        });
    }
    for unsupported in ["login_hint_token", "id_token_hint"] {
        if form.get(unsupported).is_some() {
            return Err(OAuthError::invalid_request(format!(
                "{unsupported} is not supported: PSC identifies the professional by login_hint (their idNat)"
            )));
        }
    }
    // Keycloak's own wording for these two, space before the colon included.
    let login_hint = form
        .get("login_hint")
        .ok_or_else(|| OAuthError::invalid_request("missing parameter : login_hint"))?;
    let scope = form
        .get("scope")
        .ok_or_else(|| OAuthError::invalid_request("missing parameter : scope"))?;
    let professional = state.annuaire.get(login_hint).ok_or_else(|| {
        OAuthError::invalid_request(format!(
            "invalid_user: no professional with idNat {login_hint:?} in the annuaire (GET /mock/identities lists them)"
        ))
    })?;
    let scope = check_scope(scope)?;
    let acr = acr(form.get("acr_values"))?;
    let binding_message = binding_message(form.get("binding_message"))?;
    let channel = channel(form.get("channel"), &professional)?;
    let lifetimes = auth.client.lifetimes;
    let expires_in = expiry(
        form.get("requested_expiry"),
        lifetimes.ciba_expires_in,
        state.ciba_settings.max_requested_expiry_s,
    )?;

    let params = NewRequest {
        client_id: auth.client.client_id.clone(),
        login_hint: IdNat::new(login_hint),
        scope,
        acr,
        binding_message,
        channel,
        expires_in,
        interval: lifetimes.ciba_interval,
    };
    let facts = Facts {
        client_id: Some(&params.client_id),
        login_hint: Some(login_hint),
        channel: Some(channel.as_str()),
        binding_message: params.binding_message.as_deref(),
    };
    let taken = state.scenarios.take(&facts, professional.scenario.as_ref());
    let outcome = taken.outcome.clone();
    let request = match state
        .ciba
        .create(params, outcome.schedule(now), outcome.approval(), now)
    {
        Ok(request) => request,
        Err(e) => {
            // A refused request uses up no scenario step.
            state.scenarios.give_back(taken);
            return Err(match e {
                StoreError::Full { .. } => OAuthError::TemporarilyUnavailable(e.to_string()),
                other => OAuthError::ServerError(other.to_string()),
            });
        }
    };
    tracing::info!(auth_req_id = %request.auth_req_id, login_hint, channel = channel.as_str(), outcome = outcome.action.as_str(), after_ms = outcome.after_ms, "CIBA request created");
    Ok(Created {
        request,
        professional,
        taken,
    })
}

/// Keycloak's authentication channel: the device is told of the request
/// and must acknowledge it (`channel`).
async fn tell_device(
    state: &AppState,
    channel: &AuthChannel,
    created: &Created,
    form: &Form,
    issuer: &str,
    now: SystemTime,
) -> Result<(), OAuthError> {
    let request = &created.request;
    let subject = created.professional.subject();
    let draft = Draft {
        issuer,
        client_id: &request.client_id,
        subject: &subject,
        expires_at: request.expires_at,
    };
    let (token, jti) = channel.token(&state.tokens, &request.auth_req_id, &draft, now)?;
    let body = ChannelRequest {
        login_hint: &created.professional.id_nat,
        scope: &request.scope,
        is_consent_required: false,
        binding_message: request.binding_message.as_deref(),
        acr_values: form.get("acr_values"),
        channel: form.get("channel"),
    };
    let told = channel.notify(&token, &body).await;
    match &told {
        Ok(()) => {
            tracing::info!(auth_req_id = %request.auth_req_id, uri = channel.uri(), "authentication channel told")
        }
        Err(e) => {
            channel.unlink(&jti);
            tracing::warn!(auth_req_id = %request.auth_req_id, uri = channel.uri(), error = e.description(), "authentication channel failed");
        }
    }
    told
}

fn binding_message(message: Option<&str>) -> Result<Option<String>, OAuthError> {
    let Some(message) = message else {
        return Ok(None);
    };
    if message.chars().count() > MAX_BINDING_MESSAGE {
        return Err(OAuthError::InvalidBindingMessage(format!(
            "binding_message is longer than {MAX_BINDING_MESSAGE} characters"
        )));
    }
    if message.chars().any(char::is_control) {
        return Err(OAuthError::InvalidBindingMessage(
            "binding_message contains control characters".into(),
        ));
    }
    Ok(Some(message.to_owned()))
}

/// PSC's `channel`: `MOBILE` (e-CPS, the default) or `CARD` (CPS-Gestion).
fn channel(value: Option<&str>, professional: &Professional) -> Result<AuthMode, OAuthError> {
    let mode = match value {
        None => AuthMode::Mobile,
        Some(v) => AuthMode::parse(v).ok_or_else(|| {
            OAuthError::invalid_request(format!("channel {v:?} is not MOBILE or CARD"))
        })?,
    };
    if !professional.reachable_by(mode) {
        let means = match mode {
            AuthMode::Mobile => "no e-CPS (channel MOBILE)",
            AuthMode::Card => "no CPS card (channel CARD)",
        };
        return Err(OAuthError::invalid_request(format!(
            "professional {} has {means}; PSC could not reach them",
            professional.id_nat
        )));
    }
    Ok(mode)
}

/// The request's lifetime: `requested_expiry` (CIBA Core §7.1) up to `max`
/// seconds, else the client's `expires_in`.
fn expiry(requested: Option<&str>, default: Duration, max: u64) -> Result<Duration, OAuthError> {
    let Some(requested) = requested else {
        return Ok(default);
    };
    match requested.parse::<u64>() {
        Ok(seconds) if (1..=max).contains(&seconds) => Ok(Duration::from_secs(seconds)),
        _ => Err(OAuthError::invalid_request(format!(
            "requested_expiry {requested:?} must be a whole number of seconds from 1 to {max}"
        ))),
    }
}
