//! `schema`: the JSON Schema of manifests (`model::schema`), whole or for one kind.

use super::{OpsError, OpsResult};

/// The schema of every kind, or of `kind`'s manifests (any case: `service` is `Service`).
pub fn schema(kind: Option<&str>) -> OpsResult<serde_json::Value> {
    crate::model::schema::schema(kind).map_err(OpsError::Invalid)
}
