//! The discovery document, at the standard path and at PSC's own
//! (`wallet-openid-configuration`), built from the issuer and URLs of the
//! request (`urls`): fixed by default, or following the name it was sent
//! to.
//!
//! It has the field names and values of PSC's captured document wherever
//! psc-mock serves what they describe, and leaves out what it does not
//! serve (no empty lists). Each difference is a row of docs/fidelity.md:
//! `backchannel_token_delivery_modes_supported` is `["poll"]` (ANS documents
//! that only poll works), the JWT response modes, `private_key_jwt`,
//! `client_secret_jwt`, request objects and the `claims` parameter are not
//! offered.

use actix_web::HttpResponse;

use crate::oidc::Here;
use crate::urls::Site;
use serde_json::json;

use super::params::SCOPES;
use super::{BC_AUTHORIZE, INTROSPECT, JWKS, LOGOUT, REVOKE, TOKEN, USERINFO};

/// PSC's `acr_values_supported`, as captured: a Keycloak artefact (its
/// tokens carry `eidas1`), copied because clients read it.
pub const PSC_ACR_VALUES_SUPPORTED: [&str; 2] = ["0", "0"];

/// The client authentication methods served, in PSC's order.
const AUTH_METHODS: [&str; 3] = [
    "client_secret_basic",
    "client_secret_post",
    "tls_client_auth",
];

/// The claims psc-mock issues, in tokens or userinfo.
const CLAIMS: [&str; 26] = [
    "aud",
    "sub",
    "iss",
    "auth_time",
    "given_name",
    "family_name",
    "preferred_username",
    "email_verified",
    "acr",
    "azp",
    "sid",
    "exp",
    "iat",
    "SubjectNameID",
    "authMode",
    "otherIds",
    "SubjectOrganization",
    "SubjectOrganizationID",
    "SubjectRole",
    "Secteur_Activite",
    "Palier_Authentification",
    "PSI_Locale",
    "UITVersion",
    "Acces_Regulation_Medicale",
    "Mode_Acces_Raison",
    "SubjectRefPro",
];

/// The discovery document of `site`.
pub fn document(site: &Site) -> Vec<u8> {
    let url = |path: &str| format!("{}{path}", site.backchannel);
    let doc = json!({
        "issuer": site.issuer,
        "authorization_endpoint": site.authorization_endpoint,
        "token_endpoint": url(TOKEN),
        "introspection_endpoint": url(INTROSPECT),
        "userinfo_endpoint": url(USERINFO),
        // A browser's endpoint, like the authorization endpoint: under the
        // issuer's name (its mTLS alias below is for servers).
        "end_session_endpoint": format!("{}{LOGOUT}", site.issuer),
        "jwks_uri": url(JWKS),
        "grant_types_supported": super::grants::SUPPORTED,
        "acr_values_supported": PSC_ACR_VALUES_SUPPORTED,
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_modes_supported": ["query", "fragment", "form_post"],
        "token_endpoint_auth_methods_supported": AUTH_METHODS,
        "introspection_endpoint_auth_methods_supported": AUTH_METHODS,
        "claims_supported": CLAIMS,
        "claim_types_supported": ["normal"],
        "claims_parameter_supported": false,
        "scopes_supported": SCOPES,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "code_challenge_methods_supported": ["plain", "S256"],
        "tls_client_certificate_bound_access_tokens": true,
        "revocation_endpoint": url(REVOKE),
        "revocation_endpoint_auth_methods_supported": AUTH_METHODS,
        "backchannel_token_delivery_modes_supported": ["poll"],
        "backchannel_authentication_endpoint": url(BC_AUTHORIZE),
        "mtls_endpoint_aliases": {
            "token_endpoint": url(TOKEN),
            "revocation_endpoint": url(REVOKE),
            "introspection_endpoint": url(INTROSPECT),
            "backchannel_authentication_endpoint": url(BC_AUTHORIZE),
            "userinfo_endpoint": url(USERINFO),
        },
        "authorization_response_iss_parameter_supported": true,
    });
    serde_json::to_vec_pretty(&doc).unwrap_or_default()
}

pub async fn get(here: Here) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(document(&here.0))
}
