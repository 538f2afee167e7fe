//! What the professional does with a request: the decision ([`Action`]),
//! when it comes and what an approval carries ([`Outcome`], [`Approval`]).
//! Below the annuaire (a professional's own default), the CIBA store and
//! the scenarios, which all speak of it; [`check_claims`] is the one check
//! of an approval's extra claims, which they all run.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::clock::later;

/// The longest delay an outcome may ask for: a day.
pub const MAX_AFTER_MS: u64 = 86_400_000;
/// Largest `claims` object, serialized.
const MAX_CLAIMS_BYTES: usize = 8 * 1024;
/// Claims the mock itself relies on (docs/control.md, "Scenarios"): to
/// verify its own tokens (signature, type, issuer, expiry), to tie them to
/// a session, a client or a certificate, or to tell a professional's token
/// from a service account's. `claims` may not set them.
const RESERVED_CLAIMS: [(&str, &str); 17] = [
    ("iss", "the issuer the mock checks in every token"),
    (
        "sub",
        "the professional's subject: use \"as\" for another professional",
    ),
    ("aud", "the audience the mock checks"),
    ("exp", "the expiry the mock checks"),
    ("iat", "the issue time of the token"),
    ("nbf", "the start of validity the mock checks"),
    ("jti", "the token's id, which sessions and revocation track"),
    (
        "typ",
        "the token type the mock checks (Bearer, ID, Refresh)",
    ),
    (
        "azp",
        "the client the tokens were issued to, which the mock checks",
    ),
    ("sid", "the session the mock ties the tokens to"),
    ("session_state", "the session the mock ties the tokens to"),
    ("cnf", "the certificate binding the mock checks"),
    (
        "scope",
        "the granted scope, which userinfo and refresh read",
    ),
    ("nonce", "the client's nonce, echoed from its request"),
    ("at_hash", "the hash of the access token, computed"),
    ("auth_time", "the login time of the session"),
    (
        "clientId",
        "it marks a client_credentials token: the mock would take the tokens for a service account's",
    ),
];

/// Claims that are the professional's national id, in every token and
/// userinfo: they follow the professional (`as`), not `claims`.
const IDENTITY_CLAIMS: [&str; 2] = ["SubjectNameID", "preferred_username"];

/// The JSON type of a PSC claim the mock issues, where `claims` may
/// replace it: what the mock reads back from its own tokens (`acr`,
/// `authMode`, `otherIds`) and what PSC's clients read (docs/annuaire.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Bool,
    /// One of these strings.
    OneOf(&'static [&'static str]),
    /// An array of strings.
    Texts,
    /// A JSON object.
    Object,
    /// PSC's `otherIds`: `[{"identifiant": "…", "origine": "…", "qualite": 0–255}]`.
    OtherIds,
}

const TYPED_CLAIMS: [(&str, Kind); 16] = [
    ("acr", Kind::Text),
    ("authMode", Kind::OneOf(&["MOBILE", "CARD"])),
    ("otherIds", Kind::OtherIds),
    ("given_name", Kind::Text),
    ("family_name", Kind::Text),
    ("email_verified", Kind::Bool),
    ("SubjectOrganization", Kind::Text),
    ("SubjectOrganizationID", Kind::Text),
    ("Secteur_Activite", Kind::Text),
    ("Palier_Authentification", Kind::Text),
    ("PSI_Locale", Kind::Text),
    ("UITVersion", Kind::Text),
    ("Acces_Regulation_Medicale", Kind::Text),
    ("Mode_Acces_Raison", Kind::Text),
    ("SubjectRole", Kind::Texts),
    ("SubjectRefPro", Kind::Object),
];

/// Why an outcome was refused; the text names the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutcomeError {
    #[error(
        "after_ms {0} is more than a day ({MAX_AFTER_MS}); use \"never\" for a professional who never answers"
    )]
    TooLate(u64),
    #[error("\"as\" and \"claims\" go with \"approve\", not {:?}", .0.as_str())]
    NotAnApproval(Action),
    #[error("as: no professional with idNat {0:?} in the annuaire")]
    UnknownProfessional(String),
    #[error(transparent)]
    Claims(#[from] ClaimError),
}

/// Why extra `claims` were refused: which claim, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClaimError {
    #[error("claims may not set {name:?}: the mock's checks rely on it ({why})")]
    Reserved { name: String, why: &'static str },
    #[error(
        "claims may not set {0:?}: it is the professional's idNat, in every token and in userinfo (use \"as\" for tokens of another professional)"
    )]
    Identity(String),
    #[error("claims.{name} must be {}, not {value}", .expected.describe())]
    Type {
        name: String,
        expected: Kind,
        value: Value,
    },
    #[error("claims is {0} bytes of JSON; at most {MAX_CLAIMS_BYTES}")]
    TooBig(usize),
}

/// The one check of extra `claims`, wherever they come from (a scenario,
/// the scenario file, an approval through the control API, a
/// professional's own default): a claim the mock relies on, one that is
/// the professional's idNat, or a PSC claim of the wrong JSON type is
/// refused, naming the claim and why. Any other claim is added as given.
pub fn check_claims(claims: &Map<String, Value>) -> Result<(), ClaimError> {
    for (name, value) in claims {
        if let Some((_, why)) = RESERVED_CLAIMS.iter().find(|(n, _)| n == name) {
            return Err(ClaimError::Reserved {
                name: name.clone(),
                why,
            });
        }
        if IDENTITY_CLAIMS.contains(&name.as_str()) {
            return Err(ClaimError::Identity(name.clone()));
        }
        if let Some((_, kind)) = TYPED_CLAIMS.iter().find(|(n, _)| n == name)
            && !kind.accepts(value)
        {
            return Err(ClaimError::Type {
                name: name.clone(),
                expected: *kind,
                value: value.clone(),
            });
        }
    }
    let size = serde_json::to_vec(claims).map_or(usize::MAX, |v| v.len());
    if size > MAX_CLAIMS_BYTES {
        return Err(ClaimError::TooBig(size));
    }
    Ok(())
}

impl Kind {
    /// Whether `value` is of this kind.
    fn accepts(self, value: &Value) -> bool {
        match self {
            Self::Text => value.is_string(),
            Self::Bool => value.is_boolean(),
            Self::OneOf(values) => value.as_str().is_some_and(|v| values.contains(&v)),
            Self::Texts => value
                .as_array()
                .is_some_and(|items| items.iter().all(Value::is_string)),
            Self::Object => value.is_object(),
            Self::OtherIds => value.as_array().is_some_and(|items| {
                items.iter().all(|item| {
                    item.as_object().is_some_and(|id| {
                        id.len() == 3
                            && id.get("identifiant").is_some_and(Value::is_string)
                            && id.get("origine").is_some_and(Value::is_string)
                            && id
                                .get("qualite")
                                .and_then(Value::as_u64)
                                .is_some_and(|q| q <= u64::from(u8::MAX))
                    })
                })
            }),
        }
    }

    /// What a value of this kind is, in an error message.
    pub fn describe(self) -> String {
        match self {
            Self::Text => "a string".into(),
            Self::Bool => "true or false".into(),
            Self::OneOf(values) => format!("one of {values:?}"),
            Self::Texts => "an array of strings".into(),
            Self::Object => "an object".into(),
            Self::OtherIds => "an array of {\"identifiant\": string, \"origine\": string, \"qualite\": 0 to 255} objects (PSC's otherIds)".into(),
        }
    }
}

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
    /// and the userinfo answer; see [`check_claims`] for those refused.
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
    pub fn validate_shape(&self) -> Result<(), OutcomeError> {
        if self.after_ms > MAX_AFTER_MS {
            return Err(OutcomeError::TooLate(self.after_ms));
        }
        if self.action != Action::Approve && (self.as_id_nat.is_some() || self.claims.is_some()) {
            return Err(OutcomeError::NotAnApproval(self.action));
        }
        match &self.claims {
            Some(claims) => Ok(check_claims(claims)?),
            None => Ok(()),
        }
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
