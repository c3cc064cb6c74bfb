//! Keeping agendas, regions and parties: the RSO coordinator keeps its region's agendas,
//! administrators keep regions and parties, and memberships count at once.

use crate::auth::token;
use crate::helpers::{TestApp, first_code};
use crate::on_both;
use crate::writes::gql;
use serde_json::{Value, json};

/// The RSO of the region of `agenda`'s region, or of a region it lies in.
async fn rso_of(app: &TestApp) -> String {
    let data = app
        .data(
            "{ parties(first: 50, filter: {regionRole: RSO}) { nodes { code } } }",
            json!({}),
        )
        .await;
    data["parties"]["nodes"][0]["code"]
        .as_str()
        .expect("an RSO in the bundled data")
        .to_string()
}

fn ok(body: &Value) -> &Value {
    assert!(body.get("errors").is_none(), "{body}");
    &body["data"]
}

on_both!(
    the_rso_coordinator_keeps_the_agendas_of_its_region,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        let rso = rso_of(&app).await;
        let coordinator = token(&rso, "coordinator");
        let create = "mutation($a: ID!, $c: String!) { createGoal(input: {agenda: $a, code: $c, kind: DOEL, title: \"Minder wachttijd\", number: \"9z\"}) { id code version agenda { code } } }";
        let made = gql(
            &app,
            Some(&coordinator),
            create,
            json!({ "a": "sa-kennemerland-2021", "c": "sa-kennemerland-2021/doel-9z" }),
        )
        .await;
        let goal = ok(&made)["createGoal"].clone();
        assert_eq!(goal["version"], 1);
        let update = "mutation($id: ID!, $v: Int) { updateGoal(id: $id, expectedVersion: $v, input: {target: \"-10% in 2027\", targetYear: 2027}) { version target } }";
        let updated = gql(
            &app,
            Some(&coordinator),
            update,
            json!({ "id": goal["id"], "v": 1 }),
        )
        .await;
        assert_eq!(ok(&updated)["updateGoal"]["version"], 2);
        let stale = gql(
            &app,
            Some(&coordinator),
            update,
            json!({ "id": goal["id"], "v": 1 }),
        )
        .await;
        assert_eq!(first_code(&stale), "CONFLICT");
        let linked = gql(
            &app,
            Some(&coordinator),
            "mutation($g: ID!) { linkGoalTheme(goal: $g, theme: \"ouderen\") }",
            json!({ "g": goal["id"] }),
        )
        .await;
        assert_eq!(ok(&linked)["linkGoalTheme"], true);
        let again = gql(
            &app,
            Some(&coordinator),
            "mutation($g: ID!) { linkGoalTheme(goal: $g, theme: \"ouderen\") }",
            json!({ "g": goal["id"] }),
        )
        .await;
        assert_eq!(
            ok(&again)["linkGoalTheme"],
            false,
            "linking twice changes nothing"
        );
        let themes = app
            .data(
                "query($c: String!) { goal(ref: $c) { themes { code } } }",
                json!({ "c": goal["code"] }),
            )
            .await;
        assert_eq!(themes["goal"]["themes"][0]["code"], "ouderen");
        // Not another region's agenda, not with a lesser role, not anonymously.
        let elsewhere = gql(
            &app,
            Some(&coordinator),
            create,
            json!({ "a": "sa-ijssel-vecht-2021", "c": "sa-ijssel-vecht-2021/doel-9z" }),
        )
        .await;
        assert_eq!(first_code(&elsewhere), "FORBIDDEN", "{elsewhere}");
        let editor = gql(
            &app,
            Some(&token(&rso, "editor")),
            update,
            json!({ "id": goal["id"] }),
        )
        .await;
        assert_eq!(first_code(&editor), "FORBIDDEN");
        let outsider = gql(
            &app,
            Some(&token("vgz", "coordinator")),
            update,
            json!({ "id": goal["id"] }),
        )
        .await;
        assert_eq!(first_code(&outsider), "FORBIDDEN");
        let deleted = gql(
            &app,
            Some(&coordinator),
            "mutation($id: ID!) { deleteGoal(id: $id) }",
            json!({ "id": goal["id"] }),
        )
        .await;
        assert_eq!(ok(&deleted)["deleteGoal"], goal["id"]);
        let gone = app
            .data(
                "query($c: String!) { goal(ref: $c) { id } }",
                json!({ "c": goal["code"] }),
            )
            .await;
        assert!(gone["goal"].is_null());
        // The feed shows a transaction once every older one in the cluster has ended: wait.
        let mut goal_events: Vec<Value> = Vec::new();
        for _ in 0..200 {
            let feed = gql(
                &app,
                Some(&coordinator),
                "{ changes(first: 1000) { events { entity operation recordId } } }",
                json!({}),
            )
            .await;
            goal_events = ok(&feed)["changes"]["events"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| e["recordId"] == goal["id"])
                .cloned()
                .collect();
            if goal_events
                .last()
                .is_some_and(|e| e["operation"] == "DELETE")
            {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(
            goal_events.last().expect("the goal's events")["operation"],
            "DELETE"
        );
        assert!(
            goal_events.len() >= 3,
            "create, update, link and delete are in the feed"
        );
    }
);

on_both!(
    memberships_and_deactivation_take_effect_at_once,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        let admin = token("vng", "admin");
        let created = gql(&app, Some(&admin), "mutation { createParty(input: {code: \"welzijn-nieuw\", name: \"Welzijn Nieuw\", kind: WELZIJN}) { code active } }", json!({})).await;
        assert_eq!(
            ok(&created)["createParty"],
            json!({ "code": "welzijn-nieuw", "active": true })
        );
        // A collective that takes part in an initiative.
        let data = app
            .data(
                "{ initiatives(first: 500) { nodes { code parties { party { code kind } } } } }",
                json!({}),
            )
            .await;
        let (code, collective) = data["initiatives"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find_map(|n| {
                n["parties"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|p| p["party"]["kind"] == "COLLECTIVE")
                    .map(|p| {
                        (
                            n["code"].as_str().unwrap().to_string(),
                            p["party"]["code"].as_str().unwrap().to_string(),
                        )
                    })
            })
            .expect("an initiative a collective takes part in");
        let newcomer = token("welzijn-nieuw", "viewer");
        let budget = format!("{{ initiative(ref: \"{code}\") {{ budgetEur }} }}");
        assert_eq!(
            first_code(&gql(&app, Some(&newcomer), &budget, json!({})).await),
            "FORBIDDEN"
        );
        let joined = gql(
            &app,
            Some(&admin),
            "mutation($c: ID!) { addPartyMember(collective: $c, member: \"welzijn-nieuw\") }",
            json!({ "c": collective }),
        )
        .await;
        assert_eq!(ok(&joined)["addPartyMember"], true);
        let now_in = gql(&app, Some(&newcomer), &budget, json!({})).await;
        assert!(
            now_in.get("errors").is_none(),
            "a member takes part through its collective at once: {now_in}"
        );
        gql(
            &app,
            Some(&admin),
            "mutation($c: ID!) { removePartyMember(collective: $c, member: \"welzijn-nieuw\") }",
            json!({ "c": collective }),
        )
        .await;
        assert_eq!(
            first_code(&gql(&app, Some(&newcomer), &budget, json!({})).await),
            "FORBIDDEN",
            "and stops at once"
        );
        let deactivated = gql(
            &app,
            Some(&admin),
            "mutation { updateParty(id: \"welzijn-nieuw\", input: {active: false}) { active } }",
            json!({}),
        )
        .await;
        assert_eq!(ok(&deactivated)["updateParty"]["active"], false);
        let refused = app
            .client
            .post(format!("{}/graphql", app.url))
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {newcomer}"))
            .body(r#"{"query":"{ me { role } }"}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(
            refused.status(),
            401,
            "a deactivated organisation's token is refused at once"
        );
        let not_admin = gql(
            &app,
            Some(&token("zilveren-kruis", "coordinator")),
            "mutation { createParty(input: {code: \"x\", name: \"X\", kind: OTHER}) { code } }",
            json!({}),
        )
        .await;
        assert_eq!(first_code(&not_admin), "FORBIDDEN");
    }
);

on_both!(
    steps_are_kept_by_participants_and_agendas_by_the_region_rso,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        let (code, _) = crate::writes::initiative_of(&app, "zilveren-kruis").await;
        let add = "mutation($i: ID!) { createMilestone(input: {initiative: $i, position: 9, title: \"Evaluatie\", year: 2027, period: \"2027-Q1\"}) { id title initiative { code } } }";
        let made = gql(
            &app,
            Some(&token("zilveren-kruis", "editor")),
            add,
            json!({ "i": code }),
        )
        .await;
        let step = ok(&made)["createMilestone"].clone();
        assert_eq!(step["initiative"]["code"], code.as_str());
        let outsider = gql(
            &app,
            Some(&token("categorie-huisartsen", "editor")),
            add,
            json!({ "i": code }),
        )
        .await;
        assert_eq!(first_code(&outsider), "FORBIDDEN");
        let moved = gql(&app, Some(&token("zilveren-kruis", "editor")), "mutation($id: ID!) { updateMilestone(id: $id, input: {position: 1}) { position version } }", json!({ "id": step["id"] })).await;
        assert_eq!(
            ok(&moved)["updateMilestone"],
            json!({ "position": 1, "version": 2 })
        );
        let gone = gql(
            &app,
            Some(&token("zilveren-kruis", "editor")),
            "mutation($id: ID!) { deleteMilestone(id: $id) }",
            json!({ "id": step["id"] }),
        )
        .await;
        ok(&gone);
        let rso = rso_of(&app).await;
        let region = app
            .data(
                "query($p: String!) { party(ref: $p) { regions(role: RSO) { region { code } } } }",
                json!({ "p": rso }),
            )
            .await["party"]["regions"][0]["region"]["code"]
            .as_str()
            .unwrap()
            .to_string();
        let create = "mutation($r: ID!) { createAgenda(input: {region: $r, code: \"sa-test-2027\", title: \"Agenda 2027\", kind: SAMENWERKINGSAGENDA, periodStart: 2027, periodEnd: 2030}) { code region { code } } }";
        let agenda = gql(
            &app,
            Some(&token(&rso, "coordinator")),
            create,
            json!({ "r": region }),
        )
        .await;
        assert_eq!(
            ok(&agenda)["createAgenda"]["region"]["code"],
            region.as_str()
        );
        let elsewhere = gql(
            &app,
            Some(&token(&rso, "coordinator")),
            create,
            json!({ "r": "zuidoost-utrecht" }),
        )
        .await;
        assert_eq!(first_code(&elsewhere), "FORBIDDEN");
    }
);
