//! The authorization code flow's state: authorization requests waiting on
//! the login page, and the codes handed to clients (RFC 6749 §4.1, PKCE
//! RFC 7636), both short-lived, single-use and capped.
//!
//! A code is bound to its client, its `redirect_uri` and its PKCE
//! challenge. A replayed code is refused and ends the session it opened
//! (RFC 6749 §4.1.2 "SHOULD revoke"), as Keycloak does.
//!
//! A full store never refuses a login: the oldest pending logins of the
//! client holding the most go first (those nobody has searched or answered
//! on before those in use), so that a flood of authorization requests
//! evicts its own and locks no one out (docs/fidelity.md, "pending logins").

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use dashmap::DashMap;

use crate::clock::later;
use crate::identifiers::ClientId;
use crate::keys::random_id;

mod mode;
mod pkce;

pub use mode::{ModeError, ResponseMode};
pub use pkce::{Challenge, ChallengeMethod, valid_verifier_syntax};

/// How long the login page may stay open.
const PENDING_TTL: Duration = Duration::from_secs(600);
/// How long a code may wait for its exchange (Keycloak: 60 s).
const CODE_TTL: Duration = Duration::from_secs(60);

/// An authorization request, validated, waiting for the professional.
#[derive(Debug, Clone)]
pub struct Pending {
    pub client_id: ClientId,
    pub redirect_uri: String,
    pub response_mode: ResponseMode,
    pub scope: String,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub challenge: Option<Challenge>,
    pub acr: String,
    pub login_hint: Option<String>,
    /// The issuer the request was sent to: the `iss` of the answer
    /// (RFC 9207).
    pub issuer: String,
    pub expires_at: SystemTime,
}

/// What a code stands for.
#[derive(Debug, Clone)]
pub struct Code {
    pub client_id: ClientId,
    pub redirect_uri: String,
    pub scope: String,
    pub nonce: Option<String>,
    pub challenge: Option<Challenge>,
    /// The session opened at login, and its first refresh token's id.
    pub session_id: String,
    pub refresh_jti: String,
    pub expires_at: SystemTime,
    used: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("Code not valid: unknown or expired")]
    Unknown,
    #[error("Code not valid: already used; the session it opened is ended")]
    Replayed { session_id: String },
    #[error("Code is expired")]
    Expired,
    #[error("the code was issued to client {0:?}")]
    OtherClient(ClientId),
    #[error("Incorrect redirect_uri: the code was issued for {0:?}")]
    RedirectUri(String),
    #[error("PKCE code verifier not specified")]
    VerifierMissing,
    #[error("PKCE verification failed: the code_verifier does not match the code_challenge")]
    VerifierMismatch,
    #[error(
        "PKCE code verifier specified but challenge not present in authorization: the authorization request had no code_challenge"
    )]
    ChallengeMissing,
    #[error("too many pending logins or codes ({0}); try again shortly")]
    Full(usize),
}

/// A pending login in the store: its request, and what eviction orders by.
#[derive(Debug)]
struct Waiting {
    request: Pending,
    /// Arrival order (the clock may stand still in tests).
    seq: u64,
    /// Someone searched or answered on its page since it was shown.
    touched: bool,
}

#[derive(Debug)]
pub struct CodeFlow {
    pending: DashMap<String, Waiting>,
    codes: DashMap<String, Code>,
    cap: usize,
    arrivals: AtomicU64,
    /// The ids of the last [`ANSWERED_KEPT`] requests answered on the page,
    /// so that a page used again says so.
    answered: Mutex<VecDeque<String>>,
}

/// How many answered requests are remembered.
const ANSWERED_KEPT: usize = 1024;

/// Why the login page has no request under an id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    /// The professional already answered it (a request serves once).
    Answered,
    /// Past its ten minutes.
    Expired,
    /// Never issued, or forgotten since (purged after expiry, evicted, or
    /// the server restarted).
    Unknown,
}

impl CodeFlow {
    /// A store of at most `cap` pending logins and codes together
    /// (`tokens.max_pending_logins`, at least 1).
    pub fn new(cap: usize) -> Self {
        Self {
            pending: DashMap::new(),
            codes: DashMap::new(),
            cap: cap.max(1),
            arrivals: AtomicU64::new(0),
            answered: Mutex::new(VecDeque::new()),
        }
    }

    /// Keeps a validated request for the login page; returns its id.
    pub fn wait(&self, mut pending: Pending, now: SystemTime) -> Result<String, CodeError> {
        self.make_room(now)?;
        pending.expires_at = later(now, PENDING_TTL);
        let tx = random_id();
        let waiting = Waiting {
            request: pending,
            seq: self.arrivals.fetch_add(1, Ordering::Relaxed),
            touched: false,
        };
        self.pending.insert(tx.clone(), waiting);
        Ok(tx)
    }

    /// The waiting request, if still there; its page is now in use, which
    /// keeps it from eviction while untouched ones remain.
    pub fn pending(&self, tx: &str, now: SystemTime) -> Result<Pending, Missing> {
        let Some(mut waiting) = self.pending.get_mut(tx) else {
            return Err(self.missing(tx));
        };
        if now >= waiting.request.expires_at {
            return Err(Missing::Expired);
        }
        waiting.touched = true;
        Ok(waiting.request.clone())
    }

    /// The professional answered: the request leaves the page.
    pub fn finish(&self, tx: &str, now: SystemTime) -> Result<Pending, Missing> {
        let Some((_, waiting)) = self.pending.remove(tx) else {
            return Err(self.missing(tx));
        };
        if now >= waiting.request.expires_at {
            return Err(Missing::Expired);
        }
        let mut answered = self.answered.lock().unwrap_or_else(|e| e.into_inner());
        if answered.len() == ANSWERED_KEPT {
            answered.pop_front();
        }
        answered.push_back(tx.to_owned());
        Ok(waiting.request)
    }

    /// Why `tx` is not waiting: answered (remembered), or unknown.
    fn missing(&self, tx: &str) -> Missing {
        let answered = self.answered.lock().unwrap_or_else(|e| e.into_inner());
        if answered.iter().any(|t| t == tx) {
            Missing::Answered
        } else {
            Missing::Unknown
        }
    }

    /// Issues a code for a login.
    pub fn issue(
        &self,
        request: &Pending,
        session_id: String,
        refresh_jti: String,
        now: SystemTime,
    ) -> Result<String, CodeError> {
        self.make_room(now)?;
        let code = random_id();
        self.codes.insert(
            code.clone(),
            Code {
                client_id: request.client_id.clone(),
                redirect_uri: request.redirect_uri.clone(),
                scope: request.scope.clone(),
                nonce: request.nonce.clone(),
                challenge: request.challenge.clone(),
                session_id,
                refresh_jti,
                expires_at: later(now, CODE_TTL),
                used: false,
            },
        );
        Ok(code)
    }

    /// Exchanges a code, atomically: checks client, redirect_uri, PKCE and
    /// expiry, and marks it used. A failed check does not consume the code
    /// (the rightful client may still exchange it), except a replay.
    pub fn redeem(
        &self,
        code: &str,
        client_id: &str,
        redirect_uri: Option<&str>,
        verifier: Option<&str>,
        now: SystemTime,
    ) -> Result<Code, CodeError> {
        let mut entry = self.codes.get_mut(code).ok_or(CodeError::Unknown)?;
        // Another client learns nothing and ends nothing.
        if entry.client_id != client_id {
            return Err(CodeError::OtherClient(entry.client_id.clone()));
        }
        if entry.used {
            return Err(CodeError::Replayed {
                session_id: entry.session_id.clone(),
            });
        }
        if now >= entry.expires_at {
            return Err(CodeError::Expired);
        }
        if redirect_uri != Some(entry.redirect_uri.as_str()) {
            return Err(CodeError::RedirectUri(entry.redirect_uri.clone()));
        }
        match (&entry.challenge, verifier) {
            (Some(challenge), Some(verifier)) if !challenge.verifies(verifier) => {
                return Err(CodeError::VerifierMismatch);
            }
            (Some(_), None) => return Err(CodeError::VerifierMissing),
            // A verifier for a code asked without a challenge: a downgrade
            // (RFC 9700 §2.1.1), refused as Keycloak does.
            (None, Some(_)) => return Err(CodeError::ChallengeMissing),
            _ => {}
        }
        entry.used = true;
        Ok(entry.clone())
    }

    /// Room for one more entry: expired ones go first, then used codes
    /// (kept only to recognise a replay, which then reads as an unknown
    /// code). Without this, used codes alone would refuse logins beyond
    /// `cap` per code lifetime (10 000 a minute) under load. Then pending
    /// logins are evicted ([`Self::evict_pending`]), then the oldest codes:
    /// a full store refuses nothing, as Keycloak's bounded store of
    /// authentication sessions drops its oldest (docs/fidelity.md,
    /// "pending logins").
    fn make_room(&self, now: SystemTime) -> Result<(), CodeError> {
        let full = || self.pending.len() + self.codes.len() >= self.cap;
        if full() {
            self.purge(now);
        }
        if full() {
            let before = self.codes.len();
            self.codes.retain(|_, c| !c.used);
            if self.codes.len() < before {
                self.compact();
            }
        }
        if full() && self.evict_pending() == 0 {
            self.evict_codes();
        }
        if full() {
            return Err(CodeError::Full(self.cap));
        }
        Ok(())
    }

    /// A tenth of the store (at least one) from the pending logins of the
    /// client that holds the most: untouched before touched, oldest first.
    /// The flooding client pays for its flood, and the cost of a full store
    /// (a pass over it) is paid once per tenth of its logins. Returns how
    /// many went.
    fn evict_pending(&self) -> usize {
        let mut per_client: HashMap<ClientId, usize> = HashMap::new();
        for waiting in &self.pending {
            *per_client
                .entry(waiting.request.client_id.clone())
                .or_default() += 1;
        }
        let Some((client, _)) = per_client.into_iter().max_by_key(|(_, n)| *n) else {
            return 0;
        };
        let mut theirs: Vec<(bool, u64, String)> = self
            .pending
            .iter()
            .filter(|w| w.request.client_id == client)
            .map(|w| (w.touched, w.seq, w.key().clone()))
            .collect();
        let count = (self.cap / 10).max(1).min(theirs.len());
        if count < theirs.len() {
            theirs.select_nth_unstable(count);
        }
        for (_, _, tx) in &theirs[..count] {
            self.pending.remove(tx);
        }
        tracing::debug!(evicted = count, %client, "code flow store full: oldest pending logins of the busiest client dropped");
        count
    }

    /// With no pending login left to evict, a tenth of the unexchanged
    /// codes (at least one), the oldest first.
    fn evict_codes(&self) {
        let mut codes: Vec<(SystemTime, String)> = self
            .codes
            .iter()
            .map(|c| (c.expires_at, c.key().clone()))
            .collect();
        let count = (self.cap / 10).max(1).min(codes.len());
        if count < codes.len() {
            codes.select_nth_unstable(count);
        }
        for (_, code) in &codes[..count] {
            self.codes.remove(code);
        }
    }

    /// Drops expired pending requests and codes (used codes are kept until
    /// expiry, so that a replay is recognised).
    pub fn purge(&self, now: SystemTime) -> usize {
        let before = self.pending.len() + self.codes.len();
        self.pending.retain(|_, w| now < w.request.expires_at);
        self.codes.retain(|_, c| now < c.expires_at);
        before.saturating_sub(self.pending.len() + self.codes.len())
    }

    /// Rebuilds the maps at their size (the purge task, every 5 s, and
    /// after used codes are dropped). Removals leave tombstones in a hash
    /// table, and with churn (codes come and go a thousand times a second
    /// under load) the table otherwise keeps doubling though it never holds
    /// more than `cap`: measured, 2.5 times the capacity it needs after
    /// 400 000 logins, and the soak's memory stepped up by 5 MiB late.
    pub fn compact(&self) {
        self.pending.shrink_to_fit();
        self.codes.shrink_to_fit();
    }

    pub fn clear(&self) {
        self.pending.clear();
        self.codes.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    fn t(s: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_800_000_000 + s)
    }

    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

    fn request(challenge: Option<Challenge>) -> Pending {
        Pending {
            client_id: "app".into(),
            redirect_uri: "https://app/cb".into(),
            response_mode: ResponseMode::Query,
            scope: "openid".into(),
            state: Some("s".into()),
            nonce: Some("n".into()),
            challenge,
            acr: "eidas1".into(),
            login_hint: None,
            issuer: "https://psc".into(),
            expires_at: t(0),
        }
    }

    fn s256() -> Challenge {
        // RFC 7636 appendix B.
        Challenge {
            value: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into(),
            method: ChallengeMethod::S256,
        }
    }

    #[test]
    fn the_rfc_7636_example_verifies() {
        assert!(s256().verifies(VERIFIER));
        assert!(!s256().verifies("another-verifier-another-verifier-another-ver"));
        assert!(valid_verifier_syntax(VERIFIER));
        assert!(!valid_verifier_syntax("short"));
    }

    #[test]
    fn a_code_is_bound_to_client_redirect_uri_and_verifier_and_used_once() {
        let flow = CodeFlow::new(10);
        let code = flow
            .issue(&request(Some(s256())), "sess".into(), "r".into(), t(0))
            .unwrap();
        let uri = Some("https://app/cb");
        let wrong = "x".repeat(43);
        let cases = [
            (
                "other",
                uri,
                Some(VERIFIER),
                CodeError::OtherClient("app".into()),
            ),
            (
                "app",
                Some("https://evil/cb"),
                Some(VERIFIER),
                CodeError::RedirectUri("https://app/cb".into()),
            ),
            (
                "app",
                None,
                Some(VERIFIER),
                CodeError::RedirectUri("https://app/cb".into()),
            ),
            ("app", uri, None, CodeError::VerifierMissing),
            (
                "app",
                uri,
                Some(wrong.as_str()),
                CodeError::VerifierMismatch,
            ),
        ];
        for (client, redirect, verifier, expected) in cases {
            assert_eq!(
                flow.redeem(&code, client, redirect, verifier, t(1))
                    .unwrap_err(),
                expected
            );
        }
        // None of those consumed it.
        assert!(flow.redeem(&code, "app", uri, Some(VERIFIER), t(1)).is_ok());
        assert_eq!(
            flow.redeem(&code, "app", uri, Some(VERIFIER), t(2))
                .unwrap_err(),
            CodeError::Replayed {
                session_id: "sess".into()
            }
        );
    }

    #[test]
    fn a_verifier_for_a_code_without_challenge_is_a_refused_downgrade() {
        let flow = CodeFlow::new(10);
        let code = flow
            .issue(&request(None), "s".into(), "r".into(), t(0))
            .unwrap();
        let uri = Some("https://app/cb");
        assert_eq!(
            flow.redeem(&code, "app", uri, Some(VERIFIER), t(1))
                .unwrap_err(),
            CodeError::ChallengeMissing
        );
        // The refusal consumed nothing: the same code without a verifier works.
        assert!(flow.redeem(&code, "app", uri, None, t(1)).is_ok());
    }

    #[test]
    fn codes_expire_after_a_minute_and_pending_logins_after_ten() {
        let flow = CodeFlow::new(10);
        let code = flow
            .issue(&request(None), "s".into(), "r".into(), t(0))
            .unwrap();
        assert_eq!(
            flow.redeem(&code, "app", Some("https://app/cb"), None, t(60))
                .unwrap_err(),
            CodeError::Expired
        );
        let tx = flow.wait(request(None), t(0)).unwrap();
        assert!(flow.pending(&tx, t(599)).is_ok());
        assert!(flow.pending(&tx, t(600)).is_err());
    }

    #[test]
    fn a_full_store_evicts_the_busiest_clients_oldest_untouched_pending_login() {
        let flow = CodeFlow::new(3);
        let other = Pending {
            client_id: "other".into(),
            ..request(None)
        };
        let first = flow.wait(request(None), t(0)).unwrap();
        let second = flow.wait(request(None), t(0)).unwrap();
        let theirs = flow.wait(other, t(0)).unwrap();
        // The first page is in use: the second, untouched, goes instead.
        assert!(flow.pending(&first, t(1)).is_ok());
        let third = flow.wait(request(None), t(1)).unwrap();
        assert!(flow.pending(&second, t(1)).is_err(), "evicted");
        // Another flood from "app" evicts its own untouched requests, never
        // the other client's login nor the page in use.
        for _ in 0..10 {
            flow.wait(request(None), t(2)).unwrap();
        }
        assert!(flow.pending(&theirs, t(2)).is_ok());
        assert!(flow.pending(&first, t(2)).is_ok());
        assert!(flow.pending(&third, t(2)).is_err());
    }

    #[test]
    fn used_codes_go_first_then_pending_logins_then_the_oldest_codes() {
        let flow = CodeFlow::new(2);
        let uri = Some("https://app/cb");
        let used = flow
            .issue(&request(None), "s1".into(), "r".into(), t(0))
            .unwrap();
        flow.redeem(&used, "app", uri, None, t(1)).unwrap();
        let unused = flow
            .issue(&request(None), "s2".into(), "r".into(), t(1))
            .unwrap();
        // Full: the used code goes, the unused one stays.
        let tx = flow.wait(request(None), t(2)).unwrap();
        assert_eq!(
            flow.redeem(&used, "app", uri, None, t(2)).unwrap_err(),
            CodeError::Unknown
        );
        // A pending login and an unused code: the pending login goes.
        let newer = flow
            .issue(&request(None), "s3".into(), "r".into(), t(3))
            .unwrap();
        assert!(flow.pending(&tx, t(3)).is_err());
        // Two unused codes: the oldest goes.
        flow.issue(&request(None), "s4".into(), "r".into(), t(4))
            .unwrap();
        assert_eq!(
            flow.redeem(&unused, "app", uri, None, t(4)).unwrap_err(),
            CodeError::Unknown
        );
        assert!(flow.redeem(&newer, "app", uri, None, t(4)).is_ok());
    }
}
