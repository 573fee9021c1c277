//! The declarative core through the real binary: validate, plan, apply, get, describe,
//! saved plans, locks, exit codes. No Docker involved.

mod common;

use common::{Env, repo_root};

const WEB_V1: &str = "apiVersion: ecsctl/v1
kind: TaskDefinition
metadata:
  name: web
spec:
  containerDefinitions:
    - name: web
      image: nginx:1.26
      portMappings: [{ containerPort: 80, hostPort: 0 }]
---
apiVersion: ecsctl/v1
kind: Service
metadata:
  name: web
spec:
  desiredCount: 3
";

fn filters() -> Vec<(&'static str, &'static str)> {
    vec![
        (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", "[TIME]"),
        (r"ecs-svc/\d{19}", "ecs-svc/[ID]"),
        (r"/tmp/\.tmp\w+", "[DIR]"),
        (r"\b\d+s\b", "[AGE]"),
    ]
}

#[test]
fn validate_reports_every_error_with_location_and_help() {
    let env = Env::new();
    env.write(
        "m/web.yaml",
        "apiVersion: ecsctl/v1
kind: TaskDefinition
metadata:
  name: web
spec:
  cpu: 1 core
  containerDefinitions:
    - name: web
      image: nginx
      esential: true
      memory: 128
      memoryReservation: 256
      portMappings:
        - containerPort: 80
          hostPort: \"8080\"
      dependsOn: [{ containerName: db, condition: START }]
",
    );
    env.write(
        "m/svc.yaml",
        "apiVersion: ecsctl/v1
kind: Service
metadata: { name: api }
spec:
  taskDefinition: wbe
  desiredCount: 2
",
    );
    let run = env.run(&["validate", "-f", "m"]);
    assert_eq!(run.code, 1);
    assert_eq!(run.stdout, "");
    insta::with_settings!({ filters => filters() }, {
        insta::assert_snapshot!(run.stderr);
    });
    assert!(env.read_state().is_none(), "validate writes nothing");
}

/// Guards the reading of files written for the ECS API by Go and Python tools: integers as
/// strings and keys in another case are read, with warnings, and the file is valid.
#[test]
fn validate_reads_string_numbers_and_keys_in_another_case_with_warnings() {
    let env = Env::new();
    env.write(
        "web.json",
        r#"{
  "family": "web",
  "containerDefinitions": [
    {
      "name": "web",
      "image": "nginx:1.27",
      "memory": "128",
      "portMappings": [{ "containerPort": "80" }]
    }
  ],
  "Tags": [{ "key": "team", "value": "web" }]
}
"#,
    );
    let run = env.run(&["validate", "-f", "web.json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "Valid: 1 file: 0 clusters, 1 task definition, 0 services.\n"
    );
    insta::with_settings!({ filters => filters() }, {
        insta::assert_snapshot!(run.stderr);
    });
}

#[test]
fn validate_json_output_is_data() {
    let env = Env::new();
    env.write("web.yaml", WEB_V1);
    let run = env.run(&["validate", "-f", "web.yaml", "-o", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
    assert_eq!(report["valid"], true);
    assert_eq!(report["taskDefinitions"], 1);
    assert_eq!(report["services"], 1);
}

#[test]
fn the_example_manifests_validate() {
    let env = Env::new();
    let dir = repo_root().join("manifests");
    let run = env.run(&["validate", "-f", dir.to_str().expect("utf-8 path")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .starts_with("Valid: 3 files: 1 cluster, 2 task definitions, 2 services, 1 target group, 1 load balancer."),
        "{}",
        run.stdout
    );
}

#[test]
fn plan_apply_plan_is_idempotent_with_detailed_exit_codes() {
    let env = Env::new();
    env.write("web.yaml", WEB_V1);
    let plan = env.run(&["plan", "-f", "web.yaml", "--detailed-exitcode"]);
    assert_eq!(plan.code, 2, "{}", plan.stderr);
    assert!(
        plan.stdout
            .ends_with("Plan: 2 to add, 0 to change, 0 to destroy.\n")
    );

    let apply = env.run(&["apply", "--no-converge", "-f", "web.yaml", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.stderr);
    assert!(
        apply
            .stdout
            .contains("Apply complete! Resources: 2 added, 0 changed, 0 destroyed.")
    );
    let state = env.read_state().expect("state written");
    assert_eq!(state.serial, 1);

    let again = env.run(&["plan", "-f", "web.yaml", "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "{}", again.stdout);
    assert!(again.stdout.starts_with("No changes."));
    let reapply = env.run(&["apply", "--no-converge", "-f", "web.yaml", "--auto-approve"]);
    assert_eq!(reapply.code, 0);
    assert_eq!(
        env.read_state().expect("state").serial,
        1,
        "nothing changed, nothing written"
    );
}

#[test]
fn a_new_revision_shows_the_rolling_deployment() {
    let env = Env::new();
    env.write("web.yaml", WEB_V1);
    assert_eq!(
        env.run(&["apply", "--no-converge", "-f", "web.yaml", "--auto-approve"])
            .code,
        0
    );
    env.write(
        "web.yaml",
        &WEB_V1
            .replace("nginx:1.26", "nginx:1.27")
            .replace("desiredCount: 3", "desiredCount: 4"),
    );
    let plan = env.run(&["plan", "-f", "web.yaml"]);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    insta::assert_snapshot!(plan.stdout);

    let json = env.run(&["plan", "-f", "web.yaml", "-o", "json"]);
    let plan: serde_json::Value = serde_json::from_str(&json.stdout).expect("json plan");
    assert_eq!(plan["summary"]["change"], 2);
    assert_eq!(plan["changes"][0]["revision"]["to"], 2);
    assert_eq!(plan["changes"][1]["deployment"]["from"], "web:1");
    assert_eq!(plan["changes"][1]["deployment"]["to"], "web:2");
    assert_eq!(plan["changes"][1]["deployment"]["maximumRunning"], 8);

    assert_eq!(
        env.run(&["apply", "--no-converge", "-f", "web.yaml", "--auto-approve"])
            .code,
        0
    );
    let describe = env.run(&["describe", "taskdef", "web:1"]);
    assert_eq!(describe.code, 0, "{}", describe.stderr);
    assert!(
        describe.stdout.contains("image: nginx:1.26"),
        "old revisions stay readable"
    );
    let get = env.run(&["get", "taskdefs", "-o", "json"]);
    let list: serde_json::Value = serde_json::from_str(&get.stdout).expect("json");
    assert_eq!(list[0]["revision"], 2);
    assert_eq!(list[0]["revisions"], 2);
}

#[test]
fn apply_without_a_terminal_needs_auto_approve_and_changes_nothing() {
    let env = Env::new();
    env.write("web.yaml", WEB_V1);
    let run = env.run(&["apply", "--no-converge", "-f", "web.yaml"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("stdin is not a terminal: pass --auto-approve"),
        "{}",
        run.stderr
    );
    assert!(env.read_state().is_none());
}

#[test]
fn invalid_manifests_change_nothing() {
    let env = Env::new();
    env.write("web.yaml", WEB_V1);
    assert_eq!(
        env.run(&["apply", "--no-converge", "-f", "web.yaml", "--auto-approve"])
            .code,
        0
    );
    let before = std::fs::read(env.state_dir().join("state.json")).expect("state");
    env.write(
        "web.yaml",
        &WEB_V1.replace("desiredCount: 3", "desiredCount: three"),
    );
    let run = env.run(&["apply", "--no-converge", "-f", "web.yaml", "--auto-approve"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("expected an integer, found the string `\"three\"`")
    );
    let after = std::fs::read(env.state_dir().join("state.json")).expect("state");
    assert_eq!(before, after);
}

#[test]
fn saved_plans_apply_once_and_are_refused_after_the_state_moved() {
    let env = Env::new();
    env.write("web.yaml", WEB_V1);
    let plan = env.run(&["plan", "-f", "web.yaml", "--out", "plan.json"]);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    let stale = env.path("stale.json");
    std::fs::copy(env.path("plan.json"), &stale).expect("copy");
    let apply = env.run(&["apply", "--no-converge", "plan.json"]);
    assert_eq!(apply.code, 0, "{}", apply.stderr);
    assert_eq!(env.read_state().expect("state").serial, 1);
    let refused = env.run(&["apply", "--no-converge", stale.to_str().expect("path")]);
    assert_eq!(refused.code, 1);
    assert!(
        refused.stderr.contains(
            "the state changed since this plan was made (plan: serial 0, state: serial 1)"
        ),
        "{}",
        refused.stderr
    );
    assert_eq!(env.read_state().expect("state").serial, 1);
}

#[test]
fn a_second_writer_is_told_who_holds_the_lock_or_waits() {
    let env = Env::new();
    env.write("web.yaml", WEB_V1);
    let store = ecsctl::state::store::StateDir::open(env.state_dir()).expect("state dir");
    let held = store.lock_state(std::time::Duration::ZERO).expect("lock");
    let run = env.run(&["apply", "--no-converge", "-f", "web.yaml", "--auto-approve"]);
    assert_eq!(run.code, 1);
    let me = format!("the state is locked by pid {} on ", std::process::id());
    assert!(run.stderr.contains(&me), "{}", run.stderr);

    let child = env
        .command(&[
            "apply",
            "--no-converge",
            "-f",
            "web.yaml",
            "--auto-approve",
            "--lock-timeout",
            "20s",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    std::thread::sleep(std::time::Duration::from_millis(400));
    drop(held);
    let output = child.wait_with_output().expect("wait");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(env.read_state().expect("state").serial, 1);
}

#[test]
fn state_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new();
    env.write("web.yaml", WEB_V1);
    assert_eq!(
        env.run(&["apply", "--no-converge", "-f", "web.yaml", "--auto-approve"])
            .code,
        0
    );
    let mode =
        |p: std::path::PathBuf| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
    assert_eq!(mode(env.state_dir()), 0o700);
    assert_eq!(mode(env.state_dir().join("state.json")), 0o600);
    assert_eq!(
        mode(env.state_dir().join("runtime").join("default.json")),
        0o600
    );
}

#[test]
fn prune_deletes_and_without_it_objects_are_kept() {
    let env = Env::new();
    env.write("m/web.yaml", WEB_V1);
    env.write(
        "m/api.yaml",
        "apiVersion: ecsctl/v1\nkind: Service\nmetadata: {name: api}\nspec: {taskDefinition: web, desiredCount: 1}\n",
    );
    assert_eq!(
        env.run(&["apply", "--no-converge", "-f", "m", "--auto-approve"])
            .code,
        0
    );
    std::fs::remove_file(env.path("m/api.yaml")).expect("rm");
    let kept = env.run(&["plan", "-f", "m", "--detailed-exitcode"]);
    assert_eq!(kept.code, 0);
    assert!(kept.stdout.contains("Kept (in the state but not in the manifests; `--prune` would delete them):\n    service default/api"));
    let pruned = env.run(&["plan", "-f", "m", "--prune", "--detailed-exitcode"]);
    assert_eq!(pruned.code, 2);
    assert!(
        pruned
            .stdout
            .contains("  - service default/api\n      stop its tasks, then forget it")
    );
}

#[test]
fn get_and_describe() {
    let env = Env::new();
    env.write("web.yaml", WEB_V1);
    assert_eq!(
        env.run(&["apply", "--no-converge", "-f", "web.yaml", "--auto-approve"])
            .code,
        0
    );
    let services = env.run(&["get", "services"]);
    insta::with_settings!({ filters => filters() }, {
        insta::assert_snapshot!("get_services", services.stdout);
    });
    // The embedded default cluster: one host, the local daemon (asked live: ACTIVE when a
    // daemon answers here, UNREACHABLE when none does).
    let hosts = env.run(&["get", "hosts", "-o", "json"]);
    let list: serde_json::Value = serde_json::from_str(&hosts.stdout).expect("json");
    let list = list.as_array().expect("a list");
    assert_eq!(list.len(), 1, "{}", hosts.stdout);
    assert_eq!(
        (&list[0]["cluster"], &list[0]["name"], &list[0]["endpoint"]),
        (&"default".into(), &"local".into(), &"local".into())
    );
    assert!(
        ["ACTIVE", "UNREACHABLE"].contains(&list[0]["status"].as_str().unwrap_or_default()),
        "{}",
        hosts.stdout
    );
    let describe = env.run(&["describe", "service", "web"]);
    insta::with_settings!({ filters => filters() }, {
        insta::assert_snapshot!("describe_service", describe.stdout);
    });
    let missing = env.run(&["describe", "service", "wbe"]);
    assert_eq!(missing.code, 1);
    assert_eq!(
        missing.stderr,
        "error: no service `wbe` in any cluster; did you mean `web`?\n"
    );
    let yaml = env.run(&["get", "services", "-o", "yaml"]);
    assert!(yaml.stdout.contains("desiredCount: 3"));
}

#[test]
fn usage_errors_exit_one_and_help_exits_zero() {
    let env = Env::new();
    assert_eq!(env.run(&["plan"]).code, 1);
    assert_eq!(env.run(&["frobnicate"]).code, 1);
    assert_eq!(env.run(&["--help"]).code, 0);
    assert_eq!(env.run(&["--version"]).code, 0);
}

#[test]
fn manifests_from_stdin() {
    use std::io::Write;
    let env = Env::new();
    let mut child = env
        .command(&["validate", "-f", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(WEB_V1.as_bytes())
        .expect("write");
    let output = child.wait_with_output().expect("wait");
    assert!(output.status.success());
    assert!(String::from_utf8_lossy(&output.stdout).contains("1 task definition, 1 service."));
}

#[test]
fn shipped_completions_and_man_page_are_current() {
    let env = Env::new();
    for (shell, file) in [
        ("bash", "ecsctl.bash"),
        ("zsh", "_ecsctl"),
        ("fish", "ecsctl.fish"),
    ] {
        let run = env.run(&["completion", shell]);
        assert_eq!(run.code, 0);
        let shipped = std::fs::read_to_string(repo_root().join("completions").join(file))
            .unwrap_or_else(|_| panic!("completions/{file} is missing: run `ecsctl completion {shell} > completions/{file}`"));
        assert!(
            shipped == run.stdout,
            "completions/{file} is stale: run `ecsctl completion {shell} > completions/{file}`"
        );
    }
    let man = env.run(&["man"]);
    let shipped = std::fs::read_to_string(repo_root().join("completions/ecsctl.1"))
        .expect("completions/ecsctl.1");
    assert!(
        shipped == man.stdout,
        "completions/ecsctl.1 is stale: run `ecsctl man > completions/ecsctl.1`"
    );
}

/// The main man page refers to `ecsctl-plan(1)` and its siblings: each one is shipped, and
/// current.
#[test]
fn every_subcommand_has_its_shipped_man_page() {
    let env = Env::new();
    let main = env.run(&["man"]).stdout;
    for name in ["plan", "apply", "watch", "get", "delete", "logs"] {
        assert!(
            main.contains(&format!("ecsctl\\-{name}(1)")),
            "the main page refers to ecsctl-{name}(1)"
        );
    }
    for name in ecsctl::cli::completion::man_subcommands() {
        let page = env.run(&["man", &name]);
        assert_eq!(page.code, 0, "{}", page.stderr);
        assert!(
            page.stdout.contains(&format!(".TH ecsctl-{name} 1")),
            "{}",
            page.stdout
        );
        let file = format!("completions/ecsctl-{name}.1");
        let shipped = std::fs::read_to_string(repo_root().join(&file))
            .unwrap_or_else(|_| panic!("{file} is missing: run `ecsctl man {name} > {file}`"));
        assert!(
            shipped == page.stdout,
            "{file} is stale: run `ecsctl man {name} > {file}`"
        );
    }
}

/// Regression: `describe -o json` printed Rust's Debug names (`"InProgress"`) where the
/// serde form is `IN_PROGRESS`; text output now says what JSON says.
#[test]
fn describe_output_uses_the_serde_enum_names() {
    let env = Env::new();
    env.write("web.yaml", WEB_V1);
    let apply = env.run(&["apply", "--no-converge", "-f", "web.yaml", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.stderr);
    let json = env.run(&["describe", "service", "web", "-o", "json"]);
    assert_eq!(json.code, 0, "{}", json.stderr);
    let value: serde_json::Value = serde_json::from_str(&json.stdout).expect("json");
    assert_eq!(value["status"], "ACTIVE");
    assert_eq!(value["deploymentStates"][0]["rolloutState"], "IN_PROGRESS");
    assert!(!json.stdout.contains("InProgress"), "{}", json.stdout);
    let text = env.run(&["describe", "service", "web"]);
    assert!(text.stdout.contains("IN_PROGRESS"), "{}", text.stdout);
    let yaml = env.run(&["describe", "service", "web", "-o", "yaml"]);
    assert!(
        yaml.stdout.contains("rolloutState: IN_PROGRESS"),
        "{}",
        yaml.stdout
    );
}

/// kubectl's `get TYPE NAME`: a family lists every revision, newest first; a service by name.
#[test]
fn get_taskdefs_family_lists_every_revision() {
    let env = Env::new();
    env.write("web.yaml", WEB_V1);
    assert_eq!(
        env.run(&["apply", "--no-converge", "-f", "web.yaml", "--auto-approve"])
            .code,
        0
    );
    env.write("web.yaml", &WEB_V1.replace("nginx:1.26", "nginx:1.27"));
    assert_eq!(
        env.run(&["apply", "--no-converge", "-f", "web.yaml", "--auto-approve"])
            .code,
        0
    );
    let all = env.run(&["get", "taskdefs", "-o", "json"]);
    let all: serde_json::Value = serde_json::from_str(&all.stdout).expect("json");
    assert_eq!(all.as_array().map(Vec::len), Some(1), "one row per family");
    let family = env.run(&["get", "taskdefs", "web", "-o", "json"]);
    assert_eq!(family.code, 0, "{}", family.stderr);
    let rows: serde_json::Value = serde_json::from_str(&family.stdout).expect("json");
    let revisions: Vec<u64> = rows
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|r| r["revision"].as_u64())
        .collect();
    assert_eq!(revisions, [2, 1]);
    assert_eq!(rows[1]["images"][0], "nginx:1.26");
    let table = env.run(&["get", "td", "web"]);
    assert_eq!(table.stdout.lines().count(), 3, "{}", table.stdout);
    let missing = env.run(&["get", "taskdefs", "wbe"]);
    assert_eq!(missing.code, 1);
    assert!(
        missing.stderr.contains("no task definition `wbe`") && missing.stderr.contains("`web`"),
        "{}",
        missing.stderr
    );
    let service = env.run(&["get", "services", "web", "-o", "json"]);
    let service: serde_json::Value = serde_json::from_str(&service.stdout).expect("json");
    assert_eq!(service[0]["name"], "web");
    assert_eq!(env.run(&["get", "svc", "nope"]).code, 1);
}

/// Regression: `get tasks` and `get hosts` exited 0 when a host did not answer (they only
/// warned); what was printed is incomplete, so they exit 1, naming the host.
#[test]
fn get_tasks_and_hosts_exit_one_when_a_host_does_not_answer() {
    let env = Env::new();
    env.write(
        "cluster.yaml",
        "apiVersion: ecsctl/v1
kind: Cluster
metadata: { name: far }
spec:
  hosts:
    - name: ghost
      endpoint: unix:///nonexistent/ecsctl-test/docker.sock
",
    );
    let apply = env.run(&[
        "apply",
        "--no-converge",
        "-f",
        "cluster.yaml",
        "--auto-approve",
    ]);
    assert_eq!(apply.code, 0, "{}", apply.stderr);
    for what in ["tasks", "hosts"] {
        let run = env.run(&["get", what, "--cluster", "far"]);
        assert_eq!(run.code, 1, "get {what}: {}", run.stderr);
        assert!(
            run.stderr
                .contains("host `ghost` of cluster `far` does not answer"),
            "get {what}: {}",
            run.stderr
        );
        assert!(
            run.stdout
                .starts_with(if what == "tasks" { "TASK" } else { "CLUSTER" })
        );
    }
    let hosts = env.run(&["get", "hosts", "--cluster", "far", "-o", "json"]);
    let list: serde_json::Value = serde_json::from_str(&hosts.stdout).expect("json");
    assert_eq!(list[0]["status"], "UNREACHABLE");
    let nope = env.run(&["get", "tasks", "--cluster", "nope"]);
    assert_eq!(nope.code, 1);
    assert!(nope.stderr.contains("no cluster `nope`"), "{}", nope.stderr);
}

/// kubectl's grammar everywhere: `TYPE NAME` and `TYPE/NAME`, with the same aliases.
#[test]
fn one_grammar_names_objects_in_every_command() {
    let env = Env::new();
    env.write("web.yaml", WEB_V1);
    assert_eq!(
        env.run(&["apply", "--no-converge", "-f", "web.yaml", "--auto-approve"])
            .code,
        0
    );
    let reference = env.run(&["describe", "service", "web"]).stdout;
    assert!(reference.contains("Name:"), "{reference}");
    for form in [
        &["describe", "svc", "web"][..],
        &["describe", "service/web"],
        &["describe", "svc/web"],
        &["describe", "services", "web"],
    ] {
        let run = env.run(form);
        assert_eq!(run.code, 0, "{form:?}: {}", run.stderr);
        assert_eq!(run.stdout, reference, "{form:?}");
    }
    for form in [
        &["describe", "td", "web"][..],
        &["describe", "taskdef/web:1"],
    ] {
        let run = env.run(form);
        assert_eq!(run.code, 0, "{form:?}: {}", run.stderr);
        assert!(run.stdout.starts_with("Task definition: web:1"), "{form:?}");
    }
    let get = env.run(&["get", "svc/web", "-o", "json"]);
    assert_eq!(get.code, 0, "{}", get.stderr);
    let bad = env.run(&["describe", "pod/web"]);
    assert_eq!(bad.code, 1);
    assert!(
        bad.stderr.contains("`pod/` is not a kind of object"),
        "{}",
        bad.stderr
    );
    let count = env.run(&["scale", "svc", "web", "many"]);
    assert_eq!(count.code, 1);
    assert!(count.stderr.contains("whole number"), "{}", count.stderr);
    let host = env.run(&["drain", "host/nowhere"]);
    assert_eq!(host.code, 1);
    assert!(host.stderr.contains("no host `nowhere`"), "{}", host.stderr);
}

/// Safety: `delete` without a terminal destroyed everything without asking. Like `apply`, it
/// needs `--auto-approve` there, and changes nothing without it.
#[test]
fn delete_without_a_terminal_needs_auto_approve_and_changes_nothing() {
    let env = Env::new();
    env.write("web.yaml", WEB_V1);
    assert_eq!(
        env.run(&["apply", "--no-converge", "-f", "web.yaml", "--auto-approve"])
            .code,
        0
    );
    for form in [
        &["delete", "-f", "web.yaml"][..],
        &["delete", "svc", "web"],
        &["delete", "service/web"],
    ] {
        let run = env.run(form);
        assert_eq!(run.code, 1, "{form:?}");
        assert!(
            run.stderr.contains("needs confirmation") && run.stderr.contains("--auto-approve"),
            "{form:?}: {}",
            run.stderr
        );
        assert!(
            run.stdout.contains("to destroy"),
            "the plan is shown: {}",
            run.stdout
        );
    }
    let services = env.run(&["get", "services", "-o", "json"]);
    let list: serde_json::Value = serde_json::from_str(&services.stdout).expect("json");
    assert_eq!(list[0]["status"], "ACTIVE", "nothing was deleted");
}

/// Regression: after a delete that forgot the cluster `default`, `get clusters` still listed
/// it. A cluster exists when it is recorded or has services (as in ECS).
#[test]
fn a_forgotten_default_cluster_is_not_listed() {
    let env = Env::new();
    env.write(
        "c.yaml",
        "apiVersion: ecsctl/v1\nkind: Cluster\nmetadata: { name: default }\nspec:\n  hosts: [{ name: local, endpoint: local }]\n---\napiVersion: ecsctl/v1\nkind: Cluster\nmetadata: { name: other }\nspec:\n  hosts: [{ name: local, endpoint: local }]\n",
    );
    let apply = env.run(&["apply", "--no-converge", "-f", "c.yaml", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.stderr);
    let names = |env: &Env| -> Vec<String> {
        let run = env.run(&["get", "clusters", "-o", "json"]);
        let list: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
        list.as_array()
            .expect("list")
            .iter()
            .filter_map(|c| c["name"].as_str().map(str::to_string))
            .collect()
    };
    assert_eq!(names(&env), ["default", "other"]);
    let delete = env.run(&[
        "delete",
        "cluster",
        "default",
        "--auto-approve",
        "--no-wait",
    ]);
    assert_eq!(delete.code, 0, "{}", delete.stderr);
    assert_eq!(names(&env), ["other"]);
}

/// A private-looking image with nothing to authenticate its pull is worth a warning; with
/// credentials in the user's Docker config, `plan` names their source (never the value).
#[test]
fn private_images_without_credentials_are_warned_about_and_plans_name_the_source() {
    let env = Env::new();
    let image = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/api:3";
    env.write(
        "api.yaml",
        &format!(
            "apiVersion: ecsctl/v1\nkind: TaskDefinition\nmetadata: {{ name: api }}\nspec:\n  containerDefinitions:\n    - {{ name: api, image: '{image}', memory: 64 }}\n"
        ),
    );
    let empty = env.path("no-docker-config");
    std::fs::create_dir_all(&empty).expect("mkdir");
    let config_dir = empty.display().to_string();
    let run = env.run_with(
        &["validate", "-f", "api.yaml"],
        &[("DOCKER_CONFIG", &config_dir)],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!(
            "warning: image `{image}` is on the registry `123456789012.dkr.ecr.eu-west-1.amazonaws.com` and no credentials are configured for it (no Docker config where ecsctl runs): the pull will be anonymous"
        )),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("api.yaml:6:"), "{}", run.stderr);

    let login = env.write(
        "docker/config.json",
        r#"{"auths": {}, "credHelpers": {"123456789012.dkr.ecr.eu-west-1.amazonaws.com": "ecr-login"}}"#,
    );
    let config_dir = login.parent().expect("dir").display().to_string();
    let plan = env.run_with(
        &["plan", "-f", "api.yaml"],
        &[("DOCKER_CONFIG", &config_dir)],
    );
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    assert!(!plan.stderr.contains("warning"), "{}", plan.stderr);
    assert!(
        plan.stdout.contains(&format!(
            "# `api` pulls from 123456789012.dkr.ecr.eu-west-1.amazonaws.com with credential helper `docker-credential-ecr-login` (credHelpers in {config_dir}/config.json)"
        )),
        "{}",
        plan.stdout
    );
    let json = env.run_with(
        &["plan", "-f", "api.yaml", "-o", "json"],
        &[("DOCKER_CONFIG", &config_dir)],
    );
    let plan: serde_json::Value = serde_json::from_str(&json.stdout).expect("json");
    assert_eq!(
        plan["changes"][0]["registryCredentials"][0]["credentials"],
        format!(
            "credential helper `docker-credential-ecr-login` (credHelpers in {config_dir}/config.json)"
        )
    );
}
