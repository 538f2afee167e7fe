//! The refresh-token grant with rotation (RFC 6749 §6; Keycloak's policy of
//! single-use refresh tokens) and PSC's session lifetimes.

use std::time::Duration;

use serde_json::Value;

use crate::helpers::paths::TOKEN;
use crate::helpers::{Answer, PRO, TestApp, Who, spawn_app, spawn_app_with};

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

    // The new one works, once.
    let third = refresh(&app, &rt(&second.body), &[]).await;
    assert_eq!(third.status, 200, "{}", third.body);
    assert_ne!(rt(&third.body), rt(&second.body));
}

/// Issue 17: with rotation, a replayed refresh token was refused but the
/// session lived on, so a thief who used a stolen token first kept it. Now
/// the replay ends the session: the thief and the rightful client both lose
/// it (RFC 9700 §4.14.2), as Keycloak, which detaches the client's session
/// (docs/fidelity.md, "refresh token reuse").
#[tokio::test]
async fn a_replayed_refresh_token_ends_the_session_for_everyone() {
    let app = spawn_app_with(|s| s.tokens.revoke_refresh_token = true).await;

    // The last token used, again (the next one not used yet): Keycloak's
    // reuse count is exceeded.
    let first = app.tokens(PRO).await;
    let second = refresh(&app, &rt(&first), &[]).await;
    assert_eq!(second.status, 200, "{}", second.body);
    let replay = refresh(&app, &rt(&first), &[]).await;
    assert!(
        replay
            .assert_error(400, "invalid_grant")
            .starts_with("Maximum allowed refresh token reuse exceeded")
    );
    let latest = refresh(&app, &rt(&second.body), &[]).await;
    assert!(
        latest
            .assert_error(400, "invalid_grant")
            .contains("Session not active"),
        "the latest refresh token went with the session"
    );
    app.userinfo(Who::Client, second.body["access_token"].as_str().unwrap())
        .await
        .assert_bearer_error(401, "invalid_token");

    // An older token than the last one used: "Stale token", the same end.
    let first = app.tokens(PRO).await;
    let second = refresh(&app, &rt(&first), &[]).await;
    let third = refresh(&app, &rt(&second.body), &[]).await;
    assert_eq!(third.status, 200, "{}", third.body);
    let replay = refresh(&app, &rt(&first), &[]).await;
    assert!(
        replay
            .assert_error(400, "invalid_grant")
            .starts_with("Stale token")
    );
    refresh(&app, &rt(&third.body), &[])
        .await
        .assert_error(400, "invalid_grant");

    // Another client presenting it ends nothing.
    let first = app.tokens(PRO).await;
    let second = refresh(&app, &rt(&first), &[]).await;
    let stolen = app
        .post_form_client2(
            TOKEN,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", rt(&first).as_str()),
            ],
        )
        .await;
    stolen.assert_error(400, "invalid_grant");
    assert_eq!(refresh(&app, &rt(&second.body), &[]).await.status, 200);
}

/// A used refresh token at logout or revocation ends its live session, as
/// on Keycloak, whose logout and revocation endpoints check no reuse; with
/// rotation that is also what presenting it at the token endpoint does
/// (docs/fidelity.md, "refresh token reuse"). Another client's is refused.
#[tokio::test]
async fn a_used_refresh_token_ends_its_session_at_logout_and_revocation_as_a_replay_would() {
    for rotation in [false, true] {
        let app = spawn_app_with(|s| s.tokens.revoke_refresh_token = rotation).await;
        for (path, field, status) in [
            ("/protocol/openid-connect/logout", "refresh_token", 204),
            ("/protocol/openid-connect/revoke", "token", 200),
        ] {
            let first = app.tokens(PRO).await;
            let second = refresh(&app, &rt(&first), &[]).await;
            assert_eq!(second.status, 200, "{}", second.body);
            let other = app
                .post_form_client2(path, &[(field, rt(&first).as_str())])
                .await;
            assert_ne!(other.status, status, "{path}: another client's");
            let used = app
                .post_form(Who::Client, path, &[(field, &rt(&first))])
                .await;
            assert_eq!(used.status, status, "{path}: {}", used.body);
            assert!(
                refresh(&app, &rt(&second.body), &[])
                    .await
                    .assert_error(400, "invalid_grant")
                    .contains("Session not active"),
                "{path}, rotation {rotation}: the session ended"
            );
        }
    }
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
    let stolen = app
        .post(Who::Client2, TOKEN)
        .by_client2()
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", rt(&tokens).as_str()),
        ])
        .send()
        .await;
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
