//! `get alarms`: each alarm with its metric, target group and the state the reconciler last
//! evaluated (CloudWatch's OK / ALARM / INSUFFICIENT_DATA and its reason).

use super::error::{ObjectKind, OpsError, OpsResult};
use super::resolve;
use super::session::Session;
use crate::state::State;
use crate::time::Timestamp;

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AlarmView {
    pub cluster: String,
    pub name: String,
    pub metric_name: String,
    /// `targetgroup/NAME` or `service/NAME`: what its metric is measured on.
    pub watches: String,
    /// `> 0 for 1 of 1 × 10s`: the rule in short.
    pub condition: String,
    /// `INSUFFICIENT_DATA` until a reconciler evaluated it.
    pub state: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since: Option<Timestamp>,
}

fn operator(op: Option<crate::model::alarm::ComparisonOperator>) -> &'static str {
    use crate::model::alarm::ComparisonOperator as C;
    match op {
        Some(C::GreaterThanThreshold) => ">",
        Some(C::GreaterThanOrEqualToThreshold) => ">=",
        Some(C::LessThanThreshold) => "<",
        Some(C::LessThanOrEqualToThreshold) => "<=",
        None => "?",
    }
}

pub fn alarms(
    session: &Session,
    state: &State,
    cluster: Option<&str>,
    name: Option<&str>,
) -> OpsResult<Vec<AlarmView>> {
    let mut views = Vec::new();
    for (cluster_name, alarms) in &state.alarms {
        if cluster.is_some_and(|c| c != cluster_name) {
            continue;
        }
        let runtime = session.store.read_runtime(cluster_name)?;
        for (alarm, record) in alarms {
            if name.is_some_and(|n| n != alarm) {
                continue;
            }
            let spec = &record.spec;
            let evaluated = runtime.alarms.get(alarm);
            let n = spec.evaluation_periods.unwrap_or(1);
            views.push(AlarmView {
                cluster: cluster_name.clone(),
                name: alarm.clone(),
                metric_name: spec.metric_name.map_or("-".into(), |m| m.to_string()),
                watches: match (spec.target_group(), spec.service()) {
                    (Some(group), _) => format!("targetgroup/{group}"),
                    (None, Some(service)) => format!("service/{service}"),
                    (None, None) => "-".into(),
                },
                condition: format!(
                    "{} {} for {} of {n} × {}s",
                    operator(spec.comparison_operator),
                    spec.threshold.unwrap_or_default(),
                    spec.datapoints_to_alarm.unwrap_or(n),
                    spec.period.unwrap_or_default()
                ),
                state: evaluated
                    .map_or(crate::model::alarm::AlarmState::InsufficientData, |e| {
                        e.state
                    })
                    .as_str()
                    .to_string(),
                state_reason: evaluated.map(|e| e.reason.clone()),
                since: evaluated.map(|e| e.since),
            });
        }
    }
    if let Some(name) = name
        && views.is_empty()
    {
        return Err(OpsError::not_found(
            ObjectKind::Alarm,
            name,
            resolve::place(cluster),
        ));
    }
    Ok(views)
}
