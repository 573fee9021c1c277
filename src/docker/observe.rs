//! Docker's view of containers → observed tasks. Pure: takes inspect results, groups the
//! containers of each task by their labels, and sets aside containers of another state
//! (another lineage), which are reported and never touched.

use std::collections::{BTreeMap, HashMap};

use bollard::models::{ContainerInspectResponse, ContainerStateStatusEnum, HealthStatusEnum};

use super::labels;
use crate::model::names::TaskDefRef;
use crate::reconcile::drift::LiveConfig;
use crate::reconcile::task::{
    ContainerState, Health, ObservedContainer, ObservedTask, PortBinding, TaskGroup,
};
use crate::time::Timestamp;

/// One container as inspected, with its labels.
#[derive(Clone, Debug, PartialEq)]
pub struct Facts {
    pub container: ObservedContainer,
    pub labels: HashMap<String, String>,
    pub created: Option<Timestamp>,
    /// Image, environment and limits as Docker holds them now (drift compares them).
    pub config: LiveConfig,
}

/// A container of this cluster that belongs to another state directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Foreign {
    pub host: String,
    pub container: String,
    pub lineage: String,
}

/// Docker reports "never" as the zero time.
fn time(text: Option<&str>) -> Option<Timestamp> {
    let text = text?;
    if text.starts_with("0001-") {
        return None;
    }
    Timestamp::parse(text).ok()
}

pub fn facts(inspect: &ContainerInspectResponse) -> Option<Facts> {
    let id = inspect.id.clone()?;
    let labels: HashMap<String, String> =
        inspect.config.as_ref()?.labels.clone().unwrap_or_default();
    let state = inspect.state.as_ref();
    let status = match state.and_then(|s| s.status) {
        Some(ContainerStateStatusEnum::RUNNING) => ContainerState::Running,
        Some(ContainerStateStatusEnum::PAUSED) => ContainerState::Paused,
        Some(ContainerStateStatusEnum::RESTARTING) => ContainerState::Restarting,
        Some(ContainerStateStatusEnum::REMOVING) => ContainerState::Removing,
        Some(ContainerStateStatusEnum::EXITED) => ContainerState::Exited,
        Some(ContainerStateStatusEnum::DEAD) => ContainerState::Dead,
        _ => ContainerState::Created,
    };
    // Docker keeps the last check's verdict on a stopped container (often `unhealthy`, as the
    // checks fail while it stops); ECS reports UNKNOWN for a container that does not run.
    let checked = matches!(
        status,
        ContainerState::Running | ContainerState::Paused | ContainerState::Restarting
    );
    let health = match state.and_then(|s| s.health.as_ref()).and_then(|h| h.status) {
        _ if !checked => Health::Unknown,
        Some(HealthStatusEnum::STARTING) => Health::Starting,
        Some(HealthStatusEnum::HEALTHY) => Health::Healthy,
        Some(HealthStatusEnum::UNHEALTHY) => Health::Unhealthy,
        _ => Health::Unknown,
    };
    let started_at = time(state.and_then(|s| s.started_at.as_deref()));
    let finished_at = time(state.and_then(|s| s.finished_at.as_deref()));
    let exit_code = match status {
        ContainerState::Exited | ContainerState::Dead => state.and_then(|s| s.exit_code),
        _ => None,
    };
    let error = state
        .and_then(|s| s.error.clone())
        .filter(|e| !e.is_empty());
    let mut ports = Vec::new();
    if let Some(map) = inspect
        .network_settings
        .as_ref()
        .and_then(|n| n.ports.as_ref())
    {
        for (key, bindings) in map {
            let (port, protocol) = key.split_once('/').unwrap_or((key, "tcp"));
            let Ok(container_port) = port.parse::<u16>() else {
                continue;
            };
            // Docker lists IPv4 and IPv6 bindings of one port, and (20.10) may give them
            // different dynamic host ports: targets and `port` are reached over IPv4, so the
            // IPv4 binding wins; an IPv6 one counts only for a port published on IPv6 alone.
            let flat: Vec<_> = bindings.iter().flatten().collect();
            let is_v6 = |b: &&bollard::models::PortBinding| {
                b.host_ip.as_deref().is_some_and(|ip| ip.contains(':'))
            };
            let has_v4 = flat.iter().any(|b| !is_v6(b));
            for binding in flat.iter().filter(|b| !has_v4 || !is_v6(b)) {
                let Some(host_port) = binding
                    .host_port
                    .as_deref()
                    .and_then(|p| p.parse::<u16>().ok())
                else {
                    continue;
                };
                let entry = PortBinding {
                    container_port,
                    host_port,
                    protocol: protocol.to_string(),
                };
                if !ports.contains(&entry) {
                    ports.push(entry);
                }
            }
        }
    }
    ports.sort_by_key(|p| (p.container_port, p.protocol.clone(), p.host_port));
    Some(Facts {
        container: ObservedContainer {
            docker_id: id,
            docker_name: inspect
                .name
                .clone()
                .unwrap_or_default()
                .trim_start_matches('/')
                .to_string(),
            name: labels.get(labels::CONTAINER).cloned().unwrap_or_default(),
            pause: labels.get(labels::PAUSE).is_some_and(|v| v == "true"),
            essential: labels.get(labels::ESSENTIAL).is_none_or(|v| v == "true"),
            state: status,
            health,
            exit_code,
            oom_killed: state.and_then(|s| s.oom_killed).unwrap_or(false),
            error,
            started_at,
            finished_at,
            ports,
            log_driver: inspect
                .host_config
                .as_ref()
                .and_then(|h| h.log_config.as_ref())
                .and_then(|l| l.typ.clone()),
            restart_count: inspect.restart_count.unwrap_or(0),
        },
        created: time(inspect.created.as_deref()),
        config: live_config(inspect),
        labels,
    })
}

/// What drift compares: `docker update` changes the limits in `HostConfig`.
pub fn live_config(inspect: &ContainerInspectResponse) -> LiveConfig {
    let config = inspect.config.as_ref();
    let host = inspect.host_config.as_ref();
    LiveConfig {
        image: config.and_then(|c| c.image.clone()),
        env: config.and_then(|c| c.env.clone()).unwrap_or_default(),
        memory: host.and_then(|h| h.memory),
        memory_reservation: host.and_then(|h| h.memory_reservation),
        cpu_shares: host.and_then(|h| h.cpu_shares),
        nano_cpus: host.and_then(|h| h.nano_cpus),
    }
    .normalized()
}

/// Groups containers into tasks. Containers of another lineage are returned as foreign;
/// containers placed on another host of the cluster that shares this Docker daemon
/// (`ecsctl.host`) are not this host's.
pub fn tasks(host: &str, lineage: &str, facts: Vec<Facts>) -> (Vec<ObservedTask>, Vec<Foreign>) {
    let mut by_task: BTreeMap<String, ObservedTask> = BTreeMap::new();
    let mut foreign = Vec::new();
    for fact in facts {
        let l = &fact.labels;
        if l.get(labels::HOST).is_some_and(|h| h != host) {
            continue;
        }
        let their_lineage = l.get(labels::LINEAGE).cloned().unwrap_or_default();
        if their_lineage != lineage {
            foreign.push(Foreign {
                host: host.to_string(),
                container: fact.container.docker_name.clone(),
                lineage: their_lineage,
            });
            continue;
        }
        let (Some(task_id), Some(family)) = (l.get(labels::TASK), l.get(labels::FAMILY)) else {
            continue;
        };
        let revision = l
            .get(labels::REVISION)
            .and_then(|r| r.parse().ok())
            .unwrap_or(0);
        let group = match l.get(labels::SERVICE) {
            Some(service) => TaskGroup::Service(service.clone()),
            None => TaskGroup::Standalone(
                l.get(labels::STARTED_BY)
                    .cloned()
                    .unwrap_or_else(|| "run-task".into()),
            ),
        };
        let created = l
            .get(labels::CREATED)
            .and_then(|c| Timestamp::parse(c).ok())
            .or(fact.created)
            .unwrap_or_else(|| Timestamp::from_unix_millis(0));
        let task = by_task
            .entry(task_id.clone())
            .or_insert_with(|| ObservedTask {
                id: task_id.clone(),
                cluster: l.get(labels::CLUSTER).cloned().unwrap_or_default(),
                host: host.to_string(),
                group,
                task_definition: TaskDefRef::pinned(family.clone(), revision),
                deployment: l.get(labels::DEPLOYMENT).cloned(),
                created_at: created,
                containers: Vec::new(),
                launch_type: crate::model::ecs::LaunchType::Ec2,
                task_limits: None,
            });
        if l.get(labels::LAUNCH_TYPE).map(String::as_str) == Some("FARGATE") {
            task.launch_type = crate::model::ecs::LaunchType::Fargate;
        }
        if let Some(limits) = l.get(labels::TASK_LIMITS)
            && task.task_limits.is_none()
        {
            task.task_limits = Some(limits.clone());
        }
        task.containers.push(fact.container);
    }
    let mut tasks: Vec<ObservedTask> = by_task.into_values().collect();
    for task in &mut tasks {
        task.containers
            .sort_by(|a, b| (b.pause, &a.name).cmp(&(a.pause, &b.name)));
    }
    (tasks, foreign)
}

#[cfg(test)]
mod tests {
    use bollard::models::{ContainerConfig, ContainerState as DockerState, Health as DockerHealth};

    use super::*;

    fn inspect(
        id: &str,
        labels: &[(&str, &str)],
        status: ContainerStateStatusEnum,
    ) -> ContainerInspectResponse {
        ContainerInspectResponse {
            id: Some(id.into()),
            name: Some(format!("/{id}")),
            config: Some(ContainerConfig {
                labels: Some(
                    labels
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect(),
                ),
                ..ContainerConfig::default()
            }),
            state: Some(DockerState {
                status: Some(status),
                exit_code: Some(3),
                started_at: Some("2026-01-02T03:04:05.123456789Z".into()),
                finished_at: Some("0001-01-01T00:00:00Z".into()),
                health: Some(DockerHealth {
                    status: Some(HealthStatusEnum::HEALTHY),
                    ..DockerHealth::default()
                }),
                ..DockerState::default()
            }),
            ..ContainerInspectResponse::default()
        }
    }

    const OURS: [(&str, &str); 7] = [
        ("ecsctl.lineage", "L"),
        ("ecsctl.cluster", "default"),
        ("ecsctl.task", "t1"),
        ("ecsctl.container", "app"),
        ("ecsctl.family", "web"),
        ("ecsctl.revision", "2"),
        ("ecsctl.service", "web"),
    ];

    #[test]
    fn inspect_results_become_containers() {
        let f = facts(&inspect("c1", &OURS, ContainerStateStatusEnum::RUNNING)).expect("facts");
        let c = &f.container;
        assert_eq!(
            (c.name.as_str(), c.state, c.health),
            ("app", ContainerState::Running, Health::Healthy)
        );
        assert_eq!(c.exit_code, None, "a running container has no exit code");
        assert!(c.started_at.is_some() && c.finished_at.is_none());
        assert!(c.essential);
        let f = facts(&inspect("c1", &OURS, ContainerStateStatusEnum::EXITED)).expect("facts");
        assert_eq!(f.container.exit_code, Some(3));
    }

    /// `docker update --memory` shows in `HostConfig`; Docker's 0 means no limit.
    #[test]
    fn the_live_configuration_is_read_from_the_inspect_result() {
        let mut c = inspect("c1", &OURS, ContainerStateStatusEnum::RUNNING);
        if let Some(config) = c.config.as_mut() {
            config.image = Some("nginx:1".into());
            config.env = Some(vec!["MODE=prod".into()]);
        }
        c.host_config = Some(bollard::models::HostConfig {
            memory: Some(64 * 1024 * 1024),
            cpu_shares: Some(0),
            ..bollard::models::HostConfig::default()
        });
        let live = facts(&c).expect("facts").config;
        assert_eq!(live.image.as_deref(), Some("nginx:1"));
        assert_eq!(live.env, ["MODE=prod"]);
        assert_eq!(live.memory, Some(64 * 1024 * 1024));
        assert_eq!(live.cpu_shares, None);
    }

    /// Regression: Docker 20.10 gave `0.0.0.0` and `::` different dynamic host ports; the
    /// lower (IPv6-only) one was registered as a target on 127.0.0.1 and refused.
    #[test]
    fn the_ipv4_binding_of_a_published_port_wins() {
        let mut c = inspect("c1", &OURS, ContainerStateStatusEnum::RUNNING);
        let binding = |ip: &str, port: &str| bollard::models::PortBinding {
            host_ip: Some(ip.into()),
            host_port: Some(port.into()),
        };
        c.network_settings = Some(bollard::models::NetworkSettings {
            ports: Some(HashMap::from([
                (
                    "8080/tcp".to_string(),
                    Some(vec![binding("0.0.0.0", "32912"), binding("::", "32903")]),
                ),
                ("9090/tcp".to_string(), Some(vec![binding("::", "32950")])),
            ])),
            ..bollard::models::NetworkSettings::default()
        });
        let f = facts(&c).expect("facts");
        let ports: Vec<(u16, u16)> = f
            .container
            .ports
            .iter()
            .map(|p| (p.container_port, p.host_port))
            .collect();
        assert_eq!(ports, [(8080, 32912), (9090, 32950)]);
    }

    /// Regression: tasks stopped on purpose showed `"health": "UNHEALTHY"` (Docker's last
    /// verdict on a container that no longer runs).
    #[test]
    fn a_stopped_container_has_no_health() {
        let mut stopped = inspect("c1", &OURS, ContainerStateStatusEnum::EXITED);
        if let Some(state) = stopped.state.as_mut() {
            state.health = Some(DockerHealth {
                status: Some(HealthStatusEnum::UNHEALTHY),
                ..DockerHealth::default()
            });
        }
        let f = facts(&stopped).expect("facts");
        assert_eq!(f.container.health, Health::Unknown);
    }

    /// Issue 13: two cluster hosts on one Docker daemon (pools on one machine) each see
    /// only the tasks placed on them; containers from before the label belong to both.
    #[test]
    fn hosts_sharing_a_daemon_see_only_their_own_tasks() {
        let on = |host: &'static str, task: &'static str| {
            let mut labels = OURS.to_vec();
            labels[2] = ("ecsctl.task", task);
            labels.push(("ecsctl.host", host));
            facts(&inspect(task, &labels, ContainerStateStatusEnum::RUNNING)).expect("f")
        };
        let mut old = OURS;
        old[2] = ("ecsctl.task", "t0");
        let all = || {
            vec![
                on("spot-1", "t1"),
                on("ondemand-1", "t2"),
                facts(&inspect("old", &old, ContainerStateStatusEnum::RUNNING)).expect("f"),
            ]
        };
        let ids = |host: &str| -> Vec<String> {
            tasks(host, "L", all())
                .0
                .into_iter()
                .map(|t| t.id)
                .collect()
        };
        assert_eq!(ids("spot-1"), ["t0", "t1"]);
        assert_eq!(ids("ondemand-1"), ["t0", "t2"]);
    }

    #[test]
    fn containers_group_into_tasks_and_foreign_ones_are_set_aside() {
        let mut other = OURS;
        other[0] = ("ecsctl.lineage", "SOMEONE-ELSE");
        let mut second = OURS;
        second[3] = ("ecsctl.container", "side");
        let all = vec![
            facts(&inspect("c1", &OURS, ContainerStateStatusEnum::RUNNING)).expect("f"),
            facts(&inspect("c2", &second, ContainerStateStatusEnum::RUNNING)).expect("f"),
            facts(&inspect("c3", &other, ContainerStateStatusEnum::RUNNING)).expect("f"),
        ];
        let (tasks, foreign) = tasks("local", "L", all);
        assert_eq!(tasks.len(), 1);
        assert_eq!(tasks[0].containers.len(), 2);
        assert_eq!(tasks[0].task_definition, TaskDefRef::pinned("web", 2));
        assert_eq!(tasks[0].group, TaskGroup::Service("web".into()));
        assert_eq!(
            foreign,
            vec![Foreign {
                host: "local".into(),
                container: "c3".into(),
                lineage: "SOMEONE-ELSE".into()
            }]
        );
    }
}
