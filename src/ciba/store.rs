//! The bounded store of CIBA requests.
//!
//! Requests live in a sharded map. A poll runs under the shard's write lock
//! and a redeemed request is removed in the same step, so concurrent polls
//! of one `auth_req_id` get tokens once. Finished requests (denied,
//! expired) are kept `keep_finished` past their expiry so that polls still
//! see the outcome, then purged. The store never holds more than `cap`: a
//! slot is reserved (an atomic count) before a request is inserted, and a
//! full store first purges, then drops every finished request (denied,
//! expired, redeemed) however recent, before it refuses a new one: only
//! requests still pending or approved hold a client's slots.
//!
//! Requests that leave the store (redeemed at a poll, or purged denied or
//! expired) are remembered in a short history, the last [`HISTORY_LEN`],
//! for the e-CPS simulator page and `GET /mock/ciba/recent`.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use dashmap::DashMap;
use serde::Serialize;

use super::machine::{CibaRequest, NewRequest, PollError, Status};
use super::{Action, Approval};
use crate::annuaire::AuthMode;
use crate::clock::later;
use crate::identifiers::{AuthReqId, ClientId, IdNat};
use crate::keys::random_id;

/// How many finished requests the history keeps.
pub const HISTORY_LEN: usize = 50;

/// How a request left the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Ending {
    /// A poll got tokens.
    Redeemed,
    /// The professional refused; purged after the expiry.
    Denied,
    /// Nobody answered, or nobody collected the approval; purged after the
    /// expiry.
    Expired,
    /// Approved, and the client has not polled yet (still in the store).
    Approved,
}

/// A request that left the store, as the history keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finished {
    pub auth_req_id: AuthReqId,
    pub client_id: ClientId,
    pub login_hint: IdNat,
    pub binding_message: Option<String>,
    pub channel: AuthMode,
    pub outcome: Ending,
    /// When it ended: the redeeming poll, the refusal, or the expiry.
    pub finished_at: SystemTime,
}

impl Finished {
    fn of(request: &CibaRequest, outcome: Ending, finished_at: SystemTime) -> Self {
        Self {
            auth_req_id: request.auth_req_id.clone(),
            client_id: request.client_id.clone(),
            login_hint: request.login_hint.clone(),
            binding_message: request.binding_message.clone(),
            channel: request.channel,
            outcome,
            finished_at,
        }
    }
}

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
    requests: DashMap<AuthReqId, CibaRequest>,
    /// Slots held: requests stored, plus those being inserted.
    held: AtomicUsize,
    cap: usize,
    keep_finished: Duration,
    /// The last [`HISTORY_LEN`] finished requests, oldest first.
    history: Mutex<VecDeque<Finished>>,
}

impl CibaStore {
    pub fn new(cap: usize, keep_finished: Duration) -> Self {
        Self {
            requests: DashMap::new(),
            held: AtomicUsize::new(0),
            cap,
            keep_finished,
            history: Mutex::new(VecDeque::with_capacity(HISTORY_LEN)),
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
        if !self.reserve() {
            self.purge(now);
            if !self.reserve() {
                self.drop_finished(now);
                if !self.reserve() {
                    return Err(StoreError::Full { cap: self.cap });
                }
            }
        }
        let mut request = CibaRequest::new(AuthReqId::new(random_id()), params, now);
        if let Some((action, due)) = schedule {
            request.schedule(action, due);
        }
        request.approval = approval;
        if self
            .requests
            .insert(request.auth_req_id.clone(), request.clone())
            .is_some()
        {
            // 256 random bits met an existing id: the slot was not needed.
            self.release(1);
        }
        Ok(request)
    }

    /// Takes a slot if one is free.
    fn reserve(&self) -> bool {
        self.held
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |held| {
                (held < self.cap).then_some(held + 1)
            })
            .is_ok()
    }

    /// Gives back `count` slots of removed requests.
    fn release(&self, count: usize) {
        let _ = self
            .held
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |held| {
                Some(held.saturating_sub(count))
            });
    }

    /// A token-endpoint poll, atomic per `auth_req_id`.
    pub fn poll(&self, auth_req_id: &str, client_id: &ClientId, now: SystemTime) -> PollOutcome {
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
        if let PollOutcome::Redeemed(request) = &outcome {
            self.release(1);
            self.remember([Finished::of(request, Ending::Redeemed, now)]);
        }
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
        // A manual answer replaces what a scenario had planned, `as` and
        // `claims` included.
        request.approval = approval.unwrap_or_default();
        Ok(request.clone())
    }

    /// Removes a request its client never heard of (the authentication
    /// channel refused it): no history, as if it had not been.
    pub fn withdraw(&self, auth_req_id: &str) -> bool {
        let removed = self.requests.remove(auth_req_id).is_some();
        if removed {
            self.release(1);
        }
        removed
    }

    pub fn contains(&self, auth_req_id: &str) -> bool {
        self.requests.contains_key(auth_req_id)
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

    /// Drops requests past their expiry by more than `keep_finished`, and
    /// remembers them as denied or expired.
    pub fn purge(&self, now: SystemTime) -> usize {
        let keep = self.keep_finished;
        self.remove_where(now, |r, redeemed| {
            redeemed || now >= later(r.expires_at, keep)
        })
    }

    /// A full store: drops every finished request (denied, expired,
    /// redeemed) now, however recently it finished; polls of them then get
    /// `invalid_grant` instead of their outcome.
    fn drop_finished(&self, now: SystemTime) -> usize {
        self.remove_where(now, |r, redeemed| {
            redeemed || matches!(r.status(now), Status::Denied | Status::Expired)
        })
    }

    /// Removes the requests `gone` says, remembering the denied and expired
    /// ones, and gives their slots back.
    fn remove_where(&self, now: SystemTime, gone: impl Fn(&CibaRequest, bool) -> bool) -> usize {
        let mut purged = Vec::new();
        let mut removed = 0;
        self.requests.retain(|_, r| {
            let redeemed = r.status(now) == Status::Redeemed;
            if !gone(r, redeemed) {
                return true;
            }
            // A redeemed request was remembered by its poll.
            if !redeemed {
                let (status, at) = r.ending();
                let outcome = if status == Status::Denied {
                    Ending::Denied
                } else {
                    Ending::Expired
                };
                purged.push(Finished::of(r, outcome, at));
            }
            removed += 1;
            false
        });
        purged.sort_by_key(|f| f.finished_at);
        self.remember(purged);
        self.release(removed);
        removed
    }

    /// The finished requests still remembered, newest first (by the time
    /// they ended).
    pub fn recent(&self) -> Vec<Finished> {
        let history = self.history.lock().unwrap_or_else(|e| e.into_inner());
        let mut recent: Vec<_> = history.iter().rev().cloned().collect();
        // Stable: requests that ended at the same instant stay newest
        // recorded first.
        recent.sort_by_key(|f| std::cmp::Reverse(f.finished_at));
        recent
    }

    fn remember(&self, finished: impl IntoIterator<Item = Finished>) {
        let mut history = self.history.lock().unwrap_or_else(|e| e.into_inner());
        for f in finished {
            if history.len() >= HISTORY_LEN {
                history.pop_front();
            }
            history.push_back(f);
        }
    }

    /// Requests still in the store that have an answer (approved, denied,
    /// expired), as the history will show them once they leave it.
    pub fn answered(&self, now: SystemTime) -> Vec<Finished> {
        self.requests
            .iter()
            .filter_map(|r| {
                let ending = match r.status(now) {
                    Status::Approved => Ending::Approved,
                    Status::Denied => Ending::Denied,
                    Status::Expired => Ending::Expired,
                    Status::Pending | Status::Redeemed => return None,
                };
                let at = match ending {
                    Ending::Expired => r.expires_at.min(now),
                    _ => r.answered_at().unwrap_or(now),
                };
                Some(Finished::of(&r, ending, at))
            })
            .collect()
    }

    /// Forgets every request and the history.
    pub fn clear(&self) {
        let before = self.requests.len();
        self.requests.clear();
        self.release(before);
        self.history
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
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
    fn the_cap_is_exact_under_concurrent_creations() {
        let store = std::sync::Arc::new(CibaStore::new(50, Duration::from_secs(10)));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let store = store.clone();
                std::thread::spawn(move || {
                    (0..100)
                        .filter(|_| {
                            store
                                .create(params(), None, Approval::default(), t0())
                                .is_ok()
                        })
                        .count()
                })
            })
            .collect();
        let created: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
        assert_eq!(created, 50);
        assert_eq!(store.len(), 50);
    }

    #[test]
    fn a_full_store_drops_finished_requests_before_refusing() {
        let store = CibaStore::new(3, Duration::from_secs(300));
        let denied = store
            .create(params(), None, Approval::default(), t0())
            .unwrap();
        store
            .decide(&denied.auth_req_id, Action::Deny, None, t0())
            .unwrap();
        let pending = store
            .create(params(), None, Approval::default(), t0())
            .unwrap();
        store
            .create(params(), None, Approval::default(), t0())
            .unwrap();
        // Full: the denied request goes (it would otherwise stay 7 min).
        let fresh = store.create(params(), None, Approval::default(), t0());
        assert!(fresh.is_ok(), "{fresh:?}");
        assert!(!store.contains(&denied.auth_req_id));
        assert!(store.contains(&pending.auth_req_id));
        // Only live requests left: refused.
        assert_eq!(
            store
                .create(params(), None, Approval::default(), t0())
                .unwrap_err(),
            StoreError::Full { cap: 3 }
        );
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
            store.poll(&r.auth_req_id, &"app".into(), t0()),
            PollOutcome::Redeemed(_)
        ));
        assert!(matches!(
            store.poll(&r.auth_req_id, &"app".into(), t0()),
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
                    matches!(
                        store.poll(&id, &"app".into(), t0()),
                        PollOutcome::Redeemed(_)
                    )
                })
            })
            .collect();
        let redeemed = handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .filter(|won| *won)
            .count();
        assert_eq!(redeemed, 1);
        assert_eq!(store.recent().len(), 1, "one redemption, one history entry");
    }

    fn approved_and_redeemed(store: &CibaStore, at: SystemTime) -> AuthReqId {
        let r = store
            .create(
                params(),
                Some((Action::Approve, at)),
                Approval::default(),
                at,
            )
            .unwrap();
        assert!(matches!(
            store.poll(&r.auth_req_id, &"app".into(), at),
            PollOutcome::Redeemed(_)
        ));
        r.auth_req_id
    }

    #[test]
    fn a_redemption_is_remembered_with_the_request_details() {
        let store = CibaStore::new(10, Duration::from_secs(10));
        let with_message = NewRequest {
            binding_message: Some("42".into()),
            channel: AuthMode::Card,
            ..params()
        };
        let r = store
            .create(
                with_message,
                Some((Action::Approve, t0())),
                Approval::default(),
                t0(),
            )
            .unwrap();
        let at = t0() + Duration::from_secs(3);
        store.poll(&r.auth_req_id, &"app".into(), at);
        assert_eq!(
            store.recent(),
            vec![Finished {
                auth_req_id: r.auth_req_id,
                client_id: "app".into(),
                login_hint: "899700245667".into(),
                binding_message: Some("42".into()),
                channel: AuthMode::Card,
                outcome: Ending::Redeemed,
                finished_at: at,
            }]
        );
    }

    #[test]
    fn purged_requests_are_remembered_as_denied_or_expired_newest_first() {
        let store = CibaStore::new(10, Duration::from_secs(10));
        let denied = store
            .create(params(), None, Approval::default(), t0())
            .unwrap();
        let never = store
            .create(params(), None, Approval::default(), t0())
            .unwrap();
        let approved = store
            .create(params(), None, Approval::default(), t0())
            .unwrap();
        let deny_at = t0() + Duration::from_secs(5);
        store
            .decide(&denied.auth_req_id, Action::Deny, None, deny_at)
            .unwrap();
        store
            .decide(&approved.auth_req_id, Action::Approve, None, deny_at)
            .unwrap();
        let redeemed = approved_and_redeemed(&store, t0() + Duration::from_secs(7));

        // Not yet past expiry + keep_finished: nothing purged.
        assert_eq!(store.purge(t0() + Duration::from_secs(129)), 0);
        assert_eq!(store.recent().len(), 1);

        assert_eq!(store.purge(t0() + Duration::from_secs(130)), 3);
        let recent = store.recent();
        let seen: Vec<_> = recent
            .iter()
            .map(|f| (f.auth_req_id.as_str(), f.outcome))
            .collect();
        let expiry = t0() + Duration::from_secs(120);
        // The two expired ones ended at the same instant, in either order.
        assert_eq!(seen.len(), 4);
        assert!(seen[..2].contains(&(never.auth_req_id.as_str(), Ending::Expired)));
        assert!(seen[..2].contains(&(approved.auth_req_id.as_str(), Ending::Expired)));
        assert_eq!(seen[2], (redeemed.as_str(), Ending::Redeemed));
        assert_eq!(seen[3], (denied.auth_req_id.as_str(), Ending::Denied));
        assert_eq!(recent[0].finished_at, expiry);
        assert_eq!(recent[3].finished_at, deny_at);
    }

    #[test]
    fn the_history_keeps_the_last_fifty_and_clear_forgets_it() {
        let store = CibaStore::new(100, Duration::from_secs(10));
        let ids: Vec<_> = (0..60u64)
            .map(|i| approved_and_redeemed(&store, t0() + Duration::from_secs(i)))
            .collect();
        let recent = store.recent();
        assert_eq!(recent.len(), HISTORY_LEN);
        assert_eq!(recent[0].auth_req_id, ids[59]);
        assert_eq!(recent[HISTORY_LEN - 1].auth_req_id, ids[10]);
        store.clear();
        assert!(store.recent().is_empty());
    }
}
