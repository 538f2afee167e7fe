//! Introspection (RFC 7662) and revocation (RFC 7009).

use serde_json::Value;

use crate::helpers::paths::{INTROSPECT, REVOKE};
use crate::helpers::{Answer, PRO, TestApp, Who, client, spawn_app, spawn_app_with};

async fn introspect(app: &TestApp, who: Who, token: &str) -> Value {
    let answer = app.post_form(who, INTROSPECT, &[("token", token)]).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.body
}

fn text<'a>(tokens: &'a Value, name: &str) -> &'a str {
    tokens[name].as_str().unwrap()
}

#[tokio::test]
async fn an_active_access_token_is_described_with_its_claims() {
    let app = spawn_app().await;
    let tokens = app.tokens(PRO).await;
    let answer = introspect(&app, Who::Client, text(&tokens, "access_token")).await;
    assert_eq!(answer["active"], true);
    assert_eq!(answer["client_id"], "psc-mock-client");
    assert_eq!(answer["username"], PRO);
    assert_eq!(answer["token_type"], "Bearer");
    assert_eq!(answer["SubjectNameID"], PRO);
    // PSC's real introspection answers carry no cnf (docs/fidelity.md).
    assert!(
        answer["exp"].is_u64() && answer.get("cnf").is_none(),
        "{answer}"
    );
    assert!(answer.get("aud").is_none(), "{answer}");

    let refresh = introspect(&app, Who::Client, text(&tokens, "refresh_token")).await;
    assert_eq!(refresh["active"], true);
    assert_eq!(refresh["token_type"], "Refresh");
}

#[tokio::test]
async fn an_unbound_token_is_active_for_its_client_with_or_without_certificate() {
    let app = spawn_app_with(|s| s.clients[0].require_certificate = false).await;
    let tokens = app.tokens(PRO).await;
    let without = client(Who::Nobody)
        .post(app.url(INTROSPECT))
        .basic_auth("psc-mock-client", Some("psc-mock-secret"))
        .form(&[("token", text(&tokens, "access_token"))])
        .send()
        .await
        .unwrap();
    assert_eq!(Answer::from(without).await.body["active"], true);
}

#[tokio::test]
async fn garbage_expired_and_id_tokens_are_inactive() {
    let app = spawn_app().await;
    let tokens = app.tokens(PRO).await;
    for token in ["garbage", text(&tokens, "id_token")] {
        assert_eq!(
            introspect(&app, Who::Client, token).await,
            serde_json::json!({"active": false})
        );
    }
    app.clock.advance(std::time::Duration::from_secs(120));
    let expired = introspect(&app, Who::Client, text(&tokens, "access_token")).await;
    assert_eq!(expired["active"], false);
}

#[tokio::test]
async fn a_resource_server_gets_the_bound_token_with_its_cnf() {
    let app = spawn_app_with(|s| s.clients[0].certificate_bound_access_tokens = true).await;
    let tokens = app.tokens(PRO).await;
    let access = text(&tokens, "access_token");
    // psc-mock-client-2, acting as a resource server, with its own certificate:
    // RFC 8705 §3.2, the answer carries cnf for the caller to compare.
    let answer = app
        .post(Who::Client2, INTROSPECT)
        .by_client2()
        .form(&[("token", access)])
        .send()
        .await;
    assert_eq!(answer.body["active"], true, "{}", answer.body);
    assert!(answer.body["cnf"]["x5t#S256"].is_string());
}

#[tokio::test]
async fn the_tokens_own_client_without_its_certificate_sees_it_inactive() {
    // A client allowed to authenticate by secret alone, whose token was
    // bound because it presented its certificate when getting it.
    let app = spawn_app_with(|s| {
        s.clients[0].require_certificate = false;
        s.clients[0].certificate_bound_access_tokens = true;
    })
    .await;
    let tokens = app.tokens(PRO).await;
    let access = text(&tokens, "access_token");
    let without = app
        .post(Who::Nobody, INTROSPECT)
        .by_client()
        .form(&[("token", access)])
        .send()
        .await;
    assert_eq!(without.body, serde_json::json!({"active": false}));
    assert_eq!(introspect(&app, Who::Client, access).await["active"], true);
}

#[tokio::test]
async fn introspection_needs_client_authentication() {
    let app = spawn_app().await;
    let answer = app
        .post(Who::Nobody, INTROSPECT)
        .form(&[("token", "x")])
        .send()
        .await;
    answer.assert_error(401, "invalid_client");
    let missing = app.post_form(Who::Client, INTROSPECT, &[]).await;
    assert_eq!(
        missing.assert_error(400, "invalid_request"),
        "Missing parameter: token"
    );
}

#[tokio::test]
async fn revoking_a_refresh_token_ends_the_session() {
    let app = spawn_app().await;
    let tokens = app.tokens(PRO).await;
    let revoked = app
        .post_form(
            Who::Client,
            REVOKE,
            &[("token", text(&tokens, "refresh_token"))],
        )
        .await;
    assert_eq!(revoked.status, 200, "{}", revoked.body);
    let refresh = app
        .post_form(
            Who::Client,
            "/protocol/openid-connect/token",
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", text(&tokens, "refresh_token")),
            ],
        )
        .await;
    assert!(
        refresh
            .assert_error(400, "invalid_grant")
            .contains("Session not active")
    );
    let info = app
        .userinfo(Who::Client, text(&tokens, "access_token"))
        .await;
    assert!(
        info.assert_bearer_error(401, "invalid_token")
            .contains("session")
    );
    assert_eq!(
        introspect(&app, Who::Client, text(&tokens, "access_token")).await["active"],
        false
    );
}

#[tokio::test]
async fn revoking_an_access_token_stops_only_that_token() {
    let app = spawn_app().await;
    let tokens = app.tokens(PRO).await;
    app.post_form(
        Who::Client,
        REVOKE,
        &[("token", text(&tokens, "access_token"))],
    )
    .await;
    let info = app
        .userinfo(Who::Client, text(&tokens, "access_token"))
        .await;
    assert!(
        info.assert_bearer_error(401, "invalid_token")
            .contains("revoked")
    );
    // The session lives on: a refresh still works.
    let refresh = app
        .post_form(
            Who::Client,
            "/protocol/openid-connect/token",
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", text(&tokens, "refresh_token")),
            ],
        )
        .await;
    assert_eq!(refresh.status, 200, "{}", refresh.body);
}

#[tokio::test]
async fn revocation_answers_200_for_unknown_tokens_and_refuses_other_clients_tokens() {
    let app = spawn_app().await;
    let unknown = app
        .post_form(Who::Client, REVOKE, &[("token", "nonsense")])
        .await;
    assert_eq!(unknown.status, 200);
    let tokens = app.tokens(PRO).await;
    let other = app
        .post(Who::Client2, REVOKE)
        .by_client2()
        .form(&[("token", text(&tokens, "refresh_token"))])
        .send()
        .await;
    assert!(
        other
            .assert_error(400, "unauthorized_client")
            .contains("psc-mock-client")
    );
    // Nothing was revoked.
    let info = app
        .userinfo(Who::Client, text(&tokens, "access_token"))
        .await;
    assert_eq!(info.status, 200);
}
