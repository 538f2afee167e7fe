//! The client-credentials grant, for clients that enable it.

use crate::helpers::paths::TOKEN;
use crate::helpers::{Answer, Who, client, spawn_app, spawn_app_with};

async fn discovery_grants(app: &crate::helpers::TestApp) -> serde_json::Value {
    let doc: serde_json::Value = client(Who::Nobody)
        .get(app.url("/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    doc["grant_types_supported"].clone()
}

#[tokio::test]
async fn a_client_that_enables_it_gets_a_service_token() {
    let app = spawn_app_with(|s| s.clients[0].client_credentials = true).await;
    assert!(
        discovery_grants(&app)
            .await
            .as_array()
            .unwrap()
            .contains(&"client_credentials".into())
    );
    let answer = app
        .post_form(Who::Client, TOKEN, &[("grant_type", "client_credentials")])
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer.body.get("refresh_token").is_none() && answer.body.get("id_token").is_none());
    let token = answer.body["access_token"].as_str().unwrap();
    // Unbound, as every access token of a client without
    // certificate_bound_access_tokens.
    assert!(crate::helpers::payload(token).get("cnf").is_none());

    let introspection = app
        .post_form(
            Who::Client,
            "/protocol/openid-connect/token/introspect",
            &[("token", token)],
        )
        .await;
    assert_eq!(introspection.body["active"], true, "{}", introspection.body);
    assert_eq!(
        introspection.body["username"],
        "service-account-psc-mock-client"
    );

    let info = app.userinfo(Who::Client, token).await;
    assert!(
        info.assert_bearer_error(401, "invalid_token")
            .contains("client_credentials")
    );

    let revoked = app
        .post_form(
            Who::Client,
            "/protocol/openid-connect/revoke",
            &[("token", token)],
        )
        .await;
    assert_eq!(revoked.status, 200);
    let after = app
        .post_form(
            Who::Client,
            "/protocol/openid-connect/token/introspect",
            &[("token", token)],
        )
        .await;
    assert_eq!(after.body["active"], false);
}

#[tokio::test]
async fn other_clients_are_refused_though_discovery_lists_the_grant_as_psc() {
    let app = spawn_app().await;
    assert!(
        discovery_grants(&app)
            .await
            .as_array()
            .unwrap()
            .contains(&"client_credentials".into())
    );
    let answer = app
        .post_form(Who::Client, TOKEN, &[("grant_type", "client_credentials")])
        .await;
    assert!(
        answer
            .assert_error(400, "unauthorized_client")
            .contains("client_credentials")
    );
}

#[tokio::test]
async fn professional_scopes_are_refused() {
    let app = spawn_app_with(|s| s.clients[0].client_credentials = true).await;
    let answer: Answer = app
        .post_form(
            Who::Client,
            TOKEN,
            &[
                ("grant_type", "client_credentials"),
                ("scope", "openid scope_all"),
            ],
        )
        .await;
    answer.assert_error(400, "invalid_scope");
}
