//! Conformance: one test per requirement of the specifications PSC follows,
//! named after the section it checks: CIBA Core 1.0 in poll mode, OpenID
//! Connect Core 1.0 (ID token validation), RFC 8705 (mutual TLS client
//! authentication and certificate-bound tokens), RFC 7662 (introspection)
//! and RFC 7009 (revocation). Other files test the same behaviour in more
//! depth; these map it to the texts.
//!
//! Not applicable to PSC, hence not here:
//! - CIBA Core §5, §10.2, §10.3 (ping and push modes, client notification
//!   endpoint): PSC offers the poll mode only.
//! - CIBA Core §7.1.1 (signed authentication requests), `login_hint_token`,
//!   `id_token_hint`, `user_code` (§7.1): PSC identifies the professional by
//!   `login_hint` (the idNat) and refuses the others with a clear error.
//! - OIDC Core §3.1.3.7 rule 4 and the `azp` rule for several audiences: PSC's
//!   ID tokens have a single audience.
//! - RFC 8705 §2.2 (self-signed certificate client authentication): PSC
//!   trusts certificates from its PKI only.
//! - RFC 7662 §2.1's caller authentication by bearer token: Keycloak (and
//!   PSC) authenticate the caller as a client.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use rustls::pki_types::pem::PemObject;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::helpers::paths::{BC, TOKEN};
use crate::helpers::{
    CIBA_GRANT, CLIENT_ID, PRO, TestApp, Who, payload, spawn_app, spawn_app_with,
};
use crate::tokens::{jwks, verify_jsonwebtoken};

async fn bc(app: &TestApp, form: &[(&str, &str)]) -> crate::helpers::Answer {
    app.post_form(Who::Client, BC, form).await
}

// --- CIBA Core 1.0 ----------------------------------------------------------

/// CIBA Core §7.1 asks for `openid`; Keycloak, hence PSC, does not refuse a
/// scope without it and issues no ID token (docs/fidelity.md). Unknown
/// scopes are refused with Keycloak's wording.
#[tokio::test]
async fn ciba_7_1_scope_values_are_checked_and_openid_is_not_enforced_as_keycloak() {
    let app = spawn_app().await;
    let unknown = bc(&app, &[("login_hint", PRO), ("scope", "openid foo")]).await;
    assert!(
        unknown
            .assert_error(400, "invalid_scope")
            .starts_with("Invalid scopes: openid foo")
    );
    let plain = bc(&app, &[("login_hint", PRO), ("scope", "profile")]).await;
    assert_eq!(plain.status, 200, "{}", plain.body);
}

#[tokio::test]
async fn ciba_7_1_one_hint_is_required() {
    let app = spawn_app().await;
    bc(&app, &[("scope", "openid")])
        .await
        .assert_error(400, "invalid_request");
}

#[tokio::test]
async fn ciba_7_1_an_unusable_binding_message_is_invalid_binding_message() {
    let app = spawn_app().await;
    let long = "9".repeat(200);
    bc(
        &app,
        &[
            ("login_hint", PRO),
            ("scope", "openid"),
            ("binding_message", &long),
        ],
    )
    .await
    .assert_error(400, "invalid_binding_message");
}

#[tokio::test]
async fn ciba_7_3_the_acknowledgement_has_auth_req_id_expires_in_and_interval() {
    let app = spawn_app().await;
    let ack = bc(&app, &[("login_hint", PRO), ("scope", "openid")]).await;
    assert_eq!(ack.status, 200);
    let id = ack.body["auth_req_id"].as_str().unwrap();
    // §7.3: at least 128 bits of entropy; here 256, base64url.
    assert!(B64.decode(id).unwrap().len() >= 16);
    assert!(ack.body["expires_in"].as_u64().unwrap() > 0);
    assert!(ack.body["interval"].as_u64().is_some());
}

#[tokio::test]
async fn ciba_7_1_requested_expiry_sets_expires_in() {
    let app = spawn_app().await;
    let ack = bc(
        &app,
        &[
            ("login_hint", PRO),
            ("scope", "openid"),
            ("requested_expiry", "60"),
        ],
    )
    .await;
    assert_eq!(ack.body["expires_in"], 60);
}

#[tokio::test]
async fn ciba_11_authorization_pending_while_the_user_has_not_answered() {
    let app = spawn_app().await;
    let id = app.start_ciba(PRO).await;
    app.poll(&id)
        .await
        .assert_error(400, "authorization_pending");
}

#[tokio::test]
async fn ciba_11_slow_down_adds_five_seconds_to_the_interval() {
    let app = spawn_app().await;
    let id = app.start_ciba(PRO).await;
    app.poll(&id).await;
    let why = app.poll(&id).await;
    assert!(why.assert_error(400, "slow_down").contains("wait 6 s"));
}

#[tokio::test]
async fn ciba_11_access_denied_when_the_user_refuses() {
    let app = spawn_app().await;
    let id = app.start_ciba(PRO).await;
    app.control(
        reqwest::Method::POST,
        &format!("/mock/ciba/requests/{id}/deny"),
        None,
    )
    .await;
    app.poll(&id).await.assert_error(400, "access_denied");
}

#[tokio::test]
async fn ciba_11_expired_token_after_expires_in() {
    let app = spawn_app().await;
    let id = app.start_ciba(PRO).await;
    app.clock.advance(Duration::from_secs(120));
    app.poll(&id).await.assert_error(400, "expired_token");
}

#[tokio::test]
async fn ciba_11_invalid_grant_for_an_unknown_or_used_auth_req_id() {
    let app = spawn_app().await;
    app.poll("unknown").await.assert_error(400, "invalid_grant");
    let id = app.start_ciba(PRO).await;
    app.approve(&id).await;
    assert_eq!(app.poll(&id).await.status, 200);
    app.clock.advance(Duration::from_secs(1));
    app.poll(&id).await.assert_error(400, "invalid_grant");
}

#[tokio::test]
async fn ciba_10_1_the_auth_req_id_belongs_to_the_client_that_asked() {
    let app = spawn_app().await;
    let id = app.start_ciba(PRO).await;
    app.approve(&id).await;
    app.post_form_client2(TOKEN, &[("grant_type", CIBA_GRANT), ("auth_req_id", &id)])
        .await
        .assert_error(400, "invalid_grant");
    assert_eq!(app.poll(&id).await.status, 200, "still the owner's");
}

#[tokio::test]
async fn ciba_10_2_a_successful_poll_returns_access_and_id_tokens() {
    let app = spawn_app().await;
    let tokens = app.tokens(PRO).await;
    assert_eq!(tokens["token_type"], "Bearer");
    assert!(tokens["access_token"].is_string());
    assert!(tokens["id_token"].is_string());
    assert!(tokens["expires_in"].as_u64().unwrap() > 0);
}

// --- OpenID Connect Core 1.0, §3.1.3.7 ID token validation ------------------

async fn id_token(app: &TestApp) -> (Value, Value) {
    let tokens = app.tokens(PRO).await;
    let set = jwks(app).await;
    let claims = verify_jsonwebtoken(tokens["id_token"].as_str().unwrap(), &set, &app.issuer);
    (tokens, claims)
}

#[tokio::test]
async fn core_3_1_3_7_rule_2_iss_is_the_issuer_of_the_discovery_document() {
    let app = spawn_app().await;
    let discovery = crate::helpers::client(Who::Nobody)
        .get(app.url("/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    let (_, claims) = id_token(&app).await;
    assert_eq!(claims["iss"], discovery["issuer"]);
}

#[tokio::test]
async fn core_3_1_3_7_rule_3_aud_contains_the_client_id() {
    let app = spawn_app().await;
    let (_, claims) = id_token(&app).await;
    assert_eq!(claims["aud"], CLIENT_ID);
    assert_eq!(claims["azp"], CLIENT_ID);
}

#[tokio::test]
async fn core_3_1_3_7_rules_6_and_7_rs256_signature_with_a_jwks_key() {
    let app = spawn_app().await;
    let tokens = app.tokens(PRO).await;
    let header = jsonwebtoken::decode_header(tokens["id_token"].as_str().unwrap()).unwrap();
    assert_eq!(header.alg, jsonwebtoken::Algorithm::RS256);
    let set = jwks(&app).await;
    assert!(set.find(header.kid.as_deref().unwrap()).is_some());
    // verify_jsonwebtoken checks the signature itself.
    verify_jsonwebtoken(tokens["id_token"].as_str().unwrap(), &set, &app.issuer);
}

#[tokio::test]
async fn core_3_1_3_7_rules_9_and_10_exp_is_after_iat() {
    let app = spawn_app().await;
    let (_, claims) = id_token(&app).await;
    assert!(claims["exp"].as_u64().unwrap() > claims["iat"].as_u64().unwrap());
}

#[tokio::test]
async fn core_3_1_3_6_at_hash_is_the_left_half_of_the_access_tokens_sha256() {
    let app = spawn_app().await;
    let (tokens, claims) = id_token(&app).await;
    let digest = Sha256::digest(tokens["access_token"].as_str().unwrap().as_bytes());
    assert_eq!(claims["at_hash"], B64.encode(&digest[..16]));
}

// --- RFC 8705 ---------------------------------------------------------------

#[tokio::test]
async fn rfc8705_2_1_tls_client_auth_needs_a_certificate_whose_cn_is_the_client_id() {
    let app = spawn_app().await;
    let answer = app
        .post_form(
            Who::Client2,
            BC,
            &[("login_hint", PRO), ("scope", "openid")],
        )
        .await;
    assert!(
        answer
            .assert_error(401, "invalid_client")
            .contains("\"psc-mock-client-2\"")
    );
}

#[tokio::test]
async fn rfc8705_3_1_access_tokens_carry_the_certificates_thumbprint() {
    let app = spawn_app_with(|s| s.clients[0].certificate_bound_access_tokens = true).await;
    let tokens = app.tokens(PRO).await;
    let claims = payload(tokens["access_token"].as_str().unwrap());
    let pem = crate::helpers::read_key_file("client.pem");
    let der = rustls::pki_types::CertificateDer::from_pem_slice(pem.as_bytes()).unwrap();
    assert_eq!(claims["cnf"]["x5t#S256"], B64.encode(Sha256::digest(&der)));
}

#[tokio::test]
async fn rfc8705_3_a_bound_token_is_refused_with_another_certificate() {
    let app = spawn_app_with(|s| s.clients[0].certificate_bound_access_tokens = true).await;
    let tokens = app.tokens(PRO).await;
    app.userinfo(Who::Client2, tokens["access_token"].as_str().unwrap())
        .await
        .assert_bearer_error(401, "invalid_token");
}

// --- RFC 7662 and RFC 7009 ---------------------------------------------------

#[tokio::test]
async fn rfc7662_2_2_an_active_token_has_active_true_and_its_claims() {
    let app = spawn_app().await;
    let tokens = app.tokens(PRO).await;
    let token = tokens["access_token"].as_str().unwrap();
    let answer = app
        .post_form(
            Who::Client,
            "/protocol/openid-connect/token/introspect",
            &[("token", token)],
        )
        .await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body["active"], true);
    assert_eq!(answer.body["client_id"], CLIENT_ID);
    assert!(answer.body["exp"].is_u64());
}

#[tokio::test]
async fn rfc7662_2_2_anything_else_is_just_active_false() {
    let app = spawn_app().await;
    let answer = app
        .post_form(
            Who::Client,
            "/protocol/openid-connect/token/introspect",
            &[("token", "not-a-token")],
        )
        .await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body, serde_json::json!({"active": false}));
}

#[tokio::test]
async fn rfc7009_2_2_revocation_answers_200_even_for_an_unknown_token_and_revokes() {
    let app = spawn_app().await;
    let unknown = app
        .post_form(
            Who::Client,
            "/protocol/openid-connect/revoke",
            &[("token", "nope")],
        )
        .await;
    assert_eq!(unknown.status, 200);
    let tokens = app.tokens(PRO).await;
    let token = tokens["access_token"].as_str().unwrap();
    let revoked = app
        .post_form(
            Who::Client,
            "/protocol/openid-connect/revoke",
            &[("token", token)],
        )
        .await;
    assert_eq!(revoked.status, 200);
    app.userinfo(Who::Client, token)
        .await
        .assert_bearer_error(401, "invalid_token");
}
