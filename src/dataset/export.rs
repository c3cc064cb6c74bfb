//! Writing the database back as data files: `registry.yaml` (regions, parties, national
//! themes) and `agendas/<code>.yaml` per agenda. Importing the written files into an empty
//! database and exporting again gives the same bytes.

use entity::*;
use sea_orm::{DatabaseConnection, EntityTrait, QueryOrder};
use std::collections::HashMap;
use std::path::Path;

use super::DatasetError;
use super::format::*;

fn source(document: &Option<String>, section: &Option<String>) -> Option<Source> {
    document.as_ref().map(|d| Source {
        document: Some(d.clone()),
        section: section.clone(),
    })
}

async fn all<E: EntityTrait>(
    db: &DatabaseConnection,
    id: E::Column,
) -> Result<Vec<E::Model>, DatasetError> {
    Ok(E::find().order_by_asc(id).all(db).await?)
}

/// Writes the data files of the whole database into `dir`; returns how many were written.
pub async fn export_dir(db: &DatabaseConnection, dir: &Path) -> Result<usize, DatasetError> {
    let parties = all::<party::Entity>(db, party::Column::Id).await?;
    let party_code: HashMap<i32, String> = parties.iter().map(|p| (p.id, p.code.clone())).collect();
    let pc = |id: i32| party_code.get(&id).cloned().unwrap_or_default();
    let aliases = all::<party_alias::Entity>(db, party_alias::Column::Id).await?;
    let members = all::<party_membership::Entity>(db, party_membership::Column::Id).await?;
    let regions = all::<region::Entity>(db, region::Column::Id).await?;
    let region_code: HashMap<i32, String> =
        regions.iter().map(|r| (r.id, r.code.clone())).collect();
    let region_parties = all::<region_party::Entity>(db, region_party::Column::Id).await?;
    let agendas = all::<agenda::Entity>(db, agenda::Column::Id).await?;
    let agenda_code: HashMap<i32, String> =
        agendas.iter().map(|a| (a.id, a.code.clone())).collect();
    let signatories = all::<agenda_signatory::Entity>(db, agenda_signatory::Column::Id).await?;
    let themes = all::<theme::Entity>(db, theme::Column::Id).await?;
    let theme_code: HashMap<i32, String> = themes.iter().map(|t| (t.id, t.code.clone())).collect();
    let goals = all::<goal::Entity>(db, goal::Column::Id).await?;
    let goal_code: HashMap<i32, String> = goals.iter().map(|g| (g.id, g.code.clone())).collect();
    let goal_parents = all::<goal_parent::Entity>(db, goal_parent::Column::Id).await?;
    let goal_themes = all::<goal_theme::Entity>(db, goal_theme::Column::Id).await?;
    let initiatives = all::<initiative::Entity>(db, initiative::Column::Id).await?;
    let initiative_code: HashMap<i32, String> =
        initiatives.iter().map(|i| (i.id, i.code.clone())).collect();
    let in_parties = all::<initiative_party::Entity>(db, initiative_party::Column::Id).await?;
    let in_themes = all::<initiative_theme::Entity>(db, initiative_theme::Column::Id).await?;
    let in_goals = all::<initiative_goal::Entity>(db, initiative_goal::Column::Id).await?;
    let milestones = all::<milestone::Entity>(db, milestone::Column::Id).await?;
    let indicators = all::<indicator::Entity>(db, indicator::Column::Id).await?;
    let bottlenecks = all::<bottleneck::Entity>(db, bottleneck::Column::Id).await?;
    let bodies = all::<governance_body::Entity>(db, governance_body::Column::Id).await?;
    let body_members = all::<governance_member::Entity>(db, governance_member::Column::Id).await?;

    let lookup =
        |map: &HashMap<i32, String>, id: Option<i32>| id.and_then(|i| map.get(&i).cloned());

    let mut registry = DataFile::default();
    for r in &regions {
        registry.regions.push(RegionRec {
            code: r.code.clone(),
            name: r.name.clone(),
            kind: r.kind.clone(),
            parent: lookup(&region_code, r.parent_id),
            summary: r.summary.clone(),
            note: r.note.clone(),
            source: source(&r.source_document, &r.source_section),
            parties: region_parties
                .iter()
                .filter(|l| l.region_id == r.id)
                .map(|l| RegionPartyRec {
                    party: pc(l.party_id),
                    role: l.role.clone(),
                })
                .collect(),
        });
    }
    for p in &parties {
        registry.parties.push(PartyRec {
            code: p.code.clone(),
            name: p.name.clone(),
            kind: p.kind.clone(),
            category: p.is_category,
            aliases: aliases
                .iter()
                .filter(|a| a.party_id == p.id)
                .map(|a| a.alias.clone())
                .collect(),
            members: members
                .iter()
                .filter(|m| m.collective_id == p.id)
                .map(|m| pc(m.member_id))
                .collect(),
            summary: p.summary.clone(),
            note: p.note.clone(),
            source: source(&p.source_document, &p.source_section),
        });
    }
    let theme_rec = |t: &theme::Model| ThemeRec {
        code: t.code.clone(),
        name: t.name.clone(),
        parent: lookup(&theme_code, t.parent_id),
        summary: t.summary.clone(),
        note: t.note.clone(),
        source: source(&t.source_document, &t.source_section),
    };
    registry.themes = themes
        .iter()
        .filter(|t| t.agenda_id.is_none())
        .map(theme_rec)
        .collect();

    let mut files = vec![("registry.yaml".to_string(), registry)];
    for a in &agendas {
        let mut file = DataFile {
            agenda: Some(AgendaRec {
                code: a.code.clone(),
                title: a.title.clone(),
                kind: a.kind.clone(),
                region: region_code.get(&a.region_id).cloned().unwrap_or_default(),
                period_start: a.period_start,
                period_end: a.period_end,
                predecessor: lookup(&agenda_code, a.predecessor_id),
                review_moments: serde_json::from_value(a.review_moments.clone())
                    .unwrap_or_default(),
                summary: a.summary.clone(),
                note: a.note.clone(),
                source: source(&a.source_document, &a.source_section),
                signatories: signatories
                    .iter()
                    .filter(|s| s.agenda_id == a.id)
                    .map(|s| SignatoryRec {
                        party: pc(s.party_id),
                        role: s.role.clone(),
                    })
                    .collect(),
            }),
            ..Default::default()
        };
        file.themes = themes
            .iter()
            .filter(|t| t.agenda_id == Some(a.id))
            .map(theme_rec)
            .collect();
        for g in goals.iter().filter(|g| g.agenda_id == a.id) {
            file.goals.push(GoalRec {
                code: g.code.clone(),
                number: g.number.clone(),
                kind: g.kind.clone(),
                title: g.title.clone(),
                summary: g.summary.clone(),
                parents: goal_parents
                    .iter()
                    .filter(|l| l.goal_id == g.id)
                    .filter_map(|l| goal_code.get(&l.parent_id).cloned())
                    .collect(),
                themes: goal_themes
                    .iter()
                    .filter(|l| l.goal_id == g.id)
                    .filter_map(|l| theme_code.get(&l.theme_id).cloned())
                    .collect(),
                target: g.target.clone(),
                target_year: g.target_year,
                note: g.note.clone(),
                source: source(&g.source_document, &g.source_section),
            });
        }
        for x in indicators.iter().filter(|x| x.agenda_id == a.id) {
            file.indicators.push(IndicatorRec {
                code: x.code.clone(),
                name: x.name.clone(),
                kind: x.kind.clone(),
                goal: lookup(&goal_code, x.goal_id),
                theme: lookup(&theme_code, x.theme_id),
                value: x.value,
                unit: x.unit.clone(),
                year: x.year,
                scope: x.scope.clone(),
                benchmark_value: x.benchmark_value,
                benchmark_scope: x.benchmark_scope.clone(),
                baseline: x.baseline,
                target: x.target,
                target_year: x.target_year,
                summary: None,
                note: x.note.clone(),
                source: source(&x.source_document, &x.source_section),
            });
        }
        for b in bottlenecks.iter().filter(|b| b.agenda_id == a.id) {
            file.bottlenecks.push(BottleneckRec {
                code: b.code.clone(),
                title: b.title.clone(),
                summary: b.summary.clone(),
                goal: lookup(&goal_code, b.goal_id),
                initiative: lookup(&initiative_code, b.initiative_id),
                note: b.note.clone(),
                source: source(&b.source_document, &b.source_section),
            });
        }
        for n in initiatives.iter().filter(|n| n.agenda_id == a.id) {
            let mut steps: Vec<&milestone::Model> = milestones
                .iter()
                .filter(|m| m.initiative_id == Some(n.id))
                .collect();
            steps.sort_by_key(|m| (m.position, m.id));
            file.initiatives.push(InitiativeRec {
                code: n.code.clone(),
                title: n.title.clone(),
                summary: n.summary.clone(),
                parent: lookup(&initiative_code, n.parent_id),
                status: n.status.clone(),
                lead_theme: lookup(&theme_code, n.lead_theme_id),
                labour_saving: n.labour_saving,
                visibility: n.visibility.clone(),
                starts: n.starts.clone(),
                ends: n.ends.clone(),
                timeline: n.timeline.clone(),
                funding: n.funding.clone(),
                budget: n.budget_eur.map(|b| b as f64),
                themes: in_themes
                    .iter()
                    .filter(|l| l.initiative_id == n.id)
                    .filter_map(|l| theme_code.get(&l.theme_id).cloned())
                    .collect(),
                goals: in_goals
                    .iter()
                    .filter(|l| l.initiative_id == n.id)
                    .filter_map(|l| goal_code.get(&l.goal_id).cloned())
                    .collect(),
                parties: in_parties
                    .iter()
                    .filter(|l| l.initiative_id == n.id)
                    .map(|l| ParticipationRec {
                        party: pc(l.party_id),
                        role: l.role.clone(),
                        capacity: l.capacity.clone(),
                    })
                    .collect(),
                milestones: steps
                    .into_iter()
                    .map(|m| MilestoneRec {
                        title: m.title.clone(),
                        year: m.year,
                        period: m.period.clone(),
                        summary: m.summary.clone(),
                    })
                    .collect(),
                note: n.note.clone(),
                source: source(&n.source_document, &n.source_section),
            });
        }
        let goal_ids: Vec<i32> = goals
            .iter()
            .filter(|g| g.agenda_id == a.id)
            .map(|g| g.id)
            .collect();
        for m in milestones
            .iter()
            .filter(|m| m.goal_id.is_some_and(|g| goal_ids.contains(&g)))
        {
            file.goal_milestones.push(GoalMilestoneRec {
                goal: lookup(&goal_code, m.goal_id).unwrap_or_default(),
                title: m.title.clone(),
                year: m.year,
                period: m.period.clone(),
                summary: m.summary.clone(),
            });
        }
        for b in bodies.iter().filter(|b| b.agenda_id == a.id) {
            file.governance_bodies.push(BodyRec {
                code: b.code.clone(),
                name: b.name.clone(),
                kind: b.kind.clone(),
                cadence: b.cadence.clone(),
                summary: b.summary.clone(),
                members: body_members
                    .iter()
                    .filter(|m| m.body_id == b.id)
                    .map(|m| MemberRec {
                        party: pc(m.party_id),
                        role: m.role.clone(),
                    })
                    .collect(),
                note: b.note.clone(),
                source: source(&b.source_document, &b.source_section),
            });
        }
        files.push((format!("agendas/{}.yaml", a.code), file));
    }

    let io = |e: std::io::Error| DatasetError::Io(format!("{}: {e}", dir.display()));
    std::fs::create_dir_all(dir.join("agendas")).map_err(io)?;
    for (name, file) in &files {
        let text = serde_yaml_ng::to_string(file).map_err(|e| DatasetError::Io(e.to_string()))?;
        std::fs::write(dir.join(name), text).map_err(io)?;
    }
    Ok(files.len())
}
