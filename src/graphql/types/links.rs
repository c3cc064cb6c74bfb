//! The links that carry attributes of their own: a party's role in a region, in an initiative,
//! as signatory of an agenda and as member of a governance body. Each link can be walked from
//! both ends.

use async_graphql::{Context, Object, Result};
use entity::{agenda_signatory, governance_member, initiative_party, region_party};

use super::provenance::provenance_of;
use super::{Agenda, GovernanceBody, Initiative, Party, Provenance, Region, loaders};
use crate::domain::{ParticipationRole, RegionRole};
use crate::graphql::loaders::required_row;

/// A party's place in a region, in a role (its capacity there: Zilveren Kruis is insurer and,
/// per region, care office).
#[derive(Clone, Debug)]
pub struct RegionMembership(pub region_party::Model);

impl RegionMembership {
    /// The links with `role`, or all of them.
    pub fn filtered(links: Vec<region_party::Model>, role: Option<RegionRole>) -> Vec<Self> {
        links
            .into_iter()
            .filter(|l| role.is_none_or(|r| r.as_db() == l.role))
            .map(RegionMembership)
            .collect()
    }
}

/// A party's place in a region, in a role (its capacity there: Zilveren Kruis is insurer and,
/// per region, care office).
#[Object]
impl RegionMembership {
    /// The party's role in the region.
    async fn role(&self) -> Result<RegionRole> {
        Ok(RegionRole::read(&self.0.role)?)
    }

    /// The region.
    async fn region(&self, ctx: &Context<'_>) -> Result<Region> {
        Ok(Region(
            required_row(loaders(ctx).region(), self.0.region_id).await?,
        ))
    }

    /// The party.
    async fn party(&self, ctx: &Context<'_>) -> Result<Party> {
        Ok(Party(
            required_row(loaders(ctx).party(), self.0.party_id).await?,
        ))
    }

    /// Where this link comes from.
    async fn source(&self) -> Provenance {
        provenance_of!(self.0)
    }
}

/// A party taking part in an initiative (deelname), in a role: trekker (lead), deelnemer,
/// financier, uitvoerder, adviseur, or unknown where the document names no role.
#[derive(Clone, Debug)]
pub struct Participation(pub initiative_party::Model);

impl Participation {
    /// The participations with `role` (or all), at most `first` of them.
    pub fn filtered(
        links: Vec<initiative_party::Model>,
        role: Option<ParticipationRole>,
        first: Option<u32>,
    ) -> Vec<Self> {
        links
            .into_iter()
            .filter(|l| role.is_none_or(|r| r.as_db() == l.role))
            .take(first.map_or(usize::MAX, |n| n as usize))
            .map(Participation)
            .collect()
    }
}

/// A party taking part in an initiative (deelname), in a role: trekker (lead), deelnemer,
/// financier, uitvoerder, adviseur, or unknown where the document names no role.
#[Object]
impl Participation {
    /// The party's role in the initiative.
    async fn role(&self) -> Result<ParticipationRole> {
        Ok(ParticipationRole::read(&self.0.role)?)
    }

    /// The capacity the party acts in here, when the document says (e.g. "als zorgkantoor").
    async fn capacity(&self) -> Option<&str> {
        self.0.capacity.as_deref()
    }

    /// The initiative.
    async fn initiative(&self, ctx: &Context<'_>) -> Result<Initiative> {
        Ok(Initiative(
            required_row(loaders(ctx).initiative(), self.0.initiative_id).await?,
        ))
    }

    /// The party.
    async fn party(&self, ctx: &Context<'_>) -> Result<Party> {
        Ok(Party(
            required_row(loaders(ctx).party(), self.0.party_id).await?,
        ))
    }

    /// Where this link comes from.
    async fn source(&self) -> Provenance {
        provenance_of!(self.0)
    }
}

/// A party that signed an agenda (ondertekenaar).
#[derive(Clone, Debug)]
pub struct AgendaSignature(pub agenda_signatory::Model);

/// A party that signed an agenda (ondertekenaar).
#[Object]
impl AgendaSignature {
    /// On whose behalf the party signed, when the document says ("namens gemeenten").
    async fn role(&self) -> Option<&str> {
        self.0.role.as_deref()
    }

    /// The agenda.
    async fn agenda(&self, ctx: &Context<'_>) -> Result<Agenda> {
        Ok(Agenda(
            required_row(loaders(ctx).agenda(), self.0.agenda_id).await?,
        ))
    }

    /// The signing party.
    async fn party(&self, ctx: &Context<'_>) -> Result<Party> {
        Ok(Party(
            required_row(loaders(ctx).party(), self.0.party_id).await?,
        ))
    }
}

/// A party sitting in a governance body (overleg).
#[derive(Clone, Debug)]
pub struct BodyMembership(pub governance_member::Model);

/// A party sitting in a governance body (overleg).
#[Object]
impl BodyMembership {
    /// The party's role in the body (voorzitter, bestuurlijk trekker), when stated.
    async fn role(&self) -> Option<&str> {
        self.0.role.as_deref()
    }

    /// The governance body.
    async fn body(&self, ctx: &Context<'_>) -> Result<GovernanceBody> {
        Ok(GovernanceBody(
            required_row(loaders(ctx).governance_body(), self.0.body_id).await?,
        ))
    }

    /// The member party.
    async fn party(&self, ctx: &Context<'_>) -> Result<Party> {
        Ok(Party(
            required_row(loaders(ctx).party(), self.0.party_id).await?,
        ))
    }
}
