//! Property tests of the CIBA store against a model: whatever the
//! interleaving of creations (with or without a scripted answer), polls by
//! the right or another client, answers, clock moves, purges and resets,
//! each poll gets what the model says, so no transition is lost, and an
//! `auth_req_id` yields tokens at most once.
//!
//! The interval is zero here, so that `slow_down` (tested by example in
//! `machine.rs`) does not mask the other answers.

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use proptest::prelude::*;

use super::machine::{NewRequest, PollError};
use super::store::{CibaStore, PollOutcome};
use super::{Action, Approval};
use crate::annuaire::AuthMode;
use crate::clock::later;

const EXPIRES_IN: Duration = Duration::from_secs(120);
const KEEP: Duration = Duration::from_secs(10);
/// Polls and answers go to one of the last `REQUESTS` requests created, so
/// that every request is reached, not only the first few.
const REQUESTS: usize = 4;

#[derive(Debug, Clone)]
enum Op {
    Create(Option<(Action, u64)>),
    Poll { request: usize, other_client: bool },
    Decide { request: usize, action: Action },
    Advance(u64),
    Purge,
    Clear,
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        Just(Action::Approve),
        Just(Action::Deny),
        Just(Action::Expire),
        Just(Action::Never),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => proptest::option::of((action(), 0u64..200_000)).prop_map(Op::Create),
        6 => (0..REQUESTS, proptest::bool::weighted(0.1))
            .prop_map(|(request, other_client)| Op::Poll { request, other_client }),
        3 => (0..REQUESTS, action()).prop_map(|(request, action)| Op::Decide { request, action }),
        3 => (0u64..100_000).prop_map(Op::Advance),
        1 => Just(Op::Purge),
        1 => Just(Op::Clear),
    ]
}

/// What the model knows of one request.
#[derive(Debug, Clone)]
struct Model {
    expires_at: SystemTime,
    decision: Option<(Action, SystemTime)>,
    gone: bool,
}

#[derive(Debug, PartialEq)]
enum Expected {
    Tokens,
    Refused(PollError),
    Unknown,
}

impl Model {
    fn new(now: SystemTime) -> Self {
        Self {
            expires_at: later(now, EXPIRES_IN),
            decision: None,
            gone: false,
        }
    }

    fn schedule(&mut self, action: Action, due: SystemTime) {
        if action == Action::Expire {
            self.expires_at = self.expires_at.min(due);
        }
        self.decision = Some((action, due));
    }

    /// The decision in force at `now`, if any.
    fn decided(&self, now: SystemTime) -> Option<Action> {
        self.decision
            .filter(|(_, due)| now >= *due)
            .map(|(action, _)| action)
    }

    fn pending(&self, now: SystemTime) -> bool {
        now < self.expires_at && matches!(self.decided(now), None | Some(Action::Never))
    }

    fn poll(&mut self, other_client: bool, now: SystemTime) -> Expected {
        if self.gone {
            return Expected::Unknown;
        }
        if other_client {
            return Expected::Refused(PollError::OtherClient);
        }
        if now >= self.expires_at {
            return Expected::Refused(PollError::Expired);
        }
        match self.decided(now) {
            Some(Action::Approve) => {
                self.gone = true;
                Expected::Tokens
            }
            Some(Action::Deny) => Expected::Refused(PollError::Denied),
            Some(Action::Expire) => Expected::Refused(PollError::Expired),
            None | Some(Action::Never) => Expected::Refused(PollError::Pending),
        }
    }
}

fn params() -> NewRequest {
    NewRequest {
        client_id: "app".into(),
        login_hint: "899700245667".into(),
        scope: "openid".into(),
        acr: "eidas1".into(),
        binding_message: None,
        channel: AuthMode::Mobile,
        expires_in: EXPIRES_IN,
        interval: Duration::ZERO,
    }
}

fn outcome(poll: PollOutcome) -> Expected {
    match poll {
        PollOutcome::Redeemed(_) => Expected::Tokens,
        // Answered as unknown by the token endpoint, like a purged request.
        PollOutcome::Refused(PollError::AlreadyRedeemed) | PollOutcome::Unknown => {
            Expected::Unknown
        }
        PollOutcome::Refused(refusal) => Expected::Refused(refusal),
    }
}

/// The `back`-th most recent id (0: the newest), if any was created.
fn recent(ids: &[String], back: usize) -> Option<String> {
    let back = back % ids.len().max(1);
    ids.len()
        .checked_sub(back + 1)
        .and_then(|i| ids.get(i))
        .cloned()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn the_store_follows_the_model(ops in proptest::collection::vec(op(), 1..60)) {
        let store = CibaStore::new(1_000, KEEP);
        let mut now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let mut ids: Vec<String> = Vec::new();
        let mut models: HashMap<String, Model> = HashMap::new();
        let mut redeemed: HashMap<String, usize> = HashMap::new();
        for op in ops {
            match op {
                Op::Create(script) => {
                    let schedule = script.map(|(action, ms)| {
                        (action, later(now, Duration::from_millis(ms)))
                    });
                    let schedule = schedule.filter(|(action, _)| *action != Action::Never);
                    let request = store.create(params(), schedule, Approval::default(), now).unwrap();
                    let mut model = Model::new(now);
                    if let Some((action, due)) = schedule {
                        model.schedule(action, due);
                    }
                    models.insert(request.auth_req_id.to_string(), model);
                    ids.push(request.auth_req_id.into());
                }
                Op::Poll { request, other_client } => {
                    let Some(id) = recent(&ids, request) else { continue };
                    let client = if other_client { "intruder" } else { "app" };
                    let got = outcome(store.poll(&id, &client.into(), now));
                    let model = models.get_mut(&id).unwrap();
                    let expected = model.poll(other_client, now);
                    prop_assert_eq!(&got, &expected, "poll of {}", id);
                    if got == Expected::Tokens {
                        *redeemed.entry(id).or_default() += 1;
                    }
                }
                Op::Decide { request, action } => {
                    let Some(id) = recent(&ids, request) else { continue };
                    let model = models.get_mut(&id).unwrap();
                    let accepted = store.decide(&id, action, None, now).is_ok();
                    let answerable = !model.gone && model.pending(now);
                    prop_assert_eq!(accepted, answerable, "answer {:?} to {}", action, id);
                    if accepted {
                        model.schedule(action, now);
                    }
                }
                Op::Advance(ms) => now += Duration::from_millis(ms),
                Op::Purge => {
                    store.purge(now);
                    for model in models.values_mut() {
                        if now >= later(model.expires_at, KEEP) {
                            model.gone = true;
                        }
                    }
                }
                Op::Clear => {
                    store.clear();
                    for model in models.values_mut() {
                        model.gone = true;
                    }
                }
            }
        }
        prop_assert!(redeemed.values().all(|&n| n == 1), "tokens at most once: {:?}", redeemed);
    }
}
