//! Scheduled tasks on the rig (three real Docker hosts over SSH): a `rate(1 minute)` schedule
//! under `ecsctl watch` runs twice, each run a standalone task like `run-task`'s, and both
//! exit codes are recorded for `get scheduledtasks`.

mod common;

use std::time::Duration;

use common::docker::{IMAGE, wait_for};
use common::rig::RigCluster;
use common::{Env, Run};
use serde_json::Value;

fn ecsctl(env: &Env, cluster: &RigCluster, args: &[&str]) -> Run {
    env.run_with(args, &[("ECSCTL_SSH", cluster.rig.ssh())])
}

fn scheduled_tasks(env: &Env, cluster: &RigCluster) -> Value {
    let get = ecsctl(
        env,
        cluster,
        &[
            "get",
            "scheduledtasks",
            "--cluster",
            &cluster.name,
            "-o",
            "json",
        ],
    );
    assert_eq!(get.code, 0, "{}", get.stderr);
    serde_json::from_str(&get.stdout).expect("get -o json is JSON")
}

#[test]
fn a_rate_schedule_runs_every_minute_under_watch_and_keeps_exit_codes() {
    let cluster = RigCluster::new("sched");
    let env = Env::new();
    let counter = env.dir.path().join("counter");
    std::fs::create_dir_all(&counter).expect("dir");
    // Each run counts itself in a host directory: the first exits 0, the second 3.
    env.write(
        "m/all.yaml",
        &format!(
            "{}apiVersion: ecsctl/v1
kind: TaskDefinition
metadata: {{ name: job }}
spec:
  volumes: [{{ name: counter, host: {{ sourcePath: {counter} }} }}]
  containerDefinitions:
    - name: app
      image: {IMAGE}
      entryPoint: [sh, -c]
      command: ['exit 9']
      mountPoints: [{{ sourceVolume: counter, containerPath: /counter }}]
---
apiVersion: ecsctl/v1
kind: ScheduledTask
metadata: {{ name: every-minute, cluster: {cluster} }}
spec:
  scheduleExpression: rate(1 minute)
  taskDefinition: job
  overrides:
    containerOverrides:
      - name: app
        command: ['n=$(($(cat /counter/n 2>/dev/null || echo 0) + 1)); echo $n > /counter/n; echo run $n of $RUN; [ $n -eq 1 ] || exit 3']
        environment: [{{ name: RUN, value: scheduled }}]
",
            cluster.rig.cluster(&cluster.name, ""),
            counter = counter.display(),
            cluster = cluster.name,
        ),
    );
    let plan = ecsctl(&env, &cluster, &["plan", "-f", "m"]);
    assert!(
        plan.stdout
            .contains(&format!("+ scheduled task {}/every-minute", cluster.name)),
        "{}",
        plan.stdout
    );
    let mut watch = env.spawn(
        &["watch", "-f", "m", "--cluster", &cluster.name],
        &[("ECSCTL_SSH", cluster.rig.ssh())],
    );
    wait_for("the watch to start", Duration::from_secs(30), || {
        watch.log().contains("watching")
    });
    let before = scheduled_tasks(&env, &cluster);
    assert_eq!(before[0]["name"], "every-minute");
    assert_eq!(before[0]["state"], "ENABLED");
    assert!(before[0]["nextRun"].is_string(), "{before}");
    assert_eq!(before[0]["runs"], serde_json::json!([]));

    wait_for(
        "two runs, each with its exit code",
        Duration::from_secs(240),
        || {
            let view = scheduled_tasks(&env, &cluster);
            view[0]["runs"].as_array().is_some_and(|runs| {
                runs.len() >= 2 && runs.iter().take(2).all(|r| !r["exitCode"].is_null())
            })
        },
    );
    let view = scheduled_tasks(&env, &cluster);
    let runs = view[0]["runs"].as_array().expect("runs");
    let codes: Vec<(i64, &str)> = runs
        .iter()
        .take(2)
        .map(|r| {
            (
                r["exitCode"].as_i64().unwrap_or(-1),
                r["status"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(codes, [(0, "SUCCEEDED"), (3, "FAILED")], "{view:#}");
    for run in runs.iter().take(2) {
        assert_eq!(run["tasks"].as_array().map(Vec::len), Some(1), "{run}");
    }
    let first = runs[0]["scheduledAt"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let second = runs[1]["scheduledAt"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(first < second, "{first} then {second}");
    assert!(
        view[0]["nextRun"].as_str().unwrap_or_default() > second.as_str(),
        "{view:#}"
    );
    if runs.len() == 2 {
        assert_eq!(view[0]["lastExitCode"], 3, "{view:#}");
    }

    // The runs are tasks started by the schedule, with their logs.
    let task = runs[0]["tasks"][0].as_str().unwrap_or_default().to_string();
    let tasks = ecsctl(
        &env,
        &cluster,
        &["get", "tasks", "--cluster", &cluster.name, "-o", "json"],
    );
    assert!(
        tasks.stdout.contains("ecsctl-schedule/every-minute"),
        "{}",
        tasks.stdout
    );
    let logs = ecsctl(
        &env,
        &cluster,
        &["logs", &format!("task/{task}"), "--cluster", &cluster.name],
    );
    assert!(
        logs.stdout.contains("run 1 of scheduled"),
        "{}\n{}",
        logs.stdout,
        logs.stderr
    );

    // What happened is in the watch's log and in the events.
    let log = watch.log();
    assert!(
        log.contains("(scheduled task every-minute) started the run of"),
        "{log}"
    );
    assert!(log.contains("ended with exit code 3."), "{log}");
    let describe = ecsctl(
        &env,
        &cluster,
        &["describe", "st", "every-minute", "--cluster", &cluster.name],
    );
    assert_eq!(describe.code, 0, "{}", describe.stderr);
    assert!(
        describe.stdout.contains("Last exit code:"),
        "{}",
        describe.stdout
    );
    assert!(
        describe.stdout.contains("ended with exit code 0."),
        "{}",
        describe.stdout
    );
    assert_eq!(watch.stop(), Some(0), "{}", watch.log());
}
