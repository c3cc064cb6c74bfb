//! Protection: each limit refuses an over-limit request with its own code while a normal
//! request passes; one organisation's burst is throttled while another is served.

use crate::auth::token;
use crate::helpers::{Backend, Settings, TestApp, first_code, seeded_database};
use regiograaf::limits::Limits;
use serde_json::{Value, json};
use std::time::Duration;

async fn post(app: &TestApp, token: Option<&str>, body: String) -> (u16, Value, Option<String>) {
    let mut request = app
        .client
        .post(format!("{}/graphql", app.url))
        .header("content-type", "application/json");
    if let Some(t) = token {
        request = request.header("authorization", format!("Bearer {t}"));
    }
    let response = request.body(body).send().await.unwrap();
    let status = response.status().as_u16();
    let retry = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string());
    (status, response.json().await.unwrap_or(Value::Null), retry)
}

fn body(query: &str) -> String {
    json!({ "query": query }).to_string()
}

async fn app_with(limits: Limits) -> TestApp {
    let settings = Settings {
        database_url: seeded_database(Backend::Sqlite).await,
        listen: "127.0.0.1:0".parse().unwrap(),
        seed: true,
        auth: std::sync::Arc::new(regiograaf::auth::Trust::fixed(
            regiograaf::auth::AuthConfig::development(),
        )),
        limits,
        cors_origins: vec!["https://portaal.example.nl".into()],
    };
    TestApp::spawn_settings(Backend::Sqlite, settings).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_limit_refuses_with_its_own_code_while_a_normal_request_passes() {
    let app = app_with(Limits {
        requests_per_minute: 1_000_000,
        burst: 100_000,
        ..Default::default()
    })
    .await;
    let normal = "{ initiatives(first: 20) { nodes { code parties { party { name } } } } }";
    let (status, answer, _) = post(&app, None, body(normal)).await;
    assert_eq!(status, 200);
    assert!(answer.get("errors").is_none(), "{answer}");
    let limits = Limits::default();
    let levels = limits.max_depth;
    let deep = format!(
        "{{ initiative(ref: \"x\") {{ {}code{} }} }}",
        "parent { ".repeat(levels),
        " }".repeat(levels)
    );
    let aliases = format!(
        "{{ agendas {{ nodes {{ {} }} }} }}",
        (0..limits.max_aliases + 1)
            .map(|i| format!("a{i}: code"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let roots = format!(
        "{{ {} }}",
        (0..limits.max_root_fields + 1)
            .map(|i| if i == 0 {
                "agendas { totalCount }".to_string()
            } else {
                "__typename".to_string()
            })
            .collect::<Vec<_>>()
            .join(" ")
    );
    let directives = format!(
        "{{ agendas {{ totalCount {} }} }}",
        (0..limits.max_directives + 1)
            .map(|_| "@include(if: true)")
            .collect::<Vec<_>>()
            .join(" ")
    );
    let complex = "{ initiatives(first: 500) { nodes { parties { party { initiatives { initiative { parties { party { code } } } } } } } } }".to_string();
    let huge = format!(
        "{{ agendas {{ totalCount }} }} # {}",
        "x".repeat(limits.max_document_bytes)
    );
    let cases = [
        ("DEPTH_LIMIT", deep),
        ("ALIAS_LIMIT", aliases),
        ("ROOT_FIELD_LIMIT", roots),
        ("DIRECTIVE_LIMIT", directives),
        ("COMPLEXITY_LIMIT", complex),
        ("DOCUMENT_TOO_LARGE", huge),
    ];
    for (code, query) in cases {
        let (_, answer, _) = post(&app, None, body(&query)).await;
        assert_eq!(first_code(&answer), code, "{answer}");
    }
    let too_big = json!({ "query": "{ __typename }", "variables": { "pad": "x".repeat(limits.max_body_bytes) } }).to_string();
    let (status, answer, _) = post(&app, None, too_big).await;
    assert_eq!((status, first_code(&answer)), (413, "REQUEST_TOO_LARGE"));
    let (status, _, _) = post(&app, None, body(normal)).await;
    assert_eq!(status, 200, "normal requests still pass");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_from_one_organisation_is_throttled_while_another_is_served() {
    let app = app_with(Limits {
        requests_per_minute: 60,
        burst: 5,
        ..Default::default()
    })
    .await;
    let busy = token("zilveren-kruis", "viewer");
    let calm = token("vgz", "viewer");
    let mut throttled = None;
    for _ in 0..10 {
        let (status, answer, retry) = post(&app, Some(&busy), body("{ me { role } }")).await;
        if status == 429 {
            throttled = Some((answer, retry));
            break;
        }
    }
    let (answer, retry) = throttled.expect("the sixth request of the burst is refused");
    assert_eq!(first_code(&answer), "RATE_LIMITED");
    assert!(
        retry.unwrap().parse::<u64>().unwrap() >= 1,
        "Retry-After says when"
    );
    let (status, _, _) = post(&app, Some(&calm), body("{ me { role } }")).await;
    assert_eq!(status, 200, "another organisation is served");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_request_is_stopped_by_the_timeout() {
    let app = app_with(Limits {
        request_timeout: Duration::from_millis(1),
        max_complexity: 10_000_000,
        ..Default::default()
    })
    .await;
    // Work that takes many milliseconds even on a fast machine (the timer's granularity is
    // a millisecond, so a short query may finish before a 1 ms timeout fires).
    let list = "initiatives(first: 300) { nodes { title agenda { title } themes { name } parties { role party { name regions { region { name } } } } goals { title } } }";
    let query = format!(
        "{{ {} }}",
        (0..8)
            .map(|n| format!("q{n}: {list}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let (status, answer, _) = post(&app, None, body(&query)).await;
    assert_eq!((status, first_code(&answer)), (503, "TIMEOUT"), "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_compression_and_cors_work() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let ready = app
        .client
        .get(format!("{}/readyz", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    assert_eq!(ready.json::<Value>().await.unwrap()["status"], "ready");
    let preflight = app
        .client
        .request(reqwest::Method::OPTIONS, format!("{}/graphql", app.url))
        .header("origin", "https://portaal.example.nl")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(
        preflight
            .headers()
            .get("access-control-allow-origin")
            .unwrap(),
        "https://portaal.example.nl"
    );
    let stranger = app
        .client
        .request(reqwest::Method::OPTIONS, format!("{}/graphql", app.url))
        .header("origin", "https://elders.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert!(
        stranger
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
    let gzip = app
        .client
        .post(format!("{}/graphql", app.url))
        .header("content-type", "application/json")
        .header("accept-encoding", "gzip")
        .body(body(
            "{ initiatives(first: 100) { nodes { title summary } } }",
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(
        gzip.headers()
            .get("content-encoding")
            .map(|v| v.to_str().unwrap()),
        Some("gzip")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_requests_by_operation_organisation_and_error_code() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let token = token("zilveren-kruis", "viewer");
    post(
        &app,
        Some(&token),
        body("query PortaalHome { agendas { totalCount } }"),
    )
    .await;
    post(&app, None, body("{ node(id: \"nope\") { id } }")).await;
    let text = app
        .client
        .get(format!("{}/metrics", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains(
            "regiograaf_requests_total{operation=\"PortaalHome\",organisation=\"zilveren-kruis\"}"
        ),
        "{text}"
    );
    assert!(text.contains("regiograaf_errors_total{code=\"BAD_USER_INPUT\"}"));
    assert!(text.contains("regiograaf_request_duration_seconds_bucket"));
    assert!(text.contains("regiograaf_db_pool_connections{state=\"open\"}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_follows_the_database_down_and_up_again() {
    use sea_orm::ConnectionTrait;
    let app = TestApp::spawn(Backend::Postgres).await;
    let ready = || async {
        app.client
            .get(format!("{}/readyz", app.url))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!(ready().await, 200);
    let name = app.database_url.rsplit('/').next().unwrap().to_string();
    let admin = sea_orm::Database::connect(crate::helpers::postgres_admin_url())
        .await
        .unwrap();
    admin
        .execute_unprepared(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false"))
        .await
        .unwrap();
    admin
        .execute_unprepared(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
        ))
        .await
        .unwrap();
    let started = std::time::Instant::now();
    assert_eq!(ready().await, 503, "not ready while the database is away");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "and it says so quickly"
    );
    admin
        .execute_unprepared(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"))
        .await
        .unwrap();
    let mut back = false;
    for _ in 0..50 {
        if ready().await == 200 {
            back = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(back, "ready again by itself");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_configuration_file_sets_what_flags_and_variables_do_not() {
    let free = || {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    };
    let (from_file, from_env) = (free(), free());
    let dir = crate::helpers::Scratch::new("cfg");
    let config = dir.join("regiograaf.yaml");
    let database = format!("sqlite://{}?mode=rwc", dir.join("c.sqlite").display());
    std::fs::write(
        &config,
        format!("database_url: \"{database}\"\nlisten: 127.0.0.1:{from_file}\nlog_format: json\n"),
    )
    .unwrap();
    let answers = |port: u16| async move {
        for _ in 0..100 {
            if reqwest::get(format!("http://127.0.0.1:{port}/healthz"))
                .await
                .is_ok()
            {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        false
    };
    for (env, port) in [(None, from_file), (Some(from_env), from_env)] {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_regiograaf"));
        command
            .arg("--config")
            .arg(&config)
            .env_remove("REGIOGRAAF_LISTEN")
            .env("RUST_LOG", "error");
        if let Some(p) = env {
            command.env("REGIOGRAAF_LISTEN", format!("127.0.0.1:{p}"));
        }
        let mut child = command.spawn().unwrap();
        let ok = answers(port).await;
        child.kill().ok();
        child.wait().ok();
        assert!(ok, "listening on {port} (variable {env:?} over the file)");
    }
}

fn sha256(text: &str) -> String {
    regiograaf::operations::hash(text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn automatic_persisted_queries_store_a_document_once_and_run_it_by_hash() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let query = "{ agendas { totalCount } }";
    let hash = sha256(query);
    let by_hash =
        json!({ "extensions": { "persistedQuery": { "version": 1, "sha256Hash": hash } } })
            .to_string();
    let (_, answer, _) = post(&app, None, by_hash.clone()).await;
    assert_eq!(first_code(&answer), "PERSISTED_QUERY_NOT_FOUND");
    let with_document = json!({ "query": query, "extensions": { "persistedQuery": { "version": 1, "sha256Hash": hash } } }).to_string();
    let (status, answer, _) = post(&app, None, with_document).await;
    assert_eq!(status, 200, "{answer}");
    let (status, answer, _) = post(&app, None, by_hash).await;
    assert_eq!(
        (
            status,
            answer["data"]["agendas"]["totalCount"].as_u64().unwrap() >= 5
        ),
        (200, true),
        "{answer}"
    );
    let wrong = json!({ "query": "{ regions { totalCount } }", "extensions": { "persistedQuery": { "version": 1, "sha256Hash": hash } } }).to_string();
    let (status, answer, _) = post(&app, None, wrong).await;
    assert_eq!((status, first_code(&answer)), (400, "BAD_REQUEST"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_organisation_on_an_allow_list_runs_only_its_registered_operations() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = token("vng", "admin");
    let partner = token("vgz", "editor");
    let registered = "query Mine { me { organisation { code } } }";
    let (_, answer, _) = post(&app, Some(&admin), json!({ "query": "mutation($d: [String!]!) { registerOperations(organisation: \"vgz\", documents: $d) }", "variables": { "d": [registered] } }).to_string()).await;
    assert_eq!(
        answer["data"]["registerOperations"][0],
        sha256(registered),
        "{answer}"
    );
    let (_, answer, _) = post(
        &app,
        Some(&admin),
        body("mutation { setAllowList(organisation: \"vgz\", enabled: true) }"),
    )
    .await;
    assert_eq!(answer["data"]["setAllowList"], true, "{answer}");
    let (status, answer, _) = post(&app, Some(&partner), body(registered)).await;
    assert_eq!(status, 200, "{answer}");
    let by_hash = json!({ "extensions": { "persistedQuery": { "version": 1, "sha256Hash": sha256(registered) } } }).to_string();
    let (status, _, _) = post(&app, Some(&partner), by_hash).await;
    assert_eq!(status, 200, "the registered operation runs by its hash");
    let (status, answer, _) = post(&app, Some(&partner), body("{ agendas { totalCount } }")).await;
    assert_eq!(
        (status, first_code(&answer)),
        (403, "OPERATION_NOT_ALLOWED")
    );
    let (status, _, _) = post(
        &app,
        Some(&token("zilveren-kruis", "viewer")),
        body("{ agendas { totalCount } }"),
    )
    .await;
    assert_eq!(
        status, 200,
        "organisations without an allow-list are not affected"
    );
    post(
        &app,
        Some(&admin),
        body("mutation { setAllowList(organisation: \"vgz\", enabled: false) }"),
    )
    .await;
    let (status, _, _) = post(&app, Some(&partner), body("{ agendas { totalCount } }")).await;
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expensive_queries_use_up_an_organisations_cost_budget() {
    let app = app_with(Limits {
        cost_per_minute: 1_000,
        cost_burst: 1_000,
        ..Default::default()
    })
    .await;
    let spender = token("zilveren-kruis", "viewer");
    let expensive = body("{ initiatives(first: 300) { nodes { title } } }");
    let (status, answer, _) = post(&app, Some(&spender), expensive.clone()).await;
    assert_eq!(status, 200, "{answer}");
    let (status, answer, retry) = post(&app, Some(&spender), expensive.clone()).await;
    assert_eq!(
        (status, first_code(&answer)),
        (429, "RATE_LIMITED"),
        "{answer}"
    );
    assert!(retry.is_some());
    let (status, _, _) = post(&app, Some(&token("vgz", "viewer")), expensive).await;
    assert_eq!(status, 200, "another organisation has its own budget");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutations_use_up_the_cost_budget_too() {
    // A mutation with a token is charged by the schema that executes it, not by the metering
    // twin queries go through: the same budget all the same.
    let app = app_with(Limits {
        cost_per_minute: 10,
        cost_burst: 10,
        ..Default::default()
    })
    .await;
    let editor = token("zilveren-kruis", "editor");
    let change = body(
        "mutation { setInitiativeStatus(id: \"Initiative:1\", status: COMPLETED) { id status version } }",
    );
    let mut answers = Vec::new();
    for _ in 0..4 {
        let (status, answer, _) = post(&app, Some(&editor), change.clone()).await;
        answers.push((status, first_code(&answer).to_string()));
    }
    assert_ne!(answers[0].0, 429, "{answers:?}");
    assert!(
        answers.contains(&(429, "RATE_LIMITED".to_string())),
        "a mutation costs 4 of 10: {answers:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_requests_get_errors_not_crashes() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let nested = format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000));
    let bodies = [
        "\u{0}\u{1}garbage".to_string(),
        format!("{{\"query\": \"{{ __typename }}\", \"variables\": {nested}}}"),
        format!("{{\"query\": \"{}\"}}", "{".repeat(5_000)),
        "{\"query\": \"query($a: Int) { initiatives(first: $a) { totalCount } }\", \"variables\": {\"a\": 99999999999}}".to_string(),
        "{\"query\": \"{ initiatives(filter: {titleContains: \\\"\\u0000\\\"}) { totalCount } }\"}".to_string(),
        "{\"query\": \"{ node(id: \\\"Initiative:2147483648\\\") { id } }\"}".to_string(),
        "{\"query\": \"fragment A on Query { ...B } fragment B on Query { ...A } { ...A }\"}".to_string(),
    ];
    for hostile in bodies {
        let (status, _, _) = post(&app, None, hostile.clone()).await;
        assert!(
            status < 500,
            "{status} for {}",
            &hostile[..hostile.len().min(60)]
        );
    }
    let (status, _, _) = post(&app, None, body("{ agendas { totalCount } }")).await;
    assert_eq!(status, 200, "still serving");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_postgresql_serve_the_same_data() {
    let url = seeded_database(Backend::Postgres).await;
    let a = TestApp::spawn_on(Backend::Postgres, url.clone()).await;
    let b = TestApp::spawn_on(Backend::Postgres, url).await;
    let editor = token("zilveren-kruis", "editor");
    let (code, _) = crate::writes::initiative_of(&a, "zilveren-kruis").await;
    let (_, answer, _) = post(&a, Some(&editor), json!({ "query": "mutation($id: ID!) { updateInitiative(id: $id, input: {title: \"Via instantie A\"}) { version } }", "variables": { "id": code } }).to_string()).await;
    assert!(answer.get("errors").is_none(), "{answer}");
    let read = |app: &TestApp| {
        let query = format!("{{ initiative(ref: \"{code}\") {{ title version }} }}");
        let app_url = app.url.clone();
        let client = app.client.clone();
        async move {
            let r = client
                .post(format!("{app_url}/graphql"))
                .header("content-type", "application/json")
                .body(json!({ "query": query }).to_string())
                .send()
                .await
                .unwrap();
            r.json::<Value>().await.unwrap()["data"]["initiative"].clone()
        }
    };
    assert_eq!(read(&a).await, read(&b).await);
    assert_eq!(read(&b).await["title"], "Via instantie A");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn introspection_can_be_kept_to_callers_with_a_token() {
    let app = app_with(Limits {
        introspection: regiograaf::limits::Introspection::Authenticated,
        ..Default::default()
    })
    .await;
    let introspect = body("{ __schema { queryType { name } } }");
    let (_, answer, _) = post(&app, None, introspect.clone()).await;
    assert!(
        answer["data"]["__schema"].is_null(),
        "anonymous callers see no schema: {answer}"
    );
    let (_, answer, _) = post(&app, Some(&token("vgz", "viewer")), introspect).await;
    assert_eq!(answer["data"]["__schema"]["queryType"]["name"], "Query");
}

// Whether a document passed the validation is kept across callers (http/documents.rs): all
// schemas have the same types, and introspection is refused while executing, not validating.
// A document with introspection that passed for a caller with a token still shows no schema
// to an anonymous caller, who gets the same answer as for a document never seen.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passing_the_validation_with_a_token_does_not_carry_over_to_anonymous_callers() {
    let app = app_with(Limits {
        introspection: regiograaf::limits::Introspection::Authenticated,
        ..Default::default()
    })
    .await;
    let text = "{ __type(name: \"Initiative\") { name } regions { totalCount } }";
    let viewer = token("vgz", "viewer");
    let (status, answer, _) = post(&app, Some(&viewer), body(text)).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["data"]["__type"]["name"], "Initiative", "{answer}");
    let never_seen = post(&app, None, body(&format!("{text} "))).await;
    let seen = post(&app, None, body(text)).await;
    assert_eq!(seen, never_seen);
    assert!(seen.1["data"]["__type"].is_null(), "{:?}", seen.1);
}

/// The introspection query graphql-js's `getIntrospectionQuery()` builds (type references
/// nested as deep as graphql 17 nests them): what GraphiQL, code generators and `gql` send.
fn standard_introspection() -> String {
    let type_ref = format!(
        "kind name {}",
        (0..9).fold(String::new(), |inner, _| format!(
            "ofType {{ kind name {inner} }}"
        ))
    );
    format!(
        "query IntrospectionQuery {{ __schema {{ queryType {{ name }} mutationType {{ name }} \
         subscriptionType {{ name }} types {{ ...FullType }} directives {{ name description \
         locations args {{ ...InputValue }} }} }} }}
         fragment FullType on __Type {{ kind name description fields(includeDeprecated: true) {{ \
         name description args {{ ...InputValue }} type {{ ...TypeRef }} isDeprecated \
         deprecationReason }} inputFields {{ ...InputValue }} interfaces {{ ...TypeRef }} \
         enumValues(includeDeprecated: true) {{ name description isDeprecated deprecationReason }} \
         possibleTypes {{ ...TypeRef }} }}
         fragment InputValue on __InputValue {{ name description type {{ ...TypeRef }} defaultValue }}
         fragment TypeRef on __Type {{ {type_ref} }}"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_standard_introspection_query_passes_the_depth_limit() {
    let app = app_with(Limits::default()).await;
    let (status, answer, _) = post(&app, None, body(&standard_introspection())).await;
    assert_eq!(status, 200, "{answer}");
    assert!(answer.get("errors").is_none(), "{answer}");
    assert!(
        answer["data"]["__schema"]["types"]
            .as_array()
            .unwrap()
            .len()
            > 50
    );
    // Depth through fragments still counts for everything else.
    let levels = Limits::default().max_depth;
    let nested = format!(
        "{{ initiative(ref: \"x\") {{ ...P }} }} fragment P on Initiative {{ {}code{} }}",
        "parent { ".repeat(levels),
        " }".repeat(levels)
    );
    let (_, answer, _) = post(&app, None, body(&nested)).await;
    assert_eq!(
        answer["errors"][0]["extensions"]["code"], "DEPTH_LIMIT",
        "{answer}"
    );
}
