//! The cluster decision without I/O: task assessment inputs, orphans, retention, stops with
//! their timeouts, in-flight operations and launches.

use std::collections::BTreeMap;
use std::time::Duration;

use super::*;
use crate::ids::SequentialIds;
use crate::model::ecs::{ContainerDefinition, ServiceSpec};
use crate::reconcile::service::HostStatus;
use crate::reconcile::task::{ContainerState, Health, ObservedContainer};
use crate::state::ServiceRecord;

fn td() -> TaskDefinitionSpec {
    TaskDefinitionSpec {
        memory: Some("128".into()),
        cpu: Some("256".into()),
        container_definitions: vec![ContainerDefinition {
            name: Some("app".into()),
            image: Some("busybox".into()),
            essential: Some(true),
            stop_timeout: Some(7),
            ..ContainerDefinition::default()
        }],
        ..TaskDefinitionSpec::default()
    }
}

fn at(seconds: u64) -> Timestamp {
    Timestamp::from_unix_millis(seconds * 1000)
}

fn record(desired: u32, grace: Option<i32>) -> ServiceRecord {
    let deployment = Deployment {
        id: "d1".into(),
        task_definition: TaskDefRef::pinned("web", 1),
        created_at: at(0),
        reason: "test".into(),
    };
    ServiceRecord {
        spec: ServiceSpec {
            desired_count: Some(desired as i32),
            health_check_grace_period_seconds: grace,
            ..ServiceSpec::default()
        },
        task_definition: deployment.task_definition.clone(),
        desired_count: desired,
        status: ServiceStatus::Active,
        deployments: vec![deployment],
        created_at: at(0),
        updated_at: at(0),
    }
}

fn container(id: &str, state: ContainerState, health: Health, pause: bool) -> ObservedContainer {
    ObservedContainer {
        docker_id: id.into(),
        docker_name: format!("n-{id}"),
        name: if pause { String::new() } else { "app".into() },
        pause,
        essential: !pause,
        state,
        health,
        exit_code: (state == ContainerState::Exited).then_some(0),
        oom_killed: false,
        error: None,
        started_at: Some(at(100)),
        finished_at: (state == ContainerState::Exited).then(|| at(200)),
        ports: Vec::new(),
        log_driver: None,
        restart_count: 0,
    }
}

fn task(id: &str, group: TaskGroup, containers: Vec<ObservedContainer>) -> ObservedTask {
    ObservedTask {
        id: id.into(),
        cluster: "default".into(),
        host: "h1".into(),
        group,
        task_definition: TaskDefRef::pinned("web", 1),
        deployment: Some("d1".into()),
        created_at: at(90),
        containers,
        launch_type: crate::model::ecs::LaunchType::Ec2,
        task_limits: None,
    }
}

fn web(id: &str, containers: Vec<ObservedContainer>) -> ObservedTask {
    task(id, TaskGroup::Service("web".into()), containers)
}

fn running(id: &str) -> ObservedContainer {
    container(id, ContainerState::Running, Health::Unknown, false)
}

fn hosts() -> Vec<HostInfo> {
    ["h1", "h2"]
        .iter()
        .map(|name| HostInfo {
            name: name.to_string(),
            attributes: BTreeMap::new(),
            status: HostStatus::Active,
            cpu: 10_000,
            memory: 10_000,
        })
        .collect()
}

/// A world to decide on.
struct World {
    services: BTreeMap<String, ServiceRecord>,
    spec: TaskDefinitionSpec,
    runtime: Runtime,
    observed: Vec<ObservedTask>,
    in_flight: InFlight,
    settings: Settings,
    now: Timestamp,
}

impl World {
    fn new(services: Vec<(&str, ServiceRecord)>, observed: Vec<ObservedTask>) -> Self {
        World {
            services: services
                .into_iter()
                .map(|(n, r)| (n.to_string(), r))
                .collect(),
            spec: td(),
            runtime: Runtime::default(),
            observed,
            in_flight: InFlight::default(),
            settings: Settings::default(),
            now: at(130),
        }
    }

    fn decide(&self) -> ClusterDecision {
        let spec_of = |_: &TaskDefRef| Some(&self.spec);
        let hosts = hosts();
        let input = ClusterInput {
            services: &self.services,
            task_definitions: &spec_of,
            runtime: &self.runtime,
            hosts: &hosts,
            host_records: &BTreeMap::new(),
            observed: &self.observed,
            in_flight: &self.in_flight,
            now: self.now,
            settings: &self.settings,
            traffic: None,
            providers: &crate::schedule::pools::Providers::default(),
        };
        decide(&input, &mut SequentialIds::default())
    }
}

fn actions(d: &ClusterDecision) -> Vec<&Action> {
    d.steps.iter().map(|s| &s.action).collect()
}

#[test]
fn a_task_failing_health_checks_is_kept_during_the_grace_period() {
    let sick = web(
        "t1",
        vec![container(
            "c1",
            ContainerState::Running,
            Health::Unhealthy,
            false,
        )],
    );
    let mut world = World::new(vec![("web", record(1, Some(60)))], vec![sick]);
    let decision = world.decide();
    assert!(
        !actions(&decision)
            .iter()
            .any(|a| matches!(a, Action::Stop { .. })),
        "{decision:?}"
    );
    // After the grace period (started at 100 s + 60 s) it is stopped.
    world.now = at(200);
    let decision = world.decide();
    assert!(
        actions(&decision)
            .iter()
            .any(|a| matches!(a, Action::Stop { task_id, .. } if task_id == "t1")),
        "{decision:?}"
    );
}

#[test]
fn an_orphan_is_stopped_with_its_timeouts_and_the_pause_container_last() {
    let orphan = task(
        "t1",
        TaskGroup::Service("gone".into()),
        vec![
            container("p1", ContainerState::Running, Health::Unknown, true),
            running("c1"),
        ],
    );
    let decision = World::new(vec![], vec![orphan]).decide();
    assert_eq!(
        actions(&decision),
        [&Action::Stop {
            host: "h1".into(),
            task_id: "t1".into(),
            containers: vec![("c1".into(), Duration::from_secs(7))],
            last: vec![("p1".into(), PAUSE_STOP_TIMEOUT)],
        }]
    );
}

#[test]
fn a_stopped_orphan_is_removed_at_once_a_standalone_task_after_the_retention() {
    let exited = |id: &str| container(id, ContainerState::Exited, Health::Unknown, false);
    let orphan = task("t1", TaskGroup::Service("gone".into()), vec![exited("c1")]);
    let standalone = task(
        "t2",
        TaskGroup::Standalone("run-task".into()),
        vec![exited("c2")],
    );
    let mut world = World::new(vec![], vec![orphan, standalone]);
    let removes = |d: &ClusterDecision| -> Vec<String> {
        d.steps
            .iter()
            .filter(|s| matches!(s.action, Action::Remove { .. }))
            .map(|s| s.action.task_id().to_string())
            .collect()
    };
    assert_eq!(removes(&world.decide()), ["t1"]);
    world.now = at(200 + 3600);
    assert_eq!(removes(&world.decide()), ["t1", "t2"]);
    world.in_flight.removing.insert("t1".into());
    assert_eq!(
        removes(&world.decide()),
        ["t2"],
        "a removal under way is not repeated"
    );
}

#[test]
fn nothing_under_way_is_repeated() {
    let orphan = task("t1", TaskGroup::Service("gone".into()), vec![running("c1")]);
    let mut world = World::new(vec![], vec![orphan]);
    world.in_flight.stopping.insert("t1".into());
    assert!(world.decide().steps.is_empty());
    world.in_flight.stopping.clear();
    world.in_flight.busy_containers.insert("c1".into());
    assert!(world.decide().steps.is_empty());
}

#[test]
fn a_service_without_tasks_gets_launches_by_host_name() {
    let decision = World::new(vec![("web", record(2, None))], vec![]).decide();
    let launches: Vec<&LaunchTask> = decision
        .steps
        .iter()
        .filter_map(|s| match &s.action {
            Action::Launch(l) => {
                assert_eq!(s.service.as_deref(), Some("web"));
                Some(l)
            }
            _ => None,
        })
        .collect();
    assert_eq!(launches.len(), 2);
    assert!(launches.iter().all(|l| l.host.starts_with('h')
        && l.group == TaskGroup::Service("web".into())
        && l.deployment.as_deref() == Some("d1")));
    assert!(decision.write_runtime, "counts and events are new");
    let report = &decision.reports["web"];
    assert_eq!(report.counts.desired, 2);
    assert_eq!(report.primary.as_deref(), Some("d1"));
}

#[test]
fn a_task_being_launched_is_its_placeholder() {
    let mut world = World::new(vec![("web", record(1, None))], vec![]);
    let placeholder = web("t1", Vec::new());
    world.in_flight.launching.insert("t1".into(), placeholder);
    // Half created: one container seen, not started yet. It must not be started or judged.
    world.observed = vec![web(
        "t1",
        vec![container(
            "c1",
            ContainerState::Created,
            Health::Unknown,
            false,
        )],
    )];
    let decision = world.decide();
    assert!(decision.steps.is_empty(), "{:?}", decision.steps);
}

#[test]
fn stops_of_a_service_wait_for_their_reasons_to_be_recorded() {
    let sick = web(
        "t1",
        vec![container(
            "c1",
            ContainerState::Running,
            Health::Unhealthy,
            false,
        )],
    );
    let decision = World::new(vec![("web", record(1, None))], vec![sick]).decide();
    let stop = decision
        .steps
        .iter()
        .find(|s| matches!(s.action, Action::Stop { .. }))
        .cloned();
    let stop = stop.expect("the unhealthy task is stopped");
    assert!(decision.needs_record(&stop));
}

#[test]
fn assessment_uses_the_recorded_reason_and_marks_orphans() {
    let t = web("t1", vec![running("c1")]);
    let services: BTreeMap<String, ServiceRecord> =
        [("web".to_string(), record(1, None))].into_iter().collect();
    let mut runtime = Runtime::default();
    let spec = td();
    let st = assess_task(&t, &services, &runtime, Some(&spec), at(130));
    assert_eq!(st.desired_status, DesiredStatus::Running);
    runtime
        .services
        .entry("web".into())
        .or_default()
        .stop_reasons
        .insert("t1".into(), StopReason::intentional("Scaling activity"));
    let st = assess_task(&t, &services, &runtime, Some(&spec), at(130));
    assert_eq!(st.desired_status, DesiredStatus::Stopped);
    let st = assess_task(
        &t,
        &BTreeMap::new(),
        &Runtime::default(),
        Some(&spec),
        at(130),
    );
    assert_eq!(
        st.stop_reason.map(|r| r.text),
        Some("Service deleted".to_string())
    );
}

#[test]
fn a_standalone_task_shows_the_reason_it_was_stopped_with() {
    let t = task(
        "t9",
        TaskGroup::Standalone("one-off".into()),
        vec![running("c9")],
    );
    let mut runtime = Runtime::default();
    let spec = td();
    let st = assess_task(&t, &BTreeMap::new(), &runtime, Some(&spec), at(130));
    assert_eq!(st.desired_status, DesiredStatus::Running);
    runtime
        .stop_reasons
        .insert("t9".into(), StopReason::intentional("maintenance window"));
    let st = assess_task(&t, &BTreeMap::new(), &runtime, Some(&spec), at(130));
    assert_eq!(st.desired_status, DesiredStatus::Stopped);
    assert_eq!(
        st.stop_reason.map(|r| r.text),
        Some("maintenance window".to_string())
    );
}
