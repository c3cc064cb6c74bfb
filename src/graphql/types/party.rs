//! Party (partij): one organisation, or a category of organisations.

use super::LIST_COST;
use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, Utc};
use entity::party;

use super::provenance::provenance_of;
use super::{
    AgendaSignature, BodyMembership, Participation, Provenance, RegionMembership, loaders,
};
use crate::domain::{ParticipationRole, PartyKind, RegionRole};
use crate::graphql::loaders::{rows, rows_by_ids};
use crate::ids::{Kind, global_id};

/// A party (Dutch: partij, organisatie): a gemeente, zorgverzekeraar (insurer), zorgkantoor
/// (care office), GGD, zorgaanbieder (provider), netwerk or samenwerkingsverband, or national
/// body. One organisation is one party whatever capacities it acts in; its capacity
/// per region is on its region links. A party can also stand for a category of organisations
/// ("huisartsen"): then `isCategory` is true.
#[derive(Clone, Debug)]
pub struct Party(pub party::Model);

impl From<party::Model> for Party {
    fn from(model: party::Model) -> Self {
        Party(model)
    }
}

/// A party (Dutch: partij, organisatie): a gemeente, zorgverzekeraar (insurer), zorgkantoor
/// (care office), GGD, zorgaanbieder (provider), netwerk or samenwerkingsverband, or national
/// body. One organisation is one party whatever capacities it acts in; its capacity
/// per region is on its region links. A party can also stand for a category of organisations
/// ("huisartsen"): then `isCategory` is true.
#[Object]
impl Party {
    /// The global id (`Party:7`), for `node(id:)`.
    pub async fn id(&self) -> ID {
        global_id(Kind::Party, self.0.id)
    }

    /// The stable code (`zilveren-kruis`, `gemeente-haarlem`): use it in your own systems.
    async fn code(&self) -> &str {
        &self.0.code
    }

    /// The organisation's name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// The kind of organisation (organisatiesoort).
    async fn kind(&self) -> Result<PartyKind> {
        Ok(PartyKind::read(&self.0.kind)?)
    }

    /// True when this party stands for a category ("huisartsen", "de wijkteams") rather than
    /// one organisation.
    async fn is_category(&self) -> bool {
        self.0.is_category
    }

    /// False once the organisation is deactivated; its tokens stop working at once.
    async fn active(&self) -> bool {
        self.0.active
    }

    /// A short description, written for this dataset.
    async fn summary(&self) -> Option<&str> {
        self.0.summary.as_deref()
    }

    /// Every other spelling the documents use for this party (HZK, HCZK, ...).
    async fn aliases(&self, ctx: &Context<'_>) -> Result<Vec<String>> {
        let rows = rows(loaders(ctx).aliases_of_party(), self.0.id).await?;
        Ok(rows.into_iter().map(|a| a.alias).collect())
    }

    /// For a collective or network: its member parties.
    #[graphql(complexity = "LIST_COST * child_complexity")]
    async fn members(&self, ctx: &Context<'_>) -> Result<Vec<Party>> {
        let l = loaders(ctx);
        let links = rows(l.members_of_collective(), self.0.id).await?;
        let parties = rows_by_ids(l.party(), links.iter().map(|m| m.member_id)).await?;
        Ok(parties.into_iter().map(Party).collect())
    }

    /// The collectives and networks this party is a member of.
    #[graphql(complexity = "LIST_COST * child_complexity")]
    async fn member_of(&self, ctx: &Context<'_>) -> Result<Vec<Party>> {
        let l = loaders(ctx);
        let links = rows(l.collectives_of_member(), self.0.id).await?;
        let parties = rows_by_ids(l.party(), links.iter().map(|m| m.collective_id)).await?;
        Ok(parties.into_iter().map(Party).collect())
    }

    /// The regions this party belongs to, with its role in each. Give `role` to keep one role.
    #[graphql(complexity = "LIST_COST * child_complexity")]
    async fn regions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Keep only links with this role.")] role: Option<RegionRole>,
    ) -> Result<Vec<RegionMembership>> {
        let links = rows(loaders(ctx).regions_of_party(), self.0.id).await?;
        Ok(RegionMembership::filtered(links, role))
    }

    /// The initiatives this party takes part in directly, with its role in each. Give `role`
    /// to keep one role (`LEAD` for the initiatives it leads).
    #[graphql(complexity = "LIST_COST * child_complexity")]
    async fn initiatives(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Keep only participations with this role.")] role: Option<
            ParticipationRole,
        >,
        #[graphql(desc = "At most this many participations, in id order (all when left out).")]
        first: Option<u32>,
    ) -> Result<Vec<Participation>> {
        let links = rows(loaders(ctx).initiatives_of_party(), self.0.id).await?;
        let links = Participation::filtered(links, role, None);
        let links = super::keep_first_visible(ctx, links, first.map(|n| n as usize), |l| {
            Some(l.0.initiative_id)
        })
        .await?;
        Ok(links)
    }

    /// The agendas this party signed.
    #[graphql(complexity = "LIST_COST * child_complexity")]
    async fn signed_agendas(&self, ctx: &Context<'_>) -> Result<Vec<AgendaSignature>> {
        let links = rows(loaders(ctx).signed_by_party(), self.0.id).await?;
        Ok(links.into_iter().map(AgendaSignature).collect())
    }

    /// The governance bodies this party sits in.
    #[graphql(complexity = "LIST_COST * child_complexity")]
    async fn governance_bodies(&self, ctx: &Context<'_>) -> Result<Vec<BodyMembership>> {
        let links = rows(loaders(ctx).bodies_of_party(), self.0.id).await?;
        Ok(links.into_iter().map(BodyMembership).collect())
    }

    /// Incremented on every change; send it back as `expectedVersion` when updating.
    async fn version(&self) -> i32 {
        self.0.version
    }

    /// When the record was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When the record last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }

    /// Where this record comes from.
    async fn source(&self) -> Provenance {
        provenance_of!(self.0)
    }
}
