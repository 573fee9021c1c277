//! Private registries on the rig: a real registry (Debian's `docker-registry`, distribution
//! 2.8) with htpasswd auth serves plain HTTP on the root side of host 1's link (the rig's
//! daemons, and only they, list the rig's subnet as `insecure-registries`). The test image is
//! pushed there with credentials; then services on the rig hosts pull it over SSH with
//! credentials from a Docker config file, from `repositoryCredentials` (`file:`) and from a
//! `docker-credential-*` helper, one pull per host and image for three tasks at once; a wrong
//! password ends in `CannotPullContainerError` naming the registry's `unauthorized`, and no
//! password is anywhere ecsctl writes or prints.

mod common;

use std::collections::BTreeMap;
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::Engine as _;
use common::docker::{IMAGE, wait_for};
use common::rig::RigCluster;
use common::{Env, Run};

/// The root side of host 1's link: every rig host routes the rig's subnet through its own
/// link to the root namespace, which owns this address.
const REGISTRY_HOST: &str = "10.250.1.1";
const USER: &str = "ci";

/// A registry process, stopped (by its pid) when dropped.
struct Registry {
    child: Child,
    address: String,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

fn require(program: &str, package: &str) {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        found,
        "`{program}` is missing: tests/run.sh installs it (apt-get install {package})"
    );
}

impl Registry {
    fn start(password: &str) -> Self {
        require("docker-registry", "docker-registry");
        require("htpasswd", "apache2-utils");
        let dir = tempfile::tempdir().expect("tempdir");
        let port = TcpListener::bind((REGISTRY_HOST, 0))
            .and_then(|l| l.local_addr())
            .expect("a free port on the rig link")
            .port();
        let address = format!("{REGISTRY_HOST}:{port}");
        let htpasswd = Command::new("htpasswd")
            .args(["-Bbn", USER, password])
            .output()
            .expect("htpasswd runs");
        assert!(htpasswd.status.success());
        std::fs::write(dir.path().join("htpasswd"), &htpasswd.stdout).expect("write htpasswd");
        let config = format!(
            "version: 0.1\nlog:\n  level: info\n  accesslog:\n    disabled: false\nstorage:\n  filesystem:\n    rootdirectory: {root}/data\nhttp:\n  addr: {address}\nauth:\n  htpasswd:\n    realm: ecsctl-test\n    path: {root}/htpasswd\n",
            root = dir.path().display()
        );
        std::fs::write(dir.path().join("config.yml"), config).expect("write config");
        let log = dir.path().join("registry.log");
        let file = std::fs::File::create(&log).expect("log file");
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(dir.path().join("config.yml"))
            .stdout(file.try_clone().expect("clone"))
            .stderr(file)
            .stdin(Stdio::null())
            .spawn()
            .expect("docker-registry starts");
        let registry = Registry {
            child,
            address,
            log,
            _dir: dir,
        };
        wait_for("the registry to listen", Duration::from_secs(20), || {
            TcpStream::connect(&registry.address).is_ok()
        });
        registry
    }

    /// Successful manifest lookups of `repository:tag` from `client` (one per pull).
    fn pulls(&self, repository: &str, client: &str) -> usize {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let request = format!("\"HEAD /v2/{repository}/manifests/1 HTTP/1.1\" 200");
        log.lines()
            .filter(|l| l.starts_with(&format!("{client} ")) && l.contains(&request))
            .count()
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        // SAFETY: signalling our own child process by its pid.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let _ = self.child.wait();
    }
}

/// A Docker client config directory holding `config`.
fn docker_config(root: &Path, name: &str, config: &str) -> String {
    let dir = root.join(name);
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join("config.json"), config).expect("write config.json");
    dir.display().to_string()
}

fn auths(address: &str, user: &str, password: &str) -> String {
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!(r#"{{"auths": {{"{address}": {{"auth": "{auth}"}}}}}}"#)
}

fn service(
    cluster: &RigCluster,
    name: &str,
    image: &str,
    count: u32,
    placement: &str,
    extra: &str,
) -> String {
    format!(
        "apiVersion: ecsctl/v1
kind: TaskDefinition
metadata: {{ name: {name} }}
spec:
  containerDefinitions:
    - name: app
      image: {image}
      memory: 16
      stopTimeout: 2
      command: [sh, -c, \"trap 'exit 0' TERM; sleep 600 & wait\"]
{extra}---
apiVersion: ecsctl/v1
kind: Service
metadata: {{ name: {name}, cluster: {cluster} }}
spec:
  taskDefinition: {name}
  desiredCount: {count}
{placement}",
        cluster = cluster.name
    )
}

/// The hosts of a service's running tasks, by host name.
fn running_hosts(
    env: &Env,
    cluster: &RigCluster,
    service: &str,
    envs: &[(&str, &str)],
) -> BTreeMap<String, usize> {
    let tasks = run(
        env,
        cluster,
        &[
            "get",
            "tasks",
            "--cluster",
            &cluster.name,
            "--service",
            service,
            "-o",
            "json",
        ],
        envs,
    );
    let list: serde_json::Value = serde_json::from_str(&tasks.stdout).expect("tasks json");
    let mut hosts = BTreeMap::new();
    for task in list.as_array().expect("a list") {
        if task["lastStatus"] == "RUNNING" {
            *hosts
                .entry(task["host"].as_str().expect("host").to_string())
                .or_default() += 1;
        }
    }
    hosts
}

/// `apply -f m --wait 120s`, which must succeed.
fn apply_ok(env: &Env, cluster: &RigCluster, envs: &[(&str, &str)]) -> Run {
    let apply = run(
        env,
        cluster,
        &["apply", "-f", "m", "--auto-approve", "--wait", "120s"],
        envs,
    );
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    apply
}

fn run(env: &Env, cluster: &RigCluster, args: &[&str], envs: &[(&str, &str)]) -> Run {
    let mut all = vec![("ECSCTL_SSH", cluster.rig.ssh())];
    all.extend_from_slice(envs);
    env.run_with(args, &all)
}

/// Everything under `dir`, as text.
fn all_text(dir: &Path) -> String {
    let mut out = String::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                out.push_str(&all_text(&path));
            } else if let Ok(bytes) = std::fs::read(&path) {
                out.push_str(&String::from_utf8_lossy(&bytes));
            }
        }
    }
    out
}

#[test]
fn private_images_pull_with_credentials_from_every_source() {
    let cluster = RigCluster::new("registry");
    let rig = cluster.rig;
    let (_, info) = rig.docker(
        1,
        &["info", "--format", "{{json .RegistryConfig.IndexConfigs}}"],
    );
    assert!(
        info.contains("10.250.0.0/16") || rig.docker(1, &["info"]).1.contains("10.250.0.0/16"),
        "the rig's dockerds predate `insecure-registries`: run `tests/rig/rig.sh down` and test again"
    );
    let unique: u32 = rand::random();
    let password = format!("canary-registry-password-{unique:08x}");
    let wrong = format!("canary-wrong-password-{unique:08x}");
    let registry = Registry::start(&password);
    let address = registry.address.clone();
    let env = Env::new();
    let configs = env.path("configs");

    // Push the test image under four names, with credentials, from host 1; then untag it
    // there so every host has to pull.
    let push_config = docker_config(&configs, "push", &auths(&address, USER, &password));
    let repositories = [
        "private/config",
        "private/file",
        "private/helper",
        "private/denied",
    ];
    for repository in repositories {
        let name = format!("{address}/{repository}:1");
        let (ok, out) = rig.docker(1, &["tag", IMAGE, &name]);
        assert!(ok, "{out}");
        let (ok, out) = rig.docker(1, &["--config", &push_config, "push", &name]);
        assert!(ok, "push {name}: {out}");
        let (ok, out) = rig.docker(1, &["rmi", &name]);
        assert!(ok, "{out}");
    }

    // 1. A Docker config file's `auths`: two tasks, on hosts 1 and 2.
    let config_dir = docker_config(&configs, "user", &auths(&address, USER, &password));
    let with_config = [("DOCKER_CONFIG", config_dir.as_str())];
    env.write(
        "m/cluster.yaml",
        rig.cluster(&cluster.name, "").trim_end_matches("---\n"),
    );
    env.write(
        "m/config.yaml",
        &service(
            &cluster,
            "config",
            &format!("{address}/private/config:1"),
            2,
            "  placementConstraints: [{ type: memberOf, expression: 'attribute:zone in [z1, z2]' }]\n  placementStrategy: [{ type: spread, field: 'attribute:zone' }]\n",
            "",
        ),
    );
    let plan = run(&env, &cluster, &["plan", "-f", "m"], &with_config);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    assert!(
        plan.stdout.contains(&format!(
            "# `app` pulls from {address} with `auths.{address}` in {config_dir}/config.json"
        )),
        "{}",
        plan.stdout
    );
    apply_ok(&env, &cluster, &with_config);
    assert_eq!(
        running_hosts(&env, &cluster, "config", &with_config),
        BTreeMap::from([("h1".to_string(), 1), ("h2".to_string(), 1)])
    );

    // 2. `repositoryCredentials` from a file, with a Docker config that knows nothing.
    let empty_dir = docker_config(&configs, "empty", "{}");
    let with_empty = [("DOCKER_CONFIG", empty_dir.as_str())];
    let secret_file = env.write(
        "secrets/registry.json",
        &format!(r#"{{"username": "{USER}", "password": "{password}"}}"#),
    );
    let parameter = format!("file:{}", secret_file.display());
    env.write(
        "m/file.yaml",
        &service(
            &cluster,
            "file",
            &format!("{address}/private/file:1"),
            1,
            "  placementConstraints: [{ type: memberOf, expression: 'attribute:zone == z2' }]\n",
            &format!("      repositoryCredentials: {{ credentialsParameter: '{parameter}' }}\n"),
        ),
    );
    let plan = run(&env, &cluster, &["plan", "-f", "m"], &with_empty);
    assert!(
        plan.stdout.contains(&format!(
            "# `app` pulls from {address} with repositoryCredentials `{parameter}`"
        )),
        "{}",
        plan.stdout
    );
    apply_ok(&env, &cluster, &with_empty);
    assert_eq!(
        running_hosts(&env, &cluster, "file", &with_empty),
        BTreeMap::from([("h2".to_string(), 1)])
    );

    // 3. A credential helper named by `credHelpers`: three tasks on host 3 at once, one pull.
    let bin = env.path("bin");
    std::fs::create_dir_all(&bin).expect("mkdir");
    let helper = bin.join("docker-credential-ecsctltest");
    std::fs::write(
        &helper,
        format!(
            "#!/bin/sh\nread -r server\nif [ \"$server\" = {address} ]; then\n  printf '{{\"ServerURL\":\"%s\",\"Username\":\"{USER}\",\"Secret\":\"%s\"}}' \"$server\" \"$(cat {})\"\nelse\n  echo 'credentials not found in native keychain'; exit 1\nfi\n",
            env.write("secrets/helper-password", &password).display()
        ),
    )
    .expect("write helper");
    std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let helper_dir = docker_config(
        &configs,
        "helper",
        &format!(r#"{{"credHelpers": {{"{address}": "ecsctltest"}}}}"#),
    );
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let with_helper = [
        ("DOCKER_CONFIG", helper_dir.as_str()),
        ("PATH", path.as_str()),
    ];
    env.write(
        "m/helper.yaml",
        &service(
            &cluster,
            "helper",
            &format!("{address}/private/helper:1"),
            3,
            "  placementConstraints: [{ type: memberOf, expression: 'attribute:zone == z3' }]\n",
            "",
        ),
    );
    let apply = apply_ok(&env, &cluster, &with_helper);
    assert!(
        apply.stdout.contains(&format!(
            "credential helper `docker-credential-ecsctltest` (credHelpers in {helper_dir}/config.json)"
        )),
        "{}",
        apply.stdout
    );
    assert_eq!(
        running_hosts(&env, &cluster, "helper", &with_helper),
        BTreeMap::from([("h3".to_string(), 3)])
    );
    assert_eq!(
        registry.pulls("private/helper", "10.250.3.2"),
        1,
        "three tasks on one host pull the image once"
    );
    let describe = run(
        &env,
        &cluster,
        &["describe", "taskdef", "helper:1"],
        &with_helper,
    );
    assert!(
        describe.stdout.contains("docker-credential-ecsctltest"),
        "{}",
        describe.stdout
    );

    // 4. A wrong password: the launch fails with the registry's reason, and no password is
    // written or printed anywhere.
    let wrong_dir = docker_config(&configs, "wrong", &auths(&address, USER, &wrong));
    let with_wrong = [("DOCKER_CONFIG", wrong_dir.as_str())];
    env.write(
        "m/denied.yaml",
        &service(
            &cluster,
            "denied",
            &format!("{address}/private/denied:1"),
            1,
            "  placementConstraints: [{ type: memberOf, expression: 'attribute:zone == z1' }]\n",
            "",
        ),
    );
    let apply = run(
        &env,
        &cluster,
        &["apply", "-f", "m", "--auto-approve", "--wait", "40s"],
        &with_wrong,
    );
    assert_ne!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    let reason = format!(
        "CannotPullContainerError: pull image `{address}/private/denied:1` (not on host `h1`)"
    );
    assert!(apply.stderr.contains(&reason), "{}", apply.stderr);
    assert!(apply.stderr.contains("unauthorized"), "{}", apply.stderr);
    let events = run(
        &env,
        &cluster,
        &["events", "--cluster", &cluster.name],
        &with_wrong,
    );
    assert!(
        events.stdout.contains("CannotPullContainerError"),
        "{}",
        events.stdout
    );
    assert_eq!(
        running_hosts(&env, &cluster, "denied", &with_wrong),
        BTreeMap::new()
    );

    let mut printed = String::new();
    for out in [&plan, &apply, &events, &describe] {
        printed.push_str(&out.stdout);
        printed.push_str(&out.stderr);
    }
    for args in [
        vec!["describe", "service", "denied", "--cluster", &cluster.name],
        vec!["get", "tasks", "--cluster", &cluster.name, "-o", "json"],
        vec!["describe", "taskdef", "file:1"],
    ] {
        let out = run(&env, &cluster, &args, &with_config);
        printed.push_str(&out.stdout);
        printed.push_str(&out.stderr);
    }
    let written = all_text(&env.state_dir());
    assert!(!written.is_empty(), "the state directory has files");
    for secret in [&password, &wrong] {
        assert!(!printed.contains(secret.as_str()), "a password was printed");
        assert!(
            !written.contains(secret.as_str()),
            "a password is in the state"
        );
    }

    for repository in repositories {
        for host in 1..=3 {
            let _ = rig.docker(host, &["rmi", &format!("{address}/{repository}:1")]);
        }
    }
}
