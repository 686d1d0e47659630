//! Apollo Automatic Persisted Queries: a client sends the SHA-256 of a document; the
//! service answers `PersistedQueryNotFound` until the client has sent the document once.
//! Each instance keeps its own cache: a miss costs one retry, never an error.
//!
//! Anyone may register a document, so the cache is bounded by the bytes it holds
//! (`BUDGET_BYTES`), and a document is stored only once its request has passed every
//! check made before execution ([`PersistedQueries::register`], called at the end of
//! `prepare`): a document refused for its size, its syntax or any other limit takes no
//! room.

use std::sync::Arc;

use quick_cache::Weighter;
use sha2::{Digest, Sha256};

use super::params::GraphqlParams;

/// The bytes of the documents and hashes kept per instance.
const BUDGET_BYTES: usize = 2 << 20;

/// What an entry costs beside its document's text: the hash and the cache's own
/// bookkeeping.
const ENTRY_BYTES: usize = 128;

/// How many documents the cache is sized for (small ones; large ones fill the budget
/// sooner).
const EXPECTED_DOCUMENTS: usize = BUDGET_BYTES / 1_024;

/// Why a persisted query could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApqError {
    /// The hash is not known here yet: send the document with it.
    NotFound,
    /// The `persistedQuery` extension is malformed, or the hash is not the document's.
    Invalid(&'static str),
}

/// A document sent with its hash, to be stored once its request passed every check.
#[derive(Debug)]
pub struct Registration {
    hash: String,
}

/// An entry weighs its document's text and [`ENTRY_BYTES`].
#[derive(Clone)]
struct Bytes;

impl Weighter<String, Arc<str>> for Bytes {
    fn weight(&self, _: &String, document: &Arc<str>) -> u64 {
        (document.len() + ENTRY_BYTES) as u64
    }
}

/// The cache of documents by hash.
pub struct PersistedQueries {
    documents: quick_cache::sync::Cache<String, Arc<str>, Bytes>,
}

impl Default for PersistedQueries {
    fn default() -> Self {
        PersistedQueries {
            documents: quick_cache::sync::Cache::with_weighter(
                EXPECTED_DOCUMENTS,
                BUDGET_BYTES as u64,
                Bytes,
            ),
        }
    }
}

impl PersistedQueries {
    /// Fills in the document from the cache, or checks the document sent against its
    /// hash: the registration to [`register`](Self::register) once the request passed
    /// every check.
    pub fn resolve(&self, params: &mut GraphqlParams) -> Result<Option<Registration>, ApqError> {
        let Some(persisted) = params.extensions.get("persistedQuery") else {
            return Ok(None);
        };
        let version = persisted.get("version").and_then(|v| v.as_i64());
        let hash = persisted.get("sha256Hash").and_then(|v| v.as_str());
        let (Some(1), Some(hash)) = (version, hash) else {
            return Err(ApqError::Invalid("unsupported persistedQuery extension"));
        };
        let hash = hash.to_ascii_lowercase();
        match &params.query {
            Some(query) => {
                let actual: String = Sha256::digest(query.as_bytes())
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
                if actual != hash {
                    return Err(ApqError::Invalid(
                        "provided sha256Hash does not match the query",
                    ));
                }
                Ok(Some(Registration { hash }))
            }
            None => match self.documents.get(&hash) {
                Some(document) => {
                    params.query = Some(document.to_string());
                    Ok(None)
                }
                None => Err(ApqError::NotFound),
            },
        }
    }

    /// Stores a registered document, now that its request passed every check.
    pub fn register(&self, registration: Registration, document: &str) {
        self.documents
            .insert(registration.hash, Arc::from(document));
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn registering(query: &str) -> GraphqlParams {
        let hash: String = Sha256::digest(query.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        GraphqlParams {
            query: Some(query.to_owned()),
            extensions: serde_json::from_value(
                json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } }),
            )
            .unwrap(),
            ..Default::default()
        }
    }

    #[test]
    fn a_document_is_found_by_its_hash_only_once_registered() {
        let cache = PersistedQueries::default();
        let mut params = registering("{ __typename }");
        let registration = cache.resolve(&mut params).unwrap().unwrap();
        let mut by_hash = GraphqlParams {
            extensions: params.extensions.clone(),
            ..Default::default()
        };
        assert_eq!(
            cache.resolve(&mut by_hash.clone()).unwrap_err(),
            ApqError::NotFound
        );
        cache.register(registration, "{ __typename }");
        assert!(cache.resolve(&mut by_hash).unwrap().is_none());
        assert_eq!(by_hash.query.as_deref(), Some("{ __typename }"));
    }

    #[test]
    fn many_large_registrations_hold_at_most_the_budget() {
        let cache = PersistedQueries::default();
        let padding = " ".repeat(16 * 1024 - 20);
        for n in 0..300 {
            let query = format!("{{ f{n} }}{padding}");
            let registration = cache.resolve(&mut registering(&query)).unwrap().unwrap();
            cache.register(registration, &query);
        }
        let held = cache.documents.weight();
        assert!(held <= BUDGET_BYTES as u64, "{held} bytes held");
        assert!(cache.documents.len() < 300, "the oldest went out");
        assert!(
            cache.documents.len() > 10,
            "the cache still keeps documents"
        );
    }
}
