//! Starting the service for a test: a fresh database per test, cloned from a template that is
//! migrated and loaded with the bundled agendas once per test run.

pub use regiograaf::app::{App, Settings};
use regiograaf::db::StatementCounter;
use serde_json::{Value, json};
use std::sync::atomic::{AtomicU32, Ordering};
use tokio::sync::OnceCell;

/// The database a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A running service and a client for it.
pub struct TestApp {
    pub url: String,
    pub client: reqwest::Client,
    pub statements: StatementCounter,
    pub database_url: String,
}

static SQLITE_TEMPLATE: OnceCell<std::path::PathBuf> = OnceCell::const_new();
static POSTGRES_TEMPLATE: OnceCell<String> = OnceCell::const_new();
static COUNTER: AtomicU32 = AtomicU32::new(0);

/// The URL of the throwaway PostgreSQL cluster's admin database; fails loudly when missing so
/// that PostgreSQL tests never skip silently.
pub fn postgres_admin_url() -> String {
    std::env::var("REGIOGRAAF_TEST_POSTGRES_URL").unwrap_or_else(|_| {
        panic!("REGIOGRAAF_TEST_POSTGRES_URL is not set: run the tests with scripts/test, which starts a throwaway PostgreSQL")
    })
}

fn unique(prefix: &str) -> String {
    format!(
        "{prefix}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

async fn seed_into(database_url: &str) {
    let db = regiograaf::db::connect(database_url)
        .await
        .expect("connect template");
    regiograaf::db::migrate(&db.conn)
        .await
        .expect("migrate template");
    regiograaf::dataset::seed_if_empty(&db.conn)
        .await
        .expect("seed template");
    db.conn.close().await.expect("close template");
}

async fn admin_exec(sql: &str) {
    use sea_orm::ConnectionTrait;
    sweep_postgres().await;
    let admin = sea_orm::Database::connect(postgres_admin_url())
        .await
        .expect("PostgreSQL is not reachable");
    admin.execute_unprepared(sql).await.expect(sql);
    admin.close().await.ok();
}

fn postgres_url(database: &str) -> String {
    let admin = postgres_admin_url();
    let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
    format!("{base}/{database}")
}

/// The directory of the tests' SQLite databases and files.
pub fn tests_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join("regiograaf-tests");
    std::fs::create_dir_all(&dir).unwrap();
    sweep_files(&dir);
    dir
}

/// Whether the test process `pid` has ended. Only Linux can tell; elsewhere nothing is swept.
fn ended(pid: u32) -> bool {
    pid != std::process::id()
        && std::path::Path::new("/proc/self").exists()
        && !std::path::Path::new(&format!("/proc/{pid}")).exists()
}

/// The test process that made `name` (`prefix_pid_n` or `prefix-pid-n`), if it names one.
fn maker(name: &str) -> Option<u32> {
    name.split(['_', '-', '.']).nth(1)?.parse().ok()
}

/// A test's database outlives the test (to look into after a failure), so a run removes what
/// the runs before it left once their process has ended: without this, runs against a
/// long-lived temp dir or PostgreSQL piled up gigabytes.
fn sweep_files(dir: &std::path::Path) {
    static SWEPT: std::sync::Once = std::sync::Once::new();
    SWEPT.call_once(|| {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().to_string();
            if maker(&name).is_some_and(ended) {
                let path = entry.path();
                let _ = std::fs::remove_dir_all(&path).or_else(|_| std::fs::remove_file(&path));
            }
        }
    });
}

/// The PostgreSQL side of [`sweep_files`]: the databases of ended test processes.
async fn sweep_postgres() {
    use sea_orm::ConnectionTrait;
    static SWEPT: OnceCell<()> = OnceCell::const_new();
    SWEPT
        .get_or_init(|| async {
            let admin = sea_orm::Database::connect(postgres_admin_url())
                .await
                .expect("PostgreSQL is not reachable");
            let names = admin
                .query_all_raw(sea_orm::Statement::from_string(
                    sea_orm::DatabaseBackend::Postgres,
                    "SELECT datname FROM pg_database WHERE datname ~ '^(empty|test|template)_[0-9]+_[0-9]+$'",
                ))
                .await
                .expect("list the test databases");
            for row in names {
                let name: String = row.try_get("", "datname").unwrap();
                if maker(&name).is_some_and(ended) {
                    let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                    admin.execute_unprepared(&drop).await.ok();
                }
            }
            admin.close().await.ok();
        })
        .await;
}

/// A new, empty database of `backend`, migrated only when `migrated`.
pub async fn empty_database(backend: Backend) -> String {
    match backend {
        Backend::Sqlite => {
            let dir = tests_dir();
            format!(
                "sqlite://{}?mode=rwc",
                dir.join(format!("{}.sqlite", unique("empty"))).display()
            )
        }
        Backend::Postgres => {
            let name = unique("empty");
            admin_exec(&format!("CREATE DATABASE {name}")).await;
            postgres_url(&name)
        }
    }
}

/// A fresh database of `backend` holding the bundled agendas.
pub async fn seeded_database(backend: Backend) -> String {
    match backend {
        Backend::Sqlite => {
            let template = SQLITE_TEMPLATE
                .get_or_init(|| async {
                    let dir = tests_dir();
                    let path = dir.join(format!("{}.sqlite", unique("template")));
                    seed_into(&format!("sqlite://{}?mode=rwc", path.display())).await;
                    path
                })
                .await;
            let copy = template.with_file_name(format!("{}.sqlite", unique("test")));
            std::fs::copy(template, &copy).unwrap();
            format!("sqlite://{}?mode=rwc", copy.display())
        }
        Backend::Postgres => {
            let template = POSTGRES_TEMPLATE
                .get_or_init(|| async {
                    let name = unique("template");
                    admin_exec(&format!("CREATE DATABASE {name}")).await;
                    seed_into(&postgres_url(&name)).await;
                    name
                })
                .await;
            let name = unique("test");
            admin_exec(&format!("CREATE DATABASE {name} TEMPLATE {template}")).await;
            postgres_url(&name)
        }
    }
}

impl TestApp {
    /// The service on port 0 over a fresh copy of the bundled agendas.
    pub async fn spawn(backend: Backend) -> TestApp {
        let database_url = seeded_database(backend).await;
        Self::spawn_on(backend, database_url).await
    }

    /// The service on port 0 over `database_url`.
    pub async fn spawn_on(backend: Backend, database_url: String) -> TestApp {
        Self::spawn_with(
            backend,
            database_url,
            regiograaf::auth::AuthConfig::development(),
        )
        .await
    }

    /// The service on port 0 over `database_url`, trusting the issuers of `auth`.
    pub async fn spawn_with(
        backend: Backend,
        database_url: String,
        auth: regiograaf::auth::AuthConfig,
    ) -> TestApp {
        let settings = Settings {
            database_url,
            listen: "127.0.0.1:0".parse().unwrap(),
            seed: true,
            auth: std::sync::Arc::new(regiograaf::auth::Trust::fixed(auth)),
            // Tests send many requests quickly, and deep queries: the rate and complexity
            // limits have their own tests.
            limits: regiograaf::limits::Limits {
                requests_per_minute: 1_000_000,
                burst: 100_000,
                max_complexity: 10_000_000,
                cost_per_minute: u32::MAX,
                cost_burst: u32::MAX,
                ..Default::default()
            },
            cors_origins: vec!["https://portaal.example.nl".into()],
        };
        Self::spawn_settings(backend, settings).await
    }

    /// The service on port 0 over a fresh copy of the bundled agendas, with `limits`.
    pub async fn spawn_with_limits(
        backend: Backend,
        limits: regiograaf::limits::Limits,
    ) -> TestApp {
        let settings = Settings {
            database_url: seeded_database(backend).await,
            listen: "127.0.0.1:0".parse().unwrap(),
            seed: true,
            auth: std::sync::Arc::new(regiograaf::auth::Trust::fixed(
                regiograaf::auth::AuthConfig::development(),
            )),
            limits,
            cors_origins: Vec::new(),
        };
        Self::spawn_settings(backend, settings).await
    }

    /// The service on port 0 with `settings` (its `listen` is ignored).
    pub async fn spawn_settings(backend: Backend, settings: Settings) -> TestApp {
        regiograaf::telemetry::init();
        let database_url = settings.database_url.clone();
        let app = App::build(&settings).await.expect("the app starts");
        let url = format!("http://{}", app.local_addr());
        let statements = app.db.statements.clone();
        tokio::spawn(app.run());
        let _ = backend;
        TestApp {
            url,
            client: reqwest::Client::new(),
            statements,
            database_url,
        }
    }

    /// POSTs `query` with `variables` and returns the JSON body (asserting HTTP 200).
    pub async fn query(&self, query: &str, variables: Value) -> Value {
        let response = self
            .client
            .post(format!("{}/graphql", self.url))
            .header("content-type", "application/json")
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("request sent");
        assert_eq!(response.status(), 200, "HTTP status");
        response.json().await.expect("JSON body")
    }

    /// POSTs `query` with `variables` as `token` (or anonymously): the status and the body.
    pub async fn send(&self, token: Option<&str>, query: &str, variables: Value) -> (u16, Value) {
        let mut request = self
            .client
            .post(format!("{}/graphql", self.url))
            .header("content-type", "application/json");
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let response = request
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("request sent");
        let status = response.status().as_u16();
        (status, response.json().await.expect("JSON body"))
    }

    /// POSTs `query` with `token` (if any), asserts HTTP 200 and no errors, returns `data`.
    pub async fn data_with(&self, token: Option<&str>, query: &str) -> Value {
        let (status, body) = self.send(token, query, json!({})).await;
        assert_eq!(status, 200, "HTTP status");
        assert!(body.get("errors").is_none(), "unexpected errors: {body:#}");
        body["data"].clone()
    }

    /// Like [`query`](Self::query) but asserts there are no errors and returns `data`.
    pub async fn data(&self, query: &str, variables: Value) -> Value {
        let body = self.query(query, variables).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body:#}");
        body["data"].clone()
    }
}

/// The `extensions.code` of the first error of a response.
pub fn first_code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("(none)")
}

/// Declares a test that runs once on SQLite and once on PostgreSQL.
#[macro_export]
macro_rules! on_both {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                ($body)($crate::helpers::Backend::Sqlite).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                ($body)($crate::helpers::Backend::Postgres).await
            }
        }
    };
}

/// Starts the real binary over `database_url` on a free port; returns the child and its URL.
pub async fn start_binary(
    database_url: &str,
    config: &std::path::Path,
) -> (std::process::Child, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_regiograaf"))
        .args(["--database-url", database_url, "--auth-config"])
        .arg(config)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("RUST_LOG", "error")
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}");
    for _ in 0..100 {
        if reqwest::get(format!("{url}/healthz")).await.is_ok() {
            return (child, url);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    child.kill().ok();
    child.wait().ok();
    panic!("the server did not start");
}

/// A directory of its own under the system's temp dir, removed with all it holds when
/// dropped, also when the test fails.
pub struct Scratch(std::path::PathBuf);

impl Scratch {
    /// A new empty directory named after `name` and this process.
    pub fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("regiograaf-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch directory");
        Scratch(dir)
    }

    pub fn join(&self, name: &str) -> std::path::PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
