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

use crate::registry::{Item, Registry, RegistryError};
use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::annuaire::Annuaire;

pub use crate::matching::{Facts, Matcher, Pattern, PatternBudget};
pub use crate::outcome::{MAX_AFTER_MS, Outcome, OutcomeError};

pub use file::{ScriptFile, ScriptFileError, at_path};

/// Most steps in one scenario.
const MAX_STEPS: usize = 1_000;
/// Longest scenario id.
const MAX_ID: usize = 256;
/// Most JSON, in bytes, that all scenarios may hold together: with the count
/// cap, this keeps their memory bounded whatever their claims.
const MAX_TOTAL_BYTES: usize = 4 * 1024 * 1024;

impl Outcome {
    /// Checks the bounds, and that `as` names a known professional.
    pub fn validate(&self, annuaire: &Annuaire) -> Result<(), OutcomeError> {
        self.validate_shape()?;
        if let Some(id_nat) = &self.as_id_nat
            && annuaire.get(id_nat).is_none()
        {
            return Err(OutcomeError::UnknownProfessional(id_nat.clone()));
        }
        Ok(())
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
    /// Its size as JSON when added, counted against the store's budget.
    #[serde(skip)]
    #[schema(ignore)]
    weight: usize,
}

impl Scenario {
    /// Outcomes played one per matching request, in order.
    pub fn steps(matcher: Matcher, steps: impl IntoIterator<Item = Outcome>) -> Self {
        Self {
            id: String::new(),
            matcher,
            steps: steps.into_iter().collect(),
            always: None,
            weight: 0,
        }
    }

    /// One outcome for every matching request.
    pub fn always(matcher: Matcher, outcome: Outcome) -> Self {
        Self {
            id: String::new(),
            matcher,
            steps: VecDeque::new(),
            always: Some(outcome),
            weight: 0,
        }
    }

    /// A professional's sticky behaviour (`PUT /mock/scenarios/{login_hint}`).
    pub fn for_professional(login_hint: &str, outcome: Outcome) -> Self {
        Self {
            id: login_hint.to_owned(),
            matcher: Matcher::login_hint(login_hint),
            steps: VecDeque::new(),
            always: Some(outcome),
            weight: 0,
        }
    }

    pub fn validate(&self, annuaire: &Annuaire) -> Result<(), ScenarioInvalid> {
        use ScenarioInvalid as E;
        if self.id.chars().count() > MAX_ID || self.id.chars().any(char::is_control) {
            return Err(E::Id);
        }
        match (self.steps.is_empty(), &self.always) {
            (true, None) => return Err(E::NoOutcome),
            (false, Some(_)) => return Err(E::Both),
            _ => {}
        }
        if self.steps.len() > MAX_STEPS {
            return Err(E::TooManySteps);
        }
        for (i, step) in self.steps.iter().enumerate() {
            step.validate(annuaire)
                .map_err(|source| E::Step { i, source })?;
        }
        if let Some(always) = &self.always {
            always.validate(annuaire).map_err(E::Always)?;
        }
        Ok(())
    }
}

/// Why a scenario was refused; the text names the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScenarioInvalid {
    #[error("id must be at most {MAX_ID} characters, without control characters")]
    Id,
    #[error(
        "a scenario needs \"steps\" (a list of outcomes played in order) or \"always\" (one outcome for every matching request)"
    )]
    NoOutcome,
    #[error("a scenario has either \"steps\" or \"always\", not both")]
    Both,
    #[error("at most {MAX_STEPS} steps")]
    TooManySteps,
    #[error("steps[{i}]: {source}")]
    Step { i: usize, source: OutcomeError },
    #[error("always: {0}")]
    Always(OutcomeError),
}

/// A scenario's size as JSON, counted against the store's budget.
fn json_size(scenario: &Scenario) -> usize {
    serde_json::to_vec(scenario).map_or(MAX_TOTAL_BYTES, |v| v.len())
}

/// Why a scenario was not added (the registry's rules).
pub type ScenarioError = RegistryError;

impl Item for Scenario {
    const PREFIX: &'static str = "scenario";
    const NOUN: &'static str = "scenario";

    fn id(&self) -> &str {
        &self.id
    }

    fn set_id(&mut self, id: String) {
        self.id = id;
    }

    fn weight(&self) -> usize {
        self.weight
    }

    fn regex_bytes(&self) -> usize {
        self.matcher.regex_bytes()
    }
}

/// An outcome taken from the scenarios, to give back if the request it was
/// for is refused after all.
#[derive(Debug, Clone)]
pub struct Taken {
    pub outcome: Outcome,
    /// The scenario whose step it was (`steps` only).
    step_of: Option<(String, Matcher)>,
}

impl From<Outcome> for Taken {
    /// An outcome that comes from no scenario step.
    fn from(outcome: Outcome) -> Self {
        Self {
            outcome,
            step_of: None,
        }
    }
}

/// The scenarios in force, capped, and the default outcome.
#[derive(Debug)]
pub struct Scenarios {
    registry: Registry<Scenario>,
    default: Outcome,
}

impl Scenarios {
    /// At most `cap` scenarios, their regexes within `budget`.
    pub fn new(default: Outcome, cap: usize, budget: PatternBudget) -> Self {
        Self {
            registry: Registry::new(cap, MAX_TOTAL_BYTES, budget),
            default,
        }
    }

    /// Adds a validated scenario; `replace` lets it take the place of one
    /// with the same id.
    pub fn add(&self, mut scenario: Scenario, replace: bool) -> Result<Scenario, ScenarioError> {
        scenario.weight = json_size(&scenario);
        self.registry.add(scenario, replace)
    }

    /// The outcome for a new request: the newest matching scenario (whose
    /// next step is used up), else `own` (the professional's default from
    /// the fixtures), else the configured default.
    pub fn outcome(&self, facts: &Facts<'_>, own: Option<&Outcome>) -> Outcome {
        self.take(facts, own).outcome
    }

    /// Like [`outcome`](Self::outcome), with what [`give_back`](Self::give_back)
    /// needs should the request be refused after all.
    pub fn take(&self, facts: &Facts<'_>, own: Option<&Outcome>) -> Taken {
        if let Some(taken) = self.next(facts) {
            return taken;
        }
        Taken {
            outcome: own.cloned().unwrap_or_else(|| self.default.clone()),
            step_of: None,
        }
    }

    /// The outcome of the newest matching scenario, if any.
    fn next(&self, facts: &Facts<'_>) -> Option<Taken> {
        let mut inner = self.registry.lock();
        let i = inner.list.iter().rposition(|s| s.matcher.matches(facts))?;
        let scenario = &mut inner.list[i];
        if let Some(always) = &scenario.always {
            return Some(Taken {
                outcome: always.clone(),
                step_of: None,
            });
        }
        let step = scenario.steps.pop_front()?;
        let step_of = Some((scenario.id.clone(), scenario.matcher.clone()));
        if scenario.steps.is_empty() {
            inner.remove(i);
        }
        Some(Taken {
            outcome: step,
            step_of,
        })
    }

    /// Puts a step back at the head of its scenario (recreated if it was
    /// used up): the request it was taken for was refused.
    pub fn give_back(&self, taken: Taken) {
        let Some((id, matcher)) = taken.step_of else {
            return;
        };
        let mut inner = self.registry.lock();
        match inner.list.iter_mut().find(|s| s.id == id) {
            Some(scenario) => scenario.steps.push_front(taken.outcome),
            None => {
                let steps = VecDeque::from([taken.outcome]);
                inner.push(Scenario {
                    id,
                    matcher,
                    steps,
                    always: None,
                    weight: 0,
                });
            }
        }
    }

    pub fn get(&self, id: &str) -> Option<Scenario> {
        self.registry.get(id)
    }

    pub fn remove(&self, id: &str) -> Option<Scenario> {
        self.registry.remove(id)
    }

    /// Every scenario, oldest first.
    pub fn list(&self) -> Vec<Scenario> {
        self.registry.list()
    }

    pub fn default_outcome(&self) -> &Outcome {
        &self.default
    }

    /// Replaces every scenario by `scenarios` (reset to the start-up set);
    /// those without an id get one.
    pub fn replace_all(&self, scenarios: Vec<Scenario>) {
        let scenarios = scenarios
            .into_iter()
            .map(|mut s| {
                s.weight = json_size(&s);
                s
            })
            .collect();
        self.registry.replace_all(scenarios);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Action;
    use std::time::{Duration, SystemTime};

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
        let s = Scenarios::new(Outcome::new(Action::Never, 0), 10, PatternBudget::default());
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
        let s = Scenarios::new(Outcome::new(Action::Never, 0), 10, PatternBudget::default());
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
    fn scenarios_built_in_code_behave_like_posted_ones() {
        let s = Scenarios::new(Outcome::new(Action::Never, 0), 10, PatternBudget::default());
        let steps = Scenario::steps(
            Matcher::login_hint("a"),
            [
                Outcome::new(Action::Deny, 0),
                Outcome::new(Action::Approve, 0),
            ],
        );
        steps.validate(&annuaire()).unwrap();
        s.add(steps, false).unwrap();
        s.add(
            Scenario::always(Matcher::login_hint("b"), Outcome::new(Action::Expire, 0)),
            false,
        )
        .unwrap();
        assert_eq!(s.outcome(&hint("a"), None).action, Action::Deny);
        assert_eq!(s.outcome(&hint("a"), None).action, Action::Approve);
        assert_eq!(s.outcome(&hint("b"), None).action, Action::Expire);
        assert_eq!(s.outcome(&hint("b"), None).action, Action::Expire);
    }

    #[test]
    fn the_professionals_own_default_comes_before_the_global_one() {
        let s = Scenarios::new(
            Outcome::new(Action::Approve, 0),
            10,
            PatternBudget::default(),
        );
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
        let s = Scenarios::new(Outcome::new(Action::Never, 0), 2, PatternBudget::default());
        let a = s
            .add(scenario(r#"{"always": {"action": "deny"}}"#), false)
            .unwrap();
        assert_eq!(a.id, "scenario-1");
        let dup = scenario(r#"{"id": "scenario-1", "always": {"action": "deny"}}"#);
        assert_eq!(
            s.add(dup.clone(), false),
            Err(ScenarioError::Exists {
                noun: "scenario",
                id: "scenario-1".into()
            })
        );
        s.add(dup, true).unwrap();
        s.add(scenario(r#"{"always": {"action": "deny"}}"#), false)
            .unwrap();
        assert_eq!(
            s.add(scenario(r#"{"always": {"action": "deny"}}"#), false),
            Err(ScenarioError::Full {
                noun: "scenario",
                cap: 2
            })
        );
        assert!(s.remove("scenario-1").is_some());
        assert!(s.remove("scenario-1").is_none());

        // Generated ids skip those a caller chose.
        let s = Scenarios::new(Outcome::new(Action::Never, 0), 5, PatternBudget::default());
        s.add(
            scenario(r#"{"id": "scenario-1", "always": {"action": "deny"}}"#),
            false,
        )
        .unwrap();
        let next = s
            .add(scenario(r#"{"always": {"action": "deny"}}"#), false)
            .unwrap();
        assert_eq!(next.id, "scenario-2");
    }

    #[test]
    fn invalid_scenarios_say_why() {
        let check = |json: &str| {
            let s: Scenario = serde_json::from_str(json).unwrap();
            s.validate(&annuaire()).unwrap_err().to_string()
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
