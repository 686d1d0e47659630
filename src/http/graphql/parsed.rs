//! Parsed documents, kept per instance by their text: clients send the same few
//! operations again and again, and parsing is the largest cost of a small query (pest
//! walks every character; a clone of the parsed document is a fraction of that).
//!
//! Bounded by the text it keeps (`BUDGET_BYTES`). Eviction is scan-resistant, so a
//! client sending endless distinct documents only makes itself pay the parse: its
//! one-off documents go out before the ones other clients keep sending.
//!
//! Only documents that passed every check made before a document runs are kept (their
//! nesting, their cost once fragments are expanded, the aliases and introspection
//! rules): a refused document never takes the room of one that runs.
//!
//! With each document goes its [`ValidationMemo`]: validating a document against the
//! schema's rules costs about a fifth of a small request.

use std::sync::Arc;

use async_graphql::parser::types::ExecutableDocument;
use quick_cache::Weighter;

pub use super::validated::ValidationMemo;

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
    /// Whether it passed validation; None when a variable it declares is of a type whose
    /// values the memo cannot check, so its verdict is never remembered.
    pub validation: Option<Arc<ValidationMemo>>,
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
    /// The parsed `query`, if this instance keeps it.
    pub fn get(&self, query: &str) -> Option<Parsed> {
        self.documents.get(query)
    }

    /// Parses `query`, keeping nothing: a document is kept only once it passed every
    /// check made before it runs (see [`ParsedDocuments::keep`]).
    pub fn parse_new(query: &str) -> async_graphql::parser::Result<Parsed> {
        let document = async_graphql::parser::parse_query(query)?;
        Ok(Parsed {
            validation: ValidationMemo::for_document(&document).map(Arc::new),
            document,
        })
    }

    /// Keeps a parsed document that passed the checks made before it runs.
    pub fn keep(&self, query: &str, parsed: Parsed) {
        if query.len() <= BUDGET_BYTES {
            self.documents.insert(Arc::from(query), parsed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::validated::Validation;
    use super::*;

    /// What a request does: the kept document, or one parsed now and kept.
    fn parse(documents: &ParsedDocuments, query: &str) -> async_graphql::parser::Result<Parsed> {
        if let Some(parsed) = documents.get(query) {
            return Ok(parsed);
        }
        let parsed = ParsedDocuments::parse_new(query)?;
        documents.keep(query, parsed.clone());
        Ok(parsed)
    }

    #[test]
    fn a_kept_document_is_the_same_document() {
        let documents = ParsedDocuments::default();
        let first = parse(&documents, "{ __typename }").unwrap();
        let again = documents.get("{ __typename }").unwrap();
        assert_eq!(
            format!("{:?}", first.document),
            format!("{:?}", again.document)
        );
        assert!(ParsedDocuments::parse_new("{ nope").is_err());
        ParsedDocuments::parse_new("{ other }").unwrap();
        assert_eq!(documents.documents.len(), 1, "only kept documents are kept");
    }

    #[test]
    fn a_pass_is_remembered_with_the_cached_document() {
        let documents = ParsedDocuments::default();
        let text = "query Mine { __typename }";
        let memo = parse(&documents, text).unwrap().validation.unwrap();
        memo.record_pass(Some("Mine"));
        let again = documents.get(text).unwrap().validation.unwrap();
        let known = Validation::of(Some(again), Some("Mine"), &serde_json::Map::new());
        assert!(matches!(known, Validation::Passed));
    }

    #[test]
    fn the_kept_text_stays_within_its_budget() {
        let documents = ParsedDocuments::default();
        let padding = " ".repeat(100_000);
        for n in 0..50 {
            parse(&documents, &format!("{{ f{n} }}{padding}")).unwrap();
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
            parse(&documents, &format!("{{ f{n} }}")).unwrap();
        }
        assert!(documents.documents.len() <= BUDGET_BYTES / MIN_WEIGHT);
        assert!(
            documents.documents.len() > 100,
            "the cache still keeps documents"
        );
    }
}
