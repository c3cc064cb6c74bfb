//! The Relay `Node` interface: every record with a global id can be fetched by `node(id:)`.

use async_graphql::{ID, Interface};

use super::{
    Agenda, Bottleneck, Goal, GovernanceBody, Indicator, Initiative, Milestone, Party, Region,
    Theme,
};

/// A record with a global id. Fetch any of them with `node(id:)` or `nodes(ids:)`.
#[derive(Interface, Clone)]
#[graphql(field(name = "id", ty = "ID", desc = "The global id (`Initiative:42`)."))]
pub enum Node {
    Region(Region),
    Party(Party),
    Agenda(Agenda),
    Theme(Theme),
    Goal(Goal),
    Indicator(Indicator),
    Bottleneck(Bottleneck),
    Initiative(Initiative),
    Milestone(Milestone),
    GovernanceBody(GovernanceBody),
}
