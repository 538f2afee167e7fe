//! Malformed requests get a JSON error naming the problem, and change
//! nothing.

use reqwest::Method;

use crate::helpers::paths::BC;
use crate::helpers::{Answer, CLIENT_ID, PRO, SECRET, Who, client, spawn_app, spawn_app_with};

#[tokio::test]
async fn a_json_body_is_refused_with_the_content_type_named() {
    let app = spawn_app().await;
    let response = client(Who::Client)
        .post(app.url(BC))
        .basic_auth(CLIENT_ID, Some(SECRET))
        .json(&serde_json::json!({"login_hint": PRO, "scope": "openid"}))
        .send()
        .await
        .unwrap();
    let answer = Answer::from(response).await;
    assert!(
        answer
            .assert_error(400, "invalid_request")
            .contains("application/json")
    );
}

#[tokio::test]
async fn an_oversized_body_is_refused() {
    let app = spawn_app_with(|s| s.server.max_body_bytes = 1024).await;
    let big = "x".repeat(4096);
    let answer = app
        .post_form(
            Who::Client,
            BC,
            &[("login_hint", PRO), ("scope", "openid"), ("pad", &big)],
        )
        .await;
    assert!(
        answer
            .assert_error(413, "invalid_request")
            .contains("1024 bytes")
    );
}

#[tokio::test]
async fn a_repeated_parameter_is_refused() {
    let app = spawn_app().await;
    let response = client(Who::Client)
        .post(app.url(BC))
        .basic_auth(CLIENT_ID, Some(SECRET))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("login_hint={PRO}&scope=openid&scope=openid"))
        .send()
        .await
        .unwrap();
    let answer = Answer::from(response).await;
    assert!(
        answer
            .assert_error(400, "invalid_request")
            .contains("\"scope\" is repeated")
    );
}

#[tokio::test]
async fn unknown_paths_and_wrong_methods_answer_json() {
    let app = spawn_app().await;
    let nowhere = Answer::from(
        client(Who::Nobody)
            .get(format!("{}/nowhere", app.base))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(nowhere.assert_error(404, "not_found").contains("/nowhere"));
    let wrong = Answer::from(client(Who::Nobody).get(app.url(BC)).send().await.unwrap()).await;
    assert!(
        wrong
            .assert_error(405, "invalid_request")
            .contains("GET is not allowed")
    );
    assert_eq!(
        wrong.headers["allow"], "POST",
        "RFC 9110: the methods it takes"
    );
    let control = Answer::from(
        client(Who::Nobody)
            .patch(format!("{}/mock/scenarios", app.base))
            .send()
            .await
            .unwrap(),
    )
    .await;
    control.assert_error(405, "invalid_request");
    assert_eq!(control.headers["allow"], "GET, POST, DELETE");
}

#[tokio::test]
async fn a_malformed_basic_header_is_named() {
    let app = spawn_app().await;
    let response = client(Who::Client)
        .post(app.url(BC))
        .header("authorization", "Basic !!!not-base64")
        .form(&[("login_hint", PRO), ("scope", "openid")])
        .send()
        .await
        .unwrap();
    let answer = Answer::from(response).await;
    assert!(
        answer
            .assert_error(401, "invalid_client")
            .contains("not base64")
    );
}

#[tokio::test]
async fn invalid_json_on_the_control_api_is_a_json_error() {
    let app = spawn_app().await;
    let response = client(Who::Nobody)
        .put(format!("{}/mock/scenarios/{PRO}", app.base))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    let answer = Answer::from(response).await;
    assert!(
        answer
            .assert_error(400, "invalid_request")
            .contains("invalid JSON")
    );
}

#[tokio::test]
async fn the_request_store_is_capped_with_a_clear_error_and_others_are_unaffected() {
    let app = spawn_app_with(|s| s.ciba.max_requests = 3).await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(app.start_ciba(PRO).await);
    }
    let full = app.bc_authorize(PRO).await;
    assert!(
        full.assert_error(503, "temporarily_unavailable")
            .contains("too many CIBA requests")
    );
    // The stored requests still work.
    app.approve(&ids[0]).await;
    assert_eq!(app.poll(&ids[0]).await.status, 200);
    // Redeeming made room.
    assert_eq!(app.bc_authorize(PRO).await.status, 200);
    let listed = app.control(Method::GET, "/mock/ciba/requests", None).await;
    assert_eq!(listed.body.as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn expired_requests_are_purged_to_make_room() {
    let app = spawn_app_with(|s| {
        s.ciba.max_requests = 2;
        s.ciba.keep_finished_s = 10;
    })
    .await;
    app.start_ciba(PRO).await;
    app.start_ciba(PRO).await;
    app.bc_authorize(PRO)
        .await
        .assert_error(503, "temporarily_unavailable");
    app.clock.advance(std::time::Duration::from_secs(131));
    assert_eq!(app.bc_authorize(PRO).await.status, 200);
}

#[tokio::test]
async fn a_huge_scope_is_refused_and_a_repetitive_one_is_normalised() {
    let app = spawn_app().await;
    let huge = "openid ".repeat(9000);
    let refused = app
        .post_form(Who::Client, BC, &[("login_hint", PRO), ("scope", &huge)])
        .await;
    assert!(
        refused
            .assert_error(400, "invalid_scope")
            .contains("longer than")
    );
    let listed = app.control(Method::GET, "/mock/ciba/requests", None).await;
    assert_eq!(listed.body.as_array().unwrap().len(), 0);

    let ack = app
        .post_form(
            Who::Client,
            BC,
            &[
                ("login_hint", PRO),
                ("scope", "openid  openid scope_all openid"),
            ],
        )
        .await;
    let id = ack.body["auth_req_id"].as_str().unwrap();
    app.approve(id).await;
    assert_eq!(app.poll(id).await.body["scope"], "openid scope_all");
}
