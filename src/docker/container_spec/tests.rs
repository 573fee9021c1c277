use super::*;
use crate::model::load::check_text;
use crate::model::normalize;

fn spec(body: &str) -> TaskDefinitionSpec {
    let text = format!(
        "apiVersion: ecsctl/v1\nkind: TaskDefinition\nmetadata: {{name: web}}\nspec:\n{body}"
    );
    let (set, d) = check_text("t.yaml", &text);
    assert!(!d.has_errors(), "{d:#?}");
    normalize::task_definition(&set.task_definitions["web"].spec)
}

fn build(
    spec: &TaskDefinitionSpec,
    index: usize,
    secrets: &BTreeMap<String, Vec<(String, SecretValue)>>,
) -> ContainerCreateBody {
    let group = TaskGroup::Service("web".into());
    let ctx = TaskContext {
        cluster: "default",
        lineage: "lin-1",
        task_id: "0123456789abcdef0123456789abcdef",
        group: &group,
        deployment: Some("ecs-svc/1"),
        family: "web",
        revision: 3,
        spec,
        created_at: Timestamp::from_unix_millis(0),
        secrets,
        registry_auth: &BTreeMap::new(),
        pull_behavior: PullBehavior::Default,
        pause_image: "ecsctl/pause:1",
        launch_type: LaunchType::Ec2,
        task_cgroup: None,
    };
    container(&ctx, &spec.container_definitions[index])
}

const FULL: &str = "  cpu: '512'
  memory: '1024'
  volumes:
    - { name: data, host: { sourcePath: /srv/data } }
    - { name: scratch }
    - { name: shared, dockerVolumeConfiguration: { scope: shared, autoprovision: true } }
  containerDefinitions:
    - name: app
      image: nginx:1.27
      command: [nginx, -g, daemon off;]
      entryPoint: [/docker-entrypoint.sh]
      environment: [{ name: MODE, value: prod }]
      secrets: [{ name: TOKEN, valueFrom: env:TOKEN }]
      portMappings: [{ containerPort: 80, hostPort: 0 }, { containerPort: 53, hostPort: 5353, protocol: udp }]
      cpu: 256
      memory: 512
      memoryReservation: 256
      links: [db:database]
      mountPoints:
        - { sourceVolume: data, containerPath: /data, readOnly: true }
        - { sourceVolume: scratch, containerPath: /scratch }
        - { sourceVolume: shared, containerPath: /shared }
      volumesFrom: [{ sourceContainer: db, readOnly: true }]
      ulimits: [{ name: nofile, softLimit: 1024, hardLimit: 4096 }]
      user: '1000'
      workingDirectory: /app
      dockerLabels: { team: web, ecsctl.task: forged }
      stopTimeout: 12
      readonlyRootFilesystem: true
      privileged: false
      healthCheck: { command: [CMD-SHELL, curl -f localhost], interval: 10, timeout: 3, retries: 4, startPeriod: 7 }
      linuxParameters:
        capabilities: { add: [NET_ADMIN], drop: [MKNOD] }
        initProcessEnabled: true
        tmpfs: [{ containerPath: /tmp, size: 64, mountOptions: [noexec] }]
        sharedMemorySize: 128
        devices: [{ hostPath: /dev/fuse, permissions: [read, write] }]
        maxSwap: 256
        swappiness: 10
      extraHosts: [{ hostname: db.local, ipAddress: 10.0.0.5 }]
      hostname: app-host
      dnsServers: [1.1.1.1]
      dnsSearchDomains: [corp.local]
      logConfiguration: { logDriver: json-file, options: { max-size: 10m } }
      dockerSecurityOptions: [no-new-privileges]
      systemControls: [{ namespace: net.core.somaxconn, value: '1024' }]
      interactive: true
      pseudoTerminal: true
    - name: db
      image: postgres
      essential: false
";

#[test]
fn every_mapped_field_reaches_the_docker_request() {
    let spec = spec(FULL);
    let mut secrets = BTreeMap::new();
    secrets.insert(
        "app".to_string(),
        vec![("TOKEN".to_string(), SecretValue("s3cr3t".into()))],
    );
    let body = build(&spec, 0, &secrets);
    let host = body.host_config.clone().expect("host config");
    assert_eq!(body.image.as_deref(), Some("nginx:1.27"));
    assert_eq!(
        body.cmd,
        Some(vec!["nginx".into(), "-g".into(), "daemon off;".into()])
    );
    assert_eq!(body.entrypoint, Some(vec!["/docker-entrypoint.sh".into()]));
    assert_eq!(
        body.env,
        Some(vec!["MODE=prod".into(), "TOKEN=s3cr3t".into()])
    );
    let mut exposed = body.exposed_ports.clone().expect("exposed");
    exposed.sort();
    assert_eq!(exposed, ["53/udp", "80/tcp"]);
    let bindings = host.port_bindings.clone().expect("bindings");
    assert_eq!(
        bindings["80/tcp"].as_ref().expect("80")[0]
            .host_port
            .as_deref(),
        Some("")
    );
    assert_eq!(
        bindings["53/udp"].as_ref().expect("53")[0]
            .host_port
            .as_deref(),
        Some("5353")
    );
    assert_eq!(host.network_mode.as_deref(), Some("bridge"));
    assert_eq!(host.cpu_shares, Some(256));
    assert_eq!(
        host.nano_cpus,
        Some(500_000_000),
        "task cpu 512 units = half a core"
    );
    assert_eq!(host.memory, Some(512 * MIB));
    assert_eq!(host.memory_reservation, Some(256 * MIB));
    assert_eq!(host.memory_swap, Some((512 + 256) * MIB));
    assert_eq!(host.memory_swappiness, Some(10));
    assert_eq!(
        host.links,
        Some(vec!["ecsctl-default-web-3-db-0123456789ab:database".into()])
    );
    assert_eq!(
        host.binds,
        Some(vec![
            "/srv/data:/data:ro".into(),
            "ecsctl-0123456789abcdef0123456789abcdef-scratch:/scratch".into(),
            "shared:/shared".into()
        ])
    );
    assert_eq!(
        host.volumes_from,
        Some(vec!["ecsctl-default-web-3-db-0123456789ab:ro".into()])
    );
    let ulimit = &host.ulimits.clone().expect("ulimits")[0];
    assert_eq!(
        (ulimit.name.as_deref(), ulimit.soft, ulimit.hard),
        (Some("nofile"), Some(1024), Some(4096))
    );
    assert_eq!(body.user.as_deref(), Some("1000"));
    assert_eq!(body.working_dir.as_deref(), Some("/app"));
    let labels = body.labels.clone().expect("labels");
    assert_eq!(labels["team"], "web");
    assert_eq!(
        labels["ecsctl.task"], "0123456789abcdef0123456789abcdef",
        "ecsctl's labels cannot be forged"
    );
    assert_eq!(labels["ecsctl.lineage"], "lin-1");
    assert_eq!(labels["ecsctl.service"], "web");
    assert_eq!(labels["ecsctl.deployment"], "ecs-svc/1");
    assert_eq!(labels["ecsctl.essential"], "true");
    assert_eq!(body.stop_timeout, Some(12));
    assert_eq!(host.readonly_rootfs, Some(true));
    assert_eq!(host.privileged, Some(false));
    let health = body.healthcheck.clone().expect("health");
    assert_eq!(
        health.test,
        Some(vec!["CMD-SHELL".into(), "curl -f localhost".into()])
    );
    assert_eq!(
        (
            health.interval,
            health.timeout,
            health.retries,
            health.start_period
        ),
        (
            Some(10 * SECOND_NS),
            Some(3 * SECOND_NS),
            Some(4),
            Some(7 * SECOND_NS)
        )
    );
    assert_eq!(host.cap_add, Some(vec!["NET_ADMIN".into()]));
    assert_eq!(host.cap_drop, Some(vec!["MKNOD".into()]));
    assert_eq!(host.init, Some(true));
    assert_eq!(
        host.tmpfs.clone().expect("tmpfs")["/tmp"],
        "size=64m,noexec"
    );
    assert_eq!(host.shm_size, Some(128 * MIB));
    let device = &host.devices.clone().expect("devices")[0];
    assert_eq!(device.path_on_host.as_deref(), Some("/dev/fuse"));
    assert_eq!(device.path_in_container.as_deref(), Some("/dev/fuse"));
    assert_eq!(device.cgroup_permissions.as_deref(), Some("rw"));
    assert_eq!(host.extra_hosts, Some(vec!["db.local:10.0.0.5".into()]));
    assert_eq!(body.hostname.as_deref(), Some("app-host"));
    assert_eq!(host.dns, Some(vec!["1.1.1.1".into()]));
    assert_eq!(host.dns_search, Some(vec!["corp.local".into()]));
    let log = host.log_config.clone().expect("log");
    assert_eq!(log.typ.as_deref(), Some("json-file"));
    assert_eq!(log.config.expect("options")["max-size"], "10m");
    assert_eq!(host.security_opt, Some(vec!["no-new-privileges".into()]));
    assert_eq!(
        host.sysctls.clone().expect("sysctls")["net.core.somaxconn"],
        "1024"
    );
    assert_eq!((body.open_stdin, body.tty), (Some(true), Some(true)));
    assert!(format!("{:?}", secrets).contains("<redacted>"));
}

#[test]
fn defaults_follow_ecs() {
    let spec = spec(
        "  memory: '300'\n  containerDefinitions:\n    - { name: a, image: x, healthCheck: { command: [/bin/check] } }\n",
    );
    let body = build(&spec, 0, &BTreeMap::new());
    let host = body.host_config.clone().expect("host");
    assert_eq!(body.stop_timeout, Some(DEFAULT_STOP_TIMEOUT));
    assert_eq!(
        host.memory,
        Some(300 * MIB),
        "the task's memory caps a container that sets none"
    );
    let health = body.healthcheck.expect("health");
    assert_eq!(health.test, Some(vec!["CMD".into(), "/bin/check".into()]));
    assert_eq!(
        (health.interval, health.timeout, health.retries),
        (Some(30 * SECOND_NS), Some(5 * SECOND_NS), Some(3))
    );
    assert_eq!(host.log_config, None);
}

#[test]
fn aws_log_drivers_become_json_file() {
    let spec = spec(
        "  containerDefinitions:\n    - { name: a, image: x, logConfiguration: { logDriver: awslogs, options: { awslogs-group: g } } }\n",
    );
    let log = build(&spec, 0, &BTreeMap::new())
        .host_config
        .and_then(|h| h.log_config)
        .expect("log");
    assert_eq!(log.typ.as_deref(), Some("json-file"));
    assert_eq!(log.config, Some(HashMap::new()));
}

#[test]
fn awsvpc_puts_ports_on_the_pause_container_and_joins_its_network() {
    let spec = spec(
        "  networkMode: awsvpc\n  containerDefinitions:\n    - { name: a, image: x, portMappings: [{ containerPort: 8080 }] }\n    - { name: b, image: y }\n",
    );
    let body = build(&spec, 0, &BTreeMap::new());
    let host = body.host_config.clone().expect("host");
    assert_eq!(
        host.network_mode.as_deref(),
        Some("container:ecsctl-default-web-3-0123456789ab-network")
    );
    assert_eq!(host.port_bindings, None);
    let group = TaskGroup::Service("web".into());
    let secrets = BTreeMap::new();
    let ctx = TaskContext {
        cluster: "default",
        lineage: "l",
        task_id: "0123456789abcdef0123456789abcdef",
        group: &group,
        deployment: None,
        family: "web",
        revision: 3,
        spec: &spec,
        created_at: Timestamp::from_unix_millis(0),
        secrets: &secrets,
        registry_auth: &BTreeMap::new(),
        pull_behavior: PullBehavior::Default,
        pause_image: "ecsctl/pause:1",
        launch_type: LaunchType::Ec2,
        task_cgroup: None,
    };
    // Names added for the task (Service Connect's) go on the pause container, once each,
    // and not on the containers that join its namespace (Docker refuses them there).
    let mut named = spec.clone();
    for c in &mut named.container_definitions {
        c.extra_hosts.push(crate::model::ecs::HostEntry {
            hostname: Some("web.internal".into()),
            ip_address: Some("host-gateway".into()),
        });
    }
    let with_names = TaskContext {
        spec: &named,
        ..ctx
    };
    assert_eq!(
        pause(&with_names).host_config.and_then(|h| h.extra_hosts),
        Some(vec!["web.internal:host-gateway".to_string()])
    );
    let app = container(&with_names, &named.container_definitions[0]);
    assert_eq!(app.host_config.and_then(|h| h.extra_hosts), None);
    let pause = pause(&ctx);
    assert_eq!(pause.image.as_deref(), Some("ecsctl/pause:1"));
    assert_eq!(
        pause.labels.as_ref().expect("labels")["ecsctl.pause"],
        "true"
    );
    let bindings = pause
        .host_config
        .and_then(|h| h.port_bindings)
        .expect("bindings");
    assert_eq!(
        bindings["8080/tcp"].as_ref().expect("8080")[0]
            .host_port
            .as_deref(),
        Some("8080")
    );
}

#[test]
fn host_and_none_network_modes() {
    let host = spec(
        "  networkMode: host\n  containerDefinitions:\n    - { name: a, image: x, portMappings: [{ containerPort: 80 }] }\n",
    );
    let body = build(&host, 0, &BTreeMap::new());
    assert_eq!(
        body.host_config
            .as_ref()
            .and_then(|h| h.network_mode.as_deref()),
        Some("host")
    );
    assert_eq!(body.exposed_ports, None);
    let none = spec("  networkMode: none\n  containerDefinitions:\n    - { name: a, image: x }\n");
    let body = build(&none, 0, &BTreeMap::new());
    assert_eq!(
        body.host_config
            .as_ref()
            .and_then(|h| h.network_mode.as_deref()),
        Some("none")
    );
}

#[test]
fn task_namespaces_are_shared_through_the_first_container() {
    let spec = spec(
        "  pidMode: task\n  ipcMode: task\n  containerDefinitions:\n    - { name: a, image: x }\n    - { name: b, image: y }\n",
    );
    let first = build(&spec, 0, &BTreeMap::new()).host_config.expect("host");
    let second = build(&spec, 1, &BTreeMap::new()).host_config.expect("host");
    assert_eq!(
        (first.pid_mode, first.ipc_mode.as_deref()),
        (None, Some("shareable"))
    );
    assert_eq!(
        second.pid_mode.as_deref(),
        Some("container:ecsctl-default-web-3-a-0123456789ab")
    );
    assert_eq!(
        second.ipc_mode.as_deref(),
        Some("container:ecsctl-default-web-3-a-0123456789ab")
    );
}

/// Issue 13: a Fargate task's size is held by its pause container, and its app containers
/// nest in the pause container's cgroup; without such a cgroup they keep per-container limits
/// and say why.
#[test]
fn a_fargate_task_is_bounded_through_its_pause_container() {
    let spec = spec(
        "  networkMode: awsvpc\n  requiresCompatibilities: [FARGATE]\n  cpu: '512'\n  memory: 1 GB\n  containerDefinitions:\n    - { name: a, image: x }\n    - { name: b, image: y, memory: 256 }\n",
    );
    let group = TaskGroup::Service("web".into());
    let secrets = BTreeMap::new();
    let auth = BTreeMap::new();
    let ctx = |task_cgroup| TaskContext {
        cluster: "default",
        lineage: "l",
        task_id: "0123456789abcdef0123456789abcdef",
        group: &group,
        deployment: None,
        family: "web",
        revision: 3,
        spec: &spec,
        created_at: Timestamp::from_unix_millis(0),
        secrets: &secrets,
        pause_image: "ecsctl/pause:1",
        registry_auth: &auth,
        pull_behavior: PullBehavior::Default,
        launch_type: LaunchType::Fargate,
        task_cgroup,
    };
    let holder = pause(&ctx(None));
    let host = holder.host_config.expect("host");
    assert_eq!(host.memory, Some(1024 * MIB));
    assert_eq!(host.memory_swap, Some(1024 * MIB), "no swap, as on Fargate");
    assert_eq!(host.nano_cpus, Some(500_000_000));
    assert_eq!(host.cpu_shares, Some(512));
    assert_eq!(
        holder.labels.expect("labels")["ecsctl.launch-type"],
        "FARGATE"
    );

    let nested = ctx(Some(Ok("/docker/pauseid")));
    let a = container(&nested, &spec.container_definitions[0]);
    let b = container(&nested, &spec.container_definitions[1]);
    for body in [&a, &b] {
        let host = body.host_config.as_ref().expect("host");
        assert_eq!(host.cgroup_parent.as_deref(), Some("/docker/pauseid"));
        let labels = body.labels.as_ref().expect("labels");
        assert_eq!(labels["ecsctl.launch-type"], "FARGATE");
        assert_eq!(labels["ecsctl.task-limits"], "task cgroup /docker/pauseid");
    }
    // Each container still reads the task size (or its own) in its own cgroup.
    assert_eq!(
        a.host_config.as_ref().and_then(|h| h.memory),
        Some(1024 * MIB)
    );
    assert_eq!(
        b.host_config.as_ref().and_then(|h| h.memory),
        Some(256 * MIB)
    );

    let unable = ctx(Some(Err("the host uses cgroup v2")));
    let holder = pause(&unable).host_config.expect("host");
    assert_eq!((holder.memory, holder.nano_cpus), (None, None));
    let a = container(&unable, &spec.container_definitions[0]);
    assert_eq!(
        a.host_config.as_ref().and_then(|h| h.cgroup_parent.clone()),
        None
    );
    assert_eq!(
        a.host_config.as_ref().and_then(|h| h.memory),
        Some(1024 * MIB)
    );
    assert_eq!(
        a.labels.expect("labels")["ecsctl.task-limits"],
        "per container: the host uses cgroup v2"
    );
}

#[test]
fn an_ec2_task_has_no_task_cgroup() {
    let spec = spec(
        "  networkMode: awsvpc\n  cpu: '512'\n  memory: '1024'\n  containerDefinitions:\n    - { name: a, image: x }\n",
    );
    let body = build(&spec, 0, &BTreeMap::new());
    let labels = body.labels.expect("labels");
    assert!(!labels.contains_key("ecsctl.launch-type"));
    assert!(!labels.contains_key("ecsctl.task-limits"));
    assert_eq!(body.host_config.and_then(|h| h.cgroup_parent), None);
}

/// Drift compares a container with what a launch creates: the same builder, secrets left
/// out, the Docker name ecsctl gives it.
#[test]
fn drift_expects_what_a_launch_creates_without_secrets() {
    let spec = spec(
        "  containerDefinitions:\n    - name: app\n      image: nginx:1\n      memory: 128\n      cpu: 256\n      environment: [{name: MODE, value: prod}]\n      secrets: [{name: TOKEN, valueFrom: env:TOKEN}]\n",
    );
    let task = crate::reconcile::task::ObservedTask {
        id: "0123456789abcdef0123456789abcdef".into(),
        cluster: "default".into(),
        host: "local".into(),
        group: TaskGroup::Service("web".into()),
        task_definition: crate::model::names::TaskDefRef::pinned("web", 3),
        deployment: Some("ecs-svc/1".into()),
        created_at: Timestamp::from_unix_millis(0),
        containers: Vec::new(),
        launch_type: LaunchType::Ec2,
        task_limits: None,
    };
    let e = expected("lin-1", &task, &spec, "app").expect("app is defined");
    assert_eq!(e.docker_name, "ecsctl-default-web-3-app-0123456789ab");
    assert_eq!(e.config.image.as_deref(), Some("nginx:1"));
    assert_eq!(e.config.memory, Some(128 * MIB));
    assert_eq!(e.config.cpu_shares, Some(256));
    assert_eq!(e.config.nano_cpus, None);
    assert_eq!(e.environment, [("MODE".to_string(), "prod".to_string())]);
    assert!(e.config.env.iter().all(|kv| !kv.starts_with("TOKEN=")));
    assert_eq!(expected("lin-1", &task, &spec, "nope"), None);
}
