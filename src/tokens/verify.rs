//! Checking presented tokens: signature (every published key, or the
//! internal refresh-token key), type, issuer and expiry, with a refusal
//! that says which check failed.

use std::time::SystemTime;

use serde_json::Value;

use super::{AccessClaims, RefreshClaims, SERVICE_TOKEN, TokenIssuer, TokenType};
use crate::clock::unix_seconds;

impl TokenIssuer {
    /// Checks a presented access token: signature, issuer, type, expiry at
    /// `now`. The error text says which check failed.
    pub fn verify_access(&self, token: &str, now: SystemTime) -> Result<AccessClaims, String> {
        // The common case in one pass: the claims decoded straight into
        // their type (userinfo and introspection run this on every call).
        if let Ok(claims) = self.keys.verify::<AccessClaims>(token)
            && claims.client_id.is_none()
        {
            self.check(
                claims.typ.as_str(),
                TokenType::Bearer,
                &claims.iss,
                (claims.nbf, claims.exp),
                now,
            )?;
            return Ok(claims);
        }
        // Otherwise the raw claims, to say exactly what is wrong.
        self.verify(token, TokenType::Bearer, now)
    }

    /// A `client_credentials` access token (it speaks for the client and
    /// has no professional): its raw claims.
    pub fn verify_service(&self, token: &str, now: SystemTime) -> Result<Value, String> {
        let claims = self.checked(token, TokenType::Bearer, now)?;
        if claims.get("clientId").is_none() {
            return Err("not a client_credentials token".into());
        }
        Ok(claims)
    }

    /// An ID token given back as `id_token_hint` (logout): signed here and
    /// of this issuer; its expiry does not matter (OIDC RP-Initiated Logout
    /// §2). Returns its session id and audience.
    pub fn verify_id_token_hint(&self, token: &str) -> Result<(String, String), String> {
        let claims: Value = self.keys.verify(token).map_err(|e| e.to_string())?;
        let typ = text(&claims, "typ");
        if typ != TokenType::Id.as_str() {
            return Err(format!("the token is of type {typ:?}, not an ID token"));
        }
        if !self.urls.accepts(text(&claims, "iss")) {
            return Err(format!(
                "the token was issued by {:?}",
                text(&claims, "iss")
            ));
        }
        Ok((
            text(&claims, "sid").to_owned(),
            text(&claims, "aud").to_owned(),
        ))
    }

    /// The same for a refresh token, against the internal HS512 key.
    pub fn verify_refresh(&self, token: &str, now: SystemTime) -> Result<RefreshClaims, String> {
        let claims: Value = self.refresh_key.verify(token).map_err(|e| e.to_string())?;
        self.check(
            text(&claims, "typ"),
            TokenType::Refresh,
            text(&claims, "iss"),
            validity(&claims),
            now,
        )?;
        serde_json::from_value(claims).map_err(|e| format!("malformed claims: {e}"))
    }

    /// The `kid` of the refresh-token key (it is in no JWKS).
    pub fn refresh_kid(&self) -> &str {
        self.refresh_key.kid()
    }

    /// Signature, type, issuer and expiry (so that a token of another type
    /// is named as such), then the claims of that type.
    fn verify<T: serde::de::DeserializeOwned>(
        &self,
        token: &str,
        typ: TokenType,
        now: SystemTime,
    ) -> Result<T, String> {
        let claims = self.checked(token, typ, now)?;
        if typ == TokenType::Bearer && claims.get("clientId").is_some() {
            return Err(SERVICE_TOKEN.into());
        }
        serde_json::from_value(claims).map_err(|e| format!("malformed claims: {e}"))
    }

    /// The raw claims of a token signed here, of type `typ`, unexpired.
    fn checked(&self, token: &str, typ: TokenType, now: SystemTime) -> Result<Value, String> {
        let claims: Value = self.keys.verify(token).map_err(|e| e.to_string())?;
        self.check(
            text(&claims, "typ"),
            typ,
            text(&claims, "iss"),
            validity(&claims),
            now,
        )?;
        Ok(claims)
    }

    fn check(
        &self,
        typ: &str,
        expected: TokenType,
        iss: &str,
        (nbf, exp): (Option<u64>, u64),
        now: SystemTime,
    ) -> Result<(), String> {
        if typ != expected.as_str() {
            return Err(format!(
                "the token is of type {typ:?}, not {:?}",
                expected.as_str()
            ));
        }
        if !self.urls.accepts(iss) {
            return Err(format!(
                "the token was issued by {iss:?}, not {:?}",
                self.urls.issuer()
            ));
        }
        if let Some(nbf) = nbf.filter(|nbf| unix_seconds(now) < *nbf) {
            return Err(format!("the token is not valid before {nbf} (nbf)"));
        }
        if unix_seconds(now) >= exp {
            let kind = if expected == TokenType::Bearer {
                "access"
            } else {
                "refresh"
            };
            return Err(format!("the {kind} token has expired"));
        }
        Ok(())
    }
}

/// `nbf` (if any) and `exp` (0 if none: expired).
fn validity(claims: &Value) -> (Option<u64>, u64) {
    (
        claims.get("nbf").and_then(Value::as_u64),
        claims.get("exp").and_then(Value::as_u64).unwrap_or(0),
    )
}

/// A string claim, or `""`.
fn text<'a>(claims: &'a Value, name: &str) -> &'a str {
    claims.get(name).and_then(Value::as_str).unwrap_or("")
}
