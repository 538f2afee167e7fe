//! `POST …/token`: authenticates the client, then hands the request to its
//! grant (`grants/`). Answers carry `Cache-Control: no-store`.

use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};

use super::authorization;
use super::grants;
use crate::error::OAuthError;
use crate::faults::{Applied, Fault, tamper};
use crate::form::Form;
use crate::oidc::Here;
use crate::state::AppState;
use crate::tls::ClientCert;

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
    // Keycloak's wording.
    let grant_type = form
        .get("grant_type")
        .ok_or_else(|| OAuthError::invalid_request("Missing form parameter: grant_type"))?;
    // A client whose tokens are bound needs a certificate to bind them to
    // (Keycloak's check; before anything is consumed).
    if auth.client.certificate_bound_access_tokens
        && auth.certificate.is_none()
        && [grants::CIBA, grants::REFRESH, grants::CODE].contains(&grant_type)
    {
        return Err(OAuthError::invalid_request(format!(
            "Client Certification missing for MTLS HoK Token Binding: client {:?} has certificate-bound access tokens and presented no certificate",
            auth.client.client_id
        )));
    }
    let request = grants::Request {
        state: &state,
        auth: &auth,
        form: &form,
        issuer: &here.0.issuer,
        now,
    };
    let mut response = match grant_type {
        grants::CIBA => grants::ciba::redeem(&request)?,
        grants::REFRESH => grants::refresh::redeem(&request)?,
        grants::CODE => grants::code::redeem(&request)?,
        grants::CLIENT_CREDENTIALS => {
            let service = grants::client_credentials::redeem(&request)?;
            return Ok(super::no_store_json(service));
        }
        other => {
            return Err(OAuthError::UnsupportedGrantType(format!(
                "Unsupported grant_type: {other:?}; psc-mock serves {}",
                grants::SUPPORTED.join(", ")
            )));
        }
    };
    // A token fault (`/mock/faults`) re-signs the answer wrong, and only
    // then counts as used.
    let fault = req.extensions().get::<Fault>().cloned();
    if let Some(fault) = fault {
        tamper(
            &mut response,
            &fault.fault,
            &state.tokens,
            state.faults.rogue_key(),
            now,
        )
        .map_err(|e| OAuthError::ServerError(format!("token fault failed: {e}")))?;
        state.faults.commit(&fault.id);
        req.extensions_mut().insert(Applied);
    }
    Ok(super::no_store_json(response))
}
