//! Reading and checking data files. Every problem is collected, none stops the check, so one
//! run reports all of them, each with its file and its path in the file.

use sea_orm::{DatabaseConnection, EntityTrait, QuerySelect};
use std::collections::{HashMap, HashSet};
use std::fmt;

use super::DatasetError;
use super::format::*;
use crate::domain::*;

/// One problem in the data files.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// The file.
    pub file: String,
    /// Where in the file (`initiatives[3].parties[0].role`).
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.file, self.path, self.message)
    }
}

/// The content of one agenda file.
#[derive(Debug, Default)]
pub struct AgendaPlan {
    pub agenda: Option<AgendaRec>,
    pub themes: Vec<ThemeRec>,
    pub goals: Vec<GoalRec>,
    pub indicators: Vec<IndicatorRec>,
    pub bottlenecks: Vec<BottleneckRec>,
    pub initiatives: Vec<InitiativeRec>,
    pub goal_milestones: Vec<GoalMilestoneRec>,
    pub bodies: Vec<BodyRec>,
}

/// A checked set of files, ready to apply: regions and parties merged across files.
#[derive(Debug, Default)]
pub struct Plan {
    pub regions: Vec<RegionRec>,
    pub parties: Vec<PartyRec>,
    /// Themes declared outside any agenda: the national headline themes.
    pub national_themes: Vec<ThemeRec>,
    pub agendas: Vec<AgendaPlan>,
}

impl Plan {
    /// How many records and links the plan holds (for the progress bar).
    pub fn size(&self) -> u64 {
        let mut n = self
            .regions
            .iter()
            .map(|r| 1 + r.parties.len())
            .sum::<usize>()
            + self
                .parties
                .iter()
                .map(|p| 1 + p.aliases.len() + p.members.len())
                .sum::<usize>()
            + self.national_themes.len();
        for a in &self.agendas {
            n += 1
                + a.themes.len()
                + a.indicators.len()
                + a.bottlenecks.len()
                + a.goal_milestones.len();
            n += a
                .goals
                .iter()
                .map(|g| 1 + g.parents.len() + g.themes.len())
                .sum::<usize>();
            n += a
                .initiatives
                .iter()
                .map(|i| 1 + i.parties.len() + i.themes.len() + i.goals.len() + i.milestones.len())
                .sum::<usize>();
            n += a.bodies.iter().map(|b| 1 + b.members.len()).sum::<usize>();
        }
        n as u64
    }
}

struct Checker {
    problems: Vec<Problem>,
    file: String,
}

impl Checker {
    fn problem(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem {
            file: self.file.clone(),
            path: path.into(),
            message: message.into(),
        });
    }

    fn vocabulary(&mut self, path: String, value: &str, ok: bool, allowed: String) {
        if !ok {
            self.problem(path, format!("`{value}` is not one of: {allowed}"));
        }
    }

    fn code(&mut self, path: String, code: &str) {
        let ok = !code.is_empty()
            && code.len() <= 160
            && code
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-/._".contains(c))
            && !code.starts_with(['-', '/', '.'])
            && !code.contains(':');
        if !ok {
            self.problem(path, format!("`{code}` is not a valid code (lowercase letters, digits, `-`, `/`, `.`; at most 160)"));
        }
    }

    fn text(&mut self, path: String, text: &str, max: usize) {
        if text.trim().is_empty() {
            self.problem(path, "must not be empty");
        } else if text.chars().count() > max {
            self.problem(path, format!("is longer than {max} characters"));
        }
    }

    fn year(&mut self, path: String, year: Option<i32>) {
        if let Some(y) = year
            && !(1900..=2100).contains(&y)
        {
            self.problem(path, format!("{y} is not a plausible year (1900-2100)"));
        }
    }

    /// A period: `YYYY`, `YYYY-Qn`, `YYYY-MM` or `YYYY-MM-DD`, as a sortable (start) date.
    fn period(&mut self, path: String, text: Option<&str>) -> Option<(i32, u32, u32)> {
        let text = text?;
        match parse_period(text) {
            Some(date) => Some(date),
            None => {
                self.problem(
                    path,
                    format!("`{text}` is not a date: use YYYY, YYYY-Qn, YYYY-MM or YYYY-MM-DD"),
                );
                None
            }
        }
    }

    fn source(&mut self, path: String, source: &Option<Source>) {
        match source {
            Some(Source {
                document: Some(doc),
                ..
            }) if !doc.trim().is_empty() => {}
            _ => self.problem(path, "every record needs a source with its document"),
        }
    }
}

/// Parses a period into (year, month, day) of its first day.
pub fn parse_period(text: &str) -> Option<(i32, u32, u32)> {
    let parts: Vec<&str> = text.split('-').collect();
    let year: i32 = parts
        .first()?
        .parse()
        .ok()
        .filter(|y| (1900..=2100).contains(y))?;
    if parts[0].len() != 4 {
        return None;
    }
    match parts.len() {
        1 => Some((year, 1, 1)),
        2 if parts[1].starts_with('Q') => {
            let q: u32 = parts[1][1..].parse().ok().filter(|q| (1..=4).contains(q))?;
            Some((year, (q - 1) * 3 + 1, 1))
        }
        2 => {
            let m: u32 = parts[1].parse().ok().filter(|m| (1..=12).contains(m))?;
            (parts[1].len() == 2).then_some((year, m, 1))
        }
        3 => {
            let m: u32 = parts[1].parse().ok()?;
            let d: u32 = parts[2].parse().ok()?;
            chrono::NaiveDate::from_ymd_opt(year, m, d)?;
            (parts[1].len() == 2 && parts[2].len() == 2).then_some((year, m, d))
        }
        _ => None,
    }
}

/// The codes that already exist in the database, per kind, so that files may refer to them.
#[derive(Default)]
struct Known {
    regions: HashSet<String>,
    parties: HashSet<String>,
    agendas: HashSet<String>,
    themes: HashSet<String>,
    goals: HashSet<String>,
    initiatives: HashSet<String>,
}

async fn codes<E: EntityTrait>(
    db: &DatabaseConnection,
    column: E::Column,
) -> Result<HashSet<String>, DatasetError> {
    let rows: Vec<String> = E::find()
        .select_only()
        .column(column)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}

/// Reads and checks `sources`; a clean set becomes a [`Plan`].
pub async fn validate(
    db: &DatabaseConnection,
    sources: &[(String, String)],
) -> Result<Plan, DatasetError> {
    use entity::*;
    let known = Known {
        regions: codes::<region::Entity>(db, region::Column::Code).await?,
        parties: codes::<party::Entity>(db, party::Column::Code).await?,
        agendas: codes::<agenda::Entity>(db, agenda::Column::Code).await?,
        themes: codes::<theme::Entity>(db, theme::Column::Code).await?,
        goals: codes::<goal::Entity>(db, goal::Column::Code).await?,
        initiatives: codes::<initiative::Entity>(db, initiative::Column::Code).await?,
    };
    let mut c = Checker {
        problems: Vec::new(),
        file: String::new(),
    };
    let mut parsed = Vec::new();
    for (name, text) in sources {
        c.file = name.clone();
        let de = serde_yaml_ng::Deserializer::from_str(text);
        match serde_path_to_error::deserialize::<_, DataFile>(de) {
            Ok(file) => parsed.push((name.clone(), file)),
            Err(err) => {
                let path = err.path().to_string();
                let inner = err.into_inner();
                let at = inner
                    .location()
                    .map(|l| format!(" (line {}, column {})", l.line(), l.column()))
                    .unwrap_or_default();
                c.problem(
                    if path == "." {
                        "(file)".to_string()
                    } else {
                        path
                    },
                    format!("{inner}{at}"),
                );
            }
        }
    }
    let plan = merge_and_check(&mut c, parsed, &known);
    if c.problems.is_empty() {
        Ok(plan)
    } else {
        Err(DatasetError::Invalid(c.problems))
    }
}

fn merge_and_check(c: &mut Checker, files: Vec<(String, DataFile)>, known: &Known) -> Plan {
    let mut plan = Plan::default();
    let mut region_at: HashMap<String, usize> = HashMap::new();
    let mut party_at: HashMap<String, usize> = HashMap::new();
    // Where each code was first declared, per kind, to report duplicates with both places.
    let mut seen: HashMap<(&'static str, String), String> = HashMap::new();
    let mut declare = |c: &mut Checker, kind: &'static str, path: String, code: &str| {
        c.code(format!("{path}.code"), code);
        let place = format!("{}: {path}", c.file);
        if let Some(first) = seen.insert((kind, code.to_string()), place.clone()) {
            c.problem(
                format!("{path}.code"),
                format!("duplicate {kind} code `{code}` (first declared at {first})"),
            );
            seen.insert((kind, code.to_string()), first);
        }
    };

    for (name, file) in files {
        c.file = name;
        for (i, r) in file.regions.into_iter().enumerate() {
            let path = format!("regions[{i}]");
            c.code(format!("{path}.code"), &r.code);
            c.text(format!("{path}.name"), &r.name, 300);
            c.vocabulary(
                format!("{path}.kind"),
                &r.kind,
                RegionKind::from_db(&r.kind).is_some(),
                RegionKind::spellings(),
            );
            for (j, link) in r.parties.iter().enumerate() {
                c.vocabulary(
                    format!("{path}.parties[{j}].role"),
                    &link.role,
                    RegionRole::from_db(&link.role).is_some(),
                    RegionRole::spellings(),
                );
            }
            match region_at.get(&r.code) {
                Some(&at) => {
                    let existing = &mut plan.regions[at];
                    if existing.name != r.name || existing.kind != r.kind {
                        c.problem(
                            path,
                            format!(
                                "region `{}` is declared elsewhere with another name or kind",
                                r.code
                            ),
                        );
                        continue;
                    }
                    if existing.parent.is_none() {
                        existing.parent = r.parent.clone();
                    } else if r.parent.is_some() && r.parent != existing.parent {
                        c.problem(
                            format!("{path}.parent"),
                            format!(
                                "region `{}` is declared elsewhere with another parent",
                                r.code
                            ),
                        );
                    }
                    for link in r.parties {
                        if !existing.parties.contains(&link) {
                            existing.parties.push(link);
                        }
                    }
                    if existing.summary.is_none() {
                        existing.summary = r.summary;
                    }
                }
                None => {
                    c.source(format!("{path}.source"), &r.source);
                    region_at.insert(r.code.clone(), plan.regions.len());
                    plan.regions.push(r);
                }
            }
        }
        for (i, p) in file.parties.into_iter().enumerate() {
            let path = format!("parties[{i}]");
            c.code(format!("{path}.code"), &p.code);
            c.text(format!("{path}.name"), &p.name, 300);
            c.vocabulary(
                format!("{path}.kind"),
                &p.kind,
                PartyKind::from_db(&p.kind).is_some(),
                PartyKind::spellings(),
            );
            match party_at.get(&p.code) {
                Some(&at) => {
                    let existing = &mut plan.parties[at];
                    if existing.name != p.name || existing.kind != p.kind {
                        c.problem(path, format!("party `{}` is declared elsewhere as `{}` ({}); one organisation is one party", p.code, existing.name, existing.kind));
                        continue;
                    }
                    existing.category |= p.category;
                    for alias in p.aliases {
                        if !existing.aliases.contains(&alias) && alias != existing.name {
                            existing.aliases.push(alias);
                        }
                    }
                    for member in p.members {
                        if !existing.members.contains(&member) {
                            existing.members.push(member);
                        }
                    }
                    if existing.summary.is_none() {
                        existing.summary = p.summary;
                    }
                }
                None => {
                    c.source(format!("{path}.source"), &p.source);
                    party_at.insert(p.code.clone(), plan.parties.len());
                    plan.parties.push(p);
                }
            }
        }
        let has_agenda = file.agenda.is_some();
        if let Some(a) = &file.agenda {
            declare(c, "agenda", "agenda".into(), &a.code);
            c.text("agenda.title".into(), &a.title, 500);
            c.vocabulary(
                "agenda.kind".into(),
                &a.kind,
                AgendaKind::from_db(&a.kind).is_some(),
                AgendaKind::spellings(),
            );
            c.year("agenda.period_start".into(), a.period_start);
            c.year("agenda.period_end".into(), a.period_end);
            if let (Some(s), Some(e)) = (a.period_start, a.period_end)
                && s > e
            {
                c.problem(
                    "agenda.period_end",
                    format!("the period ends ({e}) before it starts ({s})"),
                );
            }
            c.source("agenda.source".into(), &a.source);
        } else if !(file.goals.is_empty()
            && file.initiatives.is_empty()
            && file.indicators.is_empty()
            && file.bottlenecks.is_empty()
            && file.governance_bodies.is_empty()
            && file.goal_milestones.is_empty())
        {
            c.problem("agenda", "goals, indicators, knelpunten, initiatives and bodies need the agenda they belong to");
        }
        for (i, t) in file.themes.iter().enumerate() {
            let path = format!("themes[{i}]");
            declare(c, "theme", path.clone(), &t.code);
            c.text(format!("{path}.name"), &t.name, 300);
            c.source(format!("{path}.source"), &t.source);
        }
        for (i, g) in file.goals.iter().enumerate() {
            let path = format!("goals[{i}]");
            declare(c, "goal", path.clone(), &g.code);
            c.text(format!("{path}.title"), &g.title, 1000);
            c.vocabulary(
                format!("{path}.kind"),
                &g.kind,
                GoalKind::from_db(&g.kind).is_some(),
                GoalKind::spellings(),
            );
            c.year(format!("{path}.target_year"), g.target_year);
            c.source(format!("{path}.source"), &g.source);
        }
        for (i, x) in file.indicators.iter().enumerate() {
            let path = format!("indicators[{i}]");
            declare(c, "indicator", path.clone(), &x.code);
            c.text(format!("{path}.name"), &x.name, 500);
            c.vocabulary(
                format!("{path}.kind"),
                &x.kind,
                IndicatorKind::from_db(&x.kind).is_some(),
                IndicatorKind::spellings(),
            );
            c.year(format!("{path}.year"), x.year);
            c.year(format!("{path}.target_year"), x.target_year);
            for (field, v) in [
                ("value", x.value),
                ("benchmark_value", x.benchmark_value),
                ("baseline", x.baseline),
                ("target", x.target),
            ] {
                if v.is_some_and(|v| !v.is_finite()) {
                    c.problem(format!("{path}.{field}"), "must be a finite number");
                }
            }
            c.source(format!("{path}.source"), &x.source);
        }
        for (i, b) in file.bottlenecks.iter().enumerate() {
            let path = format!("bottlenecks[{i}]");
            declare(c, "bottleneck", path.clone(), &b.code);
            c.text(format!("{path}.title"), &b.title, 1000);
            c.source(format!("{path}.source"), &b.source);
        }
        for (i, n) in file.initiatives.iter().enumerate() {
            let path = format!("initiatives[{i}]");
            declare(c, "initiative", path.clone(), &n.code);
            c.text(format!("{path}.title"), &n.title, 1000);
            c.vocabulary(
                format!("{path}.status"),
                &n.status,
                InitiativeStatus::from_db(&n.status).is_some(),
                InitiativeStatus::spellings(),
            );
            c.vocabulary(
                format!("{path}.visibility"),
                &n.visibility,
                Visibility::from_db(&n.visibility).is_some(),
                Visibility::spellings(),
            );
            let starts = c.period(format!("{path}.starts"), n.starts.as_deref());
            let ends = c.period(format!("{path}.ends"), n.ends.as_deref());
            if let (Some(s), Some(e)) = (starts, ends)
                && s > e
            {
                c.problem(
                    format!("{path}.ends"),
                    "the initiative ends before it starts",
                );
            }
            if n.budget.is_some_and(|b| !(0.0..=1e13).contains(&b)) {
                c.problem(
                    format!("{path}.budget"),
                    "must be an amount in euros, zero or more",
                );
            }
            for (j, p) in n.parties.iter().enumerate() {
                c.vocabulary(
                    format!("{path}.parties[{j}].role"),
                    &p.role,
                    ParticipationRole::from_db(&p.role).is_some(),
                    ParticipationRole::spellings(),
                );
            }
            for (j, m) in n.milestones.iter().enumerate() {
                c.text(format!("{path}.milestones[{j}].title"), &m.title, 1000);
                c.year(format!("{path}.milestones[{j}].year"), m.year);
                c.period(
                    format!("{path}.milestones[{j}].period"),
                    m.period.as_deref(),
                );
            }
            c.source(format!("{path}.source"), &n.source);
        }
        for (i, m) in file.goal_milestones.iter().enumerate() {
            let path = format!("goal_milestones[{i}]");
            c.text(format!("{path}.title"), &m.title, 1000);
            c.year(format!("{path}.year"), m.year);
            c.period(format!("{path}.period"), m.period.as_deref());
        }
        for (i, b) in file.governance_bodies.iter().enumerate() {
            let path = format!("governance_bodies[{i}]");
            declare(c, "governance body", path.clone(), &b.code);
            c.text(format!("{path}.name"), &b.name, 300);
            c.vocabulary(
                format!("{path}.kind"),
                &b.kind,
                BodyKind::from_db(&b.kind).is_some(),
                BodyKind::spellings(),
            );
            c.source(format!("{path}.source"), &b.source);
        }
        if has_agenda {
            plan.agendas.push(AgendaPlan {
                agenda: file.agenda,
                themes: file.themes,
                goals: file.goals,
                indicators: file.indicators,
                bottlenecks: file.bottlenecks,
                initiatives: file.initiatives,
                goal_milestones: file.goal_milestones,
                bodies: file.governance_bodies,
            });
        } else {
            plan.national_themes.extend(file.themes);
        }
    }
    check_references(c, &plan, known, &seen_codes(&plan));
    plan
}

/// The codes the plan declares, per kind.
fn seen_codes(plan: &Plan) -> Known {
    let mut k = Known::default();
    k.regions
        .extend(plan.regions.iter().map(|r| r.code.clone()));
    k.parties
        .extend(plan.parties.iter().map(|p| p.code.clone()));
    k.themes
        .extend(plan.national_themes.iter().map(|t| t.code.clone()));
    for a in &plan.agendas {
        if let Some(agenda) = &a.agenda {
            k.agendas.insert(agenda.code.clone());
        }
        k.themes.extend(a.themes.iter().map(|t| t.code.clone()));
        k.goals.extend(a.goals.iter().map(|g| g.code.clone()));
        k.initiatives
            .extend(a.initiatives.iter().map(|i| i.code.clone()));
    }
    k
}

/// Every code a record refers to must be declared in the files or exist in the database.
fn check_references(c: &mut Checker, plan: &Plan, db: &Known, files: &Known) {
    c.file = "(all files)".into();
    let has = |set: fn(&Known) -> &HashSet<String>, code: &str| {
        set(files).contains(code) || set(db).contains(code)
    };
    let missing = |c: &mut Checker, path: String, kind: &str, ok: bool, code: &str| {
        if !ok {
            c.problem(
                path,
                format!("refers to {kind} `{code}`, which is declared nowhere"),
            );
        }
    };
    for r in &plan.regions {
        if let Some(p) = &r.parent {
            missing(
                c,
                format!("region {}.parent", r.code),
                "region",
                has(|k| &k.regions, p),
                p,
            );
        }
        for l in &r.parties {
            missing(
                c,
                format!("region {}.parties", r.code),
                "party",
                has(|k| &k.parties, &l.party),
                &l.party,
            );
        }
    }
    for p in &plan.parties {
        for m in &p.members {
            missing(
                c,
                format!("party {}.members", p.code),
                "party",
                has(|k| &k.parties, m),
                m,
            );
        }
    }
    for t in &plan.national_themes {
        if let Some(p) = &t.parent {
            missing(
                c,
                format!("theme {}.parent", t.code),
                "theme",
                has(|k| &k.themes, p),
                p,
            );
        }
    }
    for a in &plan.agendas {
        let Some(agenda) = &a.agenda else { continue };
        let at = |what: &str, code: &str| format!("agenda {}: {what} {code}", agenda.code);
        missing(
            c,
            at("agenda", "region"),
            "region",
            has(|k| &k.regions, &agenda.region),
            &agenda.region,
        );
        if let Some(p) = &agenda.predecessor {
            missing(
                c,
                at("agenda", "predecessor"),
                "agenda",
                has(|k| &k.agendas, p),
                p,
            );
        }
        for s in &agenda.signatories {
            missing(
                c,
                at("agenda", "signatories"),
                "party",
                has(|k| &k.parties, &s.party),
                &s.party,
            );
        }
        for t in &a.themes {
            if let Some(p) = &t.parent {
                missing(c, at("theme", &t.code), "theme", has(|k| &k.themes, p), p);
            }
        }
        for g in &a.goals {
            for p in &g.parents {
                missing(c, at("goal", &g.code), "goal", has(|k| &k.goals, p), p);
            }
            for t in &g.themes {
                missing(c, at("goal", &g.code), "theme", has(|k| &k.themes, t), t);
            }
        }
        for x in &a.indicators {
            if let Some(g) = &x.goal {
                missing(c, at("indicator", &x.code), "goal", has(|k| &k.goals, g), g);
            }
            if let Some(t) = &x.theme {
                missing(
                    c,
                    at("indicator", &x.code),
                    "theme",
                    has(|k| &k.themes, t),
                    t,
                );
            }
        }
        for b in &a.bottlenecks {
            if let Some(g) = &b.goal {
                missing(
                    c,
                    at("bottleneck", &b.code),
                    "goal",
                    has(|k| &k.goals, g),
                    g,
                );
            }
            if let Some(i) = &b.initiative {
                missing(
                    c,
                    at("bottleneck", &b.code),
                    "initiative",
                    has(|k| &k.initiatives, i),
                    i,
                );
            }
        }
        for n in &a.initiatives {
            if let Some(p) = &n.parent {
                missing(
                    c,
                    at("initiative", &n.code),
                    "initiative",
                    has(|k| &k.initiatives, p),
                    p,
                );
            }
            if let Some(t) = &n.lead_theme {
                missing(
                    c,
                    at("initiative", &n.code),
                    "theme",
                    has(|k| &k.themes, t),
                    t,
                );
            }
            for t in &n.themes {
                missing(
                    c,
                    at("initiative", &n.code),
                    "theme",
                    has(|k| &k.themes, t),
                    t,
                );
            }
            for g in &n.goals {
                missing(
                    c,
                    at("initiative", &n.code),
                    "goal",
                    has(|k| &k.goals, g),
                    g,
                );
            }
            for p in &n.parties {
                missing(
                    c,
                    at("initiative", &n.code),
                    "party",
                    has(|k| &k.parties, &p.party),
                    &p.party,
                );
            }
        }
        for m in &a.goal_milestones {
            missing(
                c,
                at("goal milestone", &m.title),
                "goal",
                has(|k| &k.goals, &m.goal),
                &m.goal,
            );
        }
        for b in &a.bodies {
            for m in &b.members {
                missing(
                    c,
                    at("governance body", &b.code),
                    "party",
                    has(|k| &k.parties, &m.party),
                    &m.party,
                );
            }
        }
    }
    check_cycles(
        c,
        "region",
        plan.regions
            .iter()
            .map(|r| (r.code.as_str(), r.parent.as_deref())),
    );
    let themes = plan
        .national_themes
        .iter()
        .chain(plan.agendas.iter().flat_map(|a| a.themes.iter()));
    check_cycles(
        c,
        "theme",
        themes.map(|t| (t.code.as_str(), t.parent.as_deref())),
    );
    let initiatives = plan.agendas.iter().flat_map(|a| a.initiatives.iter());
    check_cycles(
        c,
        "initiative",
        initiatives.map(|i| (i.code.as_str(), i.parent.as_deref())),
    );
}

/// A record that is (through its parents) its own parent.
fn check_cycles<'a>(
    c: &mut Checker,
    kind: &str,
    edges: impl Iterator<Item = (&'a str, Option<&'a str>)>,
) {
    let parent: HashMap<&str, &str> = edges.filter_map(|(code, p)| p.map(|p| (code, p))).collect();
    for start in parent.keys() {
        let mut at = *start;
        let mut steps = 0;
        while let Some(next) = parent.get(at) {
            if *next == *start {
                c.problem(format!("{kind} {start}.parent"), "the parents form a cycle");
                break;
            }
            at = next;
            steps += 1;
            if steps > parent.len() {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse_period;

    #[test]
    fn periods_parse_to_their_first_day() {
        assert_eq!(parse_period("2024"), Some((2024, 1, 1)));
        assert_eq!(parse_period("2024-Q3"), Some((2024, 7, 1)));
        assert_eq!(parse_period("2024-02"), Some((2024, 2, 1)));
        assert_eq!(parse_period("2024-02-29"), Some((2024, 2, 29)));
        for bad in [
            "2023-02-29",
            "2024-Q5",
            "24",
            "2024-13",
            "2024-1",
            "next year",
            "2024-02-30",
        ] {
            assert_eq!(parse_period(bad), None, "{bad}");
        }
    }
}
