//! Checks of one alarm (PutMetricAlarm's required fields and ranges) and of the names that
//! refer to alarms: an alarm's target group, and services' `deploymentConfiguration.alarms`.

use std::collections::BTreeSet;

use super::{Check, DiagnosticExt, ManifestSet};
use crate::diagnostics::Diagnostics;
use crate::model::alarm::{
    AlarmMetric, AlarmSpec, SERVICE_DIMENSION, Statistic, TARGET_GROUP_DIMENSION,
};
use crate::model::manifest::ClusterManifest;
use crate::model::names::is_templated;
use crate::suggest::did_you_mean;

/// CloudWatch's periods: 10 or 30 seconds (high resolution), or whole minutes up to a day.
fn valid_period(p: i32) -> bool {
    p == 10 || p == 30 || (p >= 60 && p % 60 == 0 && p <= 86_400)
}

pub(super) fn alarm(a: &ClusterManifest<AlarmSpec>, out: &mut Diagnostics) {
    let m = &a.manifest;
    let spec = &m.spec;
    let mut c = Check::new(&m.origin, out);
    let required: [(&str, bool, &str); 5] = [
        (
            "metricName",
            spec.metric_name.is_none(),
            "e.g. `metricName: HTTPCode_Target_5XX_Count`",
        ),
        (
            "period",
            spec.period.is_none(),
            "the seconds of one datapoint: `period: 60` (10, 30 or a multiple of 60)",
        ),
        (
            "evaluationPeriods",
            spec.evaluation_periods.is_none(),
            "how many periods are evaluated: `evaluationPeriods: 3`",
        ),
        (
            "threshold",
            spec.threshold.is_none(),
            "the value compared: `threshold: 0`",
        ),
        (
            "comparisonOperator",
            spec.comparison_operator.is_none(),
            "e.g. `comparisonOperator: GreaterThanThreshold`",
        ),
    ];
    for (field, missing, help) in required {
        if missing {
            c.error("", format!("the alarm has no `{field}`"))
                .help(help);
        }
    }
    if let Some(p) = spec.period
        && !valid_period(p)
    {
        c.error(
            "period",
            format!("{p} seconds: a period is 10, 30 or a multiple of 60 (at most 86400)"),
        );
    }
    if let Some(n) = spec.evaluation_periods
        && n < 1
    {
        c.error(
            "evaluationPeriods",
            format!("{n}: evaluationPeriods is at least 1"),
        );
    }
    if let Some(m) = spec.datapoints_to_alarm
        && (m < 1 || spec.evaluation_periods.is_some_and(|n| m > n))
    {
        c.error(
            "datapointsToAlarm",
            format!("{m}: datapointsToAlarm is between 1 and evaluationPeriods"),
        );
    }
    let of_service = spec.metric_name.is_some_and(AlarmMetric::of_service);
    if of_service && spec.service().is_none() {
        c.error("dimensions", "the alarm names no service")
            .help(format!(
                "add `dimensions: [{{ name: {SERVICE_DIMENSION}, value: NAME }}]`"
            ));
    }
    if !of_service && spec.target_group().is_none() {
        c.error("dimensions", "the alarm names no target group")
            .help(format!(
                "add `dimensions: [{{ name: {TARGET_GROUP_DIMENSION}, value: NAME }}]`"
            ));
    }
    if let (Some(metric), Some(statistic)) = (spec.metric_name, spec.statistic) {
        let natural = match metric {
            AlarmMetric::TargetResponseTime
            | AlarmMetric::CpuUtilization
            | AlarmMetric::MemoryUtilization => Statistic::Average,
            AlarmMetric::HealthyHostCount | AlarmMetric::UnHealthyHostCount => Statistic::Minimum,
            _ => Statistic::Sum,
        };
        if statistic != natural
            && metric != AlarmMetric::HealthyHostCount
            && metric != AlarmMetric::UnHealthyHostCount
        {
            c.warning(
                "statistic",
                format!("{metric} is evaluated as its {natural} per period, not its {statistic}"),
            );
        }
    }
}

pub(super) fn check_references(
    set: &ManifestSet,
    known_groups: &BTreeSet<(String, String)>,
    known_alarms: &BTreeSet<(String, String)>,
    out: &mut Diagnostics,
) {
    for a in set.alarms.values() {
        if a.manifest
            .spec
            .metric_name
            .is_some_and(AlarmMetric::of_service)
        {
            continue;
        }
        let Some(group) = a.manifest.spec.target_group() else {
            continue;
        };
        let key = (a.cluster.clone(), group.to_string());
        if is_templated(group)
            || set.target_groups.contains_key(&key)
            || known_groups.contains(&key)
        {
            continue;
        }
        let mut c = Check::new(&a.manifest.origin, out);
        c.error(
            "dimensions",
            format!(
                "target group `{group}` is not defined in cluster `{}`",
                a.cluster
            ),
        )
        .help(format!(
            "define it with a `kind: TargetGroup` manifest named `{group}`"
        ));
    }
    for s in set.services.values() {
        let Some(alarms) = s
            .manifest
            .spec
            .deployment_configuration
            .as_ref()
            .and_then(|c| c.alarms.as_ref())
        else {
            continue;
        };
        let names: Vec<&str> = set
            .alarms
            .keys()
            .chain(known_alarms.iter())
            .filter(|(cluster, _)| *cluster == s.cluster)
            .map(|(_, name)| name.as_str())
            .collect();
        let mut c = Check::new(&s.manifest.origin, out);
        for (i, name) in alarms.alarm_names.iter().enumerate() {
            if is_templated(name) || names.contains(&name.as_str()) {
                continue;
            }
            let help = match did_you_mean(name, names.iter().copied()) {
                Some(n) => format!("did you mean `{n}`?"),
                None => format!(
                    "define it with a `kind: Alarm` manifest in cluster `{}`",
                    s.cluster
                ),
            };
            // A plain ECS document names CloudWatch alarms of its AWS account: reported, not
            // refused (as a target group ARN is), and loudly, since a deployment that cannot
            // watch its alarm is not protected by it.
            c.warning(
                &format!("deploymentConfiguration.alarms.alarmNames[{i}]"),
                format!(
                    "alarm `{name}` is not defined in cluster `{}`: deployments cannot watch it",
                    s.cluster
                ),
            )
            .help(help);
        }
    }
}
