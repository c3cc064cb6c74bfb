//! regiograaf: a GraphQL API over the regional collaboration agendas of Dutch health care.
//!
//! Municipalities, insurers, care offices, the GGD and care providers agree per region on
//! themes, goals and initiatives. This crate serves that data over GraphQL to the portals of
//! the regional collaboration organisations, the partners' systems and analysts.
//!
//! # Layout
//! - [`cli`]: the command line (`serve`, `migrate`, `schema`, `import`, `export`).
//! - [`config`]: the optional configuration file.
//! - [`app`]: builds the application from its settings: database, schema, router.
//! - [`http`]: the axum router, the GraphQL-over-HTTP handler, and the GraphiQL and Voyager
//!   pages with their embedded browser files (`web/`, installed by `build.rs`).
//! - [`graphql`]: the schema: API types, query roots, DataLoaders, paging, filters.
//! - [`dataset`]: the bundled agendas, their file format, import and export.
//! - [`auth`]: tokens, trusted issuers and the caller ([`auth::Viewer`]).
//! - [`policy`]: who may see what: the one declarative policy table.
//! - [`write`]: every change, with its audit entry, change event and history.
//! - [`limits`]: what one request may ask and how often an organisation may ask.
//! - [`metrics`]: Prometheus metrics.
//! - [`operations`]: persisted operations and per-organisation allow-lists.
//! - [`notify`]: waking subscribers across instances (PostgreSQL LISTEN/NOTIFY).
//! - [`domain`]: the vocabularies (kinds, roles, statuses) shared by all of the above.
//! - [`db`]: connecting, migrating, counting statements.
//! - [`coalesce`]: cross-request batching of small statements (group commit).
//! - [`error`]: the one error type and its stable codes.
//! - [`ids`]: global ids and references by code.
//! - `entity/` (crate): the SeaORM entities; `migration/` (crate): the schema steps.

pub mod app;
pub mod auth;
pub mod cli;
pub mod coalesce;
pub mod config;
pub mod dataset;
pub mod db;
pub mod domain;
pub mod error;
pub mod graphql;
pub mod http;
pub mod ids;
pub mod limits;
pub mod metrics;
pub mod notify;
pub mod operations;
pub mod policy;
pub mod telemetry;
pub mod write;
