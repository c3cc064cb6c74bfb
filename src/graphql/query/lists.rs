//! The lists: a Relay connection per entity, with the filters analysts need and an ordering.
//!
//! Each filter becomes one SQL condition (links are followed with `IN (SELECT ...)`), so a
//! list is one statement for its page and one for `totalCount` when asked.

use async_graphql::{Context, InputObject, Object, Result};
use chrono::{DateTime, Utc};
use entity::*;
use sea_orm::{ColumnTrait, Condition, DatabaseConnection};

use crate::domain::{
    AgendaKind, BodyKind, GoalKind, IndicatorKind, InitiativeStatus, ParticipationRole, PartyKind,
    RegionKind, RegionRole,
};
use crate::error::AppResult;
use crate::graphql::filter::{changed_since, contains, ids_where, resolve_opt, theme_and_below};
use crate::graphql::paging::*;
use crate::ids::Kind;
use crate::policy;

impl Listed for region::Entity {
    const NAME_COLUMN: &'static str = "name";
}
impl Listed for party::Entity {
    const NAME_COLUMN: &'static str = "name";
}
impl Listed for agenda::Entity {
    const NAME_COLUMN: &'static str = "title";
}
impl Listed for theme::Entity {
    const NAME_COLUMN: &'static str = "name";
}
impl Listed for goal::Entity {
    const NAME_COLUMN: &'static str = "title";
}
impl Listed for indicator::Entity {
    const NAME_COLUMN: &'static str = "name";
}
impl Listed for bottleneck::Entity {
    const NAME_COLUMN: &'static str = "title";
}
impl Listed for initiative::Entity {
    const NAME_COLUMN: &'static str = "title";
}
impl Listed for milestone::Entity {
    const NAME_COLUMN: &'static str = "title";
    const HAS_CODE: bool = false;
}
impl Listed for governance_body::Entity {
    const NAME_COLUMN: &'static str = "name";
}

/// Filters regions. All given conditions must hold.
#[derive(InputObject, Default)]
pub struct RegionFilter {
    /// Only regions of these kinds.
    pub kind: Option<Vec<RegionKind>>,
    /// Only regions this party (id or code) belongs to.
    pub party: Option<String>,
    /// Only regions directly under this region (id or code).
    pub parent: Option<String>,
    /// Only regions whose name contains this text (case-insensitive).
    pub name_contains: Option<String>,
    /// Only regions changed at or after this moment.
    pub changed_since: Option<DateTime<Utc>>,
}

/// Filters parties. All given conditions must hold.
#[derive(InputObject, Default)]
pub struct PartyFilter {
    /// Only parties of these kinds.
    pub kind: Option<Vec<PartyKind>>,
    /// Only parties of this region (id or code).
    pub region: Option<String>,
    /// With `region`: only parties in this role there (insurer, care office, ...); alone:
    /// parties with this role in any region.
    pub region_role: Option<RegionRole>,
    /// Only parties taking part in this initiative (id or code).
    pub initiative: Option<String>,
    /// Only categories (true) or only single organisations (false).
    pub is_category: Option<bool>,
    /// Only parties whose name or one of whose aliases contains this text
    /// (case-insensitive): `HZK` finds the party that the documents also call that.
    pub name_contains: Option<String>,
    /// Only parties changed at or after this moment.
    pub changed_since: Option<DateTime<Utc>>,
}

/// Filters agendas. All given conditions must hold.
#[derive(InputObject, Default)]
pub struct AgendaFilter {
    /// Only agendas of this region (id or code).
    pub region: Option<String>,
    /// Only agendas this party (id or code) signed.
    pub signatory: Option<String>,
    /// Only agendas of this kind.
    pub kind: Option<AgendaKind>,
    /// Only agendas whose title contains this text (case-insensitive).
    pub title_contains: Option<String>,
    /// Only agendas changed at or after this moment.
    pub changed_since: Option<DateTime<Utc>>,
}

/// Filters themes. All given conditions must hold.
#[derive(InputObject, Default)]
pub struct ThemeFilter {
    /// Only the themes of this agenda (id or code).
    pub agenda: Option<String>,
    /// Only national (true) or only agenda-specific (false) themes.
    pub national: Option<bool>,
    /// Only themes directly under this theme (id or code).
    pub parent: Option<String>,
    /// Only themes whose name contains this text (case-insensitive).
    pub name_contains: Option<String>,
    /// Only themes changed at or after this moment.
    pub changed_since: Option<DateTime<Utc>>,
}

/// Filters goals. All given conditions must hold.
#[derive(InputObject, Default)]
pub struct GoalFilter {
    /// Only goals of this agenda (id or code).
    pub agenda: Option<String>,
    /// Only goals of the agendas of this region (id or code).
    pub region: Option<String>,
    /// Only goals serving this theme or one of its sub-themes (id or code).
    pub theme: Option<String>,
    /// Only goals directly under this goal (id or code).
    pub parent: Option<String>,
    /// Only goals of this kind.
    pub kind: Option<GoalKind>,
    /// Only goals whose title contains this text (case-insensitive).
    pub title_contains: Option<String>,
    /// Only goals changed at or after this moment.
    pub changed_since: Option<DateTime<Utc>>,
}

/// Filters indicators. All given conditions must hold.
#[derive(InputObject, Default)]
pub struct IndicatorFilter {
    /// Only indicators of this agenda (id or code).
    pub agenda: Option<String>,
    /// Only indicators of the agendas of this region (id or code).
    pub region: Option<String>,
    /// Only indicators of this goal (id or code).
    pub goal: Option<String>,
    /// Only indicators of this theme or one of its sub-themes (id or code).
    pub theme: Option<String>,
    /// Only observed figures or only planned KPIs.
    pub kind: Option<IndicatorKind>,
    /// Only figures of this year.
    pub year: Option<i32>,
    /// Only indicators whose name contains this text (case-insensitive).
    pub name_contains: Option<String>,
    /// Only indicators changed at or after this moment.
    pub changed_since: Option<DateTime<Utc>>,
}

/// Filters knelpunten. All given conditions must hold.
#[derive(InputObject, Default)]
pub struct BottleneckFilter {
    /// Only knelpunten of this agenda (id or code).
    pub agenda: Option<String>,
    /// Only knelpunten of the agendas of this region (id or code).
    pub region: Option<String>,
    /// Only knelpunten under this goal (id or code).
    pub goal: Option<String>,
    /// Only knelpunten of this initiative (id or code).
    pub initiative: Option<String>,
    /// Only knelpunten whose title contains this text (case-insensitive).
    pub title_contains: Option<String>,
    /// Only knelpunten changed at or after this moment.
    pub changed_since: Option<DateTime<Utc>>,
}

/// Filters initiatives. All given conditions must hold.
#[derive(InputObject, Default)]
pub struct InitiativeFilter {
    /// Only initiatives of the agendas of this region (id or code).
    pub region: Option<String>,
    /// Only initiatives of this agenda (id or code).
    pub agenda: Option<String>,
    /// Only initiatives serving this theme or one of its sub-themes, directly or as lead
    /// theme (id or code).
    pub theme: Option<String>,
    /// Only initiatives contributing to this goal (id or code).
    pub goal: Option<String>,
    /// Only initiatives this party takes part in (id or code).
    pub party: Option<String>,
    /// With `party`: only where it has this role (`LEAD` for the ones it leads); alone: only
    /// initiatives with a party in this role.
    pub role: Option<ParticipationRole>,
    /// Only initiatives with one of these statuses.
    pub status: Option<Vec<InitiativeStatus>>,
    /// Only labour-saving (true) or only not labour-saving (false) initiatives.
    pub labour_saving: Option<bool>,
    /// Only the sub-initiatives of this initiative (id or code).
    pub parent: Option<String>,
    /// Only initiatives that are not part of another (true).
    pub top_level: Option<bool>,
    /// Only initiatives whose title contains this text (case-insensitive).
    pub title_contains: Option<String>,
    /// Only initiatives changed at or after this moment.
    pub changed_since: Option<DateTime<Utc>>,
}

/// Filters milestones. All given conditions must hold.
#[derive(InputObject, Default)]
pub struct MilestoneFilter {
    /// Only steps of this initiative (id or code).
    pub initiative: Option<String>,
    /// Only actions under this goal (id or code).
    pub goal: Option<String>,
    /// Only milestones planned for this year.
    pub year: Option<i32>,
    /// Only milestones changed at or after this moment.
    pub changed_since: Option<DateTime<Utc>>,
}

/// Filters governance bodies. All given conditions must hold.
#[derive(InputObject, Default)]
pub struct GovernanceBodyFilter {
    /// Only bodies of this agenda (id or code).
    pub agenda: Option<String>,
    /// Only bodies this party (id or code) sits in.
    pub party: Option<String>,
    /// Only bodies of this kind.
    pub kind: Option<BodyKind>,
    /// Only bodies changed at or after this moment.
    pub changed_since: Option<DateTime<Utc>>,
}

#[derive(Default)]
pub struct ListQuery;

/// The cost of a page: its fields times the rows it may return, so that a query's
/// complexity grows with what it can fetch (`Limits::max_complexity`).
fn page_cost(first: Option<i32>, last: Option<i32>, child_complexity: usize) -> usize {
    let rows = first
        .or(last)
        .unwrap_or(DEFAULT_PAGE_SIZE as i32)
        .clamp(1, MAX_PAGE_SIZE as i32) as usize;
    1 + rows * child_complexity
}

fn db<'a>(ctx: &Context<'a>) -> &'a DatabaseConnection {
    ctx.data_unchecked::<DatabaseConnection>()
}

/// Fetches the page of `E` for a connection field, counting only when `totalCount` is asked.
async fn page<E, T, C>(
    ctx: &Context<'_>,
    filter: Condition,
    args: PageArgs,
    order: Option<Ordering>,
) -> Result<C>
where
    E: Listed,
    E::Model: Send + Sync,
    T: From<E::Model>,
    C: From<Page<T>>,
{
    let want_total = ctx.look_ahead().field("totalCount").exists();
    Ok(fetch::<E, T>(
        db(ctx),
        filter,
        &args,
        order.unwrap_or_default(),
        want_total,
        T::from,
    )
    .await?
    .into())
}

/// The `agenda` and `region` filters of records that belong to an agenda through `column`.
async fn agenda_scope(
    db: &DatabaseConnection,
    column: impl ColumnTrait + Copy,
    agenda: Option<&str>,
    region: Option<&str>,
) -> AppResult<Condition> {
    let mut c = Condition::all();
    if let Some(a) =
        resolve_opt::<agenda::Entity>(db, "filter.agenda", Kind::Agenda, agenda).await?
    {
        c = c.add(column.eq(a));
    }
    if let Some(r) =
        resolve_opt::<region::Entity>(db, "filter.region", Kind::Region, region).await?
    {
        c = c.add(column.in_subquery(ids_where::<agenda::Entity>(
            agenda::Column::Id,
            Condition::all().add(agenda::Column::RegionId.eq(r)),
        )));
    }
    Ok(c)
}

macro_rules! page_args {
    ($first:expr, $after:expr, $last:expr, $before:expr) => {
        PageArgs {
            first: $first,
            after: $after,
            last: $last,
            before: $before,
        }
    };
}

#[Object]
impl ListQuery {
    /// Regions, a page at a time.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    async fn regions(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Return at most this many rows from the start (default 50, at most 500)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Start after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return at most this many rows from the end.")] last: Option<i32>,
        #[graphql(desc = "End before this cursor.")] before: Option<String>,
        #[graphql(desc = "Which regions to return.")] filter: Option<RegionFilter>,
        #[graphql(desc = "The order (by id when left out).")] order_by: Option<Ordering>,
    ) -> Result<RegionConnection> {
        let f = filter.unwrap_or_default();
        let db = db(ctx);
        let mut c = Condition::all();
        if let Some(kinds) = f.kind {
            c = c.add(region::Column::Kind.is_in(kinds.iter().map(|k| k.as_db())));
        }
        if let Some(p) =
            resolve_opt::<party::Entity>(db, "filter.party", Kind::Party, f.party.as_deref())
                .await?
        {
            c = c.add(
                region::Column::Id.in_subquery(ids_where::<region_party::Entity>(
                    region_party::Column::RegionId,
                    Condition::all().add(region_party::Column::PartyId.eq(p)),
                )),
            );
        }
        if let Some(p) =
            resolve_opt::<region::Entity>(db, "filter.parent", Kind::Region, f.parent.as_deref())
                .await?
        {
            c = c.add(region::Column::ParentId.eq(p));
        }
        if let Some(text) = &f.name_contains {
            c = c.add(contains(region::Column::Name, text)?);
        }
        if let Some(since) = f.changed_since {
            c = c.add(changed_since(region::Column::UpdatedAt, since));
        }
        page::<region::Entity, _, _>(ctx, c, page_args!(first, after, last, before), order_by).await
    }

    /// Parties (organisations and categories), a page at a time.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    async fn parties(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Return at most this many rows from the start (default 50, at most 500)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Start after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return at most this many rows from the end.")] last: Option<i32>,
        #[graphql(desc = "End before this cursor.")] before: Option<String>,
        #[graphql(desc = "Which parties to return.")] filter: Option<PartyFilter>,
        #[graphql(desc = "The order (by id when left out).")] order_by: Option<Ordering>,
    ) -> Result<PartyConnection> {
        let c = party_condition(ctx, filter.unwrap_or_default()).await?;
        page::<party::Entity, _, _>(ctx, c, page_args!(first, after, last, before), order_by).await
    }

    /// Agendas (samenwerkingsagenda's and regioplannen), a page at a time.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    async fn agendas(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Return at most this many rows from the start (default 50, at most 500)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Start after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return at most this many rows from the end.")] last: Option<i32>,
        #[graphql(desc = "End before this cursor.")] before: Option<String>,
        #[graphql(desc = "Which agendas to return.")] filter: Option<AgendaFilter>,
        #[graphql(desc = "The order (by id when left out).")] order_by: Option<Ordering>,
    ) -> Result<AgendaConnection> {
        let f = filter.unwrap_or_default();
        let db = db(ctx);
        let mut c = Condition::all();
        if let Some(r) =
            resolve_opt::<region::Entity>(db, "filter.region", Kind::Region, f.region.as_deref())
                .await?
        {
            c = c.add(agenda::Column::RegionId.eq(r));
        }
        if let Some(p) = resolve_opt::<party::Entity>(
            db,
            "filter.signatory",
            Kind::Party,
            f.signatory.as_deref(),
        )
        .await?
        {
            c = c.add(
                agenda::Column::Id.in_subquery(ids_where::<agenda_signatory::Entity>(
                    agenda_signatory::Column::AgendaId,
                    Condition::all().add(agenda_signatory::Column::PartyId.eq(p)),
                )),
            );
        }
        if let Some(kind) = f.kind {
            c = c.add(agenda::Column::Kind.eq(kind.as_db()));
        }
        if let Some(text) = &f.title_contains {
            c = c.add(contains(agenda::Column::Title, text)?);
        }
        if let Some(since) = f.changed_since {
            c = c.add(changed_since(agenda::Column::UpdatedAt, since));
        }
        page::<agenda::Entity, _, _>(ctx, c, page_args!(first, after, last, before), order_by).await
    }

    /// Themes, national and per agenda, a page at a time.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    async fn themes(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Return at most this many rows from the start (default 50, at most 500)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Start after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return at most this many rows from the end.")] last: Option<i32>,
        #[graphql(desc = "End before this cursor.")] before: Option<String>,
        #[graphql(desc = "Which themes to return.")] filter: Option<ThemeFilter>,
        #[graphql(desc = "The order (by id when left out).")] order_by: Option<Ordering>,
    ) -> Result<ThemeConnection> {
        let f = filter.unwrap_or_default();
        let db = db(ctx);
        let mut c = Condition::all();
        if let Some(a) =
            resolve_opt::<agenda::Entity>(db, "filter.agenda", Kind::Agenda, f.agenda.as_deref())
                .await?
        {
            c = c.add(theme::Column::AgendaId.eq(a));
        }
        match f.national {
            Some(true) => c = c.add(theme::Column::AgendaId.is_null()),
            Some(false) => c = c.add(theme::Column::AgendaId.is_not_null()),
            None => {}
        }
        if let Some(p) =
            resolve_opt::<theme::Entity>(db, "filter.parent", Kind::Theme, f.parent.as_deref())
                .await?
        {
            c = c.add(theme::Column::ParentId.eq(p));
        }
        if let Some(text) = &f.name_contains {
            c = c.add(contains(theme::Column::Name, text)?);
        }
        if let Some(since) = f.changed_since {
            c = c.add(changed_since(theme::Column::UpdatedAt, since));
        }
        page::<theme::Entity, _, _>(ctx, c, page_args!(first, after, last, before), order_by).await
    }

    /// Goals (opgaven, doelen, ambities), a page at a time.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    async fn goals(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Return at most this many rows from the start (default 50, at most 500)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Start after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return at most this many rows from the end.")] last: Option<i32>,
        #[graphql(desc = "End before this cursor.")] before: Option<String>,
        #[graphql(desc = "Which goals to return.")] filter: Option<GoalFilter>,
        #[graphql(desc = "The order (by id when left out).")] order_by: Option<Ordering>,
    ) -> Result<GoalConnection> {
        let c = goal_condition(db(ctx), filter.unwrap_or_default()).await?;
        page::<goal::Entity, _, _>(ctx, c, page_args!(first, after, last, before), order_by).await
    }

    /// Indicators (figures and KPIs), a page at a time.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    async fn indicators(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Return at most this many rows from the start (default 50, at most 500)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Start after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return at most this many rows from the end.")] last: Option<i32>,
        #[graphql(desc = "End before this cursor.")] before: Option<String>,
        #[graphql(desc = "Which indicators to return.")] filter: Option<IndicatorFilter>,
        #[graphql(desc = "The order (by id when left out).")] order_by: Option<Ordering>,
    ) -> Result<IndicatorConnection> {
        let f = filter.unwrap_or_default();
        let db = db(ctx);
        let mut c = agenda_scope(
            db,
            indicator::Column::AgendaId,
            f.agenda.as_deref(),
            f.region.as_deref(),
        )
        .await?;
        if let Some(g) =
            resolve_opt::<goal::Entity>(db, "filter.goal", Kind::Goal, f.goal.as_deref()).await?
        {
            c = c.add(indicator::Column::GoalId.eq(g));
        }
        if let Some(t) =
            resolve_opt::<theme::Entity>(db, "filter.theme", Kind::Theme, f.theme.as_deref())
                .await?
        {
            c = c.add(indicator::Column::ThemeId.is_in(theme_and_below(db, t).await?));
        }
        if let Some(kind) = f.kind {
            c = c.add(indicator::Column::Kind.eq(kind.as_db()));
        }
        if let Some(year) = f.year {
            c = c.add(indicator::Column::Year.eq(year));
        }
        if let Some(text) = &f.name_contains {
            c = c.add(contains(indicator::Column::Name, text)?);
        }
        if let Some(since) = f.changed_since {
            c = c.add(changed_since(indicator::Column::UpdatedAt, since));
        }
        page::<indicator::Entity, _, _>(ctx, c, page_args!(first, after, last, before), order_by)
            .await
    }

    /// Knelpunten (bottlenecks), a page at a time.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    async fn bottlenecks(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Return at most this many rows from the start (default 50, at most 500)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Start after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return at most this many rows from the end.")] last: Option<i32>,
        #[graphql(desc = "End before this cursor.")] before: Option<String>,
        #[graphql(desc = "Which knelpunten to return.")] filter: Option<BottleneckFilter>,
        #[graphql(desc = "The order (by id when left out).")] order_by: Option<Ordering>,
    ) -> Result<BottleneckConnection> {
        let f = filter.unwrap_or_default();
        let db = db(ctx);
        let mut c = agenda_scope(
            db,
            bottleneck::Column::AgendaId,
            f.agenda.as_deref(),
            f.region.as_deref(),
        )
        .await?;
        if let Some(g) =
            resolve_opt::<goal::Entity>(db, "filter.goal", Kind::Goal, f.goal.as_deref()).await?
        {
            c = c.add(bottleneck::Column::GoalId.eq(g));
        }
        if let Some(i) = resolve_opt::<initiative::Entity>(
            db,
            "filter.initiative",
            Kind::Initiative,
            f.initiative.as_deref(),
        )
        .await?
        {
            c = c.add(bottleneck::Column::InitiativeId.eq(i));
        }
        if let Some(text) = &f.title_contains {
            c = c.add(contains(bottleneck::Column::Title, text)?);
        }
        if let Some(since) = f.changed_since {
            c = c.add(changed_since(bottleneck::Column::UpdatedAt, since));
        }
        c = c.add(
            Condition::any()
                .add(bottleneck::Column::InitiativeId.is_null())
                .add(
                    bottleneck::Column::InitiativeId
                        .in_subquery(policy::visible_initiative_ids(ctx).await?),
                ),
        );
        page::<bottleneck::Entity, _, _>(ctx, c, page_args!(first, after, last, before), order_by)
            .await
    }

    /// Initiatives, a page at a time: the list analysts and portals use most.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    async fn initiatives(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Return at most this many rows from the start (default 50, at most 500)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Start after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return at most this many rows from the end.")] last: Option<i32>,
        #[graphql(desc = "End before this cursor.")] before: Option<String>,
        #[graphql(desc = "Which initiatives to return.")] filter: Option<InitiativeFilter>,
        #[graphql(desc = "The order (by id when left out).")] order_by: Option<Ordering>,
    ) -> Result<InitiativeConnection> {
        let c = visible_initiative_condition(ctx, filter.unwrap_or_default()).await?;
        page::<initiative::Entity, _, _>(ctx, c, page_args!(first, after, last, before), order_by)
            .await
    }

    /// Milestones (steps and yearly actions), a page at a time.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    async fn milestones(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Return at most this many rows from the start (default 50, at most 500)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Start after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return at most this many rows from the end.")] last: Option<i32>,
        #[graphql(desc = "End before this cursor.")] before: Option<String>,
        #[graphql(desc = "Which milestones to return.")] filter: Option<MilestoneFilter>,
        #[graphql(desc = "The order (by id when left out; milestones have no code).")]
        order_by: Option<Ordering>,
    ) -> Result<MilestoneConnection> {
        let f = filter.unwrap_or_default();
        let db = db(ctx);
        let mut c = Condition::all();
        if let Some(i) = resolve_opt::<initiative::Entity>(
            db,
            "filter.initiative",
            Kind::Initiative,
            f.initiative.as_deref(),
        )
        .await?
        {
            c = c.add(milestone::Column::InitiativeId.eq(i));
        }
        if let Some(g) =
            resolve_opt::<goal::Entity>(db, "filter.goal", Kind::Goal, f.goal.as_deref()).await?
        {
            c = c.add(milestone::Column::GoalId.eq(g));
        }
        if let Some(year) = f.year {
            c = c.add(milestone::Column::Year.eq(year));
        }
        if let Some(since) = f.changed_since {
            c = c.add(changed_since(milestone::Column::UpdatedAt, since));
        }
        c = c.add(
            Condition::any()
                .add(milestone::Column::InitiativeId.is_null())
                .add(
                    milestone::Column::InitiativeId
                        .in_subquery(policy::visible_initiative_ids(ctx).await?),
                ),
        );
        page::<milestone::Entity, _, _>(ctx, c, page_args!(first, after, last, before), order_by)
            .await
    }

    /// Governance bodies (overleggen), a page at a time.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    async fn governance_bodies(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Return at most this many rows from the start (default 50, at most 500)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Start after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return at most this many rows from the end.")] last: Option<i32>,
        #[graphql(desc = "End before this cursor.")] before: Option<String>,
        #[graphql(desc = "Which bodies to return.")] filter: Option<GovernanceBodyFilter>,
        #[graphql(desc = "The order (by id when left out).")] order_by: Option<Ordering>,
    ) -> Result<GovernanceBodyConnection> {
        let f = filter.unwrap_or_default();
        let db = db(ctx);
        let mut c = Condition::all();
        if let Some(a) =
            resolve_opt::<agenda::Entity>(db, "filter.agenda", Kind::Agenda, f.agenda.as_deref())
                .await?
        {
            c = c.add(governance_body::Column::AgendaId.eq(a));
        }
        if let Some(p) =
            resolve_opt::<party::Entity>(db, "filter.party", Kind::Party, f.party.as_deref())
                .await?
        {
            c = c.add(governance_body::Column::Id.in_subquery(ids_where::<
                governance_member::Entity,
            >(
                governance_member::Column::BodyId,
                Condition::all().add(governance_member::Column::PartyId.eq(p)),
            )));
        }
        if let Some(kind) = f.kind {
            c = c.add(governance_body::Column::Kind.eq(kind.as_db()));
        }
        if let Some(since) = f.changed_since {
            c = c.add(changed_since(governance_body::Column::UpdatedAt, since));
        }
        page::<governance_body::Entity, _, _>(
            ctx,
            c,
            page_args!(first, after, last, before),
            order_by,
        )
        .await
    }
}

/// The SQL condition of an initiative filter, restricted to the initiatives the caller may
/// see: what the list returns and counts, and what the aggregates group.
pub(super) async fn visible_initiative_condition(
    ctx: &Context<'_>,
    f: InitiativeFilter,
) -> AppResult<Condition> {
    Ok(initiative_condition(db(ctx), f)
        .await?
        .add(policy::visible_initiatives(ctx).await?))
}

/// The SQL condition of an initiative filter.
async fn initiative_condition(
    db: &DatabaseConnection,
    f: InitiativeFilter,
) -> AppResult<Condition> {
    let mut c = agenda_scope(
        db,
        initiative::Column::AgendaId,
        f.agenda.as_deref(),
        f.region.as_deref(),
    )
    .await?;
    if let Some(t) =
        resolve_opt::<theme::Entity>(db, "filter.theme", Kind::Theme, f.theme.as_deref()).await?
    {
        let themes = theme_and_below(db, t).await?;
        let linked = ids_where::<initiative_theme::Entity>(
            initiative_theme::Column::InitiativeId,
            Condition::all().add(initiative_theme::Column::ThemeId.is_in(themes.clone())),
        );
        c = c.add(
            Condition::any()
                .add(initiative::Column::Id.in_subquery(linked))
                .add(initiative::Column::LeadThemeId.is_in(themes)),
        );
    }
    if let Some(g) =
        resolve_opt::<goal::Entity>(db, "filter.goal", Kind::Goal, f.goal.as_deref()).await?
    {
        c = c.add(
            initiative::Column::Id.in_subquery(ids_where::<initiative_goal::Entity>(
                initiative_goal::Column::InitiativeId,
                Condition::all().add(initiative_goal::Column::GoalId.eq(g)),
            )),
        );
    }
    let party =
        resolve_opt::<party::Entity>(db, "filter.party", Kind::Party, f.party.as_deref()).await?;
    if party.is_some() || f.role.is_some() {
        let mut link = Condition::all();
        if let Some(p) = party {
            link = link.add(initiative_party::Column::PartyId.eq(p));
        }
        if let Some(role) = f.role {
            link = link.add(initiative_party::Column::Role.eq(role.as_db()));
        }
        c = c.add(
            initiative::Column::Id.in_subquery(ids_where::<initiative_party::Entity>(
                initiative_party::Column::InitiativeId,
                link,
            )),
        );
    }
    if let Some(statuses) = f.status {
        c = c.add(initiative::Column::Status.is_in(statuses.iter().map(|s| s.as_db())));
    }
    if let Some(flag) = f.labour_saving {
        c = c.add(initiative::Column::LabourSaving.eq(flag));
    }
    if let Some(p) = resolve_opt::<initiative::Entity>(
        db,
        "filter.parent",
        Kind::Initiative,
        f.parent.as_deref(),
    )
    .await?
    {
        c = c.add(initiative::Column::ParentId.eq(p));
    }
    match f.top_level {
        Some(true) => c = c.add(initiative::Column::ParentId.is_null()),
        Some(false) => c = c.add(initiative::Column::ParentId.is_not_null()),
        None => {}
    }
    if let Some(text) = &f.title_contains {
        c = c.add(contains(initiative::Column::Title, text)?);
    }
    if let Some(since) = f.changed_since {
        c = c.add(changed_since(initiative::Column::UpdatedAt, since));
    }
    Ok(c)
}

/// The SQL condition of a party filter; `initiative` sees only initiatives the caller may see.
pub(super) async fn party_condition(ctx: &Context<'_>, f: PartyFilter) -> AppResult<Condition> {
    let db = db(ctx);
    let mut c = Condition::all();
    if let Some(kinds) = f.kind {
        c = c.add(party::Column::Kind.is_in(kinds.iter().map(|k| k.as_db())));
    }
    let region =
        resolve_opt::<region::Entity>(db, "filter.region", Kind::Region, f.region.as_deref())
            .await?;
    if region.is_some() || f.region_role.is_some() {
        let mut link = Condition::all();
        if let Some(r) = region {
            link = link.add(region_party::Column::RegionId.eq(r));
        }
        if let Some(role) = f.region_role {
            link = link.add(region_party::Column::Role.eq(role.as_db()));
        }
        c = c.add(
            party::Column::Id.in_subquery(ids_where::<region_party::Entity>(
                region_party::Column::PartyId,
                link,
            )),
        );
    }
    if let Some(i) = resolve_opt::<initiative::Entity>(
        db,
        "filter.initiative",
        Kind::Initiative,
        f.initiative.as_deref(),
    )
    .await?
    {
        c = c.add(
            party::Column::Id.in_subquery(ids_where::<initiative_party::Entity>(
                initiative_party::Column::PartyId,
                Condition::all()
                    .add(initiative_party::Column::InitiativeId.eq(i))
                    .add(
                        initiative_party::Column::InitiativeId
                            .in_subquery(policy::visible_initiative_ids(ctx).await?),
                    ),
            )),
        );
    }
    if let Some(flag) = f.is_category {
        c = c.add(party::Column::IsCategory.eq(flag));
    }
    if let Some(text) = &f.name_contains {
        let by_alias = ids_where::<party_alias::Entity>(
            party_alias::Column::PartyId,
            contains(party_alias::Column::Alias, text)?,
        );
        c = c.add(
            Condition::any()
                .add(contains(party::Column::Name, text)?)
                .add(party::Column::Id.in_subquery(by_alias)),
        );
    }
    if let Some(since) = f.changed_since {
        c = c.add(changed_since(party::Column::UpdatedAt, since));
    }
    Ok(c)
}

/// The SQL condition of a goal filter.
pub(super) async fn goal_condition(db: &DatabaseConnection, f: GoalFilter) -> AppResult<Condition> {
    let mut c = agenda_scope(
        db,
        goal::Column::AgendaId,
        f.agenda.as_deref(),
        f.region.as_deref(),
    )
    .await?;
    if let Some(t) =
        resolve_opt::<theme::Entity>(db, "filter.theme", Kind::Theme, f.theme.as_deref()).await?
    {
        let themes = theme_and_below(db, t).await?;
        c = c.add(
            goal::Column::Id.in_subquery(ids_where::<goal_theme::Entity>(
                goal_theme::Column::GoalId,
                Condition::all().add(goal_theme::Column::ThemeId.is_in(themes)),
            )),
        );
    }
    if let Some(p) =
        resolve_opt::<goal::Entity>(db, "filter.parent", Kind::Goal, f.parent.as_deref()).await?
    {
        c = c.add(
            goal::Column::Id.in_subquery(ids_where::<goal_parent::Entity>(
                goal_parent::Column::GoalId,
                Condition::all().add(goal_parent::Column::ParentId.eq(p)),
            )),
        );
    }
    if let Some(kind) = f.kind {
        c = c.add(goal::Column::Kind.eq(kind.as_db()));
    }
    if let Some(text) = &f.title_contains {
        c = c.add(contains(goal::Column::Title, text)?);
    }
    if let Some(since) = f.changed_since {
        c = c.add(changed_since(goal::Column::UpdatedAt, since));
    }
    Ok(c)
}
