//! Where a fact comes from: a document and section, or the organisation that asserted it.

use async_graphql::{Context, Object, Result};

use super::{Party, loaders};
use crate::graphql::loaders::row;

/// The provenance of a record (herkomst): the source document and section it was taken from,
/// or the organisation that asserted it, and a note where the source was ambiguous.
#[derive(Clone, Debug)]
pub struct Provenance {
    pub document: Option<String>,
    pub section: Option<String>,
    pub asserted_by_id: Option<i32>,
    pub note: Option<String>,
}

/// The provenance of a record (herkomst): the source document and section it was taken from,
/// or the organisation that asserted it, and a note where the source was ambiguous.
#[Object]
impl Provenance {
    /// The source document's file name (see the agendas in the README), when taken from one.
    async fn document(&self) -> Option<&str> {
        self.document.as_deref()
    }

    /// The chapter or paragraph of the source document.
    async fn section(&self) -> Option<&str> {
        self.section.as_deref()
    }

    /// The organisation that asserted this fact, when it came from a partner rather than a
    /// document.
    async fn asserted_by(&self, ctx: &Context<'_>) -> Result<Option<Party>> {
        match self.asserted_by_id {
            Some(id) => Ok(row(loaders(ctx).party(), id).await?.map(Party::from)),
            None => Ok(None),
        }
    }

    /// A remark on the source, such as which reading was chosen where a document contradicts
    /// itself.
    async fn note(&self) -> Option<&str> {
        self.note.as_deref()
    }
}

/// Builds the provenance of any entity model (they all carry the same columns).
macro_rules! provenance_of {
    ($model:expr) => {
        $crate::graphql::types::Provenance {
            document: $model.source_document.clone(),
            section: $model.source_section.clone(),
            asserted_by_id: $model.asserted_by_id,
            note: $model.note.clone(),
        }
    };
}
pub(crate) use provenance_of;
