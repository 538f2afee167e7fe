//! The realm's internal refresh-token key: HS512, as Keycloak 24 and later
//! sign refresh tokens (docs/fidelity.md). It is never published in the
//! JWKS: only this server checks refresh tokens; clients treat them as
//! opaque. A fresh key is drawn at each start (Keycloak keeps its key in its
//! database; a restarted mock ends every session anyway).

use aws_lc_rs::hmac;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{KeyError, VerifyError};

/// An HS512 key with its `kid` (a UUID, as Keycloak's generated HMAC keys).
pub struct RefreshKey {
    key: hmac::Key,
    kid: String,
    header_b64: String,
}

impl std::fmt::Debug for RefreshKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RefreshKey")
            .field("kid", &self.kid)
            .finish()
    }
}

impl RefreshKey {
    /// A new random key, from the operating system's generator (through
    /// UUIDs: `getrandom`), so that start-up does not set up aws-lc's own
    /// generator (≈ 30 ms; ARCHITECTURE.md, cross-cutting concerns).
    pub fn generate() -> Self {
        let mut secret = [0u8; 64];
        for chunk in secret.chunks_mut(16) {
            chunk.copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        }
        Self::from_secret(&secret, &uuid::Uuid::new_v4().to_string())
    }

    /// A key from given bytes (tests).
    pub fn from_secret(secret: &[u8], kid: &str) -> Self {
        let header = serde_json::json!({"alg": "HS512", "typ": "JWT", "kid": kid});
        Self {
            key: hmac::Key::new(hmac::HMAC_SHA512, secret),
            kid: kid.to_owned(),
            header_b64: B64.encode(header.to_string()),
        }
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// Signs `claims` as an HS512 JWT.
    pub fn sign<T: Serialize>(&self, claims: &T) -> Result<String, KeyError> {
        let payload = serde_json::to_vec(claims)?;
        let mut token = String::with_capacity(self.header_b64.len() + payload.len() * 4 / 3 + 100);
        token.push_str(&self.header_b64);
        token.push('.');
        B64.encode_string(&payload, &mut token);
        let tag = hmac::sign(&self.key, token.as_bytes());
        token.push('.');
        B64.encode_string(tag.as_ref(), &mut token);
        Ok(token)
    }

    /// Checks the header (`alg` HS512, this key's `kid`) and the tag, then
    /// decodes the claims.
    pub fn verify<T: DeserializeOwned>(&self, token: &str) -> Result<T, VerifyError> {
        let bad = |why: &str| VerifyError::Invalid(why.to_owned());
        let (signed, tag) = token
            .rsplit_once('.')
            .ok_or_else(|| bad("not a JWT (no signature part)"))?;
        let (header, payload) = signed
            .split_once('.')
            .ok_or_else(|| bad("not a JWT (no payload part)"))?;
        let header: serde_json::Value = B64
            .decode(header)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .ok_or_else(|| bad("malformed header"))?;
        if header.get("alg").and_then(serde_json::Value::as_str) != Some("HS512") {
            return Err(bad("not signed HS512 by this server's refresh-token key"));
        }
        if header.get("kid").and_then(serde_json::Value::as_str) != Some(self.kid.as_str()) {
            return Err(bad("signed with another refresh-token key (unknown kid)"));
        }
        let tag = B64.decode(tag).map_err(|_| bad("malformed signature"))?;
        hmac::verify(&self.key, signed.as_bytes(), &tag).map_err(|_| bad("bad signature"))?;
        let payload = B64.decode(payload).map_err(|_| bad("malformed payload"))?;
        serde_json::from_slice(&payload).map_err(|e| bad(&format!("malformed claims: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    #[test]
    fn signs_hs512_and_verifies_with_an_independent_library() {
        let key = RefreshKey::from_secret(&[7u8; 64], "k1");
        let token = key.sign(&json!({"typ": "Refresh", "jti": "a"})).unwrap();
        let claims: Value = key.verify(&token).unwrap();
        assert_eq!(claims["jti"], "a");

        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS512);
        validation.validate_exp = false;
        validation.required_spec_claims.clear();
        let decoded = jsonwebtoken::decode::<Value>(
            &token,
            &jsonwebtoken::DecodingKey::from_secret(&[7u8; 64]),
            &validation,
        )
        .unwrap();
        assert_eq!(decoded.header.kid.as_deref(), Some("k1"));
        assert_eq!(decoded.claims["typ"], "Refresh");
    }

    #[test]
    fn another_key_a_tampered_payload_and_rs256_are_refused() {
        let key = RefreshKey::from_secret(&[7u8; 64], "k1");
        let token = key.sign(&json!({"jti": "a"})).unwrap();
        let other = RefreshKey::from_secret(&[8u8; 64], "k1");
        assert!(other.verify::<Value>(&token).is_err());
        let renamed = RefreshKey::from_secret(&[7u8; 64], "k2");
        assert!(renamed.verify::<Value>(&token).is_err());

        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        parts[1] = B64.encode(br#"{"jti":"b"}"#);
        assert!(key.verify::<Value>(&parts.join(".")).is_err());
        for garbage in ["", "a", "a.b", "a.b.c", "..", "x.y.z.w"] {
            assert!(key.verify::<Value>(garbage).is_err(), "{garbage}");
        }
        let rsa = B64.encode(br#"{"alg":"RS256","kid":"k1"}"#);
        assert!(key.verify::<Value>(&format!("{rsa}.e30.AAAA")).is_err());
    }
}
