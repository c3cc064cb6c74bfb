//! The schema's input types, to tell whether a request's variables certainly coerce.
//!
//! A document that passed the full validation once passes it again, except for one rule that
//! looks at the variables' values (ArgumentsOfCorrectType): a status change sent a thousand
//! times with other ids is the same document each time. When the variables certainly coerce
//! to the types the operation declares, the full validation would find nothing, and the
//! request runs on the schema that skips it (`ValidationMode::Fast`); validation was a tenth of
//! a status change's server CPU. The answer here only has to be right when it says yes: a
//! value it is unsure of (a null variable, a custom scalar, an integer id) goes to the full
//! validation, which reports it in async-graphql's own words.

use std::collections::{HashMap, HashSet};

use async_graphql::parser::types::{
    BaseType, OperationDefinition, Type, TypeKind, TypeSystemDefinition,
};
use serde_json::{Map, Value};

/// One field of an input object.
struct InputField {
    name: String,
    ty: Type,
    /// Non-null without a default: it must be given.
    required: bool,
}

/// The enums and input objects of a schema, read from its SDL.
#[derive(Default)]
pub struct InputTypes {
    enums: HashMap<String, HashSet<String>>,
    objects: HashMap<String, Vec<InputField>>,
}

impl InputTypes {
    /// The input types of the schema `sdl` describes. A schema that does not parse gives no
    /// types, so every variable of an enum or input type goes to the full validation.
    pub fn of_sdl(sdl: &str) -> Self {
        let mut types = InputTypes::default();
        let Ok(document) = async_graphql::parser::parse_schema(sdl) else {
            return types;
        };
        for definition in document.definitions {
            let TypeSystemDefinition::Type(definition) = definition else {
                continue;
            };
            let definition = definition.node;
            let name = definition.name.node.to_string();
            match definition.kind {
                TypeKind::Enum(kind) => {
                    let values = kind.values.iter().map(|v| v.node.value.node.to_string());
                    types.enums.insert(name, values.collect());
                }
                // A `@oneOf` input has a rule of its own: left to the full validation.
                TypeKind::InputObject(kind)
                    if !definition
                        .directives
                        .iter()
                        .any(|d| d.node.name.node == "oneOf") =>
                {
                    let fields = kind.fields.into_iter().map(|field| {
                        let field = field.node;
                        InputField {
                            name: field.name.node.to_string(),
                            required: !field.ty.node.nullable && field.default_value.is_none(),
                            ty: field.ty.node,
                        }
                    });
                    types.objects.insert(name, fields.collect());
                }
                _ => {}
            }
        }
        types
    }

    /// Whether every variable `operation` declares certainly coerces to its declared type.
    /// A variable left out is fine here (a required one is refused before execution, see
    /// `missing_variable`); a variable sent as null is not certain (a nullable variable may
    /// stand where a non-null argument has a default).
    pub fn certainly_coerce(
        &self,
        operation: &OperationDefinition,
        variables: Option<&Map<String, Value>>,
    ) -> bool {
        operation.variable_definitions.iter().all(|definition| {
            let definition = &definition.node;
            match variables.and_then(|v| v.get(definition.name.node.as_str())) {
                None => true,
                Some(Value::Null) => false,
                Some(value) => self.coerces(&definition.var_type.node, value),
            }
        })
    }

    fn coerces(&self, ty: &Type, value: &Value) -> bool {
        if value.is_null() {
            return ty.nullable;
        }
        match &ty.base {
            BaseType::List(item) => match value {
                Value::Array(items) => items.iter().all(|v| self.coerces(item, v)),
                single => self.coerces(item, single),
            },
            BaseType::Named(name) => self.named(name.as_str(), value),
        }
    }

    fn named(&self, name: &str, value: &Value) -> bool {
        match name {
            "String" => value.is_string(),
            "Boolean" => value.is_boolean(),
            "Float" => value.is_number(),
            "Int" => value.as_i64().is_some_and(|n| i32::try_from(n).is_ok()),
            "ID" => value.is_string(),
            _ => {
                if let Some(values) = self.enums.get(name) {
                    value.as_str().is_some_and(|v| values.contains(v))
                } else if let Some(fields) = self.objects.get(name) {
                    value
                        .as_object()
                        .is_some_and(|object| self.object(fields, object))
                } else {
                    false
                }
            }
        }
    }

    /// Every field given is known and coerces, and every required field is given.
    fn object(&self, fields: &[InputField], object: &Map<String, Value>) -> bool {
        let known = object.iter().all(|(key, value)| {
            fields
                .iter()
                .find(|f| f.name == *key)
                .is_some_and(|field| self.coerces(&field.ty, value))
        });
        known
            && fields
                .iter()
                .filter(|f| f.required)
                .all(|f| object.contains_key(&f.name))
    }
}

#[cfg(test)]
mod tests {
    use super::InputTypes;
    use async_graphql::parser::parse_query;
    use serde_json::json;

    const SDL: &str = r#"
        enum Status { OPEN DONE }
        input Change { id: ID!, status: Status!, note: String, count: Int = 1, tags: [String!] }
        input Choice @oneOf { a: Int, b: Int }
        scalar DateTime
        type Query { x: Int }
    "#;

    fn certain(query: &str, variables: serde_json::Value) -> bool {
        let types = InputTypes::of_sdl(SDL);
        let document = parse_query(query).unwrap();
        let (_, operation) = document.operations.iter().next().unwrap();
        types.certainly_coerce(&operation.node, variables.as_object())
    }

    #[test]
    fn values_of_the_declared_types_certainly_coerce() {
        let q = "query($s: Status!, $c: Change, $n: Int, $l: [ID!]) { x }";
        assert!(certain(q, json!({ "s": "OPEN" })));
        assert!(certain(q, json!({ "s": "OPEN", "n": 7, "l": ["a", "b"] })));
        assert!(
            certain(q, json!({ "s": "DONE", "l": "a" })),
            "one value for a list"
        );
        assert!(certain(
            q,
            json!({ "s": "OPEN", "c": { "id": "I:1", "status": "DONE", "note": null, "tags": ["x"] } })
        ));
    }

    #[test]
    fn anything_doubtful_goes_to_the_full_validation() {
        let q =
            "query($s: Status!, $c: Change, $n: Int, $d: DateTime, $o: Choice, $l: [ID!]) { x }";
        for variables in [
            json!({ "s": "CLOSED" }),
            json!({ "s": 1 }),
            json!({ "s": "OPEN", "n": 1.5 }),
            json!({ "s": "OPEN", "n": 3_000_000_000u64 }),
            json!({ "s": "OPEN", "n": null }),
            json!({ "s": "OPEN", "l": [1] }),
            json!({ "s": "OPEN", "l": ["a", null] }),
            json!({ "s": "OPEN", "d": "2026-01-01T00:00:00Z" }),
            json!({ "s": "OPEN", "o": { "a": 1 } }),
            json!({ "s": "OPEN", "c": { "id": "I:1" } }),
            json!({ "s": "OPEN", "c": { "id": "I:1", "status": "DONE", "extra": 1 } }),
            json!({ "s": "OPEN", "c": { "id": null, "status": "DONE" } }),
            json!({ "s": "OPEN", "c": "I:1" }),
        ] {
            assert!(!certain(q, variables.clone()), "{variables} is not certain");
        }
    }
}
