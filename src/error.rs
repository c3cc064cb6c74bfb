//! The one error type of the service and its stable codes.
//!
//! Every failure a client can see becomes an [`AppError`] whose variant decides the
//! `extensions.code` of the GraphQL error. Database and other internal failures are logged here,
//! once, with their detail, and reach the client only as `INTERNAL` or `UNAVAILABLE` with a
//! generic message: internals never leave the process.

use async_graphql::ErrorExtensions;
use sea_orm::{DbErr, RuntimeErr};

/// A failure with a stable, documented code.
///
/// It deliberately does not implement `Display`: async-graphql converts every `Display` type
/// into an error without a code, and the explicit `From` below is what keeps the code when a
/// resolver uses `?`.
#[derive(Clone, Debug)]
pub enum AppError {
    /// The input is malformed or violates a rule: the message says which value and why.
    /// Code `BAD_USER_INPUT`.
    BadUserInput {
        message: String,
        /// Where in the input the problem is (`filter.region`), when known.
        path: Option<String>,
    },
    /// The token is missing where one is required, invalid, expired, or names an unknown or
    /// deactivated organisation. Code `UNAUTHENTICATED` (HTTP 401).
    Unauthenticated(String),
    /// The caller may not read or change this; `rule` names the policy rule that withheld it.
    /// Code `FORBIDDEN`.
    Forbidden { rule: &'static str, message: String },
    /// The record changed since the version the client read (`expectedVersion`); the current
    /// version travels in `extensions.currentVersion`. Code `CONFLICT`.
    Conflict { current_version: i32 },
    /// The record asked for does not exist (or is hidden from the caller). Code `NOT_FOUND`.
    NotFound(String),
    /// The database cannot be reached or timed out; retrying later may succeed.
    /// Code `UNAVAILABLE`.
    Unavailable,
    /// A bug or an unexpected state; details are in the server log. Code `INTERNAL`.
    Internal,
}

/// The `Result` of everything that can fail with an [`AppError`].
pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    /// A `BAD_USER_INPUT` error about the input at `path`.
    pub fn bad_input(path: impl Into<String>, message: impl Into<String>) -> Self {
        let path = path.into();
        AppError::BadUserInput {
            message: format!("{}: {}", path, message.into()),
            path: Some(path),
        }
    }

    /// The message sent to the client: never an internal detail.
    pub fn message(&self) -> String {
        match self {
            AppError::BadUserInput { message, .. } => message.clone(),
            AppError::NotFound(message) => message.clone(),
            AppError::Unauthenticated(message) => message.clone(),
            AppError::Conflict { current_version } => format!(
                "the record has changed: it is at version {current_version}; read it again and retry"
            ),
            AppError::Forbidden { message, .. } => message.clone(),
            AppError::Unavailable => "the database is unavailable, try again later".into(),
            AppError::Internal => "internal error".into(),
        }
    }

    /// The stable code carried in `extensions.code`.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::BadUserInput { .. } => "BAD_USER_INPUT",
            AppError::NotFound(_) => "NOT_FOUND",
            AppError::Unauthenticated(_) => "UNAUTHENTICATED",
            AppError::Conflict { .. } => "CONFLICT",
            AppError::Forbidden { .. } => "FORBIDDEN",
            AppError::Unavailable => "UNAVAILABLE",
            AppError::Internal => "INTERNAL",
        }
    }
}

impl From<DbErr> for AppError {
    /// Sorts a database error into "try again" (connection, pool, timeout) and "our bug"; the
    /// detail is logged here and never sent.
    fn from(err: DbErr) -> Self {
        if is_unavailable(&err) {
            tracing::warn!(error = %err, "database unavailable");
            if !is_conflict(&err) && !matches!(err, DbErr::ConnectionAcquire(_)) {
                crate::db::connection_lost();
            }
            AppError::Unavailable
        } else {
            tracing::error!(error = %err, "database error");
            AppError::Internal
        }
    }
}

/// PostgreSQL ended this statement to break a deadlock or a serialization conflict: the
/// connection is fine.
fn is_conflict(err: &DbErr) -> bool {
    sqlstate(err).is_some_and(|code| code == "40P01" || code == "40001")
}

/// The SQLSTATE of an error the database returned.
fn sqlstate(err: &DbErr) -> Option<std::borrow::Cow<'_, str>> {
    match err {
        DbErr::Query(RuntimeErr::SqlxError(e)) | DbErr::Exec(RuntimeErr::SqlxError(e)) => {
            e.as_database_error().and_then(|d| d.code())
        }
        _ => None,
    }
}

fn is_unavailable(err: &DbErr) -> bool {
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        // The server ended the connection: it is shutting down, restarting or an operator
        // terminated it (SQLSTATE class 57, operator intervention, except 57014 a cancelled
        // statement, and class 08, connection exception). Or PostgreSQL broke a deadlock or
        // a serialization conflict by ending this statement (40P01, 40001): nothing was
        // written, and the same request sent again succeeds.
        _ if is_conflict(err)
            || sqlstate(err).is_some_and(|code| {
                code.starts_with("08") || (code.starts_with("57") && code != "57014")
            }) =>
        {
            true
        }
        other => {
            let text = other.to_string().to_ascii_lowercase();
            [
                "pool timed out",
                "connection refused",
                "connection reset",
                "broken pipe",
                "io error",
                "error communicating with database",
                "closed",
            ]
            .iter()
            .any(|needle| text.contains(needle))
        }
    }
}

impl From<AppError> for async_graphql::Error {
    fn from(err: AppError) -> Self {
        let code = err.code();
        let path = match &err {
            AppError::BadUserInput { path, .. } => path.clone(),
            _ => None,
        };
        let current_version = match &err {
            AppError::Conflict { current_version } => Some(*current_version),
            _ => None,
        };
        let rule = match &err {
            AppError::Forbidden { rule, .. } => Some(*rule),
            _ => None,
        };
        async_graphql::Error::new(err.message()).extend_with(|_, ext| {
            ext.set("code", code);
            if let Some(path) = path {
                ext.set("field", path);
            }
            if let Some(rule) = rule {
                ext.set("rule", rule);
            }
            if let Some(version) = current_version {
                ext.set("currentVersion", version);
            }
        })
    }
}
