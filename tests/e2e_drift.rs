//! Drift on a real Docker daemon: a task removed by hand (`docker rm -f`) and a task whose
//! memory was changed by hand (`docker update --memory`) show in `plan --refresh` (text,
//! JSON, exit 2 with `--detailed-exitcode`); `watch --no-self-heal` reports them as events
//! and in `describe service` and leaves them; a default `reconcile` corrects them.

mod common;

use std::time::Duration;

use common::Env;
use common::docker::{IMAGE, TestCluster, docker_ok, inspect, label, wait_for};

const MIB: i64 = 1024 * 1024;

fn web(cluster: &TestCluster) -> String {
    format!(
        "{}apiVersion: ecsctl/v1
kind: TaskDefinition
metadata: {{ name: web }}
spec:
  containerDefinitions:
    - name: web
      image: {IMAGE}
      command: [sh, -c, \"trap 'exit 0' TERM; sleep 3600 & wait\"]
      memory: 128
      environment: [{{ name: MODE, value: prod }}]
      stopTimeout: 2
---
apiVersion: ecsctl/v1
kind: Service
metadata: {{ name: web, cluster: {cluster} }}
spec:
  desiredCount: 2
",
        cluster.manifest(),
        cluster = cluster.name
    )
}

fn memory(id: &str) -> i64 {
    inspect(id)["HostConfig"]["Memory"].as_i64().unwrap_or(0)
}

fn describe(env: &Env) -> String {
    let run = env.run(&["describe", "service", "web"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.stdout
}

#[test]
fn drift_is_shown_reported_without_self_heal_and_corrected_by_default() {
    let cluster = TestCluster::new("drift");
    let env = Env::new();
    env.write("m/web.yaml", &web(&cluster));
    let apply = env.run(&["apply", "-f", "m", "--auto-approve", "--wait", "90s"]);
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    let clean = env.run(&["plan", "-f", "m", "--refresh", "--detailed-exitcode"]);
    assert_eq!(clean.code, 0, "{}\n{}", clean.stdout, clean.stderr);
    assert!(clean.stdout.contains("No drift"), "{}", clean.stdout);

    let mut running = cluster.running("web");
    running.sort();
    assert_eq!(running.len(), 2);
    let (removed, updated) = (running[0].clone(), running[1].clone());
    let removed_task = label(&inspect(&removed), "ecsctl.task");
    let updated_task = label(&inspect(&updated), "ecsctl.task");
    docker_ok(&["rm", "-f", &removed]);
    docker_ok(&[
        "update",
        "--memory",
        "64m",
        "--memory-swap",
        "64m",
        &updated,
    ]);

    // plan --refresh: both, in text and JSON, as changes.
    let plan = env.run(&["plan", "-f", "m", "--refresh", "--detailed-exitcode"]);
    assert_eq!(plan.code, 2, "{}\n{}", plan.stdout, plan.stderr);
    assert!(plan.stdout.contains("Drift"), "{}", plan.stdout);
    let short = |task: &str| task[..12].to_string();
    let missing_line = format!("task {}): container removed by hand", short(&removed_task));
    assert!(plan.stdout.contains(&missing_line), "{}", plan.stdout);
    let memory_line = format!(
        "task {}): memory of `web` changed by hand (expected 128 MiB, found 64 MiB)",
        short(&updated_task)
    );
    assert!(plan.stdout.contains(&memory_line), "{}", plan.stdout);
    assert!(plan.stdout.contains("Drift: 2 items."), "{}", plan.stdout);
    let json = env.run(&["plan", "-f", "m", "--refresh", "-o", "json"]);
    assert_eq!(json.code, 0, "{}", json.stderr);
    let value: serde_json::Value = serde_json::from_str(&json.stdout).expect("plan json");
    let drift = value["drift"].as_array().expect("a drift array");
    let kinds: Vec<(&str, &str)> = drift
        .iter()
        .map(|d| {
            (
                d["task"].as_str().unwrap_or_default(),
                d["kind"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    let mut want = vec![
        (removed_task.as_str(), "taskMissing"),
        (updated_task.as_str(), "changed"),
    ];
    want.sort();
    assert_eq!(kinds, want, "{}", json.stdout);
    let changed = drift
        .iter()
        .find(|d| d["kind"] == "changed")
        .expect("changed");
    assert_eq!(changed["field"], "memory");
    assert_eq!(changed["expected"], "128 MiB");
    assert_eq!(changed["found"], "64 MiB");
    assert_eq!(changed["service"], "web");
    assert_eq!(changed["cluster"], cluster.name);
    assert_eq!(cluster.running("web").len(), 1, "plan changes nothing");

    // watch --no-self-heal: reported once each, nothing corrected.
    let mut watch = env.spawn(
        &[
            "watch",
            "--cluster",
            &cluster.name,
            "--no-self-heal",
            "--resync",
            "2s",
        ],
        &[],
    );
    wait_for("drift reported", Duration::from_secs(30), || {
        describe(&env)
            .matches("not corrected (--no-self-heal)")
            .count()
            >= 2
    });
    std::thread::sleep(Duration::from_secs(6));
    let text = describe(&env);
    assert!(
        text.contains("Drift (changed on the hosts by hand):"),
        "{text}"
    );
    assert_eq!(
        text.matches("drifted: container removed by hand; not corrected (--no-self-heal).")
            .count(),
        1,
        "once, not every pass:\n{text}"
    );
    assert!(
        text.contains("memory of `web` changed by hand (expected 128 MiB, found 64 MiB); not corrected (--no-self-heal)."),
        "{text}"
    );
    assert_eq!(
        cluster.running("web"),
        vec![updated.clone()],
        "left as found"
    );
    assert_eq!(memory(&updated), 64 * MIB);
    let status = env.run(&["status"]);
    assert_eq!(status.code, 0, "{}", status.stderr);
    assert!(
        status
            .stdout
            .contains("Drift (not corrected: --no-self-heal):")
            && status.stdout.contains(&format!("{}/web", cluster.name))
            && status.stdout.contains("found 64 MiB"),
        "status lists the drift left:\n{}",
        status.stdout
    );
    assert_eq!(watch.stop(), Some(0), "{}", watch.log());
    assert!(
        watch.log().contains("drifted: container removed by hand"),
        "{}",
        watch.log()
    );

    // The default corrects both: a replacement for the removed task, the changed one
    // replaced by a task with the task definition's memory.
    let reconcile = env.run(&["reconcile", "--cluster", &cluster.name]);
    assert_eq!(
        reconcile.code, 0,
        "{}\n{}",
        reconcile.stdout, reconcile.stderr
    );
    wait_for("drift corrected", Duration::from_secs(60), || {
        let now = cluster.running("web");
        now.len() == 2 && !now.contains(&updated) && now.iter().all(|id| memory(id) == 128 * MIB)
    });
    let text = describe(&env);
    assert!(
        text.contains(
            "drifted: container removed by hand; corrected: a replacement task is started."
        ),
        "{text}"
    );
    assert!(
        text.contains("(expected 128 MiB, found 64 MiB); corrected: the task is replaced."),
        "{text}"
    );
    let status = env.run(&["status"]);
    assert!(
        status.stdout.contains("Drift:      none left uncorrected"),
        "{}",
        status.stdout
    );
    let after = env.run(&["plan", "-f", "m", "--refresh", "--detailed-exitcode"]);
    assert_eq!(after.code, 0, "{}\n{}", after.stdout, after.stderr);
    assert!(after.stdout.contains("No drift"), "{}", after.stdout);
}
