//! Region (regio): an area of one kind; regions overlap and nest.

use super::LIST_COST;
use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, Utc};
use entity::region;

use super::provenance::provenance_of;
use super::{Agenda, Provenance, RegionMembership, loaders, wrap_all};
use crate::domain::{RegionKind, RegionRole};
use crate::graphql::loaders::{row, rows};
use crate::ids::{Kind, global_id};

/// A region (Dutch: regio) of one kind: a zorgkantoorregio, Wmo-regio, IZA-regio, GGD-regio,
/// jeugdregio, subregio, or the region of a ROAZ (Regionaal Overleg Acute Zorg). Regions of
/// different kinds overlap: a gemeente sits in several.
#[derive(Clone, Debug)]
pub struct Region(pub region::Model);

impl From<region::Model> for Region {
    fn from(model: region::Model) -> Self {
        Region(model)
    }
}

/// A region (Dutch: regio) of one kind: a zorgkantoorregio, Wmo-regio, IZA-regio, GGD-regio,
/// jeugdregio, subregio, or the region of a ROAZ (Regionaal Overleg Acute Zorg). Regions of
/// different kinds overlap: a gemeente sits in several.
#[Object]
impl Region {
    /// The global id (`Region:3`), for `node(id:)`.
    pub async fn id(&self) -> ID {
        global_id(Kind::Region, self.0.id)
    }

    /// The stable code (`kennemerland`): use it in your own systems and in filters.
    async fn code(&self) -> &str {
        &self.0.code
    }

    /// The name as the documents write it.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// The kind of region (regiosoort).
    async fn kind(&self) -> Result<RegionKind> {
        Ok(RegionKind::read(&self.0.kind)?)
    }

    /// A short description, written for this dataset.
    async fn summary(&self) -> Option<&str> {
        self.0.summary.as_deref()
    }

    /// The larger region this one is part of (IJssel-Vecht is part of zorgkantoorregio Zwolle).
    async fn parent(&self, ctx: &Context<'_>) -> Result<Option<Region>> {
        match self.0.parent_id {
            Some(id) => Ok(row(loaders(ctx).region(), id).await?.map(Region)),
            None => Ok(None),
        }
    }

    /// The regions that are part of this one.
    #[graphql(complexity = "LIST_COST * child_complexity")]
    async fn subregions(&self, ctx: &Context<'_>) -> Result<Vec<Region>> {
        Ok(wrap_all(
            rows(loaders(ctx).subregions_of_region(), self.0.id).await?,
        ))
    }

    /// The parties of this region with their role in it (member gemeente, insurer, care
    /// office, GGD, RSO). Give `role` to keep one role.
    #[graphql(complexity = "LIST_COST * child_complexity")]
    async fn parties(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Keep only links with this role.")] role: Option<RegionRole>,
    ) -> Result<Vec<RegionMembership>> {
        let links = rows(loaders(ctx).parties_of_region(), self.0.id).await?;
        Ok(RegionMembership::filtered(links, role))
    }

    /// The agendas (samenwerkingsagenda, regioplan) of this region.
    #[graphql(complexity = "LIST_COST * child_complexity")]
    async fn agendas(&self, ctx: &Context<'_>) -> Result<Vec<Agenda>> {
        Ok(wrap_all(
            rows(loaders(ctx).agendas_of_region(), self.0.id).await?,
        ))
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
