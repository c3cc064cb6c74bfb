//! The bundled dataset: what the files say is what the API serves; importing is validated,
//! all or nothing, and idempotent; export gives the files back.

use crate::helpers::{Backend, TestApp, empty_database, seeded_database};
use crate::on_both;
use regiograaf::dataset::format::DataFile;
use regiograaf::dataset::{DatasetError, bundled_sources, export_dir, import_sources};
use serde_json::json;
use std::collections::BTreeSet;

fn bundled_files() -> Vec<(String, DataFile)> {
    bundled_sources()
        .into_iter()
        .map(|(name, text)| {
            let file = serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
            (name, file)
        })
        .collect()
}

on_both!(
    every_agenda_is_served_as_its_file_says,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        let files = bundled_files();
        let mut parties = BTreeSet::new();
        let mut regions = BTreeSet::new();
        for (_, f) in &files {
            parties.extend(f.parties.iter().map(|p| p.code.clone()));
            regions.extend(f.regions.iter().map(|r| r.code.clone()));
        }
        let totals = app
            .data(
                "{ parties { totalCount } regions { totalCount } agendas { totalCount } }",
                json!({}),
            )
            .await;
        assert_eq!(totals["parties"]["totalCount"], parties.len());
        assert_eq!(totals["regions"]["totalCount"], regions.len());
        let agendas: Vec<_> = files
            .iter()
            .filter_map(|(_, f)| f.agenda.as_ref().map(|a| (a.code.clone(), f)))
            .collect();
        assert_eq!(totals["agendas"]["totalCount"], agendas.len());
        assert!(agendas.len() >= 4);
        let q = "query($a: String!) { agenda(ref: $a) { themes { code } goals { code parents { code } } indicators { code }
        bottlenecks { code } governanceBodies { code members { role } } signatories { role }
        initiatives { code parties { role } themes { code } goals { code } milestones { title } } } }";
        for (code, file) in agendas {
            let a = app.data(q, json!({ "a": code })).await["agenda"].clone();
            let len = |key: &str| a[key].as_array().unwrap().len();
            assert_eq!(len("themes"), file.themes.len(), "{code} themes");
            assert_eq!(len("goals"), file.goals.len(), "{code} goals");
            assert_eq!(
                len("indicators"),
                file.indicators.len(),
                "{code} indicators"
            );
            assert_eq!(
                len("bottlenecks"),
                file.bottlenecks.len(),
                "{code} bottlenecks"
            );
            assert_eq!(
                len("initiatives"),
                file.initiatives.len(),
                "{code} initiatives"
            );
            assert_eq!(
                len("governanceBodies"),
                file.governance_bodies.len(),
                "{code} bodies"
            );
            assert_eq!(
                len("signatories"),
                file.agenda.as_ref().unwrap().signatories.len(),
                "{code} signatories"
            );
            let sum = |key: &str| {
                a["initiatives"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|i| i[key].as_array().unwrap().len())
                    .sum::<usize>()
            };
            assert_eq!(
                sum("parties"),
                file.initiatives
                    .iter()
                    .map(|i| i.parties.len())
                    .sum::<usize>(),
                "{code} initiative-party links"
            );
            assert_eq!(
                sum("themes"),
                file.initiatives
                    .iter()
                    .map(|i| i.themes.len())
                    .sum::<usize>(),
                "{code} initiative-theme links"
            );
            assert_eq!(
                sum("goals"),
                file.initiatives
                    .iter()
                    .map(|i| i.goals.len())
                    .sum::<usize>(),
                "{code} initiative-goal links"
            );
            assert_eq!(
                sum("milestones"),
                file.initiatives
                    .iter()
                    .map(|i| i.milestones.len())
                    .sum::<usize>(),
                "{code} steps"
            );
            let parents: usize = a["goals"]
                .as_array()
                .unwrap()
                .iter()
                .map(|g| g["parents"].as_array().unwrap().len())
                .sum();
            assert_eq!(
                parents,
                file.goals.iter().map(|g| g.parents.len()).sum::<usize>(),
                "{code} goal hierarchy"
            );
        }
    }
);

on_both!(
    importing_the_same_files_again_changes_nothing,
    |backend| async move {
        let url = seeded_database(backend).await;
        let db = regiograaf::db::connect(&url).await.unwrap();
        let report = import_sources(&db.conn, bundled_sources(), false, false)
            .await
            .unwrap();
        assert!(!report.changed(), "{report}");
    }
);

on_both!(
    a_broken_file_is_rejected_with_every_problem_and_nothing_written,
    |backend| async move {
        let url = empty_database(backend).await;
        let db = regiograaf::db::connect(&url).await.unwrap();
        regiograaf::db::migrate(&db.conn).await.unwrap();
        let mut sources = bundled_sources();
        let broken = r#"
agenda:
  code: sa-broken-2024
  title: Kapotte agenda
  kind: regioplan
  region: atlantis
  period_start: 2026
  period_end: 2024
  source: { document: x.txt }
initiatives:
  - code: sa-broken-2024/a
    title: Eerste
    status: halfway
    starts: 2024-Q7
    parties: [{ party: nobody, role: lead }]
    source: { document: x.txt }
  - code: sa-broken-2024/a
    title: Dubbel
    source: { document: x.txt }
"#;
        sources.push(("broken.yaml".into(), broken.into()));
        let Err(DatasetError::Invalid(problems)) =
            import_sources(&db.conn, sources, false, false).await
        else {
            panic!("the broken file must be refused");
        };
        let text: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
        let expect = [
            "broken.yaml: agenda.period_end",
            "broken.yaml: initiatives[0].status: `halfway`",
            "broken.yaml: initiatives[0].starts",
            "broken.yaml: initiatives[1].code: duplicate initiative code",
            "refers to region `atlantis`",
            "refers to party `nobody`",
        ];
        for e in expect {
            assert!(
                text.iter().any(|t| t.contains(e)),
                "missing `{e}` in {text:#?}"
            );
        }
        use sea_orm::{EntityTrait, PaginatorTrait};
        assert_eq!(
            entity::initiative::Entity::find()
                .count(&db.conn)
                .await
                .unwrap(),
            0,
            "nothing was written"
        );
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_yaml_error_names_its_file_line_and_path() {
    let url = empty_database(Backend::Sqlite).await;
    let db = regiograaf::db::connect(&url).await.unwrap();
    regiograaf::db::migrate(&db.conn).await.unwrap();
    let sources = vec![(
        "bad.yaml".to_string(),
        "parties:\n  - code: x\n    name: X\n    kind: gemeente\n    colour: red\n".to_string(),
    )];
    let Err(DatasetError::Invalid(problems)) =
        import_sources(&db.conn, sources, false, false).await
    else {
        panic!("refused");
    };
    let text = problems[0].to_string();
    assert!(text.starts_with("bad.yaml: parties[0]"), "{text}");
    assert!(text.contains("colour") && text.contains("line"), "{text}");
}

on_both!(
    export_then_import_gives_the_same_files,
    |backend| async move {
        let url = seeded_database(backend).await;
        let db = regiograaf::db::connect(&url).await.unwrap();
        let first = tempdir("first");
        export_dir(&db.conn, &first).await.unwrap();
        let fresh = empty_database(backend).await;
        let db2 = regiograaf::db::connect(&fresh).await.unwrap();
        regiograaf::db::migrate(&db2.conn).await.unwrap();
        regiograaf::dataset::import_paths(&db2.conn, std::slice::from_ref(&first), false, false)
            .await
            .unwrap();
        let second = tempdir("second");
        export_dir(&db2.conn, &second).await.unwrap();
        for entry in walk(&first) {
            let relative = entry.strip_prefix(&first).unwrap();
            let a = std::fs::read(&entry).unwrap();
            let b = std::fs::read(second.join(relative)).unwrap();
            assert!(a == b, "{} differs after a round trip", relative.display());
        }
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_checked_in_files_are_what_export_writes() {
    let url = seeded_database(Backend::Sqlite).await;
    let db = regiograaf::db::connect(&url).await.unwrap();
    let out = tempdir("canonical");
    export_dir(&db.conn, &out).await.unwrap();
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
    for entry in walk(&data) {
        let relative = entry.strip_prefix(&data).unwrap();
        let exported = std::fs::read_to_string(out.join(relative)).unwrap_or_default();
        let checked_in = std::fs::read_to_string(&entry).unwrap();
        assert!(
            exported == checked_in,
            "data/{} is not in the form export writes; run `regiograaf export data` on a database loaded from data/ and review the diff",
            relative.display()
        );
    }
}

fn tempdir(name: &str) -> std::path::PathBuf {
    let dir = crate::helpers::tests_dir().join(format!(
        "{name}-{}-{}",
        std::process::id(),
        rand_suffix()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else if path.extension().is_some_and(|e| e == "yaml") {
            out.push(path);
        }
    }
    out.sort();
    out
}
