//! One complete CIBA login, the unit of work the load runs repeat: what a
//! service and a professional do, over HTTPS with the client certificate
//! of `keys/`. Any answer other than 200 is an error naming the step.

use std::time::Duration;

use reqwest::{Certificate, Client, Identity, StatusCode};
use serde_json::Value;

use crate::{BenchResult, CLIENT_ID, LOGIN_HINT, repo_path};

const CLIENT_SECRET: &str = "psc-mock-secret";
const CIBA_GRANT: &str = "urn:openid:params:grant-type:ciba";

/// The URLs of one flow.
pub struct Target {
    ciba_auth: String,
    token: String,
    userinfo: String,
    control: String,
}

impl Target {
    pub fn new(base: &str) -> Self {
        let oidc = format!("{base}/auth/realms/esante-wallet/protocol/openid-connect");
        Self {
            ciba_auth: format!("{oidc}/ext/ciba/auth"),
            token: format!("{oidc}/token"),
            userinfo: format!("{oidc}/userinfo"),
            control: format!("{base}/mock/ciba/requests"),
        }
    }
}

/// An HTTPS client trusting `keys/ca.pem` and presenting `keys/client.pem`.
pub fn make_client() -> BenchResult<Client> {
    let read = |name: &str| {
        std::fs::read(repo_path(name)).map_err(|e| format!("{}: {e}", repo_path(name).display()))
    };
    let ca = Certificate::from_pem(&read("keys/ca.pem")?).map_err(|e| e.to_string())?;
    let identity = [read("keys/client.pem")?, read("keys/client.key")?].concat();
    let identity = Identity::from_pem(&identity).map_err(|e| e.to_string())?;
    Client::builder()
        .tls_certs_only([ca])
        .identity(identity)
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| error_chain(&e))
}

/// One complete CIBA login: request, approval, token, userinfo.
pub async fn flow(client: &Client, target: &Target) -> BenchResult<()> {
    let sent = client
        .post(&target.ciba_auth)
        .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
        .form(&[
            ("login_hint", LOGIN_HINT),
            ("scope", "openid scope_all"),
            ("binding_message", "42"),
        ])
        .send()
        .await;
    let ack = expect_json("1 ciba/auth", sent).await?;
    let auth_req_id = ack["auth_req_id"]
        .as_str()
        .ok_or_else(|| format!("1 ciba/auth: no auth_req_id in {ack}"))?;

    let sent = client
        .post(format!("{}/{auth_req_id}/approve", target.control))
        .send()
        .await;
    expect_ok("2 approve", sent).await?;

    let sent = client
        .post(&target.token)
        .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
        .form(&[("grant_type", CIBA_GRANT), ("auth_req_id", auth_req_id)])
        .send()
        .await;
    let tokens = expect_json("3 token", sent).await?;
    let access_token = tokens["access_token"]
        .as_str()
        .ok_or("3 token: no access_token in the answer")?;

    let sent = client
        .get(&target.userinfo)
        .bearer_auth(access_token)
        .send()
        .await;
    expect_ok("4 userinfo", sent).await?;
    Ok(())
}

/// The body of a 200 answer; anything else is an error naming the step.
async fn expect_ok(
    step: &str,
    sent: Result<reqwest::Response, reqwest::Error>,
) -> BenchResult<String> {
    let response = sent.map_err(|e| format!("{step}: {}", error_chain(&e)))?;
    let status = response.status();
    let body = response
        .text()
        .await
        .map_err(|e| format!("{step}: reading the body: {}", error_chain(&e)))?;
    if status != StatusCode::OK {
        return Err(format!("{step}: HTTP {status}: {body}"));
    }
    Ok(body)
}

async fn expect_json(
    step: &str,
    sent: Result<reqwest::Response, reqwest::Error>,
) -> BenchResult<Value> {
    let body = expect_ok(step, sent).await?;
    serde_json::from_str(&body).map_err(|e| format!("{step}: not JSON ({e}): {body}"))
}

/// A reqwest error with its causes (TLS errors hide in them).
fn error_chain(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
