//! Parameters shared by the CIBA and authorization endpoints: scope and
//! `acr_values`, checked the same way on both.

use crate::error::OAuthError;

/// Every scope PSC publishes, in the order of its discovery document
/// (docs/fidelity.md); `annuaire::claims` says what each selects.
pub const SCOPES: [&str; 20] = [
    "openid",
    "microprofile-jwt",
    "rpps",
    "referentiel",
    "web-origins",
    "basic",
    "identity",
    "acr",
    "offline_access",
    "eidas1",
    "profile",
    "roles",
    "email",
    "scope_all",
    "phone",
    "interop",
    "scope_1",
    "address",
    "scope_2",
    "eidas2",
];

/// The `acr` values psc-mock issues.
pub const ACR_VALUES: [&str; 1] = ["eidas1"];

/// Longest `scope` accepted: every supported value fits many times over.
const MAX_SCOPE: usize = 512;

/// Every scope must be known; Keycloak refuses the request otherwise with
/// "Invalid scopes: <the raw scope>", to which psc-mock adds which value.
/// `openid` is not required: without it, the request is plain OAuth 2.0
/// (no ID token), as on Keycloak. Returns the scope normalised (single
/// spaces, each value once, in the order given), which is what sessions and
/// tokens keep.
pub fn check_scope(scope: &str) -> Result<String, OAuthError> {
    if scope.len() > MAX_SCOPE {
        return Err(OAuthError::InvalidScope(format!(
            "Invalid scopes: the scope is longer than {MAX_SCOPE} characters"
        )));
    }
    let mut values: Vec<&str> = Vec::new();
    for value in scope.split_ascii_whitespace() {
        if !values.contains(&value) {
            values.push(value);
        }
    }
    if let Some(unknown) = values.iter().find(|s| !SCOPES.contains(s)) {
        return Err(OAuthError::InvalidScope(format!(
            "Invalid scopes: {scope} ({unknown:?} is not supported; supported: {})",
            SCOPES.join(" ")
        )));
    }
    Ok(values.join(" "))
}

/// The `acr` to issue. OIDC Core §3.1.2.1 makes `acr_values` voluntary:
/// values psc-mock does not offer are ignored, as Keycloak does, and the
/// login happens at `eidas1`, PSC's level.
pub fn acr(requested: Option<&str>) -> Result<String, OAuthError> {
    let chosen = requested
        .into_iter()
        .flat_map(str::split_ascii_whitespace)
        .find(|v| ACR_VALUES.contains(v))
        .unwrap_or(ACR_VALUES[0]);
    Ok(chosen.to_owned())
}
