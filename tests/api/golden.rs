//! Golden files: for several fixture professionals, the whole userinfo
//! document and the decoded token claims, compared with `tests/golden/`, so
//! that any drift in PSC's claim shapes shows as a diff.
//!
//! Run with `PSC_MOCK_UPDATE_GOLDEN=1` to rewrite the files after an
//! intended change, then review the diff.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde_json::Value;

use crate::helpers::{TestApp, Who, spawn_app};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden");

/// Claims that change on every flow.
const VOLATILE: [&str; 7] = [
    "exp",
    "iat",
    "auth_time",
    "jti",
    "session_state",
    "sid",
    "at_hash",
];

fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("a JWT");
    serde_json::from_slice(&B64.decode(payload).expect("base64url")).expect("JSON claims")
}

fn mask(mut value: Value, issuer: &str) -> Value {
    if let Some(object) = value.as_object_mut() {
        for key in VOLATILE {
            if object.contains_key(key) {
                object.insert(key.into(), Value::String("<varies>".into()));
            }
        }
        if object.get("iss").and_then(Value::as_str) == Some(issuer) {
            object.insert("iss".into(), Value::String("<issuer>".into()));
        }
    }
    value
}

fn compare(name: &str, actual: &Value) {
    let path = format!("{DIR}/{name}.json");
    let pretty = serde_json::to_string_pretty(actual).unwrap() + "\n";
    if std::env::var_os("PSC_MOCK_UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &pretty).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!("{path} is missing: run with PSC_MOCK_UPDATE_GOLDEN=1 to create it")
    });
    assert!(
        expected == pretty,
        "{name} drifted from {path}\n--- expected\n{expected}\n--- actual\n{pretty}"
    );
}

async fn flow(app: &TestApp, login_hint: &str, channel: &str, scope: &str) -> Value {
    let ack = app
        .post_form(
            Who::Client,
            "/protocol/openid-connect/ext/ciba/auth",
            &[
                ("login_hint", login_hint),
                ("scope", scope),
                ("channel", channel),
            ],
        )
        .await;
    assert_eq!(ack.status, 200, "{}", ack.body);
    let id = ack.body["auth_req_id"].as_str().unwrap().to_owned();
    app.approve(&id).await;
    let tokens = app.poll(&id).await;
    assert_eq!(tokens.status, 200, "{}", tokens.body);
    tokens.body
}

async fn check(login_hint: &str, channel: &str, scope: &str, name: &str) {
    let app = spawn_app().await;
    let tokens = flow(&app, login_hint, channel, scope).await;
    let access = tokens["access_token"].as_str().unwrap();
    let info = app.userinfo(Who::Client, access).await;
    assert_eq!(info.status, 200, "{}", info.body);
    compare(&format!("{name}.userinfo"), &info.body);
    compare(
        &format!("{name}.access_token"),
        &mask(claims(access), &app.issuer),
    );
    let id_token = tokens["id_token"].as_str().unwrap();
    compare(
        &format!("{name}.id_token"),
        &mask(claims(id_token), &app.issuer),
    );
}

#[tokio::test]
async fn general_practitioner_with_e_cps() {
    check(
        "899700245667",
        "MOBILE",
        "openid scope_all",
        "medecin-liberal-mobile",
    )
    .await;
}

#[tokio::test]
async fn pharmacist_with_a_card() {
    check(
        "899700218896",
        "CARD",
        "openid scope_all",
        "pharmacien-officine-card",
    )
    .await;
}

#[tokio::test]
async fn hospital_nurse() {
    check(
        "899700366240",
        "MOBILE",
        "openid scope_all",
        "infirmiere-hospitaliere",
    )
    .await;
}

#[tokio::test]
async fn cardiologist_with_two_places_of_practice() {
    check(
        "899700123450",
        "MOBILE",
        "openid scope_all",
        "cardiologue-deux-activites",
    )
    .await;
}

#[tokio::test]
async fn openid_scope_only() {
    check(
        "899700245667",
        "MOBILE",
        "openid",
        "medecin-liberal-openid-only",
    )
    .await;
}

#[tokio::test]
async fn nurse_with_two_exercices() {
    check(
        "899700582465",
        "MOBILE",
        "openid scope_all",
        "infirmier-deux-exercices",
    )
    .await;
}

#[tokio::test]
async fn doctor_without_activity() {
    check(
        "899700769187",
        "CARD",
        "openid scope_all",
        "medecin-sans-activite",
    )
    .await;
}

#[tokio::test]
async fn card_issued_by_a_structure() {
    check(
        "300000001234567/CPAT00012",
        "CARD",
        "openid scope_all",
        "carte-structure",
    )
    .await;
}

#[tokio::test]
async fn adeli_professional_with_the_rpps_scope() {
    check(
        "0639600428",
        "MOBILE",
        "openid rpps",
        "psychomotricienne-adeli-rpps",
    )
    .await;
}

/// Every fixture professional: userinfo with `scope_all` keeps PSC's
/// conventions (strings, `""` for unknown, the identity claims).
#[tokio::test]
async fn every_fixture_professional_gets_psc_shaped_userinfo() {
    let app = spawn_app().await;
    let list = app
        .control(reqwest::Method::GET, "/mock/identities?limit=1000", None)
        .await;
    let professionals = list.body.as_array().unwrap();
    assert!(professionals.len() >= 15);
    for p in professionals {
        let id = p["idNat"].as_str().unwrap();
        let channel = p["authModes"][0].as_str().unwrap();
        let tokens = flow(&app, id, channel, "openid scope_all").await;
        let info = app
            .userinfo(Who::Client, tokens["access_token"].as_str().unwrap())
            .await;
        assert_eq!(info.status, 200, "{id}: {}", info.body);
        let body = &info.body;
        assert_eq!(body["SubjectNameID"], id);
        assert_eq!(body["preferred_username"], id);
        assert_eq!(body["authMode"], channel);
        for key in [
            "SubjectOrganization",
            "SubjectOrganizationID",
            "Secteur_Activite",
            "Palier_Authentification",
            "PSI_Locale",
            "UITVersion",
            "Acces_Regulation_Medicale",
            "Mode_Acces_Raison",
            "given_name",
            "family_name",
        ] {
            assert!(body[key].is_string(), "{id}: {key} is {}", body[key]);
        }
        assert!(body["SubjectRole"].is_array(), "{id}");
        assert!(
            body["otherIds"].as_array().is_some_and(|o| !o.is_empty()),
            "{id}"
        );
        assert!(no_nulls(body), "{id}: a null in {body}");
        app.clock.advance(std::time::Duration::from_secs(2));
    }
}

fn no_nulls(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Array(items) => items.iter().all(no_nulls),
        Value::Object(map) => map.values().all(no_nulls),
        _ => true,
    }
}
