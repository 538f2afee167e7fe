//! `GET|POST …/protocol/openid-connect/auth`: the authorization endpoint of
//! the code flow (RFC 6749 §4.1, OIDC Core §3.1.2, PKCE RFC 7636).
//!
//! An unknown client or an unregistered `redirect_uri` is shown on a page,
//! never redirected (RFC 6749 §4.1.2.1); every later error is sent to the
//! client with `error`, `error_description`, `state` and `iss`, in the
//! request's `response_mode` (query, fragment or form_post, as PSC
//! advertises). A valid
//! request either logs the professional in at once (a `login_hint` with the
//! client's `auto_login`, or a scenario that approves or denies) or waits on
//! the login page (`login.rs`), which plays PSC's wallet page.

mod login;

use std::time::SystemTime;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use super::params::{acr, check_scope};
use crate::annuaire::AuthMode;
use crate::ciba::Action;
use crate::codeflow::{Challenge, ChallengeMethod, Pending, ResponseMode, valid_verifier_syntax};
use crate::error::OAuthError;
use crate::form::Form;
use crate::login_page;
use crate::oidc::Here;
use crate::scenarios::{Facts, Outcome, Taken};
use crate::state::AppState;

pub use login::{decide, search};

pub use crate::endpoint::LOGIN_PATH;

/// The two ways an authorization request fails.
#[derive(Debug)]
pub enum AuthorizeError {
    /// Shown on a page: the client cannot be trusted with a redirect.
    Page { title: String, message: String },
    /// Shown on a page: the login request is no longer waiting (answered,
    /// expired or unknown); nothing is wrong with the client.
    Gone { title: String, message: String },
    /// Sent back to the client's redirect_uri.
    Redirect {
        redirect_uri: String,
        mode: ResponseMode,
        state: Option<String>,
        error: String,
        description: String,
    },
}

impl AuthorizeError {
    /// An error shown on a page.
    pub fn page_of(title: &str, message: impl Into<String>) -> Self {
        Self::page(title, message)
    }

    fn gone(title: &str, message: &str) -> Self {
        Self::Gone {
            title: title.into(),
            message: message.into(),
        }
    }

    fn page(title: &str, message: impl Into<String>) -> Self {
        Self::Page {
            title: title.into(),
            message: message.into(),
        }
    }
}

/// A request whose client and redirect_uri are known: later errors redirect.
struct Redirector<'a> {
    redirect_uri: &'a str,
    mode: ResponseMode,
    state: Option<&'a str>,
}

impl Redirector<'_> {
    fn error(&self, error: &OAuthError) -> AuthorizeError {
        AuthorizeError::Redirect {
            redirect_uri: self.redirect_uri.to_owned(),
            mode: self.mode,
            state: self.state.map(str::to_owned),
            error: error.to_string(),
            description: error.description().to_owned(),
        }
    }

    fn fail(&self, error: &str, description: impl Into<String>) -> AuthorizeError {
        AuthorizeError::Redirect {
            redirect_uri: self.redirect_uri.to_owned(),
            mode: self.mode,
            state: self.state.map(str::to_owned),
            error: error.into(),
            description: description.into(),
        }
    }
}

pub async fn get(req: HttpRequest, state: web::Data<AppState>, here: Here) -> HttpResponse {
    let params = Form::parse(req.query_string().as_bytes());
    respond(
        &state,
        &here.0.issuer,
        params.map_err(|e| AuthorizeError::page("Requête invalide", e.description())),
    )
}

pub async fn post(state: web::Data<AppState>, here: Here, form: Form) -> HttpResponse {
    respond(&state, &here.0.issuer, Ok(form))
}

fn respond(state: &AppState, issuer: &str, params: Result<Form, AuthorizeError>) -> HttpResponse {
    let now = state.clock.now();
    match params.and_then(|p| authorize(state, issuer, &p, now)) {
        Ok(response) => response,
        Err(error) => error_response(issuer, error),
    }
}

/// The one place an [`AuthorizeError`] becomes a response; a redirect
/// carries `iss`, the issuer the request was sent to.
pub fn error_response(issuer: &str, error: AuthorizeError) -> HttpResponse {
    match error {
        AuthorizeError::Page { title, message } => login_page::html(
            actix_web::http::StatusCode::BAD_REQUEST,
            login_page::error_page(&title, &message, login_page::CHECK_CLIENT),
        ),
        AuthorizeError::Gone { title, message } => login_page::html(
            actix_web::http::StatusCode::BAD_REQUEST,
            login_page::error_page(&title, &message, ""),
        ),
        AuthorizeError::Redirect {
            redirect_uri,
            mode,
            state: client_state,
            error,
            description,
        } => {
            let mut params = vec![("error", error), ("error_description", description)];
            if let Some(s) = client_state {
                params.push(("state", s));
            }
            params.push(("iss", issuer.to_owned()));
            answer(&redirect_uri, mode, &params)
        }
    }
}

/// The answer to the client in `mode`: a 302 with `params` in the query or
/// the fragment, or Keycloak's auto-submitting form (`form_post`).
pub fn answer(uri: &str, mode: ResponseMode, params: &[(&str, String)]) -> HttpResponse {
    match mode {
        ResponseMode::Query => redirect(uri, params),
        ResponseMode::Fragment => {
            let mut fragment = form_urlencoded::Serializer::new(String::new());
            for (name, value) in params {
                fragment.append_pair(name, value);
            }
            let base = uri.split_once('#').map_or(uri, |(base, _)| base);
            found(format!("{base}#{}", fragment.finish()))
        }
        ResponseMode::FormPost => HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header((header::X_FRAME_OPTIONS, "DENY"))
            .insert_header((header::CONTENT_SECURITY_POLICY, login_page::FORM_POST_CSP))
            .body(login_page::form_post(uri, params)),
    }
}

/// A 302 to `uri` with `params` added to its query.
pub fn redirect(uri: &str, params: &[(&str, String)]) -> HttpResponse {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (name, value) in params {
        query.append_pair(name, value);
    }
    let separator = if uri.contains('?') { '&' } else { '?' };
    found(format!("{uri}{separator}{}", query.finish()))
}

/// A 302 to `location`, not to be cached.
fn found(location: String) -> HttpResponse {
    HttpResponse::Found()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

fn authorize(
    state: &AppState,
    issuer: &str,
    params: &Form,
    now: SystemTime,
) -> Result<HttpResponse, AuthorizeError> {
    let client_id = params
        .get("client_id")
        .ok_or_else(|| AuthorizeError::page("Client inconnu", "Missing parameter: client_id"))?;
    let client = state.clients.get(client_id).ok_or_else(|| {
        AuthorizeError::page("Client inconnu", format!("unknown client_id {client_id:?}"))
    })?;
    let redirect_uri = params.get("redirect_uri").ok_or_else(|| {
        AuthorizeError::page(
            "Adresse de retour manquante",
            "Missing parameter: redirect_uri",
        )
    })?;
    if !client.redirect_uris.iter().any(|r| r == redirect_uri) {
        return Err(AuthorizeError::page(
            "Adresse de retour non enregistrée",
            format!(
                "redirect_uri {redirect_uri:?} is not registered for client {client_id:?} (registered: {})",
                client.redirect_uris.join(", ")
            ),
        ));
    }
    // An unusable response_mode is reported in the default mode (query).
    let mut to_client = Redirector {
        redirect_uri,
        mode: ResponseMode::Query,
        state: params.get("state"),
    };
    to_client.mode = ResponseMode::parse(params.get("response_mode"))
        .map_err(|why| to_client.fail("invalid_request", why.to_string()))?;
    let mut pending = validate(params, client, &to_client)?;
    issuer.clone_into(&mut pending.issuer);
    let prompt_none = params
        .get("prompt")
        .is_some_and(|p| p.split_ascii_whitespace().any(|v| v == "none"));

    if let Some(hint) = pending.login_hint.as_deref()
        && let Some(professional) = state.annuaire.get(hint)
    {
        let taken = automatic(state, client, hint, &professional);
        match taken.as_ref().map(|t| t.outcome.action) {
            Some(Action::Approve) => {
                let channel = if professional.reachable_by(AuthMode::Mobile) {
                    AuthMode::Mobile
                } else {
                    AuthMode::Card
                };
                let outcome = taken.as_ref().map(|t| t.outcome.clone());
                let claims = outcome.as_ref().and_then(|o| o.claims.clone());
                let login = match outcome.as_ref().and_then(|o| o.as_id_nat.as_deref()) {
                    Some(other) => state.annuaire.get(other).ok_or_else(|| {
                        to_client.fail(
                            "server_error",
                            format!("the scenario approves as {other}, who left the annuaire"),
                        )
                    }),
                    None => Ok(professional),
                }
                .and_then(|p| login::complete(state, &pending, &p, channel, claims, now));
                if login.is_err()
                    && let Some(taken) = taken
                {
                    // A failed login uses up no scenario step.
                    state.scenarios.give_back(taken);
                }
                return login;
            }
            Some(Action::Deny) => {
                return Err(to_client.fail(
                    "access_denied",
                    "the professional refused the authentication",
                ));
            }
            _ => {}
        }
    }
    if prompt_none {
        return Err(to_client.fail(
            "login_required",
            "prompt=none, but the professional must log in on the page",
        ));
    }
    let tx = state
        .codeflow
        .wait(pending.clone(), now)
        .map_err(|e| to_client.fail("temporarily_unavailable", e.to_string()))?;
    let query = pending.login_hint.clone().unwrap_or_default();
    Ok(login::page(state, &tx, &pending, &query, None))
}

/// What the scripted professional does, if something decides without the
/// page: a scenario for them (or their own default), the client's
/// `auto_login`, or a default that approves everyone
/// (`--auto-approve-after-ms`). Delays do not apply here: the browser gets
/// its answer at once. `expire` and `never` show the page.
fn automatic(
    state: &AppState,
    client: &crate::clients::Client,
    login_hint: &str,
    professional: &crate::annuaire::Professional,
) -> Option<Taken> {
    let facts = Facts {
        client_id: Some(&client.client_id),
        login_hint: Some(login_hint),
        ..Facts::default()
    };
    let taken = state.scenarios.take(&facts, professional.scenario.as_ref());
    match taken.outcome.action {
        Action::Approve | Action::Deny => Some(taken),
        _ if client.auto_login => Some(Taken::from(Outcome::new(Action::Approve, 0))),
        _ => None,
    }
}

/// The checks after which errors are redirected.
fn validate(
    params: &Form,
    client: &crate::clients::Client,
    to_client: &Redirector<'_>,
) -> Result<Pending, AuthorizeError> {
    if params.get("request").is_some() {
        return Err(to_client.fail("request_not_supported", "request objects are not supported"));
    }
    if params.get("request_uri").is_some() {
        return Err(to_client.fail("request_uri_not_supported", "request_uri is not supported"));
    }
    match params.get("response_type") {
        Some("code") => {}
        Some(other) => {
            return Err(to_client.fail(
                "unsupported_response_type",
                format!("response_type {other:?} is not supported; use code"),
            ));
        }
        None => return Err(to_client.fail("invalid_request", "Missing parameter: response_type")),
    }
    let scope = params
        .get("scope")
        .ok_or_else(|| to_client.fail("invalid_scope", "Missing parameter: scope"))?;
    let scope = check_scope(scope).map_err(|e| to_client.error(&e))?;
    let acr = acr(params.get("acr_values")).map_err(|e| to_client.error(&e))?;
    let challenge = challenge(params, client.require_pkce).map_err(|e| to_client.error(&e))?;
    Ok(Pending {
        client_id: client.client_id.clone(),
        redirect_uri: to_client.redirect_uri.to_owned(),
        response_mode: to_client.mode,
        scope,
        state: to_client.state.map(str::to_owned),
        nonce: params.get("nonce").map(str::to_owned),
        challenge,
        acr,
        login_hint: params.get("login_hint").map(str::to_owned),
        issuer: String::new(),
        expires_at: SystemTime::UNIX_EPOCH,
    })
}

/// PKCE parameters (RFC 7636 §4.3: the method defaults to `plain`).
fn challenge(params: &Form, required: bool) -> Result<Option<Challenge>, OAuthError> {
    let Some(value) = params.get("code_challenge") else {
        if required {
            return Err(OAuthError::invalid_request(
                "Missing parameter: code_challenge (this client requires PKCE)",
            ));
        }
        return Ok(None);
    };
    let method = match params.get("code_challenge_method").unwrap_or("plain") {
        "S256" => ChallengeMethod::S256,
        "plain" => ChallengeMethod::Plain,
        other => {
            return Err(OAuthError::invalid_request(format!(
                "code_challenge_method {other:?} is not supported; use S256 or plain"
            )));
        }
    };
    if !valid_verifier_syntax(value) {
        return Err(OAuthError::invalid_request(
            "code_challenge must be 43 to 128 characters of [A-Za-z0-9-._~]",
        ));
    }
    Ok(Some(Challenge {
        value: value.to_owned(),
        method,
    }))
}
