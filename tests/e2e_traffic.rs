//! The managed HAProxy on the local Docker daemon, for real: two busybox httpd targets
//! registered through the Runtime API (weight 0 → health UP → weight), traffic through the
//! listener reaches both, a failing health endpoint takes one out, draining and deleting a
//! server, and a proxy re-created from the full config brings every target back.

mod common;

use std::collections::BTreeSet;
use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::docker::{HAPROXY_IMAGE, IMAGE, docker, docker_ok, ensure_haproxy_image, ensure_image};
use ecsctl::docker::host::DockerHost;
use ecsctl::model::effective::traffic::{CodeRange, EffectiveTargetGroup, HealthCheckKind};
use ecsctl::model::traffic::TrafficProtocol;
use ecsctl::proxy::client::RuntimeClient;
use ecsctl::proxy::container::{self as proxy, ProxySpec};
use ecsctl::traffic::config::{AdminState, Backend, Frontend, ProxyConfig, Server, render};

/// Removes every container and the directory the test made, even when it fails.
struct Cleanup {
    containers: Vec<String>,
    dir: String,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        for c in &self.containers {
            let _ = docker(&["rm", "-f", c]);
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn start_web(name: &str, port: u16, body: &str) {
    docker_ok(&[
        "run",
        "-d",
        "--name",
        name,
        "--network",
        "host",
        IMAGE,
        "sh",
        "-c",
        &format!(
            "mkdir -p /w && echo {body} > /w/index.html && echo ok > /w/health && exec httpd -f -p 127.0.0.1:{port} -h /w"
        ),
    ]);
}

/// One HTTP/1.0 request through the listener: the body, trimmed.
fn get(port: u16) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    stream
        .write_all(b"GET / HTTP/1.0\r\nHost: web\r\n\r\n")
        .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let (head, body) = response.split_once("\r\n\r\n")?;
    let status = head.split_whitespace().nth(1)?;
    (status == "200").then(|| body.trim().to_string())
}

fn bodies(port: u16, n: usize) -> Vec<String> {
    let mut seen: Vec<String> = (0..n)
        .map(|_| get(port).unwrap_or_else(|| "(failed)".into()))
        .collect();
    seen.sort();
    seen.dedup();
    seen
}

async fn eventually<F, Fut>(what: &str, timeout: Duration, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    while !f().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn settings() -> EffectiveTargetGroup {
    EffectiveTargetGroup {
        protocol: TrafficProtocol::Http,
        check: HealthCheckKind::Http {
            path: "/health".into(),
            codes: vec![CodeRange { from: 200, to: 399 }],
        },
        check_port: None,
        interval: Duration::from_millis(500),
        timeout: Duration::from_millis(400),
        healthy_threshold: 2,
        unhealthy_threshold: 2,
        deregistration_delay: Duration::from_secs(1),
        slow_start: Duration::ZERO,
    }
}

fn config(listener: u16, servers: Vec<Server>) -> String {
    render(&ProxyConfig {
        bind_address: "127.0.0.1".into(),
        frontends: vec![Frontend {
            load_balancer: "edge".into(),
            port: listener,
            protocol: TrafficProtocol::Http,
            rules: vec![],
            default_target_group: "web".into(),
        }],
        backends: vec![Backend {
            target_group: "web".into(),
            settings: settings(),
            servers,
        }],
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_managed_proxy_registers_drains_and_survives_a_recreate() {
    ensure_image();
    ensure_haproxy_image();
    let id = std::process::id();
    let cluster = format!("tr{id}");
    let web1 = format!("ecsctl-test-tr{id}-web1");
    let web2 = format!("ecsctl-test-tr{id}-web2");
    let mut spec = ProxySpec::new(
        &cluster,
        "local",
        "lineage-traffic-test",
        Some(HAPROXY_IMAGE),
    );
    spec.host_dir = format!("/tmp/ecsctl-tr{id}");
    let _cleanup = Cleanup {
        containers: vec![web1.clone(), web2.clone(), spec.container_name()],
        dir: spec.host_dir.clone(),
    };
    let (listener, p1, p2) = (
        common::free_port(),
        common::free_port(),
        common::free_port(),
    );
    start_web(&web1, p1, "one");
    start_web(&web2, p2, "two");
    let server = |name: &str, port: u16| Server {
        name: name.into(),
        address: "127.0.0.1".into(),
        port,
        weight: 100,
        state: AdminState::Ready,
    };
    let (s1, s2) = (server("t1", p1), server("t2", p2));

    let host = DockerHost::local("local").await.expect("local docker");
    let container = proxy::ensure(&host, &spec, &config(listener, vec![]))
        .await
        .expect("proxy started");
    let client = RuntimeClient::new(spec.admin_socket());
    eventually("the admin socket", Duration::from_secs(20), || async {
        client.stats().await.is_ok()
    })
    .await;

    // Registration: weight 0 until the check passes, then the weight.
    for s in [&s1, &s2] {
        let healthy = client
            .register("web", &settings(), s, Duration::from_secs(15))
            .await
            .expect("registered");
        assert!(healthy, "{} became healthy", s.name);
        let stat = client
            .stat("web", &s.name)
            .await
            .expect("stat")
            .expect("listed");
        assert_eq!((stat.status.as_str(), stat.weight), ("UP", 100));
    }
    assert_eq!(bodies(listener, 10), ["one", "two"]);

    // A failing health endpoint takes the target out of rotation; it comes back when fixed.
    docker_ok(&["exec", &web2, "rm", "/w/health"]);
    eventually("t2 DOWN", Duration::from_secs(15), || async {
        client
            .stat("web", "t2")
            .await
            .ok()
            .flatten()
            .is_some_and(|s| s.is_down())
    })
    .await;
    assert_eq!(bodies(listener, 10), ["one"]);
    docker_ok(&["exec", &web2, "sh", "-c", "echo ok > /w/health"]);
    assert!(
        client
            .wait_healthy("web", "t2", Duration::from_secs(15))
            .await
            .expect("stat")
    );
    assert_eq!(bodies(listener, 10), ["one", "two"]);

    // Drain: no new requests reach it, its sessions go to 0; then it is deleted.
    let before = client.stat("web", "t2").await.expect("stat").expect("t2");
    client.drain("web", "t2").await.expect("drain");
    assert_eq!(bodies(listener, 10), ["one"]);
    eventually("t2 without sessions", Duration::from_secs(10), || async {
        client.sessions("web", "t2").await.ok() == Some(0)
    })
    .await;
    let after = client.stat("web", "t2").await.expect("stat").expect("t2");
    assert_eq!(after.status, "DRAIN");
    assert_eq!(after.total_sessions, before.total_sessions);
    client
        .deregister("web", "t2", Duration::from_secs(10))
        .await
        .expect("deleted");
    assert!(client.stat("web", "t2").await.expect("stat").is_none());
    client
        .deregister("web", "t2", Duration::from_secs(1))
        .await
        .expect("deleting again is fine");

    // The proxy is killed; re-created from the full config, every target is back.
    docker_ok(&["rm", "-f", &container]);
    let full = config(listener, vec![s1.clone(), s2.clone()]);
    let again = proxy::ensure(&host, &spec, &full)
        .await
        .expect("re-created");
    assert_ne!(again, container);
    eventually("both targets UP again", Duration::from_secs(20), || async {
        match client.stats().await {
            Ok(stats) => stats.values().filter(|s| s.is_healthy()).count() == 2,
            Err(_) => false,
        }
    })
    .await;
    assert_eq!(bodies(listener, 10), ["one", "two"]);

    // The container is ecsctl's: host network, restart policy, labels.
    let inspect = docker_ok(&[
        "inspect",
        "--format",
        "{{.HostConfig.NetworkMode}} {{.HostConfig.RestartPolicy.Name}} {{index .Config.Labels \"ecsctl.cluster\"}} {{index .Config.Labels \"ecsctl.proxy\"}}",
        &again,
    ]);
    assert_eq!(
        inspect.trim(),
        format!("host unless-stopped {cluster} haproxy")
    );
    proxy::remove(&host, &spec).await.expect("removed");
    assert!(!docker(&["inspect", &spec.container_name()]).0);
}

/// A target group, a listener on `port` and a 2-task web service behind it, whose body names
/// its version and its container.
fn behind_a_listener(cluster: &common::docker::TestCluster, port: u16, version: &str) -> String {
    format!(
        "{}apiVersion: ecsctl/v1
kind: TargetGroup
metadata: {{ name: web, cluster: {name} }}
spec:
  protocol: HTTP
  healthCheckPath: /health
  healthCheckIntervalSeconds: 5
  healthCheckTimeoutSeconds: 2
  healthyThresholdCount: 2
  deregistrationDelaySeconds: 5
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
metadata: {{ name: lbweb }}
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
  taskDefinition: lbweb
  desiredCount: 2
  loadBalancers: [{{ targetGroupName: web, containerName: web, containerPort: 8080 }}]
",
        cluster.manifest(),
        name = cluster.name
    )
}

#[test]
fn a_service_behind_a_listener_rolls_without_a_failed_request() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    ensure_haproxy_image();
    let cluster = common::docker::TestCluster::new("lb");
    let _proxy = common::docker::ProxyCleanup(cluster.name.clone());
    let env = common::Env::new();
    let port = common::free_port();
    env.write("m/web.yaml", &behind_a_listener(&cluster, port, "v1"));
    let apply = env.run(&["apply", "-f", "m", "--auto-approve", "--wait", "120s"]);
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    assert!(
        apply
            .stderr
            .contains("(service web) registered 1 targets in (target-group web)")
            || apply
                .stderr
                .contains("(service web) registered 2 targets in (target-group web)"),
        "{}",
        apply.stderr
    );
    // Both tasks answer through the listener (a loaded machine may need a moment).
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut first = bodies(port, 20);
    while first.len() != 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(500));
        first = bodies(port, 20);
    }
    assert_eq!(
        first.len(),
        2,
        "both tasks answer through the listener: {first:?}"
    );
    assert!(first.iter().all(|b| b.starts_with("v1-")), "{first:?}");

    // Requests run all through the rolling deployment to v2; none may fail.
    let stop = Arc::new(AtomicBool::new(false));
    let (ok, failed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let load = {
        let (stop, ok, failed) = (stop.clone(), ok.clone(), failed.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                match get(port) {
                    Some(_) => ok.fetch_add(1, Ordering::Relaxed),
                    None => failed.fetch_add(1, Ordering::Relaxed),
                };
            }
        })
    };
    env.write("m/web.yaml", &behind_a_listener(&cluster, port, "v2"));
    let apply = env.run(&["apply", "-f", "m", "--auto-approve", "--wait", "120s"]);
    stop.store(true, Ordering::Relaxed);
    load.join().expect("load thread");
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    let (ok, failed) = (ok.load(Ordering::Relaxed), failed.load(Ordering::Relaxed));
    assert!(ok > 100, "requests went through during the rollout: {ok}");
    assert_eq!(
        failed,
        0,
        "{failed} of {} requests failed during the rollout",
        ok + failed
    );
    eprintln!("requests through the listener during the rollout: {ok} ok, {failed} failed");
    let second = bodies(port, 20);
    assert_eq!(second.len(), 2, "{second:?}");
    assert!(second.iter().all(|b| b.starts_with("v2-")), "{second:?}");

    // `describe targetgroup` shows the two new tasks' targets, healthy, on the loopback.
    let described = env.run(&[
        "describe",
        "tg",
        "web",
        "--cluster",
        &cluster.name,
        "-o",
        "json",
    ]);
    assert_eq!(described.code, 0, "{}", described.stderr);
    let described: serde_json::Value = serde_json::from_str(&described.stdout).expect("json");
    let targets = described["targets"].as_array().expect("targets");
    assert_eq!(targets.len(), 2, "{described}");
    for target in targets {
        assert_eq!(target["health"], "healthy", "{described}");
        assert_eq!(target["address"], "127.0.0.1", "{described}");
        assert_eq!(target["service"], "web", "{described}");
    }
    let listed = env.run(&["get", "targetgroups", "--cluster", &cluster.name]);
    assert!(
        listed.stdout.contains("edge") && listed.stdout.contains("2/2"),
        "{}",
        listed.stdout
    );

    // Every old task was drained and deregistered before it was stopped (ECS's order).
    let events = env.run(&[
        "events",
        "service/web",
        "--cluster",
        &cluster.name,
        "-o",
        "json",
    ]);
    assert_eq!(events.code, 0, "{}", events.stderr);
    let events: serde_json::Value = serde_json::from_str(&events.stdout).expect("events json");
    let messages: Vec<&str> = events
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|e| e["message"].as_str())
        .collect();
    let rollout = messages
        .iter()
        .rposition(|m| m.contains("started deployment"))
        .expect("the v2 deployment");
    let after = &messages[rollout..];
    let position = |what: &str| after.iter().position(|m| m.contains(what));
    let (draining, deregistered, stopped) = (
        position("has begun draining connections on"),
        position("deregistered"),
        position("has stopped"),
    );
    assert!(
        matches!((draining, deregistered, stopped), (Some(a), Some(b), Some(c)) if a < b && b < c),
        "drain, then deregister, then stop:\n{}",
        after.join("\n")
    );

    // A proxy that is gone comes back with every target.
    docker_ok(&[
        "rm",
        "-f",
        &format!("ecsctl-haproxy-{}-local", cluster.name),
    ]);
    assert!(get(port).is_none(), "the listener is gone with its proxy");
    let reconcile = env.run(&["reconcile", "--cluster", &cluster.name, "--wait", "60s"]);
    assert_eq!(reconcile.code, 0, "{}", reconcile.stderr);
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut back = bodies(port, 20);
    while back.len() != 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(500));
        back = bodies(port, 20);
    }
    assert_eq!(back, second, "the re-created proxy carries both targets");

    // Without its load balancer, the cluster's proxy goes; the service keeps running.
    let without: String = behind_a_listener(&cluster, port, "v2")
        .split("---\n")
        .filter(|doc| !doc.contains("kind: LoadBalancer") && !doc.contains("kind: TargetGroup"))
        .map(|doc| doc.replace("  loadBalancers: [{ targetGroupName: web, containerName: web, containerPort: 8080 }]\n", ""))
        .collect::<Vec<_>>()
        .join("---\n");
    env.write("m/web.yaml", &without);
    let apply = env.run(&[
        "apply",
        "-f",
        "m",
        "--prune",
        "--auto-approve",
        "--wait",
        "60s",
    ]);
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    let proxy = format!("ecsctl-haproxy-{}-local", cluster.name);
    assert!(!docker(&["inspect", &proxy]).0, "the proxy is removed");
    assert_eq!(cluster.running("web").len(), 2);
}

/// Service Connect: a `web` service of namespace `internal` with a client alias, and the
/// `client` (bridge) and `vpcclient` (awsvpc) services of the same namespace, whose tasks
/// reach `web.internal:PORT`.
fn connected(cluster: &common::docker::TestCluster, port: u16, web_count: u32) -> String {
    format!(
        "{}apiVersion: ecsctl/v1
kind: TaskDefinition
metadata: {{ name: scweb }}
spec:
  containerDefinitions:
    - name: web
      image: {IMAGE}
      command: [sh, -c, \"mkdir /w; echo web-$(hostname) > /w/index.html; trap 'exit 0' TERM; httpd -f -p 8080 -h /w & wait\"]
      portMappings: [{{ containerPort: 8080, name: http }}]
      stopTimeout: 2
---
apiVersion: ecsctl/v1
kind: TaskDefinition
metadata: {{ name: scclient }}
spec:
  containerDefinitions:
    - name: client
      image: {IMAGE}
      command: [sh, -c, \"trap 'exit 0' TERM; sleep 3600 & wait\"]
      stopTimeout: 2
---
apiVersion: ecsctl/v1
kind: TaskDefinition
metadata: {{ name: scvpc }}
spec:
  networkMode: awsvpc
  containerDefinitions:
    - name: client
      image: {IMAGE}
      command: [sh, -c, \"trap 'exit 0' TERM; sleep 3600 & wait\"]
      stopTimeout: 2
---
apiVersion: ecsctl/v1
kind: Service
metadata: {{ name: vpcclient, cluster: {name} }}
spec:
  taskDefinition: scvpc
  desiredCount: 1
  serviceConnectConfiguration: {{ enabled: true, namespace: internal }}
---
apiVersion: ecsctl/v1
kind: Service
metadata: {{ name: web, cluster: {name} }}
spec:
  taskDefinition: scweb
  desiredCount: {web_count}
  serviceConnectConfiguration:
    enabled: true
    namespace: internal
    services:
      - portName: http
        discoveryName: web
        clientAliases: [{{ port: {port}, dnsName: web.internal }}]
---
apiVersion: ecsctl/v1
kind: Service
metadata: {{ name: client, cluster: {name} }}
spec:
  taskDefinition: scclient
  desiredCount: 1
  serviceConnectConfiguration: {{ enabled: true, namespace: internal }}
",
        cluster.manifest(),
        name = cluster.name
    )
}

#[test]
fn service_connect_names_reach_every_task_of_the_service() {
    ensure_haproxy_image();
    let cluster = common::docker::TestCluster::new("sc");
    let _proxy = common::docker::ProxyCleanup(cluster.name.clone());
    let env = common::Env::new();
    let port = common::free_port();
    env.write("m/all.yaml", &connected(&cluster, port, 2));
    // No LoadBalancer names an image here: the proxy image comes from the environment.
    let image = [("ECSCTL_PROXY_IMAGE", HAPROXY_IMAGE)];
    let apply = env.run_with(
        &["apply", "-f", "m", "--auto-approve", "--wait", "120s"],
        &image,
    );
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    let reached_from = |client: &str, n: usize| -> BTreeSet<String> {
        let target = format!("svc/{client}");
        (0..n)
            .filter_map(|_| {
                let run = env.run(&[
                    "exec",
                    &target,
                    "--cluster",
                    &cluster.name,
                    "--",
                    "sh",
                    "-c",
                    // busybox's static wget crashes resolving names; its nc does not.
                    &format!(
                        "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 web.internal {port} | tail -1"
                    ),
                ]);
                let body = run.stdout.trim().to_string();
                (run.code == 0 && body.starts_with("web-")).then_some(body)
            })
            .collect()
    };
    let reached = |n: usize| reached_from("client", n);
    let deadline = Instant::now() + Duration::from_secs(40);
    let mut seen = reached(8);
    while seen.len() != 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_secs(1));
        seen = reached(8);
    }
    assert_eq!(seen.len(), 2, "the client reaches both web tasks: {seen:?}");
    assert!(seen.iter().all(|b| b.starts_with("web-")), "{seen:?}");
    // An awsvpc task has the names too (on its pause container, whose /etc/hosts it shares).
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut from_vpc = reached_from("vpcclient", 8);
    while from_vpc != seen && Instant::now() < deadline {
        std::thread::sleep(Duration::from_secs(1));
        from_vpc = reached_from("vpcclient", 8);
    }
    assert_eq!(from_vpc, seen, "the awsvpc client reaches both web tasks");

    // Scale-out: the new task joins behind the name.
    env.write("m/all.yaml", &connected(&cluster, port, 3));
    let apply = env.run_with(
        &["apply", "-f", "m", "--auto-approve", "--wait", "120s"],
        &image,
    );
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    let deadline = Instant::now() + Duration::from_secs(40);
    let mut seen = reached(12);
    while seen.len() != 3 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_secs(1));
        seen = reached(12);
    }
    assert_eq!(seen.len(), 3, "after scale-out, all three: {seen:?}");
}
