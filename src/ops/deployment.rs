//! `deployment status|continue|rollback`: where a service's deployment stands (its strategy,
//! lifecycle stage, production traffic share, outcome), and the manual controls of a shifted
//! deployment. The controls are requests in the runtime record (apart from the progress the
//! reconciler writes); the reconciler acts on them in its next pass.

use super::apply::record_events;
use super::error::{OpsError, OpsResult};
use super::resolve;
use super::session::Session;
use crate::model::effective::strategy::{Stage, Strategy, percent_text};
use crate::state::{DeploymentProgress, RolloutState, ServiceRecord};
use crate::time::Timestamp;

/// One service's current deployment, for `deployment status` (and `-o json`).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentStatus {
    pub cluster: String,
    pub service: String,
    pub deployment: String,
    pub task_definition: String,
    /// `ROLLING`, or the steps of a shifted strategy (`CANARY: 10% for 1m, then 100%; bake 0m`).
    pub strategy: String,
    pub rollout_state: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollout_state_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    pub paused: bool,
    /// The new revision's share of production traffic (percent), for shifted deployments.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub production_traffic_percent: Option<String>,
    /// The deployment this one replaced after it failed (a rollback), with why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rolled_back_from: Option<RolledBack>,
    pub updated_at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RolledBack {
    pub deployment: String,
    pub task_definition: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl DeploymentStatus {
    /// A deployment that failed, or a rollback after one: what `apply --wait` would report
    /// as a failure.
    pub fn failed(&self) -> bool {
        self.rollout_state == "FAILED" || self.rolled_back_from.is_some()
    }
}

fn state_text(state: RolloutState) -> &'static str {
    match state {
        RolloutState::InProgress => "IN_PROGRESS",
        RolloutState::Completed => "COMPLETED",
        RolloutState::Failed => "FAILED",
    }
}

fn read_state(
    session: &Session,
    name: &str,
    cluster: Option<&str>,
) -> OpsResult<crate::state::State> {
    session.store.read_state()?.ok_or_else(|| {
        OpsError::not_found(super::ObjectKind::Service, name, resolve::place(cluster))
    })
}

/// The current deployment of a service.
pub fn status(session: &Session, name: &str, cluster: Option<&str>) -> OpsResult<DeploymentStatus> {
    let store = &session.store;
    let state = read_state(session, name, cluster)?;
    let (cluster, record) = resolve::service(&state, name, cluster)?;
    let runtime = store.read_runtime(&cluster)?;
    let service_runtime = runtime.services.get(name);
    let Some(primary) = record.primary() else {
        return Err(OpsError::invalid(format!(
            "service `{name}` has no deployment yet"
        )));
    };
    let progress_of = |id: &str| service_runtime.and_then(|r| r.deployments.get(id));
    let progress = progress_of(&primary.id);
    let strategy = Strategy::of(&record.spec);
    let shift = progress.and_then(|p| p.shift.as_ref());
    let rolled_back_from = (primary.reason == crate::reconcile::converge::BREAKER_ROLLBACK)
        .then(|| record.deployments.get(1))
        .flatten()
        .filter(|d| progress_of(&d.id).is_some_and(|p| p.rollout_state == RolloutState::Failed))
        .map(|d| RolledBack {
            deployment: d.id.clone(),
            task_definition: d.task_definition.to_string(),
            reason: progress_of(&d.id).and_then(|p| p.rollout_state_reason.clone()),
        });
    Ok(DeploymentStatus {
        cluster: cluster.clone(),
        service: name.to_string(),
        deployment: primary.id.clone(),
        task_definition: primary.task_definition.to_string(),
        strategy: strategy.describe(),
        rollout_state: state_text(progress.map_or(RolloutState::InProgress, |p| p.rollout_state))
            .to_string(),
        rollout_state_reason: progress.and_then(|p| p.rollout_state_reason.clone()),
        stage: shift.map(|s| s.stage.to_string()),
        paused: shift.is_some_and(|s| s.paused),
        production_traffic_percent: shift.map(|s| percent_text(s.traffic)),
        rolled_back_from,
        updated_at: progress.map_or(record.updated_at, |p| p.updated_at),
    })
}

/// What a control recorded.
pub struct Requested {
    pub cluster: String,
    pub service: String,
    pub deployment: String,
    pub event: String,
}

/// `continue`: lets a deployment paused by a PAUSE hook go on.
pub fn resume(session: &Session, name: &str, cluster: Option<&str>) -> OpsResult<Requested> {
    control(session, name, cluster, |record, progress| {
        let shift = progress.and_then(|p| p.shift.as_ref());
        match shift {
            Some(s) if s.paused => Ok((
                Some(s.stage),
                format!(
                    "(service {name}) (deployment {}) continue at {} requested by `ecsctl deployment continue`.",
                    deployment_id(record),
                    s.stage
                ),
            )),
            Some(s) => Err(OpsError::invalid(format!(
                "the deployment of service `{name}` is not paused (it is at {})",
                s.stage
            ))),
            None => Err(OpsError::invalid(format!(
                "service `{name}` has no deployment waiting at a PAUSE hook"
            ))),
        }
    })
}

/// `rollback`: fails the deployment in progress and returns to the last completed one.
pub fn roll_back(session: &Session, name: &str, cluster: Option<&str>) -> OpsResult<Requested> {
    control(session, name, cluster, |record, _| {
        Ok((
            None,
            format!(
                "(service {name}) (deployment {}) rollback requested by `ecsctl deployment rollback`.",
                deployment_id(record)
            ),
        ))
    })
}

fn deployment_id(record: &ServiceRecord) -> &str {
    record.primary().map_or("", |p| p.id.as_str())
}

/// Records a request for the service's deployment in progress: `decide` returns the stage
/// to continue (or `None`: a rollback) and the event.
fn control(
    session: &Session,
    name: &str,
    cluster: Option<&str>,
    decide: impl FnOnce(
        &ServiceRecord,
        Option<&DeploymentProgress>,
    ) -> OpsResult<(Option<Stage>, String)>,
) -> OpsResult<Requested> {
    let store = &session.store;
    let state = read_state(session, name, cluster)?;
    let (cluster, record) = resolve::service(&state, name, cluster)?;
    let Some(primary) = record.primary() else {
        return Err(OpsError::invalid(format!(
            "service `{name}` has no deployment yet"
        )));
    };
    let id = primary.id.clone();
    let outcome = store.update_runtime(&cluster, &state.lineage, |runtime| {
        let service = runtime.services.entry(name.to_string()).or_default();
        let progress = service.deployments.get(&id);
        if progress.is_none_or(|p| p.rollout_state != RolloutState::InProgress) {
            return Err(OpsError::invalid(format!(
                "the deployment of service `{name}` ({id}) is not in progress"
            )));
        }
        let (stage, event) = decide(record, progress)?;
        let control = service.controls.entry(id.clone()).or_default();
        match stage {
            Some(stage) => {
                control.continued.insert(stage);
            }
            None => control.rollback = true,
        }
        // Requests for deployments the record no longer keeps are dropped.
        service
            .controls
            .retain(|d, _| record.deployments.iter().any(|kept| &kept.id == d));
        Ok(event)
    })?;
    let event = outcome?;
    record_events(
        store,
        &state,
        vec![(cluster.clone(), name.to_string(), event.clone())],
    )?;
    Ok(Requested {
        cluster,
        service: name.to_string(),
        deployment: id,
        event,
    })
}
