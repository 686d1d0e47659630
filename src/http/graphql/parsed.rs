//! Parsed documents, kept per instance by their text: clients send the same few
//! operations again and again, and parsing is the largest cost of a small query (pest
//! walks every character; a clone of the parsed document is a fraction of that).
//!
//! Bounded by the bytes it holds (`BUDGET_BYTES`): a parsed document is many times its
//! text, so an entry weighs an upper bound of what the parser allocated for it (see
//! [`weight`]), not its text alone. Only documents whose request passed every check
//! made before execution are kept ([`ParsedDocuments::keep`], called at the end of
//! `prepare`: their nesting, their cost once fragments are expanded, the aliases and
//! introspection rules), so a refused document never takes the room of one that runs. Eviction is scan-resistant, so a client sending endless distinct
//! documents only makes itself pay the parse: its one-off documents go out before the
//! ones other clients keep sending.
//!
//! With each document goes its [`ValidationMemo`]: validating a document against the
//! schema's rules is a large part of a small request's work.

use std::sync::Arc;

use async_graphql::parser::types::ExecutableDocument;
use quick_cache::Weighter;

pub use super::validated::ValidationMemo;

/// The bytes the kept documents hold, parsed.
const BUDGET_BYTES: usize = 32 << 20;

/// The most the parser allocates for one token of a document (a name or a punctuator):
/// each becomes a node with its position, and a one-letter field is a whole field
/// (name, alias, arguments, directives, selection set). A test measures the parser's
/// allocations for the costliest shapes against it.
const BYTES_PER_TOKEN: usize = 320;

/// What an entry costs beside its document: the text kept as its key, the memo, the
/// cache's own bookkeeping.
const ENTRY_BYTES: usize = 1_024;

/// How many documents the cache is sized for (an ordinary operation weighs a few tens
/// of KiB).
const EXPECTED_DOCUMENTS: usize = BUDGET_BYTES / (32 * 1_024);

/// A parsed document, and what is known of its validation.
#[derive(Clone)]
pub struct Parsed {
    /// The document.
    pub document: ExecutableDocument,
    /// Whether it passed validation; None when a variable it declares is of a type whose
    /// values the memo cannot check, so its verdict is never remembered.
    pub validation: Option<Arc<ValidationMemo>>,
}

/// The weight of a document: an upper bound of the bytes its text and its parsed form
/// hold, from one pass over the text that counts its tokens (names, numbers and
/// punctuators; whitespace, commas, strings and comments aside, which cost the parser
/// no node of their own beyond the value that holds them).
pub fn weight(text: &str) -> u64 {
    let mut tokens = 0usize;
    let mut in_word = false;
    for byte in text.bytes() {
        let word = byte.is_ascii_alphanumeric() || byte == b'_';
        let punctuator = !word && !byte.is_ascii_whitespace() && byte != b',';
        if (word && !in_word) || punctuator {
            tokens += 1;
        }
        in_word = word;
    }
    (text.len() + ENTRY_BYTES + tokens * BYTES_PER_TOKEN) as u64
}

/// An entry weighs what [`weight`] said when it was kept.
#[derive(Clone)]
struct Weighed;

impl Weighter<Arc<str>, (Parsed, u64)> for Weighed {
    fn weight(&self, _: &Arc<str>, (_, weight): &(Parsed, u64)) -> u64 {
        *weight
    }
}

/// The cache of parsed documents by text.
pub struct ParsedDocuments {
    documents: quick_cache::sync::Cache<Arc<str>, (Parsed, u64), Weighed>,
}

impl Default for ParsedDocuments {
    fn default() -> Self {
        ParsedDocuments {
            documents: quick_cache::sync::Cache::with_weighter(
                EXPECTED_DOCUMENTS,
                BUDGET_BYTES as u64,
                Weighed,
            ),
        }
    }
}

impl ParsedDocuments {
    /// The parsed `query`, if this instance keeps it.
    pub fn get(&self, query: &str) -> Option<Parsed> {
        self.documents.get(query).map(|(parsed, _)| parsed)
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
        self.documents
            .insert(Arc::from(query), (parsed, weight(query)));
    }
}

#[cfg(test)]
mod tests {
    use super::super::validated::Validation;
    use super::*;

    fn parse_and_keep(documents: &ParsedDocuments, text: &str) -> Parsed {
        let parsed = ParsedDocuments::parse_new(text).unwrap();
        documents.keep(text, parsed.clone());
        parsed
    }

    #[test]
    fn a_document_parsed_again_is_the_same_document() {
        let documents = ParsedDocuments::default();
        let first = parse_and_keep(&documents, "{ __typename }");
        let again = documents.get("{ __typename }").unwrap();
        assert_eq!(
            format!("{:?}", first.document),
            format!("{:?}", again.document)
        );
        assert!(ParsedDocuments::parse_new("{ nope").is_err());
        ParsedDocuments::parse_new("{ notKept }").unwrap();
        assert_eq!(
            documents.documents.len(),
            1,
            "only documents that parse and are kept are kept"
        );
    }

    #[test]
    fn a_pass_is_remembered_with_the_cached_document() {
        let documents = ParsedDocuments::default();
        let text = "query Mine { __typename }";
        let memo = parse_and_keep(&documents, text).validation.unwrap();
        memo.record_pass(Some("Mine"));
        let again = documents.get(text).unwrap().validation.unwrap();
        let known = Validation::of(Some(again), Some("Mine"), &serde_json::Map::new());
        assert!(matches!(known, Validation::Passed));
    }

    /// Counts the bytes allocated and not yet freed by this thread, so that a test can
    /// see what parsing a document holds.
    struct Counting;

    thread_local! {
        static HELD: std::cell::Cell<isize> = const { std::cell::Cell::new(0) };
    }

    fn count(bytes: isize) {
        // Ignored while the thread is being torn down.
        let _ = HELD.try_with(|held| held.set(held.get() + bytes));
    }

    // SAFETY: every call is passed on to the system allocator unchanged.
    #[expect(unsafe_code, reason = "a global allocator is an unsafe trait")]
    unsafe impl std::alloc::GlobalAlloc for Counting {
        unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
            count(layout.size() as isize);
            unsafe { std::alloc::System.alloc(layout) }
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
            count(-(layout.size() as isize));
            unsafe { std::alloc::System.dealloc(ptr, layout) }
        }
        unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, size: usize) -> *mut u8 {
            count(size as isize - layout.size() as isize);
            unsafe { std::alloc::System.realloc(ptr, layout, size) }
        }
    }

    #[global_allocator]
    static ALLOCATOR: Counting = Counting;

    #[test]
    fn a_documents_weight_is_at_least_what_its_parsed_form_holds() {
        let many = |n: usize, each: &dyn Fn(usize) -> String| (0..n).map(each).collect::<String>();
        let shapes = [
            ("one-letter fields", format!("{{{}}}", "a ".repeat(8_000))),
            (
                "distinct fields",
                format!("{{{}}}", many(3_000, &|i| format!("f{i} "))),
            ),
            (
                "aliases",
                format!("{{{}}}", many(2_000, &|i| format!("x{i}:a "))),
            ),
            ("nesting", format!("{}{}", "{a".repeat(60), "}".repeat(60))),
            ("list values", format!("{{f(x:[{}])}}", "1,".repeat(8_000))),
            (
                "object values",
                format!("{{f(x:{{{}}})}}", many(2_000, &|i| format!("k{i}:1,"))),
            ),
            ("strings", format!("{{f(x:[{}])}}", "\"\",".repeat(5_000))),
            (
                "variables",
                format!("query({}){{a}}", many(1_500, &|i| format!("$v{i}:Int "))),
            ),
            ("directives", format!("{{a {}}}", "@d ".repeat(5_000))),
            (
                "spreads",
                format!("{{...F {}}} fragment F on Q {{a}}", "...F ".repeat(3_000)),
            ),
            ("tiny", "{ __typename }".to_owned()),
        ];
        for (shape, text) in shapes {
            let before = HELD.with(|held| held.get());
            let parsed = ParsedDocuments::parse_new(&text).unwrap();
            let held = HELD.with(|held| held.get()) - before;
            assert!(
                weight(&text) as isize >= held,
                "{shape}: weighs {} but holds {held} bytes",
                weight(&text)
            );
            drop(parsed);
        }
    }

    #[test]
    fn a_document_weighs_its_parsed_form_not_only_its_text() {
        let fields = format!("{{{}}}", "a ".repeat(8_000));
        let padded = format!("{{ a }}{}", " ".repeat(16_000));
        assert!(weight(&fields) > 100 * fields.len() as u64);
        assert!(weight(&padded) < 2 * padded.len() as u64);
    }

    #[test]
    fn many_large_documents_hold_at_most_the_budget() {
        let documents = ParsedDocuments::default();
        for n in 0..40 {
            parse_and_keep(&documents, &format!("{{ f{n} {} }}", "a ".repeat(8_000)));
        }
        let kept = documents.documents.weight();
        assert!(kept <= BUDGET_BYTES as u64, "{kept} bytes kept");
        assert!(documents.documents.len() < 40);
        assert!(!documents.documents.is_empty());
    }

    #[test]
    fn short_documents_are_kept_by_the_thousand() {
        let documents = ParsedDocuments::default();
        for n in 0..3_000 {
            parse_and_keep(&documents, &format!("{{ f{n} }}"));
        }
        assert!(documents.documents.weight() <= BUDGET_BYTES as u64);
        assert!(
            documents.documents.len() > 1_000,
            "the cache still keeps documents"
        );
    }
}
