//! The state in PostgreSQL (`--state postgres://…`): the same documents as a state directory,
//! one row each (see [`schema`]), written in transactions.
//!
//! - The apply lock is a session-level advisory lock on a connection the guard owns; the
//!   state is written through that connection, in a transaction that checks the serial read
//!   when the lock was taken: a write never lands on a state it did not see.
//! - A runtime record is read `FOR UPDATE`, changed, and written back in one transaction.
//! - A fenced store (the one a reconciler holding a lease writes through) checks, in the
//!   transaction of each write, that its lease generation is still the current one.
//!
//! A crash at any instant rolls back the open transaction: the old or the new document.

pub mod client;
mod lease;
pub mod schema;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, anyhow};
use tokio_postgres::Client;

use super::lock::{Holder, LockError};
use super::store::{parse_state, to_json};
use super::{FORMAT_VERSION, Runtime, State};
use client::{Target, block};
pub use lease::PgLease;

/// Which lease a reconciler's writes carry.
#[derive(Clone, Debug)]
struct Fence {
    cluster: String,
    generation: i64,
}

#[derive(Clone)]
pub struct PgStore {
    target: Target,
    /// The connection of reads and runtime updates, made on first use, made again after it
    /// broke. An operation holds the mutex for its whole transaction.
    shared: Arc<Mutex<Option<Arc<Client>>>>,
    fence: Option<Fence>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("target", &self.target)
            .field("fence", &self.fence)
            .finish()
    }
}

/// The apply lock: an advisory lock held by the guard's own connection.
pub struct PgLock {
    client: Arc<Client>,
    /// The serial of the state when the lock was taken, then of each write (`None`: no state).
    serial: Mutex<Option<i64>>,
}

impl std::fmt::Debug for PgLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PgLock")
    }
}

impl PgStore {
    pub fn new(url: &str) -> Result<Self> {
        Ok(PgStore {
            target: Target::parse(url)?,
            shared: Arc::new(Mutex::new(None)),
            fence: None,
        })
    }

    pub fn shown(&self) -> &str {
        self.target.shown()
    }

    /// This store, its writes refused once `lease` is no longer the current one.
    pub fn fenced(&self, lease: &PgLease) -> Self {
        PgStore {
            fence: Some(Fence {
                cluster: lease.cluster().to_string(),
                generation: lease.generation(),
            }),
            ..self.clone()
        }
    }

    /// Runs `work` with the shared connection, connecting first when needed. A failed
    /// operation drops the connection: the next one starts on a fresh one.
    fn with_shared<T>(&self, work: impl FnOnce(&Arc<Client>) -> Result<T>) -> Result<T> {
        let mut slot = self
            .shared
            .lock()
            .map_err(|_| anyhow!("the postgres connection is poisoned"))?;
        let client = match slot.as_ref() {
            Some(client) if !client.is_closed() => client.clone(),
            _ => {
                let target = self.target.clone();
                let client = Arc::new(block(async move { target.connect().await })??);
                *slot = Some(client.clone());
                client
            }
        };
        let result = work(&client);
        if result.is_err() {
            *slot = None;
        }
        result
    }

    fn context(&self, what: &str) -> String {
        format!("{what} in {}", self.target.shown())
    }

    /// The recorded state, or `None` before the first apply.
    pub fn read_state(&self) -> Result<Option<State>> {
        let text = self
            .with_shared(|client| {
                let client = client.clone();
                block(async move {
                    match client
                        .query_opt("SELECT document FROM ecsctl_state WHERE id = 1", &[])
                        .await
                    {
                        Ok(row) => row.map(|r| r.try_get::<_, String>(0)).transpose(),
                        Err(e) if schema::is_missing_table(&e) => Ok(None),
                        Err(e) => Err(e),
                    }
                })?
                .map_err(anyhow::Error::from)
            })
            .with_context(|| self.context("reading the state"))?;
        text.map(|t| parse_state(&t).with_context(|| self.context("reading the state")))
            .transpose()
    }

    /// The serial and the runtime versions: equal stamps, nothing written in between.
    pub fn change_stamp(&self) -> Result<(i64, i64)> {
        self.with_shared(|client| {
            let client = client.clone();
            block(async move {
                let sql = "SELECT (SELECT coalesce(max(serial), -1) FROM ecsctl_state), \
                           (SELECT coalesce(sum(version), -1)::bigint FROM ecsctl_runtime)";
                match client.query_one(sql, &[]).await {
                    Ok(row) => Ok((row.try_get(0)?, row.try_get(1)?)),
                    Err(e) if schema::is_missing_table(&e) => Ok((-1, -1)),
                    Err(e) => Err(e),
                }
            })?
            .map_err(anyhow::Error::from)
        })
        .with_context(|| self.context("reading the state's serial"))
    }

    /// Takes the apply lock, waiting up to `timeout` (zero: try once).
    pub fn lock_state(&self, timeout: Duration) -> Result<PgLock, LockError> {
        let target = self.target.clone();
        let backend = |message: String| LockError::Backend {
            what: "state".into(),
            message,
        };
        match block(async move { take_state_lock(target, timeout).await }) {
            Ok(Ok(taken)) => taken,
            Ok(Err(e)) | Err(e) => Err(backend(format!("{e:#}"))),
        }
    }

    /// Replaces the state, through the lock's connection, if the serial is still the one the
    /// lock last saw.
    pub fn write_state(&self, state: &State, lock: &PgLock) -> Result<()> {
        let json = to_json(state)?;
        let serial = i64::try_from(state.serial).context("the serial is too large")?;
        let mut seen = lock
            .serial
            .lock()
            .map_err(|_| anyhow!("the state lock is poisoned"))?;
        let client = lock.client.clone();
        let expected = *seen;
        let lineage = state.lineage.clone();
        let fence = self.fence.clone();
        block(async move {
            transaction(&client, async |c| {
                check_fence(c, fence.as_ref()).await?;
                let row = c
                    .query_opt("SELECT serial FROM ecsctl_state WHERE id = 1 FOR UPDATE", &[])
                    .await?;
                let current: Option<i64> = row.map(|r| r.try_get(0)).transpose()?;
                if current != expected {
                    anyhow::bail!(
                        "the state moved while it was locked (serial {}, expected {}): another writer ignored the lock",
                        show_serial(current),
                        show_serial(expected)
                    );
                }
                c.execute(
                    "INSERT INTO ecsctl_state (id, lineage, serial, document) VALUES (1, $1, $2, $3) \
                     ON CONFLICT (id) DO UPDATE SET lineage = EXCLUDED.lineage, \
                     serial = EXCLUDED.serial, document = EXCLUDED.document, updated_at = now()",
                    &[&lineage, &serial, &json],
                )
                .await?;
                Ok(())
            })
            .await
        })?
        .with_context(|| self.context("writing the state"))?;
        *seen = Some(serial);
        Ok(())
    }

    pub fn read_runtime(&self, cluster: &str) -> Result<Runtime> {
        let text = self
            .read_text(
                "SELECT document FROM ecsctl_runtime WHERE cluster = $1",
                cluster,
            )
            .with_context(|| {
                self.context(&format!("reading the runtime of cluster `{cluster}`"))
            })?;
        parse_runtime(text.as_deref())
            .with_context(|| self.context(&format!("reading the runtime of cluster `{cluster}`")))
    }

    /// Read-modify-write of a cluster's runtime record in one transaction (the row locked
    /// `FOR UPDATE` meanwhile). A record of another lineage is started afresh.
    pub fn update_runtime<T>(
        &self,
        cluster: &str,
        lineage: &str,
        change: impl FnOnce(&mut Runtime) -> T,
    ) -> Result<T> {
        let what = || self.context(&format!("updating the runtime of cluster `{cluster}`"));
        self.with_shared(|client| {
            let (c, name, fence) = (client.clone(), cluster.to_string(), self.fence.clone());
            let database = self.target.shown().to_string();
            let text = block(async move {
                let begun = async {
                    schema::ensure(&c, &database).await?;
                    c.batch_execute("BEGIN").await?;
                    check_fence(&c, fence.as_ref()).await?;
                    c.execute(
                        "INSERT INTO ecsctl_runtime (cluster, lineage, document) VALUES ($1, '', '') \
                         ON CONFLICT (cluster) DO NOTHING",
                        &[&name],
                    )
                    .await?;
                    let row = c
                        .query_one(
                            "SELECT document FROM ecsctl_runtime WHERE cluster = $1 FOR UPDATE",
                            &[&name],
                        )
                        .await?;
                    Ok::<String, anyhow::Error>(row.try_get(0)?)
                }
                .await;
                if begun.is_err() {
                    let _ = c.batch_execute("ROLLBACK").await;
                }
                begun
            })??;
            let finish = |client: &Arc<Client>, update: Option<String>| {
                let (c, name) = (client.clone(), cluster.to_string());
                let lineage = lineage.to_string();
                block(async move {
                    let done = async {
                        if let Some(json) = &update {
                            c.execute(
                                "UPDATE ecsctl_runtime SET lineage = $2, document = $3, \
                                 version = version + 1 WHERE cluster = $1",
                                &[&name, &lineage, json],
                            )
                            .await?;
                        }
                        c.batch_execute("COMMIT").await?;
                        Ok::<(), anyhow::Error>(())
                    }
                    .await;
                    if done.is_err() {
                        let _ = c.batch_execute("ROLLBACK").await;
                    }
                    done
                })?
            };
            let mut runtime = match parse_runtime(Some(&text)) {
                Ok(runtime) => runtime,
                Err(e) => {
                    let _ = finish(client, None);
                    return Err(e);
                }
            };
            if runtime.lineage != lineage {
                runtime = Runtime {
                    format_version: FORMAT_VERSION,
                    lineage: lineage.to_string(),
                    ..Runtime::default()
                };
            }
            let result = change(&mut runtime);
            let json = match to_json(&runtime) {
                Ok(json) => json,
                Err(e) => {
                    let _ = finish(client, None);
                    return Err(e);
                }
            };
            finish(client, Some(json))?;
            Ok(result)
        })
        .with_context(what)
    }

    /// The clusters that have a runtime record.
    pub fn runtime_clusters(&self) -> Result<Vec<String>> {
        self.with_shared(|client| {
            let client = client.clone();
            block(async move {
                let sql =
                    "SELECT cluster FROM ecsctl_runtime WHERE document <> '' ORDER BY cluster";
                match client.query(sql, &[]).await {
                    Ok(rows) => rows.iter().map(|r| r.try_get(0)).collect(),
                    Err(e) if schema::is_missing_table(&e) => Ok(Vec::new()),
                    Err(e) => Err(e),
                }
            })?
            .map_err(anyhow::Error::from)
        })
        .with_context(|| self.context("listing the runtime records"))
    }

    /// A named document of the state (`sync`), or `None`.
    pub fn read_document(&self, name: &str) -> Result<Option<String>> {
        self.read_text(
            "SELECT document FROM ecsctl_documents WHERE name = $1",
            name,
        )
        .with_context(|| self.context(&format!("reading the `{name}` record")))
    }

    /// The one text column that `sql` selects for `key`, or `None` (no row, or no table yet:
    /// nothing was written).
    fn read_text(&self, sql: &'static str, key: &str) -> Result<Option<String>> {
        let key = key.to_string();
        self.with_shared(|client| {
            let client = client.clone();
            block(async move {
                match client.query_opt(sql, &[&key]).await {
                    Ok(row) => row.map(|r| r.try_get::<_, String>(0)).transpose(),
                    Err(e) if schema::is_missing_table(&e) => Ok(None),
                    Err(e) => Err(e),
                }
            })?
            .map_err(anyhow::Error::from)
        })
    }

    /// Replaces a named document of the state.
    pub fn write_document(&self, name: &str, document: &str) -> Result<()> {
        let (owned, text) = (name.to_string(), document.to_string());
        self.with_shared(|client| {
            let c = client.clone();
            let database = self.target.shown().to_string();
            block(async move {
                schema::ensure(&c, &database).await?;
                c.execute(
                    "INSERT INTO ecsctl_documents (name, document) VALUES ($1, $2) \
                     ON CONFLICT (name) DO UPDATE SET document = EXCLUDED.document",
                    &[&owned, &text],
                )
                .await?;
                Ok::<(), anyhow::Error>(())
            })?
        })
        .with_context(|| self.context(&format!("writing the `{name}` record")))
    }

    /// Replaces a cluster's runtime record as it is (`state migrate`).
    pub fn replace_runtime(&self, cluster: &str, runtime: &Runtime) -> Result<()> {
        let json = to_json(runtime)?;
        let (name, lineage) = (cluster.to_string(), runtime.lineage.clone());
        self.with_shared(|client| {
            let c = client.clone();
            let database = self.target.shown().to_string();
            block(async move {
                schema::ensure(&c, &database).await?;
                c.execute(
                    "INSERT INTO ecsctl_runtime (cluster, lineage, document, version) \
                     VALUES ($1, $2, $3, 1) ON CONFLICT (cluster) DO UPDATE SET \
                     lineage = EXCLUDED.lineage, document = EXCLUDED.document, \
                     version = ecsctl_runtime.version + 1",
                    &[&name, &lineage, &json],
                )
                .await?;
                Ok::<(), anyhow::Error>(())
            })?
        })
        .with_context(|| self.context(&format!("writing the runtime of cluster `{cluster}`")))
    }

    /// Takes the reconciler lease of `cluster`, waiting up to `timeout` for it to be free.
    pub fn take_lease(&self, cluster: &str, timeout: Duration) -> Result<PgLease, LockError> {
        let what = format!("reconciler lease of cluster `{cluster}`");
        let target = self.target.clone();
        let (name, shown_what) = (cluster.to_string(), what.clone());
        match block(async move { lease::take(target, name, shown_what, timeout).await }) {
            Ok(Ok(taken)) => taken,
            Ok(Err(e)) | Err(e) => Err(LockError::Backend {
                what,
                message: format!("{e:#}"),
            }),
        }
    }
}

fn show_serial(serial: Option<i64>) -> String {
    serial.map_or_else(|| "none".to_string(), |s| s.to_string())
}

/// An empty text is the placeholder row of a runtime never written.
fn parse_runtime(text: Option<&str>) -> Result<Runtime> {
    match text {
        None | Some("") => Ok(Runtime::default()),
        Some(text) => {
            serde_json::from_str(text).context("the runtime record does not match its format")
        }
    }
}

/// Runs `work` in a transaction on `client`: committed when it succeeds, rolled back when not.
async fn transaction<T>(
    client: &Client,
    work: impl AsyncFnOnce(&Client) -> Result<T>,
) -> Result<T> {
    client.batch_execute("BEGIN").await?;
    match work(client).await {
        Ok(value) => {
            client.batch_execute("COMMIT").await?;
            Ok(value)
        }
        Err(e) => {
            let _ = client.batch_execute("ROLLBACK").await;
            Err(e)
        }
    }
}

/// Refuses a write whose lease is no longer current (see [`crate::state::lease::fence`]).
/// `FOR SHARE`: a takeover waits for this transaction, and sees its write.
async fn check_fence(client: &Client, fence: Option<&Fence>) -> Result<()> {
    let Some(fence) = fence else {
        return Ok(());
    };
    let row = client
        .query_opt(
            "SELECT generation, expires_at <= now() FROM ecsctl_leases WHERE cluster = $1 FOR SHARE",
            &[&fence.cluster],
        )
        .await?;
    let row = row
        .map(|r| -> Result<super::lease::LeaseRow> {
            Ok(super::lease::LeaseRow {
                generation: r.try_get(0)?,
                expired: r.try_get(1)?,
            })
        })
        .transpose()?;
    super::lease::fence(&fence.cluster, row, fence.generation)?;
    Ok(())
}

async fn take_state_lock(target: Target, timeout: Duration) -> Result<Result<PgLock, LockError>> {
    let client = target.connect().await?;
    let started = Instant::now();
    loop {
        let row = client
            .query_one(
                &format!("SELECT pg_try_advisory_lock({})", schema::STATE_LOCK_KEY),
                &[],
            )
            .await
            .context("taking the state lock")?;
        if row.try_get::<_, bool>(0)? {
            break;
        }
        if started.elapsed() >= timeout {
            let holder = client
                .query_opt("SELECT holder FROM ecsctl_locks WHERE name = 'state'", &[])
                .await
                .ok()
                .flatten()
                .and_then(|r| r.try_get::<_, String>(0).ok())
                .and_then(|text| serde_json::from_str::<Holder>(&text).ok());
            return Ok(Err(LockError::Held {
                what: "state".into(),
                path: target.shown().into(),
                holder,
            }));
        }
        tokio::time::sleep(
            Duration::from_millis(50)
                .min(timeout.saturating_sub(started.elapsed()))
                .max(Duration::from_millis(1)),
        )
        .await;
    }
    schema::ensure(&client, target.shown()).await?;
    let holder = serde_json::to_string(&Holder::this_process()).unwrap_or_default();
    client
        .execute(
            "INSERT INTO ecsctl_locks (name, holder) VALUES ('state', $1) \
             ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder",
            &[&holder],
        )
        .await
        .context("recording the holder of the state lock")?;
    let serial = client
        .query_opt("SELECT serial FROM ecsctl_state WHERE id = 1", &[])
        .await?
        .map(|r| r.try_get::<_, i64>(0))
        .transpose()?;
    Ok(Ok(PgLock {
        client: Arc::new(client),
        serial: Mutex::new(serial),
    }))
}
