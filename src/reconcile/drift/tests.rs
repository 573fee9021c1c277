use super::*;
use crate::model::ecs::{ContainerDefinition, PortMapping, ServiceSpec, TaskDefinitionSpec};
use crate::model::names::TaskDefRef;
use crate::reconcile::task::{ContainerState, Health};
use crate::state::{ServiceRuntime, ServiceStatus, StopReason};
use crate::time::Timestamp;

fn at(seconds: u64) -> Timestamp {
    Timestamp::from_unix_millis(seconds * 1000)
}

fn spec() -> TaskDefinitionSpec {
    TaskDefinitionSpec {
        container_definitions: vec![ContainerDefinition {
            name: Some("app".into()),
            image: Some("nginx:1".into()),
            port_mappings: vec![PortMapping {
                container_port: Some(80),
                host_port: Some(8080),
                ..PortMapping::default()
            }],
            ..ContainerDefinition::default()
        }],
        ..TaskDefinitionSpec::default()
    }
}

fn services() -> BTreeMap<String, ServiceRecord> {
    let record = ServiceRecord {
        spec: ServiceSpec::default(),
        task_definition: TaskDefRef::pinned("web", 1),
        desired_count: 2,
        status: ServiceStatus::Active,
        deployments: Vec::new(),
        created_at: at(0),
        updated_at: at(0),
    };
    BTreeMap::from([("web".to_string(), record)])
}

fn container(task: &str, state: ContainerState, exit_code: Option<i64>) -> ObservedContainer {
    ObservedContainer {
        docker_id: format!("id-{task}"),
        docker_name: format!("ecsctl-default-web-1-app-{task}"),
        name: "app".into(),
        pause: false,
        essential: true,
        state,
        health: Health::Unknown,
        exit_code,
        oom_killed: false,
        error: None,
        started_at: Some(at(10)),
        finished_at: None,
        ports: Vec::new(),
        log_driver: None,
        restart_count: 0,
    }
}

fn task(id: &str, c: ObservedContainer) -> ObservedTask {
    ObservedTask {
        id: id.into(),
        cluster: "default".into(),
        host: "h1".into(),
        group: TaskGroup::Service("web".into()),
        task_definition: TaskDefRef::pinned("web", 1),
        deployment: None,
        created_at: at(1),
        containers: vec![c],
        launch_type: crate::model::ecs::LaunchType::Ec2,
        task_limits: None,
    }
}

fn running(id: &str) -> ObservedTask {
    task(id, container(id, ContainerState::Running, None))
}

fn live(memory_mib: i64) -> LiveConfig {
    LiveConfig {
        image: Some("nginx:1".into()),
        env: vec!["PATH=/bin".into(), "MODE=prod".into()],
        memory: Some(memory_mib * MIB),
        ..LiveConfig::default()
    }
}

fn expected(_: &ObservedTask, c: &ObservedContainer) -> Option<ExpectedContainer> {
    let task = c.docker_name.rsplit('-').next().unwrap_or_default();
    Some(ExpectedContainer {
        docker_name: format!("ecsctl-default-web-1-app-{task}"),
        config: live(128),
        environment: vec![("MODE".into(), "prod".into())],
    })
}

fn known(ids: &[&str]) -> Runtime {
    let mut runtime = Runtime::default();
    let service = ServiceRuntime {
        known_tasks: ids
            .iter()
            .map(|id| {
                let k = KnownTask {
                    host: "h1".into(),
                    containers: BTreeMap::from([("app".to_string(), format!("id-{id}"))]),
                    running: true,
                };
                (id.to_string(), k)
            })
            .collect(),
        ..ServiceRuntime::default()
    };
    runtime.services.insert("web".into(), service);
    runtime
}

struct World {
    services: BTreeMap<String, ServiceRecord>,
    runtime: Runtime,
    observed: Vec<ObservedTask>,
    live: BTreeMap<String, LiveConfig>,
    answered: BTreeSet<String>,
    holders: Vec<PortHolder>,
    busy: BTreeSet<String>,
}

impl World {
    fn new(known_ids: &[&str], observed: Vec<ObservedTask>) -> Self {
        let live = observed
            .iter()
            .flat_map(|t| &t.containers)
            .map(|c| (c.docker_id.clone(), live(128)))
            .collect();
        World {
            services: services(),
            runtime: known(known_ids),
            observed,
            live,
            answered: BTreeSet::from(["h1".to_string()]),
            holders: Vec::new(),
            busy: BTreeSet::new(),
        }
    }

    fn with<R>(&self, f: impl FnOnce(&DriftInput<'_>) -> R) -> R {
        let spec = spec();
        let spec_of = |_: &TaskDefRef| Some(&spec);
        let input = DriftInput {
            services: &self.services,
            task_definitions: &spec_of,
            runtime: &self.runtime,
            observed: &self.observed,
            live: &self.live,
            expected: &expected,
            answered: &self.answered,
            port_holders: &self.holders,
            busy: &self.busy,
        };
        f(&input)
    }

    fn detect(&self) -> Vec<DriftItem> {
        self.with(detect)
    }

    fn messages(&self) -> Vec<String> {
        self.detect().iter().map(DriftItem::message).collect()
    }
}

#[test]
fn a_converged_service_has_no_drift() {
    let w = World::new(&["t1", "t2"], vec![running("t1"), running("t2")]);
    assert_eq!(w.detect(), Vec::new());
}

#[test]
fn a_known_task_whose_containers_are_gone_was_removed_by_hand() {
    let w = World::new(&["t1", "t2"], vec![running("t2")]);
    assert_eq!(
        w.detect(),
        vec![DriftItem {
            service: "web".into(),
            host: "h1".into(),
            task: Some("t1".into()),
            kind: DriftKind::TaskMissing,
        }]
    );
    assert_eq!(w.messages(), ["task t1 drifted: container removed by hand"]);
}

#[test]
fn a_task_ecsctl_stops_or_cannot_see_is_not_missing() {
    let mut w = World::new(&["t1", "t2"], vec![running("t2")]);
    w.busy.insert("t1".into());
    assert_eq!(w.detect(), Vec::new(), "being removed by ecsctl");
    w.busy.clear();
    if let Some(s) = w.runtime.services.get_mut("web") {
        s.stop_reasons
            .insert("t1".into(), StopReason::intentional("Scaling activity"));
    }
    assert_eq!(w.detect(), Vec::new(), "stopped by ecsctl");
    let mut w = World::new(&["t1", "t2"], vec![running("t2")]);
    w.answered.clear();
    assert_eq!(w.detect(), Vec::new(), "its host did not answer");
    let mut w = World::new(&["t1", "t2"], vec![running("t2")]);
    if let Some(k) = w
        .runtime
        .services
        .get_mut("web")
        .and_then(|s| s.known_tasks.get_mut("t1"))
    {
        k.running = false;
    }
    assert_eq!(
        w.detect(),
        Vec::new(),
        "last seen exited: cleaned up by ecsctl"
    );
}

#[test]
fn a_sigterm_or_sigkill_exit_is_a_stop_by_hand_and_a_crash_is_not() {
    for (code, oom, drift) in [
        (143, false, true),
        (137, false, true),
        (137, true, false),
        (1, false, false),
        (0, false, false),
    ] {
        let mut c = container("t1", ContainerState::Exited, Some(code));
        c.oom_killed = oom;
        let w = World::new(&["t1"], vec![task("t1", c)]);
        let found = w.detect();
        assert_eq!(!found.is_empty(), drift, "exit {code} oom {oom}: {found:?}");
        if drift {
            assert_eq!(
                found[0].kind,
                DriftKind::StoppedByHand {
                    container: "app".into(),
                    exit_code: code
                }
            );
            assert!(found[0].holds_task());
        }
    }
}

#[test]
fn limits_image_and_environment_changed_by_hand() {
    let mut w = World::new(&["t1", "t2"], vec![running("t1"), running("t2")]);
    w.live.insert("id-t2".into(), live(64));
    assert_eq!(
        w.messages(),
        ["task t2 drifted: memory of `app` changed by hand (expected 128 MiB, found 64 MiB)"]
    );
    let mut changed = live(128);
    changed.image = Some("nginx:2".into());
    changed.env = vec!["MODE=dev".into()];
    changed.cpu_shares = Some(512);
    w.live.insert("id-t2".into(), changed);
    let fields: Vec<String> = w
        .detect()
        .into_iter()
        .filter_map(|i| match i.kind {
            DriftKind::Changed(c) => Some(format!("{}: {} -> {}", c.field, c.expected, c.found)),
            _ => None,
        })
        .collect();
    assert_eq!(
        fields,
        [
            "cpu: none -> 512",
            "environment.MODE: `prod` -> `dev`",
            "image: nginx:1 -> nginx:2",
        ]
    );
}

#[test]
fn docker_zero_means_no_limit() {
    let mut want = live(0);
    want.memory = None;
    let mut have = want.clone();
    have.memory = Some(0);
    have.cpu_shares = Some(0);
    let e = ExpectedContainer {
        docker_name: String::new(),
        config: want,
        environment: Vec::new(),
    };
    assert_eq!(changes("app", &e, &have), Vec::new());
}

#[test]
fn stopped_containers_are_not_compared() {
    let mut w = World::new(
        &["t1"],
        vec![task("t1", container("t1", ContainerState::Exited, Some(1)))],
    );
    w.live.insert("id-t1".into(), live(64));
    assert_eq!(w.detect(), Vec::new());
}

#[test]
fn a_container_with_another_id_or_name_was_replaced_by_hand() {
    let mut c = container("t1", ContainerState::Running, None);
    c.docker_id = "other".into();
    let mut w = World::new(&["t1"], vec![task("t1", c)]);
    w.live.insert("other".into(), live(128));
    assert_eq!(
        w.messages(),
        ["task t1 drifted: container `app` replaced by hand (expected id-t1, found other)"]
    );
    let mut c = container("t1", ContainerState::Running, None);
    c.docker_name = "my-copy".into();
    let w = World::new(&["t1"], vec![task("t1", c)]);
    assert!(
        matches!(w.detect()[0].kind, DriftKind::Replaced { .. }),
        "{:?}",
        w.detect()
    );
}

#[test]
fn an_unknown_task_ecsctl_did_not_name_is_extra_and_one_it_named_is_adopted() {
    let mut c = container("t9", ContainerState::Running, None);
    c.docker_name = "hand-made".into();
    let w = World::new(&["t1"], vec![running("t1"), task("t9", c)]);
    assert_eq!(
        w.messages(),
        ["task t9 drifted: extra task started by hand (container `hand-made`)"]
    );
    let known = w.with(|input| remember(input, &detect(input), true));
    assert_eq!(known["web"].keys().collect::<Vec<_>>(), ["t1"]);

    let w = World::new(&["t1"], vec![running("t1"), running("t2")]);
    assert_eq!(w.detect(), Vec::new(), "launched by ecsctl since");
    let known = w.with(|input| remember(input, &detect(input), true));
    assert_eq!(known["web"].keys().collect::<Vec<_>>(), ["t1", "t2"]);
}

#[test]
fn a_foreign_container_on_a_fixed_port_of_ours() {
    let mut w = World::new(&["t1"], vec![running("t1")]);
    w.holders = vec![
        PortHolder {
            host: "h1".into(),
            container: "squatter".into(),
            ports: vec![8080, 9000],
        },
        PortHolder {
            host: "h1".into(),
            container: "harmless".into(),
            ports: vec![9001],
        },
    ];
    let found = w.detect();
    assert_eq!(found.len(), 1);
    assert!(!found[0].correctable());
    assert_eq!(
        found[0].message(),
        "host h1 drifted: container `squatter`, not ecsctl's, publishes host port 8080 of the service"
    );
}

#[test]
fn a_removed_task_stays_known_only_while_it_is_held() {
    let w = World::new(&["t1", "t2"], vec![running("t2")]);
    let items = w.detect();
    assert_eq!(
        held(&items),
        BTreeMap::from([("web".to_string(), BTreeSet::from(["t1".to_string()]))])
    );
    let kept = w.with(|input| remember(input, &items, false));
    assert_eq!(kept["web"].keys().collect::<Vec<_>>(), ["t1", "t2"]);
    let healed = w.with(|input| remember(input, &items, true));
    assert_eq!(healed["web"].keys().collect::<Vec<_>>(), ["t2"]);
}

#[test]
fn a_task_replaced_for_drift_is_forgotten_and_one_on_a_silent_host_kept() {
    let mut w = World::new(&["t1", "t2", "t3"], vec![running("t1"), running("t2")]);
    w.live.insert("id-t2".into(), live(64));
    if let Some(k) = w
        .runtime
        .services
        .get_mut("web")
        .and_then(|s| s.known_tasks.get_mut("t3"))
    {
        k.host = "h2".into();
    }
    let items = w.detect();
    let healed = w.with(|input| remember(input, &items, true));
    assert_eq!(healed["web"].keys().collect::<Vec<_>>(), ["t1", "t3"]);
    let kept = w.with(|input| remember(input, &items, false));
    assert_eq!(kept["web"].keys().collect::<Vec<_>>(), ["t1", "t2", "t3"]);
}

#[test]
fn items_are_sorted_and_tasks_of_deleted_services_ignored() {
    let mut w = World::new(&["t1", "t2", "t3"], vec![running("t2")]);
    w.live.insert("id-t2".into(), live(64));
    let tasks: Vec<Option<String>> = w.detect().into_iter().map(|i| i.task).collect();
    assert_eq!(
        tasks,
        [Some("t1".into()), Some("t2".into()), Some("t3".into())]
    );
    if let Some(r) = w.services.get_mut("web") {
        r.status = ServiceStatus::Draining;
    }
    assert_eq!(w.detect(), Vec::new());
}

#[test]
fn each_item_is_reported_once_and_forgotten_when_gone() {
    let w = World::new(&["t1", "t2"], vec![running("t2")]);
    let items = w.detect();
    let refs: Vec<&DriftItem> = items.iter().collect();
    let (records, events) = record(&BTreeMap::new(), &refs, false, at(5));
    assert_eq!(
        events,
        [
            "(service web) task t1 drifted: container removed by hand; not corrected (--no-self-heal)."
        ]
    );
    let (again, events) = record(&records, &refs, false, at(9));
    assert_eq!(events, Vec::<String>::new());
    assert_eq!(again, records, "kept with its first time");
    let (gone, _) = record(&again, &[], false, at(12));
    assert!(gone.is_empty());
    let (_, healed) = record(&records, &refs, true, at(20));
    assert_eq!(
        healed,
        [
            "(service web) task t1 drifted: container removed by hand; corrected: a replacement task is started."
        ]
    );
}
