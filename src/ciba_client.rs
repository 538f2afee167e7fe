//! `psc-mock client ciba`: a whole CIBA login against any PSC-like issuer
//! (psc-mock, or ANS's test platform), printing each step, so that an
//! integrator can check a client certificate, a client_id and secret and a
//! network path before writing any code.
//!
//! Steps: discovery → backchannel authentication (HTTP Basic and the client
//! certificate, at the mTLS endpoint aliases of RFC 8705 §5 when the issuer
//! advertises them) → polls of the token endpoint at the interval, with
//! `slow_down` adding 5 s (CIBA Core §11) → the ID token's signature checked
//! against the JWKS → userinfo.

use std::path::PathBuf;
use std::time::Duration;

use crate::clock::Stopwatch;

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use reqwest::{Certificate, Client, Identity, Response};
use serde_json::Value;

use crate::pki::EMBEDDED;

/// What the command was given; every field has a default aimed at a local
/// psc-mock with its embedded test PKI.
#[derive(Debug, Clone, clap::Args)]
pub struct CibaCheck {
    /// The issuer: `https://HOST/auth/realms/REALM`.
    #[arg(
        long,
        default_value = "https://127.0.0.1:8443/auth/realms/esante-wallet"
    )]
    pub issuer: String,
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
    /// Shown on the professional's phone; default: two random digits, as ANS
    /// does.
    #[arg(long)]
    pub binding_message: Option<String>,
    /// `MOBILE` (e-CPS) or `CARD` (CPS-Gestion); default: the issuer's.
    #[arg(long)]
    pub channel: Option<String>,
    /// Give up polling after this many seconds (at most the request's
    /// `expires_in`).
    #[arg(long, value_name = "S", default_value_t = 180)]
    pub timeout_s: u64,
}

/// Why the check failed, with what to look at.
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
struct Endpoints {
    backchannel: String,
    token: String,
    userinfo: String,
    jwks: String,
}

/// Runs the check, printing each step to stdout.
pub async fn run(args: &CibaCheck) -> Result<(), ClientError> {
    let http = client(args)?;
    let issuer = args.issuer.trim_end_matches('/');

    println!("1. discovery     GET {issuer}/.well-known/openid-configuration");
    let discovery = json(
        "discovery",
        http.get(format!("{issuer}/.well-known/openid-configuration"))
            .send()
            .await,
    )
    .await?;
    let endpoints = endpoints(&discovery, issuer)?;
    println!(
        "   ok: backchannel authentication at {}",
        endpoints.backchannel
    );

    let binding_message = args.binding_message.clone().unwrap_or_else(|| {
        format!(
            "{:02}",
            (crate::keys::random_fraction() * 100.0) as u32 % 100
        )
    });
    println!(
        "2. bc-authorize  POST {} (client {}, login_hint {}, binding_message {binding_message})",
        endpoints.backchannel, args.client_id, args.login_hint
    );
    let mut form = vec![
        ("login_hint", args.login_hint.as_str()),
        ("scope", args.scope.as_str()),
        ("binding_message", binding_message.as_str()),
    ];
    if let Some(channel) = &args.channel {
        form.push(("channel", channel));
    }
    let ack = json(
        "bc-authorize",
        http.post(&endpoints.backchannel)
            .basic_auth(&args.client_id, Some(&args.client_secret))
            .form(&form)
            .send()
            .await,
    )
    .await?;
    let auth_req_id = text(&ack, "auth_req_id", "bc-authorize")?;
    let expires_in = ack["expires_in"].as_u64().unwrap_or(120);
    let mut interval = ack["interval"].as_u64().unwrap_or(5).max(1);
    println!(
        "   ok: auth_req_id {}…, expires_in {expires_in} s, interval {interval} s; the professional confirms \"{binding_message}\" now",
        auth_req_id.chars().take(8).collect::<String>()
    );

    println!("3. token         POST {} (polling)", endpoints.token);
    let budget = Duration::from_secs(args.timeout_s.min(expires_in + 5));
    let started = Stopwatch::start();
    let tokens = loop {
        if started.elapsed() >= budget {
            return Err(ClientError::Timeout(started.elapsed().as_secs()));
        }
        tokio::time::sleep(Duration::from_secs(interval)).await;
        let answer = http
            .post(&endpoints.token)
            .basic_auth(&args.client_id, Some(&args.client_secret))
            .form(&[
                ("grant_type", "urn:openid:params:grant-type:ciba"),
                ("auth_req_id", auth_req_id.as_str()),
            ])
            .send()
            .await
            .map_err(|e| transport("token", &e))?;
        let status = answer.status().as_u16();
        let body: Value = answer.json().await.unwrap_or(Value::Null);
        let elapsed = started.elapsed().as_secs();
        match (status, body["error"].as_str()) {
            (200, _) => break body,
            (_, Some("authorization_pending")) => {
                println!("   {elapsed:>3} s: authorization_pending");
            }
            (_, Some("slow_down")) => {
                interval += 5;
                println!("   {elapsed:>3} s: slow_down, polling every {interval} s now");
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
    };
    let access_token = text(&tokens, "access_token", "token")?;
    let id_token = text(&tokens, "id_token", "token")?;
    println!(
        "   ok: tokens after {} s (scope \"{}\", access token for {} s)",
        started.elapsed().as_secs(),
        tokens["scope"].as_str().unwrap_or(""),
        tokens["expires_in"].as_u64().unwrap_or(0)
    );

    println!("4. ID token      checked against {}", endpoints.jwks);
    let jwks = json("jwks", http.get(&endpoints.jwks).send().await).await?;
    let claims = check_id_token(&id_token, &jwks, issuer, &args.client_id)?;
    println!(
        "   ok: RS256 signature, iss and aud; SubjectNameID {}, acr {}",
        claims["SubjectNameID"].as_str().unwrap_or("?"),
        claims["acr"].as_str().unwrap_or("?")
    );

    println!("5. userinfo      GET {}", endpoints.userinfo);
    let info = json(
        "userinfo",
        http.get(&endpoints.userinfo)
            .bearer_auth(&access_token)
            .send()
            .await,
    )
    .await?;
    println!(
        "   ok: {} {} ({}), {} profession(s)",
        info["given_name"].as_str().unwrap_or("?"),
        info["family_name"].as_str().unwrap_or("?"),
        info["SubjectNameID"].as_str().unwrap_or("?"),
        info["SubjectRefPro"]["exercices"]
            .as_array()
            .map_or(0, Vec::len)
    );
    println!("CIBA login complete.");
    Ok(())
}

/// An HTTPS client presenting the client certificate.
fn client(args: &CibaCheck) -> Result<Client, ClientError> {
    let read = |path: &PathBuf| {
        std::fs::read_to_string(path).map_err(|e| ClientError::File(path.clone(), e))
    };
    let identity = match (&args.cert, &args.key) {
        (Some(cert), Some(key)) => format!("{}\n{}", read(cert)?, read(key)?),
        _ => format!("{}\n{}", EMBEDDED.client_cert, EMBEDDED.client_key),
    };
    let identity = Identity::from_pem(identity.as_bytes()).map_err(|e| {
        ClientError::Setup(format!("the client certificate or key is unusable: {e}"))
    })?;
    let certs = |pem: &str| {
        Certificate::from_pem_bundle(pem.as_bytes())
            .map_err(|e| ClientError::Setup(format!("the CA file is not PEM certificates: {e}")))
    };
    let builder = Client::builder()
        .identity(identity)
        .timeout(Duration::from_secs(30));
    let builder = match &args.ca {
        Some(path) => builder.tls_certs_only(certs(&read(path)?)?),
        None => builder.tls_certs_merge(certs(EMBEDDED.ca_cert)?),
    };
    builder
        .build()
        .map_err(|e| ClientError::Setup(format!("HTTP client: {e}")))
}

/// The endpoints to use: the mTLS aliases when advertised.
fn endpoints(discovery: &Value, issuer: &str) -> Result<Endpoints, ClientError> {
    let advertised = discovery["issuer"].as_str().unwrap_or("");
    if advertised.trim_end_matches('/') != issuer {
        return Err(ClientError::Unexpected(
            format!(
                "the document's issuer is {advertised:?}, not {issuer:?}: tokens would fail the iss check"
            ),
            "discovery",
        ));
    }
    let pick = |name: &str| {
        discovery["mtls_endpoint_aliases"][name]
            .as_str()
            .or(discovery[name].as_str())
            .map(str::to_owned)
            .ok_or_else(|| {
                ClientError::Unexpected(format!("no {name} in the document"), "discovery")
            })
    };
    Ok(Endpoints {
        backchannel: pick("backchannel_authentication_endpoint")?,
        token: pick("token_endpoint")?,
        userinfo: pick("userinfo_endpoint")?,
        jwks: pick("jwks_uri")?,
    })
}

/// The JSON body of a successful answer, or the OAuth error it carries.
async fn json(
    step: &'static str,
    sent: Result<Response, reqwest::Error>,
) -> Result<Value, ClientError> {
    let answer = sent.map_err(|e| transport(step, &e))?;
    let status = answer.status().as_u16();
    let body: Value = answer.json().await.map_err(|e| {
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

fn text(body: &Value, name: &str, step: &'static str) -> Result<String, ClientError> {
    body[name]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| ClientError::Unexpected(format!("no {name} in the answer"), step))
}

/// A transport error, with a hint at the usual cause.
fn transport(step: &'static str, error: &reqwest::Error) -> ClientError {
    let mut detail = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(e) = source {
        detail = format!("{detail}: {e}");
        source = e.source();
    }
    let lower = detail.to_lowercase();
    let hint = if lower.contains("unknownissuer") || lower.contains("invalid peer certificate") {
        " (the server's certificate is not trusted: pass its CA with --ca)"
    } else if lower.contains("alert") || lower.contains("certificate") {
        " (the server refused the TLS handshake: is the client certificate issued by a CA it trusts?)"
    } else if error.is_connect() {
        " (is the server running, and is the issuer's host and port right?)"
    } else {
        ""
    };
    ClientError::Transport { step, detail, hint }
}

/// Checks the ID token's RS256 signature with the JWKS, its issuer and
/// audience; returns its claims.
fn check_id_token(
    token: &str,
    jwks: &Value,
    issuer: &str,
    client_id: &str,
) -> Result<Value, ClientError> {
    let fail = |why: String| ClientError::Unexpected(why, "ID token");
    let set: JwkSet =
        serde_json::from_value(jwks.clone()).map_err(|e| fail(format!("the JWKS: {e}")))?;
    let header = jsonwebtoken::decode_header(token).map_err(|e| fail(e.to_string()))?;
    let kid = header.kid.unwrap_or_default();
    let jwk = set
        .find(&kid)
        .ok_or_else(|| fail(format!("kid {kid:?} is not in the JWKS")))?;
    let key = DecodingKey::from_jwk(jwk).map_err(|e| fail(e.to_string()))?;
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_issuer(&[issuer]);
    validation.set_audience(&[client_id]);
    jsonwebtoken::decode::<Value>(token, &key, &validation)
        .map(|data| data.claims)
        .map_err(|e| fail(format!("refused: {e}")))
}
