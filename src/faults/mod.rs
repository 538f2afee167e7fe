//! Fault injection: PSC being slow, down, or handing out bad tokens.
//!
//! A [`Fault`] names an endpoint (or `*`), a [`Matcher`] over the request,
//! and what goes wrong ([`FaultKind`]): latency, an error answer, a dropped
//! connection, `slow_down` on a poll, or tokens signed with an unknown key,
//! a bad signature or already expired. It applies to every matching
//! request, to the next `count` of them, or to a `share` of them. The
//! newest matching fault that fires wins; one fault per request.
//!
//! The request journal's middleware ([`crate::journal`]) picks the fault;
//! token faults are applied to the token endpoint's answer by [`tamper`].

mod tamper;

use crate::registry::{Entries, Item, Registry, RegistryError};

use actix_web::http::StatusCode;
use serde::{Deserialize, Serialize};

use crate::endpoint::Endpoint;
use crate::keys::random_fraction;
use crate::matching::{Facts, Matcher, PatternBudget};

pub use tamper::tamper;

/// Longest injected latency: a minute.
pub const MAX_LATENCY_MS: u64 = 60_000;
/// Longest injected `error` code or description.
const MAX_TEXT: usize = 512;

/// What goes wrong.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum FaultKind {
    /// The answer comes `ms` later (or a random time from `ms` to `max_ms`).
    Latency {
        ms: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_ms: Option<u64>,
    },
    /// An error answer instead of the real one. `error` defaults from the
    /// status: 503 `temporarily_unavailable`, other 5xx `server_error`,
    /// 4xx `invalid_request`; `status` defaults to 400, or 503 for
    /// `temporarily_unavailable` and 500 for `server_error`.
    Error {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<u16>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error_description: Option<String>,
    },
    /// The connection is closed without an answer.
    Drop,
    /// The poll is answered `slow_down` (token endpoint).
    SlowDown,
    /// Tokens signed with a key absent from the JWKS, under its own `kid`.
    UnknownKey,
    /// Tokens whose signature does not verify under the advertised `kid`.
    BadSignature,
    /// Tokens that expired a minute ago.
    ExpiredToken,
}

impl FaultKind {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Latency { .. } => "latency",
            Self::Error { .. } => "error",
            Self::Drop => "drop",
            Self::SlowDown => "slow_down",
            Self::UnknownKey => "unknown_key",
            Self::BadSignature => "bad_signature",
            Self::ExpiredToken => "expired_token",
        }
    }

    fn affects_tokens(&self) -> bool {
        matches!(self, Self::SlowDown) || self.signs_tokens()
    }

    /// A fault applied to the tokens of a successful answer, which counts
    /// only once it has been applied (see [`Faults::commit`]).
    pub fn signs_tokens(&self) -> bool {
        matches!(
            self,
            Self::UnknownKey | Self::BadSignature | Self::ExpiredToken
        )
    }

    /// The status and OAuth error of an `error` fault, defaults applied.
    pub fn answer(&self) -> Option<(StatusCode, String, String)> {
        let Self::Error {
            status,
            error,
            error_description,
        } = self
        else {
            return None;
        };
        let status = match (status, error.as_deref()) {
            (Some(s), _) => *s,
            (None, Some("temporarily_unavailable")) => 503,
            (None, Some("server_error")) => 500,
            (None, _) => 400,
        };
        let error = error.clone().unwrap_or_else(|| {
            match status {
                503 => "temporarily_unavailable",
                500..=599 => "server_error",
                _ => "invalid_request",
            }
            .to_owned()
        });
        let description = error_description
            .clone()
            .unwrap_or_else(|| format!("injected fault: {error} ({status})"));
        Some((
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            error,
            description,
        ))
    }

    /// The delay of a `latency` fault, drawn now.
    pub fn latency_ms(&self) -> Option<u64> {
        let Self::Latency { ms, max_ms } = self else {
            return None;
        };
        Some(match max_ms {
            Some(max) if max > ms => ms + ((max - ms + 1) as f64 * random_fraction()) as u64,
            _ => *ms,
        })
    }
}

/// Left in a request's extensions by the token endpoint once it applied a
/// token fault, so that the journal records it.
#[derive(Debug, Clone, Copy)]
pub struct Applied;

/// One injected fault and when it applies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    /// Given by the caller, or `fault-N`.
    #[serde(default)]
    pub id: String,
    /// Which endpoint (`token`, `bc_authorize`, …), or `*` for any.
    #[serde(default = "any")]
    pub endpoint: Endpoint,
    #[serde(rename = "match", default)]
    pub matcher: Matcher,
    pub fault: FaultKind,
    /// How many more matching requests it applies to (absent: all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// The probability it applies to a matching request (absent: 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share: Option<f64>,
}

fn any() -> Endpoint {
    Endpoint::Any
}

impl Fault {
    pub fn validate(&self) -> Result<(), FaultInvalid> {
        use FaultInvalid as E;
        if self.id.chars().count() > 256 || self.id.chars().any(char::is_control) {
            return Err(E::Id);
        }
        if self.fault.affects_tokens() && self.endpoint != Endpoint::Token {
            return Err(E::NotToken(self.fault.name()));
        }
        match &self.fault {
            FaultKind::Latency { ms, max_ms } => {
                let longest = max_ms.unwrap_or(*ms).max(*ms);
                if longest > MAX_LATENCY_MS {
                    return Err(E::TooSlow(longest));
                }
                if max_ms.is_some_and(|max| max < *ms) {
                    return Err(E::MaxBelowMin);
                }
            }
            FaultKind::Error {
                status,
                error,
                error_description,
            } => {
                if let Some(status) = status
                    && !(400..=599).contains(status)
                {
                    return Err(E::Status(*status));
                }
                // RFC 6749 §5.2: error and description are %x20-21 / %x23-5B / %x5D-7E.
                for (name, text) in [("error", error), ("error_description", error_description)] {
                    if let Some(text) = text
                        && (text.len() > MAX_TEXT
                            || text.is_empty()
                            || !text
                                .bytes()
                                .all(|b| (0x20..=0x7e).contains(&b) && b != b'"' && b != b'\\'))
                    {
                        return Err(E::Text(name));
                    }
                }
            }
            _ => {}
        }
        if self.count == Some(0) {
            return Err(E::Count);
        }
        if let Some(share) = self.share
            && !(share > 0.0 && share <= 1.0)
        {
            return Err(E::Share(share));
        }
        Ok(())
    }

    fn applies_to(&self, endpoint: Endpoint, facts: &Facts<'_>) -> bool {
        (self.endpoint == Endpoint::Any || self.endpoint == endpoint) && self.matcher.matches(facts)
    }
}

/// Why a fault was refused; the text names the value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FaultInvalid {
    #[error("id must be at most 256 characters, without control characters")]
    Id,
    #[error("a {0:?} fault acts on the token endpoint's answer: set \"endpoint\": \"token\"")]
    NotToken(&'static str),
    #[error(
        "latency of {0} ms is more than a minute ({MAX_LATENCY_MS}); use \"drop\" for an endpoint that never answers"
    )]
    TooSlow(u64),
    #[error("max_ms is smaller than ms")]
    MaxBelowMin,
    #[error("status {0} is not an error (400 to 599)")]
    Status(u16),
    #[error(
        "{0} must be 1 to {MAX_TEXT} printable ASCII characters, without '\"' or '\\\\' (RFC 6749 §5.2)"
    )]
    Text(&'static str),
    #[error("count must be at least 1 (omit it for every request)")]
    Count,
    #[error("share {0} must be in (0, 1]")]
    Share(f64),
}

/// Why a fault was not added (the registry's rules).
pub type FaultError = RegistryError;

impl Item for Fault {
    const PREFIX: &'static str = "fault";
    const NOUN: &'static str = "fault";

    fn id(&self) -> &str {
        &self.id
    }

    fn set_id(&mut self, id: String) {
        self.id = id;
    }

    /// Faults are capped in number only.
    fn weight(&self) -> usize {
        0
    }

    fn regex_bytes(&self) -> usize {
        self.matcher.regex_bytes()
    }
}

/// One use of fault `i`: its count goes down, and it goes at zero.
fn use_once(entries: &mut Entries<Fault>, i: usize) {
    match &mut entries.list[i].count {
        Some(n) if *n <= 1 => {
            entries.remove(i);
        }
        Some(n) => *n -= 1,
        None => {}
    }
}

/// The faults in force, capped.
#[derive(Debug)]
pub struct Faults {
    registry: Registry<Fault>,
    /// The key token faults sign with, made when the first is set.
    rogue: tamper::RogueKey,
}

impl Faults {
    /// At most `cap` faults, their regexes within `budget`.
    pub fn new(cap: usize, budget: PatternBudget) -> Self {
        Self {
            registry: Registry::new(cap, usize::MAX, budget),
            rogue: tamper::RogueKey::default(),
        }
    }

    /// The key token faults sign with (absent from every JWKS).
    pub fn rogue_key(&self) -> &tamper::RogueKey {
        &self.rogue
    }

    /// Adds a validated fault.
    pub fn add(&self, fault: Fault) -> Result<Fault, FaultError> {
        let fault = self.registry.add(fault, false)?;
        if fault.fault.signs_tokens() {
            self.rogue.warm_up();
        }
        Ok(fault)
    }

    /// The fault for this request, if one fires: the newest that matches
    /// and wins its `share` draw. Its `count` is used up by one, except for
    /// token faults, which [`commit`](Self::commit) once the tokens are out
    /// (a poll answered `authorization_pending` uses up nothing).
    pub fn pick(&self, endpoint: Endpoint, facts: &Facts<'_>) -> Option<Fault> {
        let mut entries = self.registry.lock();
        if entries.list.is_empty() {
            return None;
        }
        let i = (0..entries.list.len()).rev().find(|&i| {
            let f = &entries.list[i];
            f.applies_to(endpoint, facts) && f.share.is_none_or(|p| random_fraction() < p)
        })?;
        let fired = entries.list[i].clone();
        if !fired.fault.signs_tokens() {
            use_once(&mut entries, i);
        }
        Some(fired)
    }

    /// A token fault was applied: its `count` is used up by one.
    pub fn commit(&self, id: &str) {
        let mut entries = self.registry.lock();
        if let Some(i) = entries.position(id) {
            use_once(&mut entries, i);
        }
    }

    pub fn get(&self, id: &str) -> Option<Fault> {
        self.registry.get(id)
    }

    pub fn remove(&self, id: &str) -> Option<Fault> {
        self.registry.remove(id)
    }

    pub fn is_empty(&self) -> bool {
        self.registry.is_empty()
    }

    /// Every fault, oldest first.
    pub fn list(&self) -> Vec<Fault> {
        self.registry.list()
    }

    /// Replaces every fault by `faults`; those without an id get one.
    pub fn replace_all(&self, faults: Vec<Fault>) {
        if faults.iter().any(|f| f.fault.signs_tokens()) {
            self.rogue.warm_up();
        }
        self.registry.replace_all(faults);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fault(json: &str) -> Fault {
        let f: Fault = serde_json::from_str(json).unwrap();
        f.validate().unwrap();
        f
    }

    fn facts(client_id: &str) -> Facts<'_> {
        Facts {
            client_id: Some(client_id),
            ..Facts::default()
        }
    }

    #[test]
    fn a_counted_fault_fires_that_many_times() {
        let faults = Faults::new(10, PatternBudget::default());
        faults
            .add(fault(
                r#"{"endpoint": "token", "fault": {"type": "error", "status": 503}, "count": 2}"#,
            ))
            .unwrap();
        assert!(faults.pick(Endpoint::Userinfo, &facts("a")).is_none());
        assert!(faults.pick(Endpoint::Token, &facts("a")).is_some());
        assert!(faults.pick(Endpoint::Token, &facts("a")).is_some());
        assert!(faults.pick(Endpoint::Token, &facts("a")).is_none());
        assert!(faults.list().is_empty());
    }

    #[test]
    fn matchers_and_the_newest_fault_decide() {
        let faults = Faults::new(10, PatternBudget::default());
        faults.add(fault(r#"{"fault": {"type": "drop"}}"#)).unwrap();
        faults
            .add(fault(
                r#"{"match": {"client_id": "b"}, "fault": {"type": "latency", "ms": 5}}"#,
            ))
            .unwrap();
        let pick = |c| {
            faults
                .pick(Endpoint::Jwks, &facts(c))
                .map(|f| f.fault.name())
        };
        assert_eq!(pick("a"), Some("drop"));
        assert_eq!(pick("b"), Some("latency"));
    }

    #[test]
    fn a_share_fires_about_that_often() {
        let faults = Faults::new(10, PatternBudget::default());
        faults
            .add(fault(r#"{"fault": {"type": "drop"}, "share": 0.25}"#))
            .unwrap();
        let fired = (0..4000)
            .filter(|_| faults.pick(Endpoint::Token, &facts("a")).is_some())
            .count();
        // 4000 draws at p = 0.25: mean 1000, standard deviation ~27.
        assert!((850..1150).contains(&fired), "{fired}");
    }

    #[test]
    fn error_answers_take_defaults_from_each_other() {
        let answer = |json: &str| {
            let (status, error, _) = fault(json).fault.answer().unwrap();
            (status.as_u16(), error)
        };
        assert_eq!(
            answer(r#"{"fault": {"type": "error", "status": 503}}"#),
            (503, "temporarily_unavailable".into())
        );
        assert_eq!(
            answer(r#"{"fault": {"type": "error", "status": 502}}"#),
            (502, "server_error".into())
        );
        assert_eq!(
            answer(r#"{"fault": {"type": "error", "error": "server_error"}}"#),
            (500, "server_error".into())
        );
        assert_eq!(
            answer(r#"{"fault": {"type": "error", "error": "invalid_client", "status": 401}}"#),
            (401, "invalid_client".into())
        );
    }

    #[test]
    fn invalid_faults_say_why() {
        let check = |json: &str| match serde_json::from_str::<Fault>(json) {
            Ok(f) => f.validate().unwrap_err().to_string(),
            Err(e) => e.to_string(),
        };
        assert!(
            check(r#"{"fault": {"type": "expired_token"}}"#).contains("\"endpoint\": \"token\"")
        );
        assert!(
            check(r#"{"fault": {"type": "latency", "ms": 60001}}"#).contains("more than a minute")
        );
        assert!(check(r#"{"fault": {"type": "error", "status": 302}}"#).contains("not an error"));
        assert!(check(r#"{"fault": {"type": "error", "error": "a\"b"}}"#).contains("RFC 6749"));
        assert!(check(r#"{"fault": {"type": "drop"}, "share": 1.5}"#).contains("(0, 1]"));
        assert!(check(r#"{"fault": {"type": "drop"}, "count": 0}"#).contains("at least 1"));
        assert!(check(r#"{"fault": {"type": "boom"}}"#).contains("unknown variant `boom`"));
        assert!(
            check(r#"{"endpoint": "tokens", "fault": {"type": "drop"}}"#)
                .contains("unknown variant `tokens`")
        );
    }

    #[test]
    fn random_latency_stays_in_its_range() {
        let kind = FaultKind::Latency {
            ms: 10,
            max_ms: Some(20),
        };
        for _ in 0..1000 {
            let ms = kind.latency_ms().unwrap();
            assert!((10..=20).contains(&ms), "{ms}");
        }
    }
}
