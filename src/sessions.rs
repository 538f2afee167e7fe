//! Login sessions: what a refresh token, a logout and an introspection act
//! on (Keycloak's user sessions).
//!
//! A session starts when tokens are first issued (CIBA or code flow) and
//! ends at logout, at revocation of its refresh token, after
//! `session_max_s` (PSC: 4 h) or after `session_idle_s` without a refresh
//! (PSC: 30 min). A refresh token stays usable until it expires or its
//! session ends, as Keycloak's default; with `revoke_refresh_token` they
//! rotate instead: each one is accepted once, and a replayed one is refused
//! and ends the session, so that the thief and the rightful client both lose
//! it (Keycloak's "Revoke Refresh Token", which detaches the client's
//! session; RFC 9700 §4.14.2; docs/fidelity.md, "refresh token reuse").
//! Revoked access tokens are remembered until they expire. Both stores are
//! capped and purged. Unlike Keycloak, a full session store does not refuse
//! logins: it evicts the least recently used sessions (their refresh tokens
//! then fail as if expired), so that a long CI run never locks the mock.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use dashmap::DashMap;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::annuaire::AuthMode;
use crate::clock::later;
use crate::identifiers::{ClientId, IdNat};

/// One login of one professional at one client.
#[derive(Debug, Clone, Serialize)]
pub struct Session {
    pub id: String,
    pub client_id: ClientId,
    pub id_nat: IdNat,
    pub scope: String,
    pub acr: String,
    pub auth_mode: AuthMode,
    /// The code flow's `nonce`, repeated in every ID token of the session
    /// (OIDC Core §12.2).
    pub nonce: Option<String>,
    /// Claims a scenario or the control API added to every token and
    /// userinfo answer of the session.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claims: Option<Arc<Map<String, Value>>>,
    #[serde(skip)]
    pub auth_time: SystemTime,
    #[serde(skip)]
    pub expires_at: SystemTime,
    #[serde(skip)]
    pub idle_until: SystemTime,
    /// The `jti` of the latest refresh token: with rotation, the only one
    /// that may be used next.
    #[serde(skip)]
    pub refresh_jti: String,
    /// The `jti` of the last refresh token used (Keycloak's "current
    /// refresh token"): with rotation, its reuse is "Maximum allowed refresh
    /// token reuse exceeded", that of an older one "Stale token".
    #[serde(skip)]
    pub used_jti: Option<String>,
}

/// What identifies the login when a session starts.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub client_id: ClientId,
    pub id_nat: IdNat,
    pub scope: String,
    pub acr: String,
    pub auth_mode: AuthMode,
    pub nonce: Option<String>,
    pub claims: Option<Arc<Map<String, Value>>>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    #[error("Session not active: logged out, revoked or expired")]
    NotActive,
    #[error("Stale token: a newer refresh token was used (tokens rotate); the session is ended")]
    Stale,
    #[error(
        "Maximum allowed refresh token reuse exceeded: this refresh token was already used (tokens rotate); the session is ended"
    )]
    ReuseExceeded,
    #[error("the refresh token was issued to client {0:?}")]
    OtherClient(ClientId),
}

#[derive(Debug)]
pub struct Sessions {
    by_id: DashMap<String, Session>,
    /// Revoked access-token `jti`s, kept until the token's expiry.
    revoked: DashMap<String, SystemTime>,
    cap: usize,
    max: Duration,
    idle: Duration,
    /// Keycloak's "Revoke Refresh Token": refresh tokens are single-use.
    rotate: bool,
}

impl Sessions {
    pub fn new(cap: usize, max: Duration, idle: Duration) -> Self {
        Self {
            by_id: DashMap::new(),
            revoked: DashMap::new(),
            cap,
            max,
            idle,
            rotate: false,
        }
    }

    /// Refresh tokens single-use (`tokens.revoke_refresh_token`).
    pub fn with_rotation(mut self, rotate: bool) -> Self {
        self.rotate = rotate;
        self
    }

    /// Whether refresh token `jti` of `session` may be used: any of a live
    /// session's, or only its latest with rotation.
    pub fn accepts_refresh(&self, session: &Session, jti: &str) -> bool {
        !self.rotate || session.refresh_jti == jti
    }

    /// Starts a session; `refresh_jti` is the first refresh token's id.
    pub fn start(&self, new: NewSession, refresh_jti: String, now: SystemTime) -> Session {
        if self.by_id.len() >= self.cap {
            self.purge(now);
            if self.by_id.len() >= self.cap {
                self.evict();
            }
        }
        let session = Session {
            id: crate::keys::random_uuid(),
            client_id: new.client_id,
            id_nat: new.id_nat,
            scope: new.scope,
            acr: new.acr,
            auth_mode: new.auth_mode,
            nonce: new.nonce,
            claims: new.claims,
            auth_time: now,
            expires_at: later(now, self.max),
            idle_until: later(now, self.idle),
            refresh_jti,
            used_jti: None,
        };
        self.by_id.insert(session.id.clone(), session.clone());
        session
    }

    /// Drops the least recently used tenth of the sessions (at least one),
    /// so that the cost of a full store (one pass over it) is paid once per
    /// tenth of its logins. Sessions idle as long as the last one dropped go
    /// too, so slightly more than a tenth may end.
    fn evict(&self) {
        let mut idle: Vec<SystemTime> = self.by_id.iter().map(|s| s.idle_until).collect();
        let count = (self.cap / 10).max(1).min(idle.len());
        if count == 0 {
            return;
        }
        let (_, &mut threshold, _) = idle.select_nth_unstable(count - 1);
        let before = self.by_id.len();
        self.by_id.retain(|_, s| s.idle_until > threshold);
        tracing::debug!(
            evicted = before.saturating_sub(self.by_id.len()),
            "session store full: least recently used sessions ended"
        );
    }

    /// The session if it is still alive at `now`.
    pub fn active(&self, id: &str, now: SystemTime) -> Option<Session> {
        self.by_id
            .get(id)
            .filter(|s| alive(s, now))
            .map(|s| s.clone())
    }

    /// Uses refresh token `jti` of session `id` for `client_id`, and
    /// records `next_jti` as the latest (with rotation, the only one
    /// accepted afterwards). Atomic. With rotation, a used token presented
    /// again by its own client is a replay: refused, and the session ends
    /// (docs/fidelity.md, "refresh token reuse"); another client's attempt
    /// ends nothing.
    pub fn rotate(
        &self,
        id: &str,
        client_id: &str,
        jti: &str,
        next_jti: String,
        now: SystemTime,
    ) -> Result<Session, SessionError> {
        let verdict = {
            let mut session = self
                .by_id
                .get_mut(id)
                .filter(|s| alive(s, now))
                .ok_or(SessionError::NotActive)?;
            if session.client_id != client_id {
                return Err(SessionError::OtherClient(session.client_id.clone()));
            }
            if self.accepts_refresh(&session, jti) {
                session.used_jti = Some(jti.to_owned());
                session.refresh_jti = next_jti;
                session.idle_until = later(now, self.idle).min(session.expires_at);
                Ok(session.clone())
            } else if session.used_jti.as_deref() == Some(jti) {
                Err(SessionError::ReuseExceeded)
            } else {
                Err(SessionError::Stale)
            }
        };
        if verdict.is_err() {
            // The entry's lock is released above: removing under it would
            // deadlock.
            self.by_id.remove(id);
            tracing::info!(session = %id, "refresh token replayed: session ended");
        }
        verdict
    }

    /// Ends a session (logout, refresh-token revocation).
    pub fn end(&self, id: &str) -> Option<Session> {
        self.by_id.remove(id).map(|(_, s)| s)
    }

    /// Remembers a revoked access token until it would have expired;
    /// `false` if the revoked set is full even after purging.
    pub fn revoke_access(&self, jti: &str, expires_at: SystemTime, now: SystemTime) -> bool {
        if self.revoked.len() >= self.cap {
            self.revoked.retain(|_, expiry| now < *expiry);
            if self.revoked.len() >= self.cap {
                return false;
            }
        }
        self.revoked.insert(jti.to_owned(), expires_at);
        true
    }

    pub fn is_revoked(&self, jti: &str) -> bool {
        self.revoked.contains_key(jti)
    }

    /// Drops ended sessions and expired revocations.
    pub fn purge(&self, now: SystemTime) -> usize {
        let before = self.by_id.len() + self.revoked.len();
        self.by_id.retain(|_, s| alive(s, now));
        self.revoked.retain(|_, expiry| now < *expiry);
        before.saturating_sub(self.by_id.len() + self.revoked.len())
    }

    /// Rebuilds the maps at their size (the purge task, every 5 s): with
    /// eviction's churn, removals' tombstones otherwise double the session
    /// table (measured: 28 672 slots for 10 000 sessions).
    pub fn compact(&self) {
        self.by_id.shrink_to_fit();
        self.revoked.shrink_to_fit();
    }

    pub fn clear(&self) {
        self.by_id.clear();
        self.revoked.clear();
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }
}

fn alive(session: &Session, now: SystemTime) -> bool {
    now < session.expires_at && now < session.idle_until
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    fn t(s: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_800_000_000 + s)
    }

    fn sessions() -> Sessions {
        Sessions::new(10, Duration::from_secs(4 * 3600), Duration::from_secs(1800))
    }

    fn new() -> NewSession {
        NewSession {
            client_id: "app".into(),
            id_nat: "899700245667".into(),
            scope: "openid".into(),
            acr: "eidas1".into(),
            auth_mode: AuthMode::Mobile,
            nonce: None,
            claims: None,
        }
    }

    #[test]
    fn refresh_tokens_stay_usable_without_rotation() {
        let s = Sessions::new(10, Duration::from_secs(4 * 3600), Duration::from_secs(1800));
        let session = s.start(new(), "r1".into(), t(0));
        s.rotate(&session.id, "app", "r1", "r2".into(), t(10))
            .unwrap();
        s.rotate(&session.id, "app", "r1", "r3".into(), t(20))
            .unwrap();
        let live = s.active(&session.id, t(20)).unwrap();
        assert!(s.accepts_refresh(&live, "r1"));
        s.end(&session.id);
        assert_eq!(
            s.rotate(&session.id, "app", "r3", "r4".into(), t(30))
                .unwrap_err(),
            SessionError::NotActive
        );
    }

    #[test]
    fn refresh_tokens_rotate_and_a_replay_ends_the_session() {
        let s = sessions().with_rotation(true);
        let session = s.start(new(), "r1".into(), t(0));
        s.rotate(&session.id, "app", "r1", "r2".into(), t(10))
            .unwrap();
        s.rotate(&session.id, "app", "r2", "r3".into(), t(20))
            .unwrap();
        // Another client's attempt ends nothing.
        assert_eq!(
            s.rotate(&session.id, "other", "r3", "r4".into(), t(30))
                .unwrap_err(),
            SessionError::OtherClient("app".into())
        );
        // An older token than the last one used: stale, and the end.
        assert_eq!(
            s.rotate(&session.id, "app", "r1", "r4".into(), t(40))
                .unwrap_err(),
            SessionError::Stale
        );
        assert!(s.active(&session.id, t(40)).is_none());
        assert_eq!(
            s.rotate(&session.id, "app", "r3", "r4".into(), t(50))
                .unwrap_err(),
            SessionError::NotActive,
            "the latest token went with it"
        );

        // The last one used, again: Keycloak's reuse count, and the end.
        let other = s.start(new(), "a1".into(), t(0));
        s.rotate(&other.id, "app", "a1", "a2".into(), t(10))
            .unwrap();
        assert_eq!(
            s.rotate(&other.id, "app", "a1", "a3".into(), t(20))
                .unwrap_err(),
            SessionError::ReuseExceeded
        );
        assert!(s.active(&other.id, t(20)).is_none());
    }

    #[test]
    fn sessions_end_when_idle_at_most_or_logged_out() {
        let s = sessions();
        let idle = s.start(new(), "r".into(), t(0));
        assert!(s.active(&idle.id, t(1799)).is_some());
        assert!(s.active(&idle.id, t(1800)).is_none());

        let busy = s.start(new(), "a".into(), t(0));
        let mut jti = "a".to_owned();
        for step in 1..=9 {
            let next = format!("a{step}");
            s.rotate(&busy.id, "app", &jti, next.clone(), t(step * 1500))
                .unwrap();
            jti = next;
        }
        // 4 h after login, even a busy session ends.
        assert!(s.active(&busy.id, t(4 * 3600)).is_none());

        let out = s.start(new(), "x".into(), t(0));
        s.end(&out.id);
        assert_eq!(
            s.rotate(&out.id, "app", "x", "y".into(), t(1)).unwrap_err(),
            SessionError::NotActive
        );
    }

    #[test]
    fn a_full_store_evicts_the_least_recently_used_session() {
        let s = Sessions::new(2, Duration::from_secs(100), Duration::from_secs(50));
        let old = s.start(new(), "a".into(), t(0));
        let recent = s.start(new(), "b".into(), t(0));
        s.rotate(&recent.id, "app", "b", "b2".into(), t(10))
            .unwrap();
        let newest = s.start(new(), "c".into(), t(20));
        assert_eq!(s.len(), 2);
        assert!(
            s.active(&old.id, t(20)).is_none(),
            "the least recently used went"
        );
        assert!(s.active(&recent.id, t(20)).is_some());
        assert!(s.active(&newest.id, t(20)).is_some());
    }
}
