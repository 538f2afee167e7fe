//! One RSA key that signs tokens, with its public forms: the JWK as the
//! JWKS publishes it (`kid`, `n`, `e`, `x5c`, `x5t`, `x5t#S256`) and a
//! verifier for what it signed.
//!
//! Signing is done by hand with an aws-lc-rs key pair parsed once:
//! `jsonwebtoken` re-parses the private key on every `encode` (about
//! 170 µs, measured on our 2-core machines), which would cost more than the
//! rest of a CIBA flow. `benches/flows` compares this signer with raw
//! aws-lc-rs signing, the machine's ceiling. `jsonwebtoken` is used for
//! what it does well: building the JWK, its RFC 7638 thumbprint (the
//! default `kid`), and verifying.

use std::sync::OnceLock;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{KeyPair, RSA_PKCS1_SHA256, RsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD as B64};
use jsonwebtoken::jwk::{Jwk, KeyAlgorithm, PublicKeyUse, ThumbprintHash};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Validation};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{KeyError, VerifyError, cert, digest_b64};

/// Where a key came from, as the control API shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum KeyOrigin {
    /// The committed test key (`keys/signing-key.pem`).
    Embedded,
    /// A PEM file of the configuration.
    File,
    /// Generated at start (`--ephemeral-keys`) or through the control API.
    Generated,
    /// A PEM given to the control API.
    Imported,
}

/// How to load a key: its `kid`, its certificate chain, the realm.
#[derive(Debug, Clone, Copy)]
pub struct KeySpec<'a> {
    /// The `kid`; `None` is the RFC 7638 SHA-256 thumbprint.
    pub kid: Option<&'a str>,
    /// PEM certificates for `x5c`, the key's own first; `None` is a
    /// self-signed certificate with CN = the realm, as Keycloak makes.
    pub chain_pem: Option<&'a str>,
    /// The realm, the CN of the self-signed certificate.
    pub realm: &'a str,
    pub origin: KeyOrigin,
}

impl Default for KeySpec<'_> {
    fn default() -> Self {
        Self {
            kid: None,
            chain_pem: None,
            realm: "esante-wallet",
            origin: KeyOrigin::Embedded,
        }
    }
}

/// An RSA key that signs tokens, with its public forms.
pub struct SigningKey {
    kid: String,
    pair: RsaKeyPair,
    rng: SystemRandom,
    /// `base64url({"alg":"RS256","typ":"JWT","kid":…})`, computed once.
    header_b64: String,
    decoding: DecodingKey,
    validation: Validation,
    /// The JWK without its certificate (`kid`, `n`, `e`, `use`, `alg`).
    bare_jwk: Jwk,
    /// The configured certificate chain; `None`: self-signed, made when
    /// first published.
    chain: Option<Vec<CertificateDer<'static>>>,
    /// The CN of the self-signed certificate.
    realm: String,
    /// The JWK as published, with `x5c`, `x5t`, `x5t#S256`: made on first
    /// use, so that start-up signs nothing (signing a certificate is the
    /// first use of aws-lc's random generator, whose set-up costs ≈ 30 ms).
    jwk: OnceLock<Jwk>,
    origin: KeyOrigin,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// Loads an RSA private key from PEM (PKCS#8 or PKCS#1), with the
    /// thumbprint as `kid` and a self-signed certificate.
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        Self::load(pem, KeySpec::default())
    }

    /// A fresh RSA-2048 key (tens to hundreds of milliseconds).
    pub fn generate(spec: KeySpec<'_>) -> Result<Self, KeyError> {
        let pair =
            rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)
                .map_err(|e| KeyError::Load(format!("key generation failed: {e}")))?;
        Self::load(&pair.serialize_pem(), spec)
    }

    /// Loads a key from PEM as `spec` says.
    pub fn load(pem: &str, spec: KeySpec<'_>) -> Result<Self, KeyError> {
        let der = PrivateKeyDer::from_pem_slice(pem.as_bytes())
            .map_err(|e| KeyError::Load(format!("not a PEM private key: {e}")))?;
        let pair = match &der {
            PrivateKeyDer::Pkcs8(k) => RsaKeyPair::from_pkcs8(k.secret_pkcs8_der()),
            PrivateKeyDer::Pkcs1(k) => RsaKeyPair::from_der(k.secret_pkcs1_der()),
            _ => return Err(KeyError::Load("the signing key must be RSA".into())),
        }
        .map_err(|e| {
            KeyError::Load(if e.to_string().contains("WrongAlgorithm") {
                "the signing key must be RSA (PSC signs RS256), not another algorithm".into()
            } else {
                format!("not a usable RSA key: {e}")
            })
        })?;
        if pair.public_modulus_len() < 256 {
            return Err(KeyError::Load(
                "the signing key must be at least 2048 bits".into(),
            ));
        }

        let encoding =
            EncodingKey::from_rsa_pem(pem.as_bytes()).map_err(|e| KeyError::Load(e.to_string()))?;
        let mut jwk = Jwk::from_encoding_key(&encoding, Algorithm::RS256)
            .map_err(|e| KeyError::Load(e.to_string()))?;
        let kid = match spec.kid {
            Some(kid) => {
                check_kid(kid).map_err(|e| KeyError::Load(e.to_string()))?;
                kid.to_owned()
            }
            None => jwk
                .thumbprint(ThumbprintHash::SHA256)
                .map_err(|e| KeyError::Load(e.to_string()))?,
        };
        let rng = SystemRandom::new();
        let chain = spec
            .chain_pem
            .map(|chain| chain_of(chain, &pair))
            .transpose()?;
        jwk.common.key_id = Some(kid.clone());
        jwk.common.public_key_use = Some(PublicKeyUse::Signature);
        jwk.common.key_algorithm = Some(KeyAlgorithm::RS256);
        let decoding = DecodingKey::from_jwk(&jwk).map_err(|e| KeyError::Load(e.to_string()))?;

        // Expiry and audience are checked by the caller against the server's
        // clock (never the system clock); the signature and `alg` here.
        let mut validation = Validation::new(Algorithm::RS256);
        validation.validate_exp = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();

        let mut key = Self {
            kid: String::new(),
            pair,
            rng,
            header_b64: String::new(),
            decoding,
            validation,
            bare_jwk: jwk,
            chain,
            realm: spec.realm.to_owned(),
            jwk: OnceLock::new(),
            origin: spec.origin,
        };
        key.set_header_kid(&kid);
        Ok(key)
    }

    fn set_header_kid(&mut self, kid: &str) {
        let header = serde_json::json!({"alg": "RS256", "typ": "JWT", "kid": kid});
        self.header_b64 = B64.encode(header.to_string());
        kid.clone_into(&mut self.kid);
    }

    /// The same key, claiming another key's `kid` in the headers it signs:
    /// its signatures then fail against the JWKS entry of that `kid`.
    pub fn impersonating(mut self, kid: &str) -> Self {
        self.set_header_kid(kid);
        self
    }

    /// The `kid` of the tokens it signs.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    pub fn origin(&self) -> KeyOrigin {
        self.origin
    }

    /// The public key as the JWKS lists it, as Keycloak publishes an RSA
    /// key: `x5c` (base64 DER, RFC 7517 §4.7), and the SHA-1 and SHA-256
    /// thumbprints of its first certificate (base64url). Made on first use.
    pub fn jwk(&self) -> &Jwk {
        self.jwk.get_or_init(|| {
            let chain = match &self.chain {
                Some(chain) => Ok(chain.clone()),
                None => cert::self_signed(&self.pair, &self.rng, &self.realm).map(|c| vec![c]),
            };
            let mut jwk = self.bare_jwk.clone();
            match chain {
                Ok(chain) if !chain.is_empty() => {
                    jwk.common.x509_sha1_fingerprint = Some(digest_b64(
                        &aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY,
                        &chain[0],
                    ));
                    jwk.common.x509_sha256_fingerprint =
                        Some(digest_b64(&aws_lc_rs::digest::SHA256, &chain[0]));
                    jwk.common.x509_chain =
                        Some(chain.iter().map(|c| STANDARD.encode(c)).collect());
                }
                // A key whose certificate cannot be made is still published
                // (`n`, `e`), without `x5c`.
                Ok(_) => {}
                Err(e) => tracing::error!(kid = %self.kid, "no certificate for the key: {e}"),
            }
            jwk
        })
    }

    /// The public key as base64 DER SubjectPublicKeyInfo, the form of
    /// Keycloak's realm descriptor (`public_key`).
    pub fn public_key_b64(&self) -> String {
        self.pair
            .public_key()
            .as_der()
            .map(|der| STANDARD.encode(der.as_ref()))
            .unwrap_or_default()
    }

    /// `x5t#S256` of its certificate.
    pub fn certificate_thumbprint(&self) -> &str {
        self.jwk()
            .common
            .x509_sha256_fingerprint
            .as_deref()
            .unwrap_or_default()
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

    /// Checks the signature (and `alg`) and decodes the claims; the caller
    /// picked this key by the token's `kid`.
    pub fn verify<T: DeserializeOwned>(&self, token: &str) -> Result<T, VerifyError> {
        jsonwebtoken::decode::<T>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| VerifyError::Invalid(e.to_string()))
    }
}

/// A `kid` is 1 to 128 of RFC 3986's unreserved characters, so that it can
/// stand in a URL path (`/mock/keys/{kid}`) unescaped.
pub fn check_kid(kid: &str) -> Result<(), BadKid> {
    let unreserved = |c: char| c.is_ascii_alphanumeric() || "-._~".contains(c);
    if kid.is_empty() || kid.len() > 128 || !kid.chars().all(unreserved) {
        return Err(BadKid(kid.to_owned()));
    }
    Ok(())
}

/// A `kid` refused by [`check_kid`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("kid {0:?} must be 1 to 128 letters, digits, '-', '.', '_' or '~'")]
pub struct BadKid(pub String);

/// The certificates of `pem`, the first of which must be for `pair`.
fn chain_of(pem: &str, pair: &RsaKeyPair) -> Result<Vec<CertificateDer<'static>>, KeyError> {
    let chain = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| KeyError::Load(format!("certificate chain: {e}")))?;
    let first = chain
        .first()
        .ok_or_else(|| KeyError::Load("certificate chain: no certificate found".into()))?;
    let (_, parsed) = x509_parser::parse_x509_certificate(first)
        .map_err(|e| KeyError::Load(format!("certificate chain: {e}")))?;
    let ours = pair
        .public_key()
        .as_der()
        .map_err(|_| KeyError::Load("the public key cannot be encoded".into()))?;
    if parsed.tbs_certificate.subject_pki.raw != ours.as_ref() {
        return Err(KeyError::Load(
            "the first certificate of the chain is not for this key".into(),
        ));
    }
    Ok(chain)
}
