//! Cross-request batching: small statements that many requests make at the same moment go to
//! the database together, as one statement (group commit).
//!
//! A status change is tiny next to what it costs to send it: on the M1 benchmark each of our
//! round trips to PostgreSQL cost the server a `send`, a wake-up and sqlx's ping on release,
//! and cost PostgreSQL a statement start and a commit, for a few rows. With sixteen callers at
//! once, the reads of the rows they change and the changes themselves now travel in batches:
//! while a batch is at the database, the next requests queue, and the next batch takes all of
//! them. One caller alone waits for nothing: its batch of one leaves at once.
//!
//! A [`Coalescer`] knows nothing of SQL: it hands a batch of inputs to its `run` function and
//! gives each caller the output at its place. Its users (see `write::batches`) say what one
//! statement for many inputs is, and what to do when such a statement fails.

use std::future::Future;
use std::sync::Arc;

use tokio::sync::{Semaphore, mpsc, oneshot};

use crate::error::{AppError, AppResult};

/// How large a batch may grow and how many may be at the database at once.
#[derive(Clone, Copy, Debug)]
pub struct Batching {
    /// Its name at `/metrics`: `regiograaf_batches_total{batch}` counts the batches and
    /// `regiograaf_batched_total{batch}` their inputs.
    pub name: &'static str,
    /// Inputs in one batch at most.
    pub max_batch: usize,
    /// Batches running at once; while all are busy, new inputs wait and form the next batch.
    pub in_flight: usize,
}

type Job<I, O> = (I, oneshot::Sender<AppResult<O>>);

/// Gathers the inputs of concurrent callers into batches for one `run` function.
pub struct Coalescer<I, O> {
    jobs: mpsc::UnboundedSender<Job<I, O>>,
}

impl<I: Send + 'static, O: Send + 'static> Coalescer<I, O> {
    /// Starts the coalescer on the current tokio runtime. `run` gets a batch of inputs and
    /// returns one output per input, in the same order.
    pub fn start<F, Fut>(batching: Batching, run: F) -> Self
    where
        F: Fn(Vec<I>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Vec<AppResult<O>>> + Send + 'static,
    {
        let (jobs, mut queue) = mpsc::unbounded_channel::<Job<I, O>>();
        let run = Arc::new(run);
        let slots = Arc::new(Semaphore::new(batching.in_flight.max(1)));
        let max_batch = batching.max_batch.max(1);
        tokio::spawn(async move {
            while let Some(first) = queue.recv().await {
                // Wait for a free slot before gathering: whatever arrives meanwhile joins
                // this batch.
                let Ok(slot) = slots.clone().acquire_owned().await else {
                    break;
                };
                let mut batch = vec![first];
                while batch.len() < max_batch {
                    match queue.try_recv() {
                        Ok(job) => batch.push(job),
                        Err(_) => break,
                    }
                }
                metrics::counter!("regiograaf_batches_total", "batch" => batching.name)
                    .increment(1);
                metrics::counter!("regiograaf_batched_total", "batch" => batching.name)
                    .increment(batch.len() as u64);
                let run = run.clone();
                tokio::spawn(async move {
                    let (inputs, replies): (Vec<I>, Vec<_>) = batch.into_iter().unzip();
                    let count = inputs.len();
                    let outputs = run(inputs).await;
                    if outputs.len() != count {
                        tracing::error!(
                            count,
                            outputs = outputs.len(),
                            "a batch gave a wrong number of outputs"
                        );
                        for reply in replies {
                            let _ = reply.send(Err(AppError::Internal));
                        }
                    } else {
                        for (reply, output) in replies.into_iter().zip(outputs) {
                            // A caller that went away (its request ended) needs no answer.
                            let _ = reply.send(output);
                        }
                    }
                    drop(slot);
                });
            }
        });
        Coalescer { jobs }
    }

    /// Runs `input` in the next batch and gives its output.
    pub async fn run(&self, input: I) -> AppResult<O> {
        let (reply, answer) = oneshot::channel();
        if self.jobs.send((input, reply)).is_err() {
            tracing::error!("a coalescer is gone (its runtime ended)");
            return Err(AppError::Internal);
        }
        // A batch that panicked drops its replies: the caller gets INTERNAL, not a hang.
        answer.await.unwrap_or(Err(AppError::Internal))
    }
}

#[cfg(test)]
mod tests {
    use super::{Batching, Coalescer};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn callers_at_once_share_batches_and_each_gets_its_own_output() {
        let batches = Arc::new(AtomicUsize::new(0));
        let counted = batches.clone();
        let doubler = Arc::new(Coalescer::start(
            Batching {
                name: "test",
                max_batch: 8,
                in_flight: 1,
            },
            move |inputs: Vec<u32>| {
                counted.fetch_add(1, Ordering::SeqCst);
                async move {
                    tokio::task::yield_now().await;
                    inputs.into_iter().map(|n| Ok(n * 2)).collect()
                }
            },
        ));
        let calls: Vec<_> = (0..32u32)
            .map(|n| {
                let doubler = doubler.clone();
                tokio::spawn(async move { (n, doubler.run(n).await) })
            })
            .collect();
        for call in calls {
            let (n, out) = call.await.unwrap();
            assert_eq!(out.ok(), Some(n * 2));
        }
        let batches = batches.load(Ordering::SeqCst);
        assert!(
            (4..32).contains(&batches),
            "32 calls at once ran in {batches} batches of at most 8"
        );
    }

    #[tokio::test]
    async fn a_batch_that_panics_answers_internal() {
        let failing = Coalescer::start(
            Batching {
                name: "test",
                max_batch: 4,
                in_flight: 2,
            },
            |inputs: Vec<u32>| async move {
                if inputs.contains(&13) {
                    panic!("unlucky");
                }
                inputs.into_iter().map(Ok).collect::<Vec<_>>()
            },
        );
        assert!(matches!(
            failing.run(13).await,
            Err(crate::error::AppError::Internal)
        ));
        assert_eq!(failing.run(1).await.ok(), Some(1));
    }
}
