//! Parsed documents, kept per instance by their text: clients send the same few
//! operations again and again, and parsing is the largest cost of a small query (pest
//! walks every character; a clone of the parsed document is a fraction of that).
//!
//! Bounded by the text it keeps (`BUDGET_BYTES`), least recently used first out, so that
//! a client sending endless distinct documents only makes itself pay the parse.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use async_graphql::parser::types::ExecutableDocument;

/// The text of the documents kept, in bytes (their parsed form is a few times larger).
const BUDGET_BYTES: usize = 1 << 20;

/// Documents kept at most, whatever their size.
const MAX_DOCUMENTS: usize = 1_000;

/// The cache of parsed documents by text.
pub struct ParsedDocuments {
    cache: Mutex<Cache>,
}

struct Cache {
    documents: lru::LruCache<Arc<str>, ExecutableDocument>,
    bytes: usize,
}

impl Default for ParsedDocuments {
    fn default() -> Self {
        let capacity = NonZeroUsize::new(MAX_DOCUMENTS).unwrap_or(NonZeroUsize::MIN);
        ParsedDocuments {
            cache: Mutex::new(Cache {
                documents: lru::LruCache::new(capacity),
                bytes: 0,
            }),
        }
    }
}

impl ParsedDocuments {
    /// The parsed `query`: from the cache, or parsed now and kept. Documents that do not
    /// parse are not kept.
    pub fn parse(&self, query: &str) -> async_graphql::parser::Result<ExecutableDocument> {
        if let Some(document) = self.lock().documents.get(query) {
            return Ok(document.clone());
        }
        let document = async_graphql::parser::parse_query(query)?;
        let mut cache = self.lock();
        if query.len() <= BUDGET_BYTES && !cache.documents.contains(query) {
            while cache.bytes + query.len() > BUDGET_BYTES {
                let Some((evicted, _)) = cache.documents.pop_lru() else {
                    break;
                };
                cache.bytes -= evicted.len();
            }
            if let Some((evicted, _)) = cache.documents.push(Arc::from(query), document.clone()) {
                cache.bytes -= evicted.len();
            }
            cache.bytes += query.len();
        }
        Ok(document)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Cache> {
        // The cache holds no invariant a panic could break beyond a byte count.
        self.cache.lock().unwrap_or_else(|e| e.into_inner())
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
        assert_eq!(format!("{first:?}"), format!("{again:?}"));
        assert!(documents.parse("{ nope").is_err());
    }

    #[test]
    fn the_kept_text_stays_within_its_budget() {
        let documents = ParsedDocuments::default();
        let padding = " ".repeat(100_000);
        for n in 0..50 {
            documents.parse(&format!("{{ f{n} }}{padding}")).unwrap();
        }
        let cache = documents.lock();
        assert!(cache.bytes <= BUDGET_BYTES, "{} bytes kept", cache.bytes);
        assert_eq!(
            cache.bytes,
            cache.documents.iter().map(|(k, _)| k.len()).sum::<usize>()
        );
        assert!(cache.documents.len() < 50);
    }
}
