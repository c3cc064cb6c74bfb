//! The aggregates: counts grouped by region, agenda, theme, status, party and role agree with
//! the lists' `totalCount` under the same filter and the same caller, and cost a fixed number
//! of statements whatever the number of groups.

use crate::auth::token;
use crate::helpers::{TestApp, first_code};
use crate::on_both;
use crate::writes::gql as post;
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};

/// Like [`post`] (`writes::gql`), asserting there are no errors; returns `data`.
async fn data(app: &TestApp, token: Option<&str>, query: &str, variables: Value) -> Value {
    let body = post(app, token, query, variables).await;
    assert!(body.get("errors").is_none(), "unexpected errors: {body:#}");
    body["data"].clone()
}

/// The `totalCount` of `list` (`initiatives`, `goals`, `parties`) under each of `filters`, as
/// `token` sees it; a few filters per request, within the root-field limit.
async fn totals(app: &TestApp, token: Option<&str>, list: &str, filters: &[Value]) -> Vec<u64> {
    let input = match list {
        "initiatives" => "InitiativeFilter",
        "goals" => "GoalFilter",
        _ => "PartyFilter",
    };
    let mut out = Vec::new();
    for chunk in filters.chunks(10) {
        let params: Vec<String> = (0..chunk.len())
            .map(|i| format!("$f{i}: {input}"))
            .collect();
        let fields: Vec<String> = (0..chunk.len())
            .map(|i| format!("c{i}: {list}(first: 0, filter: $f{i}) {{ totalCount }}"))
            .collect();
        let query = format!("query({}) {{ {} }}", params.join(", "), fields.join(" "));
        let variables: serde_json::Map<String, Value> = chunk
            .iter()
            .enumerate()
            .map(|(i, f)| (format!("f{i}"), f.clone()))
            .collect();
        let d = data(app, token, &query, Value::Object(variables)).await;
        out.extend((0..chunk.len()).map(|i| d[format!("c{i}")]["totalCount"].as_u64().unwrap()));
    }
    out
}

/// The rows of `field` (`initiativeCounts`, ...) grouped by `group_by` under `filter`.
async fn counts(
    app: &TestApp,
    token: Option<&str>,
    field: &str,
    group_by: &str,
    filter: Value,
) -> Vec<Value> {
    let (input, keys) = match field {
        "initiativeCounts" => (
            "InitiativeFilter",
            "region { code } agenda { code } theme { code } status party { code } role",
        ),
        "goalCounts" => (
            "GoalFilter",
            "region { code } agenda { code } theme { code } kind",
        ),
        _ => ("PartyFilter", "kind region { code } regionRole"),
    };
    let query = format!(
        "query($f: {input}) {{ {field}(groupBy: [{group_by}], filter: $f) {{ count {keys} }} }}"
    );
    data(app, token, &query, json!({ "f": filter })).await[field]
        .as_array()
        .unwrap()
        .clone()
}

fn count(row: &Value) -> u64 {
    row["count"].as_u64().unwrap()
}

fn sum(rows: &[Value]) -> u64 {
    rows.iter().map(count).sum()
}

/// The one count of an ungrouped call.
async fn total(app: &TestApp, token: Option<&str>, field: &str, filter: Value) -> u64 {
    let rows = counts(app, token, field, "", filter).await;
    assert_eq!(rows.len(), 1, "no groupBy gives one row: {rows:?}");
    count(&rows[0])
}

on_both!(
    counts_without_groups_match_the_lists_total_count,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        let cases = [
            (
                "initiativeCounts",
                "initiatives",
                vec![
                    json!(null),
                    json!({ "status": ["RUNNING", "PLANNED"] }),
                    json!({ "region": "kennemerland" }),
                    json!({ "party": "zilveren-kruis", "role": "LEAD" }),
                    json!({ "theme": "ouderen", "topLevel": true }),
                    json!({ "titleContains": "zorg" }),
                ],
            ),
            (
                "goalCounts",
                "goals",
                vec![
                    json!(null),
                    json!({ "kind": "DOEL" }),
                    json!({ "region": "kennemerland" }),
                ],
            ),
            (
                "partyCounts",
                "parties",
                vec![
                    json!(null),
                    json!({ "kind": ["GEMEENTE"] }),
                    json!({ "region": "kennemerland", "regionRole": "MEMBER_GEMEENTE" }),
                ],
            ),
        ];
        for (field, list, filters) in cases {
            let expected = totals(&app, None, list, &filters).await;
            for (filter, expected) in filters.into_iter().zip(expected) {
                let got = total(&app, None, field, filter.clone()).await;
                assert_eq!(got, expected, "{field} under {filter}");
                if filter.is_null() {
                    assert!(got > 0, "{field}: the bundled data has some");
                }
            }
        }
    }
);

/// Checks each group against the list filtered to it: `filter_of` turns a row into the list
/// filter of its group, or `None` to skip a row (the null group).
async fn check_groups(
    app: &TestApp,
    (field, list, group_by): (&str, &str, &str),
    filter_of: impl Fn(&Value) -> Option<Value>,
) -> Vec<Value> {
    let rows = counts(app, None, field, group_by, json!(null)).await;
    assert!(rows.len() > 1, "{field} by {group_by}: several groups");
    let checked: Vec<(Value, u64)> = rows
        .iter()
        .filter_map(|r| filter_of(r).map(|f| (f, count(r))))
        .take(25)
        .collect();
    let filters: Vec<Value> = checked.iter().map(|(f, _)| f.clone()).collect();
    let expected = totals(app, None, list, &filters).await;
    for ((filter, got), expected) in checked.iter().zip(expected) {
        assert_eq!(*got, expected, "{field} by {group_by}: the group {filter}");
    }
    rows
}

fn code(row: &Value, key: &str) -> Option<Value> {
    row[key]["code"].as_str().map(|c| json!(c))
}

on_both!(
    grouped_counts_match_the_list_of_each_group,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        let all = total(&app, None, "initiativeCounts", json!(null)).await;
        // Single-valued keys: the groups split the initiatives.
        for key in ["REGION", "AGENDA"] {
            let field = key.to_lowercase();
            let rows = check_groups(&app, ("initiativeCounts", "initiatives", key), |r| {
                code(r, &field).map(|c| json!({ field.clone(): c }))
            })
            .await;
            assert_eq!(sum(&rows), all, "by {key}, the groups add up to the total");
        }
        let rows = check_groups(&app, ("initiativeCounts", "initiatives", "STATUS"), |r| {
            Some(json!({ "status": [r["status"]] }))
        })
        .await;
        assert_eq!(sum(&rows), all, "by STATUS, the groups add up to the total");
        // Links: an initiative counts once per party, so the groups may add up to more.
        let rows = check_groups(
            &app,
            ("initiativeCounts", "initiatives", "PARTY, ROLE"),
            |r| code(r, "party").map(|p| json!({ "party": p, "role": r["role"] })),
        )
        .await;
        assert!(sum(&rows) >= all, "by PARTY and ROLE");
        assert!(
            rows.iter()
                .all(|r| r["region"].is_null() && r["status"].is_null())
        );
        let rows = counts(&app, None, "initiativeCounts", "PARTY", json!(null)).await;
        if let Some(i) = rows.iter().position(|r| r["party"].is_null()) {
            assert_eq!(i, rows.len() - 1, "the group without a party comes last");
        }
        // Themes: the initiatives linked to each theme directly, as Theme.initiatives has them.
        let rows = counts(&app, None, "initiativeCounts", "THEME", json!(null)).await;
        let linked = data(
            &app,
            None,
            "{ themes(first: 500) { nodes { code initiatives { code } } } }",
            json!({}),
        )
        .await;
        for theme in linked["themes"]["nodes"].as_array().unwrap() {
            let n = theme["initiatives"].as_array().unwrap().len() as u64;
            let row = rows.iter().find(|r| r["theme"]["code"] == theme["code"]);
            assert_eq!(row.map_or(0, count), n, "theme {}", theme["code"]);
        }
        // Goals and parties.
        let rows = check_groups(&app, ("goalCounts", "goals", "AGENDA, KIND"), |r| {
            code(r, "agenda").map(|a| json!({ "agenda": a, "kind": r["kind"] }))
        })
        .await;
        assert_eq!(
            sum(&rows),
            total(&app, None, "goalCounts", json!(null)).await
        );
        let rows = check_groups(&app, ("partyCounts", "parties", "KIND"), |r| {
            Some(json!({ "kind": [r["kind"]] }))
        })
        .await;
        assert_eq!(
            sum(&rows),
            total(&app, None, "partyCounts", json!(null)).await
        );
        check_groups(
            &app,
            ("partyCounts", "parties", "REGION, REGION_ROLE"),
            |r| code(r, "region").map(|c| json!({ "region": c, "regionRole": r["regionRole"] })),
        )
        .await;
    }
);

on_both!(
    hidden_initiatives_are_counted_only_for_those_who_may_see_them,
    |backend| async move {
        let url = crate::helpers::seeded_database(backend).await;
        // Two initiatives of Zilveren Kruis become hidden: one to its region, one to its
        // participants.
        let app = TestApp::spawn_on(backend, url.clone()).await;
        let zk = data(
            &app,
            None,
            "{ initiatives(first: 500, filter: {party: \"zilveren-kruis\"}) { nodes { code } } }",
            json!({}),
        )
        .await;
        let mut codes: Vec<String> = zk["initiatives"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["code"].as_str().unwrap().to_string())
            .collect();
        codes.sort();
        let db = Database::connect(&url).await.unwrap();
        for (code, visibility) in [(&codes[0], "region"), (&codes[1], "participants")] {
            db.execute_unprepared(&format!(
                "UPDATE initiative SET visibility = '{visibility}' WHERE code = '{code}'"
            ))
            .await
            .unwrap();
        }
        db.close().await.unwrap();
        let everything = {
            let admin = token("vng", "admin");
            total(&app, Some(&admin), "initiativeCounts", json!(null)).await
        };
        // How many of the two each caller cannot see, where the test knows it.
        let callers = [
            ("anonymous", None, Some(2)),
            (
                "another party",
                Some(token("ggd-ijsselland", "viewer")),
                None,
            ),
            (
                "participant",
                Some(token("zilveren-kruis", "viewer")),
                Some(0),
            ),
            ("admin", Some(token("vng", "admin")), Some(0)),
        ];
        for (who, token, hidden) in callers {
            let token = token.as_deref();
            let seen = total(&app, token, "initiativeCounts", json!(null)).await;
            let hidden = hidden.unwrap_or(everything - seen);
            assert_eq!(seen, everything - hidden, "{who}: the total");
            assert_eq!(
                vec![seen],
                totals(&app, token, "initiatives", &[json!(null)]).await,
                "{who}: the same as the list"
            );
            // Per party, under the caller's eyes, as the list filtered to the party.
            let rows = counts(&app, token, "initiativeCounts", "PARTY", json!(null)).await;
            let parties: Vec<Value> = rows
                .iter()
                .filter_map(|r| code(r, "party").map(|p| json!({ "party": p })))
                .collect();
            let expected = totals(&app, token, "initiatives", &parties).await;
            let got: Vec<u64> = rows
                .iter()
                .filter(|r| !r["party"].is_null())
                .map(count)
                .collect();
            assert_eq!(got, expected, "{who}: per party");
            let zk_row = rows
                .iter()
                .find(|r| r["party"]["code"] == "zilveren-kruis")
                .map_or(0, count);
            assert_eq!(
                zk_row as usize,
                codes.len() - hidden as usize,
                "{who}: Zilveren Kruis's own initiatives"
            );
        }
    }
);

on_both!(
    unknown_codes_in_a_count_filter_are_bad_user_input,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        let cases = [
            (
                "{ initiativeCounts(groupBy: [REGION], filter: {region: \"atlantis\"}) { count } }",
                "filter.region",
            ),
            (
                "{ initiativeCounts(groupBy: [], filter: {party: \"Party:abc\"}) { count } }",
                "filter.party",
            ),
            (
                "{ goalCounts(groupBy: [KIND], filter: {agenda: \"no-such-agenda\"}) { count } }",
                "filter.agenda",
            ),
            (
                "{ partyCounts(groupBy: [KIND], filter: {initiative: \"no-such-initiative\"}) { count } }",
                "filter.initiative",
            ),
        ];
        for (query, field) in cases {
            let body = post(&app, None, query, json!({})).await;
            assert_eq!(first_code(&body), "BAD_USER_INPUT", "{query}: {body}");
            assert_eq!(body["errors"][0]["extensions"]["field"], field, "{query}");
            assert!(body["data"].is_null(), "{query}: {body}");
        }
    }
);

on_both!(
    counts_cost_as_many_statements_for_many_groups_as_for_few,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        let query = "query($f: InitiativeFilter) {
            initiativeCounts(groupBy: [AGENDA, THEME, PARTY], filter: $f) {
                count agenda { code } theme { code } party { code regions { role region { code } } } } }";
        // A few groups: one initiative with a theme and a party in a region, found by its title (a code in
        // the filter would add a statement to resolve it on one side only). Each loader is
        // used at one level only, so that no level is served from another's cache.
        let all = data(
            &app,
            None,
            "{ initiatives(first: 500) { nodes { title parties { party { regions { role } } } themes { code } } } }",
            json!({}),
        )
        .await;
        let one = all["initiatives"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| {
                let regions = |p: &Value| !p["party"]["regions"].as_array().unwrap().is_empty();
                n["parties"].as_array().unwrap().iter().any(regions)
                    && !n["themes"].as_array().unwrap().is_empty()
            })
            .expect("an initiative with themes and a party in a region");
        let few = json!({ "titleContains": one["title"] });
        let many = json!({ "changedSince": "2000-01-01T00:00:00Z" });
        let mut measured = Vec::new();
        for filter in [few, many] {
            let before = app.statements.get();
            let d = data(&app, None, query, json!({ "f": filter })).await;
            let after = app.statements.get();
            let rows = d["initiativeCounts"].as_array().unwrap().clone();
            for key in ["agenda", "theme", "party"] {
                assert!(
                    rows.iter().any(|r| !r[key].is_null()),
                    "some group has a {key}, so its loaders run"
                );
            }
            measured.push((rows.len(), after - before));
        }
        let ((few_groups, few_statements), (many_groups, many_statements)) =
            (measured[0], measured[1]);
        eprintln!(
            "statements ({backend:?}): {few_statements} for {few_groups} groups, {many_statements} for {many_groups}"
        );
        assert!(many_groups > few_groups * 2, "{measured:?}");
        assert_eq!(
            few_statements, many_statements,
            "statement count must not grow with the number of groups"
        );
        // The grouped count, then one per loader: agendas, themes, parties, the parties'
        // region links, those regions.
        assert!(many_statements <= 6, "{many_statements} statements");
    }
);
