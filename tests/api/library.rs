//! Library mode: `psc_mock::MockServer` in a test, the way a connecting
//! service's suite uses it (no helper of this suite involved).

use std::time::{Duration, SystemTime};

use psc_mock::MockServer;
use psc_mock::journal::Filter;
use psc_mock::oidc::Endpoint;
use serde_json::Value;

use crate::helpers::payload;

const PRO: &str = "899700245667";
const OTHER: &str = "899700427885";

fn http(psc: &MockServer) -> reqwest::Client {
    reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(psc.ca_pem().as_bytes()).unwrap()])
        .identity(reqwest::Identity::from_pem(psc.client_identity_pem().as_bytes()).unwrap())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

async fn post(psc: &MockServer, path: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let answer = http(psc)
        .post(format!("{}/protocol/openid-connect/{path}", psc.issuer()))
        .basic_auth(psc.client_id(), Some(psc.client_secret()))
        .form(form)
        .send()
        .await
        .unwrap();
    (answer.status().as_u16(), answer.json().await.unwrap())
}

async fn start_ciba(psc: &MockServer, login_hint: &str) -> String {
    let (status, ack) = post(
        psc,
        "ext/ciba/auth",
        &[("login_hint", login_hint), ("scope", "openid scope_all")],
    )
    .await;
    assert_eq!(status, 200, "{ack}");
    ack["auth_req_id"].as_str().unwrap().to_owned()
}

async fn poll(psc: &MockServer, auth_req_id: &str) -> (u16, Value) {
    post(
        psc,
        "token",
        &[
            ("grant_type", "urn:openid:params:grant-type:ciba"),
            ("auth_req_id", auth_req_id),
        ],
    )
    .await
}

#[tokio::test]
async fn two_servers_in_one_process_each_driven_through_its_handle() {
    let first = MockServer::builder().start().await.unwrap();
    let second = MockServer::builder().start().await.unwrap();
    assert_ne!(first.port(), second.port());

    let a = start_ciba(&first, PRO).await;
    let b = start_ciba(&second, PRO).await;
    assert_eq!(first.pending_requests().len(), 1);
    assert!(
        second.approve(&a).is_err(),
        "each server has its own requests"
    );

    first.approve(&a).unwrap();
    second.approve_as(&b, OTHER).unwrap();
    let (status, tokens) = poll(&first, &a).await;
    assert_eq!(status, 200, "{tokens}");
    let claims = payload(tokens["access_token"].as_str().unwrap());
    assert_eq!(claims["SubjectNameID"], PRO);
    assert_eq!(claims["iss"], first.issuer());
    let (_, tokens) = poll(&second, &b).await;
    let claims = payload(tokens["access_token"].as_str().unwrap());
    assert_eq!(
        claims["SubjectNameID"], OTHER,
        "approved as another professional"
    );

    let polls = first.journal(&Filter {
        endpoint: Some(Endpoint::Token),
        ..Filter::default()
    });
    assert_eq!(polls.len(), 1);
    assert_eq!(polls[0].status, 200);
    assert_eq!(polls[0].certificate_cn.as_deref(), Some(first.client_id()));
    assert!(matches!(
        first.approve_as(&a, "0"),
        Err(psc_mock::MockServerError::UnknownProfessional(_))
    ));
}

#[tokio::test]
async fn a_fixed_clock_a_scenario_and_a_custom_professional() {
    let mut custom: psc_mock::annuaire::Professional = serde_json::from_value(serde_json::json!({
        "idNat": "899700900303",
        "civilite": "MME",
        "nom": "TESTEUSE",
        "prenom": "LUCIE",
        "exercices": []
    }))
    .unwrap();
    custom.auth_modes = vec![psc_mock::annuaire::AuthMode::Mobile];
    let deny: psc_mock::scenarios::Scenario = serde_json::from_value(serde_json::json!({
        "match": {"login_hint": OTHER}, "always": {"action": "deny"}
    }))
    .unwrap();
    let psc = MockServer::builder()
        .fixed_clock(SystemTime::now())
        .professional(custom)
        .scenario(deny)
        .start()
        .await
        .unwrap();

    let waiting = start_ciba(&psc, "899700900303").await;
    psc.clock().advance(Duration::from_secs(121));
    let (status, answer) = poll(&psc, &waiting).await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (400, Some("expired_token"))
    );

    let refused = start_ciba(&psc, OTHER).await;
    let (_, answer) = poll(&psc, &refused).await;
    assert_eq!(answer["error"], "access_denied");
}

#[tokio::test]
async fn dropping_the_handle_stops_the_server() {
    let psc = MockServer::builder()
        .auto_approve_after(Duration::ZERO)
        .start()
        .await
        .unwrap();
    let id = start_ciba(&psc, PRO).await;
    let (status, _) = poll(&psc, &id).await;
    assert_eq!(status, 200, "auto-approved");
    let port = psc.port();
    drop(psc);
    let mut refused = false;
    for _ in 0..50 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(refused, "the port is closed after the drop");
}

/// `examples/connecting_service.rs`, built by `cargo test`, runs a service's
/// login against an in-process MockServer and checks who logged in.
#[tokio::test]
async fn the_connecting_service_example_logs_a_professional_in() {
    let example = std::path::Path::new(env!("CARGO_BIN_EXE_psc-mock"))
        .parent()
        .unwrap()
        .join("examples")
        .join("connecting_service");
    assert!(
        example.exists(),
        "{} is missing: `cargo test` builds it, or `cargo build --example connecting_service`",
        example.display()
    );
    let run = tokio::process::Command::new(&example)
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("the example finishes")
        .expect("the example runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("logged in: ANTOINE BRESSOLIER (899700245667)"),
        "{stdout}"
    );
}

#[tokio::test]
async fn the_handle_rotates_and_retires_signing_keys() {
    let psc = MockServer::builder().start().await.unwrap();
    let first = psc.keys()[0].kid.clone();
    let id = start_ciba(&psc, PRO).await;
    psc.approve(&id).unwrap();
    let (_, before) = poll(&psc, &id).await;

    let rotated = psc.rotate_key().unwrap();
    assert_ne!(rotated, first);
    let statuses: Vec<_> = psc.keys().into_iter().map(|k| (k.kid, k.status)).collect();
    assert_eq!(
        statuses,
        [
            (first.clone(), psc_mock::keys::KeyStatus::Passive),
            (rotated.clone(), psc_mock::keys::KeyStatus::Active)
        ]
    );
    let id = start_ciba(&psc, PRO).await;
    psc.approve(&id).unwrap();
    let (_, after) = poll(&psc, &id).await;
    let kid = |tokens: &Value| {
        jsonwebtoken::decode_header(tokens["access_token"].as_str().unwrap())
            .unwrap()
            .kid
            .unwrap()
    };
    assert_eq!(kid(&before), first);
    assert_eq!(kid(&after), rotated);

    assert!(psc.retire_key(&rotated).is_err(), "the active key stays");
    psc.retire_key(&first).unwrap();
    let userinfo = http(&psc)
        .get(format!("{}/protocol/openid-connect/userinfo", psc.issuer()))
        .bearer_auth(before["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(userinfo.status(), 401);
}
