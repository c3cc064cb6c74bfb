//! Building blocks of the list filters: references by id or code, text search, "changed
//! since", and the sets of ids that follow links (an initiative's parties, a theme's
//! sub-themes).

use chrono::{DateTime, Utc};
use entity::theme;
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr, SelectStatement};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect, QueryTrait,
};
use std::collections::{HashMap, HashSet};
use std::str::FromStr;

use crate::error::{AppError, AppResult};
use crate::ids::{Kind, Ref, parse_ref};

/// Resolves a reference (`Region:3` or `kennemerland`) to a row id; an unknown code is
/// `BAD_USER_INPUT` so that a typo in a filter does not look like an empty result.
pub async fn resolve<E: EntityTrait>(
    db: &DatabaseConnection,
    path: &str,
    kind: Kind,
    raw: &str,
) -> AppResult<i32> {
    match parse_ref(path, kind, raw)? {
        Ref::Id(id) => Ok(id),
        Ref::Code(code) => {
            let code_col = E::Column::from_str("code").map_err(|_| AppError::Internal)?;
            let id_col = E::Column::from_str("id").map_err(|_| AppError::Internal)?;
            let found: Option<i32> = E::find()
                .select_only()
                .column(id_col)
                .filter(code_col.eq(code.as_str()))
                .into_tuple()
                .one(db)
                .await?;
            found.ok_or_else(|| {
                AppError::bad_input(path, format!("no {} with code `{code}`", kind.type_name()))
            })
        }
    }
}

/// Resolves an optional reference.
pub async fn resolve_opt<E: EntityTrait>(
    db: &DatabaseConnection,
    path: &str,
    kind: Kind,
    raw: Option<&str>,
) -> AppResult<Option<i32>> {
    match raw {
        Some(raw) => Ok(Some(resolve::<E>(db, path, kind, raw).await?)),
        None => Ok(None),
    }
}

/// Case-insensitive "contains" on a text column; `%` and `_` in the text match themselves.
pub fn contains(column: impl ColumnTrait, text: &str) -> AppResult<Condition> {
    if text.len() > 200 {
        return Err(AppError::bad_input(
            "filter",
            "search text is limited to 200 characters",
        ));
    }
    let escaped = text
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    let pattern = LikeExpr::new(format!("%{escaped}%")).escape('\\');
    Ok(Condition::all()
        .add(Expr::expr(Func::lower(Expr::col(column.as_column_ref()))).like(pattern)))
}

/// Rows changed at or after `since`.
pub fn changed_since(column: impl ColumnTrait, since: DateTime<Utc>) -> Condition {
    Condition::all().add(column.gte(since))
}

/// `SELECT select FROM E WHERE where = value`, for `IN (...)` conditions over link tables.
pub fn ids_where<E: EntityTrait>(select: E::Column, conditions: Condition) -> SelectStatement {
    E::find()
        .select_only()
        .column(select)
        .filter(conditions)
        .into_query()
}

/// The theme `id` and every theme below it.
pub async fn theme_and_below(db: &DatabaseConnection, id: i32) -> AppResult<Vec<i32>> {
    let all: Vec<(i32, Option<i32>)> = theme::Entity::find()
        .select_only()
        .column(theme::Column::Id)
        .column(theme::Column::ParentId)
        .into_tuple()
        .all(db)
        .await?;
    let mut children: HashMap<i32, Vec<i32>> = HashMap::new();
    for (child, parent) in all {
        if let Some(parent) = parent {
            children.entry(parent).or_default().push(child);
        }
    }
    let mut seen = HashSet::from([id]);
    let mut stack = vec![id];
    while let Some(next) = stack.pop() {
        for child in children.get(&next).into_iter().flatten() {
            if seen.insert(*child) {
                stack.push(*child);
            }
        }
    }
    let mut out: Vec<i32> = seen.into_iter().collect();
    out.sort_unstable();
    Ok(out)
}
