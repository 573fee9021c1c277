//! Service auto scaling, typed: Application Auto Scaling's `RegisterScalableTarget` and
//! `PutScalingPolicy` for `ecs:service:DesiredCount`, as two kinds that live in a cluster.
//!
//! | Application Auto Scaling | here |
//! |---|---|
//! | `ResourceId: service/CLUSTER/NAME` | `service: NAME` (or `resourceId`, whose cluster must be the manifest's) |
//! | `ServiceNamespace`, `ScalableDimension` | optional; only `ecs` and `ecs:service:DesiredCount` |
//! | `MinCapacity`, `MaxCapacity`, `SuspendedState` | same |
//! | `PolicyType` | `TargetTrackingScaling` \| `StepScaling` |
//! | `TargetTrackingScalingPolicyConfiguration` | `targetValue`, `predefinedMetricSpecification { predefinedMetricType, resourceLabel }`, `scaleOutCooldown`, `scaleInCooldown`, `disableScaleIn`; and `period` (ecsctl's: seconds per datapoint, default 60) |
//! | `StepScalingPolicyConfiguration` | same fields; the policy runs while an `Alarm` that lists it in `alarmActions` is in ALARM |
//!
//! Data only: checks are in `model::validate::scaling`, decisions in `reconcile::scaling`.

use super::ecs::{ecs_enum, strict_struct};

/// The only dimension an ECS service scales on.
pub const DESIRED_COUNT_DIMENSION: &str = "ecs:service:DesiredCount";
/// Application Auto Scaling's defaults for ECS services (seconds).
pub const DEFAULT_COOLDOWN_SECONDS: i32 = 300;
/// ecsctl's default datapoint length for target tracking: Application Auto Scaling's minute.
pub const DEFAULT_PERIOD_SECONDS: i32 = 60;

strict_struct! {
    /// `spec` of `kind: ScalableTarget`.
    ScalableTargetSpec {
        service: Option<String>,
        resource_id: Option<String>,
        service_namespace: Option<String>,
        scalable_dimension: Option<String>,
        min_capacity: Option<i32>,
        max_capacity: Option<i32>,
        suspended_state: Option<SuspendedState>,
    }
}

strict_struct! {
    SuspendedState {
        dynamic_scaling_in_suspended: Option<bool>,
        dynamic_scaling_out_suspended: Option<bool>,
        scheduled_scaling_suspended: Option<bool>,
    }
}

strict_struct! {
    /// `spec` of `kind: ScalingPolicy`.
    ScalingPolicySpec {
        service: Option<String>,
        resource_id: Option<String>,
        service_namespace: Option<String>,
        scalable_dimension: Option<String>,
        policy_type: Option<PolicyType>,
        target_tracking_scaling_policy_configuration: Option<TargetTrackingConfiguration>,
        step_scaling_policy_configuration: Option<StepScalingConfiguration>,
    }
}

ecs_enum! {
    PolicyType {
        TargetTrackingScaling = "TargetTrackingScaling",
        StepScaling = "StepScaling",
    }
}

strict_struct! {
    TargetTrackingConfiguration {
        target_value: Option<f64>,
        predefined_metric_specification: Option<PredefinedMetricSpecification>,
        scale_out_cooldown: Option<i32>,
        scale_in_cooldown: Option<i32>,
        disable_scale_in: Option<bool>,
        period: Option<i32>,
    }
}

strict_struct! {
    PredefinedMetricSpecification {
        predefined_metric_type: Option<PredefinedMetricType>,
        resource_label: Option<String>,
    }
}

ecs_enum! {
    PredefinedMetricType {
        Cpu = "ECSServiceAverageCPUUtilization",
        Memory = "ECSServiceAverageMemoryUtilization",
        RequestCountPerTarget = "ALBRequestCountPerTarget",
    }
}

strict_struct! {
    StepScalingConfiguration {
        adjustment_type: Option<AdjustmentType>,
        step_adjustments: Vec<StepAdjustment>,
        min_adjustment_magnitude: Option<i32>,
        cooldown: Option<i32>,
        metric_aggregation_type: Option<String>,
    }
}

ecs_enum! {
    AdjustmentType {
        ChangeInCapacity = "ChangeInCapacity",
        ExactCapacity = "ExactCapacity",
        PercentChangeInCapacity = "PercentChangeInCapacity",
    }
}

strict_struct! {
    StepAdjustment {
        metric_interval_lower_bound: Option<f64>,
        metric_interval_upper_bound: Option<f64>,
        scaling_adjustment: Option<i32>,
    }
}

/// The service a `service` or `resourceId` (`service/CLUSTER/NAME`) names, with the cluster
/// of the resource id when it has one.
pub fn service_of<'a>(
    service: Option<&'a str>,
    resource_id: Option<&'a str>,
) -> Option<(Option<&'a str>, &'a str)> {
    if let Some(name) = service {
        return Some((None, name));
    }
    let rest = resource_id?.strip_prefix("service/")?;
    let (cluster, name) = rest.split_once('/')?;
    Some((Some(cluster), name))
}

impl ScalableTargetSpec {
    pub fn service_name(&self) -> Option<&str> {
        service_of(self.service.as_deref(), self.resource_id.as_deref()).map(|(_, n)| n)
    }

    pub fn scale_in_suspended(&self) -> bool {
        self.suspended_state
            .as_ref()
            .and_then(|s| s.dynamic_scaling_in_suspended)
            .unwrap_or(false)
    }

    pub fn scale_out_suspended(&self) -> bool {
        self.suspended_state
            .as_ref()
            .and_then(|s| s.dynamic_scaling_out_suspended)
            .unwrap_or(false)
    }

    /// `(min, max)`, non-negative; `None` when either is absent (validation reports it).
    pub fn bounds(&self) -> Option<(u32, u32)> {
        let min = u32::try_from(self.min_capacity?).ok()?;
        let max = u32::try_from(self.max_capacity?).ok()?;
        Some((min, max.max(min)))
    }
}

impl ScalingPolicySpec {
    pub fn service_name(&self) -> Option<&str> {
        service_of(self.service.as_deref(), self.resource_id.as_deref()).map(|(_, n)| n)
    }
}

impl PredefinedMetricSpecification {
    /// The target group of an `ALBRequestCountPerTarget` label: a plain name, or ELBv2's
    /// `app/LB/ID/targetgroup/NAME/ID`.
    pub fn target_group(&self) -> Option<&str> {
        let label = self.resource_label.as_deref()?;
        match label.split_once("targetgroup/") {
            Some((_, rest)) => rest.split('/').next().filter(|n| !n.is_empty()),
            None => Some(label),
        }
    }
}

/// A policy's name from itself or from an Application Auto Scaling policy ARN
/// (`arn:aws:autoscaling:…:scalingPolicy:…:resource/ecs/service/C/S:policyName/NAME`).
pub fn policy_name(reference: &str) -> &str {
    match reference.rsplit_once(":policyName/") {
        Some((_, name)) => name,
        None => reference,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn services_are_named_directly_or_by_resource_id() {
        assert_eq!(service_of(Some("web"), None), Some((None, "web")));
        assert_eq!(
            service_of(None, Some("service/prod/web")),
            Some((Some("prod"), "web"))
        );
        assert_eq!(service_of(None, Some("table/web")), None);
        assert_eq!(service_of(None, None), None);
    }

    #[test]
    fn labels_and_arns_give_their_names() {
        let label = |l: &str| PredefinedMetricSpecification {
            predefined_metric_type: Some(PredefinedMetricType::RequestCountPerTarget),
            resource_label: Some(l.into()),
        };
        assert_eq!(label("web").target_group(), Some("web"));
        assert_eq!(
            label("app/edge/50dc6c495c0c9188/targetgroup/web/943f017f100becff").target_group(),
            Some("web")
        );
        assert_eq!(
            policy_name(
                "arn:aws:autoscaling:us-east-1:123:scalingPolicy:ab:resource/ecs/service/default/web:policyName/out"
            ),
            "out"
        );
        assert_eq!(policy_name("out"), "out");
    }
}
