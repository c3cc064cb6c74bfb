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

use async_graphql::indexmap::IndexMap;
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Name, Value as ConstValue};

/// Fragments spread within fragments deeper than this are not followed (validation refuses
/// cycles; this only bounds the walk).
const MAX_SPREAD_DEPTH: usize = 32;

/// `data` of the operation `operation_name` (or the only one) of `document`, reshaped.
pub fn shape_data(
    data: ConstValue,
    document: &ExecutableDocument,
    operation_name: Option<&str>,
) -> ConstValue {
    let operation = match operation_name {
        Some(name) => document
            .operations
            .iter()
            .find(|(n, _)| n.map(|n| n.as_str()) == Some(name)),
        None => document.operations.iter().next(),
    };
    match operation {
        Some((_, operation)) => shape(data, &operation.node.selection_set.node, document),
        None => data,
    }
}

fn shape(value: ConstValue, set: &SelectionSet, document: &ExecutableDocument) -> ConstValue {
    match value {
        ConstValue::List(items) => ConstValue::List(
            items
                .into_iter()
                .map(|item| shape(item, set, document))
                .collect(),
        ),
        ConstValue::Object(mut fields) => {
            let mut ordered = IndexMap::with_capacity(fields.len());
            place(&mut fields, &mut ordered, set, document, true, 0);
            // Anything the walk did not place keeps its value, after the rest.
            ordered.extend(fields);
            ConstValue::Object(ordered)
        }
        other => other,
    }
}

/// Moves the fields `set` selects from `fields` to `ordered`, in order; `certain` when the
/// selections surely apply to this object (no type condition, no directive on the way).
fn place(
    fields: &mut IndexMap<Name, ConstValue>,
    ordered: &mut IndexMap<Name, ConstValue>,
    set: &SelectionSet,
    document: &ExecutableDocument,
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
                        let value = shape(value, &field.node.selection_set.node, document);
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
                place(fields, ordered, set, document, certain && applies, depth);
            }
            Selection::FragmentSpread(spread) => {
                if depth < MAX_SPREAD_DEPTH
                    && let Some(fragment) = document.fragments.get(&spread.node.fragment_name.node)
                {
                    let set = &fragment.node.selection_set.node;
                    place(fields, ordered, set, document, false, depth + 1);
                }
            }
        }
    }
}
