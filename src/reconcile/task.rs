//! One task as observed on a host, its ECS status, and what its containers need next.
//!
//! A task is the set of containers that carry its id. Its status follows ECS:
//! PROVISIONING (its network is being set up) → PENDING (containers created, waiting for
//! dependencies) → RUNNING (every essential container runs) → STOPPED. When an essential
//! container stops, or a health check fails, or ecsctl decides to stop it, the task's desired
//! status becomes STOPPED and its remaining containers are stopped.

use serde::Serialize;

use crate::model::ecs::{ContainerCondition, LaunchType, TaskDefinitionSpec};
use crate::model::names::TaskDefRef;
use crate::time::Timestamp;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ContainerState {
    Created,
    Running,
    Paused,
    Restarting,
    Removing,
    Exited,
    Dead,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Health {
    /// No health check.
    Unknown,
    Starting,
    Healthy,
    Unhealthy,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PortBinding {
    pub container_port: u16,
    pub host_port: u16,
    pub protocol: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObservedContainer {
    pub docker_id: String,
    pub docker_name: String,
    /// The ECS container name; the awsvpc pause container has none.
    pub name: String,
    pub pause: bool,
    pub essential: bool,
    pub state: ContainerState,
    pub health: Health,
    pub exit_code: Option<i64>,
    pub oom_killed: bool,
    /// Docker's error for a container that could not start.
    pub error: Option<String>,
    pub started_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
    pub ports: Vec<PortBinding>,
    /// Docker's log driver for the container (`json-file`, `local`, `syslog`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_driver: Option<String>,
    #[serde(default)]
    pub restart_count: i64,
}

impl ObservedContainer {
    pub fn is_running(&self) -> bool {
        matches!(
            self.state,
            ContainerState::Running | ContainerState::Restarting | ContainerState::Paused
        )
    }

    /// Exited or dead, after having been started (or having failed to start).
    pub fn has_stopped(&self) -> bool {
        matches!(self.state, ContainerState::Exited | ContainerState::Dead)
    }

    pub fn was_started(&self) -> bool {
        self.started_at.is_some() || self.is_running()
    }
}

/// Who started a task.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "camelCase", tag = "type", content = "name")]
pub enum TaskGroup {
    Service(String),
    /// `ecsctl run-task`.
    Standalone(String),
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObservedTask {
    pub id: String,
    pub cluster: String,
    pub host: String,
    pub group: TaskGroup,
    pub task_definition: TaskDefRef,
    pub deployment: Option<String>,
    pub created_at: Timestamp,
    pub containers: Vec<ObservedContainer>,
    /// `FARGATE` for a task of a Fargate service or run, else `EC2`.
    pub launch_type: LaunchType,
    /// Which limits bound a Fargate task: `task cgroup PATH`, or `per container: WHY`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_limits: Option<String>,
}

impl ObservedTask {
    /// The first non-zero exit code of an essential container, else the first; `None` when
    /// no essential container exited.
    pub fn essential_exit(&self) -> Option<i64> {
        let codes: Vec<i64> = self
            .app_containers()
            .filter(|c| c.essential)
            .filter_map(|c| c.exit_code)
            .collect();
        codes
            .iter()
            .copied()
            .find(|c| *c != 0)
            .or(codes.first().copied())
    }

    pub fn app_containers(&self) -> impl Iterator<Item = &ObservedContainer> {
        self.containers.iter().filter(|c| !c.pause)
    }

    pub fn pause(&self) -> Option<&ObservedContainer> {
        self.containers.iter().find(|c| c.pause)
    }

    pub fn container(&self, name: &str) -> Option<&ObservedContainer> {
        self.containers.iter().find(|c| !c.pause && c.name == name)
    }

    /// The short id shown in events and tables (`1a2b3c4d5e6f`).
    pub fn short_id(&self) -> &str {
        short_id(&self.id)
    }

    pub fn started_at(&self) -> Option<Timestamp> {
        self.app_containers().filter_map(|c| c.started_at).min()
    }

    pub fn stopped_at(&self) -> Option<Timestamp> {
        if self.containers.iter().any(ObservedContainer::is_running) {
            return None;
        }
        self.containers.iter().filter_map(|c| c.finished_at).max()
    }
}

pub fn short_id(id: &str) -> &str {
    id.get(..12).unwrap_or(id)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TaskStatus {
    Provisioning,
    Pending,
    Running,
    Stopped,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DesiredStatus {
    Running,
    Stopped,
}

pub use crate::state::StopReason;

pub const ESSENTIAL_EXITED: &str = "Essential container in task exited";
pub const HEALTH_CHECKS_FAILED: &str = "Task failed container health checks";
pub const OUT_OF_MEMORY: &str = "OutOfMemoryError: Container killed due to memory usage";

/// Why a task stopped, as the watch log and the service's events say it: ECS's reason, then
/// the exit code of the essential container that exited (and its name when the task has
/// several containers): `Essential container in task exited (exit code 137)`.
pub fn stop_detail(task: &ObservedTask, reason: &StopReason) -> String {
    let apps = task.app_containers().count();
    let exited = task
        .app_containers()
        .filter(|c| c.essential && c.has_stopped())
        .find_map(|c| c.exit_code.map(|code| (c, code)));
    match exited {
        Some((c, code)) if apps > 1 => {
            format!("{} (container `{}`, exit code {code})", reason.text, c.name)
        }
        Some((_, code)) => format!("{} (exit code {code})", reason.text),
        None => reason.text.clone(),
    }
}

/// The ECS view of a task: statuses, health and, once it is stopping, why.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskState {
    pub last_status: TaskStatus,
    pub desired_status: DesiredStatus,
    pub health: Health,
    pub stop_reason: Option<StopReason>,
    /// Every essential container has run: the task reached RUNNING at some point.
    pub reached_running: bool,
}

impl TaskState {
    /// Counts toward the service's tasks: not stopped and not being stopped.
    pub fn is_active(&self) -> bool {
        self.desired_status == DesiredStatus::Running
    }

    /// Counts as healthy for deployments: RUNNING, and HEALTHY when it has health checks.
    pub fn is_healthy(&self) -> bool {
        self.is_active()
            && self.last_status == TaskStatus::Running
            && matches!(self.health, Health::Healthy | Health::Unknown)
    }
}

/// What the observation says about a task. `recorded` is a stop ecsctl decided earlier
/// (kept in the runtime state); `health_grace_until` ignores failing health checks before it.
pub fn assess(
    task: &ObservedTask,
    spec: Option<&TaskDefinitionSpec>,
    recorded: Option<&StopReason>,
    health_grace_until: Option<Timestamp>,
    now: Timestamp,
) -> TaskState {
    let apps: Vec<&ObservedContainer> = task.app_containers().collect();
    let essential: Vec<&ObservedContainer> = apps.iter().copied().filter(|c| c.essential).collect();
    let in_grace = health_grace_until.is_some_and(|until| now < until);

    let mut reason = recorded.cloned();
    if reason.is_none() {
        reason = failure_of(task, spec, &essential, in_grace);
    }
    let desired_status = if reason.is_some() {
        DesiredStatus::Stopped
    } else {
        DesiredStatus::Running
    };
    let any_running = task.containers.iter().any(ObservedContainer::is_running);
    let essential_running = !essential.is_empty() && essential.iter().all(|c| c.is_running());
    let reached_running = !essential.is_empty()
        && essential
            .iter()
            .all(|c| c.was_started() && c.error.is_none());
    let last_status = if desired_status == DesiredStatus::Stopped && !any_running {
        TaskStatus::Stopped
    } else if desired_status == DesiredStatus::Stopped {
        // Stopping: ECS keeps the last status until the containers are down.
        if reached_running {
            TaskStatus::Running
        } else {
            TaskStatus::Pending
        }
    } else if essential_running {
        TaskStatus::Running
    } else if apps.is_empty()
        || (task.pause().is_some_and(|p| !p.is_running()) && apps.iter().all(|c| !c.was_started()))
    {
        TaskStatus::Provisioning
    } else {
        TaskStatus::Pending
    };
    // Health describes running containers; Docker's word on stopped ones means nothing.
    let checked: Vec<&&ObservedContainer> = essential
        .iter()
        .filter(|c| c.health != Health::Unknown && c.is_running())
        .collect();
    let health = if checked.is_empty() {
        Health::Unknown
    } else if checked.iter().any(|c| c.health == Health::Unhealthy) {
        Health::Unhealthy
    } else if checked.iter().all(|c| c.health == Health::Healthy) {
        Health::Healthy
    } else {
        Health::Starting
    };
    TaskState {
        last_status,
        desired_status,
        health,
        stop_reason: reason,
        reached_running,
    }
}

fn failure_of(
    task: &ObservedTask,
    spec: Option<&TaskDefinitionSpec>,
    essential: &[&ObservedContainer],
    in_grace: bool,
) -> Option<StopReason> {
    for container in task.containers.iter() {
        if let Some(error) = &container.error
            && !container.is_running()
        {
            return Some(StopReason::failure(format!(
                "CannotStartContainerError: {error}"
            )));
        }
    }
    // The pause container stopping is the cause only when it went first: ecsctl stops it
    // last, after an essential container exited.
    let first_essential_stop = essential
        .iter()
        .filter(|c| c.has_stopped())
        .map(|c| c.finished_at)
        .min();
    if let Some(pause) = task.pause()
        && pause.has_stopped()
        && first_essential_stop.is_none_or(|first| pause.finished_at < first)
    {
        return Some(StopReason::failure(
            "TaskNetworkError: the task's network (pause) container stopped",
        ));
    }
    for container in essential {
        if container.has_stopped() {
            if container.oom_killed {
                return Some(StopReason::failure(OUT_OF_MEMORY));
            }
            // Docker may report a stopped container as unhealthy: what stopped it was its
            // exit. (A task stopped *for* failed health checks has that reason recorded.)
            return Some(StopReason::failure(ESSENTIAL_EXITED));
        }
    }
    if !in_grace
        && essential
            .iter()
            .any(|c| c.is_running() && c.health == Health::Unhealthy)
    {
        return Some(StopReason::failure(HEALTH_CHECKS_FAILED));
    }
    if let Some(spec) = spec {
        let missing = spec
            .container_definitions
            .iter()
            .filter_map(|d| d.name.as_deref())
            .find(|name| task.container(name).is_none());
        if let (Some(missing), false) = (missing, task.containers.is_empty()) {
            return Some(StopReason::failure(format!(
                "ResourceInitializationError: container `{missing}` of the task was never created"
            )));
        }
        return dependency_failure(task, spec);
    }
    None
}

/// A dependency that can no longer be met (SUCCESS wanted, non-zero exit seen) fails the task.
fn dependency_failure(task: &ObservedTask, spec: &TaskDefinitionSpec) -> Option<StopReason> {
    for definition in &spec.container_definitions {
        let Some(name) = definition.name.as_deref() else {
            continue;
        };
        let Some(container) = task.container(name) else {
            continue;
        };
        if container.was_started() {
            continue;
        }
        for dependency in &definition.depends_on {
            let (Some(target), Some(condition)) =
                (dependency.container_name.as_deref(), dependency.condition)
            else {
                continue;
            };
            let Some(observed) = task.container(target) else {
                continue;
            };
            let failed = match condition {
                ContainerCondition::Success => {
                    observed.has_stopped() && observed.exit_code != Some(0)
                }
                ContainerCondition::Healthy => {
                    observed.health == Health::Unhealthy
                        || (observed.has_stopped() && observed.health != Health::Healthy)
                }
                ContainerCondition::Start | ContainerCondition::Complete => false,
            };
            if failed {
                return Some(StopReason::failure(format!(
                    "DependencyError: container `{name}` waits for `{target}` to be {condition}, which can no longer happen"
                )));
            }
        }
    }
    None
}

/// A container-level step for one task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ContainerStep {
    /// Start these created containers now (their dependencies are met), in order.
    Start(Vec<String>),
    /// Stop these running containers (the task is stopping), dependents first.
    Stop(Vec<String>),
}

/// What a task's containers need next. Containers are named by Docker id.
pub fn container_steps(
    task: &ObservedTask,
    spec: &TaskDefinitionSpec,
    state: &TaskState,
) -> Option<ContainerStep> {
    if state.desired_status == DesiredStatus::Stopped {
        let mut running: Vec<&ObservedContainer> =
            task.containers.iter().filter(|c| c.is_running()).collect();
        if running.is_empty() {
            return None;
        }
        // Dependents before what they depend on; the pause container last.
        let order = start_order(spec);
        running.sort_by_key(|c| {
            let rank = if c.pause {
                usize::MAX
            } else {
                order
                    .iter()
                    .position(|n| *n == c.name)
                    .map_or(0, |p| order.len() - p)
            };
            (rank, c.docker_id.clone())
        });
        return Some(ContainerStep::Stop(
            running.into_iter().map(|c| c.docker_id.clone()).collect(),
        ));
    }
    if let Some(pause) = task.pause()
        && !pause.is_running()
    {
        return (!pause.was_started()).then(|| ContainerStep::Start(vec![pause.docker_id.clone()]));
    }
    let mut ready = Vec::new();
    for name in start_order(spec) {
        let Some(container) = task.container(name) else {
            continue;
        };
        if container.was_started() || container.state != ContainerState::Created {
            continue;
        }
        let definition = spec
            .container_definitions
            .iter()
            .find(|d| d.name.as_deref() == Some(name));
        let met = definition.is_none_or(|d| {
            requirements(d).into_iter().all(|(target, condition)| {
                task.container(target)
                    .is_none_or(|t| condition_met(t, condition))
            })
        });
        if met {
            ready.push(container.docker_id.clone());
        }
    }
    (!ready.is_empty()).then_some(ContainerStep::Start(ready))
}

fn condition_met(target: &ObservedContainer, condition: ContainerCondition) -> bool {
    match condition {
        ContainerCondition::Start => target.was_started(),
        ContainerCondition::Complete => target.has_stopped(),
        ContainerCondition::Success => target.has_stopped() && target.exit_code == Some(0),
        ContainerCondition::Healthy => target.health == Health::Healthy,
    }
}

/// What a container needs of the others before it can start: its `dependsOn`, plus a START
/// for every container it links to (Docker refuses a link to a container that is not running).
fn requirements(
    definition: &crate::model::ecs::ContainerDefinition,
) -> Vec<(&str, ContainerCondition)> {
    let mut out: Vec<(&str, ContainerCondition)> = definition
        .depends_on
        .iter()
        .filter_map(|d| Some((d.container_name.as_deref()?, d.condition?)))
        .collect();
    for link in &definition.links {
        let target = link.split(':').next().unwrap_or(link);
        out.push((target, ContainerCondition::Start));
    }
    out
}

/// Container names in an order where what a container depends on, links to or takes volumes
/// from comes first (declaration order otherwise). Containers are created and started in it.
pub fn start_order(spec: &TaskDefinitionSpec) -> Vec<&str> {
    let names: Vec<&str> = spec
        .container_definitions
        .iter()
        .filter_map(|d| d.name.as_deref())
        .collect();
    let before = |definition: &crate::model::ecs::ContainerDefinition| -> Vec<String> {
        let mut targets: Vec<String> = requirements(definition)
            .into_iter()
            .map(|(t, _)| t.to_string())
            .collect();
        targets.extend(
            definition
                .volumes_from
                .iter()
                .filter_map(|v| v.source_container.clone()),
        );
        targets
    };
    let mut ordered: Vec<&str> = Vec::with_capacity(names.len());
    // Repeatedly take the containers whose prerequisites are all placed; a cycle (refused by
    // validation) ends the loop with the rest appended in declaration order.
    let mut progress = true;
    while ordered.len() < names.len() && progress {
        progress = false;
        for definition in &spec.container_definitions {
            let Some(name) = definition.name.as_deref() else {
                continue;
            };
            if ordered.contains(&name) {
                continue;
            }
            let ready = before(definition).iter().all(|t| {
                ordered.contains(&t.as_str()) || !names.contains(&t.as_str()) || t == name
            });
            if ready {
                ordered.push(name);
                progress = true;
            }
        }
    }
    for name in names {
        if !ordered.contains(&name) {
            ordered.push(name);
        }
    }
    ordered
}

#[cfg(test)]
mod tests;
