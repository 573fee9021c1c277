//! Capacity providers and Fargate-style tasks on the rig (three real Docker hosts reached over
//! SSH): `spot` is host 1, `ondemand` host 2, `FARGATE` host 3. A strategy `{spot: base 1
//! weight 1}, {ondemand: weight 3}` places 8 tasks as 1 + the 1:3 split; a FARGATE task lands
//! on host 3 with its own network namespace and one memory limit for all its containers (the
//! host's cgroup files say so), and a container that takes the task past its size is
//! OOM-killed though it alone would fit.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::docker::{IMAGE, fargate_oom_task_definition};
use common::rig::RigCluster;
use common::{Env, Run};

fn manifests(cluster: &RigCluster) -> String {
    let hosts = cluster.rig.cluster(&cluster.name, "");
    let hosts = hosts.trim_end_matches("---\n");
    format!(
        "{hosts}  capacityProviders:
    - {{ name: spot, hosts: [h1] }}
    - {{ name: ondemand, hosts: [h2] }}
    - {{ name: FARGATE, hosts: [h3] }}
---
apiVersion: ecsctl/v1
kind: TaskDefinition
metadata: {{ name: worker }}
spec:
  containerDefinitions:
    - {{ name: worker, image: {IMAGE}, memory: 16, stopTimeout: 2, command: [sh, -c, \"trap 'exit 0' TERM; sleep 3600 & wait\"] }}
---
apiVersion: ecsctl/v1
kind: Service
metadata: {{ name: worker, cluster: {name} }}
spec:
  taskDefinition: worker
  desiredCount: 8
  capacityProviderStrategy:
    - {{ capacityProvider: spot, base: 1, weight: 1 }}
    - {{ capacityProvider: ondemand, weight: 3 }}
---
apiVersion: ecsctl/v1
kind: TaskDefinition
metadata: {{ name: pair }}
spec:
  requiresCompatibilities: [FARGATE]
  networkMode: awsvpc
  cpu: 0.25 vCPU
  memory: '512'
  containerDefinitions:
    - {{ name: a, image: {IMAGE}, stopTimeout: 2, command: [sh, -c, \"trap 'exit 0' TERM; sleep 3600 & wait\"] }}
    - {{ name: b, image: {IMAGE}, stopTimeout: 2, command: [sh, -c, \"trap 'exit 0' TERM; sleep 3600 & wait\"] }}
---
apiVersion: ecsctl/v1
kind: Service
metadata: {{ name: pair, cluster: {name} }}
spec:
  taskDefinition: pair
  desiredCount: 1
  launchType: FARGATE
---
{oom}",
        name = cluster.name,
        oom = fargate_oom_task_definition()
    )
}

fn run(env: &Env, cluster: &RigCluster, args: &[&str]) -> Run {
    env.run_with(args, &[("ECSCTL_SSH", cluster.rig.ssh())])
}

fn tasks(env: &Env, cluster: &RigCluster) -> Vec<serde_json::Value> {
    let out = run(
        env,
        cluster,
        &["get", "tasks", "--cluster", &cluster.name, "-o", "json"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let list: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    list.as_array().expect("a list").clone()
}

fn of_family<'a>(
    tasks: &'a [serde_json::Value],
    family: &'a str,
) -> impl Iterator<Item = &'a serde_json::Value> {
    tasks.iter().filter(move |t| {
        t["taskDefinition"]
            .as_str()
            .is_some_and(|d| d.starts_with(&format!("{family}:")))
    })
}

#[test]
fn providers_split_over_rig_hosts_and_a_fargate_task_is_bounded_as_a_whole() {
    let cluster = RigCluster::new("capfg");
    let rig = cluster.rig;
    let env = Env::new();
    env.write("m/all.yaml", &manifests(&cluster));
    let apply = run(
        &env,
        &cluster,
        &["apply", "-f", "m", "--auto-approve", "--wait", "180s"],
    );
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);

    // 1 on spot for its base, then 7 split 1:3: 1.75 rounds to 2 more on spot, 5 on ondemand.
    let all = tasks(&env, &cluster);
    let mut per_host: BTreeMap<String, usize> = BTreeMap::new();
    for task in of_family(&all, "worker").filter(|t| t["lastStatus"] == "RUNNING") {
        *per_host
            .entry(format!(
                "{}/{}",
                task["capacityProviderName"].as_str().unwrap_or("-"),
                task["host"].as_str().unwrap_or("-")
            ))
            .or_default() += 1;
    }
    assert_eq!(
        per_host,
        BTreeMap::from([("ondemand/h2".to_string(), 5), ("spot/h1".to_string(), 3)])
    );
    // Host 3: the FARGATE task's pause container and its two containers.
    assert_eq!(cluster.spread(), [3, 5, 3], "containers per rig host");

    // The FARGATE task: on host 3 (the pool chose it), its own network namespace, and the
    // pause container's cgroup bounding both containers.
    let task = of_family(&all, "pair")
        .find(|t| t["lastStatus"] == "RUNNING")
        .expect("a running pair task")
        .clone();
    assert_eq!(
        (task["host"].clone(), task["launchType"].clone()),
        ("h3".into(), "FARGATE".into())
    );
    let containers = task["containers"].as_array().expect("containers");
    let id = |pause: bool, name: &str| {
        containers
            .iter()
            .find(|c| (c["pause"] == true) == pause && (pause || c["name"] == name))
            .and_then(|c| c["dockerId"].as_str())
            .expect("container")
            .to_string()
    };
    let (pause, a, b) = (id(true, ""), id(false, "a"), id(false, "b"));
    let netns = |container: &str| {
        let (ok, out) = rig.docker(3, &["exec", container, "readlink", "/proc/self/ns/net"]);
        assert!(ok, "{out}");
        out.trim().to_string()
    };
    assert_eq!(netns(&a), netns(&b), "one namespace for the task");
    let root_ns = std::fs::read_link("/proc/self/ns/net").expect("own netns");
    assert_ne!(netns(&a), root_ns.display().to_string());
    let limits = task["taskLimits"].as_str().expect("taskLimits");
    let parent = limits
        .strip_prefix("task cgroup ")
        .unwrap_or_else(|| panic!("not bounded as a whole: {limits}"));
    assert!(
        parent.starts_with("/ecsctl-rig-ecsh3/"),
        "under the host daemon's cgroup parent: {parent}"
    );
    let cgroup = Path::new("/sys/fs/cgroup/memory").join(parent.trim_start_matches('/'));
    let limit = std::fs::read_to_string(cgroup.join("memory.limit_in_bytes")).expect("limit");
    assert_eq!(limit.trim(), (512 * 1024 * 1024).to_string());
    for container in [&a, &b] {
        assert!(cgroup.join(container).is_dir(), "{container} in {parent}");
    }
    assert!(!pause.is_empty());

    // Past the task size: killed by the kernel, with ECS's reason.
    let oom = run(
        &env,
        &cluster,
        &[
            "run-task",
            "oom",
            "--cluster",
            &cluster.name,
            "--launch-type",
            "FARGATE",
            "--wait",
            "--timeout",
            "2m",
        ],
    );
    assert_eq!(oom.code, 137, "{}\n{}", oom.stdout, oom.stderr);
    let all = tasks(&env, &cluster);
    let task = of_family(&all, "oom").next().expect("the run's task");
    assert_eq!(task["host"], "h3");
    assert_eq!(
        task["stopReason"]["text"],
        "OutOfMemoryError: Container killed due to memory usage"
    );
}
