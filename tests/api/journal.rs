//! The request journal: what the OIDC endpoints received, with secrets
//! masked, filtered the way a test asserts on what its code sent.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{CLIENT_ID, PRO, SECRET, TestApp, Who, client, spawn_app, spawn_app_with};

async fn journal(app: &TestApp, query: &str) -> Vec<Value> {
    let answer = app
        .control(Method::GET, &format!("/mock/journal{query}"), None)
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.body.as_array().unwrap().clone()
}

#[tokio::test]
async fn a_ciba_flow_is_recorded_with_secrets_masked() {
    let app = spawn_app().await;
    // client_secret_post, so that the secret is a form parameter.
    let ack = client(Who::Client)
        .post(app.url("/protocol/openid-connect/ext/ciba/auth"))
        .form(&[
            ("client_id", CLIENT_ID),
            ("client_secret", SECRET),
            ("login_hint", PRO),
            ("scope", "openid scope_all"),
            ("binding_message", "42"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(ack.status(), 200);
    let id = ack.json::<Value>().await.unwrap()["auth_req_id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.poll(&id).await;
    app.approve(&id).await;
    app.clock.advance(std::time::Duration::from_secs(1));
    let tokens = app.poll(&id).await;
    app.userinfo(Who::Client, tokens.body["access_token"].as_str().unwrap())
        .await;

    let all = journal(&app, "").await;
    let endpoints: Vec<_> = all
        .iter()
        .map(|e| e["endpoint"].as_str().unwrap())
        .collect();
    assert_eq!(endpoints, ["bc_authorize", "token", "token", "userinfo"]);

    let bc = &all[0];
    assert_eq!(bc["method"], "POST");
    assert!(bc["path"].as_str().unwrap().ends_with("/ext/ciba/auth"));
    assert_eq!(bc["client_id"], CLIENT_ID);
    assert_eq!(bc["certificate_cn"], CLIENT_ID);
    assert_eq!(bc["params"]["login_hint"], PRO);
    assert_eq!(bc["params"]["binding_message"], "42");
    assert_eq!(bc["params"]["client_secret"], "***");
    assert_eq!(bc["status"], 200);
    assert!(bc["duration_ms"].as_f64().unwrap() >= 0.0);
    assert!(!bc.to_string().contains(SECRET), "the secret never appears");

    let pending = &all[1];
    assert_eq!(pending["status"], 400);
    assert_eq!(pending["error"], "authorization_pending");
    assert_eq!(pending["authorization"], format!("Basic {CLIENT_ID}:***"));
    assert_eq!(pending["params"]["auth_req_id"], id);

    assert_eq!(all[3]["authorization"], "Bearer ***");
    let seqs: Vec<_> = all.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
}

#[tokio::test]
async fn every_filter_selects_what_it_names() {
    let app = spawn_app().await;
    let id = app.start_ciba(PRO).await;
    app.poll(&id).await;
    app.bc_authorize("899700427885").await;
    app.post_form_client2(
        "/protocol/openid-connect/ext/ciba/auth",
        &[("login_hint", "0"), ("scope", "openid")],
    )
    .await;
    app.get(Who::Nobody, "/protocol/openid-connect/certs")
        .send()
        .await;
    app.control(
        Method::POST,
        "/mock/faults",
        Some(json!({"endpoint": "jwks", "fault": {"type": "latency", "ms": 1}, "count": 1})),
    )
    .await;
    app.get(Who::Nobody, "/protocol/openid-connect/certs")
        .send()
        .await;

    let count = |query: &'static str| {
        let app = &app;
        async move { journal(app, query).await.len() }
    };
    assert_eq!(count("").await, 6);
    assert_eq!(count("?endpoint=bc_authorize").await, 3);
    assert_eq!(count("?endpoint=token").await, 1);
    assert_eq!(count("?method=get").await, 2);
    assert_eq!(count("?client_id=psc-mock-client-2").await, 1);
    assert_eq!(count("?certificate_cn=psc-mock-client").await, 3);
    assert_eq!(count("?status=400").await, 2);
    assert_eq!(count("?error=invalid_request").await, 1);
    assert_eq!(count("?error=authorization_pending").await, 1);
    assert_eq!(count(&*format!("?login_hint={PRO}").leak()).await, 1);
    assert_eq!(count(&*format!("?auth_req_id={id}").leak()).await, 1);
    assert_eq!(
        count("?grant_type=urn:openid:params:grant-type:ciba").await,
        1
    );
    assert_eq!(count("?fault=latency").await, 1);
    assert_eq!(count("?endpoint=bc_authorize&status=200").await, 2);
    assert_eq!(count("?since=4").await, 2);
    let latest = journal(&app, "?limit=2").await;
    assert_eq!(latest.len(), 2);
    assert_eq!(latest[1]["seq"], 6, "limit keeps the latest");

    let unknown = app
        .control(Method::GET, "/mock/journal?endpiont=token", None)
        .await;
    assert!(
        unknown
            .assert_error(400, "invalid_request")
            .contains("endpiont")
    );

    assert_eq!(
        app.control(Method::DELETE, "/mock/journal", None)
            .await
            .status,
        204
    );
    assert_eq!(count("").await, 0);
}

#[tokio::test]
async fn entries_are_bounded_and_bare_tokens_are_masked() {
    let app = spawn_app().await;
    let long = "x".repeat(10_000);
    let many: Vec<(String, String)> = (0..100).map(|i| (format!("p{i}"), "v".into())).collect();
    client(Who::Nobody)
        .get(app.url("/protocol/openid-connect/certs"))
        .query(&[("long", long.as_str())])
        .query(&many)
        .header("Authorization", "eyJhbGciOiJSUzI1NiJ9.bare.token")
        .send()
        .await
        .unwrap();
    let entry = &journal(&app, "").await[0];
    let kept = entry["params"]["long"].as_str().unwrap();
    assert_eq!(kept.chars().count(), 257, "256 characters and an ellipsis");
    assert!(kept.ends_with('…'));
    let params = entry["params"].as_object().unwrap();
    assert_eq!(params.len(), 65, "64 parameters and the count of the rest");
    assert_eq!(params["…"], "37 more parameters");
    assert_eq!(entry["authorization"], "***");
}

#[tokio::test]
async fn the_ring_buffer_keeps_the_last_entries() {
    let app = spawn_app_with(|s| s.control.journal_capacity = 3).await;
    for _ in 0..5 {
        app.get(Who::Nobody, "/.well-known/openid-configuration")
            .send()
            .await;
    }
    let kept = journal(&app, "").await;
    let seqs: Vec<_> = kept.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, [3, 4, 5]);
    assert_eq!(kept[0]["endpoint"], "discovery");
}

/// Each route is mounted with the endpoint it serves: the journal names
/// it whatever the method (a refused one too), and an unknown path under
/// the realm is journaled as `*`.
#[tokio::test]
async fn every_route_is_journaled_under_the_endpoint_it_was_mounted_for() {
    let app = spawn_app().await;
    let cases = [
        (Method::GET, "", "realm"),
        (
            Method::GET,
            "/.well-known/openid-configuration",
            "discovery",
        ),
        (
            Method::GET,
            "/.well-known/wallet-openid-configuration",
            "discovery",
        ),
        (Method::GET, "/protocol/openid-connect/certs", "jwks"),
        (
            Method::GET,
            "/protocol/openid-connect/ext/ciba/auth",
            "bc_authorize",
        ),
        (
            Method::POST,
            "/protocol/openid-connect/ext/ciba/auth/callback",
            "ciba_callback",
        ),
        (Method::POST, "/protocol/openid-connect/token", "token"),
        (
            Method::DELETE,
            "/protocol/openid-connect/token/introspect",
            "introspect",
        ),
        (Method::POST, "/protocol/openid-connect/revoke", "revoke"),
        (Method::GET, "/protocol/openid-connect/logout", "logout"),
        (Method::GET, "/protocol/openid-connect/userinfo", "userinfo"),
        (Method::GET, "/protocol/openid-connect/auth", "authorize"),
        (Method::GET, "/protocol/openid-connect/auth/login", "login"),
        (Method::GET, "/protocol/openid-connect/tokens", "*"),
    ];
    for (method, tail, _) in &cases {
        client(Who::Nobody)
            .request(method.clone(), app.url(tail))
            .send()
            .await
            .unwrap();
    }
    client(Who::Nobody)
        .get(format!("{}/auth", app.base))
        .send()
        .await
        .unwrap();
    let all = journal(&app, "").await;
    let seen: Vec<_> = all
        .iter()
        .map(|e| e["endpoint"].as_str().unwrap())
        .collect();
    let mut expected: Vec<_> = cases.iter().map(|(_, _, name)| *name).collect();
    expected.push("authorize");
    assert_eq!(seen, expected);
    assert_eq!(all[13]["status"], 404);
    assert_eq!(all[4]["status"], 405, "{}", all[4]);
}
