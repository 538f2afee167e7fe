//! The authorization code flow (RFC 6749 §4.1, OIDC Core §3.1, PKCE RFC 7636)
//! with PSC's callback parameters (`code`, `state`, `session_state`, `iss`).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use reqwest::{Method, redirect::Policy};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::{Answer, PRO, TestApp, Who, read_key_file, spawn_app, spawn_app_with};

pub const REDIRECT: &str = "http://localhost:8080/callback";
pub const VERIFIER: &str = "a-very-long-and-random-code-verifier-of-at-least-43-chars";

/// A browser: follows no redirect, so that the test reads them.
pub fn browser() -> reqwest::Client {
    let ca = reqwest::Certificate::from_pem(read_key_file("ca.pem").as_bytes()).unwrap();
    reqwest::Client::builder()
        .tls_certs_only([ca])
        .redirect(Policy::none())
        .build()
        .unwrap()
}

pub fn challenge() -> String {
    B64.encode(Sha256::digest(VERIFIER.as_bytes()))
}

/// The query parameters of a redirect.
pub fn location(response: &reqwest::Response) -> (String, Vec<(String, String)>) {
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let (base, query) = location.split_once('?').unwrap_or((&location, ""));
    let params = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    (base.to_owned(), params)
}

pub fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// GET the authorization endpoint with the default client's parameters,
/// overridden or removed (`""`) by `changes`.
pub async fn authorize(app: &TestApp, changes: &[(&str, &str)]) -> reqwest::Response {
    let challenge = challenge();
    let mut params: Vec<(&str, &str)> = vec![
        ("client_id", "psc-mock-client"),
        ("response_type", "code"),
        ("redirect_uri", REDIRECT),
        ("scope", "openid scope_all"),
        ("state", "xyz-state"),
        ("nonce", "n-0S6_WzA2Mj"),
        ("acr_values", "eidas1"),
        ("code_challenge", &challenge),
        ("code_challenge_method", "S256"),
    ];
    for (name, value) in changes {
        params.retain(|(k, _)| k != name);
        if !value.is_empty() {
            params.push((name, value));
        }
    }
    browser()
        .get(app.url("/protocol/openid-connect/auth"))
        .query(&params)
        .send()
        .await
        .unwrap()
}

pub async fn exchange(app: &TestApp, code: &str, changes: &[(&str, &str)]) -> Answer {
    let mut form: Vec<(&str, &str)> = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ];
    for (name, value) in changes {
        form.retain(|(k, _)| k != name);
        if !value.is_empty() {
            form.push((name, value));
        }
    }
    app.post_form(Who::Client, "/protocol/openid-connect/token", &form)
        .await
}

async fn approve_everyone_named(app: &TestApp, login_hint: &str, action: &str) {
    let set = app
        .control(
            Method::PUT,
            &format!("/mock/scenarios/{login_hint}"),
            Some(json!({"action": action})),
        )
        .await;
    assert_eq!(set.status, 200);
}

fn claims(token: &str) -> Value {
    serde_json::from_slice(&B64.decode(token.split('.').nth(1).unwrap()).unwrap()).unwrap()
}

#[tokio::test]
async fn a_scripted_login_hint_completes_the_flow_without_the_page() {
    let app = spawn_app().await;
    approve_everyone_named(&app, PRO, "approve").await;
    let response = authorize(&app, &[("login_hint", PRO)]).await;
    assert_eq!(response.status(), 302);
    let (base, params) = location(&response);
    assert_eq!(base, REDIRECT);
    assert_eq!(param(&params, "state"), Some("xyz-state"));
    assert_eq!(param(&params, "iss"), Some(app.issuer.as_str()));
    let session_state = param(&params, "session_state").unwrap().to_owned();
    let code = param(&params, "code").unwrap().to_owned();

    let tokens = exchange(&app, &code, &[]).await;
    assert_eq!(tokens.status, 200, "{}", tokens.body);
    assert_eq!(tokens.body["session_state"], session_state);
    let id_token = claims(tokens.body["id_token"].as_str().unwrap());
    assert_eq!(id_token["nonce"], "n-0S6_WzA2Mj");
    assert_eq!(id_token["aud"], "psc-mock-client");
    assert_eq!(id_token["SubjectNameID"], PRO);
    let info = app
        .userinfo(Who::Client, tokens.body["access_token"].as_str().unwrap())
        .await;
    assert_eq!(info.body["SubjectNameID"], PRO);
}

#[tokio::test]
async fn a_client_with_auto_login_needs_only_a_login_hint() {
    let app = crate::helpers::spawn_app_with(|s| s.clients[0].auto_login = true).await;
    let response = authorize(&app, &[("login_hint", "899700771191")]).await;
    let (_, params) = location(&response);
    let tokens = exchange(&app, param(&params, "code").unwrap(), &[]).await;
    assert_eq!(tokens.status, 200, "{}", tokens.body);
}

#[tokio::test]
async fn an_unknown_client_or_redirect_uri_is_shown_not_redirected() {
    let app = spawn_app().await;
    for changes in [
        vec![("client_id", "nobody")],
        vec![("redirect_uri", "https://evil.example/steal")],
        vec![("redirect_uri", "")],
    ] {
        let response = authorize(&app, &changes).await;
        assert_eq!(response.status(), 400, "{changes:?}");
        assert!(response.headers().get("location").is_none());
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        let said = response.text().await.unwrap();
        assert!(said.contains("configuration du client"), "{said}");
    }
}

#[tokio::test]
async fn other_errors_are_redirected_with_state_and_iss() {
    let app = spawn_app().await;
    let cases: [(&[(&str, &str)], &str); 8] = [
        (&[("response_type", "token")], "unsupported_response_type"),
        (&[("response_type", "")], "invalid_request"),
        (&[("scope", "profile bogus")], "invalid_scope"),
        (&[("scope", "")], "invalid_scope"),
        (&[("code_challenge_method", "S512")], "invalid_request"),
        (&[("request", "eyJ...")], "request_not_supported"),
        (&[("prompt", "none")], "login_required"),
        (&[("response_mode", "query.jwt")], "invalid_request"),
    ];
    for (changes, error) in cases {
        let response = authorize(&app, changes).await;
        assert_eq!(response.status(), 302, "{changes:?}");
        let (base, params) = location(&response);
        assert_eq!(base, REDIRECT);
        assert_eq!(param(&params, "error"), Some(error), "{changes:?}");
        assert!(param(&params, "error_description").is_some_and(|d| !d.is_empty()));
        assert_eq!(param(&params, "state"), Some("xyz-state"));
        assert_eq!(param(&params, "iss"), Some(app.issuer.as_str()));
    }
}

#[tokio::test]
async fn a_client_requiring_pkce_refuses_a_request_without_challenge() {
    let app = spawn_app().await;
    let response = authorize(
        &app,
        &[
            ("client_id", "psc-mock-client-2"),
            ("code_challenge", ""),
            ("code_challenge_method", ""),
        ],
    )
    .await;
    let (_, params) = location(&response);
    assert_eq!(param(&params, "error"), Some("invalid_request"));
    assert!(
        param(&params, "error_description")
            .unwrap()
            .contains("PKCE")
    );
}

#[tokio::test]
async fn a_refusing_professional_sends_access_denied() {
    let app = spawn_app().await;
    approve_everyone_named(&app, PRO, "deny").await;
    let response = authorize(&app, &[("login_hint", PRO)]).await;
    let (_, params) = location(&response);
    assert_eq!(param(&params, "error"), Some("access_denied"));
}

#[tokio::test]
async fn codes_are_bound_to_the_verifier_and_the_redirect_uri_and_used_once() {
    let app = spawn_app().await;
    approve_everyone_named(&app, PRO, "approve").await;
    let (_, params) = location(&authorize(&app, &[("login_hint", PRO)]).await);
    let code = param(&params, "code").unwrap().to_owned();

    let wrong = "another-verifier-that-is-long-enough-to-be-syntactically-ok";
    let bad_verifier = exchange(&app, &code, &[("code_verifier", wrong)]).await;
    assert!(
        bad_verifier
            .assert_error(400, "invalid_grant")
            .contains("PKCE verification failed")
    );
    let no_verifier = exchange(&app, &code, &[("code_verifier", "")]).await;
    assert!(
        no_verifier
            .assert_error(400, "invalid_grant")
            .contains("verifier not specified")
    );
    let bad_uri = exchange(
        &app,
        &code,
        &[("redirect_uri", "http://localhost:8080/other")],
    )
    .await;
    assert!(
        bad_uri
            .assert_error(400, "invalid_grant")
            .contains("redirect_uri")
    );

    // None of those consumed the code.
    let tokens = exchange(&app, &code, &[]).await;
    assert_eq!(tokens.status, 200, "{}", tokens.body);

    // A replay is refused and ends the session it opened.
    let replay = exchange(&app, &code, &[]).await;
    assert!(
        replay
            .assert_error(400, "invalid_grant")
            .contains("already used")
    );
    let refresh = app
        .post_form(
            Who::Client,
            "/protocol/openid-connect/token",
            &[
                ("grant_type", "refresh_token"),
                (
                    "refresh_token",
                    tokens.body["refresh_token"].as_str().unwrap(),
                ),
            ],
        )
        .await;
    refresh.assert_error(400, "invalid_grant");
}

#[tokio::test]
async fn a_code_expires_after_a_minute_and_belongs_to_its_client() {
    let app = spawn_app().await;
    approve_everyone_named(&app, PRO, "approve").await;
    let (_, params) = location(&authorize(&app, &[("login_hint", PRO)]).await);
    let code = param(&params, "code").unwrap().to_owned();
    let stolen = app
        .post(Who::Client2, "/protocol/openid-connect/token")
        .by_client2()
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await;
    assert!(
        stolen
            .assert_error(400, "invalid_grant")
            .contains("psc-mock-client")
    );
    app.clock.advance(std::time::Duration::from_secs(60));
    let late = exchange(&app, &code, &[]).await;
    assert!(late.assert_error(400, "invalid_grant").contains("expired"));
}

/// The pending request's id, from the page's hidden field.
fn tx_of(html: &str) -> String {
    let start =
        html.find("name=\"tx\" value=\"").expect("a tx field") + "name=\"tx\" value=\"".len();
    html[start..].split('"').next().unwrap().to_owned()
}

async fn decide(app: &TestApp, form: &[(&str, &str)]) -> reqwest::Response {
    browser()
        .post(app.url("/protocol/openid-connect/auth/login"))
        .form(form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_page_lists_searches_and_takes_the_professionals_answer() {
    let app = spawn_app().await;
    let page = authorize(&app, &[("login_hint", "899700366240")]).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("value=\"899700366240\" checked"),
        "login_hint pre-selects"
    );
    let tx = tx_of(&html);

    let search = browser()
        .get(app.url("/protocol/openid-connect/auth/login"))
        .query(&[("tx", tx.as_str()), ("q", "VANDERBECQUE")])
        .send()
        .await
        .unwrap();
    let found = search.text().await.unwrap();
    assert!(found.contains("899700427885") && !found.contains("899700366240"));

    // This nurse has e-CPS only: the card is refused on the page.
    let card = decide(
        &app,
        &[
            ("tx", &tx),
            ("id_nat", "899700366240"),
            ("channel", "CARD"),
            ("decision", "approve"),
        ],
    )
    .await;
    assert_eq!(card.status(), 200);
    assert!(card.text().await.unwrap().contains("pas de carte CPS"));
    // No professional chosen: asked again.
    let none = decide(&app, &[("tx", &tx), ("decision", "approve")]).await;
    assert!(
        none.text()
            .await
            .unwrap()
            .contains("Choisissez un professionnel")
    );

    let approved = decide(
        &app,
        &[
            ("tx", &tx),
            ("id_nat", "899700366240"),
            ("channel", "MOBILE"),
            ("decision", "approve"),
        ],
    )
    .await;
    assert_eq!(approved.status(), 302);
    let (_, params) = location(&approved);
    let tokens = exchange(&app, param(&params, "code").unwrap(), &[]).await;
    assert_eq!(tokens.status, 200, "{}", tokens.body);
    let id_token = claims(tokens.body["id_token"].as_str().unwrap());
    assert_eq!(id_token["authMode"], "MOBILE");

    // The page is gone once answered, and says so without blaming the
    // client's configuration; so does a reload of the page.
    let again = decide(&app, &[("tx", &tx), ("decision", "deny")]).await;
    assert_eq!(again.status(), 400);
    let said = again.text().await.unwrap();
    assert!(said.contains("déjà reçu une réponse"), "{said}");
    assert!(!said.contains("configuration du client"), "{said}");
    let reload = browser()
        .get(app.url("/protocol/openid-connect/auth/login"))
        .query(&[("tx", tx.as_str())])
        .send()
        .await
        .unwrap();
    assert!(
        reload
            .text()
            .await
            .unwrap()
            .contains("déjà reçu une réponse")
    );
    // An id that never was is unknown.
    let unknown = decide(&app, &[("tx", "no-such-request"), ("decision", "deny")]).await;
    let said = unknown.text().await.unwrap();
    assert!(said.contains("Demande inconnue"), "{said}");
    assert!(!said.contains("configuration du client"), "{said}");
}

#[tokio::test]
async fn refusing_on_the_page_sends_access_denied() {
    let app = spawn_app().await;
    let html = authorize(&app, &[]).await.text().await.unwrap();
    let tx = tx_of(&html);
    let denied = decide(&app, &[("tx", &tx), ("decision", "deny")]).await;
    assert_eq!(denied.status(), 302);
    let (base, params) = location(&denied);
    assert_eq!(base, REDIRECT);
    assert_eq!(param(&params, "error"), Some("access_denied"));
    assert_eq!(param(&params, "state"), Some("xyz-state"));
}

#[tokio::test]
async fn a_page_left_open_too_long_expires() {
    let app = spawn_app().await;
    let tx = tx_of(&authorize(&app, &[]).await.text().await.unwrap());
    app.clock.advance(std::time::Duration::from_secs(600));
    let late = decide(
        &app,
        &[("tx", &tx), ("id_nat", PRO), ("decision", "approve")],
    )
    .await;
    assert_eq!(late.status(), 400);
    let said = late.text().await.unwrap();
    assert!(said.contains("a expiré"), "{said}");
    assert!(!said.contains("configuration du client"), "{said}");
}

#[tokio::test]
async fn the_global_auto_approve_setting_also_skips_the_page() {
    let app = crate::helpers::spawn_app_with(|s| {
        s.ciba.default_action = psc_mock::ciba::Action::Approve;
    })
    .await;
    // A card-only professional: the login happens on the channel they have.
    let response = authorize(&app, &[("login_hint", "899700218896")]).await;
    assert_eq!(response.status(), 302);
    let (_, params) = location(&response);
    let tokens = exchange(&app, param(&params, "code").unwrap(), &[]).await;
    assert_eq!(tokens.status, 200, "{}", tokens.body);
    assert_eq!(
        claims(tokens.body["id_token"].as_str().unwrap())["authMode"],
        "CARD"
    );
    // Without login_hint, the page is still shown.
    assert_eq!(authorize(&app, &[]).await.status(), 200);
}

/// The login page, its error page and the logged-out page cannot be framed
/// by another site (clickjacking a login confirmation).
#[tokio::test]
async fn the_pages_forbid_framing() {
    let app = spawn_app().await;
    let login = authorize(&app, &[]).await;
    let unknown = authorize(&app, &[("client_id", "nobody")]).await;
    let logged_out = browser()
        .get(app.url("/protocol/openid-connect/logout"))
        .send()
        .await
        .unwrap();
    for (what, page) in [
        ("login", login),
        ("error", unknown),
        ("logged out", logged_out),
    ] {
        assert!(
            page.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html"),
            "{what}"
        );
        assert_eq!(page.headers()["x-frame-options"], "DENY", "{what}");
        assert_eq!(
            page.headers()["content-security-policy"],
            "frame-ancestors 'none'",
            "{what}"
        );
    }
}

/// Issue 17: public parameters (a registered client_id and redirect_uri)
/// once filled the store of pending logins, and every later login was
/// refused for ten minutes. A full store now drops the busiest client's
/// oldest untouched pending logins (docs/fidelity.md, "pending logins").
#[tokio::test]
async fn a_flood_of_authorization_requests_locks_no_login_out() {
    const CAP: usize = 40;
    let app = spawn_app_with(|s| s.tokens.max_pending_logins = CAP).await;
    let started = std::time::Instant::now();
    // The flood: twice the store, from one client, with public parameters.
    let mut flood = Vec::new();
    for _ in 0..2 * CAP {
        let page = authorize(&app, &[]).await;
        assert_eq!(page.status(), 200, "a full store refuses no one");
        flood.push(tx_of(&page.text().await.unwrap()));
    }
    // Its oldest requests made room for its newest.
    let oldest = decide(&app, &[("tx", &flood[0]), ("decision", "deny")]).await;
    assert_eq!(oldest.status(), 400, "the flood's oldest was evicted");

    // Another client's login opens while the store is full…
    let challenge = challenge();
    let page = browser()
        .get(app.url("/protocol/openid-connect/auth"))
        .query(&[
            ("client_id", "psc-mock-client-2"),
            ("response_type", "code"),
            ("redirect_uri", REDIRECT),
            ("scope", "openid"),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let theirs = tx_of(&page.text().await.unwrap());
    // …and survives another flood while the professional reads the page.
    for _ in 0..2 * CAP {
        assert_eq!(authorize(&app, &[]).await.status(), 200);
    }
    let approved = decide(
        &app,
        &[("tx", &theirs), ("id_nat", PRO), ("decision", "approve")],
    )
    .await;
    assert_eq!(approved.status(), 302);
    let (base, params) = location(&approved);
    assert_eq!(base, REDIRECT);
    let code = param(&params, "code").expect("a code").to_owned();
    let tokens = app
        .post_form_client2(
            "/protocol/openid-connect/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT),
                ("code_verifier", VERIFIER),
            ],
        )
        .await;
    assert_eq!(tokens.status, 200, "{}", tokens.body);

    // The flooding client's own fresh login completes too.
    let login = std::time::Instant::now();
    let mine = tx_of(&authorize(&app, &[]).await.text().await.unwrap());
    let approved = decide(
        &app,
        &[("tx", &mine), ("id_nat", PRO), ("decision", "approve")],
    )
    .await;
    assert_eq!(approved.status(), 302);
    let (_, params) = location(&approved);
    let tokens = exchange(&app, param(&params, "code").expect("a code"), &[]).await;
    assert_eq!(tokens.status, 200, "{}", tokens.body);
    eprintln!(
        "{} authorization requests against a store of {CAP}: both logins completed; \
         the last login took {:?}, the whole test {:?}",
        4 * CAP + 2,
        login.elapsed(),
        started.elapsed()
    );
}
