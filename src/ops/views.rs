//! What the state records, as views for every front end: clusters, task definitions (one
//! row per family, or every revision of one), services with their last counts, one service
//! with its deployments and events, one task definition revision, and the events.

use serde::Serialize;

use super::error::OpsResult;
use super::resolve;
use super::session::Session;
use crate::model::ecs::TaskDefinitionSpec;
pub use crate::registry::RegistryUse;
use crate::schedule::pools::Providers;
use crate::state::{
    Event, Revision, RevisionStatus, RolloutState, Runtime, ServiceRecord, ServiceRuntime,
    ServiceStatus, State,
};
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

/// The clusters that exist as ECS sees them: those recorded (a Cluster manifest) and those
/// with services. The embedded `default` (the local daemon) is there when something uses it,
/// so it is gone once a delete forgot it and nothing runs in it.
pub fn clusters(state: &State, only: Option<&str>) -> OpsResult<Vec<ClusterView>> {
    if let Some(name) = only {
        resolve::cluster(state, name)?;
    }
    let mut names: std::collections::BTreeSet<&String> = state.clusters.keys().collect();
    names.extend(
        state
            .services
            .iter()
            .filter(|(_, s)| !s.is_empty())
            .map(|(c, _)| c),
    );
    Ok(names
        .into_iter()
        .filter(|name| only.is_none_or(|c| c == name.as_str()))
        .map(|name| ClusterView {
            hosts: state.cluster_spec(name).map_or(0, |s| s.hosts.len()),
            services: state.services.get(name).map_or(0, |s| s.len()),
            status: "ACTIVE",
            name: name.clone(),
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
/// Where each container of a task definition would get its pull credentials, read from the
/// Docker config of the user running ecsctl (a broken config reads as none).
pub fn registry_credentials(spec: &TaskDefinitionSpec) -> Vec<RegistryUse> {
    let config = crate::controller::registry_auth::load_config(&|n| std::env::var(n).ok())
        .ok()
        .flatten();
    crate::registry::uses(&spec.container_definitions, config.as_ref())
}

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
    /// The capacity provider strategy it places with (its own or the cluster's default),
    /// with the tasks of each provider.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub capacity_providers: Vec<ProviderSplit>,
    pub deployments: usize,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// One item of a service's capacity provider strategy and its tasks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProviderSplit {
    pub capacity_provider: String,
    pub base: u32,
    pub weight: u32,
    /// Active tasks on the provider's hosts, as the reconciler last counted them.
    pub tasks: u32,
    /// What the split gives the provider for the desired count.
    pub target: u32,
}

/// The strategy a service places with, item by item, with its tasks and its share of the
/// desired count (the split of [`crate::schedule::capacity`]).
pub fn capacity_split(
    state: &State,
    cluster: &str,
    record: &ServiceRecord,
    runtime: Option<&ServiceRuntime>,
) -> Vec<ProviderSplit> {
    let providers = Providers::of(&state.cluster_spec(cluster).unwrap_or_default());
    let strategy = providers.service_strategy(&record.spec);
    let targets = strategy.split(record.desired_count);
    strategy
        .items()
        .iter()
        .zip(targets)
        .map(|(item, target)| ProviderSplit {
            capacity_provider: item.provider.clone(),
            base: item.base,
            weight: item.weight,
            tasks: runtime
                .and_then(|r| r.capacity_providers.get(&item.provider).copied())
                .unwrap_or(0),
            target,
        })
        .collect()
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
        let service_runtime = runtimes.get(c).and_then(|r| r.services.get(n));
        let counts = service_runtime.and_then(|s| s.counts);
        views.push(ServiceView {
            cluster: c.to_string(),
            name: n.to_string(),
            status: record.status,
            task_definition: record.task_definition.to_string(),
            desired_count: record.desired_count,
            running_count: counts.map(|c| c.running),
            pending_count: counts.map(|c| c.pending + c.unplaced),
            scheduling_strategy: record.effective().scheduling_strategy.to_string(),
            capacity_providers: capacity_split(state, c, record, service_runtime),
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
    /// Tasks per capacity provider of its strategy (see [`capacity_split`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub capacity_providers: Vec<ProviderSplit>,
    pub deployment_states: Vec<DeploymentState>,
    /// Drift the reconciler saw on the hosts and that is still there, oldest first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub drift: Vec<DriftView>,
    pub events: Vec<Event>,
}

/// One drift item of a service as the reconciler recorded it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DriftView {
    pub message: String,
    pub since: crate::time::Timestamp,
    pub corrected: bool,
}

/// A service's recorded drift, oldest first.
pub fn drift_views(service: &crate::state::ServiceRuntime) -> Vec<DriftView> {
    let mut drift: Vec<DriftView> = service
        .drift
        .iter()
        .map(|(message, r)| DriftView {
            message: message.clone(),
            since: r.since,
            corrected: r.corrected,
        })
        .collect();
    drift.sort_by(|a, b| (a.since, &a.message).cmp(&(b.since, &b.message)));
    drift
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentState {
    pub id: String,
    /// ECS's: PRIMARY (the newest), ACTIVE (an older one that may still have tasks: the
    /// primary has not completed), INACTIVE (drained).
    pub status: &'static str,
    pub task_definition: String,
    /// Absent for an old deployment whose progress is no longer recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollout_state: Option<RolloutState>,
    pub failed_tasks: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Each deployment once (a rollback returns to an earlier deployment's id), newest first,
/// with ECS's statuses: while the primary rolls out, the deployments back to the newest one
/// that completed may still have tasks (ACTIVE); once it completed, the others are drained.
fn deployment_states(
    record: &ServiceRecord,
    runtime: &Runtime,
    name: &str,
) -> Vec<DeploymentState> {
    let progress = runtime.services.get(name);
    let progress_of = |id: &str| progress.and_then(|p| p.deployments.get(id));
    let mut seen = std::collections::BTreeSet::new();
    let mut states = Vec::new();
    let mut older_are_drained = false;
    for (i, d) in record.deployments.iter().enumerate() {
        if !seen.insert(d.id.as_str()) {
            continue;
        }
        let p = progress_of(&d.id);
        let rollout_state = match (i, p) {
            (_, Some(p)) => Some(p.rollout_state),
            (0, None) => Some(RolloutState::InProgress),
            (_, None) => None,
        };
        let status = if i == 0 {
            "PRIMARY"
        } else if older_are_drained {
            "INACTIVE"
        } else {
            "ACTIVE"
        };
        // Below a completed deployment nothing runs any more.
        if rollout_state == Some(RolloutState::Completed) || rollout_state.is_none() {
            older_are_drained = true;
        }
        states.push(DeploymentState {
            id: d.id.clone(),
            status,
            task_definition: d.task_definition.to_string(),
            rollout_state,
            failed_tasks: p.map_or(0, |p| p.failed_tasks),
            reason: p.and_then(|p| p.rollout_state_reason.clone()),
        });
    }
    states
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
    let drift = runtime
        .services
        .get(name)
        .map(drift_views)
        .unwrap_or_default();
    Ok(ServiceDescription {
        drift,
        capacity_providers: capacity_split(state, &cluster, record, runtime.services.get(name)),
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
    /// Empty for a scheduled task's event.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub service: String,
    /// The scheduled task an event is about (its runs, skips, misses).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheduled_task: Option<String>,
    pub id: String,
    pub created_at: Timestamp,
    pub message: String,
}

/// Events of every service and scheduled task (or of one cluster, or of one `(cluster,
/// service)`), oldest first.
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
                scheduled_task: None,
                id: e.id.clone(),
                created_at: e.created_at,
                message: e.message.clone(),
            }));
        }
        if service.is_some() {
            continue;
        }
        for (task, record) in &runtime.scheduled_tasks {
            events.extend(record.events.iter().map(|e| EventView {
                cluster: name.clone(),
                service: String::new(),
                scheduled_task: Some(task.clone()),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::names::TaskDefRef;
    use crate::state::{Deployment, DeploymentProgress, ServiceRuntime};

    fn record(ids: &[(&str, u32)]) -> ServiceRecord {
        let at = Timestamp::from_unix_millis(1);
        ServiceRecord {
            spec: Default::default(),
            task_definition: TaskDefRef::pinned("web", ids[0].1),
            desired_count: 2,
            status: ServiceStatus::Active,
            deployments: ids
                .iter()
                .map(|(id, rev)| Deployment {
                    id: id.to_string(),
                    task_definition: TaskDefRef::pinned("web", *rev),
                    created_at: at,
                    reason: String::new(),
                })
                .collect(),
            created_at: at,
            updated_at: at,
        }
    }

    fn runtime(states: &[(&str, RolloutState)]) -> Runtime {
        let mut service = ServiceRuntime::default();
        for (id, state) in states {
            let mut p = DeploymentProgress::in_progress(Timestamp::from_unix_millis(1));
            p.rollout_state = *state;
            service.deployments.insert(id.to_string(), p);
        }
        let mut runtime = Runtime::default();
        runtime.services.insert("web".into(), service);
        runtime
    }

    fn statuses(states: &[DeploymentState]) -> Vec<(&str, &str)> {
        states.iter().map(|s| (s.id.as_str(), s.status)).collect()
    }

    #[test]
    fn each_deployment_once_with_ecs_statuses() {
        use RolloutState::*;
        // Rolling out d3 over d2 (completed earlier): d2 still has tasks, d1 is drained.
        let rec = record(&[("d3", 3), ("d2", 2), ("d1", 1)]);
        let rt = runtime(&[("d3", InProgress), ("d2", Completed), ("d1", Completed)]);
        assert_eq!(
            statuses(&deployment_states(&rec, &rt, "web")),
            [("d3", "PRIMARY"), ("d2", "ACTIVE"), ("d1", "INACTIVE")]
        );
        // Once d3 completed, every other one is drained.
        let rt = runtime(&[("d3", Completed), ("d2", Completed)]);
        assert_eq!(
            statuses(&deployment_states(&rec, &rt, "web")),
            [("d3", "PRIMARY"), ("d2", "INACTIVE"), ("d1", "INACTIVE")]
        );
        // A rollback returns to d1's id: it appears once, as PRIMARY.
        let rec = record(&[("d1", 1), ("d2", 2), ("d1", 1)]);
        let rt = runtime(&[("d1", InProgress), ("d2", Failed)]);
        let states = deployment_states(&rec, &rt, "web");
        assert_eq!(statuses(&states), [("d1", "PRIMARY"), ("d2", "ACTIVE")]);
        assert_eq!(states[1].rollout_state, Some(Failed));
        // Never recorded: the primary is in progress; an old one has no state to show.
        let rec = record(&[("d2", 2), ("d1", 1)]);
        let states = deployment_states(&rec, &Runtime::default(), "web");
        assert_eq!(states[0].rollout_state, Some(InProgress));
        assert_eq!(states[1].rollout_state, None);
    }
}
