//! The command line: `psc-mock [serve]`, `keys generate`, `compare` (in
//! `compare.rs`) and the others, and the start-up banner that tells a user
//! what to connect with.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand};

mod banner;
pub mod compare;

use crate::ciba::Action;
use crate::config::Settings;
use crate::pki;
use crate::startup::Application;

#[derive(Debug, Parser)]
#[command(
    name = "psc-mock",
    version,
    about = "A mock of Pro Santé Connect: CIBA over mTLS, fixture professionals, scriptable approval.",
    args_conflicts_with_subcommands = true,
    after_help = "Settings: defaults < --config FILE < PSC_MOCK_<SECTION>__<KEY> variables (e.g. PSC_MOCK_CIBA__EXPIRES_IN_S=60) < flags. `psc-mock config` prints the result."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (the default).
    Serve(Box<ServeArgs>),
    /// Print the effective configuration (file, environment, flags) as TOML.
    Config(Box<ServeArgs>),
    /// Run a client against a PSC-like issuer (psc-mock or ANS's test
    /// platform), to check certificates and client settings.
    #[command(subcommand)]
    Client(ClientCommand),
    /// Run the same sequence against two PSC-like issuers (e.g. ANS's test
    /// platform and psc-mock) and print their observable differences,
    /// without values or secrets. Exit 0: none; 1: differences; 2: a step
    /// could not run.
    Compare(Box<compare::CompareArgs>),
    /// Manage the test-only PKI.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Work with annuaire files (fixture professionals).
    #[command(subcommand)]
    Annuaire(AnnuaireCommand),
}

#[derive(Debug, Subcommand)]
pub enum AnnuaireCommand {
    /// Validate an annuaire file as the server would at start.
    Check {
        /// The JSON file to check.
        file: PathBuf,
    },
    /// Write generated professionals as an annuaire file (same seed, same file).
    Generate {
        /// How many professionals.
        #[arg(long, default_value_t = 100)]
        count: usize,
        /// Seed of the random generator.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Output file (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// A whole CIBA login, each step printed: discovery, bc-authorize,
    /// token polls, ID token check, userinfo.
    Ciba(Box<crate::ciba_client::CibaCheck>),
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Generate a CA, server and client certificates and a signing key.
    Generate {
        /// Folder to write into.
        #[arg(long, default_value = "keys")]
        out: PathBuf,
        /// Overwrite existing files.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, Clone, Default, Args)]
pub struct ServeArgs {
    /// TOML configuration file (see config/psc-mock.toml for every key).
    #[arg(long, short, env = "PSC_MOCK_CONFIG")]
    pub config: Option<PathBuf>,
    /// Address to listen on, e.g. 0.0.0.0:8443 (port 0: any free port).
    #[arg(long)]
    pub bind: Option<SocketAddr>,
    /// Base URL clients use, e.g. https://psc-mock:8443.
    #[arg(long)]
    pub public_url: Option<String>,
    /// Approve every CIBA request without a scenario after N ms.
    #[arg(long, value_name = "MS")]
    pub auto_approve_after_ms: Option<u64>,
    /// Serve plain HTTP (behind a TLS-terminating proxy).
    #[arg(long)]
    pub plain_http: bool,
    /// With --plain-http: header carrying the client certificate (URL-encoded PEM).
    #[arg(long, value_name = "HEADER", requires = "plain_http")]
    pub client_cert_header: Option<String>,
    /// Worker threads (0: one per core).
    #[arg(long)]
    pub workers: Option<usize>,
    /// Add N generated professionals to the fixture file's.
    #[arg(long, value_name = "N")]
    pub generated: Option<usize>,
    /// Seed of the generated professionals.
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
    /// Scenario file (JSON scenarios and faults) loaded at start.
    #[arg(long, value_name = "FILE", env = "PSC_MOCK_SCENARIOS")]
    pub scenarios: Option<PathBuf>,
    /// Require "Authorization: Bearer TOKEN" on the control API (/mock/...).
    #[arg(long, value_name = "TOKEN", env = "PSC_MOCK_CONTROL_TOKEN")]
    pub control_token: Option<String>,
    /// Serve the control API on this separate plain-HTTP address instead,
    /// e.g. 127.0.0.1:9090.
    #[arg(long, value_name = "ADDR")]
    pub control_bind: Option<SocketAddr>,
    /// Sign with a fresh RSA key generated at start instead of the
    /// committed test key.
    #[arg(long)]
    pub ephemeral_keys: bool,
    /// Take the issuer and advertised URLs from each request's Host or
    /// X-Forwarded-* headers (one server under several names).
    #[arg(long)]
    pub issuer_from_request: bool,
    /// Advertise the authorization endpoint at /auth, as PSC's wallet page.
    #[arg(long)]
    pub psc_layout: bool,
    /// POST each new CIBA request to this URL, as Keycloak's HTTP
    /// authentication channel does.
    #[arg(long, value_name = "URL")]
    pub authentication_channel: Option<String>,
}

impl ServeArgs {
    /// Defaults, the configuration file, `PSC_MOCK_<SECTION>__<KEY>`
    /// variables, then these flags, in that order.
    pub fn settings(&self) -> Result<Settings, crate::config::ConfigError> {
        let mut settings = Settings::layered(self.config.as_deref(), unicode_env())?;
        if let Some(bind) = self.bind {
            settings.server.bind = bind;
        }
        if let Some(url) = &self.public_url {
            settings.server.public_url.clone_from(url);
        }
        if let Some(ms) = self.auto_approve_after_ms {
            settings.ciba.default_action = Action::Approve;
            settings.ciba.default_after_ms = ms;
        }
        if self.plain_http {
            settings.server.tls = false;
        }
        if let Some(header) = &self.client_cert_header {
            settings.server.client_cert_header.clone_from(header);
        }
        if let Some(workers) = self.workers {
            settings.server.workers = workers;
        }
        if let Some(generated) = self.generated {
            settings.annuaire.generated = generated;
        }
        if let Some(seed) = self.seed {
            settings.annuaire.seed = seed;
        }
        if let Some(file) = &self.scenarios {
            settings.control.scenarios_file = Some(file.clone());
        }
        if let Some(token) = &self.control_token {
            settings.control.token.clone_from(token);
        }
        if let Some(bind) = self.control_bind {
            settings.control.bind = Some(bind);
        }
        settings.pki.ephemeral_keys |= self.ephemeral_keys;
        settings.server.issuer_from_request |= self.issuer_from_request;
        settings.server.psc_layout |= self.psc_layout;
        if let Some(uri) = &self.authentication_channel {
            settings.ciba.authentication_channel_uri.clone_from(uri);
        }
        Ok(settings)
    }
}

/// Runs the server until SIGINT/SIGTERM.
pub async fn serve(args: &ServeArgs) -> Result<(), Box<dyn std::error::Error>> {
    let settings = args.settings()?;
    let app = Application::build(settings)?;
    banner::print(&app);
    app.run_until_stopped().await?;
    Ok(())
}

/// `psc-mock keys generate`.
pub fn generate_keys(out: &Path, force: bool) -> Result<(), Box<dyn std::error::Error>> {
    let settings = Settings::default();
    let ids = [
        settings.clients[0].client_id.as_str(),
        settings.clients[1].client_id.as_str(),
    ];
    let files = pki::generate(ids)?;
    if !force && let Some(existing) = files.iter().find(|f| out.join(f.name).exists()) {
        return Err(format!(
            "{} exists; pass --force to overwrite the PKI in {}",
            out.join(existing.name).display(),
            out.display()
        )
        .into());
    }
    pki::write_generated(out, &files)?;
    for file in &files {
        println!("wrote {}", out.join(file.name).display());
    }
    Ok(())
}

/// `psc-mock annuaire generate --count N --seed S [--out FILE]`.
pub fn generate_annuaire(
    count: usize,
    seed: u64,
    out: Option<&Path>,
) -> Result<(), Box<dyn std::error::Error>> {
    let most = crate::annuaire::MAX_PROFESSIONALS;
    if count > most {
        return Err(format!("--count {count} is more than the annuaire holds ({most})").into());
    }
    let file = crate::annuaire::FixtureFile {
        professionals: crate::annuaire::generate::generate(count, seed),
    };
    let text = file.to_json()?;
    match out {
        Some(path) => {
            std::fs::write(path, text)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            eprintln!(
                "wrote {count} professionals (seed {seed}) to {}",
                path.display()
            );
        }
        None => print!("{text}"),
    }
    Ok(())
}

/// The environment, as text (a variable that is not UTF-8 cannot be one of
/// ours, and is skipped).
fn unicode_env() -> impl Iterator<Item = (String, String)> {
    std::env::vars_os()
        .filter_map(|(name, value)| Some((name.into_string().ok()?, value.into_string().ok()?)))
}

/// `psc-mock config [flags]`: the settings `serve` would run with, as TOML
/// (a valid configuration file).
pub fn print_config(args: &ServeArgs) -> Result<(), Box<dyn std::error::Error>> {
    let settings = args.settings()?;
    settings.validate()?;
    println!("# psc-mock's effective configuration: defaults, then the file, then");
    println!("# PSC_MOCK_<SECTION>__<KEY> variables, then flags. A valid --config file.");
    print!("{}", toml::to_string(&settings)?);
    Ok(())
}

/// `psc-mock annuaire check FILE`.
pub fn check_annuaire(file: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let annuaire = crate::annuaire::Annuaire::load(Some(file))?;
    println!(
        "{}: {} professionals, all valid",
        file.display(),
        annuaire.len()
    );
    Ok(())
}
