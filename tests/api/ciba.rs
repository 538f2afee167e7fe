//! The CIBA poll flow (CIBA Core §7–11) with Keycloak's answers.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use crate::helpers::Answer;
use crate::helpers::{CIBA_GRANT, PRO, Who, spawn_app, spawn_app_with};

#[tokio::test]
async fn a_full_flow_pending_then_approved_then_tokens_then_userinfo() {
    let app = spawn_app().await;
    let ack = app.bc_authorize(PRO).await;
    assert_eq!(ack.status, 200, "{}", ack.body);
    assert_eq!(ack.body["expires_in"], 120);
    assert_eq!(ack.body["interval"], 1);
    let id = ack.body["auth_req_id"].as_str().unwrap().to_owned();
    assert!(id.len() >= 22, "auth_req_id carries at least 128 bits");

    let pending = app.poll(&id).await;
    let description = pending.assert_error(400, "authorization_pending");
    assert_eq!(
        description,
        "The authorization request is still pending as the end-user hasn't yet been authenticated."
    );

    assert_eq!(app.approve(&id).await.status, 200);
    app.clock.advance(Duration::from_secs(1));
    let tokens = app.poll(&id).await;
    assert_eq!(tokens.status, 200, "{}", tokens.body);
    assert_eq!(tokens.headers["cache-control"], "no-store");
    for field in [
        "access_token",
        "refresh_token",
        "id_token",
        "session_state",
        "scope",
    ] {
        assert!(
            tokens.body[field].is_string(),
            "{field} missing: {}",
            tokens.body
        );
    }
    assert_eq!(tokens.body["token_type"], "Bearer");
    assert_eq!(tokens.body["expires_in"], 120);
    assert_eq!(tokens.body["refresh_expires_in"], 1800);
    assert_eq!(tokens.body["not-before-policy"], 0);
    assert_eq!(tokens.body["scope"], "openid scope_all");

    let info = app
        .userinfo(Who::Client, tokens.body["access_token"].as_str().unwrap())
        .await;
    assert_eq!(info.status, 200, "{}", info.body);
    assert_eq!(info.body["SubjectNameID"], PRO);
}

#[tokio::test]
async fn an_auth_req_id_yields_tokens_once() {
    let app = spawn_app().await;
    let id = app.start_ciba(PRO).await;
    app.approve(&id).await;
    assert_eq!(app.poll(&id).await.status, 200);
    app.clock.advance(Duration::from_secs(5));
    let again = app.poll(&id).await;
    assert!(
        again
            .assert_error(400, "invalid_grant")
            .starts_with("Invalid Auth Req ID")
    );
}

#[tokio::test]
async fn concurrent_polls_of_an_approved_request_get_tokens_exactly_once() {
    // With no interval, slow_down cannot hide a second redemption.
    let app = spawn_app_with(|s| {
        s.server.workers = 2;
        s.ciba.interval_s = 0;
    })
    .await;
    let id = app.start_ciba(PRO).await;
    app.approve(&id).await;
    let polls = (0..16).map(|_| app.poll(&id));
    let answers = futures_util::future::join_all(polls).await;
    let winners = answers.iter().filter(|a| a.status == 200).count();
    assert_eq!(winners, 1);
    for loser in answers.iter().filter(|a| a.status != 200) {
        loser.assert_error(400, "invalid_grant");
    }
}

#[tokio::test]
async fn polling_faster_than_the_interval_slows_down_by_five_seconds() {
    let app = spawn_app().await;
    let id = app.start_ciba(PRO).await;
    app.poll(&id)
        .await
        .assert_error(400, "authorization_pending");
    let fast = app.poll(&id).await;
    assert!(fast.assert_error(400, "slow_down").contains("6 s"));
    app.clock.advance(Duration::from_secs(2));
    let still_fast = app.poll(&id).await;
    assert!(still_fast.assert_error(400, "slow_down").contains("11 s"));
    app.clock.advance(Duration::from_secs(11));
    app.poll(&id)
        .await
        .assert_error(400, "authorization_pending");
}

#[tokio::test]
async fn a_denied_request_answers_access_denied() {
    let app = spawn_app().await;
    let id = app.start_ciba(PRO).await;
    let deny = app
        .control(
            Method::POST,
            &format!("/mock/ciba/requests/{id}/deny"),
            None,
        )
        .await;
    assert_eq!(deny.body["status"], "denied");
    app.poll(&id).await.assert_error(400, "access_denied");
}

#[tokio::test]
async fn requests_expire_after_expires_in_or_on_command() {
    let app = spawn_app().await;
    let id = app.start_ciba(PRO).await;
    app.clock.advance(Duration::from_secs(120));
    app.poll(&id).await.assert_error(400, "expired_token");
    // Too late to approve an expired request.
    app.approve(&id).await.assert_error(409, "conflict");

    let id = app.start_ciba(PRO).await;
    app.control(
        Method::POST,
        &format!("/mock/ciba/requests/{id}/expire"),
        None,
    )
    .await;
    app.poll(&id).await.assert_error(400, "expired_token");
}

#[tokio::test]
async fn requested_expiry_sets_expires_in() {
    let app = spawn_app().await;
    let ack = app
        .post_form(
            Who::Client,
            "/protocol/openid-connect/ext/ciba/auth",
            &[
                ("login_hint", PRO),
                ("scope", "openid"),
                ("requested_expiry", "30"),
            ],
        )
        .await;
    assert_eq!(ack.body["expires_in"], 30);
    let id = ack.body["auth_req_id"].as_str().unwrap();
    app.clock.advance(Duration::from_secs(30));
    app.poll(id).await.assert_error(400, "expired_token");
}

#[tokio::test]
async fn a_scenario_approves_a_professional_after_a_delay() {
    let app = spawn_app().await;
    let put = app
        .control(
            Method::PUT,
            &format!("/mock/scenarios/{PRO}"),
            Some(json!({"action": "approve", "after_ms": 3000})),
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.body);
    let id = app.start_ciba(PRO).await;
    app.poll(&id)
        .await
        .assert_error(400, "authorization_pending");
    app.clock.advance(Duration::from_millis(3000));
    assert_eq!(app.poll(&id).await.status, 200);
}

#[tokio::test]
async fn scenarios_deny_or_expire_and_can_be_removed() {
    let app = spawn_app().await;
    let path = format!("/mock/scenarios/{PRO}");
    app.control(Method::PUT, &path, Some(json!({"action": "deny"})))
        .await;
    let id = app.start_ciba(PRO).await;
    app.poll(&id).await.assert_error(400, "access_denied");

    app.control(
        Method::PUT,
        &path,
        Some(json!({"action": "expire", "after_ms": 0})),
    )
    .await;
    let id = app.start_ciba(PRO).await;
    app.poll(&id).await.assert_error(400, "expired_token");

    assert_eq!(app.control(Method::DELETE, &path, None).await.status, 204);
    let id = app.start_ciba(PRO).await;
    app.poll(&id)
        .await
        .assert_error(400, "authorization_pending");
}

#[tokio::test]
async fn the_default_outcome_can_approve_everyone_without_control_calls() {
    let app = spawn_app_with(|s| {
        s.ciba.default_action = psc_mock::ciba::Action::Approve;
        s.ciba.default_after_ms = 0;
    })
    .await;
    let id = app.start_ciba("899700771191").await;
    assert_eq!(app.poll(&id).await.status, 200);
}

#[tokio::test]
async fn another_client_cannot_redeem_someone_elses_request() {
    let app = spawn_app().await;
    let id = app.start_ciba(PRO).await;
    app.approve(&id).await;
    let stolen = app
        .post(Who::Client2, "/protocol/openid-connect/token")
        .by_client2()
        .form(&[("grant_type", CIBA_GRANT), ("auth_req_id", id.as_str())])
        .send()
        .await;
    assert!(
        stolen
            .assert_error(400, "invalid_grant")
            .contains("another client")
    );
    // The rightful client still gets its tokens.
    assert_eq!(app.poll(&id).await.status, 200);
}

#[tokio::test]
async fn bc_authorize_checks_its_parameters_in_keycloaks_order() {
    let app = spawn_app().await;
    let path = "/protocol/openid-connect/ext/ciba/auth";
    /// The form sent, the expected error, a fragment of its description.
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a str);
    let long = "x".repeat(65);
    let cases: [Case; 8] = [
        (
            &[("scope", "openid")],
            "invalid_request",
            "missing parameter : login_hint",
        ),
        (
            &[("login_hint", PRO)],
            "invalid_request",
            "missing parameter : scope",
        ),
        (
            &[("login_hint", "899700000000"), ("scope", "openid")],
            "invalid_request",
            "invalid_user",
        ),
        (
            &[("login_hint", PRO), ("scope", "profile bogus")],
            "invalid_scope",
            "Invalid scopes: profile bogus",
        ),
        (
            &[("login_hint", PRO), ("scope", "openid rpps_bogus")],
            "invalid_scope",
            "\"rpps_bogus\"",
        ),
        (
            &[("login_hint", PRO), ("scope", "openid"), ("channel", "FAX")],
            "invalid_request",
            "channel \"FAX\"",
        ),
        (
            &[
                ("login_hint", PRO),
                ("scope", "openid"),
                ("requested_expiry", "-5"),
            ],
            "invalid_request",
            "requested_expiry",
        ),
        (
            &[
                ("login_hint", PRO),
                ("scope", "openid"),
                ("binding_message", &long),
            ],
            "invalid_binding_message",
            "64",
        ),
    ];
    for (form, error, fragment) in cases {
        let answer = app.post_form(Who::Client, path, form).await;
        let description = answer.assert_error(400, error);
        assert!(description.contains(fragment), "{form:?}: {description}");
    }
    // None of them created a request.
    let list = app.control(Method::GET, "/mock/ciba/requests", None).await;
    assert_eq!(list.body.as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn the_channel_must_reach_the_professional() {
    let app = spawn_app().await;
    let path = "/protocol/openid-connect/ext/ciba/auth";
    // 899700366240 has e-CPS only; 899700218896 has a card only.
    let card = app
        .post_form(
            Who::Client,
            path,
            &[
                ("login_hint", "899700366240"),
                ("scope", "openid"),
                ("channel", "CARD"),
            ],
        )
        .await;
    assert!(
        card.assert_error(400, "invalid_request")
            .contains("no CPS card")
    );
    let mobile = app
        .post_form(
            Who::Client,
            path,
            &[("login_hint", "899700218896"), ("scope", "openid")],
        )
        .await;
    assert!(
        mobile
            .assert_error(400, "invalid_request")
            .contains("no e-CPS")
    );
    let ok = app
        .post_form(
            Who::Client,
            path,
            &[
                ("login_hint", "899700218896"),
                ("scope", "openid"),
                ("channel", "CARD"),
            ],
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
}

#[tokio::test]
async fn the_token_endpoint_names_what_is_missing_or_unsupported() {
    let app = spawn_app().await;
    let path = "/protocol/openid-connect/token";
    let missing_grant = app
        .post_form(Who::Client, path, &[("auth_req_id", "x")])
        .await;
    assert!(
        missing_grant
            .assert_error(400, "invalid_request")
            .starts_with("Missing form parameter: grant_type")
    );
    let password = app
        .post_form(Who::Client, path, &[("grant_type", "password")])
        .await;
    assert!(
        password
            .assert_error(400, "unsupported_grant_type")
            .starts_with("Unsupported grant_type: \"password\"")
    );
    let missing_id = app
        .post_form(Who::Client, path, &[("grant_type", CIBA_GRANT)])
        .await;
    assert_eq!(
        missing_id.assert_error(400, "invalid_request"),
        "Missing parameter: auth_req_id"
    );
    let unknown = app.poll("not-an-id").await;
    assert!(
        unknown
            .assert_error(400, "invalid_grant")
            .starts_with("Invalid Auth Req ID")
    );
}

#[tokio::test]
async fn a_client_without_ciba_is_refused_as_keycloak_does() {
    let app = spawn_app().await;
    let client = crate::helpers::client(Who::Nobody);
    let form = [
        ("client_id", "psc-mock-no-ciba"),
        ("client_secret", "psc-mock-secret-no-ciba"),
        ("login_hint", PRO),
        ("scope", "openid"),
    ];
    let bc = client
        .post(app.url("/protocol/openid-connect/ext/ciba/auth"))
        .form(&form)
        .send()
        .await
        .unwrap();
    let bc = Answer::from(bc).await;
    assert_eq!(
        bc.assert_error(401, "invalid_grant"),
        "Client not allowed OIDC CIBA Grant"
    );

    let token = client
        .post(app.url("/protocol/openid-connect/token"))
        .form(&[
            ("client_id", "psc-mock-no-ciba"),
            ("client_secret", "psc-mock-secret-no-ciba"),
            ("grant_type", CIBA_GRANT),
            ("auth_req_id", "x"),
        ])
        .send()
        .await
        .unwrap();
    let token = Answer::from(token).await;
    assert_eq!(
        token.assert_error(400, "invalid_grant"),
        "Client not allowed OIDC CIBA Grant"
    );
}

#[tokio::test]
async fn acr_values_are_voluntary_and_scopes_psc_lists_are_accepted() {
    let app = spawn_app().await;
    let ack = app
        .post_form(
            Who::Client,
            "/protocol/openid-connect/ext/ciba/auth",
            &[
                ("login_hint", PRO),
                ("scope", "openid offline_access roles"),
                ("acr_values", "eidas3"),
            ],
        )
        .await;
    assert_eq!(ack.status, 200, "{}", ack.body);
    let id = ack.body["auth_req_id"].as_str().unwrap();
    app.approve(id).await;
    let tokens = app.poll(id).await;
    let claims = tokens.body["access_token"]
        .as_str()
        .unwrap()
        .split('.')
        .nth(1)
        .unwrap()
        .to_owned();
    use base64::Engine;
    let claims: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(claims)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["acr"], "eidas1", "the login happens at PSC's level");
}
