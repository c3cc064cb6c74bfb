//! Counts for dashboards: how many initiatives, goals and parties there are per region,
//! agenda, theme, status, party or role, under the same filters as the lists.
//!
//! Why a root of its own rather than `totalCount` per list: a dashboard wants a table of
//! counts, and asking a list's `totalCount` once per region or party is a request per cell.
//! Each field here is one `SELECT key..., COUNT(DISTINCT id) ... GROUP BY key...` over the rows
//! that the list's own filter condition and the policy keep (the conditions are shared with
//! `lists.rs`, not copied), so a count agrees with the list's `totalCount` and never includes
//! an initiative the caller may not see. Rows are grouped in the database, never loaded into
//! memory; the key records (region, agenda, theme, party) are resolved through the request's
//! DataLoaders, one statement per kind whatever the number of groups.

use async_graphql::dataloader::{DataLoader, HashMapCache};
use async_graphql::{ComplexObject, Context, Enum, Object, Result, SimpleObject};
use entity::*;
use sea_orm::sea_query::{DynIden, Expr, ExprTrait, Func, NullOrdering};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, Order, QueryFilter,
    QuerySelect, QueryTrait,
};

use super::lists::{
    GoalFilter, InitiativeFilter, PartyFilter, goal_condition, party_condition,
    visible_initiative_condition,
};
use crate::domain::{GoalKind, InitiativeStatus, ParticipationRole, PartyKind, RegionRole};
use crate::error::AppResult;
use crate::graphql::loaders::{RowById, row};
use crate::graphql::paging::MAX_PAGE_SIZE;
use crate::graphql::types::{Agenda, LIST_COST, Party, Region, Theme, loaders};

/// What initiatives can be grouped by.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum InitiativeGroupKey {
    /// The region of the initiative's agenda.
    Region,
    /// The agenda the initiative belongs to.
    Agenda,
    /// Each theme the initiative is linked to (as `Initiative.themes` lists them; not rolled
    /// up to parent themes): an initiative counts once per theme.
    Theme,
    /// The initiative's status.
    Status,
    /// Each party taking part: an initiative counts once per party.
    Party,
    /// Each role in which parties take part: an initiative counts once per role.
    Role,
}

/// What goals can be grouped by.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum GoalGroupKey {
    /// The region of the goal's agenda.
    Region,
    /// The agenda the goal belongs to.
    Agenda,
    /// Each theme the goal serves (not rolled up to parent themes): a goal counts once per
    /// theme.
    Theme,
    /// The level of the goal (opgave, doel, ambitie).
    Kind,
}

/// What parties can be grouped by.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum PartyGroupKey {
    /// The kind of party (organisatiesoort).
    Kind,
    /// Each region the party belongs to: a party counts once per region.
    Region,
    /// Each role the party has in a region: a party counts once per role.
    RegionRole,
}

/// A group of initiatives and how many there are. Only the keys asked for in `groupBy` are
/// filled in, the others are null; a key asked for is null in the group of the initiatives
/// that have none (no theme, no party).
#[derive(SimpleObject, Default)]
#[graphql(complex)]
pub struct InitiativeCount {
    /// With `STATUS`: the status of the group.
    pub status: Option<InitiativeStatus>,
    /// With `ROLE`: the role in which the group's parties take part.
    pub role: Option<ParticipationRole>,
    #[graphql(skip)]
    keys: Keys,
}

/// A group of goals and how many there are. Only the keys asked for in `groupBy` are filled
/// in, the others are null; a key asked for is null in the group of the goals that have none
/// (no theme).
#[derive(SimpleObject, Default)]
#[graphql(complex)]
pub struct GoalCount {
    /// With `KIND`: the level of the group's goals.
    pub kind: Option<GoalKind>,
    #[graphql(skip)]
    keys: Keys,
}

/// A group of parties and how many there are. Only the keys asked for in `groupBy` are filled
/// in, the others are null; a key asked for is null in the group of the parties that have
/// none (no region).
#[derive(SimpleObject, Default)]
#[graphql(complex)]
pub struct PartyCount {
    /// With `KIND`: the kind of the group's parties.
    pub kind: Option<PartyKind>,
    /// With `REGION_ROLE`: the role the group's parties have in a region.
    pub region_role: Option<RegionRole>,
    #[graphql(skip)]
    keys: Keys,
}

/// The count of a group and the ids of its key records, shared by the count types.
#[derive(Default)]
struct Keys {
    count: u64,
    region: Option<i32>,
    agenda: Option<i32>,
    theme: Option<i32>,
    party: Option<i32>,
}

/// A key record: which field of [`Keys`] a key's id goes to.
#[derive(Clone, Copy)]
enum Record {
    Region,
    Agenda,
    Theme,
    Party,
}

impl Keys {
    fn set(&mut self, record: Record, id: Option<i32>) {
        let field = match record {
            Record::Region => &mut self.region,
            Record::Agenda => &mut self.agenda,
            Record::Theme => &mut self.theme,
            Record::Party => &mut self.party,
        };
        *field = id;
    }
}

/// The row `id` of `E` through `loader`, as its API type.
async fn load<E, T>(
    loader: &DataLoader<RowById<E>, HashMapCache>,
    id: Option<i32>,
) -> Result<Option<T>>
where
    E: EntityTrait,
    E::Model: Send + Sync + Clone + 'static,
    T: From<E::Model>,
{
    match id {
        Some(id) => Ok(row(loader, id).await?.map(T::from)),
        None => Ok(None),
    }
}

/// The count and record keys of a count type: each record field reads the id of its group
/// through the request's loader of the same name, so all groups' records load in one
/// statement.
macro_rules! record_keys {
    ($type:ident, $count:literal { $($(#[$doc:meta])* $field:ident: $api:ident,)+ }) => {
        #[ComplexObject]
        impl $type {
            #[doc = $count]
            async fn count(&self) -> u64 {
                self.keys.count
            }

            $(
                $(#[$doc])*
                async fn $field(&self, ctx: &Context<'_>) -> Result<Option<$api>> {
                    load(loaders(ctx).$field(), self.keys.$field).await
                }
            )+
        }
    };
}

record_keys!(InitiativeCount, "How many of the initiatives the caller may see are in this group." {
    /// With `REGION`: the region of the group.
    region: Region,
    /// With `AGENDA`: the agenda of the group.
    agenda: Agenda,
    /// With `THEME`: the theme of the group.
    theme: Theme,
    /// With `PARTY`: the party of the group.
    party: Party,
});

record_keys!(GoalCount, "How many goals are in this group." {
    /// With `REGION`: the region of the group.
    region: Region,
    /// With `AGENDA`: the agenda of the group.
    agenda: Agenda,
    /// With `THEME`: the theme of the group.
    theme: Theme,
});

record_keys!(PartyCount, "How many parties are in this group." {
    /// With `REGION`: the region of the group.
    region: Region,
});

/// A grouping key in SQL: the column grouped by and, when it is not a column of the counted
/// table, the table LEFT JOINed to reach it (a left join, so that rows without a link still
/// count, in the group whose key is null). `record` says which record the column holds the id
/// of; without one it holds a stored vocabulary value.
struct KeySql {
    column: (DynIden, DynIden),
    join: Option<(DynIden, Condition)>,
    record: Option<Record>,
}

impl KeySql {
    /// A column of the counted table.
    fn own(column: impl ColumnTrait, record: Option<Record>) -> Self {
        KeySql {
            column: column.as_column_ref(),
            join: None,
            record,
        }
    }

    /// A column of another table, joined where its column `link` equals `counted`, a column
    /// of the counted table.
    fn via(
        column: impl ColumnTrait,
        link: impl ColumnTrait,
        counted: impl ColumnTrait,
        record: Option<Record>,
    ) -> Self {
        let on = Expr::col(link.as_column_ref()).equals(counted.as_column_ref());
        KeySql {
            column: column.as_column_ref(),
            join: Some((column.entity_name(), Condition::all().add(on))),
            record,
        }
    }

    /// The region of the agenda that `agenda_id`, a column of the counted table, names.
    fn agenda_region(agenda_id: impl ColumnTrait) -> Self {
        let region = Some(Record::Region);
        KeySql::via(
            agenda::Column::RegionId,
            agenda::Column::Id,
            agenda_id,
            region,
        )
    }
}

/// A key of a count type: how SQL groups by it, and where a stored vocabulary value goes in a
/// result row (record ids go to the row's [`Keys`]).
trait GroupKey: Copy + PartialEq {
    /// The API type of a group.
    type Row: Default;
    fn sql(self) -> KeySql;
    fn keys(row: &mut Self::Row) -> &mut Keys;
    fn set_text(self, row: &mut Self::Row, text: &str) -> AppResult<()>;
}

/// Counts the rows of `E` matching `condition`, by their `id`, in one statement grouped by
/// `keys` (in the order given, repeats ignored) and ordered by the key values, nulls last.
async fn count_groups<E: EntityTrait, K: GroupKey>(
    db: &DatabaseConnection,
    id: E::Column,
    condition: Condition,
    keys: Vec<K>,
) -> AppResult<Vec<K::Row>> {
    let mut keys_seen: Vec<K> = Vec::with_capacity(keys.len());
    for key in keys {
        if !keys_seen.contains(&key) {
            keys_seen.push(key);
        }
    }
    let sql: Vec<KeySql> = keys_seen.iter().map(|k| k.sql()).collect();
    let mut select = E::find()
        .select_only()
        .expr(Func::count_distinct(Expr::col(id.as_column_ref())))
        .filter(condition)
        .into_query();
    let mut joined: Vec<DynIden> = Vec::new();
    for key in &sql {
        if let Some((table, on)) = &key.join
            && !joined.contains(table)
        {
            select.left_join(table.clone(), on.clone());
            joined.push(table.clone());
        }
        select
            .expr(Expr::col(key.column.clone()))
            .group_by_col(key.column.clone())
            .order_by_with_nulls(key.column.clone(), Order::Asc, NullOrdering::Last);
    }
    let mut out = Vec::new();
    for result in db.query_all(&select).await? {
        let mut row = K::Row::default();
        let count: i64 = result.try_get_by_index(0)?;
        K::keys(&mut row).count = u64::try_from(count).unwrap_or_default();
        for (i, (key, key_sql)) in keys_seen.iter().zip(&sql).enumerate() {
            if let Some(record) = key_sql.record {
                K::keys(&mut row).set(record, result.try_get_by_index(i + 1)?);
            } else if let Some(text) = result.try_get_by_index::<Option<String>>(i + 1)? {
                key.set_text(&mut row, &text)?;
            }
        }
        out.push(row);
    }
    Ok(out)
}

impl GroupKey for InitiativeGroupKey {
    type Row = InitiativeCount;

    fn sql(self) -> KeySql {
        use initiative::Column as I;
        use initiative_party::Column as P;
        use initiative_theme::Column as T;
        match self {
            Self::Region => KeySql::agenda_region(I::AgendaId),
            Self::Agenda => KeySql::own(I::AgendaId, Some(Record::Agenda)),
            Self::Theme => KeySql::via(T::ThemeId, T::InitiativeId, I::Id, Some(Record::Theme)),
            Self::Status => KeySql::own(I::Status, None),
            Self::Party => KeySql::via(P::PartyId, P::InitiativeId, I::Id, Some(Record::Party)),
            Self::Role => KeySql::via(P::Role, P::InitiativeId, I::Id, None),
        }
    }

    fn keys(row: &mut InitiativeCount) -> &mut Keys {
        &mut row.keys
    }

    fn set_text(self, row: &mut InitiativeCount, text: &str) -> AppResult<()> {
        match self {
            Self::Status => row.status = Some(InitiativeStatus::read(text)?),
            Self::Role => row.role = Some(ParticipationRole::read(text)?),
            _ => {}
        }
        Ok(())
    }
}

impl GroupKey for GoalGroupKey {
    type Row = GoalCount;

    fn sql(self) -> KeySql {
        use goal::Column as G;
        use goal_theme::Column as T;
        match self {
            Self::Region => KeySql::agenda_region(G::AgendaId),
            Self::Agenda => KeySql::own(G::AgendaId, Some(Record::Agenda)),
            Self::Theme => KeySql::via(T::ThemeId, T::GoalId, G::Id, Some(Record::Theme)),
            Self::Kind => KeySql::own(G::Kind, None),
        }
    }

    fn keys(row: &mut GoalCount) -> &mut Keys {
        &mut row.keys
    }

    fn set_text(self, row: &mut GoalCount, text: &str) -> AppResult<()> {
        if self == Self::Kind {
            row.kind = Some(GoalKind::read(text)?);
        }
        Ok(())
    }
}

impl GroupKey for PartyGroupKey {
    type Row = PartyCount;

    fn sql(self) -> KeySql {
        use region_party::Column as R;
        let party = party::Column::Id;
        match self {
            Self::Kind => KeySql::own(party::Column::Kind, None),
            Self::Region => KeySql::via(R::RegionId, R::PartyId, party, Some(Record::Region)),
            Self::RegionRole => KeySql::via(R::Role, R::PartyId, party, None),
        }
    }

    fn keys(row: &mut PartyCount) -> &mut Keys {
        &mut row.keys
    }

    fn set_text(self, row: &mut PartyCount, text: &str) -> AppResult<()> {
        match self {
            Self::Kind => row.kind = Some(PartyKind::read(text)?),
            Self::RegionRole => row.region_role = Some(RegionRole::read(text)?),
            Self::Region => {}
        }
        Ok(())
    }
}

/// What an aggregate counts for in a query's complexity: a row per group, and groups multiply
/// with each key, so `LIST_COST` rows per key, but never more than a full page of a list.
fn aggregate_cost(keys: usize, child_complexity: usize) -> usize {
    let rows = LIST_COST
        .saturating_pow(keys as u32)
        .min(MAX_PAGE_SIZE as usize);
    1 + rows * child_complexity
}

fn db<'a>(ctx: &Context<'a>) -> &'a DatabaseConnection {
    ctx.data_unchecked::<DatabaseConnection>()
}

#[derive(Default)]
pub struct AggregateQuery;

#[Object]
impl AggregateQuery {
    /// Counts of initiatives the caller may see, grouped by the given keys, under the same
    /// filter as `initiatives` (so with no `groupBy` the one row's count is that list's
    /// `totalCount`). A row per group, each filling in only the keys asked for, ordered by the
    /// key values (records by id, nulls last) key by key in the order given. The filter picks
    /// the initiatives; grouping by `THEME`, `PARTY` or `ROLE` then counts each picked
    /// initiative once per linked theme, party or role (all of its links, not only the one
    /// the filter matched), so the counts of the rows may add up to more than the total;
    /// initiatives without such a link count in the row whose key is null. Hidden initiatives
    /// (visibility `REGION` or `PARTICIPANTS`) are counted only for callers who may see them.
    #[graphql(complexity = "aggregate_cost(group_by.len(), child_complexity)")]
    async fn initiative_counts(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to group by; empty for one row with the total.")] group_by: Vec<
            InitiativeGroupKey,
        >,
        #[graphql(desc = "Which initiatives to count (as for `initiatives`).")] filter: Option<
            InitiativeFilter,
        >,
    ) -> Result<Vec<InitiativeCount>> {
        let condition = visible_initiative_condition(ctx, filter.unwrap_or_default()).await?;
        Ok(count_groups::<initiative::Entity, _>(
            db(ctx),
            initiative::Column::Id,
            condition,
            group_by,
        )
        .await?)
    }

    /// Counts of goals, grouped by the given keys, under the same filter as `goals` (so with
    /// no `groupBy` the one row's count is that list's `totalCount`). A row per group, each
    /// filling in only the keys asked for, ordered by the key values (records by id, nulls
    /// last) key by key in the order given. Grouping by `THEME` counts a goal once per theme
    /// it serves, so the counts of the rows may add up to more than the total; goals without
    /// a theme count in the row whose theme is null.
    #[graphql(complexity = "aggregate_cost(group_by.len(), child_complexity)")]
    async fn goal_counts(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to group by; empty for one row with the total.")] group_by: Vec<
            GoalGroupKey,
        >,
        #[graphql(desc = "Which goals to count (as for `goals`).")] filter: Option<GoalFilter>,
    ) -> Result<Vec<GoalCount>> {
        let db = db(ctx);
        let condition = goal_condition(db, filter.unwrap_or_default()).await?;
        Ok(count_groups::<goal::Entity, _>(db, goal::Column::Id, condition, group_by).await?)
    }

    /// Counts of parties, grouped by the given keys, under the same filter as `parties` (so
    /// with no `groupBy` the one row's count is that list's `totalCount`). A row per group,
    /// each filling in only the keys asked for, ordered by the key values (records by id,
    /// nulls last) key by key in the order given. Grouping by `REGION` or `REGION_ROLE`
    /// counts a party once per region or role it has (all of them, not only the one the
    /// filter matched), so the counts of the rows may add up to more than the total; parties
    /// in no region count in the row whose key is null.
    #[graphql(complexity = "aggregate_cost(group_by.len(), child_complexity)")]
    async fn party_counts(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to group by; empty for one row with the total.")] group_by: Vec<
            PartyGroupKey,
        >,
        #[graphql(desc = "Which parties to count (as for `parties`).")] filter: Option<PartyFilter>,
    ) -> Result<Vec<PartyCount>> {
        let condition = party_condition(ctx, filter.unwrap_or_default()).await?;
        Ok(
            count_groups::<party::Entity, _>(db(ctx), party::Column::Id, condition, group_by)
                .await?,
        )
    }
}
