//! The control API against a page the developer visits (docs/control.md,
//! "Cross-site protection"): a foreign `Origin`, a simple request's
//! `text/plain` body and a DNS-rebound `Host` are refused, and change
//! nothing; the server's own pages and bodiless calls still work.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{Answer, PRO, TestApp, Who, client, spawn_app, spawn_app_with};

/// A control call with extra headers and a raw body.
async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Answer {
    let mut request = client(Who::Nobody).request(method, format!("{}{path}", app.base));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some(body) = body {
        request = request.body(body.to_owned());
    }
    Answer::from(request.send().await.expect("control request")).await
}

async fn status_of(app: &TestApp, auth_req_id: &str) -> String {
    let view = app
        .control(
            Method::GET,
            &format!("/mock/ciba/requests/{auth_req_id}"),
            None,
        )
        .await;
    view.body["status"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_page_of_another_origin_cannot_answer_reset_or_read() {
    let app = spawn_app().await;
    let id = app.start_ciba(PRO).await;
    let evil = [("Origin", "https://evil.example")];

    // A cross-site fetch: bodiless, so no content type to refuse; Origin is.
    for path in [
        format!("/mock/ciba/requests/{id}/approve"),
        format!("/mock/ciba/actionize?token={id}&action=allow"),
        "/mock/reset".to_owned(),
    ] {
        let refused = call(&app, Method::POST, &path, &evil, None).await;
        let why = refused.assert_error(403, "invalid_origin");
        assert!(why.contains("https://evil.example"), "{why}");
        assert_eq!(refused.body["seen"], "https://evil.example");
        let accepted = refused.body["accepted"].as_array().unwrap();
        assert!(accepted.contains(&json!(app.base)), "{accepted:?}");
    }
    // A form posted with no-referrer sends `Origin: null`.
    call(
        &app,
        Method::POST,
        &format!("/mock/ciba/requests/{id}/deny"),
        &[("Origin", "null")],
        None,
    )
    .await
    .assert_error(403, "invalid_origin");
    // Reading, too (a CORS read would be blocked anyway; it is refused).
    call(&app, Method::GET, "/mock/journal", &evil, None)
        .await
        .assert_error(403, "invalid_origin");
    // Another port of the same host is another origin.
    let other_port = [("Origin", "https://127.0.0.1:1")];
    call(&app, Method::POST, "/mock/reset", &other_port, None)
        .await
        .assert_error(403, "invalid_origin");
    assert_eq!(status_of(&app, &id).await, "pending", "nothing changed");

    // The server's own page (the simulator's fetch sends its origin).
    let own = [("Origin", app.base.as_str())];
    let path = format!("/mock/ciba/requests/{id}/approve");
    let approved = call(&app, Method::POST, &path, &own, None).await;
    assert_eq!(approved.status, 200, "{}", approved.body);
    // …also under another of its names, with the Host that goes with it.
    let port = app.base.rsplit(':').next().unwrap();
    let host = format!("localhost:{port}");
    let origin = format!("https://{host}");
    let health = call(
        &app,
        Method::GET,
        "/mock/ciba/recent",
        &[("Host", host.as_str()), ("Origin", origin.as_str())],
        None,
    )
    .await;
    assert_eq!(health.status, 200, "{}", health.body);
}

#[tokio::test]
async fn a_body_that_is_not_declared_json_is_refused_but_a_bodiless_call_is_not() {
    let app = spawn_app().await;
    let id = app.start_ciba(PRO).await;
    let approve = format!("/mock/ciba/requests/{id}/approve");
    let body = r#"{"as": "899700123450"}"#;

    // What an HTML form can send cross-site: text/plain, a form, multipart.
    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ] {
        let refused = call(
            &app,
            Method::POST,
            &approve,
            &[("Content-Type", content_type)],
            Some(body),
        )
        .await;
        let why = refused.assert_error(415, "unsupported_media_type");
        assert!(why.contains(content_type), "{why}");
        assert_eq!(refused.body["seen"], content_type);
        assert_eq!(refused.body["accepted"], json!(["application/json"]));
    }
    // No content type at all, with a body.
    call(&app, Method::POST, &approve, &[], Some(body))
        .await
        .assert_error(415, "unsupported_media_type");
    let scenario = r#"{"match": {"login_hint": "899700245667"}, "always": {"action": "deny"}}"#;
    call(
        &app,
        Method::POST,
        "/mock/scenarios",
        &[("Content-Type", "text/plain")],
        Some(scenario),
    )
    .await
    .assert_error(415, "unsupported_media_type");
    let scenarios = app.control(Method::GET, "/mock/scenarios", None).await;
    assert_eq!(scenarios.body["scenarios"], json!([]), "nothing was added");
    assert_eq!(status_of(&app, &id).await, "pending", "nothing changed");

    // Bodiless calls need no content type: reset, and an approval.
    assert_eq!(
        call(&app, Method::POST, "/mock/reset", &[], None)
            .await
            .status,
        204
    );
    let id = app.start_ciba(PRO).await;
    let approve = format!("/mock/ciba/requests/{id}/approve");
    let approved = call(&app, Method::POST, &approve, &[], None).await;
    assert_eq!(approved.status, 200, "{}", approved.body);
    // A JSON body with its type is still read.
    let id = app.start_ciba(PRO).await;
    let approve = format!("/mock/ciba/requests/{id}/approve");
    let approved = call(
        &app,
        Method::POST,
        &approve,
        &[("Content-Type", "application/json; charset=utf-8")],
        Some(body),
    )
    .await;
    assert_eq!(approved.status, 200, "{}", approved.body);
}

#[tokio::test]
async fn a_foreign_host_is_refused_on_the_main_listener_but_the_protocol_is_not_concerned() {
    let app = spawn_app().await;
    let port = app.base.rsplit(':').next().unwrap().to_owned();
    let rebound = format!("rebind.example:{port}");
    let refused = call(
        &app,
        Method::GET,
        "/mock/journal",
        &[("Host", rebound.as_str())],
        None,
    )
    .await;
    let why = refused.assert_error(421, "invalid_host");
    assert!(why.contains("rebind.example"), "{why}");
    assert!(why.contains("control.allowed_hosts"), "{why}");
    assert_eq!(refused.body["seen"], rebound);
    let accepted = refused.body["accepted"].as_array().unwrap();
    for name in ["localhost", "127.0.0.1", "::1"] {
        assert!(accepted.contains(&json!(name)), "{accepted:?}");
    }
    // The protocol answers under any name (issuer_from_request needs it).
    let discovery = call(
        &app,
        Method::GET,
        "/auth/realms/esante-wallet/.well-known/openid-configuration",
        &[("Host", rebound.as_str())],
        None,
    )
    .await;
    assert_eq!(discovery.status, 200);
    // Health checks may use any name.
    let health = call(
        &app,
        Method::GET,
        "/mock/health",
        &[("Host", rebound.as_str())],
        None,
    )
    .await;
    assert_eq!(health.status, 200);

    // A configured public URL's host, and control.allowed_hosts, are ours.
    let app = spawn_app_with(|s| {
        s.server.public_url = "https://psc-mock:8443".into();
        s.control.allowed_hosts = vec!["backend.internal".into()];
    })
    .await;
    for host in ["psc-mock:8443", "backend.internal", "localhost"] {
        let answer = call(&app, Method::GET, "/mock/journal", &[("Host", host)], None).await;
        assert_eq!(answer.status, 200, "{host}: {}", answer.body);
    }
}

#[tokio::test]
async fn a_foreign_host_is_refused_on_the_control_listener() {
    let mut settings = psc_mock::config::Settings::default();
    settings.server.bind = "127.0.0.1:0".parse().unwrap();
    settings.server.workers = 1;
    settings.control.bind = Some("127.0.0.1:0".parse().unwrap());
    let app = psc_mock::Application::build(settings).expect("builds");
    let port = app.control_port().unwrap();
    let handle = app.handle();
    tokio::spawn(app.run_until_stopped());
    let http = reqwest::Client::new();
    let journal = format!("http://127.0.0.1:{port}/mock/journal");

    // A DNS-rebinding page: its name now resolves to 127.0.0.1.
    let rebound = format!("attacker.example:{port}");
    let refused = Answer::from(
        http.get(&journal)
            .header("Host", &rebound)
            .send()
            .await
            .unwrap(),
    )
    .await;
    refused.assert_error(421, "invalid_host");
    assert_eq!(refused.body["seen"], rebound);
    // The control listener's own names and origin.
    let own = format!("http://localhost:{port}");
    let answer = Answer::from(
        http.post(format!("http://127.0.0.1:{port}/mock/reset"))
            .header("Host", format!("localhost:{port}"))
            .header("Origin", &own)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(answer.status, 204, "{}", answer.body);
    let answer = Answer::from(
        http.post(format!("http://127.0.0.1:{port}/mock/reset"))
            .header("Origin", format!("http://127.0.0.1:{port}"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(answer.status, 204, "{}", answer.body);
    handle.stop(false).await;
}
