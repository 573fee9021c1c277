//! A plan applied to the state → the next state, and the events it causes. Pure.

use std::collections::BTreeMap;

use thiserror::Error;

use super::{Action, Change, ObjectKind, Plan, compute};
use crate::ids::{IdSource, new_lineage};
use crate::model::effective;
use crate::model::names::TaskDefRef;
use crate::state::{
    ClusterRecord, Deployment, MAX_DEPLOYMENTS, ObjectRecord, Revision, RevisionStatus,
    ServiceRecord, ServiceStatus, State,
};
use crate::time::Timestamp;

#[derive(Debug, Error, PartialEq)]
pub enum ApplyError {
    #[error(
        "the state changed since this plan was made (plan: serial {planned}, state: serial {current}); run `ecsctl plan` again"
    )]
    Stale { planned: u64, current: u64 },
    #[error("this plan was made for another state (lineage {planned}, this state is {current})")]
    OtherLineage { planned: String, current: String },
    #[error("the plan no longer matches the state; run `ecsctl plan` again")]
    Mismatch,
}

/// An event a service should record: `(cluster, service, message)`.
pub type ServiceEvent = (String, String, String);

/// Applies `plan` to `state` (absent before the first apply). Refuses a plan made against
/// another serial or lineage, and re-derives the plan to be sure it still describes this state.
/// The changes do the same. Where pulls authenticate is a note read from the planning
/// machine's Docker config, not part of what applying does.
fn same_effect(a: &[Change], b: &[Change]) -> bool {
    let effect = |c: &Change| Change {
        registry_credentials: Vec::new(),
        ..c.clone()
    };
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| effect(x) == effect(y))
}

pub fn apply(
    state: Option<&State>,
    plan: &Plan,
    now: Timestamp,
    ids: &mut dyn IdSource,
) -> Result<(State, Vec<ServiceEvent>), ApplyError> {
    apply_owned(state.cloned(), plan, now, ids)
}

/// [`apply`] for a caller that has no further use of `state`: the next state is made from
/// it in place, not from a copy (at 10,000 services the state is tens of MB).
pub fn apply_owned(
    state: Option<State>,
    plan: &Plan,
    now: Timestamp,
    ids: &mut dyn IdSource,
) -> Result<(State, Vec<ServiceEvent>), ApplyError> {
    let serial = state.as_ref().map_or(0, |s| s.serial);
    if plan.state.serial != serial {
        return Err(ApplyError::Stale {
            planned: plan.state.serial,
            current: serial,
        });
    }
    if let (Some(planned), Some(current)) =
        (&plan.state.lineage, state.as_ref().map(|s| &s.lineage))
        && planned != current
    {
        return Err(ApplyError::OtherLineage {
            planned: planned.clone(),
            current: current.clone(),
        });
    }
    let again = compute(
        state.as_ref(),
        &plan.desired,
        plan.prune,
        &plan.ecsctl_version,
    )
    .map_err(|_| ApplyError::Mismatch)?;
    if !same_effect(&again.changes, &plan.changes) {
        return Err(ApplyError::Mismatch);
    }
    let mut next = state.unwrap_or_else(|| State::empty(new_lineage()));
    let mut events = Vec::new();
    if plan.changes.is_empty() {
        return Ok((next, events));
    }
    next.serial += 1;
    for change in &plan.changes {
        let name = &change.object.name;
        match (change.object.kind, change.action) {
            (ObjectKind::Cluster, Action::Delete) => {
                next.clusters.remove(name);
            }
            (ObjectKind::Cluster, _) => {
                let Some(spec) = plan.desired.clusters.get(name) else {
                    continue;
                };
                // What is not in the manifest (drained hosts, the API's tags and settings)
                // stays.
                let record = match next.clusters.remove(name) {
                    Some(previous) => ClusterRecord {
                        spec: spec.clone(),
                        updated_at: now,
                        ..previous
                    },
                    None => ClusterRecord::new(spec.clone(), now),
                };
                next.clusters.insert(name.clone(), record);
            }
            (ObjectKind::TaskDefinition, Action::Delete) => {
                if let Some(family) = next.task_definitions.get_mut(name) {
                    for revision in &mut family.revisions {
                        if revision.status == RevisionStatus::Active {
                            revision.status = RevisionStatus::Inactive;
                            revision.deregistered_at = Some(now);
                        }
                    }
                }
            }
            (ObjectKind::TaskDefinition, _) => {
                let (Some(spec), Some(revision)) =
                    (plan.desired.task_definitions.get(name), &change.revision)
                else {
                    continue;
                };
                next.task_definitions
                    .entry(name.clone())
                    .or_default()
                    .revisions
                    .push(Revision {
                        revision: revision.to,
                        status: RevisionStatus::Active,
                        registered_at: now,
                        deregistered_at: None,
                        spec: spec.clone(),
                    });
            }
            (ObjectKind::TargetGroup, action) => {
                let cluster = change.object.cluster.as_deref().unwrap_or_default();
                let spec = plan
                    .desired
                    .target_groups
                    .get(cluster)
                    .and_then(|o| o.get(name));
                record_scoped(&mut next.target_groups, cluster, name, action, spec, now);
            }
            (ObjectKind::LoadBalancer, action) => {
                let cluster = change.object.cluster.as_deref().unwrap_or_default();
                let spec = plan
                    .desired
                    .load_balancers
                    .get(cluster)
                    .and_then(|o| o.get(name));
                record_scoped(&mut next.load_balancers, cluster, name, action, spec, now);
            }
            (ObjectKind::ScheduledTask, action) => {
                let cluster = change.object.cluster.as_deref().unwrap_or_default();
                let spec = plan
                    .desired
                    .scheduled_tasks
                    .get(cluster)
                    .and_then(|o| o.get(name));
                record_scoped(&mut next.scheduled_tasks, cluster, name, action, spec, now);
            }
            (ObjectKind::Alarm, action) => {
                let cluster = change.object.cluster.as_deref().unwrap_or_default();
                let spec = plan.desired.alarms.get(cluster).and_then(|o| o.get(name));
                record_scoped(&mut next.alarms, cluster, name, action, spec, now);
            }
            (ObjectKind::ScalableTarget, action) => {
                let cluster = change.object.cluster.as_deref().unwrap_or_default();
                let spec = plan
                    .desired
                    .scalable_targets
                    .get(cluster)
                    .and_then(|o| o.get(name));
                record_scoped(&mut next.scalable_targets, cluster, name, action, spec, now);
            }
            (ObjectKind::ScalingPolicy, action) => {
                let cluster = change.object.cluster.as_deref().unwrap_or_default();
                let spec = plan
                    .desired
                    .scaling_policies
                    .get(cluster)
                    .and_then(|o| o.get(name));
                record_scoped(&mut next.scaling_policies, cluster, name, action, spec, now);
            }
            (ObjectKind::Service, action) => {
                let cluster = change.object.cluster.clone().unwrap_or_default();
                apply_service(
                    &mut next,
                    &cluster,
                    name,
                    action,
                    change,
                    plan,
                    now,
                    ids,
                    &mut events,
                );
            }
        }
    }
    Ok((next, events))
}

/// Creates, updates or forgets a target group's or load balancer's record.
fn record_scoped<T: Clone>(
    records: &mut BTreeMap<String, BTreeMap<String, ObjectRecord<T>>>,
    cluster: &str,
    name: &str,
    action: Action,
    spec: Option<&T>,
    now: Timestamp,
) {
    if action == Action::Delete {
        if let Some(objects) = records.get_mut(cluster) {
            objects.remove(name);
            if objects.is_empty() {
                records.remove(cluster);
            }
        }
        return;
    }
    let Some(spec) = spec else {
        return;
    };
    let objects = records.entry(cluster.to_string()).or_default();
    let created_at = objects.get(name).map_or(now, |r| r.created_at);
    objects.insert(
        name.to_string(),
        ObjectRecord {
            spec: spec.clone(),
            created_at,
            updated_at: now,
        },
    );
}

#[allow(clippy::too_many_arguments)]
fn apply_service(
    next: &mut State,
    cluster: &str,
    name: &str,
    action: Action,
    change: &super::Change,
    plan: &Plan,
    now: Timestamp,
    ids: &mut dyn IdSource,
    events: &mut Vec<ServiceEvent>,
) {
    let mut event = |message: String| events.push((cluster.to_string(), name.to_string(), message));
    if action == Action::Delete {
        if let Some(record) = next.service_mut(cluster, name) {
            record.status = ServiceStatus::Draining;
            record.desired_count = 0;
            record.updated_at = now;
        }
        event(format!(
            "(service {name}) was deleted; its tasks are being stopped."
        ));
        return;
    }
    let Some(spec) = plan.desired.services.get(cluster).and_then(|s| s.get(name)) else {
        return;
    };
    let desired_count = effective::desired_count(spec);
    let target = change
        .deployment
        .as_ref()
        .map(|d| d.to.clone())
        .or_else(|| {
            next.service(cluster, name)
                .map(|r| r.task_definition.clone())
        })
        .unwrap_or_else(|| TaskDefRef {
            family: name.to_string(),
            revision: None,
        });
    let services = next.services.entry(cluster.to_string()).or_default();
    let record = match (action, services.remove(name)) {
        (Action::Update, Some(mut record)) => {
            record.spec = spec.clone();
            record.desired_count = desired_count;
            record.task_definition = target.clone();
            record.updated_at = now;
            record
        }
        _ => ServiceRecord {
            spec: spec.clone(),
            task_definition: target.clone(),
            desired_count,
            status: ServiceStatus::Active,
            deployments: Vec::new(),
            created_at: now,
            updated_at: now,
        },
    };
    let record = services.entry(name.to_string()).or_insert(record);
    if let Some(count) = &change.desired_count
        && let Some(from) = count.from
    {
        event(format!(
            "(service {name}) desired count changed from {from} to {}.",
            count.to
        ));
    }
    if let Some(deployment) = &change.deployment {
        let id = ids.deployment_id();
        event(format!(
            "(service {name}) started deployment {id} ({}): {}.",
            deployment.reason, deployment.to
        ));
        record.deployments.insert(
            0,
            Deployment {
                id,
                task_definition: deployment.to.clone(),
                created_at: now,
                reason: deployment.reason.clone(),
            },
        );
        record.deployments.truncate(MAX_DEPLOYMENTS);
    }
}
