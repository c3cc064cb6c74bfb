//! Mutations of initiatives and their links. Resolvers are thin: they read the input, open
//! the transaction and call `write::initiatives`.

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, Result};
use chrono::{DateTime, Utc};
use entity::{agenda, goal, initiative, party, theme};
use sea_orm::{DatabaseConnection, EntityTrait};

use super::maybe;
use crate::auth::Viewer;
use crate::domain::{InitiativeStatus, ParticipationRole, Visibility};
use crate::error::{AppError, AppResult};
use crate::graphql::filter::resolve;
use crate::graphql::types::Initiative;
use crate::ids::Kind;
use crate::write::batches::Batches;
use crate::write::initiatives::{
    self as write, Applied, LinkTarget, NewInitiative, Patch, Planned,
};
use crate::write::journal::Journal;
use crate::write::{Actor, WRITE_ATTEMPTS, now};

/// The fields of a new initiative.
#[derive(InputObject)]
pub struct CreateInitiativeInput {
    /// The agenda (id or code) it belongs to; it must be of the caller's region.
    pub agenda: ID,
    /// Its stable code, unique: `<agenda code>/<slug>` by convention.
    pub code: String,
    /// Its title.
    pub title: String,
    /// A short description.
    pub summary: Option<String>,
    /// Its status; `UNKNOWN` when left out.
    pub status: Option<InitiativeStatus>,
    /// Who may see it; `PUBLIC` when left out.
    pub visibility: Option<Visibility>,
    /// Whether it saves labour.
    pub labour_saving: Option<bool>,
    /// When it starts (`2025`, `2025-Q2`, `2025-04`, `2025-04-01`).
    pub starts: Option<String>,
    /// When it ends, in the same form.
    pub ends: Option<String>,
    /// How it is funded.
    pub funding: Option<String>,
    /// The budget in whole euros.
    pub budget_eur: Option<i64>,
}

/// Changes to an initiative: a field left out stays as it is, a field set to null is cleared.
#[derive(InputObject, Default)]
pub struct UpdateInitiativeInput {
    /// A new title.
    pub title: Option<String>,
    /// A new description (null clears it).
    pub summary: MaybeUndefined<String>,
    /// A new status (recorded in the status history).
    pub status: Option<InitiativeStatus>,
    /// Who may see it. A change that would hide it from the caller is refused.
    pub visibility: Option<Visibility>,
    /// Whether it saves labour (null: not stated).
    pub labour_saving: MaybeUndefined<bool>,
    /// When it starts.
    pub starts: MaybeUndefined<String>,
    /// When it ends.
    pub ends: MaybeUndefined<String>,
    /// The timeline in words.
    pub timeline: MaybeUndefined<String>,
    /// How it is funded (guarded: participants only).
    pub funding: MaybeUndefined<String>,
    /// The budget in whole euros (guarded: participants only).
    pub budget_eur: MaybeUndefined<i64>,
    /// Internal notes (guarded: participants only).
    pub internal_notes: MaybeUndefined<String>,
    /// The progress report (guarded: participants only; recorded in the history).
    pub progress_notes: MaybeUndefined<String>,
}

impl From<UpdateInitiativeInput> for Patch {
    fn from(input: UpdateInitiativeInput) -> Self {
        Patch {
            title: input.title,
            summary: maybe(input.summary),
            status: input.status,
            visibility: input.visibility,
            labour_saving: maybe(input.labour_saving),
            starts: maybe(input.starts),
            ends: maybe(input.ends),
            timeline: maybe(input.timeline),
            funding: maybe(input.funding),
            budget_eur: maybe(input.budget_eur),
            internal_notes: maybe(input.internal_notes),
            progress_notes: maybe(input.progress_notes),
        }
    }
}

/// What every write resolver needs: the pool, the caller, its relations and the actor.
pub(super) struct WriteContext<'a> {
    pub db: &'a DatabaseConnection,
    pub viewer: &'a Viewer,
    pub relations: Option<&'a crate::auth::viewer::Relations>,
    pub actor: Actor,
    pub notifier: &'a crate::notify::Notifier,
    pub batches: &'a Batches,
}

impl<'a> WriteContext<'a> {
    pub async fn new(ctx: &Context<'a>) -> AppResult<WriteContext<'a>> {
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let viewer = ctx.data_unchecked::<Viewer>();
        let relations = match viewer.org {
            Some(_) => Some(viewer.relations(db).await?),
            None => None,
        };
        let request_id = ctx
            .data_opt::<crate::http::RequestId>()
            .map(|r| r.0.clone());
        Ok(WriteContext {
            db,
            viewer,
            relations,
            actor: Actor::of(viewer, request_id),
            notifier: ctx.data_unchecked::<crate::notify::Notifier>(),
            batches: ctx.data_unchecked::<Batches>(),
        })
    }

    /// Reads the initiative `id` refers to, plans a change of it with `plan` and writes it on
    /// its own (see `write::write_planned`), then wakes the subscribers; the row as it is now.
    ///
    /// When another writer changed the row between the read and the write, a caller that
    /// gave an `expected_version` gets CONFLICT; one that gave none asked for the last write
    /// to win, so the change is planned again on the row as it is now (a few times at most).
    pub async fn change_initiative(
        &self,
        id: &ID,
        expected_version: Option<i32>,
        plan: impl Fn(initiative::Model) -> AppResult<Planned>,
    ) -> AppResult<initiative::Model> {
        let mut attempts = 0;
        loop {
            attempts += 1;
            let planned = plan(self.initiative("id", id).await?)?;
            let (row_id, code) = planned.row();
            match write::write_planned(self.batches, &self.actor, planned).await? {
                Some(Applied::Updated(row)) => {
                    self.notifier.notify();
                    return Ok(row);
                }
                Some(Applied::Unchanged(row)) => return Ok(row),
                None if expected_version.is_none() && attempts < WRITE_ATTEMPTS => continue,
                None => return Err(write::lost_race(self.db, row_id, &code).await),
            }
        }
    }

    /// The initiative `raw` (id or code) refers to, read together with the initiatives other
    /// requests are about to change (see write/batches.rs).
    pub async fn initiative(&self, path: &str, raw: &str) -> AppResult<initiative::Model> {
        let id = resolve::<initiative::Entity>(self.db, path, Kind::Initiative, raw).await?;
        self.batches
            .initiative(id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("no initiative `{raw}`")))
    }
}

#[derive(Default)]
pub struct InitiativeMutation;

#[Object]
impl InitiativeMutation {
    /// Creates an initiative in an agenda of the caller's region (editor role); the caller's
    /// organisation becomes its lead.
    async fn create_initiative(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new initiative.")] input: CreateInitiativeInput,
    ) -> Result<Initiative> {
        let w = WriteContext::new(ctx).await?;
        let agenda_id =
            resolve::<agenda::Entity>(w.db, "input.agenda", Kind::Agenda, &input.agenda).await?;
        let new = NewInitiative {
            agenda_id,
            code: input.code,
            title: input.title,
            patch: Patch {
                summary: Some(input.summary),
                status: input.status,
                visibility: input.visibility,
                labour_saving: Some(input.labour_saving),
                starts: Some(input.starts),
                ends: Some(input.ends),
                funding: Some(input.funding),
                budget_eur: Some(input.budget_eur),
                ..Default::default()
            },
        };
        let model = transaction!(w, |txn, journal, now| write::create(
            &txn,
            journal,
            &w.actor,
            w.viewer,
            w.relations,
            new,
            now
        )
        .await);
        Ok(Initiative(model))
    }

    /// Changes an initiative (participants with an editor role, or the region's
    /// coordinator). Give `expectedVersion` (the `version` you read) to be told with CONFLICT
    /// when someone else changed it in between, instead of overwriting their change.
    async fn update_initiative(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The initiative's id or code.")] id: ID,
        #[graphql(desc = "The version you read; CONFLICT when it is no longer current.")]
        expected_version: Option<i32>,
        #[graphql(desc = "The changes.")] input: UpdateInitiativeInput,
        #[graphql(desc = "A note for the status history (why it changed).")] note: Option<String>,
    ) -> Result<Initiative> {
        let w = WriteContext::new(ctx).await?;
        let patch = Patch::from(input);
        patch.validate("input")?;
        let row = w
            .change_initiative(&id, expected_version, |row| {
                write::plan_patch(
                    w.viewer,
                    w.relations,
                    row,
                    &patch,
                    expected_version,
                    note.clone(),
                    None,
                    now(),
                )
            })
            .await?;
        Ok(Initiative(row))
    }

    /// Reports an initiative's status, with a note, as of a moment (default now). The change
    /// is kept in its status history.
    async fn set_initiative_status(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The initiative's id or code.")] id: ID,
        #[graphql(desc = "The new status.")] status: InitiativeStatus,
        #[graphql(desc = "Why, or what happened.")] note: Option<String>,
        #[graphql(
            desc = "When the status took effect (default now); a report older than the stored one is refused with CONFLICT."
        )]
        as_of: Option<DateTime<Utc>>,
        #[graphql(desc = "The version you read; CONFLICT when it is no longer current.")]
        expected_version: Option<i32>,
    ) -> Result<Initiative> {
        let w = WriteContext::new(ctx).await?;
        let patch = Patch {
            status: Some(status),
            ..Default::default()
        };
        let row = w
            .change_initiative(&id, expected_version, |row| {
                write::check_not_older(as_of, &row)?;
                let now = now();
                write::plan_patch(
                    w.viewer,
                    w.relations,
                    row,
                    &patch,
                    expected_version,
                    note.clone(),
                    Some(as_of.unwrap_or(now)),
                    now,
                )
            })
            .await?;
        Ok(Initiative(row))
    }

    /// Deletes an initiative (its lead or its region's coordinator) and returns its id.
    async fn delete_initiative(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The initiative's id or code.")] id: ID,
        #[graphql(desc = "The version you read; CONFLICT when it is no longer current.")]
        expected_version: Option<i32>,
    ) -> Result<ID> {
        let w = WriteContext::new(ctx).await?;
        let row = w.initiative("id", &id).await?;
        let deleted = crate::ids::global_id(Kind::Initiative, row.id);
        transaction!(w, |txn, journal, now| write::delete(
            &txn,
            journal,
            &w.actor,
            w.viewer,
            w.relations,
            row,
            expected_version,
            now
        )
        .await);
        Ok(deleted)
    }

    /// Adds a party to an initiative in a role (its lead or its region's coordinator).
    async fn add_initiative_party(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The initiative's id or code.")] initiative: ID,
        #[graphql(desc = "The party's id or code.")] party: ID,
        #[graphql(desc = "The party's role.")] role: ParticipationRole,
    ) -> Result<Initiative> {
        let party =
            resolve::<party::Entity>(ctx.data_unchecked(), "party", Kind::Party, &party).await?;
        link(ctx, &initiative, LinkTarget::Party(party, role), true).await
    }

    /// Removes a party's role from an initiative (its lead or its region's coordinator).
    async fn remove_initiative_party(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The initiative's id or code.")] initiative: ID,
        #[graphql(desc = "The party's id or code.")] party: ID,
        #[graphql(desc = "The role to remove.")] role: ParticipationRole,
    ) -> Result<Initiative> {
        let party =
            resolve::<party::Entity>(ctx.data_unchecked(), "party", Kind::Party, &party).await?;
        link(ctx, &initiative, LinkTarget::Party(party, role), false).await
    }

    /// Links an initiative to a theme (its participants; the theme must be national or of
    /// an agenda in the initiative's region).
    async fn link_initiative_theme(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The initiative's id or code.")] initiative: ID,
        #[graphql(desc = "The theme's id or code.")] theme: ID,
    ) -> Result<Initiative> {
        let theme =
            resolve::<theme::Entity>(ctx.data_unchecked(), "theme", Kind::Theme, &theme).await?;
        link(ctx, &initiative, LinkTarget::Theme(theme), true).await
    }

    /// Unlinks an initiative from a theme.
    async fn unlink_initiative_theme(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The initiative's id or code.")] initiative: ID,
        #[graphql(desc = "The theme's id or code.")] theme: ID,
    ) -> Result<Initiative> {
        let theme =
            resolve::<theme::Entity>(ctx.data_unchecked(), "theme", Kind::Theme, &theme).await?;
        link(ctx, &initiative, LinkTarget::Theme(theme), false).await
    }

    /// Links an initiative to a goal it contributes to (its participants; the goal must be
    /// of an agenda in the initiative's region, which must be the caller's).
    async fn link_initiative_goal(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The initiative's id or code.")] initiative: ID,
        #[graphql(desc = "The goal's id or code.")] goal: ID,
    ) -> Result<Initiative> {
        let goal = resolve::<goal::Entity>(ctx.data_unchecked(), "goal", Kind::Goal, &goal).await?;
        link(ctx, &initiative, LinkTarget::Goal(goal), true).await
    }

    /// Unlinks an initiative from a goal.
    async fn unlink_initiative_goal(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The initiative's id or code.")] initiative: ID,
        #[graphql(desc = "The goal's id or code.")] goal: ID,
    ) -> Result<Initiative> {
        let goal = resolve::<goal::Entity>(ctx.data_unchecked(), "goal", Kind::Goal, &goal).await?;
        link(ctx, &initiative, LinkTarget::Goal(goal), false).await
    }
}

async fn link(
    ctx: &Context<'_>,
    initiative: &str,
    target: LinkTarget,
    add: bool,
) -> Result<Initiative> {
    let w = WriteContext::new(ctx).await?;
    let row = w.initiative("initiative", initiative).await?;
    let id = row.id;
    transaction!(w, |txn, journal, now| write::link(
        &txn,
        journal,
        &w.actor,
        w.viewer,
        w.relations,
        &row,
        target,
        add,
        now
    )
    .await);
    let fresh = initiative::Entity::find_by_id(id)
        .one(w.db)
        .await
        .map_err(AppError::from)?;
    Ok(Initiative(fresh.ok_or_else(|| {
        AppError::NotFound(format!("no initiative `{initiative}`"))
    })?))
}
