//! The client-credentials grant (RFC 6749 §4.4), for clients that enable it
//! (PSC advertises it; Keycloak calls it a service account). The access
//! token speaks for the client itself: no professional, no session, no
//! refresh or ID token (Keycloak's defaults).

use crate::tokens::TokenType;
use serde::Serialize;

use super::Request;
use crate::clock::unix_seconds;
use crate::error::OAuthError;

/// The claims of a service-account access token.
#[derive(Debug, Serialize)]
struct ServiceClaims<'a> {
    exp: u64,
    iat: u64,
    jti: String,
    iss: &'a str,
    sub: String,
    typ: TokenType,
    azp: &'a str,
    scope: &'a str,
    #[serde(rename = "clientId")]
    client_id: &'a str,
    preferred_username: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    cnf: Option<crate::tokens::Confirmation>,
}

/// Keycloak's answer: no refresh token, no ID token.
#[derive(Debug, Serialize)]
pub struct ServiceResponse {
    access_token: String,
    expires_in: u64,
    refresh_expires_in: u64,
    token_type: &'static str,
    #[serde(rename = "not-before-policy")]
    not_before_policy: u64,
    scope: String,
}

pub fn redeem(request: &Request<'_>) -> Result<ServiceResponse, OAuthError> {
    let Request {
        state,
        auth,
        form,
        issuer,
        now,
    } = *request;
    let client_id = auth.client.client_id.as_str();
    if !auth.client.client_credentials {
        return Err(OAuthError::UnauthorizedClient(format!(
            "Client not enabled to retrieve service account: enable client_credentials for {client_id:?}"
        )));
    }
    // Only scopes that make sense without a professional.
    let scope = form.get("scope").unwrap_or("profile email");
    if let Some(other) = scope
        .split_ascii_whitespace()
        .find(|s| !["profile", "email"].contains(s))
    {
        return Err(OAuthError::InvalidScope(format!(
            "Invalid scopes: {scope} ({other:?} needs a professional; client_credentials allows profile email)"
        )));
    }
    let iat = unix_seconds(now);
    let ttl = auth.client.lifetimes.access.as_secs();
    let account = format!("service-account-{client_id}");
    let claims = ServiceClaims {
        exp: iat.saturating_add(ttl),
        iat,
        jti: crate::keys::random_uuid(),
        iss: issuer,
        sub: uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, account.as_bytes()).to_string(),
        typ: TokenType::Bearer,
        azp: client_id,
        scope,
        client_id,
        preferred_username: account,
        // Bound only for clients that enable it (docs/fidelity.md).
        cnf: auth
            .certificate
            .filter(|_| auth.client.certificate_bound_access_tokens)
            .map(|c| crate::tokens::Confirmation {
                x5t_s256: c.thumbprint.clone(),
            }),
    };
    let access_token = state
        .tokens
        .keys
        .active()
        .sign(&claims)
        .map_err(|e| OAuthError::ServerError(e.to_string()))?;
    Ok(ServiceResponse {
        access_token,
        expires_in: ttl,
        refresh_expires_in: 0,
        token_type: "Bearer",
        not_before_policy: 0,
        scope: scope.to_owned(),
    })
}
