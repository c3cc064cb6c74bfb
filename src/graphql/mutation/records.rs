//! Mutations of the records of an agenda (themes, goals, indicators, knelpunten, milestones,
//! governance bodies, the agenda itself) and, for administrators, of regions and parties;
//! and of the links between them. One generic writer (`write::records`) does the work; each
//! entity declares its input and who keeps it.

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, Result};
use entity::*;
use sea_orm::{DatabaseConnection, EntityTrait};
use serde_json::{Map, Value, json};

use super::initiatives::WriteContext;
use crate::domain::*;
use crate::error::{AppError, AppResult};
use crate::graphql::filter::resolve;
use crate::graphql::types::*;
use crate::ids::{Kind, global_id};
use crate::write::journal::Journal;
use crate::write::now;
use crate::write::records::{self, Keeper, require_keeper};

fn text(
    fields: &mut Map<String, Value>,
    path: &str,
    column: &str,
    value: Option<String>,
    max: usize,
) -> AppResult<()> {
    if let Some(value) = value {
        if value.trim().is_empty() || value.chars().count() > max {
            return Err(AppError::bad_input(path, format!("1 to {max} characters")));
        }
        fields.insert(column.into(), json!(value));
    }
    Ok(())
}

fn maybe_text(
    fields: &mut Map<String, Value>,
    path: &str,
    column: &str,
    value: MaybeUndefined<String>,
    max: usize,
) -> AppResult<()> {
    match value {
        MaybeUndefined::Undefined => Ok(()),
        MaybeUndefined::Null => {
            fields.insert(column.into(), Value::Null);
            Ok(())
        }
        MaybeUndefined::Value(v) => text(fields, path, column, Some(v), max),
    }
}

fn maybe_value<T: serde::Serialize>(
    fields: &mut Map<String, Value>,
    column: &str,
    value: MaybeUndefined<T>,
) {
    match value {
        MaybeUndefined::Undefined => {}
        MaybeUndefined::Null => {
            fields.insert(column.into(), Value::Null);
        }
        MaybeUndefined::Value(v) => {
            fields.insert(column.into(), json!(v));
        }
    }
}

fn code(fields: &mut Map<String, Value>, value: String) -> AppResult<()> {
    let ok = !value.is_empty()
        && value.len() <= 160
        && value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-/._".contains(c));
    if !ok {
        return Err(AppError::bad_input(
            "input.code",
            "lowercase letters, digits, `-`, `/`, `.`; at most 160",
        ));
    }
    fields.insert("code".into(), json!(value));
    Ok(())
}

fn year(
    fields: &mut Map<String, Value>,
    path: &str,
    column: &str,
    value: MaybeUndefined<i32>,
) -> AppResult<()> {
    if let MaybeUndefined::Value(y) = value
        && !(1900..=2100).contains(&y)
    {
        return Err(AppError::bad_input(path, "a year between 1900 and 2100"));
    }
    maybe_value(fields, column, value);
    Ok(())
}

/// An optional value as "given" or "left out" (never "cleared", for a new record).
fn defined<T>(value: Option<T>) -> MaybeUndefined<T> {
    value.map_or(MaybeUndefined::Undefined, MaybeUndefined::Value)
}

/// The fields every new record starts with.
fn blank() -> Map<String, Value> {
    let mut m = Map::new();
    for k in ["source_document", "source_section", "note", "summary"] {
        m.insert(k.into(), Value::Null);
    }
    m
}

/// A new goal (opgave, doel, ambitie) of an agenda.
#[derive(InputObject)]
pub struct CreateGoalInput {
    /// The agenda (id or code).
    pub agenda: ID,
    /// Its stable code, unique: `<agenda code>/<slug>`.
    pub code: String,
    /// The document's own number ("1a").
    pub number: Option<String>,
    /// Opgave, doel or ambitie.
    pub kind: GoalKind,
    /// Its title.
    pub title: String,
    /// A short description.
    pub summary: Option<String>,
    /// The measurable target as stated.
    pub target: Option<String>,
    /// The year the target is to be met.
    pub target_year: Option<i32>,
}

/// Changes to a goal: a field left out stays, null clears it.
#[derive(InputObject, Default)]
pub struct UpdateGoalInput {
    /// A new number.
    pub number: MaybeUndefined<String>,
    /// A new kind.
    pub kind: Option<GoalKind>,
    /// A new title.
    pub title: Option<String>,
    /// A new description.
    pub summary: MaybeUndefined<String>,
    /// A new target.
    pub target: MaybeUndefined<String>,
    /// A new target year.
    pub target_year: MaybeUndefined<i32>,
}

/// A new theme of an agenda (national themes are kept by administrators).
#[derive(InputObject)]
pub struct CreateThemeInput {
    /// The agenda (id or code); leave out for a national theme (administrators).
    pub agenda: Option<ID>,
    /// Its stable code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// The theme it sits under (id or code).
    pub parent: Option<ID>,
    /// A short description.
    pub summary: Option<String>,
}

/// Changes to a theme.
#[derive(InputObject, Default)]
pub struct UpdateThemeInput {
    /// A new name.
    pub name: Option<String>,
    /// A new description.
    pub summary: MaybeUndefined<String>,
}

/// A new figure or KPI of an agenda.
#[derive(InputObject)]
pub struct CreateIndicatorInput {
    /// The agenda (id or code).
    pub agenda: ID,
    /// Its stable code.
    pub code: String,
    /// What is measured.
    pub name: String,
    /// Observed figure or planned KPI.
    pub kind: IndicatorKind,
    /// The observed value.
    pub value: Option<f64>,
    /// The unit.
    pub unit: Option<String>,
    /// The year of the value.
    pub year: Option<i32>,
    /// Where it was observed.
    pub scope: Option<String>,
    /// For a KPI: its baseline.
    pub baseline: Option<f64>,
    /// For a KPI: its target.
    pub target: Option<f64>,
    /// For a KPI: the year of the target.
    pub target_year: Option<i32>,
}

/// Changes to an indicator.
#[derive(InputObject, Default)]
pub struct UpdateIndicatorInput {
    /// A new name.
    pub name: Option<String>,
    /// A new value.
    pub value: MaybeUndefined<f64>,
    /// A new unit.
    pub unit: MaybeUndefined<String>,
    /// A new year.
    pub year: MaybeUndefined<i32>,
    /// A new scope.
    pub scope: MaybeUndefined<String>,
    /// A new baseline.
    pub baseline: MaybeUndefined<f64>,
    /// A new target.
    pub target: MaybeUndefined<f64>,
    /// A new target year.
    pub target_year: MaybeUndefined<i32>,
}

/// A new knelpunt of an agenda.
#[derive(InputObject)]
pub struct CreateBottleneckInput {
    /// The agenda (id or code).
    pub agenda: ID,
    /// Its stable code.
    pub code: String,
    /// The problem in a few words.
    pub title: String,
    /// A short description.
    pub summary: Option<String>,
    /// The goal it was found under (id or code).
    pub goal: Option<ID>,
}

/// Changes to a knelpunt.
#[derive(InputObject, Default)]
pub struct UpdateBottleneckInput {
    /// A new title.
    pub title: Option<String>,
    /// A new description.
    pub summary: MaybeUndefined<String>,
}

/// A new governance body of an agenda.
#[derive(InputObject)]
pub struct CreateGovernanceBodyInput {
    /// The agenda (id or code).
    pub agenda: ID,
    /// Its stable code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// Its kind.
    pub kind: BodyKind,
    /// How often it meets.
    pub cadence: Option<String>,
    /// A short description.
    pub summary: Option<String>,
}

/// Changes to a governance body.
#[derive(InputObject, Default)]
pub struct UpdateGovernanceBodyInput {
    /// A new name.
    pub name: Option<String>,
    /// A new cadence.
    pub cadence: MaybeUndefined<String>,
    /// A new description.
    pub summary: MaybeUndefined<String>,
}

/// Changes to an agenda.
#[derive(InputObject, Default)]
pub struct UpdateAgendaInput {
    /// A new title.
    pub title: Option<String>,
    /// A new first year.
    pub period_start: MaybeUndefined<i32>,
    /// A new last year.
    pub period_end: MaybeUndefined<i32>,
    /// A new description.
    pub summary: MaybeUndefined<String>,
}

/// A new region (administrators).
#[derive(InputObject)]
pub struct CreateRegionInput {
    /// Its stable code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// Its kind.
    pub kind: RegionKind,
    /// The larger region it lies in (id or code).
    pub parent: Option<ID>,
    /// A short description.
    pub summary: Option<String>,
}

/// A new party (administrators).
#[derive(InputObject)]
pub struct CreatePartyInput {
    /// Its stable code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// Its kind.
    pub kind: PartyKind,
    /// True for a category of organisations.
    #[graphql(default)]
    pub is_category: bool,
    /// A short description.
    pub summary: Option<String>,
}

/// Changes to a party (administrators): deactivating one refuses its tokens at once.
#[derive(InputObject, Default)]
pub struct UpdatePartyInput {
    /// A new name.
    pub name: Option<String>,
    /// Active or deactivated.
    pub active: Option<bool>,
    /// A new description.
    pub summary: MaybeUndefined<String>,
}

async fn find<E: EntityTrait>(
    db: &DatabaseConnection,
    path: &str,
    kind: Kind,
    raw: &str,
) -> AppResult<E::Model>
where
    E::Model: Send + Sync,
{
    let id = resolve::<E>(db, path, kind, raw).await?;
    find_id::<E>(db, id, raw).await
}

async fn find_id<E: EntityTrait>(db: &DatabaseConnection, id: i32, raw: &str) -> AppResult<E::Model>
where
    E::Model: Send + Sync,
{
    let col = <E::Column as std::str::FromStr>::from_str("id").map_err(|_| AppError::Internal)?;
    use sea_orm::{ColumnTrait, QueryFilter};
    E::find()
        .filter(col.eq(id))
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no record `{raw}`")))
}

/// A new milestone: a step of an initiative or a yearly action under a goal.
#[derive(InputObject)]
pub struct CreateMilestoneInput {
    /// The initiative it is a step of (id or code); give this or `goal`.
    pub initiative: Option<ID>,
    /// The goal it is an action under (id or code); give this or `initiative`.
    pub goal: Option<ID>,
    /// Its place in the list (1, 2, 3 ...).
    pub position: i32,
    /// The step in a few words.
    pub title: String,
    /// A short description.
    pub summary: Option<String>,
    /// The year it is planned for.
    pub year: Option<i32>,
    /// The period, finer than a year (`2025-Q2`).
    pub period: Option<String>,
}

/// Changes to a milestone.
#[derive(InputObject, Default)]
pub struct UpdateMilestoneInput {
    /// A new position.
    pub position: Option<i32>,
    /// A new title.
    pub title: Option<String>,
    /// A new description.
    pub summary: MaybeUndefined<String>,
    /// A new year.
    pub year: MaybeUndefined<i32>,
    /// A new period.
    pub period: MaybeUndefined<String>,
}

/// A new agenda of a region (the region's RSO as coordinator, or an administrator).
#[derive(InputObject)]
pub struct CreateAgendaInput {
    /// The region (id or code).
    pub region: ID,
    /// Its stable code.
    pub code: String,
    /// Its title.
    pub title: String,
    /// Samenwerkingsagenda or regioplan.
    pub kind: AgendaKind,
    /// The first year.
    pub period_start: Option<i32>,
    /// The last year.
    pub period_end: Option<i32>,
    /// A short description.
    pub summary: Option<String>,
}

/// Changes to a region (administrators).
#[derive(InputObject, Default)]
pub struct UpdateRegionInput {
    /// A new name.
    pub name: Option<String>,
    /// A new description.
    pub summary: MaybeUndefined<String>,
}

/// Who keeps a milestone: the keeper of its goal's agenda, or (for a step of an initiative)
/// whoever may edit the initiative.
async fn milestone_keeper(
    w: &WriteContext<'_>,
    initiative_id: Option<i32>,
    goal_id: Option<i32>,
) -> AppResult<Option<i32>> {
    if let Some(goal) = goal_id {
        let goal = find_id::<goal::Entity>(w.db, goal, "goal").await?;
        require_keeper(w.viewer, w.relations, Keeper::Agenda(goal.agenda_id))?;
        return Ok(Some(goal.agenda_id));
    }
    let id = initiative_id
        .ok_or_else(|| AppError::bad_input("input", "give an initiative or a goal"))?;
    let row = find_id::<initiative::Entity>(w.db, id, "initiative").await?;
    crate::write::require_role(w.viewer, crate::auth::Role::Editor)?;
    let facts = crate::policy::InitiativeFacts::from(&row);
    let may = crate::policy::passes(
        w.viewer,
        w.relations,
        crate::policy::Rule::Participant,
        facts,
    ) || crate::policy::passes(
        w.viewer,
        w.relations,
        crate::policy::Rule::RegionCoordinator,
        facts,
    );
    if !may {
        return Err(AppError::Forbidden { rule: "PARTICIPANT", message: "only the initiative's participants (with an editor role) and its region's coordinator change its steps".into() });
    }
    Ok(Some(row.agenda_id))
}

#[derive(Default)]
pub struct RecordMutation;

#[Object]
impl RecordMutation {
    /// Adds a milestone: a step of an initiative (its participants) or a yearly action under
    /// a goal (the agenda's keeper).
    async fn create_milestone(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new milestone.")] input: CreateMilestoneInput,
    ) -> Result<Milestone> {
        let w = WriteContext::new(ctx).await?;
        let initiative = match &input.initiative {
            Some(i) => Some(
                resolve::<initiative::Entity>(w.db, "input.initiative", Kind::Initiative, i)
                    .await?,
            ),
            None => None,
        };
        let goal = match &input.goal {
            Some(g) => Some(resolve::<goal::Entity>(w.db, "input.goal", Kind::Goal, g).await?),
            None => None,
        };
        if initiative.is_some() == goal.is_some() {
            return Err(AppError::bad_input("input", "give either an initiative or a goal").into());
        }
        let agenda = milestone_keeper(&w, initiative, goal).await?;
        if !(1..=1_000).contains(&input.position) {
            return Err(AppError::bad_input("input.position", "1 to 1000").into());
        }
        let mut f = blank();
        text(&mut f, "input.title", "title", Some(input.title), 1_000)?;
        text(&mut f, "input.summary", "summary", input.summary, 5_000)?;
        text(&mut f, "input.period", "period", input.period, 20)?;
        f.entry("period").or_insert(Value::Null);
        year(&mut f, "input.year", "year", defined(input.year))?;
        f.entry("year").or_insert(Value::Null);
        f.insert("initiative_id".into(), json!(initiative));
        f.insert("goal_id".into(), json!(goal));
        f.insert("position".into(), json!(input.position));
        let model = transaction!(w, |txn, journal, now| records::create::<milestone::Entity>(
            &txn,
            journal,
            &w.actor,
            "milestone",
            f,
            agenda,
            now
        )
        .await);
        Ok(Milestone(model))
    }

    /// Changes a milestone.
    async fn update_milestone(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The milestone's id.")] id: ID,
        #[graphql(desc = "The version you read; CONFLICT when it is no longer current.")]
        expected_version: Option<i32>,
        #[graphql(desc = "The changes.")] input: UpdateMilestoneInput,
    ) -> Result<Milestone> {
        let w = WriteContext::new(ctx).await?;
        let (_, id) = crate::ids::parse_global_id("id", &id)?;
        let row = find_id::<milestone::Entity>(w.db, id, "id").await?;
        let agenda = milestone_keeper(&w, row.initiative_id, row.goal_id).await?;
        let mut f = Map::new();
        text(&mut f, "input.title", "title", input.title, 1_000)?;
        maybe_text(&mut f, "input.summary", "summary", input.summary, 5_000)?;
        maybe_text(&mut f, "input.period", "period", input.period, 20)?;
        year(&mut f, "input.year", "year", input.year)?;
        if let Some(position) = input.position {
            f.insert("position".into(), json!(position));
        }
        let model = transaction!(w, |txn, journal, now| records::update::<milestone::Entity>(
            &txn,
            journal,
            &w.actor,
            "milestone",
            row,
            f,
            expected_version,
            agenda,
            now
        )
        .await);
        Ok(Milestone(model))
    }

    /// Deletes a milestone.
    async fn delete_milestone(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The milestone's id.")] id: ID,
        #[graphql(desc = "The version you read.")] expected_version: Option<i32>,
    ) -> Result<ID> {
        let w = WriteContext::new(ctx).await?;
        let (_, raw) = crate::ids::parse_global_id("id", &id)?;
        let row = find_id::<milestone::Entity>(w.db, raw, "id").await?;
        let agenda = milestone_keeper(&w, row.initiative_id, row.goal_id).await?;
        transaction!(w, |txn, journal, now| records::delete::<milestone::Entity>(
            &txn,
            journal,
            &w.actor,
            "milestone",
            row,
            expected_version,
            agenda,
            now
        )
        .await);
        Ok(id)
    }

    /// Deletes a governance body (its agenda's keeper).
    async fn delete_governance_body(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The body's id or code.")] id: ID,
        #[graphql(desc = "The version you read.")] expected_version: Option<i32>,
    ) -> Result<ID> {
        let w = WriteContext::new(ctx).await?;
        let row = find::<governance_body::Entity>(w.db, "id", Kind::GovernanceBody, &id).await?;
        require_keeper(w.viewer, w.relations, Keeper::Agenda(row.agenda_id))?;
        let (gid, agenda) = (global_id(Kind::GovernanceBody, row.id), Some(row.agenda_id));
        transaction!(w, |txn, journal, now| records::delete::<
            governance_body::Entity,
        >(
            &txn,
            journal,
            &w.actor,
            "governance_body",
            row,
            expected_version,
            agenda,
            now
        )
        .await);
        Ok(gid)
    }

    /// Creates an agenda for a region (the region's RSO as coordinator, or an administrator).
    async fn create_agenda(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new agenda.")] input: CreateAgendaInput,
    ) -> Result<Agenda> {
        let w = WriteContext::new(ctx).await?;
        let region =
            resolve::<region::Entity>(w.db, "input.region", Kind::Region, &input.region).await?;
        crate::write::require_role(w.viewer, crate::auth::Role::Coordinator)?;
        let coordinates = w.relations.is_some_and(|r| r.rso_regions.contains(&region));
        if !(w.viewer.is_admin() || coordinates) {
            return Err(AppError::Forbidden {
                rule: "REGION_COORDINATOR",
                message:
                    "only the region's RSO as coordinator, or an administrator, creates its agendas"
                        .into(),
            }
            .into());
        }
        let mut f = blank();
        code(&mut f, input.code)?;
        text(&mut f, "input.title", "title", Some(input.title), 500)?;
        text(&mut f, "input.summary", "summary", input.summary, 5_000)?;
        year(
            &mut f,
            "input.periodStart",
            "period_start",
            defined(input.period_start),
        )?;
        year(
            &mut f,
            "input.periodEnd",
            "period_end",
            defined(input.period_end),
        )?;
        for k in ["period_start", "period_end", "predecessor_id"] {
            f.entry(k).or_insert(Value::Null);
        }
        f.insert("region_id".into(), json!(region));
        f.insert("kind".into(), json!(input.kind.as_db()));
        f.insert("review_moments".into(), json!([]));
        let model = transaction!(w, |txn, journal, now| records::create::<agenda::Entity>(
            &txn, journal, &w.actor, "agenda", f, None, now
        )
        .await);
        Ok(Agenda(model))
    }

    /// Deletes an agenda with everything in it (administrators).
    async fn delete_agenda(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The agenda's id or code.")] id: ID,
        #[graphql(desc = "The version you read.")] expected_version: Option<i32>,
    ) -> Result<ID> {
        let w = WriteContext::new(ctx).await?;
        require_keeper(w.viewer, w.relations, Keeper::Admin)?;
        let row = find::<agenda::Entity>(w.db, "id", Kind::Agenda, &id).await?;
        let gid = global_id(Kind::Agenda, row.id);
        transaction!(w, |txn, journal, now| records::delete::<agenda::Entity>(
            &txn,
            journal,
            &w.actor,
            "agenda",
            row,
            expected_version,
            None,
            now
        )
        .await);
        Ok(gid)
    }

    /// Changes a region (administrators).
    async fn update_region(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The region's id or code.")] id: ID,
        #[graphql(desc = "The version you read; CONFLICT when it is no longer current.")]
        expected_version: Option<i32>,
        #[graphql(desc = "The changes.")] input: UpdateRegionInput,
    ) -> Result<Region> {
        let w = WriteContext::new(ctx).await?;
        require_keeper(w.viewer, w.relations, Keeper::Admin)?;
        let row = find::<region::Entity>(w.db, "id", Kind::Region, &id).await?;
        let mut f = Map::new();
        text(&mut f, "input.name", "name", input.name, 300)?;
        maybe_text(&mut f, "input.summary", "summary", input.summary, 5_000)?;
        let model = transaction!(w, |txn, journal, now| records::update::<region::Entity>(
            &txn,
            journal,
            &w.actor,
            "region",
            row,
            f,
            expected_version,
            None,
            now
        )
        .await);
        Ok(Region(model))
    }

    /// Deletes a region and its agendas (administrators).
    async fn delete_region(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The region's id or code.")] id: ID,
        #[graphql(desc = "The version you read.")] expected_version: Option<i32>,
    ) -> Result<ID> {
        let w = WriteContext::new(ctx).await?;
        require_keeper(w.viewer, w.relations, Keeper::Admin)?;
        let row = find::<region::Entity>(w.db, "id", Kind::Region, &id).await?;
        let gid = global_id(Kind::Region, row.id);
        transaction!(w, |txn, journal, now| records::delete::<region::Entity>(
            &txn,
            journal,
            &w.actor,
            "region",
            row,
            expected_version,
            None,
            now
        )
        .await);
        Ok(gid)
    }

    /// Deletes a party and its links (administrators). Deactivating (`updateParty`) keeps
    /// its history readable and is usually what is meant.
    async fn delete_party(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The party's id or code.")] id: ID,
        #[graphql(desc = "The version you read.")] expected_version: Option<i32>,
    ) -> Result<ID> {
        let w = WriteContext::new(ctx).await?;
        require_keeper(w.viewer, w.relations, Keeper::Admin)?;
        let row = find::<party::Entity>(w.db, "id", Kind::Party, &id).await?;
        let gid = global_id(Kind::Party, row.id);
        transaction!(w, |txn, journal, now| records::delete::<party::Entity>(
            &txn,
            journal,
            &w.actor,
            "party",
            row,
            expected_version,
            None,
            now
        )
        .await);
        Ok(gid)
    }

    /// Creates a goal in an agenda (the RSO of its region as coordinator, or an administrator).
    async fn create_goal(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new goal.")] input: CreateGoalInput,
    ) -> Result<Goal> {
        let w = WriteContext::new(ctx).await?;
        let agenda =
            resolve::<agenda::Entity>(w.db, "input.agenda", Kind::Agenda, &input.agenda).await?;
        require_keeper(w.viewer, w.relations, Keeper::Agenda(agenda))?;
        let mut f = blank();
        code(&mut f, input.code)?;
        text(&mut f, "input.title", "title", Some(input.title), 1_000)?;
        text(&mut f, "input.summary", "summary", input.summary, 5_000)?;
        text(&mut f, "input.target", "target", input.target, 1_000)?;
        text(&mut f, "input.number", "number", input.number, 20)?;
        f.entry("number").or_insert(Value::Null);
        f.entry("target").or_insert(Value::Null);
        year(
            &mut f,
            "input.targetYear",
            "target_year",
            defined(input.target_year),
        )?;
        f.entry("target_year").or_insert(Value::Null);
        f.insert("agenda_id".into(), json!(agenda));
        f.insert("kind".into(), json!(input.kind.as_db()));
        let model = transaction!(w, |txn, journal, now| records::create::<goal::Entity>(
            &txn,
            journal,
            &w.actor,
            "goal",
            f,
            Some(agenda),
            now
        )
        .await);
        Ok(Goal(model))
    }

    /// Changes a goal (its agenda's keeper).
    async fn update_goal(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The goal's id or code.")] id: ID,
        #[graphql(desc = "The version you read; CONFLICT when it is no longer current.")]
        expected_version: Option<i32>,
        #[graphql(desc = "The changes.")] input: UpdateGoalInput,
    ) -> Result<Goal> {
        let w = WriteContext::new(ctx).await?;
        let row = find::<goal::Entity>(w.db, "id", Kind::Goal, &id).await?;
        require_keeper(w.viewer, w.relations, Keeper::Agenda(row.agenda_id))?;
        let mut f = Map::new();
        text(&mut f, "input.title", "title", input.title, 1_000)?;
        maybe_text(&mut f, "input.number", "number", input.number, 20)?;
        maybe_text(&mut f, "input.summary", "summary", input.summary, 5_000)?;
        maybe_text(&mut f, "input.target", "target", input.target, 1_000)?;
        year(&mut f, "input.targetYear", "target_year", input.target_year)?;
        if let Some(kind) = input.kind {
            f.insert("kind".into(), json!(kind.as_db()));
        }
        let agenda = Some(row.agenda_id);
        let model = transaction!(w, |txn, journal, now| records::update::<goal::Entity>(
            &txn,
            journal,
            &w.actor,
            "goal",
            row,
            f,
            expected_version,
            agenda,
            now
        )
        .await);
        Ok(Goal(model))
    }

    /// Deletes a goal (its agenda's keeper); its links go with it.
    async fn delete_goal(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The goal's id or code.")] id: ID,
        #[graphql(desc = "The version you read.")] expected_version: Option<i32>,
    ) -> Result<ID> {
        let w = WriteContext::new(ctx).await?;
        let row = find::<goal::Entity>(w.db, "id", Kind::Goal, &id).await?;
        require_keeper(w.viewer, w.relations, Keeper::Agenda(row.agenda_id))?;
        let (gid, agenda) = (global_id(Kind::Goal, row.id), Some(row.agenda_id));
        transaction!(w, |txn, journal, now| records::delete::<goal::Entity>(
            &txn,
            journal,
            &w.actor,
            "goal",
            row,
            expected_version,
            agenda,
            now
        )
        .await);
        Ok(gid)
    }

    /// Creates a theme: of an agenda (its keeper) or national (administrators).
    async fn create_theme(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new theme.")] input: CreateThemeInput,
    ) -> Result<Theme> {
        let w = WriteContext::new(ctx).await?;
        let agenda = match &input.agenda {
            Some(a) => {
                Some(resolve::<agenda::Entity>(w.db, "input.agenda", Kind::Agenda, a).await?)
            }
            None => None,
        };
        require_keeper(
            w.viewer,
            w.relations,
            agenda.map_or(Keeper::Admin, Keeper::Agenda),
        )?;
        let parent = match &input.parent {
            Some(p) => Some(resolve::<theme::Entity>(w.db, "input.parent", Kind::Theme, p).await?),
            None => None,
        };
        let mut f = blank();
        code(&mut f, input.code)?;
        text(&mut f, "input.name", "name", Some(input.name), 300)?;
        text(&mut f, "input.summary", "summary", input.summary, 5_000)?;
        f.insert("agenda_id".into(), json!(agenda));
        f.insert("parent_id".into(), json!(parent));
        let model = transaction!(w, |txn, journal, now| records::create::<theme::Entity>(
            &txn, journal, &w.actor, "theme", f, agenda, now
        )
        .await);
        Ok(Theme(model))
    }

    /// Changes a theme (its agenda's keeper; national themes: administrators).
    async fn update_theme(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The theme's id or code.")] id: ID,
        #[graphql(desc = "The version you read; CONFLICT when it is no longer current.")]
        expected_version: Option<i32>,
        #[graphql(desc = "The changes.")] input: UpdateThemeInput,
    ) -> Result<Theme> {
        let w = WriteContext::new(ctx).await?;
        let row = find::<theme::Entity>(w.db, "id", Kind::Theme, &id).await?;
        require_keeper(
            w.viewer,
            w.relations,
            row.agenda_id.map_or(Keeper::Admin, Keeper::Agenda),
        )?;
        let mut f = Map::new();
        text(&mut f, "input.name", "name", input.name, 300)?;
        maybe_text(&mut f, "input.summary", "summary", input.summary, 5_000)?;
        let agenda = row.agenda_id;
        let model = transaction!(w, |txn, journal, now| records::update::<theme::Entity>(
            &txn,
            journal,
            &w.actor,
            "theme",
            row,
            f,
            expected_version,
            agenda,
            now
        )
        .await);
        Ok(Theme(model))
    }

    /// Deletes a theme.
    async fn delete_theme(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The theme's id or code.")] id: ID,
        #[graphql(desc = "The version you read.")] expected_version: Option<i32>,
    ) -> Result<ID> {
        let w = WriteContext::new(ctx).await?;
        let row = find::<theme::Entity>(w.db, "id", Kind::Theme, &id).await?;
        require_keeper(
            w.viewer,
            w.relations,
            row.agenda_id.map_or(Keeper::Admin, Keeper::Agenda),
        )?;
        let (gid, agenda) = (global_id(Kind::Theme, row.id), row.agenda_id);
        transaction!(w, |txn, journal, now| records::delete::<theme::Entity>(
            &txn,
            journal,
            &w.actor,
            "theme",
            row,
            expected_version,
            agenda,
            now
        )
        .await);
        Ok(gid)
    }

    /// Creates an indicator of an agenda (its keeper).
    async fn create_indicator(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new indicator.")] input: CreateIndicatorInput,
    ) -> Result<Indicator> {
        let w = WriteContext::new(ctx).await?;
        let agenda =
            resolve::<agenda::Entity>(w.db, "input.agenda", Kind::Agenda, &input.agenda).await?;
        require_keeper(w.viewer, w.relations, Keeper::Agenda(agenda))?;
        let mut f = blank();
        code(&mut f, input.code)?;
        text(&mut f, "input.name", "name", Some(input.name), 500)?;
        text(&mut f, "input.unit", "unit", input.unit, 100)?;
        text(&mut f, "input.scope", "scope", input.scope, 300)?;
        year(&mut f, "input.year", "year", defined(input.year))?;
        year(
            &mut f,
            "input.targetYear",
            "target_year",
            defined(input.target_year),
        )?;
        for (k, v) in [
            ("value", input.value),
            ("baseline", input.baseline),
            ("target", input.target),
        ] {
            if v.is_some_and(|v| !v.is_finite()) {
                return Err(AppError::bad_input(format!("input.{k}"), "a finite number").into());
            }
            f.insert(k.into(), json!(v));
        }
        for k in [
            "unit",
            "scope",
            "year",
            "target_year",
            "goal_id",
            "theme_id",
            "benchmark_value",
            "benchmark_scope",
        ] {
            f.entry(k).or_insert(Value::Null);
        }
        f.insert("agenda_id".into(), json!(agenda));
        f.insert("kind".into(), json!(input.kind.as_db()));
        let model = transaction!(w, |txn, journal, now| records::create::<indicator::Entity>(
            &txn,
            journal,
            &w.actor,
            "indicator",
            f,
            Some(agenda),
            now
        )
        .await);
        Ok(Indicator(model))
    }

    /// Changes an indicator (its agenda's keeper): for example a new observed value.
    async fn update_indicator(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The indicator's id or code.")] id: ID,
        #[graphql(desc = "The version you read; CONFLICT when it is no longer current.")]
        expected_version: Option<i32>,
        #[graphql(desc = "The changes.")] input: UpdateIndicatorInput,
    ) -> Result<Indicator> {
        let w = WriteContext::new(ctx).await?;
        let id = resolve::<indicator::Entity>(w.db, "id", Kind::Indicator, &id).await?;
        let row = find_id::<indicator::Entity>(w.db, id, "id").await?;
        require_keeper(w.viewer, w.relations, Keeper::Agenda(row.agenda_id))?;
        let mut f = Map::new();
        text(&mut f, "input.name", "name", input.name, 500)?;
        maybe_text(&mut f, "input.unit", "unit", input.unit, 100)?;
        maybe_text(&mut f, "input.scope", "scope", input.scope, 300)?;
        year(&mut f, "input.year", "year", input.year)?;
        year(&mut f, "input.targetYear", "target_year", input.target_year)?;
        maybe_value(&mut f, "value", input.value);
        maybe_value(&mut f, "baseline", input.baseline);
        maybe_value(&mut f, "target", input.target);
        let agenda = Some(row.agenda_id);
        let model = transaction!(w, |txn, journal, now| records::update::<indicator::Entity>(
            &txn,
            journal,
            &w.actor,
            "indicator",
            row,
            f,
            expected_version,
            agenda,
            now
        )
        .await);
        Ok(Indicator(model))
    }

    /// Deletes an indicator.
    async fn delete_indicator(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The indicator's id or code.")] id: ID,
        #[graphql(desc = "The version you read.")] expected_version: Option<i32>,
    ) -> Result<ID> {
        let w = WriteContext::new(ctx).await?;
        let id = resolve::<indicator::Entity>(w.db, "id", Kind::Indicator, &id).await?;
        let row = find_id::<indicator::Entity>(w.db, id, "id").await?;
        require_keeper(w.viewer, w.relations, Keeper::Agenda(row.agenda_id))?;
        let (gid, agenda) = (global_id(Kind::Indicator, row.id), Some(row.agenda_id));
        transaction!(w, |txn, journal, now| records::delete::<indicator::Entity>(
            &txn,
            journal,
            &w.actor,
            "indicator",
            row,
            expected_version,
            agenda,
            now
        )
        .await);
        Ok(gid)
    }

    /// Creates a knelpunt of an agenda (its keeper).
    async fn create_bottleneck(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new knelpunt.")] input: CreateBottleneckInput,
    ) -> Result<Bottleneck> {
        let w = WriteContext::new(ctx).await?;
        let agenda =
            resolve::<agenda::Entity>(w.db, "input.agenda", Kind::Agenda, &input.agenda).await?;
        require_keeper(w.viewer, w.relations, Keeper::Agenda(agenda))?;
        let goal = match &input.goal {
            Some(g) => Some(resolve::<goal::Entity>(w.db, "input.goal", Kind::Goal, g).await?),
            None => None,
        };
        let mut f = blank();
        code(&mut f, input.code)?;
        text(&mut f, "input.title", "title", Some(input.title), 1_000)?;
        text(&mut f, "input.summary", "summary", input.summary, 5_000)?;
        f.insert("agenda_id".into(), json!(agenda));
        f.insert("goal_id".into(), json!(goal));
        f.insert("initiative_id".into(), Value::Null);
        let model = transaction!(w, |txn, journal, now| {
            records::create::<bottleneck::Entity>(
                &txn,
                journal,
                &w.actor,
                "bottleneck",
                f,
                Some(agenda),
                now,
            )
            .await
        });
        Ok(Bottleneck(model))
    }

    /// Changes a knelpunt (its agenda's keeper).
    async fn update_bottleneck(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The knelpunt's id or code.")] id: ID,
        #[graphql(desc = "The version you read; CONFLICT when it is no longer current.")]
        expected_version: Option<i32>,
        #[graphql(desc = "The changes.")] input: UpdateBottleneckInput,
    ) -> Result<Bottleneck> {
        let w = WriteContext::new(ctx).await?;
        let id = resolve::<bottleneck::Entity>(w.db, "id", Kind::Bottleneck, &id).await?;
        let row = find_id::<bottleneck::Entity>(w.db, id, "id").await?;
        require_keeper(w.viewer, w.relations, Keeper::Agenda(row.agenda_id))?;
        let mut f = Map::new();
        text(&mut f, "input.title", "title", input.title, 1_000)?;
        maybe_text(&mut f, "input.summary", "summary", input.summary, 5_000)?;
        let agenda = Some(row.agenda_id);
        let model = transaction!(w, |txn, journal, now| {
            records::update::<bottleneck::Entity>(
                &txn,
                journal,
                &w.actor,
                "bottleneck",
                row,
                f,
                expected_version,
                agenda,
                now,
            )
            .await
        });
        Ok(Bottleneck(model))
    }

    /// Deletes a knelpunt.
    async fn delete_bottleneck(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The knelpunt's id or code.")] id: ID,
        #[graphql(desc = "The version you read.")] expected_version: Option<i32>,
    ) -> Result<ID> {
        let w = WriteContext::new(ctx).await?;
        let id = resolve::<bottleneck::Entity>(w.db, "id", Kind::Bottleneck, &id).await?;
        let row = find_id::<bottleneck::Entity>(w.db, id, "id").await?;
        require_keeper(w.viewer, w.relations, Keeper::Agenda(row.agenda_id))?;
        let (gid, agenda) = (global_id(Kind::Bottleneck, row.id), Some(row.agenda_id));
        transaction!(w, |txn, journal, now| {
            records::delete::<bottleneck::Entity>(
                &txn,
                journal,
                &w.actor,
                "bottleneck",
                row,
                expected_version,
                agenda,
                now,
            )
            .await
        });
        Ok(gid)
    }

    /// Creates a governance body of an agenda (its keeper).
    async fn create_governance_body(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new body.")] input: CreateGovernanceBodyInput,
    ) -> Result<GovernanceBody> {
        let w = WriteContext::new(ctx).await?;
        let agenda =
            resolve::<agenda::Entity>(w.db, "input.agenda", Kind::Agenda, &input.agenda).await?;
        require_keeper(w.viewer, w.relations, Keeper::Agenda(agenda))?;
        let mut f = blank();
        code(&mut f, input.code)?;
        text(&mut f, "input.name", "name", Some(input.name), 300)?;
        text(&mut f, "input.cadence", "cadence", input.cadence, 300)?;
        text(&mut f, "input.summary", "summary", input.summary, 5_000)?;
        f.entry("cadence").or_insert(Value::Null);
        f.insert("agenda_id".into(), json!(agenda));
        f.insert("kind".into(), json!(input.kind.as_db()));
        let model = transaction!(w, |txn, journal, now| records::create::<
            governance_body::Entity,
        >(
            &txn,
            journal,
            &w.actor,
            "governance_body",
            f,
            Some(agenda),
            now
        )
        .await);
        Ok(GovernanceBody(model))
    }

    /// Changes a governance body (its agenda's keeper).
    async fn update_governance_body(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The body's id or code.")] id: ID,
        #[graphql(desc = "The version you read; CONFLICT when it is no longer current.")]
        expected_version: Option<i32>,
        #[graphql(desc = "The changes.")] input: UpdateGovernanceBodyInput,
    ) -> Result<GovernanceBody> {
        let w = WriteContext::new(ctx).await?;
        let row = find::<governance_body::Entity>(w.db, "id", Kind::GovernanceBody, &id).await?;
        require_keeper(w.viewer, w.relations, Keeper::Agenda(row.agenda_id))?;
        let mut f = Map::new();
        text(&mut f, "input.name", "name", input.name, 300)?;
        maybe_text(&mut f, "input.cadence", "cadence", input.cadence, 300)?;
        maybe_text(&mut f, "input.summary", "summary", input.summary, 5_000)?;
        let agenda = Some(row.agenda_id);
        let model = transaction!(w, |txn, journal, now| records::update::<
            governance_body::Entity,
        >(
            &txn,
            journal,
            &w.actor,
            "governance_body",
            row,
            f,
            expected_version,
            agenda,
            now
        )
        .await);
        Ok(GovernanceBody(model))
    }

    /// Changes an agenda (the RSO of its region as coordinator, or an administrator).
    async fn update_agenda(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The agenda's id or code.")] id: ID,
        #[graphql(desc = "The version you read; CONFLICT when it is no longer current.")]
        expected_version: Option<i32>,
        #[graphql(desc = "The changes.")] input: UpdateAgendaInput,
    ) -> Result<Agenda> {
        let w = WriteContext::new(ctx).await?;
        let row = find::<agenda::Entity>(w.db, "id", Kind::Agenda, &id).await?;
        require_keeper(w.viewer, w.relations, Keeper::Agenda(row.id))?;
        let mut f = Map::new();
        text(&mut f, "input.title", "title", input.title, 500)?;
        maybe_text(&mut f, "input.summary", "summary", input.summary, 5_000)?;
        year(
            &mut f,
            "input.periodStart",
            "period_start",
            input.period_start,
        )?;
        year(&mut f, "input.periodEnd", "period_end", input.period_end)?;
        let agenda = Some(row.id);
        let model = transaction!(w, |txn, journal, now| records::update::<agenda::Entity>(
            &txn,
            journal,
            &w.actor,
            "agenda",
            row,
            f,
            expected_version,
            agenda,
            now
        )
        .await);
        Ok(Agenda(model))
    }

    /// Creates a region (administrators).
    async fn create_region(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new region.")] input: CreateRegionInput,
    ) -> Result<Region> {
        let w = WriteContext::new(ctx).await?;
        require_keeper(w.viewer, w.relations, Keeper::Admin)?;
        let parent = match &input.parent {
            Some(p) => {
                Some(resolve::<region::Entity>(w.db, "input.parent", Kind::Region, p).await?)
            }
            None => None,
        };
        let mut f = blank();
        code(&mut f, input.code)?;
        text(&mut f, "input.name", "name", Some(input.name), 300)?;
        text(&mut f, "input.summary", "summary", input.summary, 5_000)?;
        f.insert("kind".into(), json!(input.kind.as_db()));
        f.insert("parent_id".into(), json!(parent));
        let model = transaction!(w, |txn, journal, now| records::create::<region::Entity>(
            &txn, journal, &w.actor, "region", f, None, now
        )
        .await);
        Ok(Region(model))
    }

    /// Creates a party (administrators).
    async fn create_party(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new party.")] input: CreatePartyInput,
    ) -> Result<Party> {
        let w = WriteContext::new(ctx).await?;
        require_keeper(w.viewer, w.relations, Keeper::Admin)?;
        let mut f = blank();
        code(&mut f, input.code)?;
        text(&mut f, "input.name", "name", Some(input.name), 300)?;
        text(&mut f, "input.summary", "summary", input.summary, 5_000)?;
        f.insert("kind".into(), json!(input.kind.as_db()));
        f.insert("is_category".into(), json!(input.is_category));
        f.insert("active".into(), json!(true));
        let model = transaction!(w, |txn, journal, now| records::create::<party::Entity>(
            &txn, journal, &w.actor, "party", f, None, now
        )
        .await);
        Ok(Party(model))
    }

    /// Changes a party (administrators); `active: false` refuses its tokens at once.
    async fn update_party(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The party's id or code.")] id: ID,
        #[graphql(desc = "The version you read; CONFLICT when it is no longer current.")]
        expected_version: Option<i32>,
        #[graphql(desc = "The changes.")] input: UpdatePartyInput,
    ) -> Result<Party> {
        let w = WriteContext::new(ctx).await?;
        require_keeper(w.viewer, w.relations, Keeper::Admin)?;
        let row = find::<party::Entity>(w.db, "id", Kind::Party, &id).await?;
        let mut f = Map::new();
        text(&mut f, "input.name", "name", input.name, 300)?;
        maybe_text(&mut f, "input.summary", "summary", input.summary, 5_000)?;
        if let Some(active) = input.active {
            f.insert("active".into(), json!(active));
        }
        let model = transaction!(w, |txn, journal, now| records::update::<party::Entity>(
            &txn,
            journal,
            &w.actor,
            "party",
            row,
            f,
            expected_version,
            None,
            now
        )
        .await);
        Ok(Party(model))
    }
}

/// Which link a link mutation adds or removes.
enum LinkKind {
    GoalTheme,
    GoalParent,
    BodyMember,
    Signatory,
    RegionParty,
    PartyMember,
}

#[derive(Default)]
pub struct LinkMutation;

async fn change_link(
    ctx: &Context<'_>,
    kind: LinkKind,
    owner: &str,
    other: &str,
    role: Option<String>,
    add: bool,
) -> AppResult<bool> {
    use sea_orm::{ColumnTrait, Condition};
    let w = WriteContext::new(ctx).await?;
    let db = w.db;
    let (owner_entity, owner_id, agenda, keeper, key, fields): (
        &'static str,
        i32,
        Option<i32>,
        Keeper,
        Condition,
        Map<String, Value>,
    ) = match kind {
        LinkKind::GoalTheme | LinkKind::GoalParent => {
            let goal = find::<goal::Entity>(db, "goal", Kind::Goal, owner).await?;
            if matches!(kind, LinkKind::GoalTheme) {
                let theme = resolve::<theme::Entity>(db, "theme", Kind::Theme, other).await?;
                let key = Condition::all()
                    .add(goal_theme::Column::GoalId.eq(goal.id))
                    .add(goal_theme::Column::ThemeId.eq(theme));
                (
                    "goal",
                    goal.id,
                    Some(goal.agenda_id),
                    Keeper::Agenda(goal.agenda_id),
                    key,
                    json_map(json!({"goal_id": goal.id, "theme_id": theme})),
                )
            } else {
                let parent = find::<goal::Entity>(db, "parent", Kind::Goal, other).await?;
                if parent.agenda_id != goal.agenda_id || parent.id == goal.id {
                    return Err(AppError::bad_input(
                        "parent",
                        "a goal of the same agenda, other than the goal itself",
                    ));
                }
                let key = Condition::all()
                    .add(goal_parent::Column::GoalId.eq(goal.id))
                    .add(goal_parent::Column::ParentId.eq(parent.id));
                (
                    "goal",
                    goal.id,
                    Some(goal.agenda_id),
                    Keeper::Agenda(goal.agenda_id),
                    key,
                    json_map(json!({"goal_id": goal.id, "parent_id": parent.id})),
                )
            }
        }
        LinkKind::BodyMember => {
            let body =
                find::<governance_body::Entity>(db, "body", Kind::GovernanceBody, owner).await?;
            let party = resolve::<party::Entity>(db, "party", Kind::Party, other).await?;
            let key = Condition::all()
                .add(governance_member::Column::BodyId.eq(body.id))
                .add(governance_member::Column::PartyId.eq(party));
            (
                "governance_body",
                body.id,
                Some(body.agenda_id),
                Keeper::Agenda(body.agenda_id),
                key,
                json_map(json!({"body_id": body.id, "party_id": party, "role": role})),
            )
        }
        LinkKind::Signatory => {
            let agenda = find::<agenda::Entity>(db, "agenda", Kind::Agenda, owner).await?;
            let party = resolve::<party::Entity>(db, "party", Kind::Party, other).await?;
            let key = Condition::all()
                .add(agenda_signatory::Column::AgendaId.eq(agenda.id))
                .add(agenda_signatory::Column::PartyId.eq(party));
            (
                "agenda",
                agenda.id,
                Some(agenda.id),
                Keeper::Agenda(agenda.id),
                key,
                json_map(json!({"agenda_id": agenda.id, "party_id": party, "role": role})),
            )
        }
        LinkKind::RegionParty => {
            let region = resolve::<region::Entity>(db, "region", Kind::Region, owner).await?;
            let party = resolve::<party::Entity>(db, "party", Kind::Party, other).await?;
            let role = role.unwrap_or_default();
            if RegionRole::from_db(&role).is_none() {
                return Err(AppError::bad_input(
                    "role",
                    format!("one of: {}", RegionRole::spellings()),
                ));
            }
            let key = Condition::all()
                .add(region_party::Column::RegionId.eq(region))
                .add(region_party::Column::PartyId.eq(party))
                .add(region_party::Column::Role.eq(role.as_str()));
            (
                "region",
                region,
                None,
                Keeper::Admin,
                key,
                json_map(json!({"region_id": region, "party_id": party, "role": role})),
            )
        }
        LinkKind::PartyMember => {
            let collective = resolve::<party::Entity>(db, "collective", Kind::Party, owner).await?;
            let member = resolve::<party::Entity>(db, "member", Kind::Party, other).await?;
            if collective == member {
                return Err(AppError::bad_input(
                    "member",
                    "a party is not a member of itself",
                ));
            }
            let key = Condition::all()
                .add(party_membership::Column::CollectiveId.eq(collective))
                .add(party_membership::Column::MemberId.eq(member));
            (
                "party",
                collective,
                None,
                Keeper::Admin,
                key,
                json_map(json!({"collective_id": collective, "member_id": member})),
            )
        }
    };
    require_keeper(w.viewer, w.relations, keeper)?;
    let changed = match kind {
        LinkKind::GoalTheme => {
            transaction!(w, |txn, journal, now| records::link::<goal_theme::Entity>(
                &txn,
                journal,
                &w.actor,
                owner_entity,
                owner_id,
                None,
                agenda,
                key,
                fields,
                add,
                now
            )
            .await)
        }
        LinkKind::GoalParent => {
            transaction!(w, |txn, journal, now| records::link::<goal_parent::Entity>(
                &txn,
                journal,
                &w.actor,
                owner_entity,
                owner_id,
                None,
                agenda,
                key,
                fields,
                add,
                now
            )
            .await)
        }
        LinkKind::BodyMember => transaction!(w, |txn, journal, now| records::link::<
            governance_member::Entity,
        >(
            &txn,
            journal,
            &w.actor,
            owner_entity,
            owner_id,
            None,
            agenda,
            key,
            fields,
            add,
            now
        )
        .await),
        LinkKind::Signatory => transaction!(w, |txn, journal, now| records::link::<
            agenda_signatory::Entity,
        >(
            &txn,
            journal,
            &w.actor,
            owner_entity,
            owner_id,
            None,
            agenda,
            key,
            fields,
            add,
            now
        )
        .await),
        LinkKind::RegionParty => transaction!(w, |txn, journal, now| records::link::<
            region_party::Entity,
        >(
            &txn,
            journal,
            &w.actor,
            owner_entity,
            owner_id,
            None,
            agenda,
            key,
            fields,
            add,
            now
        )
        .await),
        LinkKind::PartyMember => transaction!(w, |txn, journal, now| records::link::<
            party_membership::Entity,
        >(
            &txn,
            journal,
            &w.actor,
            owner_entity,
            owner_id,
            None,
            agenda,
            key,
            fields,
            add,
            now
        )
        .await),
    };
    Ok(changed)
}

fn json_map(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

#[Object]
impl LinkMutation {
    /// Links a goal to a theme it serves (its agenda's keeper). True when something changed.
    async fn link_goal_theme(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The goal (id or code).")] goal: ID,
        #[graphql(desc = "The theme (id or code).")] theme: ID,
    ) -> Result<bool> {
        Ok(change_link(ctx, LinkKind::GoalTheme, &goal, &theme, None, true).await?)
    }

    /// Unlinks a goal from a theme. True when something changed.
    async fn unlink_goal_theme(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The goal (id or code).")] goal: ID,
        #[graphql(desc = "The theme (id or code).")] theme: ID,
    ) -> Result<bool> {
        Ok(change_link(ctx, LinkKind::GoalTheme, &goal, &theme, None, false).await?)
    }

    /// Places a goal under another goal of the same agenda (a doel under an opgave).
    async fn link_goal_parent(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The goal (id or code).")] goal: ID,
        #[graphql(desc = "The goal above it (id or code).")] parent: ID,
    ) -> Result<bool> {
        Ok(change_link(ctx, LinkKind::GoalParent, &goal, &parent, None, true).await?)
    }

    /// Takes a goal from under another.
    async fn unlink_goal_parent(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The goal (id or code).")] goal: ID,
        #[graphql(desc = "The goal above it (id or code).")] parent: ID,
    ) -> Result<bool> {
        Ok(change_link(ctx, LinkKind::GoalParent, &goal, &parent, None, false).await?)
    }

    /// Adds a party to a governance body (its agenda's keeper).
    async fn add_governance_member(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The body (id or code).")] body: ID,
        #[graphql(desc = "The party (id or code).")] party: ID,
        #[graphql(desc = "Its role there (voorzitter, ...).")] role: Option<String>,
    ) -> Result<bool> {
        Ok(change_link(ctx, LinkKind::BodyMember, &body, &party, role, true).await?)
    }

    /// Removes a party from a governance body.
    async fn remove_governance_member(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The body (id or code).")] body: ID,
        #[graphql(desc = "The party (id or code).")] party: ID,
    ) -> Result<bool> {
        Ok(change_link(ctx, LinkKind::BodyMember, &body, &party, None, false).await?)
    }

    /// Records a party as signatory of an agenda (its keeper).
    async fn add_agenda_signatory(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The agenda (id or code).")] agenda: ID,
        #[graphql(desc = "The party (id or code).")] party: ID,
        #[graphql(desc = "On whose behalf it signs.")] role: Option<String>,
    ) -> Result<bool> {
        Ok(change_link(ctx, LinkKind::Signatory, &agenda, &party, role, true).await?)
    }

    /// Removes a signatory.
    async fn remove_agenda_signatory(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The agenda (id or code).")] agenda: ID,
        #[graphql(desc = "The party (id or code).")] party: ID,
    ) -> Result<bool> {
        Ok(change_link(ctx, LinkKind::Signatory, &agenda, &party, None, false).await?)
    }

    /// Places a party in a region in a role (administrators).
    async fn add_region_party(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The region (id or code).")] region: ID,
        #[graphql(desc = "The party (id or code).")] party: ID,
        #[graphql(desc = "Its role there.")] role: RegionRole,
    ) -> Result<bool> {
        Ok(change_link(
            ctx,
            LinkKind::RegionParty,
            &region,
            &party,
            Some(role.as_db().into()),
            true,
        )
        .await?)
    }

    /// Removes a party's role in a region (administrators).
    async fn remove_region_party(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The region (id or code).")] region: ID,
        #[graphql(desc = "The party (id or code).")] party: ID,
        #[graphql(desc = "The role to remove.")] role: RegionRole,
    ) -> Result<bool> {
        Ok(change_link(
            ctx,
            LinkKind::RegionParty,
            &region,
            &party,
            Some(role.as_db().into()),
            false,
        )
        .await?)
    }

    /// Makes a party a member of a collective or network (administrators); it takes part
    /// through the collective at once.
    async fn add_party_member(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The collective (id or code).")] collective: ID,
        #[graphql(desc = "The member (id or code).")] member: ID,
    ) -> Result<bool> {
        Ok(change_link(ctx, LinkKind::PartyMember, &collective, &member, None, true).await?)
    }

    /// Removes a party from a collective (administrators): it stops taking part through it
    /// at once.
    async fn remove_party_member(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The collective (id or code).")] collective: ID,
        #[graphql(desc = "The member (id or code).")] member: ID,
    ) -> Result<bool> {
        Ok(change_link(
            ctx,
            LinkKind::PartyMember,
            &collective,
            &member,
            None,
            false,
        )
        .await?)
    }
}
