//! Apollo Automatic Persisted Queries: a client sends the SHA-256 of a document; the
//! service answers `PersistedQueryNotFound` until the client has sent the document once.
//! Each instance keeps its own bounded cache: a miss costs one retry, never an error.

use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::params::GraphqlParams;

/// Documents kept per instance.
const CAPACITY: usize = 2_000;

/// Why a persisted query could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApqError {
    /// The hash is not known here yet: send the document with it.
    NotFound,
    /// The `persistedQuery` extension is malformed, or the hash is not the document's.
    Invalid(&'static str),
}

/// The cache of documents by hash.
pub struct PersistedQueries {
    documents: quick_cache::sync::Cache<String, Arc<str>>,
}

impl Default for PersistedQueries {
    fn default() -> Self {
        PersistedQueries {
            documents: quick_cache::sync::Cache::new(CAPACITY),
        }
    }
}

impl PersistedQueries {
    /// Fills in the document from the cache, or records it under its hash.
    pub fn resolve(&self, params: &mut GraphqlParams) -> Result<(), ApqError> {
        let Some(persisted) = params.extensions.get("persistedQuery") else {
            return Ok(());
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
                self.documents.insert(hash, Arc::from(query.as_str()));
                Ok(())
            }
            None => match self.documents.get(&hash) {
                Some(document) => {
                    params.query = Some(document.to_string());
                    Ok(())
                }
                None => Err(ApqError::NotFound),
            },
        }
    }
}
