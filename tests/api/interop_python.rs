//! Interoperability with Python relying parties from PyPI, run as written in
//! `tests/interop/python/` against a server of the suite:
//!
//! - `code_flow.py`: **authlib** (with requests) completes a code flow with
//!   PKCE S256, `nonce`, `login_hint` and `acr_values=eidas1`, exchanges the
//!   code with `client_secret_basic` over mutual TLS, validates the ID token
//!   as authlib's own OpenID client does (signature against the JWKS, `iss`,
//!   `aud`, `exp`, `iat`, `nonce`, `at_hash`), then reads userinfo with the
//!   access token and no client certificate, as ANS's own services call it,
//!   and finds PSC's `SubjectNameID`, `SubjectRefPro`, `SubjectOrganization`;
//!   with `scope=scope_all` alone (no `openid`), an access token and no ID
//!   token come back.
//! - `ciba_poll.py`: the polling loop of ANS's CIBA intermediate server
//!   (ansforge/psc-edc-proxy-esante), transcribed with plain requests: it
//!   waits `interval`, ignores which error each poll gets, never slows down,
//!   and stops at tokens or once `expires_in` has gone by; then it reads
//!   `refresh_expires_in` and `session_state` from the token response and
//!   `session_state` from the access token. Once with HTTP Basic and the
//!   certificate, once with the certificate alone (`client_id` in the form).
//!
//! The scripts' pinned dependencies (`requirements.txt`, with hashes) go
//! into a virtualenv at `target/interop/python-venv`, made once per run and
//! kept while `requirements.txt` does not change.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use psc_mock::clock::Clock;
use tokio::io::AsyncReadExt;
use tokio::sync::OnceCell;

use crate::helpers::{CLIENT_ID, PRO, SECRET, TestApp, spawn_app_with};

const REPO: &str = env!("CARGO_MANIFEST_DIR");
/// Registered for the default client by these tests; nothing listens there:
/// the scripts read the redirect.
const REDIRECT: &str = "http://127.0.0.1:8080/interop/python/callback";
/// How long one script may run.
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(60);
/// How long making the virtualenv may take (it downloads from PyPI).
const INSTALL_TIMEOUT: Duration = Duration::from_secs(600);

fn scripts() -> PathBuf {
    Path::new(REPO).join("tests/interop/python")
}

/// The virtualenv's python, with `requirements.txt` installed: made by the
/// first test that needs it, awaited by the others.
async fn python() -> &'static Path {
    static VENV: OnceCell<PathBuf> = OnceCell::const_new();
    VENV.get_or_init(|| async {
        let venv = Path::new(REPO).join("target/interop/python-venv");
        let python = venv.join("bin/python");
        let requirements = scripts().join("requirements.txt");
        let wanted = std::fs::read_to_string(&requirements).expect("requirements.txt");
        // What the venv was made from: reused while it is the same.
        let stamp = venv.join("requirements.installed");
        if python.exists() && std::fs::read_to_string(&stamp).ok().as_deref() == Some(&*wanted) {
            return python;
        }
        if venv.exists() {
            std::fs::remove_dir_all(&venv).expect("remove the old virtualenv");
        }
        std::fs::create_dir_all(venv.parent().unwrap()).expect("target/interop");
        install_step(
            tokio::process::Command::new("python3")
                .args(["-m", "venv"])
                .arg(venv.as_os_str()),
            "python3 -m venv",
        )
        .await;
        install_step(
            tokio::process::Command::new(&python)
                .args([
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                    "--require-hashes",
                    "-r",
                ])
                .arg(requirements.as_os_str()),
            "pip install -r tests/interop/python/requirements.txt",
        )
        .await;
        std::fs::write(stamp, wanted).expect("write the virtualenv's stamp");
        python
    })
    .await
    .as_path()
}

async fn install_step(command: &mut tokio::process::Command, what: &str) {
    let output = tokio::time::timeout(
        INSTALL_TIMEOUT,
        command.stdin(Stdio::null()).kill_on_drop(true).output(),
    )
    .await
    .unwrap_or_else(|_| panic!("{what}: still running after {INSTALL_TIMEOUT:?}"))
    .unwrap_or_else(|e| panic!("{what}: cannot start: {e}"));
    assert!(
        output.status.success(),
        "{what}: {}\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// What a script printed and how it ended.
struct Run {
    ok: bool,
    stdout: String,
    /// Status, stdout and stderr, for assertion messages.
    report: String,
}

/// Runs `script` with the virtualenv's python and `vars` (plus the test
/// PKI), for at most [`SCRIPT_TIMEOUT`].
async fn run_script(script: &str, vars: &[(&str, &str)]) -> Run {
    let keys = Path::new(REPO).join("keys");
    let mut child = tokio::process::Command::new(python().await)
        .arg(scripts().join(script))
        .env("CA_FILE", keys.join("ca.pem"))
        .env("CERT_FILE", keys.join("client.pem"))
        .env("KEY_FILE", keys.join("client.key"))
        .env("CLIENT_ID", CLIENT_ID)
        .env("CLIENT_SECRET", SECRET)
        .env("LOGIN_HINT", PRO)
        .env("PYTHONUNBUFFERED", "1")
        .envs(vars.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the virtualenv's python starts");
    let stdout = read_all(child.stdout.take().unwrap());
    let stderr = read_all(child.stderr.take().unwrap());
    let waited = tokio::time::timeout(SCRIPT_TIMEOUT, child.wait()).await;
    let status = match waited {
        Ok(status) => Some(status.expect("wait for the script")),
        Err(_) => {
            child.start_kill().ok();
            child.wait().await.ok();
            None
        }
    };
    let stdout = stdout.await.unwrap();
    let stderr = stderr.await.unwrap();
    let ended = status.map_or_else(
        || format!("killed after {SCRIPT_TIMEOUT:?}"),
        |s| s.to_string(),
    );
    Run {
        ok: status.is_some_and(|s| s.success()),
        report: format!("{script}: {ended}\n--- stdout\n{stdout}--- stderr\n{stderr}"),
        stdout,
    }
}

fn read_all(
    mut pipe: impl tokio::io::AsyncRead + Unpin + Send + 'static,
) -> tokio::task::JoinHandle<String> {
    tokio::spawn(async move {
        let mut bytes = Vec::new();
        pipe.read_to_end(&mut bytes).await.ok();
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// A server whose default client logs `login_hint` in without the page.
async fn code_flow_server() -> TestApp {
    spawn_app_with(|settings| {
        settings.clients[0].redirect_uris.push(REDIRECT.into());
        settings.clients[0].auto_login = true;
    })
    .await
}

/// The suite's servers run on a fixed clock; the CIBA scripts wait in real
/// time. While this lives, the server's clock moves with real time, a
/// quarter faster: a poll sent a real `interval` after the last one is then
/// never seen early because of the ticks' granularity (one early poll would
/// be a `slow_down`, which the ANS loop never recovers from).
struct RunningClock(tokio::task::JoinHandle<()>);

impl RunningClock {
    const TICK: Duration = Duration::from_millis(10);

    fn start(clock: Clock) -> Self {
        Self(tokio::spawn(async move {
            let start = Instant::now();
            let mut moved = Duration::ZERO;
            loop {
                tokio::time::sleep(Self::TICK).await;
                let target = start.elapsed() * 5 / 4;
                clock.advance(target.saturating_sub(moved));
                moved = target;
            }
        }))
    }
}

impl Drop for RunningClock {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The ANS loop in `mode`, the professional approving 1.5 s (server time)
/// after the request.
async fn ans_ciba_loop(mode: &str) {
    let app = spawn_app_with(|settings| {
        // Bounds a failing run: the loop stops once expires_in has gone by.
        settings.ciba.expires_in_s = 30;
    })
    .await;
    let _running = RunningClock::start(app.clock.clone());
    let control = format!("{}/mock", app.base);
    let run = run_script(
        "ciba_poll.py",
        &[
            ("ISSUER", app.issuer.as_str()),
            ("AUTH_MODE", mode),
            ("CONTROL_URL", control.as_str()),
            ("APPROVE_AFTER_MS", "1500"),
        ],
    )
    .await;
    assert!(run.ok, "{}", run.report);
    let polls: usize = run
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("OK: ")?.strip_suffix(" polls")?.parse().ok())
        .unwrap_or_else(|| panic!("no \"OK: N polls\" line\n{}", run.report));
    assert!(
        (1..=4).contains(&polls),
        "{polls} polls for an approval 1.5 s after the request\n{}",
        run.report
    );
}

#[tokio::test]
#[cfg_attr(
    not(psc_mock_has_python),
    ignore = "needs python3 with venv; CI installs it"
)]
async fn authlib_code_flow_with_pkce_and_userinfo() {
    let app = code_flow_server().await;
    let run = run_script(
        "code_flow.py",
        &[("ISSUER", app.issuer.as_str()), ("REDIRECT_URI", REDIRECT)],
    )
    .await;
    assert!(run.ok, "{}", run.report);
    for step in [
        "ID token: valid",
        "userinfo (no certificate): SubjectNameID",
    ] {
        assert!(run.stdout.contains(step), "no {step:?}\n{}", run.report);
    }
}

/// PSC answers `scope=scope_all` without `openid` with an access token and
/// no ID token. Only the token response is asserted: what userinfo answers
/// such a token is printed, not checked.
#[tokio::test]
#[cfg_attr(
    not(psc_mock_has_python),
    ignore = "needs python3 with venv; CI installs it"
)]
async fn scope_all_alone_gives_an_access_token_and_no_id_token_to_authlib() {
    let app = code_flow_server().await;
    let run = run_script(
        "code_flow.py",
        &[
            ("ISSUER", app.issuer.as_str()),
            ("REDIRECT_URI", REDIRECT),
            ("SCOPE", "scope_all"),
        ],
    )
    .await;
    assert!(run.ok, "{}", run.report);
    assert!(
        run.stdout.contains("id_token absent"),
        "an ID token came\n{}",
        run.report
    );
}

#[tokio::test]
#[cfg_attr(
    not(psc_mock_has_python),
    ignore = "needs python3 with venv; CI installs it"
)]
async fn ans_ciba_loop_with_basic_secret_and_certificate() {
    ans_ciba_loop("basic").await;
}

#[tokio::test]
#[cfg_attr(
    not(psc_mock_has_python),
    ignore = "needs python3 with venv; CI installs it"
)]
async fn ans_ciba_loop_with_certificate_only() {
    ans_ciba_loop("cert").await;
}
