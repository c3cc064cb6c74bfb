//! What is kept of callers between requests: their organisation and their relations.
//!
//! Loading an organisation's relations takes five statements and grows with the initiatives it
//! takes part in (an insurer may take part in thousands). They change only when parties,
//! memberships, regions, agendas or participations are written, so each organisation's
//! relations are kept until such a write: every write that may change them bumps the
//! generation in [`Notifier`] after it commits (on PostgreSQL other instances hear it through
//! `NOTIFY regiograaf_relations`), and an entry loaded under an older generation is loaded
//! again. The generation is read *before* loading, so a load that raced with a write is
//! never kept as current. Changes made outside the service (direct SQL) are picked up within
//! [`MAX_AGE`].
//!
//! The organisation a token names (its row, whether it is active, whether it is held to an
//! allow-list) is kept the same way, but only while the database tells this instance of
//! every change to it, whoever makes it: on PostgreSQL, triggers on those tables notify the
//! same channel (migration `change_triggers`) and the instance is listening. Otherwise (on
//! SQLite, or while the listener reconnects) it is read on every request, so a deactivation
//! acts at once however it is made; on PostgreSQL it acts as soon as the notification
//! arrives, a moment after the commit.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use sea_orm::DatabaseConnection;

use super::viewer::{Organisation, Relations, load_organisation, load_relations};
use crate::error::AppResult;
use crate::notify::{MAX_AGE, Notifier};

/// Entries kept at most per kind; past it the kind starts afresh.
const CAPACITY: usize = 4_096;

/// Callers' organisations by code, and relations by organisation id (`None`: anonymous
/// callers, who only need the agenda regions).
pub struct CallerCache {
    notifier: Notifier,
    organisations: Kept<String, Option<Arc<Organisation>>>,
    relations: Kept<Option<i32>, Arc<Relations>>,
}

impl std::fmt::Debug for CallerCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallerCache")
            .field("organisations", &self.organisations.len())
            .field("relations", &self.relations.len())
            .finish()
    }
}

impl CallerCache {
    /// An empty cache that follows `notifier`'s generation of relations.
    pub fn new(notifier: Notifier) -> Self {
        CallerCache {
            notifier,
            organisations: Kept::default(),
            relations: Kept::default(),
        }
    }

    /// The organisation with `code` (`None`: not known here), kept only while the database
    /// reports every change to it (see the module documentation).
    pub async fn organisation(
        &self,
        db: &DatabaseConnection,
        code: &str,
    ) -> AppResult<Option<Arc<Organisation>>> {
        if !self.notifier.hears_every_change() {
            return Ok(load_organisation(db, code).await?.map(Arc::new));
        }
        let generation = self.notifier.relations_generation();
        if let Some(organisation) = self.organisations.fresh(code, generation) {
            return Ok(organisation);
        }
        let organisation = load_organisation(db, code).await?.map(Arc::new);
        self.organisations
            .keep(code.to_string(), generation, organisation.clone());
        Ok(organisation)
    }

    /// The relations of `org`, from the cache when nothing changed since they were loaded.
    pub async fn relations(
        &self,
        db: &DatabaseConnection,
        org: Option<i32>,
    ) -> AppResult<Arc<Relations>> {
        let generation = self.notifier.relations_generation();
        if let Some(relations) = self.relations.fresh(&org, generation) {
            return Ok(relations);
        }
        let relations = Arc::new(load_relations(db, org).await?);
        self.relations.keep(org, generation, relations.clone());
        Ok(relations)
    }
}

/// Values by key, each with the generation it was loaded under.
struct Kept<K, V> {
    entries: Mutex<HashMap<K, Entry<V>>>,
}

struct Entry<V> {
    generation: u64,
    loaded: Instant,
    value: V,
}

impl<K, V> Default for Kept<K, V> {
    fn default() -> Self {
        Kept {
            entries: Mutex::default(),
        }
    }
}

impl<K: Hash + Eq, V: Clone> Kept<K, V> {
    /// The value of `key` if it was loaded under `generation`, less than [`MAX_AGE`] ago.
    fn fresh<Q>(&self, key: &Q, generation: u64) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let entries = self.lock();
        let entry = entries.get(key)?;
        (entry.generation == generation && entry.loaded.elapsed() < MAX_AGE)
            .then(|| entry.value.clone())
    }

    /// Keeps `value`, loaded under `generation` (read before loading it).
    fn keep(&self, key: K, generation: u64, value: V) {
        let mut entries = self.lock();
        if entries.len() >= CAPACITY {
            entries.clear();
        }
        entries.insert(
            key,
            Entry {
                generation,
                loaded: Instant::now(),
                value,
            },
        );
    }

    fn len(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<K, Entry<V>>> {
        // A panic while holding the lock cannot leave an entry half-written: keep going.
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}
