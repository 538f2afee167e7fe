//! Signing keys: the JWKS as Keycloak publishes it (`x5c`, `x5t`,
//! `x5t#S256`), several keys at once, rotation through the control API,
//! chosen `kid`s, keys from files and keys generated at start. Tokens are
//! checked against the JWKS with jsonwebtoken, certificates with
//! x509-parser.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD as B64};
use reqwest::Method;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::helpers::{
    PRO, TestApp, Who, client, payload, read_key_file, spawn_app, spawn_app_with,
};
use crate::tokens::{jwks, jwks_json, verify_jsonwebtoken};

fn kid_of(token: &str) -> String {
    jsonwebtoken::decode_header(token).unwrap().kid.unwrap()
}

async fn keys(app: &TestApp) -> Vec<(String, String)> {
    let list = app.control(Method::GET, "/mock/keys", None).await;
    assert_eq!(list.status, 200, "{}", list.body);
    list.body
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["kid"].as_str().unwrap().to_owned(),
                k["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_jwks_carries_the_certificate_of_each_key_as_keycloak_does() {
    let app = spawn_app().await;
    let jwks = jwks_json(&app).await;
    let key = &jwks["keys"][0];
    let der = STANDARD
        .decode(key["x5c"][0].as_str().expect("x5c[0]"))
        .expect("x5c is base64 DER (RFC 7517 §4.7)");
    assert_eq!(key["x5t#S256"], B64.encode(Sha256::digest(&der)));
    let sha1 = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, &der);
    assert_eq!(key["x5t"], B64.encode(sha1.as_ref()));

    let (_, cert) = x509_parser::parse_x509_certificate(&der).expect("an X.509 certificate");
    assert_eq!(cert.subject().to_string(), "CN=esante-wallet");
    assert_eq!(cert.issuer().to_string(), "CN=esante-wallet");
    // The certificate is for the published key: same modulus.
    let x509_parser::public_key::PublicKey::RSA(rsa) = cert.public_key().parsed().unwrap() else {
        panic!("an RSA key");
    };
    let n = B64.decode(key["n"].as_str().unwrap()).unwrap();
    assert_eq!(
        rsa.modulus
            .iter()
            .skip_while(|b| **b == 0)
            .copied()
            .collect::<Vec<_>>(),
        n
    );

    // The same certificate on every start.
    let again = spawn_app().await;
    assert_eq!(jwks_json(&again).await["keys"][0]["x5c"], key["x5c"]);
}

#[tokio::test]
async fn keys_rotate_through_the_control_api_and_retired_keys_stop_verifying() {
    let app = spawn_app().await;
    let first = app.tokens(PRO).await;
    let old_kid = kid_of(first["access_token"].as_str().unwrap());

    // A new key, published but passive: tokens are still signed by the old.
    let added = app
        .control(
            Method::POST,
            "/mock/keys",
            Some(json!({"kid": "rotated-2026"})),
        )
        .await;
    assert_eq!(added.status, 201, "{}", added.body);
    assert_eq!(added.body["status"], "passive");
    assert_eq!(jwks(&app).await.keys.len(), 2);
    let still_old = app.tokens(PRO).await;
    assert_eq!(kid_of(still_old["id_token"].as_str().unwrap()), old_kid);

    // Activated: new tokens carry its kid and verify against the JWKS.
    let activated = app
        .control(Method::POST, "/mock/keys/rotated-2026/activate", None)
        .await;
    assert_eq!(activated.status, 200, "{}", activated.body);
    assert_eq!(
        keys(&app).await,
        [
            (old_kid.clone(), "passive".into()),
            ("rotated-2026".into(), "active".into())
        ]
    );
    let new = app.tokens(PRO).await;
    let access = new["access_token"].as_str().unwrap();
    assert_eq!(kid_of(access), "rotated-2026");
    verify_jsonwebtoken(access, &jwks(&app).await, &app.issuer);

    // The old key is passive: its tokens still work.
    let old_access = first["access_token"].as_str().unwrap();
    assert_eq!(app.userinfo(Who::Client, old_access).await.status, 200);

    // The active key cannot be retired; the old one can, and its tokens
    // are refused from then on, as with a disabled key in Keycloak.
    let refused = app
        .control(Method::DELETE, "/mock/keys/rotated-2026", None)
        .await;
    let why = refused.assert_error(409, "conflict");
    assert!(why.contains("activate another one"), "{why}");
    let retired = app
        .control(Method::DELETE, &format!("/mock/keys/{old_kid}"), None)
        .await;
    assert_eq!(retired.status, 204, "{}", retired.body);
    assert_eq!(jwks(&app).await.keys.len(), 1);
    let answer = app.userinfo(Who::Client, old_access).await;
    let why = answer.assert_bearer_error(401, "invalid_token");
    assert!(why.contains(&old_kid), "{why}");
    let introspected = app
        .post_form(
            Who::Client,
            "/protocol/openid-connect/token/introspect",
            &[("token", old_access)],
        )
        .await;
    assert_eq!(introspected.body, json!({"active": false}));
    // Refresh tokens are HS512 with the internal key, as Keycloak's: retiring
    // a signing key leaves them usable.
    let refresh = app
        .post_form(
            Who::Client,
            "/protocol/openid-connect/token",
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", first["refresh_token"].as_str().unwrap()),
            ],
        )
        .await;
    assert_eq!(refresh.status, 200, "{}", refresh.body);
    // New tokens still work.
    assert_eq!(app.userinfo(Who::Client, access).await.status, 200);

    // A reset puts back the keys of the start.
    assert_eq!(
        app.control(Method::POST, "/mock/reset", None).await.status,
        204
    );
    assert_eq!(keys(&app).await, [(old_kid, "active".into())]);
}

#[tokio::test]
async fn a_key_can_be_imported_as_pem_and_bad_keys_are_refused_with_a_reason() {
    let app = spawn_app().await;
    let pem = read_key_file("signing-key.pem");
    // The committed key again, under another kid: a duplicate of the key
    // is fine, a duplicate kid is not.
    let imported = app
        .control(
            Method::POST,
            "/mock/keys",
            Some(json!({"kid": "imported", "pem": pem, "activate": true})),
        )
        .await;
    assert_eq!(imported.status, 201, "{}", imported.body);
    assert_eq!(imported.body["origin"], "imported");
    let tokens = app.tokens(PRO).await;
    assert_eq!(kid_of(tokens["access_token"].as_str().unwrap()), "imported");

    let before = keys(&app).await;
    for (body, status, error, says) in [
        (
            json!({"kid": "imported"}),
            409,
            "conflict",
            "already published",
        ),
        (
            json!({"pem": "not a key"}),
            400,
            "invalid_request",
            "not a PEM private key",
        ),
        (
            json!({"kid": "a b"}),
            400,
            "invalid_request",
            "must be 1 to 128",
        ),
        (
            json!({"kid": "x", "colour": "red"}),
            400,
            "invalid_request",
            "unknown field",
        ),
        (
            json!({"pem": read_key_file("client.key")}),
            400,
            "invalid_request",
            "must be RSA",
        ),
        (
            json!({"pem": pem, "cert_pem": read_key_file("server.pem")}),
            400,
            "invalid_request",
            "not for this key",
        ),
    ] {
        let answer = app
            .control(Method::POST, "/mock/keys", Some(body.clone()))
            .await;
        let why = answer.assert_error(status, error);
        assert!(why.contains(says), "{body}: {why}");
    }
    assert_eq!(keys(&app).await, before, "refusals change nothing");
    let unknown = app
        .control(Method::POST, "/mock/keys/nope/activate", None)
        .await;
    unknown.assert_error(404, "not_found");
}

#[tokio::test]
async fn configured_kids_passive_keys_and_certificates_are_published() {
    let dir = tempfile::tempdir().unwrap();
    let passive = dir.path().join("previous.pem");
    std::fs::write(&passive, generated_rsa_pem()).unwrap();
    let app = spawn_app_with(|s| {
        s.pki.signing_kid = "psc-mock-2026".into();
        s.pki.passive_keys.push(psc_mock::config::PassiveKey {
            file: passive.clone(),
            kid: "previous".into(),
            cert: None,
        });
    })
    .await;
    let set = jwks(&app).await;
    let kids: Vec<_> = set
        .keys
        .iter()
        .map(|k| k.common.key_id.clone().unwrap())
        .collect();
    assert_eq!(kids, ["psc-mock-2026", "previous"]);
    let tokens = app.tokens(PRO).await;
    let id_token = tokens["id_token"].as_str().unwrap();
    assert_eq!(kid_of(id_token), "psc-mock-2026");
    verify_jsonwebtoken(id_token, &set, &app.issuer);
}

#[tokio::test]
async fn ephemeral_keys_differ_from_the_committed_key_and_from_run_to_run() {
    let committed = jwks(&spawn_app().await).await.keys[0].common.key_id.clone();
    let a = spawn_app_with(|s| s.pki.ephemeral_keys = true).await;
    let b = spawn_app_with(|s| s.pki.ephemeral_keys = true).await;
    let (ka, kb) = (jwks(&a).await, jwks(&b).await);
    assert_ne!(ka.keys[0].common.key_id, committed);
    assert_ne!(ka.keys[0].common.key_id, kb.keys[0].common.key_id);
    let tokens = a.tokens(PRO).await;
    let claims = verify_jsonwebtoken(tokens["access_token"].as_str().unwrap(), &ka, &a.issuer);
    assert_eq!(claims["SubjectNameID"], PRO);
    assert_eq!(
        payload(tokens["id_token"].as_str().unwrap())["aud"],
        crate::helpers::CLIENT_ID
    );
}

#[tokio::test]
async fn the_jwks_answers_its_own_media_type_when_asked() {
    let app = spawn_app().await;
    let response = client(Who::Nobody)
        .get(app.url("/protocol/openid-connect/certs"))
        .header("Accept", "application/jwk-set+json")
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()["content-type"],
        "application/jwk-set+json"
    );
}

/// A fresh RSA-2048 key as PEM.
fn generated_rsa_pem() -> String {
    rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)
        .unwrap()
        .serialize_pem()
}
