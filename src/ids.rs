//! Public identifiers: Relay global ids and references by id or code.
//!
//! A global id is `Type:number` (`Initiative:42`). It is stable for the life of a database and
//! survives re-imports (the importer updates records in place). Clients should treat it as
//! opaque; it is readable so that a developer can tell at a glance what a log line refers to.
//! Filters and lookups also accept a record's human code (`zilveren-kruis`,
//! `regioplan-kennemerland-2023/doel-1a`), which survives a move to another database.

use crate::error::{AppError, AppResult};

/// The kinds of record that have a global id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Region,
    Party,
    Agenda,
    Theme,
    Goal,
    Indicator,
    Bottleneck,
    Initiative,
    Milestone,
    GovernanceBody,
}

impl Kind {
    const ALL: [Kind; 10] = [
        Kind::Region,
        Kind::Party,
        Kind::Agenda,
        Kind::Theme,
        Kind::Goal,
        Kind::Indicator,
        Kind::Bottleneck,
        Kind::Initiative,
        Kind::Milestone,
        Kind::GovernanceBody,
    ];

    /// The GraphQL type name, which is also the prefix of the global id.
    pub fn type_name(self) -> &'static str {
        match self {
            Kind::Region => "Region",
            Kind::Party => "Party",
            Kind::Agenda => "Agenda",
            Kind::Theme => "Theme",
            Kind::Goal => "Goal",
            Kind::Indicator => "Indicator",
            Kind::Bottleneck => "Bottleneck",
            Kind::Initiative => "Initiative",
            Kind::Milestone => "Milestone",
            Kind::GovernanceBody => "GovernanceBody",
        }
    }
}

/// The global id of record `id` of `kind`.
pub fn global_id(kind: Kind, id: i32) -> async_graphql::ID {
    async_graphql::ID(format!("{}:{}", kind.type_name(), id))
}

/// Splits a global id into its kind and row id; `BAD_USER_INPUT` when it is not one.
pub fn parse_global_id(path: &str, raw: &str) -> AppResult<(Kind, i32)> {
    let bad = || {
        AppError::bad_input(
            path,
            format!("`{raw}` is not a valid id (expected the form `Initiative:42`)"),
        )
    };
    let (prefix, number) = raw.split_once(':').ok_or_else(bad)?;
    let kind = Kind::ALL
        .into_iter()
        .find(|k| k.type_name() == prefix)
        .ok_or_else(bad)?;
    let id = number
        .parse::<i32>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(bad)?;
    Ok((kind, id))
}

/// A reference to a record given by a client: a global id of the expected kind or a code.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Ref {
    Id(i32),
    Code(String),
}

/// Reads a reference to a record of `kind`: `Party:7` or `zilveren-kruis`. A global id of
/// another kind is refused rather than silently matching nothing.
pub fn parse_ref(path: &str, kind: Kind, raw: &str) -> AppResult<Ref> {
    if raw.contains(':') {
        let (found, id) = parse_global_id(path, raw)?;
        if found != kind {
            return Err(AppError::bad_input(
                path,
                format!(
                    "`{raw}` is a {} id, expected a {} id or code",
                    found.type_name(),
                    kind.type_name()
                ),
            ));
        }
        return Ok(Ref::Id(id));
    }
    if raw.trim().is_empty() || raw.len() > 200 {
        return Err(AppError::bad_input(path, "expected an id or a code"));
    }
    Ok(Ref::Code(raw.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn global_ids_round_trip() {
        let id = global_id(Kind::GovernanceBody, 12);
        assert_eq!(
            parse_global_id("id", &id).unwrap(),
            (Kind::GovernanceBody, 12)
        );
    }

    #[test]
    fn malformed_ids_are_bad_input() {
        for raw in [
            "",
            "Initiative",
            "Initiative:",
            "Initiative:x",
            "Initiative:-1",
            "Nope:1",
            "Initiative:99999999999",
        ] {
            let err = parse_global_id("id", raw).unwrap_err();
            assert_eq!(err.code(), "BAD_USER_INPUT", "{raw}");
        }
    }

    #[test]
    fn refs_take_ids_of_their_kind_or_codes() {
        assert_eq!(parse_ref("p", Kind::Party, "Party:3").unwrap(), Ref::Id(3));
        assert_eq!(
            parse_ref("p", Kind::Party, "vgz").unwrap(),
            Ref::Code("vgz".into())
        );
        assert!(parse_ref("p", Kind::Party, "Region:3").is_err());
    }
}
