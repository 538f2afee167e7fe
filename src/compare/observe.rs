//! The network half of `psc-mock compare`: one issuer observed with the
//! user's client settings (discovery under both names, JWKS, a CIBA login,
//! the tokens, userinfo, introspection, refresh, then deliberate errors),
//! each step noted into an [`Observation`] or marked as not run, with why.

use serde_json::{Value, json};

use super::observation::{Mode, Observation, Observed, space_separated};
use super::probes::{ERROR_STEPS, errors};
use crate::client_http::{
    self, Client, ClientError, ClientSettings, Endpoints, MAX_ANSWER, Poll, Wait,
};

/// One side of the comparison.
#[derive(Debug, Clone)]
pub struct Side {
    /// `A` or `B`, in the table and in progress messages.
    pub label: char,
    /// The issuer: `https://HOST/auth/realms/REALM`.
    pub issuer: String,
    pub client: ClientSettings,
    /// Approve the CIBA request through psc-mock's control API
    /// (`POST /mock/ciba/requests/{id}/approve` at the issuer's origin)
    /// instead of waiting for the professional.
    pub approve_with_control_api: bool,
}

/// Every step, in order; a step noted as failed hides its paths.
const LOGIN_STEPS: [&str; 5] = ["bc_authorize", "token", "userinfo", "introspect", "refresh"];

/// What a step that could not run says of the ones that needed it.
fn not_run(after: &str) -> String {
    format!("not run: {after} could not run")
}

/// Observes one issuer; `progress` is told what the user should know while
/// it runs (which request to approve on the phone).
pub async fn observe(side: &Side, progress: &(dyn Fn(&str) + Sync)) -> Observation {
    client_http::local(observe_here(side, progress)).await
}

/// [`observe`], on a thread where awc's tasks can run.
async fn observe_here(side: &Side, progress: &(dyn Fn(&str) + Sync)) -> Observation {
    let mut seen = Observation::default();
    let everything = || {
        ["discovery.openid", "discovery.wallet", "jwks"]
            .into_iter()
            .chain(LOGIN_STEPS)
            .chain(ERROR_STEPS)
    };
    let http = match client_http::client(&side.client) {
        Ok(http) => http,
        Err(e) => {
            for step in everything() {
                seen.fail(step, format!("setup: {e}"));
            }
            return seen;
        }
    };
    let issuer = side.issuer.trim_end_matches('/');
    let discovery = client_http::json(
        "discovery",
        http.get(format!("{issuer}/.well-known/openid-configuration"))
            .send()
            .await,
    )
    .await;
    let endpoints = match discovery.and_then(|d| Ok((client_http::endpoints(&d, issuer)?, d))) {
        Ok((endpoints, document)) => {
            seen.shape("discovery.openid", &document, Mode::Document, &[]);
            endpoints
        }
        Err(e) => {
            for step in everything() {
                seen.fail(step, e.to_string());
            }
            return seen;
        }
    };
    match client_http::json(
        "wallet discovery",
        http.get(format!("{issuer}/.well-known/wallet-openid-configuration"))
            .send()
            .await,
    )
    .await
    {
        Ok(document) => seen.shape("discovery.wallet", &document, Mode::Document, &[]),
        Err(e) => seen.fail("discovery.wallet", e.to_string()),
    }
    match client_http::json("jwks", http.get(&endpoints.jwks).send().await).await {
        Ok(jwks) => note_jwks(&mut seen, &jwks),
        Err(e) => seen.fail("jwks", e.to_string()),
    }

    let access_token = login(side, &http, &endpoints, &mut seen, progress).await;
    if access_token.is_some() {
        errors(side, &http, &endpoints, &mut seen).await;
    } else {
        for step in ERROR_STEPS {
            seen.fail(step, not_run("the CIBA login"));
        }
    }
    seen
}

/// The JWKS: how many keys, and each key's `kty`, `alg`, `use` and which
/// certificate fields it has, as one member per key.
fn note_jwks(seen: &mut Observation, jwks: &Value) {
    let keys = jwks["keys"].as_array().map(Vec::as_slice).unwrap_or(&[]);
    seen.value("jwks.key_count", &json!(keys.len()));
    let describe = |key: &Value| {
        let mut parts: Vec<String> = ["kty", "alg", "use"]
            .iter()
            .map(|name| match key.get(*name) {
                Some(v) => format!("{name}={}", super::observation::word(v)),
                None => format!("{name}=(missing)"),
            })
            .collect();
        for name in ["x5c", "x5t", "x5t#S256"] {
            let mark = if key.get(name).is_some() { '+' } else { '-' };
            parts.push(format!("{mark}{name}"));
        }
        Value::String(parts.join(","))
    };
    let described: Vec<Value> = keys.iter().map(describe).collect();
    // Not through `members`: a description is longer than a word.
    seen.note(
        "jwks.keys[]",
        Observed::Members(
            described
                .iter()
                .filter_map(|d| d.as_str().map(str::to_owned))
                .collect(),
        ),
    );
}

/// The CIBA login and what follows it; the access token if it went through.
async fn login(
    side: &Side,
    http: &Client,
    endpoints: &Endpoints,
    seen: &mut Observation,
    progress: &(dyn Fn(&str) + Sync),
) -> Option<String> {
    let settings = &side.client;
    let skip_from = |seen: &mut Observation, index: usize, why: String| {
        seen.fail(LOGIN_STEPS[index], why);
        for later in &LOGIN_STEPS[index + 1..] {
            seen.fail(later, not_run(LOGIN_STEPS[index]));
        }
    };
    let binding_message = format!(
        "{:02}",
        (crate::keys::random_fraction() * 100.0) as u32 % 100
    );
    let ack = client_http::json(
        "bc-authorize",
        http.post(&endpoints.backchannel)
            .basic_auth(&settings.client_id, &settings.client_secret)
            .send_form(&[
                ("login_hint", settings.login_hint.as_str()),
                ("scope", settings.scope.as_str()),
                ("binding_message", binding_message.as_str()),
            ])
            .await,
    )
    .await;
    let (ack, auth_req_id) =
        match ack.and_then(|a| Ok((client_http::text(&a, "auth_req_id", "bc-authorize")?, a))) {
            Ok((id, ack)) => (ack, id),
            Err(e) => {
                skip_from(seen, 0, e.to_string());
                return None;
            }
        };
    seen.shape(
        "bc_authorize",
        &ack,
        Mode::Shape,
        &["expires_in", "interval"],
    );
    let expires_in = ack["expires_in"].as_u64().unwrap_or(120);
    let interval = ack["interval"].as_u64().unwrap_or(5);
    if side.approve_with_control_api {
        if let Err(e) = approve(http, &side.issuer, &auth_req_id).await {
            skip_from(seen, 1, e.to_string());
            return None;
        }
    } else {
        progress(&format!(
            "{}: approve the request showing \"{binding_message}\" (polling every {interval} s for up to {} s)",
            side.label,
            settings.timeout_s.min(expires_in + 5)
        ));
    }
    let poll = Poll {
        token_endpoint: &endpoints.token,
        auth_req_id: &auth_req_id,
        expires_in,
        interval,
    };
    let label = side.label;
    let tokens = client_http::poll_tokens(http, settings, &poll, |wait| {
        if let Wait::SlowDown { interval_s, .. } = wait {
            progress(&format!(
                "{label}: slow_down, polling every {interval_s} s now"
            ));
        }
    })
    .await;
    let tokens = match tokens {
        Ok(tokens) => tokens,
        Err(e) => {
            skip_from(seen, 1, e.to_string());
            return None;
        }
    };
    note_tokens(seen, "token", &tokens);
    let access_token = tokens["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();

    let info = http
        .get(&endpoints.userinfo)
        .bearer_auth(&access_token)
        .send()
        .await;
    match info {
        Ok(mut answer) if answer.status().is_success() => {
            let jwt = answer
                .headers()
                .get(awc::http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("application/jwt"));
            match answer.body().limit(MAX_ANSWER).await {
                Ok(body) if jwt => {
                    seen.token("userinfo.jwt", String::from_utf8_lossy(&body).trim())
                }
                Ok(body) => match serde_json::from_slice::<Value>(&body) {
                    Ok(document) => seen.shape("userinfo", &document, Mode::Shape, &[]),
                    Err(e) => seen.fail("userinfo", format!("the body is not JSON: {e}")),
                },
                Err(e) => seen.fail("userinfo", format!("userinfo: reading the answer: {e}")),
            }
        }
        Ok(answer) => seen.fail("userinfo", format!("HTTP {}", answer.status().as_u16())),
        Err(e) => seen.fail(
            "userinfo",
            client_http::transport("userinfo", &e).to_string(),
        ),
    }

    match &endpoints.introspection {
        Some(url) => {
            let answer = client_http::json(
                "introspect",
                http.post(url)
                    .basic_auth(&settings.client_id, &settings.client_secret)
                    .send_form(&[("token", access_token.as_str())])
                    .await,
            )
            .await;
            match answer {
                Ok(body) => seen.shape("introspect", &body, Mode::Shape, &["active", "token_type"]),
                Err(e) => seen.fail("introspect", e.to_string()),
            }
        }
        None => seen.fail(
            "introspect",
            "no introspection_endpoint in the discovery document",
        ),
    }

    match tokens["refresh_token"].as_str() {
        Some(refresh_token) => {
            let answer = client_http::json(
                "refresh",
                http.post(&endpoints.token)
                    .basic_auth(&settings.client_id, &settings.client_secret)
                    .send_form(&[
                        ("grant_type", "refresh_token"),
                        ("refresh_token", refresh_token),
                    ])
                    .await,
            )
            .await;
            match answer {
                Ok(body) => note_tokens(seen, "refresh", &body),
                Err(e) => seen.fail("refresh", e.to_string()),
            }
        }
        None => seen.fail("refresh", "no refresh_token in the token response"),
    }
    Some(access_token)
}

/// A token response: its fields and types, lifetimes and `token_type` by
/// value, `scope` by member, and each token's header and claims.
fn note_tokens(seen: &mut Observation, path: &str, tokens: &Value) {
    seen.shape(
        &format!("{path}.response"),
        tokens,
        Mode::Shape,
        &[
            "expires_in",
            "refresh_expires_in",
            "token_type",
            "not-before-policy",
        ],
    );
    if let Some(scope) = tokens["scope"].as_str() {
        seen.note(format!("{path}.response.scope[]"), space_separated(scope));
    }
    for name in ["access_token", "id_token", "refresh_token"] {
        if let Some(token) = tokens[name].as_str() {
            seen.token(&format!("{path}.{name}"), token);
        }
    }
}

/// Approves a CIBA request through psc-mock's control API.
async fn approve(http: &Client, issuer: &str, auth_req_id: &str) -> Result<(), ClientError> {
    let url: awc::http::Uri = issuer
        .parse()
        .map_err(|e| ClientError::Unexpected(format!("the issuer: {e}"), "approve"))?;
    let (Some(scheme), Some(authority)) = (url.scheme_str(), url.authority()) else {
        return Err(ClientError::Unexpected(
            format!("the issuer {issuer:?} is not an absolute URL"),
            "approve",
        ));
    };
    let origin = format!("{scheme}://{authority}");
    let answer = http
        .post(format!("{origin}/mock/ciba/requests/{auth_req_id}/approve"))
        .send()
        .await
        .map_err(|e| client_http::transport("approve", &e))?;
    match answer.status().as_u16() {
        200 => Ok(()),
        status => Err(ClientError::Unexpected(
            format!(
                "the control API answered HTTP {status} (is the issuer a psc-mock, with its control API on the same listener and no control token?)"
            ),
            "approve",
        )),
    }
}
