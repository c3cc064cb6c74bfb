//! One sync's pass over its items, inside the sync's transaction: everything the items refer
//! to is read in a few statements first, each item is checked and planned on those rows, and
//! the writes go out together.
//!
//! New initiatives are inserted a few hundred per statement at the end (on PostgreSQL). On
//! PostgreSQL the updates go out a chunk at a time too (`write/guarded.rs`): one round trip per item
//! was most of a sync of status changes, and SQLite, in the same process, synced the same
//! items twice as fast. There the rows are locked as they are read, in id order; on SQLite an
//! update that finds its row at another version (a single write landed after the rows were
//! read) is planned again on the row as it is now, alone.

use chrono::{DateTime, Utc};
use entity::{agenda, initiative, initiative_party, initiative_ref};
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseBackend,
    DatabaseTransaction, EntityTrait, FromQueryResult, IdenStatic, Iterable, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait, Statement, sea_query::LockType,
};
use std::collections::{HashMap, HashSet};

use super::{ItemResult, Options, Outcome, SyncItem, item_error};
use crate::auth::Viewer;
use crate::auth::viewer::Relations;
use crate::error::{AppError, AppResult};
use crate::write::guarded::{self, Row};
use crate::write::initiatives::{self as write, Applied, NewInitiative, Patch, Planned};
use crate::write::journal::Journal;
use crate::write::pipeline::{self, chunks};
use crate::write::{Actor, WRITE_ATTEMPTS};

/// Rows per `IN (...)` lookup and per multi-row insert.
const CHUNK: usize = 500;

/// Updates per chunk on PostgreSQL. A change sets a few columns, so a chunk stays far below
/// PostgreSQL's 65,535 parameters.
const UPDATES: usize = 100;

/// The state of a sync while its items are applied.
pub(super) struct Pass<'a> {
    txn: &'a DatabaseTransaction,
    viewer: &'a Viewer,
    relations: Option<&'a Relations>,
    actor: &'a Actor,
    org: i32,
    options: Options,
    now: DateTime<Utc>,
    postgres: bool,
    journal: Journal,
    /// The initiatives the caller's references name, and those the items' codes name.
    by_ref: HashMap<String, i32>,
    by_code: HashMap<String, i32>,
    /// The initiatives the items are about, as this transaction has them.
    rows: HashMap<i32, initiative::Model>,
    agendas: HashMap<String, i32>,
    seen_refs: HashSet<String>,
    created: Created,
    /// One per item so far, in the items' order.
    results: Vec<ItemResult>,
    /// Updates planned and not yet made (PostgreSQL).
    updates: Vec<Deferred>,
}

/// What became of an item, for now.
enum Step {
    /// Created; on PostgreSQL inserted with the others at the end.
    Created,
    /// An update planned, made with its chunk.
    Deferred,
    /// Made (boxed: a row is large beside the other steps).
    Done(Outcome, Box<initiative::Model>),
}

/// An item's change of an existing initiative, as it asked for it.
struct Change {
    patch: Patch,
    expected_version: Option<i32>,
    note: Option<String>,
    as_of: Option<DateTime<Utc>>,
    /// The caller's reference to remember once the change is made (an item found by code).
    new_ref: Option<String>,
}

/// An update planned on PostgreSQL, waiting for its chunk.
struct Deferred {
    index: usize,
    id: i32,
    planned: Planned,
    change: Change,
}

impl<'a> Pass<'a> {
    /// Reads everything `items` refer to, in a few statements.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn read(
        txn: &'a DatabaseTransaction,
        viewer: &'a Viewer,
        relations: Option<&'a Relations>,
        actor: &'a Actor,
        org: i32,
        options: Options,
        now: DateTime<Utc>,
        items: &[SyncItem],
    ) -> AppResult<Pass<'a>> {
        let postgres = txn.get_database_backend() == DatabaseBackend::Postgres;
        if postgres {
            // These lookups are planned for their values. The driver prepares every
            // statement, and after five runs PostgreSQL may keep a generic plan: one made
            // while the partner's references were few (in the sync that created them) is a
            // scan comparing every row with each of the 500 references in turn, where a plan
            // for the values hashes them. The next sync of the same 10,000 items spent 5.8 s
            // of its 7 s in these lookups. (Planning every statement of a sync this way made
            // its multi-row inserts cost half as much again.)
            txn.execute_unprepared("SET LOCAL plan_cache_mode = force_custom_plan")
                .await?;
        }
        let refs: Vec<String> = items.iter().map(|i| i.external_ref.clone()).collect();
        let mut by_ref: HashMap<String, i32> = HashMap::new();
        for chunk in refs.chunks(CHUNK) {
            let found: Vec<(String, i32)> = initiative_ref::Entity::find()
                .select_only()
                .column(initiative_ref::Column::ExternalRef)
                .column(initiative_ref::Column::InitiativeId)
                .filter(initiative_ref::Column::PartyId.eq(org))
                .filter(initiative_ref::Column::ExternalRef.is_in(chunk.to_vec()))
                .into_tuple()
                .all(txn)
                .await?;
            by_ref.extend(found);
        }
        let codes: Vec<String> = items
            .iter()
            .filter(|i| !by_ref.contains_key(&i.external_ref))
            .filter_map(|i| i.code.clone())
            .collect();
        let mut by_code: HashMap<String, i32> = HashMap::new();
        for chunk in codes.chunks(CHUNK) {
            let found: Vec<(String, i32)> = initiative::Entity::find()
                .select_only()
                .column(initiative::Column::Code)
                .column(initiative::Column::Id)
                .filter(initiative::Column::Code.is_in(chunk.to_vec()))
                .into_tuple()
                .all(txn)
                .await?;
            by_code.extend(found);
        }
        let mut wanted: Vec<i32> = by_ref
            .values()
            .chain(by_code.values())
            .copied()
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        // On PostgreSQL the rows are locked as they are read, all in id order: the single
        // writes' batches lock the rows they share in that order too (write/batches.rs), so
        // a sync and a batch, or two syncs, wait for each other instead of deadlocking (the
        // updates alone go out a chunk at a time in the items' order). Nothing can change a
        // row between its read and its update either. A dry run writes nothing, so it takes
        // no lock.
        wanted.sort_unstable();
        let mut rows: HashMap<i32, initiative::Model> = HashMap::new();
        for chunk in wanted.chunks(CHUNK) {
            let mut read = initiative::Entity::find()
                .filter(initiative::Column::Id.is_in(chunk.to_vec()))
                .order_by_asc(initiative::Column::Id);
            if postgres && !options.dry_run {
                read = read.lock(LockType::NoKeyUpdate);
            }
            for row in read.all(txn).await? {
                rows.insert(row.id, row);
            }
        }
        let agendas: HashMap<String, i32> = agenda::Entity::find()
            .select_only()
            .column(agenda::Column::Code)
            .column(agenda::Column::Id)
            .into_tuple::<(String, i32)>()
            .all(txn)
            .await?
            .into_iter()
            .collect();
        if postgres {
            txn.execute_unprepared("SET LOCAL plan_cache_mode TO DEFAULT")
                .await?;
        }
        Ok(Pass {
            txn,
            viewer,
            relations,
            actor,
            org,
            options,
            now,
            postgres,
            journal: Journal::default(),
            by_ref,
            by_code,
            rows,
            agendas,
            seen_refs: HashSet::new(),
            created: Created::default(),
            results: Vec::with_capacity(items.len()),
            updates: Vec::new(),
        })
    }

    /// Applies the item at `index` (the items come in order); an error only when the whole
    /// sync must fail.
    pub(super) async fn item(&mut self, index: usize, item: SyncItem) -> AppResult<()> {
        self.results.push(ItemResult {
            index,
            external_ref: item.external_ref.clone(),
            outcome: Outcome::Unchanged,
            initiative_id: None,
            version: None,
            errors: Vec::new(),
        });
        let step = self.apply(index, item).await;
        self.settle(index, step)
    }

    /// Makes what is still waiting, and gives the results, the new initiatives' leads and
    /// references, and the journal.
    pub(super) async fn finish(mut self) -> AppResult<(Vec<ItemResult>, Created, Journal)> {
        self.flush_updates().await?;
        self.insert_created().await?;
        Ok((self.results, self.created, self.journal))
    }

    /// Records what became of the item at `index`.
    fn settle(&mut self, index: usize, step: AppResult<Step>) -> AppResult<()> {
        let result = &mut self.results[index];
        match step {
            Ok(Step::Created) => result.outcome = Outcome::Created,
            Ok(Step::Deferred) => {}
            Ok(Step::Done(outcome, row)) => {
                result.outcome = outcome;
                result.initiative_id = Some(row.id);
                result.version = Some(row.version);
                self.rows.insert(row.id, *row);
            }
            Err(err @ (AppError::Internal | AppError::Unavailable)) => return Err(err),
            Err(err) => {
                let (outcome, error) = item_error(&err);
                result.outcome = outcome;
                result.errors.push(error);
            }
        }
        Ok(())
    }

    async fn apply(&mut self, index: usize, item: SyncItem) -> AppResult<Step> {
        let path = format!("items.{index}");
        if item.external_ref.trim().is_empty() || item.external_ref.len() > 200 {
            return Err(AppError::bad_input(
                format!("{path}.externalRef"),
                "1 to 200 characters",
            ));
        }
        if !self.seen_refs.insert(item.external_ref.clone()) {
            return Err(AppError::bad_input(
                format!("{path}.externalRef"),
                "appears twice in this call",
            ));
        }
        item.patch.validate(&path)?;
        if let Some(title) = &item.title
            && (title.trim().is_empty() || title.chars().count() > 500)
        {
            return Err(AppError::bad_input(
                format!("{path}.title"),
                "1 to 500 characters",
            ));
        }
        let known = self.by_ref.get(&item.external_ref).copied();
        let matched = match (known, self.options.match_by_code, &item.code) {
            (None, true, Some(code)) => self.by_code.get(code).copied(),
            _ => None,
        };
        let Some(id) = known.or(matched) else {
            return self.create(index, &path, item).await;
        };
        // A second change of a row waiting in the chunk is planned on the row as the first
        // left it (and PostgreSQL changes a row at most once per statement).
        if self.updates.iter().any(|update| update.id == id) {
            self.flush_updates().await?;
        }
        let row = self
            .rows
            .get(&id)
            .cloned()
            .ok_or_else(|| AppError::NotFound("the initiative no longer exists".into()))?;
        let mut patch = item.patch;
        patch.title = item.title;
        let change = Change {
            patch,
            expected_version: item.expected_version,
            note: item.note,
            as_of: item.as_of,
            new_ref: known.is_none().then_some(item.external_ref),
        };
        if !self.postgres {
            return self.update_now(row, &change).await;
        }
        let planned = self.plan(row, &change)?;
        if !planned.changes_something() {
            let applied = planned.record(&mut self.journal, self.actor);
            return Ok(self.made(applied, &change));
        }
        self.updates.push(Deferred {
            index,
            id,
            planned,
            change,
        });
        if self.updates.len() >= UPDATES {
            self.flush_updates().await?;
        }
        Ok(Step::Deferred)
    }

    /// Checks `change` on `row` for the caller.
    fn plan(&self, row: initiative::Model, change: &Change) -> AppResult<Planned> {
        write::check_not_older(change.as_of, &row)?;
        write::plan_patch(
            self.viewer,
            self.relations,
            row,
            &change.patch,
            change.expected_version,
            change.note.clone(),
            change.as_of.or(Some(self.now)),
            self.now,
        )
    }

    /// The outcome of a change made, remembering the caller's new reference.
    fn made(&mut self, applied: Applied, change: &Change) -> Step {
        let (outcome, row) = match applied {
            Applied::Unchanged(row) => (Outcome::Unchanged, row),
            Applied::Updated(row) => (Outcome::Updated, row),
        };
        if let Some(external_ref) = &change.new_ref {
            self.created
                .refs
                .push(reference(self.org, external_ref, row.id, self.now));
        }
        Step::Done(outcome, Box::new(row))
    }

    /// Makes `change` of `row` alone. A single write may land between the read of the rows
    /// and this update: without `expectedVersion` the partner asked for its report to win, so
    /// it is planned again on the row as it is now (each other writer can come first at most
    /// once).
    async fn update_now(&mut self, mut row: initiative::Model, change: &Change) -> AppResult<Step> {
        let id = row.id;
        let mut attempts = 0;
        let applied = loop {
            attempts += 1;
            let planned = self.plan(row, change)?;
            match planned.apply(self.txn, &mut self.journal, self.actor).await {
                Err(AppError::Conflict { .. })
                    if change.expected_version.is_none() && attempts < WRITE_ATTEMPTS =>
                {
                    row = self.current(id).await?;
                }
                other => break other?,
            }
        };
        Ok(self.made(applied, change))
    }

    /// The initiative `id` as it is now.
    async fn current(&self, id: i32) -> AppResult<initiative::Model> {
        initiative::Entity::find_by_id(id)
            .one(self.txn)
            .await?
            .ok_or_else(|| AppError::NotFound("the initiative no longer exists".into()))
    }

    /// Makes the waiting updates, one statement for each set of columns they change, each
    /// statement's rows in id order (as the single writes' batches lock the rows they share);
    /// those whose row changed since it was read are made again alone. The results and the
    /// journal follow the items' order.
    async fn flush_updates(&mut self) -> AppResult<()> {
        let updates = std::mem::take(&mut self.updates);
        let mut order: Vec<&Deferred> = updates.iter().collect();
        order.sort_by_key(|update| update.id);
        let mut shapes: HashMap<Vec<&'static str>, usize> = HashMap::new();
        let mut statements: Vec<(Vec<initiative::Column>, Vec<Row>)> = Vec::new();
        for update in order {
            let (columns, row) = update.planned.guarded_row();
            let shape = columns.iter().map(|column| column.as_str()).collect();
            let at = *shapes.entry(shape).or_insert_with(|| {
                statements.push((columns, Vec::new()));
                statements.len() - 1
            });
            statements[at].1.push(row);
        }
        let mut landed = HashSet::new();
        for (columns, rows) in &statements {
            for row in self
                .txn
                .query_all_raw(guarded::update(columns, rows))
                .await?
            {
                landed.insert(row.try_get::<i32>("", "id")?);
            }
        }
        for update in updates {
            let step = if landed.contains(&update.id) {
                let applied = update.planned.record(&mut self.journal, self.actor);
                Ok(self.made(applied, &update.change))
            } else {
                self.update_again(update.planned, &update.change).await
            };
            self.settle(update.index, step)?;
        }
        Ok(())
    }

    /// An update whose row changed after it was read: a conflict when the item expected a
    /// version, else made again on the row as it is now.
    async fn update_again(&mut self, planned: Planned, change: &Change) -> AppResult<Step> {
        let (id, code) = planned.row();
        if change.expected_version.is_some() {
            return Err(write::lost_race(self.txn, id, &code).await);
        }
        let row = self.current(id).await?;
        self.update_now(row, change).await
    }

    /// An item naming no initiative the caller knows: creates one when it has an agenda, a
    /// code and a title.
    async fn create(&mut self, index: usize, path: &str, item: SyncItem) -> AppResult<Step> {
        let (Some(agenda), Some(code), Some(title)) = (&item.agenda, &item.code, &item.title)
        else {
            return Err(AppError::bad_input(
                format!("{path}.externalRef"),
                "unknown reference: give agenda, code and title to create the initiative, or matchBy CODE to find it",
            ));
        };
        let agenda_id = *self.agendas.get(agenda).ok_or_else(|| {
            AppError::bad_input(format!("{path}.agenda"), format!("no agenda `{agenda}`"))
        })?;
        // The codes of all unknown references were read before the loop, and the codes
        // created in this call are remembered: no statement per item to check it is free.
        if self.by_code.contains_key(code) || !self.created.codes.insert(code.clone()) {
            return Err(AppError::bad_input(
                format!("{path}.code"),
                format!("`{code}` is taken"),
            ));
        }
        let mut patch = item.patch.clone();
        patch.title = None;
        let new = NewInitiative {
            agenda_id,
            code: code.clone(),
            title: title.clone(),
            patch,
        };
        let row =
            write::prepare_new(self.viewer, self.relations, &new, self.now).inspect_err(|_| {
                self.created.codes.remove(code);
            })?;
        if self.postgres {
            // Inserted with the call's other new initiatives at the end.
            self.created.pending.push(Pending {
                index,
                code: code.clone(),
                external_ref: item.external_ref.clone(),
                row,
            });
            return Ok(Step::Created);
        }
        // SQLite (whose RETURNING sea-orm does not use here): one at a time.
        let model = row.insert(self.txn).await?;
        let lead = write::journal_new(&mut self.journal, self.actor, self.org, &model, self.now);
        self.created.leads.push(lead);
        self.created
            .refs
            .push(reference(self.org, &item.external_ref, model.id, self.now));
        Ok(Step::Done(Outcome::Created, Box::new(model)))
    }

    /// The new initiatives of the call, a few hundred per statement (PostgreSQL), each
    /// statement built while the one before it runs and its rows journaled while the one
    /// after it runs (see pipeline.rs).
    async fn insert_created(&mut self) -> AppResult<()> {
        let pending = std::mem::take(&mut self.created.pending);
        let mut places = Vec::with_capacity(pending.len());
        let statements = chunks(pending, CHUNK).map(|chunk| {
            let mut insert = initiative::Entity::insert_many(chunk.into_iter().map(|p| {
                places.push((p.index, p.code, p.external_ref));
                p.row
            }))
            .into_query();
            insert.returning(Query::returning().columns(initiative::Column::iter()));
            Ok(self.txn.get_database_backend().build(&insert))
        });
        // The rows come back in any order: each is matched to its item by its code.
        let mut inserted: HashMap<String, initiative::Model> = HashMap::new();
        let (journal, created, actor, org, now) = (
            &mut self.journal,
            &mut self.created,
            self.actor,
            self.org,
            self.now,
        );
        pipeline::run(self.txn, statements, |rows| {
            let mut models = rows
                .iter()
                .map(|row| initiative::Model::from_query_result(row, ""))
                .collect::<Result<Vec<_>, _>>()?;
            // In the order of the new ids, which is the order of the items.
            models.sort_by_key(|model| model.id);
            for model in models {
                let lead = write::journal_new(journal, actor, org, &model, now);
                created.leads.push(lead);
                inserted.insert(model.code.clone(), model);
            }
            Ok(())
        })
        .await?;
        for (index, code, external_ref) in places {
            let model = inserted.get(&code).ok_or(AppError::Internal)?;
            self.created
                .refs
                .push(reference(self.org, &external_ref, model.id, self.now));
            self.results[index].initiative_id = Some(model.id);
            self.results[index].version = Some(model.version);
        }
        Ok(())
    }
}

/// The caller's reference for an initiative, to insert.
fn reference(
    org: i32,
    external_ref: &str,
    initiative_id: i32,
    now: DateTime<Utc>,
) -> initiative_ref::ActiveModel {
    initiative_ref::ActiveModel {
        party_id: Set(org),
        external_ref: Set(external_ref.to_string()),
        initiative_id: Set(initiative_id),
        created_at: Set(now),
        ..Default::default()
    }
}

/// What the created items of a call leave to insert together at its end: their leads'
/// participations and the caller's references (multi-row inserts, not two statements per
/// item), and the codes they took.
#[derive(Default)]
pub(super) struct Created {
    leads: Vec<initiative_party::ActiveModel>,
    refs: Vec<initiative_ref::ActiveModel>,
    codes: HashSet<String>,
    pending: Vec<Pending>,
}

/// A new initiative checked and built, waiting to be inserted with the others.
struct Pending {
    /// The item's place in the call.
    index: usize,
    code: String,
    external_ref: String,
    row: initiative::ActiveModel,
}

impl Created {
    /// The statements that insert the leads and the references, built one at a time as they
    /// are taken (see pipeline.rs).
    pub(super) fn statements(
        self,
        backend: DatabaseBackend,
    ) -> impl Iterator<Item = AppResult<Statement>> {
        let leads = chunks(self.leads, CHUNK).map(move |chunk| {
            backend.build(&initiative_party::Entity::insert_many(chunk).into_query())
        });
        let refs = chunks(self.refs, CHUNK).map(move |chunk| {
            backend.build(&initiative_ref::Entity::insert_many(chunk).into_query())
        });
        leads.chain(refs).map(Ok)
    }
}
