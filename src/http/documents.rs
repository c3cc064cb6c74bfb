//! Parsed documents, kept by their text: clients send the same few documents again and again
//! (a portal's queries, a partner's status change) with other variables, and parsing was 7%
//! of the server's CPU on the M1 benchmark. A document that does not parse is not kept; the
//! set is bounded and starts again when full.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_graphql::parser::types::ExecutableDocument;
use async_graphql::parser::{Error as ParseError, parse_query};

/// Documents kept at most.
const KEPT: usize = 512;

/// Documents longer than this are parsed every time (rare, and they would crowd the set).
const LONGEST_KEPT: usize = 16 * 1024;

/// The parsed documents of one process.
#[derive(Default)]
pub struct Documents {
    kept: Mutex<HashMap<String, Arc<ExecutableDocument>>>,
}

impl Documents {
    /// `text` parsed, from the kept documents when it was parsed before.
    pub fn parse(&self, text: &str) -> Result<Arc<ExecutableDocument>, ParseError> {
        if let Some(document) = self
            .kept
            .lock()
            .ok()
            .and_then(|kept| kept.get(text).cloned())
        {
            return Ok(document);
        }
        let document = Arc::new(parse_query(text)?);
        if text.len() <= LONGEST_KEPT
            && let Ok(mut kept) = self.kept.lock()
        {
            if kept.len() >= KEPT {
                kept.clear();
            }
            kept.insert(text.to_string(), document.clone());
        }
        Ok(document)
    }
}

#[cfg(test)]
mod tests {
    use super::Documents;
    use std::sync::Arc;

    #[test]
    fn a_document_is_parsed_once_and_a_broken_one_is_refused_every_time() {
        let documents = Documents::default();
        let first = documents.parse("{ regions { code } }").unwrap();
        let again = documents.parse("{ regions { code } }").unwrap();
        assert!(
            Arc::ptr_eq(&first, &again),
            "the second comes from the kept set"
        );
        assert!(documents.parse("{ regions { code }").is_err());
        assert!(documents.parse("{ regions { code }").is_err());
        assert_eq!(documents.kept.lock().unwrap().len(), 1);
    }
}
