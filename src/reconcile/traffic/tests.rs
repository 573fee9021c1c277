//! Traffic decisions without I/O: registration at weight 0, the weight once UP, the drain
//! before a stop, deletion once drained or after the delay, and unreached proxies ignored.

use super::*;
use crate::model::ecs::{LoadBalancer, ServiceSpec};
use crate::model::names::TaskDefRef;
use crate::model::traffic::{ActionType, Listener, ListenerAction};
use crate::reconcile::task::{ContainerState, Health, ObservedContainer, PortBinding};
use crate::state::{Deployment, ServiceStatus};

fn at(seconds: u64) -> Timestamp {
    Timestamp::from_unix_millis(seconds * 1000)
}

fn service() -> ServiceRecord {
    let deployment = Deployment {
        id: "d1".into(),
        task_definition: TaskDefRef::pinned("web", 1),
        created_at: at(0),
        reason: "test".into(),
    };
    ServiceRecord {
        spec: ServiceSpec {
            load_balancers: vec![LoadBalancer {
                target_group_name: Some("web".into()),
                container_name: Some("app".into()),
                container_port: Some(8080),
                ..LoadBalancer::default()
            }],
            ..ServiceSpec::default()
        },
        task_definition: deployment.task_definition.clone(),
        desired_count: 2,
        status: ServiceStatus::Active,
        deployments: vec![deployment],
        created_at: at(0),
        updated_at: at(0),
    }
}

fn services() -> BTreeMap<String, ServiceRecord> {
    BTreeMap::from([("web".to_string(), service())])
}

fn task(id: &str, host: &str, host_port: u16, running: bool) -> (ObservedTask, TaskState) {
    let container = ObservedContainer {
        docker_id: format!("c-{id}"),
        docker_name: format!("n-{id}"),
        name: "app".into(),
        pause: false,
        essential: true,
        state: if running {
            ContainerState::Running
        } else {
            ContainerState::Exited
        },
        health: Health::Unknown,
        exit_code: (!running).then_some(1),
        oom_killed: false,
        error: None,
        started_at: Some(at(1)),
        finished_at: None,
        ports: vec![PortBinding {
            container_port: 8080,
            host_port,
            protocol: "tcp".into(),
        }],
        log_driver: None,
        restart_count: 0,
    };
    let observed = ObservedTask {
        id: id.into(),
        cluster: "default".into(),
        host: host.into(),
        group: TaskGroup::Service("web".into()),
        task_definition: TaskDefRef::pinned("web", 1),
        deployment: Some("d1".into()),
        created_at: at(0),
        containers: vec![container],
        launch_type: crate::model::ecs::LaunchType::Ec2,
        task_limits: None,
    };
    let state = TaskState {
        last_status: if running {
            TaskStatus::Running
        } else {
            TaskStatus::Stopped
        },
        desired_status: if running {
            DesiredStatus::Running
        } else {
            DesiredStatus::Stopped
        },
        health: Health::Unknown,
        stop_reason: None,
        reached_running: true,
    };
    (observed, state)
}

fn stat(server: &str, status: &str, check: Option<&str>, weight: u32, sessions: u64) -> ServerStat {
    ServerStat {
        backend: "tg_web".into(),
        server: server.into(),
        status: status.into(),
        weight,
        check_status: check.map(String::from),
        check_code: None,
        sessions,
        total_sessions: 0,
        responses: Default::default(),
        response_time_ms: 0,
    }
}

fn view(servers: &[ServerStat]) -> ProxyView {
    ProxyView {
        running: true,
        servers: servers
            .iter()
            .map(|s| (("web".to_string(), s.server.clone()), s.clone()))
            .collect(),
    }
}

struct World {
    load_balancers: BTreeMap<String, LoadBalancerSpec>,
    target_groups: BTreeMap<String, TargetGroupSpec>,
    addresses: BTreeMap<String, String>,
    proxies: BTreeMap<String, Option<ProxyView>>,
    draining: BTreeMap<ServerKey, Timestamp>,
    held: BTreeSet<String>,
    registrations: BTreeMap<String, Vec<LoadBalancer>>,
}

impl World {
    fn new(proxies: &[(&str, Option<ProxyView>)]) -> Self {
        let lb = LoadBalancerSpec {
            listeners: vec![Listener {
                port: Some(8000),
                default_actions: vec![ListenerAction {
                    r#type: Some(ActionType::Forward),
                    target_group_name: Some("web".into()),
                    ..ListenerAction::default()
                }],
                ..Listener::default()
            }],
            ..LoadBalancerSpec::default()
        };
        World {
            load_balancers: BTreeMap::from([("edge".to_string(), lb)]),
            target_groups: BTreeMap::from([(
                "web".to_string(),
                TargetGroupSpec {
                    deregistration_delay_seconds: Some(30),
                    ..TargetGroupSpec::default()
                },
            )]),
            addresses: ["h1", "h2", "h3"]
                .iter()
                .enumerate()
                .map(|(i, h)| (h.to_string(), format!("10.0.0.{}", i + 1)))
                .collect(),
            proxies: proxies
                .iter()
                .map(|(h, v)| (h.to_string(), v.clone()))
                .collect(),
            draining: BTreeMap::new(),
            held: BTreeSet::new(),
            registrations: BTreeMap::new(),
        }
    }

    fn input(&self) -> TrafficInput<'_> {
        TrafficInput {
            load_balancers: &self.load_balancers,
            target_groups: &self.target_groups,
            addresses: &self.addresses,
            proxies: &self.proxies,
            draining_since: &self.draining,
            held_before: &self.held,
            registrations: &self.registrations,
        }
    }
}

fn ops(decision: &TrafficDecision, host: &str) -> Vec<RuntimeOp> {
    decision.proxies[host].ops.clone()
}

#[test]
fn a_running_task_is_registered_at_weight_zero_on_every_reached_proxy() {
    let world = World::new(&[
        ("h1", Some(view(&[]))),
        ("h2", Some(view(&[]))),
        ("h3", None),
    ]);
    let tasks = [task("t1", "h2", 32001, true)];
    let d = decide(
        &world.input(),
        &services(),
        &tasks,
        &BTreeSet::new(),
        &BTreeMap::new(),
        at(10),
    );
    let expected = RuntimeOp::Add {
        target_group: "web".into(),
        server: Server {
            name: "t1-8080".into(),
            address: "10.0.0.2".into(),
            port: 32001,
            weight: 0,
            state: AdminState::Ready,
        },
    };
    assert_eq!(ops(&d, "h1"), std::slice::from_ref(&expected));
    assert_eq!(ops(&d, "h2"), [expected]);
    assert!(
        ops(&d, "h3").is_empty(),
        "an unreached proxy gets no runtime changes"
    );
    assert_eq!(
        d.events["web"],
        ["(service web) registered 1 targets in (target-group web)"]
    );
    // Reached proxies add it at weight 0 (in their config too) until its check passes; one
    // that was not reached (or is re-created) gets it at its weight, behind its own checks.
    assert_eq!(d.proxies["h1"].config.backends[0].servers[0].weight, 0);
    assert_eq!(
        d.proxies["h3"].config.backends[0].servers[0].weight,
        TARGET_WEIGHT
    );
    assert_eq!(d.requeue_after, Some(TRAFFIC_REQUEUE));
}

#[test]
fn a_target_gets_its_weight_only_once_its_check_passes() {
    let pending = World::new(&[(
        "h1",
        Some(view(&[stat("t1-8080", "DOWN", Some("INI"), 0, 0)])),
    )]);
    let tasks = [task("t1", "h1", 32001, true)];
    let d = decide(
        &pending.input(),
        &services(),
        &tasks,
        &BTreeSet::new(),
        &BTreeMap::new(),
        at(10),
    );
    assert!(ops(&d, "h1").is_empty());
    assert_eq!(
        target_health(&pending.input(), &services(), &[tasks[0].0.clone()])["t1"],
        TargetHealth::Initial
    );

    let up = World::new(&[(
        "h1",
        Some(view(&[stat("t1-8080", "UP", Some("L7OK"), 0, 0)])),
    )]);
    let d = decide(
        &up.input(),
        &services(),
        &tasks,
        &BTreeSet::new(),
        &BTreeMap::new(),
        at(11),
    );
    assert_eq!(
        ops(&d, "h1"),
        [RuntimeOp::Weight {
            target_group: "web".into(),
            server: "t1-8080".into(),
            weight: TARGET_WEIGHT
        }]
    );
    assert_eq!(
        d.proxies["h1"].config.backends[0].servers[0].weight,
        TARGET_WEIGHT
    );
    assert_eq!(
        target_health(&up.input(), &services(), &[tasks[0].0.clone()])["t1"],
        TargetHealth::Healthy
    );
    assert!(d.events.is_empty());
    let target = &d.targets["web"][0];
    assert_eq!(
        (
            target.task.as_str(),
            target.address.as_str(),
            target.port,
            target.health
        ),
        ("t1", "10.0.0.1", 32001, TargetHealth::Healthy)
    );
}

#[test]
fn healthy_means_healthy_on_every_reached_proxy_and_a_failed_check_is_unhealthy() {
    let tasks = [task("t1", "h1", 32001, true).0];
    let mixed = World::new(&[
        (
            "h1",
            Some(view(&[stat("t1-8080", "UP", Some("L7OK"), 100, 0)])),
        ),
        (
            "h2",
            Some(view(&[stat("t1-8080", "DOWN", Some("INI"), 0, 0)])),
        ),
        ("h3", None),
    ]);
    assert_eq!(
        target_health(&mixed.input(), &services(), &tasks)["t1"],
        TargetHealth::Initial
    );
    let failed = World::new(&[
        (
            "h1",
            Some(view(&[stat("t1-8080", "UP", Some("L7OK"), 100, 0)])),
        ),
        (
            "h2",
            Some(view(&[stat("t1-8080", "DOWN", Some("L7STS"), 0, 0)])),
        ),
    ]);
    assert_eq!(
        target_health(&failed.input(), &services(), &tasks)["t1"],
        TargetHealth::Unhealthy
    );
    let nothing_reached = World::new(&[("h1", None)]);
    assert_eq!(
        target_health(&nothing_reached.input(), &services(), &tasks)["t1"],
        TargetHealth::Initial
    );
}

#[test]
fn a_stop_waits_for_the_drain_then_the_delete() {
    let tasks = [task("t1", "h1", 32001, true)];
    let stopping = BTreeSet::from(["t1".to_string()]);
    // Pass 1: registered and ready → drained, the stop held.
    let mut world = World::new(&[(
        "h1",
        Some(view(&[stat("t1-8080", "UP", Some("L7OK"), 100, 3)])),
    )]);
    let d = decide(
        &world.input(),
        &services(),
        &tasks,
        &stopping,
        &BTreeMap::new(),
        at(10),
    );
    assert_eq!(
        ops(&d, "h1"),
        [RuntimeOp::Drain {
            target_group: "web".into(),
            server: "t1-8080".into()
        }]
    );
    assert_eq!(d.held_stops, stopping);
    assert_eq!(
        d.events["web"],
        ["(service web) has begun draining connections on 1 tasks."]
    );
    let drained = &d.proxies["h1"].config.backends[0].servers[0];
    assert_eq!((drained.state, drained.weight), (AdminState::Drain, 0));
    // Pass 2: sessions remain, within the delay → still held, nothing to do.
    world.draining = d.draining_since.clone();
    world.proxies.insert(
        "h1".into(),
        Some(view(&[stat("t1-8080", "DRAIN", Some("L7OK"), 100, 2)])),
    );
    let d = decide(
        &world.input(),
        &services(),
        &tasks,
        &stopping,
        &BTreeMap::new(),
        at(20),
    );
    assert!(ops(&d, "h1").is_empty());
    assert_eq!(d.held_stops, stopping);
    // Pass 3: sessions gone → deleted; the stop still waits until it is seen gone.
    world.draining = d.draining_since.clone();
    world.proxies.insert(
        "h1".into(),
        Some(view(&[stat("t1-8080", "DRAIN", Some("L7OK"), 100, 0)])),
    );
    let d = decide(
        &world.input(),
        &services(),
        &tasks,
        &stopping,
        &BTreeMap::new(),
        at(21),
    );
    assert_eq!(
        ops(&d, "h1"),
        [RuntimeOp::Delete {
            target_group: "web".into(),
            server: "t1-8080".into()
        }]
    );
    assert_eq!(
        d.events["web"],
        ["(service web) deregistered 1 targets in (target-group web)"]
    );
    assert!(d.draining_since.is_empty());
    // Pass 4: gone from the proxy → the stop goes ahead.
    world.proxies.insert("h1".into(), Some(view(&[])));
    let d = decide(
        &world.input(),
        &services(),
        &tasks,
        &stopping,
        &BTreeMap::new(),
        at(22),
    );
    assert!(d.held_stops.is_empty());
    assert!(d.proxies["h1"].config.backends[0].servers.is_empty());
}

#[test]
fn the_deregistration_delay_ends_a_drain_that_keeps_sessions() {
    let tasks = [task("t1", "h1", 32001, true)];
    let stopping = BTreeSet::from(["t1".to_string()]);
    let mut world = World::new(&[(
        "h1",
        Some(view(&[stat("t1-8080", "DRAIN", Some("L7OK"), 0, 5)])),
    )]);
    world
        .draining
        .insert(("h1".into(), "web".into(), "t1-8080".into()), at(100));
    let within = decide(
        &world.input(),
        &services(),
        &tasks,
        &stopping,
        &BTreeMap::new(),
        at(129),
    );
    assert!(ops(&within, "h1").is_empty());
    let after = decide(
        &world.input(),
        &services(),
        &tasks,
        &stopping,
        &BTreeMap::new(),
        at(130),
    );
    assert!(matches!(ops(&after, "h1")[..], [RuntimeOp::Delete { .. }]));
}

#[test]
fn a_drain_no_longer_wanted_is_undone_and_a_dead_task_is_deleted_at_once() {
    let alive = task("t1", "h1", 32001, true);
    let dead = task("t2", "h1", 32002, false);
    let world = World::new(&[(
        "h1",
        Some(view(&[
            stat("t1-8080", "DRAIN", Some("L7OK"), 0, 0),
            stat("t2-8080", "UP", Some("L4CON"), 100, 0),
        ])),
    )]);
    let d = decide(
        &world.input(),
        &services(),
        &[alive, dead],
        &BTreeSet::new(),
        &BTreeMap::new(),
        at(10),
    );
    assert_eq!(
        ops(&d, "h1"),
        [
            RuntimeOp::Ready {
                target_group: "web".into(),
                server: "t1-8080".into()
            },
            RuntimeOp::Delete {
                target_group: "web".into(),
                server: "t2-8080".into()
            },
        ]
    );
}

#[test]
fn a_down_target_of_a_task_being_stopped_is_deleted_without_a_drain() {
    let tasks = [task("t1", "h1", 32001, true)];
    let stopping = BTreeSet::from(["t1".to_string()]);
    let world = World::new(&[(
        "h1",
        Some(view(&[stat("t1-8080", "DOWN", Some("L7STS"), 100, 0)])),
    )]);
    let d = decide(
        &world.input(),
        &services(),
        &tasks,
        &stopping,
        &BTreeMap::new(),
        at(10),
    );
    assert!(matches!(ops(&d, "h1")[..], [RuntimeOp::Delete { .. }]));
    assert_eq!(
        d.events["web"],
        ["(service web) deregistered 1 targets in (target-group web)"]
    );
}

#[test]
fn an_unreached_proxy_holds_no_stop() {
    let tasks = [task("t1", "h1", 32001, true)];
    let stopping = BTreeSet::from(["t1".to_string()]);
    let world = World::new(&[
        ("h1", None),
        (
            "h2",
            Some(ProxyView {
                running: false,
                servers: BTreeMap::new(),
            }),
        ),
    ]);
    let d = decide(
        &world.input(),
        &services(),
        &tasks,
        &stopping,
        &BTreeMap::new(),
        at(10),
    );
    assert!(d.held_stops.is_empty());
}

#[test]
fn listener_hosts_are_the_named_ones_or_every_host() {
    let mut world = World::new(&[]);
    let all = listener_hosts(&world.load_balancers, ["h1", "h2"]);
    assert_eq!(all, BTreeSet::from(["h1".to_string(), "h2".to_string()]));
    if let Some(lb) = world.load_balancers.get_mut("edge") {
        lb.hosts = vec!["h2".into(), "gone".into()];
    }
    let named = listener_hosts(&world.load_balancers, ["h1", "h2"]);
    assert_eq!(named, BTreeSet::from(["h2".to_string()]));
}

#[test]
fn server_names_give_their_task() {
    assert_eq!(server_name("3f2a-9c", 8080), "3f2a-9c-8080");
    assert_eq!(task_of_server("3f2a-9c-8080"), "3f2a-9c");
}
