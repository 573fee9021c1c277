//! Service decisions: every case by hand, then a simulation of rolling deployments over many
//! desired counts and minimumHealthyPercent/maximumPercent combinations that checks ECS's
//! bounds at every step.

use std::collections::BTreeMap;

use super::*;
use crate::ids::SequentialIds;
use crate::model::ecs::{
    ContainerDefinition, DeploymentCircuitBreaker, DeploymentConfiguration, PlacementConstraint,
    PlacementStrategy, PlacementStrategyType, SchedulingStrategy, ServiceSpec,
};
use crate::reconcile::task::{ContainerState, DesiredStatus, ObservedContainer, TaskGroup, assess};
use crate::state::RevisionStatus;

fn td(image: &str) -> TaskDefinitionSpec {
    TaskDefinitionSpec {
        memory: Some("128".into()),
        cpu: Some("256".into()),
        container_definitions: vec![ContainerDefinition {
            name: Some("app".into()),
            image: Some(image.into()),
            essential: Some(true),
            ..ContainerDefinition::default()
        }],
        ..TaskDefinitionSpec::default()
    }
}

fn deployment(id: &str, revision: u32) -> Deployment {
    Deployment {
        id: id.into(),
        task_definition: TaskDefRef::pinned("web", revision),
        created_at: Timestamp::from_unix_millis(0),
        reason: "test".into(),
    }
}

fn record(desired: u32, min: i32, max: i32, deployments: Vec<Deployment>) -> ServiceRecord {
    ServiceRecord {
        spec: ServiceSpec {
            desired_count: Some(desired as i32),
            deployment_configuration: Some(DeploymentConfiguration {
                minimum_healthy_percent: Some(min),
                maximum_percent: Some(max),
                ..DeploymentConfiguration::default()
            }),
            ..ServiceSpec::default()
        },
        task_definition: deployments[0].task_definition.clone(),
        desired_count: desired,
        status: ServiceStatus::Active,
        deployments,
        created_at: Timestamp::from_unix_millis(0),
        updated_at: Timestamp::from_unix_millis(0),
    }
}

fn with_breaker(mut r: ServiceRecord, rollback: bool) -> ServiceRecord {
    if let Some(c) = r.spec.deployment_configuration.as_mut() {
        c.deployment_circuit_breaker = Some(DeploymentCircuitBreaker {
            enable: Some(true),
            rollback: Some(rollback),
            ..DeploymentCircuitBreaker::default()
        });
    }
    r
}

fn hosts(n: usize) -> Vec<HostInfo> {
    (0..n)
        .map(|i| HostInfo {
            name: format!("h{i}"),
            attributes: [("zone".to_string(), format!("z{}", i % 3))]
                .into_iter()
                .collect(),
            status: HostStatus::Active,
            cpu: 100_000,
            memory: 100_000,
        })
        .collect()
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Phase {
    Created,
    Running,
    Exited(i64),
}

#[derive(Clone, Debug)]
struct Sim {
    id: String,
    host: String,
    deployment: String,
    revision: u32,
    phase: Phase,
    stopping: bool,
    created: u64,
    stopped: Option<u64>,
}

fn observed(s: &Sim, now: u64) -> ObservedTask {
    let started = matches!(s.phase, Phase::Running | Phase::Exited(_));
    ObservedTask {
        id: s.id.clone(),
        cluster: "default".into(),
        host: s.host.clone(),
        group: TaskGroup::Service("web".into()),
        task_definition: TaskDefRef::pinned("web", s.revision),
        deployment: Some(s.deployment.clone()),
        created_at: Timestamp::from_unix_millis(s.created),
        containers: vec![ObservedContainer {
            docker_id: format!("c-{}", s.id),
            docker_name: format!("n-{}", s.id),
            name: "app".into(),
            pause: false,
            essential: true,
            state: match s.phase {
                Phase::Created => ContainerState::Created,
                Phase::Running => ContainerState::Running,
                Phase::Exited(_) => ContainerState::Exited,
            },
            health: Health::Unknown,
            exit_code: match s.phase {
                Phase::Exited(code) => Some(code),
                _ => None,
            },
            oom_killed: false,
            error: None,
            started_at: started.then(|| Timestamp::from_unix_millis(s.created)),
            finished_at: s
                .stopped
                .or(matches!(s.phase, Phase::Exited(_)).then_some(now))
                .map(Timestamp::from_unix_millis),
            ports: Vec::new(),
            log_driver: None,
            restart_count: 0,
        }],
        launch_type: crate::model::ecs::LaunchType::Ec2,
        task_limits: None,
    }
}

/// A small world: tasks, the service record, its runtime, and the clock.
struct World {
    record: ServiceRecord,
    runtime: ServiceRuntime,
    tasks: Vec<Sim>,
    hosts: Vec<HostInfo>,
    now: u64,
    ids: SequentialIds,
    defs: BTreeMap<TaskDefRef, TaskDefinitionSpec>,
    events: Vec<String>,
    settings: Settings,
    /// New tasks of this revision exit at once with code 1.
    broken_revision: Option<u32>,
    launch_failures: Vec<LaunchFailure>,
    providers: crate::schedule::pools::Providers,
}

impl World {
    fn new(record: ServiceRecord, hosts: Vec<HostInfo>) -> Self {
        let mut defs = BTreeMap::new();
        for rev in 1..=5 {
            defs.insert(TaskDefRef::pinned("web", rev), td(&format!("app:{rev}")));
        }
        World {
            record,
            runtime: ServiceRuntime::default(),
            tasks: Vec::new(),
            hosts,
            now: 1_000_000,
            ids: SequentialIds::default(),
            defs,
            events: Vec::new(),
            settings: Settings::default(),
            broken_revision: None,
            launch_failures: Vec::new(),
            providers: crate::schedule::pools::Providers::default(),
        }
    }

    fn decide(&mut self) -> Decision {
        let now = self.now;
        let observed: Vec<ObservedTask> = self.tasks.iter().map(|s| observed(s, now)).collect();
        let assessed: Vec<Assessed<'_>> = observed
            .iter()
            .zip(&self.tasks)
            .map(|(o, s)| Assessed {
                task: o,
                state: assess(
                    o,
                    self.defs.get(&o.task_definition),
                    self.runtime.stop_reasons.get(&o.id),
                    None,
                    Timestamp::from_unix_millis(now),
                ),
                stopping: s.stopping,
            })
            .collect();
        let mut usage: BTreeMap<String, HostUsage> = BTreeMap::new();
        for s in self
            .tasks
            .iter()
            .filter(|s| !matches!(s.phase, Phase::Exited(_)))
        {
            let u = usage.entry(s.host.clone()).or_default();
            u.tasks += 1;
            u.memory += 128;
            u.cpu += 256;
        }
        let defs = &self.defs;
        let lookup = |r: &TaskDefRef| defs.get(r);
        let input = ServiceInput {
            name: "web",
            record: &self.record,
            runtime: &self.runtime,
            tasks: &assessed,
            hosts: &self.hosts,
            usage: &usage,
            task_definitions: &lookup,
            now: Timestamp::from_unix_millis(now),
            settings: &self.settings,
            launch_failures: &self.launch_failures,
            providers: &self.providers,
            alarms: &BTreeMap::new(),
            hook_tasks: &BTreeMap::new(),
        };
        decide(&input, &mut self.ids)
    }

    /// Applies a decision the way the controller would, instantly.
    fn apply(&mut self, d: &Decision) {
        let now = Timestamp::from_unix_millis(self.now);
        for (id, reason) in &d.record_stops {
            self.runtime.stop_reasons.insert(id.clone(), reason.clone());
        }
        for (id, progress) in &d.progress {
            self.runtime
                .deployments
                .insert(id.clone(), progress.clone());
        }
        match d.failures {
            FailureCount::Add(n) => {
                self.runtime.consecutive_failures += n;
                self.runtime.last_failure_at = Some(now);
            }
            FailureCount::Reset => self.runtime.consecutive_failures = 0,
            FailureCount::Unchanged => {}
        }
        if d.steady {
            self.runtime.steady_since.get_or_insert(now);
        } else {
            self.runtime.steady_since = None;
        }
        self.events.extend(d.events.iter().cloned());
        for stop in &d.stops {
            if let Some(t) = self.tasks.iter_mut().find(|t| t.id == stop.task_id) {
                t.stopping = true;
            }
        }
        for start in &d.starts {
            self.tasks.push(Sim {
                id: start.task_id.clone(),
                host: start.host.clone(),
                deployment: start.deployment.clone(),
                revision: start.task_definition.revision.unwrap_or(0),
                phase: Phase::Created,
                stopping: false,
                created: self.now,
                stopped: None,
            });
        }
        let removed: Vec<&String> = d.removals.iter().map(|r| &r.task_id).collect();
        self.tasks.retain(|t| !removed.contains(&&t.id));
        if let Some(target) = &d.rollback {
            let mut target = target.clone();
            target.reason = crate::reconcile::converge::BREAKER_ROLLBACK.into();
            self.record.deployments.insert(0, target.clone());
            self.record.task_definition = target.task_definition.clone();
            self.runtime
                .deployments
                .insert(target.id.clone(), DeploymentProgress::in_progress(now));
        }
        if d.forget {
            self.record.desired_count = 0;
        }
    }

    /// Time passes: created tasks run (or crash), stopping tasks finish stopping.
    fn tick(&mut self) {
        self.now += 1_000;
        let broken = self.broken_revision;
        let now = self.now;
        for t in &mut self.tasks {
            if matches!(t.phase, Phase::Exited(_)) && t.stopped.is_none() {
                t.stopped = Some(now);
            }
            if t.stopping {
                t.phase = match t.phase {
                    Phase::Exited(code) => Phase::Exited(code),
                    _ => Phase::Exited(143),
                };
                t.stopping = false;
            } else if t.phase == Phase::Created {
                t.phase = if broken == Some(t.revision) {
                    Phase::Exited(1)
                } else {
                    Phase::Running
                };
            }
        }
    }

    fn step(&mut self) -> Decision {
        let d = self.decide();
        self.apply(&d);
        self.tick();
        d
    }

    fn up(&self) -> usize {
        self.tasks
            .iter()
            .filter(|t| t.phase != Phase::Exited(0) && !matches!(t.phase, Phase::Exited(_)))
            .count()
    }

    fn running_of(&self, revision: u32) -> usize {
        self.tasks
            .iter()
            .filter(|t| t.revision == revision && t.phase == Phase::Running && !t.stopping)
            .count()
    }

    fn deploy(&mut self, id: &str, revision: u32) {
        self.record.deployments.insert(0, deployment(id, revision));
        self.record.task_definition = TaskDefRef::pinned("web", revision);
        self.runtime.steady_since = None;
    }

    fn settle(&mut self, max_steps: usize) {
        for _ in 0..max_steps {
            if self.step().steady {
                return;
            }
        }
        panic!(
            "no steady state after {max_steps} steps: {:#?}",
            self.events
        );
    }
}

#[test]
fn scales_up_from_zero_and_reports_steady_once() {
    let mut w = World::new(record(3, 100, 200, vec![deployment("d1", 1)]), hosts(1));
    let d = w.step();
    assert_eq!(d.starts.len(), 3);
    assert_eq!(
        d.events,
        [
            "(service web) has started 3 tasks: (task 000000000000) (task 000000000000) (task 000000000000)."
        ]
    );
    let d = w.step();
    assert!(d.steady);
    assert_eq!(
        d.events,
        [
            "(service web) (deployment d1) deployment completed.",
            "(service web) has reached a steady state."
        ]
    );
    let d = w.step();
    assert!(
        d.steady && d.events.is_empty(),
        "steady is reported once: {:?}",
        d.events
    );
    assert_eq!(
        d.counts,
        Counts {
            desired: 3,
            running: 3,
            pending: 0,
            healthy: 3,
            unplaced: 0
        }
    );
}

#[test]
fn scales_down_stopping_the_surplus() {
    let mut w = World::new(record(4, 100, 200, vec![deployment("d1", 1)]), hosts(2));
    w.settle(5);
    w.record.desired_count = 1;
    let d = w.step();
    assert_eq!(d.stops.len(), 3);
    assert!(d.stops.iter().all(|s| s.reason.intentional));
    assert_eq!(
        d.stops[0].reason.text,
        "Scaling activity initiated by (deployment d1)"
    );
    w.settle(5);
    assert_eq!(w.running_of(1), 1);
}

#[test]
fn rolling_at_100_200_starts_all_new_tasks_before_stopping_old_ones() {
    let mut w = World::new(record(3, 100, 200, vec![deployment("d1", 1)]), hosts(1));
    w.settle(5);
    w.deploy("d2", 2);
    let d = w.step();
    assert_eq!((d.starts.len(), d.stops.len()), (3, 0));
    let d = w.step();
    assert_eq!(
        (d.starts.len(), d.stops.len()),
        (0, 3),
        "the new tasks run: the old ones go"
    );
    w.settle(5);
    assert_eq!((w.running_of(1), w.running_of(2)), (0, 3));
}

#[test]
fn rolling_at_50_100_stops_first_then_starts() {
    let mut w = World::new(record(4, 50, 100, vec![deployment("d1", 1)]), hosts(1));
    w.settle(5);
    w.deploy("d2", 2);
    let d = w.step();
    assert_eq!((d.starts.len(), d.stops.len()), (0, 2));
    let d = w.step();
    assert_eq!((d.starts.len(), d.stops.len()), (2, 0));
    w.settle(10);
    assert_eq!(w.running_of(2), 4);
}

#[test]
fn circuit_breaker_fails_the_deployment_and_rolls_back() {
    let mut w = World::new(
        with_breaker(record(3, 100, 200, vec![deployment("d1", 1)]), true),
        hosts(1),
    );
    w.settle(5);
    w.broken_revision = Some(2);
    w.deploy("d2", 2);
    let mut rolled_back = None;
    for _ in 0..20 {
        let d = w.step();
        if let Some(target) = &d.rollback {
            rolled_back = Some(target.id.clone());
            break;
        }
    }
    assert_eq!(rolled_back.as_deref(), Some("d1"));
    assert_eq!(
        w.runtime.deployments["d2"].rollout_state,
        RolloutState::Failed
    );
    assert!(w.runtime.deployments["d2"].failed_tasks >= 3);
    assert!(w.events.iter().any(|e| e == "(service web) (deployment d2) deployment failed: tasks failed to start."));
    assert!(
        w.events
            .iter()
            .any(|e| e == "(service web) rolling back to deployment d1 (web:1).")
    );
    w.settle(10);
    assert_eq!((w.running_of(1), w.running_of(2)), (3, 0));
    assert_eq!(
        w.runtime.deployments["d1"].rollout_state,
        RolloutState::Completed
    );
}

#[test]
fn circuit_breaker_without_rollback_stops_launching() {
    let mut w = World::new(
        with_breaker(record(3, 100, 200, vec![deployment("d1", 1)]), false),
        hosts(1),
    );
    w.settle(5);
    w.broken_revision = Some(2);
    w.deploy("d2", 2);
    for _ in 0..15 {
        w.step();
    }
    assert_eq!(
        w.runtime.deployments["d2"].rollout_state,
        RolloutState::Failed
    );
    let d = w.decide();
    assert!(d.starts.is_empty(), "a FAILED deployment launches nothing");
    assert_eq!(w.running_of(1), 3, "the old tasks keep serving");
}

#[test]
fn launch_failures_count_for_the_circuit_breaker() {
    let mut w = World::new(
        with_breaker(record(2, 100, 200, vec![deployment("d1", 1)]), true),
        hosts(1),
    );
    w.settle(5);
    w.deploy("d2", 2);
    for i in 0..3 {
        w.launch_failures = vec![LaunchFailure {
            task_id: format!("{i:032}"),
            deployment: "d2".into(),
            reason: "CannotPullContainerError: pull image `app:2`: not found".into(),
        }];
        let d = w.decide();
        w.apply(&d);
    }
    assert_eq!(
        w.runtime.deployments["d2"].rollout_state,
        RolloutState::Failed
    );
    assert!(w.events.iter().any(|e| e.starts_with(
        "(service web) failed to launch (task 000000000000): CannotPullContainerError"
    )));
    assert!(
        w.events
            .iter()
            .any(|e| e == "(service web) rolling back to deployment d1 (web:1).")
    );
}

#[test]
fn breaker_threshold_is_half_the_desired_count_within_3_and_200() {
    assert_eq!(breaker_threshold(1), 3);
    assert_eq!(breaker_threshold(10), 5);
    assert_eq!(breaker_threshold(11), 6);
    assert_eq!(breaker_threshold(1000), 200);
}

#[test]
fn crash_loops_are_throttled() {
    let mut w = World::new(record(1, 100, 200, vec![deployment("d1", 1)]), hosts(1));
    w.broken_revision = Some(1);
    let (mut starts, mut held_back) = (0, 0);
    for _ in 0..12 {
        let d = w.step();
        starts += d.starts.len();
        if d.starts.is_empty()
            && d.requeue_after
                .is_some_and(|r| r <= Duration::from_secs(60))
        {
            held_back += 1;
        }
    }
    assert!(
        starts < 8,
        "starts are throttled after failures in a row ({starts} in 12 s)"
    );
    assert!(held_back >= 3, "launches were held back {held_back} times");
    assert!(w.runtime.consecutive_failures >= 3);
}

#[test]
fn a_killed_long_running_task_is_replaced_at_once() {
    let mut w = World::new(record(3, 100, 200, vec![deployment("d1", 1)]), hosts(1));
    w.settle(5);
    w.now += 60_000;
    w.tasks[0].phase = Phase::Exited(137);
    let d = w.step();
    assert_eq!(d.starts.len(), 1, "{d:?}");
    assert_eq!(d.record_stops.len(), 1);
    assert_eq!(
        d.record_stops[0].1.text,
        crate::reconcile::task::ESSENTIAL_EXITED
    );
    assert_eq!(
        d.failures,
        FailureCount::Unchanged,
        "a task that ran a minute is not a crash loop"
    );
    // The event says why the task stopped, with its exit code, and which task replaces it,
    // before the ECS line about the start.
    let line = format!(
        "(service web) (task {}) stopped: Essential container in task exited (exit code 137); \
         starting a replacement (task {}).",
        short_id(&w.tasks[0].id),
        short_id(&d.starts[0].task_id)
    );
    let at = d.events.iter().position(|e| *e == line);
    let started = d
        .events
        .iter()
        .position(|e| e.contains("has started 1 task"));
    assert!(at.is_some() && at < started, "{:#?}", d.events);
    // Once: the next pass says nothing more about it.
    let again = w.step();
    assert!(
        !again.events.iter().any(|e| e.contains("stopped:")),
        "{:#?}",
        again.events
    );
}

#[test]
fn a_throttled_crash_loop_says_when_the_replacement_starts() {
    let mut w = World::new(record(1, 100, 200, vec![deployment("d1", 1)]), hosts(1));
    w.broken_revision = Some(1);
    let mut lines = Vec::new();
    for _ in 0..8 {
        let d = w.step();
        lines.extend(d.events.into_iter().filter(|e| e.contains("stopped:")));
    }
    assert!(
        lines[0].ends_with(
            "stopped: Essential container in task exited (exit code 1); starting a replacement \
             (task 000000000000)."
        ),
        "{lines:#?}"
    );
    assert!(
        lines.iter().any(|l| l.ends_with(
            "stopped: Essential container in task exited (exit code 1); a replacement starts \
             in 1s: 3 tasks failed in a row."
        )),
        "{lines:#?}"
    );
}

#[test]
fn a_stop_that_is_not_replaced_says_why() {
    // The service is being deleted: a task that dies then is not replaced.
    let mut w = World::new(record(2, 100, 200, vec![deployment("d1", 1)]), hosts(1));
    w.settle(5);
    w.now += 60_000;
    w.record.status = ServiceStatus::Draining;
    w.tasks[0].phase = Phase::Exited(3);
    let d = w.step();
    assert!(d.starts.is_empty());
    assert!(
        d.events.iter().any(|e| e.ends_with(
            "stopped: Essential container in task exited (exit code 3); not replaced: the \
             service is being deleted."
        )),
        "{:#?}",
        d.events
    );
}

#[test]
fn unhealthy_tasks_are_reported_and_replaced() {
    let mut w = World::new(record(2, 100, 200, vec![deployment("d1", 1)]), hosts(1));
    w.settle(5);
    let now = w.now;
    let mut o = observed(&w.tasks[0], now);
    o.containers[0].health = Health::Unhealthy;
    let state = assess(&o, None, None, None, Timestamp::from_unix_millis(now));
    assert_eq!(state.desired_status, DesiredStatus::Stopped);
    let other = observed(&w.tasks[1], now);
    let tasks = vec![
        Assessed {
            task: &o,
            state,
            stopping: false,
        },
        Assessed {
            task: &other,
            state: assess(&other, None, None, None, Timestamp::from_unix_millis(now)),
            stopping: false,
        },
    ];
    let defs = w.defs.clone();
    let lookup = |r: &TaskDefRef| defs.get(r);
    let usage = BTreeMap::new();
    let input = ServiceInput {
        name: "web",
        record: &w.record,
        runtime: &w.runtime,
        tasks: &tasks,
        hosts: &w.hosts,
        usage: &usage,
        task_definitions: &lookup,
        now: Timestamp::from_unix_millis(now),
        settings: &w.settings,
        launch_failures: &[],
        providers: &w.providers,
        alarms: &BTreeMap::new(),
        hook_tasks: &BTreeMap::new(),
    };
    let d = decide(&input, &mut SequentialIds::default());
    assert_eq!(d.starts.len(), 1, "replaced");
    assert!(
        d.events
            .iter()
            .any(|e| e.ends_with("failed container health checks."))
    );
    let replaced = format!(
        "(service web) (task {}) stopped: Task failed container health checks; starting a \
         replacement (task {}).",
        o.short_id(),
        short_id(&d.starts[0].task_id)
    );
    assert!(d.events.contains(&replaced), "{:#?}", d.events);
    assert!(!d.steady);
}

#[test]
fn a_deleted_service_drains_then_is_forgotten() {
    let mut w = World::new(record(2, 100, 200, vec![deployment("d1", 1)]), hosts(1));
    w.settle(5);
    w.record.status = ServiceStatus::Draining;
    let d = w.step();
    assert_eq!(d.stops.len(), 2);
    assert!(!d.forget);
    let d = w.step();
    assert_eq!(
        d.removals.len(),
        2,
        "containers of a deleted service are removed"
    );
    assert!(d.forget);
}

#[test]
fn stopped_tasks_are_kept_for_a_while_then_removed() {
    let mut w = World::new(record(1, 100, 200, vec![deployment("d1", 1)]), hosts(1));
    w.settings.max_stopped = 2;
    w.settle(5);
    for _ in 0..4 {
        w.now += 60_000;
        let now = w.now;
        let running = w
            .tasks
            .iter_mut()
            .find(|t| t.phase == Phase::Running)
            .expect("a running task");
        running.phase = Phase::Exited(137);
        running.stopped = Some(now);
        w.step();
        w.step();
    }
    let stopped = w
        .tasks
        .iter()
        .filter(|t| matches!(t.phase, Phase::Exited(_)))
        .count();
    assert_eq!(stopped, 2, "at most max_stopped stopped tasks are kept");
    w.now += 2 * 3600 * 1000;
    let d = w.step();
    assert_eq!(d.removals.len(), 2, "and none beyond the retention");
}

#[test]
fn tasks_on_an_unreachable_host_are_replaced_and_the_surplus_stopped_on_return() {
    let mut w = World::new(record(4, 100, 200, vec![deployment("d1", 1)]), hosts(2));
    w.record.spec.placement_strategy = vec![PlacementStrategy {
        r#type: Some(PlacementStrategyType::Spread),
        field: Some("instanceId".into()),
    }];
    w.settle(5);
    assert_eq!(w.tasks.iter().filter(|t| t.host == "h0").count(), 2);
    w.hosts[0].status = HostStatus::Unreachable;
    let d = w.step();
    assert_eq!(d.starts.len(), 2);
    assert!(d.starts.iter().all(|s| s.host == "h1"));
    assert!(d.stops.is_empty(), "lost tasks cannot be stopped");
    w.settle(5);
    w.hosts[0].status = HostStatus::Active;
    let d = w.step();
    assert_eq!(
        d.stops.len(),
        2,
        "back above the desired count: the surplus goes"
    );
}

#[test]
fn draining_host_tasks_start_elsewhere_first() {
    let mut w = World::new(record(2, 100, 200, vec![deployment("d1", 1)]), hosts(2));
    w.record.spec.placement_strategy = vec![PlacementStrategy {
        r#type: Some(PlacementStrategyType::Spread),
        field: Some("instanceId".into()),
    }];
    w.settle(5);
    w.hosts[0].status = HostStatus::Draining;
    let d = w.step();
    assert_eq!((d.starts.len(), d.stops.len()), (1, 0));
    assert_eq!(d.starts[0].host, "h1");
    let d = w.step();
    assert_eq!(d.stops.len(), 1);
    assert_eq!(d.stops[0].host, "h0");
    w.settle(5);
    assert!(
        w.tasks
            .iter()
            .filter(|t| t.phase == Phase::Running)
            .all(|t| t.host == "h1")
    );
}

#[test]
fn unplaceable_tasks_stay_pending_with_the_ecs_reason() {
    let mut r = record(4, 100, 200, vec![deployment("d1", 1)]);
    r.spec.placement_constraints = vec![PlacementConstraint {
        r#type: Some(PlacementConstraintType::DistinctInstance),
        expression: None,
    }];
    let mut w = World::new(r, hosts(3));
    let d = w.step();
    assert_eq!(d.starts.len(), 3);
    assert!(d.events.iter().any(|e| e.starts_with(
        "(service web) was unable to place a task because no host met all of its requirements: every host that qualifies already runs a task of this service (distinctInstance)"
    )));
}

#[test]
fn daemon_runs_one_task_per_active_host_and_rolls_host_by_host() {
    let mut r = record(0, 0, 100, vec![deployment("d1", 1)]);
    r.spec.scheduling_strategy = Some(SchedulingStrategy::Daemon);
    let mut w = World::new(r, hosts(3));
    let d = w.step();
    assert_eq!(d.starts.len(), 3);
    let mut per_host: Vec<&str> = d.starts.iter().map(|s| s.host.as_str()).collect();
    per_host.sort();
    assert_eq!(per_host, ["h0", "h1", "h2"]);
    w.settle(5);
    w.hosts[2].status = HostStatus::Draining;
    let d = w.step();
    assert_eq!(d.stops.len(), 1);
    assert_eq!(d.stops[0].host, "h2");
    w.settle(5);
    w.deploy("d2", 2);
    w.settle(10);
    assert_eq!((w.running_of(1), w.running_of(2)), (0, 2));
}

#[test]
fn a_daemon_task_that_fits_nowhere_is_counted_unplaced() {
    let mut r = record(0, 0, 100, vec![deployment("d1", 1)]);
    r.spec.scheduling_strategy = Some(SchedulingStrategy::Daemon);
    let mut small = hosts(2);
    small[1].memory = 64; // the task reserves 128 MiB
    let mut w = World::new(r, small);
    let d = w.decide();
    assert_eq!(d.starts.len(), 1);
    assert_eq!(d.starts[0].host, "h0");
    assert_eq!(d.counts.unplaced, 1);
    assert!(
        d.events
            .iter()
            .any(|e| e.contains("unable to place a task on host `h1`")),
        "{:?}",
        d.events
    );
}

/// Rolling deployments over many configurations: the bounds hold at every step and the
/// deployment completes.
#[test]
fn rolling_deployments_respect_min_and_max_everywhere() {
    let mut checked = 0;
    for desired in 1..=7u32 {
        for min in [0, 25, 50, 75, 100] {
            for max in [100, 125, 150, 200, 300] {
                if min == 100 && max == 100 {
                    continue; // refused by validation
                }
                let (min_healthy, max_total) = crate::plan::deployment_bounds(desired, min, max);
                if max_total <= desired && min_healthy >= desired {
                    continue; // ECS cannot replace a task either (e.g. 5 tasks at 90%/110%)
                }
                let mut w = World::new(
                    record(desired, min as i32, max as i32, vec![deployment("d1", 1)]),
                    hosts(2),
                );
                w.settle(10);
                w.deploy("d2", 2);
                let mut done = false;
                for step in 0..60 {
                    let d = w.step();
                    let up = w.up();
                    assert!(
                        up as u32 <= max_total.max(desired),
                        "desired {desired} min {min} max {max}: {up} tasks up at step {step} (max {max_total})"
                    );
                    let healthy = w.running_of(1) + w.running_of(2);
                    assert!(
                        healthy as u32 >= min_healthy.min(desired),
                        "desired {desired} min {min} max {max}: {healthy} healthy at step {step} (min {min_healthy})"
                    );
                    if d.steady {
                        done = true;
                        break;
                    }
                }
                assert!(
                    done,
                    "desired {desired} min {min} max {max}: no steady state"
                );
                assert_eq!((w.running_of(1), w.running_of(2)), (0, desired as usize));
                checked += 1;
            }
        }
    }
    assert!(checked > 150, "{checked} configurations checked");
    let _ = RevisionStatus::Active;
}

fn spread(field: &str) -> Vec<PlacementStrategy> {
    vec![PlacementStrategy {
        r#type: Some(PlacementStrategyType::Spread),
        field: Some(field.into()),
    }]
}

#[test]
fn a_new_host_gets_its_share_one_task_at_a_time() {
    let mut w = World::new(record(4, 100, 150, vec![deployment("d1", 1)]), hosts(1));
    w.record.spec.placement_strategy = spread("instanceId");
    w.settle(5);
    w.hosts.extend(hosts(2).into_iter().skip(1));
    let mut max_up = 0;
    let mut rebalanced = false;
    for _ in 0..30 {
        let d = w.step();
        rebalanced |= d
            .events
            .iter()
            .any(|e| e == "(service web) is rebalancing its tasks across `instanceId`.");
        max_up = max_up.max(w.up());
        if d.steady
            && w.tasks
                .iter()
                .filter(|t| t.phase == Phase::Running && t.host == "h1")
                .count()
                == 2
        {
            break;
        }
    }
    let per_host = |h: &str| {
        w.tasks
            .iter()
            .filter(|t| t.phase == Phase::Running && !t.stopping && t.host == h)
            .count()
    };
    assert_eq!((per_host("h0"), per_host("h1")), (2, 2));
    assert!(rebalanced);
    assert!(max_up <= 6, "within maximumPercent 150: {max_up}");
    let d = w.decide();
    assert!(
        d.starts.is_empty() && d.stops.is_empty(),
        "balanced: nothing more to move"
    );
}

#[test]
fn a_rebalance_move_is_not_undone_while_the_new_task_starts() {
    // The controller looks again right after a start, before the new task runs: the surplus
    // it sees must not be the task just started (stopping it would rebalance forever).
    let mut w = World::new(record(3, 100, 200, vec![deployment("d1", 1)]), hosts(1));
    w.record.spec.placement_strategy = spread("instanceId");
    w.settle(5);
    w.hosts = hosts(2);
    let d = w.decide();
    assert_eq!(d.starts.len(), 1, "{:?}", d.events);
    assert_eq!(d.starts[0].host, "h1");
    w.apply(&d);
    let again = w.decide();
    assert!(
        again.stops.is_empty() && again.starts.is_empty(),
        "waits for the new task: {:?}",
        again.stops
    );
    w.tick();
    let after = w.decide();
    assert_eq!(after.stops.len(), 1);
    let stopped = w
        .tasks
        .iter()
        .find(|t| t.id == after.stops[0].task_id)
        .expect("task");
    assert_eq!(stopped.host, "h0", "the surplus comes off the busiest host");
    w.apply(&after);
    w.tick();
    let per_host = |h: &str| {
        w.tasks
            .iter()
            .filter(|t| t.phase == Phase::Running && !t.stopping && t.host == h)
            .count()
    };
    assert_eq!((per_host("h0"), per_host("h1")), (2, 1));
    let d = w.decide();
    assert!(
        d.steady && d.starts.is_empty() && d.stops.is_empty(),
        "{:?}",
        d.events
    );
}

#[test]
fn scaling_in_keeps_the_spread_balanced() {
    let mut w = World::new(record(6, 100, 200, vec![deployment("d1", 1)]), hosts(3));
    w.record.spec.placement_strategy = spread("instanceId");
    w.settle(5);
    w.record.desired_count = 3;
    w.settle(5);
    for h in ["h0", "h1", "h2"] {
        let n = w
            .tasks
            .iter()
            .filter(|t| t.phase == Phase::Running && t.host == h)
            .count();
        assert_eq!(n, 1, "{h}");
    }
}

#[test]
fn rebalancing_follows_the_spread_attribute_and_needs_room() {
    // Three zones; all tasks landed in z0 while the others were away.
    let mut w = World::new(record(3, 100, 200, vec![deployment("d1", 1)]), hosts(1));
    w.record.spec.placement_strategy = spread("attribute:zone");
    w.settle(5);
    w.hosts = hosts(3);
    for _ in 0..30 {
        if w.step().steady
            && w.tasks
                .iter()
                .filter(|t| t.phase == Phase::Running && !t.stopping)
                .map(|t| &t.host)
                .collect::<std::collections::BTreeSet<_>>()
                .len()
                == 3
        {
            break;
        }
    }
    let hosts_used: std::collections::BTreeSet<&String> = w
        .tasks
        .iter()
        .filter(|t| t.phase == Phase::Running && !t.stopping)
        .map(|t| &t.host)
        .collect();
    assert_eq!(hosts_used.len(), 3, "one task per zone");

    // maximumPercent 100 leaves no room to start a task before stopping one: no rebalancing.
    let mut w = World::new(record(2, 50, 100, vec![deployment("d1", 1)]), hosts(1));
    w.record.spec.placement_strategy = spread("instanceId");
    w.settle(5);
    w.hosts = hosts(2);
    let d = w.decide();
    assert!(d.starts.is_empty() && d.stops.is_empty());
}

/// Issue 13: a cluster with `spot` (h0, h1) and `ondemand` (h2, h3) pools.
fn with_pools(w: &mut World, strategy: &[(&str, i32, i32)]) {
    use crate::model::cluster::{CapacityProviderSpec, ClusterSpec, HostSpec};
    use crate::model::ecs::CapacityProviderStrategyItem;
    let spec = ClusterSpec {
        hosts: w
            .hosts
            .iter()
            .map(|h| HostSpec {
                name: Some(h.name.clone()),
                ..HostSpec::default()
            })
            .collect(),
        capacity_providers: vec![
            CapacityProviderSpec {
                name: Some("spot".into()),
                hosts: vec!["h0".into(), "h1".into()],
                expression: None,
            },
            CapacityProviderSpec {
                name: Some("ondemand".into()),
                hosts: vec!["h2".into(), "h3".into()],
                expression: None,
            },
        ],
        ..ClusterSpec::default()
    };
    w.providers = crate::schedule::pools::Providers::of(&spec);
    w.record.spec.capacity_provider_strategy = strategy
        .iter()
        .map(|(p, base, weight)| CapacityProviderStrategyItem {
            capacity_provider: Some(p.to_string()),
            base: Some(*base),
            weight: Some(*weight),
        })
        .collect();
}

fn per_provider(w: &World) -> (usize, usize) {
    let live: Vec<&Sim> = w
        .tasks
        .iter()
        .filter(|t| t.phase == Phase::Running && !t.stopping)
        .collect();
    let spot = live
        .iter()
        .filter(|t| t.host == "h0" || t.host == "h1")
        .count();
    (spot, live.len() - spot)
}

#[test]
fn a_strategy_places_the_base_then_the_weighted_split_and_scales_in_along_it() {
    let mut w = World::new(record(8, 100, 200, vec![deployment("d1", 1)]), hosts(4));
    with_pools(&mut w, &[("spot", 1, 1), ("ondemand", 0, 3)]);
    w.record.spec.placement_strategy = vec![PlacementStrategy {
        r#type: Some(PlacementStrategyType::Spread),
        field: Some("instanceId".into()),
    }];
    let d = w.step();
    assert_eq!(d.starts.len(), 8);
    w.settle(5);
    // 1 for the base, then 7 split 1:3 (1.75 rounds to 2).
    assert_eq!(per_provider(&w), (3, 5));
    let d = w.step();
    assert_eq!(
        d.capacity_providers,
        [("ondemand".to_string(), 5), ("spot".to_string(), 3)].into()
    );
    // The placement strategy still chooses the hosts inside each provider.
    let on = |host: &str| w.tasks.iter().filter(|t| t.host == host).count();
    assert!(on("h0").abs_diff(on("h1")) <= 1 && on("h2").abs_diff(on("h3")) <= 1);

    w.record.desired_count = 4;
    w.settle(5);
    // 1 + (3 split 1:3 → 0.75 rounds to 1).
    assert_eq!(per_provider(&w), (2, 2));
    w.record.desired_count = 1;
    w.settle(5);
    assert_eq!(per_provider(&w), (1, 0), "the base goes last");
}

#[test]
fn a_provider_the_cluster_lacks_keeps_its_tasks_pending_with_ecs_reason() {
    let mut w = World::new(record(4, 100, 200, vec![deployment("d1", 1)]), hosts(4));
    with_pools(&mut w, &[("ondemand", 0, 1), ("FARGATE", 0, 1)]);
    let d = w.step();
    assert_eq!(d.starts.len(), 2, "ondemand's half starts");
    assert!(d.starts.iter().all(|s| s.host == "h2" || s.host == "h3"));
    assert_eq!(d.counts.unplaced, 2);
    assert!(
        d.events.iter().any(|e| e
            == "(service web) was unable to place a task. Reason: Capacity is unavailable at this time. Please try again later or in a different availability zone. (capacity provider `FARGATE` has no hosts in this cluster)"),
        "{:?}",
        d.events
    );
    for _ in 0..5 {
        let d = w.step();
        assert!(!d.steady);
        assert_eq!(d.counts.unplaced, 2);
    }
    assert_eq!(
        per_provider(&w),
        (0, 2),
        "the split is not bent to ondemand"
    );
}

#[test]
fn tasks_outside_the_strategy_are_replaced_inside_it() {
    let mut w = World::new(record(4, 100, 200, vec![deployment("d1", 1)]), hosts(4));
    w.settle(5);
    assert!(w.tasks.iter().any(|t| t.host == "h0" || t.host == "h1"));
    with_pools(&mut w, &[("ondemand", 0, 1)]);
    w.settle(10);
    assert_eq!(per_provider(&w), (0, 4));
    assert!(w.up() == 4);
}

#[test]
fn a_changed_strategy_moves_tasks_one_at_a_time_to_the_new_split() {
    let mut w = World::new(record(8, 100, 200, vec![deployment("d1", 1)]), hosts(4));
    with_pools(&mut w, &[("spot", 1, 1), ("ondemand", 0, 3)]);
    w.settle(5);
    assert_eq!(per_provider(&w), (3, 5));
    with_pools(&mut w, &[("spot", 1, 1), ("ondemand", 0, 1)]);
    let d = w.step();
    assert_eq!(
        d.events[0],
        "(service web) is moving a task from capacity provider `ondemand` to `spot` to follow its capacity provider strategy."
    );
    assert_eq!(d.starts.len(), 1);
    assert!(d.starts[0].host == "h0" || d.starts[0].host == "h1");
    w.settle(30);
    // 1 + (7 split 1:1 → 3.5: the half goes to the earlier item).
    assert_eq!(per_provider(&w), (5, 3));
    assert!(w.up() <= 16, "within maximumPercent");
    let d = w.step();
    assert!(d.steady && d.starts.is_empty() && d.stops.is_empty());
}

fn with_canary(mut r: ServiceRecord, percent: f64, bake_minutes: i32) -> ServiceRecord {
    if let Some(c) = r.spec.deployment_configuration.as_mut() {
        c.strategy = Some(crate::model::ecs::DeploymentStrategy::Canary);
        c.canary_configuration = Some(crate::model::ecs::CanaryConfiguration {
            canary_percent: Some(percent),
            canary_bake_time_in_minutes: Some(bake_minutes),
        });
        c.bake_time_in_minutes = Some(0);
    }
    r
}

#[test]
fn a_canary_runs_both_revisions_at_full_size_and_stops_the_old_one_after_its_bake() {
    // maximumPercent 100 would forbid a rolling start-first: a shifted deployment ignores it.
    let mut w = World::new(
        with_canary(record(3, 100, 100, vec![deployment("d1", 1)]), 10.0, 1),
        hosts(1),
    );
    w.settle(5);
    let first = w.step();
    assert_eq!(
        first.traffic_share, None,
        "a first deployment has nothing to shift from"
    );
    w.deploy("d2", 2);
    let d = w.step();
    assert_eq!((d.starts.len(), d.stops.len()), (3, 0));
    assert_eq!(d.traffic_share.as_ref().map(|s| s.permille), Some(0));
    let d = w.step();
    assert_eq!(d.stops.len(), 0, "the old revision stays during the canary");
    let share = d.traffic_share.clone().expect("a share");
    assert_eq!((share.deployment.as_str(), share.permille), ("d2", 100));
    assert!(
        d.requeue_after
            .is_some_and(|r| r <= Duration::from_secs(60))
    );
    for _ in 0..10 {
        let d = w.step();
        assert_eq!(d.stops.len(), 0);
        assert_eq!(d.traffic_share.map(|s| s.permille), Some(100));
    }
    w.now += 60_000;
    let d = w.step();
    assert_eq!(d.traffic_share.map(|s| s.permille), Some(1000));
    assert_eq!(d.stops.len(), 3, "CLEAN_UP stops every old task");
    w.settle(5);
    assert_eq!((w.running_of(1), w.running_of(2)), (0, 3));
    assert_eq!(
        w.runtime.deployments["d2"].rollout_state,
        RolloutState::Completed
    );
    let shifted: Vec<&String> = w
        .events
        .iter()
        .filter(|e| e.contains("production traffic"))
        .collect();
    assert_eq!(shifted.len(), 2, "{shifted:?}");
}

#[test]
fn a_rollback_request_returns_traffic_and_keeps_the_old_tasks() {
    let mut w = World::new(
        with_canary(record(2, 100, 200, vec![deployment("d1", 1)]), 10.0, 10),
        hosts(1),
    );
    w.settle(5);
    let old: Vec<String> = w.tasks.iter().map(|t| t.id.clone()).collect();
    w.deploy("d2", 2);
    w.step();
    let d = w.step();
    assert_eq!(d.traffic_share.map(|s| s.permille), Some(100));
    w.runtime.controls.entry("d2".into()).or_default().rollback = true;
    let d = w.step();
    assert_eq!(d.rollback.as_ref().map(|r| r.id.as_str()), Some("d1"));
    assert_eq!(
        w.runtime.deployments["d2"].rollout_state,
        RolloutState::Failed
    );
    w.settle(10);
    assert_eq!((w.running_of(1), w.running_of(2)), (2, 0));
    let still: Vec<String> = w
        .tasks
        .iter()
        .filter(|t| t.phase == Phase::Running)
        .map(|t| t.id.clone())
        .collect();
    assert_eq!(still, old, "the old tasks never stopped");
    assert!(
        w.events
            .iter()
            .any(|e| e.contains("deployment failed: rolled back by `ecsctl deployment rollback`"))
    );
}

#[test]
fn protected_tasks_are_not_scaled_in_and_deployments_wait_for_them() {
    let mut w = World::new(record(3, 100, 200, vec![deployment("d1", 1)]), hosts(1));
    w.settle(5);
    let running: Vec<String> = w
        .tasks
        .iter()
        .filter(|t| t.phase == Phase::Running)
        .map(|t| t.id.clone())
        .collect();
    // The newest would go first; protect two of the three.
    let until = Timestamp::from_unix_millis(w.now + 3_600_000);
    for id in &running[..2] {
        w.runtime.protected.insert(id.clone(), until);
    }
    w.record.desired_count = 1;
    for _ in 0..5 {
        w.step();
    }
    let left: Vec<&String> = w
        .tasks
        .iter()
        .filter(|t| t.phase == Phase::Running && !t.stopping)
        .map(|t| &t.id)
        .collect();
    assert_eq!(
        left.len(),
        2,
        "only the unprotected task was taken: {left:?}"
    );
    assert!(running[..2].iter().all(|id| left.contains(&id)), "{left:?}");

    // A deployment replaces the rest but leaves the protected old task running.
    w.record.desired_count = 2;
    w.settle(5);
    w.record.deployments.insert(0, deployment("d2", 2));
    w.record.task_definition = TaskDefRef::pinned("web", 2);
    for _ in 0..10 {
        w.step();
    }
    let old_running = w
        .tasks
        .iter()
        .filter(|t| t.phase == Phase::Running && !t.stopping && t.deployment == "d1")
        .count();
    assert_eq!(old_running, 2, "the protected d1 tasks stay");
    // The protection ends: the deployment finishes.
    w.runtime.protected.clear();
    w.settle(10);
    let old_running = w
        .tasks
        .iter()
        .filter(|t| t.phase == Phase::Running && !t.stopping && t.deployment == "d1")
        .count();
    assert_eq!(old_running, 0);
}
