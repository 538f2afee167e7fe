//! Interoperability: a whole code flow driven by the `openidconnect` crate,
//! an independent relying-party implementation. It parses the discovery
//! document into its own model, fetches the JWKS, checks the ID token
//! (signature, issuer, audience, nonce, `at_hash`), refreshes, and reads
//! userinfo with PSC's claims.

use std::future::Future;
use std::pin::Pin;

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreGenderClaim, CoreProviderMetadata,
};
use openidconnect::{
    AccessTokenHash, AdditionalClaims, AuthorizationCode, ClientId, ClientSecret, CsrfToken,
    HttpRequest, HttpResponse, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge,
    RedirectUrl, Scope, TokenResponse, UserInfoClaims,
};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::codeflow::{REDIRECT, browser, location, param};
use crate::helpers::{PRO, Who, client, spawn_app};

/// PSC's own userinfo claims, as a relying party would declare them.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct PscClaims {
    #[serde(rename = "SubjectNameID")]
    subject_name_id: String,
    #[serde(rename = "authMode")]
    auth_mode: String,
    #[serde(rename = "SubjectRefPro")]
    ref_pro: serde_json::Value,
}

impl AdditionalClaims for PscClaims {}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct HttpError(String);

type Sent = Pin<Box<dyn Future<Output = Result<HttpResponse, HttpError>>>>;

/// openidconnect's HTTP client, over our reqwest client with the client
/// certificate (the token and userinfo endpoints require mTLS).
fn http(request: HttpRequest) -> Sent {
    Box::pin(async move {
        let (parts, body) = request.into_parts();
        let mut outgoing = client(Who::Client).request(parts.method, parts.uri.to_string());
        for (name, value) in &parts.headers {
            outgoing = outgoing.header(name, value);
        }
        let response = outgoing
            .body(body)
            .send()
            .await
            .map_err(|e| HttpError(e.to_string()))?;
        let mut builder = http::Response::builder().status(response.status());
        for (name, value) in response.headers() {
            builder = builder.header(name, value);
        }
        let bytes = response
            .bytes()
            .await
            .map_err(|e| HttpError(e.to_string()))?;
        builder
            .body(bytes.to_vec())
            .map_err(|e| HttpError(e.to_string()))
    })
}

#[tokio::test]
async fn the_openidconnect_crate_completes_a_code_flow() {
    let app = spawn_app().await;
    let approve = app
        .control(
            Method::PUT,
            &format!("/mock/scenarios/{PRO}"),
            Some(json!({"action": "approve"})),
        )
        .await;
    assert_eq!(approve.status, 200);

    let metadata =
        CoreProviderMetadata::discover_async(IssuerUrl::new(app.issuer.clone()).unwrap(), &http)
            .await
            .expect("openidconnect parses the discovery document and the JWKS");
    let oidc = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new("psc-mock-client".into()),
        Some(ClientSecret::new("psc-mock-secret".into())),
    )
    .set_redirect_uri(RedirectUrl::new(REDIRECT.into()).unwrap());

    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, csrf, nonce) = oidc
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("scope_all".into()))
        .add_extra_param("login_hint", PRO)
        .add_extra_param("acr_values", "eidas1")
        .set_pkce_challenge(challenge)
        .url();
    let redirected = browser().get(url.as_str()).send().await.unwrap();
    assert_eq!(redirected.status(), 302);
    let (_, params) = location(&redirected);
    assert_eq!(param(&params, "state"), Some(csrf.secret().as_str()));
    assert_eq!(param(&params, "iss"), Some(app.issuer.as_str()));
    let code = param(&params, "code").expect("a code").to_owned();

    let tokens = oidc
        .exchange_code(AuthorizationCode::new(code))
        .expect("a token endpoint")
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("the code is exchanged");
    let id_token = tokens.id_token().expect("an ID token");
    let id_verifier = oidc.id_token_verifier();
    let claims = id_token
        .claims(&id_verifier, &nonce)
        .expect("openidconnect accepts the ID token");
    assert_eq!(claims.issuer().as_str(), app.issuer);
    assert!(
        claims
            .audiences()
            .iter()
            .any(|a| a.as_str() == "psc-mock-client")
    );
    let expected_hash = claims.access_token_hash().expect("at_hash");
    let actual_hash = AccessTokenHash::from_token(
        tokens.access_token(),
        id_token.signing_alg().unwrap(),
        id_token.signing_key(&id_verifier).unwrap(),
    )
    .unwrap();
    assert_eq!(&actual_hash, expected_hash);

    let refresh = tokens.refresh_token().expect("a refresh token");
    let refreshed = oidc
        .exchange_refresh_token(refresh)
        .expect("a token endpoint")
        .request_async(&http)
        .await
        .expect("openidconnect refreshes");
    assert_ne!(
        refreshed.access_token().secret(),
        tokens.access_token().secret()
    );

    let info: UserInfoClaims<PscClaims, CoreGenderClaim> = oidc
        .user_info(refreshed.access_token().clone(), None)
        .expect("a userinfo endpoint")
        .request_async(&http)
        .await
        .expect("openidconnect reads userinfo");
    assert_eq!(info.additional_claims().subject_name_id, PRO);
    assert_eq!(info.additional_claims().auth_mode, "MOBILE");
    assert!(info.additional_claims().ref_pro["exercices"].is_array());
    assert_eq!(info.subject().as_str(), claims.subject().as_str());
}
