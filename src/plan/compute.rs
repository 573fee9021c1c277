//! Desired objects vs the recorded state → [`Plan`]. Pure and deterministic: changes come
//! clusters first, then task definitions, target groups, load balancers, then services, each
//! sorted by (cluster and) name.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::diff::{diff, leaves};
use super::{
    Action, Change, CountChange, DeploymentPlan, ObjectRef, PLAN_FORMAT_VERSION, Plan,
    RevisionChange, StateRef, Summary,
};
use crate::model::ecs::ServiceSpec;
use crate::model::effective::{self, EffectiveService};
use crate::model::names::TaskDefRef;
use crate::model::normalize::Desired;
use crate::state::{ObjectRecord, RevisionStatus, ServiceStatus, State};

/// A problem that only shows against the state (a pinned revision that does not exist, a
/// cluster deleted under its services). The CLI points it at the object's manifest.
#[derive(Clone, Debug, PartialEq)]
pub struct PlanError {
    pub object: ObjectRef,
    /// The field of the object's spec at fault, if one is.
    pub field: Option<&'static str>,
    pub message: String,
    pub help: Option<String>,
}

fn to_value<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

pub fn compute(
    state: Option<&State>,
    desired: &Desired,
    prune: bool,
    ecsctl_version: &str,
) -> Result<Plan, Vec<PlanError>> {
    compute_owned(state, desired.clone(), prune, ecsctl_version)
}

/// [`compute`] for a caller that has no further use of `desired`: the plan keeps it without
/// a copy (at 10,000 objects the copy is tens of MB).
pub fn compute_owned(
    state: Option<&State>,
    mut desired: Desired,
    prune: bool,
    ecsctl_version: &str,
) -> Result<Plan, Vec<PlanError>> {
    let empty = State::empty(String::new());
    let current = state.unwrap_or(&empty);
    let mut plan = Plan {
        format_version: PLAN_FORMAT_VERSION,
        ecsctl_version: ecsctl_version.to_string(),
        state: StateRef {
            lineage: state.map(|s| s.lineage.clone()),
            serial: state.map_or(0, |s| s.serial),
        },
        prune,
        changes: Vec::new(),
        unchanged: Vec::new(),
        kept: Vec::new(),
        scaled: Vec::new(),
        summary: Summary::default(),
        // Moved in once the plan is made (below): the steps read `desired` meanwhile.
        desired: Desired::default(),
    };
    let mut errors = Vec::new();
    clusters(current, &desired, &mut plan);
    let latest = task_definitions(current, &desired, &mut plan);
    scoped(
        &current.target_groups,
        &desired.target_groups,
        ObjectRef::target_group,
        &mut plan,
    );
    scoped(
        &current.load_balancers,
        &desired.load_balancers,
        ObjectRef::load_balancer,
        &mut plan,
    );
    scoped(
        &current.scheduled_tasks,
        &desired.scheduled_tasks,
        ObjectRef::scheduled_task,
        &mut plan,
    );
    scoped(
        &current.alarms,
        &desired.alarms,
        ObjectRef::alarm,
        &mut plan,
    );
    scoped(
        &current.scalable_targets,
        &desired.scalable_targets,
        ObjectRef::scalable_target,
        &mut plan,
    );
    scoped(
        &current.scaling_policies,
        &desired.scaling_policies,
        ObjectRef::scaling_policy,
        &mut plan,
    );
    let owned = scaler_owned(current, &desired, &plan);
    let mut kept_counts = Vec::new();
    services(
        current,
        &desired,
        &latest,
        &owned,
        &mut plan,
        &mut kept_counts,
        &mut errors,
    );
    check_deletions(current, &desired, &plan, &mut errors);
    // The plan carries the counts the scalers own, as it applies them.
    for (cluster, name, count) in kept_counts {
        if let Some(d) = desired
            .services
            .get_mut(&cluster)
            .and_then(|m| m.get_mut(&name))
        {
            d.desired_count = count;
        }
    }
    plan.desired = desired;
    for change in &plan.changes {
        match change.action {
            Action::Create => plan.summary.add += 1,
            Action::Update => plan.summary.change += 1,
            Action::Delete => plan.summary.destroy += 1,
        }
    }
    if errors.is_empty() {
        Ok(plan)
    } else {
        Err(errors)
    }
}

fn absent(plan: &mut Plan, object: ObjectRef) {
    if plan.prune {
        plan.changes
            .push(Change::fields(object, Action::Delete, Vec::new()));
    } else {
        plan.kept.push(object);
    }
}

fn clusters(current: &State, desired: &Desired, plan: &mut Plan) {
    let names: BTreeSet<&String> = current
        .clusters
        .keys()
        .chain(desired.clusters.keys())
        .collect();
    for name in names {
        let object = ObjectRef::cluster(name);
        match (current.clusters.get(name), desired.clusters.get(name)) {
            (None, Some(spec)) => plan.changes.push(Change::fields(
                object,
                Action::Create,
                leaves(&to_value(spec)),
            )),
            (Some(record), Some(spec)) => {
                let d = diff(&to_value(&record.spec), &to_value(spec));
                if d.is_empty() {
                    plan.unchanged.push(object);
                } else {
                    plan.changes.push(Change::fields(object, Action::Update, d));
                }
            }
            (Some(_), None) => absent(plan, object),
            (None, None) => {}
        }
    }
}

/// Plans cluster-scoped objects recorded with their spec (target groups, load balancers).
fn scoped<T: serde::Serialize>(
    current: &BTreeMap<String, BTreeMap<String, ObjectRecord<T>>>,
    desired: &BTreeMap<String, BTreeMap<String, T>>,
    object_ref: fn(&str, &str) -> ObjectRef,
    plan: &mut Plan,
) {
    let mut keys: BTreeSet<(&String, &String)> = BTreeSet::new();
    for (cluster, objects) in current {
        keys.extend(objects.keys().map(|name| (cluster, name)));
    }
    for (cluster, objects) in desired {
        keys.extend(objects.keys().map(|name| (cluster, name)));
    }
    for (cluster, name) in keys {
        let object = object_ref(cluster, name);
        let record = current.get(cluster).and_then(|o| o.get(name));
        match (record, desired.get(cluster).and_then(|o| o.get(name))) {
            (None, Some(spec)) => plan.changes.push(Change::fields(
                object,
                Action::Create,
                leaves(&to_value(spec)),
            )),
            (Some(record), Some(spec)) => {
                let d = diff(&to_value(&record.spec), &to_value(spec));
                if d.is_empty() {
                    plan.unchanged.push(object);
                } else {
                    plan.changes.push(Change::fields(object, Action::Update, d));
                }
            }
            (Some(_), None) => absent(plan, object),
            (None, None) => {}
        }
    }
}

/// Plans task definitions; returns each family's newest ACTIVE revision after the plan
/// (absent for families deleted by it).
fn task_definitions(current: &State, desired: &Desired, plan: &mut Plan) -> BTreeMap<String, u32> {
    let mut latest = BTreeMap::new();
    let families: BTreeSet<&String> = current
        .task_definitions
        .keys()
        .chain(desired.task_definitions.keys())
        .collect();
    for family in families {
        let object = ObjectRef::task_definition(family);
        let record = current.task_definitions.get(family);
        let active = record.and_then(|r| r.latest_active());
        match desired.task_definitions.get(family) {
            Some(spec) => {
                let next = record.map_or(1, |r| r.next_revision());
                match active {
                    Some(revision) if &revision.spec == spec && revision.revision + 1 == next => {
                        latest.insert(family.clone(), revision.revision);
                        plan.unchanged.push(object);
                    }
                    _ => {
                        latest.insert(family.clone(), next);
                        let (action, fields) = match active {
                            Some(r) => (Action::Update, diff(&to_value(&r.spec), &to_value(spec))),
                            None => (Action::Create, leaves(&to_value(spec))),
                        };
                        plan.changes.push(Change {
                            revision: Some(RevisionChange {
                                from: active.map(|r| r.revision),
                                to: next,
                            }),
                            ..Change::fields(object, action, fields)
                        });
                    }
                }
            }
            None => {
                let Some(revision) = active else {
                    continue; // every revision already INACTIVE: deleted before
                };
                if !plan.prune {
                    latest.insert(family.clone(), revision.revision);
                }
                absent(plan, object);
            }
        }
    }
    latest
}

fn resolve(
    service: &ObjectRef,
    spec: &ServiceSpec,
    current: &State,
    latest: &BTreeMap<String, u32>,
) -> Result<TaskDefRef, PlanError> {
    let error = |message: String, help: Option<String>| PlanError {
        object: service.clone(),
        field: Some("taskDefinition"),
        message,
        help,
    };
    let text = spec.task_definition.as_deref().unwrap_or(&service.name);
    let reference: TaskDefRef = text
        .parse()
        .map_err(|e: String| error(format!("invalid task definition reference: {e}"), None))?;
    let Some(&newest) = latest.get(&reference.family) else {
        return Err(error(
            format!("unknown task definition `{}`", reference.family),
            Some("define it with a `kind: TaskDefinition` manifest".into()),
        ));
    };
    match reference.revision {
        None => Ok(TaskDefRef::pinned(reference.family, newest)),
        Some(n) if n == newest => Ok(reference),
        Some(n) => {
            let recorded = current
                .task_definitions
                .get(&reference.family)
                .and_then(|f| f.revisions.iter().find(|r| r.revision == n));
            match recorded {
                Some(r) if r.status == RevisionStatus::Active => Ok(reference),
                // A service keeps the revision it runs after that revision is deregistered,
                // as in ECS; it only cannot move to an INACTIVE one.
                Some(_)
                    if service.cluster.as_deref().is_some_and(|c| {
                        current
                            .service(c, &service.name)
                            .is_some_and(|r| r.task_definition == reference)
                    }) =>
                {
                    Ok(reference)
                }
                Some(_) => Err(error(
                    format!("task definition `{reference}` is INACTIVE (deregistered)"),
                    Some(format!(
                        "use `{}` (its newest revision, {newest})",
                        reference.family
                    )),
                )),
                None => Err(error(
                    format!("task definition `{reference}` does not exist"),
                    Some(format!(
                        "the newest revision of `{}` is {newest}",
                        reference.family
                    )),
                )),
            }
        }
    }
}

fn deployment_plan(
    spec: &ServiceSpec,
    service: &EffectiveService,
    from: Option<TaskDefRef>,
    to: TaskDefRef,
    reason: &str,
) -> DeploymentPlan {
    let bounds = service.deployment;
    // A first deployment has nothing to shift traffic from: it starts like a rolling one.
    let strategy = crate::model::effective::strategy::Strategy::of(spec);
    let strategy = (strategy.shifts() && from.is_some()).then(|| super::ShiftPlan {
        strategy: strategy.kind.to_string(),
        steps: strategy.steps_text(),
    });
    let count = service.desired_count;
    let (minimum_running, maximum_running) = bounds.running(count);
    DeploymentPlan {
        from,
        to,
        desired_count: count,
        minimum_healthy_percent: bounds.minimum_healthy_percent,
        maximum_percent: bounds.maximum_percent,
        minimum_running,
        maximum_running,
        reason: reason.to_string(),
        daemon: service.is_daemon(),
        strategy,
    }
}

/// The services whose desired count a scalable target owns (one the manifests define, or a
/// recorded one this plan keeps), by (cluster, service) → the target's name. Their recorded
/// count stands whatever the manifests say: the manifest's count only starts a new service.
fn scaler_owned(
    current: &State,
    desired: &Desired,
    plan: &Plan,
) -> BTreeMap<(String, String), String> {
    let mut owned = BTreeMap::new();
    let deleted = |cluster: &str, name: &str| {
        plan.changes.iter().any(|c| {
            c.action == Action::Delete && c.object == ObjectRef::scalable_target(cluster, name)
        })
    };
    for (cluster, targets) in &current.scalable_targets {
        for (name, record) in targets {
            if let Some(service) = record.spec.service_name()
                && !deleted(cluster, name)
            {
                owned.insert((cluster.clone(), service.to_string()), name.clone());
            }
        }
    }
    for (cluster, targets) in &desired.scalable_targets {
        for (name, spec) in targets {
            if let Some(service) = spec.service_name() {
                owned.insert((cluster.clone(), service.to_string()), name.clone());
            }
        }
    }
    owned
}

fn services(
    current: &State,
    desired: &Desired,
    latest: &BTreeMap<String, u32>,
    owned: &BTreeMap<(String, String), String>,
    plan: &mut Plan,
    kept_counts: &mut Vec<(String, String, Option<i32>)>,
    errors: &mut Vec<PlanError>,
) {
    let mut keys: BTreeSet<(&String, &String)> = BTreeSet::new();
    for (cluster, services) in &current.services {
        keys.extend(services.keys().map(|name| (cluster, name)));
    }
    for (cluster, services) in &desired.services {
        keys.extend(services.keys().map(|name| (cluster, name)));
    }
    for (cluster, name) in keys {
        let object = ObjectRef::service(cluster, name);
        let record = current
            .service(cluster, name)
            .filter(|r| r.status == ServiceStatus::Active);
        let wanted = desired
            .services
            .get(cluster)
            .and_then(|s| s.get(name))
            .map(|spec| (spec, EffectiveService::of(spec)));
        match (record, wanted) {
            (None, Some((spec, service))) => {
                let to = match resolve(&object, spec, current, latest) {
                    Ok(to) => to,
                    Err(e) => {
                        errors.push(e);
                        continue;
                    }
                };
                plan.changes.push(Change {
                    deployment: Some(deployment_plan(spec, &service, None, to, "service created")),
                    ..Change::fields(object, Action::Create, leaves(&to_value(spec)))
                });
            }
            (Some(record), Some((spec, mut service))) => {
                let to = match resolve(&object, spec, current, latest) {
                    Ok(to) => to,
                    Err(e) => {
                        errors.push(e);
                        continue;
                    }
                };
                let scaled_by = owned.get(&(cluster.clone(), name.clone()));
                let owned_spec;
                let spec = match scaled_by {
                    Some(target) if !service.is_daemon() => {
                        // The scaler's count is not drift: keep it, and say who owns it.
                        let mut s = spec.clone();
                        s.desired_count = record.spec.desired_count;
                        service.desired_count = record.desired_count;
                        plan.scaled.push(super::ScaledService {
                            service: object.clone(),
                            scalable_target: target.clone(),
                            desired_count: record.desired_count,
                            manifest_count: effective::desired_count(spec),
                        });
                        kept_counts.push((
                            cluster.clone(),
                            name.clone(),
                            record.spec.desired_count,
                        ));
                        owned_spec = s;
                        &owned_spec
                    }
                    _ => spec,
                };
                let d = diff(&to_value(&record.spec), &to_value(spec));
                let placement_changed = record.spec.placement_strategy != spec.placement_strategy
                    || record.spec.placement_constraints != spec.placement_constraints;
                let deployment = if to != record.task_definition {
                    Some(deployment_plan(
                        spec,
                        &service,
                        Some(record.task_definition.clone()),
                        to,
                        "new task definition",
                    ))
                } else if placement_changed {
                    Some(deployment_plan(
                        spec,
                        &service,
                        Some(record.task_definition.clone()),
                        to,
                        "placement changed",
                    ))
                } else {
                    None
                };
                let count = service.desired_count;
                let desired_count = (!service.is_daemon() && count != record.desired_count)
                    .then_some(CountChange {
                        from: Some(record.desired_count),
                        to: count,
                    });
                if d.is_empty() && deployment.is_none() && desired_count.is_none() {
                    plan.unchanged.push(object);
                } else {
                    plan.changes.push(Change {
                        deployment,
                        desired_count,
                        ..Change::fields(object, Action::Update, d)
                    });
                }
            }
            (Some(_), None) => absent(plan, object),
            (None, None) => {} // draining already
        }
    }
}

/// Deleting a cluster or a family that a remaining service still uses is refused.
fn check_deletions(current: &State, desired: &Desired, plan: &Plan, errors: &mut Vec<PlanError>) {
    let deleted: BTreeSet<&ObjectRef> = plan
        .changes
        .iter()
        .filter(|c| c.action == Action::Delete)
        .map(|c| &c.object)
        .collect();
    if deleted.is_empty() {
        return;
    }
    let remaining = current
        .all_services()
        .filter(|(_, _, r)| r.status == ServiceStatus::Active)
        .map(|(c, n, _)| (c.to_string(), n.to_string()))
        .chain(
            desired
                .services
                .iter()
                .flat_map(|(c, s)| s.keys().map(move |n| (c.clone(), n.clone()))),
        )
        .filter(|(c, n)| !deleted.contains(&ObjectRef::service(c, n)))
        .collect::<BTreeSet<_>>();
    for (cluster, name) in remaining {
        if deleted.contains(&ObjectRef::cluster(&cluster)) {
            errors.push(PlanError {
                object: ObjectRef::cluster(&cluster),
                field: None,
                message: format!(
                    "cluster `{cluster}` cannot be deleted: service `{name}` still runs in it"
                ),
                help: Some(format!(
                    "delete service `{name}` too, or keep the cluster's manifest"
                )),
            });
        }
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod traffic_tests;
