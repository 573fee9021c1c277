//! Read-only observation of a cluster for the commands that show tasks (`get tasks`,
//! `describe task`, `logs`, `exec`): every host in parallel, each task assessed as the
//! reconciler would. Changes nothing.

use std::sync::Arc;
use std::time::Duration;

use anyhow::anyhow;
use serde::Serialize;

use super::hosts::{self, HostSlot};
use crate::docker::host::DockerHost;
use crate::docker::transport::Transport;
use crate::reconcile::cluster;
use crate::reconcile::service::{HostInfo, HostUsage};
use crate::reconcile::task::{ObservedTask, TaskGroup, TaskState};
use crate::schedule::pools::Providers;
use crate::state::{Runtime, State};
use crate::time::Timestamp;

/// A task with its ECS status and the host it runs on.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskView {
    #[serde(flatten)]
    pub task: ObservedTask,
    #[serde(flatten)]
    pub state: TaskState,
    /// The capacity provider of the task's host, as ECS's `capacityProviderName`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capacity_provider_name: Option<String>,
    /// The task-level cpu and memory of its task definition, as ECS's `cpu` and `memory`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory: Option<String>,
}

impl TaskView {
    pub fn service(&self) -> Option<&str> {
        match &self.task.group {
            TaskGroup::Service(name) => Some(name),
            TaskGroup::Standalone(_) => None,
        }
    }
}

/// A host of the cluster, connected or not.
pub struct Connected {
    pub name: String,
    pub host: Option<Arc<DockerHost>>,
    pub info: Option<crate::docker::host::HostInfo>,
    /// The local path of the host's proxy Runtime API socket.
    pub proxy_admin: Option<String>,
    pub error: Option<String>,
}

/// Connects to every host of `cluster` at once (bounded in time).
pub async fn connect_all(
    state: &State,
    cluster: &str,
    transport: &dyn Transport,
) -> anyhow::Result<Vec<Connected>> {
    let spec = state
        .cluster_spec(cluster)
        .ok_or_else(|| anyhow!("no cluster `{cluster}` in the state"))?;
    let slots: Vec<HostSlot> = spec.hosts.into_iter().map(HostSlot::new).collect();
    let work = slots.iter().map(|slot| async move {
        let result = tokio::time::timeout(
            Duration::from_secs(15),
            hosts::connect(cluster, slot, transport),
        )
        .await;
        match result {
            Ok(Ok(connection)) => Connected {
                name: slot.name.clone(),
                host: Some(connection.docker),
                info: Some(connection.info),
                proxy_admin: Some(connection.proxy_admin),
                error: None,
            },
            Ok(Err(e)) => Connected {
                name: slot.name.clone(),
                host: None,
                info: None,
                proxy_admin: None,
                error: Some(format!("{e:#}")),
            },
            Err(_) => Connected {
                name: slot.name.clone(),
                host: None,
                info: None,
                proxy_admin: None,
                error: Some("no answer within 15 s".into()),
            },
        }
    });
    Ok(futures_util::future::join_all(work).await)
}

/// A cluster as observed right now: its hosts (connected or not) and every task on the hosts
/// that answered, assessed.
pub struct ClusterObservation {
    pub hosts: Vec<Connected>,
    pub tasks: Vec<TaskView>,
    /// Hosts that did not answer, with why.
    pub failures: Vec<(String, String)>,
    /// The observed tasks as the hosts reported them, before assessment (drift).
    pub observed: Vec<ObservedTask>,
    /// Inspected container configuration by Docker id (drift).
    pub configs: std::collections::BTreeMap<String, crate::reconcile::drift::LiveConfig>,
    /// Containers not of this state that publish host ports (drift).
    pub port_holders: Vec<crate::reconcile::drift::PortHolder>,
    /// Keeps the hosts' connections (SSH tunnels) open while the observation is in use.
    _transport: Arc<dyn Transport>,
}

impl ClusterObservation {
    /// What the observed live tasks take on each host.
    pub fn usage(&self, state: &State) -> std::collections::BTreeMap<String, HostUsage> {
        let spec_of = |r: &crate::model::names::TaskDefRef| state.revision(r).map(|rev| &rev.spec);
        cluster::usage(self.tasks.iter().map(|t| (&t.task, &t.state)), &spec_of)
    }

    /// The scheduling view of every host of the cluster (status, attributes, capacity), as
    /// the reconciler's: a host that did not answer is UNREACHABLE, a drained one DRAINING.
    pub fn host_views(&self, state: &State, cluster: &str) -> Vec<HostInfo> {
        let spec = state.cluster_spec(cluster).unwrap_or_default();
        let draining = state
            .clusters
            .get(cluster)
            .map(|c| c.draining_hosts.clone())
            .unwrap_or_default();
        let now = Timestamp::now();
        spec.hosts
            .iter()
            .map(|host| {
                let name = host.name.clone().unwrap_or_default();
                let connected = self.hosts.iter().find(|c| c.name == name);
                let answered = connected.is_some_and(|c| c.host.is_some())
                    && !self.failures.iter().any(|(h, _)| *h == name);
                let status = hosts::status(
                    (!answered).then_some(now),
                    answered,
                    draining.contains(&name),
                    now,
                    Duration::ZERO,
                );
                hosts::scheduling_view(host, connected.and_then(|c| c.info.as_ref()), status)
            })
            .collect()
    }

    /// The hosts that answered.
    pub fn answered(&self) -> std::collections::BTreeSet<String> {
        self.hosts
            .iter()
            .filter(|h| h.host.is_some() && !self.failures.iter().any(|(f, _)| *f == h.name))
            .map(|h| h.name.clone())
            .collect()
    }

    pub fn host(&self, name: &str) -> Option<&Arc<DockerHost>> {
        self.hosts
            .iter()
            .find(|h| h.name == name)
            .and_then(|h| h.host.as_ref())
    }
}

/// Every observed task with its ECS status, judged exactly as the reconciler judges it
/// ([`cluster::assess_task`]: recorded stop reasons, health-check grace, deleted services).
pub fn assess_observed(
    state: &State,
    runtime: &Runtime,
    cluster: &str,
    tasks: Vec<ObservedTask>,
    now: Timestamp,
) -> Vec<TaskView> {
    let services = state.services.get(cluster).cloned().unwrap_or_default();
    let providers = Providers::of(&state.cluster_spec(cluster).unwrap_or_default());
    tasks
        .into_iter()
        .map(|t| {
            let spec = state.revision(&t.task_definition).map(|r| &r.spec);
            let st = cluster::assess_task(&t, &services, runtime, spec, now);
            TaskView {
                capacity_provider_name: providers.provider_of(&t.host).map(str::to_string),
                cpu: spec.and_then(|s| s.cpu.clone()),
                memory: spec.and_then(|s| s.memory.clone()),
                task: t,
                state: st,
            }
        })
        .collect()
}

pub async fn observe(
    state: &State,
    runtime: &Runtime,
    cluster: &str,
    transport: &Arc<dyn Transport>,
) -> anyhow::Result<ClusterObservation> {
    let connected = connect_all(state, cluster, transport.as_ref()).await?;
    let mut views = Vec::new();
    let mut failures = Vec::new();
    let mut raw = Vec::new();
    let mut configs = std::collections::BTreeMap::new();
    let mut port_holders = Vec::new();
    let observed = futures_util::future::join_all(connected.iter().map(|c| async {
        match &c.host {
            Some(host) => (
                c.name.clone(),
                host.observe(cluster, &state.lineage)
                    .await
                    .map_err(|e| format!("{e:#}")),
            ),
            None => (c.name.clone(), Err(c.error.clone().unwrap_or_default())),
        }
    }))
    .await;
    let now = Timestamp::now();
    for (host, result) in observed {
        match result {
            Ok(observation) => {
                raw.extend(observation.tasks.iter().cloned());
                configs.extend(observation.configs);
                port_holders.extend(observation.port_holders);
                views.extend(assess_observed(
                    state,
                    runtime,
                    cluster,
                    observation.tasks,
                    now,
                ));
            }
            Err(error) => failures.push((host, error)),
        }
    }
    views.sort_by(|a, b| {
        (a.service(), &a.task.host, a.task.created_at, &a.task.id).cmp(&(
            b.service(),
            &b.task.host,
            b.task.created_at,
            &b.task.id,
        ))
    });
    Ok(ClusterObservation {
        hosts: connected,
        tasks: views,
        failures,
        observed: raw,
        configs,
        port_holders,
        _transport: transport.clone(),
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::ids::SequentialIds;
    use crate::model::ecs::{ContainerDefinition, ServiceSpec, TaskDefinitionSpec};
    use crate::model::names::TaskDefRef;
    use crate::reconcile::cluster::{Action, ClusterInput, InFlight};
    use crate::reconcile::service::{HostInfo, HostStatus, Settings};
    use crate::reconcile::task::{ContainerState, DesiredStatus, Health, ObservedContainer};
    use crate::state::{
        Deployment, FamilyRecord, Revision, RevisionStatus, ServiceRecord, ServiceStatus,
    };

    fn at(seconds: u64) -> Timestamp {
        Timestamp::from_unix_millis(seconds * 1000)
    }

    fn state() -> State {
        let mut state = State::empty("l".into());
        let spec = TaskDefinitionSpec {
            container_definitions: vec![ContainerDefinition {
                name: Some("app".into()),
                essential: Some(true),
                ..ContainerDefinition::default()
            }],
            ..TaskDefinitionSpec::default()
        };
        state.task_definitions.insert(
            "web".into(),
            FamilyRecord {
                revisions: vec![Revision {
                    revision: 1,
                    status: RevisionStatus::Active,
                    registered_at: at(0),
                    deregistered_at: None,
                    spec,
                }],
                removed_through: None,
            },
        );
        let deployment = Deployment {
            id: "d1".into(),
            task_definition: TaskDefRef::pinned("web", 1),
            created_at: at(0),
            reason: "test".into(),
        };
        let record = ServiceRecord {
            spec: ServiceSpec {
                desired_count: Some(1),
                health_check_grace_period_seconds: Some(60),
                ..ServiceSpec::default()
            },
            task_definition: deployment.task_definition.clone(),
            desired_count: 1,
            status: ServiceStatus::Active,
            deployments: vec![deployment],
            created_at: at(0),
            updated_at: at(0),
        };
        state
            .services
            .entry("default".into())
            .or_default()
            .insert("web".into(), record);
        state
    }

    fn unhealthy_task() -> ObservedTask {
        ObservedTask {
            id: "t1".into(),
            cluster: "default".into(),
            host: "h1".into(),
            group: TaskGroup::Service("web".into()),
            task_definition: TaskDefRef::pinned("web", 1),
            deployment: Some("d1".into()),
            created_at: at(90),
            containers: vec![ObservedContainer {
                docker_id: "c1".into(),
                docker_name: "n1".into(),
                name: "app".into(),
                pause: false,
                essential: true,
                state: ContainerState::Running,
                health: Health::Unhealthy,
                exit_code: None,
                oom_killed: false,
                error: None,
                started_at: Some(at(100)),
                finished_at: None,
                ports: Vec::new(),
                log_driver: None,
                restart_count: 0,
            }],
            launch_type: crate::model::ecs::LaunchType::Ec2,
            task_limits: None,
        }
    }

    /// Regression: `get tasks` judged tasks without the health-check grace period, so it
    /// reported a stop the reconciler would not make. Both now use the same assessment.
    #[test]
    fn get_tasks_and_the_reconciler_agree_during_the_health_grace_period() {
        let state = state();
        let runtime = Runtime::default();
        let now = at(130);
        let views = assess_observed(&state, &runtime, "default", vec![unhealthy_task()], now);
        assert_eq!(views[0].state.desired_status, DesiredStatus::Running);

        let services = state.services["default"].clone();
        let spec_of = |r: &TaskDefRef| state.revision(r).map(|rev| &rev.spec);
        let hosts = vec![HostInfo {
            name: "h1".into(),
            attributes: BTreeMap::new(),
            status: HostStatus::Active,
            cpu: 4096,
            memory: 4096,
        }];
        let observed = vec![unhealthy_task()];
        let (records, in_flight, settings) =
            (BTreeMap::new(), InFlight::default(), Settings::default());
        let providers = crate::schedule::pools::Providers::default();
        let decide_at = |now| {
            let input = ClusterInput {
                services: &services,
                task_definitions: &spec_of,
                runtime: &runtime,
                hosts: &hosts,
                host_records: &records,
                observed: &observed,
                in_flight: &in_flight,
                now,
                settings: &settings,
                traffic: None,
                providers: &providers,
            };
            crate::reconcile::cluster::decide(&input, &mut SequentialIds::default())
        };
        let stops = |d: &crate::reconcile::cluster::ClusterDecision| {
            d.steps
                .iter()
                .any(|s| matches!(s.action, Action::Stop { .. }))
        };
        assert!(!stops(&decide_at(now)));
        // After the grace period both see the failure.
        let later = at(200);
        let views = assess_observed(&state, &runtime, "default", vec![unhealthy_task()], later);
        assert_eq!(views[0].state.desired_status, DesiredStatus::Stopped);
        assert!(stops(&decide_at(later)));
    }
}
