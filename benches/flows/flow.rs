//! The units of work the load runs repeat, over HTTPS with the client
//! certificate of `keys/`: a complete CIBA login, a complete code-flow
//! login, and the bad requests a careless client sends. Any answer other
//! than the expected one is an error naming the step. Every request can be
//! timed on its own (the soak run bounds the slowest).

use std::sync::Mutex;
use std::time::{Duration, Instant};

use reqwest::redirect::Policy;
use reqwest::{Certificate, Client, Identity, RequestBuilder, StatusCode};
use serde_json::Value;

use crate::{BenchResult, CLIENT_ID, LOGIN_HINT, repo_path};

pub const CLIENT_SECRET: &str = "psc-mock-secret";
pub const CIBA_GRANT: &str = "urn:openid:params:grant-type:ciba";
const REDIRECT_URI: &str = "http://localhost:8080/callback";

/// Which login a run repeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// bc-authorize, approval through the control API, token, userinfo.
    Ciba,
    /// authorize (login page), the professional's choice (redirect with
    /// the code), token, userinfo.
    Code,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Self::Ciba => "CIBA",
            Self::Code => "code",
        }
    }

    /// HTTP requests per flow.
    pub const REQUESTS: u64 = 4;
}

/// The URLs of a flow.
pub struct Target {
    pub ciba_auth: String,
    pub token: String,
    pub userinfo: String,
    authorize: String,
    login: String,
    control: String,
}

impl Target {
    pub fn new(base: &str) -> Self {
        let oidc = format!("{base}/auth/realms/esante-wallet/protocol/openid-connect");
        Self {
            ciba_auth: format!("{oidc}/ext/ciba/auth"),
            token: format!("{oidc}/token"),
            userinfo: format!("{oidc}/userinfo"),
            authorize: format!("{oidc}/auth"),
            login: format!("{oidc}/auth/login"),
            control: format!("{base}/mock/ciba/requests"),
        }
    }
}

/// An HTTPS client trusting `keys/ca.pem` and presenting `keys/client.pem`
/// (or the client certificate `cert`), following no redirect.
pub fn make_client() -> BenchResult<Client> {
    make_client_as("client")
}

pub fn make_client_as(cert: &str) -> BenchResult<Client> {
    let read = |name: &str| {
        std::fs::read(repo_path(name)).map_err(|e| format!("{}: {e}", repo_path(name).display()))
    };
    let ca = Certificate::from_pem(&read("keys/ca.pem")?).map_err(|e| e.to_string())?;
    let identity = [
        read(&format!("keys/{cert}.pem"))?,
        read(&format!("keys/{cert}.key"))?,
    ]
    .concat();
    let identity = Identity::from_pem(&identity).map_err(|e| e.to_string())?;
    Client::builder()
        .tls_certs_only([ca])
        .identity(identity)
        .redirect(Policy::none())
        // Below the server's 5 s keep-alive: a connection the server is
        // closing for idleness is never picked for a new request (a POST
        // on it would fail and not be retried).
        .pool_idle_timeout(Duration::from_secs(3))
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| error_chain(&e))
}

/// Request latencies in microseconds, when a run bounds them.
#[derive(Default)]
pub struct Timings(Mutex<Vec<u64>>);

impl Timings {
    pub fn take(&self) -> Vec<u64> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }

    fn record(&self, latencies: &[u64]) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(latencies);
    }
}

/// The headers of an answer that flows and refusals look at, if present
/// and text.
struct Headers {
    location: Option<String>,
    /// `WWW-Authenticate`.
    challenge: Option<String>,
}

/// One flow's requests: sends them, times each, checks their answers.
pub struct Steps<'a> {
    client: &'a Client,
    pub target: &'a Target,
    latencies: Vec<u64>,
}

impl<'a> Steps<'a> {
    pub fn new(client: &'a Client, target: &'a Target) -> Self {
        Self {
            client,
            target,
            latencies: Vec::with_capacity(4),
        }
    }

    /// Hands the request latencies to `timings`, if any.
    pub fn finish(self, timings: Option<&Timings>) {
        if let Some(timings) = timings {
            timings.record(&self.latencies);
        }
    }

    /// Sends one request; its status, the headers flows look at and body.
    async fn send(
        &mut self,
        step: &str,
        request: impl FnOnce(&Client) -> RequestBuilder,
    ) -> BenchResult<(StatusCode, Headers, String)> {
        let t0 = Instant::now();
        let response = request(self.client)
            .send()
            .await
            .map_err(|e| format!("{step}: {}", error_chain(&e)))?;
        let status = response.status();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let headers = Headers {
            location: header("location"),
            challenge: header("www-authenticate"),
        };
        let body = response
            .text()
            .await
            .map_err(|e| format!("{step}: reading the body: {}", error_chain(&e)))?;
        self.latencies.push(t0.elapsed().as_micros() as u64);
        Ok((status, headers, body))
    }

    /// The body of a 200 answer; anything else is an error naming the step.
    async fn ok(
        &mut self,
        step: &str,
        request: impl FnOnce(&Client) -> RequestBuilder,
    ) -> BenchResult<String> {
        let (status, _, body) = self.send(step, request).await?;
        if status != StatusCode::OK {
            return Err(format!("{step}: HTTP {status}: {body}"));
        }
        Ok(body)
    }

    async fn json(
        &mut self,
        step: &str,
        request: impl FnOnce(&Client) -> RequestBuilder,
    ) -> BenchResult<Value> {
        let body = self.ok(step, request).await?;
        serde_json::from_str(&body).map_err(|e| format!("{step}: not JSON ({e}): {body}"))
    }

    /// A refusal with this status and OAuth `error`, in the JSON body or,
    /// for a bearer token (RFC 6750 §3, an empty body), in
    /// `WWW-Authenticate`: what a bad request must get; anything else is an
    /// error.
    pub async fn refused(
        &mut self,
        step: &str,
        status: u16,
        error: &str,
        request: impl FnOnce(&Client) -> RequestBuilder,
    ) -> BenchResult<()> {
        let (got, headers, body) = self.send(step, request).await?;
        let json: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
        let challenge = headers.challenge.unwrap_or_default();
        let in_challenge = challenge.contains(&format!("error=\"{error}\""));
        if got.as_u16() != status || (json["error"] != error && !in_challenge) {
            return Err(format!(
                "{step}: expected {status} {error}, got HTTP {got} (WWW-Authenticate {challenge:?}): {body}"
            ));
        }
        Ok(())
    }

    /// The token endpoint with the client's credentials.
    async fn token(&mut self, step: &str, form: &[(&str, &str)]) -> BenchResult<String> {
        let url = &self.target.token;
        let tokens = self
            .json(step, |c| {
                c.post(url)
                    .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
                    .form(form)
            })
            .await?;
        tokens["access_token"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("{step}: no access_token in the answer"))
    }

    async fn userinfo(&mut self, step: &str, access_token: &str) -> BenchResult<()> {
        let url = &self.target.userinfo;
        self.ok(step, |c| c.get(url).bearer_auth(access_token))
            .await
            .map(drop)
    }
}

/// One complete login of `kind`.
pub async fn flow(
    kind: Kind,
    client: &Client,
    target: &Target,
    timings: Option<&Timings>,
) -> BenchResult<()> {
    let mut steps = Steps::new(client, target);
    match kind {
        Kind::Ciba => ciba(&mut steps).await?,
        Kind::Code => code(&mut steps).await?,
    }
    steps.finish(timings);
    Ok(())
}

/// request, approval, token, userinfo.
async fn ciba(steps: &mut Steps<'_>) -> BenchResult<()> {
    let target = steps.target;
    let ack = steps
        .json("ciba 1 bc-authorize", |c| {
            c.post(&target.ciba_auth)
                .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
                .form(&[
                    ("login_hint", LOGIN_HINT),
                    ("scope", "openid scope_all"),
                    ("binding_message", "42"),
                ])
        })
        .await?;
    let auth_req_id = ack["auth_req_id"]
        .as_str()
        .ok_or_else(|| format!("ciba 1 bc-authorize: no auth_req_id in {ack}"))?;
    let approve = format!("{}/{auth_req_id}/approve", target.control);
    steps.ok("ciba 2 approve", |c| c.post(&approve)).await?;
    let access_token = steps
        .token(
            "ciba 3 token",
            &[("grant_type", CIBA_GRANT), ("auth_req_id", auth_req_id)],
        )
        .await?;
    steps.userinfo("ciba 4 userinfo", &access_token).await
}

/// authorize (the login page), the professional's choice, token, userinfo.
async fn code(steps: &mut Steps<'_>) -> BenchResult<()> {
    let target = steps.target;
    let page = steps
        .ok("code 1 authorize", |c| {
            c.get(&target.authorize).query(&[
                ("client_id", CLIENT_ID),
                ("response_type", "code"),
                ("redirect_uri", REDIRECT_URI),
                ("scope", "openid scope_all"),
                ("state", "bench"),
                ("nonce", "bench-nonce"),
                ("login_hint", LOGIN_HINT),
            ])
        })
        .await?;
    let tx = page
        .split_once("name=\"tx\" value=\"")
        .and_then(|(_, rest)| rest.split_once('"'))
        .map(|(tx, _)| tx.to_owned())
        .ok_or("code 1 authorize: no tx in the login page")?;
    let (status, headers, body) = steps
        .send("code 2 login", |c| {
            c.post(&target.login).form(&[
                ("tx", tx.as_str()),
                ("decision", "approve"),
                ("id_nat", LOGIN_HINT),
                ("channel", "MOBILE"),
            ])
        })
        .await?;
    let code = headers
        .location
        .as_deref()
        .filter(|_| status.is_redirection())
        .and_then(|l| l.split_once('?'))
        .and_then(|(_, query)| {
            form_urlencoded::parse(query.as_bytes())
                .find(|(k, _)| k == "code")
                .map(|(_, v)| v.into_owned())
        })
        .ok_or_else(|| format!("code 2 login: no code in the redirect (HTTP {status}): {body}"))?;
    let access_token = steps
        .token(
            "code 3 token",
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT_URI),
            ],
        )
        .await?;
    steps.userinfo("code 4 userinfo", &access_token).await
}

/// A reqwest error with its causes (TLS errors hide in them).
pub fn error_chain(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
