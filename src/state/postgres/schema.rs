//! The tables of a PostgreSQL state. Created by the first writer (`CREATE TABLE IF NOT
//! EXISTS`, serialized by a transaction-level advisory lock so that concurrent first writers
//! do not collide), never by a reader: a read-only role runs `plan` and `get`.
//!
//! ```text
//! ecsctl_state    (id = 1)  lineage, serial, document: the State, as state.json holds it
//! ecsctl_runtime  (cluster) lineage, document, version: a cluster's Runtime
//! ecsctl_leases   (cluster) holder, generation, expires_at: the reconciler lease
//! ecsctl_locks    (name)    holder: who holds (or last held) the apply lock
//! ecsctl_documents (name)   document: other records of the state (`sync`: the Git sync)
//! ```

use anyhow::{Context as _, Result};
use tokio_postgres::Client;
use tokio_postgres::error::SqlState;

/// The advisory lock key of the apply lock (`state.lock` of a directory).
pub const STATE_LOCK_KEY: i64 = 0x6563_7363_746c_0001;
/// The advisory lock key that serializes schema creation.
const SCHEMA_LOCK_KEY: i64 = 0x6563_7363_746c_0002;

const CREATE: &str = "
CREATE TABLE IF NOT EXISTS ecsctl_state (
    id integer PRIMARY KEY CHECK (id = 1),
    lineage text NOT NULL,
    serial bigint NOT NULL,
    document text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS ecsctl_runtime (
    cluster text PRIMARY KEY,
    lineage text NOT NULL,
    document text NOT NULL,
    version bigint NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS ecsctl_leases (
    cluster text PRIMARY KEY,
    holder text NOT NULL,
    generation bigint NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE TABLE IF NOT EXISTS ecsctl_locks (
    name text PRIMARY KEY,
    holder text NOT NULL
);
CREATE TABLE IF NOT EXISTS ecsctl_documents (
    name text PRIMARY KEY,
    document text NOT NULL
);
";

/// The databases (as shown) whose tables this process created or found: ecsctl never drops
/// them, so each is made sure of once.
static READY: std::sync::Mutex<std::collections::BTreeSet<String>> =
    std::sync::Mutex::new(std::collections::BTreeSet::new());

fn is_ready(database: &str) -> bool {
    READY.lock().is_ok_and(|ready| ready.contains(database))
}

/// Creates the tables of `database` that are missing (once per process).
pub async fn ensure(client: &Client, database: &str) -> Result<()> {
    if is_ready(database) {
        return Ok(());
    }
    let sql = format!("BEGIN; SELECT pg_advisory_xact_lock({SCHEMA_LOCK_KEY}); {CREATE} COMMIT;");
    if let Err(e) = client.batch_execute(&sql).await {
        let _ = client.batch_execute("ROLLBACK").await;
        return Err(e).context("creating the state tables");
    }
    if let Ok(mut ready) = READY.lock() {
        ready.insert(database.to_string());
    }
    Ok(())
}

/// A table that does not exist yet: nothing was written.
pub fn is_missing_table(error: &tokio_postgres::Error) -> bool {
    error.code() == Some(&SqlState::UNDEFINED_TABLE)
}
