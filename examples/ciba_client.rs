//! A connecting service's CIBA login, start to end, as a CI job would run it
//! against psc-mock (or PSC itself): discovery, backchannel authentication
//! request (HTTP Basic and a client certificate), polling of the token
//! endpoint at the pace the server sets, then userinfo.
//!
//! ```sh
//! cargo run -- --auto-approve-after-ms 1000     # a server that approves by itself
//! cargo run --example ciba_client               # in another terminal
//! ```
//!
//! Everything comes from the environment; the defaults suit the commands
//! above, run from the repository root:
//!
//! | variable | default |
//! |---|---|
//! | `ISSUER` | `https://127.0.0.1:8443/auth/realms/esante-wallet` |
//! | `CA` | `keys/ca.pem` (the CA that signed the server's certificate) |
//! | `CLIENT_CERT`, `CLIENT_KEY` | `keys/client.pem`, `keys/client.key` |
//! | `CLIENT_ID`, `CLIENT_SECRET` | `psc-mock-client`, `psc-mock-secret` |
//! | `LOGIN_HINT` | `899700245667` (a fixture professional's idNat) |
//! | `SCOPE` | `openid scope_all` |
//! | `RESOLVE` | unset; `HOST:ADDRESS` connects to ADDRESS for HOST, as curl's `--resolve` (TLS still checks HOST) |
//!
//! Each step is printed; the exit status is 0 only when userinfo answered.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::disallowed_methods,
    reason = "an example client, outside the server: it stops on a failure and measures real time"
)]

use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use serde_json::Value;

type Error = Box<dyn std::error::Error>;

const CIBA_GRANT: &str = "urn:openid:params:grant-type:ciba";

struct Settings {
    issuer: String,
    ca: String,
    client_cert: String,
    client_key: String,
    client_id: String,
    client_secret: String,
    login_hint: String,
    scope: String,
    resolve: Option<(String, IpAddr)>,
}

fn var(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_owned())
}

impl Settings {
    fn from_env() -> Result<Self, Error> {
        let resolve = match std::env::var("RESOLVE").ok().filter(|v| !v.is_empty()) {
            None => None,
            Some(value) => {
                let (host, address) = value
                    .split_once(':')
                    .ok_or_else(|| format!("RESOLVE={value:?}: expected HOST:ADDRESS"))?;
                let address = address
                    .parse()
                    .map_err(|e| format!("RESOLVE={value:?}: {e}"))?;
                Some((host.to_owned(), address))
            }
        };
        Ok(Self {
            issuer: var("ISSUER", "https://127.0.0.1:8443/auth/realms/esante-wallet")
                .trim_end_matches('/')
                .to_owned(),
            ca: var("CA", "keys/ca.pem"),
            client_cert: var("CLIENT_CERT", "keys/client.pem"),
            client_key: var("CLIENT_KEY", "keys/client.key"),
            client_id: var("CLIENT_ID", "psc-mock-client"),
            client_secret: var("CLIENT_SECRET", "psc-mock-secret"),
            login_hint: var("LOGIN_HINT", "899700245667"),
            scope: var("SCOPE", "openid scope_all"),
            resolve,
        })
    }

    fn http_client(&self) -> Result<reqwest::Client, Error> {
        let read = |path: &str| std::fs::read(path).map_err(|e| format!("cannot read {path}: {e}"));
        let ca = reqwest::Certificate::from_pem(&read(&self.ca)?)?;
        let identity = [read(&self.client_cert)?, read(&self.client_key)?].concat();
        let mut builder = reqwest::Client::builder()
            .tls_certs_only([ca])
            .identity(reqwest::Identity::from_pem(&identity)?)
            .timeout(Duration::from_secs(10));
        if let Some((host, address)) = &self.resolve {
            // Port 0: the URL's port is used.
            builder = builder.resolve(host, SocketAddr::new(*address, 0));
        }
        Ok(builder.build()?)
    }
}

/// A JSON answer, or an error naming the step, the status and the body.
async fn json(step: &str, response: reqwest::Response) -> Result<(u16, Value), Error> {
    let status = response.status().as_u16();
    let text = response.text().await?;
    let body = serde_json::from_str(&text)
        .map_err(|_| format!("{step}: HTTP {status}, not JSON: {text}"))?;
    Ok((status, body))
}

fn field<'a>(step: &str, body: &'a Value, name: &str) -> Result<&'a str, Error> {
    body[name]
        .as_str()
        .ok_or_else(|| format!("{step}: no {name} in {body}").into())
}

async fn run(settings: &Settings) -> Result<(), Error> {
    let client = settings.http_client()?;

    // 1. Discovery: the endpoints, and the issuer the tokens will carry.
    let url = format!("{}/.well-known/openid-configuration", settings.issuer);
    println!("1. discovery: GET {url}");
    let (status, discovery) = json("discovery", client.get(&url).send().await?).await?;
    if status != 200 {
        return Err(format!("discovery: HTTP {status}: {discovery}").into());
    }
    let issuer = field("discovery", &discovery, "issuer")?;
    if issuer != settings.issuer {
        return Err(format!(
            "discovery: issuer {issuer:?}, expected {:?}",
            settings.issuer
        )
        .into());
    }
    let bc_authorize = field(
        "discovery",
        &discovery,
        "backchannel_authentication_endpoint",
    )?;
    let token = field("discovery", &discovery, "token_endpoint")?;
    let userinfo = field("discovery", &discovery, "userinfo_endpoint")?;
    println!("   issuer {issuer}");

    // 2. Backchannel authentication request: the professional's phone or
    // card reader is asked to confirm.
    println!(
        "2. bc-authorize: POST {bc_authorize} (login_hint {}, client {})",
        settings.login_hint, settings.client_id
    );
    let response = client
        .post(bc_authorize)
        .basic_auth(&settings.client_id, Some(&settings.client_secret))
        .form(&[
            ("login_hint", settings.login_hint.as_str()),
            ("scope", settings.scope.as_str()),
            ("acr_values", "eidas1"),
            ("binding_message", "42"),
        ])
        .send()
        .await?;
    let (status, ack) = json("bc-authorize", response).await?;
    if status != 200 {
        return Err(format!("bc-authorize: HTTP {status}: {ack}").into());
    }
    let auth_req_id = field("bc-authorize", &ack, "auth_req_id")?;
    let expires_in = ack["expires_in"].as_u64().unwrap_or(120);
    let mut interval = ack["interval"].as_u64().unwrap_or(5);
    println!("   auth_req_id {auth_req_id}, expires_in {expires_in} s, interval {interval} s");

    // 3. Poll the token endpoint, never faster than `interval`, slower after
    // each slow_down (RFC 8628 §3.5, which CIBA refers to), until the
    // request is answered or expires.
    println!("3. polling: POST {token}");
    let deadline = Instant::now() + Duration::from_secs(expires_in + 5);
    let tokens = loop {
        tokio::time::sleep(Duration::from_secs(interval)).await;
        if Instant::now() > deadline {
            return Err(format!("token: no answer within {expires_in} s").into());
        }
        let response = client
            .post(token)
            .basic_auth(&settings.client_id, Some(&settings.client_secret))
            .form(&[("grant_type", CIBA_GRANT), ("auth_req_id", auth_req_id)])
            .send()
            .await?;
        let (status, body) = json("token", response).await?;
        if status == 200 {
            println!("   tokens issued");
            break body;
        }
        match body["error"].as_str() {
            Some("authorization_pending") => println!("   authorization_pending"),
            Some("slow_down") => {
                interval += 5;
                println!("   slow_down: polling every {interval} s from now on");
            }
            _ => return Err(format!("token: HTTP {status}: {body}").into()),
        }
    };
    let access_token = field("token", &tokens, "access_token")?;

    // 4. Userinfo, with the token bound to this client certificate.
    println!("4. userinfo: GET {userinfo}");
    let response = client
        .get(userinfo)
        .bearer_auth(access_token)
        .send()
        .await?;
    let (status, claims) = json("userinfo", response).await?;
    if status != 200 {
        return Err(format!("userinfo: HTTP {status}: {claims}").into());
    }
    println!("{}", serde_json::to_string_pretty(&claims)?);
    println!(
        "logged in: {} {} ({})",
        claims["given_name"].as_str().unwrap_or("?"),
        claims["family_name"].as_str().unwrap_or("?"),
        claims["SubjectNameID"].as_str().unwrap_or("?"),
    );
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    let outcome = match Settings::from_env() {
        Ok(settings) => run(&settings).await,
        Err(e) => Err(e),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // With the causes: "error sending request" alone says little.
            let mut message = e.to_string();
            let mut source = e.source();
            while let Some(cause) = source {
                message.push_str(&format!(": {cause}"));
                source = cause.source();
            }
            eprintln!("ciba_client: FAILED: {message}");
            ExitCode::FAILURE
        }
    }
}
