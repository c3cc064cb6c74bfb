//! The response cache (`http/response_cache.rs`): a query asked again by the same caller is
//! answered without executing it, never after a write, and never to another caller.

use crate::auth::token;
use crate::helpers::{Backend, TestApp, first_code};
use crate::on_both;
use serde_json::{Value, json};

/// The statements the service ran for one request.
async fn statements_of(
    app: &TestApp,
    token: Option<&str>,
    query: &str,
    variables: Value,
) -> (u64, Value) {
    let before = app.statements.get();
    let (status, body) = app.send(token, query, variables).await;
    assert_eq!(status, 200, "{body}");
    (app.statements.get() - before, body)
}

const STATUS: &str = "query($ref: ID!) { initiative(ref: $ref) { code status version } }";
const CODE: &str = "regioplan-kennemerland-2023/netwerk-dashboard";

on_both!(
    a_query_asked_again_is_answered_without_executing_it_until_a_write,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        let viewer = token("ggd-kennemerland", "viewer");
        let vars = json!({ "ref": CODE });
        let (first, before) = statements_of(&app, Some(&viewer), STATUS, vars.clone()).await;
        let (again, same) = statements_of(&app, Some(&viewer), STATUS, vars.clone()).await;
        assert_eq!(before, same);
        // Nothing runs but, on SQLite, the organisation's lookup (kept on PostgreSQL, where
        // the database reports every change to it).
        assert!(first > again, "{first} statements, then {again}");
        let lookups = match backend {
            Backend::Postgres => 0,
            Backend::Sqlite => 1,
        };
        assert_eq!(again, lookups, "statements for an answer from the cache");
        // Other variables are another question.
        let other = json!({ "ref": "regioplan-kennemerland-2023/netwerk-dashboard-x" });
        let (_, body) = app.send(Some(&viewer), STATUS, other).await;
        assert_eq!(body["data"]["initiative"], Value::Null, "{body}");
        // A write through the service: the next answer shows it.
        let editor = token("zilveren-kruis", "admin");
        let (_, written) = app.send(Some(&editor),
            "mutation($id: ID!) { setInitiativeStatus(id: $id, status: STOPPED) { status version } }",
            json!({ "id": before["data"]["initiative"]["code"] }),
        )
        .await;
        assert!(written.get("errors").is_none(), "{written}");
        let (_, after) = app.send(Some(&viewer), STATUS, vars).await;
        assert_eq!(after["data"]["initiative"]["status"], "STOPPED", "{after}");
        assert_eq!(
            after["data"]["initiative"]["version"],
            written["data"]["setInitiativeStatus"]["version"]
        );
    }
);

on_both!(
    an_answer_is_only_given_again_to_the_caller_that_asked,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        // `budgetEur` is for the initiative's parties: a party gets it, another does not,
        // even right after the party's answer was kept.
        let query = format!("{{ initiative(ref: \"{CODE}\") {{ budgetEur }} }}");
        let party = token("zorgbalans", "viewer");
        let outsider = token("ggd-kennemerland", "viewer");
        for _ in 0..2 {
            let (_, body) = app.send(Some(&party), &query, json!({})).await;
            assert!(body.get("errors").is_none(), "{body}");
        }
        let (_, body) = app.send(Some(&outsider), &query, json!({})).await;
        assert_eq!(first_code(&body), "FORBIDDEN", "{body}");
        assert_eq!(body["data"]["initiative"]["budgetEur"], Value::Null);
        let (_, body) = app.send(None, &query, json!({})).await;
        assert_eq!(first_code(&body), "FORBIDDEN", "{body}");
    }
);

on_both!(
    an_answer_from_the_cache_is_charged_to_the_cost_budget,
    |backend| async move {
        let limits = regiograaf::limits::Limits {
            requests_per_minute: 1_000_000,
            burst: 100_000,
            cost_per_minute: 1,
            cost_burst: 30,
            ..Default::default()
        };
        let app = TestApp::spawn_with_limits(backend, limits).await;
        let viewer = token("ggd-kennemerland", "viewer");
        let vars = json!({ "ref": CODE });
        let mut refused = None;
        for attempt in 0..20 {
            let (status, body) = app.send(Some(&viewer), STATUS, vars.clone()).await;
            if status == 429 {
                refused = Some((attempt, body));
                break;
            }
            assert!(body.get("errors").is_none(), "{body}");
        }
        let (attempt, body) =
            refused.expect("the budget runs out though answers come from the cache");
        assert!(attempt >= 2, "refused at attempt {attempt}");
        assert_eq!(first_code(&body), "RATE_LIMITED", "{body}");
    }
);

on_both!(
    with_the_cache_off_every_query_executes,
    |backend| async move {
        let limits = regiograaf::limits::Limits {
            response_cache_bytes: 0,
            ..Default::default()
        };
        let app = TestApp::spawn_with_limits(backend, limits).await;
        let viewer = token("ggd-kennemerland", "viewer");
        let vars = json!({ "ref": CODE });
        let (first, _) = statements_of(&app, Some(&viewer), STATUS, vars.clone()).await;
        let (again, _) = statements_of(&app, Some(&viewer), STATUS, vars).await;
        assert!(
            again > 1 && again + 1 >= first,
            "{first} statements, then {again}"
        );
    }
);

// On PostgreSQL a write through one instance makes the answers of every instance stale
// (NOTIFY regiograaf_changes).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_through_another_instance_makes_answers_stale() {
    let url = crate::helpers::seeded_database(Backend::Postgres).await;
    let a = TestApp::spawn_on(Backend::Postgres, url.clone()).await;
    let b = TestApp::spawn_on(Backend::Postgres, url).await;
    let viewer = token("ggd-kennemerland", "viewer");
    let vars = json!({ "ref": CODE });
    for _ in 0..2 {
        let (_, body) = b.send(Some(&viewer), STATUS, vars.clone()).await;
        assert_ne!(body["data"]["initiative"]["status"], "STOPPED", "{body}");
    }
    let admin = token("zilveren-kruis", "admin");
    let (_, written) = a
        .send(
            Some(&admin),
            "mutation($id: ID!) { setInitiativeStatus(id: $id, status: STOPPED) { status } }",
            json!({ "id": CODE }),
        )
        .await;
    assert!(written.get("errors").is_none(), "{written}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
    loop {
        let (_, body) = b.send(Some(&viewer), STATUS, vars.clone()).await;
        if body["data"]["initiative"]["status"] == "STOPPED" {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "instance B still answers {body} 3 s after the write"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

on_both!(
    a_kept_answer_goes_gzipped_to_clients_that_take_gzip,
    |backend| async move {
        use std::io::Read;
        let app = TestApp::spawn(backend).await;
        let query = "{ initiatives(first: 50) { nodes { code title themes { name } } } }";
        let send = |encoding: &'static str| {
            app.client
                .post(format!("{}/graphql", app.url))
                .header("content-type", "application/json")
                .header("accept-encoding", encoding)
                .json(&json!({ "query": query }))
                .send()
        };
        let first = send("identity").await.unwrap();
        assert!(first.headers().get("content-encoding").is_none());
        let plain = first.bytes().await.unwrap();
        for _ in 0..2 {
            let again = send("gzip, deflate").await.unwrap();
            assert_eq!(again.status(), 200);
            assert_eq!(again.headers()["content-encoding"], "gzip");
            let packed = again.bytes().await.unwrap();
            assert!(
                packed.len() * 4 < plain.len(),
                "{} of {}",
                packed.len(),
                plain.len()
            );
            let mut unpacked = Vec::new();
            flate2::read::GzDecoder::new(&packed[..])
                .read_to_end(&mut unpacked)
                .unwrap();
            assert_eq!(unpacked, plain);
        }
        // A client that refuses gzip gets the body as it is.
        let refused = send("gzip;q=0").await.unwrap();
        assert!(refused.headers().get("content-encoding").is_none());
        assert_eq!(refused.bytes().await.unwrap(), plain);
    }
);
