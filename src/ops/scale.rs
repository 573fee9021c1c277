//! `scale` and `rollback`: imperative changes for the bad night. They are recorded in the
//! state (and as events), so the next `plan` shows them as drift from the manifests, which
//! stay the source of truth: the next `apply` returns to them unless the manifests change.

use std::time::Duration;

use super::apply::{Expectations, record_events};
use super::error::{OpsError, OpsResult};
use super::resolve;
use super::session::Session;
use crate::ids::{IdSource, RandomIds};
use crate::model::names::TaskDefRef;
use crate::reconcile::converge::Expect;
use crate::state::{
    Deployment, RevisionStatus, RolloutState, Runtime, ServiceRecord, ServiceStatus, State,
};
use crate::time::Timestamp;

/// A recorded imperative change.
pub struct Changed {
    pub cluster: String,
    pub service: String,
    /// The event it recorded (also in `events`).
    pub event: String,
    pub at: Timestamp,
    /// Notes for the user that are not errors (rolling back to an INACTIVE revision).
    pub notes: Vec<String>,
    pub expectations: Expectations,
}

/// Read-modify-write of one service under the state lock. `f` changes the record and
/// returns (expectation, event, notes).
fn change<F>(
    session: &Session,
    name: &str,
    cluster: Option<&str>,
    lock_timeout: Duration,
    f: F,
) -> OpsResult<Changed>
where
    F: FnOnce(
        &State,
        &Runtime,
        &mut ServiceRecord,
        Timestamp,
    ) -> OpsResult<(Expect, String, Vec<String>)>,
{
    let store = &session.store;
    let lock = store.lock_state(lock_timeout)?;
    let Some(mut state) = store.read_state()? else {
        return Err(OpsError::not_found(
            super::ObjectKind::Service,
            name,
            resolve::place(cluster),
        ));
    };
    let (cluster, _) = resolve::service(&state, name, cluster)?;
    let snapshot = state.clone();
    let runtime = store.read_runtime(&cluster)?;
    let now = Timestamp::now();
    let Some(record) = state.service_mut(&cluster, name) else {
        return Err(OpsError::not_found(
            super::ObjectKind::Service,
            name,
            resolve::place(Some(&cluster)),
        ));
    };
    if record.status != ServiceStatus::Active {
        return Err(OpsError::invalid(format!(
            "service `{name}` is being deleted"
        )));
    }
    let (expect, event, notes) = f(&snapshot, &runtime, record, now)?;
    record.updated_at = now;
    state.serial += 1;
    store.write_state(&state, &lock)?;
    drop(lock);
    record_events(
        store,
        &state,
        vec![(cluster.clone(), name.to_string(), event.clone())],
    )?;
    let mut expectations = Expectations::new();
    expectations.insert(
        cluster.clone(),
        [(name.to_string(), expect)].into_iter().collect(),
    );
    Ok(Changed {
        cluster,
        service: name.to_string(),
        event,
        at: now,
        notes,
        expectations,
    })
}

/// Sets a REPLICA service's desired count.
pub fn scale(
    session: &Session,
    name: &str,
    cluster: Option<&str>,
    count: u32,
    lock_timeout: Duration,
) -> OpsResult<Changed> {
    change(session, name, cluster, lock_timeout, |_, _, record, _| {
        if record.effective().is_daemon() {
            return Err(OpsError::invalid(format!(
                "service `{name}` is a DAEMON service: it runs one task per host and has no count to scale"
            )));
        }
        let from = record.desired_count;
        record.desired_count = count;
        record.spec.desired_count = Some(i32::try_from(count).unwrap_or(i32::MAX));
        Ok((
            Expect::Steady,
            format!(
                "(service {name}) desired count changed from {from} to {count} by `ecsctl scale`."
            ),
            Vec::new(),
        ))
    })
}

/// Returns a service to revision `to` of its family, or to the last deployment that
/// completed before the current one.
pub fn rollback(
    session: &Session,
    name: &str,
    cluster: Option<&str>,
    to: Option<u32>,
    lock_timeout: Duration,
) -> OpsResult<Changed> {
    change(
        session,
        name,
        cluster,
        lock_timeout,
        |state, runtime, record, now| {
            let current = record.task_definition.clone();
            let mut notes = Vec::new();
            let target = match to {
                Some(revision) => {
                    let reference = TaskDefRef::pinned(current.family.clone(), revision);
                    match state.revision(&reference) {
                        None => {
                            return Err(OpsError::invalid(format!(
                                "no revision {revision} of task definition `{}`",
                                current.family
                            )));
                        }
                        Some(r) if r.status == RevisionStatus::DeleteInProgress => {
                            return Err(OpsError::invalid(format!(
                                "{reference} is DELETE_IN_PROGRESS (deleted): a service cannot return to it"
                            )));
                        }
                        Some(r) if r.status == RevisionStatus::Inactive => notes.push(format!(
                            "note: {reference} is INACTIVE (deregistered); running it anyway"
                        )),
                        Some(_) => {}
                    }
                    reference
                }
                None => earlier_revision(runtime, name, record)?,
            };
            if target == current {
                return Err(OpsError::invalid(format!(
                    "service `{name}` already runs {current}"
                )));
            }
            let id = RandomIds.deployment_id();
            record.deployments.insert(
                0,
                Deployment {
                    id: id.clone(),
                    task_definition: target.clone(),
                    created_at: now,
                    reason: "rollback".into(),
                },
            );
            record.deployments.truncate(crate::state::MAX_DEPLOYMENTS);
            record.task_definition = target.clone();
            Ok((
                Expect::Deployment(id.clone()),
                format!(
                    "(service {name}) rolled back from {current} to {target} by `ecsctl rollback`: deployment {id}."
                ),
                notes,
            ))
        },
    )
}

/// The revision of the last deployment before the current one that completed (else the one
/// before the current).
fn earlier_revision(
    runtime: &Runtime,
    name: &str,
    record: &ServiceRecord,
) -> OpsResult<TaskDefRef> {
    let current = &record.task_definition;
    let progress = runtime.services.get(name);
    let completed = |d: &&&Deployment| {
        progress
            .and_then(|p| p.deployments.get(&d.id))
            .is_some_and(|p| p.rollout_state == RolloutState::Completed)
    };
    let earlier: Vec<&Deployment> = record
        .deployments
        .iter()
        .skip(1)
        .filter(|d| d.task_definition != *current)
        .collect();
    match earlier.iter().find(completed).or(earlier.first()) {
        Some(d) => Ok(d.task_definition.clone()),
        None => Err(OpsError::invalid(format!(
            "service `{name}` has no earlier revision to roll back to; use --to REVISION"
        ))),
    }
}
