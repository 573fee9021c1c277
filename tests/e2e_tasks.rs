//! Tasks on a real Docker daemon: every mapped field as `docker inspect` shows it, awsvpc
//! tasks sharing localhost, secrets that reach the container and nothing else, containers
//! ecsctl must never touch, and a missing image.

mod common;

use std::time::Duration;

use common::Env;
use common::docker::{IMAGE, TestCluster, docker, docker_ok, inspect, wait_for};
use serde_json::Value;

fn service(cluster: &TestCluster, family: &str, task_spec: &str) -> String {
    format!(
        "{}apiVersion: ecsctl/v1\nkind: TaskDefinition\nmetadata: {{ name: {family} }}\nspec:\n{task_spec}---\napiVersion: ecsctl/v1\nkind: Service\nmetadata: {{ name: {family}, cluster: {} }}\nspec: {{ desiredCount: 1 }}\n",
        cluster.manifest(),
        cluster.name
    )
}

fn container_of(cluster: &TestCluster, name: &str) -> Value {
    let filter = format!("label=ecsctl.container={name}");
    let ids = cluster.containers(&[&filter], true);
    assert_eq!(ids.len(), 1, "one `{name}` container");
    inspect(&ids[0])
}

#[test]
fn every_mapped_field_reaches_docker() {
    let cluster = TestCluster::new("fields");
    let env = Env::new();
    let hostdir = env.dir.path().join("hostdir");
    std::fs::create_dir_all(&hostdir).expect("dir");
    std::fs::write(hostdir.join("hello"), "from the host").expect("file");
    let spec = format!(
        "  cpu: '512'
  memory: '256'
  volumes:
    - {{ name: data, host: {{ sourcePath: {hostdir} }} }}
    - {{ name: scratch }}
  containerDefinitions:
    - name: app
      image: {IMAGE}
      entryPoint: [sh, -c]
      command: [\"trap 'exit 0' TERM; sleep 600 & wait\"]
      environment: [{{ name: MODE, value: test }}]
      portMappings: [{{ containerPort: 8080, hostPort: 0 }}, {{ containerPort: 9090, protocol: udp }}]
      cpu: 128
      memory: 200
      memoryReservation: 100
      links: [peer:buddy]
      mountPoints:
        - {{ sourceVolume: data, containerPath: /data, readOnly: true }}
        - {{ sourceVolume: scratch, containerPath: /scratch }}
      volumesFrom: [{{ sourceContainer: peer, readOnly: true }}]
      ulimits: [{{ name: nofile, softLimit: 1024, hardLimit: 2048 }}]
      user: nobody
      workingDirectory: /tmp
      dockerLabels: {{ team: platform }}
      stopTimeout: 7
      readonlyRootFilesystem: true
      privileged: false
      healthCheck: {{ command: [CMD-SHELL, 'true'], interval: 6, timeout: 3, retries: 2, startPeriod: 1 }}
      linuxParameters:
        capabilities: {{ add: [NET_ADMIN], drop: [MKNOD] }}
        initProcessEnabled: true
        tmpfs: [{{ containerPath: /run/cache, size: 16, mountOptions: [noexec] }}]
        sharedMemorySize: 32
        devices: [{{ hostPath: /dev/null, containerPath: /dev/nothing, permissions: [read] }}]
        maxSwap: 0
        swappiness: 10
      extraHosts: [{{ hostname: db.internal, ipAddress: 10.9.8.7 }}]
      hostname: app-host
      dnsServers: [10.0.0.2]
      dnsSearchDomains: [corp.example]
      logConfiguration: {{ logDriver: json-file, options: {{ max-size: 1m }} }}
      dockerSecurityOptions: [no-new-privileges]
      systemControls: [{{ namespace: net.core.somaxconn, value: '512' }}]
      interactive: true
      pseudoTerminal: true
    - name: peer
      image: {IMAGE}
      essential: false
      command: [sh, -c, \"trap 'exit 0' TERM; sleep 600 & wait\"]
",
        hostdir = hostdir.display()
    );
    env.write("m/t.yaml", &service(&cluster, "fields", &spec));
    let apply = env.run(&["apply", "-f", "m", "--auto-approve", "--wait", "60s"]);
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    let app = container_of(&cluster, "app");
    let peer = container_of(&cluster, "peer");
    let config = &app["Config"];
    let host = &app["HostConfig"];
    assert_eq!(config["Image"], IMAGE);
    assert_eq!(config["Entrypoint"], serde_json::json!(["sh", "-c"]));
    assert_eq!(
        config["Cmd"],
        serde_json::json!(["trap 'exit 0' TERM; sleep 600 & wait"])
    );
    assert!(
        config["Env"]
            .as_array()
            .expect("env")
            .contains(&Value::from("MODE=test"))
    );
    assert!(
        config["ExposedPorts"]["8080/tcp"].is_object()
            && config["ExposedPorts"]["9090/udp"].is_object()
    );
    let published = app["NetworkSettings"]["Ports"]["8080/tcp"][0]["HostPort"]
        .as_str()
        .expect("published");
    assert!(
        published.parse::<u16>().expect("port") > 0,
        "hostPort 0 gets a dynamic port"
    );
    assert_eq!(host["NetworkMode"], "bridge");
    assert_eq!(host["CpuShares"], 128);
    assert_eq!(host["NanoCpus"], 500_000_000);
    assert_eq!(host["Memory"], 200 * 1024 * 1024);
    assert_eq!(host["MemoryReservation"], 100 * 1024 * 1024);
    assert_eq!(host["MemorySwap"], 200 * 1024 * 1024, "maxSwap 0: no swap");
    assert_eq!(host["MemorySwappiness"], 10);
    let peer_name = peer["Name"].as_str().expect("name").trim_start_matches('/');
    assert_eq!(
        host["Links"][0],
        format!(
            "/{peer_name}:/{}/buddy",
            app["Name"].as_str().expect("name").trim_start_matches('/')
        )
    );
    assert!(
        host["Binds"]
            .as_array()
            .expect("binds")
            .iter()
            .any(|b| b == &Value::from(format!("{}:/data:ro", hostdir.display())))
    );
    assert!(
        host["Binds"]
            .as_array()
            .expect("binds")
            .iter()
            .any(|b| b.as_str().is_some_and(|s| s.ends_with("-scratch:/scratch")))
    );
    assert_eq!(host["VolumesFrom"][0], format!("{peer_name}:ro"));
    assert_eq!(
        host["Ulimits"][0],
        serde_json::json!({"Name": "nofile", "Soft": 1024, "Hard": 2048})
    );
    assert_eq!(config["User"], "nobody");
    assert_eq!(config["WorkingDir"], "/tmp");
    assert_eq!(config["Labels"]["team"], "platform");
    assert_eq!(config["StopTimeout"], 7);
    assert_eq!(host["ReadonlyRootfs"], true);
    assert_eq!(host["Privileged"], false);
    assert_eq!(
        config["Healthcheck"]["Test"],
        serde_json::json!(["CMD-SHELL", "true"])
    );
    assert_eq!(config["Healthcheck"]["Interval"], 6_000_000_000_i64);
    assert_eq!(config["Healthcheck"]["Timeout"], 3_000_000_000_i64);
    assert_eq!(config["Healthcheck"]["Retries"], 2);
    assert_eq!(config["Healthcheck"]["StartPeriod"], 1_000_000_000_i64);
    assert_eq!(host["CapAdd"], serde_json::json!(["NET_ADMIN"]));
    assert_eq!(host["CapDrop"], serde_json::json!(["MKNOD"]));
    assert_eq!(host["Init"], true);
    assert_eq!(host["Tmpfs"]["/run/cache"], "size=16m,noexec");
    assert_eq!(host["ShmSize"], 32 * 1024 * 1024);
    assert_eq!(host["Devices"][0]["PathOnHost"], "/dev/null");
    assert_eq!(host["Devices"][0]["PathInContainer"], "/dev/nothing");
    assert_eq!(host["Devices"][0]["CgroupPermissions"], "r");
    assert_eq!(
        host["ExtraHosts"],
        serde_json::json!(["db.internal:10.9.8.7"])
    );
    assert_eq!(config["Hostname"], "app-host");
    assert_eq!(host["Dns"], serde_json::json!(["10.0.0.2"]));
    assert_eq!(host["DnsSearch"], serde_json::json!(["corp.example"]));
    assert_eq!(host["LogConfig"]["Type"], "json-file");
    assert_eq!(host["LogConfig"]["Config"]["max-size"], "1m");
    assert_eq!(
        host["SecurityOpt"],
        serde_json::json!(["no-new-privileges"])
    );
    assert_eq!(host["Sysctls"]["net.core.somaxconn"], "512");
    assert_eq!(
        (config["OpenStdin"].clone(), config["Tty"].clone()),
        (Value::Bool(true), Value::Bool(true))
    );
    // The container really runs with them: the bind mount is read-only and readable.
    let (ok, out, _) = docker(&[
        "exec",
        app["Id"].as_str().expect("id"),
        "cat",
        "/data/hello",
    ]);
    assert!(ok && out == "from the host");
    let (ok, _, _) = docker(&["exec", app["Id"].as_str().expect("id"), "touch", "/data/x"]);
    assert!(!ok, "the mount is read-only");
}

#[test]
fn awsvpc_containers_reach_each_other_on_localhost() {
    let cluster = TestCluster::new("awsvpc");
    let env = Env::new();
    let spec = format!(
        "  networkMode: awsvpc
  containerDefinitions:
    - name: server
      image: {IMAGE}
      command: [sh, -c, \"echo pong > /tmp/index.html; trap 'exit 0' TERM; httpd -f -p 8080 -h /tmp & wait\"]
      portMappings: [{{ containerPort: 8080 }}]
    - name: client
      image: {IMAGE}
      command: [sh, -c, \"trap 'exit 0' TERM; sleep 600 & wait\"]
"
    );
    env.write("m/t.yaml", &service(&cluster, "pair", &spec));
    let apply = env.run(&["apply", "-f", "m", "--auto-approve", "--wait", "60s"]);
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    let client = container_of(&cluster, "client");
    let server = container_of(&cluster, "server");
    let pause = inspect(&cluster.containers(&["label=ecsctl.pause=true"], true)[0]);
    // Docker records the network owner by id.
    let pause_id = pause["Id"].as_str().expect("id").to_string();
    assert_eq!(
        client["HostConfig"]["NetworkMode"],
        format!("container:{pause_id}")
    );
    assert_eq!(
        server["HostConfig"]["NetworkMode"],
        format!("container:{pause_id}")
    );
    assert_eq!(
        pause["Config"]["Image"], "ecsctl/pause:1",
        "the pause image was made on the host"
    );
    let mut answer = String::new();
    wait_for(
        "the server to answer on localhost",
        Duration::from_secs(10),
        || {
            let (ok, out, _) = docker(&[
                "exec",
                client["Id"].as_str().expect("id"),
                "wget",
                "-q",
                "-O",
                "-",
                "http://127.0.0.1:8080/",
            ]);
            answer = out;
            ok
        },
    );
    assert_eq!(answer.trim(), "pong");
    // The task's port is published on the pause container, on the same port (awsvpc).
    assert_eq!(
        pause["HostConfig"]["PortBindings"]["8080/tcp"][0]["HostPort"],
        "8080"
    );
}

#[test]
fn secrets_reach_the_container_and_nothing_else() {
    let cluster = TestCluster::new("secret");
    let env = Env::new();
    let canary = format!("canary-{:016x}", rand::random::<u64>());
    let file_canary = format!("filecanary-{:016x}", rand::random::<u64>());
    let secret_file = env.dir.path().join("db-password");
    std::fs::write(&secret_file, format!("{file_canary}\n")).expect("secret file");
    let spec = format!(
        "  containerDefinitions:
    - name: app
      image: {IMAGE}
      command: [sh, -c, \"trap 'exit 0' TERM; sleep 600 & wait\"]
      secrets:
        - {{ name: API_TOKEN, valueFrom: env:TEST_CANARY }}
        - {{ name: DB_PASSWORD, valueFrom: 'file:{}' }}
",
        secret_file.display()
    );
    env.write("m/t.yaml", &service(&cluster, "secretive", &spec));
    let secrets = [("TEST_CANARY", canary.as_str())];
    let mut printed = String::new();
    for args in [
        vec!["validate", "-f", "m"],
        vec!["plan", "-f", "m"],
        vec!["plan", "-f", "m", "-o", "json"],
        vec!["apply", "-f", "m", "--auto-approve", "--wait", "60s"],
        vec!["get", "tasks", "--cluster", &cluster.name, "-o", "json"],
        vec!["get", "taskdefs", "-o", "yaml"],
        vec![
            "describe",
            "service",
            "secretive",
            "--cluster",
            &cluster.name,
            "-o",
            "json",
        ],
        vec!["describe", "taskdef", "secretive"],
        vec!["reconcile", "--cluster", &cluster.name, "--wait", "30s"],
    ] {
        let run = env.run_with(&args, &[secrets[0], ("ECSCTL_LOG", "trace")]);
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        printed.push_str(&run.stdout);
        printed.push_str(&run.stderr);
    }
    let task_id = {
        let tasks: Value = serde_json::from_str(
            &env.run(&["get", "tasks", "--cluster", &cluster.name, "-o", "json"])
                .stdout,
        )
        .expect("json");
        tasks[0]["id"].as_str().expect("id").to_string()
    };
    let run = env.run_with(&["describe", "task", &task_id], &[secrets[0]]);
    printed.push_str(&run.stdout);
    printed.push_str(&run.stderr);

    // It reaches the container's environment...
    let app = container_of(&cluster, "app");
    let environment: Vec<String> = app["Config"]["Env"]
        .as_array()
        .expect("env")
        .iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    assert!(environment.contains(&format!("API_TOKEN={canary}")));
    assert!(environment.contains(&format!("DB_PASSWORD={file_canary}")));
    // ...and appears nowhere else: not in anything ecsctl printed or logged,
    assert!(
        !printed.contains(&canary) && !printed.contains(&file_canary),
        "a secret was printed"
    );
    // nor in any file of the state directory (state, runtime, events, locks).
    let mut files = 0;
    for entry in walk(&env.state_dir()) {
        let bytes = std::fs::read(&entry).expect("readable");
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains(&canary) && !text.contains(&file_canary),
            "a secret was written to {}",
            entry.display()
        );
        files += 1;
    }
    assert!(
        files >= 3,
        "the state directory was checked ({files} files)"
    );
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn containers_without_our_labels_or_of_another_state_are_never_touched() {
    let cluster = TestCluster::new("foreign");
    let env = Env::new();
    let unique = format!("{:08x}", rand::random::<u32>());
    let plain = format!("unlabeled-{unique}");
    docker_ok(&["run", "-d", "--name", &plain, IMAGE, "sleep", "600"]);
    // Same cluster name, same service name, another state's lineage.
    let foreign = format!("foreign-{unique}");
    let cluster_label = format!("ecsctl.cluster={}", cluster.name);
    docker_ok(&[
        "run",
        "-d",
        "--name",
        &foreign,
        "--label",
        &cluster_label,
        "--label",
        "ecsctl.lineage=some-other-state",
        "--label",
        "ecsctl.service=web",
        "--label",
        "ecsctl.task=ffffffffffffffffffffffffffffffff",
        "--label",
        "ecsctl.family=web",
        "--label",
        "ecsctl.revision=1",
        "--label",
        "ecsctl.container=web",
        IMAGE,
        "sleep",
        "600",
    ]);
    let started = |name: &str| {
        inspect(name)["State"]["StartedAt"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    let (plain_started, foreign_started) = (started(&plain), started(&foreign));
    let spec = format!(
        "  containerDefinitions:\n    - {{ name: web, image: {IMAGE}, command: [sh, -c, \"trap 'exit 0' TERM; sleep 600 & wait\"] }}\n"
    );
    env.write("m/t.yaml", &service(&cluster, "web", &spec));
    assert_eq!(
        env.run(&["apply", "-f", "m", "--auto-approve", "--wait", "60s"])
            .code,
        0
    );
    // Scale to zero, then delete: ecsctl stops and removes its own tasks only.
    let delete = env.run(&[
        "delete",
        "service",
        "web",
        "--cluster",
        &cluster.name,
        "--wait",
        "60s",
        "--auto-approve",
    ]);
    assert_eq!(delete.code, 0, "{}", delete.stderr);
    assert!(
        delete.stderr.contains("service web: draining: 1 task left")
            && delete.stderr.ends_with("Every deleted service is gone.\n"),
        "{}",
        delete.stderr
    );
    let reconcile = env.run_with(
        &["reconcile", "--cluster", &cluster.name, "--wait", "20s"],
        &[("ECSCTL_LOG", "warn")],
    );
    assert_eq!(reconcile.code, 0, "{}", reconcile.stderr);
    for (name, was) in [(&plain, plain_started), (&foreign, foreign_started)] {
        let now = inspect(name);
        assert_eq!(now["State"]["Running"], true, "{name} was stopped");
        assert_eq!(
            now["State"]["StartedAt"].as_str().unwrap_or_default(),
            was,
            "{name} was restarted"
        );
    }
    assert!(
        reconcile.stderr.contains("belongs to cluster")
            && reconcile.stderr.contains("another state"),
        "the foreign container is reported: {}",
        reconcile.stderr
    );
    let _ = docker(&["rm", "-f", &plain, &foreign]);
}

#[test]
fn a_missing_image_stops_the_task_with_cannot_pull() {
    let cluster = TestCluster::new("pull");
    let env = Env::new();
    let spec = "  containerDefinitions:\n    - { name: app, image: 'localhost:1/ecsctl-missing/image:none' }\n";
    env.write("m/t.yaml", &service(&cluster, "ghost", spec));
    let apply = env.run(&["apply", "-f", "m", "--auto-approve", "--wait", "30s"]);
    assert_eq!(apply.code, 1);
    assert!(
        apply.stderr.contains(
            "CannotPullContainerError: pull image `localhost:1/ecsctl-missing/image:none` (not on host `local`)"
        ),
        "{}",
        apply.stderr
    );
    let describe = env.run(&["describe", "service", "ghost", "--cluster", &cluster.name]);
    assert!(
        describe.stdout.contains("failed to launch"),
        "{}",
        describe.stdout
    );
}
