//! Lookups of one record: `node(id:)`, `nodes(ids:)`, and per type by id or code.

use async_graphql::{Context, ID, Object, Result};
use entity::*;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use crate::error::AppError;
use crate::graphql::loaders::row;
use crate::graphql::types::*;
use crate::ids::{Kind, Ref, parse_global_id, parse_ref};

/// The largest number of ids `nodes(ids:)` takes at once.
const MAX_NODES: usize = 500;

#[derive(Default)]
pub struct LookupQuery;

/// The record `raw` refers to (id or code) among `kind`, through the request's loaders.
async fn by_ref<E, T>(
    ctx: &Context<'_>,
    path: &str,
    kind: Kind,
    raw: &str,
    loader: impl Fn(
        &crate::graphql::loaders::Loaders,
    ) -> &async_graphql::dataloader::DataLoader<
        crate::graphql::loaders::RowById<E>,
        async_graphql::dataloader::HashMapCache,
    >,
    code_col: E::Column,
) -> Result<Option<T>>
where
    E: EntityTrait,
    E::Model: Send + Sync + Clone + 'static,
    T: From<E::Model>,
{
    match parse_ref(path, kind, raw)? {
        Ref::Id(id) => Ok(row(loader(loaders(ctx)), id).await?.map(T::from)),
        Ref::Code(code) => {
            let db = ctx.data_unchecked::<DatabaseConnection>();
            let found = E::find()
                .filter(code_col.eq(code))
                .one(db)
                .await
                .map_err(AppError::from)?;
            Ok(found.map(T::from))
        }
    }
}

fn loaders<'a>(ctx: &Context<'a>) -> &'a crate::graphql::loaders::Loaders {
    ctx.data_unchecked()
}

#[Object]
impl LookupQuery {
    /// Any record by its global id (`Initiative:42`); null when there is none.
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A global id such as `Initiative:42`.")] id: ID,
    ) -> Result<Option<Node>> {
        let (kind, id) = parse_global_id("id", &id)?;
        node(ctx, kind, id).await
    }

    /// Several records by their global ids, in the order asked; null where there is none.
    #[graphql(complexity = "1 + ids.len() * child_complexity")]
    async fn nodes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global ids, at most 500.")] ids: Vec<ID>,
    ) -> Result<Vec<Option<Node>>> {
        if ids.len() > MAX_NODES {
            return Err(
                AppError::bad_input("ids", format!("at most {MAX_NODES} ids at once")).into(),
            );
        }
        let parsed = ids
            .iter()
            .enumerate()
            .map(|(i, raw)| parse_global_id(&format!("ids.{i}"), raw))
            .collect::<Result<Vec<_>, _>>()?;
        let lookups = parsed.into_iter().map(|(kind, id)| node(ctx, kind, id));
        futures_util::future::try_join_all(lookups).await
    }

    /// A region by id (`Region:3`) or code (`kennemerland`).
    async fn region(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The region's global id or code.")] r#ref: String,
    ) -> Result<Option<Region>> {
        by_ref(
            ctx,
            "ref",
            Kind::Region,
            &r#ref,
            |l| l.region(),
            region::Column::Code,
        )
        .await
    }

    /// A party by id (`Party:7`) or code (`zilveren-kruis`).
    async fn party(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The party's global id or code.")] r#ref: String,
    ) -> Result<Option<Party>> {
        by_ref(
            ctx,
            "ref",
            Kind::Party,
            &r#ref,
            |l| l.party(),
            party::Column::Code,
        )
        .await
    }

    /// An agenda by id (`Agenda:1`) or code (`regioplan-kennemerland-2023`).
    async fn agenda(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The agenda's global id or code.")] r#ref: String,
    ) -> Result<Option<Agenda>> {
        by_ref(
            ctx,
            "ref",
            Kind::Agenda,
            &r#ref,
            |l| l.agenda(),
            agenda::Column::Code,
        )
        .await
    }

    /// A theme by id (`Theme:2`) or code (`ouderen`).
    async fn theme(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The theme's global id or code.")] r#ref: String,
    ) -> Result<Option<Theme>> {
        by_ref(
            ctx,
            "ref",
            Kind::Theme,
            &r#ref,
            |l| l.theme(),
            theme::Column::Code,
        )
        .await
    }

    /// A goal by id (`Goal:12`) or code (`regioplan-kennemerland-2023/doel-1a`).
    async fn goal(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The goal's global id or code.")] r#ref: String,
    ) -> Result<Option<Goal>> {
        by_ref(
            ctx,
            "ref",
            Kind::Goal,
            &r#ref,
            |l| l.goal(),
            goal::Column::Code,
        )
        .await
    }

    /// An initiative by id (`Initiative:42`) or code.
    async fn initiative(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The initiative's global id or code.")] r#ref: String,
    ) -> Result<Option<Initiative>> {
        let found: Option<Initiative> = by_ref(
            ctx,
            "ref",
            Kind::Initiative,
            &r#ref,
            |l| l.initiative(),
            initiative::Column::Code,
        )
        .await?;
        visible_initiative(ctx, found.map(|i| i.0.id)).await
    }

    /// A governance body by id (`GovernanceBody:2`) or code.
    async fn governance_body(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The body's global id or code.")] r#ref: String,
    ) -> Result<Option<GovernanceBody>> {
        by_ref(
            ctx,
            "ref",
            Kind::GovernanceBody,
            &r#ref,
            |l| l.governance_body(),
            governance_body::Column::Code,
        )
        .await
    }
}

/// The record of `kind` with `id`.
async fn node(ctx: &Context<'_>, kind: Kind, id: i32) -> Result<Option<Node>> {
    let l = loaders(ctx);
    Ok(match kind {
        Kind::Region => row(l.region(), id).await?.map(|m| Node::Region(m.into())),
        Kind::Party => row(l.party(), id).await?.map(|m| Node::Party(m.into())),
        Kind::Agenda => row(l.agenda(), id).await?.map(|m| Node::Agenda(m.into())),
        Kind::Theme => row(l.theme(), id).await?.map(|m| Node::Theme(m.into())),
        Kind::Goal => row(l.goal(), id).await?.map(|m| Node::Goal(m.into())),
        Kind::Initiative => visible_initiative(ctx, Some(id))
            .await?
            .map(Node::Initiative),
        Kind::GovernanceBody => row(l.governance_body(), id)
            .await?
            .map(|m| Node::GovernanceBody(m.into())),
        Kind::Indicator => row(l.indicator(), id)
            .await?
            .map(|m| Node::Indicator(m.into())),
        Kind::Bottleneck => {
            let found = row(l.bottleneck(), id).await?.into_iter().collect();
            keep_visible(ctx, found, |b| b.initiative_id)
                .await?
                .pop()
                .map(|m| Node::Bottleneck(m.into()))
        }
        Kind::Milestone => {
            let found = row(l.milestone(), id).await?.into_iter().collect();
            keep_visible(ctx, found, |m| m.initiative_id)
                .await?
                .pop()
                .map(|m| Node::Milestone(m.into()))
        }
    })
}
