//! What a client can ask about itself and the rules: `me` and `accessRules`.

use async_graphql::{Context, Object, SimpleObject};

use crate::auth::{Role, Viewer};
use crate::graphql::types::Party;
use crate::policy::{FIELDS, FieldRule};

#[derive(Default)]
pub struct MeQuery;

/// The caller as the service sees it.
#[derive(SimpleObject)]
pub struct Me {
    /// The organisation the token speaks for; null for an anonymous caller.
    pub organisation: Option<Party>,
    /// The role from the token; null for an anonymous caller.
    pub role: Option<Role>,
    /// The token's subject (`sub`), when given.
    pub subject: Option<String>,
}

#[Object]
impl MeQuery {
    /// Who is calling: the organisation and role of the token sent, or nulls when none was.
    async fn me(&self, ctx: &Context<'_>) -> Me {
        let viewer = ctx.data_unchecked::<Viewer>();
        Me {
            organisation: viewer.org.clone().map(Party),
            role: viewer.org.as_ref().map(|_| viewer.role),
            subject: viewer.subject.clone(),
        }
    }

    /// The guarded fields and the rule that guards each: everything not listed is public on
    /// every record the caller can see. Initiatives are also hidden whole by their
    /// `visibility` (REGION: parties of the region; PARTICIPANTS: parties taking part).
    async fn access_rules(&self) -> Vec<FieldRule> {
        FIELDS.to_vec()
    }
}
