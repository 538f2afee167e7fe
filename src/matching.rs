//! Which requests a scenario or a fault applies to.
//!
//! A [`Matcher`] names up to four facts of a request (`login_hint`,
//! `client_id`, `channel`, `binding_message`); each is either an exact
//! string or `{"regex": "…"}`. Every fact named must match; an empty
//! matcher matches everything. A fact the request does not carry (no
//! `binding_message`, say) does not match a pattern that names it.
//!
//! Faults are matched before the client is authenticated, so what a
//! regex may cost is bounded: each compiles to at most
//! [`MAX_REGEX_BYTES`], all of them together (scenarios and faults) to
//! [`PatternBudget`]'s total, and a regex only looks at facts of at most
//! [`MAX_REGEX_FACT`] bytes (docs/control.md, "Patterns").

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use regex_automata::meta::{self, Regex};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// Longest pattern accepted, exact or regex.
const MAX_PATTERN: usize = 1024;

/// Largest compiled regex, in bytes of memory.
pub const MAX_REGEX_BYTES: usize = 256 * 1024;

/// Longest fact a regex looks at: a longer one matches no regex (exact
/// patterns still compare it whole). Login hints, client ids and channels
/// are far shorter; so are binding messages meant for a phone's screen.
/// Beyond this length the worst regexes within [`MAX_REGEX_BYTES`] cost
/// milliseconds per fact, against a tenth of one up to it.
pub const MAX_REGEX_FACT: usize = 128;

/// A string to compare with: exactly, or by regular expression (the
/// `regex` crate's syntax, unanchored unless the pattern says `^…$`).
#[derive(Clone)]
pub enum Pattern {
    Exact(String),
    Regex(Compiled),
}

/// A compiled regex, its source and what it weighs.
#[derive(Clone)]
pub struct Compiled {
    source: String,
    regex: Regex,
    bytes: usize,
}

/// Why a regex was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    #[error("the pattern is longer than {MAX_PATTERN} bytes")]
    TooLong,
    #[error("invalid regex {regex:?}: it compiles to more than {limit} bytes")]
    TooBig { regex: String, limit: usize },
    #[error("invalid regex {regex:?}: {why}")]
    Syntax { regex: String, why: String },
}

impl Compiled {
    fn new(source: &str) -> Result<Self, PatternError> {
        let config = meta::Config::new()
            .nfa_size_limit(Some(MAX_REGEX_BYTES))
            .hybrid_cache_capacity(MAX_REGEX_BYTES);
        let regex = Regex::builder()
            .configure(config)
            .build(source)
            .map_err(|e| match e.size_limit() {
                Some(limit) => PatternError::TooBig {
                    regex: source.to_owned(),
                    limit,
                },
                None => PatternError::Syntax {
                    regex: source.to_owned(),
                    why: e.to_string(),
                },
            })?;
        let bytes = regex.memory_usage().max(source.len());
        Ok(Self {
            source: source.to_owned(),
            regex,
            bytes,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.source
    }
}

impl Pattern {
    pub fn matches(&self, value: &str) -> bool {
        match self {
            Self::Exact(s) => s == value,
            Self::Regex(r) => value.len() <= MAX_REGEX_FACT && r.regex.is_match(value),
        }
    }

    /// The memory its regex takes, if it is one (what the budget counts).
    pub fn regex_bytes(&self) -> usize {
        match self {
            Self::Exact(_) => 0,
            Self::Regex(r) => r.bytes,
        }
    }

    /// The exact value, if this pattern is one.
    pub fn exact(&self) -> Option<&str> {
        match self {
            Self::Exact(s) => Some(s),
            Self::Regex(_) => None,
        }
    }
}

impl fmt::Debug for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Exact(s) => write!(f, "{s:?}"),
            Self::Regex(r) => write!(f, "regex {:?}", r.as_str()),
        }
    }
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Exact(a), Self::Exact(b)) => a == b,
            (Self::Regex(a), Self::Regex(b)) => a.as_str() == b.as_str(),
            _ => false,
        }
    }
}

impl Serialize for Pattern {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Exact(s) => serializer.serialize_str(s),
            Self::Regex(r) => serde_json::json!({ "regex": r.as_str() }).serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for Pattern {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        const EXPECTED: &str = "a string (exact match) or {\"regex\": \"…\"}";
        let value = Value::deserialize(deserializer)?;
        let text = match &value {
            Value::String(s) => s,
            Value::Object(map) if map.len() == 1 => match map.get("regex") {
                Some(Value::String(s)) => s,
                _ => return Err(D::Error::custom(format!("expected {EXPECTED}"))),
            },
            _ => return Err(D::Error::custom(format!("expected {EXPECTED}"))),
        };
        if text.len() > MAX_PATTERN {
            return Err(D::Error::custom(PatternError::TooLong));
        }
        if value.is_string() {
            return Ok(Self::Exact(text.clone()));
        }
        // Small compiled sizes: a short pattern like `\w{400}` would
        // otherwise take megabytes.
        Compiled::new(text)
            .map(Self::Regex)
            .map_err(D::Error::custom)
    }
}

/// The memory all compiled regexes may take together, scenarios and faults
/// alike: shared by their registries, reserved when one is added and given
/// back when it goes.
#[derive(Debug, Clone)]
pub struct PatternBudget {
    used: Arc<AtomicUsize>,
    max: usize,
}

impl PatternBudget {
    /// The default total, 2 MiB: eight of the largest regexes, or hundreds
    /// of usual ones (`^app-` takes 2 KiB, `^\d{11}$` 57 KiB).
    pub const DEFAULT: usize = 8 * MAX_REGEX_BYTES;

    pub fn new(max: usize) -> Self {
        Self {
            used: Arc::new(AtomicUsize::new(0)),
            max,
        }
    }

    pub fn max(&self) -> usize {
        self.max
    }

    /// Takes `bytes` if they fit once `freeing` (held by what they replace)
    /// is given back; false, and nothing taken, otherwise.
    pub fn try_reserve(&self, bytes: usize, freeing: usize) -> bool {
        self.used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                let after = used.saturating_sub(freeing).saturating_add(bytes);
                (after <= self.max).then_some(used + bytes)
            })
            .is_ok()
    }

    /// Takes `bytes` whatever the total (an item given back, the start-up
    /// set, which was checked when it was loaded).
    pub fn force(&self, bytes: usize) {
        self.used.fetch_add(bytes, Ordering::AcqRel);
    }

    pub fn release(&self, bytes: usize) {
        let _ = self
            .used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                Some(used.saturating_sub(bytes))
            });
    }

    pub fn used(&self) -> usize {
        self.used.load(Ordering::Acquire)
    }
}

impl Default for PatternBudget {
    fn default() -> Self {
        Self::new(Self::DEFAULT)
    }
}

/// The facts of a request that matchers look at.
#[derive(Debug, Clone, Copy, Default)]
pub struct Facts<'a> {
    pub client_id: Option<&'a str>,
    pub login_hint: Option<&'a str>,
    pub channel: Option<&'a str>,
    pub binding_message: Option<&'a str>,
}

/// The API's description of a pattern, written by hand as its serde
/// implementation is: an exact string or `{"regex": …}`.
impl utoipa::PartialSchema for Pattern {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
        let exact = ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some("the exact value"));
        let regex = ObjectBuilder::new()
            .schema_type(Type::Object)
            .property("regex", ObjectBuilder::new().schema_type(Type::String))
            .required("regex")
            .additional_properties(Some(
                utoipa::openapi::schema::AdditionalProperties::FreeForm(false),
            ))
            .description(Some(
                "a regular expression (the regex crate's syntax, unanchored)",
            ));
        OneOfBuilder::new().item(exact).item(regex).into()
    }
}

impl utoipa::ToSchema for Pattern {}

/// What a scenario or fault applies to; every field named must match.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Matcher {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub login_hint: Option<Pattern>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<Pattern>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<Pattern>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub binding_message: Option<Pattern>,
}

impl Matcher {
    /// Matches one professional exactly.
    pub fn login_hint(login_hint: &str) -> Self {
        Self {
            login_hint: Some(Pattern::Exact(login_hint.to_owned())),
            ..Self::default()
        }
    }

    /// The memory its regexes take.
    pub fn regex_bytes(&self) -> usize {
        [
            &self.login_hint,
            &self.client_id,
            &self.channel,
            &self.binding_message,
        ]
        .into_iter()
        .flatten()
        .map(Pattern::regex_bytes)
        .sum()
    }

    pub fn matches(&self, facts: &Facts<'_>) -> bool {
        fn one(pattern: &Option<Pattern>, fact: Option<&str>) -> bool {
            match pattern {
                None => true,
                Some(p) => fact.is_some_and(|v| p.matches(v)),
            }
        }
        one(&self.login_hint, facts.login_hint)
            && one(&self.client_id, facts.client_id)
            && one(&self.channel, facts.channel)
            && one(&self.binding_message, facts.binding_message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matcher(json: &str) -> Result<Matcher, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn exact_and_regex_patterns_match_what_they_say() {
        let m =
            matcher(r#"{"login_hint": "899700245667", "client_id": {"regex": "^app-"}}"#).unwrap();
        let facts = Facts {
            login_hint: Some("899700245667"),
            client_id: Some("app-1"),
            ..Facts::default()
        };
        assert!(m.matches(&facts));
        assert!(!m.matches(&Facts {
            client_id: Some("other"),
            ..facts
        }));
        assert!(!m.matches(&Facts {
            login_hint: Some("8997002456670"),
            ..facts
        }));
    }

    #[test]
    fn regexes_look_at_short_facts_only_and_weigh_what_they_compile_to() {
        let m = matcher(r#"{"binding_message": {"regex": "^a+$"}}"#).unwrap();
        let long = "a".repeat(MAX_REGEX_FACT + 1);
        let short = &long[..MAX_REGEX_FACT];
        let facts = |msg| Facts {
            binding_message: Some(msg),
            ..Facts::default()
        };
        assert!(m.matches(&facts(short)));
        assert!(!m.matches(&facts(&long)));
        let exact = matcher(&format!(r#"{{"binding_message": "{long}"}}"#)).unwrap();
        assert!(exact.matches(&facts(&long)), "exact values compare whole");
        assert_eq!(exact.regex_bytes(), 0);

        let light = matcher(r#"{"client_id": {"regex": "^app-"}}"#).unwrap();
        let heavy = matcher(r#"{"client_id": {"regex": "^\\d{11}$"}}"#).unwrap();
        assert!(light.regex_bytes() > 0);
        assert!(heavy.regex_bytes() > 10 * light.regex_bytes());
        assert!(heavy.regex_bytes() <= MAX_REGEX_BYTES);
        let e = matcher(r#"{"channel": {"regex": "(?-u:[a-z]{1,800}){3}"}}"#).unwrap_err();
        assert!(e.contains("compiles to more than 262144 bytes"), "{e}");
    }

    #[test]
    fn a_missing_fact_does_not_match_a_named_pattern() {
        let m = matcher(r#"{"binding_message": {"regex": ".*"}}"#).unwrap();
        assert!(!m.matches(&Facts::default()));
        assert!(Matcher::default().matches(&Facts::default()));
    }

    #[test]
    fn bad_patterns_are_named() {
        let e = matcher(r#"{"channel": {"regex": "("}}"#).unwrap_err();
        assert!(e.contains("invalid regex \"(\""), "{e}");
        let e = matcher(r#"{"channel": 3}"#).unwrap_err();
        assert!(e.contains("a string (exact match)"), "{e}");
        let e = matcher(r#"{"chanel": "CARD"}"#).unwrap_err();
        assert!(e.contains("unknown field `chanel`"), "{e}");
    }

    #[test]
    fn patterns_serialize_back_to_their_input() {
        let json = r#"{"login_hint":"x","channel":{"regex":"^CARD$"}}"#;
        assert_eq!(
            serde_json::to_string(&matcher(json).unwrap()).unwrap(),
            json
        );
    }
}
