//! The response's `data` in the shape the query asked for.
//!
//! async-graphql leaves a field that failed (a withheld guarded field, say) out of its object
//! instead of setting it to null, and fills objects in the order their fields finish. The
//! GraphQL specification wants every requested field present, null where it failed, in the
//! order of the query, and typed clients (code generators) rely on it. This pass walks the
//! executed operation's selections alongside the data: it puts each object's fields in query
//! order and adds null for a field that is missing. Fields inside fragments with a type
//! condition, and fields under `@skip`/`@include`, are only put in order, never added: whether
//! they apply depends on the runtime type or a variable.
//!
//! async-graphql also turns an object all of whose requested fields failed into null, as if
//! the object itself were missing (`{ initiative { budgetEur } }` for a caller who may not
//! read the budget gave `initiative: null`). When one of those fields is a guarded field
//! (`policy::FIELDS`, nullable all of them) with an error at its path, the object was there:
//! it becomes the object with its fields null. (A failed non-null field still makes its object
//! null, as the specification wants.)

use async_graphql::indexmap::IndexMap;
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Name, PathSegment, Value as ConstValue};

/// Fragments spread within fragments deeper than this are not followed (validation refuses
/// cycles; this only bounds the walk).
const MAX_SPREAD_DEPTH: usize = 32;

/// `data` of the operation `operation_name` (or the only one) of `document`, reshaped;
/// `failed` are the paths of the field errors.
pub fn shape_data(
    data: ConstValue,
    document: &ExecutableDocument,
    operation_name: Option<&str>,
    failed: &[&[PathSegment]],
) -> ConstValue {
    let operation = match operation_name {
        Some(name) => document
            .operations
            .iter()
            .find(|(n, _)| n.map(|n| n.as_str()) == Some(name)),
        None => document.operations.iter().next(),
    };
    let mut walk = Walk {
        document,
        failed,
        path: Vec::new(),
    };
    match operation {
        Some((_, operation)) => walk.shape(data, &operation.node.selection_set.node),
        None => data,
    }
}

/// The walk over the data: the document, and where the field errors are.
struct Walk<'d, 'e> {
    document: &'d ExecutableDocument,
    failed: &'e [&'e [PathSegment]],
    /// Where the walk is, followed only when some field failed.
    path: Vec<PathSegment>,
}

impl Walk<'_, '_> {
    fn shape(&mut self, value: ConstValue, set: &SelectionSet) -> ConstValue {
        match value {
            ConstValue::List(items) => ConstValue::List(
                items
                    .into_iter()
                    .enumerate()
                    .map(|(at, item)| {
                        self.within(|| PathSegment::Index(at), |walk| walk.shape(item, set))
                    })
                    .collect(),
            ),
            ConstValue::Object(mut fields) => {
                let mut ordered = IndexMap::with_capacity(fields.len());
                self.place(&mut fields, &mut ordered, set, true, 0);
                // Anything the walk did not place keeps its value, after the rest.
                ordered.extend(fields);
                ConstValue::Object(ordered)
            }
            // An object whose every field failed, one of them withheld.
            ConstValue::Null if !self.failed.is_empty() && self.withheld_in(set, 0) => {
                self.shape(ConstValue::Object(IndexMap::new()), set)
            }
            other => other,
        }
    }

    /// Whether `set` selects a guarded field that failed right below where the walk is.
    fn withheld_in(&self, set: &SelectionSet, depth: usize) -> bool {
        set.items.iter().any(|item| match &item.node {
            Selection::Field(field) => {
                let name = field.node.name.node.as_str();
                let key = field.node.response_key().node.as_str();
                crate::policy::FIELDS.iter().any(|rule| rule.field == name)
                    && self.failed.iter().any(|path| {
                        path.len() == self.path.len() + 1
                            && path.starts_with(&self.path)
                            && matches!(path.last(), Some(PathSegment::Field(last)) if last == key)
                    })
            }
            Selection::InlineFragment(inline) => {
                self.withheld_in(&inline.node.selection_set.node, depth)
            }
            Selection::FragmentSpread(spread) => {
                depth < MAX_SPREAD_DEPTH
                    && self
                        .document
                        .fragments
                        .get(&spread.node.fragment_name.node)
                        .is_some_and(|f| self.withheld_in(&f.node.selection_set.node, depth + 1))
            }
        })
    }

    /// `step` one segment further down; the path is followed (and `segment` made) only when
    /// some field failed.
    fn within<T>(
        &mut self,
        segment: impl FnOnce() -> PathSegment,
        step: impl FnOnce(&mut Self) -> T,
    ) -> T {
        if self.failed.is_empty() {
            return step(self);
        }
        self.path.push(segment());
        let out = step(self);
        self.path.pop();
        out
    }

    /// Moves the fields `set` selects from `fields` to `ordered`, in order; `certain` when
    /// the selections surely apply to this object (no type condition, no directive on the
    /// way).
    fn place(
        &mut self,
        fields: &mut IndexMap<Name, ConstValue>,
        ordered: &mut IndexMap<Name, ConstValue>,
        set: &SelectionSet,
        certain: bool,
        depth: usize,
    ) {
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => {
                    let key = field.node.response_key().node.clone();
                    if ordered.contains_key(&key) {
                        continue;
                    }
                    match fields.shift_remove(&key) {
                        Some(value) => {
                            let set = &field.node.selection_set.node;
                            let segment = || PathSegment::Field(key.to_string());
                            let value = self.within(segment, |walk| walk.shape(value, set));
                            ordered.insert(key, value);
                        }
                        None if certain && field.node.directives.is_empty() => {
                            ordered.insert(key, ConstValue::Null);
                        }
                        None => {}
                    }
                }
                Selection::InlineFragment(inline) => {
                    let applies =
                        inline.node.type_condition.is_none() && inline.node.directives.is_empty();
                    let set = &inline.node.selection_set.node;
                    self.place(fields, ordered, set, certain && applies, depth);
                }
                Selection::FragmentSpread(spread) => {
                    if depth < MAX_SPREAD_DEPTH
                        && let Some(fragment) =
                            self.document.fragments.get(&spread.node.fragment_name.node)
                    {
                        let set = &fragment.node.selection_set.node;
                        self.place(fields, ordered, set, false, depth + 1);
                    }
                }
            }
        }
    }
}
