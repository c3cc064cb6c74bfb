//! The `regiograaf` command: see `regiograaf --help`.

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = regiograaf::cli::Cli::parse();
    regiograaf::telemetry::init_with(cli.log_format == "json");
    match regiograaf::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            std::process::ExitCode::FAILURE
        }
    }
}
