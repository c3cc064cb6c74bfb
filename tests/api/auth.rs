//! Tokens and the policy: who gets in, and who sees which fields and rows.

use crate::helpers::{Backend, TestApp, first_code};
use crate::on_both;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use regiograaf::auth::config::{Issuer, Key};
use regiograaf::auth::{AnonymousAccess, AuthConfig};
use regiograaf::dataset::format::DataFile;
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet, HashMap};

const PARTNER_ISSUER: &str = "https://idp.partner.example";
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}/{name}")).unwrap()
}

/// The development issuer plus a partner issuer with an RS256 and an ES256 key.
fn auth() -> AuthConfig {
    let mut config = AuthConfig::development();
    config.issuers.push(Issuer {
        issuer: PARTNER_ISSUER.into(),
        audience: "regiograaf".into(),
        org_claim: "organisation".into(),
        role_claim: "role".into(),
        leeway_seconds: 0,
        keys: vec![
            Key {
                algorithm: Algorithm::RS256,
                key: DecodingKey::from_rsa_pem(&fixture("rsa-public.pem")).unwrap(),
                kid: None,
                secret: None,
            },
            Key {
                algorithm: Algorithm::ES256,
                key: DecodingKey::from_ec_pem(&fixture("ec-public.pem")).unwrap(),
                kid: None,
                secret: None,
            },
        ],
    });
    config
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn dev_claims(org: &str, role: &str) -> Value {
    json!({ "iss": "regiograaf-dev", "aud": "regiograaf", "org": org, "role": role, "exp": now() + 600, "nbf": now() - 5, "sub": "tester" })
}

fn sign_dev(claims: &Value) -> String {
    let secret = regiograaf::auth::config::DEV_SECRET.as_bytes();
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret),
    )
    .unwrap()
}

fn sign_partner(alg: Algorithm, claims: &Value) -> String {
    let key = match alg {
        Algorithm::RS256 => EncodingKey::from_rsa_pem(&fixture("rsa-private.pem")).unwrap(),
        Algorithm::ES256 => EncodingKey::from_ec_pem(&fixture("ec-private.pem")).unwrap(),
        _ => unreachable!(),
    };
    jsonwebtoken::encode(&Header::new(alg), claims, &key).unwrap()
}

/// A token for `org` in `role` from the development issuer.
pub fn token(org: &str, role: &str) -> String {
    sign_dev(&dev_claims(org, role))
}

async fn post(app: &TestApp, token: Option<&str>, query: &str) -> (u16, Option<String>, Value) {
    let mut request = app
        .client
        .post(format!("{}/graphql", app.url))
        .header("content-type", "application/json");
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let response = request
        .json(&json!({ "query": query }))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let challenge = response
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_string());
    (status, challenge, response.json().await.unwrap())
}

const ME: &str = "{ me { organisation { code } role } }";

on_both!(
    tokens_of_every_trusted_issuer_and_algorithm_are_accepted,
    |backend| async move {
        let app = TestApp::spawn_with(
            backend,
            crate::helpers::seeded_database(backend).await,
            auth(),
        )
        .await;
        let partner = |org: &str| json!({ "iss": PARTNER_ISSUER, "aud": "regiograaf", "organisation": org, "role": "editor", "exp": now() + 600 });
        let cases = [
            (
                token("zilveren-kruis", "viewer"),
                "zilveren-kruis",
                "VIEWER",
            ),
            (
                sign_partner(Algorithm::RS256, &partner("ggd-kennemerland")),
                "ggd-kennemerland",
                "EDITOR",
            ),
            (
                sign_partner(Algorithm::ES256, &partner("gemeente-haarlem")),
                "gemeente-haarlem",
                "EDITOR",
            ),
        ];
        for (token, org, role) in cases {
            let (status, _, body) = post(&app, Some(&token), ME).await;
            assert_eq!(status, 200, "{body}");
            assert_eq!(body["data"]["me"]["organisation"]["code"], org);
            assert_eq!(body["data"]["me"]["role"], role);
        }
        let (_, _, body) = post(&app, None, ME).await;
        assert_eq!(
            body["data"]["me"],
            json!({ "organisation": null, "role": null })
        );
    }
);

on_both!(
    bad_tokens_are_unauthenticated_never_anonymous,
    |backend| async move {
        let url = crate::helpers::seeded_database(backend).await;
        let app = TestApp::spawn_with(backend, url.clone(), auth()).await;
        let valid = token("zilveren-kruis", "viewer");
        let mut claims = dev_claims("zilveren-kruis", "viewer");
        let with = |key: &str, value: Value| {
            let mut c = dev_claims("zilveren-kruis", "viewer");
            c[key] = value;
            sign_dev(&c)
        };
        let b64 = |v: &Value| {
            use base64::Engine;
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
        };
        claims["org"] = json!("gemeente-haarlem");
        let parts: Vec<&str> = valid.split('.').collect();
        let tampered = format!("{}.{}.{}", parts[0], b64(&claims), parts[2]);
        let alg_none = format!(
            "{}.{}.",
            b64(&json!({ "alg": "none", "typ": "JWT" })),
            b64(&dev_claims("zilveren-kruis", "admin"))
        );
        // HS256 signed with the partner's RSA public key as the secret: the classic confusion.
        let confused = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &json!({ "iss": PARTNER_ISSUER, "aud": "regiograaf", "organisation": "zilveren-kruis", "role": "admin", "exp": now() + 600 }),
        &EncodingKey::from_secret(&fixture("rsa-public.pem")),
    )
    .unwrap();
        let cases = [
            ("expired", with("exp", json!(now() - 120))),
            ("not yet valid", with("nbf", json!(now() + 3600))),
            ("wrong audience", with("aud", json!("someone-else"))),
            ("wrong issuer", with("iss", json!("https://evil.example"))),
            ("no expiry", {
                let mut c = dev_claims("zilveren-kruis", "viewer");
                c.as_object_mut().unwrap().remove("exp");
                sign_dev(&c)
            }),
            ("alg none", alg_none),
            ("HS256 signed with an RS public key", confused),
            ("tampered payload", tampered),
            (
                "unknown organisation",
                token("no-such-organisation", "viewer"),
            ),
            ("unknown role", token("zilveren-kruis", "emperor")),
            ("garbage", "not.a.token".to_string()),
        ];
        for (case, bad) in cases {
            let (status, challenge, body) = post(&app, Some(&bad), ME).await;
            assert_eq!(status, 401, "{case}: {body}");
            assert_eq!(first_code(&body), "UNAUTHENTICATED", "{case}");
            assert!(
                challenge.unwrap_or_default().starts_with("Bearer"),
                "{case}: WWW-Authenticate"
            );
            assert!(body.get("data").is_none(), "{case}");
        }
        let basic = app
            .client
            .post(format!("{}/graphql", app.url))
            .header("content-type", "application/json")
            .header("authorization", "Basic dXNlcjpwYXNz")
            .body(r#"{"query":"{ me { role } }"}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(basic.status(), 401);
        // Deactivating the organisation, even by hand in SQL, takes effect at once, not at
        // token expiry: on SQLite the organisation is read for every request; on PostgreSQL it
        // is kept, and a trigger's notification drops it a moment after the commit.
        let (status, _, _) = post(&app, Some(&valid), ME).await;
        assert_eq!(status, 200);
        let (status, _, _) = post(&app, Some(&valid), ME).await;
        assert_eq!(status, 200);
        let db = Database::connect(&url).await.unwrap();
        db.execute_unprepared("UPDATE party SET active = false WHERE code = 'zilveren-kruis'")
            .await
            .unwrap();
        let within = match backend {
            Backend::Sqlite => std::time::Duration::ZERO,
            Backend::Postgres => std::time::Duration::from_secs(1),
        };
        let deadline = std::time::Instant::now() + within;
        let (status, body) = loop {
            let (status, _, body) = post(&app, Some(&valid), ME).await;
            if status == 401 || std::time::Instant::now() >= deadline {
                break (status, body);
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        };
        assert_eq!(status, 401, "{body}");
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("deactivated")
        );
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_callers_can_be_refused() {
    let mut config = auth();
    config.anonymous = AnonymousAccess::Refuse;
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        crate::helpers::seeded_database(Backend::Sqlite).await,
        config,
    )
    .await;
    let (status, challenge, body) = post(&app, None, ME).await;
    assert_eq!((status, first_code(&body)), (401, "UNAUTHENTICATED"));
    assert!(challenge.is_some());
    let (status, _, _) = post(&app, Some(&token("vgz", "viewer")), ME).await;
    assert_eq!(status, 200);
}

/// Who takes part in each initiative according to the data files: directly, or through a
/// collective the party is a member of.
struct Truth {
    /// initiative code -> participating party codes (members of collectives included).
    participants: HashMap<String, BTreeSet<String>>,
    /// initiative code -> region code (of its agenda).
    region: HashMap<String, String>,
    /// region code -> party codes linked to it (members of linked collectives included).
    region_parties: HashMap<String, BTreeSet<String>>,
}

fn truth() -> Truth {
    let files: Vec<DataFile> = regiograaf::dataset::bundled_sources()
        .iter()
        .map(|(_, t)| serde_yaml_ng::from_str(t).unwrap())
        .collect();
    let mut members: HashMap<String, Vec<String>> = HashMap::new();
    for f in &files {
        for p in &f.parties {
            members
                .entry(p.code.clone())
                .or_default()
                .extend(p.members.iter().cloned());
        }
    }
    let expand = |code: &str| {
        let mut out = BTreeSet::from([code.to_string()]);
        out.extend(members.get(code).into_iter().flatten().cloned());
        out
    };
    let mut t = Truth {
        participants: HashMap::new(),
        region: HashMap::new(),
        region_parties: HashMap::new(),
    };
    // A party of a region is a party of the regions it lies in too.
    let parent: HashMap<String, String> = files
        .iter()
        .flat_map(|f| f.regions.iter())
        .filter_map(|r| r.parent.clone().map(|p| (r.code.clone(), p)))
        .collect();
    for f in &files {
        for r in &f.regions {
            let mut at = Some(r.code.clone());
            while let Some(code) = at {
                let set = t.region_parties.entry(code.clone()).or_default();
                for l in &r.parties {
                    set.extend(expand(&l.party));
                }
                at = parent.get(&code).cloned();
            }
        }
        if let Some(a) = &f.agenda {
            for i in &f.initiatives {
                let set = t.participants.entry(i.code.clone()).or_default();
                for p in &i.parties {
                    set.extend(expand(&p.party));
                }
                t.region.insert(i.code.clone(), a.region.clone());
            }
        }
    }
    t
}

const GUARDED: [&str; 5] = [
    "contacts",
    "funding",
    "budgetEur",
    "internalNotes",
    "progressNotes",
];

/// Gives every initiative a value in each guarded field, so that a caller who may read one
/// gets a value, not a null.
async fn fill_guarded_fields(database_url: &str) {
    let db = Database::connect(database_url).await.unwrap();
    db.execute_unprepared(
        "UPDATE initiative SET funding = 'IZA transformatiegelden', budget_eur = 1000 * id, \
         internal_notes = 'intern', progress_notes = 'op schema', \
         contacts = '[{\"name\":\"Contactpersoon\",\"role\":\"projectleider\"}]'",
    )
    .await
    .unwrap();
}

on_both!(
    the_matrix_of_organisations_fields_and_initiatives_follows_the_policy,
    |backend| async move {
        let url = crate::helpers::seeded_database(backend).await;
        fill_guarded_fields(&url).await;
        let app = TestApp::spawn_with(backend, url, auth()).await;
        let t = truth();
        let callers: Vec<(String, Option<String>)> = [
            "zilveren-kruis",
            "ggd-kennemerland",
            "gemeente-haarlem",
            "gemeente-hilversum",
            "gemeente-bunnik",
            "vgz",
            "categorie-huisartsen",
            "vng",
            "spaarne-gasthuis",
            "connect4care",
            "gemeenten-gooi-en-vechtstreek",
        ]
        .into_iter()
        .map(|org| (org.to_string(), Some(token(org, "viewer"))))
        .chain([
            ("(anonymous)".to_string(), None),
            ("(admin)".to_string(), Some(token("vng", "admin"))),
        ])
        .collect();
        let query = format!(
            "{{ initiatives(first: 500) {{ nodes {{ code {} }} }} }}",
            GUARDED.join(" ").replace("contacts", "contacts { name }")
        );
        let mut cells = 0;
        let mut outcomes: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
        for (org, token) in &callers {
            let (status, _, body) = post(&app, token.as_deref(), &query).await;
            assert_eq!(status, 200, "{org}: {body}");
            let nodes = body["data"]["initiatives"]["nodes"].as_array().unwrap();
            assert_eq!(
                nodes.len(),
                t.participants.len(),
                "all bundled initiatives are public"
            );
            let errors: HashMap<(usize, String), &Value> = body["errors"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|e| {
                    (
                        (
                            e["path"][2].as_u64().unwrap() as usize,
                            e["path"][3].as_str().unwrap().to_string(),
                        ),
                        e,
                    )
                })
                .collect();
            for (i, node) in nodes.iter().enumerate() {
                let code = node["code"].as_str().unwrap();
                let allowed = org == "(admin)" || t.participants[code].contains(org.as_str());
                for field in GUARDED {
                    cells += 1;
                    let entry = outcomes.entry(field).or_default();
                    match errors.get(&(i, field.to_string())) {
                        None => {
                            assert!(allowed, "{org} read {code}.{field} without taking part");
                            assert!(
                                !node[field].is_null(),
                                "{org} gets the value of {code}.{field}"
                            );
                            entry.0 += 1;
                        }
                        Some(error) => {
                            assert!(
                                !allowed,
                                "{org} takes part in {code} but {field} was withheld: {error}"
                            );
                            assert!(node[field].is_null());
                            assert_eq!(error["extensions"]["code"], "FORBIDDEN");
                            assert_eq!(error["extensions"]["rule"], "PARTICIPANT");
                            entry.1 += 1;
                        }
                    }
                }
            }
        }
        eprintln!(
            "policy matrix ({backend:?}): {} callers x {} fields x {} initiatives = {cells} cells; per field (value, FORBIDDEN): {outcomes:?}",
            callers.len(),
            GUARDED.len(),
            t.participants.len()
        );
        for (field, (values, forbidden)) in outcomes {
            assert!(
                values > 0 && forbidden > 0,
                "{field}: some callers get the value and some are refused"
            );
        }
    }
);

on_both!(
    hidden_initiatives_are_neither_returned_nor_counted_nor_probed,
    |backend| async move {
        let url = crate::helpers::seeded_database(backend).await;
        let t = truth();
        // Make a region-only and a participants-only initiative out of two with known parties.
        let mut codes: Vec<&String> = t
            .participants
            .iter()
            .filter(|(_, p)| p.contains("zilveren-kruis"))
            .map(|(c, _)| c)
            .collect();
        codes.sort();
        let (region_only, participants_only) = (codes[0].clone(), codes[1].clone());
        let db = Database::connect(&url).await.unwrap();
        db.execute_unprepared(&format!(
            "UPDATE initiative SET visibility = 'region' WHERE code = '{region_only}'"
        ))
        .await
        .unwrap();
        db.execute_unprepared(&format!(
            "UPDATE initiative SET visibility = 'participants' WHERE code = '{participants_only}'"
        ))
        .await
        .unwrap();
        let app = TestApp::spawn_with(backend, url, auth()).await;
        let total = t.participants.len();
        let region = &t.region[&region_only];
        let outsider = [
            "categorie-huisartsen",
            "vng",
            "gemeente-bunnik",
            "ggd-ijsselland",
            "vgz",
        ]
        .into_iter()
        .find(|o| {
            !t.participants[&participants_only].contains(*o)
                && !t.participants[&region_only].contains(*o)
                && !t.region_parties[region].contains(*o)
        })
        .expect("a party outside the region taking part in neither");
        let in_region = t.region_parties[region]
            .iter()
            .find(|p| {
                !t.participants[&participants_only].contains(*p)
                    && !t.participants[&region_only].contains(*p)
            })
            .expect("a party of the region taking part in neither")
            .clone();
        let q = "query { initiatives(first: 500) { totalCount nodes { code } } zk: party(ref: \"zilveren-kruis\") { initiatives { initiative { code } } }
        parties(filter: {initiative: \"CODE\"}) { totalCount } }"
        .replace("CODE", &participants_only);
        let cases = [
            ("anonymous", None, false, false),
            ("outsider", Some(token(outsider, "viewer")), false, false),
            (
                "region member",
                Some(token(&in_region, "viewer")),
                true,
                false,
            ),
            (
                "participant",
                Some(token("zilveren-kruis", "viewer")),
                true,
                true,
            ),
            ("admin", Some(token("vng", "admin")), true, true),
        ];
        for (who, token, sees_region, sees_participants) in cases {
            let (status, _, body) = post(&app, token.as_deref(), &q).await;
            assert_eq!(status, 200, "{who}: {body}");
            let data = &body["data"];
            let listed: BTreeSet<&str> = data["initiatives"]["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n["code"].as_str().unwrap())
                .collect();
            let expected = total - usize::from(!sees_region) - usize::from(!sees_participants);
            assert_eq!(
                data["initiatives"]["totalCount"], expected,
                "{who}: totalCount"
            );
            assert_eq!(listed.len(), expected, "{who}: rows");
            assert_eq!(
                listed.contains(region_only.as_str()),
                sees_region,
                "{who}: region-only row"
            );
            assert_eq!(
                listed.contains(participants_only.as_str()),
                sees_participants,
                "{who}: participants-only row"
            );
            let via_party: BTreeSet<&str> = data["zk"]["initiatives"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["initiative"]["code"].as_str().unwrap())
                .collect();
            assert_eq!(
                via_party.contains(participants_only.as_str()),
                sees_participants,
                "{who}: through party.initiatives"
            );
            let probe = data["parties"]["totalCount"].as_u64().unwrap();
            assert_eq!(
                probe > 0,
                sees_participants,
                "{who}: a filter on a hidden initiative reveals nothing"
            );
            let node = app
                .data_with(
                    token.as_deref(),
                    &format!("{{ initiative(ref: \"{participants_only}\") {{ code }} }}"),
                )
                .await;
            assert_eq!(
                !node["initiative"].is_null(),
                sees_participants,
                "{who}: lookup by code"
            );
        }
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_filter_or_ordering_reaches_a_guarded_field_and_the_schema_names_each_rule() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let data = app
        .data("{ __type(name: \"Initiative\") { fields { name description } } filter: __type(name: \"InitiativeFilter\") { inputFields { name } } order: __type(name: \"OrderField\") { enumValues { name } } accessRules { typeName field rule } }", json!({}))
        .await;
    let lower = |v: &Value| v.to_string().to_lowercase();
    for word in ["budget", "funding", "contact", "note"] {
        assert!(
            !lower(&data["filter"]).contains(word),
            "InitiativeFilter must not filter on {word}"
        );
        assert!(
            !lower(&data["order"]).contains(word),
            "ordering must not use {word}"
        );
    }
    let rules = data["accessRules"].as_array().unwrap();
    assert_eq!(rules.len(), regiograaf::policy::FIELDS.len());
    for rule in regiograaf::policy::FIELDS {
        let field = data["__type"]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == rule.field)
            .unwrap();
        let description = field["description"].as_str().unwrap();
        assert!(
            description.contains(&format!("rule {}", rule.rule.name())),
            "{}.{} describes its rule",
            rule.type_name,
            rule.field
        );
    }
}

on_both!(
    authorization_costs_a_fixed_number_of_statements,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        let query = "{ initiatives(first: 50) { nodes { code budgetEur progressNotes parties { role party { code } } } } }";
        let count = |token: Option<String>| {
            let app = &app;
            async move {
                let before = app.statements.get();
                let (status, _, _) = post(app, token.as_deref(), query).await;
                assert_eq!(status, 200);
                app.statements.get() - before
            }
        };
        let anonymous = count(None).await;
        let participant = count(Some(token("zilveren-kruis", "editor"))).await;
        eprintln!("statements ({backend:?}): anonymous {anonymous}, participant {participant}");
        assert!(
            participant > anonymous,
            "the participant's relations are read"
        );
        assert!(
            participant <= anonymous + 7,
            "authorization adds at most the organisation lookup and the caller's relations"
        );
    }
);

#[test]
fn the_token_command_prints_only_a_token_that_the_service_accepts() {
    let dir = crate::helpers::Scratch::new("token");
    let url = format!("sqlite://{}?mode=rwc", dir.join("t.sqlite").display());
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_regiograaf"))
        .args([
            "--database-url",
            &url,
            "token",
            "--org",
            "gemeente-haarlem",
            "--role",
            "editor",
            "--ttl",
            "2h",
        ])
        .env("RUST_LOG", "error")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "only the token: {stdout}");
    let claims =
        regiograaf::auth::token::verify(&AuthConfig::development(), stdout.trim()).unwrap();
    assert_eq!(claims.org, "gemeente-haarlem");
    assert_eq!(claims.role, regiograaf::auth::Role::Editor);
    let unknown = std::process::Command::new(env!("CARGO_BIN_EXE_regiograaf"))
        .args(["--database-url", &url, "token", "--org", "atlantis"])
        .output()
        .unwrap();
    assert!(!unknown.status.success() && unknown.stdout.is_empty());
}

#[test]
fn a_configuration_file_with_pem_and_jwks_keys_is_read_and_used() {
    let config = AuthConfig::from_file(std::path::Path::new(&format!(
        "{FIXTURES}/auth-config.yaml"
    )))
    .unwrap();
    assert_eq!(config.anonymous, AnonymousAccess::Refuse);
    let gemeente = json!({ "iss": "https://login.gemeente.example", "aud": "regiograaf", "organisatie": "gemeente-haarlem", "exp": now() + 60 });
    let claims =
        regiograaf::auth::token::verify(&config, &sign_partner(Algorithm::RS256, &gemeente))
            .unwrap();
    assert_eq!(claims.org, "gemeente-haarlem");
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("test-key".into());
    let insurer = json!({ "iss": "https://idp.zorgverzekeraar.example", "aud": "regiograaf", "org": "vgz", "role": "editor", "exp": now() + 60 });
    let token = jsonwebtoken::encode(
        &header,
        &insurer,
        &EncodingKey::from_rsa_pem(&fixture("rsa-private.pem")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        regiograaf::auth::token::verify(&config, &token)
            .unwrap()
            .org,
        "vgz"
    );
    // The gemeente's issuer has no HS256 key: a token signed with its public key as an HMAC
    // secret is refused.
    let forged = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &gemeente,
        &EncodingKey::from_secret(&fixture("rsa-public.pem")),
    )
    .unwrap();
    assert!(regiograaf::auth::token::verify(&config, &forged).is_err());
    let scratch = crate::helpers::Scratch::new("auth-broken");
    let broken = scratch.join("auth.yaml");
    std::fs::write(&broken, "anonymous: public\nissuers:\n  - issuer: x\n    audience: y\n    keys:\n      - { hs256_secret: short }\n").unwrap();
    let error = AuthConfig::from_file(&broken).err().unwrap();
    assert!(
        error.contains("issuers[0].keys[0]") && error.contains("32"),
        "{error}"
    );
}

/// Reads `budgetEur` (rule PARTICIPANT) of `code` as `token`: `Ok(value)` or `Err(code)`.
async fn budget_as(app: &TestApp, token: &str, code: &str) -> Result<Value, String> {
    let query = format!("{{ initiative(ref: \"{code}\") {{ budgetEur }} }}");
    let (_, _, body) = post(app, Some(token), &query).await;
    match body.get("errors") {
        Some(_) => Err(first_code(&body).to_string()),
        None => Ok(body["data"]["initiative"]["budgetEur"].clone()),
    }
}

const JOINED: &str = "regioplan-kennemerland-2023/netwerk-dashboard";

/// Adds GGD Kennemerland to the initiative through `app`, as an administrator.
async fn add_ggd(app: &TestApp) {
    let admin = token("zilveren-kruis", "admin");
    let mutation = format!(
        "mutation {{ addInitiativeParty(initiative: \"{JOINED}\", party: \"ggd-kennemerland\", role: ADVISOR) {{ id }} }}"
    );
    let (_, _, body) = post(app, Some(&admin), &mutation).await;
    assert!(body.get("errors").is_none(), "{body}");
}

// The relations are cached between requests (auth/cache.rs): a new participation must still
// count for the very next request.
on_both!(
    a_new_participation_counts_for_the_next_request,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        let ggd = token("ggd-kennemerland", "viewer");
        assert_eq!(budget_as(&app, &ggd, JOINED).await, Err("FORBIDDEN".into()));
        assert_eq!(budget_as(&app, &ggd, JOINED).await, Err("FORBIDDEN".into()));
        add_ggd(&app).await;
        assert!(budget_as(&app, &ggd, JOINED).await.is_ok());
    }
);

// On PostgreSQL the other instances hear of the change (NOTIFY regiograaf_relations).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_participation_counts_on_every_instance() {
    let url = crate::helpers::seeded_database(Backend::Postgres).await;
    let a = TestApp::spawn_on(Backend::Postgres, url.clone()).await;
    let b = TestApp::spawn_on(Backend::Postgres, url).await;
    let ggd = token("ggd-kennemerland", "viewer");
    // B caches GGD's relations; the change is made through A.
    assert_eq!(budget_as(&b, &ggd, JOINED).await, Err("FORBIDDEN".into()));
    add_ggd(&a).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
    loop {
        match budget_as(&b, &ggd, JOINED).await {
            Ok(_) => break,
            Err(code) if std::time::Instant::now() < deadline => {
                assert_eq!(code, "FORBIDDEN");
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            Err(code) => panic!("instance B still answers {code} 3 s after the change"),
        }
    }
}

// An issuer rotates its key: the operator writes the new key into the authentication file
// and sends SIGHUP. From then on a token of the new key is accepted and one of the old key
// refused, also one accepted (and kept) before; a file that does not read changes nothing.
#[cfg(unix)]
#[tokio::test]
async fn sighup_reads_the_authentication_file_again() {
    let url = crate::helpers::seeded_database(Backend::Sqlite).await;
    let dir = crate::helpers::Scratch::new("sighup");
    let config = dir.join("auth.yaml");
    let trust = |key: &str| {
        let yaml = format!(
            "anonymous: refuse\nissuers:\n  - issuer: {PARTNER_ISSUER}\n    audience: regiograaf\n    org_claim: organisation\n    keys:\n      - {{ {key}: {FIXTURES}/{} }}\n",
            if key.starts_with("rs") {
                "rsa-public.pem"
            } else {
                "ec-public.pem"
            }
        );
        std::fs::write(&config, yaml).unwrap();
    };
    trust("rs256_pem_file");
    let (mut child, base) = crate::helpers::start_binary(&url, &config).await;
    let claims = json!({ "iss": PARTNER_ISSUER, "aud": "regiograaf", "organisation": "zilveren-kruis", "role": "viewer", "exp": now() + 600 });
    let (old, new) = (
        sign_partner(Algorithm::RS256, &claims),
        sign_partner(Algorithm::ES256, &claims),
    );
    let client = reqwest::Client::new();
    let status = |token: &str| {
        client
            .post(format!("{base}/graphql"))
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {token}"))
            .body(json!({ "query": ME }).to_string())
            .send()
    };
    let hangup = || {
        let sent = std::process::Command::new("kill")
            .args(["-HUP", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
    };
    assert_eq!(status(&old).await.unwrap().status(), 200);
    assert_eq!(status(&new).await.unwrap().status(), 401);

    trust("es256_pem_file");
    hangup();
    let mut accepted = false;
    for _ in 0..50 {
        if status(&new).await.unwrap().status() == 200 {
            accepted = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(accepted, "the new key is trusted after SIGHUP");
    let refused = status(&old).await.unwrap();
    assert_eq!(
        refused.status(),
        401,
        "the removed key is no longer trusted"
    );
    let body: Value = refused.json().await.unwrap();
    assert_eq!(first_code(&body), "UNAUTHENTICATED", "{body}");

    std::fs::write(&config, "issuers: [not a configuration").unwrap();
    hangup();
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(
        status(&new).await.unwrap().status(),
        200,
        "a file that does not read leaves the configuration before it"
    );
    assert!(
        child.try_wait().unwrap().is_none(),
        "the service still runs"
    );
    child.kill().unwrap();
    child.wait().unwrap();
}
