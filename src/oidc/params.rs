//! Parameters shared by the CIBA and authorization endpoints: scope and
//! `acr_values`, checked the same way on both.

use super::discovery::{ACR_VALUES, SCOPES};
use crate::error::OAuthError;

/// Longest `scope` accepted: every supported value fits many times over.
const MAX_SCOPE: usize = 256;

/// Every scope must be known and `openid` must be among them. Returns the
/// scope normalised (single spaces, each value once, in the order given),
/// which is what sessions and tokens keep.
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
    if !values.contains(&"openid") {
        return Err(OAuthError::InvalidScope(format!(
            "Invalid scopes: {scope} (the scope must contain openid)"
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
