//! The example operations of the GraphiQL page, one per kind of user, from `web/examples/`:
//! `NAME.graphql` (its first comment line is the title, the next ones the description) and
//! `NAME.json` (its variables). They live there, and only there, so that the docs can point at
//! them; `tests/api/examples.rs` runs each one against the bundled agendas.

use serde::Serialize;

/// One example operation.
#[derive(Serialize)]
struct Example {
    /// The file name without extension.
    name: &'static str,
    /// The first comment line.
    title: &'static str,
    /// The following comment lines, joined.
    description: String,
    /// The whole document, comments included.
    query: &'static str,
    /// The variables, as JSON text.
    variables: &'static str,
}

macro_rules! example {
    ($name:literal) => {
        (
            $name,
            include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/web/examples/",
                $name,
                ".graphql"
            )),
            include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/web/examples/",
                $name,
                ".json"
            )),
        )
    };
}

/// The examples in the order the page shows them: name, document, variables.
const EXAMPLES: &[(&str, &str, &str)] = &[
    example!("portal-page"),
    example!("partner-sync"),
    example!("analyst-initiatives"),
];

fn parse(name: &'static str, query: &'static str, variables: &'static str) -> Example {
    let mut comments = query
        .lines()
        .map_while(|line| line.strip_prefix('#'))
        .map(str::trim);
    Example {
        name,
        title: comments.next().unwrap_or(name),
        description: comments.collect::<Vec<_>>().join(" "),
        query,
        variables,
    }
}

/// The examples as JSON for the page, safe inside a `<script>` element (no `<` left).
pub fn json() -> String {
    let examples: Vec<Example> = EXAMPLES
        .iter()
        .map(|&(name, query, variables)| parse(name, query, variables))
        .collect();
    serde_json::to_string(&examples)
        .unwrap_or_else(|_| "[]".into())
        .replace('<', "\\u003c")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_in_web_examples_is_on_the_page() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/web/examples");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        files.sort();
        let mut listed: Vec<String> = EXAMPLES
            .iter()
            .flat_map(|(name, _, _)| [format!("{name}.graphql"), format!("{name}.json")])
            .collect();
        listed.sort();
        assert_eq!(files, listed);
    }

    #[test]
    fn each_example_has_a_title_a_description_and_json_variables() {
        for &(name, query, variables) in EXAMPLES {
            let example = parse(name, query, variables);
            assert_ne!(example.title, name, "{name}: no title comment");
            assert!(!example.description.is_empty(), "{name}: no description");
            serde_json::from_str::<serde_json::Value>(variables)
                .unwrap_or_else(|e| panic!("{name}.json: {e}"));
        }
        assert!(!json().contains('<'));
    }
}
