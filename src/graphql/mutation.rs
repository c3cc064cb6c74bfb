//! The mutation root: every write, each in one transaction.

/// Runs one write in a transaction with its journal, commits only when it succeeds, and
/// then wakes the subscribers. Used by every mutation module below.
macro_rules! transaction {
    ($w:expr, |$txn:ident, $journal:ident, $now:ident| $body:expr) => {{
        let $txn = $crate::write::begin($w.db).await?;
        let mut journal = Journal::default();
        let $now = now();
        let value = {
            let $journal = &mut journal;
            $body
        }?;
        let relations = journal.touches_relations();
        journal.flush(&$txn, $now).await?;
        $txn.commit().await.map_err(AppError::from)?;
        $w.notifier.notify();
        if relations {
            $w.notifier.relations_changed();
        }
        value
    }};
}

/// An input field as "left out" (`None`), "cleared" (`Some(None)`) or "set".
fn maybe<T>(value: async_graphql::MaybeUndefined<T>) -> Option<Option<T>> {
    match value {
        async_graphql::MaybeUndefined::Undefined => None,
        async_graphql::MaybeUndefined::Null => Some(None),
        async_graphql::MaybeUndefined::Value(v) => Some(Some(v)),
    }
}

mod initiatives;
mod operations;
mod records;
mod sync;

use async_graphql::MergedObject;

/// Everything that can be changed.
#[derive(MergedObject, Default)]
pub struct Mutation(
    initiatives::InitiativeMutation,
    records::RecordMutation,
    records::LinkMutation,
    sync::SyncMutation,
    operations::OperationMutation,
);
