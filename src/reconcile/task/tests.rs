use super::*;
use crate::model::load::check_text;

fn spec(containers: &str) -> TaskDefinitionSpec {
    let text = format!(
        "apiVersion: ecsctl/v1\nkind: TaskDefinition\nmetadata: {{name: t}}\nspec:\n  containerDefinitions:\n{containers}"
    );
    let (set, d) = check_text("t.yaml", &text);
    assert!(!d.has_errors(), "{d:#?}");
    set.task_definitions["t"].spec.clone()
}

fn container(name: &str, state: ContainerState) -> ObservedContainer {
    ObservedContainer {
        docker_id: format!("id-{name}"),
        docker_name: format!("ecsctl-{name}"),
        name: name.to_string(),
        pause: false,
        essential: true,
        state,
        health: Health::Unknown,
        exit_code: None,
        oom_killed: false,
        error: None,
        started_at: (state != ContainerState::Created).then(|| Timestamp::from_unix_millis(1_000)),
        finished_at: None,
        ports: Vec::new(),
        log_driver: None,
        restart_count: 0,
    }
}

fn exited(name: &str, code: i64) -> ObservedContainer {
    ObservedContainer {
        exit_code: Some(code),
        finished_at: Some(Timestamp::from_unix_millis(2_000)),
        ..container(name, ContainerState::Exited)
    }
}

fn task(containers: Vec<ObservedContainer>) -> ObservedTask {
    ObservedTask {
        id: "0123456789abcdef0123456789abcdef".into(),
        cluster: "default".into(),
        host: "local".into(),
        group: TaskGroup::Service("web".into()),
        task_definition: TaskDefRef::pinned("t", 1),
        deployment: Some("ecs-svc/1".into()),
        created_at: Timestamp::from_unix_millis(500),
        containers,
        launch_type: crate::model::ecs::LaunchType::Ec2,
        task_limits: None,
    }
}

fn now() -> Timestamp {
    Timestamp::from_unix_millis(10_000)
}

fn state_of(t: &ObservedTask, s: &TaskDefinitionSpec) -> TaskState {
    assess(t, Some(s), None, None, now())
}

const TWO: &str = "    - {name: app, image: a}\n    - {name: side, image: b, essential: false}\n";

#[test]
fn running_when_every_essential_container_runs() {
    let s = spec(TWO);
    let mut side = exited("side", 0);
    side.essential = false;
    let t = task(vec![container("app", ContainerState::Running), side]);
    let st = state_of(&t, &s);
    assert_eq!(st.last_status, TaskStatus::Running);
    assert!(st.is_active() && st.is_healthy() && st.reached_running);
    assert_eq!(st.health, Health::Unknown);
    assert_eq!(container_steps(&t, &s, &st), None);
}

#[test]
fn an_essential_exit_stops_the_task_and_its_other_containers() {
    let s = spec("    - {name: app, image: a}\n    - {name: side, image: b, essential: false}\n");
    let mut side = container("side", ContainerState::Running);
    side.essential = false;
    let t = task(vec![exited("app", 1), side]);
    let st = state_of(&t, &s);
    assert_eq!(st.desired_status, DesiredStatus::Stopped);
    assert_eq!(
        st.last_status,
        TaskStatus::Running,
        "still running until its containers stop"
    );
    assert_eq!(st.stop_reason, Some(StopReason::failure(ESSENTIAL_EXITED)));
    assert_eq!(
        container_steps(&t, &s, &st),
        Some(ContainerStep::Stop(vec!["id-side".into()]))
    );

    let t = task(vec![exited("app", 1), exited("side", 143)]);
    let st = state_of(&t, &s);
    assert_eq!(st.last_status, TaskStatus::Stopped);
    assert_eq!(container_steps(&t, &s, &st), None);
}

#[test]
fn a_non_essential_exit_keeps_the_task() {
    let s = spec(TWO);
    let mut side = exited("side", 3);
    side.essential = false;
    let st = state_of(
        &task(vec![container("app", ContainerState::Running), side]),
        &s,
    );
    assert!(st.is_active());
}

#[test]
fn health_checks_decide_health_and_failures_stop_the_task() {
    let s = spec("    - {name: app, image: a, healthCheck: {command: [CMD, x]}}\n");
    let mut app = container("app", ContainerState::Running);
    app.health = Health::Starting;
    let st = state_of(&task(vec![app.clone()]), &s);
    assert_eq!(
        (st.last_status, st.health),
        (TaskStatus::Running, Health::Starting)
    );
    assert!(st.is_active() && !st.is_healthy());

    app.health = Health::Healthy;
    assert!(state_of(&task(vec![app.clone()]), &s).is_healthy());

    app.health = Health::Unhealthy;
    let t = task(vec![app.clone()]);
    let st = state_of(&t, &s);
    assert_eq!(
        st.stop_reason,
        Some(StopReason::failure(HEALTH_CHECKS_FAILED))
    );
    assert_eq!(
        container_steps(&t, &s, &st),
        Some(ContainerStep::Stop(vec!["id-app".into()]))
    );

    let grace = assess(
        &t,
        Some(&s),
        None,
        Some(now().plus(std::time::Duration::from_secs(5))),
        now(),
    );
    assert!(
        grace.is_active(),
        "unhealthy within the grace period is tolerated"
    );
}

#[test]
fn out_of_memory_and_start_errors_are_named() {
    let s = spec("    - {name: app, image: a}\n");
    let mut oom = exited("app", 137);
    oom.oom_killed = true;
    assert_eq!(
        state_of(&task(vec![oom]), &s).stop_reason,
        Some(StopReason::failure(OUT_OF_MEMORY))
    );
    let mut broken = container("app", ContainerState::Created);
    broken.error = Some("exec: \"nope\": executable file not found".into());
    let st = state_of(&task(vec![broken]), &s);
    assert_eq!(
        st.stop_reason.map(|r| r.text),
        Some("CannotStartContainerError: exec: \"nope\": executable file not found".into())
    );
    assert_eq!(st.last_status, TaskStatus::Stopped);
    assert!(!st.reached_running);
}

#[test]
fn a_recorded_stop_wins() {
    let s = spec("    - {name: app, image: a}\n");
    let t = task(vec![container("app", ContainerState::Running)]);
    let recorded = StopReason::intentional("Scaling activity initiated by (deployment ecs-svc/1)");
    let st = assess(&t, Some(&s), Some(&recorded), None, now());
    assert_eq!(st.desired_status, DesiredStatus::Stopped);
    assert_eq!(st.stop_reason, Some(recorded));
}

const CHAIN: &str = "    - {name: web, image: a, dependsOn: [{containerName: db, condition: HEALTHY}, {containerName: init, condition: SUCCESS}]}\n    - {name: db, image: b, essential: false, healthCheck: {command: [CMD, x]}}\n    - {name: init, image: c, essential: false}\n";

#[test]
fn containers_start_when_their_dependencies_are_met() {
    let s = spec(CHAIN);
    assert_eq!(start_order(&s), ["db", "init", "web"]);
    let mut db = container("db", ContainerState::Created);
    db.essential = false;
    let mut init = container("init", ContainerState::Created);
    init.essential = false;
    let web = container("web", ContainerState::Created);
    let t = task(vec![web.clone(), db.clone(), init.clone()]);
    let st = state_of(&t, &s);
    assert_eq!(st.last_status, TaskStatus::Pending);
    assert_eq!(
        container_steps(&t, &s, &st),
        Some(ContainerStep::Start(vec!["id-db".into(), "id-init".into()]))
    );

    // db started but not yet healthy; init succeeded: web waits.
    db.state = ContainerState::Running;
    db.started_at = Some(now());
    db.health = Health::Starting;
    let mut init_done = exited("init", 0);
    init_done.essential = false;
    let t = task(vec![web.clone(), db.clone(), init_done.clone()]);
    assert_eq!(container_steps(&t, &s, &state_of(&t, &s)), None);

    db.health = Health::Healthy;
    let t = task(vec![web.clone(), db.clone(), init_done]);
    assert_eq!(
        container_steps(&t, &s, &state_of(&t, &s)),
        Some(ContainerStep::Start(vec!["id-web".into()]))
    );

    // init failed: SUCCESS can no longer be met.
    let mut init_failed = exited("init", 2);
    init_failed.essential = false;
    let st = state_of(&task(vec![web, db, init_failed]), &s);
    assert_eq!(st.desired_status, DesiredStatus::Stopped);
    assert!(
        st.stop_reason
            .expect("reason")
            .text
            .starts_with("DependencyError")
    );
}

#[test]
fn awsvpc_tasks_provision_their_network_first() {
    let s = spec("    - {name: app, image: a}\n");
    let mut pause = container("", ContainerState::Created);
    pause.pause = true;
    pause.essential = false;
    pause.docker_id = "id-pause".into();
    let t = task(vec![
        pause.clone(),
        container("app", ContainerState::Created),
    ]);
    let st = state_of(&t, &s);
    assert_eq!(st.last_status, TaskStatus::Provisioning);
    assert_eq!(
        container_steps(&t, &s, &st),
        Some(ContainerStep::Start(vec!["id-pause".into()]))
    );

    pause.state = ContainerState::Running;
    pause.started_at = Some(now());
    let t = task(vec![
        pause.clone(),
        container("app", ContainerState::Created),
    ]);
    let st = state_of(&t, &s);
    assert_eq!(st.last_status, TaskStatus::Pending);
    assert_eq!(
        container_steps(&t, &s, &st),
        Some(ContainerStep::Start(vec!["id-app".into()]))
    );

    let stopping = assess(
        &task(vec![pause, container("app", ContainerState::Running)]),
        Some(&s),
        Some(&StopReason::intentional("x")),
        None,
        now(),
    );
    let t = task(vec![
        ObservedContainer {
            pause: true,
            docker_id: "id-pause".into(),
            ..container("", ContainerState::Running)
        },
        container("app", ContainerState::Running),
    ]);
    assert_eq!(
        container_steps(&t, &s, &stopping),
        Some(ContainerStep::Stop(vec![
            "id-app".into(),
            "id-pause".into()
        ])),
        "the network goes last"
    );
}

#[test]
fn no_containers_yet_is_provisioning() {
    let st = assess(&task(vec![]), None, None, None, now());
    assert_eq!(st.last_status, TaskStatus::Provisioning);
    assert!(st.is_active() && !st.is_healthy());
}

#[test]
fn a_half_created_task_fails() {
    let s = spec(TWO);
    let st = state_of(&task(vec![container("app", ContainerState::Created)]), &s);
    assert_eq!(st.desired_status, DesiredStatus::Stopped);
    assert!(
        st.stop_reason
            .expect("reason")
            .text
            .contains("`side` of the task was never created")
    );
}

#[test]
fn links_and_volumes_from_order_creation_and_starts() {
    let s = spec(
        "    - {name: web, image: a, links: ['db:database'], volumesFrom: [{sourceContainer: data}]}\n    - {name: db, image: b, essential: false}\n    - {name: data, image: c, essential: false}\n",
    );
    assert_eq!(start_order(&s), ["db", "data", "web"]);
    let mut db = container("db", ContainerState::Created);
    db.essential = false;
    let mut data = container("data", ContainerState::Created);
    data.essential = false;
    let t = task(vec![
        container("web", ContainerState::Created),
        db.clone(),
        data.clone(),
    ]);
    assert_eq!(
        container_steps(&t, &s, &state_of(&t, &s)),
        Some(ContainerStep::Start(vec!["id-db".into(), "id-data".into()])),
        "web waits for the container it links to"
    );
}

#[test]
fn stop_details_carry_the_exit_code_of_the_essential_container() {
    let exited_alone = task(vec![exited("app", 137)]);
    assert_eq!(
        stop_detail(&exited_alone, &StopReason::failure(ESSENTIAL_EXITED)),
        "Essential container in task exited (exit code 137)"
    );
    let mut oom = exited("app", 137);
    oom.oom_killed = true;
    assert_eq!(
        stop_detail(&task(vec![oom]), &StopReason::failure(OUT_OF_MEMORY)),
        "OutOfMemoryError: Container killed due to memory usage (exit code 137)"
    );
    // With a sidecar, the container that exited is named; a non-essential one is not it.
    let mut sidecar = exited("log", 0);
    sidecar.essential = false;
    let two = task(vec![sidecar, exited("app", 3)]);
    assert_eq!(
        stop_detail(&two, &StopReason::failure(ESSENTIAL_EXITED)),
        "Essential container in task exited (container `app`, exit code 3)"
    );
    // Still running (failed health checks): no exit code to give.
    let running = task(vec![container("app", ContainerState::Running)]);
    assert_eq!(
        stop_detail(&running, &StopReason::failure(HEALTH_CHECKS_FAILED)),
        "Task failed container health checks"
    );
}

/// Issue 13: once ecsctl has stopped an awsvpc task's pause container (last, after the
/// essential container that ended the task), the task still reads as stopped by that
/// container, not by its network.
#[test]
fn a_pause_container_stopped_after_the_essential_one_is_not_the_reason() {
    let s = spec("    - {name: app, image: a}\n");
    let mut oom = exited("app", 137);
    oom.oom_killed = true;
    let pause = |at: u64| ObservedContainer {
        name: String::new(),
        pause: true,
        essential: false,
        finished_at: Some(Timestamp::from_unix_millis(at)),
        ..exited("", 0)
    };
    assert_eq!(
        state_of(&task(vec![pause(3_000), oom.clone()]), &s).stop_reason,
        Some(StopReason::failure(OUT_OF_MEMORY))
    );
    // The pause container gone first is what stopped the task.
    assert_eq!(
        state_of(&task(vec![pause(1_500), oom]), &s)
            .stop_reason
            .map(|r| r.text),
        Some("TaskNetworkError: the task's network (pause) container stopped".into())
    );
}
