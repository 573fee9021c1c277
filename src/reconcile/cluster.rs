//! A cluster's decision: from what was observed on its hosts, the recorded state and runtime,
//! the operations still in flight and the clock, everything one pass must do, as plain data
//! (hosts by name, no connections): the actions per host, what to write into the runtime
//! record, the changes to the state (rollbacks, forgotten services), the per-service report,
//! and when to look again. Never does I/O; the controller carries the decision out.
//!
//! Task assessment lives here too ([`assess_task`]): the reconciler and the read-only
//! commands (`get tasks`, `describe task`) judge a task with the same function and inputs
//! (recorded stop reasons, the service's health-check grace period, deleted services).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use super::service::{
    self, Assessed, Counts, Decision, FailureCount, HostInfo, HostUsage, LaunchFailure,
    ServiceInput, Settings,
};
use super::task::{
    self, ContainerStep, DesiredStatus, Health, ObservedTask, StopReason, TaskGroup, TaskState,
    TaskStatus,
};
use super::traffic::{self, TargetHealth, TrafficDecision, TrafficInput};
use crate::ids::IdSource;
use crate::model::ecs::TaskDefinitionSpec;
use crate::model::names::TaskDefRef;
use crate::schedule::pools::Providers;
use crate::state::{
    Deployment, HostRuntime, RolloutState, Runtime, ServiceRecord, ServiceRuntime, ServiceStatus,
};
use crate::time::Timestamp;

/// How the task definitions of the state are looked up.
pub type SpecOf<'a> = dyn Fn(&TaskDefRef) -> Option<&'a TaskDefinitionSpec> + 'a;

/// How long the network-holding pause container gets to stop (it holds nothing else).
pub const PAUSE_STOP_TIMEOUT: Duration = Duration::from_secs(2);

/// Operations under way (the controller's memory between passes).
#[derive(Clone, Debug, Default)]
pub struct InFlight {
    /// Tasks being created, as placeholders: a half-created task is not judged.
    pub launching: BTreeMap<String, ObservedTask>,
    /// Containers being started or stopped.
    pub busy_containers: BTreeSet<String>,
    pub stopping: BTreeSet<String>,
    pub removing: BTreeSet<String>,
    /// Launches that failed since the last pass, per service.
    pub launch_failures: BTreeMap<String, Vec<LaunchFailure>>,
    /// Tasks removed since the last record: their stop reasons are forgotten.
    pub removed: Vec<String>,
}

/// Everything a pass decides on.
pub struct ClusterInput<'a> {
    pub services: &'a BTreeMap<String, ServiceRecord>,
    pub task_definitions: &'a SpecOf<'a>,
    pub runtime: &'a Runtime,
    /// The scheduling view of every host (status, attributes, capacity).
    pub hosts: &'a [HostInfo],
    /// What each host looks like now, for the runtime record.
    pub host_records: &'a BTreeMap<String, HostRuntime>,
    /// The tasks of the last observation of every host that answered.
    pub observed: &'a [ObservedTask],
    pub in_flight: &'a InFlight,
    pub now: Timestamp,
    pub settings: &'a Settings,
    /// The cluster's load balancers and what their proxies showed; `None` when it has none.
    pub traffic: Option<TrafficInput<'a>>,
    /// The cluster's capacity providers (see [`Providers::of`]).
    pub providers: &'a Providers,
}

/// A task to create on a host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LaunchTask {
    pub host: String,
    pub task_id: String,
    pub group: TaskGroup,
    pub deployment: Option<String>,
    pub task_definition: TaskDefRef,
}

/// One operation on one host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    Launch(LaunchTask),
    /// Start these created containers, in order.
    Start {
        host: String,
        task_id: String,
        containers: Vec<String>,
    },
    /// Stop the task's running containers together (each with its stop timeout), then `last`
    /// (the pause container).
    Stop {
        host: String,
        task_id: String,
        containers: Vec<(String, Duration)>,
        last: Vec<(String, Duration)>,
    },
    /// Remove the task's containers.
    Remove {
        host: String,
        task_id: String,
    },
}

impl Action {
    pub fn host(&self) -> &str {
        match self {
            Action::Launch(l) => &l.host,
            Action::Start { host, .. }
            | Action::Stop { host, .. }
            | Action::Remove { host, .. } => host,
        }
    }

    pub fn task_id(&self) -> &str {
        match self {
            Action::Launch(l) => &l.task_id,
            Action::Start { task_id, .. }
            | Action::Stop { task_id, .. }
            | Action::Remove { task_id, .. } => task_id,
        }
    }
}

/// An action and the service it is for (none: container steps and standalone tasks).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub service: Option<String>,
    pub action: Action,
}

/// A circuit-breaker rollback: re-activate `to` if the primary deployment is still `was`.
#[derive(Clone, Debug, PartialEq)]
pub struct Rollback {
    pub was: Option<String>,
    pub to: Deployment,
}

/// What a pass found for one service.
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceReport {
    pub name: String,
    pub status: ServiceStatus,
    pub counts: Counts,
    pub steady: bool,
    pub primary: Option<String>,
    pub task_definition: Option<TaskDefRef>,
    pub rollout: Option<RolloutState>,
    pub rollout_reason: Option<String>,
    /// Filled in by whoever changed the state (the rollback may no longer apply).
    pub rolled_back_to: Option<TaskDefRef>,
    pub forgotten: bool,
    pub events: Vec<String>,
}

/// Everything one pass must do.
#[derive(Clone, Debug, Default)]
pub struct ClusterDecision {
    pub steps: Vec<Step>,
    /// The services' decisions, for the runtime record (their actions are in `steps`).
    pub services: BTreeMap<String, Decision>,
    /// Whether the runtime record must be written (something changed).
    pub write_runtime: bool,
    pub host_records: BTreeMap<String, HostRuntime>,
    /// Tasks whose stop reasons are forgotten (they were removed).
    pub removed: Vec<String>,
    pub rollbacks: BTreeMap<String, Rollback>,
    /// Deleted services whose tasks are gone: drop them from the state.
    pub forget: BTreeSet<String>,
    pub reports: BTreeMap<String, ServiceReport>,
    /// Standalone tasks (run-task) as judged, for whoever waits for them.
    pub standalone: Vec<(ObservedTask, TaskState)>,
    /// What the proxies must become (targets registered, drained, deleted).
    pub traffic: Option<TrafficDecision>,
    /// The target groups' targets for the runtime record (`describe targetgroup`).
    pub targets: Option<BTreeMap<String, Vec<traffic::TargetRecord>>>,
    pub requeue_after: Option<Duration>,
}

impl ClusterDecision {
    /// A stop that must not happen before its task's stop reason is recorded (else the next
    /// pass would read the stop it made as a failure, or forget why it failed).
    pub fn needs_record(&self, step: &Step) -> bool {
        let Action::Stop { task_id, .. } = &step.action else {
            return false;
        };
        self.services
            .values()
            .any(|d| d.record_stops.iter().any(|(t, _)| t == task_id))
    }
}

/// The ECS view of one task, with the inputs every reader must use: the recorded stop
/// reason, the service's health-check grace period, and "Service deleted" for orphans.
pub fn assess_task(
    t: &ObservedTask,
    services: &BTreeMap<String, ServiceRecord>,
    runtime: &Runtime,
    spec: Option<&TaskDefinitionSpec>,
    now: Timestamp,
) -> TaskState {
    let (recorded, grace_until) = match &t.group {
        TaskGroup::Service(name) => {
            let recorded = runtime
                .services
                .get(name)
                .and_then(|s| s.stop_reasons.get(&t.id))
                .cloned();
            let grace = services
                .get(name)
                .map(|r| crate::model::effective::health_check_grace_period(&r.spec))
                .filter(|g| !g.is_zero())
                .and_then(|g| t.started_at().map(|s| s.plus(g)));
            (recorded, grace)
        }
        TaskGroup::Standalone(_) => (runtime.stop_reasons.get(&t.id).cloned(), None),
    };
    let recorded = recorded
        .or_else(|| is_orphan(t, services).then(|| StopReason::intentional("Service deleted")));
    task::assess(t, spec, recorded.as_ref(), grace_until, now)
}

/// A task of a service that is no longer in the state.
pub fn is_orphan(t: &ObservedTask, services: &BTreeMap<String, ServiceRecord>) -> bool {
    matches!(&t.group, TaskGroup::Service(name) if !services.contains_key(name))
}

/// The tasks to judge: what was observed, with tasks still being created replaced by their
/// placeholders.
fn tasks_to_judge(input: &ClusterInput<'_>) -> Vec<ObservedTask> {
    let launching = &input.in_flight.launching;
    let mut tasks: Vec<ObservedTask> = input
        .observed
        .iter()
        .filter(|t| !launching.contains_key(&t.id))
        .cloned()
        .collect();
    tasks.extend(launching.values().cloned());
    tasks
}

/// Decides one pass for a cluster.
pub fn decide(input: &ClusterInput<'_>, ids: &mut dyn IdSource) -> ClusterDecision {
    let tasks = tasks_to_judge(input);
    let mut states: Vec<TaskState> = tasks
        .iter()
        .map(|t| {
            let spec = (input.task_definitions)(&t.task_definition);
            assess_task(t, input.services, input.runtime, spec, input.now)
        })
        .collect();
    let mut failed_checks = Vec::new();
    if let Some(traffic) = &input.traffic {
        let health = traffic::target_health(traffic, input.services, &tasks);
        failed_checks = with_target_health(input, &tasks, &mut states, &health);
    }
    let mut out = ClusterDecision {
        steps: container_steps(input, &tasks, &states),
        host_records: input.host_records.clone(),
        removed: input.in_flight.removed.clone(),
        ..ClusterDecision::default()
    };
    let usage = usage(tasks.iter().zip(&states), input.task_definitions);
    // One-off tasks and how they ended, for lifecycle hooks (a task that stopped without an
    // exit code never ran: a failure).
    let one_off: BTreeMap<String, Option<i64>> = tasks
        .iter()
        .zip(&states)
        .filter(|(t, _)| matches!(t.group, TaskGroup::Standalone(_)))
        .map(|(t, st)| {
            let stopped = st.last_status == crate::reconcile::task::TaskStatus::Stopped;
            (
                t.id.clone(),
                stopped.then(|| t.essential_exit().unwrap_or(1)),
            )
        })
        .collect();
    for name in input.services.keys() {
        let mut decision = decide_service(input, name, &tasks, &states, &usage, &one_off, ids);
        for (service, event) in &failed_checks {
            if service == name {
                decision.events.insert(0, event.clone());
            }
        }
        service_steps(input, name, &decision, &tasks, &mut out.steps);
        out.services.insert(name.clone(), decision);
    }
    out.steps.extend(
        leftovers(input, &tasks, &states)
            .into_iter()
            .map(|action| Step {
                service: None,
                action,
            }),
    );
    out.standalone = tasks
        .iter()
        .zip(&states)
        .filter(|(t, _)| matches!(t.group, TaskGroup::Standalone(_)))
        .map(|(t, st)| (t.clone(), st.clone()))
        .collect();
    if let Some(traffic) = &input.traffic {
        drain_before_stop(input, traffic, &tasks, &states, &mut out);
    } else if !input.runtime.targets.is_empty() {
        // The last load balancer is gone: so are its targets.
        out.targets = Some(BTreeMap::new());
    }
    finish(input, &mut out);
    out
}

/// The load balancers' word on a task: a task is healthy for its deployment only once it is
/// healthy in every target group; one its target groups find unhealthy after the grace
/// period is stopped with ECS's reason (and replaced). Returns the events of those, by
/// service.
fn with_target_health(
    input: &ClusterInput<'_>,
    tasks: &[ObservedTask],
    states: &mut [TaskState],
    health: &BTreeMap<String, TargetHealth>,
) -> Vec<(String, String)> {
    let mut events = Vec::new();
    for (t, st) in tasks.iter().zip(states.iter_mut()) {
        let Some(target) = health.get(&t.id) else {
            continue;
        };
        if st.desired_status != DesiredStatus::Running || st.last_status != TaskStatus::Running {
            continue;
        }
        let TaskGroup::Service(name) = &t.group else {
            continue;
        };
        let Some(record) = input.services.get(name) else {
            continue;
        };
        match target {
            TargetHealth::Healthy => {}
            TargetHealth::Unhealthy => {
                let grace = crate::model::effective::health_check_grace_period(&record.spec);
                let in_grace = t.started_at().is_some_and(|s| input.now < s.plus(grace));
                if in_grace {
                    st.health = Health::Starting;
                } else {
                    let reason = traffic::elb_health_failure(record);
                    events.push((
                        name.clone(),
                        format!(
                            "(service {name}) (task {}) {}.",
                            t.short_id(),
                            reason.replacen("Task failed", "failed", 1)
                        ),
                    ));
                    st.desired_status = DesiredStatus::Stopped;
                    st.health = Health::Unhealthy;
                    st.stop_reason = Some(StopReason::failure(reason));
                }
            }
            _ => {
                if matches!(st.health, Health::Healthy | Health::Unknown) {
                    st.health = Health::Starting;
                }
            }
        }
    }
    events
}

/// Decides the proxies' targets and holds back the stops of tasks still registered: they are
/// drained first, deregistered, and stopped on a later pass.
fn drain_before_stop(
    input: &ClusterInput<'_>,
    traffic_input: &TrafficInput<'_>,
    tasks: &[ObservedTask],
    states: &[TaskState],
    out: &mut ClusterDecision,
) {
    let mut stopping: BTreeSet<String> = input.in_flight.stopping.clone();
    stopping.extend(
        out.steps
            .iter()
            .filter(|s| matches!(s.action, Action::Stop { .. }))
            .map(|s| s.action.task_id().to_string()),
    );
    let judged: Vec<(ObservedTask, TaskState)> =
        tasks.iter().cloned().zip(states.iter().cloned()).collect();
    let shares: BTreeMap<String, service::TrafficShare> = out
        .services
        .iter()
        .filter_map(|(name, d)| Some((name.clone(), d.traffic_share.clone()?)))
        .collect();
    let decision = traffic::decide(
        traffic_input,
        input.services,
        &judged,
        &stopping,
        &shares,
        input.now,
    );
    let held = &decision.held_stops;
    out.steps.retain(|s| {
        !(matches!(s.action, Action::Stop { .. }) && held.contains(s.action.task_id()))
    });
    // A held stop is told when it happens, after its drain and deregistration (ECS's order).
    for (name, d) in out.services.iter_mut() {
        let all: Vec<&str> = d.stops.iter().map(|s| s.task_id.as_str()).collect();
        if !all.iter().any(|id| held.contains(*id)) {
            continue;
        }
        let told = service::tasks_event(name, "has stopped", "running task", all.iter().copied());
        let kept: Vec<&str> = all
            .iter()
            .copied()
            .filter(|id| !held.contains(*id))
            .collect();
        let now_told = service::tasks_event(name, "has stopped", "running task", kept.into_iter());
        if let Some(at) = d.events.iter().position(|e| Some(e) == told.as_ref()) {
            d.events.remove(at);
            if let Some(event) = now_told {
                d.events.insert(at, event);
            }
        }
    }
    let mut released: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for step in &out.steps {
        let id = step.action.task_id();
        if !matches!(step.action, Action::Stop { .. }) || !traffic_input.held_before.contains(id) {
            continue;
        }
        if let Some(TaskGroup::Service(name)) = tasks.iter().find(|t| t.id == id).map(|t| &t.group)
        {
            released.entry(name.clone()).or_default().push(id);
        }
    }
    for (service, events) in &decision.events {
        if let Some(d) = out.services.get_mut(service) {
            d.events.extend(events.iter().cloned());
        }
    }
    for (name, ids) in released {
        if let Some(d) = out.services.get_mut(&name)
            && let Some(event) =
                service::tasks_event(&name, "has stopped", "running task", ids.into_iter())
        {
            d.events.push(event);
        }
    }
    if let Some(after) = decision.requeue_after {
        out.requeue_after = Some(out.requeue_after.map_or(after, |r| r.min(after)));
    }
    out.targets = Some(decision.targets.clone());
    out.traffic = Some(decision);
}

/// Rollbacks, forgotten services, reports, the record decision and the requeue.
fn finish(input: &ClusterInput<'_>, out: &mut ClusterDecision) {
    for (name, decision) in &out.services {
        let record = &input.services[name];
        if let Some(to) = &decision.rollback {
            let was = record.primary().map(|p| p.id.clone());
            out.rollbacks.insert(
                name.clone(),
                Rollback {
                    was,
                    to: to.clone(),
                },
            );
        }
        if decision.forget && record.status == ServiceStatus::Draining {
            out.forget.insert(name.clone());
        }
        let runtime = input.runtime.services.get(name);
        out.reports
            .insert(name.clone(), report(name, record, runtime, decision));
        if let Some(after) = decision.requeue_after {
            out.requeue_after = Some(out.requeue_after.map_or(after, |r| r.min(after)));
        }
    }
    out.write_runtime = !quiet(input, out);
}

fn decide_service(
    input: &ClusterInput<'_>,
    name: &str,
    tasks: &[ObservedTask],
    states: &[TaskState],
    usage: &BTreeMap<String, HostUsage>,
    one_off: &BTreeMap<String, Option<i64>>,
    ids: &mut dyn IdSource,
) -> Decision {
    let empty = ServiceRuntime::default();
    let group = TaskGroup::Service(name.to_string());
    let assessed: Vec<Assessed<'_>> = tasks
        .iter()
        .zip(states)
        .filter(|(t, _)| t.group == group)
        .map(|(t, st)| Assessed {
            task: t,
            state: st.clone(),
            stopping: input.in_flight.stopping.contains(&t.id),
        })
        .collect();
    let failures = input
        .in_flight
        .launch_failures
        .get(name)
        .cloned()
        .unwrap_or_default();
    // A closure of its own: the service input's lifetimes are this function's.
    let lookup = |r: &TaskDefRef| (input.task_definitions)(r);
    let service_input = ServiceInput {
        name,
        record: &input.services[name],
        runtime: input.runtime.services.get(name).unwrap_or(&empty),
        tasks: &assessed,
        hosts: input.hosts,
        usage,
        task_definitions: &lookup,
        now: input.now,
        settings: input.settings,
        launch_failures: &failures,
        providers: input.providers,
        alarms: &input.runtime.alarms,
        hook_tasks: one_off,
    };
    service::decide(&service_input, ids)
}

/// The service's starts, stops and removals as actions.
fn service_steps(
    input: &ClusterInput<'_>,
    name: &str,
    decision: &Decision,
    tasks: &[ObservedTask],
    steps: &mut Vec<Step>,
) {
    let service = Some(name.to_string());
    for start in &decision.starts {
        steps.push(Step {
            service: service.clone(),
            action: Action::Launch(LaunchTask {
                host: start.host.clone(),
                task_id: start.task_id.clone(),
                group: TaskGroup::Service(name.to_string()),
                deployment: Some(start.deployment.clone()),
                task_definition: start.task_definition.clone(),
            }),
        });
    }
    for stop in &decision.stops {
        let Some(t) = tasks.iter().find(|t| t.id == stop.task_id) else {
            continue;
        };
        if let Some(action) = stop_action(input, t) {
            steps.push(Step {
                service: service.clone(),
                action,
            });
        }
    }
    for removal in &decision.removals {
        if let Some(action) = remove_action(input, &removal.task_id, &removal.host) {
            steps.push(Step {
                service: service.clone(),
                action,
            });
        }
    }
}

/// Container-level steps: dependencies to start, and stopping what an essential exit stopped.
fn container_steps(
    input: &ClusterInput<'_>,
    tasks: &[ObservedTask],
    states: &[TaskState],
) -> Vec<Step> {
    let in_flight = input.in_flight;
    let mut steps = Vec::new();
    for (t, st) in tasks.iter().zip(states) {
        let busy = in_flight.stopping.contains(&t.id)
            || in_flight.removing.contains(&t.id)
            || t.containers
                .iter()
                .any(|c| in_flight.busy_containers.contains(&c.docker_id));
        if t.containers.is_empty() || busy {
            continue;
        }
        let Some(spec) = (input.task_definitions)(&t.task_definition) else {
            continue;
        };
        let action = match task::container_steps(t, spec, st) {
            Some(ContainerStep::Start(containers)) => Some(Action::Start {
                host: t.host.clone(),
                task_id: t.id.clone(),
                containers,
            }),
            Some(ContainerStep::Stop(_)) => stop_action(input, t),
            None => None,
        };
        if let Some(action) = action {
            steps.push(Step {
                service: None,
                action,
            });
        }
    }
    steps
}

/// Stopping a task: its running containers with their stop timeouts, the pause container
/// last. None when it is already being stopped or nothing runs.
pub fn stop_action(input: &ClusterInput<'_>, t: &ObservedTask) -> Option<Action> {
    if input.in_flight.stopping.contains(&t.id) {
        return None;
    }
    let spec = (input.task_definitions)(&t.task_definition);
    let running: Vec<&task::ObservedContainer> =
        t.containers.iter().filter(|c| c.is_running()).collect();
    if running.is_empty() {
        return None;
    }
    let containers = running
        .iter()
        .filter(|c| !c.pause)
        .map(|c| (c.docker_id.clone(), stop_timeout(spec, &c.name)))
        .collect();
    let last = running
        .iter()
        .filter(|c| c.pause)
        .map(|c| (c.docker_id.clone(), PAUSE_STOP_TIMEOUT))
        .collect();
    Some(Action::Stop {
        host: t.host.clone(),
        task_id: t.id.clone(),
        containers,
        last,
    })
}

/// A container's `stopTimeout`, else the default for ECS tasks (one home: the effective model).
pub fn stop_timeout(spec: Option<&TaskDefinitionSpec>, container: &str) -> Duration {
    spec.and_then(|s| {
        s.container_definitions
            .iter()
            .find(|c| c.name.as_deref() == Some(container))
    })
    .map_or(
        crate::model::effective::DEFAULT_STOP_TIMEOUT,
        crate::model::effective::stop_timeout,
    )
}

fn remove_action(input: &ClusterInput<'_>, task_id: &str, host: &str) -> Option<Action> {
    (!input.in_flight.removing.contains(task_id)).then(|| Action::Remove {
        host: host.to_string(),
        task_id: task_id.to_string(),
    })
}

/// Removals outside any service: stopped tasks of deleted services at once, stopped
/// standalone tasks after the retention.
fn leftovers(
    input: &ClusterInput<'_>,
    tasks: &[ObservedTask],
    states: &[TaskState],
) -> Vec<Action> {
    let mut out = Vec::new();
    for (t, st) in tasks.iter().zip(states) {
        let orphan = is_orphan(t, input.services);
        let standalone = matches!(t.group, TaskGroup::Standalone(_));
        if !(orphan || standalone)
            || st.last_status != TaskStatus::Stopped
            || t.containers.is_empty()
        {
            continue;
        }
        let stopped_at = t.stopped_at().unwrap_or(t.created_at);
        let expired = input.now.since(stopped_at) >= input.settings.task_retention;
        if orphan || expired {
            out.extend(remove_action(input, &t.id, &t.host));
        }
    }
    out
}

/// True when nothing needs writing: no service decision changes its record, no host changed
/// (a host's last contact is refreshed at most every ten seconds), nothing was removed.
fn quiet(input: &ClusterInput<'_>, out: &ClusterDecision) -> bool {
    let runtime = input.runtime;
    let decisions_quiet = out.services.iter().all(|(name, d)| {
        let recorded = runtime.services.get(name);
        let changed_at = input.services.get(name).map(|r| r.updated_at);
        let stale_mark = recorded
            .and_then(|s| s.steady_since)
            .zip(changed_at)
            .is_some_and(|(since, changed)| since < changed);
        d.events.is_empty()
            && d.record_stops.is_empty()
            && d.progress.is_empty()
            && d.failures == FailureCount::Unchanged
            && !d.forget
            && recorded.is_some_and(|s| s.steady_since.is_some()) == d.steady
            && !(d.steady && stale_mark)
            && recorded.and_then(|s| s.counts) == Some(d.counts)
            && recorded.is_some_and(|s| s.capacity_providers == d.capacity_providers)
    });
    let hosts_quiet = runtime.hosts.len() == out.host_records.len()
        && out.host_records.iter().all(|(name, now_seen)| {
            runtime.hosts.get(name).is_some_and(|before| {
                before.failing_since == now_seen.failing_since
                    && before.error == now_seen.error
                    && match (before.last_contact, now_seen.last_contact) {
                        (Some(a), Some(b)) => b.since(a) < Duration::from_secs(10),
                        (a, b) => a == b,
                    }
            })
        });
    let targets_quiet = out
        .targets
        .as_ref()
        .is_none_or(|targets| *targets == runtime.targets);
    decisions_quiet && hosts_quiet && targets_quiet && out.removed.is_empty()
}

/// The report of one service: the decision, and its primary deployment's progress as it will
/// be recorded.
fn report(
    name: &str,
    record: &ServiceRecord,
    runtime: Option<&ServiceRuntime>,
    decision: &Decision,
) -> ServiceReport {
    let primary = record.primary();
    let progress = primary.and_then(|p| {
        decision
            .progress
            .iter()
            .find(|(id, _)| *id == p.id)
            .map(|(_, progress)| progress)
            .or_else(|| runtime.and_then(|s| s.deployments.get(&p.id)))
    });
    ServiceReport {
        name: name.to_string(),
        status: record.status,
        counts: decision.counts,
        steady: decision.steady,
        primary: primary.map(|p| p.id.clone()),
        task_definition: Some(record.task_definition.clone()),
        rollout: progress.map(|p| p.rollout_state),
        rollout_reason: progress.and_then(|p| p.rollout_state_reason.clone()),
        rolled_back_to: None,
        forgotten: decision.forget,
        events: decision.events.clone(),
    }
}

/// Resources in use on each host by its live tasks (any service, or none).
pub fn usage<'a, 't>(
    tasks: impl IntoIterator<Item = (&'t ObservedTask, &'t TaskState)>,
    spec_of: &SpecOf<'a>,
) -> BTreeMap<String, HostUsage> {
    let mut usage: BTreeMap<String, HostUsage> = BTreeMap::new();
    for (t, st) in tasks {
        if st.last_status == TaskStatus::Stopped && st.desired_status == DesiredStatus::Stopped {
            continue;
        }
        let entry = usage.entry(t.host.clone()).or_default();
        entry.tasks += 1;
        let Some(spec) = spec_of(&t.task_definition) else {
            continue;
        };
        let (cpu, memory) = service::task_size(spec);
        entry.cpu += cpu;
        entry.memory += memory;
        entry.ports.extend(service::fixed_host_ports(spec));
    }
    usage
}

#[cfg(test)]
mod tests;
