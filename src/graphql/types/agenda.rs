//! Agenda (samenwerkingsagenda, regioplan): what one region's parties agreed on.

use super::LIST_COST;
use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, Utc};
use entity::agenda;

use super::provenance::provenance_of;
use super::{
    AgendaSignature, Bottleneck, Goal, GovernanceBody, Indicator, Initiative, Provenance, Region,
    Theme, loaders, wrap_all,
};
use crate::domain::AgendaKind;
use crate::graphql::loaders::{required_row, row, rows};
use crate::ids::{Kind, global_id};

/// An agenda (Dutch: samenwerkingsagenda, regioplan): a samenwerkingsagenda or an IZA
/// regioplan of one region, for a period, signed by its parties. It holds the themes, goals,
/// indicators, knelpunten and initiatives agreed on. The regiobeeld a regioplan starts from
/// (the picture of the region's figures and opgaven) is not an agenda of its own: its figures
/// are the regioplan's indicators, its opgaven the regioplan's goals.
#[derive(Clone, Debug)]
pub struct Agenda(pub agenda::Model);

impl From<agenda::Model> for Agenda {
    fn from(model: agenda::Model) -> Self {
        Agenda(model)
    }
}

/// An agenda (Dutch: samenwerkingsagenda, regioplan): a samenwerkingsagenda or an IZA
/// regioplan of one region, for a period, signed by its parties. It holds the themes, goals,
/// indicators, knelpunten and initiatives agreed on. The regiobeeld a regioplan starts from
/// (the picture of the region's figures and opgaven) is not an agenda of its own: its figures
/// are the regioplan's indicators, its opgaven the regioplan's goals.
#[Object]
impl Agenda {
    /// The global id (`Agenda:1`), for `node(id:)`.
    pub async fn id(&self) -> ID {
        global_id(Kind::Agenda, self.0.id)
    }

    /// The stable code (`regioplan-kennemerland-2023`).
    async fn code(&self) -> &str {
        &self.0.code
    }

    /// The title as the document gives it.
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// Samenwerkingsagenda or regioplan.
    async fn kind(&self) -> Result<AgendaKind> {
        Ok(AgendaKind::read(&self.0.kind)?)
    }

    /// The first year of the agenda's period, when stated.
    async fn period_start(&self) -> Option<i32> {
        self.0.period_start
    }

    /// The last year of the agenda's period, when stated.
    async fn period_end(&self) -> Option<i32> {
        self.0.period_end
    }

    /// The moments the parties review the agenda (evaluatiemomenten).
    async fn review_moments(&self) -> Vec<String> {
        serde_json::from_value(self.0.review_moments.clone()).unwrap_or_default()
    }

    /// A short description, written for this dataset.
    async fn summary(&self) -> Option<&str> {
        self.0.summary.as_deref()
    }

    /// The region the agenda is for.
    async fn region(&self, ctx: &Context<'_>) -> Result<Region> {
        Ok(Region(
            required_row(loaders(ctx).region(), self.0.region_id).await?,
        ))
    }

    /// The agenda this one follows up, if any.
    async fn predecessor(&self, ctx: &Context<'_>) -> Result<Option<Agenda>> {
        match self.0.predecessor_id {
            Some(id) => Ok(row(loaders(ctx).agenda(), id).await?.map(Agenda)),
            None => Ok(None),
        }
    }

    /// The parties that signed the agenda.
    #[graphql(complexity = "LIST_COST * child_complexity")]
    async fn signatories(&self, ctx: &Context<'_>) -> Result<Vec<AgendaSignature>> {
        let links = rows(loaders(ctx).signatories_of_agenda(), self.0.id).await?;
        Ok(links.into_iter().map(AgendaSignature).collect())
    }

    /// The agenda's own themes (the national themes are shared; see `themes` at the root).
    #[graphql(complexity = "LIST_COST * child_complexity")]
    async fn themes(&self, ctx: &Context<'_>) -> Result<Vec<Theme>> {
        Ok(wrap_all(
            rows(loaders(ctx).themes_of_agenda(), self.0.id).await?,
        ))
    }

    /// The agenda's goals (opgaven, doelen, ambities), all levels.
    #[graphql(complexity = "LIST_COST * child_complexity")]
    async fn goals(&self, ctx: &Context<'_>) -> Result<Vec<Goal>> {
        Ok(wrap_all(
            rows(loaders(ctx).goals_of_agenda(), self.0.id).await?,
        ))
    }

    /// The agenda's initiatives, including sub-initiatives.
    #[graphql(complexity = "LIST_COST * child_complexity")]
    async fn initiatives(&self, ctx: &Context<'_>) -> Result<Vec<Initiative>> {
        let rows = rows(loaders(ctx).initiatives_of_agenda(), self.0.id).await?;
        Ok(wrap_all(crate::policy::visible(ctx, rows).await?))
    }

    /// The figures and KPIs of the agenda.
    #[graphql(complexity = "LIST_COST * child_complexity")]
    async fn indicators(&self, ctx: &Context<'_>) -> Result<Vec<Indicator>> {
        Ok(wrap_all(
            rows(loaders(ctx).indicators_of_agenda(), self.0.id).await?,
        ))
    }

    /// The knelpunten (bottlenecks) the agenda names.
    #[graphql(complexity = "LIST_COST * child_complexity")]
    async fn bottlenecks(&self, ctx: &Context<'_>) -> Result<Vec<Bottleneck>> {
        let rows = rows(loaders(ctx).bottlenecks_of_agenda(), self.0.id).await?;
        Ok(wrap_all(
            super::keep_visible(ctx, rows, |b| b.initiative_id).await?,
        ))
    }

    /// The governance bodies (overleggen) that steer the agenda.
    #[graphql(complexity = "LIST_COST * child_complexity")]
    async fn governance_bodies(&self, ctx: &Context<'_>) -> Result<Vec<GovernanceBody>> {
        Ok(wrap_all(
            rows(loaders(ctx).bodies_of_agenda(), self.0.id).await?,
        ))
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
