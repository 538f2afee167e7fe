//! Scripted answers per professional, and the default for everyone else.
//!
//! `PUT /mock/scenarios/{login_hint}` sets what that professional does with
//! their future requests; the configured default (`pending`, or approve
//! after N ms with `--auto-approve-after-ms`) covers the others.

use std::time::{Duration, SystemTime};

use dashmap::DashMap;
use serde::{Deserialize, Serialize};

use super::Action;
use crate::clock::later;

/// An answer and its delay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub action: Action,
    #[serde(default)]
    pub after_ms: u64,
}

impl Scenario {
    /// When this answer applies to a request created at `created`; `None`
    /// for `pending` (nothing is scheduled).
    pub fn schedule(&self, created: SystemTime) -> Option<(Action, SystemTime)> {
        (self.action != Action::Pending).then(|| {
            (
                self.action,
                later(created, Duration::from_millis(self.after_ms)),
            )
        })
    }
}

/// Per-professional scenarios, capped.
#[derive(Debug)]
pub struct Scenarios {
    by_login_hint: DashMap<String, Scenario>,
    default: Scenario,
    cap: usize,
}

impl Scenarios {
    pub fn new(default: Scenario, cap: usize) -> Self {
        Self {
            by_login_hint: DashMap::new(),
            default,
            cap,
        }
    }

    /// The scenario for `login_hint`: its own, or the default.
    pub fn for_login_hint(&self, login_hint: &str) -> Scenario {
        self.by_login_hint
            .get(login_hint)
            .map_or(self.default, |s| *s)
    }

    /// Sets a professional's scenario; `false` if the cap is reached.
    pub fn set(&self, login_hint: &str, scenario: Scenario) -> bool {
        if !self.by_login_hint.contains_key(login_hint) && self.by_login_hint.len() >= self.cap {
            return false;
        }
        self.by_login_hint.insert(login_hint.to_owned(), scenario);
        true
    }

    pub fn remove(&self, login_hint: &str) -> Option<Scenario> {
        self.by_login_hint.remove(login_hint).map(|(_, s)| s)
    }

    pub fn default_scenario(&self) -> Scenario {
        self.default
    }

    /// Every per-professional scenario, by login_hint.
    pub fn list(&self) -> Vec<(String, Scenario)> {
        let mut all: Vec<_> = self
            .by_login_hint
            .iter()
            .map(|e| (e.key().clone(), *e.value()))
            .collect();
        all.sort_by(|a, b| a.0.cmp(&b.0));
        all
    }

    pub fn clear(&self) {
        self.by_login_hint.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_professional_scenario_overrides_the_default() {
        let s = Scenarios::new(
            Scenario {
                action: Action::Pending,
                after_ms: 0,
            },
            10,
        );
        assert_eq!(s.for_login_hint("x").action, Action::Pending);
        assert!(s.set(
            "x",
            Scenario {
                action: Action::Deny,
                after_ms: 50
            }
        ));
        assert_eq!(s.for_login_hint("x").action, Action::Deny);
        assert_eq!(s.for_login_hint("y").action, Action::Pending);
        s.remove("x");
        assert_eq!(s.for_login_hint("x").action, Action::Pending);
    }

    #[test]
    fn pending_schedules_nothing() {
        let now = SystemTime::UNIX_EPOCH;
        assert_eq!(
            Scenario {
                action: Action::Pending,
                after_ms: 5
            }
            .schedule(now),
            None
        );
        assert_eq!(
            Scenario {
                action: Action::Approve,
                after_ms: 5
            }
            .schedule(now),
            Some((Action::Approve, now + Duration::from_millis(5)))
        );
    }

    #[test]
    fn the_cap_holds() {
        let s = Scenarios::new(
            Scenario {
                action: Action::Pending,
                after_ms: 0,
            },
            1,
        );
        assert!(s.set(
            "a",
            Scenario {
                action: Action::Deny,
                after_ms: 0
            }
        ));
        assert!(!s.set(
            "b",
            Scenario {
                action: Action::Deny,
                after_ms: 0
            }
        ));
        assert!(s.set(
            "a",
            Scenario {
                action: Action::Approve,
                after_ms: 0
            }
        ));
    }
}
