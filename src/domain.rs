//! The vocabulary of the agendas: the closed lists of kinds, roles and statuses.
//!
//! Each list is stored as lowercase hyphenated text (`member-gemeente`) so the database and the
//! data files stay readable, and appears in GraphQL as an enum (`MEMBER_GEMEENTE`). The data
//! files, the importer and the API all read these lists from here.

use crate::error::{AppError, AppResult};

/// Declares a vocabulary: a GraphQL enum with its stored spelling per value.
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $db:literal,)+ }) => {
        $(#[$meta])*
        #[derive(async_graphql::Enum, Copy, Clone, Debug, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$vmeta])* $variant,)+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The stored spelling.
            pub fn as_db(self) -> &'static str {
                match self { $($name::$variant => $db,)+ }
            }

            /// The value stored as `text`, if it is one.
            pub fn from_db(text: &str) -> Option<Self> {
                match text { $($db => Some($name::$variant),)+ _ => None }
            }

            /// Reads a stored value; a value outside the list is a bug, reported as `INTERNAL`.
            pub fn read(text: &str) -> AppResult<Self> {
                Self::from_db(text).ok_or_else(|| {
                    tracing::error!(value = text, vocabulary = stringify!($name), "unknown stored value");
                    AppError::Internal
                })
            }

            /// The stored spellings, for messages that list what is allowed.
            pub fn spellings() -> String {
                Self::ALL.iter().map(|v| v.as_db()).collect::<Vec<_>>().join(", ")
            }
        }
    };
}

vocabulary! {
    /// The kind of a region (regiosoort). Regions of different kinds overlap.
    RegionKind {
        /// Zorgkantoorregio: the area of one care office (Wlz).
        Zorgkantoorregio = "zorgkantoorregio",
        /// Wmo-regio: gemeenten that commission social support together.
        WmoRegio = "wmo-regio",
        /// IZA-regio: the region of an Integraal Zorgakkoord regioplan.
        IzaRegio = "iza-regio",
        /// GGD-regio: the area of one GGD.
        GgdRegio = "ggd-regio",
        /// Jeugdregio: gemeenten that commission youth care together.
        Jeugdregio = "jeugdregio",
        /// Centrumgemeentegebied: the area of a centre municipality.
        Centrumgemeentegebied = "centrumgemeentegebied",
        /// Subregio: a part of a larger region (Zuid-Kennemerland, IJmond).
        Subregio = "subregio",
        /// Any other kind of region, such as a ROAZ-regio (acute care) or a veiligheidsregio.
        Other = "other",
    }
}

vocabulary! {
    /// The role of a party in a region (its capacity there).
    RegionRole {
        /// A gemeente that belongs to the region.
        MemberGemeente = "member-gemeente",
        /// A health insurer (zorgverzekeraar) active in the region.
        Insurer = "insurer",
        /// The care office (zorgkantoor) of the region.
        CareOffice = "care-office",
        /// The GGD of the region.
        Ggd = "ggd",
        /// The regional collaboration organisation (RSO) of the region.
        Rso = "rso",
        /// A care or welfare provider of the region.
        Provider = "provider",
        /// Any other role.
        Other = "other",
    }
}

vocabulary! {
    /// The kind of a party (organisatiesoort).
    PartyKind {
        /// Gemeente (municipality).
        Gemeente = "gemeente",
        /// Zorgverzekeraar (health insurer).
        Zorgverzekeraar = "zorgverzekeraar",
        /// Zorgkantoor (care office, Wlz).
        Zorgkantoor = "zorgkantoor",
        /// GGD (public health service).
        Ggd = "ggd",
        /// Ziekenhuis (hospital).
        Ziekenhuis = "ziekenhuis",
        /// VVT: nursing, care and home care.
        Vvt = "vvt",
        /// GGZ: mental health care provider.
        Ggz = "ggz",
        /// Huisartsen: general practitioners and their organisations.
        Huisartsen = "huisartsen",
        /// Zorgaanbieder: another care provider.
        Zorgaanbieder = "zorgaanbieder",
        /// Welzijn: welfare and social work.
        Welzijn = "welzijn",
        /// Woningcorporatie: housing association.
        Woningcorporatie = "woningcorporatie",
        /// Netwerk / samenwerkingsverband: a network of organisations.
        Netwerk = "netwerk",
        /// A collective acting together, such as "de gemeenten" of a region.
        Collective = "collective",
        /// RSO: regional collaboration organisation.
        Rso = "rso",
        /// National body (VNG, ZN, VWS).
        National = "national",
        /// Onderwijs: education.
        Onderwijs = "onderwijs",
        /// Any other kind.
        Other = "other",
    }
}

vocabulary! {
    /// The kind of an agenda.
    AgendaKind {
        /// Samenwerkingsagenda: the collaboration agenda VNG and ZN asked for.
        Samenwerkingsagenda = "samenwerkingsagenda",
        /// Regioplan: the plan of an IZA region.
        Regioplan = "regioplan",
    }
}

vocabulary! {
    /// The level of a goal.
    GoalKind {
        /// Opgave: a challenge, above the doelen.
        Opgave = "opgave",
        /// Doel: a goal under an opgave.
        Doel = "doel",
        /// Ambitie: an ambition.
        Ambitie = "ambitie",
    }
}

vocabulary! {
    /// Whether an indicator is a measured figure (kengetal) or a planned KPI.
    IndicatorKind {
        /// Kengetal: an observed figure with a value, year and scope.
        Observed = "observed",
        /// KPI: planned, with a baseline and a target, possibly not yet filled in.
        Planned = "planned",
    }
}

vocabulary! {
    /// The status of an initiative (Dutch: status, stand van zaken). The documents rarely state
    /// it; partners report it.
    InitiativeStatus {
        /// Onbekend: not stated.
        Unknown = "unknown",
        /// Idee: an idea, not yet planned.
        Idea = "idea",
        /// Gepland: planned, not yet started.
        Planned = "planned",
        /// Lopend: running.
        Running = "running",
        /// Afgerond: completed.
        Completed = "completed",
        /// Gestopt: stopped before completion.
        Stopped = "stopped",
    }
}

vocabulary! {
    /// Who may see a record.
    Visibility {
        /// Openbaar: everyone, including anonymous callers.
        Public = "public",
        /// Regio: the parties of the record's region.
        Region = "region",
        /// Deelnemers: the parties taking part in the initiative.
        Participants = "participants",
    }
}

vocabulary! {
    /// The role of a party in an initiative.
    ParticipationRole {
        /// Trekker: leads the initiative.
        Lead = "lead",
        /// Deelnemer: takes part.
        Participant = "participant",
        /// Financier: funds it.
        Financier = "financier",
        /// Uitvoerder: carries it out.
        Executor = "executor",
        /// Adviseur: advises.
        Advisor = "advisor",
        /// Named by the document without a role.
        Unknown = "unknown",
    }
}

vocabulary! {
    /// The kind of a governance body (overleg).
    BodyKind {
        /// Bestuurlijk overleg: the administrators' meeting.
        BestuurlijkOverleg = "bestuurlijk-overleg",
        /// Stuurgroep: steering group.
        Stuurgroep = "stuurgroep",
        /// Kernteam: core team.
        Kernteam = "kernteam",
        /// Themateam: a team per theme.
        Themateam = "themateam",
        /// Werkgroep: working group.
        Werkgroep = "werkgroep",
        /// Any other body.
        Other = "other",
    }
}
