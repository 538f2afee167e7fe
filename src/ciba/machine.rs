//! One CIBA request and its state machine, pure: time is a parameter.
//!
//! The order of the checks at the token endpoint is Keycloak's
//! (`CibaGrantType`): wrong client → expired → polled too fast →
//! denied → pending → tokens. A `slow_down` adds 5 s to the request's
//! interval (CIBA Core §11). Tokens are issued at most once: the redeeming
//! poll moves the request to `Redeemed`, and it is then removed.

use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use super::{Action, Approval};
use crate::annuaire::AuthMode;
use crate::clock::later;
use crate::identifiers::{AuthReqId, ClientId, IdNat};

/// Where a request stands at a given instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pending,
    Approved,
    Denied,
    Expired,
    Redeemed,
}

/// The validated parameters of a backchannel authentication request.
#[derive(Debug, Clone)]
pub struct NewRequest {
    pub client_id: ClientId,
    pub login_hint: IdNat,
    pub scope: String,
    pub acr: String,
    pub binding_message: Option<String>,
    pub channel: AuthMode,
    pub expires_in: Duration,
    pub interval: Duration,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CibaRequest {
    pub auth_req_id: AuthReqId,
    pub client_id: ClientId,
    pub login_hint: IdNat,
    pub scope: String,
    pub acr: String,
    pub binding_message: Option<String>,
    pub channel: AuthMode,
    #[serde(skip)]
    #[schema(ignore)]
    pub created_at: SystemTime,
    #[serde(skip)]
    #[schema(ignore)]
    pub expires_at: SystemTime,
    #[serde(skip)]
    #[schema(ignore)]
    pub interval: Duration,
    #[serde(skip)]
    #[schema(ignore)]
    last_poll: Option<SystemTime>,
    /// The professional's answer and when it takes effect.
    #[serde(skip)]
    #[schema(ignore)]
    decision: Option<(Action, SystemTime)>,
    #[serde(skip)]
    redeemed: bool,
    /// Who the tokens are for, and extra claims, once approved.
    #[serde(flatten)]
    pub approval: Approval,
}

/// Why a poll gets no tokens. Mapped to OAuth errors by the token endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PollError {
    OtherClient,
    Expired,
    SlowDown { new_interval: Duration },
    Denied,
    Pending,
    AlreadyRedeemed,
}

impl CibaRequest {
    pub fn new(auth_req_id: AuthReqId, params: NewRequest, now: SystemTime) -> Self {
        Self {
            auth_req_id,
            client_id: params.client_id,
            login_hint: params.login_hint,
            scope: params.scope,
            acr: params.acr,
            binding_message: params.binding_message,
            channel: params.channel,
            created_at: now,
            expires_at: later(now, params.expires_in),
            interval: params.interval,
            last_poll: None,
            decision: None,
            redeemed: false,
            approval: Approval::default(),
        }
    }

    /// The status at `now`, taking scheduled decisions and expiry into account.
    pub fn status(&self, now: SystemTime) -> Status {
        if self.redeemed {
            return Status::Redeemed;
        }
        if now >= self.expires_at {
            return Status::Expired;
        }
        match self.decision {
            Some((action, due)) if now >= due => match action {
                Action::Approve => Status::Approved,
                Action::Deny => Status::Denied,
                Action::Expire => Status::Expired,
                Action::Never => Status::Pending,
            },
            _ => Status::Pending,
        }
    }

    /// When the professional's answer took (or takes) effect, if any.
    pub fn answered_at(&self) -> Option<SystemTime> {
        self.decision.map(|(_, due)| due)
    }

    /// When a scheduled decision will take effect, if one is still to come.
    pub fn scheduled(&self, now: SystemTime) -> Option<(Action, SystemTime)> {
        self.decision.filter(|(_, due)| *due > now)
    }

    /// Schedules the professional's answer at `due` (a script, a scenario).
    pub fn schedule(&mut self, action: Action, due: SystemTime) {
        if action == Action::Expire {
            self.expires_at = self.expires_at.min(due);
        }
        self.decision = Some((action, due));
    }

    /// The professional answers now (control API). Only a pending request
    /// can be answered; the current status is returned otherwise.
    pub fn decide(&mut self, action: Action, now: SystemTime) -> Result<(), Status> {
        match self.status(now) {
            Status::Pending => {
                self.schedule(action, now);
                Ok(())
            }
            other => Err(other),
        }
    }

    /// How a request that was never redeemed ended, and when: denied when
    /// the professional refused before the expiry, expired otherwise (an
    /// approval no poll collected expires too).
    pub fn ending(&self) -> (Status, SystemTime) {
        match self.decision {
            Some((Action::Deny, due)) if due < self.expires_at => (Status::Denied, due),
            _ => (Status::Expired, self.expires_at),
        }
    }

    /// A poll of the token endpoint by `client_id` at `now`.
    pub fn poll(&mut self, client_id: &ClientId, now: SystemTime) -> Result<(), PollError> {
        if self.client_id != *client_id {
            return Err(PollError::OtherClient);
        }
        let status = self.status(now);
        match status {
            Status::Redeemed => return Err(PollError::AlreadyRedeemed),
            Status::Expired => return Err(PollError::Expired),
            _ => {}
        }
        let too_fast = self
            .last_poll
            .is_some_and(|last| now.duration_since(last).unwrap_or_default() < self.interval);
        self.last_poll = Some(now);
        if too_fast {
            self.interval = self.interval.saturating_add(Duration::from_secs(5));
            return Err(PollError::SlowDown {
                new_interval: self.interval,
            });
        }
        match status {
            Status::Denied => Err(PollError::Denied),
            Status::Pending => Err(PollError::Pending),
            Status::Approved => {
                self.redeemed = true;
                Ok(())
            }
            Status::Expired | Status::Redeemed => Err(PollError::Expired),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    fn t(ms: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_800_000_000) + Duration::from_millis(ms)
    }

    fn request() -> CibaRequest {
        CibaRequest::new(
            "id".into(),
            NewRequest {
                client_id: "app".into(),
                login_hint: "899700245667".into(),
                scope: "openid scope_all".into(),
                acr: "eidas1".into(),
                binding_message: Some("42".into()),
                channel: AuthMode::Mobile,
                expires_in: Duration::from_secs(120),
                interval: Duration::from_secs(1),
            },
            t(0),
        )
    }

    /// One row: what happens to the request, then a poll at `at_ms`, then
    /// the expected answer.
    #[test]
    fn polls_follow_keycloaks_order() {
        type Setup = fn(&mut CibaRequest);
        type Case = (
            &'static str,
            Setup,
            &'static str,
            u64,
            Result<(), PollError>,
        );
        let cases: [Case; 8] = [
            ("pending", |_| {}, "app", 0, Err(PollError::Pending)),
            (
                "approved",
                |r| r.decide(Action::Approve, t(0)).unwrap(),
                "app",
                0,
                Ok(()),
            ),
            (
                "denied",
                |r| r.decide(Action::Deny, t(0)).unwrap(),
                "app",
                0,
                Err(PollError::Denied),
            ),
            (
                "expired by time",
                |_| {},
                "app",
                120_000,
                Err(PollError::Expired),
            ),
            (
                "expired on command",
                |r| r.decide(Action::Expire, t(0)).unwrap(),
                "app",
                0,
                Err(PollError::Expired),
            ),
            (
                "approval scheduled later",
                |r| r.schedule(Action::Approve, t(5000)),
                "app",
                4999,
                Err(PollError::Pending),
            ),
            (
                "approval due",
                |r| r.schedule(Action::Approve, t(5000)),
                "app",
                5000,
                Ok(()),
            ),
            (
                "other client",
                |r| r.decide(Action::Approve, t(0)).unwrap(),
                "intruder",
                0,
                Err(PollError::OtherClient),
            ),
        ];
        for (name, setup, client, at, expected) in cases {
            let mut r = request();
            setup(&mut r);
            assert_eq!(r.poll(&client.into(), t(at)), expected, "{name}");
        }
    }

    #[test]
    fn tokens_are_issued_once() {
        let mut r = request();
        r.decide(Action::Approve, t(0)).unwrap();
        assert_eq!(r.poll(&"app".into(), t(0)), Ok(()));
        assert_eq!(
            r.poll(&"app".into(), t(10_000)),
            Err(PollError::AlreadyRedeemed)
        );
        assert_eq!(r.status(t(10_000)), Status::Redeemed);
    }

    #[test]
    fn polling_too_fast_slows_down_by_five_seconds_each_time() {
        let mut r = request();
        assert_eq!(r.poll(&"app".into(), t(0)), Err(PollError::Pending));
        assert_eq!(
            r.poll(&"app".into(), t(500)),
            Err(PollError::SlowDown {
                new_interval: Duration::from_secs(6)
            })
        );
        assert_eq!(
            r.poll(&"app".into(), t(5_000)),
            Err(PollError::SlowDown {
                new_interval: Duration::from_secs(11)
            })
        );
        assert_eq!(r.poll(&"app".into(), t(16_000)), Err(PollError::Pending));
    }

    #[test]
    fn only_pending_requests_can_be_answered() {
        let mut r = request();
        r.decide(Action::Deny, t(0)).unwrap();
        assert_eq!(r.decide(Action::Approve, t(1)), Err(Status::Denied));
        let mut r = request();
        assert_eq!(r.decide(Action::Approve, t(200_000)), Err(Status::Expired));
    }

    #[test]
    fn an_unredeemed_request_ends_denied_or_expired() {
        let mut denied = request();
        denied.decide(Action::Deny, t(3_000)).unwrap();
        assert_eq!(denied.ending(), (Status::Denied, t(3_000)));
        let mut approved = request();
        approved.decide(Action::Approve, t(1_000)).unwrap();
        assert_eq!(approved.ending(), (Status::Expired, t(120_000)));
        let mut expired = request();
        expired.decide(Action::Expire, t(2_000)).unwrap();
        assert_eq!(expired.ending(), (Status::Expired, t(2_000)));
        let mut late = request();
        late.schedule(Action::Deny, t(500_000));
        assert_eq!(late.ending(), (Status::Expired, t(120_000)));
    }

    #[test]
    fn a_manual_answer_overrides_a_scheduled_one() {
        let mut r = request();
        r.schedule(Action::Approve, t(60_000));
        r.decide(Action::Deny, t(1_000)).unwrap();
        assert_eq!(r.status(t(60_000)), Status::Denied);
    }
}
