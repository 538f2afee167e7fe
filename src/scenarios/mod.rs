//! Scenarios: what the professional does with the requests that reach their
//! phone or card, scripted.
//!
//! A [`Scenario`] matches requests (see [`matching`]) and either plays a list
//! of `steps`, one per matching request, in order (and is gone once they
//! are used), or applies `always` to every matching request. Each step is
//! an [`Outcome`]: approve (optionally as another professional, or with
//! claims added to the tokens), deny, expire or never answer, after a
//! delay.
//!
//! A request takes the outcome of the newest matching scenario; failing
//! that, the professional's own default from the fixtures (one who always
//! refuses, say); failing that, the configured default (`never`, or
//! approve after N ms with `--auto-approve-after-ms`).

mod file;
pub mod matching;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::annuaire::Annuaire;
use crate::ciba::{Action, Approval};
use crate::clock::later;

pub use file::{ScriptFile, ScriptFileError};
pub use matching::{Facts, Matcher, Pattern};

/// The longest delay an outcome may ask for: a day.
pub const MAX_AFTER_MS: u64 = 86_400_000;
/// Most steps in one scenario.
const MAX_STEPS: usize = 1_000;
/// Largest `claims` object, serialized.
const MAX_CLAIMS_BYTES: usize = 8 * 1024;
/// Longest scenario id.
const MAX_ID: usize = 256;

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

    /// Checks the bounds, and that `as` names a known professional.
    pub fn validate(&self, annuaire: &Annuaire) -> Result<(), String> {
        self.validate_shape()?;
        if let Some(id_nat) = &self.as_id_nat
            && annuaire.get(id_nat).is_none()
        {
            return Err(format!(
                "as: no professional with idNat {id_nat:?} in the annuaire"
            ));
        }
        Ok(())
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

/// A scripted behaviour: which requests, and what happens to them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Given by the caller, or `scenario-N`.
    #[serde(default)]
    pub id: String,
    #[serde(rename = "match", default)]
    pub matcher: Matcher,
    /// Outcomes still to play, one per matching request.
    #[serde(default, skip_serializing_if = "VecDeque::is_empty")]
    #[schema(value_type = Vec<Outcome>)]
    pub steps: VecDeque<Outcome>,
    /// The outcome of every matching request (a sticky default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub always: Option<Outcome>,
}

impl Scenario {
    /// A professional's sticky behaviour (`PUT /mock/scenarios/{login_hint}`).
    pub fn for_professional(login_hint: &str, outcome: Outcome) -> Self {
        Self {
            id: login_hint.to_owned(),
            matcher: Matcher::login_hint(login_hint),
            steps: VecDeque::new(),
            always: Some(outcome),
        }
    }

    pub fn validate(&self, annuaire: &Annuaire) -> Result<(), String> {
        if self.id.chars().count() > MAX_ID || self.id.chars().any(char::is_control) {
            return Err(format!(
                "id must be at most {MAX_ID} characters, without control characters"
            ));
        }
        match (self.steps.is_empty(), &self.always) {
            (true, None) => {
                return Err("a scenario needs \"steps\" (a list of outcomes played in order) or \"always\" (one outcome for every matching request)".into());
            }
            (false, Some(_)) => {
                return Err("a scenario has either \"steps\" or \"always\", not both".into());
            }
            _ => {}
        }
        if self.steps.len() > MAX_STEPS {
            return Err(format!("at most {MAX_STEPS} steps"));
        }
        for (i, step) in self.steps.iter().enumerate() {
            step.validate(annuaire)
                .map_err(|e| format!("steps[{i}]: {e}"))?;
        }
        if let Some(always) = &self.always {
            always
                .validate(annuaire)
                .map_err(|e| format!("always: {e}"))?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScenarioError {
    #[error("{0}")]
    Invalid(String),
    #[error("a scenario with id {0:?} exists; DELETE it first, or choose another id")]
    Exists(String),
    #[error("too many scenarios ({0}); DELETE some or POST /mock/reset")]
    Full(usize),
}

#[derive(Debug, Default)]
struct Inner {
    /// Oldest first; the newest match wins.
    list: Vec<Scenario>,
    next_id: u64,
}

/// The scenarios in force, capped, and the default outcome.
#[derive(Debug)]
pub struct Scenarios {
    inner: Mutex<Inner>,
    default: Outcome,
    cap: usize,
}

impl Scenarios {
    pub fn new(default: Outcome, cap: usize) -> Self {
        Self {
            inner: Mutex::new(Inner::default()),
            default,
            cap,
        }
    }

    /// The lock; a panic elsewhere cannot leave the list half-written
    /// (every change is one `Vec` operation), so a poisoned lock is used as is.
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds a validated scenario; `replace` lets it take the place of one
    /// with the same id.
    pub fn add(&self, mut scenario: Scenario, replace: bool) -> Result<Scenario, ScenarioError> {
        let mut inner = self.lock();
        if scenario.id.is_empty() {
            inner.next_id += 1;
            scenario.id = format!("scenario-{}", inner.next_id);
        }
        if let Some(i) = inner.list.iter().position(|s| s.id == scenario.id) {
            if !replace {
                return Err(ScenarioError::Exists(scenario.id));
            }
            inner.list.remove(i);
        }
        if inner.list.len() >= self.cap {
            return Err(ScenarioError::Full(self.cap));
        }
        inner.list.push(scenario.clone());
        Ok(scenario)
    }

    /// The outcome for a new request: the newest matching scenario (whose
    /// next step is used up), else `own` (the professional's default from
    /// the fixtures), else the configured default.
    pub fn outcome(&self, facts: &Facts<'_>, own: Option<&Outcome>) -> Outcome {
        self.next(facts)
            .or_else(|| own.cloned())
            .unwrap_or_else(|| self.default.clone())
    }

    /// The outcome of the newest matching scenario, if any.
    fn next(&self, facts: &Facts<'_>) -> Option<Outcome> {
        let mut inner = self.lock();
        let i = inner.list.iter().rposition(|s| s.matcher.matches(facts))?;
        let scenario = &mut inner.list[i];
        if let Some(always) = &scenario.always {
            return Some(always.clone());
        }
        let step = scenario.steps.pop_front();
        if scenario.steps.is_empty() {
            inner.list.remove(i);
        }
        step
    }

    pub fn get(&self, id: &str) -> Option<Scenario> {
        self.lock().list.iter().find(|s| s.id == id).cloned()
    }

    pub fn remove(&self, id: &str) -> Option<Scenario> {
        let mut inner = self.lock();
        let i = inner.list.iter().position(|s| s.id == id)?;
        Some(inner.list.remove(i))
    }

    /// Every scenario, oldest first.
    pub fn list(&self) -> Vec<Scenario> {
        self.lock().list.clone()
    }

    pub fn default_outcome(&self) -> &Outcome {
        &self.default
    }

    /// Replaces every scenario by `scenarios` (reset to the start-up set).
    pub fn replace_all(&self, scenarios: Vec<Scenario>) {
        let mut inner = self.lock();
        inner.list = scenarios;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn annuaire() -> Annuaire {
        Annuaire::load(None).unwrap()
    }

    fn scenario(json: &str) -> Scenario {
        let s: Scenario = serde_json::from_str(json).unwrap();
        s.validate(&annuaire()).unwrap();
        s
    }

    fn hint(login_hint: &str) -> Facts<'_> {
        Facts {
            login_hint: Some(login_hint),
            client_id: Some("app"),
            ..Facts::default()
        }
    }

    #[test]
    fn steps_play_in_order_then_the_default_comes_back() {
        let s = Scenarios::new(Outcome::new(Action::Never, 0), 10);
        s.add(
            scenario(r#"{"match": {"login_hint": "a"}, "steps": [{"action": "deny"}, {"action": "approve", "after_ms": 5}]}"#),
            false,
        )
        .unwrap();
        assert_eq!(s.outcome(&hint("b"), None).action, Action::Never);
        assert_eq!(s.outcome(&hint("a"), None).action, Action::Deny);
        assert_eq!(
            s.outcome(&hint("a"), None),
            Outcome::new(Action::Approve, 5)
        );
        assert_eq!(s.outcome(&hint("a"), None).action, Action::Never);
        assert!(s.list().is_empty(), "a used-up scenario is gone");
    }

    #[test]
    fn the_newest_match_wins_and_always_is_sticky() {
        let s = Scenarios::new(Outcome::new(Action::Never, 0), 10);
        s.add(scenario(r#"{"always": {"action": "approve"}}"#), false)
            .unwrap();
        s.add(
            scenario(r#"{"match": {"client_id": {"regex": "^ap"}}, "always": {"action": "deny"}}"#),
            false,
        )
        .unwrap();
        for _ in 0..3 {
            assert_eq!(s.outcome(&hint("a"), None).action, Action::Deny);
        }
        let other = Facts {
            client_id: Some("zz"),
            ..Facts::default()
        };
        assert_eq!(s.outcome(&other, None).action, Action::Approve);
    }

    #[test]
    fn the_professionals_own_default_comes_before_the_global_one() {
        let s = Scenarios::new(Outcome::new(Action::Approve, 0), 10);
        let own = Outcome::new(Action::Deny, 0);
        assert_eq!(s.outcome(&hint("a"), Some(&own)).action, Action::Deny);
        s.add(
            Scenario::for_professional("a", Outcome::new(Action::Expire, 0)),
            true,
        )
        .unwrap();
        assert_eq!(s.outcome(&hint("a"), Some(&own)).action, Action::Expire);
    }

    #[test]
    fn ids_are_unique_and_the_cap_holds() {
        let s = Scenarios::new(Outcome::new(Action::Never, 0), 2);
        let a = s
            .add(scenario(r#"{"always": {"action": "deny"}}"#), false)
            .unwrap();
        assert_eq!(a.id, "scenario-1");
        let dup = scenario(r#"{"id": "scenario-1", "always": {"action": "deny"}}"#);
        assert_eq!(
            s.add(dup.clone(), false),
            Err(ScenarioError::Exists("scenario-1".into()))
        );
        s.add(dup, true).unwrap();
        s.add(scenario(r#"{"always": {"action": "deny"}}"#), false)
            .unwrap();
        assert_eq!(
            s.add(scenario(r#"{"always": {"action": "deny"}}"#), false),
            Err(ScenarioError::Full(2))
        );
        assert!(s.remove("scenario-1").is_some());
        assert!(s.remove("scenario-1").is_none());
    }

    #[test]
    fn invalid_scenarios_say_why() {
        let check = |json: &str| {
            let s: Scenario = serde_json::from_str(json).unwrap();
            s.validate(&annuaire()).unwrap_err()
        };
        assert!(check(r#"{}"#).contains("needs \"steps\""));
        assert!(
            check(r#"{"steps": [{"action": "deny"}], "always": {"action": "deny"}}"#)
                .contains("not both")
        );
        assert!(
            check(r#"{"always": {"action": "deny", "as": "899700245667"}}"#)
                .contains("go with \"approve\"")
        );
        assert!(
            check(r#"{"steps": [{"action": "approve", "as": "0"}]}"#)
                .starts_with("steps[0]: as: no professional with idNat \"0\"")
        );
        assert!(
            check(r#"{"always": {"action": "approve", "after_ms": 86400001}}"#)
                .contains("more than a day")
        );
    }

    #[test]
    fn never_schedules_nothing() {
        let now = SystemTime::UNIX_EPOCH;
        assert_eq!(Outcome::new(Action::Never, 5).schedule(now), None);
        assert_eq!(
            Outcome::new(Action::Approve, 5).schedule(now),
            Some((Action::Approve, now + Duration::from_millis(5)))
        );
    }
}
