//! The integration tests: one binary whose helpers start the real service on port 0 over a
//! fresh database, SQLite or PostgreSQL. `scripts/test` runs them with a throwaway
//! PostgreSQL cluster; without one, the PostgreSQL variants fail rather than skip.

mod helpers;

mod aggregates;
mod auth;
mod dataset;
mod errors;
mod http_audit;
mod http_protocol;
mod limits;
mod paging;
mod reads;
mod records;
mod response_cache;
mod schema_contract;
mod statements;
mod subscriptions;
mod sync;
mod web;
mod writes;
