//! The discovery document, at the standard path and at PSC's own
//! (`wallet-openid-configuration`), built from the issuer and URLs of the
//! request (`urls`): fixed by default, or following the name it was sent
//! to.
//!
//! It advertises what psc-mock implements, with PSC's names and values where
//! PSC publishes them (FACTS §2). Deliberate differences from PSC's:
//! `backchannel_token_delivery_modes_supported` is `["poll"]` (ANS documents
//! that only poll works, though PSC lists ping too); `acr_values_supported`
//! is `["eidas1"]` (PSC's `["0","0"]` is a Keycloak artefact; tokens carry
//! `eidas1`).

use actix_web::{HttpResponse, web};

use crate::urls::{Here, Site};
use serde_json::json;

use super::{BC_AUTHORIZE, INTROSPECT, JWKS, LOGOUT, REVOKE, TOKEN, USERINFO};
use crate::state::AppState;

/// The scopes psc-mock accepts (FACTS §2; see `annuaire::claims` for what
/// each selects).
pub const SCOPES: [&str; 8] = [
    "openid",
    "scope_all",
    "profile",
    "email",
    "identity",
    "rpps",
    "offline_access",
    "roles",
];

/// The `acr` values psc-mock accepts and issues.
pub const ACR_VALUES: [&str; 1] = ["eidas1"];

/// The discovery document; `client_credentials` is listed only when some
/// client may use it.
pub fn document(site: &Site, client_credentials: bool) -> Vec<u8> {
    let mut grants: Vec<&str> = super::grants::SUPPORTED.to_vec();
    if client_credentials {
        grants.push(super::grants::CLIENT_CREDENTIALS);
    }
    let url = |path: &str| format!("{}{path}", site.backchannel);
    let doc = json!({
        "issuer": site.issuer,
        "authorization_endpoint": site.authorization_endpoint,
        "token_endpoint": url(TOKEN),
        "userinfo_endpoint": url(USERINFO),
        "jwks_uri": url(JWKS),
        "introspection_endpoint": url(INTROSPECT),
        "revocation_endpoint": url(REVOKE),
        // A browser's endpoint, like the authorization endpoint: under the
        // issuer's name (its mTLS alias below is for servers).
        "end_session_endpoint": format!("{}{LOGOUT}", site.issuer),
        "backchannel_authentication_endpoint": url(BC_AUTHORIZE),
        "backchannel_token_delivery_modes_supported": ["poll"],
        "backchannel_authentication_request_signing_alg_values_supported": [],
        "grant_types_supported": grants,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "code_challenge_methods_supported": ["plain", "S256"],
        "authorization_response_iss_parameter_supported": true,
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "userinfo_signing_alg_values_supported": [],
        "token_endpoint_auth_methods_supported":
            ["client_secret_basic", "client_secret_post", "tls_client_auth"],
        "introspection_endpoint_auth_methods_supported":
            ["client_secret_basic", "client_secret_post", "tls_client_auth"],
        "revocation_endpoint_auth_methods_supported":
            ["client_secret_basic", "client_secret_post", "tls_client_auth"],
        "tls_client_certificate_bound_access_tokens": true,
        "mtls_endpoint_aliases": {
            "token_endpoint": url(TOKEN),
            "userinfo_endpoint": url(USERINFO),
            "backchannel_authentication_endpoint": url(BC_AUTHORIZE),
            "introspection_endpoint": url(INTROSPECT),
            "revocation_endpoint": url(REVOKE),
            "end_session_endpoint": url(LOGOUT),
        },
        "scopes_supported": SCOPES,
        "acr_values_supported": ACR_VALUES,
        "claims_supported": [
            "sub", "iss", "aud", "exp", "iat", "auth_time", "acr", "azp", "sid",
            "SubjectNameID", "preferred_username", "given_name", "family_name",
            "email_verified", "authMode", "otherIds", "SubjectOrganization",
            "SubjectOrganizationID", "SubjectRole", "Secteur_Activite",
            "Palier_Authentification", "PSI_Locale", "UITVersion",
            "Acces_Regulation_Medicale", "Mode_Acces_Raison", "SubjectRefPro"
        ],
        "claims_parameter_supported": false,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
    });
    serde_json::to_vec_pretty(&doc).unwrap_or_default()
}

pub async fn get(state: web::Data<AppState>, here: Here) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(document(&here.0, state.any_service_account))
}
