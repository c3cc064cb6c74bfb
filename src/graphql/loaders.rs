//! DataLoaders: every nested field reads through one of these, so a query runs one statement
//! per level of nesting, whatever the number of parent rows.
//!
//! Two generic loaders cover all tables: [`RowById`] (one row per id) and [`RowsBy`] (all rows
//! whose foreign key column holds the parent's id). [`Loaders`] holds one instance per
//! table and column; it is created per request, so its cache never outlives a request.

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use entity::*;
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, ModelTrait, QueryFilter, QueryOrder, Value,
};
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, OnceLock};

use super::batching::Scheduler;
use crate::error::AppError;
use std::time::Duration;

/// Loads rows of `E` by their id.
pub struct RowById<E: EntityTrait> {
    db: DatabaseConnection,
    id: E::Column,
}

/// Loads, per parent id, the rows of `E` whose `column` holds it, in id order.
pub struct RowsBy<E: EntityTrait> {
    db: DatabaseConnection,
    column: E::Column,
    id: E::Column,
}

/// The column `name` of `E`: the names come from this crate and exist in every table, so a
/// typo is a bug caught by the first test that touches it.
pub(crate) fn column<E: EntityTrait>(name: &str) -> E::Column {
    // The names come from this module and exist in every table: a typo is a bug caught by the
    // first test that touches the loader.
    E::Column::from_str(name).unwrap_or_else(|_| panic!("column {name} missing"))
}

fn int(value: Value) -> Option<i32> {
    match value {
        Value::Int(v) => v,
        _ => None,
    }
}

impl<E: EntityTrait> Loader<i32> for RowById<E>
where
    E::Model: Send + Sync + Clone + 'static,
{
    type Value = E::Model;
    type Error = Arc<AppError>;

    async fn load(&self, keys: &[i32]) -> Result<HashMap<i32, Self::Value>, Self::Error> {
        let rows = E::find()
            .filter(self.id.is_in(keys.iter().copied()))
            .all(&self.db)
            .await
            .map_err(|e| Arc::new(AppError::from(e)))?;
        Ok(rows
            .into_iter()
            .filter_map(|row| int(row.get(self.id)).map(|id| (id, row)))
            .collect())
    }
}

impl<E: EntityTrait> Loader<i32> for RowsBy<E>
where
    E::Model: Send + Sync + Clone + 'static,
{
    type Value = Vec<E::Model>;
    type Error = Arc<AppError>;

    async fn load(&self, keys: &[i32]) -> Result<HashMap<i32, Self::Value>, Self::Error> {
        let rows = E::find()
            .filter(self.column.is_in(keys.iter().copied()))
            .order_by_asc(self.id)
            .all(&self.db)
            .await
            .map_err(|e| Arc::new(AppError::from(e)))?;
        let mut out: HashMap<i32, Vec<E::Model>> = HashMap::new();
        for row in rows {
            if let Some(key) = int(row.get(self.column)) {
                out.entry(key).or_default().push(row);
            }
        }
        Ok(out)
    }
}

/// A loader with a per-request cache, whose loads [`drive`](super::batching::drive) runs.
fn loader<L>(inner: L, scheduler: &Scheduler) -> DataLoader<L, HashMapCache>
where
    L: Loader<i32> + Send + Sync + 'static,
{
    DataLoader::with_cache(inner, scheduler.spawner(), HashMapCache::default())
        .delay(Duration::ZERO)
}

fn by_id<E: EntityTrait>(
    db: &DatabaseConnection,
    scheduler: &Scheduler,
) -> DataLoader<RowById<E>, HashMapCache>
where
    E::Model: Send + Sync + Clone + 'static,
{
    loader(
        RowById::<E> {
            db: db.clone(),
            id: column::<E>("id"),
        },
        scheduler,
    )
}

fn by<E: EntityTrait>(
    db: &DatabaseConnection,
    name: &str,
    scheduler: &Scheduler,
) -> DataLoader<RowsBy<E>, HashMapCache>
where
    E::Model: Send + Sync + Clone + 'static,
{
    loader(
        RowsBy::<E> {
            db: db.clone(),
            column: column::<E>(name),
            id: column::<E>("id"),
        },
        scheduler,
    )
}

/// Declares [`Loaders`]: one loader per (table, column) that a nested field reads by, each
/// made on its first use (a request uses a few of them; making all of them for every request
/// was 4% of a status change's CPU).
macro_rules! loaders {
    (
        by_id { $($id_field:ident: $id_entity:ident,)+ }
        by_column { $($field:ident: $entity:ident . $column:literal,)+ }
    ) => {
        /// The DataLoaders of one request.
        pub struct Loaders {
            db: DatabaseConnection,
            scheduler: Scheduler,
            cache: bool,
            $($id_field: OnceLock<DataLoader<RowById<$id_entity::Entity>, HashMapCache>>,)+
            $($field: OnceLock<DataLoader<RowsBy<$entity::Entity>, HashMapCache>>,)+
        }

        impl Loaders {
            /// Stops caching: for a WebSocket connection, whose loaders live as long as it
            /// does and must not serve rows that changed since.
            pub fn without_cache(mut self) -> Self {
                self.cache = false;
                self
            }

            /// Fresh loaders (empty caches) over `db`, whose loads `scheduler` runs.
            pub fn new(db: &DatabaseConnection, scheduler: &Scheduler) -> Self {
                Loaders {
                    db: db.clone(),
                    scheduler: scheduler.clone(),
                    cache: true,
                    $($id_field: OnceLock::new(),)+
                    $($field: OnceLock::new(),)+
                }
            }

            $(
                pub fn $id_field(&self) -> &DataLoader<RowById<$id_entity::Entity>, HashMapCache> {
                    self.$id_field.get_or_init(|| {
                        let loader = by_id::<$id_entity::Entity>(&self.db, &self.scheduler);
                        loader.enable_all_cache(self.cache);
                        loader
                    })
                }
            )+
            $(
                pub fn $field(&self) -> &DataLoader<RowsBy<$entity::Entity>, HashMapCache> {
                    self.$field.get_or_init(|| {
                        let loader = by::<$entity::Entity>(&self.db, $column, &self.scheduler);
                        loader.enable_all_cache(self.cache);
                        loader
                    })
                }
            )+
        }
    };
}

loaders! {
    by_id {
        region: region,
        party: party,
        agenda: agenda,
        theme: theme,
        goal: goal,
        initiative: initiative,
        governance_body: governance_body,
        indicator: indicator,
        bottleneck: bottleneck,
        milestone: milestone,
    }
    by_column {
        aliases_of_party: party_alias."party_id",
        members_of_collective: party_membership."collective_id",
        collectives_of_member: party_membership."member_id",
        subregions_of_region: region."parent_id",
        parties_of_region: region_party."region_id",
        regions_of_party: region_party."party_id",
        agendas_of_region: agenda."region_id",
        signatories_of_agenda: agenda_signatory."agenda_id",
        signed_by_party: agenda_signatory."party_id",
        subthemes_of_theme: theme."parent_id",
        themes_of_agenda: theme."agenda_id",
        goals_of_agenda: goal."agenda_id",
        parents_of_goal: goal_parent."goal_id",
        children_of_goal: goal_parent."parent_id",
        themes_of_goal: goal_theme."goal_id",
        goals_of_theme: goal_theme."theme_id",
        initiatives_of_agenda: initiative."agenda_id",
        subinitiatives_of_initiative: initiative."parent_id",
        parties_of_initiative: initiative_party."initiative_id",
        initiatives_of_party: initiative_party."party_id",
        themes_of_initiative: initiative_theme."initiative_id",
        initiatives_of_theme: initiative_theme."theme_id",
        goals_of_initiative: initiative_goal."initiative_id",
        initiatives_of_goal: initiative_goal."goal_id",
        indicators_of_agenda: indicator."agenda_id",
        indicators_of_goal: indicator."goal_id",
        bottlenecks_of_agenda: bottleneck."agenda_id",
        bottlenecks_of_goal: bottleneck."goal_id",
        bottlenecks_of_initiative: bottleneck."initiative_id",
        milestones_of_initiative: milestone."initiative_id",
        milestones_of_goal: milestone."goal_id",
        bodies_of_agenda: governance_body."agenda_id",
        members_of_body: governance_member."body_id",
        bodies_of_party: governance_member."party_id",
        history_of_initiative: status_change."initiative_id",
    }
}

/// The row with `id`, through `loader`.
pub async fn row<E: EntityTrait>(
    loader: &DataLoader<RowById<E>, HashMapCache>,
    id: i32,
) -> async_graphql::Result<Option<E::Model>>
where
    E::Model: Send + Sync + Clone + 'static,
{
    loader.load_one(id).await.map_err(|e| (*e).clone().into())
}

/// The row with `id`, which a foreign key guarantees to exist.
pub async fn required_row<E: EntityTrait>(
    loader: &DataLoader<RowById<E>, HashMapCache>,
    id: i32,
) -> async_graphql::Result<E::Model>
where
    E::Model: Send + Sync + Clone + 'static,
{
    row(loader, id).await?.ok_or_else(|| {
        tracing::error!(id, table = std::any::type_name::<E>(), "dangling reference");
        AppError::Internal.into()
    })
}

/// The rows that refer to `id`, through `loader`.
pub async fn rows<E: EntityTrait>(
    loader: &DataLoader<RowsBy<E>, HashMapCache>,
    id: i32,
) -> async_graphql::Result<Vec<E::Model>>
where
    E::Model: Send + Sync + Clone + 'static,
{
    Ok(loader
        .load_one(id)
        .await
        .map_err(|e| (*e).clone())?
        .unwrap_or_default())
}

/// The rows with `ids`, in the order of `ids`, through `loader`.
pub async fn rows_by_ids<E: EntityTrait>(
    loader: &DataLoader<RowById<E>, HashMapCache>,
    ids: impl IntoIterator<Item = i32>,
) -> async_graphql::Result<Vec<E::Model>>
where
    E::Model: Send + Sync + Clone + 'static,
{
    let ids: Vec<i32> = ids.into_iter().collect();
    let found = loader
        .load_many(ids.iter().copied())
        .await
        .map_err(|e| (*e).clone())?;
    Ok(ids.iter().filter_map(|id| found.get(id).cloned()).collect())
}
