//! Day-2 commands on a real Docker daemon: logs (merged, prefixed, followed across a task
//! replacement), exec exit codes, run-task exit codes, scale and rollback as events and drift.

mod common;

use std::time::Duration;

use common::Env;
use common::docker::{IMAGE, TestCluster, docker_ok, wait_for};

fn chatty(cluster: &TestCluster, count: u32, version: &str) -> String {
    format!(
        "{}apiVersion: ecsctl/v1
kind: TaskDefinition
metadata: {{ name: chatty }}
spec:
  containerDefinitions:
    - name: talker
      image: {IMAGE}
      command: [sh, -c, \"echo started {version} $HOSTNAME; for i in 1 2 3; do echo line $i of $HOSTNAME; sleep 0.3; done; echo warning on stderr >&2; trap 'exit 0' TERM; sleep 600 & wait\"]
      stopTimeout: 2
---
apiVersion: ecsctl/v1
kind: Service
metadata: {{ name: chatty, cluster: {} }}
spec: {{ desiredCount: {count} }}
",
        cluster.manifest(),
        cluster.name
    )
}

fn task_ids(env: &Env, cluster: &TestCluster) -> Vec<String> {
    let run = env.run(&["get", "tasks", "--cluster", &cluster.name, "-o", "json"]);
    let tasks: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
    tasks
        .as_array()
        .expect("list")
        .iter()
        .filter(|t| t["lastStatus"] == "RUNNING")
        .map(|t| t["id"].as_str().expect("id").to_string())
        .collect()
}

#[test]
fn logs_of_a_service_are_merged_in_time_order_with_prefixes() {
    let cluster = TestCluster::new("logs");
    let env = Env::new();
    env.write("m/c.yaml", &chatty(&cluster, 3, "v1"));
    assert_eq!(
        env.run(&["apply", "-f", "m", "--auto-approve", "--wait", "60s"])
            .code,
        0
    );
    std::thread::sleep(Duration::from_secs(2));
    let ids = task_ids(&env, &cluster);
    assert_eq!(ids.len(), 3);
    let run = env.run(&[
        "logs",
        "service/chatty",
        "--cluster",
        &cluster.name,
        "--timestamps",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        lines.len(),
        3 * 5,
        "five lines per task (four on stdout, one on stderr):\n{}",
        run.stdout
    );
    for id in &ids {
        let prefix = format!("chatty/{}/talker | ", &id[..6]);
        let mine: Vec<&&str> = lines.iter().filter(|l| l.starts_with(&prefix)).collect();
        assert_eq!(mine.len(), 5, "{prefix}: {}", run.stdout);
        assert!(
            mine.iter().any(|l| l.ends_with("warning on stderr")),
            "stderr is included"
        );
        assert!(
            mine.iter().any(|l| l.contains("line 3 of")),
            "{}",
            run.stdout
        );
    }
    // Merged in time order: the timestamps never go back.
    let times: Vec<String> = lines
        .iter()
        .map(|l| {
            l.split(" | ")
                .nth(1)
                .and_then(|rest| rest.split(' ').next())
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted, "lines are in time order");

    let tail = env.run(&[
        "logs",
        "chatty",
        "--cluster",
        &cluster.name,
        "--tail",
        "1",
        "-c",
        "talker",
    ]);
    assert_eq!(
        tail.stdout.lines().count(),
        3,
        "one line per container with --tail 1:\n{}",
        tail.stdout
    );
    let wrong = env.run(&["logs", "chatty", "--cluster", &cluster.name, "-c", "nope"]);
    assert_eq!(wrong.code, 1);
    assert!(
        wrong.stderr.contains("no container `nope`"),
        "{}",
        wrong.stderr
    );
}

#[test]
fn logs_follow_new_lines_and_replacement_tasks() {
    let cluster = TestCluster::new("follow");
    let env = Env::new();
    env.write("m/c.yaml", &chatty(&cluster, 1, "v1"));
    assert_eq!(
        env.run(&["apply", "-f", "m", "--auto-approve", "--wait", "60s"])
            .code,
        0
    );
    let mut watch = env.spawn(&["watch", "--cluster", &cluster.name], &[]);
    let mut follow = env.spawn(
        &["logs", "-f", "service/chatty", "--cluster", &cluster.name],
        &[],
    );
    // `--tail 0 -f`: only what comes next, not the history.
    let mut only_new = env.spawn(
        &[
            "logs",
            "-f",
            "--tail",
            "0",
            "service/chatty",
            "--cluster",
            &cluster.name,
        ],
        &[],
    );
    std::thread::sleep(Duration::from_secs(2));
    let first = cluster.running("chatty");
    assert_eq!(first.len(), 1);
    // A line written after the follow started.
    docker_ok(&[
        "exec",
        &first[0],
        "sh",
        "-c",
        "echo a-late-line > /proc/1/fd/1",
    ]);
    wait_for("the late line", Duration::from_secs(10), || {
        follow.log().contains("a-late-line") && only_new.log().contains("a-late-line")
    });
    only_new.stop();
    assert!(
        !only_new.log().contains("started v1"),
        "--tail 0 prints no history:\n{}",
        only_new.log()
    );
    // A task that replaces a killed one appears without restarting the command.
    let old_id = task_ids(&env, &cluster)[0].clone();
    docker_ok(&["kill", &first[0]]);
    wait_for(
        "the replacement's first line",
        Duration::from_secs(20),
        || {
            let log = follow.log();
            log.lines().any(|l| {
                l.starts_with("chatty/")
                    && !l.starts_with(&format!("chatty/{}", &old_id[..6]))
                    && l.contains("started v1")
            })
        },
    );
    // SIGINT ends it cleanly.
    // SAFETY: signalling our own child.
    unsafe { libc::kill(follow.child.id() as i32, libc::SIGINT) };
    let status = wait_exit(&mut follow.child);
    assert_eq!(
        status,
        Some(0),
        "logs -f ends cleanly on Ctrl-C:\n{}",
        follow.log()
    );
    watch.stop();
}

fn wait_exit(child: &mut std::process::Child) -> Option<i32> {
    for _ in 0..100 {
        if let Ok(Some(status)) = child.try_wait() {
            return status.code();
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    None
}

#[test]
fn exec_returns_the_commands_exit_code_and_output() {
    let cluster = TestCluster::new("exec");
    let env = Env::new();
    env.write("m/c.yaml", &chatty(&cluster, 2, "v1"));
    assert_eq!(
        env.run(&["apply", "-f", "m", "--auto-approve", "--wait", "60s"])
            .code,
        0
    );
    let id = task_ids(&env, &cluster)[0].clone();
    let run = env.run(&[
        "exec",
        &format!("task/{}", &id[..8]),
        "--",
        "sh",
        "-c",
        "echo out-$HOSTNAME; echo err >&2; exit 7",
    ]);
    assert_eq!(run.code, 7, "{}", run.stderr);
    assert!(
        run.stdout.starts_with("out-") && run.stdout.lines().count() == 1,
        "{}",
        run.stdout
    );
    assert!(run.stderr.contains("err"));
    let by_service = env.run(&[
        "exec",
        "service/chatty",
        "--cluster",
        &cluster.name,
        "--task-index",
        "1",
        "--",
        "true",
    ]);
    assert_eq!(by_service.code, 0, "{}", by_service.stderr);
    let out_of_range = env.run(&[
        "exec",
        "service/chatty",
        "--cluster",
        &cluster.name,
        "--task-index",
        "5",
        "--",
        "true",
    ]);
    assert_eq!(out_of_range.code, 1);
    assert!(
        out_of_range.stderr.contains("has 2 running tasks"),
        "{}",
        out_of_range.stderr
    );
    let missing = env.run(&[
        "exec",
        "task/zz9zz9",
        "--cluster",
        &cluster.name,
        "--",
        "true",
    ]);
    assert_eq!(missing.code, 1);
    assert_eq!(
        missing.stderr,
        format!("error: no task `zz9zz9` in cluster `{}`\n", cluster.name)
    );
}

#[test]
fn run_task_waits_and_exits_with_the_containers_code() {
    let cluster = TestCluster::new("runtask");
    let env = Env::new();
    env.write(
        "m/job.yaml",
        &format!(
            "{}apiVersion: ecsctl/v1\nkind: TaskDefinition\nmetadata: {{ name: migrate }}\nspec:\n  containerDefinitions:\n    - {{ name: job, image: {IMAGE}, command: [sh, -c, 'echo migrating; exit 0'] }}\n",
            cluster.manifest()
        ),
    );
    assert_eq!(
        env.run(&["apply", "-f", "m", "--auto-approve", "--wait", "30s"])
            .code,
        0
    );
    let ok = env.run(&["run-task", "migrate", "--cluster", &cluster.name, "--wait"]);
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    assert!(
        ok.stdout.contains("| migrating"),
        "the logs are streamed: {}",
        ok.stdout
    );
    let failing = env.run(&[
        "run-task",
        "migrate",
        "--cluster",
        &cluster.name,
        "--wait",
        "--",
        "sh",
        "-c",
        "echo boom; exit 5",
    ]);
    assert_eq!(failing.code, 5, "{}\n{}", failing.stdout, failing.stderr);
    assert!(failing.stdout.contains("| boom"));
    let overridden = env.run(&[
        "run-task",
        "migrate",
        "--cluster",
        &cluster.name,
        "--wait",
        "--override-command",
        "sh -c 'exit 3'",
    ]);
    assert_eq!(overridden.code, 3);
    // Stopped one-off tasks stay visible.
    let tasks = env.run(&["get", "tasks", "--cluster", &cluster.name, "-o", "json"]);
    let list: serde_json::Value = serde_json::from_str(&tasks.stdout).expect("json");
    let stopped = list
        .as_array()
        .expect("list")
        .iter()
        .filter(|t| t["lastStatus"] == "STOPPED")
        .count();
    assert_eq!(stopped, 3);
    // Stopped one-off tasks are cleaned after the retention (ECS keeps them about an hour).
    let clean = env.run(&[
        "reconcile",
        "--cluster",
        &cluster.name,
        "--task-retention",
        "1s",
        "--wait",
        "10s",
    ]);
    assert_eq!(clean.code, 0, "{}", clean.stderr);
    std::thread::sleep(Duration::from_secs(1));
    let _ = env.run(&[
        "reconcile",
        "--cluster",
        &cluster.name,
        "--task-retention",
        "1s",
        "--wait",
        "10s",
    ]);
    wait_for(
        "the stopped one-off tasks to be removed",
        Duration::from_secs(20),
        || {
            let tasks = env.run(&["get", "tasks", "--cluster", &cluster.name, "-o", "json"]);
            serde_json::from_str::<serde_json::Value>(&tasks.stdout)
                .map(|v| v.as_array().map_or(0, Vec::len))
                .unwrap_or(1)
                == 0
        },
    );
    // Without --wait it prints the task id and returns.
    let detached = env.run(&[
        "run-task",
        "migrate",
        "--cluster",
        &cluster.name,
        "--count",
        "2",
    ]);
    assert_eq!(detached.code, 0);
    assert_eq!(detached.stdout.lines().count(), 2);
}

#[test]
fn scale_and_rollback_are_events_and_drift() {
    let cluster = TestCluster::new("scale");
    let env = Env::new();
    env.write("m/c.yaml", &chatty(&cluster, 1, "v1"));
    assert_eq!(
        env.run(&["apply", "-f", "m", "--auto-approve", "--wait", "60s"])
            .code,
        0
    );
    env.write("m/c.yaml", &chatty(&cluster, 1, "v2"));
    assert_eq!(
        env.run(&["apply", "-f", "m", "--auto-approve", "--wait", "60s"])
            .code,
        0
    );

    let scale = env.run(&[
        "scale",
        "service/chatty",
        "2",
        "--cluster",
        &cluster.name,
        "--wait",
        "60s",
    ]);
    assert_eq!(scale.code, 0, "{}", scale.stderr);
    assert_eq!(cluster.running("chatty").len(), 2);
    let rollback = env.run(&[
        "rollback",
        "service/chatty",
        "--cluster",
        &cluster.name,
        "--wait",
        "60s",
    ]);
    assert_eq!(rollback.code, 0, "{}", rollback.stderr);
    let state = env.read_state().expect("state");
    assert_eq!(
        state
            .service(&cluster.name, "chatty")
            .expect("service")
            .task_definition
            .to_string(),
        "chatty:1"
    );

    let events = env.run(&["events", "service/chatty", "--cluster", &cluster.name]);
    assert!(
        events
            .stdout
            .contains("desired count changed from 1 to 2 by `ecsctl scale`."),
        "{}",
        events.stdout
    );
    assert!(
        events
            .stdout
            .contains("rolled back from chatty:2 to chatty:1 by `ecsctl rollback`"),
        "{}",
        events.stdout
    );
    let json = env.run(&["events", "chatty", "--cluster", &cluster.name, "-o", "json"]);
    let list: serde_json::Value = serde_json::from_str(&json.stdout).expect("json");
    assert!(
        list.as_array()
            .expect("list")
            .iter()
            .all(|e| e["service"] == "chatty" && e["createdAt"].is_string())
    );

    // The manifests stay the source of truth: plan shows the way back to them.
    let plan = env.run(&["plan", "-f", "m", "--detailed-exitcode"]);
    assert_eq!(plan.code, 2);
    assert!(
        plan.stdout.contains("~ desiredCount: 2 → 1"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains("rolling deployment chatty:1 → chatty:2"),
        "{}",
        plan.stdout
    );
    let missing = env.run(&["scale", "service/zz9", "3", "--cluster", &cluster.name]);
    assert_eq!(missing.code, 1);
    assert_eq!(
        missing.stderr,
        format!("error: no service `zz9` in cluster `{}`\n", cluster.name)
    );
}

/// ECS's `--desired-status` filter: RUNNING first by default, one status when asked.
#[test]
fn get_tasks_filters_by_desired_status_running_first() {
    let cluster = TestCluster::new("desired");
    let env = Env::new();
    env.write(
        "m/c.yaml",
        &format!(
            "{}---\napiVersion: ecsctl/v1\nkind: TaskDefinition\nmetadata: {{ name: once }}\nspec:\n  containerDefinitions:\n    - {{ name: job, image: {IMAGE}, command: [sh, -c, 'exit 0'] }}\n",
            chatty(&cluster, 1, "v1")
        ),
    );
    assert_eq!(
        env.run(&["apply", "-f", "m", "--auto-approve", "--wait", "60s"])
            .code,
        0
    );
    let job = env.run(&["run-task", "once", "--cluster", &cluster.name, "--wait"]);
    assert_eq!(job.code, 0, "{}", job.stderr);
    let list = |extra: &[&str]| -> Vec<(String, String)> {
        let mut args = vec!["get", "tasks", "--cluster", &cluster.name, "-o", "json"];
        args.extend_from_slice(extra);
        let run = env.run(&args);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let tasks: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
        tasks
            .as_array()
            .expect("list")
            .iter()
            .map(|t| {
                (
                    t["desiredStatus"].as_str().unwrap_or_default().to_string(),
                    t["taskDefinition"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect()
    };
    let both = list(&[]);
    assert_eq!(
        both.iter().map(|(d, _)| d.as_str()).collect::<Vec<_>>(),
        ["RUNNING", "STOPPED"],
        "{both:?}"
    );
    assert_eq!(
        list(&["--desired-status", "STOPPED"]),
        [("STOPPED".to_string(), "once:1".to_string())]
    );
    assert_eq!(
        list(&["--desired-status", "RUNNING"]),
        [("RUNNING".to_string(), "chatty:1".to_string())]
    );
}

/// `port` gives an address that works (`docker port` prints `0.0.0.0:32769` and `[::]:32769`,
/// which curl refuses), for every running task.
#[test]
fn port_prints_a_reachable_address_per_task() {
    let cluster = TestCluster::new("port");
    let env = Env::new();
    env.write(
        "m/web.yaml",
        &format!(
            "{}apiVersion: ecsctl/v1\nkind: TaskDefinition\nmetadata: {{ name: web }}\nspec:\n  containerDefinitions:\n    - name: web\n      image: {IMAGE}\n      command: [sh, -c, \"echo hello from $HOSTNAME > /tmp/index.html; httpd -f -p 8080 -h /tmp & trap 'exit 0' TERM; wait\"]\n      portMappings: [{{ containerPort: 8080, hostPort: 0 }}]\n      stopTimeout: 2\n---\napiVersion: ecsctl/v1\nkind: Service\nmetadata: {{ name: web, cluster: {} }}\nspec: {{ desiredCount: 2 }}\n",
            cluster.manifest(),
            cluster.name
        ),
    );
    assert_eq!(
        env.run(&["apply", "-f", "m", "--auto-approve", "--wait", "60s"])
            .code,
        0
    );
    let port = env.run(&["port", "svc/web", "8080", "--cluster", &cluster.name]);
    assert_eq!(port.code, 0, "{}", port.stderr);
    let addresses: Vec<&str> = port.stdout.lines().collect();
    assert_eq!(addresses.len(), 2, "{}", port.stdout);
    let mut answers = std::collections::BTreeSet::new();
    for address in addresses {
        assert!(address.starts_with("127.0.0.1:"), "{address}");
        let mut body = String::new();
        for _ in 0..50 {
            use std::io::{Read, Write};
            if let Ok(mut stream) = std::net::TcpStream::connect(address) {
                let _ = stream.write_all(b"GET /index.html HTTP/1.0\r\n\r\n");
                let _ = stream.read_to_string(&mut body);
                if body.contains("hello from") {
                    break;
                }
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        assert!(body.contains("hello from"), "{address}: {body}");
        answers.insert(body.lines().last().unwrap_or_default().to_string());
    }
    assert_eq!(
        answers.len(),
        2,
        "each address reaches its own task: {answers:?}"
    );
    let json = env.run(&[
        "port",
        "service",
        "web",
        "--cluster",
        &cluster.name,
        "-o",
        "json",
    ]);
    let list: serde_json::Value = serde_json::from_str(&json.stdout).expect("json");
    assert_eq!(list[0]["containerPort"], 8080);
    assert_eq!(list[0]["container"], "web");
}

/// An image-only deploy from a pipeline: CodePipeline's imagedefinitions.json becomes a new
/// revision of the service's task definition, and the service rolls to it.
#[test]
fn deploy_rolls_a_service_to_a_pipelines_images() {
    let cluster = TestCluster::new("deploy");
    let env = Env::new();
    let tag = "ecsctl-test/busybox:deployed";
    docker_ok(&["tag", IMAGE, tag]);
    env.write("m/c.yaml", &chatty(&cluster, 2, "v1"));
    assert_eq!(
        env.run(&["apply", "-f", "m", "--auto-approve", "--wait", "60s"])
            .code,
        0
    );
    env.write(
        "imagedefinitions.json",
        &format!(r#"[{{"name": "talker", "imageUri": "{tag}"}}]"#),
    );
    let refused = env.run(&[
        "deploy",
        "svc/chatty",
        "-f",
        "imagedefinitions.json",
        "--cluster",
        &cluster.name,
    ]);
    assert_eq!(refused.code, 1, "no terminal, no --auto-approve");
    let deploy = env.run(&[
        "deploy",
        "svc",
        "chatty",
        "-f",
        "imagedefinitions.json",
        "--cluster",
        &cluster.name,
        "--auto-approve",
        "--wait",
        "60s",
    ]);
    assert_eq!(deploy.code, 0, "{}\n{}", deploy.stdout, deploy.stderr);
    assert!(
        deploy.stdout.contains("chatty:1 → chatty:2"),
        "{}",
        deploy.stdout
    );
    let running = cluster.running("chatty");
    assert_eq!(running.len(), 2);
    for id in &running {
        let inspect = common::docker::inspect(id);
        assert_eq!(
            inspect["Config"]["Image"], tag,
            "every task runs the pipeline's image"
        );
    }
    // The manifests stay the source of truth: plan shows the way back to them.
    let plan = env.run(&["plan", "-f", "m", "--detailed-exitcode"]);
    assert_eq!(plan.code, 2, "{}", plan.stdout);
    let again = env.run(&[
        "deploy",
        "svc/chatty",
        "-f",
        "imagedefinitions.json",
        "--cluster",
        &cluster.name,
    ]);
    assert_eq!(again.code, 0, "nothing to change: {}", again.stderr);
    assert!(
        again.stderr.contains("already runs these images"),
        "{}",
        again.stderr
    );
    env.write("imageDetail.json", &format!(r#"{{"ImageURI": "{tag}"}}"#));
    let wrong = env.run(&[
        "deploy",
        "svc/chatty",
        "-f",
        "imageDetail.json",
        "--cluster",
        &cluster.name,
        "-c",
        "x",
    ]);
    assert_eq!(wrong.code, 1);
    assert!(
        wrong.stderr.contains("no container `x`"),
        "{}",
        wrong.stderr
    );
    env.write(
        "imagedefinitions.json",
        r#"[{"name": "nope", "imageUri": "x"}]"#,
    );
    let unknown = env.run(&[
        "deploy",
        "svc/chatty",
        "-f",
        "imagedefinitions.json",
        "--cluster",
        &cluster.name,
        "--auto-approve",
    ]);
    assert_eq!(unknown.code, 1);
    assert!(
        unknown.stderr.contains("no container `nope`"),
        "{}",
        unknown.stderr
    );
    let _ = common::docker::docker(&["rmi", tag]);
}

/// Regression: a task removed after the retention was "no task … in any cluster"; it now
/// says it aged out, with the event that names it.
#[test]
fn describe_task_says_a_removed_task_aged_out() {
    let cluster = TestCluster::new("aged");
    let env = Env::new();
    env.write("m/c.yaml", &chatty(&cluster, 1, "v1"));
    assert_eq!(
        env.run(&["apply", "-f", "m", "--auto-approve", "--wait", "60s"])
            .code,
        0
    );
    let ids = task_ids(&env, &cluster);
    assert_eq!(ids.len(), 1);
    let scale = env.run(&[
        "scale",
        "svc",
        "chatty",
        "0",
        "--cluster",
        &cluster.name,
        "--wait",
        "60s",
    ]);
    assert_eq!(scale.code, 0, "{}", scale.stderr);
    let kept = env.run(&["describe", "task", &ids[0], "--cluster", &cluster.name]);
    assert_eq!(
        kept.code, 0,
        "a stopped task stays visible: {}",
        kept.stderr
    );
    let reconcile = env.run(&[
        "reconcile",
        "--cluster",
        &cluster.name,
        "--task-retention",
        "0s",
        "--wait",
        "20s",
    ]);
    assert_eq!(reconcile.code, 0, "{}", reconcile.stderr);
    wait_for("the stopped task removed", Duration::from_secs(20), || {
        cluster.containers(&[], true).is_empty()
    });
    let gone = env.run(&["describe", "task", &ids[0], "--cluster", &cluster.name]);
    assert_eq!(gone.code, 1);
    assert!(
        gone.stderr
            .contains("is gone: it stopped and its containers were removed")
            && gone.stderr.contains("has stopped"),
        "{}",
        gone.stderr
    );
}

/// A finished one-off task is removed after the retention by whichever reconciler runs next,
/// `apply` included (it stayed until `reconcile --task-retention 1s`).
#[test]
fn finished_one_off_tasks_are_cleaned_up_by_the_next_apply() {
    let cluster = TestCluster::new("oneoff");
    let env = Env::new();
    env.write(
        "m/job.yaml",
        &format!(
            "{}apiVersion: ecsctl/v1\nkind: TaskDefinition\nmetadata: {{ name: job }}\nspec:\n  containerDefinitions:\n    - {{ name: job, image: {IMAGE}, command: [sh, -c, 'echo done'] }}\n",
            cluster.manifest()
        ),
    );
    assert_eq!(
        env.run(&["apply", "-f", "m", "--auto-approve", "--wait", "30s"])
            .code,
        0
    );
    let job = env.run(&["run-task", "job", "--cluster", &cluster.name, "--wait"]);
    assert_eq!(job.code, 0, "{}", job.stderr);
    assert_eq!(
        cluster.containers(&[], true).len(),
        1,
        "kept for the retention"
    );
    let apply = env.run(&[
        "apply",
        "-f",
        "m",
        "--auto-approve",
        "--wait",
        "30s",
        "--task-retention",
        "0s",
    ]);
    assert_eq!(apply.code, 0, "{}", apply.stderr);
    wait_for("the finished task removed", Duration::from_secs(20), || {
        cluster.containers(&[], true).is_empty()
    });
}

/// Issue 9: the watch log says why a replacement started, as ECS's events do: the stop
/// reason, the exit code of the container that exited, and the task that replaces it.
#[test]
fn watch_says_why_a_replacement_started() {
    let cluster = TestCluster::new("why");
    let env = Env::new();
    env.write(
        "m/c.yaml",
        &format!(
            "{}apiVersion: ecsctl/v1
kind: TaskDefinition
metadata: {{ name: crashy }}
spec:
  containerDefinitions:
    - name: app
      image: {IMAGE}
      command: [sh, -c, \"trap 'exit 0' TERM; trap 'exit 3' USR1; sleep 600 & wait; sleep 600 & wait\"]
      stopTimeout: 2
---
apiVersion: ecsctl/v1
kind: Service
metadata: {{ name: crashy, cluster: {} }}
spec: {{ desiredCount: 1 }}
",
            cluster.manifest(),
            cluster.name
        ),
    );
    let apply = env.run(&["apply", "-f", "m", "--auto-approve", "--wait", "60s"]);
    assert_eq!(apply.code, 0, "{}", apply.stderr);
    let mut watch = env.spawn(&["watch", "-f", "m", "--cluster", &cluster.name], &[]);
    wait_for("the watch to start", Duration::from_secs(20), || {
        watch.log().contains("watching")
    });

    // The application exits with code 3 by itself.
    let first = task_ids(&env, &cluster)[0].clone();
    let container = cluster.running("crashy")[0].clone();
    docker_ok(&["kill", "--signal", "USR1", &container]);
    let exited = format!(
        "(service crashy) (task {}) stopped: Essential container in task exited (exit code 3); \
         starting a replacement (task ",
        &first[..12]
    );
    wait_for(
        "the exit and its replacement",
        Duration::from_secs(30),
        || watch.log().contains(&exited),
    );
    wait_for("the replacement to run", Duration::from_secs(30), || {
        let now = task_ids(&env, &cluster);
        now.len() == 1 && now[0] != first
    });
    let second = task_ids(&env, &cluster)[0].clone();
    let log = watch.log();
    let line = log
        .lines()
        .find(|l| l.contains(&exited))
        .expect("the line is there");
    assert!(
        line.ends_with(&format!("(task {}).", &second[..12])),
        "the line names the task that replaced it: {line}\n{log}"
    );

    // Killed from outside: SIGKILL's 137.
    docker_ok(&["kill", &cluster.running("crashy")[0]]);
    let killed = format!(
        "(service crashy) (task {}) stopped: Essential container in task exited (exit code 137); \
         starting a replacement (task ",
        &second[..12]
    );
    wait_for(
        "the kill and its replacement",
        Duration::from_secs(30),
        || watch.log().contains(&killed),
    );
    assert_eq!(
        watch.log().matches(&exited).count(),
        1,
        "each stop is told once:\n{}",
        watch.log()
    );
    wait_for(
        "the second replacement to run",
        Duration::from_secs(30),
        || {
            let now = task_ids(&env, &cluster);
            now.len() == 1 && now[0] != second
        },
    );

    // A manifest change: the deployment it starts is told before the tasks it starts.
    let text = std::fs::read_to_string(env.path("m/c.yaml")).expect("manifest");
    env.write(
        "m/c.yaml",
        &text.replace("stopTimeout: 2", "stopTimeout: 3"),
    );
    wait_for(
        "the new deployment to complete",
        Duration::from_secs(40),
        || watch.log().contains("deployment completed."),
    );
    let log = watch.log();
    let after = &log[log.find("manifests changed").expect("the change is seen")..];
    let deployment = after
        .find("started deployment")
        .expect("the deployment is told");
    let started = after.find("has started 1 task").expect("its task is told");
    assert!(deployment < started, "{after}");
    wait_for("the rolled task to run", Duration::from_secs(30), || {
        task_ids(&env, &cluster).len() == 1
    });
    watch.stop();
    assert!(
        watch
            .log()
            .contains("stopped watching; 1 task keeps running"),
        "{}",
        watch.log()
    );
}
