//! The OpenID Foundation conformance suite's automated CIBA approval: it
//! POSTs, with an empty body and no credentials, to its configured
//! `automated_ciba_approval_url` with `{auth_req_id}` and `{action}`
//! (`allow` or `deny`) substituted. Called here exactly so.

use std::time::Duration;

use reqwest::StatusCode;

use crate::helpers::{Answer, PRO, TestApp, Who, client, spawn_app, spawn_app_with};

/// The suite's template, as the README tells users to configure it.
const TEMPLATE: &str = "/mock/ciba/actionize?token={auth_req_id}&action={action}";

async fn suite_calls(app: &TestApp, auth_req_id: &str, action: &str) -> Answer {
    let url = format!(
        "{}{}",
        app.base,
        TEMPLATE
            .replace("{auth_req_id}", auth_req_id)
            .replace("{action}", action)
    );
    // What the suite sends: POST, no body, Accept: application/json.
    let response = client(Who::Nobody)
        .post(url)
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap();
    Answer::from(response).await
}

#[tokio::test]
async fn allow_approves_and_the_poll_gets_tokens() {
    let app = spawn_app().await;
    let id = app.start_ciba(PRO).await;
    let answer = suite_calls(&app, &id, "allow").await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.body["status"], "approved");
    app.clock.advance(Duration::from_secs(1));
    let tokens = app.poll(&id).await;
    assert_eq!(tokens.status, 200, "{}", tokens.body);
}

#[tokio::test]
async fn deny_makes_the_poll_answer_access_denied() {
    let app = spawn_app().await;
    let id = app.start_ciba(PRO).await;
    assert_eq!(suite_calls(&app, &id, "deny").await.status, StatusCode::OK);
    app.poll(&id).await.assert_error(400, "access_denied");
}

#[tokio::test]
async fn mistakes_are_named_and_change_nothing() {
    let app = spawn_app().await;
    let id = app.start_ciba(PRO).await;
    let bad = suite_calls(&app, &id, "maybe").await;
    let why = bad.assert_error(400, "invalid_request");
    assert!(why.contains("\"maybe\" is not allow or deny"), "{why}");
    suite_calls(&app, "no-such-request", "allow")
        .await
        .assert_error(404, "not_found");
    let missing = app
        .at(
            Who::Nobody,
            reqwest::Method::POST,
            &format!("/mock/ciba/actionize?token={id}"),
        )
        .send()
        .await;
    missing.assert_error(400, "invalid_request");
    app.poll(&id)
        .await
        .assert_error(400, "authorization_pending");

    // Answered once, a second call conflicts.
    assert_eq!(suite_calls(&app, &id, "allow").await.status, StatusCode::OK);
    suite_calls(&app, &id, "deny")
        .await
        .assert_error(409, "conflict");

    // The suite's own example URL says type= rather than action=.
    let other = app.start_ciba(PRO).await;
    let typed = client(Who::Nobody)
        .post(format!(
            "{}/mock/ciba/actionize?token={other}&type=deny",
            app.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(typed.status(), StatusCode::OK);
}

#[tokio::test]
async fn with_a_control_token_the_url_carries_it_as_access_token() {
    let app = spawn_app_with(|s| s.control.token = "s3cret".into()).await;
    let id = app.start_ciba(PRO).await;
    suite_calls(&app, &id, "allow")
        .await
        .assert_error(401, "invalid_token");
    let url = format!(
        "{}/mock/ciba/actionize?token={id}&action=allow&access_token=s3cret",
        app.base
    );
    let answer = Answer::from(client(Who::Nobody).post(url).send().await.unwrap()).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
}
