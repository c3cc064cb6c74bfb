//! Registering operations for an organisation's allow-list (administrators).

use async_graphql::{Context, ID, Object, Result};
use entity::party;
use sea_orm::sea_query::{OnConflict, Query};
use sea_orm::{ConnectionTrait, DatabaseConnection, Value};

use crate::auth::{Role, Viewer};
use crate::error::AppError;
use crate::graphql::filter::resolve;
use crate::ids::Kind;

#[derive(Default)]
pub struct OperationMutation;

fn require_admin(viewer: &Viewer) -> Result<()> {
    crate::write::require_role(viewer, Role::Admin)?;
    Ok(())
}

#[Object]
impl OperationMutation {
    /// Registers operations for an organisation (administrators) and returns their SHA-256
    /// hashes. They are also stored as persisted operations, so the organisation can send a
    /// hash instead of the document.
    async fn register_operations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The organisation (id or code).")] organisation: ID,
        #[graphql(desc = "The documents, each a complete GraphQL document.")] documents: Vec<
            String,
        >,
    ) -> Result<Vec<String>> {
        require_admin(ctx.data_unchecked::<Viewer>())?;
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let party =
            resolve::<party::Entity>(db, "organisation", Kind::Party, &organisation).await?;
        let mut hashes = Vec::new();
        for (i, document) in documents.iter().enumerate() {
            if async_graphql::parser::parse_query(document).is_err() {
                return Err(AppError::bad_input(
                    format!("documents.{i}"),
                    "not a GraphQL document",
                )
                .into());
            }
            let hash = crate::operations::hash(document);
            crate::operations::Operations::default()
                .store(db, &hash, document)
                .await?;
            let insert = Query::insert()
                .into_table("allowed_operation")
                .columns(["party_id", "hash", "created_at"])
                .values_panic([
                    party.into(),
                    hash.clone().into(),
                    Value::from(chrono::Utc::now()).into(),
                ])
                .on_conflict(
                    OnConflict::columns(["party_id", "hash"])
                        .do_nothing()
                        .to_owned(),
                )
                .take();
            db.execute(&insert).await.map_err(AppError::from)?;
            hashes.push(hash);
        }
        Ok(hashes)
    }

    /// Puts an organisation on its allow-list (it then runs only its registered operations)
    /// or takes it off (administrators). Returns the new state.
    async fn set_allow_list(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The organisation (id or code).")] organisation: ID,
        #[graphql(desc = "True: only registered operations run.")] enabled: bool,
    ) -> Result<bool> {
        require_admin(ctx.data_unchecked::<Viewer>())?;
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let party =
            resolve::<party::Entity>(db, "organisation", Kind::Party, &organisation).await?;
        if enabled {
            let insert = Query::insert()
                .into_table("allow_list")
                .columns(["party_id", "created_at"])
                .values_panic([party.into(), Value::from(chrono::Utc::now()).into()])
                .on_conflict(OnConflict::column("party_id").do_nothing().to_owned())
                .take();
            db.execute(&insert).await.map_err(AppError::from)?;
        } else {
            use sea_orm::sea_query::{Expr, ExprTrait};
            let delete = Query::delete()
                .from_table("allow_list")
                .and_where(Expr::col("party_id").eq(party))
                .take();
            db.execute(&delete).await.map_err(AppError::from)?;
        }
        // Callers' organisations are kept with whether they are on an allow-list.
        ctx.data_unchecked::<crate::notify::Notifier>()
            .relations_changed();
        Ok(enabled)
    }
}
