//! Theme (thema): national headline themes shared by all agendas, and agendas' own themes.

use super::LIST_COST;
use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, Utc};
use entity::theme;

use super::provenance::provenance_of;
use super::{Agenda, Goal, Initiative, Provenance, loaders, visible_initiatives, wrap_all};
use crate::graphql::loaders::{row, rows, rows_by_ids};
use crate::ids::{Kind, global_id};

/// A theme (Dutch: thema, prioriteit, speerpunt). The national headline themes (ouderen, GGZ, preventie, jeugd) are shared by
/// all agendas; an agenda's own themes (wonen en zorg, mentale gezondheid) belong to it and may
/// sit under a national theme.
#[derive(Clone, Debug)]
pub struct Theme(pub theme::Model);

impl From<theme::Model> for Theme {
    fn from(model: theme::Model) -> Self {
        Theme(model)
    }
}

/// A theme (Dutch: thema, prioriteit, speerpunt). The national headline themes (ouderen, GGZ, preventie, jeugd) are shared by
/// all agendas; an agenda's own themes (wonen en zorg, mentale gezondheid) belong to it and may
/// sit under a national theme.
#[Object]
impl Theme {
    /// The global id (`Theme:2`), for `node(id:)`.
    pub async fn id(&self) -> ID {
        global_id(Kind::Theme, self.0.id)
    }

    /// The stable code: `ouderen`, `ggz`, `preventie`, `jeugd` for the national themes,
    /// `<agenda>/<slug>` for an agenda's own.
    async fn code(&self) -> &str {
        &self.0.code
    }

    /// The theme's name, in Dutch as the documents write it.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// A short description, written for this dataset.
    async fn summary(&self) -> Option<&str> {
        self.0.summary.as_deref()
    }

    /// True for the national headline themes that all agendas share.
    async fn is_national(&self) -> bool {
        self.0.agenda_id.is_none()
    }

    /// The theme this one sits under.
    async fn parent(&self, ctx: &Context<'_>) -> Result<Option<Theme>> {
        match self.0.parent_id {
            Some(id) => Ok(row(loaders(ctx).theme(), id).await?.map(Theme)),
            None => Ok(None),
        }
    }

    /// The themes directly under this one.
    #[graphql(complexity = "LIST_COST * child_complexity")]
    async fn subthemes(&self, ctx: &Context<'_>) -> Result<Vec<Theme>> {
        Ok(wrap_all(
            rows(loaders(ctx).subthemes_of_theme(), self.0.id).await?,
        ))
    }

    /// The agenda that defines this theme; null for a national theme.
    async fn agenda(&self, ctx: &Context<'_>) -> Result<Option<Agenda>> {
        match self.0.agenda_id {
            Some(id) => Ok(row(loaders(ctx).agenda(), id).await?.map(Agenda)),
            None => Ok(None),
        }
    }

    /// The goals that serve this theme directly (not through sub-themes).
    #[graphql(complexity = "LIST_COST * child_complexity")]
    async fn goals(&self, ctx: &Context<'_>) -> Result<Vec<Goal>> {
        let l = loaders(ctx);
        let links = rows(l.goals_of_theme(), self.0.id).await?;
        Ok(wrap_all(
            rows_by_ids(l.goal(), links.iter().map(|x| x.goal_id)).await?,
        ))
    }

    /// The initiatives that serve this theme directly. To include sub-themes, use
    /// `initiatives(filter: {theme: ...})` at the root.
    #[graphql(complexity = "LIST_COST * child_complexity")]
    async fn initiatives(&self, ctx: &Context<'_>) -> Result<Vec<Initiative>> {
        let l = loaders(ctx);
        let links = rows(l.initiatives_of_theme(), self.0.id).await?;
        visible_initiatives(ctx, links.iter().map(|x| x.initiative_id)).await
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
