//! Parsed documents, kept per instance by their text: clients send the same few
//! operations again and again, and parsing is the largest cost of a small query (pest
//! walks every character; a clone of the parsed document is a fraction of that).
//!
//! Bounded by the text it keeps (`BUDGET_BYTES`). Eviction is scan-resistant, so a
//! client sending endless distinct documents only makes itself pay the parse: its
//! one-off documents go out before the ones other clients keep sending.
//!
//! With each document goes its [`ValidationMemo`]: validating a document against the
//! schema's rules costs about as much again as running a small query, and a document
//! that declares no variables gets the same verdict every time.

use std::sync::{Arc, OnceLock};

use async_graphql::parser::types::ExecutableDocument;
use quick_cache::Weighter;

/// The text of the documents kept, in bytes (their parsed form is a few times larger).
const BUDGET_BYTES: usize = 1 << 20;

/// The least a document weighs: a parsed document takes some memory however short its
/// text, so the budget also bounds how many are kept (1,024 at most).
const MIN_WEIGHT: usize = 1_024;

/// How many documents the cache is sized for.
const EXPECTED_DOCUMENTS: usize = BUDGET_BYTES / MIN_WEIGHT;

/// A parsed document, and what is known of its validation.
#[derive(Clone)]
pub struct Parsed {
    /// The document.
    pub document: ExecutableDocument,
    /// Whether it passed validation; None when the verdict may depend on the variables
    /// sent with it (it declares some), so it is never remembered.
    pub validation: Option<Arc<ValidationMemo>>,
}

/// Remembers that a document passed every validation rule of the schema, and for which
/// operation name. Set only after a full validation passed: a document that failed is
/// validated in full every time, and gets the same errors.
#[derive(Debug, Default)]
pub struct ValidationMemo(OnceLock<Option<Box<str>>>);

impl ValidationMemo {
    /// True when the document passed with this operation name.
    pub fn passed(&self, operation_name: Option<&str>) -> bool {
        self.0
            .get()
            .is_some_and(|passed| passed.as_deref() == operation_name)
    }

    /// Records that the document passed with this operation name (the first one kept).
    pub fn record_pass(&self, operation_name: Option<&str>) {
        let _ = self.0.set(operation_name.map(Box::from));
    }
}

/// A document weighs its text's length, and at least `MIN_WEIGHT`.
#[derive(Clone)]
struct TextLength;

impl Weighter<Arc<str>, Parsed> for TextLength {
    fn weight(&self, text: &Arc<str>, _: &Parsed) -> u64 {
        text.len().max(MIN_WEIGHT) as u64
    }
}

/// The cache of parsed documents by text.
pub struct ParsedDocuments {
    documents: quick_cache::sync::Cache<Arc<str>, Parsed, TextLength>,
}

impl Default for ParsedDocuments {
    fn default() -> Self {
        ParsedDocuments {
            documents: quick_cache::sync::Cache::with_weighter(
                EXPECTED_DOCUMENTS,
                BUDGET_BYTES as u64,
                TextLength,
            ),
        }
    }
}

impl ParsedDocuments {
    /// The parsed `query`: from the cache, or parsed now and kept. Documents that do not
    /// parse are not kept.
    pub fn parse(&self, query: &str) -> async_graphql::parser::Result<Parsed> {
        if let Some(parsed) = self.documents.get(query) {
            return Ok(parsed);
        }
        let document = async_graphql::parser::parse_query(query)?;
        // Validation reads variables only where an argument refers to one (its value must
        // fit the argument, and it may weigh in the complexity), and a document that
        // declares none cannot refer to any and still pass.
        let declares_variables = document
            .operations
            .iter()
            .any(|(_, operation)| !operation.node.variable_definitions.is_empty());
        let parsed = Parsed {
            document,
            validation: (!declares_variables).then(Arc::default),
        };
        if query.len() <= BUDGET_BYTES {
            self.documents.insert(Arc::from(query), parsed.clone());
        }
        Ok(parsed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_parsed_again_is_the_same_document() {
        let documents = ParsedDocuments::default();
        let first = documents.parse("{ __typename }").unwrap();
        let again = documents.parse("{ __typename }").unwrap();
        assert_eq!(
            format!("{:?}", first.document),
            format!("{:?}", again.document)
        );
        assert!(documents.parse("{ nope").is_err());
        assert_eq!(
            documents.documents.len(),
            1,
            "only documents that parse are kept"
        );
    }

    #[test]
    fn a_pass_is_remembered_with_the_document_for_its_operation_name_only() {
        let documents = ParsedDocuments::default();
        let text = "query Mine { __typename }";
        let memo = documents.parse(text).unwrap().validation.unwrap();
        assert!(
            !memo.passed(Some("Mine")),
            "nothing is known before a validation"
        );
        memo.record_pass(Some("Mine"));
        let again = documents.parse(text).unwrap().validation.unwrap();
        assert!(
            again.passed(Some("Mine")),
            "the cached document carries the pass"
        );
        assert!(!again.passed(None));
        assert!(!again.passed(Some("Other")));
    }

    #[test]
    fn documents_declaring_variables_never_remember_a_pass() {
        let documents = ParsedDocuments::default();
        let parsed = documents
            .parse("query($id: ID!) { customerPasswordReset(id: $id) { id } }")
            .unwrap();
        assert!(parsed.validation.is_none());
        let parsed = documents
            .parse(
                "query A { __typename } query B($skip: Boolean!) { __typename @skip(if: $skip) }",
            )
            .unwrap();
        assert!(
            parsed.validation.is_none(),
            "one operation declaring is enough"
        );
    }

    #[test]
    fn the_kept_text_stays_within_its_budget() {
        let documents = ParsedDocuments::default();
        let padding = " ".repeat(100_000);
        for n in 0..50 {
            documents.parse(&format!("{{ f{n} }}{padding}")).unwrap();
        }
        let kept = documents.documents.weight();
        assert!(kept <= BUDGET_BYTES as u64, "{kept} bytes kept");
        assert!(kept > 0);
        assert!(documents.documents.len() < 50);
    }

    #[test]
    fn short_documents_are_kept_by_the_thousand_at_most() {
        let documents = ParsedDocuments::default();
        for n in 0..3_000 {
            documents.parse(&format!("{{ f{n} }}")).unwrap();
        }
        assert!(documents.documents.len() <= BUDGET_BYTES / MIN_WEIGHT);
        assert!(
            documents.documents.len() > 100,
            "the cache still keeps documents"
        );
    }
}
