//! `psc-mock compare ISSUER_A ISSUER_B`: flags, and the exit status of the
//! report (`crate::compare` does the work).

use std::path::PathBuf;
use std::process::ExitCode;

use crate::client_http::ClientSettings;
use crate::compare::{Side, compare};

/// What `compare` is given: the `client ciba` flags for both sides, and a
/// few per-side overrides.
#[derive(Debug, Clone, clap::Args)]
pub struct CompareArgs {
    /// The first issuer: `https://HOST/auth/realms/REALM`.
    pub issuer_a: String,
    /// The second issuer.
    pub issuer_b: String,
    #[command(flatten)]
    pub client: ClientSettings,
    /// Approve each CIBA request through psc-mock's control API instead of
    /// waiting for the professional (both issuers must be psc-mock).
    #[arg(long)]
    pub approve_with_control_api: bool,
    #[command(flatten)]
    pub a: OverridesA,
    #[command(flatten)]
    pub b: OverridesB,
}

/// Settings of side A that differ from the common ones.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct OverridesA {
    /// --client-id for A only.
    #[arg(long, value_name = "ID")]
    pub a_client_id: Option<String>,
    /// --client-secret for A only.
    #[arg(long, value_name = "SECRET")]
    pub a_client_secret: Option<String>,
    /// --login-hint for A only.
    #[arg(long, value_name = "IDNAT")]
    pub a_login_hint: Option<String>,
    /// --cert for A only.
    #[arg(long, value_name = "FILE", requires = "a_key")]
    pub a_cert: Option<PathBuf>,
    /// --key for A only.
    #[arg(long, value_name = "FILE", requires = "a_cert")]
    pub a_key: Option<PathBuf>,
}

/// Settings of side B that differ from the common ones.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct OverridesB {
    /// --client-id for B only.
    #[arg(long, value_name = "ID")]
    pub b_client_id: Option<String>,
    /// --client-secret for B only.
    #[arg(long, value_name = "SECRET")]
    pub b_client_secret: Option<String>,
    /// --login-hint for B only.
    #[arg(long, value_name = "IDNAT")]
    pub b_login_hint: Option<String>,
    /// --cert for B only.
    #[arg(long, value_name = "FILE", requires = "b_key")]
    pub b_cert: Option<PathBuf>,
    /// --key for B only.
    #[arg(long, value_name = "FILE", requires = "b_cert")]
    pub b_key: Option<PathBuf>,
}

/// One side's settings: the common ones with its overrides.
fn side(
    label: char,
    issuer: &str,
    common: &ClientSettings,
    overrides: [Option<&String>; 3],
    identity: (Option<&PathBuf>, Option<&PathBuf>),
    approve_with_control_api: bool,
) -> Side {
    let mut client = common.clone();
    let [id, secret, hint] = overrides;
    if let Some(id) = id {
        client.client_id.clone_from(id);
    }
    if let Some(secret) = secret {
        client.client_secret.clone_from(secret);
    }
    if let Some(hint) = hint {
        client.login_hint.clone_from(hint);
    }
    if let (Some(cert), Some(key)) = identity {
        client.cert = Some(cert.clone());
        client.key = Some(key.clone());
    }
    Side {
        label,
        issuer: issuer.to_owned(),
        client,
        approve_with_control_api,
    }
}

impl CompareArgs {
    /// Both sides, overrides applied.
    pub fn sides(&self) -> (Side, Side) {
        let (a, b) = (&self.a, &self.b);
        (
            side(
                'A',
                &self.issuer_a,
                &self.client,
                [
                    a.a_client_id.as_ref(),
                    a.a_client_secret.as_ref(),
                    a.a_login_hint.as_ref(),
                ],
                (a.a_cert.as_ref(), a.a_key.as_ref()),
                self.approve_with_control_api,
            ),
            side(
                'B',
                &self.issuer_b,
                &self.client,
                [
                    b.b_client_id.as_ref(),
                    b.b_client_secret.as_ref(),
                    b.b_login_hint.as_ref(),
                ],
                (b.b_cert.as_ref(), b.b_key.as_ref()),
                self.approve_with_control_api,
            ),
        )
    }
}

/// Runs the comparison, prints the table on stdout (what to approve on
/// stderr) and returns its exit status: 0 no difference, 1 differences,
/// 2 a step could not run.
pub async fn run(args: &CompareArgs) -> ExitCode {
    let (a, b) = args.sides();
    let report = compare(&a, &b, &|message| eprintln!("{message}")).await;
    let hidden: Vec<&str> = [&a, &b]
        .iter()
        .flat_map(|s| {
            [
                s.client.client_secret.as_str(),
                s.client.login_hint.as_str(),
            ]
        })
        .collect();
    print!("{}", report.render(&a.issuer, &b.issuer, &hidden));
    ExitCode::from(report.exit_code())
}
