//! The caller's relations, cached per organisation between requests.
//!
//! Loading an organisation's relations takes five statements and grows with the initiatives it
//! takes part in (an insurer may take part in thousands). They change only when parties,
//! memberships, regions, agendas or participations are written, so each organisation's
//! relations are kept until such a write: every write that may change them bumps the
//! generation in [`Notifier`] after it commits (on PostgreSQL other instances hear it through
//! `NOTIFY regiograaf_relations`), and an entry loaded under an older generation is loaded
//! again. The generation is read *before* loading, so a load that raced with a write is
//! never kept as current. Changes made outside the service (direct SQL) are picked up within
//! [`MAX_AGE`]. The organisation itself is still looked up on every request, so a
//! deactivation acts at once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use sea_orm::DatabaseConnection;

use super::viewer::{Relations, load_relations};
use crate::error::AppResult;
use crate::notify::{MAX_AGE, Notifier};

/// Organisations kept at most; past it the cache starts afresh.
const CAPACITY: usize = 4_096;

struct Entry {
    generation: u64,
    loaded: Instant,
    relations: Arc<Relations>,
}

/// Relations by organisation (`None`: anonymous callers, who only need the agenda regions).
pub struct RelationsCache {
    notifier: Notifier,
    entries: Mutex<HashMap<Option<i32>, Entry>>,
}

impl std::fmt::Debug for RelationsCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RelationsCache")
            .field("organisations", &self.lock().len())
            .finish()
    }
}

impl RelationsCache {
    /// An empty cache that follows `notifier`'s generation of relations.
    pub fn new(notifier: Notifier) -> Self {
        RelationsCache {
            notifier,
            entries: Mutex::default(),
        }
    }

    /// The relations of `org`, from the cache when nothing changed since they were loaded.
    pub async fn get(
        &self,
        db: &DatabaseConnection,
        org: Option<i32>,
    ) -> AppResult<Arc<Relations>> {
        let generation = self.notifier.relations_generation();
        if let Some(entry) = self.lock().get(&org)
            && entry.generation == generation
            && entry.loaded.elapsed() < MAX_AGE
        {
            return Ok(entry.relations.clone());
        }
        let relations = Arc::new(load_relations(db, org).await?);
        let mut entries = self.lock();
        if entries.len() >= CAPACITY {
            entries.clear();
        }
        entries.insert(
            org,
            Entry {
                generation,
                loaded: Instant::now(),
                relations: relations.clone(),
            },
        );
        Ok(relations)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Option<i32>, Entry>> {
        // A panic while holding the lock cannot leave an entry half-written: keep going.
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}
