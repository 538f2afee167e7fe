//! What the professional does with a request: the decision ([`Action`]),
//! when it comes and what an approval carries ([`Outcome`], [`Approval`]).
//! Below the annuaire (a professional's own default), the CIBA store and
//! the scenarios, which all speak of it.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::clock::later;

/// The longest delay an outcome may ask for: a day.
pub const MAX_AFTER_MS: u64 = 86_400_000;
/// Largest `claims` object, serialized.
const MAX_CLAIMS_BYTES: usize = 8 * 1024;
/// Claims the mock's own checks rely on (signature, session, binding,
/// the professional's identity): `claims` may not replace them; `as`
/// changes the professional.
const RESERVED_CLAIMS: [&str; 17] = [
    "iss",
    "sub",
    "aud",
    "exp",
    "iat",
    "nbf",
    "jti",
    "typ",
    "azp",
    "sid",
    "session_state",
    "cnf",
    "scope",
    "nonce",
    "at_hash",
    "auth_time",
    "SubjectNameID",
];

/// What the professional does with a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Confirms: the next poll gets tokens.
    Approve,
    /// Refuses: polls get `access_denied`.
    Deny,
    /// Never answers, and the request expires now: `expired_token`.
    Expire,
    /// Does nothing (yet), maybe ever: polls get `authorization_pending`
    /// until the request expires. Also accepted as `pending`.
    #[serde(alias = "pending")]
    Never,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Deny => "deny",
            Self::Expire => "expire",
            Self::Never => "never",
        }
    }
}

/// What an approval carries besides the decision (from a scenario, or the
/// control API): tokens for another professional, or extra claims.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Approval {
    #[serde(rename = "as", skip_serializing_if = "Option::is_none")]
    pub as_id_nat: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub claims: Option<Arc<Map<String, Value>>>,
}

/// One answer of the professional, and when it comes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Outcome {
    pub action: Action,
    #[serde(default)]
    pub after_ms: u64,
    /// Approve as this professional (idNat) instead of the one asked for.
    #[serde(rename = "as", default, skip_serializing_if = "Option::is_none")]
    pub as_id_nat: Option<String>,
    /// Claims added to (or replacing those of) the access and ID tokens
    /// and the userinfo answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub claims: Option<Arc<Map<String, Value>>>,
}

impl Outcome {
    pub const fn new(action: Action, after_ms: u64) -> Self {
        Self {
            action,
            after_ms,
            as_id_nat: None,
            claims: None,
        }
    }

    /// The checks that need no annuaire.
    pub fn validate_shape(&self) -> Result<(), String> {
        if self.after_ms > MAX_AFTER_MS {
            return Err(format!(
                "after_ms {} is more than a day ({MAX_AFTER_MS}); use \"never\" for a professional who never answers",
                self.after_ms
            ));
        }
        if self.action != Action::Approve && (self.as_id_nat.is_some() || self.claims.is_some()) {
            return Err(format!(
                "\"as\" and \"claims\" go with \"approve\", not {:?}",
                self.action.as_str()
            ));
        }
        if let Some(claims) = &self.claims {
            if let Some(name) = claims
                .keys()
                .find(|k| RESERVED_CLAIMS.contains(&k.as_str()))
            {
                return Err(format!(
                    "claims may not set {name:?}: the mock's checks rely on it (use \"as\" for another professional)"
                ));
            }
            let size = serde_json::to_vec(claims).map_or(usize::MAX, |v| v.len());
            if size > MAX_CLAIMS_BYTES {
                return Err(format!(
                    "claims is {size} bytes of JSON; at most {MAX_CLAIMS_BYTES}"
                ));
            }
        }
        Ok(())
    }

    /// The decision to schedule on a request created at `created`: `None`
    /// for `never` (nothing is scheduled).
    pub fn schedule(&self, created: SystemTime) -> Option<(Action, SystemTime)> {
        (self.action != Action::Never).then(|| {
            (
                self.action,
                later(created, Duration::from_millis(self.after_ms)),
            )
        })
    }

    /// What an approval carries besides the decision.
    pub fn approval(&self) -> Approval {
        Approval {
            as_id_nat: self.as_id_nat.clone(),
            claims: self.claims.clone(),
        }
    }
}
