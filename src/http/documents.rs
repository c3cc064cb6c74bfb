//! Parsed documents, kept by their text, with the operations of each that passed the full
//! validation: clients send the same few documents again and again (a portal's queries, a
//! partner's status change) with other variables. Parsing was 7% of the server's CPU on the
//! M1 benchmark and validation a tenth; a kept document is parsed once, and an operation that
//! passed once is validated again only for what depends on the variables (see
//! `graphql::input_types`). A document that does not parse is not kept; the set is bounded
//! and starts again when full.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_graphql::parser::types::ExecutableDocument;
use async_graphql::parser::{Error as ParseError, parse_query};

/// Documents kept at most.
const KEPT: usize = 512;

/// Documents longer than this are parsed every time (rare, and they would crowd the set).
const LONGEST_KEPT: usize = 16 * 1024;

/// A kept document and the operations of it that passed the full validation (by the name the
/// request gave, `None` for a request that named none).
struct Kept {
    document: Arc<ExecutableDocument>,
    passed: Vec<Option<String>>,
}

/// A parsed document, and whether the operation asked for passed the full validation before.
pub struct Parsed {
    pub document: Arc<ExecutableDocument>,
    pub passed: bool,
}

/// The parsed documents of one process.
#[derive(Default)]
pub struct Documents {
    kept: Mutex<HashMap<String, Kept>>,
}

impl Documents {
    /// `text` parsed, from the kept documents when it was parsed before, with whether its
    /// operation `operation` passed the full validation before.
    pub fn parse(&self, text: &str, operation: Option<&str>) -> Result<Parsed, ParseError> {
        if let Some(parsed) = self.kept.lock().ok().and_then(|kept| {
            kept.get(text).map(|kept| Parsed {
                document: kept.document.clone(),
                passed: kept.passed.iter().any(|name| name.as_deref() == operation),
            })
        }) {
            return Ok(parsed);
        }
        let document = Arc::new(parse_query(text)?);
        if text.len() <= LONGEST_KEPT
            && let Ok(mut kept) = self.kept.lock()
        {
            if kept.len() >= KEPT {
                kept.clear();
            }
            let passed = Vec::new();
            let document = document.clone();
            kept.insert(text.to_string(), Kept { document, passed });
        }
        Ok(Parsed {
            document,
            passed: false,
        })
    }

    /// Remembers that operation `operation` of the kept document `text` passed the full
    /// validation. Only the document's own operations can pass, so the list stays short.
    pub fn passed(&self, text: &str, operation: Option<&str>) {
        if let Ok(mut kept) = self.kept.lock()
            && let Some(kept) = kept.get_mut(text)
            && !kept.passed.iter().any(|name| name.as_deref() == operation)
        {
            kept.passed.push(operation.map(str::to_string));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Documents;
    use std::sync::Arc;

    #[test]
    fn a_document_is_parsed_once_and_a_broken_one_is_refused_every_time() {
        let documents = Documents::default();
        let first = documents.parse("{ regions { code } }", None).unwrap();
        let again = documents.parse("{ regions { code } }", None).unwrap();
        assert!(
            Arc::ptr_eq(&first.document, &again.document),
            "the second comes from the kept set"
        );
        assert!(documents.parse("{ regions { code }", None).is_err());
        assert!(documents.parse("{ regions { code }", None).is_err());
        assert_eq!(documents.kept.lock().unwrap().len(), 1);
    }

    #[test]
    fn an_operation_passes_by_its_name_and_only_in_its_document() {
        let documents = Documents::default();
        let text = "query A { regions { code } } query B { regions { name } }";
        assert!(!documents.parse(text, Some("A")).unwrap().passed);
        documents.passed(text, Some("A"));
        assert!(documents.parse(text, Some("A")).unwrap().passed);
        assert!(!documents.parse(text, Some("B")).unwrap().passed);
        assert!(!documents.parse(text, None).unwrap().passed);
        documents.passed("{ other }", None);
        assert!(
            !documents.parse("{ other }", None).unwrap().passed,
            "never kept before"
        );
    }
}
