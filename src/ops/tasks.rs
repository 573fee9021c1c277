//! The tasks as they are on the hosts: listing (`get tasks`), one task (`describe task`), the
//! tasks a target names with the hosts' connections (`logs`, `exec`), and their resource usage
//! (`top`, `get tasks -o wide`). Hosts that do not answer are reported in the result, never
//! printed: the front end decides how to show them (and the CLI exits 1).

use std::collections::BTreeMap;

use super::error::{OpsError, OpsResult};
use super::resolve;
use super::session::Session;
use super::target::Target;
use crate::controller::inspect::{self, ClusterObservation, TaskView};
use crate::docker::exec::{Usage, stats};
use crate::reconcile::task::TaskStatus;
use crate::state::State;

/// A host that did not answer, so its tasks are left out.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Unanswered {
    pub cluster: String,
    pub host: String,
    pub error: String,
}

fn unanswered(cluster: &str, observation: &ClusterObservation) -> Vec<Unanswered> {
    observation
        .failures
        .iter()
        .map(|(host, error)| Unanswered {
            cluster: cluster.to_string(),
            host: host.clone(),
            error: error.clone(),
        })
        .collect()
}

/// Every cluster of the state (or one), observed now.
pub async fn observe_clusters(
    session: &Session,
    state: &State,
    only: Option<&str>,
) -> OpsResult<Vec<(String, ClusterObservation)>> {
    if let Some(cluster) = only {
        resolve::cluster(state, cluster)?;
    }
    let mut all = Vec::new();
    for name in state.cluster_names() {
        if only.is_some_and(|c| c != name) {
            continue;
        }
        let runtime = session.store.read_runtime(&name)?;
        let observation = inspect::observe(state, &runtime, &name, &session.transport).await?;
        all.push((name, observation));
    }
    Ok(all)
}

/// Tasks with the cluster they are in; usage per task id when asked for.
pub struct TaskListing {
    pub tasks: Vec<(String, TaskView)>,
    pub usage: BTreeMap<String, Usage>,
    pub unanswered: Vec<Unanswered>,
}

/// `get tasks [--cluster C] [--service S]`.
pub async fn list(
    session: &Session,
    state: &State,
    cluster: Option<&str>,
    service: Option<&str>,
    with_usage: bool,
) -> OpsResult<TaskListing> {
    if let Some(name) = service {
        resolve::service(state, name, cluster)?;
    }
    let observations = observe_clusters(session, state, cluster).await?;
    let mut listing = TaskListing {
        tasks: Vec::new(),
        usage: BTreeMap::new(),
        unanswered: Vec::new(),
    };
    for (name, observation) in observations {
        listing.unanswered.extend(unanswered(&name, &observation));
        if with_usage {
            listing.usage.extend(usage(&observation).await);
        }
        listing.tasks.extend(
            observation
                .tasks
                .into_iter()
                .filter(|t| service.is_none_or(|s| t.service() == Some(s)))
                .map(|t| (name.clone(), t)),
        );
    }
    Ok(listing)
}

/// `describe task ID`: one task by id or unambiguous prefix.
pub async fn describe(
    session: &Session,
    state: &State,
    id: &str,
    cluster: Option<&str>,
) -> OpsResult<(String, TaskView, Vec<Unanswered>)> {
    let mut listing = list(session, state, cluster, None, false).await?;
    let found = resolve::task_prefix(
        listing.tasks.iter().map(|(_, t)| t.task.id.as_str()),
        id,
        cluster,
    );
    match found {
        Ok(i) => {
            let (cluster, view) = listing.tasks.swap_remove(i);
            Ok((cluster, view, listing.unanswered))
        }
        // A task on a host that did not answer may exist: say so rather than "no task".
        Err(OpsError::NotFound { .. }) if !listing.unanswered.is_empty() => {
            let hosts: Vec<String> = listing.unanswered.iter().map(|u| u.host.clone()).collect();
            Err(OpsError::HostUnreachable {
                host: hosts.join(", "),
                error: format!("no task `{id}` on the hosts that answered"),
            })
        }
        Err(e @ OpsError::NotFound { .. }) => match aged_out(session, state, id, cluster)? {
            Some(gone) => Err(gone),
            None => Err(e),
        },
        Err(e) => Err(e),
    }
}

/// A task that is no longer on its host but that the service events name: it stopped, and its
/// containers were removed after the retention (or beyond the newest stopped tasks kept per
/// service). Says so, with the last event that names it, instead of "no task".
fn aged_out(
    session: &Session,
    state: &State,
    id: &str,
    cluster: Option<&str>,
) -> OpsResult<Option<OpsError>> {
    let id = id.strip_prefix("task/").unwrap_or(id);
    if id.len() < 4 {
        return Ok(None);
    }
    let events = super::views::events(session, state, cluster, None)?;
    let named = |message: &str| {
        message.split("(task ").skip(1).any(|rest| {
            let short = rest.split(')').next().unwrap_or_default();
            !short.is_empty() && (short.starts_with(id) || id.starts_with(short))
        })
    };
    Ok(events.iter().rev().find(|e| named(&e.message)).map(|e| {
        OpsError::Invalid(format!(
            "task `{id}` is gone: it stopped and its containers were removed (stopped tasks are kept for the reconcilers' --task-retention, at most --max-stopped-tasks per service); the last event that names it, {}: {}",
            e.created_at, e.message
        ))
    }))
}

/// The tasks a target names, with the observation that holds their hosts' connections.
pub struct Selection {
    pub cluster: String,
    pub observation: ClusterObservation,
    /// Indexes into `observation.tasks`.
    pub tasks: Vec<usize>,
    /// The service named, if the target was one.
    pub service: Option<String>,
    pub unanswered: Vec<Unanswered>,
}

impl Selection {
    pub fn tasks(&self) -> impl Iterator<Item = &TaskView> {
        self.tasks.iter().map(|i| &self.observation.tasks[*i])
    }
}

/// Observes the cluster(s) the target lives in and picks its tasks (`logs`, `exec`).
pub async fn select(
    session: &Session,
    state: &State,
    target: &Target,
    cluster: Option<&str>,
) -> OpsResult<Selection> {
    match target {
        Target::Service(name) => {
            let (cluster, _) = resolve::service(state, name, cluster)?;
            let mut observations = observe_clusters(session, state, Some(&cluster)).await?;
            let Some((cluster, observation)) = observations.pop() else {
                return Err(OpsError::not_found(
                    super::ObjectKind::Cluster,
                    &cluster,
                    "in the state",
                ));
            };
            let tasks = observation
                .tasks
                .iter()
                .enumerate()
                .filter(|(_, t)| t.service() == Some(name.as_str()))
                .map(|(i, _)| i)
                .collect();
            Ok(Selection {
                unanswered: unanswered(&cluster, &observation),
                cluster,
                observation,
                tasks,
                service: Some(name.clone()),
            })
        }
        Target::Task(id) => {
            let observations = observe_clusters(session, state, cluster).await?;
            let all_unanswered: Vec<Unanswered> = observations
                .iter()
                .flat_map(|(c, o)| unanswered(c, o))
                .collect();
            let ids: Vec<(usize, usize, &str)> = observations
                .iter()
                .enumerate()
                .flat_map(|(ci, (_, o))| {
                    o.tasks
                        .iter()
                        .enumerate()
                        .map(move |(ti, t)| (ci, ti, t.task.id.as_str()))
                })
                .collect();
            let single_cluster = observations.len() == 1;
            let place = if single_cluster {
                observations.first().map(|(c, _)| c.as_str())
            } else {
                cluster
            };
            let found = resolve::task_prefix(ids.iter().map(|(_, _, id)| *id), id, place)?;
            let (ci, ti, _) = ids[found];
            let mut observations = observations;
            let (cluster, observation) = observations.swap_remove(ci);
            Ok(Selection {
                cluster,
                observation,
                tasks: vec![ti],
                service: None,
                unanswered: all_unanswered,
            })
        }
    }
}

/// Usage per task id: the sum over its running containers. Docker has no bulk stats call:
/// each running container is sampled once, all at the same time, over each host's single
/// connection.
pub async fn usage(observation: &ClusterObservation) -> BTreeMap<String, Usage> {
    let work = observation
        .tasks
        .iter()
        .filter(|t| t.state.last_status != TaskStatus::Stopped)
        .flat_map(|t| {
            t.task
                .containers
                .iter()
                .filter(|c| c.is_running())
                .map(move |c| (t.task.id.clone(), t.task.host.clone(), c.docker_id.clone()))
        })
        .filter_map(|(task, host, container)| {
            let docker = observation.host(&host)?.docker().clone();
            Some(async move { (task, stats(&docker, &container).await.ok()) })
        });
    let mut out: BTreeMap<String, Usage> = BTreeMap::new();
    for (task, sample) in futures_util::future::join_all(work).await {
        let Some(sample) = sample else { continue };
        let entry = out.entry(task).or_default();
        entry.cpu_percent += sample.cpu_percent;
        entry.memory += sample.memory;
        entry.memory_limit = entry.memory_limit.max(sample.memory_limit);
    }
    out
}

/// One running task's resource usage (`top`).
#[derive(Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TopRow {
    pub task: String,
    pub service: Option<String>,
    pub cluster: String,
    pub host: String,
    pub cpu_percent: f64,
    pub memory_bytes: u64,
    pub memory_limit_bytes: u64,
    pub restarts: i64,
    pub health: crate::reconcile::task::Health,
    pub created_at: crate::time::Timestamp,
}

/// `top`: cpu and memory of every running task (of one cluster, of one service).
pub async fn top(
    session: &Session,
    state: &State,
    cluster: Option<&str>,
    service: Option<&str>,
) -> OpsResult<(Vec<TopRow>, Vec<Unanswered>)> {
    let observations = observe_clusters(session, state, cluster).await?;
    let mut rows = Vec::new();
    let mut missing = Vec::new();
    for (cluster, observation) in &observations {
        missing.extend(unanswered(cluster, observation));
        let used = usage(observation).await;
        for v in &observation.tasks {
            if v.state.last_status == TaskStatus::Stopped
                || service.is_some_and(|s| v.service() != Some(s))
            {
                continue;
            }
            let u = used.get(&v.task.id).copied().unwrap_or_default();
            rows.push(TopRow {
                task: v.task.id.clone(),
                service: v.service().map(str::to_string),
                cluster: cluster.clone(),
                host: v.task.host.clone(),
                cpu_percent: (u.cpu_percent * 10.0).round() / 10.0,
                memory_bytes: u.memory,
                memory_limit_bytes: u.memory_limit,
                restarts: v.task.containers.iter().map(|c| c.restart_count).sum(),
                health: v.state.health,
                created_at: v.task.created_at,
            });
        }
    }
    Ok((rows, missing))
}

/// Where a task's container port is reached from outside: `address:hostPort`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PortView {
    pub task: String,
    pub host: String,
    pub container: String,
    pub container_port: u16,
    pub protocol: String,
    /// The host's address: its SSH endpoint's host, `127.0.0.1` for the local daemon.
    pub address: String,
    pub host_port: u16,
}

/// The address a host's published ports are reached on.
pub fn host_address(state: &State, cluster: &str, host: &str) -> String {
    use crate::model::cluster::Endpoint;
    let endpoint = state
        .cluster_spec(cluster)
        .and_then(|spec| {
            spec.hosts
                .into_iter()
                .find(|h| h.name.as_deref() == Some(host))
        })
        .and_then(|h| h.endpoint)
        .map(|e| Endpoint::parse(&e));
    match endpoint {
        Some(Ok(Endpoint::Ssh { host, .. })) => host,
        _ => "127.0.0.1".to_string(),
    }
}

/// `port service/NAME [PORT]`: the published ports of the target's running tasks (of one
/// container port when given), like `docker port`.
pub async fn ports(
    session: &Session,
    state: &State,
    target: &Target,
    cluster: Option<&str>,
    container_port: Option<u16>,
) -> OpsResult<(Vec<PortView>, Vec<Unanswered>)> {
    let selection = select(session, state, target, cluster).await?;
    let mut out = Vec::new();
    for view in selection.tasks() {
        if view.state.last_status != TaskStatus::Running {
            continue;
        }
        let address = host_address(state, &selection.cluster, &view.task.host);
        for c in view.task.app_containers() {
            for p in &c.ports {
                if container_port.is_some_and(|want| want != p.container_port) {
                    continue;
                }
                out.push(PortView {
                    task: view.task.id.clone(),
                    host: view.task.host.clone(),
                    container: c.name.clone(),
                    container_port: p.container_port,
                    protocol: p.protocol.clone(),
                    address: address.clone(),
                    host_port: p.host_port,
                });
            }
        }
    }
    out.dedup();
    Ok((out, selection.unanswered))
}

/// How long a stopped container gets between SIGTERM and SIGKILL when its definition does not
/// say (`stopTimeout`; ECS's default is 30 s).
const DEFAULT_STOP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// `StopTask`: stops the containers of one task (by id or unambiguous prefix), each with its
/// definition's `stopTimeout`. `reason` is recorded first, where the reconcilers record
/// theirs (the runtime record), so the task shows it as its stopped reason (and a service
/// does not count the stop as a failure); a service's reconciler starts a replacement, as
/// ECS's scheduler does. Returns the task as it was before the stop.
pub async fn stop(
    session: &Session,
    state: &State,
    id: &str,
    cluster: Option<&str>,
    reason: &str,
) -> OpsResult<(String, TaskView)> {
    let (cluster, view, _) = describe(session, state, id, cluster).await?;
    let recorded = crate::state::StopReason::intentional(reason);
    let task_id = view.task.id.clone();
    let group = view.task.group.clone();
    session
        .store
        .update_runtime(&cluster, &state.lineage, move |runtime| match group {
            crate::reconcile::task::TaskGroup::Service(name) => {
                let service = runtime.services.entry(name).or_default();
                service.stop_reasons.entry(task_id).or_insert(recorded);
            }
            crate::reconcile::task::TaskGroup::Standalone(_) => {
                runtime.stop_reasons.entry(task_id).or_insert(recorded);
            }
        })?;
    let observation = inspect::observe(
        state,
        &session.store.read_runtime(&cluster)?,
        &cluster,
        &session.transport,
    )
    .await?;
    let host = observation
        .hosts
        .iter()
        .find(|c| c.name == view.task.host)
        .and_then(|c| c.host.clone())
        .ok_or_else(|| OpsError::HostUnreachable {
            host: view.task.host.clone(),
            error: format!("cannot stop task `{}`", view.task.id),
        })?;
    let spec = state.revision(&view.task.task_definition).map(|r| &r.spec);
    let timeout_of = |name: &str| {
        spec.and_then(|s| {
            s.container_definitions
                .iter()
                .find(|c| c.name.as_deref() == Some(name))
                .and_then(|c| c.stop_timeout)
        })
        .map_or(DEFAULT_STOP_TIMEOUT, |t| {
            std::time::Duration::from_secs(u64::try_from(t).unwrap_or(0))
        })
    };
    let stops = view
        .task
        .containers
        .iter()
        .filter(|c| c.state == crate::reconcile::task::ContainerState::Running)
        .map(|c| host.stop(&c.docker_id, timeout_of(&c.name)));
    for result in futures_util::future::join_all(stops).await {
        result.map_err(OpsError::Other)?;
    }
    Ok((cluster, view))
}
