//! The mutation root: every write, each in one transaction.

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
