//! The documentation, run as written against a live server: the README's
//! curl walkthrough, every `<!-- run -->` shell block of `docs/`, and the
//! Python device simulator of `docs/integrations.md` against Keycloak's
//! authentication channel.

use std::time::{Duration, SystemTime};

use psc_mock::Application;
use psc_mock::clock::Clock;
use psc_mock::config::Settings;

use crate::helpers::{PORT_ATTEMPTS, pick_port, served_by};

const README: &str = include_str!("../../README.md");
const DOCS: [(&str, &str); 4] = [
    ("docs/control.md", include_str!("../../docs/control.md")),
    (
        "docs/integrations.md",
        include_str!("../../docs/integrations.md"),
    ),
    (
        "docs/configuration.md",
        include_str!("../../docs/configuration.md"),
    ),
    ("docs/annuaire.md", include_str!("../../docs/annuaire.md")),
];
const REPO: &str = env!("CARGO_MANIFEST_DIR");
/// The URL the documentation uses; tests swap in their server's.
const DOCUMENTED: &str = "https://127.0.0.1:8443";

/// The code of the block of `language` that follows each `marker`.
fn blocks(text: &str, marker: &str, language: &str) -> Vec<String> {
    let fence = format!("```{language}\n");
    text.match_indices(marker)
        .map(|(at, _)| {
            let rest = &text[at + marker.len()..];
            let start = rest.find(&fence).expect("a code block after the marker") + fence.len();
            let end = rest[start..].find("```").expect("the end of the block") + start;
            rest[start..end].to_owned()
        })
        .collect()
}

/// A server on a free port with `adjust`ed settings; its base URL.
fn serve(
    clock: Clock,
    adjust: impl FnOnce(&mut Settings),
) -> (String, actix_web::dev::ServerHandle) {
    let mut settings = Settings::default();
    settings.server.bind = "127.0.0.1:0".parse().unwrap();
    settings.server.workers = 1;
    adjust(&mut settings);
    let app = Application::build_with(settings, clock, false).unwrap();
    let base = format!("https://127.0.0.1:{}", app.port());
    let handle = app.handle();
    tokio::spawn(app.run_until_stopped());
    (base, handle)
}

/// Runs `script` with bash from the repository root, `base` in place of
/// the documented URL; its standard output, or a panic naming `what`.
async fn run(what: &str, script: &str, base: &str) -> String {
    if std::process::Command::new("curl")
        .arg("--version")
        .output()
        .is_err()
    {
        panic!("curl is needed to run the documentation's examples");
    }
    let script = script.replace(DOCUMENTED, base);
    let output = tokio::process::Command::new("bash")
        .args(["-euo", "pipefail", "-c", &script])
        .current_dir(REPO)
        .output()
        .await
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{what}\n{script}\nstdout: {stdout}\nstderr: {stderr}"
    );
    stdout
}

#[tokio::test]
async fn the_readme_curl_walkthrough_works_as_written() {
    // A fixed clock: the script polls once, right after approving.
    let (base, handle) = serve(Clock::fixed(SystemTime::now()), |_| {});
    let [script] = &blocks(README, "<!-- walkthrough -->", "sh")[..] else {
        panic!("one walkthrough in the README");
    };
    assert!(
        script.contains("PSC=https://127.0.0.1:8443"),
        "the walkthrough names the default URL once"
    );
    let stdout = run("README walkthrough", script, &base).await;
    assert!(stdout.contains("\"status\":\"approved\""), "{stdout}");
    assert!(
        stdout.contains("\"SubjectNameID\":\"899700245667\""),
        "{stdout}"
    );
    assert!(stdout.contains("\"SubjectRefPro\""), "{stdout}");
    handle.stop(false).await;
}

#[tokio::test]
async fn the_readme_code_flow_walkthrough_works_as_written() {
    let (base, handle) = serve(Clock::fixed(SystemTime::now()), |_| {});
    let [script] = &blocks(README, "<!-- codeflow -->", "sh")[..] else {
        panic!("one code-flow walkthrough in the README");
    };
    let stdout = run("README code-flow walkthrough", script, &base).await;
    let lines: Vec<&str> = stdout.lines().collect();
    // The scenario, the redirect with the code, userinfo, the refreshed
    // tokens, introspection before and after logout, and logout's 204.
    assert!(lines[0].contains("\"action\":\"approve\""), "{stdout}");
    assert!(
        lines[1].starts_with("http://localhost:8080/callback?"),
        "{stdout}"
    );
    assert!(
        lines[1].contains("code=") && lines[1].contains("state=abc"),
        "{stdout}"
    );
    assert!(
        lines[2].contains("\"SubjectNameID\":\"899700245667\""),
        "{stdout}"
    );
    assert!(lines[3].contains("\"refresh_token\""), "{stdout}");
    assert!(lines[4].contains("\"active\":true"), "{stdout}");
    assert_eq!(lines[5], "204", "{stdout}");
    assert_eq!(lines[6], "{\"active\":false}", "{stdout}");
    handle.stop(false).await;
}

#[tokio::test]
async fn every_runnable_example_of_the_docs_works_as_written() {
    let mut ran = 0;
    for (file, text) in DOCS {
        for (i, script) in blocks(text, "<!-- run -->", "sh").iter().enumerate() {
            // Each on a fresh server, as a reader would start one.
            let (base, handle) = serve(Clock::fixed(SystemTime::now()), |_| {});
            let stdout = run(&format!("{file}, example {}", i + 1), script, &base).await;
            // Every refusal carries an error_description.
            assert!(
                !stdout.contains("\"error_description\""),
                "{file}, example {}: an error answer\n{stdout}",
                i + 1
            );
            handle.stop(false).await;
            ran += 1;
        }
    }
    assert!(ran >= 6, "only {ran} runnable examples found");
}

/// The device once it answers on `port` as Python's HTTP server (its
/// `Server` header), or `None` if it stopped: the port was taken meanwhile.
async fn listening(mut python: tokio::process::Child, port: u16) -> Option<tokio::process::Child> {
    // A short timeout: a program on the port may accept and never answer.
    let http = reqwest::Client::builder()
        .timeout(Duration::from_millis(500))
        .build()
        .expect("an HTTP client");
    for _ in 0..100 {
        if python.try_wait().ok().flatten().is_some() {
            return None;
        }
        if served_by(&http, &format!("http://127.0.0.1:{port}/"), "BaseHTTP").await {
            return Some(python);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the device does not answer after 5 s");
}

#[tokio::test]
async fn the_documented_python_device_logs_a_professional_in() {
    let [device] = &blocks(DOCS[1].1, "<!-- device -->", "python")[..] else {
        panic!("one device simulator in docs/integrations.md");
    };
    if std::process::Command::new("python3")
        .arg("--version")
        .output()
        .is_err()
    {
        panic!("python3 is needed to run the documented device simulator");
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("device.py");
    std::fs::write(&path, device).unwrap();
    let (base, handle, mut python) = 'started: {
        for _ in 0..PORT_ATTEMPTS {
            let port = pick_port();
            let channel = format!("http://127.0.0.1:{port}/ciba");
            // The system clock: the device answers a second later, in real time.
            let (base, handle) = serve(Clock::system(), |s| {
                s.ciba.authentication_channel_uri = channel
            });
            let issuer = format!("{base}/auth/realms/esante-wallet");
            let python = tokio::process::Command::new("python3")
                .arg(&path)
                .env("PORT", port.to_string())
                .env("ISSUER", &issuer)
                .current_dir(REPO)
                .stdout(std::process::Stdio::piped())
                .kill_on_drop(true)
                .spawn()
                .expect("python3 starts");
            if let Some(python) = listening(python, port).await {
                break 'started (base, handle, python);
            }
            handle.stop(false).await;
        }
        panic!("the device found no free port in {PORT_ATTEMPTS} attempts");
    };
    let issuer = format!("{base}/auth/realms/esante-wallet");
    let script = format!(
        r#"TLS="--cacert keys/ca.pem --cert keys/client.pem --key keys/client.key"
ID=$(curl -sS $TLS -u psc-mock-client:psc-mock-secret -d login_hint=899700245667 -d scope=openid -d binding_message=42 \
  {issuer}/protocol/openid-connect/ext/ciba/auth | sed -E 's/.*"auth_req_id":"([^"]+)".*/\1/')
for i in $(seq 1 10); do
  sleep 1
  ANSWER=$(curl -sS $TLS -u psc-mock-client:psc-mock-secret -d grant_type=urn:openid:params:grant-type:ciba -d auth_req_id=$ID \
    {issuer}/protocol/openid-connect/token)
  case "$ANSWER" in *access_token*) echo "$ANSWER"; exit 0;; esac
done
echo "no tokens: $ANSWER"; exit 1
"#
    );
    let stdout = run("the device simulator's login", &script, &base).await;
    assert!(stdout.contains("\"id_token\""), "{stdout}");
    python.start_kill().ok();
    let printed = python.wait_with_output().await.unwrap().stdout;
    assert!(
        String::from_utf8_lossy(&printed).contains("authenticate 899700245667 code 42"),
        "{}",
        String::from_utf8_lossy(&printed)
    );
    handle.stop(false).await;
}
