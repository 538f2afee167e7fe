//! `psc-mock compare` against two psc-mock servers in this process: set up
//! differently, the differences are the table's rows and the status is 1;
//! set up alike, no row and 0; an issuer that cannot be reached, 2. The
//! table never shows the secret, the login hint or a token.

use psc_mock::client_http::ClientSettings;
use psc_mock::compare::{Observed, Report, Side, compare, observe};
use tokio::process::Command;

use crate::helpers::{CLIENT_ID, PRO, SECRET, TestApp, refused_port, spawn_app_with};

const BIN: &str = env!("CARGO_BIN_EXE_psc-mock");

fn settings() -> ClientSettings {
    ClientSettings {
        client_id: CLIENT_ID.to_owned(),
        client_secret: SECRET.to_owned(),
        cert: None,
        key: None,
        ca: None,
        login_hint: PRO.to_owned(),
        scope: "openid scope_all".to_owned(),
        timeout_s: 30,
    }
}

fn side(label: char, issuer: &str) -> Side {
    Side {
        label,
        issuer: issuer.to_owned(),
        client: settings(),
        approve_with_control_api: true,
    }
}

async fn run(a: &TestApp, b: &TestApp) -> Report {
    compare(&side('A', &a.issuer), &side('B', &b.issuer), &|_| {}).await
}

/// The row at `path`, as `(A, B)`.
fn row<'a>(report: &'a Report, path: &str) -> Option<(&'a str, &'a str)> {
    let row = report.rows.iter().find(|r| r.path == path)?;
    Some((row.a.as_str(), row.b.as_str()))
}

/// The table `psc-mock compare` prints, and its exit status.
async fn cli(a: &str, b: &str) -> (Option<i32>, String) {
    cli_with(a, b, &[]).await
}

async fn cli_with(a: &str, b: &str, extra: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(BIN)
        .args(["compare", a, b, "--approve-with-control-api"])
        .args(["--client-secret", SECRET, "--login-hint", PRO])
        .args(extra)
        .kill_on_drop(true)
        .output()
        .await
        .expect("psc-mock compare runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    (out.status.code(), stdout)
}

#[tokio::test]
async fn two_differently_configured_servers_differ_in_the_rows_of_their_settings() {
    let a = spawn_app_with(|_| {}).await;
    let b = spawn_app_with(|s| {
        s.clients[0].certificate_bound_access_tokens = true;
        s.tokens.access_token_ttl_s = 600;
    })
    .await;
    let report = run(&a, &b).await;
    assert!(report.failures.is_empty(), "{report:#?}");
    assert_eq!(report.exit_code(), 1);
    assert_eq!(
        row(&report, "token.access_token.claims.cnf"),
        Some(("(missing)", "object"))
    );
    assert_eq!(
        row(&report, "token.access_token.claims.cnf.x5t#S256"),
        Some(("(missing)", "string"))
    );
    assert_eq!(
        row(&report, "token.response.expires_in"),
        Some(("120", "600"))
    );
    assert_eq!(
        row(&report, "token.access_token.lifetime_s"),
        Some(("120", "600"))
    );
    assert_eq!(
        row(&report, "refresh.response.expires_in"),
        Some(("120", "600"))
    );
    // The ID token and userinfo are the same shape on both sides.
    assert!(
        !report
            .rows
            .iter()
            .any(|r| r.path.starts_with("userinfo") || r.path.starts_with("token.id_token")),
        "{report:#?}"
    );

    let (status, table) = cli(&a.issuer, &b.issuer).await;
    assert_eq!(status, Some(1), "{table}");
    assert!(
        table
            .lines()
            .any(|line| line.starts_with("token.access_token.claims.cnf: ")
                && line.ends_with(" (missing) | object")),
        "{table}"
    );
    for value in [SECRET, PRO, "eyJ"] {
        assert!(!table.contains(value), "{value} printed:\n{table}");
    }
}

#[tokio::test]
async fn two_servers_configured_alike_show_no_difference_and_every_step_ran() {
    let a = spawn_app_with(|_| {}).await;
    let b = spawn_app_with(|_| {}).await;
    let report = run(&a, &b).await;
    assert_eq!(report, Report::default(), "{report:#?}");

    // What one side shows, step by step (the rows a difference would have).
    let seen = observe(&side('A', &a.issuer), &|_| {}).await;
    assert!(seen.failed.is_empty(), "{:#?}", seen.failed);
    let value = |v: &str| Some(Observed::Value(v.to_owned()));
    let kind = |t: &'static str| Some(Observed::Type(t));
    for (path, expected) in [
        ("discovery.wallet.issuer", kind("string")),
        ("jwks.key_count", value("1")),
        ("bc_authorize.expires_in", value("120")),
        ("token.response.token_type", value("Bearer")),
        (
            "token.access_token.header.kid",
            Some(Observed::Presence(true)),
        ),
        ("token.refresh_token.header.alg", value("HS512")),
        ("token.id_token.claims.SubjectNameID", kind("string")),
        ("userinfo.SubjectRefPro", kind("object")),
        ("introspect.active", value("true")),
        ("refresh.response.refresh_expires_in", value("1800")),
        ("errors.unknown_auth_req_id.error", value("invalid_grant")),
        ("errors.wrong_client_secret.status", value("401")),
        ("errors.unknown_scope.error", value("invalid_scope")),
        (
            "errors.invalid_access_token.www_authenticate.error",
            value("invalid_token"),
        ),
        ("errors.missing_login_hint.error", value("invalid_request")),
    ] {
        assert_eq!(seen.fields.get(path).cloned(), expected, "{path}");
    }
    assert!(
        matches!(seen.fields.get("discovery.openid.grant_types_supported[]"),
            Some(Observed::Members(m)) if m.contains("urn:openid:params:grant-type:ciba")),
        "{:#?}",
        seen.fields
    );

    let (status, table) = cli(&a.issuer, &b.issuer).await;
    assert_eq!(status, Some(0), "{table}");
    assert!(table.ends_with("no difference\n"), "{table}");
}

#[tokio::test]
async fn what_both_sides_show_of_each_step() {
    // A different realm and interval: the discovery URLs differ in value,
    // not in shape; the interval is a row.
    let a = spawn_app_with(|_| {}).await;
    let b = spawn_app_with(|s| {
        s.server.realm = "other-realm".into();
        s.ciba.interval_s = 2;
    })
    .await;
    let report = run(&a, &b).await;
    assert_eq!(report.exit_code(), 1, "{report:#?}");
    assert_eq!(report.rows.len(), 1, "{report:#?}");
    assert_eq!(row(&report, "bc_authorize.interval"), Some(("1", "2")));
}

#[tokio::test]
async fn an_issuer_that_cannot_be_reached_is_a_step_that_could_not_run() {
    let a = spawn_app_with(|_| {}).await;
    let (_held, port) = refused_port();
    let b = format!("https://127.0.0.1:{port}/auth/realms/esante-wallet");
    let (status, table) = cli(&a.issuer, &b).await;
    assert_eq!(status, Some(2), "{table}");
    assert!(
        table.contains("could not run on B: discovery.openid: discovery: the request failed"),
        "{table}"
    );
    assert!(
        table.contains("0 differences in the steps that ran")
            || table.contains("no difference in the steps that ran"),
        "{table}"
    );
}

#[tokio::test]
async fn a_side_given_another_secret_cannot_log_in_and_its_steps_are_named() {
    let a = spawn_app_with(|_| {}).await;
    let b = spawn_app_with(|_| {}).await;
    let (status, table) = cli_with(
        &a.issuer,
        &b.issuer,
        &["--b-client-secret", "not-the-secret"],
    )
    .await;
    assert_eq!(status, Some(2), "{table}");
    assert!(
        table.contains("could not run on B: bc_authorize: bc-authorize: HTTP 401"),
        "{table}"
    );
    assert!(
        table.contains("could not run on B: token: not run: bc_authorize could not run"),
        "{table}"
    );
    assert!(!table.contains("not-the-secret"), "{table}");
}
