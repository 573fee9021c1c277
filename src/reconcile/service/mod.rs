//! A service's decision: from its record, its runtime progress and its observed tasks, the
//! tasks to start and stop, the events to record, how its deployments progress, whether the
//! circuit breaker trips (and where to roll back to), and when to look again.
//!
//! Follows ECS:
//! - at most `floor(desired × maximumPercent / 100)` tasks RUNNING or PENDING (tasks being
//!   stopped still count until they are down), at least `ceil(desired × minimumHealthyPercent
//!   / 100)` healthy while old tasks are replaced;
//! - the circuit breaker fails a deployment after `clamp(ceil(desired / 2), 3, 200)` failed
//!   tasks and, with `rollback`, returns to the last COMPLETED deployment;
//! - events in ECS's words (`(service web) has reached a steady state.`).
//!
//! REPLICA services are in [`replica`], DAEMON services (one task per host) in [`daemon`].

mod daemon;
mod replica;
pub mod shift;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use super::task::{Health, ObservedTask, TaskState, TaskStatus, short_id, stop_detail};
use crate::ids::IdSource;
use crate::model::ecs::{
    PlacementConstraintType, TaskDefinitionPlacementConstraintType, TaskDefinitionSpec,
};
use crate::model::effective::{self, EffectiveService, EffectiveTaskDefinition, TaskSize};
use crate::model::names::TaskDefRef;
use crate::schedule::pools::Providers;
use crate::schedule::query::Expr;
use crate::schedule::{self, Request};
use crate::state::{
    Deployment, DeploymentProgress, RolloutState, ServiceRecord, ServiceRuntime, ServiceStatus,
    StopReason,
};
use crate::time::Timestamp;

/// A host as the scheduler sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct HostInfo {
    pub name: String,
    pub attributes: BTreeMap<String, String>,
    pub status: HostStatus,
    pub cpu: i64,
    pub memory: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostStatus {
    Active,
    Draining,
    /// Not answering for longer than the grace period: its tasks count as lost.
    Unreachable,
}

/// What is already used on a host, by every task on it (all services).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HostUsage {
    pub cpu: i64,
    pub memory: i64,
    pub ports: BTreeSet<(u16, String)>,
    pub tasks: u32,
}

/// An observed task with its assessed state. `stopping`: a stop is already under way.
#[derive(Clone, Debug)]
pub struct Assessed<'a> {
    pub task: &'a ObservedTask,
    pub state: TaskState,
    pub stopping: bool,
}

#[derive(Clone, Debug)]
pub struct Settings {
    /// How long stopped tasks stay visible before their containers are removed.
    pub task_retention: Duration,
    /// Stopped tasks kept per service at most, whatever their age.
    pub max_stopped: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            task_retention: Duration::from_secs(3600),
            max_stopped: 10,
        }
    }
}

/// A task that could not even be created (image pull, secrets, volumes): it has no
/// containers to observe, so the controller reports it here once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LaunchFailure {
    pub task_id: String,
    pub deployment: String,
    pub reason: String,
}

pub struct ServiceInput<'a> {
    pub name: &'a str,
    pub record: &'a ServiceRecord,
    pub runtime: &'a ServiceRuntime,
    pub tasks: &'a [Assessed<'a>],
    pub hosts: &'a [HostInfo],
    /// Resources used on each host by every task there.
    pub usage: &'a BTreeMap<String, HostUsage>,
    pub task_definitions: &'a dyn Fn(&TaskDefRef) -> Option<&'a TaskDefinitionSpec>,
    pub now: Timestamp,
    pub settings: &'a Settings,
    pub launch_failures: &'a [LaunchFailure],
    /// The cluster's capacity providers (pools of its hosts) and default strategy.
    pub providers: &'a Providers,
    /// The cluster's alarms as evaluated this pass (deployments that name one fail on ALARM).
    pub alarms: &'a BTreeMap<String, crate::state::AlarmRecord>,
    /// The cluster's one-off tasks: id → the essential container's exit code once stopped
    /// (lifecycle hook tasks are among them).
    pub hook_tasks: &'a BTreeMap<String, Option<i64>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StartTask {
    pub task_id: String,
    pub host: String,
    pub deployment: String,
    pub task_definition: TaskDefRef,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StopTask {
    pub task_id: String,
    pub host: String,
    pub reason: StopReason,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoveTask {
    pub task_id: String,
    pub host: String,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Decision {
    pub starts: Vec<StartTask>,
    pub stops: Vec<StopTask>,
    pub removals: Vec<RemoveTask>,
    pub events: Vec<String>,
    /// Stop reasons to record (before acting): tasks that failed, and intentional stops.
    pub record_stops: Vec<(String, StopReason)>,
    /// Deployment progress to record.
    pub progress: Vec<(String, DeploymentProgress)>,
    /// The circuit breaker rolled the service back: re-activate this deployment.
    pub rollback: Option<Deployment>,
    /// Whether the service is steady (all desired tasks healthy, nothing old left).
    pub steady: bool,
    /// A deleted service whose tasks are all gone: drop its record.
    pub forget: bool,
    pub failures: FailureCount,
    pub requeue_after: Option<Duration>,
    pub counts: Counts,
    /// Active tasks per capacity provider (of the hosts they run on).
    pub capacity_providers: BTreeMap<String, u32>,
    /// A shifted deployment's share of production traffic (absent: every task alike).
    pub traffic_share: Option<TrafficShare>,
    /// A lifecycle hook's one-off task to launch (the controller records its id).
    pub hook_run: Option<HookLaunch>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HookLaunch {
    pub deployment: String,
    pub stage: crate::model::effective::strategy::Stage,
    /// `FAMILY` or `FAMILY:REV`.
    pub task_definition: String,
}

/// The production traffic a deployment's tasks take in its target groups; the service's
/// other tasks take the rest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrafficShare {
    pub deployment: String,
    pub permille: u32,
}

/// How the service's failure streak changes (it throttles launches).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FailureCount {
    #[default]
    Unchanged,
    Add(u32),
    Reset,
}

/// Task counts, for progress displays, `get services` and `describe`.
pub use crate::state::ServiceCounts as Counts;

/// Tasks that start and die by themselves within this time count as failures in a row
/// (throttling).
const YOUNG: Duration = Duration::from_secs(5);

pub fn decide(input: &ServiceInput<'_>, ids: &mut dyn IdSource) -> Decision {
    let mut decision = Decision::default();
    let service = input.record.effective();
    let (at, stopped) = record_failures(input, &service, &mut decision);
    requested_rollback(input, &mut decision);
    alarm_failure(input, &mut decision);
    if service.is_daemon() {
        daemon::decide(input, &service, ids, &mut decision);
    } else {
        replica::decide(input, &service, ids, &mut decision);
    }
    let replaced = replacement_events(input, &decision, &stopped);
    decision.events.splice(at..at, replaced);
    cleanup(input, &mut decision);
    if input.record.status == ServiceStatus::Draining {
        let anything_left = input
            .tasks
            .iter()
            .any(|t| t.state.last_status != TaskStatus::Stopped);
        decision.forget = !anything_left && decision.starts.is_empty();
    }
    decision
}

/// A task that stopped by itself (or failed its health checks), noticed in this pass.
struct SelfStop {
    task_id: String,
    host: String,
    /// Its reason with the exit code (see [`stop_detail`]).
    detail: String,
}

/// Tasks that stopped by themselves (not by ecsctl's hand) are recorded once: their reason,
/// an event for failed health checks, the failure streak, and the circuit breaker's count.
/// Returns them, with where in the events the lines about their replacements go.
fn record_failures(
    input: &ServiceInput<'_>,
    service: &EffectiveService,
    decision: &mut Decision,
) -> (usize, Vec<SelfStop>) {
    let name = input.name;
    let mut young_failures = 0;
    let primary = input.record.primary();
    let mut primary_failures = 0;
    let mut stopped = Vec::new();
    for t in input.tasks {
        let Some(reason) = &t.state.stop_reason else {
            continue;
        };
        if reason.intentional || input.runtime.stop_reasons.contains_key(&t.task.id) {
            continue;
        }
        decision
            .record_stops
            .push((t.task.id.clone(), reason.clone()));
        if reason.text == super::task::HEALTH_CHECKS_FAILED {
            decision.events.push(format!(
                "(service {name}) (task {}) failed container health checks.",
                t.task.short_id()
            ));
        }
        stopped.push(SelfStop {
            task_id: t.task.id.clone(),
            host: t.task.host.clone(),
            detail: stop_detail(t.task, reason),
        });
        let lived = match (t.task.started_at(), t.task.stopped_at()) {
            (Some(start), Some(stop)) => stop.since(start),
            (Some(start), None) => input.now.since(start),
            _ => Duration::ZERO,
        };
        // A crash loop is a task that dies young by itself; a task killed from outside
        // (SIGKILL, SIGTERM: `docker kill`, an operator) is replaced at once.
        let killed = t
            .task
            .app_containers()
            .any(|c| c.essential && matches!(c.exit_code, Some(137 | 143)) && !c.oom_killed);
        if !t.state.reached_running || (lived < YOUNG && !killed) {
            young_failures += 1;
        }
        if primary.is_some_and(|p| t.task.deployment.as_deref() == Some(p.id.as_str())) {
            primary_failures += 1;
        }
    }
    let at = decision.events.len();
    for failure in input.launch_failures {
        decision.record_stops.push((
            failure.task_id.clone(),
            StopReason::failure(failure.reason.clone()),
        ));
        decision.events.push(format!(
            "(service {name}) failed to launch (task {}): {}",
            short_id(&failure.task_id),
            failure.reason
        ));
        young_failures += 1;
        if primary.is_some_and(|p| p.id == failure.deployment) {
            primary_failures += 1;
        }
    }
    if young_failures > 0 {
        decision.failures = FailureCount::Add(young_failures);
    }
    let Some(primary) = primary else {
        return (at, stopped);
    };
    let progress = progress_of(input, &primary.id);
    if primary_failures == 0 || progress.rollout_state != RolloutState::InProgress {
        return (at, stopped);
    }
    let mut progress = progress;
    progress.failed_tasks += primary_failures;
    progress.updated_at = input.now;
    let breaker = service.circuit_breaker;
    let desired = desired_count(input, service);
    let threshold = breaker_threshold(desired);
    if breaker.enable && progress.failed_tasks >= threshold {
        let why = format!(
            "tasks failed to start: {} failed, the circuit breaker threshold is {threshold}",
            progress.failed_tasks
        );
        fail_primary(
            input,
            decision,
            &mut progress,
            &why,
            "tasks failed to start",
            breaker.rollback,
        );
    }
    decision.progress.push((primary.id.clone(), progress));
    (at, stopped)
}

/// `ecsctl deployment rollback` on a deployment in progress: it fails, and the service returns
/// to the last deployment that completed (a shifted one's traffic at once).
fn requested_rollback(input: &ServiceInput<'_>, decision: &mut Decision) {
    let Some(primary) = input.record.primary() else {
        return;
    };
    let requested = input
        .runtime
        .controls
        .get(&primary.id)
        .is_some_and(|c| c.rollback);
    let mut progress = current_progress(input, decision, &primary.id);
    if !requested || progress.rollout_state != RolloutState::InProgress {
        return;
    }
    let why = "rolled back by `ecsctl deployment rollback`";
    fail_primary(input, decision, &mut progress, why, why, true);
    decision.progress.push((primary.id.clone(), progress));
}

/// `deploymentConfiguration.alarms`: a named alarm in ALARM while the deployment is in
/// progress (its steps and bake included) fails it, and rolls it back when `rollback` says.
fn alarm_failure(input: &ServiceInput<'_>, decision: &mut Decision) {
    let Some(primary) = input.record.primary() else {
        return;
    };
    let strategy = crate::model::effective::strategy::Strategy::of(&input.record.spec);
    let Some((names, rollback)) = &strategy.alarms else {
        return;
    };
    let mut progress = current_progress(input, decision, &primary.id);
    if progress.rollout_state != RolloutState::InProgress {
        return;
    }
    let Some((name, record)) = names.iter().find_map(|n| {
        input
            .alarms
            .get(n)
            .filter(|a| a.state == crate::model::alarm::AlarmState::Alarm)
            .map(|a| (n, a))
    }) else {
        return;
    };
    let short = format!("alarm `{name}` is in ALARM");
    let why = format!("{short}: {}", record.reason);
    fail_primary(input, decision, &mut progress, &why, &short, *rollback);
    decision.progress.push((primary.id.clone(), progress));
}

/// Marks the primary deployment FAILED (`why` recorded, `short` in the event) and, with
/// `rollback`, returns the service to the last deployment that completed. The one path for
/// the circuit breaker, alarms, lifecycle hooks and `ecsctl deployment rollback`.
fn fail_primary(
    input: &ServiceInput<'_>,
    decision: &mut Decision,
    progress: &mut DeploymentProgress,
    why: &str,
    short: &str,
    rollback: bool,
) {
    let name = input.name;
    let Some(primary) = input.record.primary() else {
        return;
    };
    progress.rollout_state = RolloutState::Failed;
    progress.rollout_state_reason = Some(why.to_string());
    progress.updated_at = input.now;
    decision.events.push(format!(
        "(service {name}) (deployment {}) deployment failed: {short}.",
        primary.id
    ));
    if !rollback {
        return;
    }
    let target = input.record.deployments.iter().skip(1).find(|d| {
        input
            .runtime
            .deployments
            .get(&d.id)
            .is_some_and(|p| p.rollout_state == RolloutState::Completed)
    });
    match target {
        Some(target) => {
            decision.events.push(format!(
                "(service {name}) rolling back to deployment {} ({}).",
                target.id, target.task_definition
            ));
            decision.rollback = Some(target.clone());
        }
        None => decision.events.push(format!(
            "(service {name}) cannot roll back: no earlier deployment completed."
        )),
    }
}

/// One line per task that stopped by itself: why (ECS's reason and the exit code), and
/// whether a replacement starts in this pass (`starting a replacement (task 9d8e..)`) or why
/// not. A start on the same host goes with a task first (DAEMON services), then in order.
fn replacement_events(
    input: &ServiceInput<'_>,
    decision: &Decision,
    stopped: &[SelfStop],
) -> Vec<String> {
    let name = input.name;
    let mut free: Vec<&StartTask> = decision.starts.iter().collect();
    let mut lines = Vec::new();
    for stop in stopped {
        let paired = free
            .iter()
            .position(|s| s.host == stop.host)
            .or_else(|| (!free.is_empty()).then_some(0))
            .map(|i| free.remove(i));
        let next = match paired {
            Some(start) => format!("starting a replacement (task {})", short_id(&start.task_id)),
            None => no_replacement(input, decision),
        };
        lines.push(format!(
            "(service {name}) (task {}) stopped: {}; {next}.",
            short_id(&stop.task_id),
            stop.detail
        ));
    }
    lines
}

/// Why a task that stopped by itself is not replaced in this pass.
fn no_replacement(input: &ServiceInput<'_>, decision: &Decision) -> String {
    if input.record.status == ServiceStatus::Draining {
        return "not replaced: the service is being deleted".into();
    }
    if failed_deployment(input, decision) {
        return match &decision.rollback {
            Some(target) => format!(
                "not replaced: the deployment failed, rolling back to {}",
                target.task_definition
            ),
            None => "not replaced: the deployment failed".into(),
        };
    }
    if let Some(until) = throttled_until(input, decision) {
        let streak = match decision.failures {
            FailureCount::Add(n) => input.runtime.consecutive_failures + n,
            _ => input.runtime.consecutive_failures,
        };
        let secs = until.since(input.now).as_millis().div_ceil(1000);
        return format!("a replacement starts in {secs}s: {streak} tasks failed in a row");
    }
    if decision.counts.unplaced > 0 {
        return "no host can take a replacement yet".into();
    }
    "no replacement needed".into()
}

/// ECS's circuit breaker threshold: half the desired count, at least 3, at most 200.
pub fn breaker_threshold(desired: u32) -> u32 {
    desired.div_ceil(2).clamp(3, 200)
}

fn progress_of(input: &ServiceInput<'_>, deployment: &str) -> DeploymentProgress {
    input
        .runtime
        .deployments
        .get(deployment)
        .cloned()
        .unwrap_or_else(|| DeploymentProgress::in_progress(input.now))
}

/// The progress of `deployment` as this decision leaves it.
fn current_progress(
    input: &ServiceInput<'_>,
    decision: &Decision,
    deployment: &str,
) -> DeploymentProgress {
    decision
        .progress
        .iter()
        .rev()
        .find(|(id, _)| id == deployment)
        .map(|(_, p)| p.clone())
        .unwrap_or_else(|| progress_of(input, deployment))
}

fn desired_count(input: &ServiceInput<'_>, service: &EffectiveService) -> u32 {
    if input.record.status == ServiceStatus::Draining {
        return 0;
    }
    if service.is_daemon() {
        let request = request_for(input);
        return daemon::eligible(input, request.as_ref()).len() as u32;
    }
    input.record.desired_count
}

/// Launches are throttled after tasks fail young in a row: 1 s after the third, doubling,
/// at most a minute. Returns when launching may resume.
fn throttled_until(input: &ServiceInput<'_>, decision: &Decision) -> Option<Timestamp> {
    let streak = match decision.failures {
        FailureCount::Add(n) => input.runtime.consecutive_failures + n,
        FailureCount::Reset => 0,
        FailureCount::Unchanged => input.runtime.consecutive_failures,
    };
    if streak < 3 {
        return None;
    }
    let last = if matches!(decision.failures, FailureCount::Add(_)) {
        input.now
    } else {
        input.runtime.last_failure_at?
    };
    let exponent = (streak - 3).min(6);
    let delay = Duration::from_secs(1 << exponent).min(Duration::from_secs(60));
    let until = last.plus(delay);
    (until > input.now).then_some(until)
}

fn requeue_at(decision: &mut Decision, now: Timestamp, at: Timestamp) {
    let after = at.since(now).max(Duration::from_millis(10));
    decision.requeue_after = Some(decision.requeue_after.map_or(after, |d| d.min(after)));
}

/// The placement request for a task of the service's primary deployment.
fn request_for(input: &ServiceInput<'_>) -> Option<Request> {
    let primary = input.record.primary()?;
    let spec = (input.task_definitions)(&primary.task_definition)?;
    let task = EffectiveTaskDefinition::of(spec);
    let mut member_of = Vec::new();
    let mut distinct_instance = false;
    for constraint in &input.record.spec.placement_constraints {
        match (constraint.r#type, constraint.expression.as_deref()) {
            (Some(PlacementConstraintType::DistinctInstance), _) => distinct_instance = true,
            (Some(PlacementConstraintType::MemberOf), Some(text)) => {
                if let Ok(expr) = Expr::parse(text) {
                    member_of.push((text.to_string(), expr));
                }
            }
            _ => {}
        }
    }
    for constraint in &spec.placement_constraints {
        if constraint.r#type == Some(TaskDefinitionPlacementConstraintType::MemberOf)
            && let Some(text) = constraint.expression.as_deref()
            && let Ok(expr) = Expr::parse(text)
        {
            member_of.push((text.to_string(), expr));
        }
    }
    Some(Request {
        cpu: task.size.cpu,
        memory: task.size.memory,
        ports: task.fixed_host_ports,
        strategies: input.record.spec.placement_strategy.clone(),
        distinct_instance,
        member_of,
    })
}

/// The fixed host ports a task takes (see [`effective::fixed_host_ports`]).
pub fn fixed_host_ports(spec: &TaskDefinitionSpec) -> Vec<(u16, String)> {
    effective::fixed_host_ports(spec)
}

/// Cpu units and MiB a task reserves (see [`TaskSize::of`]).
pub fn task_size(spec: &TaskDefinitionSpec) -> (i64, i64) {
    let size = TaskSize::of(spec);
    (size.cpu, size.memory)
}

/// Placement candidates: every host with what is free on it and this service's task count.
fn placement_hosts(input: &ServiceInput<'_>, active: &[&Assessed<'_>]) -> Vec<schedule::Host> {
    input
        .hosts
        .iter()
        .map(|h| {
            let usage = input.usage.get(&h.name).cloned().unwrap_or_default();
            schedule::Host {
                name: h.name.clone(),
                attributes: h.attributes.clone(),
                active: h.status == HostStatus::Active,
                cpu_free: h.cpu - usage.cpu,
                memory_free: h.memory - usage.memory,
                ports_used: usage.ports,
                running_tasks: usage.tasks,
                service_tasks: active.iter().filter(|t| t.task.host == h.name).count() as u32,
            }
        })
        .collect()
}

fn seed(name: &str, now: Timestamp) -> u64 {
    name.bytes().fold(now.unix_millis(), |acc, b| {
        acc.wrapping_mul(31).wrapping_add(u64::from(b))
    })
}

/// `(service web) has started 2 tasks: (task 1a2b..) (task 3c4d..).`, or nothing for none.
pub(crate) fn tasks_event<'a>(
    name: &str,
    did: &str,
    what: &str,
    ids: impl ExactSizeIterator<Item = &'a str>,
) -> Option<String> {
    let count = ids.len();
    if count == 0 {
        return None;
    }
    let tasks: Vec<String> = ids.map(|id| format!("(task {})", short_id(id))).collect();
    Some(format!(
        "(service {name}) {did} {count} {what}{}: {}.",
        if count == 1 { "" } else { "s" },
        tasks.join(" ")
    ))
}

/// The end of a pass: the service's events for what it starts and stops, the stop reasons
/// to record before acting, and the stops themselves.
fn commit_actions(name: &str, decision: &mut Decision, stops: Vec<StopTask>) {
    let started = tasks_event(
        name,
        "has started",
        "task",
        decision.starts.iter().map(|s| s.task_id.as_str()),
    );
    let stopped = tasks_event(
        name,
        "has stopped",
        "running task",
        stops.iter().map(|s| s.task_id.as_str()),
    );
    decision.events.extend(started);
    decision.events.extend(stopped);
    decision.record_stops.extend(
        stops
            .iter()
            .map(|stop| (stop.task_id.clone(), stop.reason.clone())),
    );
    decision.stops = stops;
}

/// The counts of a pass: every active task (not stopping) is RUNNING or on its way there.
fn observed_counts(desired: u32, active: &[&Assessed<'_>], healthy: u32) -> Counts {
    let running = active
        .iter()
        .filter(|t| t.state.last_status == TaskStatus::Running)
        .count() as u32;
    Counts {
        desired,
        running,
        pending: active.len() as u32 - running,
        healthy,
        unplaced: 0,
    }
}

/// An intentional stop of `t`: part of `deployment`, or the scheduler's own scaling.
fn stop_intentionally(t: &Assessed<'_>, deployment: Option<&str>) -> StopTask {
    StopTask {
        task_id: t.task.id.clone(),
        host: t.task.host.clone(),
        reason: intentional(deployment),
    }
}

/// Stops old tasks: the ones not healthy always (they count for nothing), healthy ones only
/// while `budget` (healthy tasks above minimumHealthyPercent) lasts.
fn stop_within_budget(
    old: &[&Assessed<'_>],
    budget: &mut u32,
    deployment: Option<&str>,
    stops: &mut Vec<StopTask>,
) {
    for t in old {
        if healthy(t) {
            if *budget == 0 {
                continue;
            }
            *budget -= 1;
        }
        stops.push(stop_intentionally(t, deployment));
    }
}

fn intentional(deployment: Option<&str>) -> StopReason {
    match deployment {
        Some(id) => {
            StopReason::intentional(format!("Scaling activity initiated by (deployment {id})"))
        }
        None => StopReason::intentional("Scaling activity initiated by the service scheduler"),
    }
}

/// Is the task healthy for deployment counting? (RUNNING and HEALTHY where checked.)
fn healthy(t: &Assessed<'_>) -> bool {
    !t.stopping && t.state.is_healthy()
}

/// Order in which tasks are chosen to stop: not yet healthy first, then from the busiest
/// host, then the newest.
fn stop_order<'a>(tasks: &mut [&'a Assessed<'a>]) {
    let mut per_host: BTreeMap<&str, usize> = BTreeMap::new();
    for t in tasks.iter() {
        *per_host.entry(t.task.host.as_str()).or_insert(0) += 1;
    }
    tasks.sort_by(|a, b| {
        let key = |t: &Assessed<'_>| {
            (
                healthy(t),
                std::cmp::Reverse(per_host.get(t.task.host.as_str()).copied().unwrap_or(0)),
                std::cmp::Reverse(t.task.created_at),
            )
        };
        key(a).cmp(&key(b)).then_with(|| a.task.id.cmp(&b.task.id))
    });
}

/// Removes stopped tasks past their retention (and beyond the newest few).
fn cleanup(input: &ServiceInput<'_>, decision: &mut Decision) {
    let mut stopped: Vec<&Assessed<'_>> = input
        .tasks
        .iter()
        .filter(|t| t.state.last_status == TaskStatus::Stopped && !t.task.containers.is_empty())
        .collect();
    stopped.sort_by_key(|t| {
        std::cmp::Reverse((
            t.task.stopped_at().unwrap_or(t.task.created_at),
            t.task.id.clone(),
        ))
    });
    let forget = input.record.status == ServiceStatus::Draining;
    for (i, t) in stopped.iter().enumerate() {
        let stopped_at = t.task.stopped_at().unwrap_or(t.task.created_at);
        let expires = stopped_at.plus(input.settings.task_retention);
        if forget || i >= input.settings.max_stopped || expires <= input.now {
            decision.removals.push(RemoveTask {
                task_id: t.task.id.clone(),
                host: t.task.host.clone(),
            });
        } else {
            requeue_at(decision, input.now, expires);
        }
    }
}

/// Steady: the desired number of primary tasks, all healthy, nothing else left.
fn settle(input: &ServiceInput<'_>, decision: &mut Decision, steady: bool) {
    let name = input.name;
    decision.steady = steady;
    let Some(primary) = input.record.primary() else {
        return;
    };
    if steady {
        let progress = current_progress(input, decision, &primary.id);
        if progress.rollout_state == RolloutState::InProgress {
            decision.events.push(format!(
                "(service {name}) (deployment {}) deployment completed.",
                primary.id
            ));
            decision.progress.push((
                primary.id.clone(),
                DeploymentProgress {
                    rollout_state: RolloutState::Completed,
                    rollout_state_reason: None,
                    updated_at: input.now,
                    ..progress
                },
            ));
        }
        if input.runtime.steady_since.is_none() {
            decision
                .events
                .push(format!("(service {name}) has reached a steady state."));
        }
        if input.runtime.consecutive_failures > 0 {
            decision.failures = FailureCount::Reset;
        }
    }
}

fn health_pending(t: &Assessed<'_>) -> bool {
    t.state.is_active()
        && t.state.last_status == TaskStatus::Running
        && t.state.health == Health::Starting
}

#[cfg(test)]
mod tests;

/// Shared by the two schedulers: does the task belong to the primary deployment?
fn is_primary(t: &Assessed<'_>, primary: Option<&Deployment>) -> bool {
    match (primary, t.task.deployment.as_deref()) {
        (Some(p), Some(id)) => p.id == id,
        (Some(p), None) => p.task_definition == t.task.task_definition,
        (None, _) => false,
    }
}

/// A FAILED primary deployment launches nothing (with a rollback decided, the next pass
/// launches for the deployment rolled back to).
fn failed_deployment(input: &ServiceInput<'_>, decision: &Decision) -> bool {
    input.record.primary().is_some_and(|p| {
        current_progress(input, decision, &p.id).rollout_state == RolloutState::Failed
    })
}

fn new_start(ids: &mut dyn IdSource, host: &str, primary: &Deployment) -> StartTask {
    StartTask {
        task_id: ids.task_id(),
        host: host.to_string(),
        deployment: primary.id.clone(),
        task_definition: primary.task_definition.clone(),
    }
}
