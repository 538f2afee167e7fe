//! The request journal: every request to the OIDC endpoints, as the mock
//! saw it, in a bounded ring buffer.
//!
//! A test asserts what its code sent (`GET /mock/journal?endpoint=token`)
//! the way users of HTTP mock servers assert on captured requests. Each
//! [`Entry`] has the method, path, endpoint, client_id, certificate CN,
//! parameters with secrets masked, the answer's status and OAuth error,
//! the injected fault if any, and the time taken. The HTTP layer's
//! middleware (`oidc::observe`) records entries and also logs each as a
//! `tracing` event.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use serde::{Deserialize, Serialize};

use crate::endpoint::Endpoint;

/// Parameters whose values are never recorded.
pub const MASKED: [&str; 10] = [
    "client_secret",
    "client_assertion",
    "code",
    "code_verifier",
    "refresh_token",
    "access_token",
    "token",
    "id_token_hint",
    "password",
    "logout_token",
];

/// What a masked value reads as.
pub const MASK: &str = "***";

/// Most characters kept of a recorded value (path, parameter, client_id);
/// a longer one is cut and ends with `…`.
pub const MAX_VALUE: usize = 256;
/// Most parameters kept per entry; the others are counted in `"…"`.
pub const MAX_PARAMS: usize = 64;

/// `value`, cut to [`MAX_VALUE`] characters.
pub fn bounded(value: &str) -> String {
    cut(value, MAX_VALUE)
}

/// `value`, cut to `max` characters (then ending with `…`).
pub fn cut(value: &str, max: usize) -> String {
    match value.char_indices().nth(max) {
        None => value.to_owned(),
        Some((end, _)) => format!("{}…", &value[..end]),
    }
}

/// One request and its answer.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Entry {
    /// Position in the journal, from 1; `?since=N` asks for later ones.
    pub seq: u64,
    /// When the request arrived, by the mock's clock (Unix milliseconds).
    pub at_ms: u64,
    pub method: String,
    pub path: String,
    pub endpoint: Endpoint,
    /// From the form, HTTP Basic, or the certificate CN; not verified.
    pub client_id: Option<String>,
    pub certificate_cn: Option<String>,
    /// `Basic <client_id>:***` or `Bearer ***`.
    pub authorization: Option<String>,
    /// Query and form parameters, secrets masked; values longer than 256
    /// characters are cut, and beyond 64 parameters the key `…` says how
    /// many more there were.
    pub params: BTreeMap<String, String>,
    /// The answer's status; 0 when the connection was dropped (a fault).
    pub status: u16,
    pub error: Option<String>,
    pub error_description: Option<String>,
    /// The `type` of the fault injected into this request.
    #[schema(value_type = Option<String>)]
    pub fault: Option<&'static str>,
    pub duration_ms: f64,
}

/// `GET /mock/journal` filters; every one given must match.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Filter {
    pub endpoint: Option<Endpoint>,
    pub method: Option<String>,
    pub client_id: Option<String>,
    pub certificate_cn: Option<String>,
    pub status: Option<u16>,
    pub error: Option<String>,
    pub fault: Option<String>,
    pub grant_type: Option<String>,
    pub login_hint: Option<String>,
    pub auth_req_id: Option<String>,
    /// Only entries with a larger `seq`.
    pub since: Option<u64>,
    /// At most this many (the latest), default all.
    pub limit: Option<usize>,
}

impl Filter {
    fn matches(&self, e: &Entry) -> bool {
        fn same(want: &Option<String>, have: Option<&str>) -> bool {
            want.as_deref().is_none_or(|w| have == Some(w))
        }
        let param = |name: &str| e.params.get(name).map(String::as_str);
        self.endpoint
            .is_none_or(|w| w == Endpoint::Any || w == e.endpoint)
            && self
                .method
                .as_deref()
                .is_none_or(|m| m.eq_ignore_ascii_case(&e.method))
            && same(&self.client_id, e.client_id.as_deref())
            && same(&self.certificate_cn, e.certificate_cn.as_deref())
            && self.status.is_none_or(|s| s == e.status)
            && same(&self.error, e.error.as_deref())
            && same(&self.fault, e.fault)
            && same(&self.grant_type, param("grant_type"))
            && same(&self.login_hint, param("login_hint"))
            && same(&self.auth_req_id, param("auth_req_id"))
            && self.since.is_none_or(|s| e.seq > s)
    }
}

/// The ring buffer of the last `capacity` entries.
#[derive(Debug)]
pub struct Journal {
    entries: Mutex<VecDeque<Arc<Entry>>>,
    capacity: usize,
    next_seq: AtomicU64,
}

impl Journal {
    pub fn new(capacity: usize) -> Self {
        Self {
            entries: Mutex::new(VecDeque::with_capacity(capacity.min(4096))),
            capacity,
            next_seq: AtomicU64::new(1),
        }
    }

    /// Each change is one push or pop, so a poisoned lock is used as is.
    fn lock(&self) -> MutexGuard<'_, VecDeque<Arc<Entry>>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records an entry, giving it its `seq`; the oldest goes if full.
    pub fn record(&self, mut entry: Entry) {
        if self.capacity == 0 {
            return;
        }
        let mut entries = self.lock();
        entry.seq = self.next_seq.fetch_add(1, Ordering::Relaxed);
        if entries.len() >= self.capacity {
            entries.pop_front();
        }
        entries.push_back(Arc::new(entry));
    }

    /// The matching entries, oldest first (the latest `limit` of them).
    pub fn query(&self, filter: &Filter) -> Vec<Arc<Entry>> {
        let entries = self.lock();
        let mut found: Vec<_> = entries
            .iter()
            .filter(|e| filter.matches(e))
            .cloned()
            .collect();
        if let Some(limit) = filter.limit {
            let skip = found.len().saturating_sub(limit);
            found.drain(..skip);
        }
        found
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Forgets every entry; `seq` keeps counting, so `since` stays valid.
    pub fn clear(&self) {
        self.lock().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(endpoint: Endpoint, status: u16, login_hint: &str) -> Entry {
        Entry {
            seq: 0,
            at_ms: 0,
            method: "POST".into(),
            path: "/x".into(),
            endpoint,
            client_id: Some("app".into()),
            certificate_cn: None,
            authorization: None,
            params: BTreeMap::from([("login_hint".into(), login_hint.into())]),
            status,
            error: None,
            error_description: None,
            fault: None,
            duration_ms: 0.0,
        }
    }

    #[test]
    fn the_ring_keeps_the_latest_entries() {
        let j = Journal::new(3);
        for i in 0..5 {
            j.record(entry(Endpoint::Token, 200, &i.to_string()));
        }
        let all = j.query(&Filter::default());
        let seqs: Vec<_> = all.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, [3, 4, 5]);
        j.clear();
        assert!(j.is_empty());
        j.record(entry(Endpoint::Token, 200, "x"));
        assert_eq!(j.query(&Filter::default())[0].seq, 6);
    }

    #[test]
    fn filters_combine() {
        let j = Journal::new(10);
        j.record(entry(Endpoint::BcAuthorize, 200, "a"));
        j.record(entry(Endpoint::Token, 400, "a"));
        j.record(entry(Endpoint::Token, 200, "b"));
        let count = |f: Filter| j.query(&f).len();
        assert_eq!(
            count(Filter {
                endpoint: Some(Endpoint::Token),
                ..Filter::default()
            }),
            2
        );
        assert_eq!(
            count(Filter {
                endpoint: Some(Endpoint::Token),
                login_hint: Some("a".into()),
                ..Filter::default()
            }),
            1
        );
        assert_eq!(
            count(Filter {
                status: Some(200),
                since: Some(1),
                ..Filter::default()
            }),
            1
        );
        assert_eq!(
            count(Filter {
                limit: Some(2),
                ..Filter::default()
            }),
            2
        );
    }
}
