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

use crate::client_http::{self, ClientSettings, Poll, Wait, json, text};
use crate::clock::Stopwatch;

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;

pub use crate::client_http::ClientError;

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
    #[command(flatten)]
    pub client: ClientSettings,
    /// Shown on the professional's phone; default: two random digits, as ANS
    /// does.
    #[arg(long)]
    pub binding_message: Option<String>,
    /// `MOBILE` (e-CPS) or `CARD` (CPS-Gestion); default: the issuer's.
    #[arg(long)]
    pub channel: Option<String>,
}

/// Runs the check, printing each step to stdout.
pub async fn run(args: &CibaCheck) -> Result<(), ClientError> {
    client_http::local(check(args)).await
}

async fn check(args: &CibaCheck) -> Result<(), ClientError> {
    let http = client_http::client(&args.client)?;
    let issuer = args.issuer.trim_end_matches('/');

    println!("1. discovery     GET {issuer}/.well-known/openid-configuration");
    let discovery = json(
        "discovery",
        http.get(format!("{issuer}/.well-known/openid-configuration"))
            .send()
            .await,
    )
    .await?;
    let endpoints = client_http::endpoints(&discovery, issuer)?;
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
        endpoints.backchannel, args.client.client_id, args.client.login_hint
    );
    let mut form = vec![
        ("login_hint", args.client.login_hint.as_str()),
        ("scope", args.client.scope.as_str()),
        ("binding_message", binding_message.as_str()),
    ];
    if let Some(channel) = &args.channel {
        form.push(("channel", channel));
    }
    let ack = json(
        "bc-authorize",
        http.post(&endpoints.backchannel)
            .basic_auth(&args.client.client_id, &args.client.client_secret)
            .send_form(&form)
            .await,
    )
    .await?;
    let auth_req_id = text(&ack, "auth_req_id", "bc-authorize")?;
    let expires_in = ack["expires_in"].as_u64().unwrap_or(120);
    let interval = ack["interval"].as_u64().unwrap_or(5).max(1);
    println!(
        "   ok: auth_req_id {}…, expires_in {expires_in} s, interval {interval} s; the professional confirms \"{binding_message}\" now",
        auth_req_id.chars().take(8).collect::<String>()
    );

    println!("3. token         POST {} (polling)", endpoints.token);
    let started = Stopwatch::start();
    let poll = Poll {
        token_endpoint: &endpoints.token,
        auth_req_id: &auth_req_id,
        expires_in,
        interval,
    };
    let tokens = client_http::poll_tokens(&http, &args.client, &poll, |wait| match wait {
        Wait::Pending { elapsed_s } => println!("   {elapsed_s:>3} s: authorization_pending"),
        Wait::SlowDown {
            elapsed_s,
            interval_s,
        } => println!("   {elapsed_s:>3} s: slow_down, polling every {interval_s} s now"),
    })
    .await?;
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
    let claims = check_id_token(&id_token, &jwks, issuer, &args.client.client_id)?;
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
