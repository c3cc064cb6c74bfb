//! The `regiograaf` command: see `regiograaf --help`.

/// mimalloc rather than glibc's malloc: under load the latter cost a third of the CPU and
/// kept hundreds of megabytes in per-thread arenas (see bench/README section in README.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
