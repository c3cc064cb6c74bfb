//! The statements of a long write, each built while the one before it runs.
//!
//! A sync of 10,000 new initiatives sends some sixty multi-row statements one after the
//! other on its transaction's connection. Building one (a few hundred rows turned into SQL
//! and values) and handling what one returned (the new rows turned into journal rows) took
//! the server about a third of the time PostgreSQL took to run them, and while one worked the
//! other waited: in a statement log of S1 the server's gaps between the inserts added up to a
//! quarter of the transaction.
//!
//! Here a statement is sent first; the rows the previous one returned are handled and the
//! next statement is built while the database runs it (PostgreSQL in its own process,
//! SQLite on the driver's worker thread); only then does the task wait for the answer. The
//! statements still run one at a time, in their order, in the caller's transaction, and the
//! first failure stops the rest.

use std::future::{Future, poll_fn};
use std::pin::pin;
use std::task::Poll;

use sea_orm::{ConnectionTrait, QueryResult, Statement};

use crate::error::AppResult;

/// Runs `statements` in their order on `conn`, building each while the one before it runs.
/// `returned` gets the rows of each statement (none for an insert without `RETURNING`), in
/// order, while the statement after it runs.
pub async fn run<C, S, F>(conn: &C, statements: S, mut returned: F) -> AppResult<()>
where
    C: ConnectionTrait,
    S: IntoIterator<Item = AppResult<Statement>>,
    F: FnMut(Vec<QueryResult>) -> AppResult<()>,
{
    let mut statements = statements.into_iter();
    let mut next = statements.next().transpose()?;
    let mut rows: Option<Vec<QueryResult>> = None;
    while let Some(statement) = next.take() {
        let mut running = pin!(conn.query_all_raw(statement));
        // One poll sends the statement (a prepared one as Bind and Execute) and comes back
        // once it waits for the answer.
        let started = poll_fn(|cx| Poll::Ready(running.as_mut().poll(cx))).await;
        let meanwhile = rows
            .take()
            .map_or(Ok(()), &mut returned)
            .and_then(|()| statements.next().transpose());
        let answer = match started {
            Poll::Ready(answer) => answer,
            Poll::Pending => running.await,
        };
        // The answer is awaited before a failure of the meantime is returned: the connection
        // is never left in the middle of one.
        rows = Some(answer?);
        next = meanwhile?;
    }
    rows.map_or(Ok(()), returned)
}

/// `items` in consecutive chunks of at most `size`, moved rather than copied.
pub fn chunks<T>(items: Vec<T>, size: usize) -> impl Iterator<Item = Vec<T>> {
    let mut items = items.into_iter().peekable();
    std::iter::from_fn(move || {
        items.peek()?;
        Some(items.by_ref().take(size).collect())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::AppError;
    use sea_orm::{Database, DatabaseBackend, DbErr};
    use std::cell::RefCell;

    #[test]
    fn chunks_keep_the_order_and_the_last_one_is_short() {
        let out: Vec<Vec<i32>> = chunks((1..=7).collect(), 3).collect();
        assert_eq!(out, vec![vec![1, 2, 3], vec![4, 5, 6], vec![7]]);
        assert_eq!(chunks(Vec::<i32>::new(), 3).count(), 0);
    }

    fn sql(text: &str) -> AppResult<Statement> {
        Ok(Statement::from_string(DatabaseBackend::Sqlite, text))
    }

    #[tokio::test]
    async fn statements_run_in_order_and_each_answer_comes_after_the_next_was_built() {
        let db = Database::connect("sqlite::memory:").await.unwrap();
        let log = RefCell::new(Vec::new());
        let statements = [
            "CREATE TABLE t (n INTEGER)",
            "INSERT INTO t VALUES (1)",
            "INSERT INTO t SELECT n + 1 FROM t",
            "SELECT n FROM t ORDER BY n",
        ]
        .into_iter()
        .enumerate()
        .map(|(i, text)| {
            log.borrow_mut().push(format!("built {i}"));
            sql(text)
        });
        let mut answers = 0;
        run(&db, statements, |rows| {
            log.borrow_mut().push(format!("answer {answers}"));
            answers += 1;
            if !rows.is_empty() {
                let ns: Vec<i32> = rows.iter().map(|r| r.try_get("", "n").unwrap()).collect();
                assert_eq!(ns, [1, 2]);
            }
            Ok(())
        })
        .await
        .unwrap();
        assert_eq!(
            log.into_inner(),
            [
                "built 0", "built 1", "answer 0", "built 2", "answer 1", "built 3", "answer 2",
                "answer 3"
            ]
        );
    }

    /// The numbers in the test table, in order.
    async fn numbers(db: &sea_orm::DatabaseConnection) -> Vec<i32> {
        db.query_all_raw(sql("SELECT n FROM t ORDER BY n").unwrap())
            .await
            .unwrap()
            .iter()
            .map(|r| r.try_get("", "n").unwrap())
            .collect()
    }

    #[tokio::test]
    async fn the_first_failure_stops_the_rest() {
        let db = Database::connect("sqlite::memory:").await.unwrap();
        let statements = [
            sql("CREATE TABLE t (n INTEGER NOT NULL)"),
            sql("INSERT INTO t VALUES (NULL)"),
            sql("INSERT INTO t VALUES (1)"),
        ];
        assert!(run(&db, statements, |_| Ok(())).await.is_err());
        assert_eq!(
            numbers(&db).await,
            [0; 0],
            "the statement after the failed one did not run"
        );

        // A failure while building stops the pipeline too, after the statement in flight.
        let statements = [
            sql("INSERT INTO t VALUES (2)"),
            Err(AppError::from(DbErr::Custom("no statement".into()))),
            sql("INSERT INTO t VALUES (3)"),
        ];
        assert!(run(&db, statements, |_| Ok(())).await.is_err());
        assert_eq!(numbers(&db).await, [2]);
    }
}
