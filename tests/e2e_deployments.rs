//! Shifted deployments on the local Docker daemon behind the managed HAProxy, for real: a
//! CANARY holds 10 % of production traffic on the new revision for its one-minute bake
//! (counted by the responses of each revision through the listener) and completes; a
//! BLUE_GREEN deployment with a PAUSE hook reaches the new revision only through the test
//! listener until `ecsctl deployment continue`, then moves production traffic in one step;
//! `ecsctl deployment rollback` during the bake returns production to the old revision, whose
//! tasks never stopped, and `apply --wait` and `deployment status` exit non-zero.

mod common;

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::docker::{HAPROXY_IMAGE, IMAGE, ensure_haproxy_image};
use serde_json::Value;

/// One HTTP/1.0 request through a listener: the body's version (`v1`), or `None` on failure.
fn version(port: u16) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    stream
        .write_all(b"GET / HTTP/1.0\r\nHost: web\r\n\r\n")
        .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let (head, body) = response.split_once("\r\n\r\n")?;
    let status = head.split_whitespace().nth(1)?;
    (status == "200").then(|| body.trim().split('-').next().unwrap_or("").to_string())
}

/// `n` requests: (responses per version, failures).
fn count(port: u16, n: usize) -> (std::collections::BTreeMap<String, usize>, usize) {
    let mut seen = std::collections::BTreeMap::new();
    let mut failed = 0;
    for _ in 0..n {
        match version(port) {
            Some(v) => *seen.entry(v).or_insert(0) += 1,
            None => failed += 1,
        }
    }
    (seen, failed)
}

/// The production (and, for blue/green, test) listener, the target groups and a 2-task
/// service of `version` deploying with `strategy` (YAML under `deploymentConfiguration`).
fn manifests(
    cluster: &common::docker::TestCluster,
    ports: (u16, Option<u16>),
    version: &str,
    strategy: &str,
) -> String {
    let group = |name: &str| {
        format!(
            "apiVersion: ecsctl/v1
kind: TargetGroup
metadata: {{ name: {name}, cluster: {cluster} }}
spec:
  protocol: HTTP
  healthCheckPath: /health
  healthCheckIntervalSeconds: 5
  healthCheckTimeoutSeconds: 2
  healthyThresholdCount: 2
  deregistrationDelaySeconds: 5
---
",
            cluster = cluster.name
        )
    };
    let (production, test) = ports;
    let mut text = cluster.manifest();
    text.push_str(&group("web"));
    let mut listeners = format!(
        "    - port: {production}
      protocol: HTTP
      defaultActions: [{{ type: forward, targetGroupName: web }}]
"
    );
    let mut advanced = String::new();
    if let Some(test) = test {
        text.push_str(&group("web-green"));
        listeners.push_str(&format!(
            "    - port: {test}
      protocol: HTTP
      defaultActions: [{{ type: forward, targetGroupName: web-green }}]
"
        ));
        advanced = ", advancedConfiguration: { alternateTargetGroupName: web-green }".into();
    }
    text.push_str(&format!(
        "apiVersion: ecsctl/v1
kind: LoadBalancer
metadata: {{ name: edge, cluster: {name} }}
spec:
  image: {HAPROXY_IMAGE}
  listeners:
{listeners}---
apiVersion: ecsctl/v1
kind: TaskDefinition
metadata: {{ name: shifted }}
spec:
  containerDefinitions:
    - name: web
      image: {IMAGE}
      command: [sh, -c, \"mkdir /w; echo {version}-$(hostname) > /w/index.html; echo ok > /w/health; trap 'exit 0' TERM; httpd -f -p 8080 -h /w & wait\"]
      portMappings: [{{ containerPort: 8080 }}]
      stopTimeout: 3
---
apiVersion: ecsctl/v1
kind: Service
metadata: {{ name: web, cluster: {name} }}
spec:
  taskDefinition: shifted
  desiredCount: 2
  loadBalancers: [{{ targetGroupName: web, containerName: web, containerPort: 8080{advanced} }}]
  deploymentConfiguration:
{strategy}",
        name = cluster.name
    ));
    text
}

/// `deployment status -o json` (and its exit code).
fn status(env: &common::Env, cluster: &str) -> (i32, Value) {
    let run = env.run(&[
        "deployment",
        "status",
        "service/web",
        "--cluster",
        cluster,
        "-o",
        "json",
    ]);
    let value = serde_json::from_str(&run.stdout).unwrap_or(Value::Null);
    (run.code, value)
}

fn wait_status(
    env: &common::Env,
    cluster: &str,
    what: &str,
    timeout: Duration,
    check: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + timeout;
    loop {
        let (_, value) = status(env, cluster);
        if check(&value) {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}: {value}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// `ecsctl deployment continue|rollback service/web`.
fn control(env: &common::Env, cluster: &str, verb: &str) -> common::Run {
    env.run(&["deployment", verb, "service/web", "--cluster", cluster])
}

/// An `apply --wait` in the background: its exit code and output when it ends.
fn apply_in_background(env: &common::Env) -> std::thread::JoinHandle<common::Run> {
    let mut command = env.command(&["apply", "-f", "m", "--auto-approve", "--wait", "300s"]);
    std::thread::spawn(move || {
        let out = command.output().expect("apply runs");
        common::Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    })
}

fn wait_for_listener(port: u16, want: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (seen, _) = count(port, 10);
        if seen.get(want) == Some(&10) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the listener on {port} never served only {want}: {seen:?}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

const CANARY: &str = "    strategy: CANARY
    canaryConfiguration: { canaryPercent: 10, canaryBakeTimeInMinutes: 1 }
";

#[test]
fn a_canary_holds_ten_percent_for_its_bake_then_completes() {
    ensure_haproxy_image();
    let cluster = common::docker::TestCluster::new("can");
    let _proxy = common::docker::ProxyCleanup(cluster.name.clone());
    let env = common::Env::new();
    let port = common::free_port();
    env.write(
        "m/web.yaml",
        &manifests(&cluster, (port, None), "v1", CANARY),
    );
    let first = env.run(&["apply", "-f", "m", "--auto-approve", "--wait", "120s"]);
    assert_eq!(first.code, 0, "{}\n{}", first.stdout, first.stderr);
    wait_for_listener(port, "v1");

    env.write(
        "m/web.yaml",
        &manifests(&cluster, (port, None), "v2", CANARY),
    );
    let plan = env.run(&["plan", "-f", "m"]);
    assert!(
        plan.stdout
            .contains("CANARY deployment shifted:1 → shifted:2")
            && plan
                .stdout
                .contains("production traffic 10% for 1m, then 100%; bake 0m"),
        "plan shows the strategy and its steps:\n{}",
        plan.stdout
    );
    let started = Instant::now();
    let apply = apply_in_background(&env);
    let canary = wait_status(
        &env,
        &cluster.name,
        "the canary step",
        Duration::from_secs(90),
        |s| s["stage"] == "PRODUCTION_TRAFFIC_SHIFT" && s["productionTrafficPercent"] == "10",
    );
    assert_eq!(canary["rolloutState"], "IN_PROGRESS", "{canary}");
    // HAProxy has the new weights within a pass; then count what each revision answers.
    std::thread::sleep(Duration::from_secs(2));
    let (seen, failed) = count(port, 400);
    let new = seen.get("v2").copied().unwrap_or(0);
    eprintln!("during the canary: {seen:?}, {failed} failed");
    assert_eq!(failed, 0, "{seen:?}");
    assert!(
        (20..=80).contains(&new),
        "about 10% of 400 requests reach v2: {seen:?}"
    );
    assert!(seen.get("v1").copied().unwrap_or(0) >= 320, "{seen:?}");

    let done = apply.join().expect("apply thread");
    assert_eq!(done.code, 0, "{}\n{}", done.stdout, done.stderr);
    assert!(
        started.elapsed() >= Duration::from_secs(60),
        "the bake lasted its minute"
    );
    let (seen, failed) = count(port, 40);
    assert_eq!((seen.get("v2"), failed), (Some(&40), 0), "{seen:?}");
    let (code, finished) = status(&env, &cluster.name);
    assert_eq!(code, 0, "{finished}");
    assert_eq!(finished["rolloutState"], "COMPLETED", "{finished}");
    assert_eq!(cluster.running("web").len(), 2, "the old tasks are gone");
    let events = env.run(&["events", "service/web", "--cluster", &cluster.name]);
    assert!(
        events
            .stdout
            .contains("shifted 10% of production traffic to the new revision")
            && events.stdout.contains("shifted 100% of production traffic"),
        "{}",
        events.stdout
    );
}

const BLUE_GREEN: &str = "    strategy: BLUE_GREEN
    bakeTimeInMinutes: 0
    lifecycleHooks:
      - { targetType: PAUSE, lifecycleStages: [POST_TEST_TRAFFIC_SHIFT] }
";

#[test]
fn blue_green_waits_at_its_pause_hook_switches_at_once_and_rolls_back_on_request() {
    ensure_haproxy_image();
    let cluster = common::docker::TestCluster::new("bg");
    let _proxy = common::docker::ProxyCleanup(cluster.name.clone());
    let env = common::Env::new();
    let (production, test) = (common::free_port(), common::free_port());
    let ports = (production, Some(test));
    env.write("m/web.yaml", &manifests(&cluster, ports, "v1", BLUE_GREEN));
    let first = env.run(&["apply", "-f", "m", "--auto-approve", "--wait", "120s"]);
    assert_eq!(first.code, 0, "{}\n{}", first.stdout, first.stderr);
    wait_for_listener(production, "v1");

    // v2 runs beside v1, reached by the test listener only, until `continue`.
    env.write("m/web.yaml", &manifests(&cluster, ports, "v2", BLUE_GREEN));
    let apply = apply_in_background(&env);
    let paused = wait_status(
        &env,
        &cluster.name,
        "the pause",
        Duration::from_secs(90),
        |s| s["paused"] == true,
    );
    assert_eq!(paused["stage"], "POST_TEST_TRAFFIC_SHIFT", "{paused}");
    wait_for_listener(test, "v2");
    let (seen, failed) = count(production, 40);
    assert_eq!(
        (seen.get("v1"), failed),
        (Some(&40), 0),
        "production stays on v1: {seen:?}"
    );
    assert_eq!(
        cluster.running("web").len(),
        4,
        "both revisions at full size"
    );
    let resumed = control(&env, &cluster.name, "continue");
    assert_eq!(resumed.code, 0, "{}", resumed.stderr);
    let done = apply.join().expect("apply thread");
    assert_eq!(done.code, 0, "{}\n{}", done.stdout, done.stderr);
    let (seen, failed) = count(production, 40);
    assert_eq!((seen.get("v2"), failed), (Some(&40), 0), "{seen:?}");

    // v3 pauses the same way and, continued, takes production traffic for a one-minute
    // bake; a rollback within the bake returns production to v2 at once.
    let mut v2_tasks = cluster.running("web");
    v2_tasks.sort();
    let baked = BLUE_GREEN.replace("bakeTimeInMinutes: 0", "bakeTimeInMinutes: 1");
    env.write("m/web.yaml", &manifests(&cluster, ports, "v3", &baked));
    let apply = apply_in_background(&env);
    wait_status(
        &env,
        &cluster.name,
        "the second pause",
        Duration::from_secs(90),
        |s| s["paused"] == true && s["taskDefinition"] == "shifted:3",
    );
    let resumed = control(&env, &cluster.name, "continue");
    assert_eq!(resumed.code, 0, "{}", resumed.stderr);
    wait_status(
        &env,
        &cluster.name,
        "the bake",
        Duration::from_secs(30),
        |s| s["stage"] == "BAKE_TIME",
    );
    wait_for_listener(production, "v3");
    let rolled_at = Instant::now();
    let rolled = control(&env, &cluster.name, "rollback");
    assert_eq!(rolled.code, 0, "{}", rolled.stderr);
    wait_for_listener(production, "v2");
    eprintln!(
        "production back on v2 {:?} after the rollback, within the bake",
        rolled_at.elapsed()
    );
    let done = apply.join().expect("apply thread");
    assert_ne!(
        done.code, 0,
        "apply --wait fails when the deployment rolls back:\n{}",
        done.stderr
    );
    let (code, after) = status(&env, &cluster.name);
    assert_eq!(
        code, 1,
        "deployment status exits non-zero after a rollback: {after}"
    );
    assert_eq!(after["taskDefinition"], "shifted:2", "{after}");
    assert!(
        after["rolledBackFrom"]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("ecsctl deployment rollback")),
        "{after}"
    );
    // `apply` stops waiting at the verdict; the next pass (here `reconcile`, else `watch`)
    // finishes draining the v3 tasks.
    let reconcile = env.run(&["reconcile", "--cluster", &cluster.name, "--wait", "60s"]);
    assert_eq!(reconcile.code, 0, "{}", reconcile.stderr);
    common::docker::wait_for("the v3 tasks to stop", Duration::from_secs(60), || {
        cluster.running("web").len() == 2
    });
    let mut left = cluster.running("web");
    left.sort();
    assert_eq!(left, v2_tasks, "the v2 tasks never stopped");
    let (seen, failed) = count(production, 40);
    assert_eq!((seen.get("v2"), failed), (Some(&40), 0), "{seen:?}");
}

/// One request to `path`: (status, the body's version), or `None` when the connection failed.
fn fetch(port: u16, path: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    stream
        .write_all(format!("GET {path} HTTP/1.0\r\nHost: web\r\n\r\n").as_bytes())
        .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let (head, body) = response
        .split_once("\r\n\r\n")
        .or_else(|| response.split_once("\n\n"))?;
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    Some((
        status,
        body.trim().split('-').next().unwrap_or("").to_string(),
    ))
}

/// A canary whose app (a CGI script) answers `status`, and a 5xx alarm on its target group
/// that the deployment watches.
fn alarmed(
    cluster: &common::docker::TestCluster,
    port: u16,
    version: &str,
    status: &str,
) -> String {
    let script = format!(
        "mkdir -p /w/cgi-bin; printf '#!/bin/sh\\\\necho \\\"HTTP/1.0 {status}\\\"\\\\necho \\\"Content-Type: text/plain\\\"\\\\necho\\\\necho {version}-x\\\\n' > /w/cgi-bin/app; chmod +x /w/cgi-bin/app; echo ok > /w/health; trap 'exit 0' TERM; httpd -f -p 8080 -h /w & wait"
    );
    let strategy = format!(
        "{CANARY}    alarms: {{ alarmNames: [web-5xx], enable: true, rollback: true }}
"
    );
    let text = manifests(cluster, (port, None), version, &strategy);
    let command_line = text
        .lines()
        .find(|l| l.trim_start().starts_with("command:"))
        .expect("a command")
        .to_string();
    let text = text.replace(
        &command_line,
        &format!("      command: [sh, -c, \"{script}\"]"),
    );
    format!(
        "{text}---
apiVersion: ecsctl/v1
kind: Alarm
metadata: {{ name: web-5xx, cluster: {name} }}
spec:
  metricName: HTTPCode_Target_5XX_Count
  namespace: AWS/ApplicationELB
  dimensions: [{{ name: TargetGroup, value: web }}]
  statistic: Sum
  period: 10
  evaluationPeriods: 1
  threshold: 0
  comparisonOperator: GreaterThanThreshold
  treatMissingData: notBreaching
",
        name = cluster.name
    )
}

#[test]
fn a_canary_that_answers_500_trips_its_alarm_and_rolls_back() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};

    ensure_haproxy_image();
    let cluster = common::docker::TestCluster::new("alm");
    let _proxy = common::docker::ProxyCleanup(cluster.name.clone());
    let env = common::Env::new();
    let port = common::free_port();
    env.write("m/web.yaml", &alarmed(&cluster, port, "v1", "200 OK"));
    let first = env.run(&["apply", "-f", "m", "--auto-approve", "--wait", "120s"]);
    assert_eq!(first.code, 0, "{}\n{}", first.stdout, first.stderr);
    let deadline = Instant::now() + Duration::from_secs(30);
    while fetch(port, "/cgi-bin/app") != Some((200, "v1".into())) {
        assert!(Instant::now() < deadline, "v1 answers through the listener");
        std::thread::sleep(Duration::from_millis(500));
    }
    let v1_tasks = {
        let mut t = cluster.running("web");
        t.sort();
        t
    };

    // Traffic all through the canary: what each revision answered, and failed connections.
    let stop = Arc::new(AtomicBool::new(false));
    let seen: Arc<Mutex<std::collections::BTreeMap<(u16, String), usize>>> = Arc::default();
    let failed = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let load = {
        let (stop, seen, failed) = (stop.clone(), seen.clone(), failed.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                match fetch(port, "/cgi-bin/app") {
                    Some(answer) => *seen.lock().expect("lock").entry(answer).or_insert(0) += 1,
                    None => {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        })
    };
    env.write(
        "m/web.yaml",
        &alarmed(&cluster, port, "v2", "500 Internal Server Error"),
    );
    let started = Instant::now();
    let apply = env.run(&["apply", "-f", "m", "--auto-approve", "--wait", "300s"]);
    let took = started.elapsed();
    std::thread::sleep(Duration::from_secs(2));
    stop.store(true, Ordering::Relaxed);
    load.join().expect("load thread");
    assert_ne!(
        apply.code, 0,
        "apply --wait fails when the alarm rolls the canary back:\n{}",
        apply.stderr
    );
    assert!(
        took < Duration::from_secs(60),
        "the alarm acted within the canary's bake: {took:?}"
    );
    let seen = seen.lock().expect("lock").clone();
    let failed = failed.load(Ordering::Relaxed);
    eprintln!(
        "during the canary: {seen:?}, {failed} connections failed, rolled back after {took:?}"
    );
    assert_eq!(failed, 0, "{seen:?}");
    let bad = seen.get(&(500, "v2".to_string())).copied().unwrap_or(0);
    let good = seen.get(&(200, "v1".to_string())).copied().unwrap_or(0);
    assert!(bad > 0, "the canary took some traffic: {seen:?}");
    assert!(
        bad * 4 < good,
        "the 500s stayed within the canary's share: {seen:?}"
    );
    assert_eq!(seen.len(), 2, "only v1's 200s and v2's 500s: {seen:?}");

    let (code, after) = status(&env, &cluster.name);
    assert_eq!(code, 1, "{after}");
    assert_eq!(after["taskDefinition"], "shifted:1", "{after}");
    let reason = after["rolledBackFrom"]["reason"]
        .as_str()
        .unwrap_or_default();
    assert!(
        reason.starts_with("alarm `web-5xx` is in ALARM: Threshold Crossed"),
        "{after}"
    );
    let listed = env.run(&["get", "alarms", "--cluster", &cluster.name, "-o", "json"]);
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    let listed: Value = serde_json::from_str(&listed.stdout).expect("json");
    assert_eq!(listed[0]["name"], "web-5xx", "{listed}");
    assert_eq!(listed[0]["watches"], "targetgroup/web", "{listed}");
    assert_eq!(listed[0]["condition"], "> 0 for 1 of 1 × 10s", "{listed}");
    assert!(
        listed[0]["state"] == "ALARM" || listed[0]["state"] == "OK",
        "evaluated by the passes: {listed}"
    );
    let reconcile = env.run(&["reconcile", "--cluster", &cluster.name, "--wait", "60s"]);
    assert_eq!(reconcile.code, 0, "{}", reconcile.stderr);
    common::docker::wait_for("the v2 tasks to stop", Duration::from_secs(60), || {
        cluster.running("web").len() == 2
    });
    let mut left = cluster.running("web");
    left.sort();
    assert_eq!(left, v1_tasks, "the v1 tasks never stopped");
}

/// A smoke test as a task: through the test listener (host network), the new revision must
/// answer `want`.
fn smoke_task(test_port: u16, family: &str, want: &str) -> String {
    format!(
        "---
apiVersion: ecsctl/v1
kind: TaskDefinition
metadata: {{ name: {family} }}
spec:
  networkMode: host
  containerDefinitions:
    - name: check
      image: {IMAGE}
      memory: 16
      command: [sh, -c, \"wget -q -O- http://127.0.0.1:{test_port}/ | grep -q '^{want}-'\"]
"
    )
}

#[test]
fn a_lifecycle_hook_task_decides_by_its_exit_code() {
    ensure_haproxy_image();
    let cluster = common::docker::TestCluster::new("hook");
    let _proxy = common::docker::ProxyCleanup(cluster.name.clone());
    let env = common::Env::new();
    let (production, test) = (common::free_port(), common::free_port());
    let ports = (production, Some(test));
    let hooked = "    strategy: BLUE_GREEN
    bakeTimeInMinutes: 0
    lifecycleHooks:
      - { hookTargetArn: task-definition/smoke, lifecycleStages: [POST_TEST_TRAFFIC_SHIFT] }
";
    let write = |version: &str, want: &str| {
        let mut text = manifests(&cluster, ports, version, hooked);
        text.push_str(&smoke_task(test, "smoke", want));
        env.write("m/web.yaml", &text);
    };
    write("v1", "v1");
    let first = env.run(&["apply", "-f", "m", "--auto-approve", "--wait", "120s"]);
    assert_eq!(first.code, 0, "{}\n{}", first.stdout, first.stderr);
    wait_for_listener(production, "v1");

    // v2: the smoke task finds v2 behind the test listener and exits 0: the deployment goes on.
    write("v2", "v2");
    let done = env.run(&["apply", "-f", "m", "--auto-approve", "--wait", "180s"]);
    assert_eq!(done.code, 0, "{}\n{}", done.stdout, done.stderr);
    let (seen, failed) = count(production, 20);
    assert_eq!((seen.get("v2"), failed), (Some(&20), 0), "{seen:?}");
    let events = env.run(&["events", "service/web", "--cluster", &cluster.name]);
    assert!(
        events.stdout.contains("started lifecycle hook task")
            && events
                .stdout
                .contains("at POST_TEST_TRAFFIC_SHIFT succeeded."),
        "{}",
        events.stdout
    );

    // v3 with a smoke test that looks for the wrong answer: it exits 1, v2 takes it all back.
    write("v3", "nope");
    let done = env.run(&["apply", "-f", "m", "--auto-approve", "--wait", "180s"]);
    assert_ne!(
        done.code, 0,
        "the failed hook fails apply --wait:\n{}",
        done.stderr
    );
    let (code, after) = status(&env, &cluster.name);
    assert_eq!(code, 1, "{after}");
    assert_eq!(after["taskDefinition"], "shifted:2", "{after}");
    assert!(
        after["rolledBackFrom"]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("at POST_TEST_TRAFFIC_SHIFT exited with 1")),
        "{after}"
    );
    let (seen, failed) = count(production, 20);
    assert_eq!((seen.get("v2"), failed), (Some(&20), 0), "{seen:?}");
}
