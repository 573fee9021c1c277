//! The reconciler lease of a cluster in PostgreSQL: a row (holder, generation, expires_at).
//! Taking it bumps the generation, and is possible only once the row's expiry is past in the
//! database's clock; the holder renews it in the background every third of the lease and
//! says it lost it (see [`PgLease::lost`]) as soon as it can no longer be sure it holds it.
//! Dropping the guard ends the lease at once, so a clean stop hands over without waiting.

use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use tokio::sync::{oneshot, watch};
use tokio_postgres::Client;

use super::client::{Target, spawn};
use super::schema;
use crate::state::lease::{LEASE, STANDBY_POLL, holds, next_renewal};
use crate::state::lock::{Holder, LockError};

/// A held lease; renewed until dropped.
pub struct PgLease {
    cluster: String,
    generation: i64,
    lost: watch::Receiver<bool>,
    stop: Option<oneshot::Sender<()>>,
    /// Signalled by the renewer once it released the row, so that a process that stops
    /// right after dropping the guard still hands the lease over.
    released: Option<std::sync::mpsc::Receiver<()>>,
}

impl std::fmt::Debug for PgLease {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PgLease({} #{})", self.cluster, self.generation)
    }
}

impl PgLease {
    pub fn cluster(&self) -> &str {
        &self.cluster
    }

    pub fn generation(&self) -> i64 {
        self.generation
    }

    /// Becomes `true` when the lease could not be renewed in time: its holder must stop.
    pub fn lost(&self) -> watch::Receiver<bool> {
        self.lost.clone()
    }
}

impl Drop for PgLease {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(released) = self.released.take() {
            let _ = released.recv_timeout(Duration::from_secs(2));
        }
    }
}

/// Takes the lease, polling up to `timeout` while another holder's lease is live.
pub(super) async fn take(
    target: Target,
    cluster: String,
    what: String,
    timeout: Duration,
) -> Result<Result<PgLease, LockError>> {
    let client = target.connect().await?;
    schema::ensure(&client, target.shown()).await?;
    let holder = serde_json::to_string(&Holder::this_process()).unwrap_or_default();
    let started = Instant::now();
    loop {
        let sent = Instant::now();
        let millis = i64::try_from(LEASE.as_millis()).unwrap_or(i64::MAX);
        let row = client
            .query_opt(
                "INSERT INTO ecsctl_leases (cluster, holder, generation, expires_at) \
                 VALUES ($1, $2, 1, now() + $3 * interval '1 millisecond') \
                 ON CONFLICT (cluster) DO UPDATE SET holder = EXCLUDED.holder, \
                 generation = ecsctl_leases.generation + 1, expires_at = EXCLUDED.expires_at \
                 WHERE ecsctl_leases.expires_at <= now() \
                 RETURNING generation",
                &[&cluster, &holder, &(millis as f64)],
            )
            .await
            .with_context(|| format!("taking the {what}"))?;
        if let Some(row) = row {
            let generation: i64 = row.try_get(0)?;
            return Ok(Ok(start(target, client, cluster, generation, sent)?));
        }
        if started.elapsed() >= timeout {
            let holder = client
                .query_opt(
                    "SELECT holder FROM ecsctl_leases WHERE cluster = $1",
                    &[&cluster],
                )
                .await
                .ok()
                .flatten()
                .and_then(|r| r.try_get::<_, String>(0).ok())
                .and_then(|text| serde_json::from_str::<Holder>(&text).ok());
            return Ok(Err(LockError::Held {
                what,
                path: target.shown().into(),
                holder,
            }));
        }
        tokio::time::sleep(STANDBY_POLL.min(timeout.saturating_sub(started.elapsed()))).await;
    }
}

fn start(
    target: Target,
    client: Client,
    cluster: String,
    generation: i64,
    renewed: Instant,
) -> Result<PgLease> {
    let (lost_tx, lost) = watch::channel(false);
    let (stop, stopped) = oneshot::channel();
    let (released_tx, released) = std::sync::mpsc::sync_channel(1);
    let renewer = Renewer {
        target,
        client: Some(client),
        cluster: cluster.clone(),
        generation,
        renewed,
    };
    spawn(async move {
        renewer.run(lost_tx, stopped).await;
        let _ = released_tx.send(());
    })?;
    Ok(PgLease {
        cluster,
        generation,
        lost,
        stop: Some(stop),
        released: Some(released),
    })
}

struct Renewer {
    target: Target,
    client: Option<Client>,
    cluster: String,
    generation: i64,
    /// When the last successful renewal (or the acquisition) was sent.
    renewed: Instant,
}

impl Renewer {
    async fn run(mut self, lost: watch::Sender<bool>, mut stop: oneshot::Receiver<()>) {
        loop {
            let wait = next_renewal(self.renewed, Instant::now(), LEASE);
            tokio::select! {
                _ = &mut stop => {
                    self.release().await;
                    return;
                }
                () = tokio::time::sleep(wait) => {}
            }
            let sent = Instant::now();
            let attempt = tokio::time::timeout(LEASE / 4, self.renew()).await;
            match attempt {
                Ok(Ok(true)) => self.renewed = sent,
                // The row names another generation: taken over.
                Ok(Ok(false)) => {
                    let _ = lost.send(true);
                    return;
                }
                // Unreachable or failed: a new connection next time; the lease holds as long
                // as `holds` says.
                Ok(Err(e)) => {
                    tracing::warn!("renewing the reconciler lease of `{}`: {e:#}", self.cluster);
                    self.client = None;
                }
                Err(_) => {
                    tracing::warn!(
                        "renewing the reconciler lease of `{}`: timed out",
                        self.cluster
                    );
                    self.client = None;
                }
            }
            if !holds(self.renewed, Instant::now(), LEASE) {
                let _ = lost.send(true);
                return;
            }
        }
    }

    async fn renew(&mut self) -> Result<bool> {
        if self.client.as_ref().is_none_or(Client::is_closed) {
            self.client = Some(self.target.connect().await?);
        }
        let Some(client) = self.client.as_ref() else {
            return Ok(false);
        };
        let millis = i64::try_from(LEASE.as_millis()).unwrap_or(i64::MAX);
        let updated = client
            .execute(
                "UPDATE ecsctl_leases SET expires_at = now() + $3 * interval '1 millisecond' \
                 WHERE cluster = $1 AND generation = $2 AND expires_at > now()",
                &[&self.cluster, &self.generation, &(millis as f64)],
            )
            .await?;
        Ok(updated == 1)
    }

    /// Ends the lease now, so that a standby takes over without waiting for it to expire.
    async fn release(&mut self) {
        let Some(client) = self.client.as_ref() else {
            return;
        };
        let params: [&(dyn tokio_postgres::types::ToSql + Sync); 2] =
            [&self.cluster, &self.generation];
        let release = client.execute(
            "UPDATE ecsctl_leases SET expires_at = now() - interval '1 millisecond' \
             WHERE cluster = $1 AND generation = $2",
            &params,
        );
        let _ = tokio::time::timeout(Duration::from_secs(2), release).await;
    }
}
