//! `ecsctl serve` driven by the real aws CLI and boto3 (from PyPI, in the virtual
//! environment `tests/run.sh` makes: `$ECSCTL_PYENV`, default `/tmp/ecsctl-pyenv`), with
//! serve's own reconciler running real containers on the local Docker daemon. Without the
//! virtual environment the tests say so and return.

mod common;

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::docker::{IMAGE, TestCluster};
use common::{Background, Env, repo_root};
use serde_json::Value;

fn pyenv() -> Option<PathBuf> {
    let dir = PathBuf::from(
        std::env::var("ECSCTL_PYENV").unwrap_or_else(|_| "/tmp/ecsctl-pyenv".to_string()),
    );
    if dir.join("bin/aws").exists() && dir.join("bin/python").exists() {
        Some(dir)
    } else {
        eprintln!(
            "skipped: no aws CLI/boto3 virtual environment at {} (tests/run.sh installs it)",
            dir.display()
        );
        None
    }
}

struct Served {
    env: Env,
    pyenv: PathBuf,
    port: u16,
    secret: String,
    _serve: Background,
}

impl Served {
    /// `ecsctl serve` on a free loopback port (with `args`), once it accepts connections.
    fn start(pyenv: PathBuf, args: &[&str]) -> Served {
        let env = Env::new();
        Self::start_in(env, pyenv, args)
    }

    fn start_in(env: Env, pyenv: PathBuf, args: &[&str]) -> Served {
        let port = common::free_port();
        let listen = format!("127.0.0.1:{port}");
        let mut all = vec!["serve", "--listen", &listen, "--resync", "2s"];
        all.extend_from_slice(args);
        let serve = env.spawn(&all, &[]);
        let start = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "serve did not listen: {}",
                serve.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Served {
            env,
            pyenv,
            port,
            secret: "test-secret".into(),
            _serve: serve,
        }
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn aws_env(&self, command: &mut Command) {
        command
            .env("AWS_ACCESS_KEY_ID", "AKIDTEST")
            .env("AWS_SECRET_ACCESS_KEY", &self.secret)
            .env("AWS_DEFAULT_REGION", "eu-west-1")
            .env("AWS_CONFIG_FILE", self.env.path("no-aws-config"))
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                self.env.path("no-aws-credentials"),
            )
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_PAGER", "")
            .env("ECS_ENDPOINT", self.endpoint())
            .current_dir(self.env.dir.path());
    }

    /// `aws ecs ARGS --output json`: (exit code, stdout as JSON, stderr).
    fn aws(&self, args: &[&str]) -> (i32, Value, String) {
        let mut command = Command::new(self.pyenv.join("bin/aws"));
        command
            .args([
                "--endpoint-url",
                &self.endpoint(),
                "--output",
                "json",
                "ecs",
            ])
            .args(args);
        self.aws_env(&mut command);
        let out = command.output().expect("run aws");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let value = serde_json::from_str(&stdout).unwrap_or(Value::Null);
        (
            out.status.code().unwrap_or(-1),
            value,
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn aws_ok(&self, args: &[&str]) -> Value {
        let (code, value, stderr) = self.aws(args);
        assert_eq!(code, 0, "aws ecs {args:?}: {stderr}");
        value
    }

    /// A Python script run with the virtual environment's interpreter (boto3).
    fn python(&self, script: &str) -> (i32, String, String) {
        let path = self.env.write("script.py", script);
        let mut command = Command::new(self.pyenv.join("bin/python"));
        command.arg(path);
        self.aws_env(&mut command);
        let out = command.output().expect("run python");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

/// A cluster of the local Docker daemon, applied before `serve` starts.
fn with_cluster(prefix: &str) -> (Env, TestCluster) {
    let env = Env::new();
    let cluster = TestCluster::new(prefix);
    let path = env.write("cluster.yaml", &cluster.manifest());
    let run = env.run(&[
        "apply",
        "-f",
        &path.display().to_string(),
        "--auto-approve",
        "--no-wait",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    (env, cluster)
}

fn task_definition(family: &str, version: &str) -> String {
    serde_json::json!({
        "family": family,
        "containerDefinitions": [{
            "name": "web",
            "image": IMAGE,
            "command": ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"],
            "memory": 32,
            "essential": true,
            "environment": [{"name": "VERSION", "value": version}],
            "stopTimeout": 2
        }]
    })
    .to_string()
}

fn code_of(stderr: &str) -> &str {
    stderr
        .split("An error occurred (")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .unwrap_or("")
}

#[test]
fn aws_cli_registers_creates_waits_updates_and_lists() {
    let Some(pyenv) = pyenv() else { return };
    let (env, cluster) = with_cluster("api");
    let served = Served::start_in(env, pyenv, &[]);
    let c = cluster.name.as_str();

    // Errors as ECS sends them.
    let (code, _, stderr) = served.aws(&[
        "describe-services",
        "--cluster",
        "nope",
        "--services",
        "web",
    ]);
    assert_ne!(code, 0);
    assert_eq!(code_of(&stderr), "ClusterNotFoundException", "{stderr}");
    let (_, _, stderr) = served.aws(&[
        "update-service",
        "--cluster",
        c,
        "--service",
        "nope",
        "--desired-count",
        "1",
    ]);
    assert_eq!(code_of(&stderr), "ServiceNotFoundException", "{stderr}");
    let missing = served.aws_ok(&["describe-services", "--cluster", c, "--services", "nope"]);
    assert_eq!(missing["failures"][0]["reason"], "MISSING");

    // A real task definition from the corpus, when there is one.
    let corpus = repo_root().join("../shared/ecs-corpus/taskdefs");
    if corpus.is_dir() {
        register_corpus(&served, &corpus);
    } else {
        eprintln!(
            "note: no ECS corpus at {}: registering the test's own task definition only",
            corpus.display()
        );
    }

    let v1 = served
        .env
        .write("web-v1.json", &task_definition("web", "1"));
    let registered = served.aws_ok(&[
        "register-task-definition",
        "--cli-input-json",
        &format!("file://{}", v1.display()),
    ]);
    let td = &registered["taskDefinition"];
    assert_eq!(td["family"], "web");
    assert_eq!(td["revision"], 1);
    assert_eq!(td["status"], "ACTIVE");
    assert_eq!(
        td["taskDefinitionArn"],
        "arn:aws:ecs:eu-west-1:000000000000:task-definition/web:1"
    );
    assert!(td["registeredAt"].is_f64(), "{td}");

    let created = served.aws_ok(&[
        "create-service",
        "--cluster",
        c,
        "--service-name",
        "web",
        "--task-definition",
        "web",
        "--desired-count",
        "2",
        "--deployment-configuration",
        "minimumHealthyPercent=50,maximumPercent=200",
    ]);
    assert_eq!(
        created["service"]["serviceArn"],
        format!("arn:aws:ecs:eu-west-1:000000000000:service/{c}/web")
    );
    assert_eq!(created["service"]["deployments"][0]["status"], "PRIMARY");
    let (_, _, stderr) = served.aws(&[
        "create-service",
        "--cluster",
        c,
        "--service-name",
        "web",
        "--task-definition",
        "web",
    ]);
    assert_eq!(code_of(&stderr), "InvalidParameterException", "{stderr}");

    served.aws_ok(&[
        "wait",
        "services-stable",
        "--cluster",
        c,
        "--services",
        "web",
    ]);
    assert_eq!(cluster.running("web").len(), 2);
    let described = served.aws_ok(&["describe-services", "--cluster", c, "--services", "web"]);
    let service = &described["services"][0];
    assert_eq!(service["runningCount"], 2);
    assert_eq!(service["deployments"].as_array().map(Vec::len), Some(1));
    assert_eq!(service["deployments"][0]["rolloutState"], "COMPLETED");

    // `ecsctl get services` shows what the API created.
    let get = served
        .env
        .run(&["get", "services", "--cluster", c, "-o", "json"]);
    assert_eq!(get.code, 0, "{}", get.stderr);
    assert!(get.stdout.contains("\"web:1\""), "{}", get.stdout);

    // A new revision, rolled out.
    let v2 = served
        .env
        .write("web-v2.json", &task_definition("web", "2"));
    served.aws_ok(&[
        "register-task-definition",
        "--cli-input-json",
        &format!("file://{}", v2.display()),
    ]);
    let updated = served.aws_ok(&[
        "update-service",
        "--cluster",
        &format!("arn:aws:ecs:eu-west-1:000000000000:cluster/{c}"),
        "--service",
        "web",
        "--task-definition",
        "web:2",
    ]);
    assert!(
        updated["service"]["taskDefinition"]
            .as_str()
            .is_some_and(|t| t.ends_with("task-definition/web:2")),
        "{updated}"
    );
    served.aws_ok(&[
        "wait",
        "services-stable",
        "--cluster",
        c,
        "--services",
        "web",
    ]);

    let tasks = served.aws_ok(&["list-tasks", "--cluster", c, "--service-name", "web"]);
    let arns: Vec<&str> = tasks["taskArns"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    assert_eq!(arns.len(), 2, "{tasks}");
    let mut args = vec!["describe-tasks", "--cluster", c, "--tasks"];
    args.extend(arns.iter().copied());
    let described = served.aws_ok(&args);
    for task in described["tasks"].as_array().into_iter().flatten() {
        assert_eq!(task["lastStatus"], "RUNNING");
        assert_eq!(task["group"], "service:web");
        assert!(
            task["taskDefinitionArn"]
                .as_str()
                .is_some_and(|t| t.ends_with("web:2"))
        );
        assert_eq!(task["containers"][0]["name"], "web");
    }

    // Hosts as container instances.
    let instances = served.aws_ok(&["list-container-instances", "--cluster", c]);
    assert_eq!(
        instances["containerInstanceArns"][0],
        format!("arn:aws:ecs:eu-west-1:000000000000:container-instance/{c}/local")
    );

    // Bad input changes nothing.
    let serial = served.env.read_state().map(|s| s.serial);
    let (_, _, stderr) = served.aws(&[
        "update-service",
        "--cluster",
        c,
        "--service",
        "web",
        "--task-definition",
        "web:9",
    ]);
    assert_eq!(code_of(&stderr), "InvalidParameterException", "{stderr}");
    assert_eq!(served.env.read_state().map(|s| s.serial), serial);

    // Delete: refused while scaled up, then forced.
    let (_, _, stderr) = served.aws(&["delete-service", "--cluster", c, "--service", "web"]);
    assert_eq!(code_of(&stderr), "InvalidParameterException", "{stderr}");
    let deleted = served.aws_ok(&[
        "delete-service",
        "--cluster",
        c,
        "--service",
        "web",
        "--force",
    ]);
    assert_eq!(deleted["service"]["status"], "DRAINING");
    common::docker::wait_for("the tasks to be stopped", Duration::from_secs(60), || {
        cluster.running("web").is_empty()
    });
    let (_, _, stderr) = served.aws(&["delete-cluster", "--cluster", "nope"]);
    assert_eq!(code_of(&stderr), "ClusterNotFoundException", "{stderr}");
}

/// Every corpus file the aws CLI accepts is registered, except those with template markers
/// (`{{networkmode}}`), which ecsctl refuses naming the member.
fn register_corpus(served: &Served, dir: &Path) {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("corpus")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let mut registered = 0;
    for file in &files {
        let (code, _, stderr) = served.aws(&[
            "register-task-definition",
            "--cli-input-json",
            &format!("file://{}", file.display()),
        ]);
        if code == 0 {
            registered += 1;
        } else if stderr.contains("An error occurred (") {
            let text = std::fs::read_to_string(file).unwrap_or_default();
            assert!(
                text.contains("{{") || text.contains("${"),
                "{} refused by the server: {stderr}",
                file.display()
            );
        }
    }
    eprintln!("corpus: {registered} of {} files registered", files.len());
    assert!(registered > 0);
}

#[test]
fn pagination_through_250_task_definitions_and_a_boto3_paginator_and_waiter() {
    let Some(pyenv) = pyenv() else { return };
    let (env, cluster) = with_cluster("page");
    let served = Served::start_in(env, pyenv, &[]);
    let script = format!(
        r#"
import os, boto3
ecs = boto3.client("ecs", endpoint_url=os.environ["ECS_ENDPOINT"])
for i in range(250):
    ecs.register_task_definition(family="many", containerDefinitions=[{{
        "name": "web", "image": "{IMAGE}", "memory": 32,
        "command": ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"],
        "environment": [{{"name": "N", "value": str(i)}}]}}])
pages = list(ecs.get_paginator("list_task_definitions").paginate(familyPrefix="many", PaginationConfig={{"PageSize": 100}}))
arns = [a for p in pages for a in p["taskDefinitionArns"]]
print("pages", len(pages), "arns", len(arns), "last", arns[-1].rsplit(":", 1)[1])
ecs.create_service(cluster="{c}", serviceName="many", taskDefinition="many", desiredCount=1)
ecs.get_waiter("services_stable").wait(cluster="{c}", services=["many"], WaiterConfig={{"Delay": 2, "MaxAttempts": 60}})
s = ecs.describe_services(cluster="{c}", services=["many"])["services"][0]
print("stable", s["runningCount"], s["desiredCount"], len(s["deployments"]))
try:
    ecs.describe_task_definition(taskDefinition="nope:1")
except ecs.exceptions.ClientException as e:
    print("error", e.response["Error"]["Code"])
"#,
        c = cluster.name
    );
    let (code, stdout, stderr) = served.python(&script);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.contains("pages 3 arns 250 last 250"), "{stdout}");
    assert!(stdout.contains("stable 1 1 1"), "{stdout}");
    assert!(stdout.contains("error ClientException"), "{stdout}");

    // The aws CLI pages too (three requests of 100).
    let listed = served.aws_ok(&[
        "list-task-definitions",
        "--family-prefix",
        "many",
        "--page-size",
        "100",
    ]);
    assert_eq!(
        listed["taskDefinitionArns"].as_array().map(Vec::len),
        Some(250)
    );
    let first = served.aws_ok(&[
        "list-task-definitions",
        "--family-prefix",
        "many",
        "--max-items",
        "10",
        "--sort",
        "DESC",
    ]);
    assert!(
        first["taskDefinitionArns"][0]
            .as_str()
            .is_some_and(|a| a.ends_with("many:250")),
        "{first}"
    );
    assert!(first["NextToken"].is_string(), "{first}");
    served.aws_ok(&[
        "delete-service",
        "--cluster",
        &cluster.name,
        "--service",
        "many",
        "--force",
    ]);
    common::docker::wait_for("the tasks to be stopped", Duration::from_secs(60), || {
        cluster.running("many").is_empty()
    });
}

#[test]
fn signatures_are_checked_when_credentials_are_configured() {
    let Some(pyenv) = pyenv() else { return };
    let env = Env::new();
    let credentials = env.write("credentials", "AKIDTEST test-secret\n");
    // Readable by others: refused.
    let lax = env.run(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--credentials",
        &credentials.display().to_string(),
    ]);
    assert_eq!(lax.code, 1);
    assert!(lax.stderr.contains("chmod 600"), "{}", lax.stderr);
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&credentials, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    // Not loopback, no credentials: refused.
    let open = env.run(&["serve", "--listen", "0.0.0.0:0"]);
    assert_eq!(open.code, 1);
    assert!(
        open.stderr.contains("without authentication"),
        "{}",
        open.stderr
    );

    let path = credentials.display().to_string();
    let mut served = Served::start_in(env, pyenv, &["--credentials", &path, "--no-reconcile"]);
    let listed = served.aws_ok(&["list-clusters"]);
    assert!(
        listed["clusterArns"][0]
            .as_str()
            .is_some_and(|a| a.ends_with(":cluster/default"))
    );
    served.secret = "wrong-secret".into();
    let (code, _, stderr) = served.aws(&["list-clusters"]);
    assert_ne!(code, 0);
    assert_eq!(code_of(&stderr), "InvalidSignatureException", "{stderr}");
    served.secret = "test-secret".into();
    let (code, _, stderr) = served.aws(&["list-clusters", "--no-sign-request"]);
    assert_ne!(code, 0);
    assert_eq!(
        code_of(&stderr),
        "MissingAuthenticationTokenException",
        "{stderr}"
    );
    let log = served._serve.log();
    assert!(log.contains("must be signed"), "{log}");
}

#[test]
fn unknown_operations_and_bad_requests() {
    let Some(pyenv) = pyenv() else { return };
    let served = Served::start(pyenv, &["--no-reconcile"]);
    let script = r#"
import os, boto3, botocore
ecs = boto3.client("ecs", endpoint_url=os.environ["ECS_ENDPOINT"])
for call in [lambda: ecs.list_attributes(cluster="default", targetType="container-instance"),
             lambda: ecs.register_task_definition(family="x", containerDefinitions=[{"name": "x", "image": "i", "essentail": True}]),
             lambda: ecs.list_task_definitions(maxResults=500)]:
    try:
        call()
        print("ok")
    except botocore.exceptions.ParamValidationError as e:
        print("client-side")
    except botocore.exceptions.ClientError as e:
        print(e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"])
"#;
    let (code, stdout, stderr) = served.python(script);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[0], "UnknownOperationException 400", "{stdout}");
    assert_eq!(lines[1], "client-side", "{stdout}");
    assert_eq!(lines[2], "InvalidParameterException 400", "{stdout}");
    // Nothing was written.
    assert!(served.env.read_state().is_none());
}

#[test]
fn stop_task_is_replaced_and_tags_are_written_and_removed() {
    let Some(pyenv) = pyenv() else { return };
    let (env, cluster) = with_cluster("stop");
    let served = Served::start_in(env, pyenv, &[]);
    let c = cluster.name.as_str();
    let td = served.aws_ok(&[
        "register-task-definition",
        "--cli-input-json",
        &task_definition("stopper", "1"),
        "--tags",
        "key=team,value=a",
    ]);
    let td_arn = td["taskDefinition"]["taskDefinitionArn"]
        .as_str()
        .expect("arn")
        .to_string();
    let created = served.aws_ok(&[
        "create-service",
        "--cluster",
        c,
        "--service-name",
        "stopper",
        "--task-definition",
        "stopper",
        "--desired-count",
        "1",
    ]);
    let service_arn = created["service"]["serviceArn"]
        .as_str()
        .expect("arn")
        .to_string();
    served.aws_ok(&[
        "wait",
        "services-stable",
        "--cluster",
        c,
        "--services",
        "stopper",
    ]);
    let listed = served.aws_ok(&["list-tasks", "--cluster", c, "--service-name", "stopper"]);
    let task = listed["taskArns"][0].as_str().expect("a task").to_string();
    let first = cluster.running("stopper");
    assert_eq!(first.len(), 1);

    let stopped = served.aws_ok(&[
        "stop-task",
        "--cluster",
        c,
        "--task",
        &task,
        "--reason",
        "testing",
    ]);
    assert_eq!(stopped["task"]["desiredStatus"], "STOPPED", "{stopped}");
    assert_eq!(stopped["task"]["stoppedReason"], "testing", "{stopped}");
    // The service starts another task in its place.
    common::docker::wait_for("a replacement task", Duration::from_secs(60), || {
        let running = cluster.running("stopper");
        running.len() == 1 && running != first
    });
    // The stopped task keeps the reason it was given, and the stop is no failure.
    let described = served.aws_ok(&["describe-tasks", "--cluster", c, "--tasks", &task]);
    let stopped_task = &described["tasks"][0];
    assert_eq!(stopped_task["lastStatus"], "STOPPED", "{described}");
    assert_eq!(stopped_task["desiredStatus"], "STOPPED", "{described}");
    assert_eq!(stopped_task["stoppedReason"], "testing", "{described}");
    let service = served.aws_ok(&["describe-services", "--cluster", c, "--services", "stopper"]);
    assert_eq!(
        service["services"][0]["deployments"][0]["failedTasks"], 0,
        "{service}"
    );
    let long = "x".repeat(256);
    let (_, _, stderr) = served.aws(&[
        "stop-task",
        "--cluster",
        c,
        "--task",
        &task,
        "--reason",
        &long,
    ]);
    assert_eq!(code_of(&stderr), "InvalidParameterException", "{stderr}");
    let (code, _, stderr) = served.aws(&["stop-task", "--cluster", c, "--task", "nope"]);
    assert_ne!(code, 0);
    assert!(stderr.contains("An error occurred ("), "{stderr}");

    // Tags on a service and a task definition revision: set, changed, removed.
    for arn in [&service_arn, &td_arn] {
        served.aws_ok(&[
            "tag-resource",
            "--resource-arn",
            arn,
            "--tags",
            "key=team,value=b",
            "key=tier,value=web",
        ]);
        let tags = served.aws_ok(&["list-tags-for-resource", "--resource-arn", arn]);
        assert_eq!(
            tags["tags"],
            serde_json::json!([{"key": "team", "value": "b"}, {"key": "tier", "value": "web"}]),
            "{arn}"
        );
        served.aws_ok(&[
            "untag-resource",
            "--resource-arn",
            arn,
            "--tag-keys",
            "team",
        ]);
        let tags = served.aws_ok(&["list-tags-for-resource", "--resource-arn", arn]);
        assert_eq!(
            tags["tags"],
            serde_json::json!([{"key": "tier", "value": "web"}]),
            "{arn}"
        );
    }
    // Tags are described when asked for (`include`), as ECS does.
    let plain = served.aws_ok(&["describe-services", "--cluster", c, "--services", "stopper"]);
    assert!(plain["services"][0].get("tags").is_none(), "{plain}");
    let with_tags = served.aws_ok(&[
        "describe-services",
        "--cluster",
        c,
        "--services",
        "stopper",
        "--include",
        "TAGS",
    ]);
    assert_eq!(
        with_tags["services"][0]["tags"],
        serde_json::json!([{"key": "tier", "value": "web"}]),
        "{with_tags}"
    );
    let td_tags = served.aws_ok(&[
        "describe-task-definition",
        "--task-definition",
        &td_arn,
        "--include",
        "TAGS",
    ]);
    assert_eq!(
        td_tags["tags"],
        serde_json::json!([{"key": "tier", "value": "web"}]),
        "{td_tags}"
    );

    // Tagging started no deployment and registered no revision.
    let described = served.aws_ok(&["describe-services", "--cluster", c, "--services", "stopper"]);
    assert_eq!(
        described["services"][0]["deployments"]
            .as_array()
            .map(Vec::len),
        Some(1),
        "{described}"
    );
    let revisions = served.aws_ok(&["list-task-definitions", "--family-prefix", "stopper"]);
    assert_eq!(
        revisions["taskDefinitionArns"].as_array().map(Vec::len),
        Some(1)
    );

    // A deleted service is described as INACTIVE, as ECS does.
    served.aws_ok(&[
        "delete-service",
        "--cluster",
        c,
        "--service",
        "stopper",
        "--force",
    ]);
    served.aws_ok(&[
        "wait",
        "services-inactive",
        "--cluster",
        c,
        "--services",
        "stopper",
    ]);
    common::docker::wait_for("the tasks to be stopped", Duration::from_secs(60), || {
        cluster.running("stopper").is_empty()
    });
    let described = served.aws_ok(&["describe-services", "--cluster", c, "--services", "stopper"]);
    assert_eq!(
        described["services"][0]["status"], "INACTIVE",
        "{described}"
    );
}

#[test]
fn an_api_write_is_drift_from_the_manifests_and_large_bodies_change_nothing() {
    let Some(pyenv) = pyenv() else { return };
    let (env, cluster) = with_cluster("drift");
    let c = cluster.name.clone();
    env.write("m/cluster.yaml", &cluster.manifest());
    env.write(
        "m/web.yaml",
        &format!(
            "apiVersion: ecsctl/v1
kind: TaskDefinition
metadata: {{ name: drift }}
spec:
  containerDefinitions:
    - name: web
      image: {IMAGE}
      command: [sh, -c, \"trap 'exit 0' TERM; sleep 3600 & wait\"]
      memory: 32
      stopTimeout: 2
---
apiVersion: ecsctl/v1
kind: Service
metadata: {{ name: drift, cluster: {c} }}
spec: {{ desiredCount: 1 }}
"
        ),
    );
    let apply = env.run(&["apply", "-f", "m", "--auto-approve", "--no-wait"]);
    assert_eq!(apply.code, 0, "{}", apply.stderr);
    let same = env.run(&["plan", "-f", "m", "--detailed-exitcode"]);
    assert_eq!(same.code, 0, "{}{}", same.stdout, same.stderr);
    let served = Served::start_in(env, pyenv, &["--no-reconcile"]);

    served.aws_ok(&[
        "update-service",
        "--cluster",
        &c,
        "--service",
        "drift",
        "--desired-count",
        "3",
    ]);
    let plan = served.env.run(&["plan", "-f", "m", "--detailed-exitcode"]);
    assert_eq!(plan.code, 2, "{}{}", plan.stdout, plan.stderr);
    assert!(
        plan.stdout.contains("desiredCount") && plan.stdout.contains('3'),
        "{}",
        plan.stdout
    );

    // A body over the limit is refused before it is read; nothing changes.
    let serial = served.env.read_state().map(|s| s.serial);
    let big = "x".repeat(ecsctl::api::server::MAX_BODY + 1);
    let script = format!(
        r#"
import os, boto3, botocore
ecs = boto3.client("ecs", endpoint_url=os.environ["ECS_ENDPOINT"])
try:
    ecs.update_service(cluster="{c}", service="drift", desiredCount=5, taskDefinition="drift", forceNewDeployment=True, placementConstraints=[{{"type": "memberOf", "expression": "{big}"}}])
    print("ok")
except botocore.exceptions.ClientError as e:
    print(e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"])
"#
    );
    let (code, stdout, stderr) = served.python(&script);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert_eq!(stdout.trim(), "SerializationException 400", "{stderr}");
    assert_eq!(served.env.read_state().map(|s| s.serial), serial);
    let described = served.aws_ok(&["describe-services", "--cluster", &c, "--services", "drift"]);
    assert_eq!(described["services"][0]["desiredCount"], 3, "{described}");
}

#[test]
fn cluster_settings_configuration_and_tags_are_kept_and_described_when_included() {
    let Some(pyenv) = pyenv() else { return };
    let served = Served::start(pyenv, &["--no-reconcile"]);
    let created = served.aws_ok(&[
        "create-cluster",
        "--cluster-name",
        "insights",
        "--tags",
        "key=team,value=a",
        "--settings",
        "name=containerInsights,value=enhanced",
    ]);
    let cluster = &created["cluster"];
    assert_eq!(
        cluster["settings"],
        serde_json::json!([{"name": "containerInsights", "value": "enhanced"}]),
        "{created}"
    );
    assert_eq!(
        cluster["tags"],
        serde_json::json!([{"key": "team", "value": "a"}])
    );
    let arn = cluster["clusterArn"].as_str().expect("arn").to_string();

    // DescribeClusters includes settings, configuration and tags only when asked.
    let plain = served.aws_ok(&["describe-clusters", "--clusters", "insights"]);
    let c = &plain["clusters"][0];
    assert_eq!(c["clusterName"], "insights", "{plain}");
    assert!(
        c.get("settings").is_none() && c.get("tags").is_none(),
        "{plain}"
    );

    let updated = served.aws_ok(&[
        "update-cluster",
        "--cluster",
        &arn,
        "--settings",
        "name=containerInsights,value=disabled",
        "--configuration",
        r#"{"executeCommandConfiguration": {"logging": "OVERRIDE", "logConfiguration": {"s3BucketName": "logs", "s3EncryptionEnabled": true}}}"#,
    ]);
    assert_eq!(
        updated["cluster"]["settings"][0]["value"], "disabled",
        "{updated}"
    );
    let full = served.aws_ok(&[
        "describe-clusters",
        "--clusters",
        "insights",
        "--include",
        "SETTINGS",
        "CONFIGURATIONS",
        "TAGS",
    ]);
    let c = &full["clusters"][0];
    assert_eq!(
        c["settings"],
        serde_json::json!([{"name": "containerInsights", "value": "disabled"}]),
        "{full}"
    );
    assert_eq!(
        c["configuration"]["executeCommandConfiguration"]["logConfiguration"]["s3BucketName"],
        "logs",
        "{full}"
    );
    assert_eq!(
        c["tags"],
        serde_json::json!([{"key": "team", "value": "a"}])
    );
    served.aws_ok(&[
        "update-cluster-settings",
        "--cluster",
        "insights",
        "--settings",
        "name=containerInsights,value=enabled",
    ]);

    // Bad input names the member and changes nothing.
    let serial = served.env.read_state().map(|s| s.serial);
    let (_, _, stderr) = served.aws(&[
        "update-cluster",
        "--cluster",
        "insights",
        "--settings",
        "name=containerInsights,value=loud",
    ]);
    assert_eq!(code_of(&stderr), "InvalidParameterException", "{stderr}");
    assert!(stderr.contains("settings[0].value"), "{stderr}");
    let (_, _, stderr) = served.aws(&[
        "update-cluster",
        "--cluster",
        "insights",
        "--configuration",
        r#"{"executeCommandConfiguration": {"logging": "ALL"}}"#,
    ]);
    assert_eq!(code_of(&stderr), "InvalidParameterException", "{stderr}");
    let (_, _, stderr) = served.aws(&[
        "update-cluster",
        "--cluster",
        "nope",
        "--settings",
        "name=containerInsights,value=enabled",
    ]);
    assert_eq!(code_of(&stderr), "ClusterNotFoundException", "{stderr}");
    let (_, _, stderr) = served.aws(&[
        "tag-resource",
        "--resource-arn",
        &arn,
        "--tags",
        "value=no-key",
    ]);
    assert_eq!(code_of(&stderr), "InvalidParameterException", "{stderr}");
    assert_eq!(served.env.read_state().map(|s| s.serial), serial);
    let now = served.aws_ok(&[
        "describe-clusters",
        "--clusters",
        "insights",
        "--include",
        "SETTINGS",
    ]);
    assert_eq!(
        now["clusters"][0]["settings"][0]["value"], "enabled",
        "{now}"
    );

    // Cluster tags: set, changed, removed.
    served.aws_ok(&[
        "tag-resource",
        "--resource-arn",
        &arn,
        "--tags",
        "key=team,value=b",
        "key=env,value=prod",
    ]);
    let tags = served.aws_ok(&["list-tags-for-resource", "--resource-arn", &arn]);
    assert_eq!(
        tags["tags"],
        serde_json::json!([{"key": "team", "value": "b"}, {"key": "env", "value": "prod"}])
    );
    served.aws_ok(&[
        "untag-resource",
        "--resource-arn",
        &arn,
        "--tag-keys",
        "team",
    ]);
    let tags = served.aws_ok(&["list-tags-for-resource", "--resource-arn", &arn]);
    assert_eq!(
        tags["tags"],
        serde_json::json!([{"key": "env", "value": "prod"}])
    );
    // The built-in cluster takes tags too.
    let default = "arn:aws:ecs:eu-west-1:000000000000:cluster/default";
    served.aws_ok(&[
        "tag-resource",
        "--resource-arn",
        default,
        "--tags",
        "key=k,value=v",
    ]);
    let tags = served.aws_ok(&["list-tags-for-resource", "--resource-arn", default]);
    assert_eq!(
        tags["tags"],
        serde_json::json!([{"key": "k", "value": "v"}])
    );
    // `ecsctl get clusters` still shows both.
    let get = served.env.run(&["get", "clusters", "-o", "json"]);
    assert_eq!(get.code, 0, "{}", get.stderr);
    assert!(get.stdout.contains("insights"), "{}", get.stdout);
}

#[test]
fn only_inactive_task_definitions_are_deleted() {
    let Some(pyenv) = pyenv() else { return };
    let served = Served::start(pyenv, &["--no-reconcile"]);
    for version in ["1", "2"] {
        served.aws_ok(&[
            "register-task-definition",
            "--cli-input-json",
            &task_definition("gone", version),
        ]);
    }
    served.aws_ok(&["deregister-task-definition", "--task-definition", "gone:1"]);
    let deleted = served.aws_ok(&[
        "delete-task-definitions",
        "--task-definitions",
        "gone:1",
        "arn:aws:ecs:eu-west-1:000000000000:task-definition/gone:2",
        "gone:7",
    ]);
    assert_eq!(
        deleted["taskDefinitions"].as_array().map(Vec::len),
        Some(1),
        "{deleted}"
    );
    assert_eq!(deleted["taskDefinitions"][0]["revision"], 1);
    assert_eq!(
        deleted["taskDefinitions"][0]["status"], "DELETE_IN_PROGRESS",
        "{deleted}"
    );
    let failures = deleted["failures"].as_array().cloned().unwrap_or_default();
    assert_eq!(failures.len(), 2, "{deleted}");
    assert!(
        failures[0]["arn"]
            .as_str()
            .is_some_and(|a| a.ends_with("task-definition/gone:2")),
        "{deleted}"
    );
    assert!(
        failures[0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("ACTIVE")),
        "{deleted}"
    );
    assert_eq!(failures[1]["reason"], "MISSING", "{deleted}");

    let described = served.aws_ok(&["describe-task-definition", "--task-definition", "gone:1"]);
    assert_eq!(described["taskDefinition"]["status"], "DELETE_IN_PROGRESS");
    let listed = served.aws_ok(&[
        "list-task-definitions",
        "--family-prefix",
        "gone",
        "--status",
        "DELETE_IN_PROGRESS",
    ]);
    assert_eq!(
        listed["taskDefinitionArns"],
        serde_json::json!(["arn:aws:ecs:eu-west-1:000000000000:task-definition/gone:1"])
    );
    let inactive = served.aws_ok(&[
        "list-task-definitions",
        "--family-prefix",
        "gone",
        "--status",
        "INACTIVE",
    ]);
    assert_eq!(inactive["taskDefinitionArns"], serde_json::json!([]));

    // Nothing new may use a deleted revision; its number is not given again.
    let serial = served.env.read_state().map(|s| s.serial);
    let (_, _, stderr) = served.aws(&[
        "create-service",
        "--service-name",
        "gone",
        "--task-definition",
        "gone:1",
    ]);
    assert_eq!(code_of(&stderr), "InvalidParameterException", "{stderr}");
    let (_, _, stderr) = served.aws(&["delete-task-definitions", "--task-definitions", "gone"]);
    assert_eq!(code_of(&stderr), "InvalidParameterException", "{stderr}");
    assert_eq!(served.env.read_state().map(|s| s.serial), serial);
    let again = served.aws_ok(&[
        "register-task-definition",
        "--cli-input-json",
        &task_definition("gone", "3"),
    ]);
    assert_eq!(again["taskDefinition"]["revision"], 3, "{again}");
    // Deleting again is no error.
    let twice = served.aws_ok(&["delete-task-definitions", "--task-definitions", "gone:1"]);
    assert_eq!(twice["taskDefinitions"][0]["status"], "DELETE_IN_PROGRESS");
}

#[test]
fn a_draining_container_instance_loses_its_tasks_and_gets_them_back_when_active() {
    let Some(pyenv) = pyenv() else { return };
    let (env, cluster) = with_cluster("drain");
    let served = Served::start_in(env, pyenv, &[]);
    let c = cluster.name.as_str();
    served.aws_ok(&[
        "register-task-definition",
        "--cli-input-json",
        &task_definition("drained", "1"),
    ]);
    served.aws_ok(&[
        "create-service",
        "--cluster",
        c,
        "--service-name",
        "drained",
        "--task-definition",
        "drained",
        "--desired-count",
        "1",
        "--deployment-configuration",
        "minimumHealthyPercent=0,maximumPercent=100",
    ]);
    served.aws_ok(&[
        "wait",
        "services-stable",
        "--cluster",
        c,
        "--services",
        "drained",
    ]);
    assert_eq!(cluster.running("drained").len(), 1);

    let (_, _, stderr) = served.aws(&[
        "update-container-instances-state",
        "--cluster",
        c,
        "--container-instances",
        "local",
        "--status",
        "DEREGISTERING",
    ]);
    assert_eq!(code_of(&stderr), "InvalidParameterException", "{stderr}");

    let drained = served.aws_ok(&[
        "update-container-instances-state",
        "--cluster",
        c,
        "--container-instances",
        &format!("arn:aws:ecs:eu-west-1:000000000000:container-instance/{c}/local"),
        "nope",
        "--status",
        "DRAINING",
    ]);
    assert_eq!(
        drained["containerInstances"][0]["status"], "DRAINING",
        "{drained}"
    );
    assert_eq!(drained["failures"][0]["reason"], "MISSING", "{drained}");
    // The same record `ecsctl drain` writes.
    let state = served.env.read_state().expect("state");
    assert!(
        state.clusters[c].draining_hosts.contains("local"),
        "{:?}",
        state.clusters[c]
    );
    // The only host drains: its task is stopped (minimumHealthyPercent 0) and none starts.
    common::docker::wait_for("the drained task to stop", Duration::from_secs(60), || {
        cluster.running("drained").is_empty()
    });
    let described = served.aws_ok(&[
        "describe-container-instances",
        "--cluster",
        c,
        "--container-instances",
        "local",
    ]);
    let instance = &described["containerInstances"][0];
    assert_eq!(instance["status"], "DRAINING", "{described}");
    assert_eq!(instance["runningTasksCount"], 0, "{described}");
    let listed = served.aws_ok(&[
        "list-container-instances",
        "--cluster",
        c,
        "--status",
        "DRAINING",
    ]);
    assert_eq!(
        listed["containerInstanceArns"].as_array().map(Vec::len),
        Some(1)
    );
    let hosts = served
        .env
        .run(&["get", "hosts", "--cluster", c, "-o", "json"]);
    assert!(hosts.stdout.contains("DRAINING"), "{}", hosts.stdout);

    // ACTIVE again: the service runs its task there again.
    let active = served.aws_ok(&[
        "update-container-instances-state",
        "--cluster",
        c,
        "--container-instances",
        "local",
        "--status",
        "ACTIVE",
    ]);
    assert_eq!(
        active["containerInstances"][0]["status"], "ACTIVE",
        "{active}"
    );
    served.aws_ok(&[
        "wait",
        "services-stable",
        "--cluster",
        c,
        "--services",
        "drained",
    ]);
    assert_eq!(cluster.running("drained").len(), 1);
    served.aws_ok(&[
        "delete-service",
        "--cluster",
        c,
        "--service",
        "drained",
        "--force",
    ]);
    common::docker::wait_for("the tasks to be stopped", Duration::from_secs(60), || {
        cluster.running("drained").is_empty()
    });
}

/// Issue 11: a task placed through a capacity provider strategy carries
/// `capacityProviderName`; a service with no strategy of its own shows the cluster's default
/// one (and no launch type); DescribeClusters counts the tasks on the hosts, with
/// `statistics` when asked to include them.
#[test]
fn capacity_providers_and_cluster_counts_are_described() {
    let Some(pyenv) = pyenv() else { return };
    let env = Env::new();
    let cluster = TestCluster::new("apicp");
    let c = cluster.name.clone();
    let manifest = format!(
        "apiVersion: ecsctl/v1\nkind: Cluster\nmetadata: {{ name: {c} }}\nspec:\n  hosts:\n    - {{ name: a, endpoint: local }}\n    - {{ name: b, endpoint: local }}\n  capacityProviders:\n    - {{ name: pool-a, hosts: [a] }}\n    - {{ name: pool-b, hosts: [b] }}\n  defaultCapacityProviderStrategy:\n    - {{ capacityProvider: pool-b, weight: 1 }}\n"
    );
    let path = env.write("cluster.yaml", &manifest);
    let run = env.run(&[
        "apply",
        "-f",
        &path.display().to_string(),
        "--auto-approve",
        "--no-wait",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let served = Served::start_in(env, pyenv, &[]);
    let c = c.as_str();
    served.aws_ok(&[
        "register-task-definition",
        "--cli-input-json",
        &task_definition("web", "1"),
    ]);
    let by_default = served.aws_ok(&[
        "create-service",
        "--cluster",
        c,
        "--service-name",
        "web",
        "--task-definition",
        "web",
        "--desired-count",
        "1",
    ]);
    let service = &by_default["service"];
    assert_eq!(
        service["capacityProviderStrategy"][0]["capacityProvider"], "pool-b",
        "{service}"
    );
    assert!(service.get("launchType").is_none(), "{service}");
    served.aws_ok(&[
        "create-service",
        "--cluster",
        c,
        "--service-name",
        "pinned",
        "--task-definition",
        "web",
        "--desired-count",
        "1",
        "--capacity-provider-strategy",
        "capacityProvider=pool-a,weight=1",
    ]);
    served.aws_ok(&[
        "wait",
        "services-stable",
        "--cluster",
        c,
        "--services",
        "web",
        "pinned",
    ]);

    for (service, provider) in [("web", "pool-b"), ("pinned", "pool-a")] {
        let listed = served.aws_ok(&["list-tasks", "--cluster", c, "--service-name", service]);
        let arn = listed["taskArns"][0]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let described = served.aws_ok(&["describe-tasks", "--cluster", c, "--tasks", &arn]);
        let task = &described["tasks"][0];
        assert_eq!(task["capacityProviderName"], provider, "{task}");
        assert_eq!(task["launchType"], "EC2", "{task}");
    }

    let clusters = served.aws_ok(&[
        "describe-clusters",
        "--clusters",
        c,
        "--include",
        "STATISTICS",
    ]);
    let described = &clusters["clusters"][0];
    assert_eq!(described["runningTasksCount"], 2, "{described}");
    assert_eq!(described["pendingTasksCount"], 0, "{described}");
    assert_eq!(described["activeServicesCount"], 2, "{described}");
    assert_eq!(
        described["registeredContainerInstancesCount"], 2,
        "{described}"
    );
    let statistic = |name: &str| {
        described["statistics"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|s| s["name"] == name)
            .map(|s| s["value"].clone())
    };
    assert_eq!(
        statistic("runningEC2TasksCount"),
        Some("2".into()),
        "{described}"
    );
    assert_eq!(
        statistic("activeEC2ServiceCount"),
        Some("2".into()),
        "{described}"
    );
    assert_eq!(
        statistic("runningFargateTasksCount"),
        Some("0".into()),
        "{described}"
    );
    let plain = served.aws_ok(&["describe-clusters", "--clusters", c]);
    assert!(plain["clusters"][0].get("statistics").is_none(), "{plain}");

    for service in ["web", "pinned"] {
        served.aws_ok(&[
            "delete-service",
            "--cluster",
            c,
            "--service",
            service,
            "--force",
        ]);
    }
    common::docker::wait_for("the tasks to be stopped", Duration::from_secs(60), || {
        cluster.containers(&["status=running"], false).is_empty()
    });
}

#[test]
fn run_task_launches_one_off_tasks_that_the_waiters_follow() {
    let Some(pyenv) = pyenv() else { return };
    let (env, cluster) = with_cluster("run");
    let served = Served::start_in(env, pyenv, &[]);
    let c = cluster.name.as_str();
    let mut body: Value = serde_json::from_str(&task_definition("oneoff", "1")).expect("json");
    body["containerDefinitions"][0]["command"] = serde_json::json!(["sh", "-c", "sleep 2; exit 0"]);
    served.aws_ok(&[
        "register-task-definition",
        "--cli-input-json",
        &body.to_string(),
    ]);
    let ran = served.aws_ok(&[
        "run-task",
        "--cluster",
        c,
        "--task-definition",
        "oneoff",
        "--count",
        "2",
        "--started-by",
        "e2e",
    ]);
    let tasks = ran["tasks"].as_array().cloned().unwrap_or_default();
    assert_eq!(tasks.len(), 2, "{ran}");
    assert_eq!(ran["failures"], serde_json::json!([]), "{ran}");
    for t in &tasks {
        assert!(
            t["taskDefinitionArn"]
                .as_str()
                .is_some_and(|a| a.ends_with(":task-definition/oneoff:1")),
            "{t}"
        );
        assert_eq!(t["startedBy"], "e2e", "{t}");
        assert_eq!(t["launchType"], "EC2", "{t}");
    }
    let arns: Vec<String> = tasks
        .iter()
        .map(|t| t["taskArn"].as_str().expect("arn").to_string())
        .collect();
    let mut wait = vec!["wait", "tasks-stopped", "--cluster", c, "--tasks"];
    wait.extend(arns.iter().map(String::as_str));
    served.aws_ok(&wait);
    let mut describe = vec!["describe-tasks", "--cluster", c, "--tasks"];
    describe.extend(arns.iter().map(String::as_str));
    let described = served.aws_ok(&describe);
    for t in described["tasks"].as_array().into_iter().flatten() {
        assert_eq!(t["lastStatus"], "STOPPED", "{t}");
        assert_eq!(t["containers"][0]["exitCode"], 0, "{t}");
    }
    let (code, _, stderr) = served.aws(&["run-task", "--cluster", c, "--task-definition", "nope"]);
    assert_ne!(code, 0);
    assert_eq!(code_of(&stderr), "ClientException", "{stderr}");
}
