//! The hosts of a cluster: `get hosts` (registered and remaining capacity, running tasks,
//! attributes, status, last contact) and `drain`/`undrain`.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use super::apply::{Expectations, record_events};
use super::error::{OpsError, OpsResult};
use super::resolve;
use super::session::Session;
use super::tasks::{Unanswered, observe_clusters};
use crate::model::cluster::{ClusterSpec, Endpoint};
use crate::reconcile::converge::Expect;
use crate::reconcile::task::TaskStatus;
use crate::state::{ClusterRecord, ServiceStatus, State};
use crate::time::Timestamp;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HostView {
    pub cluster: String,
    pub name: String,
    pub endpoint: String,
    /// ACTIVE, DRAINING or UNREACHABLE.
    pub status: &'static str,
    pub attributes: BTreeMap<String, String>,
    /// Cpu units (1024 per core) and MiB the host offers: the manifest's, else Docker's.
    pub registered_cpu: Option<i64>,
    pub registered_memory: Option<i64>,
    pub remaining_cpu: Option<i64>,
    pub remaining_memory: Option<i64>,
    pub running_tasks: u32,
    pub last_contact: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub docker_version: Option<String>,
}

/// Every host of every cluster (or one), asked now, and those that did not answer.
pub async fn list(
    session: &Session,
    state: &State,
    only: Option<&str>,
) -> OpsResult<(Vec<HostView>, Vec<Unanswered>)> {
    let observations = observe_clusters(session, state, only).await?;
    let now = Timestamp::now();
    let mut out = Vec::new();
    let mut unanswered = Vec::new();
    for (cluster, observation) in observations {
        let spec = state.cluster_spec(&cluster).unwrap_or_default();
        let runtime = session.store.read_runtime(&cluster)?;
        let draining = state
            .clusters
            .get(&cluster)
            .map(|c| c.draining_hosts.clone())
            .unwrap_or_default();
        let used = observation.usage(state);
        for host in &spec.hosts {
            let name = host.name.clone().unwrap_or_default();
            let connected = observation.hosts.iter().find(|c| c.name == name);
            let failure = observation
                .failures
                .iter()
                .find(|(h, _)| *h == name)
                .map(|(_, e)| e.clone());
            let answering = connected.is_some_and(|c| c.host.is_some()) && failure.is_none();
            if let Some(error) = &failure {
                unanswered.push(Unanswered {
                    cluster: cluster.clone(),
                    host: name.clone(),
                    error: error.clone(),
                });
            }
            let info = connected.and_then(|c| c.info.as_ref());
            let configured = host.capacity.as_ref();
            let registered_cpu = configured
                .and_then(|c| c.cpu)
                .or(info.map(|i| i.cpus * 1024));
            let registered_memory = configured
                .and_then(|c| c.memory)
                .or(info.map(|i| i.memory_mib));
            let u = used.get(&name).cloned().unwrap_or_default();
            let recorded = runtime.hosts.get(&name);
            out.push(HostView {
                cluster: cluster.clone(),
                status: if !answering {
                    "UNREACHABLE"
                } else if draining.contains(&name) {
                    "DRAINING"
                } else {
                    "ACTIVE"
                },
                endpoint: host
                    .endpoint
                    .as_deref()
                    .and_then(|e| Endpoint::parse(e).ok())
                    .map_or_else(String::new, |e| e.to_string()),
                attributes: host.attributes.clone(),
                registered_cpu,
                registered_memory,
                remaining_cpu: registered_cpu.map(|c| c - u.cpu),
                remaining_memory: registered_memory.map(|m| m - u.memory),
                running_tasks: observation
                    .tasks
                    .iter()
                    .filter(|t| t.task.host == name && t.state.last_status == TaskStatus::Running)
                    .count() as u32,
                last_contact: if answering {
                    Some(now)
                } else {
                    recorded.and_then(|r| r.last_contact)
                },
                error: failure,
                docker_version: info.map(|i| i.server_version.clone()),
                name,
            });
        }
    }
    Ok((out, unanswered))
}

/// A host set to DRAINING or back to ACTIVE.
pub struct Drained {
    pub cluster: String,
    /// False when the host already had that status (nothing was written).
    pub changed: bool,
    pub message: String,
    pub at: Timestamp,
    pub expectations: Expectations,
}

/// `drain` (`draining` true) or `undrain` a host: its tasks are started elsewhere, then
/// stopped; every active service of its cluster must be steady again.
pub fn set_draining(
    session: &Session,
    host: &str,
    cluster: Option<&str>,
    draining: bool,
    lock_timeout: Duration,
) -> OpsResult<Drained> {
    let store = &session.store;
    let lock = store.lock_state(lock_timeout)?;
    let Some(mut state) = store.read_state()? else {
        return Err(OpsError::not_found(
            super::ObjectKind::Host,
            host,
            resolve::place(cluster),
        ));
    };
    let cluster = resolve::host_cluster(&state, host, cluster)?;
    let now = Timestamp::now();
    let spec = state
        .cluster_spec(&cluster)
        .unwrap_or_else(ClusterSpec::embedded_default);
    let record = state
        .clusters
        .entry(cluster.clone())
        .or_insert_with(|| ClusterRecord::new(spec, now));
    let changed = if draining {
        record.draining_hosts.insert(host.to_string())
    } else {
        record.draining_hosts.remove(host)
    };
    if changed {
        record.updated_at = now;
        state.serial += 1;
        store.write_state(&state, &lock)?;
    }
    drop(lock);
    let services: Vec<String> = state
        .services
        .get(&cluster)
        .map(|s| {
            s.iter()
                .filter(|(_, r)| r.status == ServiceStatus::Active)
                .map(|(n, _)| n.clone())
                .collect()
        })
        .unwrap_or_default();
    let message = match (changed, draining) {
        (false, true) => format!("host `{host}` is already DRAINING"),
        (false, false) => format!("host `{host}` is already ACTIVE"),
        (true, true) => {
            format!("host `{host}` is DRAINING: its tasks are replaced elsewhere, then stopped.")
        }
        (true, false) => format!("host `{host}` is ACTIVE again."),
    };
    if changed {
        let events = services
            .iter()
            .map(|s| {
                (
                    cluster.clone(),
                    s.clone(),
                    format!("(service {s}) {message}"),
                )
            })
            .collect();
        record_events(store, &state, events)?;
    }
    let mut expectations = Expectations::new();
    expectations.insert(
        cluster.clone(),
        services.into_iter().map(|s| (s, Expect::Steady)).collect(),
    );
    Ok(Drained {
        cluster,
        changed,
        message,
        at: now,
        expectations,
    })
}
