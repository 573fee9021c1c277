//! `watch --metrics ADDR`: one scrape. What the state and the runtime records say (desired,
//! running and pending tasks per service, deployments by state, the Git sync) beside what
//! the watch itself counted ([`LiveCounts`]: passes, hosts, leases, events), in Prometheus's
//! text format. Read-only; nothing here waits for a lock.

use std::collections::BTreeMap;

use super::session::Session;
use crate::controller::metrics::{Exposition, LiveCounts, Sample, Type};
use crate::state::sync::SyncStatus;
use crate::state::{RolloutState, State};

/// The content type of the text format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The text of one scrape. `holder` names this watch (`pid 12 on host`).
pub fn scrape(session: &Session, live: &LiveCounts, holder: &str) -> anyhow::Result<String> {
    let state = session.state_or_empty()?;
    let mut out = Exposition::default();
    services(session, &state, &mut out);
    reconciler(live, holder, &mut out);
    sync(session, &state, &mut out)?;
    Ok(out.finish())
}

fn service_labels(cluster: &str, service: &str) -> Vec<(&'static str, String)> {
    vec![
        ("cluster", cluster.to_string()),
        ("service", service.to_string()),
    ]
}

fn services(session: &Session, state: &State, out: &mut Exposition) {
    let (mut desired, mut running, mut pending) = (Vec::new(), Vec::new(), Vec::new());
    let mut deployments: BTreeMap<(String, String, &'static str), u32> = BTreeMap::new();
    for (cluster, records) in &state.services {
        // A runtime record that cannot be read counts as empty: a scrape never fails on it.
        let runtime = session.store.read_runtime(cluster).unwrap_or_default();
        for (name, record) in records {
            let labels = service_labels(cluster, name);
            desired.push(Sample::new(labels.clone(), f64::from(record.desired_count)));
            let service = runtime.services.get(name);
            let counts = service.and_then(|s| s.counts.as_ref());
            running.push(Sample::new(
                labels.clone(),
                f64::from(counts.map_or(0, |c| c.running)),
            ));
            pending.push(Sample::new(
                labels,
                f64::from(counts.map_or(0, |c| c.pending)),
            ));
            for deployment in &record.deployments {
                let state = service
                    .and_then(|s| s.deployments.get(&deployment.id))
                    .map_or(RolloutState::InProgress, |p| p.rollout_state);
                let word = match state {
                    RolloutState::InProgress => "IN_PROGRESS",
                    RolloutState::Completed => "COMPLETED",
                    RolloutState::Failed => "FAILED",
                };
                *deployments
                    .entry((cluster.clone(), name.clone(), word))
                    .or_default() += 1;
            }
        }
    }
    out.family(
        "ecsctl_service_desired_tasks",
        "Tasks a service should run (its desired count).",
        Type::Gauge,
        desired,
    );
    out.family(
        "ecsctl_service_running_tasks",
        "Tasks of a service that are RUNNING, as the reconciler last counted.",
        Type::Gauge,
        running,
    );
    out.family(
        "ecsctl_service_pending_tasks",
        "Tasks of a service that are starting (PENDING).",
        Type::Gauge,
        pending,
    );
    out.family(
        "ecsctl_service_deployments",
        "Active deployments of a service by rollout state.",
        Type::Gauge,
        deployments
            .into_iter()
            .map(|((cluster, service, state), n)| {
                let mut labels = service_labels(&cluster, &service);
                labels.push(("rollout_state", state.to_string()));
                Sample::new(labels, f64::from(n))
            })
            .collect(),
    );
}

fn reconciler(live: &LiveCounts, holder: &str, out: &mut Exposition) {
    let by_cluster =
        |name: &str, value: f64| Sample::new(vec![("cluster", name.to_string())], value);
    out.family(
        "ecsctl_reconcile_passes_total",
        "Reconcile passes this watch ran.",
        Type::Counter,
        live.passes
            .iter()
            .map(|(c, p)| by_cluster(c, p.count as f64))
            .collect(),
    );
    out.family(
        "ecsctl_reconcile_pass_seconds_total",
        "Time spent in reconcile passes.",
        Type::Counter,
        live.passes
            .iter()
            .map(|(c, p)| by_cluster(c, p.seconds_total))
            .collect(),
    );
    out.family(
        "ecsctl_reconcile_last_pass_seconds",
        "How long the last reconcile pass took.",
        Type::Gauge,
        live.passes
            .iter()
            .map(|(c, p)| by_cluster(c, p.last_seconds))
            .collect(),
    );
    out.family(
        "ecsctl_reconcile_errors_total",
        "Reconcile passes that failed (retried with backoff).",
        Type::Counter,
        live.errors
            .iter()
            .map(|(c, n)| by_cluster(c, *n as f64))
            .collect(),
    );
    out.family(
        "ecsctl_host_up",
        "Whether a host answered the last reconcile pass (1) or not (0).",
        Type::Gauge,
        live.hosts
            .iter()
            .map(|((cluster, host), up)| {
                Sample::new(
                    vec![("cluster", cluster.clone()), ("host", host.clone())],
                    if *up { 1.0 } else { 0.0 },
                )
            })
            .collect(),
    );
    out.family(
        "ecsctl_lease_held",
        "The reconciler lease of a cluster, held by this watch.",
        Type::Gauge,
        live.leases
            .iter()
            .map(|c| {
                Sample::new(
                    vec![("cluster", c.clone()), ("holder", holder.to_string())],
                    1.0,
                )
            })
            .collect(),
    );
    out.family(
        "ecsctl_events_total",
        "Service events this watch told.",
        Type::Counter,
        live.events
            .iter()
            .map(|(c, n)| by_cluster(c, *n as f64))
            .collect(),
    );
    out.family(
        "ecsctl_apply_failures_total",
        "Applies of the manifests that failed.",
        Type::Counter,
        vec![Sample::new(vec![], live.apply_failures as f64)],
    );
}

fn sync(session: &Session, state: &State, out: &mut Exposition) -> anyhow::Result<()> {
    let Some(record) = session.store.read_sync(&state.lineage)? else {
        return Ok(());
    };
    out.family(
        "ecsctl_sync_status",
        "The Git sync status (1 for the current one).",
        Type::Gauge,
        [
            SyncStatus::Synced,
            SyncStatus::OutOfSync,
            SyncStatus::Unknown,
        ]
        .into_iter()
        .map(|s| {
            Sample::new(
                vec![("status", s.as_str().to_string())],
                if s == record.status { 1.0 } else { 0.0 },
            )
        })
        .collect(),
    );
    out.family(
        "ecsctl_sync_applied_commit_info",
        "The commit the state holds.",
        Type::Gauge,
        record
            .applied
            .iter()
            .map(|a| Sample::new(vec![("commit", a.commit.id.clone())], 1.0))
            .collect(),
    );
    out.family(
        "ecsctl_sync_last_fetch_timestamp_seconds",
        "When the repository was last fetched.",
        Type::Gauge,
        record
            .last_fetch
            .iter()
            .map(|t| Sample::new(vec![], t.unix_millis() as f64 / 1000.0))
            .collect(),
    );
    out.family(
        "ecsctl_sync_failing",
        "Whether the last fetch or sync failed (1) or not (0).",
        Type::Gauge,
        vec![Sample::new(
            vec![],
            if record.last_error.is_some() {
                1.0
            } else {
                0.0
            },
        )],
    );
    Ok(())
}
