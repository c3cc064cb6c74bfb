//! Subscriptions over WebSocket (graphql-transport-ws): changes reach subscribers, on the
//! same instance and, on PostgreSQL, on another instance over the same database.

use crate::auth::token;
use crate::helpers::{Backend, TestApp, seeded_database};
use crate::on_both;
use crate::writes::{gql, initiative_of};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens a graphql-transport-ws connection to `app` with `token` and subscribes to `query`.
async fn subscribe(app: &TestApp, token: Option<&str>, query: &str) -> Result<Socket, String> {
    let url = format!("{}/graphql/ws", app.url.replace("http://", "ws://"));
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .map_err(|e| e.to_string())?;
    let payload = match token {
        Some(t) => json!({ "authorization": format!("Bearer {t}") }),
        None => json!({}),
    };
    socket
        .send(Message::text(
            json!({ "type": "connection_init", "payload": payload }).to_string(),
        ))
        .await
        .unwrap();
    match next_json(&mut socket, Duration::from_secs(10)).await {
        Some(ack) if ack["type"] == "connection_ack" => {}
        other => return Err(format!("no connection_ack: {other:?}")),
    }
    socket
        .send(Message::text(
            json!({ "id": "1", "type": "subscribe", "payload": { "query": query } }).to_string(),
        ))
        .await
        .unwrap();
    Ok(socket)
}

async fn next_json(socket: &mut Socket, wait: Duration) -> Option<Value> {
    let deadline = Instant::now() + wait;
    loop {
        let left = deadline.checked_duration_since(Instant::now())?;
        match tokio::time::timeout(left, socket.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => return serde_json::from_str(&text).ok(),
            Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => continue,
            _ => return None,
        }
    }
}

const CHANGES: &str = "subscription { initiativeChanges(party: \"zilveren-kruis\") { operation recordId initiative { code status } } }";

/// Writes a status through `writer` and waits for the event on `socket`; returns the latency.
async fn write_and_receive(writer: &TestApp, socket: &mut Socket, code: &str) -> Duration {
    // Give the subscription a moment to be registered before the write.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let start = Instant::now();
    let body = gql(
        writer,
        Some(&token("zilveren-kruis", "editor")),
        "mutation($id: ID!) { setInitiativeStatus(id: $id, status: STOPPED) { version } }",
        json!({ "id": code }),
    )
    .await;
    assert!(body.get("errors").is_none(), "{body}");
    loop {
        let message = next_json(socket, Duration::from_secs(10))
            .await
            .expect("an event within 10 s");
        if message["type"] == "next" {
            let event = &message["payload"]["data"]["initiativeChanges"];
            assert_eq!(event["operation"], "UPSERT", "{message}");
            assert_eq!(event["initiative"]["code"], code);
            assert_eq!(event["initiative"]["status"], "STOPPED");
            return start.elapsed();
        }
        assert_ne!(message["type"], "error", "{message}");
    }
}

on_both!(
    a_subscriber_sees_a_change_as_it_is_committed,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        let (code, _) = initiative_of(&app, "zilveren-kruis").await;
        let mut socket = subscribe(&app, Some(&token("gemeente-haarlem", "viewer")), CHANGES)
            .await
            .unwrap();
        let latency = write_and_receive(&app, &mut socket, &code).await;
        eprintln!("subscription latency, same instance ({backend:?}): {latency:?}");
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_on_instance_b_sees_a_change_made_on_instance_a() {
    let url = seeded_database(Backend::Postgres).await;
    let a = TestApp::spawn_on(Backend::Postgres, url.clone()).await;
    let b = TestApp::spawn_on(Backend::Postgres, url).await;
    let (code, _) = initiative_of(&a, "zilveren-kruis").await;
    let mut socket = subscribe(&b, None, CHANGES).await.unwrap();
    let latency = write_and_receive(&a, &mut socket, &code).await;
    eprintln!(
        "subscription latency, instance A to instance B (PostgreSQL LISTEN/NOTIFY): {latency:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_token_gets_no_subscription() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let refused = subscribe(&app, Some("not.a.token"), CHANGES).await;
    assert!(refused.is_err(), "the connection is refused");
}

on_both!(
    subscribing_from_now_costs_the_same_however_long_the_feed,
    |backend| async move {
        let url = seeded_database(backend).await;
        // A feed of 20,000 events, as a busy month leaves it.
        let db = sea_orm::Database::connect(&url).await.unwrap();
        let fill = match backend {
            Backend::Postgres => {
                "INSERT INTO change_event (txid, at, entity, record_id, operation)
                 SELECT 1, now(), 'initiative', 1, 'upsert' FROM generate_series(1, 20000)"
            }
            Backend::Sqlite => {
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
                 INSERT INTO change_event (txid, at, entity, record_id, operation)
                 SELECT 0, '2026-01-01T00:00:00Z', 'initiative', 1, 'upsert' FROM n"
            }
        };
        sea_orm::ConnectionTrait::execute_unprepared(&db, fill)
            .await
            .unwrap();
        let app = TestApp::spawn_on(backend, url).await;
        let (code, _) = initiative_of(&app, "zilveren-kruis").await;
        let before = app.statements.get();
        let mut socket = subscribe(&app, None, CHANGES).await.unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        let started = app.statements.get() - before;
        // The party, and the end of the feed; not a page of it per thousand events.
        assert!(started <= 3, "{started} statements to start a subscription");
        write_and_receive(&app, &mut socket, &code).await;
    }
);

on_both!(
    a_subscription_given_a_cursor_starts_there,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        let (code, _) = initiative_of(&app, "zilveren-kruis").await;
        let mut cursor = Value::Null;
        loop {
            let page = app
                .data(
                    "query($after: String) { changes(after: $after, first: 1000) { endCursor hasMore } }",
                    json!({ "after": cursor }),
                )
                .await;
            cursor = page["changes"]["endCursor"].clone();
            if page["changes"]["hasMore"] == false {
                break;
            }
        }
        let body = gql(
            &app,
            Some(&token("zilveren-kruis", "editor")),
            "mutation($id: ID!) { setInitiativeStatus(id: $id, status: STOPPED) { version } }",
            json!({ "id": code }),
        )
        .await;
        assert!(body.get("errors").is_none(), "{body}");
        // Subscribed after the write, from the cursor before it: the write is replayed.
        let query = format!(
            "subscription {{ initiativeChanges(party: \"zilveren-kruis\", after: {cursor}) {{ operation initiative {{ code status }} }} }}"
        );
        let mut socket = subscribe(&app, None, &query).await.unwrap();
        let message = next_json(&mut socket, Duration::from_secs(10))
            .await
            .expect("the replayed event");
        assert_eq!(message["type"], "next", "{message}");
        let event = &message["payload"]["data"]["initiativeChanges"];
        assert_eq!(event["initiative"]["code"], code.as_str());
        assert_eq!(event["initiative"]["status"], "STOPPED");
        // A cursor that is not one is refused at once (an execution error, sent as `next`).
        let bad = "subscription { initiativeChanges(after: \"nonsense\") { operation } }";
        let mut socket = subscribe(&app, None, bad).await.unwrap();
        let message = next_json(&mut socket, Duration::from_secs(10))
            .await
            .expect("an answer");
        assert_eq!(
            message["payload"]["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{message}"
        );
    }
);

on_both!(
    a_party_narrowed_subscription_hears_of_its_initiatives_only,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        let admin = token("zilveren-kruis", "admin");
        let data = app
            .data_with(
                Some(&admin),
                "{ initiatives(first: 500) { nodes { id code parties { party { code } role } } } }",
            )
            .await;
        let nodes = data["initiatives"]["nodes"].as_array().unwrap().clone();
        let role_of = |node: &Value| {
            node["parties"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["party"]["code"] == "zilveren-kruis")
                .map(|p| p["role"].as_str().unwrap().to_string())
        };
        let mine: Vec<&Value> = nodes.iter().filter(|n| role_of(n).is_some()).collect();
        let outside = nodes.iter().find(|n| role_of(n).is_none()).unwrap();
        let (inside, left) = (mine[0], mine[1]);
        let mut socket = subscribe(&app, Some(&admin), CHANGES).await.unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;

        let write = |query: String| {
            let (app, admin) = (&app, &admin);
            async move {
                let body = gql(app, Some(admin), &query, json!({})).await;
                assert!(body.get("errors").is_none(), "{body}");
            }
        };
        let delete = |node: &Value| {
            format!(
                "mutation {{ deleteInitiative(id: \"{}\") }}",
                node["id"].as_str().unwrap()
            )
        };
        write(delete(outside)).await;
        write(format!(
            "mutation {{ removeInitiativeParty(initiative: \"{}\", party: \"zilveren-kruis\", role: {}) {{ code }} }}",
            left["code"].as_str().unwrap(),
            role_of(left).unwrap()
        ))
        .await;
        write(format!(
            "mutation {{ setInitiativeStatus(id: \"{}\", status: STOPPED) {{ code }} }}",
            left["code"].as_str().unwrap()
        ))
        .await;
        write(delete(inside)).await;

        let mut heard = Vec::new();
        while let Some(message) = next_json(&mut socket, Duration::from_secs(10)).await {
            assert_ne!(message["type"], "error", "{message}");
            let event = &message["payload"]["data"]["initiativeChanges"];
            heard.push((
                event["operation"].as_str().unwrap_or_default().to_string(),
                event["recordId"].as_str().unwrap_or_default().to_string(),
            ));
            if event["operation"] == "DELETE" {
                break;
            }
        }
        let id = |node: &Value| node["id"].as_str().unwrap().to_string();
        assert_eq!(
            heard,
            vec![
                ("UPSERT".to_string(), id(left)),
                ("DELETE".to_string(), id(inside)),
            ],
            "the change that ended the party's part passes, then nothing more of that \
             initiative; no deletion of an initiative the party is not in"
        );
    }
);
