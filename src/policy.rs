//! Who may see what: the one declarative policy of the service.
//!
//! [`FIELDS`] names every guarded field and the rule that guards it; [`ROWS`] says which rule
//! a record's visibility stands for. Reads ask [`require`] before returning a guarded value,
//! lists add [`visible_initiatives`] to their SQL so hidden rows are neither returned nor
//! counted, and nested lists filter with [`initiative_visible`]. Every decision uses the
//! caller's relations, read once per request, so authorization never adds a query per row.
//!
//! The schema shows each guarded field's rule in its description (a test keeps the two in
//! step), and `Query.accessRules` lists this table for portals.

use async_graphql::{Context, Enum, SimpleObject};
use entity::{initiative, initiative_party};
use sea_orm::sea_query::SelectStatement;
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect, QueryTrait,
};

use crate::auth::Viewer;
use crate::auth::viewer::{Relations, Role};
use crate::domain::Visibility;
use crate::error::{AppError, AppResult};

/// A rule: who passes it, decided by the caller's relation to the record.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// Everyone, including anonymous callers.
    Public,
    /// Any caller with a valid token.
    Authenticated,
    /// A caller whose organisation (directly or through a collective) belongs to the
    /// record's region.
    RegionMember,
    /// A caller whose organisation (directly or through a collective) takes part in the
    /// initiative.
    Participant,
    /// A caller whose organisation leads (trekker) the initiative.
    Lead,
    /// The RSO of the record's region, calling as coordinator.
    RegionCoordinator,
    /// An administrator.
    Admin,
}

impl Rule {
    /// The rule's name as errors and descriptions give it.
    pub fn name(self) -> &'static str {
        match self {
            Rule::Public => "PUBLIC",
            Rule::Authenticated => "AUTHENTICATED",
            Rule::RegionMember => "REGION_MEMBER",
            Rule::Participant => "PARTICIPANT",
            Rule::Lead => "LEAD",
            Rule::RegionCoordinator => "REGION_COORDINATOR",
            Rule::Admin => "ADMIN",
        }
    }
}

/// A guarded field and its rule.
#[derive(SimpleObject, Clone, Copy, Debug)]
pub struct FieldRule {
    /// The GraphQL type.
    pub type_name: &'static str,
    /// The field.
    pub field: &'static str,
    /// Who may read it.
    pub rule: Rule,
}

/// Every guarded field. Fields not listed are public on every record the caller can see.
pub const FIELDS: &[FieldRule] = &[
    FieldRule {
        type_name: "Initiative",
        field: "contacts",
        rule: Rule::Participant,
    },
    FieldRule {
        type_name: "Initiative",
        field: "funding",
        rule: Rule::Participant,
    },
    FieldRule {
        type_name: "Initiative",
        field: "budgetEur",
        rule: Rule::Participant,
    },
    FieldRule {
        type_name: "Initiative",
        field: "internalNotes",
        rule: Rule::Participant,
    },
    FieldRule {
        type_name: "Initiative",
        field: "progressNotes",
        rule: Rule::Participant,
    },
    FieldRule {
        type_name: "Initiative",
        field: "progressHistory",
        rule: Rule::Participant,
    },
];

/// The rule of an initiative field as the audit trail records it (column names), for
/// withholding its values from callers who may not read it.
pub fn guarded_initiative_field(field: &str) -> Option<Rule> {
    let name = match field {
        "budget_eur" => "budgetEur",
        "internal_notes" => "internalNotes",
        "progress_notes" => "progressNotes",
        other => other,
    };
    FIELDS
        .iter()
        .find(|r| r.type_name == "Initiative" && r.field == name)
        .map(|r| r.rule)
}

/// Which rule a record's visibility stands for.
pub const ROWS: &[(Visibility, Rule)] = &[
    (Visibility::Public, Rule::Public),
    (Visibility::Region, Rule::RegionMember),
    (Visibility::Participants, Rule::Participant),
];

/// The rule of `type_name.field`.
pub fn field_rule(type_name: &str, field: &str) -> Rule {
    FIELDS
        .iter()
        .find(|r| r.type_name == type_name && r.field == field)
        .map_or(Rule::Public, |r| r.rule)
}

/// What a rule about an initiative is decided on.
#[derive(Clone, Copy, Debug)]
pub struct InitiativeFacts {
    pub id: i32,
    pub agenda_id: i32,
}

impl From<&initiative::Model> for InitiativeFacts {
    fn from(model: &initiative::Model) -> Self {
        InitiativeFacts {
            id: model.id,
            agenda_id: model.agenda_id,
        }
    }
}

/// Whether `viewer` passes `rule` for the initiative `facts`.
pub fn passes(
    viewer: &Viewer,
    relations: Option<&Relations>,
    rule: Rule,
    facts: InitiativeFacts,
) -> bool {
    if viewer.is_admin() {
        return true;
    }
    let Some(rel) = relations.filter(|_| viewer.org.is_some()) else {
        return rule == Rule::Public;
    };
    let region = rel.agenda_region.get(&facts.agenda_id);
    let coordinator =
        viewer.role >= Role::Coordinator && region.is_some_and(|r| rel.rso_regions.contains(r));
    match rule {
        Rule::Public | Rule::Authenticated => true,
        Rule::RegionMember => coordinator || region.is_some_and(|r| rel.regions.contains(r)),
        Rule::Participant => rel.participations.contains_key(&facts.id),
        Rule::Lead => rel
            .participations
            .get(&facts.id)
            .is_some_and(|roles| roles.iter().any(|r| r == "lead")),
        Rule::RegionCoordinator => coordinator,
        Rule::Admin => false,
    }
}

fn viewer<'a>(ctx: &Context<'a>) -> &'a Viewer {
    ctx.data_unchecked::<Viewer>()
}

fn db<'a>(ctx: &Context<'a>) -> &'a DatabaseConnection {
    ctx.data_unchecked::<DatabaseConnection>()
}

/// The relations of the caller, when a rule can need them (not for anonymous callers or
/// administrators, whose answers do not depend on relations).
async fn relations_for<'a>(ctx: &Context<'a>) -> AppResult<Option<&'a Relations>> {
    let v = viewer(ctx);
    if v.org.is_none() || v.is_admin() {
        return Ok(None);
    }
    Ok(Some(v.relations(db(ctx)).await?))
}

/// Passes when the caller may read `type_name.field` of the initiative; otherwise the error
/// names the rule that withheld it.
pub async fn require(
    ctx: &Context<'_>,
    type_name: &str,
    field: &str,
    facts: InitiativeFacts,
) -> AppResult<()> {
    let rule = field_rule(type_name, field);
    if rule == Rule::Public {
        return Ok(());
    }
    let relations = relations_for(ctx).await?;
    if passes(viewer(ctx), relations, rule, facts) {
        Ok(())
    } else {
        Err(AppError::Forbidden {
            rule: rule.name(),
            message: format!(
                "{type_name}.{field} is withheld: rule {} (only {})",
                rule.name(),
                describe(rule)
            ),
        })
    }
}

/// Who passes `rule`, in words.
pub fn describe(rule: Rule) -> &'static str {
    match rule {
        Rule::Public => "everyone",
        Rule::Authenticated => "callers with a token",
        Rule::RegionMember => "parties of the record's region",
        Rule::Participant => {
            "parties taking part in the initiative, directly or through a collective"
        }
        Rule::Lead => "the initiative's lead party",
        Rule::RegionCoordinator => "the RSO of the record's region as coordinator",
        Rule::Admin => "administrators",
    }
}

/// Whether the caller may see the initiative row at all (its visibility).
pub fn initiative_visible(
    viewer: &Viewer,
    relations: Option<&Relations>,
    model: &initiative::Model,
) -> bool {
    let rule = ROWS
        .iter()
        .find(|(v, _)| v.as_db() == model.visibility)
        .map_or(Rule::Admin, |(_, rule)| *rule);
    rule == Rule::Public || passes(viewer, relations, rule, model.into())
}

/// Keeps the initiatives the caller may see.
pub async fn visible(
    ctx: &Context<'_>,
    rows: Vec<initiative::Model>,
) -> AppResult<Vec<initiative::Model>> {
    if rows
        .iter()
        .all(|r| r.visibility == Visibility::Public.as_db())
    {
        return Ok(rows);
    }
    let relations = relations_for(ctx).await?;
    let v = viewer(ctx);
    Ok(rows
        .into_iter()
        .filter(|r| initiative_visible(v, relations, r))
        .collect())
}

/// The SQL condition that keeps the initiatives the caller may see: the same decision as
/// [`initiative_visible`], so lists and counts never include a hidden row.
pub async fn visible_initiatives(ctx: &Context<'_>) -> AppResult<Condition> {
    let v = viewer(ctx);
    if v.is_admin() {
        return Ok(Condition::all());
    }
    let public = initiative::Column::Visibility.eq(Visibility::Public.as_db());
    let Some(rel) = relations_for(ctx).await? else {
        return Ok(Condition::all().add(public));
    };
    let mut regions: Vec<i32> = rel.regions.iter().copied().collect();
    if v.role >= Role::Coordinator {
        regions.extend(rel.rso_regions.iter().copied());
    }
    let agendas: Vec<i32> = rel
        .agenda_region
        .iter()
        .filter(|(_, region)| regions.contains(region))
        .map(|(agenda, _)| *agenda)
        .collect();
    // A subquery, not the list of ids: an insurer may take part in thousands of initiatives.
    let participating = sea_orm::sea_query::Query::select()
        .column(initiative_party::Column::InitiativeId)
        .from(initiative_party::Entity)
        .and_where(initiative_party::Column::PartyId.is_in(rel.acting.clone()))
        .to_owned();
    Ok(Condition::any()
        .add(public)
        .add(
            Condition::all()
                .add(initiative::Column::Visibility.eq(Visibility::Region.as_db()))
                .add(initiative::Column::AgendaId.is_in(agendas)),
        )
        .add(initiative::Column::Id.in_subquery(participating)))
}

/// The ids of the initiatives the caller may see, as a subquery for conditions on rows that
/// belong to an initiative (milestones, knelpunten, participations).
pub async fn visible_initiative_ids(ctx: &Context<'_>) -> AppResult<SelectStatement> {
    let condition = visible_initiatives(ctx).await?;
    Ok(initiative::Entity::find()
        .select_only()
        .column(initiative::Column::Id)
        .filter(condition)
        .into_query())
}

#[cfg(test)]
mod tests {
    use super::FIELDS;

    /// A withheld field is null (and http/shape.rs counts on it): each guarded field must be
    /// nullable in the schema.
    #[test]
    fn every_guarded_field_is_nullable() {
        let sdl = include_str!("../schema.graphql");
        for rule in FIELDS {
            let start = sdl
                .find(&format!("\ntype {} ", rule.type_name))
                .expect("the type is in the schema");
            let block = &sdl[start..start + sdl[start..].find("\n}").unwrap()];
            let line = block
                .lines()
                .find(|line| line.trim_start().starts_with(&format!("{}:", rule.field)))
                .expect("the field is in its type");
            assert!(!line.trim_end().ends_with('!'), "{line}");
        }
    }
}
