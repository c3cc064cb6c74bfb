//! Governance body (overleg): bestuurlijk overleg, stuurgroep, kernteam, themateam.

use super::LIST_COST;
use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, Utc};
use entity::governance_body;

use super::provenance::provenance_of;
use super::{Agenda, BodyMembership, Provenance, loaders};
use crate::domain::BodyKind;
use crate::graphql::loaders::{required_row, rows};
use crate::ids::{Kind, global_id};

/// A governance body (Dutch: overleg: bestuurlijk overleg, stuurgroep, kernteam, themateam or
/// thematafel, werkgroep) that steers an agenda: its member parties and how often it meets.
#[derive(Clone, Debug)]
pub struct GovernanceBody(pub governance_body::Model);

impl From<governance_body::Model> for GovernanceBody {
    fn from(model: governance_body::Model) -> Self {
        GovernanceBody(model)
    }
}

/// A governance body (Dutch: overleg: bestuurlijk overleg, stuurgroep, kernteam, themateam or
/// thematafel, werkgroep) that steers an agenda: its member parties and how often it meets.
#[Object]
impl GovernanceBody {
    /// The global id (`GovernanceBody:2`), for `node(id:)`.
    pub async fn id(&self) -> ID {
        global_id(Kind::GovernanceBody, self.0.id)
    }

    /// The stable code (`<agenda>/<slug>`).
    async fn code(&self) -> &str {
        &self.0.code
    }

    /// The body's name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// The kind of body.
    async fn kind(&self) -> Result<BodyKind> {
        Ok(BodyKind::read(&self.0.kind)?)
    }

    /// How often it meets, as stated ("twee keer per jaar").
    async fn cadence(&self) -> Option<&str> {
        self.0.cadence.as_deref()
    }

    /// A short description, written for this dataset.
    async fn summary(&self) -> Option<&str> {
        self.0.summary.as_deref()
    }

    /// The agenda it steers.
    async fn agenda(&self, ctx: &Context<'_>) -> Result<Agenda> {
        Ok(Agenda(
            required_row(loaders(ctx).agenda(), self.0.agenda_id).await?,
        ))
    }

    /// The member parties with their roles.
    #[graphql(complexity = "LIST_COST * child_complexity")]
    async fn members(&self, ctx: &Context<'_>) -> Result<Vec<BodyMembership>> {
        let links = rows(loaders(ctx).members_of_body(), self.0.id).await?;
        Ok(links.into_iter().map(BodyMembership).collect())
    }

    /// Incremented on every change; send it back as `expectedVersion` when updating.
    async fn version(&self) -> i32 {
        self.0.version
    }

    /// When the record was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When the record last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }

    /// Where this record comes from.
    async fn source(&self) -> Provenance {
        provenance_of!(self.0)
    }
}
