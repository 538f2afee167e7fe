//! Token signing keys: each key (`signing`) with its self-signed
//! certificate (`cert`), the realm's set of keys with one active and
//! rotation (`ring`), the internal HS512 key of refresh tokens (`refresh`),
//! and the small random and digest helpers the protocol needs.

mod cert;
mod refresh;
mod ring;
mod signing;

pub use refresh::RefreshKey;
pub use ring::{KeyRing, KeyStatus, KeyView, Keys, MAX_KEYS, RingError};
pub use signing::{BadKid, KeyOrigin, KeySpec, SigningKey, check_kid};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;

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
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum VerifyError {
    #[error("invalid token: {0}")]
    Invalid(String),
}

/// `base64url(digest(bytes))`.
fn digest_b64(algorithm: &'static aws_lc_rs::digest::Algorithm, bytes: &[u8]) -> String {
    B64.encode(aws_lc_rs::digest::digest(algorithm, bytes))
}

/// `base64url(SHA-256(bytes))`: the certificate thumbprint of RFC 8705 §3.1.
pub fn sha256_b64(bytes: &[u8]) -> String {
    digest_b64(&aws_lc_rs::digest::SHA256, bytes)
}

/// OIDC Core §3.1.3.6 `at_hash`: the left half of SHA-256 of the token.
pub fn at_hash(access_token: &str) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, access_token.as_bytes());
    B64.encode(&digest.as_ref()[..16])
}

/// `N` random bytes from aws-lc's generator. AWS-LC's `RAND_bytes` aborts
/// the process itself when the system has no entropy, so its error is not
/// reachable; were it ever, psc-mock stops the same way rather than hand
/// out a predictable id.
fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    if aws_lc_rs::rand::fill(&mut bytes).is_err() {
        tracing::error!("the system's random generator failed; stopping");
        std::process::abort();
    }
    bytes
}

/// A uniformly random number in `[0, 1)`, for shares of requests and
/// random latencies.
pub fn random_fraction() -> f64 {
    // 53 random bits: the precision of an f64 in [0, 1).
    (u64::from_le_bytes(random_bytes()) >> 11) as f64 / (1u64 << 53) as f64
}

/// A random (version 4) UUID, as Keycloak's token and session ids, from
/// aws-lc's generator (`Uuid::new_v4` asks the kernel each time, a system
/// call per id on the request path).
pub fn random_uuid() -> String {
    uuid::Builder::from_random_bytes(random_bytes())
        .into_uuid()
        .to_string()
}

/// An unguessable identifier: 256 random bits, base64url.
pub fn random_id() -> String {
    B64.encode(random_bytes::<32>())
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
    fn random_uuids_are_version_4_and_distinct() {
        let (a, b) = (random_uuid(), random_uuid());
        assert_ne!(a, b);
        let parsed = uuid::Uuid::parse_str(&a).unwrap();
        assert_eq!(parsed.get_version_num(), 4);
        assert_eq!(parsed.get_variant(), uuid::Variant::RFC4122);
    }

    #[test]
    fn random_ids_are_long_and_distinct() {
        let (a, b) = (random_id(), random_id());
        assert_eq!(a.len(), 43);
        assert_ne!(a, b);
    }
}
