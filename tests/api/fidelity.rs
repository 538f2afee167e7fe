//! PSC as observed: one test per row of docs/fidelity.md that the other
//! modules do not already cover: discovery's values, the realm descriptor,
//! Keycloak's unknown-realm answer, the response modes, the PKCE downgrade,
//! plain OAuth 2.0 requests (no `openid`), and certificate-bound tokens when
//! a client turns them on.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::Method;
use rsa::pkcs8::DecodePublicKey;
use rsa::traits::PublicKeyParts;
use serde_json::{Value, json};

use crate::codeflow::{REDIRECT, authorize, exchange, location, param};
use crate::helpers::paths::TOKEN;
use crate::helpers::{Answer, PRO, TestApp, Who, client, payload, spawn_app, spawn_app_with};

async fn get_json(url: &str) -> Answer {
    Answer::from(client(Who::Nobody).get(url).send().await.unwrap()).await
}

/// Every professional named `login_hint` approves at once on the page.
async fn auto_approve(app: &TestApp) {
    let set = app
        .control(
            Method::PUT,
            &format!("/mock/scenarios/{PRO}"),
            Some(json!({"action": "approve"})),
        )
        .await;
    assert_eq!(set.status, 200);
}

/// No list in the document (or its objects) is empty.
fn no_empty_list(value: &Value, path: &str) {
    match value {
        Value::Array(items) => assert!(!items.is_empty(), "{path} is an empty list"),
        Value::Object(map) => {
            for (name, inner) in map {
                no_empty_list(inner, &format!("{path}.{name}"));
            }
        }
        _ => {}
    }
}

#[tokio::test]
async fn discovery_has_pscs_values_for_what_is_served_and_nothing_else() {
    let app = spawn_app().await;
    let doc = get_json(&app.url("/.well-known/wallet-openid-configuration"))
        .await
        .body;
    no_empty_list(&doc, "discovery");
    assert_eq!(doc["acr_values_supported"], json!(["0", "0"]));
    assert_eq!(
        doc["grant_types_supported"],
        json!([
            "authorization_code",
            "client_credentials",
            "refresh_token",
            "urn:openid:params:grant-type:ciba"
        ])
    );
    assert_eq!(
        doc["response_modes_supported"],
        json!(["query", "fragment", "form_post"])
    );
    let scopes = doc["scopes_supported"].as_array().unwrap();
    assert_eq!(scopes.len(), 20);
    for scope in [
        "openid",
        "scope_all",
        "rpps",
        "basic",
        "microprofile-jwt",
        "eidas2",
    ] {
        assert!(scopes.contains(&json!(scope)), "{scope}");
    }
    assert_eq!(doc["tls_client_certificate_bound_access_tokens"], true);
    assert_eq!(doc["authorization_response_iss_parameter_supported"], true);
    // What PSC lists but psc-mock does not serve is left out.
    for absent in [
        "registration_endpoint",
        "device_authorization_endpoint",
        "pushed_authorization_request_endpoint",
        "check_session_iframe",
        "userinfo_signing_alg_values_supported",
        "backchannel_authentication_request_signing_alg_values_supported",
    ] {
        assert!(doc.get(absent).is_none(), "{absent} is advertised");
    }
    assert_eq!(doc["claims_parameter_supported"], false);
    assert_eq!(doc["request_parameter_supported"], false);
    assert!(
        doc["mtls_endpoint_aliases"]
            .get("end_session_endpoint")
            .is_none()
    );
}

#[tokio::test]
async fn the_realm_descriptor_publishes_the_active_key_as_keycloak() {
    let app = spawn_app().await;
    let realm = get_json(&app.issuer).await;
    assert_eq!(realm.status, 200, "{}", realm.body);
    let body = &realm.body;
    assert_eq!(body["realm"], "esante-wallet");
    assert_eq!(
        body["token-service"],
        format!("{}/protocol/openid-connect", app.issuer)
    );
    assert_eq!(body["account-service"], format!("{}/account", app.issuer));
    assert_eq!(body["tokens-not-before"], 0);
    let der = STANDARD
        .decode(body["public_key"].as_str().unwrap())
        .unwrap();
    let key = rsa::RsaPublicKey::from_public_key_der(&der).unwrap();
    let jwks = get_json(&app.url("/protocol/openid-connect/certs"))
        .await
        .body;
    let n = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(jwks["keys"][0]["n"].as_str().unwrap())
        .unwrap();
    assert_eq!(key.n().to_bytes_be(), n, "the JWKS's active key");
}

#[tokio::test]
async fn another_realm_does_not_exist_as_keycloak_says() {
    let app = spawn_app().await;
    let other = app.issuer.replace("esante-wallet", "master");
    let answer = get_json(&format!("{other}/.well-known/openid-configuration")).await;
    assert_eq!(answer.status, 404);
    assert_eq!(answer.body["error"], "Realm does not exist");
    assert!(
        answer.body["error_description"]
            .as_str()
            .unwrap()
            .contains("\"esante-wallet\"")
    );
}

#[tokio::test]
async fn form_post_answers_with_a_page_that_posts_the_code_back() {
    let app = spawn_app().await;
    auto_approve(&app).await;
    let response = authorize(&app, &[("login_hint", PRO), ("response_mode", "form_post")]).await;
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(
        headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    let html = response.text().await.unwrap();
    assert!(html.contains(&format!("<FORM METHOD=\"POST\" ACTION=\"{REDIRECT}\">")));
    let field = |name: &str| {
        let marker = format!("NAME=\"{name}\" VALUE=\"");
        let start = html.find(&marker).map(|i| i + marker.len())?;
        let end = html[start..].find('"')?;
        Some(html[start..start + end].to_owned())
    };
    assert_eq!(field("state").as_deref(), Some("xyz-state"));
    assert_eq!(field("iss").as_deref(), Some(app.issuer.as_str()));
    assert!(field("session_state").is_some());
    let code = field("code").expect("a code field");
    assert_eq!(exchange(&app, &code, &[]).await.status, 200);
}

#[tokio::test]
async fn fragment_carries_the_answer_after_the_hash_and_jarm_is_refused() {
    let app = spawn_app().await;
    auto_approve(&app).await;
    let response = authorize(&app, &[("login_hint", PRO), ("response_mode", "fragment")]).await;
    assert_eq!(response.status(), 302);
    let target = response.headers()["location"].to_str().unwrap().to_owned();
    let (base, fragment) = target.split_once('#').expect("a fragment");
    assert_eq!(base, REDIRECT);
    let params: Vec<(String, String)> = form_urlencoded::parse(fragment.as_bytes())
        .into_owned()
        .collect();
    let code = param(&params, "code").expect("code").to_owned();
    assert_eq!(param(&params, "state"), Some("xyz-state"));
    assert_eq!(exchange(&app, &code, &[]).await.status, 200);

    let jarm = authorize(&app, &[("login_hint", PRO), ("response_mode", "jwt")]).await;
    let (_, params) = location(&jarm);
    assert_eq!(param(&params, "error"), Some("invalid_request"));
    assert!(param(&params, "error_description").is_some_and(|d| d.contains("JARM")));
}

#[tokio::test]
async fn a_code_verifier_for_a_code_without_challenge_is_a_refused_downgrade() {
    let app = spawn_app().await;
    auto_approve(&app).await;
    let response = authorize(
        &app,
        &[
            ("login_hint", PRO),
            ("code_challenge", ""),
            ("code_challenge_method", ""),
        ],
    )
    .await;
    let (_, params) = location(&response);
    let code = param(&params, "code").expect("code").to_owned();
    let downgrade = exchange(&app, &code, &[]).await;
    assert!(
        downgrade
            .assert_error(400, "invalid_grant")
            .starts_with("PKCE code verifier specified but challenge not present in authorization")
    );
    // The refusal consumed nothing: the code without a verifier works.
    let plain = exchange(&app, &code, &[("code_verifier", "")]).await;
    assert_eq!(plain.status, 200, "{}", plain.body);
}

#[tokio::test]
async fn a_code_flow_without_openid_is_plain_oauth_without_id_token() {
    let app = spawn_app().await;
    auto_approve(&app).await;
    let response = authorize(&app, &[("login_hint", PRO), ("scope", "scope_all")]).await;
    let (_, params) = location(&response);
    let code = param(&params, "code").expect("code").to_owned();
    let tokens = exchange(&app, &code, &[]).await;
    assert_eq!(tokens.status, 200, "{}", tokens.body);
    assert!(tokens.body.get("id_token").is_none(), "{}", tokens.body);
    assert_eq!(tokens.body["scope"], "scope_all");
    assert_eq!(
        payload(tokens.body["access_token"].as_str().unwrap())["SubjectNameID"],
        PRO
    );
    let refreshed = app
        .post_form(
            Who::Client,
            TOKEN,
            &[
                ("grant_type", "refresh_token"),
                (
                    "refresh_token",
                    tokens.body["refresh_token"].as_str().unwrap(),
                ),
            ],
        )
        .await;
    assert_eq!(refreshed.status, 200, "{}", refreshed.body);
    assert!(refreshed.body.get("id_token").is_none());
}

#[tokio::test]
async fn a_bound_refresh_token_needs_its_certificate() {
    // A client that may authenticate by secret alone, so that the binding
    // is what refuses.
    let app = spawn_app_with(|s| {
        s.clients[0].certificate_bound_access_tokens = true;
        s.clients[0].require_certificate = false;
    })
    .await;
    let tokens = app.tokens(PRO).await;
    let refresh = tokens["refresh_token"].as_str().unwrap();
    assert!(payload(refresh)["cnf"]["x5t#S256"].is_string());
    let form = [("grant_type", "refresh_token"), ("refresh_token", refresh)];
    let send = |who: Who| {
        let url = app.url(TOKEN);
        async move {
            let response = client(who)
                .post(url)
                .basic_auth("psc-mock-client", Some("psc-mock-secret"))
                .form(&form)
                .send()
                .await
                .unwrap();
            Answer::from(response).await
        }
    };
    assert!(
        send(Who::Nobody)
            .await
            .assert_error(400, "invalid_request")
            .starts_with("Client Certification missing for MTLS HoK Token Binding")
    );
    assert!(
        send(Who::Client2)
            .await
            .assert_error(401, "unauthorized_client")
            .starts_with("Client certificate missing, or its thumbprint")
    );
    // Neither refusal consumed anything: the right certificate refreshes.
    let good = send(Who::Client).await;
    assert_eq!(good.status, 200, "{}", good.body);
}
