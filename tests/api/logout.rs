//! Logout: from the browser (OIDC RP-Initiated Logout) and from the
//! client's server with a refresh token (Keycloak's).

use crate::codeflow::{browser, location, param};
use crate::helpers::paths::LOGOUT;
use crate::helpers::{PRO, TestApp, Who, spawn_app};

async fn refresh_works(app: &TestApp, refresh_token: &str) -> bool {
    app.post_form(
        Who::Client,
        "/protocol/openid-connect/token",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ],
    )
    .await
    .status
        == 200
}

#[tokio::test]
async fn a_browser_logout_ends_the_session_and_goes_back_with_state() {
    let app = spawn_app().await;
    let tokens = app.tokens(PRO).await;
    let response = browser()
        .get(app.url(LOGOUT))
        .query(&[
            ("id_token_hint", tokens["id_token"].as_str().unwrap()),
            ("post_logout_redirect_uri", "http://localhost:8080/"),
            ("state", "bye"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 302);
    let (base, params) = location(&response);
    assert_eq!(base, "http://localhost:8080/");
    assert_eq!(param(&params, "state"), Some("bye"));
    assert!(!refresh_works(&app, tokens["refresh_token"].as_str().unwrap()).await);
    let info = app
        .userinfo(Who::Client, tokens["access_token"].as_str().unwrap())
        .await;
    info.assert_bearer_error(401, "invalid_token");
}

#[tokio::test]
async fn without_a_redirect_a_page_says_logged_out() {
    let app = spawn_app().await;
    let tokens = app.tokens(PRO).await;
    let response = browser()
        .get(app.url(LOGOUT))
        .query(&[("id_token_hint", tokens["id_token"].as_str().unwrap())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(!refresh_works(&app, tokens["refresh_token"].as_str().unwrap()).await);
}

#[tokio::test]
async fn an_unregistered_redirect_or_a_bad_hint_is_shown_and_ends_nothing() {
    let app = spawn_app().await;
    let tokens = app.tokens(PRO).await;
    let id_token = tokens["id_token"].as_str().unwrap();
    let cases: [&[(&str, &str)]; 3] = [
        &[
            ("id_token_hint", id_token),
            ("post_logout_redirect_uri", "https://evil.example/"),
        ],
        &[("id_token_hint", "garbage")],
        &[("post_logout_redirect_uri", "http://localhost:8080/")],
    ];
    for query in cases {
        let response = browser()
            .get(app.url(LOGOUT))
            .query(query)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{query:?}");
        assert!(response.headers().get("location").is_none());
    }
    assert!(refresh_works(&app, tokens["refresh_token"].as_str().unwrap()).await);
}

#[tokio::test]
async fn the_client_server_can_log_out_with_its_refresh_token() {
    let app = spawn_app().await;
    let tokens = app.tokens(PRO).await;
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let answer = app
        .post_form(Who::Client, LOGOUT, &[("refresh_token", refresh)])
        .await;
    assert_eq!(answer.status, 204, "{}", answer.body);
    let refreshed = app
        .post_form(
            Who::Client,
            "/protocol/openid-connect/token",
            &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
        )
        .await;
    assert!(
        refreshed
            .assert_error(400, "invalid_grant")
            .contains("Session not active")
    );
}

#[tokio::test]
async fn a_server_logout_needs_client_authentication() {
    let app = spawn_app().await;
    let tokens = app.tokens(PRO).await;
    let answer = app
        .post(Who::Nobody, LOGOUT)
        .form(&[("refresh_token", tokens["refresh_token"].as_str().unwrap())])
        .send()
        .await;
    answer.assert_error(401, "invalid_client");
    assert!(refresh_works(&app, tokens["refresh_token"].as_str().unwrap()).await);
}
