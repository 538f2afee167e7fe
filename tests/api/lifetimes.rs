//! Token and CIBA lifetimes, global and per client, and the control call
//! that moves the mock's clock so that tests expire them without waiting.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use crate::helpers::{PRO, Who, payload, spawn_app, spawn_app_with};

#[tokio::test]
async fn a_clients_own_lifetimes_override_the_global_ones() {
    let app = spawn_app_with(|s| {
        s.tokens.access_token_ttl_s = 300;
        s.ciba.interval_s = 2;
        let client = &mut s.clients[0];
        client.access_token_ttl_s = Some(30);
        client.id_token_ttl_s = Some(40);
        client.refresh_token_ttl_s = Some(50);
        client.ciba_expires_in_s = Some(15);
        client.ciba_interval_s = Some(3);
    })
    .await;
    let ack = app.bc_authorize(PRO).await;
    assert_eq!(ack.status, 200, "{}", ack.body);
    assert_eq!(ack.body["expires_in"], 15);
    assert_eq!(ack.body["interval"], 3);
    let id = ack.body["auth_req_id"].as_str().unwrap();
    assert_eq!(app.approve(id).await.status, 200);
    let tokens = app.poll(id).await.body;
    assert_eq!(tokens["expires_in"], 30);
    assert_eq!(tokens["refresh_expires_in"], 50);
    for (name, ttl) in [
        ("access_token", 30),
        ("id_token", 40),
        ("refresh_token", 50),
    ] {
        let claims = payload(tokens[name].as_str().unwrap());
        assert_eq!(
            claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
            ttl,
            "{name}"
        );
    }

    // Another client keeps the global ones.
    let other = app
        .post_form_client2(
            "/protocol/openid-connect/ext/ciba/auth",
            &[("login_hint", PRO), ("scope", "openid")],
        )
        .await;
    assert_eq!(other.body["expires_in"], 120);
    assert_eq!(other.body["interval"], 2);
}

#[tokio::test]
async fn moving_the_clock_expires_tokens_and_requests_without_waiting() {
    let app = spawn_app().await;
    let tokens = app.tokens(PRO).await;
    let access = tokens["access_token"].as_str().unwrap();
    let pending = app.start_ciba(PRO).await;
    assert_eq!(app.userinfo(Who::Client, access).await.status, 200);

    let before = app.control(Method::GET, "/mock/clock", None).await.body;
    let moved = app
        .control(
            Method::POST,
            "/mock/clock/advance",
            Some(json!({"seconds": 121})),
        )
        .await;
    assert_eq!(moved.status, 200, "{}", moved.body);
    assert_eq!(
        moved.body["now"].as_u64().unwrap(),
        before["now"].as_u64().unwrap() + 121
    );
    let clock = app.control(Method::GET, "/mock/clock", None).await.body;
    assert_eq!(clock["now"], moved.body["now"]);
    assert_eq!(clock["kind"], "fixed");

    let why = app
        .userinfo(Who::Client, access)
        .await
        .assert_bearer_error(401, "invalid_token")
        .to_owned();
    assert!(why.contains("expired"), "{why}");
    app.poll(&pending).await.assert_error(400, "expired_token");
    // The refresh token (30 min) still works.
    let refreshed = app
        .post_form(
            Who::Client,
            "/protocol/openid-connect/token",
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
            ],
        )
        .await;
    assert_eq!(refreshed.status, 200, "{}", refreshed.body);
    app.clock.advance(Duration::from_secs(1801));
    let late = app
        .post_form(
            Who::Client,
            "/protocol/openid-connect/token",
            &[
                ("grant_type", "refresh_token"),
                (
                    "refresh_token",
                    refreshed.body["refresh_token"].as_str().unwrap(),
                ),
            ],
        )
        .await;
    late.assert_error(400, "invalid_grant");
}

#[tokio::test]
async fn lifetimes_out_of_bounds_are_refused_at_start_naming_the_key() {
    let mut settings = psc_mock::config::Settings::default();
    settings.clients[1].access_token_ttl_s = Some(0);
    let err = settings.validate().unwrap_err().to_string();
    assert!(
        err.contains("client \"psc-mock-client-2\": access_token_ttl_s = 0"),
        "{err}"
    );
    let mut settings = psc_mock::config::Settings::default();
    settings.clients[0].ciba_expires_in_s = Some(2 * 86_400);
    let err = settings.validate().unwrap_err().to_string();
    assert!(err.contains("ciba_expires_in_s"), "{err}");
}
