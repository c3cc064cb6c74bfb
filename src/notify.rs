//! Waking subscribers when something changed, across instances.
//!
//! Writers call [`Notifier::notify`] after they commit. On PostgreSQL every write also sends
//! `NOTIFY regiograaf_changes` inside its transaction (delivered at commit), and every
//! instance listens on that channel, so a change made through one instance wakes the
//! subscribers of all of them. A notification only says "look": subscribers read the change
//! feed, so a lost or doubled notification costs a read, never an event.
//!
//! The same way, writes that change who is related to what (parties, memberships, regions,
//! agendas, participations) bump a generation number here and send
//! `NOTIFY regiograaf_relations`; the per-organisation cache of those relations
//! (`auth/cache.rs`) drops whatever it loaded under an older generation. Triggers on those
//! tables send the same notification for changes made outside the service (PostgreSQL only). Every write of
//! either kind bumps the generation of the data, which the response cache
//! (`http/response_cache.rs`) follows.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::broadcast;

/// The longest the caches that follow the generations here (relations, responses) keep an
/// entry without being told of a change: how soon changes made outside the service (direct
/// SQL, another process on the same SQLite file) are seen.
pub const MAX_AGE: Duration = Duration::from_secs(10);

/// The PostgreSQL channel writes notify.
pub const CHANNEL: &str = "regiograaf_changes";
/// The PostgreSQL channel writes that change relations notify.
pub const RELATIONS_CHANNEL: &str = "regiograaf_relations";

/// Wakes the subscriptions of this instance.
#[derive(Clone, Debug)]
pub struct Notifier {
    tx: broadcast::Sender<()>,
    relations: Arc<AtomicU64>,
    data: Arc<AtomicU64>,
    /// The database tells this instance of every change (PostgreSQL, while listening).
    listening: Arc<AtomicBool>,
}

impl Default for Notifier {
    fn default() -> Self {
        Notifier {
            tx: broadcast::channel(64).0,
            relations: Arc::default(),
            data: Arc::default(),
            listening: Arc::default(),
        }
    }
}

impl Notifier {
    /// Tells this instance's subscribers to look at the feed.
    /// Also says that the data changed: cached responses are stale.
    pub fn notify(&self) {
        self.data.fetch_add(1, Ordering::SeqCst);
        let _ = self.tx.send(());
    }

    /// Says that relations changed (after the write committed): cached relations are stale,
    /// and so are cached responses.
    pub fn relations_changed(&self) {
        self.relations.fetch_add(1, Ordering::SeqCst);
        self.data.fetch_add(1, Ordering::SeqCst);
    }

    /// The generation of the data: it grows with every write this instance makes or hears
    /// of (`notify` and `relations_changed`).
    pub fn data_generation(&self) -> u64 {
        self.data.load(Ordering::SeqCst)
    }

    /// The generation of the relations: it grows with every change.
    pub fn relations_generation(&self) -> u64 {
        self.relations.load(Ordering::SeqCst)
    }

    /// Whether the database tells this instance of every change to the tables that decide
    /// who a caller is, whoever makes it (PostgreSQL, while the listener is connected): only
    /// then may an organisation be kept between requests (see `auth/cache.rs`).
    pub fn hears_every_change(&self) -> bool {
        self.listening.load(Ordering::SeqCst)
    }

    /// A receiver that wakes on every notification.
    pub fn subscribe(&self) -> broadcast::Receiver<()> {
        self.tx.subscribe()
    }

    /// Relays the notifications of other instances (PostgreSQL `LISTEN`), reconnecting
    /// after a failure, for as long as the process runs. The receiver hears when the first
    /// `LISTEN` is in place: an instance that serves before it may keep answers a write
    /// elsewhere has already made stale, and then drop them all when it connects.
    pub fn listen_postgres(&self, url: String) -> tokio::sync::oneshot::Receiver<()> {
        let notifier = self.clone();
        let (listening, first) = tokio::sync::oneshot::channel();
        let mut listening = Some(listening);
        tokio::spawn(async move {
            loop {
                match sea_orm::sqlx::postgres::PgListener::connect(&url).await {
                    Ok(mut listener) => {
                        if listener
                            .listen_all([CHANNEL, RELATIONS_CHANNEL])
                            .await
                            .is_ok()
                        {
                            // Changes made while we were away are in the feed: look once;
                            // relations may have changed too.
                            notifier.notify();
                            notifier.relations_changed();
                            notifier.listening.store(true, Ordering::SeqCst);
                            if let Some(listening) = listening.take() {
                                let _ = listening.send(());
                            }
                            while let Ok(notification) = listener.recv().await {
                                if notification.channel() == RELATIONS_CHANNEL {
                                    notifier.relations_changed();
                                } else {
                                    notifier.notify();
                                }
                            }
                            // Changes made from now until the listener is back go unheard.
                            notifier.listening.store(false, Ordering::SeqCst);
                        }
                    }
                    Err(err) => tracing::warn!(%err, "cannot listen for changes; retrying"),
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
        first
    }
}
