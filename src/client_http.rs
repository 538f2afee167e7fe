//! What the client commands (`psc-mock client ciba`, `psc-mock compare`)
//! share: the user's client settings as flags, the HTTPS client presenting
//! their certificate, discovery's endpoints (the mTLS aliases of RFC 8705
//! §5 when advertised), JSON answers and transport errors with a hint, and
//! the polls of the token endpoint (CIBA Core §11: `slow_down` adds 5 s).
//!
//! Requests go out on awc (`outbound`), whose client lives on the thread
//! that made it: the commands run on a tokio `LocalSet` ([`local`]).

use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;

use awc::error::SendRequestError;
use rustls::pki_types::PrivateKeyDer;
use rustls::pki_types::pem::PemObject;
use serde_json::Value;

use crate::clock::Stopwatch;
use crate::outbound::{Outbound, Trust, error_chain};
use crate::pki::{self, EMBEDDED, PkiError};

/// The HTTPS client of the commands.
pub type Client = awc::Client;

/// What sending a request gives: an answer, or why there is none.
pub type Sent = Result<awc::ClientResponse, SendRequestError>;

/// Largest answer body read.
pub const MAX_ANSWER: usize = 1 << 20;

/// Runs a command's requests on a `LocalSet`, where awc's tasks run.
pub async fn local<T>(work: impl Future<Output = T>) -> T {
    tokio::task::LocalSet::new().run_until(work).await
}

/// The client's settings; every field has a default aimed at a local
/// psc-mock with its embedded test PKI.
#[derive(Debug, Clone, clap::Args)]
pub struct ClientSettings {
    #[arg(long, default_value = crate::config::DEFAULT_CLIENT_ID)]
    pub client_id: String,
    #[arg(long, default_value = crate::config::DEFAULT_CLIENT_SECRET)]
    pub client_secret: String,
    /// Client certificate (PEM); default: psc-mock's test client certificate.
    #[arg(long, value_name = "FILE", requires = "key")]
    pub cert: Option<PathBuf>,
    /// Its private key (PEM).
    #[arg(long, value_name = "FILE", requires = "cert")]
    pub key: Option<PathBuf>,
    /// CA certificate(s) (PEM) to trust, and only those; default: the
    /// system's roots and psc-mock's test CA.
    #[arg(long, value_name = "FILE")]
    pub ca: Option<PathBuf>,
    /// The professional's idNat.
    #[arg(long, default_value = "899700245667")]
    pub login_hint: String,
    #[arg(long, default_value = "openid scope_all")]
    pub scope: String,
    /// Give up polling after this many seconds (at most the request's
    /// `expires_in`).
    #[arg(long, value_name = "S", default_value_t = 180)]
    pub timeout_s: u64,
}

/// Why a client command failed, with what to look at.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot read {0}: {1}")]
    File(PathBuf, std::io::Error),
    #[error("{0}")]
    Setup(String),
    #[error("{step}: the request failed: {detail}{hint}")]
    Transport {
        step: &'static str,
        detail: String,
        hint: &'static str,
    },
    #[error("{step}: HTTP {status}: {error}: {description}")]
    Refused {
        step: &'static str,
        status: u16,
        error: String,
        description: String,
    },
    #[error("{step}: {0}", step = .1)]
    Unexpected(String, &'static str),
    #[error("no answer from the professional within {0} s")]
    Timeout(u64),
}

/// The endpoints found at discovery.
pub struct Endpoints {
    pub backchannel: String,
    pub token: String,
    pub userinfo: String,
    pub jwks: String,
    /// Not every issuer advertises one.
    pub introspection: Option<String>,
}

/// An HTTPS client presenting the client certificate.
pub fn client(settings: &ClientSettings) -> Result<Client, ClientError> {
    let read = |path: &PathBuf| {
        std::fs::read_to_string(path).map_err(|e| ClientError::File(path.clone(), e))
    };
    let (cert, key) = match (&settings.cert, &settings.key) {
        (Some(cert), Some(key)) => (read(cert)?, read(key)?),
        _ => (
            EMBEDDED.client_cert.to_owned(),
            EMBEDDED.client_key.to_owned(),
        ),
    };
    let setup = |e: PkiError| ClientError::Setup(e.to_string());
    let chain = pki::certs("the client certificate", &cert).map_err(setup)?;
    let key = PrivateKeyDer::from_pem_slice(key.as_bytes())
        .map_err(|e| ClientError::Setup(format!("the client key is not a PEM private key: {e}")))?;
    let ca = settings.ca.as_ref().map(read).transpose()?;
    let cas =
        pki::certs("the CA file", ca.as_deref().unwrap_or(EMBEDDED.ca_cert)).map_err(setup)?;
    let trust = match ca {
        Some(_) => Trust::Only(&cas),
        None => Trust::SystemAnd(&cas),
    };
    let outbound = Outbound::new(trust, Some((chain, key)), Duration::from_secs(30))
        .map_err(|e| ClientError::Setup(format!("HTTP client: {e}")))?;
    Ok(outbound.client())
}

/// The endpoints to use: the mTLS aliases when advertised.
pub fn endpoints(discovery: &Value, issuer: &str) -> Result<Endpoints, ClientError> {
    let advertised = discovery["issuer"].as_str().unwrap_or("");
    if advertised.trim_end_matches('/') != issuer {
        return Err(ClientError::Unexpected(
            format!(
                "the document's issuer is {advertised:?}, not {issuer:?}: tokens would fail the iss check"
            ),
            "discovery",
        ));
    }
    let find = |name: &str| {
        discovery["mtls_endpoint_aliases"][name]
            .as_str()
            .or(discovery[name].as_str())
            .map(str::to_owned)
    };
    let pick = |name: &str| {
        find(name).ok_or_else(|| {
            ClientError::Unexpected(format!("no {name} in the document"), "discovery")
        })
    };
    Ok(Endpoints {
        backchannel: pick("backchannel_authentication_endpoint")?,
        token: pick("token_endpoint")?,
        userinfo: pick("userinfo_endpoint")?,
        jwks: pick("jwks_uri")?,
        introspection: find("introspection_endpoint"),
    })
}

/// The JSON body of a successful answer, or the OAuth error it carries.
pub async fn json(step: &'static str, sent: Sent) -> Result<Value, ClientError> {
    let mut answer = sent.map_err(|e| transport(step, &e))?;
    let status = answer.status().as_u16();
    let body: Value = answer.json().limit(MAX_ANSWER).await.map_err(|e| {
        ClientError::Unexpected(
            format!("HTTP {status}, and the body is not JSON: {e}"),
            step,
        )
    })?;
    if status >= 400 {
        return Err(ClientError::Refused {
            step,
            status,
            error: body["error"]
                .as_str()
                .unwrap_or("(no error code)")
                .to_owned(),
            description: body["error_description"].as_str().unwrap_or("").to_owned(),
        });
    }
    Ok(body)
}

/// A string field of an answer.
pub fn text(body: &Value, name: &str, step: &'static str) -> Result<String, ClientError> {
    body[name]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| ClientError::Unexpected(format!("no {name} in the answer"), step))
}

/// A transport error, with a hint at the usual cause.
pub fn transport(step: &'static str, error: &SendRequestError) -> ClientError {
    let detail = error_chain(error);
    let lower = detail.to_lowercase();
    let hint = if lower.contains("unknownissuer") || lower.contains("invalid peer certificate") {
        " (the server's certificate is not trusted: pass its CA with --ca)"
    } else if lower.contains("alert") || lower.contains("certificate") {
        " (the server refused the TLS handshake: is the client certificate issued by a CA it trusts?)"
    } else if matches!(error, SendRequestError::Connect(_)) {
        " (is the server running, and is the issuer's host and port right?)"
    } else {
        ""
    };
    ClientError::Transport { step, detail, hint }
}

/// A poll that did not give tokens yet, as told to `on_wait`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// `authorization_pending`, after this many seconds.
    Pending { elapsed_s: u64 },
    /// `slow_down`: the interval is now this many seconds.
    SlowDown { elapsed_s: u64, interval_s: u64 },
}

/// What a CIBA poll loop is given.
pub struct Poll<'a> {
    pub token_endpoint: &'a str,
    pub auth_req_id: &'a str,
    pub expires_in: u64,
    pub interval: u64,
}

/// Polls the token endpoint at the interval until it answers tokens (its
/// body), refuses, or the timeout passes; each wait is told to `on_wait`.
pub async fn poll_tokens(
    http: &Client,
    settings: &ClientSettings,
    poll: &Poll<'_>,
    mut on_wait: impl FnMut(Wait),
) -> Result<Value, ClientError> {
    let mut interval = poll.interval.max(1);
    let budget = Duration::from_secs(settings.timeout_s.min(poll.expires_in + 5));
    let started = Stopwatch::start();
    loop {
        if started.elapsed() >= budget {
            return Err(ClientError::Timeout(started.elapsed().as_secs()));
        }
        tokio::time::sleep(Duration::from_secs(interval)).await;
        let mut answer = http
            .post(poll.token_endpoint)
            .basic_auth(&settings.client_id, &settings.client_secret)
            .send_form(&[
                ("grant_type", "urn:openid:params:grant-type:ciba"),
                ("auth_req_id", poll.auth_req_id),
            ])
            .await
            .map_err(|e| transport("token", &e))?;
        let status = answer.status().as_u16();
        let body: Value = answer.json().limit(MAX_ANSWER).await.unwrap_or(Value::Null);
        let elapsed_s = started.elapsed().as_secs();
        match (status, body["error"].as_str()) {
            (200, _) => return Ok(body),
            (_, Some("authorization_pending")) => on_wait(Wait::Pending { elapsed_s }),
            (_, Some("slow_down")) => {
                interval += 5;
                on_wait(Wait::SlowDown {
                    elapsed_s,
                    interval_s: interval,
                });
            }
            (_, error) => {
                return Err(ClientError::Refused {
                    step: "token",
                    status,
                    error: error.unwrap_or("(no error code)").to_owned(),
                    description: body["error_description"].as_str().unwrap_or("").to_owned(),
                });
            }
        }
    }
}
