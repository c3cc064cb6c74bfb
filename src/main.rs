//! The `regiograaf` command: see `regiograaf --help`.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = match regiograaf::cli::Cli::load() {
        Ok(cli) => cli,
        Err(message) => {
            eprintln!("error: {message}");
            return std::process::ExitCode::FAILURE;
        }
    };
    regiograaf::telemetry::init_with(cli.log_format == "json");
    match regiograaf::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            std::process::ExitCode::FAILURE
        }
    }
}
