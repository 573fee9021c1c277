//! A cluster's counts as ECS's `Cluster` carries them (`runningTasksCount`,
//! `pendingTasksCount`, `activeServicesCount`, `registeredContainerInstancesCount`) and its
//! `statistics` by launch type. [`counts`] is pure: from the state and either the tasks
//! observed on the cluster's hosts (every task: services' and run-task's) or, without an
//! observation, the counts of service tasks the reconciler last recorded. [`observe`] looks
//! at the hosts first. Changes nothing.

use super::error::OpsResult;
use super::session::Session;
use crate::controller::inspect::TaskView;
use crate::model::ecs::LaunchType;
use crate::model::effective;
use crate::reconcile::task::TaskStatus;
use crate::state::{Runtime, ServiceStatus, State};

/// What ECS counts in a cluster.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClusterCounts {
    /// Tasks in the RUNNING state.
    pub running_tasks: u32,
    /// Tasks in the PENDING (or PROVISIONING) state: started, not yet running.
    pub pending_tasks: u32,
    /// Services in the ACTIVE state (those ListServices lists).
    pub active_services: u32,
    /// The cluster's hosts, ACTIVE and DRAINING alike.
    pub registered_container_instances: u32,
    pub statistics: Statistics,
}

/// `Cluster.statistics`: the counts by launch type (`FARGATE`, else `EC2`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Statistics {
    pub running_ec2_tasks: u32,
    pub running_fargate_tasks: u32,
    pub pending_ec2_tasks: u32,
    pub pending_fargate_tasks: u32,
    pub active_ec2_services: u32,
    pub active_fargate_services: u32,
    pub draining_ec2_services: u32,
    pub draining_fargate_services: u32,
}

impl Statistics {
    /// ECS's names for each count, in the order its documentation lists them.
    pub fn named(&self) -> [(&'static str, u32); 8] {
        [
            ("runningEC2TasksCount", self.running_ec2_tasks),
            ("runningFargateTasksCount", self.running_fargate_tasks),
            ("pendingEC2TasksCount", self.pending_ec2_tasks),
            ("pendingFargateTasksCount", self.pending_fargate_tasks),
            ("activeEC2ServiceCount", self.active_ec2_services),
            ("activeFargateServiceCount", self.active_fargate_services),
            ("drainingEC2ServiceCount", self.draining_ec2_services),
            (
                "drainingFargateServiceCount",
                self.draining_fargate_services,
            ),
        ]
    }
}

/// The counts of `cluster`. With `observed` (the cluster's tasks as its hosts answered), every
/// task counts, run-task's too; without it, the service tasks the reconciler last counted
/// (a service's tasks take its launch type).
pub fn counts(
    state: &State,
    runtime: &Runtime,
    cluster: &str,
    observed: Option<&[TaskView]>,
) -> ClusterCounts {
    let spec = state.cluster_spec(cluster).unwrap_or_default();
    let mut out = ClusterCounts {
        registered_container_instances: u32::try_from(spec.hosts.len()).unwrap_or(u32::MAX),
        ..ClusterCounts::default()
    };
    let stats = &mut out.statistics;
    for (name, record) in state.services.get(cluster).into_iter().flatten() {
        let fargate =
            effective::service_launch_type(&record.spec, &spec.default_capacity_provider_strategy)
                == LaunchType::Fargate;
        match (record.status, fargate) {
            (ServiceStatus::Active, false) => stats.active_ec2_services += 1,
            (ServiceStatus::Active, true) => stats.active_fargate_services += 1,
            (ServiceStatus::Draining, false) => stats.draining_ec2_services += 1,
            (ServiceStatus::Draining, true) => stats.draining_fargate_services += 1,
        }
        if observed.is_none()
            && let Some(c) = runtime.services.get(name).and_then(|s| s.counts)
        {
            let (running, pending) = if fargate {
                (
                    &mut stats.running_fargate_tasks,
                    &mut stats.pending_fargate_tasks,
                )
            } else {
                (&mut stats.running_ec2_tasks, &mut stats.pending_ec2_tasks)
            };
            *running += c.running;
            *pending += c.pending;
        }
    }
    for view in observed.unwrap_or_default() {
        let fargate = view.task.launch_type == LaunchType::Fargate;
        let count = match (view.state.last_status, fargate) {
            (TaskStatus::Running, false) => &mut stats.running_ec2_tasks,
            (TaskStatus::Running, true) => &mut stats.running_fargate_tasks,
            (TaskStatus::Pending | TaskStatus::Provisioning, false) => &mut stats.pending_ec2_tasks,
            (TaskStatus::Pending | TaskStatus::Provisioning, true) => {
                &mut stats.pending_fargate_tasks
            }
            (TaskStatus::Stopped, _) => continue,
        };
        *count += 1;
    }
    out.running_tasks = stats.running_ec2_tasks + stats.running_fargate_tasks;
    out.pending_tasks = stats.pending_ec2_tasks + stats.pending_fargate_tasks;
    out.active_services = stats.active_ec2_services + stats.active_fargate_services;
    out
}

/// [`counts`] over the tasks the cluster's hosts show now. A host that does not answer adds
/// none of its tasks (as ECS counts nothing on an instance whose agent is disconnected).
pub async fn observe(
    session: &Session,
    state: &State,
    runtime: &Runtime,
    cluster: &str,
) -> OpsResult<ClusterCounts> {
    let observed = super::tasks::observe_clusters(session, state, Some(cluster)).await?;
    let tasks: Vec<TaskView> = observed
        .into_iter()
        .flat_map(|(_, observation)| observation.tasks)
        .collect();
    Ok(counts(state, runtime, cluster, Some(&tasks)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::controller::inspect::TaskView;
    use crate::model::cluster::{ClusterSpec, HostSpec};
    use crate::model::names::TaskDefRef;
    use crate::reconcile::task::{DesiredStatus, Health, ObservedTask, TaskGroup, TaskState};
    use crate::state::{ClusterRecord, ServiceCounts, ServiceRecord, ServiceRuntime};
    use crate::time::Timestamp;

    fn service(launch_type: Option<&str>, status: ServiceStatus) -> ServiceRecord {
        let mut spec = serde_json::json!({"taskDefinition": "web:1"});
        if let Some(l) = launch_type {
            spec["launchType"] = l.into();
        }
        ServiceRecord {
            spec: serde_json::from_value(spec).expect("spec"),
            task_definition: TaskDefRef::pinned("web", 1),
            desired_count: 2,
            status,
            deployments: Vec::new(),
            created_at: Timestamp::from_unix_millis(0),
            updated_at: Timestamp::from_unix_millis(0),
        }
    }

    fn state() -> State {
        let mut state = State::empty("l".into());
        let spec = ClusterSpec {
            hosts: ["a", "b", "c"]
                .map(|n| HostSpec {
                    name: Some(n.into()),
                    ..HostSpec::default()
                })
                .to_vec(),
            ..ClusterSpec::default()
        };
        state.clusters.insert(
            "c".into(),
            ClusterRecord::new(spec, Timestamp::from_unix_millis(0)),
        );
        let services = state.services.entry("c".into()).or_default();
        services.insert("web".into(), service(None, ServiceStatus::Active));
        services.insert(
            "api".into(),
            service(Some("FARGATE"), ServiceStatus::Active),
        );
        services.insert("old".into(), service(None, ServiceStatus::Draining));
        state
    }

    fn task(id: &str, group: TaskGroup, fargate: bool, status: TaskStatus) -> TaskView {
        TaskView {
            task: ObservedTask {
                id: id.into(),
                cluster: "c".into(),
                host: "a".into(),
                group,
                task_definition: TaskDefRef::pinned("web", 1),
                deployment: None,
                created_at: Timestamp::from_unix_millis(0),
                containers: Vec::new(),
                launch_type: if fargate {
                    LaunchType::Fargate
                } else {
                    LaunchType::Ec2
                },
                task_limits: None,
            },
            state: TaskState {
                last_status: status,
                desired_status: DesiredStatus::Running,
                health: Health::Unknown,
                stop_reason: None,
                reached_running: status == TaskStatus::Running,
            },
            capacity_provider_name: None,
            cpu: None,
            memory: None,
        }
    }

    #[test]
    fn observed_tasks_count_by_status_and_launch_type_run_tasks_included() {
        let service = || TaskGroup::Service("web".into());
        let tasks = [
            task("1", service(), false, TaskStatus::Running),
            task("2", service(), false, TaskStatus::Pending),
            task(
                "3",
                TaskGroup::Standalone("run".into()),
                false,
                TaskStatus::Running,
            ),
            task(
                "4",
                TaskGroup::Service("api".into()),
                true,
                TaskStatus::Running,
            ),
            task(
                "5",
                TaskGroup::Service("api".into()),
                true,
                TaskStatus::Provisioning,
            ),
            task("6", service(), false, TaskStatus::Stopped),
        ];
        let c = counts(&state(), &Runtime::default(), "c", Some(&tasks));
        assert_eq!(
            (c.running_tasks, c.pending_tasks, c.active_services),
            (3, 2, 2)
        );
        assert_eq!(c.registered_container_instances, 3);
        assert_eq!(
            c.statistics,
            Statistics {
                running_ec2_tasks: 2,
                running_fargate_tasks: 1,
                pending_ec2_tasks: 1,
                pending_fargate_tasks: 1,
                active_ec2_services: 1,
                active_fargate_services: 1,
                draining_ec2_services: 1,
                draining_fargate_services: 0,
            }
        );
        let names: Vec<&str> = c.statistics.named().iter().map(|(n, _)| *n).collect();
        assert_eq!(names[0], "runningEC2TasksCount");
        assert_eq!(names[7], "drainingFargateServiceCount");
    }

    #[test]
    fn without_an_observation_the_reconcilers_service_counts_are_used() {
        let mut runtime = Runtime::default();
        for (name, running, pending) in [("web", 2, 1), ("api", 1, 0)] {
            runtime.services.insert(
                name.into(),
                ServiceRuntime {
                    counts: Some(ServiceCounts {
                        desired: 2,
                        running,
                        pending,
                        healthy: running,
                        unplaced: 5,
                    }),
                    ..ServiceRuntime::default()
                },
            );
        }
        let c = counts(&state(), &runtime, "c", None);
        assert_eq!((c.running_tasks, c.pending_tasks), (3, 1));
        assert_eq!(c.statistics.running_fargate_tasks, 1);
        assert_eq!(c.statistics.pending_ec2_tasks, 1);
        // A cluster nothing knows of counts nothing.
        assert_eq!(
            counts(&state(), &runtime, "other", None),
            ClusterCounts::default()
        );
    }
}
