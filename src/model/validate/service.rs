//! Checks of one service: the rules of CreateService that matter to a scheduler.

use super::{Check, DiagnosticExt};
use crate::diagnostics::Diagnostics;
use crate::model::ecs::{
    LaunchType, PlacementConstraint, PlacementConstraintType, PlacementStrategyType,
    SchedulingStrategy, ServiceSpec,
};
use crate::model::effective::{self, DeploymentBounds};
use crate::model::manifest::ServiceManifest;
use crate::model::names::{TaskDefRef, check_ecs_name, is_templated};
use crate::schedule::query::Expr;

/// ECS's limits on placement rules per service.
const MAX_STRATEGIES: usize = 5;
const MAX_CONSTRAINTS: usize = 10;

pub(super) fn check(s: &ServiceManifest, out: &mut Diagnostics) {
    let m = &s.manifest;
    let mut c = Check::new(&m.origin, out);
    let spec = &m.spec;
    if !is_templated(&m.name)
        && let Err(e) = check_ecs_name(&m.name)
    {
        c.error_at(&m.name_path, format!("invalid service name: {e}"));
    }
    if !is_templated(&s.cluster)
        && let Err(e) = check_ecs_name(&s.cluster)
    {
        c.error_at(&s.cluster_path, format!("invalid cluster name: {e}"));
    }
    match spec.task_definition.as_deref() {
        // Without `taskDefinition` a service follows the family of its own name.
        None => {}
        Some(text) if is_templated(text) => {
            c.error(
                "taskDefinition",
                format!("the task definition is a template marker `{text}`"),
            )
            .help("ecsctl renders no templates: write the family");
        }
        Some(text) => {
            if let Err(e) = text.parse::<TaskDefRef>() {
                c.error(
                    "taskDefinition",
                    format!("invalid task definition reference: {e}"),
                )
                .help("write `FAMILY` or `FAMILY:REVISION`");
            }
        }
    }
    let daemon = effective::scheduling_strategy(spec) == SchedulingStrategy::Daemon;
    match spec.desired_count {
        None if !daemon => {
            c.error("", "the service has no `desiredCount`")
                .help("add `desiredCount: N` (the number of tasks to keep running)");
        }
        Some(n) if n < 0 => {
            c.error("desiredCount", "desiredCount cannot be negative");
        }
        _ => {}
    }
    check_deployment(spec, daemon, &mut c);
    check_placement(spec, daemon, &mut c);
    check_capacity(spec, daemon, &mut c);
    if daemon && spec.launch_type == Some(LaunchType::Fargate) {
        c.error(
            "schedulingStrategy",
            "The DAEMON scheduling strategy does not support the FARGATE launch type.",
        )
        .help("Fargate tasks are placed by their capacity provider's pool: use REPLICA");
    }
}

/// `capacityProviderStrategy`: ECS's item rules, not with a `launchType`, not for DAEMON
/// services. Whether the cluster has the providers is checked across objects.
fn check_capacity(spec: &ServiceSpec, daemon: bool, c: &mut Check<'_>) {
    let items = &spec.capacity_provider_strategy;
    if items.is_empty() {
        return;
    }
    if spec.launch_type.is_some() {
        c.error(
            "capacityProviderStrategy",
            "specifying both a launch type and capacity provider strategy is not supported",
        )
        .help("remove one and try again: `launchType` places on every host of the cluster, a strategy on its capacity providers");
    }
    if daemon {
        c.error(
            "capacityProviderStrategy",
            "a DAEMON service runs one task on every host; a capacity provider strategy does not apply",
        )
        .help("remove `capacityProviderStrategy`, or use `placementConstraints` to choose the hosts");
    }
    super::capacity::strategy(c, "capacityProviderStrategy", items);
}

fn check_deployment(spec: &ServiceSpec, daemon: bool, c: &mut Check<'_>) {
    let Some(config) = &spec.deployment_configuration else {
        return;
    };
    if let Some(min) = config.minimum_healthy_percent
        && !(0..=100).contains(&min)
    {
        c.error(
            "deploymentConfiguration.minimumHealthyPercent",
            format!("{min}%: minimumHealthyPercent must be between 0 and 100"),
        );
    }
    if let Some(max) = config.maximum_percent {
        if !daemon && max < 100 {
            c.error(
                "deploymentConfiguration.maximumPercent",
                format!("{max}%: maximumPercent must be at least 100"),
            );
        }
        if !daemon
            && max == 100
            && DeploymentBounds::of(spec).minimum_healthy_percent == 100
            && effective::desired_count(spec) > 0
        {
            c.error(
                "deploymentConfiguration",
                "with minimumHealthyPercent 100 and maximumPercent 100 a deployment can never replace a task",
            )
            .help("raise maximumPercent above 100 (start new tasks first) or lower minimumHealthyPercent (stop old ones first)");
        }
    }
    if let Some(breaker) = &config.deployment_circuit_breaker
        && (breaker.enable.is_none() || breaker.rollback.is_none())
    {
        c.error(
            "deploymentConfiguration.deploymentCircuitBreaker",
            "the circuit breaker needs both `enable` and `rollback`",
        )
        .help("write `deploymentCircuitBreaker: { enable: true, rollback: true }`");
    }
    super::strategy::check(spec, daemon, c);
}

fn check_placement(spec: &ServiceSpec, daemon: bool, c: &mut Check<'_>) {
    if spec.placement_strategy.len() > MAX_STRATEGIES {
        c.error(
            "placementStrategy",
            format!("at most {MAX_STRATEGIES} placement strategies are allowed"),
        );
    }
    if daemon && !spec.placement_strategy.is_empty() {
        c.error(
            "placementStrategy",
            "a DAEMON service runs one task on every host; placement strategies do not apply",
        );
    }
    for (i, strategy) in spec.placement_strategy.iter().enumerate() {
        let path = format!("placementStrategy[{i}]");
        let field = strategy.field.as_deref();
        match strategy.r#type {
            None => {
                c.error(
                    &path,
                    "a placement strategy needs a `type` (binpack, spread or random)",
                );
            }
            Some(PlacementStrategyType::Binpack) => {
                if !matches!(field, Some("cpu" | "memory")) {
                    c.error(
                        &format!("{path}.field"),
                        "binpack packs by `cpu` or `memory`",
                    )
                    .help("write `field: memory` or `field: cpu`");
                }
            }
            Some(PlacementStrategyType::Spread) => match field {
                Some("instanceId" | "host") => {}
                Some(f) if f.starts_with("attribute:") && f.len() > "attribute:".len() => {}
                _ => {
                    c.error(
                        &format!("{path}.field"),
                        "spread needs a field: `instanceId` (or `host`) or `attribute:NAME`",
                    )
                    .help("for example `field: attribute:zone`");
                }
            },
            Some(PlacementStrategyType::Random) => {}
        }
    }
    placement_constraints(&spec.placement_constraints, c);
}

/// `placementConstraints` as ECS checks them (a service's, a scheduled task's).
pub(super) fn placement_constraints(constraints: &[PlacementConstraint], c: &mut Check<'_>) {
    if constraints.len() > MAX_CONSTRAINTS {
        c.error(
            "placementConstraints",
            format!("at most {MAX_CONSTRAINTS} placement constraints are allowed"),
        );
    }
    for (i, constraint) in constraints.iter().enumerate() {
        let path = format!("placementConstraints[{i}]");
        match (constraint.r#type, constraint.expression.as_deref()) {
            (None, _) => {
                c.error(
                    &path,
                    "a placement constraint needs a `type` (distinctInstance or memberOf)",
                );
            }
            (Some(PlacementConstraintType::DistinctInstance), Some(_)) => {
                c.error(
                    &format!("{path}.expression"),
                    "`distinctInstance` takes no expression",
                );
            }
            (Some(PlacementConstraintType::MemberOf), None) => {
                c.error(&path, "a `memberOf` constraint needs an `expression`")
                    .help("for example `expression: attribute:zone in [a, b]`");
            }
            (Some(PlacementConstraintType::MemberOf), Some(expression))
                if !is_templated(expression) =>
            {
                if let Err(e) = Expr::parse(expression) {
                    c.error(&format!("{path}.expression"), format!("invalid memberOf expression: {e}"))
                        .help("for example `attribute:zone == a`, `attribute:zone in [a, b]`, `attribute:gpu exists`");
                }
            }
            _ => {}
        }
    }
}
