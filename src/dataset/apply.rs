//! Writing a checked [`Plan`] in one transaction, matching records on their codes and links
//! on their ends, so that a second import of the same files changes nothing.
//!
//! One generic step, [`Sync::table`], compares the wanted rows of a table with the stored
//! ones by a natural key, inserts what is new, updates (and bumps the version of) what
//! differs, and, for links, deletes what the files no longer state.

use chrono::Utc;
use entity::*;
use indicatif::{ProgressBar, ProgressStyle};
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection,
    DatabaseTransaction, EntityTrait, IntoActiveModel, QueryFilter,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::io::IsTerminal;
use std::str::FromStr;

use super::DatasetError;
use super::format::Source;
use super::validate::Plan;

/// What an import changed, per table.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ImportReport {
    /// Per table: (created, updated, unchanged, deleted).
    pub tables: BTreeMap<&'static str, [u64; 4]>,
    /// True when nothing was written (dry run).
    pub dry_run: bool,
}

impl ImportReport {
    /// Whether the import changed anything.
    pub fn changed(&self) -> bool {
        self.tables.values().any(|[c, u, _, d]| c + u + d > 0)
    }

    /// Rows created in `table`.
    pub fn created(&self, table: &str) -> u64 {
        self.tables.get(table).map_or(0, |t| t[0])
    }
}

impl fmt::Display for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verb = if self.dry_run {
            "would change"
        } else {
            "changed"
        };
        if !self.changed() {
            let total: u64 = self.tables.values().map(|t| t[2]).sum();
            return write!(
                f,
                "nothing to change: all {total} records and links are up to date"
            );
        }
        writeln!(
            f,
            "{:<20} {:>8} {:>8} {:>9} {:>8}",
            format!("import {verb}"),
            "created",
            "updated",
            "unchanged",
            "deleted"
        )?;
        for (table, [c, u, n, d]) in &self.tables {
            writeln!(f, "{table:<20} {c:>8} {u:>8} {n:>9} {d:>8}")?;
        }
        if self.dry_run {
            write!(f, "(dry run: nothing was written)")?;
        }
        Ok(())
    }
}

/// Columns that partners maintain and the data files do not hold: set on insert, never
/// overwritten by a re-import.
const PARTNER_OWNED: [&str; 3] = ["contacts", "internal_notes", "progress_notes"];

/// The state of one import: the transaction, the ids found so far and the counts.
struct Sync<'a> {
    txn: &'a DatabaseTransaction,
    report: ImportReport,
    progress: ProgressBar,
    now: String,
}

/// A wanted row: its natural key and all its columns (key included).
struct Want {
    key: String,
    row: Map<String, Value>,
}

fn want(key: impl fmt::Display, row: Value) -> Want {
    let Value::Object(row) = row else {
        unreachable!("rows are built as objects")
    };
    Want {
        key: key.to_string(),
        row,
    }
}

fn provenance(source: &Option<Source>, note: &Option<String>) -> Value {
    json!({
        "source_document": source.as_ref().and_then(|s| s.document.clone()),
        "source_section": source.as_ref().and_then(|s| s.section.clone()),
        "note": note,
    })
}

fn merged(mut a: Value, b: Value) -> Value {
    if let (Value::Object(a), Value::Object(b)) = (&mut a, b) {
        a.extend(b);
    }
    a
}

impl Sync<'_> {
    /// Makes the rows of `E` within `scope` match `wanted`, by the key `key_of` computes from
    /// a stored row. Returns the id of every wanted row by its key. With `delete`, stored
    /// rows within `scope` that are not wanted are deleted.
    async fn table<E>(
        &mut self,
        table: &'static str,
        scope: Condition,
        wanted: Vec<Want>,
        key_of: impl Fn(&Map<String, Value>) -> String,
        delete: bool,
    ) -> Result<HashMap<String, i32>, DatasetError>
    where
        E: EntityTrait,
        E::Model: Serialize + DeserializeOwned + IntoActiveModel<E::ActiveModel>,
        E::ActiveModel: ActiveModelTrait<Entity = E>
            + ActiveModelBehavior
            + Send
            + sea_orm::TryIntoModel<E::Model>,
    {
        let stats = self.report.tables.entry(table).or_default();
        let stored = E::find().filter(scope).all(self.txn).await?;
        let mut by_key: HashMap<String, Map<String, Value>> = HashMap::new();
        for model in stored {
            if let Ok(Value::Object(row)) = serde_json::to_value(&model) {
                by_key.insert(key_of(&row), row);
            }
        }
        let mut ids = HashMap::new();
        for Want { key, row } in wanted {
            let id = match by_key.remove(&key) {
                Some(old) => {
                    let id = old.get("id").and_then(Value::as_i64).unwrap_or_default() as i32;
                    let changed: Map<String, Value> = row
                        .into_iter()
                        .filter(|(k, v)| {
                            !PARTNER_OWNED.contains(&k.as_str()) && old.get(k) != Some(v)
                        })
                        .collect();
                    if changed.is_empty() {
                        stats[2] += 1;
                    } else {
                        let version = old.get("version").and_then(Value::as_i64).unwrap_or(1) + 1;
                        let mut update = changed;
                        update.insert("id".into(), json!(id));
                        update.insert("version".into(), json!(version));
                        update.insert("updated_at".into(), json!(self.now));
                        let mut model = E::ActiveModel::from_json(Value::Object(update))?;
                        // from_json marks the id as set; an update needs it as the key.
                        reset_id::<E>(&mut model);
                        model.update(self.txn).await?;
                        stats[1] += 1;
                    }
                    id
                }
                None => {
                    let mut insert = row;
                    insert.insert("version".into(), json!(1));
                    insert.insert("created_at".into(), json!(self.now));
                    insert.insert("updated_at".into(), json!(self.now));
                    let model = E::ActiveModel::from_json(Value::Object(insert))?;
                    let model = without_id::<E>(model);
                    let saved = model.insert(self.txn).await?;
                    stats[0] += 1;
                    match serde_json::to_value(&saved)
                        .ok()
                        .and_then(|v| v.get("id").and_then(Value::as_i64))
                    {
                        Some(id) => id as i32,
                        None => return Err(DatasetError::Io("an inserted row has no id".into())),
                    }
                }
            };
            self.progress.inc(1);
            ids.insert(key, id);
        }
        if delete {
            for (_, old) in by_key {
                if let Some(id) = old.get("id").and_then(Value::as_i64) {
                    let id_col = E::Column::from_str("id")
                        .map_err(|_| DatasetError::Io("no id column".into()))?;
                    E::delete_many()
                        .filter(id_col.eq(id as i32))
                        .exec(self.txn)
                        .await?;
                    stats[3] += 1;
                }
            }
        }
        Ok(ids)
    }
}

fn without_id<E: EntityTrait>(mut model: E::ActiveModel) -> E::ActiveModel
where
    E::ActiveModel: ActiveModelTrait<Entity = E>,
{
    if let Ok(id) = E::Column::from_str("id") {
        model.not_set(id);
    }
    model
}

fn reset_id<E: EntityTrait>(model: &mut E::ActiveModel)
where
    E::ActiveModel: ActiveModelTrait<Entity = E>,
{
    if let Ok(id) = E::Column::from_str("id")
        && let Some(value) = model.get(id).into_value()
    {
        model.set(id, value);
    }
}

fn s(row: &Map<String, Value>, key: &str) -> String {
    match row.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// Orders records so that each comes after its parent (parents in the same set first).
fn parents_first<T>(
    items: &[T],
    code: impl Fn(&T) -> &str,
    parent: impl Fn(&T) -> Option<&str>,
) -> Vec<usize> {
    let index: HashMap<&str, usize> = items
        .iter()
        .enumerate()
        .map(|(i, t)| (code(t), i))
        .collect();
    let mut placed = vec![false; items.len()];
    let mut order = Vec::with_capacity(items.len());
    fn place<T>(
        i: usize,
        items: &[T],
        index: &HashMap<&str, usize>,
        parent: &dyn Fn(&T) -> Option<&str>,
        placed: &mut [bool],
        order: &mut Vec<usize>,
        depth: usize,
    ) {
        if placed[i] || depth > items.len() {
            return;
        }
        if let Some(p) = parent(&items[i]).and_then(|p| index.get(p)) {
            place(*p, items, index, parent, placed, order, depth + 1);
        }
        if !placed[i] {
            placed[i] = true;
            order.push(i);
        }
    }
    for i in 0..items.len() {
        place(i, items, &index, &parent, &mut placed, &mut order, 0);
    }
    order
}

/// Looks up ids by code: first among the rows written in this import, then in the database.
struct Ids {
    map: HashMap<String, i32>,
}

impl Ids {
    async fn load<E: EntityTrait>(
        txn: &DatabaseTransaction,
        code: E::Column,
        id: E::Column,
    ) -> Result<Ids, DatasetError> {
        use sea_orm::QuerySelect;
        let rows: Vec<(String, i32)> = E::find()
            .select_only()
            .column(code)
            .column(id)
            .into_tuple()
            .all(txn)
            .await?;
        Ok(Ids {
            map: rows.into_iter().collect(),
        })
    }

    fn get(&self, code: &str) -> Option<i32> {
        self.map.get(code).copied()
    }

    fn opt(&self, code: &Option<String>) -> Option<i32> {
        code.as_deref().and_then(|c| self.get(c))
    }
}

/// Applies `plan` in one transaction; with `dry_run` the transaction is rolled back.
pub async fn apply(
    db: &DatabaseConnection,
    plan: &Plan,
    dry_run: bool,
    progress: bool,
) -> Result<ImportReport, DatasetError> {
    let txn = crate::write::begin(db).await?;
    let bar = if progress && std::io::stderr().is_terminal() && plan.size() > 2_000 {
        let bar = ProgressBar::new(plan.size());
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} records ({eta} left)")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let now = Utc::now().to_rfc3339();
    let mut sync = Sync {
        txn: &txn,
        report: ImportReport {
            dry_run,
            ..Default::default()
        },
        progress: bar,
        now,
    };
    write_plan(&mut sync, plan).await?;
    sync.progress.finish_and_clear();
    let report = sync.report;
    if dry_run {
        txn.rollback().await?;
    } else {
        use sea_orm::ConnectionTrait;
        if txn.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
            // Running servers drop the relations they cached (see auth/cache.rs).
            txn.execute_unprepared(&format!("NOTIFY {}", crate::notify::RELATIONS_CHANNEL))
                .await?;
        }
        txn.commit().await?;
    }
    Ok(report)
}

async fn write_plan(sync: &mut Sync<'_>, plan: &Plan) -> Result<(), DatasetError> {
    let all = || Condition::all();
    let code_key = |row: &Map<String, Value>| s(row, "code");

    // Parties, then their aliases and memberships.
    let wanted = plan.parties.iter().map(|p| want(&p.code, merged(json!({
        "code": p.code, "name": p.name, "kind": p.kind, "is_category": p.category, "summary": p.summary,
    }), provenance(&p.source, &p.note)))).collect();
    sync.table::<party::Entity>("party", all(), wanted, code_key, false)
        .await?;
    let parties =
        Ids::load::<party::Entity>(sync.txn, party::Column::Code, party::Column::Id).await?;
    let plan_parties: Vec<i32> = plan
        .parties
        .iter()
        .filter_map(|p| parties.get(&p.code))
        .collect();
    let mut wanted = Vec::new();
    for p in &plan.parties {
        let Some(pid) = parties.get(&p.code) else {
            continue;
        };
        for alias in &p.aliases {
            wanted.push(want(
                format!("{pid}|{alias}"),
                merged(
                    json!({"party_id": pid, "alias": alias}),
                    provenance(&p.source, &None),
                ),
            ));
        }
    }
    let scope = Condition::all().add(party_alias::Column::PartyId.is_in(plan_parties.clone()));
    sync.table::<party_alias::Entity>(
        "party_alias",
        scope,
        wanted,
        |r| format!("{}|{}", s(r, "party_id"), s(r, "alias")),
        true,
    )
    .await?;
    let mut wanted = Vec::new();
    for p in &plan.parties {
        let Some(cid) = parties.get(&p.code) else {
            continue;
        };
        for m in &p.members {
            if let Some(mid) = parties.get(m) {
                wanted.push(want(
                    format!("{cid}|{mid}"),
                    merged(
                        json!({"collective_id": cid, "member_id": mid}),
                        provenance(&p.source, &None),
                    ),
                ));
            }
        }
    }
    let scope = Condition::all().add(party_membership::Column::CollectiveId.is_in(plan_parties));
    sync.table::<party_membership::Entity>(
        "party_membership",
        scope,
        wanted,
        |r| format!("{}|{}", s(r, "collective_id"), s(r, "member_id")),
        true,
    )
    .await?;

    // Regions (parents first) and their parties.
    let mut regions =
        Ids::load::<region::Entity>(sync.txn, region::Column::Code, region::Column::Id).await?;
    for i in parents_first(&plan.regions, |r| &r.code, |r| r.parent.as_deref()) {
        let r = &plan.regions[i];
        let row = merged(
            json!({"code": r.code, "name": r.name, "kind": r.kind, "parent_id": regions.opt(&r.parent), "summary": r.summary}),
            provenance(&r.source, &r.note),
        );
        let ids = sync
            .table::<region::Entity>(
                "region",
                Condition::all().add(region::Column::Code.eq(r.code.as_str())),
                vec![want(&r.code, row)],
                code_key,
                false,
            )
            .await?;
        regions.map.extend(ids);
    }
    let mut wanted = Vec::new();
    for r in &plan.regions {
        let Some(rid) = regions.get(&r.code) else {
            continue;
        };
        for l in &r.parties {
            if let Some(pid) = parties.get(&l.party) {
                wanted.push(want(
                    format!("{rid}|{pid}|{}", l.role),
                    merged(
                        json!({"region_id": rid, "party_id": pid, "role": l.role}),
                        provenance(&r.source, &None),
                    ),
                ));
            }
        }
    }
    let plan_regions: Vec<i32> = plan
        .regions
        .iter()
        .filter_map(|r| regions.get(&r.code))
        .collect();
    let scope = Condition::all().add(region_party::Column::RegionId.is_in(plan_regions));
    sync.table::<region_party::Entity>(
        "region_party",
        scope,
        wanted,
        |r| {
            format!(
                "{}|{}|{}",
                s(r, "region_id"),
                s(r, "party_id"),
                s(r, "role")
            )
        },
        true,
    )
    .await?;

    // Agendas (predecessors first) and their signatories.
    let mut agendas =
        Ids::load::<agenda::Entity>(sync.txn, agenda::Column::Code, agenda::Column::Id).await?;
    let recs: Vec<_> = plan
        .agendas
        .iter()
        .filter_map(|a| a.agenda.as_ref())
        .collect();
    for i in parents_first(&recs, |a| &a.code, |a| a.predecessor.as_deref()) {
        let a = recs[i];
        let row = merged(
            json!({
                "code": a.code, "title": a.title, "kind": a.kind, "region_id": regions.get(&a.region),
                "period_start": a.period_start, "period_end": a.period_end, "predecessor_id": agendas.opt(&a.predecessor),
                "review_moments": a.review_moments, "summary": a.summary,
            }),
            provenance(&a.source, &a.note),
        );
        let ids = sync
            .table::<agenda::Entity>(
                "agenda",
                Condition::all().add(agenda::Column::Code.eq(a.code.as_str())),
                vec![want(&a.code, row)],
                code_key,
                false,
            )
            .await?;
        agendas.map.extend(ids);
    }
    let mut wanted = Vec::new();
    for a in &recs {
        let Some(aid) = agendas.get(&a.code) else {
            continue;
        };
        for sig in &a.signatories {
            if let Some(pid) = parties.get(&sig.party) {
                wanted.push(want(
                    format!("{aid}|{pid}"),
                    merged(
                        json!({"agenda_id": aid, "party_id": pid, "role": sig.role}),
                        provenance(&a.source, &None),
                    ),
                ));
            }
        }
    }
    let plan_agendas: Vec<i32> = recs.iter().filter_map(|a| agendas.get(&a.code)).collect();
    let scope =
        Condition::all().add(agenda_signatory::Column::AgendaId.is_in(plan_agendas.clone()));
    sync.table::<agenda_signatory::Entity>(
        "agenda_signatory",
        scope,
        wanted,
        |r| format!("{}|{}", s(r, "agenda_id"), s(r, "party_id")),
        true,
    )
    .await?;

    // Themes: national ones, then each agenda's, parents first.
    let mut themes =
        Ids::load::<theme::Entity>(sync.txn, theme::Column::Code, theme::Column::Id).await?;
    let mut all_themes: Vec<(&super::format::ThemeRec, Option<i32>)> =
        plan.national_themes.iter().map(|t| (t, None)).collect();
    for a in &plan.agendas {
        let aid = a.agenda.as_ref().and_then(|r| agendas.get(&r.code));
        all_themes.extend(a.themes.iter().map(|t| (t, aid)));
    }
    for i in parents_first(&all_themes, |t| &t.0.code, |t| t.0.parent.as_deref()) {
        let (t, aid) = all_themes[i];
        let row = merged(
            json!({"code": t.code, "name": t.name, "parent_id": themes.opt(&t.parent), "agenda_id": aid, "summary": t.summary}),
            provenance(&t.source, &t.note),
        );
        let ids = sync
            .table::<theme::Entity>(
                "theme",
                Condition::all().add(theme::Column::Code.eq(t.code.as_str())),
                vec![want(&t.code, row)],
                code_key,
                false,
            )
            .await?;
        themes.map.extend(ids);
    }

    // Goals and their links.
    let mut wanted = Vec::new();
    for a in &plan.agendas {
        let aid = a.agenda.as_ref().and_then(|r| agendas.get(&r.code));
        for g in &a.goals {
            wanted.push(want(&g.code, merged(json!({
                "code": g.code, "agenda_id": aid, "number": g.number, "kind": g.kind, "title": g.title,
                "summary": g.summary, "target": g.target, "target_year": g.target_year,
            }), provenance(&g.source, &g.note))));
        }
    }
    let codes: Vec<String> = wanted.iter().map(|w| w.key.clone()).collect();
    let goals = Ids {
        map: sync
            .table::<goal::Entity>(
                "goal",
                Condition::all().add(goal::Column::Code.is_in(codes)),
                wanted,
                code_key,
                false,
            )
            .await?,
    };
    let goals = Ids {
        map: {
            let mut m = Ids::load::<goal::Entity>(sync.txn, goal::Column::Code, goal::Column::Id)
                .await?
                .map;
            m.extend(goals.map);
            m
        },
    };
    let plan_goals: Vec<i32> = plan
        .agendas
        .iter()
        .flat_map(|a| a.goals.iter())
        .filter_map(|g| goals.get(&g.code))
        .collect();
    let (mut parents, mut goal_themes) = (Vec::new(), Vec::new());
    for g in plan.agendas.iter().flat_map(|a| a.goals.iter()) {
        let Some(gid) = goals.get(&g.code) else {
            continue;
        };
        for p in g.parents.iter().filter_map(|p| goals.get(p)) {
            parents.push(want(
                format!("{gid}|{p}"),
                merged(
                    json!({"goal_id": gid, "parent_id": p}),
                    provenance(&g.source, &None),
                ),
            ));
        }
        for t in g.themes.iter().filter_map(|t| themes.get(t)) {
            goal_themes.push(want(
                format!("{gid}|{t}"),
                merged(
                    json!({"goal_id": gid, "theme_id": t}),
                    provenance(&g.source, &None),
                ),
            ));
        }
    }
    let scope = Condition::all().add(goal_parent::Column::GoalId.is_in(plan_goals.clone()));
    sync.table::<goal_parent::Entity>(
        "goal_parent",
        scope,
        parents,
        |r| format!("{}|{}", s(r, "goal_id"), s(r, "parent_id")),
        true,
    )
    .await?;
    let scope = Condition::all().add(goal_theme::Column::GoalId.is_in(plan_goals.clone()));
    sync.table::<goal_theme::Entity>(
        "goal_theme",
        scope,
        goal_themes,
        |r| format!("{}|{}", s(r, "goal_id"), s(r, "theme_id")),
        true,
    )
    .await?;

    // Initiatives (parents first) and their links and steps.
    let mut initiatives =
        Ids::load::<initiative::Entity>(sync.txn, initiative::Column::Code, initiative::Column::Id)
            .await?;
    let mut all_initiatives: Vec<(&super::format::InitiativeRec, Option<i32>)> = Vec::new();
    for a in &plan.agendas {
        let aid = a.agenda.as_ref().and_then(|r| agendas.get(&r.code));
        all_initiatives.extend(a.initiatives.iter().map(|n| (n, aid)));
    }
    let order = parents_first(&all_initiatives, |n| &n.0.code, |n| n.0.parent.as_deref());
    let (flat, nested): (Vec<usize>, Vec<usize>) = order
        .into_iter()
        .partition(|i| all_initiatives[*i].0.parent.is_none());
    let initiative_row = |n: &super::format::InitiativeRec,
                          aid: Option<i32>,
                          parent: Option<i32>,
                          themes: &Ids| {
        merged(
            json!({
                "code": n.code, "agenda_id": aid, "parent_id": parent, "title": n.title, "summary": n.summary,
                "status": n.status, "lead_theme_id": themes.opt(&n.lead_theme), "labour_saving": n.labour_saving,
                "visibility": n.visibility, "starts": n.starts, "ends": n.ends, "timeline": n.timeline,
                "funding": n.funding, "budget_eur": n.budget.map(|b| b.round() as i64), "contacts": [],
                "internal_notes": null, "progress_notes": null,
            }),
            provenance(&n.source, &n.note),
        )
    };
    // Top-level initiatives in one batch, sub-initiatives after their parents.
    let wanted: Vec<Want> = flat
        .iter()
        .map(|i| {
            let (n, aid) = all_initiatives[*i];
            want(&n.code, initiative_row(n, aid, None, &themes))
        })
        .collect();
    let codes: Vec<String> = wanted.iter().map(|w| w.key.clone()).collect();
    let ids = sync
        .table::<initiative::Entity>(
            "initiative",
            Condition::all().add(initiative::Column::Code.is_in(codes)),
            wanted,
            code_key,
            false,
        )
        .await?;
    initiatives.map.extend(ids);
    for i in nested {
        let (n, aid) = all_initiatives[i];
        let row = initiative_row(n, aid, initiatives.opt(&n.parent), &themes);
        let ids = sync
            .table::<initiative::Entity>(
                "initiative",
                Condition::all().add(initiative::Column::Code.eq(n.code.as_str())),
                vec![want(&n.code, row)],
                code_key,
                false,
            )
            .await?;
        initiatives.map.extend(ids);
    }
    let plan_initiatives: Vec<i32> = all_initiatives
        .iter()
        .filter_map(|(n, _)| initiatives.get(&n.code))
        .collect();
    let (mut inparties, mut inthemes, mut ingoals, mut steps) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (n, _) in &all_initiatives {
        let Some(iid) = initiatives.get(&n.code) else {
            continue;
        };
        for p in &n.parties {
            if let Some(pid) = parties.get(&p.party) {
                inparties.push(want(format!("{iid}|{pid}|{}", p.role), merged(json!({"initiative_id": iid, "party_id": pid, "role": p.role, "capacity": p.capacity}), provenance(&n.source, &None))));
            }
        }
        for t in n.themes.iter().filter_map(|t| themes.get(t)) {
            inthemes.push(want(
                format!("{iid}|{t}"),
                merged(
                    json!({"initiative_id": iid, "theme_id": t}),
                    provenance(&n.source, &None),
                ),
            ));
        }
        for g in n.goals.iter().filter_map(|g| goals.get(g)) {
            ingoals.push(want(
                format!("{iid}|{g}"),
                merged(
                    json!({"initiative_id": iid, "goal_id": g}),
                    provenance(&n.source, &None),
                ),
            ));
        }
        for (pos, m) in n.milestones.iter().enumerate() {
            steps.push(want(format!("i{iid}|{}", pos + 1), merged(json!({"initiative_id": iid, "goal_id": null, "position": pos + 1, "title": m.title, "summary": m.summary, "year": m.year, "period": m.period}), provenance(&n.source, &None))));
        }
    }
    let scope = Condition::all()
        .add(initiative_party::Column::InitiativeId.is_in(plan_initiatives.clone()));
    sync.table::<initiative_party::Entity>(
        "initiative_party",
        scope,
        inparties,
        |r| {
            format!(
                "{}|{}|{}",
                s(r, "initiative_id"),
                s(r, "party_id"),
                s(r, "role")
            )
        },
        true,
    )
    .await?;
    let scope = Condition::all()
        .add(initiative_theme::Column::InitiativeId.is_in(plan_initiatives.clone()));
    sync.table::<initiative_theme::Entity>(
        "initiative_theme",
        scope,
        inthemes,
        |r| format!("{}|{}", s(r, "initiative_id"), s(r, "theme_id")),
        true,
    )
    .await?;
    let scope =
        Condition::all().add(initiative_goal::Column::InitiativeId.is_in(plan_initiatives.clone()));
    sync.table::<initiative_goal::Entity>(
        "initiative_goal",
        scope,
        ingoals,
        |r| format!("{}|{}", s(r, "initiative_id"), s(r, "goal_id")),
        true,
    )
    .await?;

    // Milestones of initiatives and of goals, by their position.
    let mut per_goal: HashMap<i32, i32> = HashMap::new();
    for a in &plan.agendas {
        for m in &a.goal_milestones {
            let Some(gid) = goals.get(&m.goal) else {
                continue;
            };
            let pos = per_goal.entry(gid).or_default();
            *pos += 1;
            let source = a
                .agenda
                .as_ref()
                .and_then(|r| r.source.clone())
                .map(|s| Source { section: None, ..s });
            steps.push(want(format!("g{gid}|{pos}"), merged(json!({"initiative_id": null, "goal_id": gid, "position": *pos, "title": m.title, "summary": m.summary, "year": m.year, "period": m.period}), provenance(&source, &None))));
        }
    }
    let scope = Condition::any()
        .add(milestone::Column::InitiativeId.is_in(plan_initiatives))
        .add(milestone::Column::GoalId.is_in(plan_goals));
    let step_key = |r: &Map<String, Value>| match r.get("initiative_id") {
        Some(Value::Number(i)) => format!("i{i}|{}", s(r, "position")),
        _ => format!("g{}|{}", s(r, "goal_id"), s(r, "position")),
    };
    sync.table::<milestone::Entity>("milestone", scope, steps, step_key, true)
        .await?;

    // Indicators and knelpunten.
    let mut wanted = Vec::new();
    for a in &plan.agendas {
        let aid = a.agenda.as_ref().and_then(|r| agendas.get(&r.code));
        for x in &a.indicators {
            wanted.push(want(&x.code, merged(json!({
                "code": x.code, "agenda_id": aid, "goal_id": goals.opt(&x.goal), "theme_id": themes.opt(&x.theme),
                "name": x.name, "kind": x.kind, "value": x.value, "unit": x.unit, "year": x.year, "scope": x.scope,
                "benchmark_value": x.benchmark_value, "benchmark_scope": x.benchmark_scope, "baseline": x.baseline,
                "target": x.target, "target_year": x.target_year,
            }), provenance(&x.source, &x.note))));
        }
    }
    let codes: Vec<String> = wanted.iter().map(|w| w.key.clone()).collect();
    sync.table::<indicator::Entity>(
        "indicator",
        Condition::all().add(indicator::Column::Code.is_in(codes)),
        wanted,
        code_key,
        false,
    )
    .await?;
    let mut wanted = Vec::new();
    for a in &plan.agendas {
        let aid = a.agenda.as_ref().and_then(|r| agendas.get(&r.code));
        for b in &a.bottlenecks {
            wanted.push(want(&b.code, merged(json!({
                "code": b.code, "agenda_id": aid, "goal_id": goals.opt(&b.goal), "initiative_id": initiatives.opt(&b.initiative),
                "title": b.title, "summary": b.summary,
            }), provenance(&b.source, &b.note))));
        }
    }
    let codes: Vec<String> = wanted.iter().map(|w| w.key.clone()).collect();
    sync.table::<bottleneck::Entity>(
        "bottleneck",
        Condition::all().add(bottleneck::Column::Code.is_in(codes)),
        wanted,
        code_key,
        false,
    )
    .await?;

    // Governance bodies and their members.
    let mut wanted = Vec::new();
    for a in &plan.agendas {
        let aid = a.agenda.as_ref().and_then(|r| agendas.get(&r.code));
        for b in &a.bodies {
            wanted.push(want(&b.code, merged(json!({"code": b.code, "agenda_id": aid, "name": b.name, "kind": b.kind, "cadence": b.cadence, "summary": b.summary}), provenance(&b.source, &b.note))));
        }
    }
    let codes: Vec<String> = wanted.iter().map(|w| w.key.clone()).collect();
    let bodies = sync
        .table::<governance_body::Entity>(
            "governance_body",
            Condition::all().add(governance_body::Column::Code.is_in(codes)),
            wanted,
            code_key,
            false,
        )
        .await?;
    let mut wanted = Vec::new();
    for b in plan.agendas.iter().flat_map(|a| a.bodies.iter()) {
        let Some(bid) = bodies.get(&b.code) else {
            continue;
        };
        for m in &b.members {
            if let Some(pid) = parties.get(&m.party) {
                wanted.push(want(
                    format!("{bid}|{pid}"),
                    merged(
                        json!({"body_id": bid, "party_id": pid, "role": m.role}),
                        provenance(&b.source, &None),
                    ),
                ));
            }
        }
    }
    let scope = Condition::all()
        .add(governance_member::Column::BodyId.is_in(bodies.values().copied().collect::<Vec<_>>()));
    sync.table::<governance_member::Entity>(
        "governance_member",
        scope,
        wanted,
        |r| format!("{}|{}", s(r, "body_id"), s(r, "party_id")),
        true,
    )
    .await?;
    let _ = plan_agendas;
    Ok(())
}
