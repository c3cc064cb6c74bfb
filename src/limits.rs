//! Protection: what one request may ask, and how often an organisation may ask.
//!
//! Every limit refuses with its own `extensions.code`, before anything is executed where it
//! can be: document size, aliases, root fields and directives are counted on the parsed
//! document; depth and complexity (a cost per field, lists multiplied by their page size)
//! by async-graphql's validation; the body size by the HTTP layer; the time by a timeout
//! around execution (and a statement timeout in PostgreSQL). Rates are kept per
//! organisation (anonymous callers per IP address) in this instance: with several instances
//! behind a load balancer each keeps its own budget, so the effective budget is the per-
//! instance budget times the instances a client's requests reach (see the README).

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

/// The limits of the service, with their defaults.
/// The depth async-graphql itself enforces, for documents that do not pass through
/// [`check_document`] (subscriptions over WebSocket); introspection counts there.
pub const DEPTH_BACKSTOP: usize = 20;

#[derive(Clone, Debug)]
pub struct Limits {
    /// Deepest nesting of fields (`DEPTH_LIMIT`). Default 12.
    pub max_depth: usize,
    /// Highest cost: one per field, lists multiplied by their page size (`COMPLEXITY_LIMIT`).
    /// Default 100,000.
    pub max_complexity: usize,
    /// Most aliased fields in a document (`ALIAS_LIMIT`). Default 30.
    pub max_aliases: usize,
    /// Most fields at the root of an operation (`ROOT_FIELD_LIMIT`). Default 15.
    pub max_root_fields: usize,
    /// Most directives in a document (`DIRECTIVE_LIMIT`). Default 20.
    pub max_directives: usize,
    /// Largest document, in bytes (`DOCUMENT_TOO_LARGE`). Default 32 KiB.
    pub max_document_bytes: usize,
    /// Largest request body, in bytes (`REQUEST_TOO_LARGE`, HTTP 413). Default 8 MiB: a sync
    /// of 10,000 items fits.
    pub max_body_bytes: usize,
    /// Longest a request may run (`TIMEOUT`, HTTP 503). Default 30 s.
    pub request_timeout: Duration,
    /// Operations executing at once on this instance; the others wait their turn (within
    /// the request timeout). Default 16, the size of the PostgreSQL pool: more at once would
    /// only hold their memory while waiting for a connection.
    pub max_concurrent: usize,
    /// Bytes of query answers kept until a write changes the data
    /// (`http/response_cache.rs`); 0: none. Default 32 MiB.
    pub response_cache_bytes: u64,
    /// Longest one SQL statement may run on PostgreSQL. Default 15 s.
    pub statement_timeout: Duration,
    /// Requests per minute per organisation (anonymous callers: per IP address)
    /// (`RATE_LIMITED`, HTTP 429 with Retry-After). Default 1,200.
    pub requests_per_minute: u32,
    /// Requests an organisation may send at once above its rate. Default 200.
    pub burst: u32,
    /// Complexity points per minute per organisation (`RATE_LIMITED`). Default 3,000,000:
    /// thirty queries at the complexity limit, or thousands of ordinary ones.
    pub cost_per_minute: u32,
    /// Complexity points an organisation may spend at once. Default 1,000,000.
    pub cost_burst: u32,
    /// Who may introspect the schema. Default everyone (GraphiQL and code generators need
    /// it; the schema is public in `schema.graphql` anyway).
    pub introspection: Introspection,
}

/// Who may run introspection queries (`__schema`, `__type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Introspection {
    /// Everyone.
    Everyone,
    /// Callers with a token only.
    Authenticated,
    /// Nobody.
    Nobody,
}

impl std::str::FromStr for Introspection {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "everyone" => Ok(Introspection::Everyone),
            "authenticated" => Ok(Introspection::Authenticated),
            "nobody" => Ok(Introspection::Nobody),
            other => Err(format!("`{other}`: everyone, authenticated or nobody")),
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 12,
            max_complexity: 100_000,
            max_aliases: 30,
            max_root_fields: 15,
            max_directives: 20,
            max_document_bytes: 32 * 1024,
            max_body_bytes: 8 * 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            max_concurrent: 16,
            response_cache_bytes: 32 * 1024 * 1024,
            statement_timeout: Duration::from_secs(15),
            requests_per_minute: 1_200,
            burst: 200,
            cost_per_minute: 3_000_000,
            cost_burst: 1_000_000,
            introspection: Introspection::Everyone,
        }
    }
}

/// A refused request: its code and message.
pub struct Refusal {
    pub code: &'static str,
    pub message: String,
}

fn refuse(code: &'static str, message: String) -> Refusal {
    Refusal { code, message }
}

/// Counts what the document asks for before anything runs.
pub fn check_document(
    limits: &Limits,
    text: &str,
    document: &ExecutableDocument,
) -> Result<(), Refusal> {
    if text.len() > limits.max_document_bytes {
        return Err(refuse(
            "DOCUMENT_TOO_LARGE",
            format!(
                "the document has {} bytes; at most {}",
                text.len(),
                limits.max_document_bytes
            ),
        ));
    }
    let mut depths = Depths::new(document);
    let mut counts = Counts::default();
    for (_, operation) in document.operations.iter() {
        let depth = depths.of(&operation.node.selection_set.node);
        if depth > limits.max_depth {
            return Err(refuse(
                "DEPTH_LIMIT",
                format!(
                    "an operation nests {depth} fields deep; at most {}",
                    limits.max_depth
                ),
            ));
        }
        counts.directives += operation.node.directives.len();
        let root = root_fields(&operation.node.selection_set.node, document, 0);
        if root > limits.max_root_fields {
            return Err(refuse(
                "ROOT_FIELD_LIMIT",
                format!(
                    "an operation asks for {root} root fields; at most {}",
                    limits.max_root_fields
                ),
            ));
        }
        counts.walk(&operation.node.selection_set.node);
    }
    for fragment in document.fragments.values() {
        counts.directives += fragment.node.directives.len();
        counts.walk(&fragment.node.selection_set.node);
    }
    if counts.aliases > limits.max_aliases {
        return Err(refuse(
            "ALIAS_LIMIT",
            format!(
                "the document has {} aliases; at most {}",
                counts.aliases, limits.max_aliases
            ),
        ));
    }
    if counts.directives > limits.max_directives {
        return Err(refuse(
            "DIRECTIVE_LIMIT",
            format!(
                "the document has {} directives; at most {}",
                counts.directives, limits.max_directives
            ),
        ));
    }
    Ok(())
}

#[derive(Default)]
struct Counts {
    aliases: usize,
    directives: usize,
}

impl Counts {
    fn walk(&mut self, set: &SelectionSet) {
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => {
                    self.aliases += usize::from(field.node.alias.is_some());
                    self.directives += field.node.directives.len();
                    self.walk(&field.node.selection_set.node);
                }
                Selection::InlineFragment(inline) => {
                    self.directives += inline.node.directives.len();
                    self.walk(&inline.node.selection_set.node);
                }
                Selection::FragmentSpread(spread) => {
                    self.directives += spread.node.directives.len()
                }
            }
        }
    }
}

/// How deep selections nest, through fragments. Introspection (`__schema`, `__type`) does not
/// count: the standard introspection query that GraphiQL, code generators and `gql` send nests
/// 13 deep in its type references, and its shape is fixed, so the depth limit would only
/// refuse the tools. Each fragment's depth is computed once (no blow-up from fragments that
/// spread others many times), and a fragment that spreads itself counts as empty (validation
/// refuses it afterwards).
struct Depths<'a> {
    document: &'a ExecutableDocument,
    fragments: HashMap<&'a str, Option<usize>>,
}

impl<'a> Depths<'a> {
    fn new(document: &'a ExecutableDocument) -> Self {
        Depths {
            document,
            fragments: HashMap::new(),
        }
    }

    fn of(&mut self, set: &'a SelectionSet) -> usize {
        let mut deepest = 0;
        for item in &set.items {
            let depth = match &item.node {
                Selection::Field(field) => match field.node.name.node.as_str() {
                    "__schema" | "__type" => 0,
                    _ => 1 + self.of(&field.node.selection_set.node),
                },
                Selection::InlineFragment(inline) => self.of(&inline.node.selection_set.node),
                Selection::FragmentSpread(spread) => {
                    let name = spread.node.fragment_name.node.as_str();
                    match self.fragments.get(name) {
                        Some(Some(depth)) => *depth,
                        Some(None) => 0, // being computed: a cycle
                        None => match self.document.fragments.get(name) {
                            Some(fragment) => {
                                self.fragments.insert(name, None);
                                let depth = self.of(&fragment.node.selection_set.node);
                                self.fragments.insert(name, Some(depth));
                                depth
                            }
                            None => 0,
                        },
                    }
                }
            };
            deepest = deepest.max(depth);
        }
        deepest
    }
}

/// The fields at the root of a selection, through fragments (which cannot nest deeper than
/// the document has fragments).
fn root_fields(set: &SelectionSet, document: &ExecutableDocument, depth: usize) -> usize {
    if depth > document.fragments.len() {
        return 0;
    }
    set.items
        .iter()
        .map(|item| match &item.node {
            Selection::Field(_) => 1,
            Selection::InlineFragment(inline) => {
                root_fields(&inline.node.selection_set.node, document, depth + 1)
            }
            Selection::FragmentSpread(spread) => document
                .fragments
                .get(&spread.node.fragment_name.node)
                .map_or(0, |f| {
                    root_fields(&f.node.selection_set.node, document, depth + 1)
                }),
        })
        .sum()
}

/// Per-organisation request budgets of this instance.
#[derive(Clone)]
pub struct RateLimits {
    limiter: Arc<DefaultKeyedRateLimiter<String>>,
}

impl RateLimits {
    /// Budgets of `limits.requests_per_minute`, with `limits.burst` at once.
    pub fn new(limits: &Limits) -> Self {
        let per_minute =
            NonZeroU32::new(limits.requests_per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(limits.burst.max(1)).unwrap_or(NonZeroU32::MIN);
        RateLimits {
            limiter: Arc::new(DefaultKeyedRateLimiter::keyed(
                Quota::per_minute(per_minute).allow_burst(burst),
            )),
        }
    }

    /// Takes one request from `key`'s budget; the error is how long to wait.
    pub fn check(&self, key: &str) -> Result<(), Duration> {
        self.limiter
            .check_key(&key.to_string())
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }
}

/// Who a request's cost is charged to: the organisation, or the anonymous caller's address.
#[derive(Clone, Debug)]
pub struct BudgetKey(pub String);

/// Per-organisation cost budgets: each query's complexity (as computed for
/// `max_complexity`) is charged to its organisation, so a few expensive queries use up what
/// many cheap ones would (`RATE_LIMITED`, HTTP 429).
///
/// async-graphql hands the complexity only to an extension, and a schema with any extension
/// sends every field and list item through its extension path (a boxed future and a
/// `ResolveInfo` each): a third of the time of a 50-initiative list. So the schemas that
/// execute HTTP requests have none; a twin schema carries this budget in [`metering`] form,
/// which validates the document, charges it and stops before executing anything. The
/// WebSocket schema carries it as is.
///
/// [`metering`]: CostBudget::metering
#[derive(Clone)]
pub struct CostBudget {
    limiter: Arc<DefaultKeyedRateLimiter<String>>,
    /// Validate and charge only: the `execute` step is skipped.
    metering: bool,
}

impl CostBudget {
    /// Budgets of `limits.cost_per_minute`, with `limits.cost_burst` at once.
    pub fn new(limits: &Limits) -> Self {
        let per_minute = NonZeroU32::new(limits.cost_per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(limits.cost_burst.max(1)).unwrap_or(NonZeroU32::MIN);
        CostBudget {
            limiter: Arc::new(DefaultKeyedRateLimiter::keyed(
                Quota::per_minute(per_minute).allow_burst(burst),
            )),
            metering: false,
        }
    }

    /// The same budgets, as the extension of a schema that only measures and charges: a
    /// request it runs is validated and charged, and never executed.
    pub fn metering(&self) -> Self {
        CostBudget {
            limiter: self.limiter.clone(),
            metering: true,
        }
    }
}

impl async_graphql::extensions::ExtensionFactory for CostBudget {
    fn create(&self) -> Arc<dyn async_graphql::extensions::Extension> {
        Arc::new(self.clone())
    }
}

impl CostBudget {
    /// Charges `complexity` to `key`'s budget; the error is the `RATE_LIMITED` refusal.
    pub fn charge(&self, key: &str, complexity: usize) -> Result<(), async_graphql::ServerError> {
        let cost = NonZeroU32::new(u32::try_from(complexity).unwrap_or(u32::MAX).max(1))
            .unwrap_or(NonZeroU32::MIN);
        match self.limiter.check_key_n(&key.to_string(), cost) {
            Ok(Ok(())) => Ok(()),
            _ => {
                let mut error = async_graphql::ServerError::new(
                    format!(
                        "the cost budget of this organisation is used up for now (this query costs {complexity})"
                    ),
                    None,
                );
                let mut extensions = async_graphql::ErrorExtensionValues::default();
                extensions.set("code", "RATE_LIMITED");
                error.extensions = Some(extensions);
                Err(error)
            }
        }
    }
}

/// Where the cost budget leaves the complexity of the request's document, for the response
/// cache to charge it again when it answers the same request without executing it.
#[derive(Clone, Debug, Default)]
pub struct Complexity(pub Arc<std::sync::atomic::AtomicUsize>);

#[async_graphql::async_trait::async_trait]
impl async_graphql::extensions::Extension for CostBudget {
    async fn validation(
        &self,
        ctx: &async_graphql::extensions::ExtensionContext<'_>,
        next: async_graphql::extensions::NextValidation<'_>,
    ) -> Result<async_graphql::ValidationResult, Vec<async_graphql::ServerError>> {
        let result = next.run(ctx).await?;
        let key = ctx
            .data_opt::<BudgetKey>()
            .map_or("anonymous", |k| k.0.as_str());
        if let Some(slot) = ctx.data_opt::<Complexity>() {
            slot.0
                .store(result.complexity, std::sync::atomic::Ordering::Relaxed);
        }
        self.charge(key, result.complexity)
            .map(|()| result)
            .map_err(|error| vec![error])
    }

    async fn execute(
        &self,
        ctx: &async_graphql::extensions::ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: async_graphql::extensions::NextExecute<'_>,
    ) -> async_graphql::Response {
        if self.metering {
            return async_graphql::Response::new(async_graphql::Value::Null);
        }
        next.run(ctx, operation_name).await
    }
}
