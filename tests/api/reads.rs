//! The read API: lookups, links walked both ways, and the filters analysts use.

use crate::helpers::TestApp;
use crate::on_both;
use serde_json::{Value, json};
use std::collections::BTreeSet;

fn codes(list: &Value, path: &[&str]) -> BTreeSet<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|item| {
            let mut v = item;
            for p in path {
                v = &v[p];
            }
            v.as_str().unwrap().to_string()
        })
        .collect()
}

on_both!(
    lookups_by_id_and_code_find_the_same_record,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        let data = app
            .data(
                "{ party(ref: \"zilveren-kruis\") { id code name } }",
                json!({}),
            )
            .await;
        let id = data["party"]["id"].as_str().unwrap().to_string();
        assert_eq!(data["party"]["name"], "Zilveren Kruis");
        let by_id = app.data("query($id: ID!, $ref: String!) { node(id: $id) { id ... on Party { code } } party(ref: $ref) { code } }", json!({ "id": id, "ref": id })).await;
        assert_eq!(by_id["node"]["code"], "zilveren-kruis");
        assert_eq!(by_id["party"]["code"], "zilveren-kruis");
        let kinds = app
        .data("{ regions(first: 1) { nodes { id } } agendas(first: 1) { nodes { id } } themes(first: 1) { nodes { id } } goals(first: 1) { nodes { id } } indicators(first: 1) { nodes { id } } bottlenecks(first: 1) { nodes { id } } milestones(first: 1) { nodes { id } } governanceBodies(first: 1) { nodes { id } } }", json!({}))
        .await;
        for (list, value) in kinds.as_object().unwrap() {
            let id = value["nodes"][0]["id"].as_str().unwrap();
            let node = app
                .data(
                    "query($id: ID!) { node(id: $id) { id __typename } }",
                    json!({ "id": id }),
                )
                .await;
            assert_eq!(node["node"]["id"], id, "{list}");
        }
    }
);

on_both!(
    participation_links_read_the_same_from_both_ends,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        let data = app.data("{ party(ref: \"zilveren-kruis\") { initiatives { role initiative { code parties { role party { code } } } } } }", json!({})).await;
        let participations = data["party"]["initiatives"].as_array().unwrap();
        assert!(!participations.is_empty());
        for p in participations {
            let back = p["initiative"]["parties"].as_array().unwrap();
            assert!(
                back.iter()
                    .any(|l| l["party"]["code"] == "zilveren-kruis" && l["role"] == p["role"]),
                "{p}"
            );
        }
        let region = app.data("{ region(ref: \"gooi-en-vechtstreek\") { parties(role: MEMBER_GEMEENTE) { party { code regions { region { code } } } } } }", json!({})).await;
        let members = region["region"]["parties"].as_array().unwrap();
        assert_eq!(members.len(), 7, "Gooi en Vechtstreek has seven gemeenten");
        for m in members {
            assert!(
                codes(&m["party"]["regions"], &["region", "code"]).contains("gooi-en-vechtstreek")
            );
        }
    }
);

on_both!(theme_filter_includes_sub_themes, |backend| async move {
    let app = TestApp::spawn(backend).await;
    let themes = app
        .data(
            "{ themes(first: 500) { nodes { code parent { code } } } }",
            json!({}),
        )
        .await;
    let nodes = themes["themes"]["nodes"].as_array().unwrap();
    let (parent, child) = nodes
        .iter()
        .find_map(|t| {
            t["parent"]["code"]
                .as_str()
                .map(|p| (p.to_string(), t["code"].as_str().unwrap().to_string()))
        })
        .expect("a theme with a parent");
    let q = "query($t: ID!) { initiatives(first: 500, filter: {theme: $t}) { totalCount nodes { code } } }";
    let under_parent = app.data(q, json!({ "t": parent })).await;
    let under_child = app.data(q, json!({ "t": child })).await;
    let all = codes(&under_parent["initiatives"]["nodes"], &["code"]);
    let sub = codes(&under_child["initiatives"]["nodes"], &["code"]);
    assert!(
        sub.is_subset(&all),
        "initiatives of {child} are also found under {parent}"
    );
});

on_both!(
    filters_narrow_the_list_and_agree_with_the_records,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        let q = "query($f: InitiativeFilter) { initiatives(first: 500, filter: $f) { totalCount nodes { code status title agenda { code region { code } } parties { role party { code } } goals { code } } } }";
        let all = app.data(q, json!({ "f": null })).await["initiatives"].clone();
        let total = all["totalCount"].as_u64().unwrap();
        let by_status =
            app.data(q, json!({ "f": { "status": ["RUNNING"] } })).await["initiatives"].clone();
        assert!(by_status["totalCount"].as_u64().unwrap() < total);
        assert!(
            by_status["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .all(|n| n["status"] == "RUNNING")
        );
        let by_region = app
            .data(q, json!({ "f": { "region": "kennemerland" } }))
            .await["initiatives"]
            .clone();
        assert!(by_region["totalCount"].as_u64().unwrap() > 0);
        assert!(
            by_region["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .all(|n| n["agenda"]["region"]["code"] == "kennemerland")
        );
        let lead = app.data(q, json!({ "f": { "role": "LEAD" } })).await["initiatives"].clone();
        assert!(lead["nodes"].as_array().unwrap().iter().all(|n| {
            n["parties"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["role"] == "LEAD")
        }));
        let word = app
            .data(q, json!({ "f": { "titleContains": "PREVENTIE" } }))
            .await["initiatives"]
            .clone();
        assert!(word["nodes"].as_array().unwrap().iter().all(|n| {
            n["title"]
                .as_str()
                .unwrap()
                .to_lowercase()
                .contains("preventie")
        }));
        let future = app
            .data(
                q,
                json!({ "f": { "changedSince": "2100-01-01T00:00:00Z" } }),
            )
            .await;
        assert_eq!(future["initiatives"]["totalCount"], 0);
        let past = app
            .data(
                q,
                json!({ "f": { "changedSince": "2000-01-01T00:00:00Z" } }),
            )
            .await;
        assert_eq!(past["initiatives"]["totalCount"].as_u64().unwrap(), total);
        let with_goal = all["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| !n["goals"].as_array().unwrap().is_empty())
            .unwrap()
            .clone();
        let goal = with_goal["goals"][0]["code"].clone();
        let by_goal = app.data(q, json!({ "f": { "goal": goal } })).await["initiatives"].clone();
        assert!(codes(&by_goal["nodes"], &["code"]).contains(with_goal["code"].as_str().unwrap()));
    }
);

on_both!(parties_are_found_by_their_aliases, |backend| async move {
    let app = TestApp::spawn(backend).await;
    let data = app
        .data("{ party(ref: \"zilveren-kruis\") { aliases } }", json!({}))
        .await;
    let alias = data["party"]["aliases"][0]
        .as_str()
        .expect("Zilveren Kruis has an alias")
        .to_string();
    let found = app
        .data(
            "query($a: String) { parties(filter: {nameContains: $a}) { nodes { code } } }",
            json!({ "a": alias }),
        )
        .await;
    assert!(codes(&found["parties"]["nodes"], &["code"]).contains("zilveren-kruis"));
});
