//! A real browser on the mock's pages: headless Chromium, driven through
//! chromedriver's WebDriver protocol (plain HTTP and JSON, spoken here with
//! reqwest). One test runs a whole code flow with PKCE on the login page;
//! another answers a CIBA request on the e-CPS simulator (`/mock/ui`),
//! whose script polls the control API. Each keeps a screenshot of its page
//! in `target/test-artefacts/`.
//!
//! Without chromedriver the tests are ignored (the build script looks for
//! it; `cargo test` counts them as ignored, naming what to install), so
//! that the suite runs on a machine with only the Rust toolchain; CI
//! installs Chromium and sets `PSC_MOCK_REQUIRE_BROWSER=1`, which makes a
//! missing chromedriver fail the build.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use tokio::process::{Child, Command};

use crate::codeflow::{REDIRECT, challenge, exchange, param};
use crate::helpers::{PORT_ATTEMPTS, PRO, pick_port, spawn_app, spawn_app_with};

const DRIVER: &str = "chromedriver";
/// The W3C WebDriver element key.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

struct Browser {
    http: reqwest::Client,
    session: String,
    /// chromedriver, leader of a process group holding the browser too.
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    /// Ends chromedriver and the browser it started, even after a failed
    /// assertion (killing chromedriver alone would leave Chromium running).
    fn drop(&mut self) {
        if let Some(pid) = self.driver.id() {
            // The group may be gone already: nothing to report then.
            let _ = std::process::Command::new("kill")
                .args(["-KILL", "--", &format!("-{pid}")])
                .stderr(std::process::Stdio::null())
                .status();
        }
    }
}

impl Browser {
    async fn start() -> Option<Self> {
        // A port taken between the choice and chromedriver's bind makes it
        // stop at once: then another port.
        for _ in 0..PORT_ATTEMPTS {
            if let Some(browser) = Self::start_on(pick_port()).await {
                return Some(browser);
            }
        }
        panic!("chromedriver found no free port in {PORT_ATTEMPTS} attempts");
    }

    /// chromedriver on `port` and a session; `None` if it stopped at start.
    async fn start_on(port: u16) -> Option<Self> {
        // The build script found chromedriver (else the tests are ignored).
        let mut driver = Command::new(DRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("{DRIVER} was found at build time but cannot start: {e}"));
        let http = reqwest::Client::new();
        let base = format!("http://127.0.0.1:{port}");
        let profile = tempfile::tempdir().expect("profile dir");
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "acceptInsecureCerts": true,
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    "--window-size=1000,1300",
                    format!("--user-data-dir={}", profile.path().display()),
                ]
            }
        }}});
        let mut session = None;
        for _ in 0..50 {
            if driver.try_wait().ok().flatten().is_some() {
                return None;
            }
            if let Ok(response) = http
                .post(format!("{base}/session"))
                .json(&capabilities)
                .send()
                .await
            {
                // Not WebDriver's JSON: another program on the port, and
                // chromedriver stopping (seen at the next turn).
                let Ok(body) = response.json::<Value>().await else {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                };
                session = Some(
                    body["value"]["sessionId"]
                        .as_str()
                        .unwrap_or_else(|| panic!("no WebDriver session: {body}"))
                        .to_owned(),
                );
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let session = session.expect("chromedriver answers within 5 s");
        Some(Self {
            http,
            session: format!("{base}/session/{session}"),
            driver,
            _profile: profile,
        })
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let mut request = self.http.request(method, format!("{}{path}", self.session));
        if !body.is_null() {
            request = request.json(&body);
        }
        let response = request.send().await.expect("WebDriver call");
        let answer: Value = response.json().await.expect("WebDriver JSON");
        assert!(answer["value"].get("error").is_none(), "{path}: {answer}");
        answer["value"].clone()
    }

    async fn go(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", json!({"url": url}))
            .await;
    }

    async fn find(&self, css: &str) -> String {
        let found = self
            .call(
                reqwest::Method::POST,
                "/element",
                json!({"using": "css selector", "value": css}),
            )
            .await;
        found[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element {css}: {found}"))
            .to_owned()
    }

    /// Waits (10 s at most) until an element matches `css`; returns it.
    async fn wait_for(&self, css: &str) -> String {
        for _ in 0..100 {
            let found = self
                .call(
                    reqwest::Method::POST,
                    "/elements",
                    json!({"using": "css selector", "value": css}),
                )
                .await;
            if let Some(id) = found[0][ELEMENT].as_str() {
                return id.to_owned();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let status = self.text("#status").await;
        panic!("no element {css} after 10 s; the page's status line says {status:?}");
    }

    /// The rendered text of the first element matching `css`.
    async fn text(&self, css: &str) -> String {
        let id = self.find(css).await;
        self.call(
            reqwest::Method::GET,
            &format!("/element/{id}/text"),
            Value::Null,
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
    }

    async fn click(&self, css: &str) {
        let id = self.find(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{id}/click"),
            json!({}),
        )
        .await;
    }

    async fn type_in(&self, css: &str, text: &str) {
        let id = self.find(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{id}/clear"),
            json!({}),
        )
        .await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{id}/value"),
            json!({"text": text}),
        )
        .await;
    }

    async fn url(&self) -> String {
        self.call(reqwest::Method::GET, "/url", Value::Null)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Waits (5 s at most) until the page's URL contains `part`.
    async fn wait_for_url(&self, part: &str) -> String {
        let mut url = String::new();
        for _ in 0..50 {
            url = self.url().await;
            if url.contains(part) {
                return url;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the browser is on {url}, not on a URL with {part:?}");
    }

    async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self
            .call(reqwest::Method::GET, "/screenshot", Value::Null)
            .await;
        let bytes = STANDARD
            .decode(png.as_str().unwrap_or_default())
            .expect("PNG as base64");
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/test-artefacts");
        std::fs::create_dir_all(&dir).expect("artefact folder");
        let path = dir.join(name);
        std::fs::write(&path, bytes).expect("screenshot written");
        path
    }

    async fn quit(&self) {
        let _ = self.http.delete(&self.session).send().await;
    }
}

#[tokio::test]
#[cfg_attr(
    not(psc_mock_has_chromedriver),
    ignore = "needs chromedriver: apt-get install chromium chromium-driver"
)]
async fn a_professional_logs_in_on_the_page_in_a_real_browser() {
    let browser = Browser::start()
        .await
        .expect("chromedriver starts a session");
    let app = spawn_app().await;
    let challenge = challenge();
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", "psc-mock-client")
        .append_pair("response_type", "code")
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("scope", "openid scope_all")
        .append_pair("state", "browser-state")
        .append_pair("nonce", "browser-nonce")
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256")
        .finish();
    browser
        .go(&format!(
            "{}?{query}",
            app.url("/protocol/openid-connect/auth")
        ))
        .await;

    // Search the professional by name, pick them, choose e-CPS.
    browser.type_in("#q", "BRESSOLIER").await;
    browser.click("#search").await;
    browser.wait_for_url("q=BRESSOLIER").await;
    browser
        .click("input[name=id_nat][value='899700245667']")
        .await;
    browser.click("#channel-MOBILE").await;
    let shot = browser.screenshot("login-page.png").await;
    assert!(std::fs::metadata(&shot).expect("screenshot").len() > 1000);
    browser.click("#approve").await;

    // The browser is sent to the client's callback (nothing listens there).
    let landed = browser.wait_for_url(REDIRECT).await;
    browser.quit().await;
    let query = landed.split_once('?').map_or("", |(_, q)| q);
    let params: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    assert_eq!(param(&params, "state"), Some("browser-state"));
    let tokens = exchange(&app, param(&params, "code").expect("a code"), &[]).await;
    assert_eq!(tokens.status, 200, "{}", tokens.body);
    let info = app
        .userinfo(
            crate::helpers::Who::Client,
            tokens.body["access_token"].as_str().unwrap(),
        )
        .await;
    assert_eq!(info.body["SubjectNameID"], "899700245667");
    assert_eq!(info.body["authMode"], "MOBILE");
}

#[tokio::test]
#[cfg_attr(
    not(psc_mock_has_chromedriver),
    ignore = "needs chromedriver: apt-get install chromium chromium-driver"
)]
async fn a_professional_approves_a_ciba_request_on_the_e_cps_simulator() {
    let browser = Browser::start()
        .await
        .expect("chromedriver starts a session");
    // The control API is protected: the page must send the token it was
    // opened with on every call, or it would show nothing.
    let app = spawn_app_with(|s| s.control.token = "simulator-test".into()).await;
    let id = app.start_ciba(PRO).await;

    browser
        .go(&format!("{}/mock/ui?token=simulator-test", app.base))
        .await;
    let card = format!(".request[data-auth-req-id='{id}']");
    browser.wait_for(&card).await;
    let shown = browser.text(&card).await;
    for expected in ["psc-mock-client", "ANTOINE BRESSOLIER", PRO, "42", "e-CPS"] {
        assert!(
            shown.contains(expected),
            "{expected:?} not on the card: {shown}"
        );
    }
    let shot = browser.screenshot("ecps-simulator.png").await;
    assert!(std::fs::metadata(&shot).expect("screenshot").len() > 1000);
    browser.click(&format!("{card} button.approve")).await;

    // The client polls as it would, once per interval, until it has tokens.
    let mut answer = app.poll(&id).await;
    for _ in 0..50 {
        if answer.status != 400 || answer.body["error"] != "authorization_pending" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        app.clock.advance(Duration::from_secs(1));
        answer = app.poll(&id).await;
    }
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer.body["access_token"].is_string(), "{}", answer.body);

    // The page then lists the request as redeemed, and its card is gone.
    browser
        .wait_for(&format!(
            "#recent tr[data-auth-req-id='{id}'][data-outcome='redeemed']"
        ))
        .await;
    assert!(
        browser.text("#pending").await.is_empty(),
        "the answered card is still shown"
    );
    let status = browser.text("#status").await;
    assert!(!status.starts_with("Erreur"), "{status}");

    // The fixture professionals link to their record, '/' in idNat included.
    let structure_id = "300000001234567/CPAT00012";
    browser
        .click(&format!(
            "#identities a.identity[data-id-nat='{structure_id}']"
        ))
        .await;
    browser.wait_for("#identity-detail:not([hidden])").await;
    let record = browser.text("#identity-detail").await;
    assert!(record.contains(structure_id), "{record}");
    browser.quit().await;
}
