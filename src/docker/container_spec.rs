//! ECS container definition → Docker create request. Pure: it only builds the request, so
//! tests check the exact Docker configuration without a daemon (as Kamal tests its commands).
//!
//! The mapping, field by field (what cannot be mapped is listed in `model::ignored`):
//!
//! | ECS | Docker |
//! |---|---|
//! | image, command, entryPoint, environment, secrets | Image, Cmd, Entrypoint, Env |
//! | portMappings (bridge) | ExposedPorts, PortBindings (hostPort 0 or absent: dynamic) |
//! | networkMode bridge/host/none/awsvpc | NetworkMode; awsvpc: `container:<pause>`, ports on the pause container |
//! | cpu (container) / cpu (task) | CpuShares / NanoCpus |
//! | memory / memoryReservation / memory (task) | Memory / MemoryReservation / Memory when the container sets none |
//! | healthCheck | Healthcheck (seconds → nanoseconds; ECS defaults 30 s, 5 s, 3, 0) |
//! | links, volumesFrom | Links, VolumesFrom (with the Docker names of the task's containers) |
//! | mountPoints + volumes | Binds: host paths, task-scoped or shared Docker volumes |
//! | ulimits, user, workingDirectory, dockerLabels, stopTimeout | Ulimits, User, WorkingDir, Labels, StopTimeout |
//! | readonlyRootFilesystem, privileged | ReadonlyRootfs, Privileged |
//! | linuxParameters: capabilities, initProcessEnabled, tmpfs, sharedMemorySize, devices, maxSwap, swappiness | CapAdd/CapDrop, Init, Tmpfs, ShmSize, Devices, MemorySwap, MemorySwappiness |
//! | extraHosts, hostname, dnsServers, dnsSearchDomains | ExtraHosts, Hostname, Dns, DnsSearch |
//! | logConfiguration (json-file, local, syslog, journald, gelf, fluentd) | LogConfig (AWS drivers: json-file) |
//! | dockerSecurityOptions, systemControls, interactive, pseudoTerminal, disableNetworking | SecurityOpt, Sysctls, OpenStdin, Tty, NetworkDisabled |
//! | pidMode, ipcMode | PidMode, IpcMode (`task`: shared through the task's first container or pause container) |
//! | launch type FARGATE: task cpu / memory | the pause container's NanoCpus, CpuShares, Memory = MemorySwap; the app containers' CgroupParent is its cgroup (see [`super::cgroup`]) |

use std::collections::{BTreeMap, HashMap};

use bollard::models::{
    ContainerCreateBody, DeviceMapping, HealthConfig, HostConfig, HostConfigLogConfig, PortBinding,
    ResourcesUlimits,
};

use super::labels;
use crate::model::ecs::{
    ContainerDefinition, IpcMode, LaunchType, LogDriver, NetworkMode, PidMode, PortMapping,
    TaskDefinitionSpec, Volume,
};
use crate::model::effective::{self, HealthCheckTiming};
use crate::reconcile::task::TaskGroup;
use crate::registry::RegistryAuth;
use crate::registry::policy::PullBehavior;
use crate::time::Timestamp;

const MIB: i64 = 1024 * 1024;
const SECOND_NS: i64 = 1_000_000_000;
/// ECS's default time between SIGTERM and SIGKILL, in seconds (see
/// [`effective::DEFAULT_STOP_TIMEOUT`]).
pub const DEFAULT_STOP_TIMEOUT: i64 = effective::DEFAULT_STOP_TIMEOUT.as_secs() as i64;

/// A secret's value: kept out of `Debug` so it cannot end up in a log by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretValue(pub String);

impl std::fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretValue(<redacted>)")
    }
}

/// Everything about the task that a container's configuration depends on.
pub struct TaskContext<'a> {
    pub cluster: &'a str,
    pub lineage: &'a str,
    pub task_id: &'a str,
    pub group: &'a TaskGroup,
    pub deployment: Option<&'a str>,
    pub family: &'a str,
    pub revision: u32,
    pub spec: &'a TaskDefinitionSpec,
    pub created_at: Timestamp,
    /// Resolved secrets per container: (variable, value).
    pub secrets: &'a BTreeMap<String, Vec<(String, SecretValue)>>,
    /// Pull credentials by image.
    pub registry_auth: &'a BTreeMap<String, RegistryAuth>,
    pub pull_behavior: PullBehavior,
    /// The image of the awsvpc pause container on this host.
    pub pause_image: &'a str,
    /// `FARGATE` tasks are bounded as a whole where the host allows it.
    pub launch_type: LaunchType,
    /// For a Fargate task: the pause container's cgroup, under which the app containers
    /// nest (`Ok`), or why the host cannot bound the task as a whole (`Err`). `None` before
    /// the pause container runs, and for other tasks.
    pub task_cgroup: Option<Result<&'a str, &'a str>>,
}

impl TaskContext<'_> {
    pub fn network_mode(&self) -> NetworkMode {
        effective::network_mode(self.spec)
    }

    /// Needs a pause container: awsvpc, or pid/ipc namespaces shared by the task.
    pub fn needs_pause(&self) -> bool {
        self.network_mode() == NetworkMode::Awsvpc
    }

    /// A Fargate task whose pause container carries the task's limits: the task has a size
    /// and a pause container, and the host has not been found unable to nest cgroups.
    pub fn task_wide_limits(&self) -> bool {
        self.launch_type == LaunchType::Fargate
            && self.needs_pause()
            && self.task_memory_mib().is_some()
            && !matches!(self.task_cgroup, Some(Err(_)))
    }

    pub fn docker_name(&self, container: &str) -> String {
        labels::container_name(
            self.cluster,
            self.family,
            self.revision,
            container,
            self.task_id,
        )
    }

    pub fn pause_name(&self) -> String {
        labels::pause_name(self.cluster, self.family, self.revision, self.task_id)
    }

    fn labels(&self, container: &str, essential: bool, pause: bool) -> HashMap<String, String> {
        let mut l = HashMap::new();
        l.insert(labels::CLUSTER.into(), self.cluster.into());
        l.insert(labels::LINEAGE.into(), self.lineage.into());
        l.insert(labels::TASK.into(), self.task_id.into());
        l.insert(labels::CONTAINER.into(), container.into());
        l.insert(labels::FAMILY.into(), self.family.into());
        l.insert(labels::REVISION.into(), self.revision.to_string());
        l.insert(labels::ESSENTIAL.into(), essential.to_string());
        l.insert(labels::CREATED.into(), self.created_at.to_string());
        match self.group {
            TaskGroup::Service(name) => {
                l.insert(labels::SERVICE.into(), name.clone());
                l.insert(labels::STARTED_BY.into(), format!("service:{name}"));
            }
            TaskGroup::Standalone(by) => {
                l.insert(labels::STARTED_BY.into(), by.clone());
            }
        }
        if let Some(deployment) = self.deployment {
            l.insert(labels::DEPLOYMENT.into(), deployment.into());
        }
        if pause {
            l.insert(labels::PAUSE.into(), "true".into());
        }
        if self.launch_type == LaunchType::Fargate {
            l.insert(labels::LAUNCH_TYPE.into(), LaunchType::Fargate.to_string());
            if !pause {
                let unknown = Err("the task's cgroup was not found");
                let cgroup = self.task_cgroup.unwrap_or(unknown);
                l.insert(
                    labels::TASK_LIMITS.into(),
                    super::cgroup::limits_label(cgroup),
                );
            }
        }
        l
    }

    /// The container whose pid/ipc namespaces the task shares: the pause container, else the
    /// task's first container.
    fn namespace_holder(&self) -> String {
        if self.needs_pause() {
            return self.pause_name();
        }
        let first = self
            .spec
            .container_definitions
            .first()
            .and_then(|c| c.name.as_deref())
            .unwrap_or("");
        self.docker_name(first)
    }

    fn is_namespace_holder(&self, container: &str) -> bool {
        !self.needs_pause()
            && self
                .spec
                .container_definitions
                .first()
                .and_then(|c| c.name.as_deref())
                == Some(container)
    }

    fn task_memory_mib(&self) -> Option<i64> {
        effective::task_memory(self.spec).map(i64::from)
    }

    fn task_cpu_units(&self) -> Option<i64> {
        effective::task_cpu(self.spec).map(i64::from)
    }
}

fn port_key(port: i32, mapping: &PortMapping) -> String {
    format!("{port}/{}", effective::protocol(mapping))
}

/// Exposed ports and bindings for a set of port mappings (bridge and awsvpc pause).
fn ports(
    mappings: &[&PortMapping],
    same_port_on_host: bool,
) -> (Vec<String>, HashMap<String, Option<Vec<PortBinding>>>) {
    let mut exposed = Vec::new();
    let mut bindings: HashMap<String, Option<Vec<PortBinding>>> = HashMap::new();
    for mapping in mappings {
        let Some(container_port) = mapping.container_port else {
            continue;
        };
        let key = port_key(container_port, mapping);
        let host_port = if same_port_on_host {
            container_port.to_string()
        } else {
            match mapping.host_port {
                Some(p) if p != 0 => p.to_string(),
                _ => String::new(), // dynamic: Docker picks a free port
            }
        };
        if !exposed.contains(&key) {
            exposed.push(key.clone());
        }
        bindings
            .entry(key)
            .or_insert_with(|| Some(Vec::new()))
            .get_or_insert_with(Vec::new)
            .push(PortBinding {
                host_ip: None,
                host_port: Some(host_port),
            });
    }
    (exposed, bindings)
}

fn nanoseconds(duration: std::time::Duration) -> i64 {
    i64::try_from(duration.as_nanos()).unwrap_or(i64::MAX)
}

fn health_check(definition: &ContainerDefinition) -> Option<HealthConfig> {
    let check = definition.health_check.as_ref()?;
    let timing = HealthCheckTiming::of(check);
    let mut test = check.command.clone();
    if !matches!(
        test.first().map(String::as_str),
        Some("CMD" | "CMD-SHELL" | "NONE")
    ) {
        test.insert(0, "CMD".into());
    }
    Some(HealthConfig {
        test: Some(test),
        interval: Some(nanoseconds(timing.interval)),
        timeout: Some(nanoseconds(timing.timeout)),
        retries: Some(i64::from(timing.retries)),
        start_period: Some(nanoseconds(timing.start_period)),
        start_interval: None,
    })
}

fn log_config(definition: &ContainerDefinition) -> Option<HostConfigLogConfig> {
    let log = definition.log_configuration.as_ref()?;
    let driver = log.log_driver?;
    let (typ, config) = match driver {
        // Destinations that exist only on AWS: logs stay readable locally instead.
        LogDriver::Awslogs | LogDriver::Splunk | LogDriver::Awsfirelens => {
            ("json-file".to_string(), HashMap::new())
        }
        other => (
            other.as_str().to_string(),
            log.options
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
    };
    Some(HostConfigLogConfig {
        typ: Some(typ),
        config: Some(config),
    })
}

/// The host paths, named volumes and task volumes a container mounts, as Docker binds.
fn binds(ctx: &TaskContext<'_>, definition: &ContainerDefinition) -> Vec<String> {
    let mut binds = Vec::new();
    for mount in &definition.mount_points {
        let (Some(source), Some(target)) = (
            mount.source_volume.as_deref(),
            mount.container_path.as_deref(),
        ) else {
            continue;
        };
        let Some(volume) = ctx
            .spec
            .volumes
            .iter()
            .find(|v| v.name.as_deref() == Some(source))
        else {
            continue;
        };
        let from = volume_source(ctx, volume);
        let mode = if mount.read_only == Some(true) {
            ":ro"
        } else {
            ""
        };
        binds.push(format!("{from}:{target}{mode}"));
    }
    binds
}

/// What a task volume is on the host: a bind path, a shared named volume, or a volume of the
/// task's own (removed with the task).
pub fn volume_source(ctx: &TaskContext<'_>, volume: &Volume) -> String {
    let name = volume.name.as_deref().unwrap_or("");
    if let Some(path) = volume.host.as_ref().and_then(|h| h.source_path.as_deref()) {
        return path.to_string();
    }
    if let Some(config) = &volume.docker_volume_configuration
        && config.scope == Some(crate::model::ecs::Scope::Shared)
    {
        return name.to_string();
    }
    labels::task_volume_name(ctx.task_id, name)
}

fn capability(name: &str) -> String {
    name.strip_prefix("CAP_").unwrap_or(name).to_string()
}

fn device_permissions(device: &crate::model::ecs::Device) -> String {
    use crate::model::ecs::DeviceCgroupPermission as P;
    if device.permissions.is_empty() {
        return "rwm".into();
    }
    let mut text = String::new();
    for (permission, letter) in [(P::Read, 'r'), (P::Write, 'w'), (P::Mknod, 'm')] {
        if device.permissions.contains(&permission) {
            text.push(letter);
        }
    }
    text
}

/// The Docker create request of one container of the task.
pub fn container(ctx: &TaskContext<'_>, definition: &ContainerDefinition) -> ContainerCreateBody {
    let name = definition.name.as_deref().unwrap_or("");
    let essential = effective::essential(definition);
    let mode = ctx.network_mode();
    let mut env: Vec<String> = definition
        .environment
        .iter()
        .filter_map(|kv| {
            kv.name
                .as_ref()
                .map(|n| format!("{n}={}", kv.value.as_deref().unwrap_or("")))
        })
        .collect();
    if let Some(secrets) = ctx.secrets.get(name) {
        env.extend(secrets.iter().map(|(k, v)| format!("{k}={}", v.0)));
    }
    let mut labels: HashMap<String, String> = definition
        .docker_labels
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    labels.extend(ctx.labels(name, essential, false));

    let mappings: Vec<&PortMapping> = definition.port_mappings.iter().collect();
    let (exposed, bindings) = match mode {
        NetworkMode::Bridge | NetworkMode::Default => {
            let (e, b) = ports(&mappings, false);
            (
                Some(e).filter(|e| !e.is_empty()),
                Some(b).filter(|b| !b.is_empty()),
            )
        }
        _ => (None, None),
    };
    let network_mode = match mode {
        NetworkMode::Awsvpc => format!("container:{}", ctx.pause_name()),
        NetworkMode::Host => "host".into(),
        NetworkMode::None => "none".into(),
        NetworkMode::Bridge | NetworkMode::Default => "bridge".into(),
    };
    let memory_mib = definition
        .memory
        .map(i64::from)
        .or_else(|| {
            definition
                .memory_reservation
                .is_none()
                .then(|| ctx.task_memory_mib())
                .flatten()
        })
        .map(|m| ctx.task_memory_mib().map_or(m, |t| m.min(t)));
    let linux = definition.linux_parameters.as_ref();
    let memory_swap = linux
        .and_then(|l| l.max_swap)
        .zip(memory_mib)
        .map(|(swap, memory)| (memory + i64::from(swap)) * MIB);
    let links: Vec<String> = definition
        .links
        .iter()
        .map(|link| {
            let (target, alias) = link.split_once(':').unwrap_or((link, link));
            format!("{}:{alias}", ctx.docker_name(target))
        })
        .collect();
    let volumes_from: Vec<String> = definition
        .volumes_from
        .iter()
        .filter_map(|v| {
            let source = v.source_container.as_deref()?;
            let mode = if v.read_only == Some(true) { ":ro" } else { "" };
            Some(format!("{}{mode}", ctx.docker_name(source)))
        })
        .collect();
    let tmpfs: HashMap<String, String> = linux
        .map(|l| {
            l.tmpfs
                .iter()
                .filter_map(|t| {
                    let path = t.container_path.clone()?;
                    let mut options = vec![format!("size={}m", t.size.unwrap_or(0))];
                    options.extend(t.mount_options.iter().cloned());
                    Some((path, options.join(",")))
                })
                .collect()
        })
        .unwrap_or_default();
    let pid_mode = match ctx.spec.pid_mode {
        Some(PidMode::Host) => Some("host".to_string()),
        Some(PidMode::Task) if !ctx.is_namespace_holder(name) => {
            Some(format!("container:{}", ctx.namespace_holder()))
        }
        _ => None,
    };
    let ipc_mode = match ctx.spec.ipc_mode {
        Some(IpcMode::Host) => Some("host".to_string()),
        Some(IpcMode::None) => Some("none".to_string()),
        Some(IpcMode::Task) if ctx.is_namespace_holder(name) => Some("shareable".to_string()),
        Some(IpcMode::Task) => Some(format!("container:{}", ctx.namespace_holder())),
        None => None,
    };
    let some_vec = |v: Vec<String>| Some(v).filter(|v| !v.is_empty());
    let host_config = HostConfig {
        network_mode: Some(network_mode),
        port_bindings: bindings,
        cpu_shares: definition.cpu.map(|c| i64::from(c).max(2)),
        nano_cpus: ctx.task_cpu_units().map(|units| units * SECOND_NS / 1024),
        memory: memory_mib.map(|m| m * MIB),
        memory_reservation: definition.memory_reservation.map(|m| i64::from(m) * MIB),
        memory_swap,
        memory_swappiness: linux.and_then(|l| l.swappiness).map(i64::from),
        binds: some_vec(binds(ctx, definition)),
        links: some_vec(links),
        volumes_from: some_vec(volumes_from),
        ulimits: Some(
            definition
                .ulimits
                .iter()
                .filter_map(|u| {
                    Some(ResourcesUlimits {
                        name: Some(u.name?.as_str().to_string()),
                        soft: u.soft_limit.map(i64::from),
                        hard: u.hard_limit.map(i64::from),
                    })
                })
                .collect::<Vec<_>>(),
        )
        .filter(|u| !u.is_empty()),
        privileged: definition.privileged,
        readonly_rootfs: definition.readonly_root_filesystem,
        cap_add: linux
            .and_then(|l| l.capabilities.as_ref())
            .map(|c| c.add.iter().map(|n| capability(n)).collect::<Vec<_>>())
            .filter(|v| !v.is_empty()),
        cap_drop: linux
            .and_then(|l| l.capabilities.as_ref())
            .map(|c| c.drop.iter().map(|n| capability(n)).collect::<Vec<_>>())
            .filter(|v| !v.is_empty()),
        init: linux.and_then(|l| l.init_process_enabled),
        shm_size: linux
            .and_then(|l| l.shared_memory_size)
            .map(|s| i64::from(s) * MIB),
        tmpfs: Some(tmpfs).filter(|t| !t.is_empty()),
        devices: linux
            .map(|l| {
                l.devices
                    .iter()
                    .map(|d| DeviceMapping {
                        path_on_host: d.host_path.clone(),
                        path_in_container: d.container_path.clone().or_else(|| d.host_path.clone()),
                        cgroup_permissions: Some(device_permissions(d)),
                    })
                    .collect::<Vec<_>>()
            })
            .filter(|d| !d.is_empty()),
        // An awsvpc task's names live in its pause container's /etc/hosts, which the
        // containers that join its namespace share (Docker refuses them on those).
        extra_hosts: some_vec(if mode == NetworkMode::Awsvpc {
            Vec::new()
        } else {
            host_entries(std::slice::from_ref(definition))
        }),
        dns: some_vec(definition.dns_servers.clone()),
        dns_search: some_vec(definition.dns_search_domains.clone()),
        security_opt: some_vec(definition.docker_security_options.clone()),
        sysctls: Some(
            definition
                .system_controls
                .iter()
                .filter_map(|s| Some((s.namespace.clone()?, s.value.clone()?)))
                .collect::<HashMap<_, _>>(),
        )
        .filter(|s| !s.is_empty()),
        log_config: log_config(definition),
        pid_mode,
        ipc_mode,
        cgroup_parent: match ctx.task_cgroup {
            Some(Ok(path)) if ctx.launch_type == LaunchType::Fargate => Some(path.to_string()),
            _ => None,
        },
        ..HostConfig::default()
    };
    ContainerCreateBody {
        image: definition.image.clone(),
        cmd: some_vec(definition.command.clone()),
        entrypoint: some_vec(definition.entry_point.clone()),
        env: some_vec(env),
        labels: Some(labels),
        exposed_ports: exposed,
        hostname: match mode {
            NetworkMode::Awsvpc | NetworkMode::Host => None,
            _ => definition.hostname.clone(),
        },
        user: definition.user.clone(),
        working_dir: definition.working_directory.clone(),
        stop_timeout: Some(
            i64::try_from(effective::stop_timeout(definition).as_secs()).unwrap_or(i64::MAX),
        ),
        healthcheck: health_check(definition),
        tty: definition.pseudo_terminal,
        open_stdin: definition.interactive,
        network_disabled: definition.disable_networking,
        host_config: Some(host_config),
        ..ContainerCreateBody::default()
    }
}

/// What ecsctl creates for `container` of an observed task, for drift: the same request
/// builder as a launch, without secrets (their values are never compared).
pub fn expected(
    lineage: &str,
    task: &crate::reconcile::task::ObservedTask,
    spec: &TaskDefinitionSpec,
    container: &str,
) -> Option<crate::reconcile::drift::ExpectedContainer> {
    let definition = spec
        .container_definitions
        .iter()
        .find(|d| d.name.as_deref() == Some(container))?;
    let (secrets, auth) = (BTreeMap::new(), BTreeMap::new());
    let ctx = TaskContext {
        cluster: &task.cluster,
        lineage,
        task_id: &task.id,
        group: &task.group,
        deployment: task.deployment.as_deref(),
        family: &task.task_definition.family,
        revision: task.task_definition.revision.unwrap_or(0),
        spec,
        created_at: task.created_at,
        secrets: &secrets,
        registry_auth: &auth,
        pull_behavior: PullBehavior::Default,
        pause_image: super::pause::IMAGE,
        launch_type: task.launch_type,
        task_cgroup: None,
    };
    let body = self::container(&ctx, definition);
    let host = body.host_config.unwrap_or_default();
    Some(crate::reconcile::drift::ExpectedContainer {
        docker_name: ctx.docker_name(container),
        config: crate::reconcile::drift::LiveConfig {
            image: body.image,
            env: body.env.unwrap_or_default(),
            memory: host.memory,
            memory_reservation: host.memory_reservation,
            cpu_shares: host.cpu_shares,
            nano_cpus: host.nano_cpus,
        }
        .normalized(),
        environment: definition
            .environment
            .iter()
            .filter_map(|kv| Some((kv.name.clone()?, kv.value.clone().unwrap_or_default())))
            .collect(),
    })
}

/// `--add-host` entries (`name:address`) of the containers, once each, in order.
fn host_entries(definitions: &[ContainerDefinition]) -> Vec<String> {
    let mut seen = std::collections::BTreeSet::new();
    definitions
        .iter()
        .flat_map(|d| d.extra_hosts.iter())
        .filter_map(|h| {
            Some(format!(
                "{}:{}",
                h.hostname.as_deref()?,
                h.ip_address.as_deref()?
            ))
        })
        .filter(|entry| seen.insert(entry.clone()))
        .collect()
}

/// The awsvpc pause container: holds the task's network namespace (and its ports).
pub fn pause(ctx: &TaskContext<'_>) -> ContainerCreateBody {
    let mappings: Vec<&PortMapping> = ctx
        .spec
        .container_definitions
        .iter()
        .flat_map(|c| c.port_mappings.iter())
        .collect();
    let (exposed, bindings) = ports(&mappings, true);
    let hostname = ctx
        .spec
        .container_definitions
        .iter()
        .find_map(|c| c.hostname.clone());
    let ipc_shared = ctx.spec.ipc_mode == Some(IpcMode::Task);
    // A Fargate task's limits, held by the cgroup its app containers nest under. No swap, as
    // on Fargate. (No OomScoreAdj for the pause process: some hosts refuse to lower it, and
    // with a few KiB resident the kernel never picks it first anyway.)
    let task_wide = ctx.task_wide_limits();
    let memory = ctx.task_memory_mib().filter(|_| task_wide).map(|m| m * MIB);
    let cpu = ctx.task_cpu_units().filter(|_| task_wide);
    ContainerCreateBody {
        image: Some(ctx.pause_image.to_string()),
        labels: Some(ctx.labels("", false, true)),
        exposed_ports: Some(exposed).filter(|e| !e.is_empty()),
        hostname,
        stop_timeout: Some(2),
        host_config: Some(HostConfig {
            network_mode: Some("bridge".into()),
            port_bindings: Some(bindings).filter(|b| !b.is_empty()),
            extra_hosts: Some(host_entries(&ctx.spec.container_definitions))
                .filter(|e| !e.is_empty()),
            ipc_mode: ipc_shared.then(|| "shareable".to_string()),
            memory,
            memory_swap: memory,
            nano_cpus: cpu.map(|units| units * SECOND_NS / 1024),
            cpu_shares: cpu,
            ..HostConfig::default()
        }),
        ..ContainerCreateBody::default()
    }
}

#[cfg(test)]
mod tests;
