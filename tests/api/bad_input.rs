//! Malformed requests get a JSON error naming the problem, and change
//! nothing.

use reqwest::Method;

use crate::helpers::paths::BC;
use crate::helpers::{PRO, Who, raw_tls, spawn_app, spawn_app_with, status_and_json, until_closed};
use std::time::Duration;
use tokio::io::AsyncWriteExt;

#[tokio::test]
async fn a_json_body_is_refused_with_the_content_type_named() {
    let app = spawn_app().await;
    let answer = app
        .post(Who::Client, BC)
        .by_client()
        .json(&serde_json::json!({"login_hint": PRO, "scope": "openid"}))
        .send()
        .await;
    assert!(
        answer
            .assert_error(400, "invalid_request")
            .contains("application/json")
    );
}

#[tokio::test]
async fn an_oversized_body_is_refused() {
    let app = spawn_app_with(|s| s.server.max_body_bytes = 1024).await;
    let big = "x".repeat(4096);
    let answer = app
        .post_form(
            Who::Client,
            BC,
            &[("login_hint", PRO), ("scope", "openid"), ("pad", &big)],
        )
        .await;
    assert!(
        answer
            .assert_error(413, "invalid_request")
            .contains("1024 bytes")
    );
}

#[tokio::test]
async fn a_repeated_parameter_is_refused() {
    let app = spawn_app().await;
    let answer = app
        .post(Who::Client, BC)
        .by_client()
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("login_hint={PRO}&scope=openid&scope=openid"))
        .send()
        .await;
    assert!(
        answer
            .assert_error(400, "invalid_request")
            .contains("\"scope\" is repeated")
    );
}

#[tokio::test]
async fn unknown_paths_and_wrong_methods_answer_json() {
    let app = spawn_app().await;
    let nowhere = app
        .at(Who::Nobody, reqwest::Method::GET, "/nowhere")
        .send()
        .await;
    assert!(nowhere.assert_error(404, "not_found").contains("/nowhere"));
    let wrong = app.get(Who::Nobody, BC).send().await;
    assert!(
        wrong
            .assert_error(405, "invalid_request")
            .contains("GET is not allowed")
    );
    assert_eq!(
        wrong.headers["allow"], "POST",
        "RFC 9110: the methods it takes"
    );
    let control = app
        .at(Who::Nobody, reqwest::Method::PATCH, "/mock/scenarios")
        .send()
        .await;
    control.assert_error(405, "invalid_request");
    assert_eq!(control.headers["allow"], "GET, POST, DELETE");
}

#[tokio::test]
async fn a_malformed_basic_header_is_named() {
    let app = spawn_app().await;
    let answer = app
        .post(Who::Client, BC)
        .header("authorization", "Basic !!!not-base64")
        .form(&[("login_hint", PRO), ("scope", "openid")])
        .send()
        .await;
    assert!(
        answer
            .assert_error(401, "invalid_client")
            .contains("not base64")
    );
}

#[tokio::test]
async fn invalid_json_on_the_control_api_is_a_json_error() {
    let app = spawn_app().await;
    let response = app
        .at(
            Who::Nobody,
            reqwest::Method::PUT,
            &format!("/mock/scenarios/{PRO}"),
        )
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await;
    let answer = response;
    assert!(
        answer
            .assert_error(400, "invalid_request")
            .contains("invalid JSON")
    );
}

#[tokio::test]
async fn the_request_store_is_capped_with_a_clear_error_and_others_are_unaffected() {
    let app = spawn_app_with(|s| s.ciba.max_requests = 3).await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(app.start_ciba(PRO).await);
    }
    let full = app.bc_authorize(PRO).await;
    assert!(
        full.assert_error(503, "temporarily_unavailable")
            .contains("too many CIBA requests")
    );
    // The stored requests still work.
    app.approve(&ids[0]).await;
    assert_eq!(app.poll(&ids[0]).await.status, 200);
    // Redeeming made room.
    assert_eq!(app.bc_authorize(PRO).await.status, 200);
    let listed = app.control(Method::GET, "/mock/ciba/requests", None).await;
    assert_eq!(listed.body.as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn expired_requests_are_purged_to_make_room() {
    let app = spawn_app_with(|s| {
        s.ciba.max_requests = 2;
        s.ciba.keep_finished_s = 10;
    })
    .await;
    app.start_ciba(PRO).await;
    app.start_ciba(PRO).await;
    app.bc_authorize(PRO)
        .await
        .assert_error(503, "temporarily_unavailable");
    app.clock.advance(std::time::Duration::from_secs(131));
    assert_eq!(app.bc_authorize(PRO).await.status, 200);
}

#[tokio::test]
async fn a_huge_scope_is_refused_and_a_repetitive_one_is_normalised() {
    let app = spawn_app().await;
    let huge = "openid ".repeat(9000);
    let refused = app
        .post_form(Who::Client, BC, &[("login_hint", PRO), ("scope", &huge)])
        .await;
    assert!(
        refused
            .assert_error(400, "invalid_scope")
            .contains("longer than")
    );
    let listed = app.control(Method::GET, "/mock/ciba/requests", None).await;
    assert_eq!(listed.body.as_array().unwrap().len(), 0);

    let ack = app
        .post_form(
            Who::Client,
            BC,
            &[
                ("login_hint", PRO),
                ("scope", "openid  openid scope_all openid"),
            ],
        )
        .await;
    let id = ack.body["auth_req_id"].as_str().unwrap();
    app.approve(id).await;
    assert_eq!(app.poll(id).await.body["scope"], "openid scope_all");
}

/// Sends `request` as raw bytes over TLS and returns the whole answer, the
/// server having closed the connection within two seconds.
async fn raw_answer(app: &crate::helpers::TestApp, request: &[u8]) -> String {
    let mut tls = raw_tls(app, None).await;
    // The server may close before reading it all: what it answered counts.
    let _ = tls.write_all(request).await;
    let (_, _, answer) = until_closed(&mut tls, Duration::from_secs(2))
        .await
        .expect("the server closes the connection");
    answer
}

/// A request target longer than `server.max_uri_bytes` (16 KiB) is
/// refused 414 with a JSON `invalid_request` naming its size and the limit,
/// at a protocol endpoint as at any other path.
#[tokio::test]
async fn an_over_long_request_target_is_refused_414_in_json() {
    let app = spawn_app().await;
    let pad = "x".repeat(20_000);
    for path in [
        "/auth/realms/esante-wallet/protocol/openid-connect/token",
        "/mock/ciba/requests",
    ] {
        let request = format!(
            "POST {path}?pad={pad} HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
        let answer = raw_answer(&app, request.as_bytes()).await;
        let (status, body) = status_and_json(&answer);
        assert_eq!(status, 414, "{answer}");
        assert_eq!(body["error"], "invalid_request", "{answer}");
        assert_eq!(
            body["error_description"],
            format!(
                "the request target is {} bytes long; the limit is 16384 bytes",
                path.len() + 5 + pad.len()
            )
        );
    }
}

/// Headers larger than `server.max_header_bytes` (32 KiB) are refused 431
/// with a JSON `invalid_request` naming their size and the limit.
#[tokio::test]
async fn over_large_headers_are_refused_431_in_json() {
    let app = spawn_app().await;
    let big = "y".repeat(40_000);
    let request = format!(
        "POST /auth/realms/esante-wallet/protocol/openid-connect/ext/ciba/auth HTTP/1.1\r\nHost: localhost\r\nX-Big: {big}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    let answer = raw_answer(&app, request.as_bytes()).await;
    let (status, body) = status_and_json(&answer);
    assert_eq!(status, 431, "{answer}");
    assert_eq!(body["error"], "invalid_request", "{answer}");
    let description = body["error_description"].as_str().unwrap();
    assert!(
        description.starts_with("the request's headers take 400")
            && description.ends_with("bytes; the limit is 32768 bytes"),
        "{description}"
    );
}

/// What actix-http's parser refuses before any of psc-mock's code runs
/// (docs/configuration.md, "Limits and timeouts"): an empty answer, and
/// the connection closed. A malformed request line, a control character in
/// a header value and a request target beyond 65 534 bytes are an empty
/// 400; a request head beyond 128 KiB, or of more than 96 headers, an empty
/// 431. Nothing of psc-mock can give these a body.
#[tokio::test]
async fn what_the_http_parser_refuses_is_answered_empty_and_the_connection_closed() {
    let app = spawn_app().await;
    let head = |target: &str, headers: &str| {
        format!("GET {target} HTTP/1.1\r\nHost: localhost\r\n{headers}\r\n").into_bytes()
    };
    let many_headers: String = (0..100).map(|i| format!("X-H{i}: {i}\r\n")).collect();
    let cases: [(&str, Vec<u8>, u16); 6] = [
        (
            "a malformed request line",
            b"GET /x HTTP/1.1 more\r\n\r\n".to_vec(),
            400,
        ),
        ("no request line", b"\x00\x01\x02\r\n\r\n".to_vec(), 400),
        (
            "a control character in a header value",
            head("/", "X-Bad: a\x01b\r\n"),
            400,
        ),
        (
            "a request target of 70 000 bytes",
            head(&format!("/?pad={}", "x".repeat(70_000)), ""),
            400,
        ),
        (
            "a request head of 140 000 bytes",
            head("/", &format!("X-Big: {}\r\n", "y".repeat(140_000))),
            431,
        ),
        ("100 headers", head("/", &many_headers), 431),
    ];
    for (what, request, expected) in cases {
        let answer = raw_answer(&app, &request).await;
        let status_line = answer.lines().next().unwrap_or_default();
        assert!(
            status_line.starts_with(&format!("HTTP/1.1 {expected}")),
            "{what}: {answer:?}"
        );
        let lower = answer.to_ascii_lowercase();
        assert!(
            lower.contains("content-length: 0\r\n") && lower.ends_with("\r\n\r\n"),
            "{what}: an empty body: {answer:?}"
        );
    }
    // The server carries on.
    let answer = raw_answer(
        &app,
        b"GET /auth/realms/esante-wallet/.well-known/openid-configuration HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(status_and_json(&answer).0, 200, "{answer}");
}
