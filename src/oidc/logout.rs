//! `GET|POST …/protocol/openid-connect/logout`: ends a session.
//!
//! Two uses, as on Keycloak:
//! - from the browser (OIDC RP-Initiated Logout 1.0): `id_token_hint`
//!   names the session, `post_logout_redirect_uri` (registered for the
//!   client, exact match) and `state` say where to go back; without a
//!   redirect, a "logged out" page. Problems are shown on a page, never
//!   redirected.
//! - from the client's server, authenticated like at the token endpoint,
//!   with the session's `refresh_token`: answered 204.
//!
//! psc-mock has no browser cookies, so a browser logout without
//! `id_token_hint` ends no session (it still redirects when allowed).

use actix_web::{HttpRequest, HttpResponse, web};

use super::authorization;
use super::authorize::{AuthorizeError, error_response, redirect};
use crate::error::OAuthError;
use crate::form::Form;
use crate::login_page;
use crate::state::AppState;
use crate::tls::ClientCert;

pub async fn get(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    match Form::parse(req.query_string().as_bytes()) {
        Ok(params) => browser(&state, &params),
        Err(e) => error_response(
            state.issuer(),
            AuthorizeError::page_of("Requête invalide", e.description()),
        ),
    }
}

pub async fn post(
    req: HttpRequest,
    state: web::Data<AppState>,
    cert: ClientCert,
    form: Form,
) -> Result<HttpResponse, OAuthError> {
    if form.get("refresh_token").is_none() {
        return Ok(browser(&state, &form));
    }
    // A server-side logout: the client proves who it is.
    let auth = state
        .clients
        .authenticate(authorization(&req)?, &form, cert.0.as_deref())?;
    let now = state.clock.now();
    let claims = state
        .tokens
        .verify_refresh(form.require("refresh_token")?, now)
        .map_err(|e| OAuthError::invalid_grant(format!("Invalid refresh token: {e}")))?;
    if auth.client.client_id != claims.azp {
        return Err(OAuthError::invalid_grant(format!(
            "Invalid refresh token: it was issued to client {:?}",
            claims.azp
        )));
    }
    state.sessions.end(&claims.sid);
    tracing::info!(client_id = %claims.azp, session = %claims.sid, "logged out by the client");
    Ok(HttpResponse::NoContent().finish())
}

fn browser(state: &AppState, params: &Form) -> HttpResponse {
    let page = |message: String| {
        error_response(
            state.issuer(),
            AuthorizeError::page_of("Déconnexion impossible", message),
        )
    };
    let mut client_id = params.get("client_id").map(str::to_owned);
    let mut session = None;
    if let Some(hint) = params.get("id_token_hint") {
        match state.tokens.verify_id_token_hint(hint) {
            Ok((sid, aud)) => {
                if client_id.as_deref().is_some_and(|c| c != aud) {
                    return page(format!(
                        "client_id {:?} differs from the audience {aud:?} of id_token_hint",
                        client_id.unwrap_or_default()
                    ));
                }
                client_id = Some(aud);
                session = Some(sid);
            }
            Err(e) => return page(format!("invalid id_token_hint: {e}")),
        }
    }
    let target = match params.get("post_logout_redirect_uri") {
        None => None,
        Some(uri) => {
            let Some(client) = client_id.as_deref().and_then(|c| state.clients.get(c)) else {
                return page(
                    "post_logout_redirect_uri needs id_token_hint or a known client_id".into(),
                );
            };
            if !client.post_logout_redirect_uris.iter().any(|r| r == uri) {
                return page(format!(
                    "post_logout_redirect_uri {uri:?} is not registered for client {:?}",
                    client.client_id
                ));
            }
            Some(uri)
        }
    };
    if let Some(sid) = session {
        state.sessions.end(&sid);
        tracing::info!(session = %sid, "logged out from the browser");
    }
    match target {
        Some(uri) => {
            let params: Vec<(&str, String)> = params
                .get("state")
                .map(|s| ("state", s.to_owned()))
                .into_iter()
                .collect();
            redirect(uri, &params)
        }
        None => login_page::html(
            actix_web::http::StatusCode::OK,
            login_page::logged_out_page(),
        ),
    }
}
