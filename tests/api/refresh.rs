//! The refresh-token grant with rotation (RFC 6749 §6; Keycloak's policy of
//! single-use refresh tokens) and PSC's session lifetimes.

use std::time::Duration;

use serde_json::Value;

use crate::helpers::paths::TOKEN;
use crate::helpers::{Answer, PRO, TestApp, Who, client, spawn_app, spawn_app_with};

async fn refresh(app: &TestApp, refresh_token: &str, extra: &[(&str, &str)]) -> Answer {
    let mut form = vec![
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
    ];
    form.extend_from_slice(extra);
    app.post_form(Who::Client, TOKEN, &form).await
}

fn rt(tokens: &Value) -> String {
    tokens["refresh_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_refresh_token_stays_usable_until_the_session_ends_as_keycloak() {
    let app = spawn_app().await;
    let first = app.tokens(PRO).await;
    let second = refresh(&app, &rt(&first), &[]).await;
    assert_eq!(second.status, 200, "{}", second.body);
    assert_ne!(
        rt(&second.body),
        rt(&first),
        "a new refresh token each time"
    );
    // The first one still works, and so does the second.
    assert_eq!(refresh(&app, &rt(&first), &[]).await.status, 200);
    assert_eq!(refresh(&app, &rt(&second.body), &[]).await.status, 200);
    // Until the session ends.
    let revoked = app
        .post_form(
            Who::Client,
            "/protocol/openid-connect/revoke",
            &[("token", &rt(&first))],
        )
        .await;
    assert_eq!(revoked.status, 200);
    assert!(
        refresh(&app, &rt(&second.body), &[])
            .await
            .assert_error(400, "invalid_grant")
            .contains("Session not active")
    );
}

#[tokio::test]
async fn a_refresh_gives_new_tokens_of_the_same_session_and_rotates() {
    let app = spawn_app_with(|s| s.tokens.revoke_refresh_token = true).await;
    let first = app.tokens(PRO).await;
    app.clock.advance(Duration::from_secs(60));
    let second = refresh(&app, &rt(&first), &[]).await;
    assert_eq!(second.status, 200, "{}", second.body);
    assert_eq!(second.body["session_state"], first["session_state"]);
    assert_ne!(second.body["access_token"], first["access_token"]);
    assert_ne!(rt(&second.body), rt(&first));
    let info = app
        .userinfo(Who::Client, second.body["access_token"].as_str().unwrap())
        .await;
    assert_eq!(info.body["SubjectNameID"], PRO);

    // The old refresh token was used: replaying it fails.
    let replay = refresh(&app, &rt(&first), &[]).await;
    assert!(
        replay
            .assert_error(400, "invalid_grant")
            .contains("Stale token")
    );
    // The new one works.
    assert_eq!(refresh(&app, &rt(&second.body), &[]).await.status, 200);
}

#[tokio::test]
async fn scope_can_narrow_but_not_widen() {
    let app = spawn_app().await;
    let tokens = app.tokens(PRO).await;
    let narrow = refresh(&app, &rt(&tokens), &[("scope", "openid")]).await;
    assert_eq!(narrow.status, 200, "{}", narrow.body);
    assert_eq!(narrow.body["scope"], "openid");
    let wide = refresh(
        &app,
        &rt(&narrow.body),
        &[("scope", "openid scope_all email")],
    )
    .await;
    assert!(
        wide.assert_error(400, "invalid_scope")
            .contains("\"email\"")
    );
}

#[tokio::test]
async fn another_client_or_a_garbage_token_cannot_refresh() {
    let app = spawn_app().await;
    let tokens = app.tokens(PRO).await;
    let stolen = client(Who::Client2)
        .post(app.url(TOKEN))
        .basic_auth("psc-mock-client-2", Some("psc-mock-secret-2"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", rt(&tokens).as_str()),
        ])
        .send()
        .await
        .unwrap();
    let stolen = Answer::from(stolen).await;
    assert!(
        stolen
            .assert_error(400, "invalid_grant")
            .contains("psc-mock-client")
    );
    let garbage = refresh(&app, "not-a-token", &[]).await;
    assert!(
        garbage
            .assert_error(400, "invalid_grant")
            .contains("Invalid refresh token")
    );
    // An access token is not a refresh token.
    let access = refresh(&app, tokens["access_token"].as_str().unwrap(), &[]).await;
    assert!(
        access
            .assert_error(400, "invalid_grant")
            .contains("Invalid refresh token")
    );
    let missing = app
        .post_form(Who::Client, TOKEN, &[("grant_type", "refresh_token")])
        .await;
    assert_eq!(
        missing.assert_error(400, "invalid_request"),
        "Missing parameter: refresh_token"
    );
    // The rightful client still refreshes: the refusals consumed nothing.
    assert_eq!(refresh(&app, &rt(&tokens), &[]).await.status, 200);
}

#[tokio::test]
async fn sessions_end_after_thirty_idle_minutes_and_after_four_hours() {
    // A refresh token outliving the idle limit, to see the session rule.
    let app = spawn_app_with(|s| s.tokens.refresh_token_ttl_s = 3600).await;
    let tokens = app.tokens(PRO).await;
    app.clock.advance(Duration::from_secs(1800));
    let idle = refresh(&app, &rt(&tokens), &[]).await;
    assert!(
        idle.assert_error(400, "invalid_grant")
            .contains("Session not active")
    );

    let app = spawn_app_with(|s| s.tokens.refresh_token_ttl_s = 4 * 3600).await;
    let mut tokens = app.tokens(PRO).await;
    for _ in 0..9 {
        app.clock.advance(Duration::from_secs(25 * 60));
        let next = refresh(&app, &rt(&tokens), &[]).await;
        assert_eq!(next.status, 200, "{}", next.body);
        tokens = next.body;
    }
    app.clock.advance(Duration::from_secs(25 * 60)); // 250 min > 4 h
    refresh(&app, &rt(&tokens), &[])
        .await
        .assert_error(400, "invalid_grant");
}

#[tokio::test]
async fn an_expired_refresh_token_is_refused() {
    let app = spawn_app_with(|s| s.tokens.refresh_token_ttl_s = 60).await;
    let tokens = app.tokens(PRO).await;
    app.clock.advance(Duration::from_secs(61));
    let expired = refresh(&app, &rt(&tokens), &[]).await;
    assert!(
        expired
            .assert_error(400, "invalid_grant")
            .contains("expired")
    );
}
