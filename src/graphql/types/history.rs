//! What changed: an initiative's status history, and the audit trail of every write.

use async_graphql::{Context, Enum, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::{audit_entry, status_change};

use super::{Party, loaders};
use crate::domain::InitiativeStatus;
use crate::graphql::loaders::row;

/// A change of an initiative's status or progress report (statuswijziging): who reported
/// it, for when, and why.
#[derive(Clone, Debug)]
pub struct StatusChange(pub status_change::Model);

/// A change of an initiative's status or progress report (statuswijziging): who reported
/// it, for when, and why.
#[Object]
impl StatusChange {
    /// The value before (a status such as `running`, or the previous progress report).
    async fn from(&self) -> Option<&str> {
        self.0.old_value.as_deref()
    }

    /// The value after.
    async fn to(&self) -> Option<&str> {
        self.0.new_value.as_deref()
    }

    /// The note given with the change.
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }

    /// When the change took effect (the partner's `asOf`, or when it was made).
    async fn effective_at(&self) -> DateTime<Utc> {
        self.0.effective_at
    }

    /// When the change was recorded here.
    async fn recorded_at(&self) -> DateTime<Utc> {
        self.0.changed_at
    }

    /// The organisation that made the change.
    async fn organisation(&self, ctx: &Context<'_>) -> Result<Option<Party>> {
        match self.0.party_id {
            Some(id) => Ok(row(loaders(ctx).party(), id).await?.map(Party)),
            None => Ok(None),
        }
    }
}

/// The status an initiative had at `at`, from its history: the last change that took effect
/// by then, or, before any change, the value the first change started from.
pub fn status_at(
    history: &[status_change::Model],
    current: &str,
    at: DateTime<Utc>,
) -> Option<InitiativeStatus> {
    let mut changes: Vec<&status_change::Model> =
        history.iter().filter(|c| c.field == "status").collect();
    changes.sort_by_key(|c| (c.effective_at, c.id));
    let value = match changes.iter().rev().find(|c| c.effective_at <= at) {
        Some(change) => change.new_value.clone(),
        None => match changes.first() {
            Some(first) => first.old_value.clone(),
            None => Some(current.to_string()),
        },
    };
    value.and_then(|v| InitiativeStatus::from_db(&v))
}

/// What kind of write an audit entry records.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuditOperation {
    /// A record was created.
    Create,
    /// A record was changed.
    Update,
    /// A record was deleted.
    Delete,
    /// A link was added.
    Link,
    /// A link was removed.
    Unlink,
}

/// One changed field of an audit entry.
#[derive(SimpleObject, Clone, Debug)]
pub struct FieldChange {
    /// The field (its GraphQL name).
    pub field: String,
    /// The value before; null when withheld.
    pub before: Option<async_graphql::Json<serde_json::Value>>,
    /// The value after; null when withheld.
    pub after: Option<async_graphql::Json<serde_json::Value>>,
    /// True when the caller may not read this field of the record: its values stay withheld
    /// here too.
    pub withheld: bool,
}

/// One write in the audit trail (audittrail): who changed what, when, through which token
/// and request, with each field before and after.
#[derive(Clone, Debug)]
pub struct AuditEntry {
    pub model: audit_entry::Model,
    /// The changes, with guarded values already withheld for this caller.
    pub changes: Vec<FieldChange>,
}

/// One write in the audit trail (audittrail): who changed what, when, through which token
/// and request, with each field before and after.
#[Object]
impl AuditEntry {
    /// When the write was made.
    async fn at(&self) -> DateTime<Utc> {
        self.model.at
    }

    /// What kind of write.
    async fn operation(&self) -> AuditOperation {
        match self.model.operation.as_str() {
            "create" => AuditOperation::Create,
            "delete" => AuditOperation::Delete,
            "link" => AuditOperation::Link,
            "unlink" => AuditOperation::Unlink,
            _ => AuditOperation::Update,
        }
    }

    /// The kind of record (`initiative`).
    async fn entity(&self) -> &str {
        &self.model.entity
    }

    /// The global id of the record (it may since have been deleted).
    async fn record_id(&self) -> async_graphql::ID {
        crate::ids::global_id(
            crate::graphql::query::changes::kind_of(&self.model.entity),
            self.model.record_id,
        )
    }

    /// The organisation that wrote.
    async fn organisation(&self, ctx: &Context<'_>) -> Result<Option<Party>> {
        match self.model.party_id {
            Some(id) => Ok(row(loaders(ctx).party(), id).await?.map(Party)),
            None => Ok(None),
        }
    }

    /// The token's subject (`sub`): who within the organisation.
    async fn subject(&self) -> Option<&str> {
        self.model.subject.as_deref()
    }

    /// The token's id (`jti`).
    async fn token_id(&self) -> Option<&str> {
        self.model.token_id.as_deref()
    }

    /// The request's id (`x-request-id`), to match the server's logs.
    async fn request_id(&self) -> Option<&str> {
        self.model.request_id.as_deref()
    }

    /// Each changed field, before and after. A CREATE lists every field the record was
    /// created with a value for (before: null), a DELETE every field it had a value for
    /// (after: null); a field left empty is not a change.
    async fn changes(&self) -> &[FieldChange] {
        &self.changes
    }
}
