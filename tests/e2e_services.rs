//! Services on a real Docker daemon: they come up, killed tasks are replaced, new revisions
//! roll within minimumHealthyPercent/maximumPercent, the circuit breaker rolls back, failing
//! health checks replace tasks, essential exits stop tasks, and `watch` follows edits.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use common::Env;
use common::docker::{IMAGE, TestCluster, docker_ok, inspect, label, running_containers, wait_for};

/// A web service whose tasks stop at once on SIGTERM.
fn web(cluster: &TestCluster, count: u32, version: &str, extra: &str) -> String {
    format!(
        "{}apiVersion: ecsctl/v1
kind: TaskDefinition
metadata: {{ name: web }}
spec:
  containerDefinitions:
    - name: web
      image: {IMAGE}
      command: [sh, -c, \"echo {version} > /tmp/index.html; trap 'exit 0' TERM; httpd -f -p 8080 -h /tmp & wait\"]
      portMappings: [{{ containerPort: 8080 }}]
      environment: [{{ name: VERSION, value: '{version}' }}]
      stopTimeout: 3
{extra}---
apiVersion: ecsctl/v1
kind: Service
metadata: {{ name: web, cluster: {cluster} }}
spec:
  desiredCount: {count}
  deploymentConfiguration: {{ minimumHealthyPercent: 100, maximumPercent: 200, deploymentCircuitBreaker: {{ enable: true, rollback: true }} }}
",
        cluster.manifest(),
        cluster = cluster.name
    )
}

fn tasks_json(env: &Env, cluster: &TestCluster) -> serde_json::Value {
    let run = env.run(&["get", "tasks", "--cluster", &cluster.name, "-o", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    serde_json::from_str(&run.stdout).expect("tasks json")
}

#[test]
fn a_service_comes_up_and_killed_tasks_are_replaced() {
    let cluster = TestCluster::new("up");
    let env = Env::new();
    env.write("m/web.yaml", &web(&cluster, 3, "v1", ""));
    let apply = env.run(&["apply", "-f", "m", "--auto-approve", "--wait", "90s"]);
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    assert!(
        apply
            .stderr
            .contains("(service web) has reached a steady state."),
        "{}",
        apply.stderr
    );
    let running = cluster.running("web");
    assert_eq!(running.len(), 3);
    let state = env.read_state().expect("state");
    for id in &running {
        let c = inspect(id);
        assert_eq!(label(&c, "ecsctl.cluster"), cluster.name);
        assert_eq!(label(&c, "ecsctl.service"), "web");
        assert_eq!(label(&c, "ecsctl.family"), "web");
        assert_eq!(label(&c, "ecsctl.revision"), "1");
        assert_eq!(label(&c, "ecsctl.container"), "web");
        assert_eq!(label(&c, "ecsctl.lineage"), state.lineage);
        assert_eq!(label(&c, "ecsctl.task").len(), 32);
    }
    let tasks = tasks_json(&env, &cluster);
    let statuses: Vec<&str> = tasks
        .as_array()
        .expect("list")
        .iter()
        .map(|t| t["lastStatus"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(statuses, ["RUNNING", "RUNNING", "RUNNING"]);

    let mut watch = env.spawn(&["watch", "--cluster", &cluster.name], &[]);
    std::thread::sleep(Duration::from_secs(1));
    let victim = running[0].clone();
    docker_ok(&["kill", &victim]);
    wait_for("a replacement task", Duration::from_secs(20), || {
        let now = cluster.running("web");
        now.len() == 3 && !now.contains(&victim)
    });
    let tasks = tasks_json(&env, &cluster);
    let stopped: Vec<&serde_json::Value> = tasks
        .as_array()
        .expect("list")
        .iter()
        .filter(|t| t["lastStatus"] == "STOPPED")
        .collect();
    assert_eq!(stopped.len(), 1);
    assert_eq!(
        stopped[0]["stopReason"]["text"],
        "Essential container in task exited"
    );
    assert_eq!(stopped[0]["containers"][0]["exitCode"], 137);
    assert_eq!(
        watch.stop(),
        Some(0),
        "watch stops cleanly on SIGTERM:\n{}",
        watch.log()
    );
    assert_eq!(
        cluster.running("web").len(),
        3,
        "stopping watch leaves the containers running"
    );
}

#[test]
fn a_rolling_deployment_stays_within_100_and_200_percent() {
    let cluster = TestCluster::new("roll");
    let env = Env::new();
    env.write("m/web.yaml", &web(&cluster, 3, "v1", ""));
    let apply = env.run(&["apply", "-f", "m", "--auto-approve", "--wait", "90s"]);
    assert_eq!(apply.code, 0, "{}", apply.stderr);

    // A sampler counts the service's running containers while the new revision rolls out.
    let stop = Arc::new(AtomicBool::new(false));
    let (min, max) = (
        Arc::new(AtomicUsize::new(usize::MAX)),
        Arc::new(AtomicUsize::new(0)),
    );
    let samples = Arc::new(AtomicUsize::new(0));
    let sampler = {
        let (stop, min, max, samples) = (stop.clone(), min.clone(), max.clone(), samples.clone());
        let name = cluster.name.clone();
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let n = running_containers(None, &name);
                min.fetch_min(n, Ordering::Relaxed);
                max.fetch_max(n, Ordering::Relaxed);
                samples.fetch_add(1, Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(20));
            }
        })
    };
    env.write("m/web.yaml", &web(&cluster, 3, "v2", ""));
    let apply = env.run(&["apply", "-f", "m", "--auto-approve", "--wait", "90s"]);
    stop.store(true, Ordering::Relaxed);
    sampler.join().expect("sampler");
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    assert!(apply.stdout.contains("web:1 → web:2"));
    let (low, high) = (min.load(Ordering::Relaxed), max.load(Ordering::Relaxed));
    println!(
        "{} samples: between {low} and {high} running",
        samples.load(Ordering::Relaxed)
    );
    assert!(
        low >= 3,
        "fewer than 3 tasks ran during the deployment: {low}"
    );
    assert!(
        high <= 6,
        "more than 6 tasks ran during the deployment: {high}"
    );
    assert!(
        high > 3,
        "the deployment should have started new tasks before stopping old ones"
    );
    let running = cluster.running("web");
    assert_eq!(running.len(), 3);
    for id in running {
        assert_eq!(label(&inspect(&id), "ecsctl.revision"), "2");
    }
}

#[test]
fn a_revision_that_crashes_trips_the_circuit_breaker_and_rolls_back() {
    let cluster = TestCluster::new("breaker");
    let env = Env::new();
    env.write("m/web.yaml", &web(&cluster, 3, "v1", ""));
    assert_eq!(
        env.run(&["apply", "-f", "m", "--auto-approve", "--wait", "90s"])
            .code,
        0
    );
    let broken = web(&cluster, 3, "v2", "").replace(
        "command: [sh, -c, \"echo v2 > /tmp/index.html; trap 'exit 0' TERM; httpd -f -p 8080 -h /tmp & wait\"]",
        "command: [sh, -c, \"echo crashing; exit 3\"]",
    );
    env.write("m/web.yaml", &broken);
    let apply = env.run(&["apply", "-f", "m", "--auto-approve", "--wait", "120s"]);
    assert_eq!(
        apply.code, 1,
        "a rollback is a failed apply:\n{}\n{}",
        apply.stdout, apply.stderr
    );
    assert!(
        apply
            .stderr
            .contains("deployment failed: tasks failed to start"),
        "{}",
        apply.stderr
    );
    assert!(
        apply.stderr.contains("rolled it back to web:1"),
        "{}",
        apply.stderr
    );
    let state = env.read_state().expect("state");
    let service = state.service(&cluster.name, "web").expect("service");
    assert_eq!(service.task_definition.to_string(), "web:1");
    wait_for(
        "the old revision to serve 3 tasks",
        Duration::from_secs(30),
        || {
            let running = cluster.running("web");
            running.len() == 3
                && running
                    .iter()
                    .all(|id| label(&inspect(id), "ecsctl.revision") == "1")
        },
    );
    let events = env.run(&["describe", "service", "web", "--cluster", &cluster.name]);
    assert!(
        events
            .stdout
            .contains("deployment failed: tasks failed to start."),
        "{}",
        events.stdout
    );
    assert!(
        events.stdout.contains("rolling back to deployment"),
        "{}",
        events.stdout
    );
    // The manifests still say v2: the next plan shows the drift back to them.
    let plan = env.run(&["plan", "-f", "m", "--detailed-exitcode"]);
    assert_eq!(plan.code, 2, "{}", plan.stdout);
}

#[test]
fn a_failing_health_check_stops_and_replaces_the_task() {
    let cluster = TestCluster::new("health");
    let env = Env::new();
    let extra = "      healthCheck: { command: [CMD-SHELL, \"test ! -f /tmp/sick\"], interval: 5, timeout: 2, retries: 1 }\n";
    env.write("m/web.yaml", &web(&cluster, 1, "v1", extra));
    let apply = env.run(&["apply", "-f", "m", "--auto-approve", "--wait", "90s"]);
    assert_eq!(apply.code, 0, "{}", apply.stderr);
    let first = cluster.running("web");
    assert_eq!(first.len(), 1);
    assert_eq!(inspect(&first[0])["State"]["Health"]["Status"], "healthy");
    let mut watch = env.spawn(&["watch", "--cluster", &cluster.name], &[]);
    docker_ok(&["exec", &first[0], "touch", "/tmp/sick"]);
    wait_for(
        "the sick task to be replaced",
        Duration::from_secs(40),
        || {
            let now = cluster.running("web");
            now.len() == 1
                && now[0] != first[0]
                && inspect(&now[0])["State"]["Health"]["Status"] == "healthy"
        },
    );
    let tasks = tasks_json(&env, &cluster);
    let sick = tasks
        .as_array()
        .expect("list")
        .iter()
        .find(|t| t["lastStatus"] == "STOPPED")
        .expect("the sick task is listed as stopped");
    assert_eq!(
        sick["stopReason"]["text"],
        "Task failed container health checks"
    );
    watch.stop();
    let events = env.run(&["describe", "service", "web", "--cluster", &cluster.name]);
    assert!(
        events.stdout.contains("failed container health checks."),
        "{}",
        events.stdout
    );
}

#[test]
fn an_essential_exit_stops_its_task() {
    let cluster = TestCluster::new("essential");
    let env = Env::new();
    env.write(
        "m/job.yaml",
        &format!(
            "{}apiVersion: ecsctl/v1
kind: TaskDefinition
metadata: {{ name: job }}
spec:
  containerDefinitions:
    - {{ name: main, image: {IMAGE}, command: [sh, -c, 'sleep 2; exit 3'] }}
    - {{ name: sidecar, image: {IMAGE}, essential: false, command: [sh, -c, \"trap 'exit 0' TERM; sleep 600 & wait\"] }}
---
apiVersion: ecsctl/v1
kind: Service
metadata: {{ name: job, cluster: {} }}
spec: {{ desiredCount: 1 }}
",
            cluster.manifest(),
            cluster.name
        ),
    );
    let apply = env.run(&["apply", "-f", "m", "--auto-approve", "--no-wait"]);
    assert_eq!(apply.code, 0, "{}", apply.stderr);
    let mut watch = env.spawn(&["watch", "--cluster", &cluster.name], &[]);
    let mut stopped = serde_json::Value::Null;
    wait_for("a stopped task", Duration::from_secs(30), || {
        let tasks = tasks_json(&env, &cluster);
        if let Some(t) = tasks
            .as_array()
            .and_then(|l| l.iter().find(|t| t["lastStatus"] == "STOPPED"))
        {
            stopped = t.clone();
            return true;
        }
        false
    });
    watch.stop();
    assert_eq!(
        stopped["stopReason"]["text"],
        "Essential container in task exited"
    );
    let containers = stopped["containers"].as_array().expect("containers");
    let main = containers
        .iter()
        .find(|c| c["name"] == "main")
        .expect("main");
    let sidecar = containers
        .iter()
        .find(|c| c["name"] == "sidecar")
        .expect("sidecar");
    assert_eq!(main["exitCode"], 3);
    assert_eq!(
        sidecar["state"], "exited",
        "the sidecar is stopped with its task"
    );
    assert_eq!(sidecar["exitCode"], 0, "it stopped on SIGTERM");
}

#[test]
fn watch_applies_an_edited_manifest() {
    let cluster = TestCluster::new("edit");
    let env = Env::new();
    env.write("m/web.yaml", &web(&cluster, 1, "v1", ""));
    let mut watch = env.spawn(&["watch", "-f", "m"], &[]);
    wait_for("one task", Duration::from_secs(30), || {
        cluster.running("web").len() == 1
    });
    env.write("m/web.yaml", &web(&cluster, 2, "v1", ""));
    wait_for(
        "the second task after the edit",
        Duration::from_secs(30),
        || cluster.running("web").len() == 2,
    );
    let log = watch.log();
    assert!(log.contains("manifests changed"), "{log}");
    assert!(
        log.contains("applied the manifests: 0 added, 1 changed, 0 destroyed"),
        "{log}"
    );
    watch.stop();
}

#[test]
fn one_watch_per_cluster() {
    let cluster = TestCluster::new("lease");
    let env = Env::new();
    env.write("m/web.yaml", &web(&cluster, 1, "v1", ""));
    assert_eq!(
        env.run(&["apply", "-f", "m", "--auto-approve", "--wait", "60s"])
            .code,
        0
    );
    let mut first = env.spawn(&["watch", "--cluster", &cluster.name], &[]);
    std::thread::sleep(Duration::from_secs(1));
    let second = env.run(&["watch", "--cluster", &cluster.name]);
    assert_eq!(second.code, 1);
    let pid = format!("pid {}", first.child.id());
    assert!(
        second.stderr.contains("lease of cluster") && second.stderr.contains(&pid),
        "{}",
        second.stderr
    );
    // An apply while the watch runs hands convergence to it and waits by observing.
    env.write("m/web.yaml", &web(&cluster, 2, "v1", ""));
    let apply = env.run(&["apply", "-f", "m", "--auto-approve", "--wait", "60s"]);
    assert_eq!(apply.code, 0, "{}", apply.stderr);
    assert!(
        apply.stderr.contains("waiting for it to converge"),
        "{}",
        apply.stderr
    );
    assert_eq!(cluster.running("web").len(), 2);
    first.stop();
}

/// A second watch fails on the lease before it says it watches (or applies anything); a
/// stopped watch says what keeps running.
#[test]
fn a_second_watch_fails_first_and_a_stopped_one_says_what_keeps_running() {
    let cluster = TestCluster::new("lease2");
    let env = Env::new();
    env.write("m/web.yaml", &web(&cluster, 2, "v1", ""));
    assert_eq!(
        env.run(&["apply", "-f", "m", "--auto-approve", "--wait", "60s"])
            .code,
        0
    );
    let mut first = env.spawn(&["watch", "--cluster", &cluster.name], &[]);
    wait_for("the first watch runs", Duration::from_secs(10), || {
        first.log().contains("watching")
    });
    env.write("m/web.yaml", &web(&cluster, 3, "v1", ""));
    let second = env.run(&["watch", "-f", "m", "--cluster", &cluster.name]);
    assert_eq!(second.code, 1);
    assert!(
        second.stderr.contains("lease of cluster"),
        "{}",
        second.stderr
    );
    assert!(!second.stderr.contains("watching"), "{}", second.stderr);
    let state = env.read_state().expect("state");
    assert_eq!(
        state
            .service(&cluster.name, "web")
            .expect("web")
            .desired_count,
        2,
        "the second watch applied nothing"
    );
    assert_eq!(first.stop(), Some(0));
    let log = first.log();
    assert!(
        log.contains("stopped watching; 2 tasks keep running"),
        "{log}"
    );
    assert_eq!(cluster.running("web").len(), 2, "they do keep running");
}

/// The watch log tells every change, including those other commands make while it runs.
#[test]
fn the_watch_log_shows_scale_and_rollback_made_elsewhere() {
    let cluster = TestCluster::new("wlog");
    let env = Env::new();
    env.write("m/web.yaml", &web(&cluster, 1, "v1", ""));
    assert_eq!(
        env.run(&["apply", "-f", "m", "--auto-approve", "--wait", "60s"])
            .code,
        0
    );
    env.write("m/web.yaml", &web(&cluster, 1, "v2", ""));
    assert_eq!(
        env.run(&["apply", "-f", "m", "--auto-approve", "--wait", "60s"])
            .code,
        0
    );
    let mut watch = env.spawn(&["watch", "--cluster", &cluster.name], &[]);
    wait_for("the watch runs", Duration::from_secs(10), || {
        watch.log().contains("watching")
    });
    let scale = env.run(&[
        "scale",
        "svc",
        "web",
        "2",
        "--cluster",
        &cluster.name,
        "--wait",
        "60s",
    ]);
    assert_eq!(scale.code, 0, "{}", scale.stderr);
    let rollback = env.run(&[
        "rollback",
        "svc/web",
        "--cluster",
        &cluster.name,
        "--wait",
        "60s",
    ]);
    assert_eq!(rollback.code, 0, "{}", rollback.stderr);
    wait_for("both in the watch log", Duration::from_secs(10), || {
        let log = watch.log();
        log.contains("desired count changed from 1 to 2 by `ecsctl scale`")
            && log.contains("by `ecsctl rollback`")
    });
    watch.stop();
    let log = watch.log();
    assert_eq!(
        log.matches("by `ecsctl scale`").count(),
        1,
        "each change once: {log}"
    );
}
