//! Deterministic DataLoader batching: loads run when the query has gone as far as it can.
//!
//! async-graphql's DataLoader collects keys for a fixed delay (1 ms) and then loads them in a
//! spawned task. How many keys make it into one batch then depends on how fast the executor
//! walks a list: on a slow or busy machine a list of 50 rows can be split over several
//! batches, and the number of statements starts to depend on the number of rows.
//!
//! Here the loaders' tasks are not spawned but queued, and [`drive`] runs them inside the
//! request's own task, only after the executor has returned `Pending`, that is after every
//! field that could proceed has registered its keys. Each level of a query is then exactly
//! one batch per loader, whatever the machine: the statement count depends on the query's
//! depth alone.

use futures_util::future::BoxFuture;
use futures_util::stream::{FuturesUnordered, StreamExt};
use futures_util::task::{ArcWake, waker};
use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

/// The queue of load tasks of one request.
#[derive(Clone, Default)]
pub struct Scheduler {
    queue: Arc<Mutex<Vec<BoxFuture<'static, ()>>>>,
    /// Spawn tasks on the runtime instead of queueing them: for WebSocket connections,
    /// which async-graphql drives itself.
    spawn: bool,
}

impl Scheduler {
    /// A scheduler whose loads run as soon as they are asked for, on the runtime.
    pub fn spawning() -> Self {
        Scheduler {
            spawn: true,
            ..Default::default()
        }
    }

    /// The "spawner" handed to each DataLoader: it queues the task for [`drive`].
    pub fn spawner(&self) -> impl Fn(BoxFuture<'static, ()>) + Send + Sync + Clone + 'static {
        let queue = self.queue.clone();
        let spawn = self.spawn;
        move |task| {
            if spawn {
                tokio::spawn(task);
            } else {
                queue.lock().unwrap_or_else(|e| e.into_inner()).push(task)
            }
        }
    }

    fn take(&self) -> Vec<BoxFuture<'static, ()>> {
        std::mem::take(&mut *self.queue.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

/// The waker `main` is polled with: it notes that `main` was woken, so that a `main` that
/// woke itself (a list of more than 32 rows yields after every 32 items) is polled again
/// before any load runs.
struct NoteWake {
    woken: AtomicBool,
    outer: Mutex<Option<Waker>>,
}

impl ArcWake for NoteWake {
    fn wake_by_ref(arc_self: &Arc<Self>) {
        arc_self.woken.store(true, Ordering::SeqCst);
        if let Some(waker) = arc_self
            .outer
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
        {
            waker.wake_by_ref();
        }
    }
}

/// Runs `main` (the query) and, whenever it waits for data, the load tasks it queued.
pub async fn drive<F: Future>(scheduler: Scheduler, main: F) -> F::Output {
    let mut main = pin!(main);
    let mut tasks = FuturesUnordered::new();
    let note = Arc::new(NoteWake {
        woken: AtomicBool::new(false),
        outer: Mutex::new(None),
    });
    let inner_waker = waker(note.clone());
    std::future::poll_fn(move |cx| {
        *note.outer.lock().unwrap_or_else(|e| e.into_inner()) = Some(cx.waker().clone());
        loop {
            // Let the executor go as far as it can: every field registers its keys.
            loop {
                note.woken.store(false, Ordering::SeqCst);
                if let Poll::Ready(output) =
                    main.as_mut().poll(&mut Context::from_waker(&inner_waker))
                {
                    return Poll::Ready(output);
                }
                if !note.woken.load(Ordering::SeqCst) {
                    break;
                }
            }
            // Then load, one batch per loader.
            tasks.extend(scheduler.take());
            while let Poll::Ready(Some(())) = tasks.poll_next_unpin(cx) {}
            let more = !scheduler.queue.lock().map(|q| q.is_empty()).unwrap_or(true);
            if !more && !note.woken.load(Ordering::SeqCst) {
                return Poll::Pending;
            }
        }
    })
    .await
}
