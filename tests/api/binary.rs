//! The `psc-mock` binary: its start-up banner, and `keys generate`.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const BIN: &str = env!("CARGO_BIN_EXE_psc-mock");

/// Starts the binary and returns it with the banner lines up to `ready:`.
pub async fn start(args: &[&str], dir: &Path) -> (Child, Vec<String>) {
    let mut child = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the binary starts");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut banner = Vec::new();
    let read = async {
        while let Some(line) = lines.next_line().await.expect("stdout line") {
            let ready = line.starts_with("ready:");
            banner.push(line);
            if ready {
                break;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(20), read)
        .await
        .expect("a ready line within 20 s");
    (child, banner)
}

pub fn field<'a>(banner: &'a [String], name: &str) -> &'a str {
    banner
        .iter()
        .find_map(|l| l.trim_start().strip_prefix(name))
        .unwrap_or_else(|| panic!("{name} missing from {banner:#?}"))
        .trim()
}

#[tokio::test]
async fn the_banner_says_what_to_connect_with_then_ready() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (_child, banner) = start(&["--bind", "127.0.0.1:0"], repo).await;
    let ready = banner.last().unwrap();
    let base = ready
        .strip_prefix("ready: listening on ")
        .expect("ready line names the URL");
    assert_eq!(
        field(&banner, "issuer"),
        format!("{base}/auth/realms/esante-wallet")
    );
    assert_eq!(field(&banner, "client_id"), "psc-mock-client");
    assert_eq!(field(&banner, "client_secret"), "psc-mock-secret");
    for name in ["CA", "client cert", "client key"] {
        let path = repo.join(field(&banner, name));
        assert!(path.exists(), "{name}: {} does not exist", path.display());
    }
    // The printed files are the ones that work.
    let ca = std::fs::read(repo.join(field(&banner, "CA"))).unwrap();
    let identity = [
        std::fs::read(repo.join(field(&banner, "client cert"))).unwrap(),
        std::fs::read(repo.join(field(&banner, "client key"))).unwrap(),
    ]
    .concat();
    let client = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(&ca).unwrap()])
        .identity(reqwest::Identity::from_pem(&identity).unwrap())
        .build()
        .unwrap();
    let status = client
        .post(format!(
            "{}/protocol/openid-connect/ext/ciba/auth",
            field(&banner, "issuer")
        ))
        .basic_auth(
            field(&banner, "client_id"),
            Some(field(&banner, "client_secret")),
        )
        .form(&[
            ("login_hint", "899700245667"),
            ("scope", "openid scope_all"),
        ])
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 200);
}

#[tokio::test]
async fn away_from_the_repository_the_client_files_are_exported() {
    let dir = tempfile::tempdir().unwrap();
    let (_child, banner) = start(&["--bind", "127.0.0.1:0"], dir.path()).await;
    for name in ["CA", "client cert", "client key"] {
        assert!(Path::new(field(&banner, name)).is_absolute(), "{name}");
        assert!(Path::new(field(&banner, name)).exists(), "{name}");
    }
}

#[tokio::test]
async fn a_generated_pki_serves_and_authenticates() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    let status = Command::new(BIN)
        .args(["keys", "generate", "--out"])
        .arg(&keys)
        .status()
        .await
        .unwrap();
    assert!(status.success());
    // A second run refuses to overwrite without --force.
    let again = Command::new(BIN)
        .args(["keys", "generate", "--out"])
        .arg(&keys)
        .output()
        .await
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("--force"));

    let config = dir.path().join("psc-mock.toml");
    let k = |f: &str| keys.join(f).display().to_string();
    std::fs::write(
        &config,
        format!(
            "[pki]\nserver_cert = {:?}\nserver_key = {:?}\nclient_ca = [{:?}]\nsigning_key = {:?}\n",
            k("server.pem"),
            k("server.key"),
            k("ca.pem"),
            k("signing-key.pem")
        ),
    )
    .unwrap();
    let (_child, banner) = start(
        &[
            "--config",
            config.to_str().unwrap(),
            "--bind",
            "127.0.0.1:0",
        ],
        dir.path(),
    )
    .await;
    let read = |f: &str| std::fs::read(keys.join(f)).unwrap();
    let client = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(&read("ca.pem")).unwrap()])
        .identity(
            reqwest::Identity::from_pem(&[read("client.pem"), read("client.key")].concat())
                .unwrap(),
        )
        .build()
        .unwrap();
    let answer = client
        .post(format!(
            "{}/protocol/openid-connect/ext/ciba/auth",
            field(&banner, "issuer")
        ))
        .basic_auth("psc-mock-client", Some("psc-mock-secret"))
        .form(&[("login_hint", "899700245667"), ("scope", "openid")])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);

    // The committed client certificate is from another CA now: refused.
    let committed = [
        crate::helpers::read_key_file("client.pem"),
        crate::helpers::read_key_file("client.key"),
    ]
    .concat();
    let old = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(&read("ca.pem")).unwrap()])
        .identity(reqwest::Identity::from_pem(committed.as_bytes()).unwrap())
        .build()
        .unwrap()
        .get(format!(
            "{}/.well-known/openid-configuration",
            field(&banner, "issuer")
        ))
        .send()
        .await;
    assert!(old.is_err(), "a certificate from the old CA was accepted");
}

#[tokio::test]
async fn a_bad_configuration_is_refused_with_the_key_named() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("bad.toml");
    std::fs::write(&config, "[ciba]\nintervall_s = 3\n").unwrap();
    let output = Command::new(BIN)
        .args(["--config", config.to_str().unwrap()])
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("intervall_s") && stderr.contains("bad.toml"),
        "{stderr}"
    );
}

#[tokio::test]
async fn annuaire_check_accepts_the_bundled_file_and_names_every_problem() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let good = Command::new(BIN)
        .args(["annuaire", "check", "fixtures/annuaire.json"])
        .current_dir(repo)
        .output()
        .await
        .unwrap();
    assert!(
        good.status.success(),
        "{}",
        String::from_utf8_lossy(&good.stderr)
    );
    assert!(String::from_utf8_lossy(&good.stdout).contains("all valid"));

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        r#"{"professionals":[{"idNat":"899700245668","civilite":"X","nom":"","prenom":"A"}]}"#,
    )
    .unwrap();
    let output = Command::new(BIN)
        .args(["annuaire", "check"])
        .arg(&bad)
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    for fragment in [
        "bad.json",
        "899700245668",
        "field idNat",
        "field nom",
        "field civilite",
    ] {
        assert!(
            stderr.contains(fragment),
            "{fragment} missing from {stderr}"
        );
    }
}

async fn generate(count: &str, seed: &str) -> Vec<u8> {
    let output = Command::new(BIN)
        .args(["annuaire", "generate", "--count", count, "--seed", seed])
        .output()
        .await
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

#[tokio::test]
async fn generated_annuaires_are_identical_per_seed_and_pass_the_check() {
    let first = generate("300", "42").await;
    assert_eq!(first, generate("300", "42").await, "same seed, same file");
    assert_ne!(
        first,
        generate("300", "43").await,
        "another seed, other people"
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("generated.json");
    std::fs::write(&file, &first).unwrap();
    let check = Command::new(BIN)
        .args(["annuaire", "check"])
        .arg(&file)
        .output()
        .await
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    assert!(String::from_utf8_lossy(&check.stdout).contains("300 professionals"));
}

#[tokio::test]
async fn generated_professionals_can_log_in_beside_the_fixtures() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (_child, banner) = start(
        &[
            "--bind",
            "127.0.0.1:0",
            "--generated",
            "1000",
            "--seed",
            "5",
            "--auto-approve-after-ms",
            "0",
        ],
        repo,
    )
    .await;
    assert!(
        field(&banner, "professionals").contains("(1000 generated, seed 5)"),
        "{banner:#?}"
    );
    let issuer = field(&banner, "issuer");
    let client = crate::helpers::client(crate::helpers::Who::Client);
    for login_hint in [
        psc_mock::annuaire::generate::id_nat(999),
        "899700245667".to_owned(),
    ] {
        // A professional has e-CPS, a card, or both: ask on a channel they have.
        let mut ack = serde_json::Value::Null;
        for channel in ["MOBILE", "CARD"] {
            ack = client
                .post(format!("{issuer}/protocol/openid-connect/ext/ciba/auth"))
                .basic_auth("psc-mock-client", Some("psc-mock-secret"))
                .form(&[
                    ("login_hint", login_hint.as_str()),
                    ("scope", "openid"),
                    ("channel", channel),
                ])
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if ack["auth_req_id"].is_string() {
                break;
            }
        }
        let id = ack["auth_req_id"]
            .as_str()
            .unwrap_or_else(|| panic!("{login_hint}: {ack}"));
        let tokens = client
            .post(format!("{issuer}/protocol/openid-connect/token"))
            .basic_auth("psc-mock-client", Some("psc-mock-secret"))
            .form(&[
                ("grant_type", crate::helpers::CIBA_GRANT),
                ("auth_req_id", id),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(tokens.status(), 200, "{login_hint}");
    }
}

/// The flags of issue-specific modes show in the banner, and act: a key
/// generated at start is the one the JWKS publishes, the login page is at
/// `/auth`, the channel is named.
#[tokio::test]
async fn the_banner_names_the_signing_key_the_layout_and_the_channel() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (_child, committed) = start(&["--bind", "127.0.0.1:0"], repo).await;
    let committed_kid = field(&committed, "signing key").to_owned();
    assert!(
        committed_kid.ends_with("(the committed test key)"),
        "{committed_kid}"
    );
    let (_child, banner) = start(
        &[
            "--bind",
            "127.0.0.1:0",
            "--ephemeral-keys",
            "--psc-layout",
            "--issuer-from-request",
            "--authentication-channel",
            "http://127.0.0.1:9/device",
        ],
        repo,
    )
    .await;
    let base = banner
        .last()
        .unwrap()
        .strip_prefix("ready: listening on ")
        .unwrap();
    let key = field(&banner, "signing key");
    assert!(key.ends_with("(generated at start)"), "{key}");
    assert_ne!(key, committed_kid);
    assert_eq!(
        field(&banner, "login page"),
        format!("{base}/auth (PSC layout)")
    );
    assert!(field(&banner, "issuer").contains("or under the name each request uses"));
    assert!(field(&banner, "auth channel").starts_with("http://127.0.0.1:9/device"));
    let jwks: serde_json::Value = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(
            &std::fs::read(repo.join("keys/ca.pem")).unwrap(),
        )
        .unwrap()])
        .build()
        .unwrap()
        .get(format!(
            "{base}/auth/realms/esante-wallet/protocol/openid-connect/certs"
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let kid = jwks["keys"][0]["kid"].as_str().unwrap();
    assert!(key.starts_with(&format!("kid {kid} ")), "{key} vs {kid}");
}

/// `psc-mock config` with a file, variables and flags: each layer wins over
/// the one before, and the output is itself a valid configuration file.
#[tokio::test]
async fn configuration_layers_file_then_environment_then_flags() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("psc-mock.toml");
    std::fs::write(
        &file,
        "[ciba]\nexpires_in_s = 60\ninterval_s = 3\n[server]\nbind = \"127.0.0.1:7000\"\n",
    )
    .unwrap();
    let run = |extra_env: &[(&str, &str)], args: &[&str]| {
        let mut command = std::process::Command::new(BIN);
        command.arg("config").args(args);
        for (k, v) in extra_env {
            command.env(k, v);
        }
        command.output().expect("psc-mock config runs")
    };
    let out = run(
        &[
            ("PSC_MOCK_CONFIG", file.to_str().unwrap()),
            ("PSC_MOCK_CIBA__INTERVAL_S", "5"),
            ("PSC_MOCK_SERVER__BIND", "127.0.0.1:7001"),
        ],
        &["--bind", "127.0.0.1:7002"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let effective = psc_mock::config::Settings::from_toml(&text).expect("a valid file");
    assert_eq!(effective.ciba.expires_in_s, 60, "the file");
    assert_eq!(effective.ciba.interval_s, 5, "the variable over the file");
    assert_eq!(
        effective.server.bind.to_string(),
        "127.0.0.1:7002",
        "the flag over both"
    );

    let bad = run(&[("PSC_MOCK_TOKENS__ACCESS_TTL", "60")], &[]);
    assert!(!bad.status.success());
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(
        stderr.contains("environment variable PSC_MOCK_TOKENS__ACCESS_TTL")
            && stderr.contains("access_ttl"),
        "{stderr}"
    );
}

/// `psc-mock client ciba` against the binary: a whole login printed step by
/// step, then a refusal and a wrong secret reported as such, with exit 1.
#[tokio::test]
async fn the_cli_client_runs_a_ciba_login_and_reports_failures() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (_server, banner) = start(
        &["--bind", "127.0.0.1:0", "--auto-approve-after-ms", "300"],
        repo,
    )
    .await;
    let issuer = field(&banner, "issuer").to_owned();
    let client = |extra: &[&str]| {
        let mut command = Command::new(BIN);
        command
            .args(["client", "ciba", "--issuer", &issuer])
            .args(extra)
            .current_dir(repo)
            .kill_on_drop(true);
        async move { command.output().await.expect("the client runs") }
    };

    let ok = client(&[
        "--ca",
        "keys/ca.pem",
        "--cert",
        "keys/client.pem",
        "--key",
        "keys/client.key",
    ])
    .await;
    let out = String::from_utf8_lossy(&ok.stdout);
    assert!(
        ok.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    for step in [
        "1. discovery",
        "2. bc-authorize",
        "3. token",
        "ok: RS256 signature, iss and aud; SubjectNameID 899700245667",
        "ok: ANTOINE BRESSOLIER (899700245667)",
        "CIBA login complete.",
    ] {
        assert!(out.contains(step), "{step:?} missing from:\n{out}");
    }

    // A fixture professional who always refuses.
    let refused = client(&["--login-hint", "899700900105"]).await;
    assert!(!refused.status.success());
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("token: HTTP 400: access_denied"), "{err}");

    let wrong = client(&["--client-secret", "nope"]).await;
    assert!(!wrong.status.success());
    let err = String::from_utf8_lossy(&wrong.stderr);
    assert!(
        err.contains("bc-authorize: HTTP 401: unauthorized_client"),
        "{err}"
    );
}

#[tokio::test]
async fn bound_to_every_address_the_issuer_is_localhost_and_an_open_control_api_is_warned_of() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (_child, banner) = start(&["--bind", "0.0.0.0:0"], repo).await;
    let issuer = field(&banner, "issuer");
    assert!(
        issuer.starts_with("https://localhost:") && issuer.ends_with("/auth/realms/esante-wallet"),
        "never https://0.0.0.0: {issuer}"
    );
    let warning = field(&banner, "WARNING");
    assert!(
        warning.contains("without a control token") && warning.contains("--control-token"),
        "{warning}"
    );
    // With a token, or on loopback, nothing to warn of.
    for args in [
        &["--bind", "0.0.0.0:0", "--control-token", "t0ken"][..],
        &["--bind", "127.0.0.1:0"][..],
    ] {
        let (_child, banner) = start(args, repo).await;
        assert!(
            !banner.iter().any(|l| l.contains("WARNING")),
            "{args:?}: {banner:#?}"
        );
    }
    // The control plane on its own listener is what counts.
    let (_child, banner) = start(
        &["--bind", "127.0.0.1:0", "--control-bind", "0.0.0.0:0"],
        repo,
    )
    .await;
    assert!(field(&banner, "control API").starts_with("http://localhost:"));
    assert!(field(&banner, "WARNING").contains("0.0.0.0"));
}
