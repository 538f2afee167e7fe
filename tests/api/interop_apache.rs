//! A real relying party: Apache httpd with mod_auth_openidc, configured as
//! ANS's own Pro Santé Connect proof of concept configures it
//! (github.com/ansforge/PSC-POC, `api-client-side-components/apache2`):
//! PSC's wallet discovery document (`.well-known/wallet-openid-configuration`),
//! the wallet's `/auth` (`server.psc_layout`), PKCE `S256`,
//! `acr_values=eidas1`, scope `openid scope_all`, `client_secret_basic`, and
//! the client certificate at the token endpoint only
//! (`OIDCClientTokenEndpointCert`): its userinfo call carries the access
//! token alone. The configuration is `tests/interop/apache/httpd.conf.in`;
//! the protected page is `claims.cgi`, which prints the claims
//! mod_auth_openidc passes to the application.
//!
//! The test plays the browser (reqwest following no redirect, cookies carried
//! by hand) and the professional, who approves with e-CPS on the login page.
//! It proves that a stock relying party completes the code flow, with the
//! response in the query and with `response_mode=form_post`, and hands the
//! application userinfo's claims (`SubjectRefPro`, `SubjectOrganization`,
//! which the ID token lacks) as psc-mock serves them; the journal shows what
//! mod_auth_openidc sent. On failure, Apache's logs are printed.
//!
//! Needs Debian's `apache2` and `libapache2-mod-auth-openidc`
//! (`/usr/sbin/apache2`, `/usr/lib/apache2/modules`); ignored without them
//! (the build script sets `psc_mock_has_apache`); CI installs them. Run as
//! root (CI), Apache's workers are `www-data`: the temporary directory (under
//! `TMPDIR`) must be reachable by that user.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use reqwest::redirect::Policy;
use reqwest::{Method, StatusCode, Url};
use serde_json::Value;
use tokio::process::{Child, Command};

use crate::helpers::{
    PORT_ATTEMPTS, PRO, TestApp, Who, pick_port, read_key_file, served_by, spawn_app_with,
};

const APACHE2: &str = "/usr/sbin/apache2";
const MODULES: &str = "/usr/lib/apache2/modules";
const TEMPLATES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop/apache");
/// The whole login, Apache's start included.
const LIMIT: Duration = Duration::from_secs(60);

#[tokio::test]
#[cfg_attr(
    not(psc_mock_has_apache),
    ignore = "needs apache2 and libapache2-mod-auth-openidc; CI installs them"
)]
async fn mod_auth_openidc_as_ans_proof_of_concept_gets_userinfo_claims() {
    log_in_through_apache(ResponseMode::Query).await;
}

#[tokio::test]
#[cfg_attr(
    not(psc_mock_has_apache),
    ignore = "needs apache2 and libapache2-mod-auth-openidc; CI installs them"
)]
async fn mod_auth_openidc_with_form_post_gets_userinfo_claims() {
    log_in_through_apache(ResponseMode::FormPost).await;
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ResponseMode {
    Query,
    FormPost,
}

impl ResponseMode {
    /// `OIDCResponseMode`'s value, and the `response_mode` it sends.
    fn as_str(self) -> &'static str {
        match self {
            ResponseMode::Query => "query",
            ResponseMode::FormPost => "form_post",
        }
    }
}

async fn log_in_through_apache(mode: ResponseMode) {
    let mut browser = Browser::new();
    let (app, apache, page) = tokio::time::timeout(LIMIT, async {
        let (app, apache, redirect_uri) = started(mode, &browser.http).await;
        let page = log_in(&app, &apache, &mut browser, mode, &redirect_uri).await;
        (app, apache, page)
    })
    .await
    .unwrap_or_else(|_| panic!("the login through Apache took more than {LIMIT:?}"));
    let _running = apache;
    let claims = claims(&page);

    // What mod_auth_openidc sent: the token request with the client
    // certificate, Basic credentials and the PKCE verifier; userinfo with
    // the access token alone.
    let journal = app
        .control(Method::GET, "/mock/journal", None)
        .await
        .body
        .as_array()
        .expect("the journal is an array")
        .clone();
    let calls = |endpoint: &str| -> Vec<&Value> {
        journal
            .iter()
            .filter(|entry| entry["endpoint"] == endpoint)
            .collect()
    };
    let token = calls("token");
    assert_eq!(token.len(), 1, "one token request: {token:#?}");
    let token = token[0];
    assert_eq!(token["status"], 200, "{token:#}");
    assert_eq!(token["certificate_cn"], "psc-mock-client", "{token:#}");
    assert_eq!(
        token["authorization"], "Basic psc-mock-client:***",
        "client_secret_basic: {token:#}"
    );
    assert_eq!(token["params"]["grant_type"], "authorization_code");
    assert_eq!(token["params"]["code_verifier"], "***", "PKCE: {token:#}");
    let userinfo = calls("userinfo");
    assert_eq!(userinfo.len(), 1, "one userinfo request: {userinfo:#?}");
    let userinfo = userinfo[0];
    assert_eq!(userinfo["certificate_cn"], Value::Null, "{userinfo:#}");
    assert_eq!(userinfo["authorization"], "Bearer ***", "{userinfo:#}");

    // The claims reach the application: the ID token's, and userinfo's.
    assert_eq!(
        claims.get("OIDC_CLAIM_SubjectNameID").map(String::as_str),
        Some(PRO),
        "{page}"
    );
    for name in ["SubjectOrganization", "SubjectRefPro"] {
        assert!(
            claims.contains_key(&format!("OIDC_CLAIM_{name}")),
            "mod_auth_openidc passed no {name} (a userinfo claim): psc-mock's userinfo answered \
             {} {} ({}) to its call without a certificate\n{page}",
            userinfo["status"],
            userinfo["error"],
            userinfo["error_description"],
        );
    }
    assert_eq!(userinfo["status"], 200, "{userinfo:#}");

    // As psc-mock serves them to a client presenting its certificate.
    let tokens = app.tokens(PRO).await;
    let access_token = tokens["access_token"].as_str().expect("access_token");
    let expected = app.userinfo(Who::Client, access_token).await;
    assert_eq!(expected.status, 200, "{}", expected.body);
    assert_eq!(
        claims["OIDC_CLAIM_SubjectOrganization"],
        expected.body["SubjectOrganization"]
            .as_str()
            .expect("SubjectOrganization"),
    );
    let ref_pro: Value = serde_json::from_str(&claims["OIDC_CLAIM_SubjectRefPro"])
        .unwrap_or_else(|e| panic!("SubjectRefPro is passed as JSON ({e})\n{page}"));
    assert_eq!(ref_pro, expected.body["SubjectRefPro"]);
}

/// The browser's part, up to the protected page's text.
async fn log_in(
    app: &TestApp,
    apache: &Apache,
    browser: &mut Browser,
    mode: ResponseMode,
    redirect_uri: &str,
) -> String {
    let protected = Url::parse(&format!("{}/protected/", apache.base)).expect("URL");

    // 1. The protected page sends the browser to PSC's wallet page, /auth.
    let first = browser.get(&protected).await;
    assert_eq!(first.status, StatusCode::FOUND, "{}", first.body);
    let auth = first
        .location
        .expect("a redirect to the authorization endpoint");
    assert!(
        auth.as_str().starts_with(&format!("{}/auth?", app.base)),
        "not psc-mock's /auth: {auth}"
    );
    let request: BTreeMap<String, String> = auth.query_pairs().into_owned().collect();
    for (name, value) in [
        ("client_id", "psc-mock-client"),
        ("response_type", "code"),
        ("redirect_uri", redirect_uri),
        ("scope", "openid scope_all"),
        ("acr_values", "eidas1"),
        ("code_challenge_method", "S256"),
        ("response_mode", mode.as_str()),
    ] {
        assert_eq!(
            request.get(name).map(String::as_str),
            Some(value),
            "{name} in {auth}"
        );
    }
    let state = request.get("state").expect("state");

    // 2. PSC's login page: the professional approves with e-CPS.
    let login = browser.get(&auth).await;
    assert_eq!(
        login.status,
        StatusCode::OK,
        "psc-mock shows no login page (Location: {:?})\n{}",
        login.location.as_ref().map(Url::as_str),
        login.body
    );
    let decision = forms(&login.body)
        .into_iter()
        .find(|form| form.method.eq_ignore_ascii_case("post") && form.field("tx").is_some())
        .unwrap_or_else(|| panic!("no decision form on the login page\n{}", login.body));
    let mut fields = decision.fields.clone();
    for (name, value) in [
        ("id_nat", PRO),
        ("channel", "MOBILE"),
        ("decision", "approve"),
    ] {
        fields.push((name.to_owned(), value.to_owned()));
    }
    let action = login.url.join(&decision.action).expect("the form's action");
    let decided = browser.post(&action, &fields).await;

    // 3. Back to Apache's redirect URI with the code: in the query, or in
    // the form that the page submits at once.
    let callback = match mode {
        ResponseMode::Query => {
            assert_eq!(decided.status, StatusCode::FOUND, "{}", decided.body);
            let to = decided.location.expect("a redirect to Apache");
            let mut bare = to.clone();
            bare.set_query(None);
            assert_eq!(bare.as_str(), redirect_uri);
            let params: BTreeMap<String, String> = to.query_pairs().into_owned().collect();
            assert_callback(&params, app, state);
            browser.get(&to).await
        }
        ResponseMode::FormPost => {
            assert_eq!(
                decided.status,
                StatusCode::OK,
                "form_post is answered with a page posting to the redirect URI (Location: {:?})\n{}",
                decided.location.as_ref().map(Url::as_str),
                decided.body
            );
            let form = forms(&decided.body)
                .into_iter()
                .find(|form| form.action == redirect_uri)
                .unwrap_or_else(|| panic!("no form posting to {redirect_uri}\n{}", decided.body));
            assert!(
                form.method.eq_ignore_ascii_case("post"),
                "{:?}\n{}",
                form.method,
                decided.body
            );
            let params: BTreeMap<String, String> = form.fields.iter().cloned().collect();
            assert_callback(&params, app, state);
            let to = decided.url.join(&form.action).expect("the form's action");
            browser.post(&to, &form.fields).await
        }
    };

    // 4. Apache redeemed the code, called userinfo, and sends the browser
    // back to the protected page with its session cookie.
    assert_eq!(
        callback.status,
        StatusCode::FOUND,
        "Apache refused the callback\n{}",
        callback.body
    );
    assert_eq!(callback.location.as_ref(), Some(&protected));
    let page = browser.get(&protected).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    page.body
}

/// PSC's callback parameters: `code`, `state`, `session_state`, `iss`.
#[track_caller]
fn assert_callback(params: &BTreeMap<String, String>, app: &TestApp, state: &str) {
    assert!(
        !params.contains_key("error"),
        "psc-mock answered an error: {params:?}"
    );
    assert!(
        params.get("code").is_some_and(|code| !code.is_empty()),
        "{params:?}"
    );
    assert_eq!(params.get("state").map(String::as_str), Some(state));
    assert!(params.contains_key("session_state"), "{params:?}");
    assert_eq!(
        params.get("iss").map(String::as_str),
        Some(app.issuer.as_str())
    );
}

/// psc-mock with Apache's redirect URI registered, and Apache answering on
/// its port; another port if Apache found its own taken meanwhile.
async fn started(mode: ResponseMode, http: &reqwest::Client) -> (TestApp, Apache, String) {
    for _ in 0..PORT_ATTEMPTS {
        let port = pick_port();
        let redirect_uri = format!("http://127.0.0.1:{port}/protected/redirect_uri");
        let app = spawn_app_with(|settings| {
            settings.server.psc_layout = true;
            settings.clients[0].redirect_uris.push(redirect_uri.clone());
        })
        .await;
        let mut apache = Apache::start(port, &app, mode);
        if apache.wait_until_ready(http).await.is_ok() {
            return (app, apache, redirect_uri);
        }
    }
    panic!("Apache found no free port in {PORT_ATTEMPTS} attempts");
}

fn running_as_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| output.stdout.trim_ascii() == b"0")
}

/// Another program listens on the port Apache was given.
struct PortTaken;

/// `apache2 -DFOREGROUND` on its own configuration in a temporary
/// directory; stopped, with its workers, when dropped, and its logs printed
/// if the test failed.
struct Apache {
    /// Apache's parent process, leader of a process group with its workers.
    child: Child,
    /// `http://127.0.0.1:PORT`
    base: String,
    dir: tempfile::TempDir,
}

impl Apache {
    fn start(port: u16, app: &TestApp, mode: ResponseMode) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("psc-mock-apache-")
            .tempdir()
            .expect("a temporary directory");
        let root = dir.path();
        let write = |path: &Path, contents: &str, permissions: u32| {
            std::fs::write(path, contents).expect("a file in the temporary directory");
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(permissions))
                .expect("permissions");
        };
        let directory = |path: &Path| {
            std::fs::create_dir_all(path).expect("a directory");
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
                .expect("permissions");
        };
        // Apache's workers (www-data when started as root) read these.
        directory(root);
        for sub in ["run", "htdocs", "cgi-bin"] {
            directory(&root.join(sub));
        }
        for name in ["ca.pem", "client.pem", "client.key"] {
            write(&root.join(name), &read_key_file(name), 0o644);
        }
        let script =
            std::fs::read_to_string(format!("{TEMPLATES}/claims.cgi")).expect("claims.cgi");
        write(&root.join("cgi-bin/claims.cgi"), &script, 0o755);

        let template =
            std::fs::read_to_string(format!("{TEMPLATES}/httpd.conf.in")).expect("httpd.conf.in");
        let conf = template
            .replace("@@DIR@@", root.to_str().expect("a UTF-8 temporary path"))
            .replace("@@MODULES@@", MODULES)
            .replace("@@PORT@@", &port.to_string())
            .replace("@@ISSUER@@", &app.issuer)
            .replace("@@WALLET@@", &app.base)
            .replace("@@RESPONSE_MODE@@", mode.as_str());
        assert!(
            !conf
                .lines()
                .any(|line| !line.trim_start().starts_with('#') && line.contains("@@")),
            "a placeholder is left in\n{conf}"
        );
        let conf_path = root.join("httpd.conf");
        write(&conf_path, &conf, 0o644);

        let output = std::fs::File::create(root.join("stderr.log")).expect("stderr.log");
        let mut command = Command::new(APACHE2);
        command.arg("-f").arg(&conf_path).arg("-DFOREGROUND");
        if running_as_root() {
            command.arg("-DPSC_MOCK_AS_ROOT");
        }
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::from(output.try_clone().expect("stderr.log")))
            .stderr(Stdio::from(output))
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("{APACHE2} does not start: {e}"));
        Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            dir,
        }
    }

    /// Until Apache answers (404 at its root, with its `Server` header);
    /// `Err` if it stopped because its port was taken.
    async fn wait_until_ready(&mut self, http: &reqwest::Client) -> Result<(), PortTaken> {
        for _ in 0..100 {
            if let Some(status) = self.child.try_wait().expect("apache2's status") {
                if self.logs().contains("Address already in use") {
                    return Err(PortTaken);
                }
                panic!("apache2 stopped at start ({status})");
            }
            if served_by(http, &format!("{}/", self.base), "Apache").await {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("apache2 does not answer after 10 s");
    }

    fn logs(&self) -> String {
        ["stderr.log", "error.log", "access.log", "httpd.conf"]
            .iter()
            .map(|name| {
                let text = std::fs::read_to_string(self.dir.path().join(name))
                    .unwrap_or_else(|e| format!("({e})\n"));
                format!("---- Apache's {name}\n{text}")
            })
            .collect()
    }
}

impl Drop for Apache {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("{}", self.logs());
        }
        let Some(pid) = self.child.id() else {
            return;
        };
        // A graceful stop first: the parent ends its workers and frees its
        // shared memory and semaphores; then whatever is left of the group.
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status();
        for _ in 0..50 {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        // The group may be gone already: nothing to report then.
        let _ = std::process::Command::new("kill")
            .args(["-KILL", "--", &format!("-{pid}")])
            .stderr(std::process::Stdio::null())
            .status();
    }
}

/// A response, read whole.
struct Page {
    url: Url,
    status: StatusCode,
    location: Option<Url>,
    body: String,
}

/// A browser without a cookie store (reqwest's `cookies` feature is off):
/// it keeps the cookies it is given, per origin, and sends them back. That
/// is enough for mod_auth_openidc's state and session cookies (`Path=/`).
struct Browser {
    http: reqwest::Client,
    jar: BTreeMap<String, BTreeMap<String, String>>,
}

impl Browser {
    fn new() -> Self {
        let ca = reqwest::Certificate::from_pem(read_key_file("ca.pem").as_bytes()).expect("CA");
        let http = reqwest::Client::builder()
            .tls_certs_only([ca])
            .redirect(Policy::none())
            .timeout(Duration::from_secs(20))
            .build()
            .expect("client");
        Self {
            http,
            jar: BTreeMap::new(),
        }
    }

    async fn get(&mut self, url: &Url) -> Page {
        self.send(Method::GET, url, None).await
    }

    async fn post(&mut self, url: &Url, form: &[(String, String)]) -> Page {
        self.send(Method::POST, url, Some(form)).await
    }

    async fn send(&mut self, method: Method, url: &Url, form: Option<&[(String, String)]>) -> Page {
        let origin = url.origin().ascii_serialization();
        let mut request = self.http.request(method.clone(), url.clone());
        if let Some(cookies) = self.jar.get(&origin).filter(|c| !c.is_empty()) {
            let header = cookies
                .iter()
                .map(|(name, value)| format!("{name}={value}"))
                .collect::<Vec<_>>()
                .join("; ");
            request = request.header(COOKIE, header);
        }
        if let Some(form) = form {
            request = request.form(form);
        }
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
        let status = response.status();
        let jar = self.jar.entry(origin).or_default();
        for header in response.headers().get_all(SET_COOKIE) {
            store_cookie(jar, header.to_str().expect("an ASCII Set-Cookie"));
        }
        let location = response.headers().get(LOCATION).map(|location| {
            url.join(location.to_str().expect("an ASCII Location"))
                .expect("a URL in Location")
        });
        let body = response.text().await.expect("a body");
        Page {
            url: url.clone(),
            status,
            location,
            body,
        }
    }
}

/// Keeps a `Set-Cookie`, or forgets it when it is emptied or expired.
fn store_cookie(jar: &mut BTreeMap<String, String>, set_cookie: &str) {
    let mut parts = set_cookie.split(';');
    let Some((name, value)) = parts.next().and_then(|pair| pair.split_once('=')) else {
        return;
    };
    let (name, value) = (name.trim(), value.trim());
    let expired = parts.any(|attribute| {
        let attribute = attribute.trim().to_ascii_lowercase();
        attribute == "max-age=0"
            || attribute.starts_with("max-age=-")
            || attribute.starts_with("expires=thu, 01 jan 1970")
    });
    if value.is_empty() || expired {
        jar.remove(name);
    } else {
        jar.insert(name.to_owned(), value.to_owned());
    }
}

/// The `NAME=value` lines of the claims page.
fn claims(page: &str) -> BTreeMap<String, String> {
    page.lines()
        .filter_map(|line| line.split_once('='))
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect()
}

/// A form of a page: its method, action and hidden fields.
#[derive(Clone, Debug, PartialEq)]
struct HtmlForm {
    method: String,
    action: String,
    fields: Vec<(String, String)>,
}

impl HtmlForm {
    fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The forms of a page, as a browser reads them (enough for psc-mock's
/// login page and a form_post page: no nested markup in attributes).
fn forms(html: &str) -> Vec<HtmlForm> {
    // ASCII lowercasing keeps byte offsets.
    let lower = html.to_ascii_lowercase();
    let mut found = Vec::new();
    let mut at = 0;
    while let Some(start) = find_tag(&lower, "form", at) {
        let open_end = lower[start..].find('>').map_or(lower.len(), |i| start + i);
        let form_attributes = attributes(&html[start + "<form".len()..open_end]);
        let inner_start = (open_end + 1).min(lower.len());
        let close = lower[inner_start..]
            .find("</form")
            .map_or(lower.len(), |i| inner_start + i);
        let (inner, inner_lower) = (&html[inner_start..close], &lower[inner_start..close]);
        let mut fields = Vec::new();
        let mut i = 0;
        while let Some(input) = find_tag(inner_lower, "input", i) {
            let end = inner_lower[input..]
                .find('>')
                .map_or(inner_lower.len(), |e| input + e);
            let input_attributes = attributes(&inner[input + "<input".len()..end]);
            let get = |name: &str| {
                input_attributes
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| v.clone())
            };
            if get("type").is_some_and(|t| t.eq_ignore_ascii_case("hidden"))
                && let Some(name) = get("name")
            {
                fields.push((name, get("value").unwrap_or_default()));
            }
            i = end;
        }
        let get = |name: &str| {
            form_attributes
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
        };
        found.push(HtmlForm {
            method: get("method").unwrap_or_else(|| "get".to_owned()),
            action: get("action").unwrap_or_default(),
            fields,
        });
        at = close;
    }
    found
}

/// Where `<name` starts a tag, from `from` on, in lowercased HTML.
fn find_tag(lower: &str, name: &str, from: usize) -> Option<usize> {
    let pattern = format!("<{name}");
    let mut at = from;
    while let Some(i) = lower[at..].find(&pattern) {
        let start = at + i;
        let next = lower.as_bytes().get(start + pattern.len());
        if matches!(next, Some(b' ' | b'\t' | b'\n' | b'\r' | b'>' | b'/')) {
            return Some(start);
        }
        at = start + pattern.len();
    }
    None
}

/// A start tag's attributes (what follows its name), names lowercased,
/// values unescaped.
fn attributes(tag: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut rest = tag.trim_start();
    while !rest.is_empty() {
        let name_end = rest
            .find(|c: char| c.is_whitespace() || c == '=' || c == '/')
            .unwrap_or(rest.len());
        if name_end == 0 {
            // A stray '/' or '=' (both ASCII).
            rest = rest[1..].trim_start();
            continue;
        }
        let name = rest[..name_end].to_ascii_lowercase();
        rest = rest[name_end..].trim_start();
        let mut value = String::new();
        if let Some(after) = rest.strip_prefix('=') {
            let after = after.trim_start();
            let (raw, tail) = match after.chars().next() {
                Some(quote @ ('"' | '\'')) => {
                    let quoted = &after[1..];
                    let end = quoted.find(quote).unwrap_or(quoted.len());
                    (&quoted[..end], quoted.get(end + 1..).unwrap_or(""))
                }
                _ => {
                    let end = after.find(char::is_whitespace).unwrap_or(after.len());
                    after.split_at(end)
                }
            };
            value = unescape(raw);
            rest = tail;
        }
        found.push((name, value));
        rest = rest.trim_start();
    }
    found
}

/// Decodes HTML character references (named: amp, lt, gt, quot, apos;
/// numeric, decimal and hexadecimal).
fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let decoded = rest.find(';').filter(|&end| end <= 10).and_then(|end| {
            let entity = &rest[1..end];
            let c = match entity {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => entity
                    .strip_prefix("#x")
                    .or_else(|| entity.strip_prefix("#X"))
                    .map(|hex| u32::from_str_radix(hex, 16))
                    .or_else(|| entity.strip_prefix('#').map(str::parse::<u32>))
                    .and_then(Result::ok)
                    .and_then(char::from_u32),
            };
            c.map(|c| (c, end))
        });
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[test]
fn forms_and_cookies_are_read_as_a_browser_reads_them() {
    // Keycloak's form_post page, as psc-mock writes it, with other quotings.
    let page = "<HTML><HEAD><TITLE>OIDC Form_Post Response</TITLE></HEAD>\
        <BODY Onload=\"document.forms[0].submit()\">\
        <FORM METHOD=\"POST\" ACTION=\"http://127.0.0.1:1/cb?a=1&amp;b=2\">\
        <INPUT TYPE=\"HIDDEN\" NAME=\"code\" VALUE=\"c&#39;1\" />\
        <input type='hidden' name='state' value='s&quot;1'/>\
        <input type=hidden name=iss value=https://x/auth/realms/esante-wallet>\
        <NOSCRIPT><P>JavaScript is disabled.</P>\
        <INPUT name=\"continue\" TYPE=\"SUBMIT\" VALUE=\"CONTINUE\" /></NOSCRIPT></FORM>\
        <form action=\"/search\"><input type=\"search\" name=\"q\"></form></BODY></HTML>";
    let found = forms(page);
    assert_eq!(
        found,
        [
            HtmlForm {
                method: "POST".into(),
                action: "http://127.0.0.1:1/cb?a=1&b=2".into(),
                fields: vec![
                    ("code".into(), "c'1".into()),
                    ("state".into(), "s\"1".into()),
                    ("iss".into(), "https://x/auth/realms/esante-wallet".into()),
                ],
            },
            HtmlForm {
                method: "get".into(),
                action: "/search".into(),
                fields: vec![],
            },
        ]
    );
    assert_eq!(found[0].field("state"), Some("s\"1"));
    assert_eq!(
        unescape("a &amp b &#x41;&#66;&bogus;"),
        "a &amp b AB&bogus;"
    );

    let mut jar = BTreeMap::new();
    store_cookie(
        &mut jar,
        "mod_auth_openidc_state_x=eyJ.a.b; Path=/; HttpOnly",
    );
    store_cookie(&mut jar, "mod_auth_openidc_session=abc; Path=/; HttpOnly");
    assert_eq!(jar.len(), 2);
    store_cookie(
        &mut jar,
        "mod_auth_openidc_state_x=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly",
    );
    store_cookie(&mut jar, "other=1; Max-Age=0");
    assert_eq!(
        jar.into_iter().collect::<Vec<_>>(),
        [("mod_auth_openidc_session".to_owned(), "abc".to_owned())]
    );
    assert_eq!(
        claims("REMOTE_USER=sub@iss\nOIDC_CLAIM_SubjectRefPro={\"a\": \"b=c\"}\n")["OIDC_CLAIM_SubjectRefPro"],
        "{\"a\": \"b=c\"}"
    );
}
