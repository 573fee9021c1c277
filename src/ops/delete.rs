//! `delete`: remove objects. Services are drained first (their tasks stopped), then
//! forgotten; task definitions are deregistered (their revisions stay readable, INACTIVE);
//! clusters are forgotten.
//!
//! A deletion is a plan like any other: the desired objects are the recorded ones minus
//! those named, planned with pruning and written by [`super::apply::commit`].

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use super::apply::{Pending, pending};
use super::error::{OpsError, OpsResult};
use super::manifests::known;
use super::resolve;
use super::session::Session;
use crate::diagnostics::Diagnostics;
use crate::model::load::load;
use crate::model::normalize::Desired;
use crate::plan::{ObjectKind, ObjectRef};
use crate::state::{ObjectRecord, ServiceStatus, State};

/// What to delete.
pub enum Deletion<'a> {
    /// One service, by name (`cluster` when the name is in several).
    Service {
        name: &'a str,
        cluster: Option<&'a str>,
    },
    /// A task definition family: every revision is deregistered.
    TaskDefinition(&'a str),
    /// A cluster (it must have no services left).
    Cluster(&'a str),
    /// One scheduled task, by name (`cluster` when the name is in several): no more runs;
    /// runs under way finish.
    ScheduledTask {
        name: &'a str,
        cluster: Option<&'a str>,
    },
    /// The objects these manifests define.
    Manifests(&'a [String]),
}

/// The plan of a deletion, under the state lock; `missing` names what was not in the state.
pub struct PendingDeletion {
    pub pending: Pending,
    pub missing: Vec<ObjectRef>,
}

/// The state's objects, as desired objects (what applying them again would keep).
pub(super) fn recorded(state: &State) -> Desired {
    let mut desired = Desired::default();
    for (name, record) in &state.clusters {
        desired.clusters.insert(name.clone(), record.spec.clone());
    }
    for (family, record) in &state.task_definitions {
        if let Some(revision) = record.latest_active() {
            desired
                .task_definitions
                .insert(family.clone(), revision.spec.clone());
        }
    }
    for (cluster, name, record) in state.all_services() {
        if record.status == ServiceStatus::Active {
            desired
                .services
                .entry(cluster.to_string())
                .or_default()
                .insert(name.to_string(), record.spec.clone());
        }
    }
    copy_scoped(&state.target_groups, &mut desired.target_groups);
    copy_scoped(&state.load_balancers, &mut desired.load_balancers);
    copy_scoped(&state.scheduled_tasks, &mut desired.scheduled_tasks);
    copy_scoped(&state.alarms, &mut desired.alarms);
    copy_scoped(&state.scalable_targets, &mut desired.scalable_targets);
    copy_scoped(&state.scaling_policies, &mut desired.scaling_policies);
    desired
}

/// The specs of one cluster-scoped kind's records.
fn copy_scoped<T: Clone>(
    records: &BTreeMap<String, BTreeMap<String, ObjectRecord<T>>>,
    desired: &mut BTreeMap<String, BTreeMap<String, T>>,
) {
    for (cluster, objects) in records {
        let specs = desired.entry(cluster.clone()).or_default();
        for (name, record) in objects {
            specs.insert(name.clone(), record.spec.clone());
        }
    }
}

/// Takes a cluster-scoped object out of the desired objects.
fn forget_scoped<T>(desired: &mut BTreeMap<String, BTreeMap<String, T>>, object: &ObjectRef) {
    if let Some(objects) = object.cluster.as_ref().and_then(|c| desired.get_mut(c)) {
        objects.remove(&object.name);
    }
}

/// What the manifests name: the objects to delete.
fn named_by_manifests(files: &[String], state: &State) -> OpsResult<BTreeSet<ObjectRef>> {
    let mut diagnostics = Diagnostics::new();
    let loaded = load(files, &known(Some(state)), &mut diagnostics);
    if diagnostics.has_errors() {
        return Err(OpsError::InvalidManifests(diagnostics));
    }
    let set = &loaded.set;
    let mut named = BTreeSet::new();
    named.extend(set.clusters.keys().map(|c| ObjectRef::cluster(c)));
    named.extend(
        set.task_definitions
            .keys()
            .map(|f| ObjectRef::task_definition(f)),
    );
    named.extend(set.services.keys().map(|(c, n)| ObjectRef::service(c, n)));
    named.extend(
        set.scheduled_tasks
            .keys()
            .map(|(c, n)| ObjectRef::scheduled_task(c, n)),
    );
    named.extend(set.alarms.keys().map(|(c, n)| ObjectRef::alarm(c, n)));
    named.extend(
        set.scalable_targets
            .keys()
            .map(|(c, n)| ObjectRef::scalable_target(c, n)),
    );
    named.extend(
        set.scaling_policies
            .keys()
            .map(|(c, n)| ObjectRef::scaling_policy(c, n)),
    );
    Ok(named)
}

/// Locks the state and plans the deletion.
pub fn prepare(
    session: &Session,
    what: Deletion<'_>,
    lock_timeout: Duration,
) -> OpsResult<PendingDeletion> {
    let lock = session.store.lock_state(lock_timeout)?;
    let Some(state) = session.store.read_state()? else {
        return Err(OpsError::invalid(
            "the state is empty: there is nothing to delete",
        ));
    };
    let named: BTreeSet<ObjectRef> = match what {
        Deletion::Service { name, cluster } => {
            let (cluster, _) = resolve::service(&state, name, cluster)?;
            [ObjectRef::service(&cluster, name)].into_iter().collect()
        }
        Deletion::TaskDefinition(family) => {
            resolve::family(&state, family)?;
            [ObjectRef::task_definition(family)].into_iter().collect()
        }
        Deletion::Cluster(name) => {
            resolve::cluster(&state, name)?;
            [ObjectRef::cluster(name)].into_iter().collect()
        }
        Deletion::ScheduledTask { name, cluster } => {
            let clusters: Vec<&String> = state
                .scheduled_tasks
                .iter()
                .filter(|(c, tasks)| {
                    tasks.contains_key(name) && cluster.is_none_or(|want| want == c.as_str())
                })
                .map(|(c, _)| c)
                .collect();
            match clusters[..] {
                [one] => [ObjectRef::scheduled_task(one, name)].into_iter().collect(),
                [] => {
                    return Err(OpsError::not_found(
                        super::error::ObjectKind::ScheduledTask,
                        name,
                        "in the state",
                    ));
                }
                _ => {
                    return Err(OpsError::invalid(format!(
                        "scheduled task `{name}` is in several clusters: pick one with --cluster"
                    )));
                }
            }
        }
        Deletion::Manifests(files) => named_by_manifests(files, &state)?,
    };
    let mut desired = recorded(&state);
    for object in &named {
        match object.kind {
            ObjectKind::Cluster => {
                desired.clusters.remove(&object.name);
            }
            ObjectKind::TaskDefinition => {
                desired.task_definitions.remove(&object.name);
            }
            ObjectKind::Service => forget_scoped(&mut desired.services, object),
            ObjectKind::TargetGroup => forget_scoped(&mut desired.target_groups, object),
            ObjectKind::ScheduledTask => forget_scoped(&mut desired.scheduled_tasks, object),
            ObjectKind::LoadBalancer => forget_scoped(&mut desired.load_balancers, object),
            ObjectKind::Alarm => forget_scoped(&mut desired.alarms, object),
            ObjectKind::ScalableTarget => forget_scoped(&mut desired.scalable_targets, object),
            ObjectKind::ScalingPolicy => forget_scoped(&mut desired.scaling_policies, object),
        }
    }
    let plan = super::manifests::plan_recorded(Some(&state), &desired, true)?;
    let missing = named
        .into_iter()
        .filter(|o| !plan.changes.iter().any(|c| &c.object == o))
        .collect();
    Ok(PendingDeletion {
        pending: pending(lock, state, plan),
        missing,
    })
}

/// Writes the deletion; the services it drains must be gone for it to be done.
pub fn commit(session: &Session, deletion: PendingDeletion) -> OpsResult<super::apply::Applied> {
    let mut applied = super::apply::commit(session, deletion.pending)?;
    for services in applied.expectations.values_mut() {
        services.retain(|_, expect| *expect == crate::reconcile::converge::Expect::Gone);
    }
    applied
        .expectations
        .retain(|_, services| !services.is_empty());
    Ok(applied)
}
