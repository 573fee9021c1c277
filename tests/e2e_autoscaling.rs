//! Service auto scaling on the local Docker daemon under `ecsctl watch`, for real: a
//! CPU-burning 2-task service scales out to its maxCapacity from Docker's stats and back in to
//! its minCapacity once the load stops; a wrk load through the managed HAProxy scales a
//! service by ALBRequestCountPerTarget. Every change is an event, `get scalabletargets`
//! shows the activities, and `plan` does not count the scaler's desired count as drift.

mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::docker::{HAPROXY_IMAGE, IMAGE, ensure_haproxy_image};
use serde_json::Value;

/// The service's desired count, from `get services -o json`.
fn desired(env: &common::Env, cluster: &str) -> Option<u64> {
    let run = env.run(&["get", "services", "--cluster", cluster, "-o", "json"]);
    let value: Value = serde_json::from_str(&run.stdout).ok()?;
    value.as_array()?.first()?["desiredCount"].as_u64()
}

fn wait_desired(env: &common::Env, cluster: &str, want: u64, timeout: Duration) -> Duration {
    let start = Instant::now();
    loop {
        if desired(env, cluster) == Some(want) {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < timeout,
            "desired count never reached {want} within {timeout:?} (now {:?})",
            desired(env, cluster)
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

fn scalable_target(cluster: &str, min: u32, max: u32) -> String {
    format!(
        "apiVersion: ecsctl/v1
kind: ScalableTarget
metadata: {{ name: web, cluster: {cluster} }}
spec: {{ service: web, minCapacity: {min}, maxCapacity: {max} }}
---
"
    )
}

/// Tasks that burn CPU while `/ctl/stop` is absent (a host directory). The task's 128 cpu
/// units are a hard limit (as ECS makes task-level cpu), so a busy task is at about 100 % of
/// its reservation: five times the 20 % target.
fn cpu_manifests(cluster: &common::docker::TestCluster, control: &str) -> String {
    let name = &cluster.name;
    format!(
        "{}{}apiVersion: ecsctl/v1
kind: TaskDefinition
metadata: {{ name: burn }}
spec:
  cpu: '128'
  memory: '64'
  volumes: [{{ name: ctl, host: {{ sourcePath: {control} }} }}]
  containerDefinitions:
    - name: app
      image: {IMAGE}
      command: [sh, -c, \"trap 'exit 0' TERM; while [ ! -f /ctl/stop ]; do :; done; while :; do sleep 1; done\"]
      mountPoints: [{{ sourceVolume: ctl, containerPath: /ctl }}]
      stopTimeout: 2
---
apiVersion: ecsctl/v1
kind: Service
metadata: {{ name: web, cluster: {name} }}
spec:
  taskDefinition: burn
  desiredCount: 2
---
apiVersion: ecsctl/v1
kind: ScalingPolicy
metadata: {{ name: cpu, cluster: {name} }}
spec:
  service: web
  policyType: TargetTrackingScaling
  targetTrackingScalingPolicyConfiguration:
    targetValue: 20
    predefinedMetricSpecification: {{ predefinedMetricType: ECSServiceAverageCPUUtilization }}
    period: 2
    scaleOutCooldown: 5
    scaleInCooldown: 5
",
        cluster.manifest(),
        scalable_target(name, 2, 4),
    )
}

#[test]
fn a_cpu_bound_service_scales_out_to_its_max_and_back_in_when_the_load_stops() {
    let cluster = common::docker::TestCluster::new("cpu");
    let env = common::Env::new();
    let control = env.path("ctl");
    std::fs::create_dir_all(&control).expect("control dir");
    let control = control.display().to_string();
    env.write("m/web.yaml", &cpu_manifests(&cluster, &control));
    let first = env.run(&["apply", "-f", "m", "--auto-approve", "--wait", "60s"]);
    assert_eq!(first.code, 0, "{}\n{}", first.stdout, first.stderr);
    // `apply --wait` reconciles until steady, and may already scale; `watch` goes on.
    let mut watch = env.spawn(&["watch", "--cluster", &cluster.name], &[]);
    let out = wait_desired(&env, &cluster.name, 4, Duration::from_secs(60));
    eprintln!("scaled out 2 → 4 in {out:?} after the watch started");
    common::docker::wait_for("4 running tasks", Duration::from_secs(30), || {
        cluster.running("web").len() == 4
    });

    // The scaler owns the count: the manifests' 2 is not drift.
    let plan = env.run(&["plan", "-f", "m", "--detailed-exitcode"]);
    assert_eq!(
        plan.code, 0,
        "no changes:\n{}\n{}",
        plan.stdout, plan.stderr
    );
    assert!(
        plan.stdout.contains(&format!(
            "service {}/web: desiredCount 4 is owned by scalable target `web`",
            cluster.name
        )),
        "{}",
        plan.stdout
    );

    // The newest task would be among the first to go; protect it from scale-in.
    let run = env.run(&["get", "tasks", "--cluster", &cluster.name, "-o", "json"]);
    let tasks: Value = serde_json::from_str(&run.stdout).expect("json");
    let mut running: Vec<(String, String)> = tasks
        .as_array()
        .into_iter()
        .flatten()
        .filter(|t| t["lastStatus"] == "RUNNING")
        .map(|t| {
            let field = |k: &str| t[k].as_str().unwrap_or_default().to_string();
            (field("createdAt"), field("id"))
        })
        .collect();
    running.sort();
    let (_, newest) = running.last().cloned().expect("a running task");
    let protect = env.run(&[
        "task",
        "protect",
        &format!("task/{newest}"),
        "--cluster",
        &cluster.name,
        "--expires-in",
        "10m",
    ]);
    assert_eq!(protect.code, 0, "{}\n{}", protect.stdout, protect.stderr);
    assert!(
        protect.stdout.contains("is protected from scale-in until"),
        "{}",
        protect.stdout
    );

    // The load stops: 15 low periods of 2 s, then back to minCapacity.
    std::fs::write(format!("{control}/stop"), "").expect("stop file");
    let stopped = Instant::now();
    wait_desired(&env, &cluster.name, 2, Duration::from_secs(90));
    let back = stopped.elapsed();
    eprintln!("scaled in 4 → 2 {back:?} after the load stopped");
    assert!(
        back >= Duration::from_secs(30),
        "scale-in waited for 15 low periods of 2 s: {back:?}"
    );
    common::docker::wait_for("2 running tasks", Duration::from_secs(30), || {
        cluster.running("web").len() == 2
    });
    let run = env.run(&["get", "tasks", "--cluster", &cluster.name, "-o", "json"]);
    assert!(
        run.stdout.contains(&newest),
        "the protected task {newest} was not chosen by scale-in:\n{}",
        run.stdout
    );
    let still: Value = serde_json::from_str(&run.stdout).expect("json");
    assert!(
        still
            .as_array()
            .into_iter()
            .flatten()
            .any(|t| t["id"] == newest.as_str() && t["lastStatus"] == "RUNNING"),
        "{still}"
    );

    let targets = env.run(&[
        "get",
        "scalabletargets",
        "--cluster",
        &cluster.name,
        "-o",
        "json",
    ]);
    let targets: Value = serde_json::from_str(&targets.stdout).expect("json");
    let activities = targets[0]["activities"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let moves: Vec<(u64, u64)> = activities
        .iter()
        .map(|a| {
            (
                a["from"].as_u64().unwrap_or(0),
                a["to"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    // Out to 4 (in one step, or more when the first window caught the tasks starting), then
    // back to 2 in one.
    let (outs, ins) = moves.split_at(moves.len().saturating_sub(1));
    assert_eq!(ins, [(4, 2)], "{targets}");
    assert_eq!(outs.first().map(|m| m.0), Some(2), "{targets}");
    assert_eq!(outs.last().map(|m| m.1), Some(4), "{targets}");
    assert!(outs.iter().all(|(from, to)| to > from), "{targets}");
    assert!(
        activities[0]["cause"].as_str().is_some_and(
            |c| c.contains("target tracking policy `cpu`: ECSServiceAverageCPUUtilization")
        ),
        "{targets}"
    );
    let events = env.run(&["events", "service/web", "--cluster", &cluster.name]);
    assert!(
        events
            .stdout
            .contains("Successfully set desired count to 4. Change successfully fulfilled by ecs.")
            && events.stdout.contains(
                "Successfully set desired count to 2. Change successfully fulfilled by ecs."
            ),
        "{}",
        events.stdout
    );
    assert_eq!(watch.stop(), Some(0), "{}", watch.log());
}

/// One task of an httpd behind a listener, scaled on requests per target.
fn request_manifests(cluster: &common::docker::TestCluster, port: u16) -> String {
    let name = &cluster.name;
    format!(
        "{}{}apiVersion: ecsctl/v1
kind: TargetGroup
metadata: {{ name: web, cluster: {name} }}
spec:
  protocol: HTTP
  healthCheckPath: /
  healthCheckIntervalSeconds: 5
  healthCheckTimeoutSeconds: 2
  healthyThresholdCount: 2
  deregistrationDelaySeconds: 2
---
apiVersion: ecsctl/v1
kind: LoadBalancer
metadata: {{ name: edge, cluster: {name} }}
spec:
  image: {HAPROXY_IMAGE}
  listeners:
    - port: {port}
      protocol: HTTP
      defaultActions: [{{ type: forward, targetGroupName: web }}]
---
apiVersion: ecsctl/v1
kind: TaskDefinition
metadata: {{ name: site }}
spec:
  containerDefinitions:
    - name: web
      image: {IMAGE}
      memory: 32
      command: [sh, -c, \"mkdir /w; echo ok > /w/index.html; trap 'exit 0' TERM; httpd -f -p 8080 -h /w & wait\"]
      portMappings: [{{ containerPort: 8080 }}]
      stopTimeout: 2
---
apiVersion: ecsctl/v1
kind: Service
metadata: {{ name: web, cluster: {name} }}
spec:
  taskDefinition: site
  desiredCount: 1
  loadBalancers: [{{ targetGroupName: web, containerName: web, containerPort: 8080 }}]
---
apiVersion: ecsctl/v1
kind: ScalingPolicy
metadata: {{ name: requests, cluster: {name} }}
spec:
  service: web
  policyType: TargetTrackingScaling
  targetTrackingScalingPolicyConfiguration:
    targetValue: 20
    predefinedMetricSpecification: {{ predefinedMetricType: ALBRequestCountPerTarget, resourceLabel: web }}
    period: 2
    scaleOutCooldown: 5
    scaleInCooldown: 5
",
        cluster.manifest(),
        scalable_target(name, 1, 3),
    )
}

/// wrk against the listener, in the background (killed by its pid when dropped).
struct Load(Child);

impl Load {
    fn start(port: u16, seconds: u32) -> Load {
        let child = Command::new("wrk")
            .args(["-t1", "-c2", &format!("-d{seconds}s")])
            .arg(format!("http://127.0.0.1:{port}/"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("wrk runs (tests/run.sh installs it)");
        Load(child)
    }
}

impl Drop for Load {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn request_count_per_target_follows_a_wrk_load_step() {
    ensure_haproxy_image();
    let cluster = common::docker::TestCluster::new("req");
    let _proxy = common::docker::ProxyCleanup(cluster.name.clone());
    let env = common::Env::new();
    let port = common::free_port();
    env.write("m/web.yaml", &request_manifests(&cluster, port));
    let first = env.run(&["apply", "-f", "m", "--auto-approve", "--wait", "60s"]);
    assert_eq!(first.code, 0, "{}\n{}", first.stdout, first.stderr);
    let mut watch = env.spawn(&["watch", "--cluster", &cluster.name], &[]);
    // Idle: one request every few seconds is far under 20 per target per 2 s.
    std::thread::sleep(Duration::from_secs(6));
    assert_eq!(desired(&env, &cluster.name), Some(1));

    let step = Instant::now();
    let load = Load::start(port, 40);
    let out = wait_desired(&env, &cluster.name, 3, Duration::from_secs(30));
    eprintln!("the wrk step scaled 1 → 3 in {out:?}");
    // The new tasks become healthy targets and take traffic while the load goes on.
    common::docker::wait_for("3 healthy targets", Duration::from_secs(40), || {
        let run = env.run(&[
            "get",
            "targetgroups",
            "--cluster",
            &cluster.name,
            "-o",
            "json",
        ]);
        let groups: Value = serde_json::from_str(&run.stdout).unwrap_or(Value::Null);
        groups[0]["healthy"] == 3
    });
    eprintln!("3 healthy targets {:?} after the step", step.elapsed());
    drop(load);
    wait_desired(&env, &cluster.name, 1, Duration::from_secs(90));
    let targets = env.run(&[
        "get",
        "scalabletargets",
        "--cluster",
        &cluster.name,
        "-o",
        "json",
    ]);
    assert!(
        targets.stdout.contains("ALBRequestCountPerTarget"),
        "{}",
        targets.stdout
    );
    assert_eq!(watch.stop(), Some(0), "{}", watch.log());
}
