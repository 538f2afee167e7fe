//! Discovery at the standard path and at PSC's (docs/fidelity.md).

use serde_json::Value;

use crate::helpers::{Who, client, spawn_app, spawn_app_with};

async fn get(url: String) -> Value {
    let response = client(Who::Nobody).get(url).send().await.unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

#[tokio::test]
async fn both_discovery_paths_serve_the_same_document() {
    let app = spawn_app().await;
    let standard = get(app.url("/.well-known/openid-configuration")).await;
    let wallet = get(app.url("/.well-known/wallet-openid-configuration")).await;
    assert_eq!(standard, wallet);
    assert_eq!(standard["issuer"], app.issuer);
    assert!(app.issuer.ends_with("/auth/realms/esante-wallet"));
}

#[tokio::test]
async fn every_advertised_endpoint_is_under_the_issuer_and_answers() {
    let app = spawn_app().await;
    let doc = get(app.url("/.well-known/openid-configuration")).await;
    let expected = [
        ("token_endpoint", "/protocol/openid-connect/token"),
        ("userinfo_endpoint", "/protocol/openid-connect/userinfo"),
        ("jwks_uri", "/protocol/openid-connect/certs"),
        (
            "backchannel_authentication_endpoint",
            "/protocol/openid-connect/ext/ciba/auth",
        ),
    ];
    for (field, path) in expected {
        assert_eq!(doc[field], app.url(path), "{field}");
        assert_eq!(
            doc["mtls_endpoint_aliases"]
                .get(field)
                .unwrap_or(&doc[field]),
            &doc[field]
        );
        // Each answers something other than 404.
        let status = client(Who::Nobody)
            .get(doc[field].as_str().unwrap())
            .send()
            .await
            .unwrap()
            .status();
        assert_ne!(status, 404, "{field}");
    }
    assert_eq!(
        doc["backchannel_token_delivery_modes_supported"],
        serde_json::json!(["poll"])
    );
    assert_eq!(doc["tls_client_certificate_bound_access_tokens"], true);
    assert_eq!(
        doc["id_token_signing_alg_values_supported"],
        serde_json::json!(["RS256"])
    );
    let methods = doc["token_endpoint_auth_methods_supported"]
        .as_array()
        .unwrap();
    for m in [
        "client_secret_basic",
        "client_secret_post",
        "tls_client_auth",
    ] {
        assert!(methods.iter().any(|v| v == m), "{m}");
    }
    let grants = doc["grant_types_supported"].as_array().unwrap();
    assert!(
        grants
            .iter()
            .any(|g| g == "urn:openid:params:grant-type:ciba")
    );
    let scopes = doc["scopes_supported"].as_array().unwrap();
    assert!(scopes.iter().any(|s| s == "scope_all"));
}

#[tokio::test]
async fn urls_follow_the_configured_public_url() {
    let app = spawn_app_with(|s| s.server.public_url = "https://psc-mock:8443/".into()).await;
    let local = format!(
        "{}/auth/realms/esante-wallet/.well-known/openid-configuration",
        app.base
    );
    let doc = get(local).await;
    assert_eq!(
        doc["issuer"],
        "https://psc-mock:8443/auth/realms/esante-wallet"
    );
    assert_eq!(
        doc["token_endpoint"],
        "https://psc-mock:8443/auth/realms/esante-wallet/protocol/openid-connect/token"
    );
}
