//! The protocol endpoints in-process, through the very `App` the server
//! builds (the listener's limits, journal middleware, strict form
//! extractor, client authentication, handlers), fed a script of requests. A script is text,
//! so that seeds are readable and the dictionary helps:
//!
//! ```text
//! POST /protocol/openid-connect/ext/ciba/auth
//! authorization: $BASIC
//! x-ssl-client-cert: $CERT
//! content-type: application/x-www-form-urlencoded
//!
//! scope=openid%20scope_all&login_hint=899700245667
//! ===
//! ADVANCE 5
//! ===
//! POST /protocol/openid-connect/token
//! ...
//! ```
//!
//! Paths are under the realm unless they start with `//`. `$AUTH_REQ_ID`,
//! `$ACCESS_TOKEN`, `$REFRESH_TOKEN`, `$ID_TOKEN`, `$CODE` and `$TX` (the
//! login page's pending request) stand for the last ones handed out, so
//! scripts reach the states behind a valid grant; `$BASIC` and `$CERT` are the test client's credentials (the certificate
//! goes through the proxy header, as behind a TLS-terminating proxy).
//!
//! Checked on every answer: no panic, no 500 (503 only as the store's
//! `temporarily_unavailable`), and every refusal is a JSON OAuth error
//! (`error`, `error_description`), a bearer-token refusal as Keycloak's
//! userinfo answers it (an empty body, the challenge in `WWW-Authenticate`)
//! or one of the HTML pages of the login.
#![no_main]

use std::time::{Duration, SystemTime};

use actix_web::body::{MessageBody, to_bytes};
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::header::{CONTENT_TYPE, HeaderName, HeaderValue, LOCATION, WWW_AUTHENTICATE};
use actix_web::http::{Method, StatusCode, Uri};
use actix_web::rt::System;
use actix_web::{App, test, web};
use futures_util::future::LocalBoxFuture;
use libfuzzer_sys::fuzz_target;
use psc_mock::annuaire::Annuaire;
use psc_mock::clock::Clock;
use psc_mock::config::Settings;
use psc_mock::scenarios::ScriptFile;
use psc_mock::state::AppState;

const CERT_HEADER: &str = "x-ssl-client-cert";
const MAX_REQUESTS: usize = 16;
const MAX_ADVANCE_S: u64 = 3_600;

/// What an answer tells the harness.
struct Answer {
    status: StatusCode,
    content_type: String,
    location: String,
    challenge: String,
    body: Vec<u8>,
}

/// The app's service with its body type erased.
trait Call {
    fn call(&self, req: actix_http::Request) -> LocalBoxFuture<'_, Answer>;
}

struct Erased<S>(S);

impl<S, B> Call for Erased<S>
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody + 'static,
{
    fn call(&self, req: actix_http::Request) -> LocalBoxFuture<'_, Answer> {
        Box::pin(async move {
            let res = match self.0.call(req).await {
                Ok(res) => res,
                Err(e) => panic!("the service failed instead of answering: {e}"),
            };
            let header = |name| {
                res.headers()
                    .get(name)
                    .and_then(|v: &HeaderValue| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned()
            };
            let (status, content_type, location, challenge) = (
                res.status(),
                header(CONTENT_TYPE),
                header(LOCATION),
                header(WWW_AUTHENTICATE),
            );
            let body = to_bytes(res.into_body())
                .await
                .map_or_else(|_| Vec::new(), |b| b.to_vec());
            Answer {
                status,
                content_type,
                location,
                challenge,
                body,
            }
        })
    }
}

struct Harness {
    system: actix_web::rt::SystemRunner,
    service: Box<dyn Call>,
    state: web::Data<AppState>,
    realm_path: String,
    basic: String,
    cert: String,
    /// `FUZZ_TRACE=1`: print each request's status, to check a seed.
    trace: bool,
}

fn harness() -> Harness {
    let mut settings = Settings::default();
    settings.server.tls = false;
    settings.server.client_cert_header = CERT_HEADER.into();
    settings.ciba.default_action = psc_mock::ciba::Action::Approve;
    settings.ciba.default_after_ms = 0;
    settings.ciba.max_requests = 64;
    let keys = psc_mock::pki::signing_keys(&settings.pki, &settings.server.realm)
        .expect("the committed key loads");
    let annuaire = Annuaire::load(None).expect("the bundled annuaire loads");
    let clock = Clock::fixed(SystemTime::UNIX_EPOCH + Duration::from_secs(1_780_000_000));
    let state = web::Data::new(AppState::new(
        &settings,
        clock,
        annuaire,
        keys,
        ScriptFile::default(),
    ));
    let system = System::new();
    let client_cas = psc_mock::pki::Pki::load(&settings.pki)
        .expect("the embedded PKI loads")
        .client_cas;
    let cert_source =
        psc_mock::tls::CertSource::of(&settings.server, client_cas, state.clock.clone());
    let app = App::new()
        .wrap(actix_web::middleware::from_fn(psc_mock::oidc::limits::limits))
        .configure(psc_mock::startup::protocol_services(
        &settings,
        &state,
        &cert_source,
        false,
    ));
    let service = system.block_on(test::init_service(app));
    let client = &settings.clients[0];
    let basic = {
        use base64::Engine;
        let pair = format!("{}:{}", client.client_id, client.client_secret);
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(pair)
        )
    };
    let cert = percent_encoding::utf8_percent_encode(
        include_str!("../../keys/client.pem"),
        percent_encoding::NON_ALPHANUMERIC,
    )
    .to_string();
    Harness {
        system,
        service: Box::new(Erased(service)),
        state,
        realm_path: format!("/auth/realms/{}", settings.server.realm),
        basic,
        cert,
        trace: std::env::var_os("FUZZ_TRACE").is_some(),
    }
}

thread_local! {
    // Leaked: never dropped at exit, after actix's own thread-locals are gone.
    static HARNESS: &'static Harness = Box::leak(Box::new(harness()));
}

/// The values handed out so far, for the `$…` placeholders.
#[derive(Default)]
struct Handed {
    values: Vec<(&'static str, String)>,
}

impl Handed {
    fn learn(&mut self, answer: &Answer) {
        if let Ok(serde_json::Value::Object(json)) = serde_json::from_slice(&answer.body) {
            for (field, name) in [
                ("auth_req_id", "$AUTH_REQ_ID"),
                ("access_token", "$ACCESS_TOKEN"),
                ("refresh_token", "$REFRESH_TOKEN"),
                ("id_token", "$ID_TOKEN"),
            ] {
                if let Some(serde_json::Value::String(v)) = json.get(field) {
                    self.set(name, v.clone());
                }
            }
        }
        // The login page's pending authorization request.
        let page = String::from_utf8_lossy(&answer.body);
        if let Some((_, rest)) = page.split_once("name=\"tx\" value=\"")
            && let Some((tx, _)) = rest.split_once('"')
        {
            self.set("$TX", tx.to_owned());
        }
        if let Some((_, query)) = answer.location.split_once('?') {
            for (k, v) in form_urlencoded::parse(query.as_bytes()) {
                if k == "code" {
                    self.set("$CODE", v.into_owned());
                }
            }
        }
    }

    fn set(&mut self, name: &'static str, value: String) {
        self.values.retain(|(n, _)| *n != name);
        self.values.push((name, value));
    }

    fn fill(&self, text: &str) -> String {
        self.values
            .iter()
            .fold(text.to_owned(), |t, (name, value)| t.replace(name, value))
    }
}

fn run(h: &Harness, script: &str) {
    // Each input starts from an empty server, as after `POST /mock/reset`.
    h.state.ciba.clear();
    h.state.sessions.clear();
    h.state.codeflow.clear();
    h.state.journal.clear();
    let mut handed = Handed::default();
    handed.set("$BASIC", h.basic.clone());
    handed.set("$CERT", h.cert.clone());

    for part in script.split("\n===\n").take(MAX_REQUESTS) {
        if let Some(seconds) = part.trim().strip_prefix("ADVANCE ") {
            let seconds = seconds
                .trim()
                .parse::<u64>()
                .unwrap_or(0)
                .min(MAX_ADVANCE_S);
            h.state.clock.advance(Duration::from_secs(seconds));
            continue;
        }
        let (head, body) = part.split_once("\n\n").unwrap_or((part, ""));
        let mut lines = head.lines();
        let Some((method, path)) = lines.next().and_then(|l| l.split_once(' ')) else {
            continue;
        };
        let Ok(method) = Method::from_bytes(method.as_bytes()) else {
            continue;
        };
        let path = handed.fill(path);
        let path = match path.strip_prefix("//") {
            Some(absolute) => format!("/{absolute}"),
            None => format!("{}{path}", h.realm_path),
        };
        if Uri::try_from(path.as_str()).is_err() {
            continue;
        }
        let mut req = test::TestRequest::default().method(method).uri(&path);
        for line in lines {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            let value = handed.fill(value.trim());
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.trim().as_bytes()),
                HeaderValue::from_str(&value),
            ) {
                req = req.append_header((name, value));
            }
        }
        let req = req.set_payload(handed.fill(body)).to_request();
        let answer = h.system.block_on(h.service.call(req));
        if h.trace {
            eprintln!(
                "{} {path} {}",
                answer.status,
                String::from_utf8_lossy(&answer.body)
                    .chars()
                    .take(200)
                    .collect::<String>()
            );
        }
        check(&path, &answer);
        handed.learn(&answer);
    }
}

fn check(path: &str, answer: &Answer) {
    let status = answer.status;
    let what = || {
        format!(
            "{status} at {path}: {}",
            String::from_utf8_lossy(&answer.body)
        )
    };
    assert!(status != StatusCode::INTERNAL_SERVER_ERROR, "{}", what());
    if status.is_server_error() {
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{}", what());
    }
    if status.is_client_error() || status.is_server_error() {
        if answer.content_type.starts_with("text/html") {
            return;
        }
        if answer.body.is_empty() && answer.challenge.starts_with("Bearer ") {
            // RFC 6750 §3: the error, when there is one, is in the
            // challenge, a header that nothing of the request can break.
            assert!(
                answer.challenge.is_ascii() && !answer.challenge.contains(['\r', '\n']),
                "{}: {:?}",
                what(),
                answer.challenge
            );
            return;
        }
        assert!(
            answer.content_type.starts_with("application/json"),
            "{}",
            what()
        );
        let json: serde_json::Value =
            serde_json::from_slice(&answer.body).unwrap_or_else(|_| panic!("{}", what()));
        assert!(json["error"].is_string(), "{}", what());
        assert!(json["error_description"].is_string(), "{}", what());
    }
}

fuzz_target!(|script: &str| {
    HARNESS.with(|h| run(h, script));
});
