//! Interoperability with panva's `openid-client` (npm, v6), the most used
//! OpenID Connect relying-party library of Node.js, driving psc-mock as a
//! connecting service would (`tests/interop/node/rp.mjs`): discovery with the
//! mTLS endpoint aliases; a CIBA poll-mode login approved through the control
//! API; a code flow with PKCE S256, state and nonce; refresh; userinfo with
//! the subject checked; introspection. Every request presents the client
//! certificate and authenticates with `client_secret_basic`, and every ID
//! token passes openid-client's own validation, its signature included
//! (`enableNonRepudiationChecks`: verified against the JWKS of `jwks_uri`).
//! Nothing is worked around on the client side: psc-mock must satisfy the
//! library unchanged.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::process::Command;
use tokio::sync::OnceCell;

use crate::helpers::{CLIENT_ID, PRO, SECRET, spawn_app_with};

const NODE_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop/node");
const KEYS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/keys");
/// Registered for this test only, with `auto_login`.
const REDIRECT: &str = "http://127.0.0.1:8080/openid-client/callback";
/// The steps rp.mjs reports, in order.
const STEPS: [&str; 7] = [
    "discovery",
    "ciba",
    "authorization_code",
    "refresh",
    "userinfo",
    "introspection",
    "done",
];

/// `npm ci` once per test binary, whichever test asks first.
static NPM_CI: OnceCell<Result<(), String>> = OnceCell::const_new();

/// Installs the pinned packages of package-lock.json unless a complete
/// install of it is there: `npm ci` writes node_modules/.package-lock.json
/// last, so an interrupted install, or a package-lock.json changed since
/// (newer), installs again.
async fn npm_ci() -> Result<(), String> {
    let dir = Path::new(NODE_DIR);
    let modified = |path: &Path| std::fs::metadata(path).and_then(|m| m.modified()).ok();
    let installed = modified(&dir.join("node_modules/.package-lock.json"));
    let locked = modified(&dir.join("package-lock.json"));
    if installed.is_some() && installed >= locked {
        return Ok(());
    }
    let run = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--prefix"])
        .arg(dir)
        .current_dir(dir)
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(300), run)
        .await
        .map_err(|_| "npm ci took more than 300 s".to_owned())?
        .map_err(|e| format!("npm ci does not start: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "npm ci failed ({}):\n{}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

/// What rp.mjs printed, for failure messages.
fn transcript(stdout: &str, stderr: &str) -> String {
    format!("--- rp.mjs stdout ---\n{stdout}\n--- rp.mjs stderr ---\n{stderr}")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

#[tokio::test]
#[cfg_attr(
    not(psc_mock_has_node),
    ignore = "needs node and npm; CI installs them"
)]
async fn openid_client_ciba_code_flow_refresh_userinfo_introspection() {
    if let Err(e) = NPM_CI.get_or_init(npm_ci).await {
        panic!("{e}");
    }
    // The server's clock is stopped (spawn_app_with): tokens stay valid for
    // the whole run, and rp.mjs approves the CIBA request before its first
    // poll, so that one poll collects the tokens (a second poll at a stopped
    // clock would be "too fast": slow_down).
    let app = spawn_app_with(|settings| {
        let client = &mut settings.clients[0];
        assert_eq!(client.client_id, CLIENT_ID);
        client.redirect_uris.push(REDIRECT.to_owned());
        client.auto_login = true;
    })
    .await;

    // The script's output goes to files, so that a run stopped by the
    // timeout still shows how far it got.
    let out = tempfile::tempdir().expect("temporary directory");
    let (stdout_path, stderr_path) = (out.path().join("stdout"), out.path().join("stderr"));
    let stdout_file = std::fs::File::create(&stdout_path).expect("stdout file");
    let stderr_file = std::fs::File::create(&stderr_path).expect("stderr file");
    let mut child = Command::new("node")
        .arg(format!("{NODE_DIR}/rp.mjs"))
        .current_dir(NODE_DIR)
        .env("ISSUER", &app.issuer)
        .env("CA_FILE", format!("{KEYS}/ca.pem"))
        .env("CERT_FILE", format!("{KEYS}/client.pem"))
        .env("KEY_FILE", format!("{KEYS}/client.key"))
        .env("CLIENT_ID", CLIENT_ID)
        .env("CLIENT_SECRET", SECRET)
        .env("CONTROL_URL", format!("{}/mock", app.base))
        .env("LOGIN_HINT", PRO)
        .env("REDIRECT_URI", REDIRECT)
        .stdin(Stdio::null())
        .stdout(stdout_file)
        .stderr(stderr_file)
        .kill_on_drop(true)
        .spawn()
        .expect("node starts (is it on PATH?)");
    let status = match tokio::time::timeout(Duration::from_secs(60), child.wait()).await {
        Ok(status) => status.expect("node runs"),
        Err(_) => {
            let _ = child.kill().await;
            panic!(
                "rp.mjs did not finish within 60 s\n{}",
                transcript(&read(&stdout_path), &read(&stderr_path))
            );
        }
    };
    let (stdout, stderr) = (read(&stdout_path), read(&stderr_path));
    assert!(
        status.success(),
        "rp.mjs failed ({status})\n{}",
        transcript(&stdout, &stderr)
    );

    let lines: Vec<Value> = stdout
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|e| {
                panic!(
                    "not a JSON line: {line:?} ({e})\n{}",
                    transcript(&stdout, &stderr)
                )
            })
        })
        .collect();
    let steps: Vec<&str> = lines.iter().filter_map(|l| l["step"].as_str()).collect();
    assert_eq!(steps, STEPS, "{}", transcript(&stdout, &stderr));
    assert!(
        lines.iter().all(|l| l["ok"] == true),
        "{}",
        transcript(&stdout, &stderr)
    );
    let step = |name: &str| lines.iter().find(|l| l["step"] == name).expect("step");
    assert_eq!(step("discovery")["issuer"], app.issuer.as_str());
    assert_eq!(step("userinfo")["SubjectNameID"], PRO);
    assert_eq!(step("introspection")["client_id"], CLIENT_ID);
    // The CIBA login and the code flow authenticated the same professional.
    assert_eq!(step("ciba")["sub"], step("authorization_code")["sub"]);
}
