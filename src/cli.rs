//! The command line: `serve` (the default), `migrate`, `schema`, `import`, `export`.

use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

use crate::app::{App, Settings};
use crate::auth::{AnonymousAccess, AuthConfig, Role, Trust, token};
use crate::db::{self, DEFAULT_DATABASE_URL};

/// regiograaf: a GraphQL API over the regional collaboration agendas of Dutch health care.
#[derive(Parser, Debug)]
#[command(version, about)]
pub struct Cli {
    /// The database: an SQLite file (`sqlite://path?mode=rwc`) or PostgreSQL
    /// (`postgres://user@host/db`).
    #[arg(long, global = true, env = "REGIOGRAAF_DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,

    /// The trusted token issuers and the anonymous-access setting (a YAML file, see the
    /// README). Without it, the embedded SQLite demo trusts development tokens
    /// (`regiograaf token`) and serves the public layer to anonymous callers; any other
    /// database trusts no issuer and refuses anonymous callers.
    #[arg(long, global = true, env = "REGIOGRAAF_AUTH_CONFIG")]
    pub auth_config: Option<PathBuf>,

    /// A YAML file with settings (see src/config.rs); flags and variables override it.
    #[arg(long, global = true, env = "REGIOGRAAF_CONFIG")]
    pub config: Option<PathBuf>,

    /// Log lines as `text` or `json` (one object per line); `RUST_LOG` sets the level.
    #[arg(long, global = true, env = "REGIOGRAAF_LOG_FORMAT", default_value = "text", value_parser = ["text", "json"])]
    pub log_format: String,

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
        /// What callers without a token may do: `public` (read the public layer) or
        /// `refuse`; overrides the configuration file.
        #[arg(long, env = "REGIOGRAAF_ANONYMOUS", value_parser = ["public", "refuse"])]
        anonymous: Option<String>,
        /// A browser origin allowed to call the API (a portal), e.g.
        /// `https://portaal.example.nl`; repeat for several, or comma-separate in the variable.
        #[arg(
            long = "cors-origin",
            env = "REGIOGRAAF_CORS_ORIGINS",
            value_delimiter = ','
        )]
        cors_origins: Vec<String>,
        /// Requests per minute per organisation (anonymous callers: per IP address).
        #[arg(long, env = "REGIOGRAAF_RATE_PER_MINUTE", default_value_t = 1_200)]
        rate_per_minute: u32,
        /// Requests an organisation may send at once above its rate.
        #[arg(long, env = "REGIOGRAAF_RATE_BURST", default_value_t = 200)]
        rate_burst: u32,
        /// Query cost (the complexity each response reports) an organisation may spend per
        /// minute; the cost of a query is its complexity.
        #[arg(long, env = "REGIOGRAAF_COST_PER_MINUTE", default_value_t = 3_000_000)]
        cost_per_minute: u32,
        /// Query cost an organisation may spend at once above its rate.
        #[arg(long, env = "REGIOGRAAF_COST_BURST", default_value_t = 1_000_000)]
        cost_burst: u32,
        /// Longest a request may run (`30s`, `1m`).
        #[arg(long, env = "REGIOGRAAF_REQUEST_TIMEOUT", default_value = "30s")]
        request_timeout: String,
        /// Longest one SQL statement may run on PostgreSQL.
        #[arg(long, env = "REGIOGRAAF_STATEMENT_TIMEOUT", default_value = "15s")]
        statement_timeout: String,
        /// Who may introspect the schema: everyone, authenticated or nobody.
        #[arg(long, env = "REGIOGRAAF_INTROSPECTION", default_value = "everyone", value_parser = ["everyone", "authenticated", "nobody"])]
        introspection: String,
        /// Megabytes of query answers kept until a write changes the data (each only for
        /// the caller that asked); 0 turns the cache off.
        #[arg(long, env = "REGIOGRAAF_RESPONSE_CACHE_MB", default_value_t = 32)]
        response_cache_mb: u64,
    },
    /// Mint a development token (signed with the development issuer's secret) and print only
    /// the token, so that `$(regiograaf token --org gemeente-haarlem)` works.
    Token {
        /// The code of the organisation (party) the token speaks for.
        #[arg(long)]
        org: String,
        /// The role: viewer, editor, coordinator or admin.
        #[arg(long, default_value = "viewer", value_parser = ["viewer", "editor", "coordinator", "admin"])]
        role: String,
        /// How long the token is valid (`30m`, `1h`, `7d`).
        #[arg(long, default_value = "1h")]
        ttl: String,
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

impl Cli {
    /// Parses the command line, then takes from the configuration file every setting that
    /// neither a flag nor a variable gave.
    pub fn load() -> Result<Cli, String> {
        use clap::{CommandFactory, FromArgMatches};
        let mut matches = Cli::command().get_matches();
        if matches.subcommand().is_none() {
            // No command means `serve`: parse again with it, so that its variables
            // (REGIOGRAAF_LISTEN, ...) are read too.
            let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
            args.push("serve".into());
            matches = Cli::command().get_matches_from(args);
        }
        let mut cli = Cli::from_arg_matches(&matches).map_err(|e| e.to_string())?;
        if cli.command.is_none() {
            cli.command = Some(default_serve());
        }
        let Some(path) = cli.config.clone() else {
            return Ok(cli);
        };
        let file = crate::config::read(&path)?;
        let given = |m: Option<&clap::ArgMatches>, id: &str| {
            m.and_then(|m| m.value_source(id)).is_some_and(|s| {
                matches!(
                    s,
                    clap::parser::ValueSource::CommandLine | clap::parser::ValueSource::EnvVariable
                )
            })
        };
        let from_file = |m: Option<&clap::ArgMatches>, id: &str| {
            if given(m, id) {
                None
            } else {
                file.get(id).cloned()
            }
        };
        let top = Some(&matches);
        if let Some(v) = from_file(top, "database_url") {
            cli.database_url = v;
        }
        if let Some(v) = from_file(top, "auth_config") {
            cli.auth_config = Some(PathBuf::from(v));
        }
        if let Some(v) = from_file(top, "log_format") {
            cli.log_format = v;
        }
        let serve = matches.subcommand_matches("serve");
        if let Some(Command::Serve {
            listen,
            anonymous,
            cors_origins,
            rate_per_minute,
            rate_burst,
            cost_per_minute,
            cost_burst,
            request_timeout,
            statement_timeout,
            introspection,
            response_cache_mb,
            ..
        }) = &mut cli.command
        {
            let bad = |key: &str, v: &str| format!("{}: `{key}: {v}` is not valid", path.display());
            if let Some(v) = from_file(serve, "listen") {
                *listen = v.parse().map_err(|_| bad("listen", &v))?;
            }
            if let Some(v) = from_file(serve, "anonymous") {
                *anonymous = Some(v);
            }
            if let Some(v) = from_file(serve, "cors_origins") {
                *cors_origins = v
                    .split(',')
                    .map(|o| o.trim().to_string())
                    .filter(|o| !o.is_empty())
                    .collect();
            }
            if let Some(v) = from_file(serve, "rate_per_minute") {
                *rate_per_minute = v.parse().map_err(|_| bad("rate_per_minute", &v))?;
            }
            if let Some(v) = from_file(serve, "rate_burst") {
                *rate_burst = v.parse().map_err(|_| bad("rate_burst", &v))?;
            }
            if let Some(v) = from_file(serve, "cost_per_minute") {
                *cost_per_minute = v.parse().map_err(|_| bad("cost_per_minute", &v))?;
            }
            if let Some(v) = from_file(serve, "cost_burst") {
                *cost_burst = v.parse().map_err(|_| bad("cost_burst", &v))?;
            }
            if let Some(v) = from_file(serve, "request_timeout") {
                *request_timeout = v;
            }
            if let Some(v) = from_file(serve, "statement_timeout") {
                *statement_timeout = v;
            }
            if let Some(v) = from_file(serve, "introspection") {
                *introspection = v;
            }
            if let Some(v) = from_file(serve, "response_cache_mb") {
                *response_cache_mb = v.parse().map_err(|_| bad("response_cache_mb", &v))?;
            }
        }
        Ok(cli)
    }
}

/// `serve` with its defaults, for a command line without a command.
fn default_serve() -> Command {
    Command::Serve {
        listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
        no_seed: false,
        anonymous: None,
        cors_origins: Vec::new(),
        rate_per_minute: 1_200,
        rate_burst: 200,
        cost_per_minute: 3_000_000,
        cost_burst: 1_000_000,
        request_timeout: "30s".into(),
        statement_timeout: "15s".into(),
        introspection: "everyone".into(),
        response_cache_mb: 32,
    }
}

/// Runs a parsed command line; the error is printed to standard error.
pub async fn run(cli: Cli) -> Result<(), String> {
    let command = cli.command.unwrap_or_else(default_serve);
    match command {
        Command::Serve {
            listen,
            no_seed,
            anonymous,
            cors_origins,
            rate_per_minute,
            rate_burst,
            cost_per_minute,
            cost_burst,
            request_timeout,
            statement_timeout,
            introspection,
            response_cache_mb,
        } => {
            let duration = |flag: &str, text: &str| {
                humantime::parse_duration(text).map_err(|e| format!("--{flag}: {e}"))
            };
            let limits = crate::limits::Limits {
                requests_per_minute: rate_per_minute,
                burst: rate_burst,
                cost_per_minute,
                cost_burst,
                request_timeout: duration("request-timeout", &request_timeout)?,
                statement_timeout: duration("statement-timeout", &statement_timeout)?,
                introspection: introspection.parse()?,
                response_cache_bytes: response_cache_mb.saturating_mul(1024 * 1024),
                ..Default::default()
            };
            let anonymous = match anonymous.as_deref() {
                Some("public") => Some(AnonymousAccess::Public),
                Some("refuse") => Some(AnonymousAccess::Refuse),
                _ => None,
            };
            let trust = match cli.auth_config {
                Some(path) => Trust::from_file(path, anonymous)?,
                None => {
                    let mut auth = auth_config(None, &cli.database_url)?;
                    auth.anonymous = anonymous.unwrap_or(auth.anonymous);
                    Trust::fixed(auth)
                }
            };
            if trust.config().issuers.is_empty() {
                tracing::warn!(
                    "no token issuer is configured: give --auth-config to let partners in"
                );
            }
            tracing::info!(auth = ?trust.config(), "authentication");
            let settings = Settings {
                database_url: cli.database_url,
                listen,
                seed: !no_seed,
                auth: std::sync::Arc::new(trust),
                limits,
                cors_origins,
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
        Command::Token { org, role, ttl } => {
            let ttl = humantime::parse_duration(&ttl).map_err(|e| format!("--ttl: {e}"))?;
            let role = Role::parse(&role).ok_or("--role: viewer, editor, coordinator or admin")?;
            let db = db::connect(&cli.database_url)
                .await
                .map_err(|e| e.message())?;
            db::migrate(&db.conn).await.map_err(|e| e.message())?;
            crate::dataset::seed_if_empty(&db.conn)
                .await
                .map_err(|e| e.to_string())?;
            use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
            let known = entity::party::Entity::find()
                .filter(entity::party::Column::Code.eq(org.as_str()))
                .one(&db.conn)
                .await
                .map_err(|e| crate::error::AppError::from(e).message())?;
            if known.is_none() {
                return Err(format!(
                    "no party with code `{org}` (list them with `{{ parties {{ nodes {{ code name }} }} }}`)"
                ));
            }
            let auth = auth_config(cli.auth_config.as_deref(), &cli.database_url)?;
            println!("{}", token::mint(&auth, &org, role, ttl.as_secs())?);
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

/// The authentication settings: the file when given; otherwise development tokens and public
/// anonymous access for the embedded SQLite demo, and nothing trusted for any other database.
fn auth_config(path: Option<&std::path::Path>, database_url: &str) -> Result<AuthConfig, String> {
    match path {
        Some(path) => AuthConfig::from_file(path),
        None if database_url.starts_with("sqlite:") => Ok(AuthConfig::development()),
        None => Ok(AuthConfig::locked()),
    }
}
