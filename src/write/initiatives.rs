//! Creating, changing and deleting initiatives, and linking them to parties, themes and goals.

use chrono::{DateTime, Utc};
use entity::{
    agenda, goal, initiative, initiative_goal, initiative_party, initiative_theme, party, theme,
};
use sea_orm::sea_query::{Expr, ExprTrait, UpdateStatement};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait,
    QueryFilter,
};
use serde_json::{Map, Value, json};

use super::batches::{Batches, GuardedWrite};
use super::guarded::Row;
use super::journal::{Entry, Journal, whole_record};
use super::{Actor, conflict, records, require_role};
use crate::auth::viewer::Relations;
use crate::auth::{Role, Viewer};
use crate::dataset::validate::parse_period;
use crate::domain::{InitiativeStatus, ParticipationRole, Visibility};
use crate::error::{AppError, AppResult};
use crate::policy::{self, InitiativeFacts, Rule};

/// The changes asked for; `None` leaves a field as it is, `Some(None)` clears it.
#[derive(Clone, Debug, Default)]
pub struct Patch {
    pub title: Option<String>,
    pub summary: Option<Option<String>>,
    pub status: Option<InitiativeStatus>,
    pub visibility: Option<Visibility>,
    pub labour_saving: Option<Option<bool>>,
    pub starts: Option<Option<String>>,
    pub ends: Option<Option<String>>,
    pub timeline: Option<Option<String>>,
    pub funding: Option<Option<String>>,
    pub budget_eur: Option<Option<i64>>,
    pub internal_notes: Option<Option<String>>,
    pub progress_notes: Option<Option<String>>,
}

/// One changed column: its GraphQL name, the column, and the values before and after.
struct Change {
    field: &'static str,
    column: initiative::Column,
    before: Value,
    after: Value,
    value: sea_orm::Value,
}

fn text(path: &str, value: &str, max: usize) -> AppResult<()> {
    if value.trim().is_empty() {
        return Err(AppError::bad_input(path, "must not be empty"));
    }
    if value.chars().count() > max {
        return Err(AppError::bad_input(
            path,
            format!("at most {max} characters"),
        ));
    }
    Ok(())
}

impl Patch {
    /// Checks lengths, dates and amounts; `prefix` is the input's path (`input`, `items.3`).
    pub fn validate(&self, prefix: &str) -> AppResult<()> {
        let at = |field: &str| format!("{prefix}.{field}");
        if let Some(title) = &self.title {
            text(&at("title"), title, 500)?;
        }
        for (field, value, max) in [
            ("summary", &self.summary, 5_000),
            ("timeline", &self.timeline, 2_000),
            ("funding", &self.funding, 1_000),
            ("internalNotes", &self.internal_notes, 10_000),
            ("progressNotes", &self.progress_notes, 10_000),
        ] {
            if let Some(Some(value)) = value {
                text(&at(field), value, max)?;
            }
        }
        let mut dates = Vec::new();
        for (field, value) in [("starts", &self.starts), ("ends", &self.ends)] {
            if let Some(Some(value)) = value {
                dates.push(parse_period(value).ok_or_else(|| {
                    AppError::bad_input(
                        at(field),
                        format!(
                            "`{value}` is not a date: use YYYY, YYYY-Qn, YYYY-MM or YYYY-MM-DD"
                        ),
                    )
                })?);
            }
        }
        if let [starts, ends] = dates[..]
            && starts > ends
        {
            return Err(AppError::bad_input(
                at("ends"),
                "ends before the initiative starts",
            ));
        }
        if let Some(Some(budget)) = self.budget_eur
            && budget < 0
        {
            return Err(AppError::bad_input(at("budgetEur"), "must be zero or more"));
        }
        Ok(())
    }

    /// The guarded fields this patch writes, by their GraphQL names.
    fn guarded_fields(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self.funding.is_some() {
            out.push("funding");
        }
        if self.budget_eur.is_some() {
            out.push("budgetEur");
        }
        if self.internal_notes.is_some() {
            out.push("internalNotes");
        }
        if self.progress_notes.is_some() {
            out.push("progressNotes");
        }
        out
    }

    /// `row` with this patch applied.
    fn applied_to(&self, mut row: initiative::Model) -> initiative::Model {
        if let Some(title) = &self.title {
            row.title = title.clone();
        }
        if let Some(status) = self.status {
            row.status = status.as_db().into();
        }
        if let Some(visibility) = self.visibility {
            row.visibility = visibility.as_db().into();
        }
        let set = |field: &mut Option<String>, value: &Option<Option<String>>| {
            if let Some(value) = value {
                field.clone_from(value);
            }
        };
        set(&mut row.summary, &self.summary);
        set(&mut row.starts, &self.starts);
        set(&mut row.ends, &self.ends);
        set(&mut row.timeline, &self.timeline);
        set(&mut row.funding, &self.funding);
        set(&mut row.internal_notes, &self.internal_notes);
        set(&mut row.progress_notes, &self.progress_notes);
        if let Some(flag) = self.labour_saving {
            row.labour_saving = flag;
        }
        if let Some(budget) = self.budget_eur {
            row.budget_eur = budget;
        }
        row
    }

    /// The columns that differ from `row`.
    fn changes(&self, row: &initiative::Model) -> Vec<Change> {
        let mut out = Vec::new();
        let mut text = |field, column, old: &Option<String>, new: &Option<Option<String>>| {
            if let Some(new) = new
                && new != old
            {
                out.push(Change {
                    field,
                    column,
                    before: json!(old),
                    after: json!(new),
                    value: new.clone().into(),
                });
            }
        };
        text(
            "summary",
            initiative::Column::Summary,
            &row.summary,
            &self.summary,
        );
        text(
            "starts",
            initiative::Column::Starts,
            &row.starts,
            &self.starts,
        );
        text("ends", initiative::Column::Ends, &row.ends, &self.ends);
        text(
            "timeline",
            initiative::Column::Timeline,
            &row.timeline,
            &self.timeline,
        );
        text(
            "funding",
            initiative::Column::Funding,
            &row.funding,
            &self.funding,
        );
        text(
            "internalNotes",
            initiative::Column::InternalNotes,
            &row.internal_notes,
            &self.internal_notes,
        );
        text(
            "progressNotes",
            initiative::Column::ProgressNotes,
            &row.progress_notes,
            &self.progress_notes,
        );
        if let Some(title) = &self.title
            && *title != row.title
        {
            out.push(Change {
                field: "title",
                column: initiative::Column::Title,
                before: json!(row.title),
                after: json!(title),
                value: title.clone().into(),
            });
        }
        if let Some(status) = self.status
            && status.as_db() != row.status
        {
            out.push(Change {
                field: "status",
                column: initiative::Column::Status,
                before: json!(row.status),
                after: json!(status.as_db()),
                value: status.as_db().into(),
            });
        }
        if let Some(visibility) = self.visibility
            && visibility.as_db() != row.visibility
        {
            out.push(Change {
                field: "visibility",
                column: initiative::Column::Visibility,
                before: json!(row.visibility),
                after: json!(visibility.as_db()),
                value: visibility.as_db().into(),
            });
        }
        if let Some(flag) = self.labour_saving
            && flag != row.labour_saving
        {
            out.push(Change {
                field: "labourSaving",
                column: initiative::Column::LabourSaving,
                before: json!(row.labour_saving),
                after: json!(flag),
                value: flag.into(),
            });
        }
        if let Some(budget) = self.budget_eur
            && budget != row.budget_eur
        {
            out.push(Change {
                field: "budgetEur",
                column: initiative::Column::BudgetEur,
                before: json!(row.budget_eur),
                after: json!(budget),
                value: budget.into(),
            });
        }
        out
    }
}

/// The result of applying a patch.
pub enum Applied {
    Unchanged(initiative::Model),
    Updated(initiative::Model),
}

/// What may the caller do with `row`: edit it (participant with an editor role, the region's
/// coordinator, an administrator)?
fn may_edit(viewer: &Viewer, relations: Option<&Relations>, facts: InitiativeFacts) -> bool {
    viewer.role >= Role::Editor
        && (policy::passes(viewer, relations, Rule::Participant, facts)
            || policy::passes(viewer, relations, Rule::RegionCoordinator, facts))
}

fn refuse(rule: Rule, what: &str) -> AppError {
    AppError::Forbidden {
        rule: rule.name(),
        message: format!(
            "{what}: rule {} (only {})",
            rule.name(),
            policy::describe(rule)
        ),
    }
}

/// A patch checked against the caller's rights and the expected version, not yet written:
/// the row before and after, and the columns that change.
pub struct Planned {
    before: initiative::Model,
    after: initiative::Model,
    changes: Vec<Change>,
    note: Option<String>,
    effective_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
}

/// CONFLICT when a report as of `as_of` is older than the one `row` holds: an old report
/// never overwrites a newer one.
pub fn check_not_older(as_of: Option<DateTime<Utc>>, row: &initiative::Model) -> AppResult<()> {
    match (as_of, row.reported_at) {
        (Some(as_of), Some(reported)) if as_of < reported => Err(conflict(row.version)),
        _ => Ok(()),
    }
}

/// Checks `patch` on `row` for `viewer`: its rights before and after the change (a change may
/// not move the record out of the caller's reach) and the expected version. Reads nothing:
/// every refusal comes before anything is written. `effective_at` is when the change took
/// place for the partner (`asOf`).
#[allow(clippy::too_many_arguments)]
pub fn plan_patch(
    viewer: &Viewer,
    relations: Option<&Relations>,
    row: initiative::Model,
    patch: &Patch,
    expected_version: Option<i32>,
    note: Option<String>,
    effective_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> AppResult<Planned> {
    require_role(viewer, Role::Editor)?;
    let facts = InitiativeFacts::from(&row);
    if !policy::initiative_visible(viewer, relations, &row) {
        return Err(AppError::NotFound(format!("no initiative {}", row.code)));
    }
    if !may_edit(viewer, relations, facts) {
        return Err(refuse(
            Rule::Participant,
            "only its participants (with an editor role) and its region's coordinator edit an initiative",
        ));
    }
    for field in patch.guarded_fields() {
        let rule = policy::field_rule("Initiative", field);
        if !policy::passes(viewer, relations, rule, facts) {
            return Err(refuse(
                rule,
                &format!("Initiative.{field} may only be written by who may read it"),
            ));
        }
    }
    if let Some(expected) = expected_version
        && expected != row.version
    {
        return Err(conflict(row.version));
    }
    let changes = patch.changes(&row);
    let mut after = patch.applied_to(row.clone());
    if !changes.is_empty() {
        after.version = row.version + 1;
        after.updated_at = now;
        if let Some(at) = effective_at {
            after.reported_at = Some(at);
        }
        if !policy::initiative_visible(viewer, relations, &after) {
            return Err(refuse(
                Rule::Participant,
                "the change would move the initiative out of your own reach",
            ));
        }
    }
    Ok(Planned {
        before: row,
        after,
        changes,
        note,
        effective_at,
        now,
    })
}

impl Planned {
    /// The id and code of the initiative it changes.
    pub fn row(&self) -> (i32, String) {
        (self.before.id, self.before.code.clone())
    }

    /// The version the change was planned on (the row must still be at it).
    pub fn version_read(&self) -> i32 {
        self.before.version
    }

    /// Whether the change writes anything.
    pub fn changes_something(&self) -> bool {
        !self.changes.is_empty()
    }

    /// The columns the change sets and their values: the version and `updated_at`, the
    /// report's moment when it has one, then the fields changed in the patch's order (so two
    /// changes of the same fields set the same columns in the same order).
    pub fn assignments(&self) -> Vec<(initiative::Column, sea_orm::Value)> {
        let mut set = vec![
            (initiative::Column::Version, self.after.version.into()),
            (initiative::Column::UpdatedAt, self.now.into()),
        ];
        if let Some(at) = self.effective_at {
            set.push((initiative::Column::ReportedAt, at.into()));
        }
        set.extend(
            self.changes
                .iter()
                .map(|change| (change.column, change.value.clone())),
        );
        set
    }

    /// The change as a guarded row: the columns it sets and the row's new values, to be made
    /// only while the row is still at the version read (see write/guarded.rs).
    pub fn guarded_row(&self) -> (Vec<initiative::Column>, Row) {
        let (columns, values) = self.assignments().into_iter().unzip();
        let row = Row {
            id: self.before.id,
            version_read: self.before.version,
            values,
        };
        (columns, row)
    }

    /// The UPDATE that makes the change, only if the row is still at the version read (the
    /// row as it is built here, rather than read back: one statement less per item of a
    /// sync); `None` when nothing changes.
    pub fn update(&self) -> Option<UpdateStatement> {
        if self.changes.is_empty() {
            return None;
        }
        let (columns, row) = self.guarded_row();
        Some(row.single(&columns))
    }

    /// Makes the change within `txn` and records it in `journal` (the items of a sync share
    /// one transaction and one journal).
    pub async fn apply(
        self,
        txn: &impl ConnectionTrait,
        journal: &mut Journal,
        actor: &Actor,
    ) -> AppResult<Applied> {
        if let Some(update) = self.update()
            && txn.execute(&update).await?.rows_affected() == 0
        {
            return Err(lost_race(txn, self.before.id, &self.before.code).await);
        }
        Ok(self.record(journal, actor))
    }

    /// Records the change in `journal` (audit, feed, and history for status and progress)
    /// and gives the row as it is now.
    pub fn record(self, journal: &mut Journal, actor: &Actor) -> Applied {
        if self.changes.is_empty() {
            return Applied::Unchanged(self.before);
        }
        let row = &self.before;
        let mut record: Map<String, Value> = Map::new();
        for change in &self.changes {
            record.insert(
                change.field.to_string(),
                json!([change.before, change.after]),
            );
            if matches!(change.field, "status" | "progressNotes") {
                let as_text = |v: &Value| v.as_str().map(str::to_string);
                let field = if change.field == "status" {
                    "status"
                } else {
                    "progress_notes"
                };
                journal.history(
                    actor,
                    self.now,
                    row.id,
                    field,
                    as_text(&change.before),
                    as_text(&change.after),
                    self.note.clone(),
                    self.effective_at.unwrap_or(self.now),
                );
            }
        }
        journal.record(
            actor,
            self.now,
            Entry {
                operation: "update",
                entity: "initiative",
                record_id: row.id,
                initiative_id: Some(row.id),
                agenda_id: Some(row.agenda_id),
                changes: record,
            },
        );
        Applied::Updated(self.after)
    }
}

/// Writes one planned patch with its journal: on PostgreSQL as one statement without a
/// transaction around it, together with the single writes of other requests made at the same
/// moment (see write/batches.rs). `None` when the row is no longer at the version it was
/// planned on (another writer came first), and then nothing is written.
pub async fn write_planned(
    batches: &Batches,
    actor: &Actor,
    planned: Planned,
) -> AppResult<Option<Applied>> {
    if !planned.changes_something() {
        return Ok(Some(Applied::Unchanged(planned.before)));
    }
    let (columns, row) = planned.guarded_row();
    let at = planned.now;
    let mut journal = Journal::default();
    let applied = planned.record(&mut journal, actor);
    let wrote = batches
        .write(GuardedWrite {
            columns,
            row,
            journal,
            at,
        })
        .await?;
    Ok(wrote.then_some(applied))
}

/// The error for an UPDATE that found the initiative at another version than it was read
/// at (someone else wrote it in between): the version they left, or not found when they
/// deleted it.
pub async fn lost_race(db: &impl ConnectionTrait, id: i32, code: &str) -> AppError {
    match initiative::Entity::find_by_id(id).one(db).await {
        Ok(Some(current)) => conflict(current.version),
        Ok(None) => AppError::NotFound(format!("no initiative {code}")),
        Err(err) => err.into(),
    }
}

/// What a new initiative needs.
#[derive(Clone, Debug)]
pub struct NewInitiative {
    pub agenda_id: i32,
    pub code: String,
    pub title: String,
    pub patch: Patch,
}

/// Creates an initiative in an agenda of the caller's region; the caller's organisation
/// becomes its lead (trekker).
pub async fn create(
    txn: &impl ConnectionTrait,
    journal: &mut Journal,
    actor: &Actor,
    viewer: &Viewer,
    relations: Option<&Relations>,
    new: NewInitiative,
    now: DateTime<Utc>,
) -> AppResult<initiative::Model> {
    let org = check_new(viewer, &new)?;
    if agenda::Entity::find_by_id(new.agenda_id)
        .one(txn)
        .await?
        .is_none()
    {
        return Err(AppError::bad_input("input.agenda", "no such agenda"));
    }
    check_region(viewer, relations, new.agenda_id)?;
    if initiative::Entity::find()
        .filter(initiative::Column::Code.eq(new.code.as_str()))
        .one(txn)
        .await?
        .is_some()
    {
        return Err(AppError::bad_input(
            "input.code",
            format!("`{}` is taken", new.code),
        ));
    }
    let model = new_row(org, &new, now).insert(txn).await?;
    journal_new(journal, actor, org, &model, now)
        .insert(txn)
        .await?;
    Ok(model)
}

/// New initiatives go into an agenda of the caller's own region.
fn check_region(viewer: &Viewer, relations: Option<&Relations>, agenda_id: i32) -> AppResult<()> {
    let facts = InitiativeFacts { id: 0, agenda_id };
    if policy::passes(viewer, relations, Rule::RegionMember, facts) || viewer.is_admin() {
        Ok(())
    } else {
        Err(refuse(
            Rule::RegionMember,
            "initiatives are created in an agenda of one's own region",
        ))
    }
}

/// The checks of a new initiative that need no database: the caller's role, the title, the
/// fields and the code's form. Returns the caller's organisation.
fn check_new(viewer: &Viewer, new: &NewInitiative) -> AppResult<i32> {
    require_role(viewer, Role::Editor)?;
    let org = viewer
        .org
        .as_ref()
        .map(|o| o.id)
        .ok_or_else(|| AppError::Unauthenticated("writing needs a bearer token".into()))?;
    text("input.title", &new.title, 500)?;
    new.patch.validate("input")?;
    if new.code.len() > 160
        || !new
            .code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-/._".contains(c))
        || new.code.is_empty()
    {
        return Err(AppError::bad_input(
            "input.code",
            "lowercase letters, digits, `-`, `/`, `.`; at most 160",
        ));
    }
    Ok(org)
}

/// Checks a new initiative whose agenda exists and whose code is free (a sync checks both for
/// all its items at once) and builds its row, for the caller to insert (a sync on PostgreSQL
/// inserts all of a call's new initiatives in a few statements).
pub fn prepare_new(
    viewer: &Viewer,
    relations: Option<&Relations>,
    new: &NewInitiative,
    now: DateTime<Utc>,
) -> AppResult<initiative::ActiveModel> {
    let org = check_new(viewer, new)?;
    check_region(viewer, relations, new.agenda_id)?;
    Ok(new_row(org, new, now))
}

/// The row of a new initiative by `org`, checked already.
fn new_row(org: i32, new: &NewInitiative, now: DateTime<Utc>) -> initiative::ActiveModel {
    let p = &new.patch;
    initiative::ActiveModel {
        code: Set(new.code.clone()),
        agenda_id: Set(new.agenda_id),
        parent_id: Set(None),
        title: Set(new.title.clone()),
        summary: Set(p.summary.clone().flatten()),
        status: Set(p.status.unwrap_or(InitiativeStatus::Unknown).as_db().into()),
        lead_theme_id: Set(None),
        labour_saving: Set(p.labour_saving.flatten()),
        visibility: Set(p.visibility.unwrap_or(Visibility::Public).as_db().into()),
        starts: Set(p.starts.clone().flatten()),
        ends: Set(p.ends.clone().flatten()),
        timeline: Set(p.timeline.clone().flatten()),
        funding: Set(p.funding.clone().flatten()),
        budget_eur: Set(p.budget_eur.flatten()),
        contacts: Set(json!([])),
        internal_notes: Set(p.internal_notes.clone().flatten()),
        progress_notes: Set(p.progress_notes.clone().flatten()),
        reported_at: Set(None),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        source_document: Set(None),
        source_section: Set(None),
        asserted_by_id: Set(Some(org)),
        note: Set(None),
        ..Default::default()
    }
}

/// Journals a new initiative once inserted, and returns its lead's participation (the
/// caller's organisation, `org`) for the caller to insert.
pub fn journal_new(
    journal: &mut Journal,
    actor: &Actor,
    org: i32,
    model: &initiative::Model,
    now: DateTime<Utc>,
) -> initiative_party::ActiveModel {
    let lead = initiative_party::ActiveModel {
        initiative_id: Set(model.id),
        party_id: Set(org),
        role: Set(ParticipationRole::Lead.as_db().into()),
        capacity: Set(None),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        source_document: Set(None),
        source_section: Set(None),
        asserted_by_id: Set(Some(org)),
        note: Set(None),
        ..Default::default()
    };
    let changes = whole_record(records::as_map(model), true);
    journal.record(
        actor,
        now,
        Entry {
            operation: "create",
            entity: "initiative",
            record_id: model.id,
            initiative_id: Some(model.id),
            agenda_id: Some(model.agenda_id),
            changes,
        },
    );
    lead
}

/// Deletes an initiative: for its lead, its region's coordinator and administrators.
#[allow(clippy::too_many_arguments)]
pub async fn delete(
    txn: &impl ConnectionTrait,
    journal: &mut Journal,
    actor: &Actor,
    viewer: &Viewer,
    relations: Option<&Relations>,
    row: initiative::Model,
    expected_version: Option<i32>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    require_role(viewer, Role::Editor)?;
    let facts = InitiativeFacts::from(&row);
    if !policy::initiative_visible(viewer, relations, &row) {
        return Err(AppError::NotFound(format!("no initiative {}", row.code)));
    }
    let allowed = policy::passes(viewer, relations, Rule::Lead, facts)
        || policy::passes(viewer, relations, Rule::RegionCoordinator, facts);
    if !allowed {
        return Err(refuse(
            Rule::Lead,
            "only its lead and its region's coordinator delete an initiative",
        ));
    }
    if let Some(expected) = expected_version
        && expected != row.version
    {
        return Err(conflict(row.version));
    }
    let result = initiative::Entity::delete_many()
        .filter(initiative::Column::Id.eq(row.id))
        .filter(initiative::Column::Version.eq(row.version))
        .exec(txn)
        .await?;
    if result.rows_affected == 0 {
        return Err(conflict(row.version + 1));
    }
    let changes = whole_record(records::as_map(&row), false);
    journal.record(
        actor,
        now,
        Entry {
            operation: "delete",
            entity: "initiative",
            record_id: row.id,
            initiative_id: Some(row.id),
            agenda_id: Some(row.agenda_id),
            changes,
        },
    );
    Ok(())
}

/// Which link of an initiative a link or unlink is about.
#[derive(Clone, Copy, Debug)]
pub enum LinkTarget {
    /// A party taking part, in a role.
    Party(i32, ParticipationRole),
    /// A theme the initiative serves.
    Theme(i32),
    /// A goal it contributes to.
    Goal(i32),
}

/// Adds (`add`) or removes a link, checking rights on both ends: parties are added by the
/// initiative's lead or its region's coordinator; themes and goals by its participants (with
/// an editor role), and only goals and themes of agendas in the initiative's region.
#[allow(clippy::too_many_arguments)]
pub async fn link(
    txn: &impl ConnectionTrait,
    journal: &mut Journal,
    actor: &Actor,
    viewer: &Viewer,
    relations: Option<&Relations>,
    row: &initiative::Model,
    target: LinkTarget,
    add: bool,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    require_role(viewer, Role::Editor)?;
    let facts = InitiativeFacts::from(row);
    if !policy::initiative_visible(viewer, relations, row) {
        return Err(AppError::NotFound(format!("no initiative {}", row.code)));
    }
    let region_of =
        |agenda_id: i32| relations.and_then(|r| r.agenda_region.get(&agenda_id).copied());
    let own_region = region_of(row.agenda_id);
    let fields = |value: Value| match value {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    let (owner, id, agenda) = ("initiative", row.id, Some(row.agenda_id));
    let changed = match target {
        LinkTarget::Party(party_id, role) => {
            if !(policy::passes(viewer, relations, Rule::Lead, facts)
                || policy::passes(viewer, relations, Rule::RegionCoordinator, facts))
            {
                return Err(refuse(
                    Rule::Lead,
                    "only the lead and the region's coordinator change who takes part",
                ));
            }
            let party = party::Entity::find_by_id(party_id)
                .one(txn)
                .await?
                .ok_or_else(|| AppError::bad_input("party", "no such party"))?;
            if add && !party.active {
                return Err(AppError::bad_input(
                    "party",
                    format!("`{}` is deactivated", party.code),
                ));
            }
            let key = Condition::all()
                .add(initiative_party::Column::InitiativeId.eq(row.id))
                .add(initiative_party::Column::PartyId.eq(party_id))
                .add(initiative_party::Column::Role.eq(role.as_db()));
            let row_fields = fields(
                json!({ "initiative_id": row.id, "party_id": party_id, "role": role.as_db(), "capacity": null }),
            );
            records::link::<initiative_party::Entity>(
                txn,
                journal,
                actor,
                owner,
                id,
                Some(id),
                agenda,
                key,
                row_fields,
                add,
                now,
            )
            .await?
        }
        LinkTarget::Theme(theme_id) => {
            if !may_edit(viewer, relations, facts) {
                return Err(refuse(
                    Rule::Participant,
                    "only its participants (with an editor role) link an initiative to themes",
                ));
            }
            let theme = theme::Entity::find_by_id(theme_id)
                .one(txn)
                .await?
                .ok_or_else(|| AppError::bad_input("theme", "no such theme"))?;
            if let Some(agenda_id) = theme.agenda_id
                && region_of(agenda_id) != own_region
                && !viewer.is_admin()
            {
                return Err(refuse(
                    Rule::RegionMember,
                    "a theme of another region's agenda",
                ));
            }
            let key = Condition::all()
                .add(initiative_theme::Column::InitiativeId.eq(row.id))
                .add(initiative_theme::Column::ThemeId.eq(theme_id));
            let row_fields = fields(json!({ "initiative_id": row.id, "theme_id": theme_id }));
            records::link::<initiative_theme::Entity>(
                txn,
                journal,
                actor,
                owner,
                id,
                Some(id),
                agenda,
                key,
                row_fields,
                add,
                now,
            )
            .await?
        }
        LinkTarget::Goal(goal_id) => {
            if !may_edit(viewer, relations, facts) {
                return Err(refuse(
                    Rule::Participant,
                    "only its participants (with an editor role) link an initiative to goals",
                ));
            }
            let goal = goal::Entity::find_by_id(goal_id)
                .one(txn)
                .await?
                .ok_or_else(|| AppError::bad_input("goal", "no such goal"))?;
            let goal_facts = InitiativeFacts {
                id: 0,
                agenda_id: goal.agenda_id,
            };
            let goal_in_reach = policy::passes(viewer, relations, Rule::RegionMember, goal_facts)
                && region_of(goal.agenda_id) == own_region;
            if !goal_in_reach && !viewer.is_admin() {
                return Err(refuse(
                    Rule::RegionMember,
                    "goals are linked within the caller's own region",
                ));
            }
            let key = Condition::all()
                .add(initiative_goal::Column::InitiativeId.eq(row.id))
                .add(initiative_goal::Column::GoalId.eq(goal_id));
            let row_fields = fields(json!({ "initiative_id": row.id, "goal_id": goal_id }));
            records::link::<initiative_goal::Entity>(
                txn,
                journal,
                actor,
                owner,
                id,
                Some(id),
                agenda,
                key,
                row_fields,
                add,
                now,
            )
            .await?
        }
    };
    if changed {
        // A link is part of the initiative: its version moves with it.
        initiative::Entity::update_many()
            .col_expr(
                initiative::Column::Version,
                Expr::col(initiative::Column::Version).add(1),
            )
            .col_expr(initiative::Column::UpdatedAt, Expr::val(now))
            .filter(initiative::Column::Id.eq(row.id))
            .exec(txn)
            .await?;
    }
    Ok(changed)
}
