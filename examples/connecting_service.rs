//! How a connecting service tests its PSC login with psc-mock in-process.
//!
//! `login_by_ciba` stands for the service's own code: it knows only an
//! issuer URL, a CA, its client certificate and credentials. `main` plays
//! the test: it starts a [`MockServer`], runs the service's login while the
//! professional confirms through the handle, and checks who logged in.
//! `cargo run --example connecting_service`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::disallowed_methods,
    reason = "an example client, outside the server: it stops on a failure and measures real time"
)]

use std::time::Duration;

use psc_mock::MockServer;
use serde_json::Value;

/// What the service is configured with.
struct PscSettings {
    issuer: String,
    ca_pem: String,
    identity_pem: String,
    client_id: String,
    client_secret: String,
}

/// The service's code: a CIBA login, returning the userinfo claims.
async fn login_by_ciba(
    psc: &PscSettings,
    id_nat: &str,
) -> Result<Value, Box<dyn std::error::Error>> {
    let http = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(psc.ca_pem.as_bytes())?])
        .identity(reqwest::Identity::from_pem(psc.identity_pem.as_bytes())?)
        .build()?;
    let endpoint = |path: &str| format!("{}/protocol/openid-connect/{path}", psc.issuer);
    let ack: Value = http
        .post(endpoint("ext/ciba/auth"))
        .basic_auth(&psc.client_id, Some(&psc.client_secret))
        .form(&[
            ("login_hint", id_nat),
            ("scope", "openid scope_all"),
            ("binding_message", "42"),
        ])
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let auth_req_id = ack["auth_req_id"].as_str().ok_or("no auth_req_id")?;
    let mut interval = ack["interval"].as_u64().unwrap_or(5);
    let tokens = loop {
        tokio::time::sleep(Duration::from_secs(interval)).await;
        let answer: Value = http
            .post(endpoint("token"))
            .basic_auth(&psc.client_id, Some(&psc.client_secret))
            .form(&[
                ("grant_type", "urn:openid:params:grant-type:ciba"),
                ("auth_req_id", auth_req_id),
            ])
            .send()
            .await?
            .json()
            .await?;
        match answer["error"].as_str() {
            None => break answer,
            Some("authorization_pending") => {}
            Some("slow_down") => interval += 5,
            Some(error) => return Err(format!("PSC refused the login: {error}").into()),
        }
    };
    let access_token = tokens["access_token"].as_str().ok_or("no access_token")?;
    Ok(http
        .get(endpoint("userinfo"))
        .bearer_auth(access_token)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let psc = MockServer::builder().start().await?;
    let settings = PscSettings {
        issuer: psc.issuer().to_owned(),
        ca_pem: psc.ca_pem().to_owned(),
        identity_pem: psc.client_identity_pem(),
        client_id: psc.client_id().to_owned(),
        client_secret: psc.client_secret().to_owned(),
    };

    // The professional confirms as soon as the request reaches the phone.
    let login = login_by_ciba(&settings, "899700245667");
    let phone = async {
        loop {
            if let Some(request) = psc.pending_requests().first() {
                psc.approve(&request.auth_req_id)?;
                return Ok::<_, Box<dyn std::error::Error>>(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    let (claims, approved) = tokio::join!(login, phone);
    approved?;
    let claims = claims?;
    println!(
        "logged in: {} {} ({})",
        claims["given_name"].as_str().unwrap_or("?"),
        claims["family_name"].as_str().unwrap_or("?"),
        claims["SubjectNameID"].as_str().unwrap_or("?")
    );
    assert_eq!(claims["SubjectNameID"], "899700245667");
    Ok(())
}
