//! The command line: `serve` (the default), `migrate`, `schema`, `import`, `export`.

use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

use crate::app::{App, Settings};
use crate::db::{self, DEFAULT_DATABASE_URL};

/// regiograaf: a GraphQL API over the regional collaboration agendas of Dutch health care.
#[derive(Parser, Debug)]
#[command(version, about)]
pub struct Cli {
    /// The database: an SQLite file (`sqlite://path?mode=rwc`) or PostgreSQL
    /// (`postgres://user@host/db`).
    #[arg(long, global = true, env = "REGIOGRAAF_DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the API (the default): migrates the database and, when it is empty, loads the
    /// bundled agendas.
    Serve {
        /// The address to listen on.
        #[arg(long, env = "REGIOGRAAF_LISTEN", default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Do not load the bundled agendas into an empty database.
        #[arg(long)]
        no_seed: bool,
    },
    /// Apply pending migrations and exit.
    Migrate,
    /// Print the schema (SDL) to standard output.
    Schema,
    /// Validate data files and load them in one transaction (all or nothing).
    Import {
        /// The data files (YAML) to import.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Validate and report what would change, without writing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Write the database's agendas back as data files into a directory.
    Export {
        /// The directory to write to (created if missing).
        dir: PathBuf,
    },
}

/// Runs a parsed command line; the error is printed to standard error.
pub async fn run(cli: Cli) -> Result<(), String> {
    let command = cli.command.unwrap_or(Command::Serve {
        listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
        no_seed: false,
    });
    match command {
        Command::Serve { listen, no_seed } => {
            let settings = Settings {
                database_url: cli.database_url,
                listen,
                seed: !no_seed,
            };
            let app = App::build(&settings).await?;
            let addr = app.local_addr();
            tracing::info!(
                "regiograaf is listening: GraphiQL at http://{addr}/, the API at http://{addr}/graphql"
            );
            app.run().await
        }
        Command::Migrate => {
            let db = db::connect(&cli.database_url)
                .await
                .map_err(|e| e.message())?;
            db::migrate(&db.conn).await.map_err(|e| e.message())?;
            eprintln!("migrations are up to date");
            Ok(())
        }
        Command::Schema => {
            print!("{}", crate::graphql::sdl());
            Ok(())
        }
        Command::Import { paths, dry_run } => {
            let db = db::connect(&cli.database_url)
                .await
                .map_err(|e| e.message())?;
            db::migrate(&db.conn).await.map_err(|e| e.message())?;
            let report = crate::dataset::import_paths(&db.conn, &paths, dry_run, true)
                .await
                .map_err(|e| e.to_string())?;
            println!("{report}");
            Ok(())
        }
        Command::Export { dir } => {
            let db = db::connect(&cli.database_url)
                .await
                .map_err(|e| e.message())?;
            let written = crate::dataset::export_dir(&db.conn, &dir)
                .await
                .map_err(|e| e.to_string())?;
            eprintln!("wrote {written} files to {}", dir.display());
            Ok(())
        }
    }
}
