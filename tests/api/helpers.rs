//! `spawn_app()` and the clients that talk to it.

use std::time::{Duration, SystemTime};

use psc_mock::Application;
use psc_mock::clock::Clock;
use psc_mock::config::Settings;
use psc_mock::startup::StartupError;
use reqwest::{Certificate, Client, Identity, StatusCode};
use serde_json::Value;

pub const CLIENT_ID: &str = "psc-mock-client";
pub const SECRET: &str = "psc-mock-secret";
pub const CIBA_GRANT: &str = "urn:openid:params:grant-type:ciba";
/// A fixture professional reachable by e-CPS and card.
pub const PRO: &str = "899700245667";

const KEYS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/keys");

/// The endpoints' paths under the issuer, for every test module.
pub mod paths {
    pub const BC: &str = "/protocol/openid-connect/ext/ciba/auth";
    pub const TOKEN: &str = "/protocol/openid-connect/token";
    pub const INTROSPECT: &str = "/protocol/openid-connect/token/introspect";
    pub const REVOKE: &str = "/protocol/openid-connect/revoke";
    pub const LOGOUT: &str = "/protocol/openid-connect/logout";
}

/// Which certificate a client presents.
#[derive(Clone, Copy, Debug)]
pub enum Who {
    /// CN = psc-mock-client, from the trusted CA.
    Client,
    /// CN = psc-mock-client-2, from the trusted CA.
    Client2,
    /// CN = psc-mock-client, from a CA the server does not trust.
    Untrusted,
    /// No certificate.
    Nobody,
}

pub fn read_key_file(name: &str) -> String {
    std::fs::read_to_string(format!("{KEYS}/{name}")).expect("key file")
}

pub struct TestApp {
    pub base: String,
    pub issuer: String,
    pub clock: Clock,
    pub handle: actix_web::dev::ServerHandle,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Stop the server; the future is driven by the runtime it runs on.
        drop(self.handle.stop(false));
    }
}

/// Starts a server with default settings and a fixed clock.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts a server on a free port, with settings adjusted by `adjust`.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    try_spawn_app_with(adjust).expect("server builds")
}

/// A server on a port chosen before it starts (its own URLs name it):
/// `adjust` is given the port; if another process takes the port between
/// the choice and the bind, another is chosen.
pub async fn spawn_app_on_a_port(adjust: impl Fn(u16, &mut Settings)) -> TestApp {
    for _ in 0..PORT_ATTEMPTS {
        let port = pick_port();
        match try_spawn_app_with(|settings| {
            settings.server.bind = std::net::SocketAddr::from(([127, 0, 0, 1], port));
            adjust(port, settings);
        }) {
            Ok(app) => return app,
            Err(StartupError::Bind { source, .. })
                if source.kind() == std::io::ErrorKind::AddrInUse => {}
            Err(e) => panic!("server builds: {e}"),
        }
    }
    panic!("no free port in {PORT_ATTEMPTS} attempts");
}

/// How many ports a test tries when the one it chose was taken meanwhile.
pub const PORT_ATTEMPTS: usize = 5;

/// A port free now. Whoever then binds it must expect it to be taken in
/// between by another process, and pick again ([`PORT_ATTEMPTS`]): a
/// chosen port cannot be held across to another program.
pub fn pick_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

/// Whether a GET of `url` is answered by the program whose `Server` header
/// starts with `server` (and not by another that took its port).
pub async fn served_by(http: &Client, url: &str, server: &str) -> bool {
    let answer = http.get(url).send().await;
    answer
        .as_ref()
        .ok()
        .and_then(|a| a.headers().get("server"))
        .and_then(|v| v.to_str().ok())
        .is_some_and(|s| s.starts_with(server))
}

/// A port where connections are refused, held (bound, not listening) so
/// that no other process can listen on it while the socket lives.
pub fn refused_port() -> (socket2::Socket, u16) {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).expect("a socket");
    let any = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    socket.bind(&any.into()).expect("a bound port");
    let port = socket
        .local_addr()
        .ok()
        .and_then(|a| a.as_socket())
        .expect("its address")
        .port();
    (socket, port)
}

/// [`spawn_app_with`], returning why the server did not start.
fn try_spawn_app_with(adjust: impl FnOnce(&mut Settings)) -> Result<TestApp, StartupError> {
    let mut settings = Settings::default();
    settings.server.bind = "127.0.0.1:0".parse().expect("address");
    settings.server.workers = 1;
    adjust(&mut settings);
    let clock = Clock::fixed(SystemTime::now());
    let app = Application::build_with(settings, clock.clone(), false)?;
    let scheme = if app.settings().server.tls {
        "https"
    } else {
        "http"
    };
    let base = format!("{scheme}://127.0.0.1:{}", app.port());
    let issuer = app.issuer().to_owned();
    let handle = app.handle();
    tokio::spawn(app.run_until_stopped());
    Ok(TestApp {
        base,
        issuer,
        clock,
        handle,
    })
}

/// An HTTPS client trusting the test CA and presenting `who`'s certificate.
pub fn client(who: Who) -> Client {
    let ca = Certificate::from_pem(read_key_file("ca.pem").as_bytes()).expect("CA");
    let mut builder = Client::builder()
        .tls_certs_only([ca])
        .timeout(Duration::from_secs(10));
    let files = match who {
        Who::Client => Some(("client.pem", "client.key")),
        Who::Client2 => Some(("client-2.pem", "client-2.key")),
        Who::Untrusted => Some(("untrusted-client.pem", "untrusted-client.key")),
        Who::Nobody => None,
    };
    if let Some((cert, key)) = files {
        let pem = format!("{}{}", read_key_file(cert), read_key_file(key));
        builder = builder.identity(Identity::from_pem(pem.as_bytes()).expect("identity"));
    }
    builder.build().expect("client")
}

/// A response's status and JSON body.
pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Answer {
    pub async fn from(response: reqwest::Response) -> Self {
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Self {
            status,
            headers,
            body,
        }
    }

    /// Asserts a bearer-token refusal as Keycloak answers it: `status`, an
    /// empty body, and `error` with its description in `WWW-Authenticate`
    /// (RFC 6750 §3); returns the description.
    #[track_caller]
    pub fn assert_bearer_error(&self, status: u16, error: &str) -> String {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.body);
        assert_eq!(self.body, Value::String(String::new()), "the body is empty");
        let challenge = self.headers["www-authenticate"]
            .to_str()
            .expect("an ASCII challenge");
        assert!(
            challenge.starts_with("Bearer realm=\"esante-wallet\""),
            "{challenge}"
        );
        assert!(
            challenge.contains(&format!("error=\"{error}\"")),
            "{challenge}"
        );
        challenge
            .split_once("error_description=\"")
            .and_then(|(_, rest)| rest.strip_suffix('"'))
            .expect("an error_description")
            .to_owned()
    }

    /// Asserts an OAuth error and returns its description.
    #[track_caller]
    pub fn assert_error(&self, status: u16, error: &str) -> &str {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.body);
        assert_eq!(self.body["error"], error, "body: {}", self.body);
        self.body["error_description"]
            .as_str()
            .expect("error_description is a string")
    }
}

/// A request to the server built step by step: who connects (which
/// certificate), where (a path under the issuer), the credentials and
/// parameters; `send` gives the [`Answer`]. Tests that send what no client
/// would (raw bytes, a dropped connection) build their request themselves.
pub struct Call(reqwest::RequestBuilder);

impl Call {
    /// HTTP Basic client authentication.
    pub fn basic(self, client_id: &str, secret: &str) -> Self {
        Self(self.0.basic_auth(client_id, Some(secret)))
    }

    /// HTTP Basic as the default client.
    pub fn by_client(self) -> Self {
        self.basic(CLIENT_ID, SECRET)
    }

    /// HTTP Basic as the second client.
    pub fn by_client2(self) -> Self {
        self.basic("psc-mock-client-2", "psc-mock-secret-2")
    }

    pub fn bearer(self, token: &str) -> Self {
        Self(self.0.bearer_auth(token))
    }

    pub fn form<T: serde::Serialize + ?Sized>(self, form: &T) -> Self {
        Self(self.0.form(form))
    }

    pub fn header(self, name: &str, value: &str) -> Self {
        Self(self.0.header(name, value))
    }

    pub fn json(self, body: &Value) -> Self {
        Self(self.0.json(body))
    }

    /// A raw body (set its content type with [`Call::header`]).
    pub fn body(self, body: impl Into<reqwest::Body>) -> Self {
        Self(self.0.body(body))
    }

    pub async fn send(self) -> Answer {
        Answer::from(self.0.send().await.expect("request")).await
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.issuer)
    }

    /// A POST to `path` under the issuer by `who`.
    pub fn post(&self, who: Who, path: &str) -> Call {
        self.post_through(&client(who), path)
    }

    /// A POST to `path` under the issuer through `client` (a certificate of
    /// the test's own).
    pub fn post_through(&self, client: &Client, path: &str) -> Call {
        Call(client.post(self.url(path)))
    }

    /// A GET of `path` under the issuer by `who`.
    pub fn get(&self, who: Who, path: &str) -> Call {
        Call(client(who).get(self.url(path)))
    }

    /// Any method, to `path` under the server's base URL (`/mock/…`,
    /// `/auth`, unknown paths).
    pub fn at(&self, who: Who, method: reqwest::Method, path: &str) -> Call {
        Call(client(who).request(method, format!("{}{path}", self.base)))
    }

    /// POSTs a form with Basic credentials of the default client.
    pub async fn post_form(&self, who: Who, path: &str, form: &[(&str, &str)]) -> Answer {
        self.post(who, path).by_client().form(form).send().await
    }

    /// POSTs a form as the second client (its certificate and secret).
    pub async fn post_form_client2(&self, path: &str, form: &[(&str, &str)]) -> Answer {
        self.post(Who::Client2, path)
            .by_client2()
            .form(form)
            .send()
            .await
    }

    /// bc-authorize for `login_hint` by the default client.
    pub async fn bc_authorize(&self, login_hint: &str) -> Answer {
        self.post_form(
            Who::Client,
            "/protocol/openid-connect/ext/ciba/auth",
            &[
                ("login_hint", login_hint),
                ("scope", "openid scope_all"),
                ("binding_message", "42"),
                ("acr_values", "eidas1"),
            ],
        )
        .await
    }

    /// bc-authorize that must succeed; returns the auth_req_id.
    pub async fn start_ciba(&self, login_hint: &str) -> String {
        let ack = self.bc_authorize(login_hint).await;
        assert_eq!(ack.status, 200, "{}", ack.body);
        ack.body["auth_req_id"]
            .as_str()
            .expect("auth_req_id")
            .to_owned()
    }

    pub async fn poll(&self, auth_req_id: &str) -> Answer {
        self.post_form(
            Who::Client,
            "/protocol/openid-connect/token",
            &[("grant_type", CIBA_GRANT), ("auth_req_id", auth_req_id)],
        )
        .await
    }

    /// A control API call (no certificate).
    pub async fn control(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Answer {
        let mut request = client(Who::Nobody).request(method, format!("{}{path}", self.base));
        if let Some(body) = body {
            request = request.json(&body);
        }
        Answer::from(request.send().await.expect("control request")).await
    }

    pub async fn approve(&self, auth_req_id: &str) -> Answer {
        self.control(
            reqwest::Method::POST,
            &format!("/mock/ciba/requests/{auth_req_id}/approve"),
            None,
        )
        .await
    }

    /// A complete CIBA flow up to the token response.
    pub async fn tokens(&self, login_hint: &str) -> Value {
        let id = self.start_ciba(login_hint).await;
        assert_eq!(self.approve(&id).await.status, 200);
        let answer = self.poll(&id).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        answer.body
    }

    pub async fn userinfo(&self, who: Who, access_token: &str) -> Answer {
        self.get(who, "/protocol/openid-connect/userinfo")
            .bearer(access_token)
            .send()
            .await
    }
}

/// The claims of a JWT, unverified (tests that check the signature do so
/// with `tokens::verify_jsonwebtoken`).
pub fn payload(token: &str) -> Value {
    use base64::Engine;
    let part = token.split('.').nth(1).expect("a JWT has a payload");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .expect("base64url payload");
    serde_json::from_slice(&bytes).expect("JSON claims")
}

/// A raw TLS connection to the server (HTTP/1.1 by ALPN, trusting the test
/// CA, no client certificate unless `identity` gives one as PEM
/// certificate and key), for requests written byte by byte.
pub async fn raw_tls(
    app: &TestApp,
    identity: Option<(&str, &str)>,
) -> tokio_rustls::client::TlsStream<tokio::net::TcpStream> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
    let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    for ca in CertificateDer::pem_slice_iter(read_key_file("ca.pem").as_bytes()) {
        roots.add(ca.expect("CA")).expect("CA");
    }
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_root_certificates(roots);
    let mut config = match identity {
        Some((cert, key)) => builder
            .with_client_auth_cert(
                CertificateDer::pem_slice_iter(cert.as_bytes())
                    .collect::<Result<_, _>>()
                    .expect("certificate"),
                PrivateKeyDer::from_pem_slice(key.as_bytes()).expect("key"),
            )
            .expect("identity"),
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config));
    let addr = app.base.trim_start_matches("https://");
    let tcp = tokio::net::TcpStream::connect(addr)
        .await
        .expect("connects");
    connector
        .connect(ServerName::try_from("localhost").expect("name"), tcp)
        .await
        .expect("TLS handshake")
}

/// What the server sent until it closed the connection: when its first
/// bytes came, when the connection closed, and the text; `None` if it is
/// still open after `within`.
pub async fn until_closed(
    stream: &mut (impl tokio::io::AsyncRead + Unpin),
    within: Duration,
) -> Option<(Duration, Duration, String)> {
    let started = std::time::Instant::now();
    let mut answered = None;
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    let read = async {
        // A TLS connection may end without close_notify: an error ends it too.
        while let Ok(n @ 1..) = tokio::io::AsyncReadExt::read(stream, &mut buffer).await {
            answered.get_or_insert_with(|| started.elapsed());
            answer.extend_from_slice(&buffer[..n]);
        }
    };
    tokio::time::timeout(within, read).await.ok()?;
    let closed = started.elapsed();
    Some((
        answered.unwrap_or(closed),
        closed,
        String::from_utf8_lossy(&answer).into_owned(),
    ))
}

/// The status and JSON body of a raw HTTP/1.1 answer.
pub fn status_and_json(answer: &str) -> (u16, serde_json::Value) {
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {answer:?}"));
    let (_, body) = answer.split_once("\r\n\r\n").unwrap_or_default();
    (status, serde_json::from_str(body).unwrap_or_default())
}
