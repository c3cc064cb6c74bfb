//! The `regiograaf` command: see `regiograaf --help`.

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    regiograaf::telemetry::init();
    let cli = regiograaf::cli::Cli::parse();
    match regiograaf::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            std::process::ExitCode::FAILURE
        }
    }
}
