//! Userinfo (docs/annuaire.md) and RFC 6750 bearer token errors.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;

use serde_json::Value;

use crate::helpers::{PRO, Who, client, payload, spawn_app, spawn_app_with};

#[tokio::test]
async fn userinfo_returns_psc_claims_as_plain_json() {
    let app = spawn_app().await;
    let tokens = app.tokens(PRO).await;
    let info = app
        .userinfo(Who::Client, tokens["access_token"].as_str().unwrap())
        .await;
    assert_eq!(info.status, 200, "{}", info.body);
    assert!(
        info.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let body = &info.body;
    assert_eq!(body["SubjectNameID"], PRO);
    assert_eq!(body["preferred_username"], PRO);
    assert_eq!(body["email_verified"], false);
    assert_eq!(body["authMode"], "MOBILE");
    assert_eq!(body["SubjectRole"][0], "10^1.2.250.1.213.1.1.5.5");
    assert_eq!(body["Secteur_Activite"], "SA07^1.2.250.1.71.4.2.4");
    assert_eq!(body["PSI_Locale"], "1.2.250.1.213.1.3.1.1");
    let activity = &body["SubjectRefPro"]["exercices"][0]["activities"][0];
    assert_eq!(
        body["SubjectOrganizationID"],
        activity["identifiantTechniqueDeLaStructure"]
    );
    assert_eq!(activity["codeModeExercice"], "L");
    assert_eq!(
        activity["numeroFinessSite"], "",
        "unknown values are empty strings"
    );
}

#[tokio::test]
async fn userinfo_also_answers_post() {
    let app = spawn_app().await;
    let tokens = app.tokens(PRO).await;
    let response = client(Who::Client)
        .post(app.url("/protocol/openid-connect/userinfo"))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn openid_alone_gives_identity_claims_only() {
    let app = spawn_app().await;
    let id = {
        let ack = app
            .post_form(
                Who::Client,
                "/protocol/openid-connect/ext/ciba/auth",
                &[("login_hint", PRO), ("scope", "openid")],
            )
            .await;
        ack.body["auth_req_id"].as_str().unwrap().to_owned()
    };
    app.approve(&id).await;
    let tokens = app.poll(&id).await.body;
    let info = app
        .userinfo(Who::Client, tokens["access_token"].as_str().unwrap())
        .await;
    assert_eq!(info.body["SubjectNameID"], PRO);
    assert!(info.body.get("SubjectRefPro").is_none());
    assert!(info.body.get("SubjectOrganization").is_none());
}

#[tokio::test]
async fn missing_malformed_tampered_and_expired_tokens_get_401_with_a_challenge() {
    let app = spawn_app().await;
    let tokens = app.tokens(PRO).await;
    let access = tokens["access_token"].as_str().unwrap().to_owned();

    let missing = app
        .get(Who::Client, "/protocol/openid-connect/userinfo")
        .send()
        .await;
    // No token at all: Keycloak's bare challenge, no error code (RFC 6750 §3.1).
    assert_eq!(missing.status, 401);
    assert_eq!(missing.body, Value::String(String::new()));
    assert_eq!(
        missing.headers["www-authenticate"],
        "Bearer realm=\"esante-wallet\""
    );

    let basic = app
        .get(Who::Client, "/protocol/openid-connect/userinfo")
        .basic("a", "b")
        .send()
        .await;
    assert!(
        basic
            .assert_bearer_error(401, "invalid_token")
            .contains("Bearer")
    );

    // Change one claim without re-signing.
    let mut parts: Vec<String> = access.split('.').map(str::to_owned).collect();
    let mut claims: serde_json::Value =
        serde_json::from_slice(&B64.decode(&parts[1]).unwrap()).unwrap();
    claims["SubjectNameID"] = "899700218896".into();
    parts[1] = B64.encode(serde_json::to_vec(&claims).unwrap());
    let tampered = app.userinfo(Who::Client, &parts.join(".")).await;
    tampered.assert_bearer_error(401, "invalid_token");

    app.userinfo(Who::Client, "garbage")
        .await
        .assert_bearer_error(401, "invalid_token");
    // The ID token is not an access token.
    app.userinfo(Who::Client, tokens["id_token"].as_str().unwrap())
        .await
        .assert_bearer_error(401, "invalid_token");

    assert_eq!(app.userinfo(Who::Client, &access).await.status, 200);
    app.clock.advance(Duration::from_secs(120));
    let expired = app.userinfo(Who::Client, &access).await;
    assert!(
        expired
            .assert_bearer_error(401, "invalid_token")
            .contains("expired")
    );
}

#[tokio::test]
async fn an_unbound_token_works_with_or_without_a_certificate_as_psc() {
    let app = spawn_app().await;
    let tokens = app.tokens(PRO).await;
    let access = tokens["access_token"].as_str().unwrap();
    assert!(payload(access).get("cnf").is_none(), "no cnf by default");
    for who in [Who::Nobody, Who::Client, Who::Client2] {
        let answer = app.userinfo(who, access).await;
        assert_eq!(answer.status, 200, "{who:?}: {}", answer.body);
        assert!(answer.body["SubjectRefPro"].is_object());
    }
}

#[tokio::test]
async fn a_token_without_openid_gets_403_insufficient_scope_as_keycloak() {
    let app = spawn_app().await;
    let id = app
        .post_form(
            Who::Client,
            "/protocol/openid-connect/ext/ciba/auth",
            &[("login_hint", PRO), ("scope", "scope_all")],
        )
        .await;
    assert_eq!(id.status, 200, "{}", id.body);
    let id = id.body["auth_req_id"].as_str().unwrap().to_owned();
    app.approve(&id).await;
    let tokens = app.poll(&id).await;
    assert_eq!(tokens.status, 200, "{}", tokens.body);
    assert!(tokens.body.get("id_token").is_none(), "{}", tokens.body);
    let answer = app
        .userinfo(Who::Nobody, tokens.body["access_token"].as_str().unwrap())
        .await;
    let why = answer.assert_bearer_error(403, "insufficient_scope");
    assert!(why.starts_with("Missing openid scope"), "{why}");
}

#[tokio::test]
async fn a_bound_token_needs_the_same_certificate() {
    let app = spawn_app_with(|s| s.clients[0].certificate_bound_access_tokens = true).await;
    let tokens = app.tokens(PRO).await;
    let access = tokens["access_token"].as_str().unwrap();
    let without = app.userinfo(Who::Nobody, access).await;
    assert!(
        without
            .assert_bearer_error(401, "invalid_token")
            .contains("none was presented")
    );
    let other = app.userinfo(Who::Client2, access).await;
    assert!(
        other
            .assert_bearer_error(401, "invalid_token")
            .contains("psc-mock-client-2")
    );
}

/// A malformed token, whatever bytes its parts hold, is a 401
/// `invalid_token` whose challenge carries none of them raw.
#[tokio::test]
async fn malformed_tokens_get_a_clean_challenge() {
    let app = spawn_app().await;
    let header = |json: &str| B64.encode(json.as_bytes());
    let tokens = [
        format!("{}.e30.c2ln", header("{\"alg\":\"x\ny\"}")),
        format!(
            "{}.e30.c2ln",
            header("{\"alg\":\"RS256\",\"kid\":\"\\u0001\\r\\n\"}")
        ),
        format!("{}.e30.c2ln", header("{\"alg\":\"é\"}")),
        "a.b.c".to_owned(),
        "....".to_owned(),
    ];
    for token in tokens {
        let answer = app.userinfo(Who::Nobody, &token).await;
        let why = answer.assert_bearer_error(401, "invalid_token");
        assert!(why.is_ascii() && !why.contains(['\r', '\n']), "{why:?}");
    }
}

/// A token not valid yet (`nbf` in the future) is refused, however it was
/// signed: here re-signed with the committed test key, which is public.
#[tokio::test]
async fn a_token_not_valid_yet_is_refused() {
    let app = spawn_app().await;
    let tokens = app.tokens(PRO).await;
    let access = tokens["access_token"].as_str().unwrap();
    let header = jsonwebtoken::decode_header(access).unwrap();
    let mut claims = payload(access);
    let now = claims["iat"].as_u64().unwrap();
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(
        crate::helpers::read_key_file("signing-key.pem").as_bytes(),
    )
    .unwrap();
    let sign = |claims: &Value| jsonwebtoken::encode(&header, claims, &key).unwrap();
    // The same claims re-signed are accepted: the key and kid are right.
    assert_eq!(app.userinfo(Who::Nobody, &sign(&claims)).await.status, 200);
    claims["nbf"] = (now + 60).into();
    let early = app.userinfo(Who::Nobody, &sign(&claims)).await;
    let why = early.assert_bearer_error(401, "invalid_token");
    assert!(why.contains("not valid before"), "{why}");
    app.clock.advance(Duration::from_secs(61));
    // …and accepted once it is valid (the access token lives 120 s).
    assert_eq!(app.userinfo(Who::Nobody, &sign(&claims)).await.status, 200);
}
