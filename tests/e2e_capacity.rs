//! Capacity providers on a real Docker daemon (issue 13): three cluster hosts share the local
//! daemon, in two pools; a service's `capacityProviderStrategy` places its base and then the
//! weighted split, seen as a user sees it (`get tasks -o json`, `describe service`,
//! `get services -o wide`), and `plan` shows a change of the strategy.

mod common;

use std::collections::BTreeMap;

use common::Env;
use common::docker::{IMAGE, TestCluster};

/// Hosts `spot-1` (pool by attribute), `ondemand-1` and `ondemand-2` (pool by name), all on
/// the local daemon; a service of `count` tasks with `strategy`.
fn manifests(cluster: &TestCluster, count: u32, strategy: &str) -> String {
    format!(
        "apiVersion: ecsctl/v1
kind: Cluster
metadata: {{ name: {cluster} }}
spec:
  hosts:
    - {{ name: spot-1, endpoint: local, attributes: {{ pool: spot }} }}
    - {{ name: ondemand-1, endpoint: local, attributes: {{ pool: ondemand }} }}
    - {{ name: ondemand-2, endpoint: local, attributes: {{ pool: ondemand }} }}
  capacityProviders:
    - {{ name: spot, expression: 'attribute:pool == spot' }}
    - {{ name: ondemand, hosts: [ondemand-1, ondemand-2] }}
---
apiVersion: ecsctl/v1
kind: TaskDefinition
metadata: {{ name: worker }}
spec:
  containerDefinitions:
    - name: worker
      image: {IMAGE}
      command: [sh, -c, \"trap 'exit 0' TERM; sleep 3600 & wait\"]
      memory: 16
      stopTimeout: 2
---
apiVersion: ecsctl/v1
kind: Service
metadata: {{ name: worker, cluster: {cluster} }}
spec:
  taskDefinition: worker
  desiredCount: {count}
  placementStrategy: [{{ type: spread, field: instanceId }}]
  capacityProviderStrategy:
{strategy}",
        cluster = cluster.name
    )
}

const SPOT_BASE_1_WEIGHT_1_ONDEMAND_WEIGHT_3: &str =
    "    - { capacityProvider: spot, base: 1, weight: 1 }
    - { capacityProvider: ondemand, weight: 3 }
";

fn json(env: &Env, args: &[&str]) -> serde_json::Value {
    let run = env.run(args);
    assert_eq!(run.code, 0, "{args:?}: {}\n{}", run.stdout, run.stderr);
    serde_json::from_str(&run.stdout).expect("json output")
}

/// Running tasks per capacity provider and per host, from `get tasks -o json`.
fn running_tasks(
    env: &Env,
    cluster: &TestCluster,
) -> (BTreeMap<String, usize>, BTreeMap<String, usize>) {
    let tasks = json(
        env,
        &["get", "tasks", "--cluster", &cluster.name, "-o", "json"],
    );
    let mut providers = BTreeMap::new();
    let mut hosts = BTreeMap::new();
    for task in tasks.as_array().expect("a list of tasks") {
        if task["lastStatus"] != "RUNNING" {
            continue;
        }
        let provider = task["capacityProviderName"].as_str().unwrap_or("-");
        *providers.entry(provider.to_string()).or_insert(0) += 1;
        let host = task["host"].as_str().unwrap_or("-");
        *hosts.entry(host.to_string()).or_insert(0) += 1;
    }
    (providers, hosts)
}

#[test]
fn a_strategy_places_the_base_then_the_weighted_split_over_two_providers() {
    let cluster = TestCluster::new("cap");
    let env = Env::new();
    env.write(
        "m/all.yaml",
        &manifests(&cluster, 8, SPOT_BASE_1_WEIGHT_1_ONDEMAND_WEIGHT_3),
    );
    let apply = env.run(&["apply", "-f", "m", "--auto-approve", "--wait", "120s"]);
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    assert!(
        apply
            .stderr
            .contains("(service worker) has reached a steady state."),
        "{}",
        apply.stderr
    );
    assert_eq!(
        cluster.running("worker").len(),
        8,
        "8 containers on the daemon"
    );

    // 1 on spot for its base, then 7 split 1:3: 1.75 rounds to 2 more on spot, 5 on ondemand.
    let (providers, hosts) = running_tasks(&env, &cluster);
    assert_eq!(
        providers,
        BTreeMap::from([("ondemand".to_string(), 5), ("spot".to_string(), 3)]),
        "{hosts:?}"
    );
    assert_eq!(hosts.get("spot-1"), Some(&3), "{hosts:?}");
    // The spread chooses the hosts inside the provider.
    let (a, b) = (hosts["ondemand-1"], hosts["ondemand-2"]);
    assert!(a.abs_diff(b) <= 1 && a + b == 5, "{hosts:?}");

    let described = json(
        &env,
        &[
            "describe",
            "service",
            "worker",
            "--cluster",
            &cluster.name,
            "-o",
            "json",
        ],
    );
    assert_eq!(
        described["capacityProviders"],
        serde_json::json!([
            { "capacityProvider": "spot", "base": 1, "weight": 1, "tasks": 3, "target": 3 },
            { "capacityProvider": "ondemand", "base": 0, "weight": 3, "tasks": 5, "target": 5 },
        ])
    );
    let text = env.run(&["describe", "service", "worker", "--cluster", &cluster.name]);
    assert!(
        text.stdout.contains("Capacity providers:"),
        "{}",
        text.stdout
    );
    let wide = env.run(&["get", "services", "--cluster", &cluster.name, "-o", "wide"]);
    assert_eq!(wide.code, 0, "{}", wide.stderr);
    assert!(
        wide.stdout.contains("spot 3/3, ondemand 5/5"),
        "{}",
        wide.stdout
    );

    // A change of the strategy is a field change in the plan.
    env.write(
        "m/all.yaml",
        &manifests(
            &cluster,
            8,
            "    - { capacityProvider: spot, base: 1, weight: 1 }\n    - { capacityProvider: ondemand, weight: 1 }\n",
        ),
    );
    let plan = env.run(&["plan", "-f", "m", "--detailed-exitcode"]);
    assert_eq!(plan.code, 2, "{}\n{}", plan.stdout, plan.stderr);
    assert!(
        plan.stdout
            .contains("capacityProviderStrategy[1].weight: 3 → 1"),
        "{}",
        plan.stdout
    );
    // Applied, tasks move one at a time to the new split: 1 + (7 split 1:1 → 4 and 3).
    let apply = env.run(&["apply", "-f", "m", "--auto-approve", "--wait", "180s"]);
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    common::docker::wait_for("the new split", std::time::Duration::from_secs(120), || {
        running_tasks(&env, &cluster).0
            == BTreeMap::from([("ondemand".to_string(), 3), ("spot".to_string(), 5)])
    });
    let events = env.run(&["events", "service/worker", "--cluster", &cluster.name]);
    assert!(
        events
            .stdout
            .contains("is moving a task from capacity provider `ondemand` to `spot`"),
        "{}",
        events.stdout
    );
}

#[test]
fn run_task_splits_over_providers_and_refuses_a_provider_the_cluster_lacks() {
    let cluster = TestCluster::new("caprun");
    let env = Env::new();
    // The service has no tasks: only the run's tasks are on the hosts.
    env.write(
        "m/all.yaml",
        &manifests(&cluster, 0, SPOT_BASE_1_WEIGHT_1_ONDEMAND_WEIGHT_3),
    );
    let apply = env.run(&["apply", "-f", "m", "--auto-approve", "--wait", "60s"]);
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);

    let run = env.run(&[
        "run-task",
        "worker",
        "--cluster",
        &cluster.name,
        "--count",
        "4",
        "--capacity-provider-strategy",
        "capacityProvider=spot,base=1,weight=1",
        "--capacity-provider-strategy",
        "capacityProvider=ondemand,weight=1",
    ]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    // 1 for the base, then 3 split 1:1 (1.5: the half goes to the earlier item).
    common::docker::wait_for(
        "4 running tasks",
        std::time::Duration::from_secs(60),
        || running_tasks(&env, &cluster).0.values().sum::<usize>() == 4,
    );
    let (providers, _) = running_tasks(&env, &cluster);
    assert_eq!(
        providers,
        BTreeMap::from([("ondemand".to_string(), 1), ("spot".to_string(), 3)])
    );

    let refused = env.run(&[
        "run-task",
        "worker",
        "--cluster",
        &cluster.name,
        "--capacity-provider-strategy",
        "capacityProvider=FARGATE,weight=1",
    ]);
    assert_eq!(refused.code, 1, "{}\n{}", refused.stdout, refused.stderr);
    assert!(
        refused
            .stderr
            .contains("capacity provider `FARGATE` has no hosts in this cluster: Capacity is unavailable at this time."),
        "{}",
        refused.stderr
    );
    let unknown = env.run(&[
        "run-task",
        "worker",
        "--cluster",
        &cluster.name,
        "--capacity-provider-strategy",
        "capacityProvider=spto,weight=1",
    ]);
    assert_eq!(unknown.code, 1);
    assert!(
        unknown
            .stderr
            .contains("unknown capacity provider `spto` in cluster"),
        "{}",
        unknown.stderr
    );
}
