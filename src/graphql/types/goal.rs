//! Goal (opgave, doel, ambitie) and what hangs under goals: indicators, knelpunten and
//! milestones (werkagenda-acties).

use super::LIST_COST;
use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, Utc};
use entity::{bottleneck, goal, indicator, milestone};

use super::provenance::provenance_of;
use super::{
    Agenda, Initiative, Provenance, Theme, keep_visible, loaders, visible_initiative,
    visible_initiatives, wrap_all,
};
use crate::domain::{GoalKind, IndicatorKind};
use crate::graphql::loaders::{required_row, row, rows, rows_by_ids};
use crate::ids::{Kind, global_id};

/// Resolves an optional foreign key through a loader.
macro_rules! optional {
    ($ctx:expr, $loader:ident, $id:expr, $ty:ident) => {
        match $id {
            Some(id) => Ok(row(loaders($ctx).$loader(), id).await?.map($ty)),
            None => Ok(None),
        }
    };
}

/// A goal of an agenda (Dutch: doel, opgave, ambitie). Goals nest: an opgave (challenge) holds
/// doelen, and a doel can sit under two opgaven. `number` is the document's own numbering
/// (1-17, 1a-6c, A-I, 1.1-7.7).
#[derive(Clone, Debug)]
pub struct Goal(pub goal::Model);

impl From<goal::Model> for Goal {
    fn from(model: goal::Model) -> Self {
        Goal(model)
    }
}

/// A goal of an agenda (Dutch: doel, opgave, ambitie). Goals nest: an opgave (challenge) holds
/// doelen, and a doel can sit under two opgaven. `number` is the document's own numbering
/// (1-17, 1a-6c, A-I, 1.1-7.7).
#[Object]
impl Goal {
    /// The global id (`Goal:12`), for `node(id:)`.
    pub async fn id(&self) -> ID {
        global_id(Kind::Goal, self.0.id)
    }

    /// The stable code: the agenda's code and the document's numbering
    /// (`regioplan-kennemerland-2023/doel-1a`).
    async fn code(&self) -> &str {
        &self.0.code
    }

    /// The document's own number for this goal ("1a", "C", "3.2"), when it has one.
    async fn number(&self) -> Option<&str> {
        self.0.number.as_deref()
    }

    /// Opgave, doel or ambitie.
    async fn kind(&self) -> Result<GoalKind> {
        Ok(GoalKind::read(&self.0.kind)?)
    }

    /// The goal as the document names it.
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// A short description, written for this dataset.
    async fn summary(&self) -> Option<&str> {
        self.0.summary.as_deref()
    }

    /// The measurable target as stated ("instroom +5% binnen 5 jaar"), when there is one.
    async fn target(&self) -> Option<&str> {
        self.0.target.as_deref()
    }

    /// The year the target is to be met, when stated.
    async fn target_year(&self) -> Option<i32> {
        self.0.target_year
    }

    /// The agenda the goal belongs to.
    async fn agenda(&self, ctx: &Context<'_>) -> Result<Agenda> {
        Ok(Agenda(
            required_row(loaders(ctx).agenda(), self.0.agenda_id).await?,
        ))
    }

    /// The goals directly above this one (the opgaven a doel sits under).
    #[graphql(complexity = "LIST_COST * child_complexity")]
    async fn parents(&self, ctx: &Context<'_>) -> Result<Vec<Goal>> {
        let l = loaders(ctx);
        let links = rows(l.parents_of_goal(), self.0.id).await?;
        Ok(wrap_all(
            rows_by_ids(l.goal(), links.iter().map(|x| x.parent_id)).await?,
        ))
    }

    /// The goals directly under this one (the doelen of an opgave).
    #[graphql(complexity = "LIST_COST * child_complexity")]
    async fn children(&self, ctx: &Context<'_>) -> Result<Vec<Goal>> {
        let l = loaders(ctx);
        let links = rows(l.children_of_goal(), self.0.id).await?;
        Ok(wrap_all(
            rows_by_ids(l.goal(), links.iter().map(|x| x.goal_id)).await?,
        ))
    }

    /// The themes this goal serves.
    #[graphql(complexity = "LIST_COST * child_complexity")]
    async fn themes(&self, ctx: &Context<'_>) -> Result<Vec<Theme>> {
        let l = loaders(ctx);
        let links = rows(l.themes_of_goal(), self.0.id).await?;
        Ok(wrap_all(
            rows_by_ids(l.theme(), links.iter().map(|x| x.theme_id)).await?,
        ))
    }

    /// The initiatives that contribute to this goal ("Raakt doelen").
    #[graphql(complexity = "LIST_COST * child_complexity")]
    async fn initiatives(&self, ctx: &Context<'_>) -> Result<Vec<Initiative>> {
        let l = loaders(ctx);
        let links = rows(l.initiatives_of_goal(), self.0.id).await?;
        visible_initiatives(ctx, links.iter().map(|x| x.initiative_id)).await
    }

    /// The figures and KPIs that measure this goal.
    #[graphql(complexity = "LIST_COST * child_complexity")]
    async fn indicators(&self, ctx: &Context<'_>) -> Result<Vec<Indicator>> {
        Ok(wrap_all(
            rows(loaders(ctx).indicators_of_goal(), self.0.id).await?,
        ))
    }

    /// The knelpunten found under this goal.
    #[graphql(complexity = "LIST_COST * child_complexity")]
    async fn bottlenecks(&self, ctx: &Context<'_>) -> Result<Vec<Bottleneck>> {
        let rows = rows(loaders(ctx).bottlenecks_of_goal(), self.0.id).await?;
        Ok(wrap_all(
            keep_visible(ctx, rows, |b| b.initiative_id).await?,
        ))
    }

    /// The actions planned per year under this goal (werkagenda).
    #[graphql(complexity = "LIST_COST * child_complexity")]
    async fn milestones(&self, ctx: &Context<'_>) -> Result<Vec<Milestone>> {
        Ok(wrap_all(
            rows(loaders(ctx).milestones_of_goal(), self.0.id).await?,
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

/// An indicator (Dutch: indicator, kengetal, KPI): an observed figure (value, unit, year,
/// scope, benchmark: 272 GP-post contacts per 1,000 residents against 246 regionally) or a
/// planned KPI (baseline and target) for the monitor of an agenda.
#[derive(Clone, Debug)]
pub struct Indicator(pub indicator::Model);

impl From<indicator::Model> for Indicator {
    fn from(model: indicator::Model) -> Self {
        Indicator(model)
    }
}

/// An indicator (Dutch: indicator, kengetal, KPI): an observed figure (value, unit, year,
/// scope, benchmark: 272 GP-post contacts per 1,000 residents against 246 regionally) or a
/// planned KPI (baseline and target) for the monitor of an agenda.
#[Object]
impl Indicator {
    /// The global id (`Indicator:5`), for `node(id:)`.
    pub async fn id(&self) -> ID {
        global_id(Kind::Indicator, self.0.id)
    }

    /// The stable code (`<agenda>/<slug>`).
    async fn code(&self) -> &str {
        &self.0.code
    }

    /// What is measured.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Observed figure or planned KPI.
    async fn kind(&self) -> Result<IndicatorKind> {
        Ok(IndicatorKind::read(&self.0.kind)?)
    }

    /// The observed value.
    async fn value(&self) -> Option<f64> {
        self.0.value
    }

    /// The unit of `value`, `baseline` and `target` ("%", "per 1.000 inwoners").
    async fn unit(&self) -> Option<&str> {
        self.0.unit.as_deref()
    }

    /// The year the value was observed.
    async fn year(&self) -> Option<i32> {
        self.0.year
    }

    /// Where the value was observed (a region, a gemeente, a population).
    async fn scope(&self) -> Option<&str> {
        self.0.scope.as_deref()
    }

    /// The value compared against, when the document gives one.
    async fn benchmark_value(&self) -> Option<f64> {
        self.0.benchmark_value
    }

    /// What the benchmark is ("regionaal gemiddelde", "Nederland").
    async fn benchmark_scope(&self) -> Option<&str> {
        self.0.benchmark_scope.as_deref()
    }

    /// For a planned KPI: the starting value, when known.
    async fn baseline(&self) -> Option<f64> {
        self.0.baseline
    }

    /// For a planned KPI: the value aimed at, when known.
    async fn target(&self) -> Option<f64> {
        self.0.target
    }

    /// The year the target is to be met.
    async fn target_year(&self) -> Option<i32> {
        self.0.target_year
    }

    /// The agenda the indicator belongs to.
    async fn agenda(&self, ctx: &Context<'_>) -> Result<Agenda> {
        Ok(Agenda(
            required_row(loaders(ctx).agenda(), self.0.agenda_id).await?,
        ))
    }

    /// The goal it measures, if linked to one.
    async fn goal(&self, ctx: &Context<'_>) -> Result<Option<Goal>> {
        optional!(ctx, goal, self.0.goal_id, Goal)
    }

    /// The theme it belongs to, if linked to one.
    async fn theme(&self, ctx: &Context<'_>) -> Result<Option<Theme>> {
        optional!(ctx, theme, self.0.theme_id, Theme)
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

/// A bottleneck (Dutch: knelpunt): a problem found under a goal or an initiative.
#[derive(Clone, Debug)]
pub struct Bottleneck(pub bottleneck::Model);

impl From<bottleneck::Model> for Bottleneck {
    fn from(model: bottleneck::Model) -> Self {
        Bottleneck(model)
    }
}

/// A bottleneck (Dutch: knelpunt): a problem found under a goal or an initiative.
#[Object]
impl Bottleneck {
    /// The global id (`Bottleneck:4`), for `node(id:)`.
    pub async fn id(&self) -> ID {
        global_id(Kind::Bottleneck, self.0.id)
    }

    /// The stable code (`<agenda>/<slug>`).
    async fn code(&self) -> &str {
        &self.0.code
    }

    /// The problem in a few words.
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// A short description, written for this dataset.
    async fn summary(&self) -> Option<&str> {
        self.0.summary.as_deref()
    }

    /// The agenda that names it.
    async fn agenda(&self, ctx: &Context<'_>) -> Result<Agenda> {
        Ok(Agenda(
            required_row(loaders(ctx).agenda(), self.0.agenda_id).await?,
        ))
    }

    /// The goal it was found under, if any.
    async fn goal(&self, ctx: &Context<'_>) -> Result<Option<Goal>> {
        optional!(ctx, goal, self.0.goal_id, Goal)
    }

    /// The initiative it was found under, if any (and visible to the caller).
    async fn initiative(&self, ctx: &Context<'_>) -> Result<Option<Initiative>> {
        visible_initiative(ctx, self.0.initiative_id).await
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

/// A milestone (Dutch: mijlpaal, stap, werkagenda-actie): a numbered step of an initiative,
/// often in a quarter (kwartaal), or an action planned for a year under a goal (the
/// werkagenda-acties of a regioplan).
#[derive(Clone, Debug)]
pub struct Milestone(pub milestone::Model);

impl From<milestone::Model> for Milestone {
    fn from(model: milestone::Model) -> Self {
        Milestone(model)
    }
}

/// A milestone (Dutch: mijlpaal, stap, werkagenda-actie): a numbered step of an initiative,
/// often in a quarter (kwartaal), or an action planned for a year under a goal (the
/// werkagenda-acties of a regioplan).
#[Object]
impl Milestone {
    /// The global id (`Milestone:9`), for `node(id:)`.
    pub async fn id(&self) -> ID {
        global_id(Kind::Milestone, self.0.id)
    }

    /// The step's place in its list (1, 2, 3 ...).
    async fn position(&self) -> i32 {
        self.0.position
    }

    /// The step or action in a few words.
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// A short description, written for this dataset.
    async fn summary(&self) -> Option<&str> {
        self.0.summary.as_deref()
    }

    /// The year it is planned for.
    async fn year(&self) -> Option<i32> {
        self.0.year
    }

    /// The period it is planned for, finer than a year ("2024-Q2").
    async fn period(&self) -> Option<&str> {
        self.0.period.as_deref()
    }

    /// The initiative this is a step of, if any (and visible to the caller).
    async fn initiative(&self, ctx: &Context<'_>) -> Result<Option<Initiative>> {
        visible_initiative(ctx, self.0.initiative_id).await
    }

    /// The goal this action is planned under, if any.
    async fn goal(&self, ctx: &Context<'_>) -> Result<Option<Goal>> {
        optional!(ctx, goal, self.0.goal_id, Goal)
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
