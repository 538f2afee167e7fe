//! Token faults: the token endpoint's answer, re-signed wrong.
//!
//! The access and ID tokens are re-signed with a key absent from the JWKS
//! (`unknown_key`), with such a key under the real `kid` (`bad_signature`),
//! or with the real key but an `exp` a minute in the past
//! (`expired_token`). The ID token's `at_hash` follows the new access token.
//! The refresh token is left alone: a client that notices the fault can
//! still refresh, as it would against a real issuer.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::SystemTime;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde_json::{Map, Value};

use super::FaultKind;
use crate::clock::unix_seconds;
use crate::keys::{SigningKey, at_hash};
use crate::tokens::{TokenIssuer, TokenResponse};

/// How long ago an `expired_token` expired.
const EXPIRED_AGO_S: u64 = 60;

/// Why a token fault could not be applied (the token endpoint answers
/// `server_error` with this text).
#[derive(Debug, Clone, thiserror::Error)]
pub enum TamperError {
    #[error("key generation failed: {0}")]
    Generation(String),
    #[error("the rogue key: {0}")]
    Key(String),
    #[error("the token to tamper with is not a JWT")]
    NotJwt,
    #[error("the token's claims: {0}")]
    Claims(String),
    #[error("signing failed: {0}")]
    Sign(String),
}

/// A key nobody knows, as PEM: generated once per server, when the first
/// token fault is set, on a thread of its own so that the token endpoint
/// does not wait for it (RSA-2048 generation takes up to a second).
#[derive(Debug, Default, Clone)]
pub struct RogueKey(Arc<Rogue>);

#[derive(Debug, Default)]
struct Rogue {
    started: AtomicBool,
    pem: OnceLock<Result<String, TamperError>>,
}

impl RogueKey {
    /// Starts generating the key, once.
    pub fn warm_up(&self) {
        if !self.0.started.swap(true, Ordering::AcqRel) {
            let rogue = self.clone();
            std::thread::spawn(move || {
                let _ = rogue.pem();
            });
        }
    }

    /// The key, generated now if it was not yet.
    fn pem(&self) -> Result<&str, TamperError> {
        self.0
            .pem
            .get_or_init(|| {
                rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)
                    .map(|pair| pair.serialize_pem())
                    .map_err(|e| TamperError::Generation(e.to_string()))
            })
            .as_deref()
            .map_err(Clone::clone)
    }
}

/// Applies a token fault to `response`; other faults leave it unchanged.
pub fn tamper(
    response: &mut TokenResponse,
    fault: &FaultKind,
    issuer: &TokenIssuer,
    rogue: &RogueKey,
    now: SystemTime,
) -> Result<(), TamperError> {
    let rogue = || {
        rogue
            .pem()
            .and_then(|pem| SigningKey::from_pem(pem).map_err(|e| TamperError::Key(e.to_string())))
    };
    let (key, expire) = match fault {
        FaultKind::UnknownKey => (Some(rogue()?), false),
        FaultKind::BadSignature => (
            Some(rogue()?.impersonating(issuer.keys.active().kid())),
            false,
        ),
        FaultKind::ExpiredToken => (None, true),
        _ => return Ok(()),
    };
    let active = issuer.keys.active();
    let key = key.as_ref().unwrap_or(&active);
    let exp = unix_seconds(now).saturating_sub(EXPIRED_AGO_S);

    let mut access = claims(&response.access_token)?;
    if expire {
        backdate(&mut access, exp);
        response.expires_in = 0;
    }
    let sign_error = |e: crate::keys::KeyError| TamperError::Sign(e.to_string());
    response.access_token = key.sign(&access).map_err(sign_error)?;
    // No ID token without `openid`: only the access token is tampered with.
    if let Some(id_token) = &response.id_token {
        let mut id = claims(id_token)?;
        if expire {
            backdate(&mut id, exp);
        }
        id.insert(
            "at_hash".into(),
            Value::String(at_hash(&response.access_token)),
        );
        response.id_token = Some(key.sign(&id).map_err(sign_error)?);
    }
    Ok(())
}

/// The claims of a JWT this server signed.
fn claims(token: &str) -> Result<Map<String, Value>, TamperError> {
    let payload = token.split('.').nth(1).ok_or(TamperError::NotJwt)?;
    let bytes = B64
        .decode(payload)
        .map_err(|e| TamperError::Claims(e.to_string()))?;
    serde_json::from_slice(&bytes).map_err(|e| TamperError::Claims(e.to_string()))
}

/// Moves `iat` and `exp` back so that the token expired at `exp`, keeping
/// its lifetime.
fn backdate(claims: &mut Map<String, Value>, exp: u64) {
    let number = |name: &str| claims.get(name).and_then(Value::as_u64).unwrap_or(0);
    let lifetime = number("exp").saturating_sub(number("iat"));
    claims.insert("exp".into(), exp.into());
    claims.insert("iat".into(), exp.saturating_sub(lifetime).into());
}
