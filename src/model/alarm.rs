//! The `Alarm` kind, typed: CloudWatch's PutMetricAlarm fields where they apply, over the
//! metrics ecsctl measures itself — a target group's, from its proxies' counters (ELBv2's
//! `AWS/ApplicationELB` names). Lives in a cluster (`metadata.cluster`, default `default`).
//!
//! | PutMetricAlarm | here |
//! |---|---|
//! | `MetricName`, `Namespace` | `metricName` (below), `namespace` (`AWS/ApplicationELB`, optional) |
//! | `Dimensions` | `dimensions: [{ name: TargetGroup, value: NAME }]` (a `targetgroup/NAME/ID` suffix names it too) |
//! | `Statistic`, `Period` | `statistic: Sum \| Average \| Minimum \| Maximum \| SampleCount`, `period` (10, 30 or a multiple of 60 seconds) |
//! | `EvaluationPeriods`, `DatapointsToAlarm` | same (M of N; `datapointsToAlarm` defaults to `evaluationPeriods`) |
//! | `Threshold`, `ComparisonOperator` | same |
//! | `TreatMissingData` | `missing` (default) \| `notBreaching` \| `breaching` \| `ignore` |
//! | `AlarmActions` | names (or Application Auto Scaling ARNs) of `StepScaling` policies, run while in ALARM |
//!
//! | metric | one datapoint, per period |
//! |---|---|
//! | `HTTPCode_Target_5XX_Count`, `HTTPCode_Target_4XX_Count`, `HTTPCode_Target_2XX_Count` | responses of that class from the group's targets |
//! | `RequestCount` | requests to the group |
//! | `RequestCountPerTarget` | requests over the group's targets |
//! | `TargetResponseTime` | seconds to the response headers, averaged over the period's requests |
//! | `HealthyHostCount`, `UnHealthyHostCount` | targets healthy / unhealthy at the period's end |
//! | `CPUUtilization`, `MemoryUtilization` (dimension `ServiceName`) | a service's use over its tasks' reservation, %, averaged over the period (Docker's stats, as ECS computes them) |
//!
//! Data only: ranges and references are checked in `model::validate::alarm`, states are
//! decided in `reconcile::alarm`.

use serde::{Deserialize, Serialize};

use super::ecs::{ecs_enum, strict_struct};

strict_struct! {
    /// `spec` of `kind: Alarm`.
    AlarmSpec {
        alarm_description: Option<String>,
        metric_name: Option<AlarmMetric>,
        namespace: Option<String>,
        dimensions: Vec<Dimension>,
        statistic: Option<Statistic>,
        period: Option<i32>,
        evaluation_periods: Option<i32>,
        datapoints_to_alarm: Option<i32>,
        threshold: Option<f64>,
        comparison_operator: Option<ComparisonOperator>,
        treat_missing_data: Option<TreatMissingData>,
        alarm_actions: Vec<String>,
    }
}

strict_struct! {
    Dimension {
        name: Option<String>,
        value: Option<String>,
    }
}

ecs_enum! {
    AlarmMetric {
        Target5xx = "HTTPCode_Target_5XX_Count",
        Target4xx = "HTTPCode_Target_4XX_Count",
        Target2xx = "HTTPCode_Target_2XX_Count",
        RequestCount = "RequestCount",
        RequestCountPerTarget = "RequestCountPerTarget",
        TargetResponseTime = "TargetResponseTime",
        HealthyHostCount = "HealthyHostCount",
        UnHealthyHostCount = "UnHealthyHostCount",
        CpuUtilization = "CPUUtilization",
        MemoryUtilization = "MemoryUtilization",
    }
}

ecs_enum! {
    Statistic {
        Sum = "Sum",
        Average = "Average",
        Minimum = "Minimum",
        Maximum = "Maximum",
        SampleCount = "SampleCount",
    }
}

ecs_enum! {
    ComparisonOperator {
        GreaterThanOrEqualToThreshold = "GreaterThanOrEqualToThreshold",
        GreaterThanThreshold = "GreaterThanThreshold",
        LessThanThreshold = "LessThanThreshold",
        LessThanOrEqualToThreshold = "LessThanOrEqualToThreshold",
    }
}

ecs_enum! {
    TreatMissingData {
        Missing = "missing",
        NotBreaching = "notBreaching",
        Breaching = "breaching",
        Ignore = "ignore",
    }
}

/// The dimension that names the target group an alarm watches.
pub const TARGET_GROUP_DIMENSION: &str = "TargetGroup";
/// The dimension that names the service a CPU or memory alarm watches (`AWS/ECS`'s).
pub const SERVICE_DIMENSION: &str = "ServiceName";

impl AlarmMetric {
    /// CPU and memory are a service's (Docker's stats); the rest are a target group's.
    pub fn of_service(self) -> bool {
        matches!(
            self,
            AlarmMetric::CpuUtilization | AlarmMetric::MemoryUtilization
        )
    }
}

impl AlarmSpec {
    /// The target group of its `TargetGroup` dimension (a plain name, or ELBv2's
    /// `targetgroup/NAME/ID` suffix).
    pub fn target_group(&self) -> Option<&str> {
        let value = self.dimension(TARGET_GROUP_DIMENSION)?;
        match value.strip_prefix("targetgroup/") {
            Some(rest) => rest.split('/').next(),
            None => Some(value),
        }
    }

    /// The service of its `ServiceName` dimension.
    pub fn service(&self) -> Option<&str> {
        self.dimension(SERVICE_DIMENSION)
    }

    fn dimension(&self, name: &str) -> Option<&str> {
        self.dimensions
            .iter()
            .find(|d| d.name.as_deref() == Some(name))?
            .value
            .as_deref()
    }
}

/// An alarm's state, as CloudWatch names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AlarmState {
    Ok,
    Alarm,
    InsufficientData,
}

impl AlarmState {
    pub fn as_str(self) -> &'static str {
        match self {
            AlarmState::Ok => "OK",
            AlarmState::Alarm => "ALARM",
            AlarmState::InsufficientData => "INSUFFICIENT_DATA",
        }
    }
}
