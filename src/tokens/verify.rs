//! Checking presented tokens: signature (every published key, or the
//! internal refresh-token key), type, issuer and expiry, with a refusal
//! that says which check failed.

use std::time::SystemTime;

use serde_json::Value;

use super::{AccessClaims, RefreshClaims, SERVICE_TOKEN, TokenIssuer, TokenType};
use crate::clock::unix_seconds;
use crate::keys::VerifyError;

/// Why a presented token was refused: which check failed. The text goes
/// into `error_description` or `WWW-Authenticate`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not a JWT, an unknown key, a bad signature.
    #[error(transparent)]
    Signature(#[from] VerifyError),
    #[error("the token is of type {found:?}, not {expected:?}")]
    Type {
        found: String,
        expected: &'static str,
    },
    #[error("the token was issued by {found:?}, not {expected:?}")]
    Issuer { found: String, expected: String },
    #[error("the token is not valid before {0} (nbf)")]
    NotYet(u64),
    #[error("the {0} token has expired")]
    Expired(&'static str),
    /// A `client_credentials` token where a professional's is needed.
    #[error("{SERVICE_TOKEN}")]
    Service,
    /// A professional's token where a `client_credentials` one is needed.
    #[error("not a client_credentials token")]
    NotService,
    #[error("malformed claims: {0}")]
    Claims(String),
}

impl TokenIssuer {
    /// Checks a presented access token: signature, issuer, type, expiry at
    /// `now`. The error text says which check failed.
    pub fn verify_access(&self, token: &str, now: SystemTime) -> Result<AccessClaims, TokenError> {
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
    pub fn verify_service(&self, token: &str, now: SystemTime) -> Result<Value, TokenError> {
        let claims = self.checked(token, TokenType::Bearer, now)?;
        if claims.get("clientId").is_none() {
            return Err(TokenError::NotService);
        }
        Ok(claims)
    }

    /// An ID token given back as `id_token_hint` (logout): signed here and
    /// of this issuer; its expiry does not matter (OIDC RP-Initiated Logout
    /// §2). Returns its session id and audience.
    pub fn verify_id_token_hint(&self, token: &str) -> Result<(String, String), TokenError> {
        let claims: Value = self.keys.verify(token)?;
        let typ = text(&claims, "typ");
        if typ != TokenType::Id.as_str() {
            return Err(TokenError::Type {
                found: typ.to_owned(),
                expected: TokenType::Id.as_str(),
            });
        }
        self.check_issuer(text(&claims, "iss"))?;
        Ok((
            text(&claims, "sid").to_owned(),
            text(&claims, "aud").to_owned(),
        ))
    }

    /// The same for a refresh token, against the internal HS512 key.
    pub fn verify_refresh(
        &self,
        token: &str,
        now: SystemTime,
    ) -> Result<RefreshClaims, TokenError> {
        let claims: Value = self.refresh_key.verify(token)?;
        self.check(
            text(&claims, "typ"),
            TokenType::Refresh,
            text(&claims, "iss"),
            validity(&claims),
            now,
        )?;
        serde_json::from_value(claims).map_err(|e| TokenError::Claims(e.to_string()))
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
    ) -> Result<T, TokenError> {
        let claims = self.checked(token, typ, now)?;
        if typ == TokenType::Bearer && claims.get("clientId").is_some() {
            return Err(TokenError::Service);
        }
        serde_json::from_value(claims).map_err(|e| TokenError::Claims(e.to_string()))
    }

    /// The raw claims of a token signed here, of type `typ`, unexpired.
    fn checked(&self, token: &str, typ: TokenType, now: SystemTime) -> Result<Value, TokenError> {
        let claims: Value = self.keys.verify(token)?;
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
    ) -> Result<(), TokenError> {
        if typ != expected.as_str() {
            return Err(TokenError::Type {
                found: typ.to_owned(),
                expected: expected.as_str(),
            });
        }
        self.check_issuer(iss)?;
        if let Some(nbf) = nbf.filter(|nbf| unix_seconds(now) < *nbf) {
            return Err(TokenError::NotYet(nbf));
        }
        if unix_seconds(now) >= exp {
            let kind = if expected == TokenType::Bearer {
                "access"
            } else {
                "refresh"
            };
            return Err(TokenError::Expired(kind));
        }
        Ok(())
    }

    fn check_issuer(&self, iss: &str) -> Result<(), TokenError> {
        if self.urls.accepts(iss) {
            return Ok(());
        }
        Err(TokenError::Issuer {
            found: iss.to_owned(),
            expected: self.urls.issuer().to_owned(),
        })
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
