//! The deliberate errors of `psc-mock compare`: a handful of requests each
//! issuer must refuse, noted by status, `error` code and, for userinfo, the
//! `WWW-Authenticate` challenge's error.

use serde_json::{Value, json};

use super::observation::{Observation, Observed};
use super::observe::Side;
use crate::client_http::{self, Client, ClientError, Endpoints, MAX_ANSWER, Sent};

/// The probes, in order (each a step of the table).
pub const ERROR_STEPS: [&str; 5] = [
    "errors.unknown_auth_req_id",
    "errors.wrong_client_secret",
    "errors.unknown_scope",
    "errors.invalid_access_token",
    "errors.missing_login_hint",
];

/// The answer of a request that may be refused: its status, JSON body and
/// `WWW-Authenticate` header.
struct Refusal {
    status: u16,
    body: Value,
    www_authenticate: Option<String>,
}

/// The deliberate errors, each noted by status and `error` code.
pub async fn errors(side: &Side, http: &Client, endpoints: &Endpoints, seen: &mut Observation) {
    let settings = &side.client;
    let (id, secret) = (settings.client_id.as_str(), settings.client_secret.as_str());
    let login_hint = settings.login_hint.as_str();
    let ciba = [
        ("grant_type", "urn:openid:params:grant-type:ciba"),
        ("auth_req_id", "psc-mock-compare-unknown-auth-req-id"),
    ];
    let wrong_secret = [
        ("login_hint", login_hint),
        ("scope", settings.scope.as_str()),
    ];
    let unknown_scope = [
        ("login_hint", login_hint),
        ("scope", "openid psc-mock-compare-unknown-scope"),
    ];
    let no_login_hint = [("scope", settings.scope.as_str())];
    for (index, step) in ERROR_STEPS.into_iter().enumerate() {
        // Each request is made when its turn comes (its timeout starts then).
        let sent: Sent = match index {
            0 => {
                http.post(&endpoints.token)
                    .basic_auth(id, secret)
                    .send_form(&ciba)
                    .await
            }
            1 => {
                http.post(&endpoints.backchannel)
                    .basic_auth(id, "psc-mock-compare-wrong-secret")
                    .send_form(&wrong_secret)
                    .await
            }
            2 => {
                http.post(&endpoints.backchannel)
                    .basic_auth(id, secret)
                    .send_form(&unknown_scope)
                    .await
            }
            3 => {
                http.get(&endpoints.userinfo)
                    .bearer_auth("psc-mock-compare-invalid-access-token")
                    .send()
                    .await
            }
            _ => {
                http.post(&endpoints.backchannel)
                    .basic_auth(id, secret)
                    .send_form(&no_login_hint)
                    .await
            }
        };
        match refusal(sent).await {
            Ok(refusal) => {
                seen.value(format!("{step}.status"), &json!(refusal.status));
                match refusal.body.get("error") {
                    Some(error) => seen.value(format!("{step}.error"), error),
                    None => seen.note(format!("{step}.error"), Observed::Presence(false)),
                }
                if let Some(challenge) = refusal.www_authenticate {
                    let scheme = challenge.split_whitespace().next().unwrap_or_default();
                    seen.value(format!("{step}.www_authenticate.scheme"), &json!(scheme));
                    match bearer_error(&challenge) {
                        Some(error) => {
                            seen.value(format!("{step}.www_authenticate.error"), &json!(error));
                        }
                        None => seen.note(
                            format!("{step}.www_authenticate.error"),
                            Observed::Presence(false),
                        ),
                    }
                }
            }
            Err(e) => seen.fail(step, e.to_string()),
        }
    }
}

/// Sends a request expected to be refused and reads the refusal.
async fn refusal(sent: Sent) -> Result<Refusal, ClientError> {
    let mut answer = sent.map_err(|e| client_http::transport("error probe", &e))?;
    let status = answer.status().as_u16();
    let www_authenticate = answer
        .headers()
        .get(awc::http::header::WWW_AUTHENTICATE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = answer.json().limit(MAX_ANSWER).await.unwrap_or(Value::Null);
    Ok(Refusal {
        status,
        body,
        www_authenticate,
    })
}

/// The `error` parameter of a `WWW-Authenticate` challenge.
fn bearer_error(header: &str) -> Option<&str> {
    let start = header.find("error=\"")? + "error=\"".len();
    let rest = &header[start..];
    rest.get(..rest.find('"')?)
}
