//! The signing keys of the realm: one active key signs, every key is
//! published in the JWKS and verifies what it signed, as Keycloak's active
//! and passive keys. Keys can be added, activated and retired while the
//! server runs, so that a client's JWKS refresh can be tested.
//!
//! A retired key leaves the JWKS and the tokens it signed are refused, as
//! with a disabled or deleted key in Keycloak. Readers take the current
//! ring (an `Arc`) under a read lock held for a pointer copy; a change
//! builds a new ring and swaps it in.

use std::sync::{Arc, OnceLock, RwLock};

use jsonwebtoken::jwk::JwkSet;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{KeyOrigin, SigningKey, VerifyError};

/// Most keys at once.
pub const MAX_KEYS: usize = 16;

/// Why a change of keys was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RingError {
    #[error("no signing key with kid {0:?}")]
    Unknown(String),
    #[error("a signing key with kid {0:?} is already published")]
    Duplicate(String),
    #[error("kid {0:?} is the active key: activate another one before retiring it")]
    Active(String),
    #[error("{MAX_KEYS} signing keys are published already; retire one first")]
    Full,
}

/// Whether a key signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum KeyStatus {
    /// Signs every new token; published; verifies.
    Active,
    /// Published and verifies, but signs nothing (Keycloak's passive key).
    Passive,
}

/// A key as the control API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct KeyView {
    pub kid: String,
    pub status: KeyStatus,
    #[schema(example = "RS256")]
    pub alg: &'static str,
    pub origin: KeyOrigin,
    /// `x5t#S256` of its certificate in the JWKS.
    #[serde(rename = "x5t#S256")]
    pub x5t_s256: String,
}

/// One state of the keys: immutable, swapped whole.
#[derive(Debug)]
pub struct KeyRing {
    keys: Vec<Arc<SigningKey>>,
    active: usize,
    /// The JWKS, made when first asked for (its keys' certificates with it).
    jwks_json: OnceLock<Arc<[u8]>>,
}

impl KeyRing {
    fn new(keys: Vec<Arc<SigningKey>>, active: usize) -> Self {
        Self {
            keys,
            active,
            jwks_json: OnceLock::new(),
        }
    }

    fn jwks_json(&self) -> Arc<[u8]> {
        self.jwks_json
            .get_or_init(|| {
                let set = JwkSet {
                    keys: self.keys.iter().map(|k| k.jwk().clone()).collect(),
                };
                serde_json::to_vec(&set).unwrap_or_default().into()
            })
            .clone()
    }

    /// The key that signs.
    pub fn active(&self) -> &Arc<SigningKey> {
        &self.keys[self.active]
    }

    fn find(&self, kid: &str) -> Option<usize> {
        self.keys.iter().position(|k| k.kid() == kid)
    }

    fn views(&self) -> Vec<KeyView> {
        self.keys
            .iter()
            .enumerate()
            .map(|(i, k)| KeyView {
                kid: k.kid().to_owned(),
                status: if i == self.active {
                    KeyStatus::Active
                } else {
                    KeyStatus::Passive
                },
                alg: "RS256",
                origin: k.origin(),
                x5t_s256: k.certificate_thumbprint().to_owned(),
            })
            .collect()
    }
}

/// The realm's keys; cheap to read from every request.
#[derive(Debug)]
pub struct Keys {
    current: RwLock<Arc<KeyRing>>,
    /// The keys of the start, put back by a reset.
    initial: Arc<KeyRing>,
}

impl Keys {
    /// `active` signs; `passive` keys are published and verify.
    pub fn new(active: SigningKey, passive: Vec<SigningKey>) -> Result<Self, RingError> {
        let mut ring = vec![Arc::new(active)];
        for key in passive {
            if ring.iter().any(|k| k.kid() == key.kid()) {
                return Err(RingError::Duplicate(key.kid().to_owned()));
            }
            if ring.len() >= MAX_KEYS {
                return Err(RingError::Full);
            }
            ring.push(Arc::new(key));
        }
        Ok(Self::from_ring(ring))
    }

    /// One key, active.
    pub fn single(key: SigningKey) -> Self {
        Self::from_ring(vec![Arc::new(key)])
    }

    fn from_ring(ring: Vec<Arc<SigningKey>>) -> Self {
        let initial = Arc::new(KeyRing::new(ring, 0));
        Self {
            current: RwLock::new(initial.clone()),
            initial,
        }
    }

    /// The current ring.
    pub fn ring(&self) -> Arc<KeyRing> {
        // A poisoned lock only means a writer panicked after its swap or
        // before it; the ring inside is whole either way.
        match self.current.read() {
            Ok(ring) => ring.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The key that signs now.
    pub fn active(&self) -> Arc<SigningKey> {
        self.ring().active().clone()
    }

    /// `{"keys":[…]}` as served at the JWKS endpoint.
    pub fn jwks_json(&self) -> Arc<[u8]> {
        self.ring().jwks_json()
    }

    /// The keys, the active one marked.
    pub fn list(&self) -> Vec<KeyView> {
        self.ring().views()
    }

    /// How many keys are published.
    pub fn count(&self) -> usize {
        self.ring().keys.len()
    }

    /// Checks a token's signature with the published key of its `kid`, and
    /// decodes its claims.
    pub fn verify<T: DeserializeOwned>(&self, token: &str) -> Result<T, VerifyError> {
        let header =
            jsonwebtoken::decode_header(token).map_err(|e| VerifyError::Invalid(e.to_string()))?;
        let kid = header
            .kid
            .ok_or_else(|| VerifyError::Invalid("the token header has no kid".into()))?;
        let ring = self.ring();
        let index = ring.find(&kid).ok_or_else(|| {
            VerifyError::Invalid(format!(
                "kid {kid:?} is not one of the keys this server publishes in its JWKS (a retired key, or another issuer's)"
            ))
        })?;
        ring.keys[index].verify(token)
    }

    /// Publishes `key`; it signs from now on if `activate`.
    pub fn add(&self, key: SigningKey, activate: bool) -> Result<KeyView, RingError> {
        let kid = key.kid().to_owned();
        self.change(|keys, active| {
            if keys.iter().any(|k| k.kid() == kid) {
                return Err(RingError::Duplicate(kid.clone()));
            }
            if keys.len() >= MAX_KEYS {
                return Err(RingError::Full);
            }
            keys.push(Arc::new(key));
            if activate {
                *active = keys.len() - 1;
            }
            Ok(())
        })?;
        self.view(&kid)
    }

    /// Makes `kid` the key that signs; the previous one stays published.
    pub fn activate(&self, kid: &str) -> Result<KeyView, RingError> {
        self.change(|keys, active| {
            *active = keys
                .iter()
                .position(|k| k.kid() == kid)
                .ok_or_else(|| RingError::Unknown(kid.to_owned()))?;
            Ok(())
        })?;
        self.view(kid)
    }

    /// Removes `kid` from the JWKS; tokens it signed are refused from now
    /// on. The active key cannot be retired.
    pub fn retire(&self, kid: &str) -> Result<(), RingError> {
        self.change(|keys, active| {
            let index = keys
                .iter()
                .position(|k| k.kid() == kid)
                .ok_or_else(|| RingError::Unknown(kid.to_owned()))?;
            if index == *active {
                return Err(RingError::Active(kid.to_owned()));
            }
            keys.remove(index);
            if index < *active {
                *active -= 1;
            }
            Ok(())
        })
    }

    /// Back to the keys of the start.
    pub fn reset(&self) {
        let mut current = match self.current.write() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        *current = self.initial.clone();
    }

    fn view(&self, kid: &str) -> Result<KeyView, RingError> {
        self.list()
            .into_iter()
            .find(|v| v.kid == kid)
            .ok_or_else(|| RingError::Unknown(kid.to_owned()))
    }

    /// Applies `edit` to a copy of the ring and swaps it in, atomically
    /// with respect to other changes; nothing changes if `edit` fails.
    fn change(
        &self,
        edit: impl FnOnce(&mut Vec<Arc<SigningKey>>, &mut usize) -> Result<(), RingError>,
    ) -> Result<(), RingError> {
        let mut current = match self.current.write() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        let mut keys = current.keys.clone();
        let mut active = current.active;
        edit(&mut keys, &mut active)?;
        *current = Arc::new(KeyRing::new(keys, active));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::KeySpec;
    use super::*;

    fn key(kid: &str) -> SigningKey {
        SigningKey::load(
            crate::pki::EMBEDDED.signing_key,
            KeySpec {
                kid: Some(kid),
                ..KeySpec::default()
            },
        )
        .expect("embedded key loads")
    }

    fn kids(keys: &Keys) -> Vec<(String, KeyStatus)> {
        keys.list().into_iter().map(|v| (v.kid, v.status)).collect()
    }

    #[test]
    fn rotation_keeps_one_active_key_and_publishes_all() {
        let keys = Keys::single(key("a"));
        keys.add(key("b"), false).unwrap();
        assert_eq!(keys.active().kid(), "a");
        keys.activate("b").unwrap();
        assert_eq!(keys.active().kid(), "b");
        assert_eq!(
            kids(&keys),
            [
                ("a".into(), KeyStatus::Passive),
                ("b".into(), KeyStatus::Active)
            ]
        );
        let jwks: serde_json::Value = serde_json::from_slice(&keys.jwks_json()).unwrap();
        assert_eq!(jwks["keys"].as_array().unwrap().len(), 2);

        assert_eq!(keys.retire("b"), Err(RingError::Active("b".into())));
        keys.retire("a").unwrap();
        assert_eq!(kids(&keys), [("b".into(), KeyStatus::Active)]);
        keys.reset();
        assert_eq!(kids(&keys), [("a".into(), KeyStatus::Active)]);
    }

    #[test]
    fn a_retired_key_no_longer_verifies_and_refusals_change_nothing() {
        let keys = Keys::single(key("a"));
        keys.add(key("b"), true).unwrap();
        let token = keys.active().sign(&serde_json::json!({"n": 1})).unwrap();
        keys.activate("a").unwrap();
        // Passive: still verifies.
        assert!(keys.verify::<serde_json::Value>(&token).is_ok());
        keys.retire("b").unwrap();
        let err = keys.verify::<serde_json::Value>(&token).unwrap_err();
        assert!(err.to_string().contains("\"b\""), "{err}");

        let before = kids(&keys);
        assert_eq!(
            keys.add(key("a"), true).unwrap_err(),
            RingError::Duplicate("a".into())
        );
        assert_eq!(
            keys.activate("zz").unwrap_err(),
            RingError::Unknown("zz".into())
        );
        assert_eq!(
            keys.retire("zz").unwrap_err(),
            RingError::Unknown("zz".into())
        );
        assert_eq!(kids(&keys), before);
    }

    #[test]
    fn the_ring_is_capped() {
        let keys = Keys::single(key("k0"));
        for i in 1..MAX_KEYS {
            keys.add(key(&format!("k{i}")), false).unwrap();
        }
        assert_eq!(
            keys.add(key("one-more"), false).unwrap_err(),
            RingError::Full
        );
    }
}
