//! Writes: policy on every write, optimistic concurrency, history, audit, the change feed.

use crate::auth::token;
use crate::helpers::{Backend, TestApp, first_code, seeded_database};
use crate::on_both;
use serde_json::{Value, json};

/// POSTs a GraphQL operation with a token and returns the body (asserting HTTP 200).
pub async fn gql(app: &TestApp, token: Option<&str>, query: &str, variables: Value) -> Value {
    let (status, body) = app.send(token, query, variables).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// The code and version of an initiative `org` takes part in directly.
pub async fn initiative_of(app: &TestApp, org: &str) -> (String, i64) {
    let data = app
        .data("query($p: ID!) { initiatives(first: 1, filter: {party: $p}) { nodes { code version } } }", json!({ "p": org }))
        .await;
    let node = &data["initiatives"]["nodes"][0];
    (
        node["code"].as_str().unwrap().to_string(),
        node["version"].as_i64().unwrap(),
    )
}

const SET_STATUS: &str = "mutation($id: ID!, $s: InitiativeStatus!, $n: String, $at: DateTime, $v: Int) {
    setInitiativeStatus(id: $id, status: $s, note: $n, asOf: $at, expectedVersion: $v) { code status version } }";

on_both!(
    a_participant_reports_status_and_the_history_and_audit_keep_it,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        let editor = token("zilveren-kruis", "editor");
        let (code, version) = initiative_of(&app, "zilveren-kruis").await;
        let before = app
            .data(
                "query($c: String!) { initiative(ref: $c) { status } }",
                json!({ "c": code }),
            )
            .await["initiative"]["status"]
            .clone();
        let body = gql(&app, Some(&editor), SET_STATUS, json!({ "id": code, "s": "RUNNING", "n": "gestart", "at": "2026-03-01T00:00:00Z", "v": version })).await;
        assert!(body.get("errors").is_none(), "{body}");
        assert_eq!(body["data"]["setInitiativeStatus"]["version"], version + 1);
        let body = gql(
            &app,
            Some(&editor),
            SET_STATUS,
            json!({ "id": code, "s": "COMPLETED", "at": "2026-09-01T00:00:00Z" }),
        )
        .await;
        assert!(body.get("errors").is_none(), "{body}");
        let q = "query($c: String!) { initiative(ref: $c) { status
        statusHistory { from to note effectiveAt organisation { code } }
        early: statusAsOf(at: \"2026-01-01T00:00:00Z\") mid: statusAsOf(at: \"2026-05-01T00:00:00Z\") late: statusAsOf(at: \"2026-10-01T00:00:00Z\") } }";
        let i = app.data(q, json!({ "c": code })).await["initiative"].clone();
        assert_eq!(i["status"], "COMPLETED");
        let history = i["statusHistory"].as_array().unwrap();
        assert_eq!(history.len(), 2);
        assert_eq!(history[0]["to"], "running");
        assert_eq!(history[0]["note"], "gestart");
        assert_eq!(history[0]["organisation"]["code"], "zilveren-kruis");
        assert_eq!(
            (i["early"].clone(), i["mid"].clone(), i["late"].clone()),
            (before, json!("RUNNING"), json!("COMPLETED"))
        );
        // An older report never overwrites a newer one.
        let stale = gql(
            &app,
            Some(&editor),
            SET_STATUS,
            json!({ "id": code, "s": "STOPPED", "at": "2026-04-01T00:00:00Z" }),
        )
        .await;
        assert_eq!(first_code(&stale), "CONFLICT", "{stale}");
        let audit = gql(&app, Some(&editor), "query($c: ID!) { auditEntries(initiative: $c) { entries { operation organisation { code } changes { field before after withheld } } } }", json!({ "c": code })).await;
        let entries = audit["data"]["auditEntries"]["entries"].as_array().unwrap();
        assert_eq!(entries.len(), 2, "{audit}");
        assert_eq!(entries[0]["changes"][0]["field"], "status");
        assert_eq!(entries[0]["changes"][0]["after"], "running");
    }
);

on_both!(
    two_writers_with_the_same_version_give_one_conflict_and_no_lost_update,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        let editor = token("zilveren-kruis", "editor");
        let (code, version) = initiative_of(&app, "zilveren-kruis").await;
        let update = "mutation($id: ID!, $v: Int, $t: String) { updateInitiative(id: $id, expectedVersion: $v, input: {title: $t}) { title version } }";
        let (a, b) = tokio::join!(
            gql(
                &app,
                Some(&editor),
                update,
                json!({ "id": code, "v": version, "t": "Titel A" })
            ),
            gql(
                &app,
                Some(&editor),
                update,
                json!({ "id": code, "v": version, "t": "Titel B" })
            ),
        );
        let outcomes: Vec<&Value> = vec![&a, &b];
        let won: Vec<&&Value> = outcomes
            .iter()
            .filter(|r| r.get("errors").is_none())
            .collect();
        let lost: Vec<&&Value> = outcomes
            .iter()
            .filter(|r| r.get("errors").is_some())
            .collect();
        assert_eq!((won.len(), lost.len()), (1, 1), "{a}\n{b}");
        assert_eq!(first_code(lost[0]), "CONFLICT");
        assert_eq!(
            lost[0]["errors"][0]["extensions"]["currentVersion"],
            version + 1
        );
        let winner = won[0]["data"]["updateInitiative"]["title"].clone();
        let now = app
            .data(
                "query($c: String!) { initiative(ref: $c) { title version } }",
                json!({ "c": code }),
            )
            .await;
        assert_eq!(now["initiative"]["title"], winner);
        assert_eq!(now["initiative"]["version"], version + 1);
    }
);

on_both!(
    every_cross_organisation_write_attempt_is_denied,
    |backend| async move {
        let url = seeded_database(backend).await;
        let app = TestApp::spawn_on(backend, url).await;
        let (code, version) = initiative_of(&app, "zilveren-kruis").await;
        let parties = app.data("query($c: ID!) { parties(first: 500, filter: {initiative: $c}) { nodes { code } } }", json!({ "c": code })).await;
        let inside: Vec<String> = parties["parties"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["code"].as_str().unwrap().to_string())
            .collect();
        let goal = app.data("{ goals(first: 1, filter: {agenda: \"sa-ijssel-vecht-2021\"}) { nodes { code } } }", json!({})).await["goals"]["nodes"][0]["code"].clone();
        let writes = [
            (
                "update title",
                "mutation($id: ID!) { updateInitiative(id: $id, input: {title: \"X\"}) { version } }",
            ),
            (
                "set budget",
                "mutation($id: ID!) { updateInitiative(id: $id, input: {budgetEur: 1}) { version } }",
            ),
            (
                "set status",
                "mutation($id: ID!) { setInitiativeStatus(id: $id, status: STOPPED) { version } }",
            ),
            ("delete", "mutation($id: ID!) { deleteInitiative(id: $id) }"),
            (
                "add party",
                "mutation($id: ID!) { addInitiativeParty(initiative: $id, party: \"vgz\", role: PARTICIPANT) { version } }",
            ),
            (
                "link theme",
                "mutation($id: ID!) { linkInitiativeTheme(initiative: $id, theme: \"jeugd\") { version } }",
            ),
        ];
        let outsiders = [
            "vgz",
            "gemeente-bunnik",
            "categorie-huisartsen",
            "ggd-gooi-en-vechtstreek",
        ];
        let mut attempts = 0;
        for org in outsiders
            .iter()
            .filter(|o| !inside.contains(&o.to_string()))
        {
            for role in ["viewer", "editor", "coordinator"] {
                let t = token(org, role);
                for (what, mutation) in writes {
                    attempts += 1;
                    let body = gql(&app, Some(&t), mutation, json!({ "id": code })).await;
                    assert_eq!(
                        first_code(&body),
                        "FORBIDDEN",
                        "{org} as {role}: {what}: {body}"
                    );
                }
            }
        }
        // A participant with only a viewer role may not write either, and nobody anonymous.
        for (what, mutation) in writes {
            attempts += 2;
            let body = gql(
                &app,
                Some(&token("zilveren-kruis", "viewer")),
                mutation,
                json!({ "id": code }),
            )
            .await;
            assert_eq!(first_code(&body), "FORBIDDEN", "viewer: {what}");
            let body = gql(&app, None, mutation, json!({ "id": code })).await;
            assert_eq!(first_code(&body), "UNAUTHENTICATED", "anonymous: {what}");
        }
        // Both ends: a participant may not link its initiative to a goal of another region.
        attempts += 1;
        let body = gql(&app, Some(&token("zilveren-kruis", "editor")), "mutation($id: ID!, $g: ID!) { linkInitiativeGoal(initiative: $id, goal: $g) { version } }", json!({ "id": code, "g": goal })).await;
        let same_region = app
            .data(
                "query($c: String!) { initiative(ref: $c) { agenda { code } } }",
                json!({ "c": code }),
            )
            .await["initiative"]["agenda"]["code"]
            == "sa-ijssel-vecht-2021";
        if !same_region {
            assert_eq!(first_code(&body), "FORBIDDEN", "{body}");
        }
        eprintln!("write matrix ({backend:?}): {attempts} denied attempts");
        let after = app
            .data(
                "query($c: String!) { initiative(ref: $c) { version } }",
                json!({ "c": code }),
            )
            .await;
        assert_eq!(
            after["initiative"]["version"], version,
            "nothing was written"
        );
    }
);

on_both!(
    a_write_cannot_move_an_initiative_out_of_the_writers_reach,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        // The RSO's region, or the larger region it lies in, holds the agendas it coordinates.
        let rso = app.data("{ parties(first: 50, filter: {regionRole: RSO}) { nodes { code regions(role: RSO) { region { code agendas { code } parent { code agendas { code } } } } } } }", json!({})).await;
        let rso = rso["parties"]["nodes"]
            .as_array()
            .unwrap()
            .first()
            .expect("an RSO in the bundled data")
            .clone();
        let org = rso["code"].as_str().unwrap().to_string();
        let home = &rso["regions"][0]["region"];
        let with_agendas = if home["agendas"].as_array().unwrap().is_empty() {
            &home["parent"]
        } else {
            home
        };
        let region = with_agendas["code"]
            .as_str()
            .expect("the RSO's region or its parent has agendas")
            .to_string();
        let list = app.data("query($r: ID!) { initiatives(first: 500, filter: {region: $r}) { nodes { code parties { party { code } } } } }", json!({ "r": region })).await;
        let target = list["initiatives"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| {
                !n["parties"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|p| p["party"]["code"] == org.as_str())
            })
            .expect("an initiative of the region the RSO does not take part in")["code"]
            .as_str()
            .unwrap()
            .to_string();
        let coordinator = token(&org, "coordinator");
        let update = "mutation($id: ID!, $vis: Visibility) { updateInitiative(id: $id, input: {visibility: $vis}) { visibility version } }";
        let ok = gql(
            &app,
            Some(&coordinator),
            update,
            json!({ "id": target, "vis": "REGION" }),
        )
        .await;
        assert!(
            ok.get("errors").is_none(),
            "the coordinator edits its region's initiative: {ok}"
        );
        let refused = gql(
            &app,
            Some(&coordinator),
            update,
            json!({ "id": target, "vis": "PARTICIPANTS" }),
        )
        .await;
        assert_eq!(first_code(&refused), "FORBIDDEN", "{refused}");
        let now = app
            .data_with(
                Some(&coordinator),
                &format!("{{ initiative(ref: \"{target}\") {{ visibility }} }}"),
            )
            .await;
        assert_eq!(
            now["initiative"]["visibility"], "REGION",
            "the refused write left nothing behind"
        );
    }
);

on_both!(
    the_audit_withholds_what_the_caller_may_not_read,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        let editor = token("zilveren-kruis", "editor");
        let (code, _) = initiative_of(&app, "zilveren-kruis").await;
        let body = gql(&app, Some(&editor), "mutation($id: ID!) { updateInitiative(id: $id, input: {budgetEur: 125000, title: \"Nieuwe titel\"}) { version } }", json!({ "id": code })).await;
        assert!(body.get("errors").is_none(), "{body}");
        let q = "query($c: ID!) { auditEntries(initiative: $c) { entries { changes { field before after withheld } } } }";
        let fields = |body: &Value| {
            body["data"]["auditEntries"]["entries"][0]["changes"]
                .as_array()
                .unwrap()
                .clone()
        };
        let insider = fields(&gql(&app, Some(&editor), q, json!({ "c": code })).await);
        let budget = insider.iter().find(|c| c["field"] == "budgetEur").unwrap();
        assert_eq!(
            (budget["after"].clone(), budget["withheld"].clone()),
            (json!(125000), json!(false))
        );
        let outsider_body = gql(
            &app,
            Some(&token("categorie-huisartsen", "viewer")),
            q,
            json!({ "c": code }),
        )
        .await;
        let outsider = fields(&outsider_body);
        let budget = outsider.iter().find(|c| c["field"] == "budgetEur").unwrap();
        assert_eq!(
            (budget["after"].clone(), budget["withheld"].clone()),
            (Value::Null, json!(true))
        );
        let title = outsider.iter().find(|c| c["field"] == "title").unwrap();
        assert_eq!(title["after"], "Nieuwe titel");
        let anonymous = gql(&app, None, q, json!({ "c": code })).await;
        assert_eq!(first_code(&anonymous), "UNAUTHENTICATED");
    }
);

on_both!(
    the_change_feed_read_during_concurrent_writes_misses_nothing,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        let editor = token("zilveren-kruis", "editor");
        let list = app.data("{ initiatives(first: 500, filter: {party: \"zilveren-kruis\"}) { nodes { code } } }", json!({})).await;
        let codes: Vec<String> = list["initiatives"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .take(6)
            .map(|n| n["code"].as_str().unwrap().to_string())
            .collect();
        assert!(codes.len() >= 4);
        let start = gql(
            &app,
            Some(&editor),
            "{ changes(first: 1000) { endCursor } }",
            json!({}),
        )
        .await["data"]["changes"]["endCursor"]
            .clone();
        let rounds = 8;
        let writers = codes.iter().map(|code| {
        let app = &app;
        let editor = &editor;
        async move {
            for round in 0..rounds {
                let body = gql(app, Some(editor), "mutation($id: ID!, $t: String) { updateInitiative(id: $id, input: {timeline: $t}) { version } }", json!({ "id": code, "t": format!("ronde {round}") })).await;
                assert!(body.get("errors").is_none(), "{body}");
            }
        }
    });
        let reader = async {
            let mut cursor = start.clone();
            let mut seen = Vec::new();
            for _ in 0..40 {
                let page = gql(&app, Some(&editor), "query($a: String) { changes(after: $a, first: 7) { events { recordId operation } endCursor } }", json!({ "a": cursor })).await;
                seen.extend(
                    page["data"]["changes"]["events"]
                        .as_array()
                        .unwrap()
                        .clone(),
                );
                cursor = page["data"]["changes"]["endCursor"].clone();
                tokio::time::sleep(std::time::Duration::from_millis(15)).await;
            }
            (seen, cursor)
        };
        let (_, (mut seen, mut cursor)) =
            tokio::join!(futures_util::future::join_all(writers), reader);
        let mut waited = 0;
        loop {
            let page = gql(&app, Some(&editor), "query($a: String) { changes(after: $a, first: 50) { events { recordId operation } endCursor hasMore } }", json!({ "a": cursor })).await;
            let events = page["data"]["changes"]["events"]
                .as_array()
                .unwrap()
                .clone();
            cursor = page["data"]["changes"]["endCursor"].clone();
            let idle = events.is_empty();
            seen.extend(events);
            // The feed shows a transaction once every older one in the cluster has ended
            // (other tests run long ones): wait for the rest rather than stop at a pause.
            if seen.len() >= codes.len() * rounds || (idle && waited >= 200) {
                break;
            }
            if idle {
                waited += 1;
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
        assert_eq!(
            seen.len(),
            codes.len() * rounds,
            "every write appears exactly once in the feed"
        );
        assert!(seen.iter().all(|e| e["operation"] == "UPSERT"));
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_feed_cursor_that_is_not_one_is_bad_input() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let body = gql(
        &app,
        None,
        "{ changes(after: \"nope\") { endCursor } }",
        json!({}),
    )
    .await;
    assert_eq!(first_code(&body), "BAD_USER_INPUT");
    // A kind of record that does not exist is a mistake, not an empty feed.
    let body = gql(
        &app,
        None,
        "{ changes(types: [\"initiative\", \"initiatives\"]) { endCursor } }",
        json!({}),
    )
    .await;
    assert_eq!(first_code(&body), "BAD_USER_INPUT", "{body}");
    assert_eq!(body["errors"][0]["extensions"]["field"], "types", "{body}");
    let body = gql(
        &app,
        None,
        "{ changes(types: [\"initiative\", \"goal\"]) { endCursor } }",
        json!({}),
    )
    .await;
    assert!(body.get("errors").is_none(), "{body}");
}

on_both!(
    a_status_change_takes_a_statement_for_the_row_and_one_for_the_write,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        let editor = token("zilveren-kruis", "editor");
        // Read with the same token, so the caller's relations are cached as in steady use.
        let data = gql(
            &app,
            Some(&editor),
            "query($p: ID!) { initiatives(first: 1, filter: {party: $p}) { nodes { id version } } }",
            json!({ "p": "zilveren-kruis" }),
        )
        .await["data"]
            .clone();
        let id = data["initiatives"]["nodes"][0]["id"].clone();
        let version = data["initiatives"]["nodes"][0]["version"].as_i64().unwrap();
        let before = app.statements.get();
        let body = gql(
            &app,
            Some(&editor),
            SET_STATUS,
            json!({ "id": id, "s": "STOPPED", "v": version }),
        )
        .await;
        let statements = app.statements.get() - before;
        assert!(body.get("errors").is_none(), "{body}");
        // The initiative, and the write with its journal: on PostgreSQL one statement outside
        // any transaction (the organisation is kept there); on SQLite the organisation and a
        // transaction of the UPDATE, the audit entry, the history row and the feed event
        // (BEGIN and COMMIT are not counted).
        let bound = match backend {
            Backend::Postgres => 2,
            Backend::Sqlite => 6,
        };
        assert_eq!(statements, bound, "statements for one status change");
        let history = app
            .data(
                "query($id: ID!) { node(id: $id) { ... on Initiative { statusHistory { to } } } }",
                json!({ "id": id }),
            )
            .await;
        assert_eq!(
            history["node"]["statusHistory"][0]["to"], "stopped",
            "{history}"
        );
    }
);

on_both!(
    a_guarded_write_that_finds_its_row_changed_writes_nothing_of_its_journal,
    |backend| async move {
        use entity::initiative;
        use regiograaf::write::Actor;
        use regiograaf::write::batches::{Batches, GuardedWrite};
        use regiograaf::write::guarded::Row;
        use regiograaf::write::journal::{Entry, Journal};
        use sea_orm::{ConnectionTrait, Database, Statement};

        let url = seeded_database(backend).await;
        let db = Database::connect(&url).await.unwrap();
        let count = |table: &'static str| {
            let db = db.clone();
            async move {
                let row = db
                    .query_one_raw(Statement::from_string(
                        db.get_database_backend(),
                        format!("SELECT COUNT(*) AS n FROM {table}"),
                    ))
                    .await
                    .unwrap()
                    .unwrap();
                row.try_get::<i64>("", "n").unwrap()
            }
        };
        let journal_rows = || async {
            (
                count("audit_entry").await,
                count("change_event").await,
                count("status_change").await,
            )
        };
        let guarded = |version: i32| Row {
            id: 1,
            version_read: version,
            values: vec!["Nieuwe titel".into()],
        };
        let journal = || {
            let mut journal = Journal::default();
            let actor = Actor::default();
            let now = chrono::Utc::now();
            journal.history(
                &actor,
                now,
                1,
                "status",
                None,
                Some("running".into()),
                None,
                now,
            );
            journal.record(
                &actor,
                now,
                Entry {
                    operation: "update",
                    entity: "initiative",
                    record_id: 1,
                    initiative_id: Some(1),
                    agenda_id: None,
                    changes: serde_json::Map::new(),
                },
            );
            (journal, now)
        };
        // The way a single change is written: on PostgreSQL one statement (batched with
        // others), on SQLite a transaction.
        let batches = Batches::new(db.clone(), regiograaf::db::StatementCounter::default());
        let write = |version: i32| {
            let (journal, at) = journal();
            batches.write(GuardedWrite {
                columns: vec![initiative::Column::Title],
                row: guarded(version),
                journal,
                at,
            })
        };
        let start = journal_rows().await;
        assert!(!write(-1).await.unwrap());
        assert_eq!(journal_rows().await, start, "a lost race leaves no journal");
        let version = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT version FROM initiative WHERE id = 1",
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get::<i32>("", "version")
            .unwrap();
        assert!(write(version).await.unwrap());
        assert_eq!(
            journal_rows().await,
            (start.0 + 1, start.1 + 1, start.2 + 1),
            "a won race writes its audit entry, feed event and history row"
        );
    }
);

on_both!(
    single_writes_made_at_once_share_statements_and_each_keeps_its_journal,
    |backend| async move {
        use entity::initiative;
        use regiograaf::write::Actor;
        use regiograaf::write::batches::{Batches, GuardedWrite};
        use regiograaf::write::guarded::Row;
        use regiograaf::write::journal::{Entry, Journal};
        use sea_orm::{ConnectionTrait, Statement};

        let url = seeded_database(backend).await;
        let db = regiograaf::db::connect(&url).await.unwrap();
        let conn = db.conn.clone();
        let audits = || async {
            conn.query_one_raw(Statement::from_string(
                conn.get_database_backend(),
                "SELECT COUNT(*) AS n FROM audit_entry WHERE request_id LIKE 'batch-%'",
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get::<i64>("", "n")
            .unwrap()
        };
        // Eight changes of initiatives 1..=4, two of each: the second of a row goes in a
        // later statement (PostgreSQL changes a row once per statement) and, planned on the
        // same version, finds the row changed and writes nothing. Two more, of initiatives 5
        // and 6, change other columns and go in a statement of their own.
        let batches = Batches::new(db.conn.clone(), db.statements.clone());
        let writes = (0..10).map(|n| {
            let (columns, row) = if n < 8 {
                let row = n % 4 + 1;
                let columns = vec![initiative::Column::Title, initiative::Column::Version];
                let values = vec![format!("Titel {n}").into(), 2.into()];
                (columns, (row, values))
            } else {
                let row = n - 3;
                (vec![initiative::Column::Version], (row, vec![2.into()]))
            };
            let (row, values) = row;
            let actor = Actor {
                request_id: Some(format!("batch-{n}")),
                ..Default::default()
            };
            let at = chrono::Utc::now();
            let mut journal = Journal::default();
            journal.record(
                &actor,
                at,
                Entry {
                    operation: "update",
                    entity: "initiative",
                    record_id: row,
                    initiative_id: Some(row),
                    agenda_id: None,
                    changes: serde_json::Map::new(),
                },
            );
            batches.write(GuardedWrite {
                columns,
                row: Row {
                    id: row,
                    version_read: 1,
                    values,
                },
                journal,
                at,
            })
        });
        let before = db.statements.get();
        let wrote: Vec<bool> = futures_util::future::join_all(writes)
            .await
            .into_iter()
            .map(Result::unwrap)
            .collect();
        let statements = db.statements.get() - before;
        eprintln!("statements ({backend:?}): {statements} for 10 guarded writes");
        assert_eq!(
            audits().await,
            6,
            "a journal for each write that landed, no other"
        );
        assert!(wrote[8] && wrote[9], "{wrote:?}");
        let titles = conn
            .query_all_raw(Statement::from_string(
                conn.get_database_backend(),
                "SELECT title FROM initiative WHERE id <= 4 ORDER BY id",
            ))
            .await
            .unwrap();
        for (row, title) in titles.iter().enumerate() {
            let title: String = title.try_get("", "title").unwrap();
            let landed: Vec<usize> = [row, row + 4].into_iter().filter(|n| wrote[*n]).collect();
            assert_eq!(
                landed.len(),
                1,
                "one write of row {} lands: {wrote:?}",
                row + 1
            );
            assert_eq!(title, format!("Titel {}", landed[0]));
        }
        if backend == Backend::Postgres {
            // Unbatched, these would be ten statements.
            assert!(
                statements <= 4,
                "{statements} statements for 10 writes at once"
            );
        }
    }
);

on_both!(
    writers_without_an_expected_version_all_land_one_after_the_other,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        let editor = token("zilveren-kruis", "editor");
        let (code, version) = initiative_of(&app, "zilveren-kruis").await;
        let update = "mutation($id: ID!, $t: String) { updateInitiative(id: $id, input: {title: $t}) { title version } }";
        // Four at once: each may find the row changed by the others between its read and its
        // write, at most three times, and is then planned again rather than refused.
        let writes = (0..4).map(|n| {
            gql(
                &app,
                Some(&editor),
                update,
                json!({ "id": code, "t": format!("Titel {n}") }),
            )
        });
        let bodies = futures_util::future::join_all(writes).await;
        for body in &bodies {
            assert!(body.get("errors").is_none(), "{body}");
        }
        let mut versions: Vec<i64> = bodies
            .iter()
            .map(|b| b["data"]["updateInitiative"]["version"].as_i64().unwrap())
            .collect();
        versions.sort();
        assert_eq!(versions, (1..=4).map(|n| version + n).collect::<Vec<_>>());
        let audit = gql(
            &app,
            Some(&editor),
            "query($c: ID!) { auditEntries(initiative: $c) { entries { operation } } }",
            json!({ "c": code }),
        )
        .await;
        let entries = audit["data"]["auditEntries"]["entries"].as_array().unwrap();
        assert_eq!(entries.len(), 4, "one audit entry per write: {audit}");
    }
);
