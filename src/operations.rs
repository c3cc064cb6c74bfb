//! Persisted operations: automatic persisted queries (a client sends the SHA-256 of a
//! document instead of the document once it was stored), and per-organisation allow-lists,
//! under which an organisation runs only the operations registered for it.
//!
//! Both live in the database, so every instance knows what any instance stored; a small
//! in-memory cache saves the lookup for hot documents.

use sea_orm::sea_query::{ExprTrait, OnConflict, Query};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement, Value};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::error::AppResult;

/// Documents kept in memory per instance.
const CACHE: usize = 10_000;

/// The hex SHA-256 of a document, as clients compute it.
pub fn hash(document: &str) -> String {
    Sha256::digest(document.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The store of persisted documents.
#[derive(Clone, Default)]
pub struct Operations {
    cache: Arc<Mutex<HashMap<String, Arc<str>>>>,
}

impl Operations {
    /// The document stored under `hash`, if any.
    pub async fn find(&self, db: &DatabaseConnection, hash: &str) -> AppResult<Option<Arc<str>>> {
        if let Some(doc) = self
            .cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(hash)
        {
            return Ok(Some(doc.clone()));
        }
        let query = Query::select()
            .column("document")
            .from("persisted_operation")
            .and_where(sea_orm::sea_query::Expr::col("hash").eq(hash))
            .take();
        let row = db.query_one(&query).await?;
        let document: Option<String> = match row {
            Some(row) => Some(row.try_get("", "document")?),
            None => None,
        };
        Ok(document.map(|d| self.remember(hash, &d)))
    }

    /// Stores `document` under its hash (a no-op when stored already).
    pub async fn store(
        &self,
        db: &DatabaseConnection,
        hash: &str,
        document: &str,
    ) -> AppResult<()> {
        let insert = Query::insert()
            .into_table("persisted_operation")
            .columns(["hash", "document", "created_at"])
            .values_panic([
                hash.into(),
                document.into(),
                Value::from(chrono::Utc::now()).into(),
            ])
            .on_conflict(OnConflict::column("hash").do_nothing().to_owned())
            .take();
        db.execute(&insert).await?;
        self.remember(hash, document);
        Ok(())
    }

    fn remember(&self, hash: &str, document: &str) -> Arc<str> {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if cache.len() >= CACHE {
            cache.clear();
        }
        let doc: Arc<str> = Arc::from(document);
        cache.insert(hash.to_string(), doc.clone());
        doc
    }
}

/// Whether `hash` is one of the operations registered for the organisation `party_id`. Asked
/// only for an organisation on an allow-list (`Viewer::restricted`, read with the
/// organisation itself).
pub async fn registered(db: &DatabaseConnection, party_id: i32, hash: &str) -> AppResult<bool> {
    let backend = db.get_database_backend();
    let sql = match backend {
        sea_orm::DatabaseBackend::Postgres => {
            "SELECT COUNT(*) AS registered FROM allowed_operation WHERE party_id = $1 AND hash = $2"
        }
        _ => {
            "SELECT COUNT(*) AS registered FROM allowed_operation WHERE party_id = ?1 AND hash = ?2"
        }
    };
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [party_id.into(), hash.into()],
        ))
        .await?;
    let Some(row) = row else { return Ok(false) };
    let registered: i64 = row.try_get("", "registered")?;
    Ok(registered > 0)
}
