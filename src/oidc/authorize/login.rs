//! The login page's two forms: searching a professional (GET) and the
//! professional's decision (POST), then the redirect with the code.

use std::sync::Arc;
use std::time::SystemTime;

use actix_web::{HttpRequest, HttpResponse, web};

use super::{AuthorizeError, LOGIN_PATH, answer, error_response};
use crate::annuaire::{AuthMode, Professional, nomenclature};
use crate::codeflow::{Missing, Pending};
use crate::form::Form;
use crate::keys::random_id;
use crate::login_page::{self, Candidate, LoginPage};
use crate::sessions::NewSession;
use crate::state::AppState;
use serde_json::{Map, Value};

/// Most professionals listed on the page at once.
const SHOWN: usize = 20;

/// The page for a request that is not waiting any more, saying why.
fn gone(state: &AppState, missing: Missing) -> HttpResponse {
    let (title, message) = match missing {
        Missing::Answered => (
            "Demande déjà traitée",
            "Cette demande de connexion a déjà reçu une réponse : une demande ne sert qu'une fois. Pour vous connecter à nouveau, recommencez depuis l'application.",
        ),
        Missing::Expired => (
            "Demande expirée",
            "Cette demande de connexion a expiré (elle vaut 10 minutes). Recommencez depuis l'application.",
        ),
        Missing::Unknown => (
            "Demande inconnue",
            "Cette demande de connexion est inconnue : elle a expiré et a été oubliée, ou le serveur a redémarré depuis. Recommencez depuis l'application.",
        ),
    };
    error_response(state.issuer(), AuthorizeError::gone(title, message))
}

/// Renders the page for the pending request `tx`.
pub(super) fn page(
    state: &AppState,
    tx: &str,
    pending: &Pending,
    query: &str,
    notice: Option<&str>,
) -> HttpResponse {
    let wanted = query.trim().to_uppercase();
    let all = state.annuaire.all();
    let matching: Vec<&Arc<Professional>> = all
        .iter()
        .filter(|p| {
            wanted.is_empty()
                || p.id_nat.to_uppercase().contains(&wanted)
                || format!("{} {}", p.prenom, p.nom)
                    .to_uppercase()
                    .contains(&wanted)
        })
        .collect();
    let candidates: Vec<Candidate<'_>> =
        matching.iter().take(SHOWN).map(|p| candidate(p)).collect();
    let submit_path = format!("{}{LOGIN_PATH}", state.urls.realm_path());
    let html = login_page::login_page(&LoginPage {
        client_id: &pending.client_id,
        tx,
        submit_path: &submit_path,
        search_path: &submit_path,
        query,
        candidates: &candidates,
        total: matching.len(),
        preselected: pending.login_hint.as_deref(),
        notice,
    });
    login_page::html(actix_web::http::StatusCode::OK, html)
}

fn candidate(p: &Professional) -> Candidate<'_> {
    let exercice = p.exercices.first();
    Candidate {
        id_nat: &p.id_nat,
        name: format!("{} {}", p.prenom, p.nom),
        profession: exercice
            .and_then(|e| nomenclature::PROFESSION.label(&e.code_profession))
            .unwrap_or(""),
        organization: p
            .main_activity()
            .map_or("", |a| a.raison_sociale_site.as_str()),
        auth_modes: &p.auth_modes,
    }
}

/// `GET …/auth/login?tx=…&q=…`: the page again, filtered.
pub async fn search(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let now = state.clock.now();
    let params = Form::parse(req.query_string().as_bytes()).unwrap_or_default();
    let tx = params.get("tx").unwrap_or("");
    match state.codeflow.pending(tx, now) {
        Ok(pending) => page(&state, tx, &pending, params.get("q").unwrap_or(""), None),
        Err(missing) => gone(&state, missing),
    }
}

/// `POST …/auth/login` with `tx`, `decision`, `id_nat`, `channel`.
pub async fn decide(state: web::Data<AppState>, form: Form) -> HttpResponse {
    let now = state.clock.now();
    let tx = form.get("tx").unwrap_or("");
    let pending = match state.codeflow.pending(tx, now) {
        Ok(pending) => pending,
        Err(missing) => return gone(&state, missing),
    };
    let again = |notice: &str| {
        page(
            &state,
            tx,
            &pending,
            form.get("q").unwrap_or(""),
            Some(notice),
        )
    };
    match form.get("decision") {
        Some("deny") => {
            let _ = state.codeflow.finish(tx, now);
            let error = AuthorizeError::Redirect {
                redirect_uri: pending.redirect_uri.clone(),
                mode: pending.response_mode,
                state: pending.state.clone(),
                error: "access_denied".into(),
                description: "the professional refused the authentication".into(),
            };
            error_response(&pending.issuer, error)
        }
        Some("approve") => {
            let Some(professional) = form.get("id_nat").and_then(|id| state.annuaire.get(id))
            else {
                return again("Choisissez un professionnel de santé dans la liste.");
            };
            let channel = form
                .get("channel")
                .and_then(AuthMode::parse)
                .unwrap_or(AuthMode::Mobile);
            if !professional.reachable_by(channel) {
                return again(match channel {
                    AuthMode::Mobile => {
                        "Ce professionnel n'a pas d'e-CPS : choisissez la carte CPS."
                    }
                    AuthMode::Card => "Ce professionnel n'a pas de carte CPS : choisissez l'e-CPS.",
                });
            }
            let pending = match state.codeflow.finish(tx, now) {
                Ok(pending) => pending,
                Err(missing) => return gone(&state, missing),
            };
            complete(&state, &pending, &professional, channel, None, now)
                .unwrap_or_else(|e| error_response(&pending.issuer, e))
        }
        _ => again("Validez ou refusez la connexion."),
    }
}

/// The professional is logged in: a session starts, a code goes back to
/// the client with `state`, `session_state` and `iss` (as Keycloak sends).
pub(super) fn complete(
    state: &AppState,
    pending: &Pending,
    professional: &Professional,
    channel: AuthMode,
    claims: Option<Arc<Map<String, Value>>>,
    now: SystemTime,
) -> Result<HttpResponse, AuthorizeError> {
    let unavailable = |description: String| AuthorizeError::Redirect {
        redirect_uri: pending.redirect_uri.clone(),
        mode: pending.response_mode,
        state: pending.state.clone(),
        error: "temporarily_unavailable".into(),
        description,
    };
    let refresh_jti = random_id();
    let session = state.sessions.start(
        NewSession {
            client_id: pending.client_id.clone(),
            id_nat: professional.id_nat.clone(),
            scope: pending.scope.clone(),
            acr: pending.acr.clone(),
            auth_mode: channel,
            nonce: pending.nonce.clone(),
            claims,
        },
        refresh_jti.clone(),
        now,
    );
    let code = state
        .codeflow
        .issue(pending, session.id.clone(), refresh_jti, now)
        .map_err(|e| unavailable(e.to_string()))?;
    tracing::info!(client_id = %pending.client_id, id_nat = %professional.id_nat, "code flow login");
    let mut params = vec![("code", code)];
    if let Some(s) = &pending.state {
        params.push(("state", s.clone()));
    }
    params.push(("session_state", session.id));
    params.push(("iss", pending.issuer.clone()));
    Ok(answer(
        &pending.redirect_uri,
        pending.response_mode,
        &params,
    ))
}
