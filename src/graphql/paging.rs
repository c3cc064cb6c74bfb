//! Relay connections: keyset paging over any table, with ordering, cursors and `totalCount`.
//!
//! Keyset (not offset) paging keeps a page stable while rows are added before it and costs the
//! same on page 1 and page 1,000. A cursor carries the order it was made for and the sort key
//! and id of its row; a cursor from another ordering is refused rather than misread.

use async_graphql::{Enum, InputObject, SimpleObject};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, ModelTrait, Order, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Value,
};
use serde::{Deserialize, Serialize};

use crate::error::{AppError, AppResult};

use super::loaders::column;
use super::types::*;

/// The largest page a client may ask for.
pub const MAX_PAGE_SIZE: u64 = 500;
/// The page size when neither `first` nor `last` is given.
pub const DEFAULT_PAGE_SIZE: u64 = 50;

/// What a list is ordered by.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum OrderField {
    /// Creation order (the id). The default.
    #[default]
    Id,
    /// The record's code.
    Code,
    /// The record's name or title.
    Name,
    /// When the record last changed.
    UpdatedAt,
}

/// Ascending or descending.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Default)]
pub enum Direction {
    /// Smallest first. The default.
    #[default]
    Asc,
    /// Largest first.
    Desc,
}

/// How to order a list. Ties are broken by id, in the same direction.
#[derive(InputObject, Clone, Copy, Debug, Default)]
pub struct Ordering {
    /// What to order by; `ID` when left out.
    #[graphql(default)]
    pub field: OrderField,
    /// `ASC` when left out.
    #[graphql(default)]
    pub direction: Direction,
}

/// The paging arguments of a connection field, as the client sent them.
#[derive(Clone, Debug, Default)]
pub struct PageArgs {
    pub first: Option<i32>,
    pub after: Option<String>,
    pub last: Option<i32>,
    pub before: Option<String>,
}

/// Where a page sits in its list.
#[derive(SimpleObject, Clone, Debug)]
pub struct PageInfo {
    /// Whether more rows follow this page (ask again with `after: endCursor`).
    pub has_next_page: bool,
    /// Whether rows precede this page (ask again with `before: startCursor`).
    pub has_previous_page: bool,
    /// The cursor of the first row of the page, null when the page is empty.
    pub start_cursor: Option<String>,
    /// The cursor of the last row of the page, null when the page is empty.
    pub end_cursor: Option<String>,
}

/// A page of rows, before it becomes the connection type of its node type.
pub struct Page<T> {
    pub edges: Vec<(String, T)>,
    pub page_info: PageInfo,
    pub total_count: u64,
}

/// Declares the connection and edge types of a node type.
macro_rules! connection {
    ($node:ident, $connection:ident, $edge:ident) => {
        #[doc = concat!("One ", stringify!($node), " of a page, with its cursor.")]
        #[derive(SimpleObject, Clone)]
        pub struct $edge {
            /// Pass this as `after` or `before` to page from this row.
            pub cursor: String,
            /// The row.
            pub node: $node,
        }

        #[doc = concat!("A page of ", stringify!($node), " rows (a Relay connection).")]
        #[derive(SimpleObject)]
        pub struct $connection {
            /// The rows of this page with their cursors.
            pub edges: Vec<$edge>,
            /// The rows of this page, without cursors (a shortcut for `edges { node }`).
            pub nodes: Vec<$node>,
            /// Where this page sits in the list.
            pub page_info: PageInfo,
            /// How many rows the whole list holds under the same filter, across all pages.
            pub total_count: u64,
        }

        impl From<Page<$node>> for $connection {
            fn from(page: Page<$node>) -> Self {
                let nodes = page.edges.iter().map(|(_, node)| node.clone()).collect();
                let edges = page
                    .edges
                    .into_iter()
                    .map(|(cursor, node)| $edge { cursor, node })
                    .collect();
                $connection {
                    edges,
                    nodes,
                    page_info: page.page_info,
                    total_count: page.total_count,
                }
            }
        }
    };
}

connection!(Region, RegionConnection, RegionEdge);
connection!(Party, PartyConnection, PartyEdge);
connection!(Agenda, AgendaConnection, AgendaEdge);
connection!(Theme, ThemeConnection, ThemeEdge);
connection!(Goal, GoalConnection, GoalEdge);
connection!(Indicator, IndicatorConnection, IndicatorEdge);
connection!(Bottleneck, BottleneckConnection, BottleneckEdge);
connection!(Initiative, InitiativeConnection, InitiativeEdge);
connection!(Milestone, MilestoneConnection, MilestoneEdge);
connection!(GovernanceBody, GovernanceBodyConnection, GovernanceBodyEdge);

/// A table that can be listed: which column `NAME` orders by, and whether it has codes.
pub trait Listed: EntityTrait
where
    Self::Model: Send + Sync,
{
    /// The column that `OrderField::Name` orders by (`name` or `title`).
    const NAME_COLUMN: &'static str;
    /// Whether the table has a `code` column.
    const HAS_CODE: bool = true;
}

#[derive(Serialize, Deserialize)]
struct CursorData {
    /// The ordering the cursor was made for.
    o: OrderField,
    /// The sort key of the row (absent when ordering by id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    k: Option<String>,
    /// The id of the row.
    i: i32,
}

fn encode_cursor(data: &CursorData) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(data).unwrap_or_default())
}

fn decode_cursor(path: &str, raw: &str, order: OrderField) -> AppResult<CursorData> {
    let bad = |why: &str| AppError::bad_input(path, why.to_string());
    let bytes = URL_SAFE_NO_PAD
        .decode(raw)
        .map_err(|_| bad("not a cursor returned by this list"))?;
    let data: CursorData =
        serde_json::from_slice(&bytes).map_err(|_| bad("not a cursor returned by this list"))?;
    if data.o != order {
        return Err(bad(
            "the cursor was made for another ordering; page with the same orderBy",
        ));
    }
    if (order == OrderField::Id) != data.k.is_none() {
        return Err(bad("not a cursor returned by this list"));
    }
    Ok(data)
}

/// The sort column of `order` in `E`, or `None` when ordering by id alone.
fn sort_column<E: Listed>(order: OrderField) -> AppResult<Option<E::Column>>
where
    E::Model: Send + Sync,
{
    let name = match order {
        OrderField::Id => return Ok(None),
        OrderField::Code if !E::HAS_CODE => {
            return Err(AppError::bad_input(
                "orderBy.field",
                "this list has no codes; order by ID, NAME or UPDATED_AT",
            ));
        }
        OrderField::Code => "code",
        OrderField::Name => E::NAME_COLUMN,
        OrderField::UpdatedAt => "updated_at",
    };
    Ok(Some(column::<E>(name)))
}

/// The sort key of a row as text for its cursor.
fn key_text(value: Value) -> Option<String> {
    match value {
        Value::String(s) => s,
        Value::ChronoDateTimeUtc(t) => t.map(|t| t.to_rfc3339()),
        _ => None,
    }
}

/// The sort key of a cursor as a database value.
fn key_value(path: &str, order: OrderField, text: &str) -> AppResult<Value> {
    match order {
        OrderField::UpdatedAt => DateTime::parse_from_rfc3339(text)
            .map(|t| Value::ChronoDateTimeUtc(Some(t.with_timezone(&Utc))))
            .map_err(|_| AppError::bad_input(path, "not a cursor returned by this list")),
        _ => Ok(Value::String(Some(text.to_string()))),
    }
}

/// Rows strictly beyond the cursor `(key, id)` in direction `ascending`.
fn beyond<E: EntityTrait>(
    sort: Option<E::Column>,
    key: Option<Value>,
    id: i32,
    ascending: bool,
) -> Condition {
    let id_col = column::<E>("id");
    let id_beyond = if ascending {
        id_col.gt(id)
    } else {
        id_col.lt(id)
    };
    match (sort, key) {
        (Some(sort), Some(key)) => {
            let key_beyond = if ascending {
                Expr::col(sort).gt(key.clone())
            } else {
                Expr::col(sort).lt(key.clone())
            };
            Condition::any()
                .add(key_beyond)
                .add(Condition::all().add(Expr::col(sort).eq(key)).add(id_beyond))
        }
        _ => Condition::all().add(id_beyond),
    }
}

/// Fetches the page of `E` that `args` and `ordering` ask for among the rows matching `filter`.
/// `want_total` runs the count only when the client selected `totalCount`.
pub async fn fetch<E, T>(
    db: &DatabaseConnection,
    filter: Condition,
    args: &PageArgs,
    ordering: Ordering,
    want_total: bool,
    wrap: impl Fn(E::Model) -> T,
) -> AppResult<Page<T>>
where
    E: Listed,
    E::Model: Send + Sync,
{
    let size = |path: &str, n: Option<i32>| -> AppResult<Option<u64>> {
        match n {
            None => Ok(None),
            Some(n) if n < 0 => Err(AppError::bad_input(path, "must not be negative")),
            Some(n) if n as u64 > MAX_PAGE_SIZE => Err(AppError::bad_input(
                path,
                format!("at most {MAX_PAGE_SIZE} rows per page"),
            )),
            Some(n) => Ok(Some(n as u64)),
        }
    };
    let first = size("first", args.first)?;
    let last = size("last", args.last)?;
    if first.is_some() && last.is_some() {
        return Err(AppError::bad_input(
            "last",
            "give either first or last, not both",
        ));
    }
    let sort = sort_column::<E>(ordering.field)?;
    let ascending = ordering.direction == Direction::Asc;
    let mut condition = Condition::all().add(filter.clone());
    for (path, raw, forward) in [
        ("after", &args.after, true),
        ("before", &args.before, false),
    ] {
        if let Some(raw) = raw {
            let cursor = decode_cursor(path, raw, ordering.field)?;
            let key = cursor
                .k
                .as_deref()
                .map(|k| key_value(path, ordering.field, k))
                .transpose()?;
            condition = condition.add(beyond::<E>(sort, key, cursor.i, ascending == forward));
        }
    }
    let backward = last.is_some();
    let limit = last.or(first).unwrap_or(DEFAULT_PAGE_SIZE);
    let scan_ascending = ascending != backward;
    let direction = if scan_ascending {
        Order::Asc
    } else {
        Order::Desc
    };
    let mut select = E::find().filter(condition);
    if let Some(sort) = sort {
        select = select.order_by(sort, direction.clone());
    }
    let mut rows = select
        .order_by(column::<E>("id"), direction)
        .limit(limit + 1)
        .all(db)
        .await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    if backward {
        rows.reverse();
    }
    let total_count = if want_total {
        E::find().filter(filter).count(db).await?
    } else {
        0
    };
    let id_col = column::<E>("id");
    let edges: Vec<(String, T)> = rows
        .into_iter()
        .map(|row| {
            let id = match row.get(id_col) {
                Value::Int(Some(id)) => id,
                _ => 0,
            };
            let k = sort.and_then(|c| key_text(row.get(c)));
            let cursor = encode_cursor(&CursorData {
                o: ordering.field,
                k,
                i: id,
            });
            (cursor, wrap(row))
        })
        .collect();
    let page_info = PageInfo {
        has_next_page: if backward {
            args.before.is_some()
        } else {
            more
        },
        has_previous_page: if backward { more } else { args.after.is_some() },
        start_cursor: edges.first().map(|e| e.0.clone()),
        end_cursor: edges.last().map(|e| e.0.clone()),
    };
    Ok(Page {
        edges,
        page_info,
        total_count,
    })
}
