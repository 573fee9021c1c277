//! What the state records, as views for every front end: clusters, task definitions (one
//! row per family, or every revision of one), services with their last counts, one service
//! with its deployments and events, one task definition revision, and the events.

use serde::Serialize;

use super::error::OpsResult;
use super::resolve;
use super::session::Session;
use crate::state::{Event, Revision, RevisionStatus, Runtime, ServiceRecord, ServiceStatus, State};
use crate::time::Timestamp;

/// The serde name of a value (an enum's `IN_PROGRESS`), for text output that must say what
/// JSON output says.
pub fn serde_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterView {
    pub name: String,
    pub status: &'static str,
    pub hosts: usize,
    pub services: usize,
}

pub fn clusters(state: &State, only: Option<&str>) -> OpsResult<Vec<ClusterView>> {
    if let Some(name) = only {
        resolve::cluster(state, name)?;
    }
    Ok(state
        .cluster_names()
        .into_iter()
        .filter(|name| only.is_none_or(|c| c == name))
        .map(|name| ClusterView {
            hosts: state.cluster_spec(&name).map_or(0, |s| s.hosts.len()),
            services: state.services.get(&name).map_or(0, |s| s.len()),
            status: "ACTIVE",
            name,
        })
        .collect())
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskDefinitionView {
    pub family: String,
    pub revision: u32,
    pub status: RevisionStatus,
    pub revisions: usize,
    pub network_mode: String,
    pub cpu: Option<String>,
    pub memory: Option<String>,
    pub containers: Vec<String>,
    pub images: Vec<String>,
    pub registered_at: Timestamp,
}

fn task_definition_view(family: &str, revisions: usize, revision: &Revision) -> TaskDefinitionView {
    let spec = &revision.spec;
    TaskDefinitionView {
        family: family.to_string(),
        revision: revision.revision,
        status: revision.status,
        revisions,
        network_mode: revision.effective().network_mode.to_string(),
        cpu: spec.cpu.clone(),
        memory: spec.memory.clone(),
        containers: spec
            .container_definitions
            .iter()
            .filter_map(|c| c.name.clone())
            .collect(),
        images: spec
            .container_definitions
            .iter()
            .filter_map(|c| c.image.clone())
            .collect(),
        registered_at: revision.registered_at,
    }
}

/// One row per family (its newest ACTIVE revision, else its newest); with `family`, every
/// revision of that family, newest first (kubectl's `get TYPE NAME`).
pub fn task_definitions(state: &State, family: Option<&str>) -> OpsResult<Vec<TaskDefinitionView>> {
    if let Some(name) = family {
        let record = resolve::family(state, name)?;
        let count = record.revisions.len();
        return Ok(record
            .revisions
            .iter()
            .rev()
            .map(|r| task_definition_view(name, count, r))
            .collect());
    }
    Ok(state
        .task_definitions
        .iter()
        .filter_map(|(family, record)| {
            let revision = record.latest_active().or(record.latest())?;
            Some(task_definition_view(
                family,
                record.revisions.len(),
                revision,
            ))
        })
        .collect())
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceView {
    pub cluster: String,
    pub name: String,
    pub status: ServiceStatus,
    pub task_definition: String,
    pub desired_count: u32,
    /// As the reconciler last saw them (absent before any reconcile).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub running_count: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending_count: Option<u32>,
    pub scheduling_strategy: String,
    pub deployments: usize,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Services of every cluster (or one; or one service by name), with the counts their
/// reconciler last recorded.
pub fn services(
    session: &Session,
    state: &State,
    cluster: Option<&str>,
    name: Option<&str>,
) -> OpsResult<Vec<ServiceView>> {
    if let Some(cluster) = cluster {
        resolve::cluster(state, cluster)?;
    }
    if let Some(name) = name {
        resolve::service(state, name, cluster).map(|_| ())?;
    }
    let mut views = Vec::new();
    let mut runtimes: std::collections::BTreeMap<String, Runtime> = Default::default();
    for (c, n, record) in state.all_services() {
        if cluster.is_some_and(|only| only != c) || name.is_some_and(|only| only != n) {
            continue;
        }
        if !runtimes.contains_key(c) {
            runtimes.insert(c.to_string(), session.store.read_runtime(c)?);
        }
        let counts = runtimes
            .get(c)
            .and_then(|r| r.services.get(n))
            .and_then(|s| s.counts);
        views.push(ServiceView {
            cluster: c.to_string(),
            name: n.to_string(),
            status: record.status,
            task_definition: record.task_definition.to_string(),
            desired_count: record.desired_count,
            running_count: counts.map(|c| c.running),
            pending_count: counts.map(|c| c.pending + c.unplaced),
            scheduling_strategy: record.effective().scheduling_strategy.to_string(),
            deployments: record.deployments.len(),
            created_at: record.created_at,
            updated_at: record.updated_at,
        });
    }
    Ok(views)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceDescription {
    pub cluster: String,
    pub name: String,
    #[serde(flatten)]
    pub record: ServiceRecord,
    pub deployment_states: Vec<DeploymentState>,
    pub events: Vec<Event>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentState {
    pub id: String,
    pub status: &'static str,
    pub task_definition: String,
    pub rollout_state: crate::state::RolloutState,
    pub failed_tasks: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

fn deployment_states(
    record: &ServiceRecord,
    runtime: &Runtime,
    name: &str,
) -> Vec<DeploymentState> {
    let progress = runtime.services.get(name);
    record
        .deployments
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let p = progress.and_then(|p| p.deployments.get(&d.id));
            DeploymentState {
                id: d.id.clone(),
                status: if i == 0 { "PRIMARY" } else { "ACTIVE" },
                task_definition: d.task_definition.to_string(),
                rollout_state: p
                    .map_or(crate::state::RolloutState::InProgress, |p| p.rollout_state),
                failed_tasks: p.map_or(0, |p| p.failed_tasks),
                reason: p.and_then(|p| p.rollout_state_reason.clone()),
            }
        })
        .collect()
}

/// `describe service NAME`.
pub fn describe_service(
    session: &Session,
    state: &State,
    name: &str,
    cluster: Option<&str>,
) -> OpsResult<ServiceDescription> {
    let (cluster, record) = resolve::service(state, name, cluster)?;
    let runtime = session.store.read_runtime(&cluster)?;
    let events = runtime
        .services
        .get(name)
        .map(|s| s.events.iter().cloned().collect())
        .unwrap_or_default();
    Ok(ServiceDescription {
        deployment_states: deployment_states(record, &runtime, name),
        cluster,
        name: name.to_string(),
        record: record.clone(),
        events,
    })
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EventView {
    pub cluster: String,
    pub service: String,
    pub id: String,
    pub created_at: Timestamp,
    pub message: String,
}

/// Events of every service (or of one cluster, or one `(cluster, service)`), oldest first.
pub fn events(
    session: &Session,
    state: &State,
    cluster: Option<&str>,
    service: Option<&(String, String)>,
) -> OpsResult<Vec<EventView>> {
    let mut events = Vec::new();
    for name in state.cluster_names() {
        if cluster.is_some_and(|c| c != name) || service.is_some_and(|(c, _)| *c != name) {
            continue;
        }
        let runtime = session.store.read_runtime(&name)?;
        for (svc, record) in &runtime.services {
            if service.is_some_and(|(_, s)| s != svc) {
                continue;
            }
            events.extend(record.events.iter().map(|e| EventView {
                cluster: name.clone(),
                service: svc.clone(),
                id: e.id.clone(),
                created_at: e.created_at,
                message: e.message.clone(),
            }));
        }
    }
    events
        .sort_by(|a, b| (a.created_at, &a.cluster, &a.id).cmp(&(b.created_at, &b.cluster, &b.id)));
    Ok(events)
}
