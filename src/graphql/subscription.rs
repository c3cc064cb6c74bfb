//! The subscription root: changes of initiatives pushed over WebSocket
//! (graphql-transport-ws at `/graphql/ws`).
//!
//! A subscription reads the same change feed as `changes` (so it sees what the caller may
//! see, in the same order, without gaps) whenever a write anywhere wakes it, and at least
//! every few seconds.

use async_graphql::{Context, ID, Result, Subscription};
use entity::{agenda, initiative_party};
use futures_util::Stream;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};
use std::collections::{HashSet, VecDeque};
use std::time::Duration;

use crate::error::AppError;
use crate::graphql::filter::resolve_opt;
use crate::graphql::query::changes::{ChangeEvent, check_cursor, feed_end, position, read_feed};
use crate::ids::{Kind, parse_global_id};
use crate::notify::Notifier;

/// How long a subscription waits for a wake-up before it looks at the feed anyway.
const IDLE_LOOK: Duration = Duration::from_secs(2);

#[derive(Default)]
pub struct SubscriptionRoot;

struct Watch {
    cursor: String,
    pending: VecDeque<ChangeEvent>,
    wake: tokio::sync::broadcast::Receiver<()>,
    agendas: Option<HashSet<i32>>,
    party: Option<PartyWatch>,
}

/// A subscription narrowed to a party follows the initiatives the party takes part in. Once
/// an initiative is deleted or hidden its participations no longer tell, so the subscription
/// keeps the ids it follows: those the party took part in when it started, and those it
/// joined since. A change that ends the party's part passes once, and then the initiative is
/// no longer followed.
struct PartyWatch {
    party: i32,
    following: HashSet<i32>,
    /// Where the feed ended when the subscription started. Deletions before it (a
    /// subscription started from an older cursor) are of initiatives `following` may no
    /// longer know of, so all of them pass.
    start: (i64, i64),
}

impl PartyWatch {
    /// Whether `event` is about an initiative the party takes part in (`taking_part`: those
    /// of the page's upserts it takes part in now), following it from then on.
    fn keeps(&mut self, event: &ChangeEvent, taking_part: &HashSet<i32>) -> bool {
        if let Some(initiative) = &event.initiative {
            let id = initiative.0.id;
            return if taking_part.contains(&id) {
                self.following.insert(id);
                true
            } else {
                self.following.remove(&id)
            };
        }
        let id = parse_global_id("recordId", &event.record_id).map(|(_, id)| id);
        let followed = id.is_ok_and(|id| self.following.remove(&id));
        followed || position(&event.cursor).is_ok_and(|at| at <= self.start)
    }
}

/// Changes pushed as they are committed, over WebSocket at `/graphql/ws`
/// (graphql-transport-ws); send the token in the `connection_init` payload.
#[Subscription(name = "Subscription")]
impl SubscriptionRoot {
    /// Changes of initiatives the caller can see, as they are committed: UPSERT with the
    /// initiative as it is now, DELETE, or HIDDEN when it left the caller's sight. Narrow
    /// them to a region, an agenda or a party (its initiatives, the change that ends its
    /// part in one included); give `after` (a feed cursor) to start from there instead of
    /// from now.
    async fn initiative_changes<'a>(
        &self,
        ctx: &'a Context<'a>,
        #[graphql(desc = "Only initiatives of the agendas of this region (id or code).")]
        region: Option<ID>,
        #[graphql(desc = "Only initiatives of this agenda (id or code).")] agenda: Option<ID>,
        #[graphql(desc = "Only initiatives this party takes part in (id or code).")] party: Option<
            ID,
        >,
        #[graphql(desc = "Start after this cursor of the change feed (from now when left out).")]
        after: Option<String>,
    ) -> Result<impl Stream<Item = Result<ChangeEvent>> + 'a> {
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let notifier = ctx.data_unchecked::<Notifier>();
        let region = resolve_opt::<entity::region::Entity>(
            db,
            "region",
            Kind::Region,
            region.as_ref().map(|r| r.as_str()),
        )
        .await?;
        let agenda = resolve_opt::<agenda::Entity>(
            db,
            "agenda",
            Kind::Agenda,
            agenda.as_ref().map(|a| a.as_str()),
        )
        .await?;
        let party = resolve_opt::<entity::party::Entity>(
            db,
            "party",
            Kind::Party,
            party.as_ref().map(|p| p.as_str()),
        )
        .await?;
        let agendas = match (region, agenda) {
            (None, None) => None,
            (_, Some(a)) => Some(HashSet::from([a])),
            (Some(r), None) => Some(
                agenda::Entity::find()
                    .select_only()
                    .column(agenda::Column::Id)
                    .filter(agenda::Column::RegionId.eq(r))
                    .into_tuple::<i32>()
                    .all(db)
                    .await
                    .map_err(AppError::from)?
                    .into_iter()
                    .collect(),
            ),
        };
        let wake = notifier.subscribe();
        let end = feed_end(db).await?;
        // From now: the end of the feed.
        let cursor = match after {
            Some(after) => {
                check_cursor(&after)?;
                after
            }
            None => end.clone(),
        };
        // Read after the end of the feed, so that a participation begun in between comes
        // in both.
        let party = match party {
            None => None,
            Some(party) => Some(PartyWatch {
                party,
                following: taking_part(db, party, None).await?,
                start: position(&end)?,
            }),
        };
        let watch = Watch {
            cursor,
            pending: VecDeque::new(),
            wake,
            agendas,
            party,
        };
        Ok(futures_util::stream::unfold(
            watch,
            move |mut watch| async move {
                loop {
                    if let Some(event) = watch.pending.pop_front() {
                        return Some((Ok(event), watch));
                    }
                    let _ = tokio::time::timeout(IDLE_LOOK, watch.wake.recv()).await;
                    let page = match read_feed(
                        ctx,
                        Some(watch.cursor.clone()),
                        1_000,
                        Some(vec!["initiative".into()]),
                    )
                    .await
                    {
                        Ok(page) => page,
                        Err(err) => return Some((Err(err.into()), watch)),
                    };
                    let mut events: Vec<ChangeEvent> = page.events;
                    if let Some(agendas) = &watch.agendas {
                        events.retain(|e| e.agenda_id.is_some_and(|a| agendas.contains(&a)));
                    }
                    if let Some(party) = &mut watch.party {
                        let ids: Vec<i32> = events
                            .iter()
                            .filter_map(|e| e.initiative.as_ref().map(|i| i.0.id))
                            .collect();
                        // On an error the cursor stays: the same page is read again.
                        let now = match taking_part(db, party.party, Some(ids)).await {
                            Ok(now) => now,
                            Err(err) => return Some((Err(err.into()), watch)),
                        };
                        events.retain(|e| party.keeps(e, &now));
                    }
                    watch.cursor = page.end_cursor;
                    watch.pending.extend(events);
                }
            },
        ))
    }
}

/// The initiatives `party` takes part in now, of `among` when given.
async fn taking_part(
    db: &DatabaseConnection,
    party: i32,
    among: Option<Vec<i32>>,
) -> Result<HashSet<i32>, AppError> {
    let mut find = initiative_party::Entity::find()
        .select_only()
        .column(initiative_party::Column::InitiativeId)
        .filter(initiative_party::Column::PartyId.eq(party));
    if let Some(among) = among {
        find = find.filter(initiative_party::Column::InitiativeId.is_in(among));
    }
    Ok(find
        .into_tuple::<i32>()
        .all(db)
        .await?
        .into_iter()
        .collect())
}
