//! The canonical form of checked objects: what plans compare and the state stores.
//!
//! Two manifests that mean the same thing normalize to the same value, so unchanged meaning
//! never registers a new revision: defaults are written out (`essential: true`, `protocol:
//! tcp`, `networkMode: bridge`), unit strings become numbers (`"0.5 GB"` → `"512"`), lists
//! whose order means nothing are sorted (environment, secrets), and names that the object's
//! identity already holds (`family`, `serviceName`, `cluster`) or that are read-only
//! describe output are dropped.
//!
//! The defaults written here are the ones [`super::effective`] decides; code that needs a
//! default reads it from there (`EffectiveService::of`, `essential`, ...), not from these
//! `Option`s.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::alarm::AlarmSpec;
use super::cluster::ClusterSpec;
use super::ecs::{DeploymentConfiguration, SchedulingStrategy, ServiceSpec, TaskDefinitionSpec};
use super::effective::{self, DeploymentBounds};
use super::scaling::{ScalableTargetSpec, ScalingPolicySpec};
use super::scheduled::{RunMissed, ScheduleState, ScheduledTaskSpec};
use super::traffic::{LoadBalancerSpec, TargetGroupRef, TargetGroupSpec};
use super::validate::{ManifestSet, task_definition_of};

/// Everything the manifests ask for, normalized. A saved plan carries this.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Desired {
    #[serde(default)]
    pub clusters: BTreeMap<String, ClusterSpec>,
    #[serde(default)]
    pub task_definitions: BTreeMap<String, TaskDefinitionSpec>,
    /// cluster → service name → spec.
    #[serde(default)]
    pub services: BTreeMap<String, BTreeMap<String, ServiceSpec>>,
    /// cluster → target group name → spec.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub target_groups: BTreeMap<String, BTreeMap<String, TargetGroupSpec>>,
    /// cluster → load balancer name → spec.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub load_balancers: BTreeMap<String, BTreeMap<String, LoadBalancerSpec>>,
    /// cluster → scheduled task name → spec.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub scheduled_tasks: BTreeMap<String, BTreeMap<String, ScheduledTaskSpec>>,
    /// cluster → alarm name → spec.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub alarms: BTreeMap<String, BTreeMap<String, AlarmSpec>>,
    /// cluster → scalable target name → spec.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub scalable_targets: BTreeMap<String, BTreeMap<String, ScalableTargetSpec>>,
    /// cluster → scaling policy name → spec.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub scaling_policies: BTreeMap<String, BTreeMap<String, ScalingPolicySpec>>,
}

impl Desired {
    pub fn from_set(set: &ManifestSet) -> Self {
        let mut desired = Desired::default();
        for (name, m) in &set.clusters {
            desired.clusters.insert(name.clone(), cluster(&m.spec));
        }
        for (name, m) in &set.task_definitions {
            desired
                .task_definitions
                .insert(name.clone(), task_definition(&m.spec));
        }
        for ((cluster_name, name), s) in &set.services {
            desired
                .services
                .entry(cluster_name.clone())
                .or_default()
                .insert(name.clone(), service(name, &s.manifest.spec));
        }
        for ((cluster_name, name), t) in &set.target_groups {
            desired
                .target_groups
                .entry(cluster_name.clone())
                .or_default()
                .insert(name.clone(), target_group(&t.manifest.spec));
        }
        for ((cluster_name, name), l) in &set.load_balancers {
            desired
                .load_balancers
                .entry(cluster_name.clone())
                .or_default()
                .insert(name.clone(), load_balancer(&l.manifest.spec));
        }
        for ((cluster_name, name), t) in &set.scheduled_tasks {
            desired
                .scheduled_tasks
                .entry(cluster_name.clone())
                .or_default()
                .insert(name.clone(), scheduled_task(&t.manifest.spec));
        }
        for ((cluster_name, name), a) in &set.alarms {
            desired
                .alarms
                .entry(cluster_name.clone())
                .or_default()
                .insert(name.clone(), a.manifest.spec.clone());
        }
        for ((cluster_name, name), t) in &set.scalable_targets {
            desired
                .scalable_targets
                .entry(cluster_name.clone())
                .or_default()
                .insert(name.clone(), t.manifest.spec.clone());
        }
        for ((cluster_name, name), p) in &set.scaling_policies {
            desired
                .scaling_policies
                .entry(cluster_name.clone())
                .or_default()
                .insert(name.clone(), p.manifest.spec.clone());
        }
        desired
    }
}

pub fn cluster(spec: &ClusterSpec) -> ClusterSpec {
    let mut spec = spec.clone();
    for host in &mut spec.hosts {
        host.endpoint = host.endpoint.as_ref().map(|e| e.trim().to_string());
    }
    strategy_defaults(&mut spec.default_capacity_provider_strategy);
    spec
}

/// `base` and `weight` written out (ECS's default: 0), so that `base: 0` and no `base` are
/// the same strategy.
fn strategy_defaults(items: &mut [crate::model::ecs::CapacityProviderStrategyItem]) {
    for item in items {
        item.base = Some(item.base.unwrap_or(0));
        item.weight = Some(item.weight.unwrap_or(0));
    }
}

pub fn task_definition(spec: &TaskDefinitionSpec) -> TaskDefinitionSpec {
    let mut spec = spec.clone();
    spec.family = None;
    spec.task_definition_arn = None;
    spec.revision = None;
    spec.status = None;
    spec.requires_attributes = None;
    spec.compatibilities = None;
    spec.registered_at = None;
    spec.registered_by = None;
    spec.deregistered_at = None;
    spec.network_mode = Some(effective::network_mode(&spec));
    if let Some(cpu) = effective::task_cpu(&spec) {
        spec.cpu = Some(cpu.to_string());
    }
    if let Some(memory) = effective::task_memory(&spec) {
        spec.memory = Some(memory.to_string());
    }
    for container in &mut spec.container_definitions {
        container.essential = Some(effective::essential(container));
        container.port_bindings = None;
        container.inference_devices = None;
        for mapping in &mut container.port_mappings {
            mapping.protocol = Some(effective::protocol(mapping));
        }
        container.environment.sort_by(|a, b| a.name.cmp(&b.name));
        container.secrets.sort_by(|a, b| a.name.cmp(&b.name));
    }
    spec
}

/// `name` is the service's name: a service without `taskDefinition` follows that family.
pub fn service(name: &str, spec: &ServiceSpec) -> ServiceSpec {
    let mut spec = spec.clone();
    if let Ok(reference) = task_definition_of(name, &spec) {
        spec.task_definition = Some(reference.to_string());
    }
    spec.service_name = None;
    spec.service = None;
    spec.cluster = None;
    spec.service_arn = None;
    spec.cluster_arn = None;
    spec.status = None;
    spec.running_count = None;
    spec.pending_count = None;
    spec.platform_family = None;
    spec.deployments = None;
    spec.events = None;
    spec.created_at = None;
    spec.created_by = None;
    spec.role_arn = None;
    spec.task_sets = None;
    let strategy = effective::scheduling_strategy(&spec);
    spec.scheduling_strategy = Some(strategy);
    strategy_defaults(&mut spec.capacity_provider_strategy);
    let bounds = DeploymentBounds::of(&spec);
    let percent = |p: u32| Some(i32::try_from(p).unwrap_or(i32::MAX));
    let config = spec
        .deployment_configuration
        .get_or_insert_with(DeploymentConfiguration::default);
    config.minimum_healthy_percent = percent(bounds.minimum_healthy_percent);
    config.maximum_percent = percent(bounds.maximum_percent);
    if strategy == SchedulingStrategy::Daemon {
        spec.desired_count = None;
    }
    for lb in &mut spec.load_balancers {
        resolve_target_group(&mut lb.target_group_name, &mut lb.target_group_arn);
        if let Some(advanced) = &mut lb.advanced_configuration {
            resolve_target_group(
                &mut advanced.alternate_target_group_name,
                &mut advanced.alternate_target_group_arn,
            );
        }
    }
    spec.load_balancers.sort_by(|a, b| {
        (&a.target_group_name, &a.container_name, a.container_port).cmp(&(
            &b.target_group_name,
            &b.container_name,
            b.container_port,
        ))
    });
    spec
}

/// A target group named by ARN is named by its name.
fn resolve_target_group(name: &mut Option<String>, arn: &mut Option<String>) {
    if let TargetGroupRef::Named(resolved) = TargetGroupRef::of(name.as_deref(), arn.as_deref()) {
        *name = Some(resolved);
        *arn = None;
    }
}

/// ELBv2's defaults written out (see `effective::traffic`).
pub fn target_group(spec: &TargetGroupSpec) -> TargetGroupSpec {
    use super::effective::traffic::{self as t, HealthCheckKind};
    use super::traffic::{Matcher, TrafficProtocol};
    let mut spec = spec.clone();
    let effective = t::EffectiveTargetGroup::of(&spec);
    let seconds = |d: std::time::Duration| Some(i32::try_from(d.as_secs()).unwrap_or(i32::MAX));
    let count = |n: u32| Some(i32::try_from(n).unwrap_or(i32::MAX));
    spec.protocol = Some(effective.protocol);
    spec.health_check_enabled = Some(effective.check != HealthCheckKind::Disabled);
    if effective.protocol == TrafficProtocol::Http {
        spec.health_check_path = spec
            .health_check_path
            .or_else(|| Some(t::DEFAULT_HEALTH_CHECK_PATH.to_string()));
        let code = spec
            .matcher
            .as_ref()
            .and_then(|m| m.http_code.clone())
            .unwrap_or_else(|| t::DEFAULT_MATCHER.to_string());
        spec.matcher = Some(Matcher {
            http_code: Some(code),
        });
    }
    if spec.health_check_port.as_deref() == Some("traffic-port") {
        spec.health_check_port = None;
    }
    spec.health_check_interval_seconds = seconds(effective.interval);
    spec.health_check_timeout_seconds = seconds(effective.timeout);
    spec.healthy_threshold_count = count(effective.healthy_threshold);
    spec.unhealthy_threshold_count = count(effective.unhealthy_threshold);
    spec.deregistration_delay_seconds = seconds(effective.deregistration_delay);
    spec.slow_start_seconds = seconds(effective.slow_start);
    spec
}

/// Listener protocols and action types written out, target groups by name, listeners by port,
/// rules by priority, hosts sorted.
pub fn load_balancer(spec: &LoadBalancerSpec) -> LoadBalancerSpec {
    use super::effective::traffic::listener_protocol;
    use super::traffic::ActionType;
    let mut spec = spec.clone();
    spec.hosts.sort();
    spec.hosts.dedup();
    for listener in &mut spec.listeners {
        listener.protocol = Some(listener_protocol(listener));
        let actions = listener
            .default_actions
            .iter_mut()
            .chain(listener.rules.iter_mut().flat_map(|r| r.actions.iter_mut()));
        for action in actions {
            action.r#type = Some(action.r#type.unwrap_or(ActionType::Forward));
            resolve_target_group(&mut action.target_group_name, &mut action.target_group_arn);
        }
        listener.rules.sort_by_key(|r| r.priority);
    }
    spec.listeners.sort_by_key(|l| l.port);
    spec
}

/// EventBridge Scheduler's defaults written out (UTC, ENABLED, one task) and ecsctl's
/// (`maximumConcurrency: 1`, `runMissed: NONE`); the schedule and the environment of
/// overrides trimmed and sorted.
pub fn scheduled_task(spec: &ScheduledTaskSpec) -> ScheduledTaskSpec {
    let mut spec = spec.clone();
    spec.schedule_expression = spec.schedule_expression.map(|e| e.trim().to_string());
    spec.schedule_expression_timezone = spec
        .schedule_expression_timezone
        .or_else(|| Some("UTC".to_string()));
    spec.state = Some(spec.state.unwrap_or(ScheduleState::Enabled));
    spec.task_count = Some(spec.task_count.unwrap_or(1));
    spec.maximum_concurrency = Some(spec.maximum_concurrency.unwrap_or(1));
    spec.run_missed = Some(spec.run_missed.unwrap_or(RunMissed::None));
    if let Some(overrides) = &mut spec.overrides {
        for o in &mut overrides.container_overrides {
            o.environment.sort_by(|a, b| a.name.cmp(&b.name));
        }
        overrides
            .container_overrides
            .sort_by(|a, b| a.name.cmp(&b.name));
        if overrides.container_overrides.is_empty() {
            spec.overrides = None;
        }
    }
    spec
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::load::check_text;

    fn desired(text: &str) -> Desired {
        let (set, diagnostics) = check_text("m.yaml", text);
        assert!(!diagnostics.has_errors(), "{diagnostics:?}");
        Desired::from_set(&set)
    }

    const WEB: &str = "apiVersion: ecsctl/v1\nkind: TaskDefinition\nmetadata: {name: web}\nspec:\n";

    #[test]
    fn same_meaning_same_content() {
        let a = desired(&format!(
            "{WEB}  memory: 0.5 GB\n  containerDefinitions:\n    - name: web\n      image: nginx\n      portMappings: [{{containerPort: 80}}]\n      environment: [{{name: B, value: '2'}}, {{name: A, value: '1'}}]\n"
        ));
        let b = desired(&format!(
            "{WEB}  networkMode: bridge\n  memory: '512'\n  containerDefinitions:\n    - name: web\n      image: nginx\n      essential: true\n      portMappings: [{{containerPort: 80, protocol: tcp}}]\n      environment: [{{name: A, value: '1'}}, {{name: B, value: '2'}}]\n"
        ));
        assert_eq!(a, b);
    }

    #[test]
    fn service_defaults_are_written_out() {
        let d = desired(
            "apiVersion: ecsctl/v1\nkind: Service\nmetadata: {name: web}\nspec: {desiredCount: 2}\n---\napiVersion: ecsctl/v1\nkind: TaskDefinition\nmetadata: {name: web}\nspec: {containerDefinitions: [{name: web, image: nginx}]}\n",
        );
        let web = &d.services["default"]["web"];
        assert_eq!(web.task_definition.as_deref(), Some("web"));
        let config = web.deployment_configuration.as_ref().expect("defaults");
        assert_eq!(config.minimum_healthy_percent, Some(100));
        assert_eq!(config.maximum_percent, Some(200));
        assert_eq!(web.scheduling_strategy, Some(SchedulingStrategy::Replica));
    }
}
