//! The bounded store of CIBA requests.
//!
//! Requests live in a sharded map. A poll runs under the shard's write lock
//! and a redeemed request is removed in the same step, so concurrent polls
//! of one `auth_req_id` get tokens once. Finished requests (denied,
//! expired) are kept `keep_finished` past their expiry so that polls still
//! see the outcome, then purged; the store never holds more than `cap`.

use std::time::{Duration, SystemTime};

use dashmap::DashMap;

use super::machine::{CibaRequest, NewRequest, PollError, Status};
use super::{Action, Approval};
use crate::clock::later;
use crate::keys::random_id;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("too many CIBA requests in progress ({cap}); try again once some have finished")]
    Full { cap: usize },
    #[error("no CIBA request with auth_req_id {0:?}")]
    Unknown(String),
    #[error("the request is {0:?}, not pending; only a pending request can be answered")]
    NotPending(Status),
}

/// Why a poll found no request: unknown, purged or already used.
#[derive(Debug, Clone)]
pub enum PollOutcome {
    /// Tokens may be issued for this request (it has left the store).
    Redeemed(Box<CibaRequest>),
    Refused(PollError),
    Unknown,
}

#[derive(Debug)]
pub struct CibaStore {
    requests: DashMap<String, CibaRequest>,
    cap: usize,
    keep_finished: Duration,
}

impl CibaStore {
    pub fn new(cap: usize, keep_finished: Duration) -> Self {
        Self {
            requests: DashMap::new(),
            cap,
            keep_finished,
        }
    }

    /// Stores a new request; `schedule` is the scripted answer, if any, and
    /// `approval` what an approval carries.
    pub fn create(
        &self,
        params: NewRequest,
        schedule: Option<(Action, SystemTime)>,
        approval: Approval,
        now: SystemTime,
    ) -> Result<CibaRequest, StoreError> {
        if self.requests.len() >= self.cap {
            self.purge(now);
            if self.requests.len() >= self.cap {
                return Err(StoreError::Full { cap: self.cap });
            }
        }
        let mut request = CibaRequest::new(random_id(), params, now);
        if let Some((action, due)) = schedule {
            request.schedule(action, due);
        }
        request.approval = approval;
        self.requests
            .insert(request.auth_req_id.clone(), request.clone());
        Ok(request)
    }

    /// A token-endpoint poll, atomic per `auth_req_id`.
    pub fn poll(&self, auth_req_id: &str, client_id: &str, now: SystemTime) -> PollOutcome {
        let mut outcome = PollOutcome::Unknown;
        self.requests.remove_if_mut(auth_req_id, |_, request| {
            match request.poll(client_id, now) {
                Ok(()) => {
                    outcome = PollOutcome::Redeemed(Box::new(request.clone()));
                    true
                }
                Err(refusal) => {
                    outcome = PollOutcome::Refused(refusal);
                    false
                }
            }
        });
        outcome
    }

    /// The professional answers (control API).
    pub fn decide(
        &self,
        auth_req_id: &str,
        action: Action,
        approval: Option<Approval>,
        now: SystemTime,
    ) -> Result<CibaRequest, StoreError> {
        let mut request = self
            .requests
            .get_mut(auth_req_id)
            .ok_or_else(|| StoreError::Unknown(auth_req_id.to_owned()))?;
        request
            .decide(action, now)
            .map_err(StoreError::NotPending)?;
        if let Some(approval) = approval {
            request.approval = approval;
        }
        Ok(request.clone())
    }

    pub fn get(&self, auth_req_id: &str) -> Option<CibaRequest> {
        self.requests.get(auth_req_id).map(|r| r.clone())
    }

    /// All requests, oldest first.
    pub fn list(&self) -> Vec<CibaRequest> {
        let mut all: Vec<_> = self.requests.iter().map(|r| r.clone()).collect();
        all.sort_by_key(|r| r.created_at);
        all
    }

    /// Drops requests past their expiry by more than `keep_finished`.
    pub fn purge(&self, now: SystemTime) -> usize {
        let before = self.requests.len();
        let keep = self.keep_finished;
        self.requests
            .retain(|_, r| r.status(now) != Status::Redeemed && now < later(r.expires_at, keep));
        before.saturating_sub(self.requests.len())
    }

    pub fn clear(&self) {
        self.requests.clear();
    }

    pub fn len(&self) -> usize {
        self.requests.len()
    }

    pub fn is_empty(&self) -> bool {
        self.requests.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::annuaire::AuthMode;
    use std::sync::Arc;
    use std::time::UNIX_EPOCH;

    fn params() -> NewRequest {
        NewRequest {
            client_id: "app".into(),
            login_hint: "899700245667".into(),
            scope: "openid".into(),
            acr: "eidas1".into(),
            binding_message: None,
            channel: AuthMode::Mobile,
            expires_in: Duration::from_secs(120),
            interval: Duration::from_secs(1),
        }
    }

    fn t0() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_800_000_000)
    }

    #[test]
    fn the_cap_is_enforced_and_purging_makes_room() {
        let store = CibaStore::new(2, Duration::from_secs(10));
        store
            .create(params(), None, Approval::default(), t0())
            .unwrap();
        store
            .create(params(), None, Approval::default(), t0())
            .unwrap();
        assert_eq!(
            store
                .create(params(), None, Approval::default(), t0())
                .unwrap_err(),
            StoreError::Full { cap: 2 }
        );
        let later = t0() + Duration::from_secs(131);
        assert!(
            store
                .create(params(), None, Approval::default(), later)
                .is_ok()
        );
        assert_eq!(store.len(), 1);
    }

    #[test]
    fn a_redeemed_request_leaves_the_store() {
        let store = CibaStore::new(10, Duration::from_secs(10));
        let r = store
            .create(
                params(),
                Some((Action::Approve, t0())),
                Approval::default(),
                t0(),
            )
            .unwrap();
        assert!(matches!(
            store.poll(&r.auth_req_id, "app", t0()),
            PollOutcome::Redeemed(_)
        ));
        assert!(matches!(
            store.poll(&r.auth_req_id, "app", t0()),
            PollOutcome::Unknown
        ));
        assert!(store.is_empty());
    }

    #[test]
    fn concurrent_polls_redeem_once() {
        let store = Arc::new(CibaStore::new(10, Duration::from_secs(10)));
        // No interval: slow_down must not be what stops the other polls.
        let no_interval = NewRequest {
            interval: Duration::ZERO,
            ..params()
        };
        let r = store
            .create(
                no_interval,
                Some((Action::Approve, t0())),
                Approval::default(),
                t0(),
            )
            .unwrap();
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let store = store.clone();
                let id = r.auth_req_id.clone();
                std::thread::spawn(move || {
                    matches!(store.poll(&id, "app", t0()), PollOutcome::Redeemed(_))
                })
            })
            .collect();
        let redeemed = handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .filter(|won| *won)
            .count();
        assert_eq!(redeemed, 1);
    }
}
