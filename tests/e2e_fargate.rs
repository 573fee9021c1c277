//! Fargate-style tasks on a real Docker daemon (issue 13): `launchType: FARGATE` places on
//! the cluster's `FARGATE` pool, and the task gets its own network namespace and one memory
//! limit for all its containers. What a user sees: `get tasks -o json`, `describe task`,
//! `docker inspect`, and the cgroup files of the host (the local daemon here: cgroup v1,
//! cgroupfs).

mod common;

use std::path::Path;
use std::time::Duration;

use common::Env;
use common::docker::{
    IMAGE, TestCluster, docker_ok, fargate_oom_task_definition, inspect, wait_for,
};

/// Hosts `fg-1` (the FARGATE pool) and `ec2-1` (no pool), both on the local daemon; task
/// definitions of 0.25 vCPU and 512 MiB: `oom` (a container fills 300 MiB of a tmpfs and
/// holds it, then another allocates 300 MiB: alone each fits, together they pass the task
/// size) and `pair` (two long-running containers).
fn manifests(cluster: &TestCluster) -> String {
    format!(
        "apiVersion: ecsctl/v1
kind: Cluster
metadata: {{ name: {cluster} }}
spec:
  hosts:
    - {{ name: ec2-1, endpoint: local }}
    - {{ name: fg-1, endpoint: local }}
  capacityProviders:
    - {{ name: FARGATE, hosts: [fg-1] }}
---
apiVersion: ecsctl/v1
kind: Cluster
metadata: {{ name: {cluster}-none }}
spec:
  hosts:
    - {{ name: ec2-1, endpoint: local }}
---
{oom}---
apiVersion: ecsctl/v1
kind: TaskDefinition
metadata: {{ name: pair }}
spec:
  requiresCompatibilities: [FARGATE]
  networkMode: awsvpc
  cpu: '256'
  memory: 0.5 GB
  containerDefinitions:
    - name: a
      image: {IMAGE}
      stopTimeout: 2
      command: [sh, -c, \"trap 'exit 0' TERM; sleep 3600 & wait\"]
    - name: b
      image: {IMAGE}
      stopTimeout: 2
      command: [sh, -c, \"trap 'exit 0' TERM; sleep 3600 & wait\"]
---
apiVersion: ecsctl/v1
kind: Service
metadata: {{ name: pair, cluster: {cluster} }}
spec:
  taskDefinition: pair
  desiredCount: 1
  launchType: FARGATE
",
        cluster = cluster.name,
        oom = fargate_oom_task_definition()
    )
}

fn json(env: &Env, args: &[&str]) -> serde_json::Value {
    let run = env.run(args);
    assert_eq!(run.code, 0, "{args:?}: {}\n{}", run.stdout, run.stderr);
    serde_json::from_str(&run.stdout).expect("json output")
}

fn tasks(env: &Env, cluster: &TestCluster, family: &str) -> Vec<serde_json::Value> {
    let all = json(
        env,
        &["get", "tasks", "--cluster", &cluster.name, "-o", "json"],
    );
    let found: Vec<serde_json::Value> = all
        .as_array()
        .expect("a list of tasks")
        .iter()
        .filter(|t| {
            t["taskDefinition"]
                .as_str()
                .is_some_and(|d| d.starts_with(&format!("{family}:")))
        })
        .cloned()
        .collect();
    assert!(!found.is_empty(), "no task of {family}: {all:#}");
    found
}

/// The host's memory cgroup directory of a path that `taskLimits` names.
fn memory_cgroup(limits: &str) -> std::path::PathBuf {
    let path = limits
        .strip_prefix("task cgroup ")
        .unwrap_or_else(|| panic!("the task is not bounded as a whole: {limits}"));
    Path::new("/sys/fs/cgroup/memory").join(path.trim_start_matches('/'))
}

#[test]
fn a_fargate_service_task_has_its_own_network_and_one_memory_limit() {
    let cluster = TestCluster::new("fg");
    let env = Env::new();
    env.write("m/all.yaml", &manifests(&cluster));
    let apply = env.run(&["apply", "-f", "m", "--auto-approve", "--wait", "120s"]);
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);

    let task = tasks(&env, &cluster, "pair")
        .into_iter()
        .find(|t| t["lastStatus"] == "RUNNING")
        .expect("a running task of the service");
    // The pool places it: the user named no host.
    assert_eq!(task["host"], "fg-1");
    assert_eq!(task["capacityProviderName"], "FARGATE");
    assert_eq!(task["launchType"], "FARGATE");
    assert_eq!(task["cpu"], "256");
    // As registered: the normal form of `0.5 GB`.
    assert_eq!(task["memory"], "512");
    let limits = task["taskLimits"].as_str().expect("taskLimits").to_string();

    // Its own network namespace, held by its pause container and shared by its containers.
    let containers = task["containers"].as_array().expect("containers");
    let id_of = |name: &str| {
        containers
            .iter()
            .find(|c| c["name"] == name)
            .and_then(|c| c["dockerId"].as_str())
            .unwrap_or_else(|| panic!("container {name}"))
            .to_string()
    };
    let pause = containers
        .iter()
        .find(|c| c["pause"] == true)
        .and_then(|c| c["dockerId"].as_str())
        .expect("a pause container")
        .to_string();
    let netns = |id: &str| docker_ok(&["exec", id, "readlink", "/proc/self/ns/net"]);
    let (a, b) = (id_of("a"), id_of("b"));
    assert_eq!(netns(&a), netns(&b), "one namespace for the task");
    let host_ns = std::fs::read_link("/proc/self/ns/net").expect("own netns");
    assert_ne!(netns(&a).trim(), host_ns.display().to_string());
    assert_eq!(
        inspect(&a)["HostConfig"]["NetworkMode"],
        format!("container:{pause}")
    );

    // One memory limit for the task: the pause container's cgroup, which both containers
    // are in.
    let holder = inspect(&pause);
    assert_eq!(holder["HostConfig"]["Memory"], 512 * 1024 * 1024);
    assert_eq!(holder["HostConfig"]["NanoCpus"], 250_000_000);
    let cgroup = memory_cgroup(&limits);
    let limit = std::fs::read_to_string(cgroup.join("memory.limit_in_bytes")).expect("limit");
    assert_eq!(limit.trim(), (512 * 1024 * 1024).to_string());
    for id in [&a, &b] {
        assert!(
            cgroup.join(id).is_dir(),
            "container {id} is inside the task's cgroup {}",
            cgroup.display()
        );
        let parent = inspect(id)["HostConfig"]["CgroupParent"].clone();
        assert_eq!(parent, limits.trim_start_matches("task cgroup "));
    }
    let described = env.run(&[
        "describe",
        "task",
        task["id"].as_str().expect("id"),
        "--cluster",
        &cluster.name,
    ]);
    assert_eq!(described.code, 0, "{}", described.stderr);
    for line in [
        "Launch type:     FARGATE",
        "Task size:       256 CPU, 512 memory",
        "Task limits:     the task as a whole (cgroup /",
    ] {
        assert!(described.stdout.contains(line), "{}", described.stdout);
    }

    // Deleted, the task takes its cgroup with it (the pause container goes last).
    let delete = env.run(&[
        "delete",
        "service",
        "pair",
        "--cluster",
        &cluster.name,
        "--auto-approve",
        "--wait",
        "60s",
    ]);
    assert_eq!(delete.code, 0, "{}\n{}", delete.stdout, delete.stderr);
    wait_for("the task's cgroup to go", Duration::from_secs(60), || {
        !cgroup.exists()
    });
}

#[test]
fn a_container_past_the_task_size_is_oom_killed_though_it_alone_fits() {
    let cluster = TestCluster::new("fgoom");
    let env = Env::new();
    env.write("m/all.yaml", &manifests(&cluster));
    let apply = env.run(&["apply", "-f", "m", "--auto-approve", "--wait", "120s"]);
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);

    let run = env.run(&[
        "run-task",
        "oom",
        "--cluster",
        &cluster.name,
        "--launch-type",
        "FARGATE",
        "--wait",
        "--timeout",
        "2m",
    ]);
    // The essential container's exit code: killed by the kernel (SIGKILL).
    assert_eq!(run.code, 137, "{}\n{}", run.stdout, run.stderr);
    let task = tasks(&env, &cluster, "oom").pop().expect("the run's task");
    assert_eq!(task["host"], "fg-1");
    assert_eq!(task["launchType"], "FARGATE");
    assert_eq!(
        task["stopReason"]["text"],
        "OutOfMemoryError: Container killed due to memory usage"
    );
    let hog = task["containers"]
        .as_array()
        .expect("containers")
        .iter()
        .find(|c| c["name"] == "hog")
        .cloned()
        .expect("hog");
    assert_eq!(
        (hog["exitCode"].clone(), hog["oomKilled"].clone()),
        (137.into(), true.into())
    );

    // A cluster without a FARGATE provider has no Fargate capacity: the task is not placed,
    // with ECS's reason.
    let none = format!("{}-none", cluster.name);
    let refused = env.run(&[
        "run-task",
        "oom",
        "--cluster",
        &none,
        "--launch-type",
        "FARGATE",
    ]);
    assert_eq!(refused.code, 1, "{}\n{}", refused.stdout, refused.stderr);
    assert!(
        refused.stderr.contains(
            "capacity provider `FARGATE` has no hosts in this cluster: Capacity is unavailable at this time."
        ),
        "{}",
        refused.stderr
    );
}
