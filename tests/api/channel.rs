//! Keycloak's HTTP authentication channel, driven by a small device
//! simulator written as a team would write one for Keycloak: it takes the
//! POST of each new request, answers 201, and later calls back the
//! callback endpoint with the bearer token it was given.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::Answer;
use crate::helpers::{CIBA_GRANT, PRO, TestApp, Who, client, payload, spawn_app_with};

/// One request the simulator received: its `Authorization` header and
/// its JSON body.
type Received = (Option<String>, Value);

/// What the simulator received, in order.
#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<Received>>>);

/// A device simulator on a free port, answering `status` to each POST.
struct Device {
    uri: String,
    seen: Seen,
    handle: actix_web::dev::ServerHandle,
}

impl Drop for Device {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
    }
}

async fn device(status: u16) -> Device {
    let seen = Seen::default();
    let data = web::Data::new((seen.clone(), status));
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .route("/ciba", web::post().to(receive))
    })
    .workers(1)
    .disable_signals()
    .bind("127.0.0.1:0")
    .unwrap();
    let port = server.addrs()[0].port();
    let server = server.run();
    let handle = server.handle();
    tokio::spawn(server);
    Device {
        uri: format!("http://127.0.0.1:{port}/ciba"),
        seen,
        handle,
    }
}

async fn receive(
    req: HttpRequest,
    data: web::Data<(Seen, u16)>,
    body: web::Json<Value>,
) -> HttpResponse {
    let authorization = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    data.0
        .0
        .lock()
        .unwrap()
        .push((authorization, body.into_inner()));
    HttpResponse::build(actix_web::http::StatusCode::from_u16(data.1).unwrap()).finish()
}

async fn with_device(status: u16) -> (TestApp, Device) {
    let device = device(status).await;
    let uri = device.uri.clone();
    let app = spawn_app_with(move |s| s.ciba.authentication_channel_uri = uri).await;
    (app, device)
}

/// The bearer token the device got for its latest request.
fn last_token(device: &Device) -> String {
    let seen = device.seen.0.lock().unwrap();
    let (authorization, _) = seen.last().expect("the device was told");
    authorization
        .as_deref()
        .and_then(|a| a.strip_prefix("Bearer "))
        .expect("a bearer token")
        .to_owned()
}

async fn callback(app: &TestApp, token: Option<&str>, body: &str) -> crate::helpers::Answer {
    let mut request = client(Who::Nobody)
        .post(app.url("/protocol/openid-connect/ext/ciba/auth/callback"))
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    Answer::from(request.send().await.unwrap()).await
}

#[tokio::test]
async fn the_device_gets_keycloaks_request_and_its_success_gives_tokens() {
    let (app, device) = with_device(201).await;
    let id = app.start_ciba(PRO).await;
    {
        let seen = device.seen.0.lock().unwrap();
        assert_eq!(seen.len(), 1);
        let (_, body) = &seen[0];
        assert_eq!(
            body,
            &json!({
                "login_hint": PRO,
                "scope": "openid scope_all",
                "is_consent_required": false,
                "binding_message": "42",
                "acr_values": "eidas1",
            })
        );
    }
    let token = last_token(&device);
    let claims = payload(&token);
    assert_eq!(claims["typ"], "Bearer");
    assert_eq!(claims["iss"], app.issuer);
    assert_eq!(claims["aud"], app.issuer);
    assert_eq!(claims["azp"], crate::helpers::CLIENT_ID);
    assert!(claims["sub"].as_str().is_some_and(|s| !s.is_empty()));
    // Signed by the realm's key, as Keycloak's are.
    crate::tokens::verify_jsonwebtoken(&token, &crate::tokens::jwks(&app).await, &app.issuer);

    app.poll(&id)
        .await
        .assert_error(400, "authorization_pending");
    let answered = callback(&app, Some(&token), r#"{"status":"SUCCEED"}"#).await;
    assert_eq!(answered.status, 200, "{}", answered.body);
    app.clock.advance(Duration::from_secs(2));
    let tokens = app.poll(&id).await;
    assert_eq!(tokens.status, 200, "{}", tokens.body);
    assert_eq!(
        payload(tokens.body["id_token"].as_str().unwrap())["SubjectNameID"],
        PRO
    );

    // A second answer is refused and changes nothing.
    let again = callback(&app, Some(&token), r#"{"status":"UNAUTHORIZED"}"#).await;
    again.assert_error(403, "invalid_token");
}

#[tokio::test]
async fn unauthorized_and_cancelled_both_end_in_access_denied() {
    let (app, device) = with_device(201).await;
    for status in ["UNAUTHORIZED", "CANCELLED"] {
        let id = app.start_ciba(PRO).await;
        let token = last_token(&device);
        let answered = callback(&app, Some(&token), &format!(r#"{{"status":"{status}"}}"#)).await;
        assert_eq!(answered.status, 200, "{}", answered.body);
        app.clock.advance(Duration::from_secs(2));
        app.poll(&id).await.assert_error(400, "access_denied");
    }
}

#[tokio::test]
async fn passes_on_psc_channel_and_omits_what_the_client_did_not_send() {
    let (app, device) = with_device(201).await;
    let ack = app
        .post_form(
            Who::Client,
            "/protocol/openid-connect/ext/ciba/auth",
            &[
                ("login_hint", PRO),
                ("scope", "openid"),
                ("channel", "CARD"),
            ],
        )
        .await;
    assert_eq!(ack.status, 200, "{}", ack.body);
    let seen = device.seen.0.lock().unwrap();
    assert_eq!(
        seen[0].1,
        json!({"login_hint": PRO, "scope": "openid", "is_consent_required": false, "channel": "CARD"})
    );
}

#[tokio::test]
async fn a_device_that_does_not_answer_201_fails_the_request_and_leaves_nothing() {
    let (app, device) = with_device(200).await;
    let refused = app.bc_authorize(PRO).await;
    let why = refused.assert_error(503, "server_error");
    assert!(
        why.contains("Unexpected response from authentication device"),
        "{why}"
    );
    assert!(why.contains("HTTP 200"), "{why}");
    assert!(why.contains(&device.uri), "{why}");
    let pending = app.control(Method::GET, "/mock/ciba/requests", None).await;
    assert_eq!(pending.body, json!([]), "the request was dropped");
    // Its token names nothing now.
    let token = last_token(&device);
    callback(&app, Some(&token), r#"{"status":"SUCCEED"}"#)
        .await
        .assert_error(403, "invalid_token");
}

#[tokio::test]
async fn an_unreachable_device_is_named_in_the_error() {
    // A port nobody listens on, held so that nobody can while the test runs.
    let (_held, port) = crate::helpers::refused_port();
    let uri = format!("http://127.0.0.1:{port}/ciba");
    let expected = uri.clone();
    let app = spawn_app_with(move |s| s.ciba.authentication_channel_uri = uri).await;
    let refused = app.bc_authorize(PRO).await;
    let why = refused.assert_error(503, "server_error");
    assert!(
        why.contains("Failed to send authentication request"),
        "{why}"
    );
    assert!(why.contains(&expected), "{why}");
}

#[tokio::test]
async fn the_callback_refuses_what_keycloak_refuses() {
    let (app, device) = with_device(201).await;
    let id = app.start_ciba(PRO).await;
    let token = last_token(&device);
    // No token: 401 with a challenge.
    let none = callback(&app, None, r#"{"status":"SUCCEED"}"#).await;
    none.assert_bearer_error(401, "invalid_token");
    assert!(none.headers.contains_key("www-authenticate"));
    // An access token of this server is not a device token.
    let tokens = app.tokens("899700123450").await;
    let access = tokens["access_token"].as_str().unwrap();
    callback(&app, Some(access), r#"{"status":"SUCCEED"}"#)
        .await
        .assert_error(403, "invalid_token");
    // A token whose signature was altered.
    let mut forged = token.clone();
    forged.pop();
    forged.push(if token.ends_with('A') { 'B' } else { 'A' });
    callback(&app, Some(&forged), r#"{"status":"SUCCEED"}"#)
        .await
        .assert_error(403, "invalid_token");
    // Bad statuses.
    for body in [r#"{"status":"OK"}"#, "{}", "SUCCEED", ""] {
        let answer = callback(&app, Some(&token), body).await;
        let why = answer.assert_error(400, "invalid_request");
        assert!(
            why.contains("Invalid authentication status"),
            "{body}: {why}"
        );
    }
    // None of that answered the request.
    app.poll(&id)
        .await
        .assert_error(400, "authorization_pending");
    // Past the request's expiry, the token has expired with it.
    app.clock.advance(Duration::from_secs(121));
    let late = callback(&app, Some(&token), r#"{"status":"SUCCEED"}"#).await;
    let why = late.assert_error(403, "invalid_token");
    assert!(why.contains("expired"), "{why}");
}

#[tokio::test]
async fn the_control_api_still_answers_a_request_the_device_was_told_of() {
    let (app, device) = with_device(201).await;
    let id = app.start_ciba(PRO).await;
    assert_eq!(app.approve(&id).await.status, 200);
    let token = last_token(&device);
    let late = callback(&app, Some(&token), r#"{"status":"UNAUTHORIZED"}"#).await;
    let why = late.assert_error(403, "invalid_token");
    assert!(why.contains("already answered"), "{why}");
    app.clock.advance(Duration::from_secs(2));
    let tokens = app
        .post_form(
            Who::Client,
            "/protocol/openid-connect/token",
            &[("grant_type", CIBA_GRANT), ("auth_req_id", &id)],
        )
        .await;
    assert_eq!(tokens.status, 200, "{}", tokens.body);
}

#[tokio::test]
async fn without_a_channel_the_callback_says_so() {
    let app = crate::helpers::spawn_app().await;
    let answer = callback(&app, Some("x"), r#"{"status":"SUCCEED"}"#).await;
    let why = answer.assert_error(404, "not_found");
    assert!(why.contains("authentication_channel_uri"), "{why}");
}
