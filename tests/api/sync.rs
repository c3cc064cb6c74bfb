//! Partner sync: outcomes per item, idempotent replays, stale reports, all or nothing.

use crate::auth::token;
use crate::helpers::{Backend, TestApp, first_code, seeded_database, start_binary};
use crate::on_both;
use crate::writes::gql;
use serde_json::{Value, json};

const SYNC: &str = "mutation($items: [SyncInitiativeInput!]!, $key: String, $match: SyncMatch, $dry: Boolean) {
    syncInitiatives(items: $items, idempotencyKey: $key, matchBy: $match, dryRun: $dry) {
        created updated unchanged refused dryRun replayed
        items { index externalRef outcome initiativeId version errors { code field message currentVersion } } } }";

/// An initiative `org` takes part in, and one it does not, both as codes.
async fn inside_and_outside(app: &TestApp, org: &str) -> (String, String, String) {
    let data = app
        .data("query($p: ID!) { mine: initiatives(first: 1, filter: {party: $p}) { nodes { code agenda { code } } } all: initiatives(first: 500) { nodes { code parties { party { code } } } } }", json!({ "p": org }))
        .await;
    let mine = data["mine"]["nodes"][0]["code"]
        .as_str()
        .unwrap()
        .to_string();
    let agenda = data["mine"]["nodes"][0]["agenda"]["code"]
        .as_str()
        .unwrap()
        .to_string();
    let other = data["all"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| {
            !n["parties"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["party"]["code"] == org)
        })
        .unwrap()["code"]
        .as_str()
        .unwrap()
        .to_string();
    (mine, other, agenda)
}

fn outcomes(body: &Value) -> Vec<String> {
    body["data"]["syncInitiatives"]["items"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .map(|i| i["outcome"].as_str().unwrap().to_string())
        .collect()
}

on_both!(each_item_gets_its_own_outcome, |backend| async move {
    let app = TestApp::spawn(backend).await;
    let editor = token("zilveren-kruis", "editor");
    let (mine, other, agenda) = inside_and_outside(&app, "zilveren-kruis").await;
    let items = json!([
        { "externalRef": "zk-1", "code": mine, "status": "RUNNING", "progressNotes": "op koers", "asOf": "2026-06-01T00:00:00Z" },
        { "externalRef": "zk-2", "code": format!("{agenda}/nieuw-uit-sync"), "agenda": agenda, "title": "Nieuw uit het bronsysteem", "status": "PLANNED" },
        { "externalRef": "zk-3", "code": other, "status": "STOPPED" },
        { "externalRef": "zk-4", "status": "RUNNING" },
        { "externalRef": "zk-1", "status": "RUNNING" },
        { "externalRef": "zk-5", "code": format!("{agenda}/slechte-datum"), "agenda": agenda, "title": "Datum", "starts": "2026-Q9" },
    ]);
    let body = gql(
        &app,
        Some(&editor),
        SYNC,
        json!({ "items": items, "match": "CODE" }),
    )
    .await;
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(
        outcomes(&body),
        [
            "UPDATED",
            "CREATED",
            "FORBIDDEN",
            "INVALID",
            "INVALID",
            "INVALID"
        ]
    );
    let result = &body["data"]["syncInitiatives"];
    assert_eq!(
        (
            result["created"].clone(),
            result["updated"].clone(),
            result["refused"].clone()
        ),
        (json!(1), json!(1), json!(4))
    );
    assert_eq!(result["items"][5]["errors"][0]["field"], "items.5.starts");
    assert_eq!(result["items"][2]["errors"][0]["code"], "FORBIDDEN");
    // The reference is remembered: the same state again is UNCHANGED, an older one a CONFLICT.
    let again = json!([
        { "externalRef": "zk-1", "status": "RUNNING", "progressNotes": "op koers", "asOf": "2026-06-02T00:00:00Z" },
        { "externalRef": "zk-2", "status": "PLANNED" },
        { "externalRef": "zk-1-old", "code": mine, "status": "IDEA", "asOf": "2026-01-01T00:00:00Z" },
    ]);
    let body = gql(
        &app,
        Some(&editor),
        SYNC,
        json!({ "items": again, "match": "CODE" }),
    )
    .await;
    assert_eq!(
        outcomes(&body),
        ["UNCHANGED", "UNCHANGED", "CONFLICT"],
        "{body}"
    );
    let now = app
        .data_with(
            Some(&editor),
            &format!("{{ initiative(ref: \"{mine}\") {{ status progressNotes }} }}"),
        )
        .await;
    assert_eq!(
        now["initiative"],
        json!({ "status": "RUNNING", "progressNotes": "op koers" })
    );
});

on_both!(
    a_replayed_idempotency_key_applies_nothing,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        let editor = token("zilveren-kruis", "editor");
        let (mine, _, _) = inside_and_outside(&app, "zilveren-kruis").await;
        let items = json!([{ "externalRef": "r-1", "code": mine, "status": "RUNNING" }]);
        let first = gql(
            &app,
            Some(&editor),
            SYNC,
            json!({ "items": items, "key": "sync-2026-11-23", "match": "CODE" }),
        )
        .await;
        assert_eq!(outcomes(&first), ["UPDATED"]);
        let version = first["data"]["syncInitiatives"]["items"][0]["version"].clone();
        // Someone else changes it in between; the replay must not undo that.
        let body = gql(
            &app,
            Some(&editor),
            "mutation($id: ID!) { setInitiativeStatus(id: $id, status: COMPLETED) { version } }",
            json!({ "id": mine }),
        )
        .await;
        assert!(body.get("errors").is_none(), "{body}");
        let replay = gql(
            &app,
            Some(&editor),
            SYNC,
            json!({ "items": items, "key": "sync-2026-11-23", "match": "CODE" }),
        )
        .await;
        assert_eq!(replay["data"]["syncInitiatives"]["replayed"], true);
        assert_eq!(outcomes(&replay), ["UPDATED"], "the stored result");
        assert_eq!(
            replay["data"]["syncInitiatives"]["items"][0]["version"],
            version
        );
        let now = app
            .data(
                &format!("{{ initiative(ref: \"{mine}\") {{ status }} }}"),
                json!({}),
            )
            .await;
        assert_eq!(
            now["initiative"]["status"], "COMPLETED",
            "the replay applied nothing"
        );
        // The same key with other items is a mistake: refused, not answered with the old
        // result (the new items would be lost), and nothing is applied.
        let reused = gql(
            &app,
            Some(&editor),
            SYNC,
            json!({ "items": [{ "externalRef": "r-1", "code": mine, "status": "STOPPED" }], "key": "sync-2026-11-23", "match": "CODE" }),
        )
        .await;
        assert_eq!(first_code(&reused), "BAD_USER_INPUT", "{reused}");
        assert_eq!(
            reused["errors"][0]["extensions"]["field"], "idempotencyKey",
            "{reused}"
        );
        let now = app
            .data(
                &format!("{{ initiative(ref: \"{mine}\") {{ status }} }}"),
                json!({}),
            )
            .await;
        assert_eq!(now["initiative"]["status"], "COMPLETED");
        // The key belongs to the organisation: another one can use the same key.
        let other = gql(
            &app,
            Some(&token("vgz", "editor")),
            SYNC,
            json!({ "items": [], "key": "sync-2026-11-23" }),
        )
        .await;
        assert_eq!(other["data"]["syncInitiatives"]["replayed"], false);
    }
);

on_both!(a_dry_run_writes_nothing, |backend| async move {
    let app = TestApp::spawn(backend).await;
    let editor = token("zilveren-kruis", "editor");
    let (mine, _, agenda) = inside_and_outside(&app, "zilveren-kruis").await;
    let items = json!([
        { "externalRef": "d-1", "code": mine, "status": "STOPPED" },
        { "externalRef": "d-2", "code": format!("{agenda}/droog"), "agenda": agenda, "title": "Droog" },
    ]);
    let body = gql(
        &app,
        Some(&editor),
        SYNC,
        json!({ "items": items, "match": "CODE", "dry": true }),
    )
    .await;
    assert_eq!(outcomes(&body), ["UPDATED", "CREATED"]);
    assert_eq!(body["data"]["syncInitiatives"]["dryRun"], true);
    let after = app.data(&format!("{{ a: initiative(ref: \"{mine}\") {{ status }} b: initiative(ref: \"{agenda}/droog\") {{ code }} }}"), json!({})).await;
    assert_ne!(after["a"]["status"], "STOPPED");
    assert!(after["b"].is_null());
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_items_than_the_limit_are_refused_whole() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let items: Vec<Value> = (0..10_001)
        .map(|i| json!({ "externalRef": format!("x-{i}") }))
        .collect();
    let body = gql(
        &app,
        Some(&token("zilveren-kruis", "editor")),
        SYNC,
        json!({ "items": items }),
    )
    .await;
    assert_eq!(first_code(&body), "BAD_USER_INPUT");
    assert_eq!(body["errors"][0]["extensions"]["field"], "items");
}

on_both!(
    a_sync_killed_midway_leaves_all_or_none_of_its_items,
    |backend| async move {
        let url = seeded_database(backend).await;
        let dir = crate::helpers::Scratch::new(&format!("kill-{backend:?}"));
        let config = dir.join("auth.yaml");
        std::fs::write(&config, format!("anonymous: public\nissuers:\n  - issuer: regiograaf-dev\n    audience: regiograaf\n    keys:\n      - {{ hs256_secret: \"{}\" }}\n", regiograaf::auth::config::DEV_SECRET)).unwrap();
        let (mut child, base) = start_binary(&url, &config).await;
        let agenda = "sa-kennemerland-2021";
        let n = 4_000;
        let items: Vec<Value> = (0..n).map(|i| json!({ "externalRef": format!("k-{i}"), "code": format!("{agenda}/kill-{i}"), "agenda": agenda, "title": format!("Item {i}") })).collect();
        let client = reqwest::Client::new();
        let request = client
            .post(format!("{base}/graphql"))
            .header("content-type", "application/json")
            .header(
                "authorization",
                format!("Bearer {}", token("gemeente-haarlem", "editor")),
            )
            .json(&json!({ "query": SYNC, "variables": { "items": items } }))
            .send();
        let killer = async {
            tokio::time::sleep(std::time::Duration::from_millis(700)).await;
            child.kill().unwrap();
            child.wait().unwrap();
        };
        let (response, _) = tokio::join!(request, killer);
        let finished = match response {
            Ok(r) => format!("answered {}", r.status()),
            Err(_) => "cut off".to_string(),
        };
        let (mut child, base) = start_binary(&url, &config).await;
        let count = client
        .post(format!("{base}/graphql"))
        .header("content-type", "application/json")
        .json(&json!({ "query": "{ initiatives(filter: {titleContains: \"Item \", agenda: \"sa-kennemerland-2021\"}) { totalCount } }" }))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap()["data"]["initiatives"]["totalCount"]
        .as_u64()
        .unwrap();
        child.kill().unwrap();
        child.wait().unwrap();
        eprintln!(
            "killed sync ({backend:?}): the sync was {finished}; items found after restart: {count} of {n}"
        );
        assert!(
            count == 0 || count == n as u64,
            "all or none, found {count}"
        );
    }
);

// New items are inserted with their lead and reference together at the end of the call; a
// code already in use, or used twice in the call, is refused per item all the same.
on_both!(
    created_items_get_their_lead_and_codes_stay_unique,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        let editor = token("zilveren-kruis", "editor");
        let (mine, _, agenda) = inside_and_outside(&app, "zilveren-kruis").await;
        let new = format!("{agenda}/twee-keer");
        let items = json!([
            { "externalRef": "u-1", "code": new, "agenda": agenda, "title": "Eerste", "status": "PLANNED" },
            { "externalRef": "u-2", "code": new, "agenda": agenda, "title": "Tweede", "status": "PLANNED" },
            { "externalRef": "u-3", "code": mine, "agenda": agenda, "title": "Bestaat al", "status": "PLANNED" },
        ]);
        let body = gql(&app, Some(&editor), SYNC, json!({ "items": items })).await;
        assert_eq!(outcomes(&body), ["CREATED", "INVALID", "INVALID"], "{body}");
        let result = &body["data"]["syncInitiatives"];
        assert_eq!(result["items"][1]["errors"][0]["field"], "items.1.code");
        assert_eq!(result["items"][2]["errors"][0]["field"], "items.2.code");
        let created = app
            .data_with(
                Some(&editor),
                &format!("{{ initiative(ref: \"{new}\") {{ title parties {{ role party {{ code }} }} }} }}"),
            )
            .await;
        assert_eq!(
            created["initiative"],
            json!({ "title": "Eerste", "parties": [{ "role": "LEAD", "party": { "code": "zilveren-kruis" } }] })
        );
        // The reference was stored: the same item again is UNCHANGED.
        let again = json!([{ "externalRef": "u-1", "status": "PLANNED" }]);
        let body = gql(&app, Some(&editor), SYNC, json!({ "items": again })).await;
        assert_eq!(outcomes(&body), ["UNCHANGED"], "{body}");
    }
);

on_both!(
    a_sync_and_single_writes_at_once_refuse_nothing_that_asked_for_no_version,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        let editor = token("zilveren-kruis", "editor");
        let data = app
            .data(
                "query($p: ID!) { initiatives(first: 100, filter: {party: $p}) { nodes { code } } }",
                json!({ "p": "zilveren-kruis" }),
            )
            .await;
        let codes: Vec<String> = data["initiatives"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["code"].as_str().unwrap().to_string())
            .collect();
        assert!(codes.len() >= 3, "{data}");
        let items: Vec<Value> = codes
            .iter()
            .enumerate()
            .map(|(n, code)| json!({ "externalRef": format!("race-{n}"), "code": code, "status": "RUNNING" }))
            .collect();
        // The sync and a single status change of every one of its initiatives, all at once:
        // whoever comes second writes over the first (no one sent expectedVersion).
        let sync = gql(
            &app,
            Some(&editor),
            SYNC,
            json!({ "items": items, "match": "CODE" }),
        );
        let singles = futures_util::future::join_all(codes.iter().map(|code| {
            gql(
                &app,
                Some(&editor),
                "mutation($id: ID!) { setInitiativeStatus(id: $id, status: STOPPED) { version } }",
                json!({ "id": code }),
            )
        }));
        let (sync, singles) = tokio::join!(sync, singles);
        assert!(sync.get("errors").is_none(), "{sync}");
        for outcome in outcomes(&sync) {
            assert!(
                matches!(outcome.as_str(), "UPDATED" | "UNCHANGED"),
                "{outcome}: {sync}"
            );
        }
        for single in singles {
            assert!(single.get("errors").is_none(), "{single}");
        }
    }
);

// On PostgreSQL updates go out a hundred per statement: past a chunk's end, with a second
// change of a row whose first is still waiting (planned on the row as the first left it), and
// with an expectedVersion the call itself made stale.
on_both!(
    updates_across_chunks_land_in_the_items_order,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        let editor = token("zilveren-kruis", "editor");
        let (_, _, agenda) = inside_and_outside(&app, "zilveren-kruis").await;
        let n = 250;
        let code = |i: usize| format!("{agenda}/reeks-{i}");
        let new: Vec<Value> = (0..n)
            .map(|i| json!({ "externalRef": format!("c-{i}"), "code": code(i), "agenda": agenda, "title": format!("Reeks {i}"), "status": "PLANNED" }))
            .collect();
        let body = gql(&app, Some(&editor), SYNC, json!({ "items": new })).await;
        assert_eq!(body["data"]["syncInitiatives"]["created"], n, "{body}");
        let first_version = body["data"]["syncInitiatives"]["items"][7]["version"].clone();
        let mut items: Vec<Value> = (0..n)
            .map(|i| json!({ "externalRef": format!("c-{i}"), "status": "RUNNING" }))
            .collect();
        // Row 5 went out with the first chunk; row 230 still waits in the third.
        items.push(json!({ "externalRef": "again-5", "code": code(5), "status": "STOPPED" }));
        items.push(json!({ "externalRef": "stale-7", "code": code(7), "status": "COMPLETED", "expectedVersion": first_version }));
        items.push(json!({ "externalRef": "again-230", "code": code(230), "status": "COMPLETED" }));
        let body = gql(
            &app,
            Some(&editor),
            SYNC,
            json!({ "items": items, "match": "CODE" }),
        )
        .await;
        let result = &body["data"]["syncInitiatives"];
        let mut expected = vec!["UPDATED"; n + 3];
        expected[n + 1] = "CONFLICT";
        assert_eq!(outcomes(&body), expected, "{body}");
        assert_eq!(result["updated"], n + 2);
        let version = |i: usize| result["items"][i]["version"].as_i64().unwrap();
        assert_eq!(version(n), version(5) + 1, "{body}");
        assert_eq!(version(n + 2), version(230) + 1, "{body}");
        assert_eq!(
            result["items"][n + 1]["errors"][0]["currentVersion"],
            version(7)
        );
        let now = app
            .data_with(
                Some(&editor),
                &format!(
                    "{{ a: initiative(ref: \"{}\") {{ status version statusHistory {{ from to }} }} b: initiative(ref: \"{}\") {{ status version }} c: initiative(ref: \"{}\") {{ status }} d: initiatives(filter: {{ titleContains: \"Reeks \", status: RUNNING }}) {{ totalCount }} }}",
                    code(5),
                    code(230),
                    code(7)
                ),
            )
            .await;
        assert_eq!(now["a"]["status"], "STOPPED");
        assert_eq!(now["a"]["version"], version(n));
        assert_eq!(
            now["a"]["statusHistory"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| (c["from"].clone(), c["to"].clone()))
                .filter(|(from, _)| !from.is_null())
                .collect::<Vec<_>>(),
            [
                (json!("planned"), json!("running")),
                (json!("running"), json!("stopped"))
            ]
        );
        assert_eq!(
            now["b"],
            json!({ "status": "COMPLETED", "version": version(n + 2) })
        );
        assert_eq!(now["c"]["status"], "RUNNING");
        assert_eq!(now["d"]["totalCount"], n - 2);
        // The references matched by code were remembered.
        let again = json!([{ "externalRef": "again-5", "status": "STOPPED" }]);
        let body = gql(&app, Some(&editor), SYNC, json!({ "items": again })).await;
        assert_eq!(outcomes(&body), ["UNCHANGED"], "{body}");
    }
);

/// The id and version of the initiative `code`, read with SQL.
async fn id_and_version(db: &sea_orm::DatabaseConnection, code: &str) -> (i32, i32) {
    use sea_orm::ConnectionTrait;
    let row = db
        .query_one_raw(sea_orm::Statement::from_sql_and_values(
            sea_orm::DatabaseBackend::Postgres,
            "SELECT id, version FROM initiative WHERE code = $1",
            [code.into()],
        ))
        .await
        .unwrap()
        .unwrap();
    (
        row.try_get("", "id").unwrap(),
        row.try_get("", "version").unwrap(),
    )
}

// A write that lands after the sync read its rows and before the sync's chunk went out: the
// chunk waits for that write's lock, finds the rows at other versions, and then an item
// without expectedVersion is made again on the row as it is now, and one with it is a
// CONFLICT. The other writer holds its locks until the chunk is seen waiting, so the order is
// certain.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_landing_between_the_read_and_the_chunk_is_not_lost() {
    use sea_orm::{ConnectionTrait, TransactionTrait};
    let url = seeded_database(Backend::Postgres).await;
    let app = TestApp::spawn_on(Backend::Postgres, url.clone()).await;
    let editor = token("zilveren-kruis", "editor");
    let data = app
        .data(
            "query($p: ID!) { initiatives(first: 2, filter: {party: $p}) { nodes { code } } }",
            json!({ "p": "zilveren-kruis" }),
        )
        .await;
    let code = |n: usize| {
        data["initiatives"]["nodes"][n]["code"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (a, b) = (code(0), code(1));
    let db = sea_orm::Database::connect(&url).await.unwrap();
    // Both planned, so that the sync's RUNNING changes them whatever the seed says.
    db.execute_unprepared(&format!(
        "UPDATE initiative SET status = 'planned' WHERE code IN ('{a}', '{b}')"
    ))
    .await
    .unwrap();
    let (a_id, a_version) = id_and_version(&db, &a).await;
    let (b_id, b_version) = id_and_version(&db, &b).await;
    let other = db.begin().await.unwrap();
    other
        .execute_unprepared(&format!(
            "UPDATE initiative SET version = version + 1, status = 'stopped' WHERE id IN ({a_id}, {b_id})"
        ))
        .await
        .unwrap();
    let items = json!([
        { "externalRef": "late-a", "code": a, "status": "RUNNING" },
        { "externalRef": "late-b", "code": b, "status": "RUNNING", "expectedVersion": b_version },
    ]);
    let sync = tokio::spawn({
        let app_url = app.url.clone();
        async move {
            reqwest::Client::new()
                .post(format!("{app_url}/graphql"))
                .bearer_auth(editor)
                .json(&json!({ "query": SYNC, "variables": { "items": items, "match": "CODE" } }))
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    });
    let mut waited = false;
    for _ in 0..200 {
        let waiting = db
            .query_one_raw(sea_orm::Statement::from_string(
                sea_orm::DatabaseBackend::Postgres,
                "SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()",
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get::<i64>("", "n")
            .unwrap();
        if waiting > 0 {
            waited = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    other.commit().await.unwrap();
    assert!(waited, "the sync's chunk never waited for the other write");
    let body = sync.await.unwrap();
    assert_eq!(outcomes(&body), ["UPDATED", "CONFLICT"], "{body}");
    let items = &body["data"]["syncInitiatives"]["items"];
    assert_eq!(items[0]["version"], a_version + 2, "{body}");
    assert_eq!(
        items[1]["errors"][0]["currentVersion"],
        b_version + 1,
        "{body}"
    );
    assert_eq!(id_and_version(&db, &a).await.1, a_version + 2);
    assert_eq!(id_and_version(&db, &b).await.1, b_version + 1);
    let now = app
        .data(
            &format!("{{ a: initiative(ref: \"{a}\") {{ status }} b: initiative(ref: \"{b}\") {{ status }} }}"),
            json!({}),
        )
        .await;
    assert_eq!(
        now,
        json!({ "a": { "status": "RUNNING" }, "b": { "status": "STOPPED" } })
    );
}

// One chunk with changes of different fields goes out as one statement per set of columns,
// and a value cleared in one row beside a value set in another keeps both (the NULL is typed
// by its column, not guessed from the row).
on_both!(
    a_chunk_mixes_fields_and_cleared_values,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        let editor = token("zilveren-kruis", "editor");
        let (_, _, agenda) = inside_and_outside(&app, "zilveren-kruis").await;
        let code = |i: usize| format!("{agenda}/gemengd-{i}");
        let new: Vec<Value> = (0..4)
            .map(|i| json!({ "externalRef": format!("m-{i}"), "code": code(i), "agenda": agenda, "title": format!("Gemengd {i}"), "status": "PLANNED", "progressNotes": "eerste stand" }))
            .collect();
        let body = gql(&app, Some(&editor), SYNC, json!({ "items": new })).await;
        assert_eq!(body["data"]["syncInitiatives"]["created"], 4, "{body}");
        let items = json!([
            { "externalRef": "m-0", "progressNotes": null },
            { "externalRef": "m-1", "progressNotes": "tweede stand" },
            { "externalRef": "m-2", "title": "Gemengd twee, hernoemd" },
            { "externalRef": "m-3", "status": "RUNNING", "progressNotes": null },
        ]);
        let body = gql(&app, Some(&editor), SYNC, json!({ "items": items })).await;
        assert_eq!(
            outcomes(&body),
            ["UPDATED", "UPDATED", "UPDATED", "UPDATED"],
            "{body}"
        );
        let now = app
            .data_with(
                Some(&editor),
                &format!(
                    "{{ a: initiative(ref: \"{}\") {{ progressNotes version }} b: initiative(ref: \"{}\") {{ progressNotes }} c: initiative(ref: \"{}\") {{ title progressNotes }} d: initiative(ref: \"{}\") {{ status progressNotes }} }}",
                    code(0),
                    code(1),
                    code(2),
                    code(3)
                ),
            )
            .await;
        assert_eq!(
            now,
            json!({
                "a": { "progressNotes": null, "version": 2 },
                "b": { "progressNotes": "tweede stand" },
                "c": { "title": "Gemengd twee, hernoemd", "progressNotes": "eerste stand" },
                "d": { "status": "RUNNING", "progressNotes": null },
            })
        );
    }
);

on_both!(
    a_sync_of_many_new_initiatives_gives_each_item_its_own_and_journals_what_it_set,
    |backend| async move {
        // More items than one multi-row insert takes (500), so the inserts, their returned
        // rows and the references go out in several statements, one built while another runs.
        let app = TestApp::spawn(backend).await;
        let editor = token("zilveren-kruis", "editor");
        let (_, _, agenda) = inside_and_outside(&app, "zilveren-kruis").await;
        let n = 1_201;
        let items: Vec<Value> = (0..n)
            .map(|i| {
                let mut item = json!({ "externalRef": format!("bulk-{i}"), "code": format!("{agenda}/bulk-{i}"),
                    "agenda": agenda, "title": format!("Bulk {i}") });
                if i % 2 == 1 {
                    item["progressNotes"] = json!(format!("stap {i}"));
                }
                item
            })
            .collect();
        let body = gql(
            &app,
            Some(&editor),
            SYNC,
            json!({ "items": items, "key": "bulk" }),
        )
        .await;
        let result = &body["data"]["syncInitiatives"];
        assert_eq!(result["created"], n, "{body}");
        let ids: std::collections::HashSet<String> = result["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|item| item["initiativeId"].to_string())
            .collect();
        assert_eq!(ids.len(), n, "every item names its own initiative");
        for i in [0, 499, 500, 777, 1_200] {
            let code = format!("{agenda}/bulk-{i}");
            let found = app
                .data_with(
                    Some(&editor),
                    &format!("{{ initiative(ref: \"{code}\") {{ id title }} }}"),
                )
                .await;
            assert_eq!(found["initiative"]["title"], format!("Bulk {i}"));
            assert_eq!(
                found["initiative"]["id"].to_string(),
                result["items"][i]["initiativeId"].to_string(),
                "item {i} names the initiative made of it"
            );
            let audit = gql(&app, Some(&editor), "query($c: ID!) { auditEntries(initiative: $c) { entries { operation changes { field before after } } } }", json!({ "c": code })).await;
            let entries = audit["data"]["auditEntries"]["entries"]
                .as_array()
                .unwrap_or_else(|| panic!("{audit}"));
            assert_eq!(entries.len(), 1, "{audit}");
            assert_eq!(entries[0]["operation"], "CREATE");
            let changes = entries[0]["changes"].as_array().unwrap();
            let field = |name: &str| changes.iter().find(|c| c["field"] == name).cloned();
            assert_eq!(
                field("title").map(|c| (c["before"].clone(), c["after"].clone())),
                Some((Value::Null, json!(format!("Bulk {i}")))),
                "{audit}"
            );
            assert!(
                field("summary").is_none(),
                "a field left empty did not change: {audit}"
            );
        }
        // Each reference was stored with its own initiative: the same items again change
        // nothing (a reference on the wrong initiative would retitle it).
        let again = gql(
            &app,
            Some(&editor),
            SYNC,
            json!({ "items": items, "key": "bulk-again" }),
        )
        .await;
        let result = &again["data"]["syncInitiatives"];
        assert_eq!(
            (result["unchanged"].clone(), result["refused"].clone()),
            (json!(n), json!(0)),
            "{}",
            &again.to_string()[..600.min(again.to_string().len())]
        );
    }
);

// A sync locks the rows it reads in id order, as the single writes' batches do, whatever the
// order of its items: while another transaction holds the lowest of them, the sync waits
// holding none of the others, so that transaction can still take the highest. (Updating in
// the items' order, a chunk at a time, the sync held the highest rows while it waited for
// the lowest, and one of the two was ended as a deadlock.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_takes_its_rows_in_id_order_and_waits_instead_of_deadlocking() {
    use sea_orm::{ConnectionTrait, TransactionTrait};
    let app = TestApp::spawn(Backend::Postgres).await;
    let editor = token("zilveren-kruis", "editor");
    let (_, _, agenda) = inside_and_outside(&app, "zilveren-kruis").await;
    // More than one chunk of updates (100).
    let n = 150;
    let create: Vec<Value> = (0..n)
        .map(|i| json!({ "externalRef": format!("lock-{i}"), "code": format!("{agenda}/lock-{i}"), "agenda": agenda, "title": format!("Lock {i}") }))
        .collect();
    let body = gql(&app, Some(&editor), SYNC, json!({ "items": create })).await;
    assert_eq!(body["data"]["syncInitiatives"]["created"], n, "{body}");
    let mut made: Vec<(i32, String)> = body["data"]["syncInitiatives"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| {
            let id = item["initiativeId"].as_str().unwrap();
            let id = id.trim_start_matches("Initiative:").parse().unwrap();
            (id, item["externalRef"].as_str().unwrap().to_string())
        })
        .collect();
    made.sort_by_key(|(id, _)| std::cmp::Reverse(*id));
    let (highest, lowest) = (made[0].0, made[made.len() - 1].0);
    let update: Vec<Value> = made
        .iter()
        .map(|(_, external_ref)| json!({ "externalRef": external_ref, "status": "RUNNING" }))
        .collect();

    let db = sea_orm::Database::connect(&app.database_url).await.unwrap();
    let other = db.begin().await.unwrap();
    let lock = |id: i32| format!("SELECT id FROM initiative WHERE id = {id} FOR UPDATE");
    other.execute_unprepared(&lock(lowest)).await.unwrap();
    let syncing = gql(&app, Some(&editor), SYNC, json!({ "items": update }));
    let meanwhile = async {
        let waiting = "SELECT count(*) AS n FROM pg_stat_activity \
                       WHERE datname = current_database() AND wait_event_type = 'Lock'";
        for _ in 0..200 {
            let row = db
                .query_one_raw(sea_orm::Statement::from_string(
                    sea_orm::DatabaseBackend::Postgres,
                    waiting,
                ))
                .await
                .unwrap()
                .unwrap();
            if row.try_get::<i64>("", "n").unwrap() > 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        other
            .execute_unprepared("SET LOCAL lock_timeout = '3s'")
            .await
            .unwrap();
        let took = other.execute_unprepared(&lock(highest)).await;
        other.commit().await.ok();
        took
    };
    let (body, took) = tokio::join!(syncing, meanwhile);
    assert!(
        took.is_ok(),
        "the highest row is free while the sync waits for the lowest: {took:?}"
    );
    assert_eq!(body["data"]["syncInitiatives"]["updated"], n, "{body}");
}
