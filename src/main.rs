//! The `psc-mock` binary: parse the command line, set up logging, run.

use clap::Parser;
use psc_mock::cli::{
    AnnuaireCommand, Cli, ClientCommand, Command, KeysCommand, check_annuaire, generate_annuaire,
    generate_keys, print_config, serve,
};

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "psc_mock=info,actix_server=warn".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = Cli::parse();
    let result = match &cli.command {
        None => serve(&cli.serve).await,
        Some(Command::Serve(args)) => serve(args).await,
        Some(Command::Config(args)) => print_config(args),
        Some(Command::Client(ClientCommand::Ciba(args))) => {
            psc_mock::ciba_client::run(args).await.map_err(Into::into)
        }
        Some(Command::Compare(args)) => return psc_mock::cli::compare::run(args).await,
        Some(Command::Keys(KeysCommand::Generate { out, force })) => generate_keys(out, *force),
        Some(Command::Annuaire(AnnuaireCommand::Check { file })) => check_annuaire(file),
        Some(Command::Annuaire(AnnuaireCommand::Generate { count, seed, out })) => {
            generate_annuaire(*count, *seed, out.as_deref())
        }
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("psc-mock: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
