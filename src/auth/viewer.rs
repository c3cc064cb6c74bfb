//! The caller of a request: its organisation, its role, and, fixed for the request once a
//! rule needs them, its relations: the collectives it acts through, its regions and the
//! initiatives it takes part in. Both are kept between requests by `cache.rs` until a change
//! to them (the organisation only where the database reports every change).

use entity::{agenda, initiative_party, party, party_membership, region, region_party};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use tokio::sync::OnceCell;

use super::cache::CallerCache;
use super::token::Claims;
use crate::error::{AppError, AppResult};

/// What the caller may do in general; what it may do with a record also depends on its
/// relation to the record (see the policy).
#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Reads.
    Viewer,
    /// Reads, and edits what its organisation takes part in.
    Editor,
    /// An RSO's coordinator: manages its region's agendas.
    Coordinator,
    /// Manages everything.
    Admin,
}

impl Role {
    /// The spelling in tokens.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Editor => "editor",
            Role::Coordinator => "coordinator",
            Role::Admin => "admin",
        }
    }

    /// Reads a role as tokens spell it.
    pub fn parse(text: &str) -> Option<Role> {
        [Role::Viewer, Role::Editor, Role::Coordinator, Role::Admin]
            .into_iter()
            .find(|r| r.as_str() == text)
    }
}

/// The caller's relations to regions and initiatives.
#[derive(Debug, Default)]
pub struct Relations {
    /// The organisation and the collectives it is a member of: it takes part through each.
    pub acting: Vec<i32>,
    /// The regions any of those parties belongs to, and the regions those lie in.
    pub regions: HashSet<i32>,
    /// The regions where the organisation itself is the RSO.
    pub rso_regions: HashSet<i32>,
    /// The initiatives any of those parties takes part in, with the roles.
    pub participations: HashMap<i32, Vec<String>>,
    /// The region of every agenda (a small table), to place an initiative in its region.
    pub agenda_region: HashMap<i32, i32>,
}

/// The organisation's row with the size of its allow-list.
#[derive(sea_orm::FromQueryResult)]
struct OrgRow {
    #[sea_orm(nested)]
    party: party::Model,
    listed: i64,
}

/// Who is calling.
#[derive(Debug)]
pub struct Viewer {
    /// The organisation, or `None` for an anonymous caller.
    pub org: Option<party::Model>,
    /// The organisation runs only registered operations (it has an allow-list).
    pub restricted: bool,
    pub role: Role,
    pub subject: Option<String>,
    pub token_id: Option<String>,
    relations: OnceCell<Arc<Relations>>,
    cache: Option<Arc<CallerCache>>,
}

/// An organisation as a caller: its row, and whether it runs only registered operations.
#[derive(Clone, Debug)]
pub struct Organisation {
    pub party: party::Model,
    pub restricted: bool,
}

/// Reads the organisation with `code`, with whether it is held to an allow-list (one
/// statement).
pub(super) async fn load_organisation(
    db: &DatabaseConnection,
    code: &str,
) -> AppResult<Option<Organisation>> {
    let row = party::Entity::find()
        .filter(party::Column::Code.eq(code))
        .column_as(
            Expr::cust("(SELECT COUNT(*) FROM allow_list WHERE allow_list.party_id = party.id)"),
            "listed",
        )
        .into_model::<OrgRow>()
        .one(db)
        .await?;
    Ok(row.map(|r| Organisation {
        party: r.party,
        restricted: r.listed > 0,
    }))
}

impl Viewer {
    /// An anonymous caller.
    pub fn anonymous() -> Self {
        Viewer {
            org: None,
            restricted: false,
            role: Role::Viewer,
            subject: None,
            token_id: None,
            relations: OnceCell::new(),
            cache: None,
        }
    }

    /// The caller a verified token names, its organisation from `cache`; an unknown or
    /// deactivated organisation is `UNAUTHENTICATED`.
    pub async fn from_claims(
        db: &DatabaseConnection,
        cache: &Arc<CallerCache>,
        claims: Claims,
    ) -> AppResult<Viewer> {
        let organisation = match cache.organisation(db, &claims.org).await? {
            Some(organisation) if organisation.party.active => organisation,
            Some(_) => {
                return Err(AppError::Unauthenticated(format!(
                    "the organisation `{}` is deactivated",
                    claims.org
                )));
            }
            None => {
                return Err(AppError::Unauthenticated(format!(
                    "the organisation `{}` is not known here",
                    claims.org
                )));
            }
        };
        Ok(Viewer {
            org: Some(organisation.party.clone()),
            restricted: organisation.restricted,
            role: claims.role,
            subject: claims.subject,
            token_id: claims.token_id,
            relations: OnceCell::new(),
            cache: Some(cache.clone()),
        })
    }

    /// True for an administrator.
    pub fn is_admin(&self) -> bool {
        self.org.is_some() && self.role == Role::Admin
    }

    /// Takes the caller's relations from `cache` rather than loading them for each request.
    pub fn with_cache(mut self, cache: Arc<CallerCache>) -> Self {
        self.cache = Some(cache);
        self
    }

    /// The caller's relations, fixed for the request once first needed: from the cache, or
    /// read (five statements) when there is none or it is stale.
    pub async fn relations(&self, db: &DatabaseConnection) -> AppResult<&Relations> {
        let org = self.org.as_ref().map(|o| o.id);
        let relations = self
            .relations
            .get_or_try_init(|| async {
                match &self.cache {
                    Some(cache) => cache.relations(db, org).await,
                    None => load_relations(db, org).await.map(Arc::new),
                }
            })
            .await?;
        Ok(relations)
    }
}

/// Reads the relations of `org` (five statements).
pub(super) async fn load_relations(
    db: &DatabaseConnection,
    org: Option<i32>,
) -> AppResult<Relations> {
    let agenda_region: Vec<(i32, i32)> = agenda::Entity::find()
        .select_only()
        .column(agenda::Column::Id)
        .column(agenda::Column::RegionId)
        .into_tuple()
        .all(db)
        .await?;
    let mut relations = Relations {
        agenda_region: agenda_region.into_iter().collect(),
        ..Default::default()
    };
    let Some(org) = org else { return Ok(relations) };
    let collectives: Vec<i32> = party_membership::Entity::find()
        .select_only()
        .column(party_membership::Column::CollectiveId)
        .filter(party_membership::Column::MemberId.eq(org))
        .into_tuple()
        .all(db)
        .await?;
    relations.acting = std::iter::once(org).chain(collectives).collect();
    let links: Vec<(i32, i32, String)> = region_party::Entity::find()
        .select_only()
        .column(region_party::Column::RegionId)
        .column(region_party::Column::PartyId)
        .column(region_party::Column::Role)
        .filter(Condition::all().add(region_party::Column::PartyId.is_in(relations.acting.clone())))
        .into_tuple()
        .all(db)
        .await?;
    // A party of a region is also a party of the regions it lies in (a gemeente of
    // Zuid-Kennemerland is one of Kennemerland): follow the parents upwards.
    let parents: HashMap<i32, i32> = region::Entity::find()
        .select_only()
        .column(region::Column::Id)
        .column(region::Column::ParentId)
        .into_tuple::<(i32, Option<i32>)>()
        .all(db)
        .await?
        .into_iter()
        .filter_map(|(id, parent)| parent.map(|p| (id, p)))
        .collect();
    for (region, party, role) in links {
        let mut at = Some(region);
        let mut steps = 0;
        while let Some(r) = at.filter(|_| steps <= parents.len()) {
            relations.regions.insert(r);
            if party == org && role == "rso" {
                relations.rso_regions.insert(r);
            }
            at = parents.get(&r).copied();
            steps += 1;
        }
    }
    let participations: Vec<(i32, String)> = initiative_party::Entity::find()
        .select_only()
        .column(initiative_party::Column::InitiativeId)
        .column(initiative_party::Column::Role)
        .filter(initiative_party::Column::PartyId.is_in(relations.acting.clone()))
        .into_tuple()
        .all(db)
        .await?;
    for (initiative, role) in participations {
        relations
            .participations
            .entry(initiative)
            .or_default()
            .push(role);
    }
    Ok(relations)
}
