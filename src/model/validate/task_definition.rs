//! Checks of one task definition: the rules ECS applies at RegisterTaskDefinition, and the ones
//! Docker would only reveal when a task starts.

use std::collections::{BTreeMap, BTreeSet};

use super::{Check, DiagnosticExt};
use crate::diagnostics::Diagnostics;
use crate::model::ecs::{
    Compatibility, ContainerCondition, ContainerDefinition, NetworkMode, PidMode,
    TaskDefinitionPlacementConstraintType, TaskDefinitionSpec, TransportProtocol,
};
use crate::model::effective::{self, TaskSize};
use crate::model::fargate;
use crate::model::manifest::Manifest;
use crate::model::names::{check_ecs_name, is_templated};
use crate::model::secrets::{SecretSource, parse_reference, parse_value_from};
use crate::model::units::{parse_cpu, parse_memory};
use crate::suggest::did_you_mean;

/// ECS's limit on containers per task definition.
const MAX_CONTAINERS: usize = 10;
/// Docker refuses memory limits below 6 MiB.
const MIN_CONTAINER_MEMORY: i32 = 6;

/// The Linux capabilities ECS accepts in `linuxParameters.capabilities`.
pub const CAPABILITIES: &[&str] = &[
    "ALL",
    "AUDIT_CONTROL",
    "AUDIT_WRITE",
    "BLOCK_SUSPEND",
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "IPC_LOCK",
    "IPC_OWNER",
    "KILL",
    "LEASE",
    "LINUX_IMMUTABLE",
    "MAC_ADMIN",
    "MAC_OVERRIDE",
    "MKNOD",
    "NET_ADMIN",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_RAW",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_CHROOT",
    "SYS_MODULE",
    "SYS_NICE",
    "SYS_PACCT",
    "SYS_PTRACE",
    "SYS_RAWIO",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "SYSLOG",
    "WAKE_ALARM",
];

pub(super) fn check(m: &Manifest<TaskDefinitionSpec>, out: &mut Diagnostics) {
    let mut c = Check::new(&m.origin, out);
    let spec = &m.spec;
    if !is_templated(&m.name)
        && let Err(e) = check_ecs_name(&m.name)
    {
        c.error_at(&m.name_path, format!("invalid task definition family: {e}"));
    }
    let mode = effective::network_mode(spec);
    if spec.network_mode == Some(NetworkMode::Default) {
        c.warning(
            "networkMode",
            "`networkMode: default` is the old name of `bridge`",
        )
        .help("write `networkMode: bridge`");
    }
    let containers = &spec.container_definitions;
    if containers.is_empty() {
        c.error(
            "containerDefinitions",
            "a task definition needs at least one container",
        )
        .help("add a `containerDefinitions` list with `name` and `image`");
    } else if containers.len() > MAX_CONTAINERS {
        c.error(
            "containerDefinitions",
            format!(
                "{} containers: a task definition holds at most {MAX_CONTAINERS}",
                containers.len()
            ),
        );
    }
    let names = container_names(containers, &mut c);
    if !containers.is_empty() && !containers.iter().any(effective::essential) {
        c.error(
            "containerDefinitions",
            "no container is essential: a task needs at least one essential container",
        )
        .help("set `essential: true` on the main container");
    }
    let volumes = check_volumes(spec, &mut c);
    for (i, container) in containers.iter().enumerate() {
        check_container(i, container, containers, &names, &volumes, mode, &mut c);
    }
    check_ports(containers, mode, &mut c);
    check_task_size(spec, &mut c);
    check_ephemeral_storage(spec, &mut c);
    if spec
        .requires_compatibilities
        .contains(&Compatibility::Fargate)
    {
        check_fargate(spec, &mut c);
    }
    for (i, constraint) in spec.placement_constraints.iter().enumerate() {
        if constraint.r#type != Some(TaskDefinitionPlacementConstraintType::MemberOf) {
            continue;
        }
        match constraint.expression.as_deref() {
            None => {
                c.error(
                    &format!("placementConstraints[{i}]"),
                    "a `memberOf` constraint needs an `expression`",
                );
            }
            Some(expression) if !is_templated(expression) => {
                if let Err(e) = crate::schedule::query::Expr::parse(expression) {
                    c.error(
                        &format!("placementConstraints[{i}].expression"),
                        format!("invalid memberOf expression: {e}"),
                    );
                }
            }
            Some(_) => {}
        }
    }
}

fn container_names<'s>(
    containers: &'s [ContainerDefinition],
    c: &mut Check<'_>,
) -> BTreeMap<&'s str, usize> {
    let mut names = BTreeMap::new();
    for (i, container) in containers.iter().enumerate() {
        let Some(name) = container.name.as_deref() else {
            c.error(
                &format!("containerDefinitions[{i}]"),
                "the container has no `name`",
            );
            continue;
        };
        if !is_templated(name)
            && let Err(e) = check_ecs_name(name)
        {
            c.error(
                &format!("containerDefinitions[{i}].name"),
                format!("invalid container name: {e}"),
            );
        }
        if let Some(first) = names.get(name) {
            c.error(
                &format!("containerDefinitions[{i}].name"),
                format!("two containers are named `{name}`"),
            )
            .help(format!(
                "container names must be unique; the first is containerDefinitions[{first}]"
            ));
        } else {
            names.insert(name, i);
        }
    }
    names
}

fn check_volumes<'s>(spec: &'s TaskDefinitionSpec, c: &mut Check<'_>) -> BTreeSet<&'s str> {
    let mut names = BTreeSet::new();
    for (i, volume) in spec.volumes.iter().enumerate() {
        let Some(name) = volume.name.as_deref() else {
            c.error(&format!("volumes[{i}]"), "the volume has no `name`");
            continue;
        };
        if !names.insert(name) {
            c.error(
                &format!("volumes[{i}].name"),
                format!("two volumes are named `{name}`"),
            );
        }
        let kinds = [
            volume.host.is_some(),
            volume.docker_volume_configuration.is_some(),
            volume.efs_volume_configuration.is_some(),
            volume
                .fsx_windows_file_server_volume_configuration
                .is_some(),
            volume.s3files_volume_configuration.is_some(),
        ];
        if kinds.iter().filter(|k| **k).count() > 1 {
            c.error(
                &format!("volumes[{i}]"),
                format!("volume `{name}` sets more than one volume type"),
            )
            .help("use one of `host`, `dockerVolumeConfiguration`, `efsVolumeConfiguration`");
        }
        if let Some(path) = volume.host.as_ref().and_then(|h| h.source_path.as_deref())
            && !path.starts_with('/')
            && !is_windows_path(path)
            && !is_templated(path)
        {
            c.error(
                &format!("volumes[{i}].host.sourcePath"),
                format!("`{path}` is not an absolute path"),
            );
        }
    }
    names
}

#[allow(clippy::too_many_arguments)]
fn check_container(
    i: usize,
    container: &ContainerDefinition,
    all: &[ContainerDefinition],
    names: &BTreeMap<&str, usize>,
    volumes: &BTreeSet<&str>,
    mode: NetworkMode,
    c: &mut Check<'_>,
) {
    let at = |field: &str| format!("containerDefinitions[{i}].{field}");
    let own_name = container.name.as_deref().unwrap_or("");
    if container.image.is_none() {
        c.error(
            &format!("containerDefinitions[{i}]"),
            format!("container `{own_name}` has no `image`"),
        )
        .help("add `image: REPOSITORY:TAG`");
    }
    if let Some(memory) = container.memory
        && memory < MIN_CONTAINER_MEMORY
    {
        c.error(
            &at("memory"),
            format!("{memory} MiB is below Docker's minimum of {MIN_CONTAINER_MEMORY} MiB"),
        );
    }
    if let Some(reservation) = container.memory_reservation {
        if reservation < MIN_CONTAINER_MEMORY {
            c.error(
                &at("memoryReservation"),
                format!(
                    "{reservation} MiB is below Docker's minimum of {MIN_CONTAINER_MEMORY} MiB"
                ),
            );
        }
        if let Some(memory) = container.memory
            && reservation > memory
        {
            c.error(
                &at("memoryReservation"),
                format!(
                    "memoryReservation ({reservation} MiB) is greater than memory ({memory} MiB)"
                ),
            )
            .help("the soft limit (memoryReservation) must not exceed the hard limit (memory)");
        }
    }
    if let Some(cpu) = container.cpu
        && cpu < 0
    {
        c.error(&at("cpu"), "cpu units cannot be negative");
    }
    if let Some(timeout) = container.stop_timeout
        && !(0..=120).contains(&timeout)
    {
        c.error(
            &at("stopTimeout"),
            format!("{timeout} s: stopTimeout must be between 0 and 120 seconds"),
        );
    }
    check_dependencies(i, container, all, names, c);
    check_links(i, container, names, mode, c);
    for (j, mount) in container.mount_points.iter().enumerate() {
        let path = format!("containerDefinitions[{i}].mountPoints[{j}]");
        match mount.source_volume.as_deref() {
            None => {
                c.error(&path, "the mount point has no `sourceVolume`");
            }
            Some(volume) if !volumes.contains(volume) => {
                let help = did_you_mean(volume, volumes.iter().copied())
                    .map(|v| format!("did you mean `{v}`?"))
                    .unwrap_or_else(|| "declare it under the task definition's `volumes`".into());
                c.error(
                    &format!("{path}.sourceVolume"),
                    format!("no volume named `{volume}`"),
                )
                .help(help);
            }
            Some(_) => {}
        }
        match mount.container_path.as_deref() {
            None => {
                c.error(&path, "the mount point has no `containerPath`");
            }
            Some(p) if !p.starts_with('/') && !is_windows_path(p) => {
                c.error(
                    &format!("{path}.containerPath"),
                    format!("`{p}` is not an absolute path"),
                );
            }
            Some(_) => {}
        }
    }
    for (j, from) in container.volumes_from.iter().enumerate() {
        let path = format!("containerDefinitions[{i}].volumesFrom[{j}]");
        match from.source_container.as_deref() {
            None => {
                c.error(&path, "`volumesFrom` needs a `sourceContainer`");
            }
            Some(source) if source == own_name => {
                c.error(
                    &format!("{path}.sourceContainer"),
                    "a container cannot take volumes from itself",
                );
            }
            Some(source) if !names.contains_key(source) => {
                unknown_container(c, &format!("{path}.sourceContainer"), source, names);
            }
            Some(_) => {}
        }
    }
    check_environment(i, container, c);
    check_repository_credentials(i, container, c);
    check_health_check(i, container, c);
    let mut ulimits = BTreeSet::new();
    for (j, ulimit) in container.ulimits.iter().enumerate() {
        let path = format!("containerDefinitions[{i}].ulimits[{j}]");
        if let Some(name) = ulimit.name
            && !ulimits.insert(name)
        {
            c.error(&path, format!("ulimit `{name}` is set twice"));
        }
        match (ulimit.soft_limit, ulimit.hard_limit) {
            (Some(soft), Some(hard)) if soft > hard => {
                c.error(
                    &path,
                    format!("softLimit ({soft}) is greater than hardLimit ({hard})"),
                );
            }
            (None, _) | (_, None) => {
                c.error(&path, "a ulimit needs `name`, `softLimit` and `hardLimit`");
            }
            _ => {}
        }
    }
    if let Some(linux) = &container.linux_parameters {
        if let Some(caps) = &linux.capabilities {
            for (list, values) in [("add", &caps.add), ("drop", &caps.drop)] {
                for (j, cap) in values.iter().enumerate() {
                    if !CAPABILITIES.contains(&cap.as_str()) {
                        let help = did_you_mean(cap, CAPABILITIES.iter().copied())
                            .map(|s| format!("did you mean `{s}`?"))
                            .unwrap_or_else(|| {
                                "capabilities are written without `CAP_`, in capitals (`NET_ADMIN`)"
                                    .into()
                            });
                        c.error(
                            &format!(
                                "containerDefinitions[{i}].linuxParameters.capabilities.{list}[{j}]"
                            ),
                            format!("unknown capability `{cap}`"),
                        )
                        .help(help);
                    }
                }
            }
        }
        for (j, tmpfs) in linux.tmpfs.iter().enumerate() {
            let path = format!("containerDefinitions[{i}].linuxParameters.tmpfs[{j}]");
            if tmpfs.container_path.is_none() || tmpfs.size.is_none_or(|s| s <= 0) {
                c.error(
                    &path,
                    "a tmpfs mount needs a `containerPath` and a positive `size` (MiB)",
                );
            }
        }
        if linux.shared_memory_size.is_some_and(|s| s <= 0) {
            c.error(
                &at("linuxParameters.sharedMemorySize"),
                "sharedMemorySize must be positive (MiB)",
            );
        }
    }
    for (j, host) in container.extra_hosts.iter().enumerate() {
        if host.hostname.is_none() || host.ip_address.is_none() {
            c.error(
                &format!("containerDefinitions[{i}].extraHosts[{j}]"),
                "an extra host needs `hostname` and `ipAddress`",
            );
        }
    }
    if mode == NetworkMode::Awsvpc {
        for (field, set) in [
            ("hostname", container.hostname.is_some()),
            ("extraHosts", !container.extra_hosts.is_empty()),
            ("dnsServers", !container.dns_servers.is_empty()),
            ("dnsSearchDomains", !container.dns_search_domains.is_empty()),
        ] {
            if set {
                c.error(&at(field), format!("`{field}` is not supported with `networkMode: awsvpc`"))
                    .help("containers of an awsvpc task share one network namespace: set it on none of them");
            }
        }
    }
    if let Some(log) = &container.log_configuration
        && log.log_driver.is_none()
    {
        c.error(
            &at("logConfiguration"),
            "`logConfiguration` needs a `logDriver`",
        );
    }
    if container.port_bindings.is_some() {
        c.warning(
            &at("portBindings"),
            "`portBindings` is not an ECS field; it is ignored",
        )
        .help("declare ports with `portMappings`");
    }
    if container.inference_devices.is_some() {
        c.warning(
            &at("inferenceDevices"),
            "`inferenceDevices` is not an ECS field; it is ignored",
        );
    }
}

fn is_windows_path(path: &str) -> bool {
    path.as_bytes().get(1) == Some(&b':') || path.starts_with("\\\\")
}

fn unknown_container(c: &mut Check<'_>, path: &str, name: &str, names: &BTreeMap<&str, usize>) {
    let help = did_you_mean(name, names.keys().copied())
        .map(|n| format!("did you mean `{n}`?"))
        .unwrap_or_else(|| {
            let list: Vec<String> = names.keys().map(|n| format!("`{n}`")).collect();
            format!("the containers are {}", list.join(", "))
        });
    c.error(
        path,
        format!("no container named `{name}` in this task definition"),
    )
    .help(help);
}

fn check_dependencies(
    i: usize,
    container: &ContainerDefinition,
    all: &[ContainerDefinition],
    names: &BTreeMap<&str, usize>,
    c: &mut Check<'_>,
) {
    let own_name = container.name.as_deref().unwrap_or("");
    for (j, dependency) in container.depends_on.iter().enumerate() {
        let path = format!("containerDefinitions[{i}].dependsOn[{j}]");
        let Some(target) = dependency.container_name.as_deref() else {
            c.error(&path, "`dependsOn` needs a `containerName`");
            continue;
        };
        let Some(condition) = dependency.condition else {
            c.error(
                &path,
                "`dependsOn` needs a `condition` (START, COMPLETE, SUCCESS or HEALTHY)",
            );
            continue;
        };
        if target == own_name {
            c.error(
                &format!("{path}.containerName"),
                "a container cannot depend on itself",
            );
            continue;
        }
        let Some(&index) = names.get(target) else {
            unknown_container(c, &format!("{path}.containerName"), target, names);
            continue;
        };
        let target_def = &all[index];
        match condition {
            ContainerCondition::Healthy if target_def.health_check.is_none() => {
                c.error(
                    &format!("{path}.condition"),
                    format!("`{target}` has no `healthCheck`, so it can never become HEALTHY"),
                )
                .help(format!(
                    "add a healthCheck to `{target}`, or depend on it with START"
                ));
            }
            ContainerCondition::Complete | ContainerCondition::Success
                if effective::essential(target_def) =>
            {
                c.error(
                    &format!("{path}.condition"),
                    format!("`{target}` is essential, so waiting for it to {condition} would stop the task"),
                )
                .help(format!("set `essential: false` on `{target}`"));
            }
            _ => {}
        }
    }
    if depends_in_cycle(i, all, names) {
        c.error(
            &format!("containerDefinitions[{i}].dependsOn"),
            format!("`{own_name}` is part of a dependency cycle"),
        );
    }
}

/// True when following `dependsOn` from container `start` leads back to it.
fn depends_in_cycle(
    start: usize,
    all: &[ContainerDefinition],
    names: &BTreeMap<&str, usize>,
) -> bool {
    let mut stack: Vec<usize> = vec![start];
    let mut seen = BTreeSet::new();
    while let Some(current) = stack.pop() {
        for dependency in &all[current].depends_on {
            let Some(&next) = dependency
                .container_name
                .as_deref()
                .and_then(|n| names.get(n))
            else {
                continue;
            };
            if next == start && current != start {
                return true;
            }
            if next != current && seen.insert(next) {
                stack.push(next);
            }
        }
    }
    false
}

fn check_links(
    i: usize,
    container: &ContainerDefinition,
    names: &BTreeMap<&str, usize>,
    mode: NetworkMode,
    c: &mut Check<'_>,
) {
    if container.links.is_empty() {
        return;
    }
    if !matches!(mode, NetworkMode::Bridge | NetworkMode::Default) {
        c.error(
            &format!("containerDefinitions[{i}].links"),
            format!("`links` only work with `networkMode: bridge`, not `{mode}`"),
        )
        .help("containers of one task reach each other on localhost in awsvpc and host mode");
        return;
    }
    for (j, link) in container.links.iter().enumerate() {
        let target = link.split(':').next().unwrap_or(link);
        if !names.contains_key(target) {
            c.warning(
                &format!("containerDefinitions[{i}].links[{j}]"),
                format!("link to `{target}`, which is not a container of this task definition"),
            )
            .help("Docker will refuse to start this container until the link names a container of the task");
        }
    }
}

fn check_environment(i: usize, container: &ContainerDefinition, c: &mut Check<'_>) {
    let mut seen = BTreeMap::new();
    for (j, variable) in container.environment.iter().enumerate() {
        let path = format!("containerDefinitions[{i}].environment[{j}]");
        match variable.name.as_deref() {
            None => {
                c.error(&path, "an environment variable needs a `name`");
            }
            Some(name) => {
                if seen.insert(name, "environment").is_some() {
                    c.error(
                        &format!("{path}.name"),
                        format!("environment variable `{name}` is set twice"),
                    );
                }
            }
        }
    }
    for (j, secret) in container.secrets.iter().enumerate() {
        let path = format!("containerDefinitions[{i}].secrets[{j}]");
        let Some(name) = secret.name.as_deref() else {
            c.error(&path, "a secret needs a `name`");
            continue;
        };
        if let Some(previous) = seen.insert(name, "secrets") {
            c.error(
                &format!("{path}.name"),
                format!("`{name}` is set by both `secrets` and `{previous}`"),
            );
        }
        let Some(value_from) = secret.value_from.as_deref() else {
            c.error(&path, format!("secret `{name}` has no `valueFrom`"))
                .help("write `valueFrom: env:VARIABLE` or `valueFrom: file:/path`");
            continue;
        };
        match parse_value_from(value_from) {
            Ok(SecretSource::Env(_) | SecretSource::File(_)) => {}
            Err(e) if is_templated(value_from) => {
                let _ = e;
                c.warning(
                    &format!("{path}.valueFrom"),
                    format!(
                        "secret `{name}` comes from a template marker; ecsctl renders no templates"
                    ),
                );
            }
            Err(e) => {
                c.warning(
                    &format!("{path}.valueFrom"),
                    format!("secret `{name}`: {e}"),
                )
                .help(
                    "tasks using it will fail to start here; write `env:VARIABLE` or `file:/path`",
                );
            }
        }
    }
}

/// `repositoryCredentials` point at a secret held where ecsctl runs, like `secrets`.
fn check_repository_credentials(i: usize, container: &ContainerDefinition, c: &mut Check<'_>) {
    let Some(credentials) = &container.repository_credentials else {
        return;
    };
    let path = format!("containerDefinitions[{i}].repositoryCredentials");
    let Some(parameter) = credentials.credentials_parameter.as_deref() else {
        c.error(&path, "`repositoryCredentials` needs a `credentialsParameter`")
            .help("write `credentialsParameter: file:/path` (or `env:VARIABLE`) holding {\"username\": ..., \"password\": ...}");
        return;
    };
    if let Err(e) = parse_reference(parameter, "credentialsParameter") {
        c.warning(&format!("{path}.credentialsParameter"), e).help(
            "tasks using it will fail to pull here; write `file:/path` or `env:VARIABLE` holding {\"username\": ..., \"password\": ...}",
        );
    }
}

fn check_health_check(i: usize, container: &ContainerDefinition, c: &mut Check<'_>) {
    let Some(health) = &container.health_check else {
        return;
    };
    let path = format!("containerDefinitions[{i}].healthCheck");
    match health.command.first().map(String::as_str) {
        None => {
            c.error(&path, "a health check needs a `command`").help(
                "for example `command: [\"CMD-SHELL\", \"curl -f http://localhost/ || exit 1\"]`",
            );
        }
        Some("CMD" | "CMD-SHELL" | "NONE") => {
            if health.command.len() == 1 && health.command[0] != "NONE" {
                c.error(
                    &format!("{path}.command"),
                    "the health check command is empty after its first word",
                );
            }
        }
        Some(first) => {
            c.warning(
                &format!("{path}.command[0]"),
                format!("a health check command starts with CMD, CMD-SHELL or NONE, not `{first}`; it is run as CMD"),
            )
            .help(format!("write [\"CMD\", \"{first}\", ...]"));
        }
    }
    for (field, value, min, max) in [
        ("interval", health.interval, 5, 300),
        ("timeout", health.timeout, 2, 60),
        ("retries", health.retries, 1, 10),
        ("startPeriod", health.start_period, 0, 300),
    ] {
        if let Some(v) = value
            && !(min..=max).contains(&v)
        {
            c.error(
                &format!("{path}.{field}"),
                format!("{field} {v} is out of range: ECS allows {min} to {max}"),
            );
        }
    }
}

fn check_ports(containers: &[ContainerDefinition], mode: NetworkMode, c: &mut Check<'_>) {
    // (port, protocol) → where it was first bound.
    let mut bound: BTreeMap<(i32, &str), String> = BTreeMap::new();
    for (i, container) in containers.iter().enumerate() {
        for (j, mapping) in container.port_mappings.iter().enumerate() {
            let path = format!("containerDefinitions[{i}].portMappings[{j}]");
            let protocol = match mapping.protocol {
                Some(TransportProtocol::Udp) => "udp",
                Some(
                    p @ (TransportProtocol::Http
                    | TransportProtocol::Http2
                    | TransportProtocol::Grpc),
                ) => {
                    c.warning(
                        &format!("{path}.protocol"),
                        format!("`{p}` is an application protocol; the port is mapped as tcp"),
                    )
                    .help(format!(
                        "write `protocol: tcp` (and `appProtocol: {p}` if it matters)"
                    ));
                    "tcp"
                }
                _ => "tcp",
            };
            let Some(container_port) = mapping.container_port else {
                if mapping.container_port_range.is_none() {
                    c.error(&path, "a port mapping needs a `containerPort`");
                }
                continue;
            };
            if !(1..=65535).contains(&container_port) {
                c.error(
                    &format!("{path}.containerPort"),
                    format!("port {container_port} is out of range 1–65535"),
                );
                continue;
            }
            if let Some(host_port) = mapping.host_port
                && !(0..=65535).contains(&host_port)
            {
                c.error(
                    &format!("{path}.hostPort"),
                    format!("port {host_port} is out of range 0–65535"),
                );
                continue;
            }
            let shares_host_ports = matches!(mode, NetworkMode::Host | NetworkMode::Awsvpc);
            if shares_host_ports
                && let Some(host_port) = mapping.host_port
                && host_port != 0
                && host_port != container_port
            {
                c.error(
                    &format!("{path}.hostPort"),
                    format!("with `networkMode: {mode}` the hostPort must equal the containerPort ({container_port})"),
                )
                .help("leave `hostPort` out");
                continue;
            }
            let published = if shares_host_ports {
                Some(container_port)
            } else {
                mapping.host_port.filter(|p| *p != 0)
            };
            if let Some(port) = published {
                if let Some(first) = bound.get(&(port, protocol)) {
                    c.error(
                        &path,
                        format!("host port {port}/{protocol} is used twice in this task"),
                    )
                    .help(format!(
                        "it is already taken by {first}; two containers cannot bind one host port"
                    ));
                } else {
                    bound.insert((port, protocol), path);
                }
            }
        }
    }
}

fn check_task_size(spec: &TaskDefinitionSpec, c: &mut Check<'_>) {
    let task_cpu = spec.cpu.as_deref().and_then(|text| match parse_cpu(text) {
        Ok(units) => Some(units),
        Err(e) if is_templated(text) => {
            let _ = e;
            c.error("cpu", format!("task cpu is a template marker `{text}`"))
                .help("ecsctl renders no templates: write the value");
            None
        }
        Err(e) => {
            c.error("cpu", format!("invalid task cpu: {e}"))
                .help("write cpu units (\"256\", \"1024\") or vCPUs (\"0.25 vCPU\", \"1 vCPU\")");
            None
        }
    });
    let task_memory = spec
        .memory
        .as_deref()
        .and_then(|text| match parse_memory(text) {
            Ok(mib) => Some(mib),
            Err(e) => {
                c.error("memory", format!("invalid task memory: {e}"))
                    .help("write MiB (\"512\") or GB (\"0.5 GB\", \"2 GB\")");
                None
            }
        });
    let reserved = TaskSize::of_containers(&spec.container_definitions);
    if let Some(limit) = task_memory {
        let total = reserved.memory;
        if total > i64::from(limit) {
            c.warning(
                "memory",
                format!("the containers reserve {total} MiB, more than the task's {limit} MiB; the task's limit wins"),
            )
            .help("raise the task memory or lower the containers' memory/memoryReservation");
        }
    }
    if let Some(limit) = task_cpu {
        let total = reserved.cpu;
        if total > i64::from(limit) {
            c.warning(
                "cpu",
                format!("the containers reserve {total} cpu units, more than the task's {limit}; the task's limit wins"),
            );
        }
    }
}

/// `ephemeralStorage.sizeInGiB`: Fargate's range (the only place ECS takes it).
fn check_ephemeral_storage(spec: &TaskDefinitionSpec, c: &mut Check<'_>) {
    let Some(size) = spec.ephemeral_storage.as_ref().and_then(|e| e.size_in_gi_b) else {
        return;
    };
    let range = fargate::EPHEMERAL_STORAGE_GIB;
    if !range.contains(&size) {
        c.error(
            "ephemeralStorage.sizeInGiB",
            format!(
                "{size} GiB: ephemeral storage must be between {} and {} GiB",
                range.start(),
                range.end()
            ),
        )
        .help("leave `ephemeralStorage` out for Fargate's default of 20 GiB");
    }
}

/// What `requiresCompatibilities: [FARGATE]` asks of a task definition, in ECS's words where
/// ECS has them: awsvpc only, a task-level size from Fargate's table, no privileged
/// containers, no host paths, no host pid namespace.
fn check_fargate(spec: &TaskDefinitionSpec, c: &mut Check<'_>) {
    if effective::network_mode(spec) != NetworkMode::Awsvpc {
        let at = if spec.network_mode.is_some() {
            "networkMode"
        } else {
            "requiresCompatibilities"
        };
        c.error(at, "Fargate only supports network mode 'awsvpc'.")
            .help("write `networkMode: awsvpc` (each task gets its own network namespace)");
    }
    let cpu = effective::task_cpu(spec);
    let memory = effective::task_memory(spec);
    // An unreadable value is reported by the size check; only a missing one here.
    if spec.cpu.is_none() {
        c.error(
            "requiresCompatibilities",
            "Fargate requires that 'cpu' be defined at the task level.",
        )
        .help("add a task `cpu` (\"256\", \"0.5 vCPU\", \"1 vCPU\", ...)");
    }
    if spec.memory.is_none() {
        c.error(
            "requiresCompatibilities",
            "Fargate requires that 'memory' be defined at the task level.",
        )
        .help("add a task `memory` (\"512\", \"1 GB\", \"2 GB\", ...)");
    }
    if let (Some(cpu), Some(memory)) = (cpu, memory)
        && !fargate::size_allowed(cpu, memory)
    {
        let (at, help) = match fargate::memory_for(cpu) {
            Some(choices) => (
                "memory",
                format!("with {cpu} CPU Fargate allows {} MiB", choices.describe()),
            ),
            None => (
                "cpu",
                format!(
                    "Fargate's cpu values are {}",
                    fargate::cpu_values()
                        .map(|v| v.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
        };
        c.error(at, fargate::no_configuration(cpu, memory))
            .help(help);
    }
    for (i, volume) in spec.volumes.iter().enumerate() {
        if volume
            .host
            .as_ref()
            .is_some_and(|h| h.source_path.is_some())
        {
            c.error(
                &format!("volumes[{i}].host.sourcePath"),
                "Fargate compatible task definitions do not support sourcePath",
            )
            .help("leave `host` empty (`host: {}`) for a volume of the task, or use `dockerVolumeConfiguration`");
        }
    }
    for (i, container) in spec.container_definitions.iter().enumerate() {
        if container.privileged == Some(true) {
            c.error(
                &format!("containerDefinitions[{i}].privileged"),
                "privileged containers are not supported on Fargate",
            )
            .help("add the capabilities it needs under `linuxParameters.capabilities.add` instead (SYS_PTRACE only on Fargate), or drop FARGATE from `requiresCompatibilities`");
        }
    }
    if spec.pid_mode == Some(PidMode::Host) {
        c.error("pidMode", "Fargate only supports pid mode 'task'.")
            .help("write `pidMode: task`, or leave it out");
    }
}
