//! Waking subscribers when something changed, across instances.
//!
//! Writers call [`Notifier::notify`] after they commit. On PostgreSQL every write also sends
//! `NOTIFY regiograaf_changes` inside its transaction (delivered at commit), and every
//! instance listens on that channel, so a change made through one instance wakes the
//! subscribers of all of them. A notification only says "look": subscribers read the change
//! feed, so a lost or doubled notification costs a read, never an event.

use std::time::Duration;
use tokio::sync::broadcast;

/// The PostgreSQL channel writes notify.
pub const CHANNEL: &str = "regiograaf_changes";

/// Wakes the subscriptions of this instance.
#[derive(Clone, Debug)]
pub struct Notifier {
    tx: broadcast::Sender<()>,
}

impl Default for Notifier {
    fn default() -> Self {
        Notifier {
            tx: broadcast::channel(64).0,
        }
    }
}

impl Notifier {
    /// Tells this instance's subscribers to look at the feed.
    pub fn notify(&self) {
        let _ = self.tx.send(());
    }

    /// A receiver that wakes on every notification.
    pub fn subscribe(&self) -> broadcast::Receiver<()> {
        self.tx.subscribe()
    }

    /// Relays the notifications of other instances (PostgreSQL `LISTEN`), reconnecting
    /// after a failure, for as long as the process runs.
    pub fn listen_postgres(&self, url: String) {
        let notifier = self.clone();
        tokio::spawn(async move {
            loop {
                match sea_orm::sqlx::postgres::PgListener::connect(&url).await {
                    Ok(mut listener) => {
                        if listener.listen(CHANNEL).await.is_ok() {
                            // Changes made while we were away are in the feed: look once.
                            notifier.notify();
                            while listener.recv().await.is_ok() {
                                notifier.notify();
                            }
                        }
                    }
                    Err(err) => tracing::warn!(%err, "cannot listen for changes; retrying"),
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
    }
}
