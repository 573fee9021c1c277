//! `get scalabletargets`: each scalable target with its bounds, the service's desired count,
//! its policies and its last scaling activity (Application Auto Scaling's
//! DescribeScalableTargets and DescribeScalingActivities in one view).

use super::error::{ObjectKind, OpsError, OpsResult};
use super::resolve;
use super::session::Session;
use crate::state::{ScalingActivity, State};

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScalableTargetView {
    pub cluster: String,
    pub name: String,
    pub service: String,
    pub min_capacity: i32,
    pub max_capacity: i32,
    /// The service's desired count now (absent when the service is not in the state).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub desired_count: Option<u32>,
    /// `cpu (TargetTrackingScaling)`, sorted by name.
    pub policies: Vec<String>,
    /// Oldest first, as the reconciler recorded them.
    pub activities: Vec<ScalingActivity>,
}

pub fn scalable_targets(
    session: &Session,
    state: &State,
    cluster: Option<&str>,
    name: Option<&str>,
) -> OpsResult<Vec<ScalableTargetView>> {
    let mut views = Vec::new();
    for (cluster_name, targets) in &state.scalable_targets {
        if cluster.is_some_and(|c| c != cluster_name) {
            continue;
        }
        let runtime = session.store.read_runtime(cluster_name)?;
        for (target, record) in targets {
            if name.is_some_and(|n| n != target) {
                continue;
            }
            let spec = &record.spec;
            let service = spec.service_name().unwrap_or("-").to_string();
            let policies = state
                .scaling_policies
                .get(cluster_name)
                .into_iter()
                .flatten()
                .filter(|(_, p)| p.spec.service_name() == Some(service.as_str()))
                .map(|(n, p)| {
                    let kind = p.spec.policy_type.map_or("-".into(), |t| t.to_string());
                    format!("{n} ({kind})")
                })
                .collect();
            views.push(ScalableTargetView {
                cluster: cluster_name.clone(),
                name: target.clone(),
                desired_count: state
                    .service(cluster_name, &service)
                    .map(|s| s.desired_count),
                service,
                min_capacity: spec.min_capacity.unwrap_or_default(),
                max_capacity: spec.max_capacity.unwrap_or_default(),
                policies,
                activities: runtime
                    .scaling
                    .get(target)
                    .map(|m| m.activities.iter().cloned().collect())
                    .unwrap_or_default(),
            });
        }
    }
    if let Some(name) = name
        && views.is_empty()
    {
        return Err(OpsError::not_found(
            ObjectKind::ScalableTarget,
            name,
            resolve::place(cluster),
        ));
    }
    Ok(views)
}
