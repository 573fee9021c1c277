//! Checks of scalable targets and scaling policies (Application Auto Scaling's required
//! fields and ranges) and of what they name: a REPLICA service of their cluster, a target
//! group, the step policies an alarm runs.

use super::{Check, DiagnosticExt, Known, ManifestSet};
use crate::diagnostics::Diagnostics;
use crate::model::ecs::SchedulingStrategy;
use crate::model::effective;
use crate::model::manifest::ClusterManifest;
use crate::model::names::is_templated;
use crate::model::scaling::{
    AdjustmentType, DESIRED_COUNT_DIMENSION, PolicyType, PredefinedMetricType, ScalableTargetSpec,
    ScalingPolicySpec, policy_name, service_of,
};
use crate::suggest::did_you_mean;

/// The resource fields both kinds share: `service` or `resourceId`, the namespace and the
/// dimension.
fn resource(
    c: &mut Check<'_>,
    cluster: &str,
    service: Option<&str>,
    resource_id: Option<&str>,
    namespace: Option<&str>,
    dimension: Option<&str>,
) {
    match (service, resource_id) {
        (None, None) => {
            c.error("", "no `service`: which service does it scale?")
                .help("e.g. `service: web` (or `resourceId: service/CLUSTER/web`)");
        }
        (Some(_), Some(_)) => {
            c.error(
                "resourceId",
                "`service` and `resourceId` both name the service",
            )
            .help("keep one of them");
        }
        (None, Some(id)) => match service_of(None, Some(id)) {
            None => {
                c.error(
                    "resourceId",
                    format!("`{id}` is not an ECS service's resource id"),
                )
                .help(format!("write `service/{cluster}/NAME`"));
            }
            Some((Some(other), _)) if other != cluster && !is_templated(other) => {
                c.error(
                    "resourceId",
                    format!("`{id}` is in cluster `{other}`, but this manifest is in `{cluster}`"),
                )
                .help(format!(
                    "set `metadata.cluster: {other}` or write `service/{cluster}/…`"
                ));
            }
            _ => {}
        },
        _ => {}
    }
    if let Some(ns) = namespace.filter(|n| *n != "ecs") {
        c.error(
            "serviceNamespace",
            format!("`{ns}`: ecsctl scales ECS services only"),
        )
        .help("write `serviceNamespace: ecs` or leave it out");
    }
    if let Some(d) = dimension.filter(|d| *d != DESIRED_COUNT_DIMENSION) {
        c.error(
            "scalableDimension",
            format!("`{d}`: a service scales its desired count only"),
        )
        .help(format!(
            "write `scalableDimension: {DESIRED_COUNT_DIMENSION}` or leave it out"
        ));
    }
}

pub(super) fn scalable_target(t: &ClusterManifest<ScalableTargetSpec>, out: &mut Diagnostics) {
    let spec = &t.manifest.spec;
    let mut c = Check::new(&t.manifest.origin, out);
    resource(
        &mut c,
        &t.cluster,
        spec.service.as_deref(),
        spec.resource_id.as_deref(),
        spec.service_namespace.as_deref(),
        spec.scalable_dimension.as_deref(),
    );
    for (field, value) in [
        ("minCapacity", spec.min_capacity),
        ("maxCapacity", spec.max_capacity),
    ] {
        match value {
            None => {
                c.error("", format!("the scalable target has no `{field}`"))
                    .help(format!("e.g. `{field}: 2`"));
            }
            Some(v) if v < 0 => {
                c.error(field, format!("{v}: {field} is at least 0"));
            }
            _ => {}
        }
    }
    if let (Some(min), Some(max)) = (spec.min_capacity, spec.max_capacity)
        && min > max
    {
        c.error(
            "maxCapacity",
            format!("maxCapacity {max} is below minCapacity {min}"),
        );
    }
}

pub(super) fn scaling_policy(p: &ClusterManifest<ScalingPolicySpec>, out: &mut Diagnostics) {
    let spec = &p.manifest.spec;
    let mut c = Check::new(&p.manifest.origin, out);
    resource(
        &mut c,
        &p.cluster,
        spec.service.as_deref(),
        spec.resource_id.as_deref(),
        spec.service_namespace.as_deref(),
        spec.scalable_dimension.as_deref(),
    );
    let tracking = spec.target_tracking_scaling_policy_configuration.as_ref();
    let stepping = spec.step_scaling_policy_configuration.as_ref();
    match spec.policy_type {
        None => {
            c.error("", "the policy has no `policyType`")
                .help("`policyType: TargetTrackingScaling` or `policyType: StepScaling`");
        }
        Some(PolicyType::TargetTrackingScaling) if tracking.is_none() => {
            c.error("", "a TargetTrackingScaling policy needs `targetTrackingScalingPolicyConfiguration`")
                .help("e.g. `{ targetValue: 70, predefinedMetricSpecification: { predefinedMetricType: ECSServiceAverageCPUUtilization } }`");
        }
        Some(PolicyType::StepScaling) if stepping.is_none() => {
            c.error(
                "",
                "a StepScaling policy needs `stepScalingPolicyConfiguration`",
            )
            .help("e.g. `{ adjustmentType: ChangeInCapacity, stepAdjustments: [{ metricIntervalLowerBound: 0, scalingAdjustment: 2 }] }`");
        }
        _ => {}
    }
    if spec.policy_type == Some(PolicyType::StepScaling) && tracking.is_some() {
        c.error(
            "targetTrackingScalingPolicyConfiguration",
            "a StepScaling policy has no target tracking configuration",
        );
    }
    if spec.policy_type == Some(PolicyType::TargetTrackingScaling) && stepping.is_some() {
        c.error(
            "stepScalingPolicyConfiguration",
            "a TargetTrackingScaling policy has no step configuration",
        );
    }
    if let Some(t) = tracking {
        let at = "targetTrackingScalingPolicyConfiguration";
        match t.target_value {
            None => {
                c.error(at, "no `targetValue`: the value to keep the metric at")
                    .help("e.g. `targetValue: 70`");
            }
            Some(v) if !(v > 0.0 && v.is_finite()) => {
                c.error(
                    &format!("{at}.targetValue"),
                    format!("{v}: targetValue is above 0"),
                );
            }
            _ => {}
        }
        let metric = t.predefined_metric_specification.as_ref();
        match metric.and_then(|m| m.predefined_metric_type) {
            None => {
                c.error(at, "no `predefinedMetricSpecification.predefinedMetricType`")
                    .help("ECSServiceAverageCPUUtilization, ECSServiceAverageMemoryUtilization or ALBRequestCountPerTarget");
            }
            Some(PredefinedMetricType::RequestCountPerTarget)
                if metric.and_then(|m| m.target_group()).is_none() =>
            {
                c.error(
                    &format!("{at}.predefinedMetricSpecification"),
                    "ALBRequestCountPerTarget needs `resourceLabel`: the target group",
                )
                .help("e.g. `resourceLabel: web` (a TargetGroup of the cluster)");
            }
            _ => {}
        }
        for (field, value) in [
            ("scaleOutCooldown", t.scale_out_cooldown),
            ("scaleInCooldown", t.scale_in_cooldown),
        ] {
            if let Some(v) = value
                && !(0..=31_536_000).contains(&v)
            {
                c.error(
                    &format!("{at}.{field}"),
                    format!("{v}: a cooldown is 0 to 31536000 seconds"),
                );
            }
        }
        if let Some(p) = t.period
            && !(1..=3600).contains(&p)
        {
            c.error(
                &format!("{at}.period"),
                format!("{p}: a period is 1 to 3600 seconds"),
            )
            .help("Application Auto Scaling measures per minute: `period: 60`");
        }
    }
    if let Some(s) = stepping {
        let at = "stepScalingPolicyConfiguration";
        if s.adjustment_type.is_none() {
            c.error(at, "no `adjustmentType`")
                .help("ChangeInCapacity, ExactCapacity or PercentChangeInCapacity");
        }
        if s.step_adjustments.is_empty() {
            c.error(at, "no `stepAdjustments`")
                .help("e.g. `[{ metricIntervalLowerBound: 0, scalingAdjustment: 2 }]`");
        }
        for (i, step) in s.step_adjustments.iter().enumerate() {
            let path = format!("{at}.stepAdjustments[{i}]");
            if step.scaling_adjustment.is_none() {
                c.error(&path, "no `scalingAdjustment`");
            }
            match (
                step.metric_interval_lower_bound,
                step.metric_interval_upper_bound,
            ) {
                (None, None) if s.step_adjustments.len() > 1 => {
                    c.error(&path, "a step without bounds leaves no room for the others")
                        .help("give it `metricIntervalLowerBound` or `metricIntervalUpperBound`");
                }
                (Some(l), Some(u)) if l >= u => {
                    c.error(
                        &path,
                        format!(
                            "metricIntervalLowerBound {l} is not below metricIntervalUpperBound {u}"
                        ),
                    );
                }
                _ => {}
            }
        }
        if s.adjustment_type == Some(AdjustmentType::ExactCapacity)
            && s.step_adjustments
                .iter()
                .any(|a| a.scaling_adjustment.is_some_and(|n| n < 0))
        {
            c.error(
                &format!("{at}.stepAdjustments"),
                "ExactCapacity adjustments are counts: at least 0",
            );
        }
        if let Some(v) = s.cooldown
            && !(0..=31_536_000).contains(&v)
        {
            c.error(
                &format!("{at}.cooldown"),
                format!("{v}: a cooldown is 0 to 31536000 seconds"),
            );
        }
    }
}

/// Scalable targets name REPLICA services of their cluster (one target per service);
/// policies name a service that has a scalable target; request-count policies a target group;
/// alarms' actions name step policies.
pub(super) fn check_references(set: &ManifestSet, known: &Known, out: &mut Diagnostics) {
    let mut scaled: std::collections::BTreeMap<(String, String), &str> = Default::default();
    for t in set.scalable_targets.values() {
        let Some(service) = t.manifest.spec.service_name() else {
            continue;
        };
        let field = if t.manifest.spec.service.is_some() {
            "service"
        } else {
            "resourceId"
        };
        let key = (t.cluster.clone(), service.to_string());
        let mut c = Check::new(&t.manifest.origin, out);
        if let Some(first) = scaled.insert(key.clone(), &t.manifest.name) {
            c.error(
                field,
                format!("service `{service}` already has scalable target `{first}`"),
            )
            .help("one scalable target per service: put its policies on that one");
        }
        if is_templated(service) {
            continue;
        }
        match set.services.get(&key) {
            Some(s)
                if effective::scheduling_strategy(&s.manifest.spec)
                    == SchedulingStrategy::Daemon =>
            {
                c.error(
                    field,
                    format!("service `{service}` is a DAEMON service: it has no count to scale"),
                );
            }
            Some(_) => {}
            None if known.services.contains(&key) => {}
            None => {
                let names = set
                    .services
                    .keys()
                    .chain(known.services.iter())
                    .filter(|(c, _)| *c == t.cluster)
                    .map(|(_, n)| n.as_str());
                let help = match did_you_mean(service, names) {
                    Some(n) => format!("did you mean `{n}`?"),
                    None => format!(
                        "define it with a `kind: Service` manifest in cluster `{}`",
                        t.cluster
                    ),
                };
                c.error(
                    field,
                    format!(
                        "service `{service}` is not defined in cluster `{}`",
                        t.cluster
                    ),
                )
                .help(help);
            }
        }
    }
    for p in set.scaling_policies.values() {
        let spec = &p.manifest.spec;
        let mut c = Check::new(&p.manifest.origin, out);
        if let Some(service) = spec.service_name() {
            let key = (p.cluster.clone(), service.to_string());
            if !is_templated(service)
                && !scaled.contains_key(&key)
                && !known.scaled_services.contains(&key)
            {
                c.error(
                    if spec.service.is_some() { "service" } else { "resourceId" },
                    format!("service `{service}` has no scalable target: there is nothing to scale within"),
                )
                .help(format!(
                    "add a `kind: ScalableTarget` with `service: {service}`, `minCapacity` and `maxCapacity`"
                ));
            }
        }
        let group = spec
            .target_tracking_scaling_policy_configuration
            .as_ref()
            .and_then(|t| t.predefined_metric_specification.as_ref())
            .filter(|m| {
                m.predefined_metric_type == Some(PredefinedMetricType::RequestCountPerTarget)
            })
            .and_then(|m| m.target_group());
        if let Some(group) = group {
            let key = (p.cluster.clone(), group.to_string());
            if !is_templated(group)
                && !set.target_groups.contains_key(&key)
                && !known.target_groups.contains(&key)
            {
                c.error(
                    "targetTrackingScalingPolicyConfiguration.predefinedMetricSpecification.resourceLabel",
                    format!("target group `{group}` is not defined in cluster `{}`", p.cluster),
                )
                .help(format!("define it with a `kind: TargetGroup` manifest named `{group}`"));
            }
        }
    }
    for a in set.alarms.values() {
        let mut c = Check::new(&a.manifest.origin, out);
        for (i, action) in a.manifest.spec.alarm_actions.iter().enumerate() {
            let name = policy_name(action);
            let policy = set
                .scaling_policies
                .get(&(a.cluster.clone(), name.to_string()));
            let path = format!("alarmActions[{i}]");
            match policy {
                Some(p) if p.manifest.spec.policy_type != Some(PolicyType::StepScaling) => {
                    c.error(
                        &path,
                        format!("scaling policy `{name}` is not a StepScaling policy: target tracking makes its own alarms"),
                    );
                }
                Some(_) => {}
                None if is_templated(name)
                    || known
                        .scaling_policies
                        .contains(&(a.cluster.clone(), name.to_string())) => {}
                None => {
                    c.error(
                        &path,
                        format!(
                            "scaling policy `{name}` is not defined in cluster `{}`",
                            a.cluster
                        ),
                    )
                    .help("name a `kind: ScalingPolicy` with `policyType: StepScaling`");
                }
            }
        }
    }
}
