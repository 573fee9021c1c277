//! What a task definition or a service means once ECS's defaults are applied, as plain values:
//! `essential: bool`, `stop_timeout: Duration`, `DeploymentBounds { 100, 200 }`, task cpu and
//! memory as numbers.
//!
//! The ECS structs ([`TaskDefinitionSpec`], [`ServiceSpec`]) stay the stored form: the state
//! file, saved plans and JSON views keep their shape, and they round-trip what was written.
//! Every default is decided here, by one function each; [`super::normalize`] writes the same
//! values back into the ECS structs (so that plans compare meaning), and everything downstream
//! (plans, reconciliation, the Docker mapping, the CLI) reads them from here instead of
//! re-deriving them. Each function takes any spec, normalized or not (a state file written by
//! an older version, a manifest being validated), and gives a spec and its normal form the
//! same answer.
//!
//! Nothing here validates: a value outside its range (a negative percent, already an error
//! for validation) reads as 0.

use std::fmt;
use std::time::Duration;

use super::ecs::{
    CapacityProviderStrategyItem, ContainerDefinition, HealthCheck, LaunchType, NetworkMode,
    PortMapping, SchedulingStrategy, ServiceSpec, TaskDefinitionSpec, TransportProtocol,
};
use super::units::{parse_cpu, parse_memory};

/// ECS's time between SIGTERM and SIGKILL when a container sets no `stopTimeout`.
pub const DEFAULT_STOP_TIMEOUT: Duration = Duration::from_secs(30);

fn non_negative(value: i32) -> u32 {
    u32::try_from(value).unwrap_or(0)
}

fn seconds(value: i32) -> Duration {
    Duration::from_secs(u64::from(non_negative(value)))
}

// Services.

/// `REPLICA` unless written.
pub fn scheduling_strategy(spec: &ServiceSpec) -> SchedulingStrategy {
    spec.scheduling_strategy
        .unwrap_or(SchedulingStrategy::Replica)
}

/// The tasks a REPLICA service keeps running; 0 for a DAEMON service, whose count is the
/// number of eligible hosts and known only there.
pub fn desired_count(spec: &ServiceSpec) -> u32 {
    match scheduling_strategy(spec) {
        SchedulingStrategy::Replica => spec.desired_count.map_or(0, non_negative),
        SchedulingStrategy::Daemon => 0,
    }
}

/// How long failing health checks of a new task are ignored (ECS's default: not at all).
pub fn health_check_grace_period(spec: &ServiceSpec) -> Duration {
    spec.health_check_grace_period_seconds
        .map_or(Duration::ZERO, seconds)
}

/// A capacity provider strategy item with ECS's defaults (`base` and `weight`: 0).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StrategyItem {
    pub provider: String,
    pub base: u32,
    pub weight: u32,
}

impl StrategyItem {
    pub fn of(item: &CapacityProviderStrategyItem) -> Self {
        StrategyItem {
            provider: item.capacity_provider.clone().unwrap_or_default(),
            base: item.base.map_or(0, non_negative),
            weight: item.weight.map_or(0, non_negative),
        }
    }
}

/// The strategy tasks are placed with, as ECS chooses it: the one written; with
/// `launchType: FARGATE`, the `FARGATE` provider (the user never picks a host: its pool
/// does); with neither a strategy nor a `launchType`, the cluster's
/// `defaultCapacityProviderStrategy`. Empty: no capacity providers, every host of the
/// cluster. DAEMON services (one task per host) never use one.
pub fn capacity_provider_strategy(
    written: &[CapacityProviderStrategyItem],
    launch_type: Option<LaunchType>,
    daemon: bool,
    cluster_default: &[CapacityProviderStrategyItem],
) -> Vec<StrategyItem> {
    if launch_type == Some(LaunchType::Fargate) && written.is_empty() && !daemon {
        return vec![StrategyItem {
            provider: "FARGATE".into(),
            base: 0,
            weight: 1,
        }];
    }
    let items = if daemon {
        &[][..]
    } else if !written.is_empty() {
        written
    } else if launch_type.is_some() {
        &[][..]
    } else {
        cluster_default
    };
    items.iter().map(StrategyItem::of).collect()
}

/// A service's strategy (see [`capacity_provider_strategy`]).
pub fn service_capacity_provider_strategy(
    spec: &ServiceSpec,
    cluster_default: &[CapacityProviderStrategyItem],
) -> Vec<StrategyItem> {
    capacity_provider_strategy(
        &spec.capacity_provider_strategy,
        spec.launch_type,
        scheduling_strategy(spec) == SchedulingStrategy::Daemon,
        cluster_default,
    )
}

/// A service's launch type (see [`launch_type`]): `FARGATE` for
/// `launchType: FARGATE` and for a strategy of Fargate's providers only.
pub fn service_launch_type(
    spec: &ServiceSpec,
    cluster_default: &[CapacityProviderStrategyItem],
) -> LaunchType {
    launch_type(
        spec.launch_type,
        &service_capacity_provider_strategy(spec, cluster_default),
    )
}

/// The launch type a task runs with, as ECS decides it: the one written; else `FARGATE` when
/// the strategy places on Fargate's providers only; else `EC2` (a pool of the user's hosts,
/// or every host of the cluster).
pub fn launch_type(written: Option<LaunchType>, strategy: &[StrategyItem]) -> LaunchType {
    if let Some(written) = written {
        return written;
    }
    if !strategy.is_empty()
        && strategy
            .iter()
            .all(|i| super::fargate::is_fargate_provider(&i.provider))
    {
        LaunchType::Fargate
    } else {
        LaunchType::Ec2
    }
}

/// A rolling deployment's `minimumHealthyPercent` and `maximumPercent`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeploymentBounds {
    pub minimum_healthy_percent: u32,
    pub maximum_percent: u32,
}

impl DeploymentBounds {
    /// ECS's defaults for a REPLICA service.
    pub const REPLICA: DeploymentBounds = DeploymentBounds {
        minimum_healthy_percent: 100,
        maximum_percent: 200,
    };
    /// ECS's defaults for a DAEMON service: stop first, never more than one task per host.
    pub const DAEMON: DeploymentBounds = DeploymentBounds {
        minimum_healthy_percent: 0,
        maximum_percent: 100,
    };

    pub fn defaults(strategy: SchedulingStrategy) -> Self {
        match strategy {
            SchedulingStrategy::Replica => Self::REPLICA,
            SchedulingStrategy::Daemon => Self::DAEMON,
        }
    }

    /// The bounds of `spec`: as written, else the defaults of its scheduling strategy.
    pub fn of(spec: &ServiceSpec) -> Self {
        let defaults = Self::defaults(scheduling_strategy(spec));
        let config = spec.deployment_configuration.as_ref();
        DeploymentBounds {
            minimum_healthy_percent: config
                .and_then(|c| c.minimum_healthy_percent)
                .map_or(defaults.minimum_healthy_percent, non_negative),
            maximum_percent: config
                .and_then(|c| c.maximum_percent)
                .map_or(defaults.maximum_percent, non_negative),
        }
    }

    /// `(minimum running, maximum running)` for a desired count, rounded as ECS does:
    /// `ceil(desired × minimumHealthyPercent / 100)` and `floor(desired × maximumPercent / 100)`.
    pub fn running(self, desired: u32) -> (u32, u32) {
        let desired = u64::from(desired);
        let min = (desired * u64::from(self.minimum_healthy_percent)).div_ceil(100);
        let max = desired * u64::from(self.maximum_percent) / 100;
        (
            u32::try_from(min).unwrap_or(u32::MAX),
            u32::try_from(max).unwrap_or(u32::MAX),
        )
    }
}

/// The deployment circuit breaker (ECS's default: off).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CircuitBreaker {
    pub enable: bool,
    /// Roll back to the last completed deployment when it trips (only when enabled).
    pub rollback: bool,
}

impl CircuitBreaker {
    pub fn of(spec: &ServiceSpec) -> Self {
        let breaker = spec
            .deployment_configuration
            .as_ref()
            .and_then(|c| c.deployment_circuit_breaker.as_ref());
        let enable = breaker.is_some_and(|b| b.enable == Some(true));
        CircuitBreaker {
            enable,
            rollback: enable && breaker.is_some_and(|b| b.rollback == Some(true)),
        }
    }
}

impl fmt::Display for CircuitBreaker {
    /// `enabled, with rollback`, `enabled` or `disabled`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match (self.enable, self.rollback) {
            (true, true) => "enabled, with rollback",
            (true, false) => "enabled",
            (false, _) => "disabled",
        })
    }
}

/// A service with its defaults applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EffectiveService {
    pub scheduling_strategy: SchedulingStrategy,
    /// See [`desired_count`]: 0 for DAEMON services.
    pub desired_count: u32,
    pub deployment: DeploymentBounds,
    pub circuit_breaker: CircuitBreaker,
    pub health_check_grace_period: Duration,
}

impl EffectiveService {
    pub fn of(spec: &ServiceSpec) -> Self {
        EffectiveService {
            scheduling_strategy: scheduling_strategy(spec),
            desired_count: desired_count(spec),
            deployment: DeploymentBounds::of(spec),
            circuit_breaker: CircuitBreaker::of(spec),
            health_check_grace_period: health_check_grace_period(spec),
        }
    }

    pub fn is_daemon(&self) -> bool {
        self.scheduling_strategy == SchedulingStrategy::Daemon
    }
}

// Task definitions.

/// `bridge` unless written; `default`, the old name of `bridge`, is `bridge`.
pub fn network_mode(spec: &TaskDefinitionSpec) -> NetworkMode {
    match spec.network_mode {
        None | Some(NetworkMode::Default) => NetworkMode::Bridge,
        Some(mode) => mode,
    }
}

/// The task-level cpu units (`"1 vCPU"` → 1024), when written and readable.
pub fn task_cpu(spec: &TaskDefinitionSpec) -> Option<u32> {
    spec.cpu.as_deref().and_then(|c| parse_cpu(c).ok())
}

/// The task-level memory in MiB (`"0.5 GB"` → 512), when written and readable.
pub fn task_memory(spec: &TaskDefinitionSpec) -> Option<u32> {
    spec.memory.as_deref().and_then(|m| parse_memory(m).ok())
}

/// What a task reserves on its host: cpu units (1024 per core) and MiB.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TaskSize {
    pub cpu: i64,
    pub memory: i64,
}

impl TaskSize {
    /// The task-level values, else the sum of its containers' (`cpu`; `memory`, else
    /// `memoryReservation`).
    pub fn of(spec: &TaskDefinitionSpec) -> Self {
        let containers = Self::of_containers(&spec.container_definitions);
        TaskSize {
            cpu: task_cpu(spec).map_or(containers.cpu, i64::from),
            memory: task_memory(spec).map_or(containers.memory, i64::from),
        }
    }

    /// What the containers reserve together: their `cpu`, and their `memory` (else
    /// `memoryReservation`).
    pub fn of_containers(containers: &[ContainerDefinition]) -> Self {
        TaskSize {
            cpu: containers
                .iter()
                .map(|c| i64::from(c.cpu.unwrap_or(0)))
                .sum(),
            memory: containers
                .iter()
                .map(|c| i64::from(c.memory.or(c.memory_reservation).unwrap_or(0)))
                .sum(),
        }
    }
}

/// `tcp` unless `udp`: the application protocols found in real files (`http`, `grpc`) mean tcp.
pub fn protocol(mapping: &PortMapping) -> TransportProtocol {
    match mapping.protocol {
        Some(TransportProtocol::Udp) => TransportProtocol::Udp,
        _ => TransportProtocol::Tcp,
    }
}

/// The fixed host ports a task takes, with their protocol (`tcp`, `udp`): its non-zero
/// hostPorts, and in host and awsvpc mode its containerPorts too (they are the host's ports
/// there).
pub fn fixed_host_ports(spec: &TaskDefinitionSpec) -> Vec<(u16, String)> {
    let mode = network_mode(spec);
    let mut ports = Vec::new();
    for mapping in spec
        .container_definitions
        .iter()
        .flat_map(|c| &c.port_mappings)
    {
        let port = match mode {
            NetworkMode::Host | NetworkMode::Awsvpc => mapping
                .host_port
                .filter(|p| *p != 0)
                .or(mapping.container_port),
            _ => mapping.host_port.filter(|p| *p != 0),
        };
        if let Some(port) = port.and_then(|p| u16::try_from(p).ok()) {
            ports.push((port, protocol(mapping).as_str().to_string()));
        }
    }
    ports
}

/// A container is essential unless it says `essential: false`.
pub fn essential(container: &ContainerDefinition) -> bool {
    container.essential.unwrap_or(true)
}

/// The time between SIGTERM and SIGKILL: `stopTimeout`, else [`DEFAULT_STOP_TIMEOUT`].
pub fn stop_timeout(container: &ContainerDefinition) -> Duration {
    container.stop_timeout.map_or(DEFAULT_STOP_TIMEOUT, seconds)
}

/// A container health check's timing, with ECS's defaults (30 s, 5 s, 3 retries, no start
/// period).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HealthCheckTiming {
    pub interval: Duration,
    pub timeout: Duration,
    pub retries: u32,
    pub start_period: Duration,
}

impl HealthCheckTiming {
    pub fn of(check: &HealthCheck) -> Self {
        HealthCheckTiming {
            interval: check.interval.map_or(Duration::from_secs(30), seconds),
            timeout: check.timeout.map_or(Duration::from_secs(5), seconds),
            retries: check.retries.map_or(3, non_negative),
            start_period: check.start_period.map_or(Duration::ZERO, seconds),
        }
    }
}

/// A container with its defaults applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EffectiveContainer {
    pub name: String,
    pub essential: bool,
    pub stop_timeout: Duration,
    /// Present when the container has a health check.
    pub health_check: Option<HealthCheckTiming>,
}

impl EffectiveContainer {
    pub fn of(container: &ContainerDefinition) -> Self {
        EffectiveContainer {
            name: container.name.clone().unwrap_or_default(),
            essential: essential(container),
            stop_timeout: stop_timeout(container),
            health_check: container.health_check.as_ref().map(HealthCheckTiming::of),
        }
    }
}

/// A task definition with its defaults applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EffectiveTaskDefinition {
    pub network_mode: NetworkMode,
    /// Task-level cpu units and MiB, when written (see [`task_cpu`], [`task_memory`]).
    pub cpu: Option<u32>,
    pub memory: Option<u32>,
    /// What a task reserves on its host (see [`TaskSize::of`]).
    pub size: TaskSize,
    pub fixed_host_ports: Vec<(u16, String)>,
    /// In the order of `containerDefinitions`.
    pub containers: Vec<EffectiveContainer>,
}

impl EffectiveTaskDefinition {
    pub fn of(spec: &TaskDefinitionSpec) -> Self {
        EffectiveTaskDefinition {
            network_mode: network_mode(spec),
            cpu: task_cpu(spec),
            memory: task_memory(spec),
            size: TaskSize::of(spec),
            fixed_host_ports: fixed_host_ports(spec),
            containers: spec
                .container_definitions
                .iter()
                .map(EffectiveContainer::of)
                .collect(),
        }
    }

    pub fn container(&self, name: &str) -> Option<&EffectiveContainer> {
        self.containers.iter().find(|c| c.name == name)
    }

    /// The index in `containerDefinitions` of the first essential container (the one
    /// `run-task` overrides apply to by default).
    pub fn first_essential(&self) -> Option<usize> {
        self.containers.iter().position(|c| c.essential)
    }
}

pub mod strategy;
pub mod traffic;

#[cfg(test)]
mod tests;
