//! `syncInitiatives`: the partner's bulk, idempotent upsert.

use async_graphql::{Context, Enum, InputObject, MaybeUndefined, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use super::initiatives::WriteContext;
use super::maybe;
use crate::domain::InitiativeStatus;
use crate::ids::{Kind, global_id};
use crate::write::initiatives::Patch;
use crate::write::sync::{self, ItemError, Options, Outcome, SyncItem};

/// The most items one `syncInitiatives` call takes, unless configured otherwise.
pub const DEFAULT_SYNC_LIMIT: usize = 10_000;

/// One initiative as the partner's system knows it.
#[derive(InputObject)]
pub struct SyncInitiativeInput {
    /// The partner's own id for the initiative; remembered per organisation.
    pub external_ref: String,
    /// The initiative's code: to create it, or with `matchBy: CODE` to find it the first time.
    pub code: Option<String>,
    /// The agenda's code, to create the initiative.
    pub agenda: Option<String>,
    /// The title (needed to create).
    pub title: Option<String>,
    /// The status.
    pub status: Option<InitiativeStatus>,
    /// The progress report (guarded: participants only).
    pub progress_notes: MaybeUndefined<String>,
    /// Whether it saves labour.
    pub labour_saving: MaybeUndefined<bool>,
    /// When it starts.
    pub starts: MaybeUndefined<String>,
    /// When it ends.
    pub ends: MaybeUndefined<String>,
    /// A note for the status history.
    pub note: Option<String>,
    /// When this state was true in the partner's system; an item older than the stored
    /// report is a CONFLICT and changes nothing.
    pub as_of: Option<DateTime<Utc>>,
    /// The version the partner last saw; CONFLICT when it is no longer current.
    pub expected_version: Option<i32>,
}

/// How to find initiatives the caller has no reference for yet.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum SyncMatch {
    /// Only by the caller's own references (the default): unknown items are created.
    Reference,
    /// Also by the initiative's code, remembering the reference from then on.
    Code,
}

/// The outcome of one item.
#[derive(SimpleObject)]
pub struct SyncItemResult {
    /// The item's position in the call (0-based).
    pub index: i32,
    /// The item's external reference.
    pub external_ref: String,
    /// What happened.
    pub outcome: Outcome,
    /// The initiative's global id, when one was found or created.
    pub initiative_id: Option<async_graphql::ID>,
    /// The initiative's version after the call.
    pub version: Option<i32>,
    /// Why the item was not applied.
    pub errors: Vec<ItemError>,
}

/// The outcome of a sync.
#[derive(SimpleObject)]
pub struct SyncResult {
    /// One result per item, in the order sent.
    pub items: Vec<SyncItemResult>,
    /// How many items were created.
    pub created: i32,
    /// How many were updated.
    pub updated: i32,
    /// How many needed no change.
    pub unchanged: i32,
    /// How many were refused as CONFLICT, FORBIDDEN or INVALID.
    pub refused: i32,
    /// True when nothing was written (`dryRun`).
    pub dry_run: bool,
    /// True when this is the stored result of an earlier call with the same idempotency
    /// key: nothing was applied again.
    pub replayed: bool,
}

#[derive(Default)]
pub struct SyncMutation;

#[Object]
impl SyncMutation {
    /// Creates and updates many initiatives at once from a partner's system, keyed by the
    /// partner's own references. One transaction: all items' outcomes apply together or not
    /// at all. Send an `idempotencyKey` to make retries safe: a replay returns the stored
    /// result and applies nothing.
    async fn sync_initiatives(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The initiatives, at most 10,000.")] items: Vec<SyncInitiativeInput>,
        #[graphql(
            desc = "A key unique per sync for the caller's organisation; a replay returns the stored result."
        )]
        idempotency_key: Option<String>,
        #[graphql(
            desc = "How to find initiatives without a known reference (REFERENCE when left out)."
        )]
        match_by: Option<SyncMatch>,
        #[graphql(desc = "Check and report, write nothing (false when left out).")] dry_run: Option<
            bool,
        >,
    ) -> Result<SyncResult> {
        let w = WriteContext::new(ctx).await?;
        let items = items
            .into_iter()
            .map(|i| SyncItem {
                external_ref: i.external_ref,
                code: i.code,
                agenda: i.agenda,
                title: i.title,
                patch: Patch {
                    status: i.status,
                    progress_notes: maybe(i.progress_notes),
                    labour_saving: maybe(i.labour_saving),
                    starts: maybe(i.starts),
                    ends: maybe(i.ends),
                    ..Default::default()
                },
                note: i.note,
                as_of: i.as_of,
                expected_version: i.expected_version,
            })
            .collect();
        let limit = ctx
            .data_opt::<SyncLimit>()
            .map_or(DEFAULT_SYNC_LIMIT, |l| l.0);
        let options = Options {
            match_by_code: match_by == Some(SyncMatch::Code),
            dry_run: dry_run.unwrap_or(false),
            limit,
        };
        let report = sync::sync(
            w.db,
            w.viewer,
            w.relations,
            &w.actor,
            items,
            idempotency_key,
            options,
        )
        .await?;
        if !report.dry_run && !report.replayed {
            w.notifier.notify();
            // A created initiative has the caller as its lead: a new relation.
            if report.items.iter().any(|i| i.outcome == Outcome::Created) {
                w.notifier.relations_changed();
            }
        }
        let count = |o: Outcome| report.items.iter().filter(|i| i.outcome == o).count() as i32;
        Ok(SyncResult {
            created: count(Outcome::Created),
            updated: count(Outcome::Updated),
            unchanged: count(Outcome::Unchanged),
            refused: count(Outcome::Conflict) + count(Outcome::Forbidden) + count(Outcome::Invalid),
            dry_run: report.dry_run,
            replayed: report.replayed,
            items: report
                .items
                .into_iter()
                .map(|i| SyncItemResult {
                    index: i.index as i32,
                    external_ref: i.external_ref,
                    outcome: i.outcome,
                    initiative_id: i.initiative_id.map(|id| global_id(Kind::Initiative, id)),
                    version: i.version,
                    errors: i.errors,
                })
                .collect(),
        })
    }
}

/// The configured maximum number of items per sync (schema data).
#[derive(Clone, Copy, Debug)]
pub struct SyncLimit(pub usize);
