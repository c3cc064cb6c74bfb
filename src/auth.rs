//! Who is calling: bearer tokens from trusted issuers, and the organisation they speak for.
//!
//! Partners run their own identity providers, so several issuers are trusted, each with its
//! own keys, audience and claim names ([`config`]). A token is checked strictly ([`token`]):
//! the algorithm must be the one of the key that verifies it, and `exp`, `nbf`, `iss` and
//! `aud` are required and checked. The organisation a token names is read for the request
//! ([`viewer`]), or kept between requests only where the database reports every change to it
//! ([`cache`]), so deactivating it or removing a membership takes effect at once.
//! No token means anonymous; a bad token is `UNAUTHENTICATED`, never a silent anonymous.
//! The trusted issuers can be replaced while the service runs, for key rotation ([`trust`]).

pub mod cache;
pub mod config;
pub mod token;
pub mod trust;
pub mod viewer;

pub use config::{AnonymousAccess, AuthConfig};
pub use trust::Trust;
pub use viewer::{Role, Viewer};
