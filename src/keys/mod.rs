//! Token signing keys, the JWKS, and JWT encoding and verification.
//!
//! Signing is done by hand with an aws-lc-rs key pair parsed once at start:
//! `jsonwebtoken` re-parses the private key on every `encode` (about
//! 170 µs, measured on our 2-core machines), which would cost more than the
//! rest of a CIBA flow. `benches/flows` compares this signer with raw
//! aws-lc-rs signing, the machine's ceiling.
//! `jsonwebtoken` is used for what it does well: building the JWK,
//! its RFC 7638 thumbprint (the `kid`), and verifying.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use jsonwebtoken::jwk::{Jwk, JwkSet, KeyAlgorithm, PublicKeyUse, ThumbprintHash};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Validation};
use rustls::pki_types::PrivateKeyDer;
use rustls::pki_types::pem::PemObject;
use serde::Serialize;
use serde::de::DeserializeOwned;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("signing key: {0}")]
    Load(String),
    #[error("signing failed")]
    Sign,
    #[error("claims could not be serialized: {0}")]
    Serialize(#[from] serde_json::Error),
}

/// Why a presented JWT was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VerifyError {
    #[error("invalid token: {0}")]
    Invalid(String),
}

/// The RSA key that signs every token, with its public forms.
pub struct SigningKey {
    kid: String,
    pair: RsaKeyPair,
    rng: SystemRandom,
    /// `base64url({"alg":"RS256","typ":"JWT","kid":…})`, computed once.
    header_b64: String,
    decoding: DecodingKey,
    validation: Validation,
    jwks_json: Vec<u8>,
}

impl SigningKey {
    /// Loads an RSA private key from PEM (PKCS#8 or PKCS#1).
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        let der = PrivateKeyDer::from_pem_slice(pem.as_bytes())
            .map_err(|e| KeyError::Load(format!("not a PEM private key: {e}")))?;
        let pair = match &der {
            PrivateKeyDer::Pkcs8(k) => RsaKeyPair::from_pkcs8(k.secret_pkcs8_der()),
            PrivateKeyDer::Pkcs1(k) => RsaKeyPair::from_der(k.secret_pkcs1_der()),
            _ => return Err(KeyError::Load("the signing key must be RSA".into())),
        }
        .map_err(|e| KeyError::Load(format!("not a usable RSA key: {e}")))?;
        if pair.public_modulus_len() < 256 {
            return Err(KeyError::Load(
                "the signing key must be at least 2048 bits".into(),
            ));
        }

        let encoding =
            EncodingKey::from_rsa_pem(pem.as_bytes()).map_err(|e| KeyError::Load(e.to_string()))?;
        let mut jwk = Jwk::from_encoding_key(&encoding, Algorithm::RS256)
            .map_err(|e| KeyError::Load(e.to_string()))?;
        let kid = jwk
            .thumbprint(ThumbprintHash::SHA256)
            .map_err(|e| KeyError::Load(e.to_string()))?;
        jwk.common.key_id = Some(kid.clone());
        jwk.common.public_key_use = Some(PublicKeyUse::Signature);
        jwk.common.key_algorithm = Some(KeyAlgorithm::RS256);
        let decoding = DecodingKey::from_jwk(&jwk).map_err(|e| KeyError::Load(e.to_string()))?;
        let jwks_json = serde_json::to_vec(&JwkSet { keys: vec![jwk] })?;

        let header = serde_json::json!({"alg": "RS256", "typ": "JWT", "kid": kid});
        let header_b64 = B64.encode(serde_json::to_vec(&header)?);

        // Expiry and audience are checked by the caller against the server's
        // clock (never the system clock); the signature and `alg` here.
        let mut validation = Validation::new(Algorithm::RS256);
        validation.validate_exp = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();

        Ok(Self {
            kid,
            pair,
            rng: SystemRandom::new(),
            header_b64,
            decoding,
            validation,
            jwks_json,
        })
    }

    /// The same key, claiming another key's `kid` in the headers it signs:
    /// its signatures then fail against the JWKS entry of that `kid`.
    pub fn impersonating(mut self, kid: &str) -> Self {
        let header = serde_json::json!({"alg": "RS256", "typ": "JWT", "kid": kid});
        self.header_b64 = B64.encode(header.to_string());
        self.kid = kid.to_owned();
        self
    }

    /// The RFC 7638 SHA-256 thumbprint, 43 base64url characters.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// `{"keys":[…]}` as served at the JWKS endpoint.
    pub fn jwks_json(&self) -> &[u8] {
        &self.jwks_json
    }

    /// Signs `claims` as an RS256 JWT with this key's `kid`.
    pub fn sign<T: Serialize>(&self, claims: &T) -> Result<String, KeyError> {
        let payload = serde_json::to_vec(claims)?;
        let mut token = String::with_capacity(self.header_b64.len() + payload.len() * 4 / 3 + 400);
        token.push_str(&self.header_b64);
        token.push('.');
        B64.encode_string(&payload, &mut token);
        let mut signature = vec![0u8; self.pair.public_modulus_len()];
        self.pair
            .sign(
                &RSA_PKCS1_SHA256,
                &self.rng,
                token.as_bytes(),
                &mut signature,
            )
            .map_err(|_| KeyError::Sign)?;
        token.push('.');
        B64.encode_string(&signature, &mut token);
        Ok(token)
    }

    /// Checks the signature (and `alg`, `kid`) and decodes the claims.
    pub fn verify<T: DeserializeOwned>(&self, token: &str) -> Result<T, VerifyError> {
        let header =
            jsonwebtoken::decode_header(token).map_err(|e| VerifyError::Invalid(e.to_string()))?;
        if header.kid.as_deref() != Some(self.kid.as_str()) {
            return Err(VerifyError::Invalid("unknown kid".into()));
        }
        jsonwebtoken::decode::<T>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| VerifyError::Invalid(e.to_string()))
    }
}

/// `base64url(SHA-256(bytes))`: the certificate thumbprint of RFC 8705 §3.1.
pub fn sha256_b64(bytes: &[u8]) -> String {
    B64.encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes))
}

/// OIDC Core §3.1.3.6 `at_hash`: the left half of SHA-256 of the token.
pub fn at_hash(access_token: &str) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, access_token.as_bytes());
    B64.encode(&digest.as_ref()[..16])
}

/// A uniformly random number in `[0, 1)`, for shares of requests and
/// random latencies (0 if the OS has no entropy source).
pub fn random_fraction() -> f64 {
    let mut bytes = [0u8; 8];
    if aws_lc_rs::rand::fill(&mut bytes).is_err() {
        return 0.0;
    }
    // 53 random bits: the precision of an f64 in [0, 1).
    (u64::from_le_bytes(bytes) >> 11) as f64 / (1u64 << 53) as f64
}

/// An unguessable identifier: 256 random bits, base64url.
pub fn random_id() -> String {
    let mut bytes = [0u8; 32];
    // aws-lc's RNG only fails if the OS has no entropy source at all; the
    // UUID fallback keeps the request path free of panics even then.
    if aws_lc_rs::rand::fill(&mut bytes).is_err() {
        return format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
    }
    B64.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SigningKey {
        SigningKey::from_pem(crate::pki::EMBEDDED.signing_key).expect("embedded key loads")
    }

    #[test]
    fn kid_is_a_43_char_thumbprint() {
        let k = key();
        assert_eq!(k.kid().len(), 43);
        assert!(!k.kid().contains(['+', '/', '=']));
    }

    #[test]
    fn signed_tokens_verify_and_tampering_is_caught() {
        let k = key();
        let token = k.sign(&serde_json::json!({"sub": "x", "n": 1})).unwrap();
        let claims: serde_json::Value = k.verify(&token).unwrap();
        assert_eq!(claims["sub"], "x");

        let mut parts: Vec<&str> = token.split('.').collect();
        let forged = B64.encode(br#"{"sub":"y","n":1}"#);
        parts[1] = &forged;
        assert!(k.verify::<serde_json::Value>(&parts.join(".")).is_err());
        assert!(k.verify::<serde_json::Value>("not.a.jwt").is_err());
    }

    #[test]
    fn at_hash_matches_the_oidc_example_shape() {
        assert_eq!(at_hash("abc").len(), 22);
    }

    #[test]
    fn random_ids_are_long_and_distinct() {
        let (a, b) = (random_id(), random_id());
        assert_eq!(a.len(), 43);
        assert_ne!(a, b);
    }
}
