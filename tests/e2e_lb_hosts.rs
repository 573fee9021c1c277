//! Load balancers across hosts, on the rig (three real Docker hosts in network namespaces,
//! reached over real SSH, routed to each other within the rig's subnet only): listeners on
//! two hosts, a 6-task service spread over three; either listener reaches every task, a
//! path rule routes to another target group, a task whose health check fails leaves the
//! rotation and is replaced, and a proxy that is removed comes back with every target.

mod common;

use std::collections::BTreeSet;
use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::Env;
use common::docker::{HAPROXY_IMAGE, IMAGE, ensure_haproxy_image, wait_for};
use common::rig::RigCluster;

const PORT: u16 = 18480;

/// The proxy image on the main daemon (built from Debian's package) and on every rig host.
fn ensure_haproxy_image_on_the_rig(cluster: &RigCluster) {
    ensure_haproxy_image();
    for i in 1..=3 {
        if cluster
            .rig
            .docker(i, &["image", "inspect", HAPROXY_IMAGE])
            .0
        {
            continue;
        }
        let socket = cluster.rig.socket(i);
        let status = std::process::Command::new("bash")
            .args([
                "-c",
                &format!("docker save {HAPROXY_IMAGE} | docker -H unix://{socket} load -q"),
            ])
            .status()
            .expect("bash");
        assert!(status.success(), "loading {HAPROXY_IMAGE} into host {i}");
    }
}

fn manifests(cluster: &RigCluster) -> String {
    format!(
        "{hosts}apiVersion: ecsctl/v1
kind: TargetGroup
metadata: {{ name: web, cluster: {name} }}
spec:
  protocol: HTTP
  healthCheckPath: /health
  healthCheckIntervalSeconds: 5
  healthCheckTimeoutSeconds: 2
  healthyThresholdCount: 2
  unhealthyThresholdCount: 2
  deregistrationDelaySeconds: 5
---
apiVersion: ecsctl/v1
kind: TargetGroup
metadata: {{ name: api, cluster: {name} }}
spec:
  protocol: HTTP
  healthCheckPath: /api/index.html
  healthCheckIntervalSeconds: 5
  healthCheckTimeoutSeconds: 2
  deregistrationDelaySeconds: 5
---
apiVersion: ecsctl/v1
kind: LoadBalancer
metadata: {{ name: edge, cluster: {name} }}
spec:
  hosts: [h1, h2]
  image: {HAPROXY_IMAGE}
  listeners:
    - port: {PORT}
      protocol: HTTP
      defaultActions: [{{ type: forward, targetGroupName: web }}]
      rules:
        - priority: 10
          conditions: [{{ field: path-pattern, values: [\"/api/*\"] }}]
          actions: [{{ type: forward, targetGroupName: api }}]
---
apiVersion: ecsctl/v1
kind: TaskDefinition
metadata: {{ name: web }}
spec:
  containerDefinitions:
    - name: web
      image: {IMAGE}
      command: [sh, -c, \"mkdir /w; echo web-$(hostname) > /w/index.html; echo ok > /w/health; trap 'exit 0' TERM; httpd -f -p 8080 -h /w & wait\"]
      portMappings: [{{ containerPort: 8080 }}]
      stopTimeout: 2
---
apiVersion: ecsctl/v1
kind: TaskDefinition
metadata: {{ name: api }}
spec:
  containerDefinitions:
    - name: api
      image: {IMAGE}
      command: [sh, -c, \"mkdir -p /w/api; echo api > /w/api/index.html; trap 'exit 0' TERM; httpd -f -p 9090 -h /w & wait\"]
      portMappings: [{{ containerPort: 9090 }}]
      stopTimeout: 2
---
apiVersion: ecsctl/v1
kind: Service
metadata: {{ name: web, cluster: {name} }}
spec:
  taskDefinition: web
  desiredCount: 6
  healthCheckGracePeriodSeconds: 0
  placementStrategy: [{{ type: spread, field: \"attribute:zone\" }}]
  loadBalancers: [{{ targetGroupName: web, containerName: web, containerPort: 8080 }}]
---
apiVersion: ecsctl/v1
kind: Service
metadata: {{ name: api, cluster: {name} }}
spec:
  taskDefinition: api
  desiredCount: 1
  loadBalancers: [{{ targetGroupName: api, containerName: api, containerPort: 9090 }}]
",
        hosts = cluster.rig.cluster(&cluster.name, ""),
        name = cluster.name
    )
}

/// One HTTP/1.0 GET through a listener: the body, trimmed, of a 200.
fn get(address: &str, path: &str) -> Option<String> {
    let mut stream = TcpStream::connect((address, PORT)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    stream
        .write_all(format!("GET {path} HTTP/1.0\r\nHost: edge\r\n\r\n").as_bytes())
        .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let (head, body) = response.split_once("\r\n\r\n")?;
    (head.split_whitespace().nth(1)? == "200").then(|| body.trim().to_string())
}

/// The distinct bodies of `n` requests (a failed one counts as `(failed)`).
fn bodies(address: &str, path: &str, n: usize) -> BTreeSet<String> {
    (0..n)
        .map(|_| get(address, path).unwrap_or_else(|| "(failed)".into()))
        .collect()
}

/// Brings a rig host's link back up when dropped (also when the test fails).
struct LinkBack(&'static common::rig::Rig, u32);

impl Drop for LinkBack {
    fn drop(&mut self) {
        self.0.fault("link-up", self.1);
    }
}

fn ecsctl(env: &Env, cluster: &RigCluster, args: &[&str]) -> common::Run {
    env.run_with(args, &[("ECSCTL_SSH", cluster.rig.ssh())])
}

/// The web tasks' container names (= their hostnames' bodies) on host `i`.
fn web_bodies_on(cluster: &RigCluster, i: u32) -> Vec<(String, String)> {
    let filter = format!("label=ecsctl.cluster={}", cluster.name);
    let (ok, out) = cluster.rig.docker(
        i,
        &[
            "ps",
            "-q",
            "--filter",
            &filter,
            "--filter",
            "label=ecsctl.service=web",
        ],
    );
    assert!(ok, "{out}");
    out.lines()
        .map(|id| (id.to_string(), format!("web-{}", &id[..12])))
        .collect()
}

#[test]
fn listeners_on_two_hosts_reach_every_task_on_three() {
    let cluster = RigCluster::new("lb");
    ensure_haproxy_image_on_the_rig(&cluster);
    let env = Env::new();
    env.write("m/all.yaml", &manifests(&cluster));
    let apply = ecsctl(
        &env,
        &cluster,
        &["apply", "-f", "m", "--auto-approve", "--wait", "150s"],
    );
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    assert_eq!(
        cluster.spread().map(|n| n >= 2),
        [true; 3],
        "6 tasks over 3 hosts (+ api, proxies)"
    );
    let mut every: BTreeSet<String> = BTreeSet::new();
    for i in 1..=3 {
        every.extend(web_bodies_on(&cluster, i).into_iter().map(|(_, b)| b));
    }
    assert_eq!(every.len(), 6, "{every:?}");

    // Either listener reaches every task, on every host; the path rule routes to `api`.
    let (h1, h2, h3) = ("10.250.1.2", "10.250.2.2", "10.250.3.2");
    for address in [h1, h2] {
        let seen = bodies(address, "/", 36);
        assert_eq!(seen, every, "through {address}:{PORT}");
        assert_eq!(
            bodies(address, "/api/index.html", 4),
            BTreeSet::from(["api".to_string()])
        );
    }
    assert!(get(h3, "/").is_none(), "h3 carries no listener");

    let mut watch = env.spawn(
        &[
            "watch",
            "--cluster",
            &cluster.name,
            "--resync",
            "2s",
            "--host-grace",
            "5s",
        ],
        &[("ECSCTL_SSH", cluster.rig.ssh())],
    );

    // A task whose health check fails leaves the rotation, and is replaced.
    let (victim, victim_body) = web_bodies_on(&cluster, 3).remove(0);
    let (ok, out) = cluster.rig.docker(3, &["exec", &victim, "rm", "/w/health"]);
    assert!(ok, "{out}");
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        let seen = bodies(h1, "/", 30);
        if !seen.contains(&victim_body) && !seen.contains("(failed)") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the unhealthy task still gets traffic: {seen:?}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let events = ecsctl(
            &env,
            &cluster,
            &["events", "service/web", "--cluster", &cluster.name],
        );
        let running: Vec<String> = (1..=3)
            .flat_map(|i| web_bodies_on(&cluster, i).into_iter().map(|(_, b)| b))
            .collect();
        if events
            .stdout
            .contains("failed ELB health checks in (target-group web).")
            && running.len() == 6
            && !running.contains(&victim_body)
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the unhealthy task is not replaced: running {running:?}\n{}\nwatch:\n{}",
            events.stdout,
            watch.log()
        );
        std::thread::sleep(Duration::from_secs(1));
    }

    // A removed proxy comes back, with every healthy target.
    let proxy = format!("ecsctl-haproxy-{}-h1", cluster.name);
    let (ok, out) = cluster.rig.docker(1, &["rm", "-f", &proxy]);
    assert!(ok, "{out}");
    let mut now_every: BTreeSet<String> = BTreeSet::new();
    for i in 1..=3 {
        now_every.extend(web_bodies_on(&cluster, i).into_iter().map(|(_, b)| b));
    }
    wait_for(
        "the listener on h1 back with 6 targets",
        Duration::from_secs(60),
        || bodies(h1, "/", 36) == now_every,
    );

    // A host that is lost: its tasks are replaced on the others and the listener on h1
    // carries the replacements; once it returns, its own listener has every current target.
    let lost: BTreeSet<String> = web_bodies_on(&cluster, 2)
        .into_iter()
        .map(|(_, b)| b)
        .collect();
    let link = LinkBack(cluster.rig, 2);
    cluster.rig.fault("link-down", 2);
    wait_for(
        "h2's tasks replaced behind h1's listener",
        Duration::from_secs(90),
        || {
            let seen = bodies(h1, "/", 36);
            seen.len() == 6 && seen.is_disjoint(&lost) && !seen.contains("(failed)")
        },
    );
    drop(link);
    wait_for(
        "h2's listener with every current target",
        Duration::from_secs(90),
        || {
            let mut current: BTreeSet<String> = BTreeSet::new();
            for i in 1..=3 {
                current.extend(web_bodies_on(&cluster, i).into_iter().map(|(_, b)| b));
            }
            current.len() == 6 && bodies(h2, "/", 36) == current
        },
    );
    assert_eq!(watch.stop(), Some(0), "{}", watch.log());
    // The unhealthy task took no traffic: it was deregistered (no drain to wait for), then
    // stopped.
    let log = watch.log();
    let at = |what: &str| log.find(what);
    let victim_task = log
        .lines()
        .find(|l| l.contains("failed ELB health checks in (target-group web)."))
        .and_then(|l| l.split("(task ").nth(1))
        .and_then(|rest| rest.split(')').next())
        .map(str::to_string);
    let victim_task = victim_task.unwrap_or_else(|| panic!("no ELB health event:\n{log}"));
    assert!(
        matches!(
            (at("deregistered 1 targets in (target-group web)"),
             at(&format!("has stopped 1 running task: (task {victim_task})"))),
            (Some(a), Some(b)) if a < b
        ),
        "the unhealthy task was deregistered before it was stopped:\n{log}"
    );
}
