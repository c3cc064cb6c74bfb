//! Answers to queries, kept until a write changes the data.
//!
//! Portals and dashboards ask the same questions over and over (a region page, the counts
//! of an agenda) while the data changes a few times a day. Executing such a query again
//! costs SQL and CPU for an answer we already have, so a successful query's response body
//! is kept and sent again for the same request, until anything is written.
//!
//! - **Whose answer.** The key holds the caller's bearer token (or nothing, for anonymous
//!   callers) with the document, the operation name and the variables: an answer is only
//!   ever sent again to the same caller, so the policy (what the caller may see, down to the
//!   field) is applied exactly as when it was computed. Authentication with the check of
//!   the organisation (a deactivated one is refused at once; see `auth/cache.rs`), the rate
//!   limit and the allow-list still run on every request, and the cost of the query is
//!   charged again.
//! - **Until what.** Every entry carries the generation of the data ([`Notifier`]) read
//!   *before* the query ran; every committed write bumps it (writes through any instance on
//!   PostgreSQL, which are heard through `NOTIFY`), and an entry of an older generation is
//!   never sent. A write that commits while a query runs makes that query's answer stale
//!   before it is stored. Changes made outside the service (direct SQL, or a second process
//!   on the same SQLite file) are picked up within [`MAX_AGE`].
//! - **What.** Only queries that succeeded without any error: never mutations, never an
//!   answer with a withheld field, a refusal or a timeout.
//! - **How much.** At most `Limits::response_cache_bytes` (keys and bodies), evicted by
//!   `quick_cache` (S3-FIFO); 0 turns the cache off.
//! - **Asked at once.** After a write every open dashboard asks its questions again at the
//!   same moment. The first request for a key computes the answer and the others for the same
//!   key wait for it ([`ResponseCache::get_or_wait`]) instead of each executing the same query:
//!   sixty-four dashboards asking at once cost one execution, not sixty-four, and hold the
//!   memory of one (at concurrency 64 the peak RSS came from these executions side by side).
//! - **Compressed once.** Compressing the body took most of the CPU of an answer from the
//!   cache (90 KB of JSON per request), so an answer is gzipped once, when a client that
//!   accepts gzip first asks for it, and that form is sent from then on.

use axum::body::Bytes;
use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};
use tokio::sync::watch;

use crate::notify::{MAX_AGE, Notifier};

/// What makes two requests the same question from the same caller.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Key {
    /// The bearer token as sent, or empty for anonymous callers.
    pub caller: String,
    pub query: String,
    pub operation_name: Option<String>,
    /// The variables and extensions, as JSON with sorted keys.
    pub variables: String,
}

/// A kept answer.
#[derive(Debug)]
pub struct Answer {
    generation: u64,
    stored: Instant,
    /// The response body, as sent.
    pub body: Bytes,
    /// The query's complexity, charged to the caller's cost budget on every answer.
    pub complexity: usize,
    /// The operation's name, for the request metrics.
    pub operation: String,
    gzipped: OnceLock<Bytes>,
}

impl Answer {
    /// The body gzipped, compressed at the first call.
    pub fn gzipped(&self) -> Bytes {
        self.gzipped
            .get_or_init(|| {
                let mut encoder =
                    flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
                // Writing to a Vec cannot fail.
                let _ = encoder.write_all(&self.body);
                Bytes::from(encoder.finish().unwrap_or_default())
            })
            .clone()
    }
}

#[derive(Clone)]
struct Weight;

impl quick_cache::Weighter<Key, Arc<Answer>> for Weight {
    fn weight(&self, key: &Key, answer: &Arc<Answer>) -> u64 {
        let key_bytes = key.caller.len()
            + key.query.len()
            + key.operation_name.as_ref().map_or(0, String::len)
            + key.variables.len();
        // The gzipped form, made later, is counted as a quarter of the body.
        (key_bytes + answer.body.len() + answer.body.len() / 4 + 128) as u64
    }
}

/// The requests computing an answer now, by key; a receiver wakes when its computing request
/// is done (its sender is dropped).
type Flights = Arc<Mutex<HashMap<Key, watch::Receiver<()>>>>;

/// The kept answers of this instance.
pub struct ResponseCache {
    notifier: Notifier,
    entries: Option<quick_cache::sync::Cache<Key, Arc<Answer>, Weight>>,
    flights: Flights,
}

/// The request that computes the answer to a key while others wait for it. Drop it after the
/// answer is kept (or once it is clear there is none to keep): the waiting requests then take
/// the kept answer, or compute their own.
pub struct Flight {
    flights: Flights,
    key: Key,
    _done: watch::Sender<()>,
}

impl Drop for Flight {
    fn drop(&mut self) {
        // Only one flight per key is ever in the map, and it is this one.
        self.flights
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.key);
    }
}

impl std::fmt::Debug for ResponseCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseCache")
            .field("answers", &self.entries.as_ref().map_or(0, |e| e.len()))
            .finish()
    }
}

impl ResponseCache {
    /// A cache of at most `bytes` that follows `notifier`'s generation of the data; 0 keeps
    /// nothing.
    pub fn new(notifier: Notifier, bytes: u64) -> Self {
        // quick_cache sizes its tables by the expected number of entries: assume answers of
        // about 4 KiB.
        let entries = (bytes > 0).then(|| {
            let items = usize::try_from(bytes / 4096).unwrap_or(usize::MAX).max(16);
            quick_cache::sync::Cache::with_weighter(items, bytes, Weight)
        });
        ResponseCache {
            notifier,
            entries,
            flights: Flights::default(),
        }
    }

    /// The generation of the data now: read it before executing a query whose answer may be
    /// kept, and hand it to [`ResponseCache::keep`].
    pub fn generation(&self) -> u64 {
        self.notifier.data_generation()
    }

    /// The kept answer to `key`, when nothing was written since it was computed.
    pub fn get(&self, key: &Key) -> Option<Arc<Answer>> {
        let entries = self.entries.as_ref()?;
        let found = entries.get(key);
        let current = found
            .as_ref()
            .is_some_and(|a| a.generation == self.generation() && a.stored.elapsed() < MAX_AGE);
        if current {
            crate::metrics::response_cache("hit");
            found
        } else {
            if found.is_some() {
                entries.remove(key);
            }
            None
        }
    }

    /// The kept answer to `key`; when there is none but another request is computing it,
    /// the answer that request keeps, waited for at most `patience`. Otherwise this request
    /// computes the answer: `Err(Some(flight))` when the others for `key` wait for it (hold
    /// the flight until the answer is kept), `Err(None)` when it computes for itself alone
    /// (the one it waited for kept nothing, or took too long).
    pub async fn get_or_wait(
        &self,
        key: &Key,
        patience: Duration,
    ) -> Result<Arc<Answer>, Option<Flight>> {
        if self.entries.is_none() {
            return Err(None);
        }
        if let Some(answer) = self.get(key) {
            return Ok(answer);
        }
        let mut computing = {
            let mut flights = self.flights.lock().unwrap_or_else(PoisonError::into_inner);
            match flights.get(key) {
                Some(computing) => computing.clone(),
                None => {
                    let (done, computing) = watch::channel(());
                    flights.insert(key.clone(), computing);
                    return Err(Some(Flight {
                        flights: self.flights.clone(),
                        key: key.clone(),
                        _done: done,
                    }));
                }
            }
        };
        crate::metrics::response_cache("waited");
        // Nothing is ever sent: `changed` returns when the computing request drops its flight.
        let _ = tokio::time::timeout(patience, computing.changed()).await;
        self.get(key).ok_or(None)
    }

    /// Keeps `body` as the answer to `key`, computed from the data of `generation`; nothing
    /// is kept when a write came in since.
    pub fn keep(
        &self,
        key: Key,
        generation: u64,
        body: Bytes,
        complexity: usize,
        operation: String,
    ) {
        let Some(entries) = &self.entries else { return };
        if generation != self.generation() {
            return;
        }
        let answer = Answer {
            generation,
            stored: Instant::now(),
            body,
            complexity,
            operation,
            gzipped: OnceLock::new(),
        };
        entries.insert(key, Arc::new(answer));
        crate::metrics::response_cache("kept");
    }

    /// True when answers are kept at all.
    pub fn enabled(&self) -> bool {
        self.entries.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(query: &str) -> Key {
        Key {
            caller: "token".into(),
            query: query.into(),
            operation_name: None,
            variables: "{}".into(),
        }
    }

    #[test]
    fn a_write_makes_kept_answers_stale() {
        let notifier = Notifier::default();
        let cache = ResponseCache::new(notifier.clone(), 1 << 20);
        let generation = cache.generation();
        cache.keep(key("{a}"), generation, Bytes::from("1"), 1, "op".into());
        assert_eq!(
            cache.get(&key("{a}")).map(|a| a.body.clone()),
            Some(Bytes::from("1"))
        );
        assert!(cache.get(&key("{b}")).is_none());
        notifier.notify();
        assert!(cache.get(&key("{a}")).is_none());
    }

    #[test]
    fn an_answer_computed_before_a_write_is_not_kept() {
        let notifier = Notifier::default();
        let cache = ResponseCache::new(notifier.clone(), 1 << 20);
        let generation = cache.generation();
        notifier.relations_changed();
        cache.keep(key("{a}"), generation, Bytes::from("1"), 1, "op".into());
        assert!(cache.get(&key("{a}")).is_none());
    }

    #[test]
    fn another_caller_does_not_get_the_answer() {
        let cache = ResponseCache::new(Notifier::default(), 1 << 20);
        cache.keep(
            key("{a}"),
            cache.generation(),
            Bytes::from("1"),
            1,
            "op".into(),
        );
        let other = Key {
            caller: "another token".into(),
            ..key("{a}")
        };
        assert!(cache.get(&other).is_none());
    }

    #[test]
    fn the_gzipped_form_unpacks_to_the_body() {
        use std::io::Read;
        let cache = ResponseCache::new(Notifier::default(), 1 << 20);
        let body = Bytes::from("{\"data\":{\"a\":1}}".repeat(100));
        cache.keep(key("{a}"), cache.generation(), body.clone(), 1, "op".into());
        let answer = cache.get(&key("{a}")).unwrap();
        let mut unpacked = Vec::new();
        flate2::read::GzDecoder::new(&answer.gzipped()[..])
            .read_to_end(&mut unpacked)
            .unwrap();
        assert_eq!(unpacked, body);
        assert!(answer.gzipped().len() < body.len() / 10);
    }

    const PATIENCE: Duration = Duration::from_secs(10);

    /// A first request computing the answer to `{a}`, and a second one waiting for it.
    async fn first_and_second(
        cache: &Arc<ResponseCache>,
    ) -> (
        Flight,
        tokio::task::JoinHandle<Result<Arc<Answer>, Option<Flight>>>,
    ) {
        let Err(Some(flight)) = cache.get_or_wait(&key("{a}"), PATIENCE).await else {
            panic!("the first request computes the answer");
        };
        let waiting = tokio::spawn({
            let cache = cache.clone();
            async move { cache.get_or_wait(&key("{a}"), PATIENCE).await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiting.is_finished(), "the second request waits");
        (flight, waiting)
    }

    #[tokio::test]
    async fn a_second_request_waits_for_the_answer_the_first_computes() {
        let cache = Arc::new(ResponseCache::new(Notifier::default(), 1 << 20));
        let (flight, waiting) = first_and_second(&cache).await;
        cache.keep(
            key("{a}"),
            cache.generation(),
            Bytes::from("1"),
            1,
            "op".into(),
        );
        drop(flight);
        let answer = waiting.await.unwrap().ok().expect("the kept answer");
        assert_eq!(answer.body, Bytes::from("1"));
        // Another question does not wait for this one.
        assert!(matches!(
            cache.get_or_wait(&key("{b}"), PATIENCE).await,
            Err(Some(_))
        ));
    }

    #[tokio::test]
    async fn when_the_first_keeps_nothing_the_waiting_request_computes_its_own() {
        let cache = Arc::new(ResponseCache::new(Notifier::default(), 1 << 20));
        let (flight, waiting) = first_and_second(&cache).await;
        drop(flight);
        assert!(matches!(waiting.await.unwrap(), Err(None)));
        // The flight is gone: the next request computes and leads again.
        assert!(matches!(
            cache.get_or_wait(&key("{a}"), PATIENCE).await,
            Err(Some(_))
        ));
    }

    #[tokio::test]
    async fn a_request_waits_no_longer_than_its_patience() {
        let cache = ResponseCache::new(Notifier::default(), 1 << 20);
        let _flight = cache.get_or_wait(&key("{a}"), Duration::from_secs(1)).await;
        let started = Instant::now();
        let waited = cache
            .get_or_wait(&key("{a}"), Duration::from_millis(50))
            .await;
        assert!(matches!(waited, Err(None)));
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn size_zero_keeps_nothing() {
        let cache = ResponseCache::new(Notifier::default(), 0);
        cache.keep(
            key("{a}"),
            cache.generation(),
            Bytes::from("1"),
            1,
            "op".into(),
        );
        assert!(cache.get(&key("{a}")).is_none());
        assert!(!cache.enabled());
    }
}
