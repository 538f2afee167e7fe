//! The issuer and advertised URLs: fixed by `public_url`, following each
//! request's name (`Host`, `X-Forwarded-*`, `Forwarded`), following it for
//! the backchannel only, and PSC's layout with the login page at `/auth`
//! on a wallet origin. The two names of one server here are `127.0.0.1`
//! and `localhost`, both covered by the test certificate.

use std::net::SocketAddr;

use reqwest::{Certificate, Client, Identity, Method};
use serde_json::Value;

use crate::helpers::Answer;
use crate::helpers::{
    PRO, TestApp, Who, client, payload, read_key_file, spawn_app_on_a_port, spawn_app_with,
};

const REALM: &str = "/auth/realms/esante-wallet";

/// A client that reaches the test server as `https://localhost:<port>`.
fn localhost_client(app: &TestApp) -> Client {
    let port = port(app);
    let ca = Certificate::from_pem(read_key_file("ca.pem").as_bytes()).unwrap();
    let pem = format!(
        "{}{}",
        read_key_file("client.pem"),
        read_key_file("client.key")
    );
    Client::builder()
        .tls_certs_only([ca])
        .identity(Identity::from_pem(pem.as_bytes()).unwrap())
        .resolve("localhost", SocketAddr::from(([127, 0, 0, 1], port)))
        .build()
        .unwrap()
}

fn port(app: &TestApp) -> u16 {
    app.base.rsplit(':').next().unwrap().parse().unwrap()
}

async fn discovery(client: &Client, base: &str) -> Value {
    client
        .get(format!("{base}{REALM}/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// A whole CIBA login through `base`; the token response.
async fn ciba_through(app: &TestApp, client: &Client, base: &str) -> Value {
    let issuer = format!("{base}{REALM}");
    let ack: Value = client
        .post(format!("{issuer}/protocol/openid-connect/ext/ciba/auth"))
        .basic_auth("psc-mock-client", Some("psc-mock-secret"))
        .form(&[("login_hint", PRO), ("scope", "openid scope_all")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = ack["auth_req_id"].as_str().expect("auth_req_id").to_owned();
    assert_eq!(app.approve(&id).await.status, 200);
    client
        .post(format!("{issuer}/protocol/openid-connect/token"))
        .basic_auth("psc-mock-client", Some("psc-mock-secret"))
        .form(&[
            ("grant_type", crate::helpers::CIBA_GRANT),
            ("auth_req_id", &id),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_fixed_issuer_ignores_the_name_used_and_has_no_trailing_slash() {
    let app = spawn_app_with(|s| s.server.public_url = "https://psc-mock:8443/".into()).await;
    let localhost = format!("https://localhost:{}", port(&app));
    let doc = discovery(&localhost_client(&app), &localhost).await;
    assert_eq!(doc["issuer"], format!("https://psc-mock:8443{REALM}"));
    assert_eq!(
        doc["token_endpoint"],
        format!("https://psc-mock:8443{REALM}/protocol/openid-connect/token")
    );
    // The iss of the tokens is discovery's issuer, byte for byte.
    let tokens = ciba_through(&app, &client(Who::Client), &app.base).await;
    for name in ["access_token", "id_token", "refresh_token"] {
        assert_eq!(
            payload(tokens[name].as_str().unwrap())["iss"],
            doc["issuer"],
            "{name}"
        );
    }
}

#[tokio::test]
async fn with_issuer_from_request_each_name_gets_its_own_issuer_and_tokens() {
    let app = spawn_app_with(|s| s.server.issuer_from_request = true).await;
    let local = localhost_client(&app);
    let localhost = format!("https://localhost:{}", port(&app));
    let by_ip = discovery(&client(Who::Nobody), &app.base).await;
    let by_name = discovery(&local, &localhost).await;
    assert_eq!(by_ip["issuer"], format!("{}{REALM}", app.base));
    assert_eq!(by_name["issuer"], format!("{localhost}{REALM}"));
    for doc in [&by_ip, &by_name] {
        let issuer = doc["issuer"].as_str().unwrap();
        for endpoint in [
            "token_endpoint",
            "userinfo_endpoint",
            "jwks_uri",
            "authorization_endpoint",
            "backchannel_authentication_endpoint",
        ] {
            assert!(
                doc[endpoint].as_str().unwrap().starts_with(issuer),
                "{endpoint}: {}",
                doc[endpoint]
            );
        }
        assert!(
            doc["mtls_endpoint_aliases"]["token_endpoint"]
                .as_str()
                .unwrap()
                .starts_with(issuer)
        );
    }

    // Tokens issued under a name carry its issuer...
    let tokens = ciba_through(&app, &local, &localhost).await;
    let access = tokens["access_token"].as_str().expect("tokens");
    assert_eq!(payload(access)["iss"], by_name["issuer"]);
    assert_eq!(
        payload(tokens["id_token"].as_str().unwrap())["iss"],
        by_name["issuer"]
    );
    // ...and are accepted under the other name: it is one server.
    assert_eq!(app.userinfo(Who::Client, access).await.status, 200);
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
    assert_eq!(
        payload(refreshed.body["access_token"].as_str().unwrap())["iss"],
        by_ip["issuer"]
    );
}

#[tokio::test]
async fn forwarded_headers_name_the_issuer_behind_a_proxy() {
    let app = spawn_app_with(|s| s.server.issuer_from_request = true).await;
    let get = |headers: &'static [(&'static str, &'static str)]| {
        let mut request = client(Who::Nobody).get(app.url("/.well-known/openid-configuration"));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        async move { Answer::from(request.send().await.unwrap()).await }
    };
    let forwarded = get(&[
        ("X-Forwarded-Proto", "http"),
        ("X-Forwarded-Host", "psc.example.test:8080"),
    ])
    .await;
    assert_eq!(
        forwarded.body["issuer"],
        format!("http://psc.example.test:8080{REALM}")
    );
    let rfc7239 = get(&[("Forwarded", "proto=https;host=Auth.Example.Test")]).await;
    assert_eq!(
        rfc7239.body["issuer"],
        format!("https://auth.example.test{REALM}")
    );
    // A name that cannot stand in a URL is refused, and named.
    let bad = get(&[("X-Forwarded-Host", "evil.test/path?x")]).await;
    let why = bad.assert_error(400, "invalid_request");
    assert!(why.contains("evil.test/path?x"), "{why}");
    let scheme = get(&[("X-Forwarded-Proto", "gopher")]).await;
    scheme.assert_error(400, "invalid_request");
}

#[tokio::test]
async fn backchannel_from_request_keeps_the_issuer_and_moves_the_server_endpoints() {
    let app = spawn_app_with(|s| {
        s.server.public_url = "https://localhost:8443".into();
        s.server.backchannel_from_request = true;
    })
    .await;
    let doc = discovery(&client(Who::Nobody), &app.base).await;
    let fixed = format!("https://localhost:8443{REALM}");
    assert_eq!(doc["issuer"], fixed);
    assert_eq!(
        doc["authorization_endpoint"],
        format!("{fixed}/protocol/openid-connect/auth")
    );
    assert_eq!(
        doc["end_session_endpoint"],
        format!("{fixed}/protocol/openid-connect/logout")
    );
    let here = format!("{}{REALM}", app.base);
    assert_eq!(
        doc["token_endpoint"],
        format!("{here}/protocol/openid-connect/token")
    );
    assert_eq!(
        doc["jwks_uri"],
        format!("{here}/protocol/openid-connect/certs")
    );
    assert_eq!(
        doc["backchannel_authentication_endpoint"],
        format!("{here}/protocol/openid-connect/ext/ciba/auth")
    );
    // Tokens keep the fixed issuer.
    let tokens = ciba_through(&app, &client(Who::Client), &app.base).await;
    assert_eq!(payload(tokens["id_token"].as_str().unwrap())["iss"], fixed);
}

#[tokio::test]
async fn the_psc_layout_puts_the_login_page_at_auth_on_the_wallet_origin() {
    // The wallet is the localhost name of the server's own port, which is
    // chosen first.
    let app = spawn_app_on_a_port(|port, s| {
        s.server.psc_layout = true;
        s.server.wallet_url = format!("https://localhost:{port}");
    })
    .await;
    let wallet = app.base.replace("127.0.0.1", "localhost");
    let port: u16 = app
        .base
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap();
    let doc = discovery(&client(Who::Nobody), &app.base).await;
    assert_eq!(doc["authorization_endpoint"], format!("{wallet}/auth"));
    assert_eq!(doc["issuer"], app.issuer);

    // A browser at the advertised endpoint: the login page, then (with the
    // client's auto-login through a scenario) the code back with PSC's iss.
    let scenario = app
        .control(
            Method::PUT,
            &format!("/mock/scenarios/{PRO}"),
            Some(serde_json::json!({"action": "approve"})),
        )
        .await;
    assert!(scenario.status.is_success(), "{}", scenario.body);
    let browser = Client::builder()
        .tls_certs_only([Certificate::from_pem(read_key_file("ca.pem").as_bytes()).unwrap()])
        .resolve("localhost", SocketAddr::from(([127, 0, 0, 1], port)))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = browser
        .get(format!("{wallet}/auth"))
        .query(&[
            ("client_id", "psc-mock-client"),
            ("response_type", "code"),
            ("redirect_uri", "http://localhost:8080/callback"),
            ("scope", "openid scope_all"),
            ("state", "s1"),
            ("login_hint", PRO),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 302);
    let location = page.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with("http://localhost:8080/callback?code="),
        "{location}"
    );
    let query: Vec<(String, String)> = url_query(&location);
    assert!(
        query.contains(&("iss".into(), app.issuer.clone())),
        "{location}"
    );
    assert!(query.contains(&("state".into(), "s1".into())), "{location}");

    // Without a login_hint the page is shown, and its forms post under
    // the realm, on the same origin.
    let html = browser
        .get(format!("{wallet}/auth"))
        .query(&[
            ("client_id", "psc-mock-client"),
            ("response_type", "code"),
            ("redirect_uri", "http://localhost:8080/callback"),
            ("scope", "openid"),
        ])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains(&format!(
            "action=\"{REALM}/protocol/openid-connect/auth/login\""
        )),
        "{html}"
    );
    // The journal names the endpoint.
    let journal = app
        .control(Method::GET, "/mock/journal?endpoint=authorize", None)
        .await;
    assert!(
        journal
            .body
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["path"] == "/auth"),
        "{}",
        journal.body
    );
}

fn url_query(url: &str) -> Vec<(String, String)> {
    let query = url.split_once('?').map_or("", |(_, q)| q);
    form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}
