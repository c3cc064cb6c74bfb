//! Initiative (initiatief, project, actie, werkonderwerp): the work the parties do together.

use super::LIST_COST;
use async_graphql::{Context, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::initiative;
use serde::Deserialize;

use super::provenance::provenance_of;
use super::{
    Agenda, Bottleneck, Goal, Milestone, Participation, Provenance, StatusChange, Theme, loaders,
    status_at, wrap_all,
};
use crate::domain::{InitiativeStatus, ParticipationRole, Visibility};
use crate::graphql::loaders::{required_row, row, rows, rows_by_ids};
use crate::ids::{Kind, global_id};
use crate::policy;

/// An initiative of an agenda (Dutch: initiatief, actie, project, werkonderwerp). It serves
/// themes and goals, parties take part in it in a role, it has a timeline and steps, and
/// partners report its status over time.
#[derive(Clone, Debug)]
pub struct Initiative(pub initiative::Model);

impl Initiative {
    /// Checks the policy rule of one of this initiative's fields.
    async fn guard(&self, ctx: &Context<'_>, field: &str) -> Result<()> {
        Ok(policy::require(ctx, "Initiative", field, (&self.0).into()).await?)
    }
}

/// The initiative `id` when there is one and the caller may see it.
pub async fn visible_initiative(ctx: &Context<'_>, id: Option<i32>) -> Result<Option<Initiative>> {
    let Some(id) = id else { return Ok(None) };
    let found = row(loaders(ctx).initiative(), id).await?;
    Ok(policy::visible(ctx, found.into_iter().collect())
        .await?
        .pop()
        .map(Initiative))
}

/// The initiatives with `ids` that the caller may see, in the order of `ids`.
pub async fn visible_initiatives(
    ctx: &Context<'_>,
    ids: impl IntoIterator<Item = i32>,
) -> Result<Vec<Initiative>> {
    let rows = rows_by_ids(loaders(ctx).initiative(), ids).await?;
    Ok(wrap_all(policy::visible(ctx, rows).await?))
}

impl From<initiative::Model> for Initiative {
    fn from(model: initiative::Model) -> Self {
        Initiative(model)
    }
}

/// A contact person (contactpersoon) of a party for an initiative. Personal data.
#[derive(SimpleObject, Clone, Debug, Default, Deserialize)]
pub struct Contact {
    /// The person's name.
    pub name: Option<String>,
    /// The code of the party the person works for.
    pub party: Option<String>,
    /// The person's role in the initiative (projectleider, procesbegeleider).
    pub role: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
    /// Telephone number.
    pub phone: Option<String>,
}

/// An initiative of an agenda (Dutch: initiatief, actie, project, werkonderwerp). It serves
/// themes and goals, parties take part in it in a role, it has a timeline and steps, and
/// partners report its status over time.
#[Object]
impl Initiative {
    /// The global id (`Initiative:42`), for `node(id:)`.
    pub async fn id(&self) -> ID {
        global_id(Kind::Initiative, self.0.id)
    }

    /// The stable code: the agenda's code and the document's own code or letter
    /// (`sa-kennemerland-2021/initiatief-3`).
    async fn code(&self) -> &str {
        &self.0.code
    }

    /// The initiative's title.
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// A short description, written for this dataset.
    async fn summary(&self) -> Option<&str> {
        self.0.summary.as_deref()
    }

    /// The status; `UNKNOWN` where neither the document nor a partner has stated it.
    async fn status(&self) -> Result<InitiativeStatus> {
        Ok(InitiativeStatus::read(&self.0.status)?)
    }

    /// Who may see this initiative.
    async fn visibility(&self) -> Result<Visibility> {
        Ok(Visibility::read(&self.0.visibility)?)
    }

    /// Whether it saves labour (arbeidsmarktbesparend, the IZA's central question); null when
    /// not stated.
    async fn labour_saving(&self) -> Option<bool> {
        self.0.labour_saving
    }

    /// When it starts: a year, quarter, month or date (`2024`, `2024-Q1`, `2024-03`,
    /// `2024-03-01`).
    async fn starts(&self) -> Option<&str> {
        self.0.starts.as_deref()
    }

    /// When it ends, in the same form as `starts`.
    async fn ends(&self) -> Option<&str> {
        self.0.ends.as_deref()
    }

    /// The timeline in words, where the document gives more than a start and an end.
    async fn timeline(&self) -> Option<&str> {
        self.0.timeline.as_deref()
    }

    /// How it is funded (financiering), e.g. "IZA transformatiegelden".
    ///
    /// Guarded: rule PARTICIPANT (parties taking part in the initiative). Others get null and
    /// a FORBIDDEN error naming the rule.
    async fn funding(&self, ctx: &Context<'_>) -> Result<Option<&str>> {
        self.guard(ctx, "funding").await?;
        Ok(self.0.funding.as_deref())
    }

    /// The budget in whole euros, when stated.
    ///
    /// Guarded: rule PARTICIPANT (parties taking part in the initiative). Others get null and
    /// a FORBIDDEN error naming the rule.
    async fn budget_eur(&self, ctx: &Context<'_>) -> Result<Option<i64>> {
        self.guard(ctx, "budgetEur").await?;
        Ok(self.0.budget_eur)
    }

    /// The contact persons (contactpersonen). Personal data.
    ///
    /// Guarded: rule PARTICIPANT (parties taking part in the initiative). Others get null and
    /// a FORBIDDEN error naming the rule.
    #[graphql(complexity = "LIST_COST * child_complexity")]
    async fn contacts(&self, ctx: &Context<'_>) -> Result<Option<Vec<Contact>>> {
        self.guard(ctx, "contacts").await?;
        Ok(Some(
            serde_json::from_value(self.0.contacts.clone()).unwrap_or_default(),
        ))
    }

    /// Notes for the participants' eyes (interne notities).
    ///
    /// Guarded: rule PARTICIPANT (parties taking part in the initiative). Others get null and
    /// a FORBIDDEN error naming the rule.
    async fn internal_notes(&self, ctx: &Context<'_>) -> Result<Option<&str>> {
        self.guard(ctx, "internalNotes").await?;
        Ok(self.0.internal_notes.as_deref())
    }

    /// The latest progress report (voortgang).
    ///
    /// Guarded: rule PARTICIPANT (parties taking part in the initiative). Others get null and
    /// a FORBIDDEN error naming the rule.
    async fn progress_notes(&self, ctx: &Context<'_>) -> Result<Option<&str>> {
        self.guard(ctx, "progressNotes").await?;
        Ok(self.0.progress_notes.as_deref())
    }

    /// The agenda the initiative belongs to.
    async fn agenda(&self, ctx: &Context<'_>) -> Result<Agenda> {
        Ok(Agenda(
            required_row(loaders(ctx).agenda(), self.0.agenda_id).await?,
        ))
    }

    /// The initiative this one is part of, if any (and visible to the caller).
    async fn parent(&self, ctx: &Context<'_>) -> Result<Option<Initiative>> {
        visible_initiative(ctx, self.0.parent_id).await
    }

    /// The initiatives that are part of this one (deelprojecten).
    #[graphql(complexity = "LIST_COST * child_complexity")]
    async fn subinitiatives(&self, ctx: &Context<'_>) -> Result<Vec<Initiative>> {
        let rows = rows(loaders(ctx).subinitiatives_of_initiative(), self.0.id).await?;
        Ok(wrap_all(policy::visible(ctx, rows).await?))
    }

    /// The theme that leads (leidend thema), if stated.
    async fn lead_theme(&self, ctx: &Context<'_>) -> Result<Option<Theme>> {
        match self.0.lead_theme_id {
            Some(id) => Ok(row(loaders(ctx).theme(), id).await?.map(Theme)),
            None => Ok(None),
        }
    }

    /// The parties taking part, with their roles. Give `role` to keep one role (`LEAD` for
    /// the trekker).
    #[graphql(complexity = "LIST_COST * child_complexity")]
    async fn parties(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Keep only participations with this role.")] role: Option<
            ParticipationRole,
        >,
    ) -> Result<Vec<Participation>> {
        let links = rows(loaders(ctx).parties_of_initiative(), self.0.id).await?;
        Ok(Participation::filtered(links, role, None))
    }

    /// The themes the initiative serves.
    #[graphql(complexity = "LIST_COST * child_complexity")]
    async fn themes(&self, ctx: &Context<'_>) -> Result<Vec<Theme>> {
        let l = loaders(ctx);
        let links = rows(l.themes_of_initiative(), self.0.id).await?;
        Ok(wrap_all(
            rows_by_ids(l.theme(), links.iter().map(|x| x.theme_id)).await?,
        ))
    }

    /// The goals the initiative contributes to ("Raakt doelen: 1, 2, 6").
    #[graphql(complexity = "LIST_COST * child_complexity")]
    async fn goals(&self, ctx: &Context<'_>) -> Result<Vec<Goal>> {
        let l = loaders(ctx);
        let links = rows(l.goals_of_initiative(), self.0.id).await?;
        Ok(wrap_all(
            rows_by_ids(l.goal(), links.iter().map(|x| x.goal_id)).await?,
        ))
    }

    /// The steps and yearly actions, in order.
    #[graphql(complexity = "LIST_COST * child_complexity")]
    async fn milestones(&self, ctx: &Context<'_>) -> Result<Vec<Milestone>> {
        let mut steps = rows(loaders(ctx).milestones_of_initiative(), self.0.id).await?;
        steps.sort_by_key(|m| (m.position, m.id));
        Ok(wrap_all(steps))
    }

    /// The status changes, oldest first, with who reported them and when they took effect.
    #[graphql(complexity = "LIST_COST * child_complexity")]
    async fn status_history(&self, ctx: &Context<'_>) -> Result<Vec<StatusChange>> {
        let mut changes = rows(loaders(ctx).history_of_initiative(), self.0.id).await?;
        changes.retain(|c| c.field == "status");
        changes.sort_by_key(|c| (c.effective_at, c.id));
        Ok(changes.into_iter().map(StatusChange).collect())
    }

    /// The status the initiative had at a moment (from its status history): what it was
    /// last quarter. Null before the initiative was recorded.
    async fn status_as_of(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The moment, e.g. `2026-07-01T00:00:00Z`.")] at: DateTime<Utc>,
    ) -> Result<Option<InitiativeStatus>> {
        if at < self.0.created_at && self.0.source_document.is_none() {
            return Ok(None);
        }
        let changes = rows(loaders(ctx).history_of_initiative(), self.0.id).await?;
        Ok(status_at(&changes, &self.0.status, at))
    }

    /// The progress reports over time, oldest first.
    ///
    /// Guarded: rule PARTICIPANT (parties taking part in the initiative), like
    /// `progressNotes`. Others get null and a FORBIDDEN error naming the rule.
    #[graphql(complexity = "LIST_COST * child_complexity")]
    async fn progress_history(&self, ctx: &Context<'_>) -> Result<Option<Vec<StatusChange>>> {
        self.guard(ctx, "progressHistory").await?;
        let mut changes = rows(loaders(ctx).history_of_initiative(), self.0.id).await?;
        changes.retain(|c| c.field == "progress_notes");
        changes.sort_by_key(|c| (c.effective_at, c.id));
        Ok(Some(changes.into_iter().map(StatusChange).collect()))
    }

    /// The knelpunten found in this initiative.
    #[graphql(complexity = "LIST_COST * child_complexity")]
    async fn bottlenecks(&self, ctx: &Context<'_>) -> Result<Vec<Bottleneck>> {
        Ok(wrap_all(
            rows(loaders(ctx).bottlenecks_of_initiative(), self.0.id).await?,
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
