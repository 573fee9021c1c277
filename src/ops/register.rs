//! The writes of the ECS API, one verb each: register/deregister a task definition revision,
//! create/update/delete a service, create/delete a cluster. Each is a plan like any other:
//! the desired objects are the recorded ones with one object added, changed or removed,
//! planned against the state under its lock and written by [`super::apply::commit`] (serial,
//! lineage, events). So `ecsctl get`/`describe` show what the API wrote, and `ecsctl plan -f`
//! shows it as drift from the manifests.
//!
//! Documents (a `RegisterTaskDefinition` or `CreateService` request body) go through the
//! manifest loader as plain ECS JSON: the same decoding, validation and normal form as files.
//! Changes the plan cannot express (deregistering one revision, a forced deployment of the
//! same revision) are recorded read-modify-write under the lock, as `scale` does.
//!
//! What the API records beside the manifests (a cluster's tags, settings and configuration;
//! a revision's tags; a revision deleted after it was deregistered) is read-modify-write
//! under the lock as well: manifests do not carry it, so it is no drift.
//!
//! Where this differs from ECS: registering content equal to the family's newest ACTIVE
//! revision returns that revision instead of a new, identical one (the state keeps one
//! revision per content change, as `apply` does). A deleted revision stays
//! DELETE_IN_PROGRESS until nothing uses it, then goes ([`super::revisions`]); its number is
//! never given again.

use std::time::Duration;

use super::apply::{Applied, Expectations, commit, pending_on, record_events};
use super::delete::{self, Deletion, recorded};
use super::error::{ObjectKind, OpsError, OpsResult};
use super::manifests::known;
use super::resolve;
use super::session::Session;
use crate::diagnostics::{Diagnostics, SourceFile};
use crate::ids::{IdSource, RandomIds};
use crate::model::cluster::{ClusterSpec, DEFAULT_CLUSTER};
use crate::model::ecs::{SchedulingStrategy, ServiceSpec};
use crate::model::load::analyze;
use crate::model::names::TaskDefRef;
use crate::model::normalize::Desired;
use crate::model::validate::ManifestSet;
use crate::reconcile::converge::Expect;
use crate::state::{
    ClusterRecord, Deployment, MAX_DEPLOYMENTS, Revision, RevisionStatus, ServiceRecord,
    ServiceStatus, State,
};
use crate::time::Timestamp;

/// Plans `change` (applied to the recorded objects) against the state and writes it.
fn write<R>(
    session: &Session,
    lock_timeout: Duration,
    change: impl FnOnce(&State, &mut Desired) -> OpsResult<R>,
) -> OpsResult<(Applied, R)> {
    let lock = session.store.lock_state(lock_timeout)?;
    let state = session.store.read_state()?;
    let base = state.clone().unwrap_or_else(|| State::empty(String::new()));
    let mut desired = recorded(&base);
    let result = change(&base, &mut desired)?;
    let plan = super::manifests::plan_recorded(state.as_ref(), &desired, true)?;
    let applied = commit(session, pending_on(lock, state, plan))?;
    Ok((applied, result))
}

/// Decodes and checks one plain ECS JSON document (`name` says which request it is).
fn check_document(state: &State, name: &str, text: &str) -> OpsResult<Desired> {
    let mut diagnostics = Diagnostics::new();
    let files = vec![SourceFile::new(format!("{name}.json"), text)];
    let (set, _ignored): (ManifestSet, _) = analyze(&files, &known(Some(state)), &mut diagnostics);
    if diagnostics.has_errors() {
        return Err(OpsError::InvalidManifests(diagnostics));
    }
    Ok(Desired::from_set(&set))
}

/// A task definition reference pinned to a revision: a family alone means its newest ACTIVE
/// revision now, as ECS resolves it when a service is created or updated.
fn pin(state: &State, reference: Option<&str>) -> OpsResult<Option<String>> {
    let Some(text) = reference else {
        return Ok(None);
    };
    let reference: TaskDefRef = text.parse().map_err(OpsError::Invalid)?;
    if reference.revision.is_some() {
        let revision = resolve::task_definition(state, text)?;
        match revision.status {
            RevisionStatus::Active => {}
            RevisionStatus::Inactive => {
                return Err(OpsError::invalid(format!(
                    "task definition `{reference}` is INACTIVE (deregistered)"
                )));
            }
            RevisionStatus::DeleteInProgress => {
                return Err(OpsError::invalid(format!(
                    "task definition `{reference}` is DELETE_IN_PROGRESS (deleted): no new service or deployment may use it"
                )));
            }
        }
        return Ok(Some(reference.to_string()));
    }
    let family = resolve::family(state, &reference.family)?;
    let Some(active) = family.latest_active() else {
        return Err(OpsError::invalid(format!(
            "task definition `{}` has no ACTIVE revision",
            reference.family
        )));
    };
    Ok(Some(
        TaskDefRef::pinned(reference.family, active.revision).to_string(),
    ))
}

/// A registered revision.
#[derive(Debug)]
pub struct Registered {
    pub family: String,
    pub revision: Revision,
}

/// `RegisterTaskDefinition`: a new revision of the document's family (or the newest ACTIVE
/// one, when its content is the same).
pub fn register_task_definition(
    session: &Session,
    document: &str,
    lock_timeout: Duration,
) -> OpsResult<Registered> {
    let (applied, family) = write(session, lock_timeout, |state, desired| {
        let from = check_document(state, "RegisterTaskDefinition", document)?;
        let mut families = from.task_definitions.into_iter();
        let (Some((family, spec)), None) = (families.next(), families.next()) else {
            return Err(OpsError::invalid("the request holds no task definition"));
        };
        desired.task_definitions.insert(family.clone(), spec);
        Ok(family)
    })?;
    let revision = applied
        .next
        .as_ref()
        .and_then(|s| s.task_definitions.get(&family))
        .and_then(|f| f.latest_active())
        .cloned()
        .ok_or_else(|| OpsError::not_found(ObjectKind::TaskDefinition, &family, "after writing"))?;
    Ok(Registered { family, revision })
}

/// `DeregisterTaskDefinition`: one revision becomes INACTIVE (services that run it keep it).
pub fn deregister_task_definition(
    session: &Session,
    reference: &str,
    lock_timeout: Duration,
) -> OpsResult<Registered> {
    let reference: TaskDefRef = reference.parse().map_err(OpsError::Invalid)?;
    let Some(number) = reference.revision else {
        return Err(OpsError::invalid(format!(
            "`{reference}`: name a revision (`{}:1`) to deregister",
            reference.family
        )));
    };
    let store = &session.store;
    let lock = store.lock_state(lock_timeout)?;
    let mut state = store
        .read_state()?
        .unwrap_or_else(|| State::empty(String::new()));
    resolve::task_definition(&state, &reference.to_string())?;
    let now = Timestamp::now();
    let family = state
        .task_definitions
        .get_mut(&reference.family)
        .ok_or_else(|| OpsError::not_found(ObjectKind::TaskDefinition, &reference.family, ""))?;
    let Some(revision) = family.revisions.iter_mut().find(|r| r.revision == number) else {
        return Err(OpsError::not_found(
            ObjectKind::TaskDefinition,
            &reference.to_string(),
            "in the state",
        ));
    };
    if revision.status == RevisionStatus::Active {
        revision.status = RevisionStatus::Inactive;
        revision.deregistered_at = Some(now);
        let revision = revision.clone();
        state.serial += 1;
        store.write_state(&state, &lock)?;
        return Ok(Registered {
            family: reference.family,
            revision,
        });
    }
    Ok(Registered {
        family: reference.family,
        revision: revision.clone(),
    })
}

/// `CreateCluster`: an empty cluster (no hosts until a `kind: Cluster` manifest gives it
/// some); an existing one is returned as it is, as ECS does.
pub fn create_cluster(session: &Session, name: &str, lock_timeout: Duration) -> OpsResult<()> {
    crate::model::names::check_ecs_name(name).map_err(OpsError::Invalid)?;
    let state = session.state_or_empty()?;
    if state.cluster_names().contains(name) {
        return Ok(());
    }
    write(session, lock_timeout, |state, desired| {
        if !state.cluster_names().contains(name) {
            desired
                .clusters
                .insert(name.to_string(), ClusterSpec::default());
        }
        Ok(())
    })?;
    Ok(())
}

/// `DeleteCluster`: refused while the cluster has services.
pub fn delete_cluster(session: &Session, name: &str, lock_timeout: Duration) -> OpsResult<()> {
    let state = session.state_or_empty()?;
    resolve::cluster(&state, name)?;
    if let Some((_, service, _)) = state
        .all_services()
        .find(|(c, _, r)| *c == name && r.status == ServiceStatus::Active)
    {
        return Err(OpsError::InUse {
            kind: ObjectKind::Cluster,
            name: name.to_string(),
            message: format!(
                "cluster `{name}` still has services (`{service}`); delete them first"
            ),
        });
    }
    if !state.clusters.contains_key(name) {
        if name == DEFAULT_CLUSTER {
            return Err(OpsError::invalid(
                "the `default` cluster is built in (the local Docker host) and cannot be deleted",
            ));
        }
        return Ok(());
    }
    let deletion = delete::prepare(session, Deletion::Cluster(name), lock_timeout)?;
    delete::commit(session, deletion)?;
    Ok(())
}

/// What a service write did.
pub struct ServiceWritten {
    pub cluster: String,
    pub name: String,
    pub record: ServiceRecord,
    pub expectations: Expectations,
}

fn written(applied: &Applied, cluster: String, name: String) -> OpsResult<ServiceWritten> {
    let record = applied
        .next
        .as_ref()
        .and_then(|s| s.service(&cluster, &name))
        .cloned()
        .ok_or_else(|| {
            OpsError::not_found(ObjectKind::Service, &name, resolve::place(Some(&cluster)))
        })?;
    Ok(ServiceWritten {
        cluster,
        name,
        record,
        expectations: applied.expectations.clone(),
    })
}

/// The one service of a checked document.
fn one_service(from: Desired) -> OpsResult<(String, String, ServiceSpec)> {
    let mut all = from
        .services
        .into_iter()
        .flat_map(|(c, s)| s.into_iter().map(move |(n, spec)| (c.clone(), n, spec)));
    match (all.next(), all.next()) {
        (Some(one), None) => Ok(one),
        _ => Err(OpsError::invalid("the request holds no service")),
    }
}

/// `CreateService` from its request document (`cluster` a name, `taskDefinition` a family,
/// `family:rev` or ARN).
pub fn create_service(
    session: &Session,
    document: &str,
    lock_timeout: Duration,
) -> OpsResult<ServiceWritten> {
    let (applied, (cluster, name)) = write(session, lock_timeout, |state, desired| {
        let (cluster, name, mut spec) =
            one_service(check_document(state, "CreateService", document)?)?;
        resolve::cluster(state, &cluster)?;
        if state
            .service(&cluster, &name)
            .is_some_and(|r| r.status == ServiceStatus::Active)
        {
            return Err(OpsError::invalid(format!(
                "service `{name}` already exists in cluster `{cluster}`: creation of service was not idempotent"
            )));
        }
        spec.task_definition = pin(state, spec.task_definition.as_deref())?;
        desired
            .services
            .entry(cluster.clone())
            .or_default()
            .insert(name.clone(), spec);
        Ok((cluster, name))
    })?;
    written(&applied, cluster, name)
}

/// `UpdateService`: each member of `overlay` (CreateService's member names) replaces the
/// service's; `force` starts a new deployment even when the revision stays.
pub fn update_service(
    session: &Session,
    cluster: Option<&str>,
    name: &str,
    overlay: serde_json::Map<String, serde_json::Value>,
    force: bool,
    lock_timeout: Duration,
) -> OpsResult<ServiceWritten> {
    let (applied, cluster) = write(session, lock_timeout, |state, desired| {
        let (cluster, record) = resolve::service(state, name, cluster)?;
        if record.status != ServiceStatus::Active {
            return Err(OpsError::NotActive {
                kind: ObjectKind::Service,
                name: name.to_string(),
            });
        }
        let mut document = match serde_json::to_value(&record.spec) {
            Ok(serde_json::Value::Object(map)) => map,
            _ => serde_json::Map::new(),
        };
        let new_revision = overlay.contains_key("taskDefinition");
        for (key, value) in overlay {
            document.insert(key, value);
        }
        document.insert("serviceName".into(), name.into());
        document.insert("cluster".into(), cluster.clone().into());
        let text = serde_json::Value::Object(document).to_string();
        let (_, _, mut spec) = one_service(check_document(state, "UpdateService", &text)?)?;
        if new_revision {
            spec.task_definition = pin(state, spec.task_definition.as_deref())?;
        }
        desired
            .services
            .entry(cluster.clone())
            .or_default()
            .insert(name.to_string(), spec);
        Ok(cluster)
    })?;
    let deployed = applied
        .plan
        .changes
        .iter()
        .any(|c| c.deployment.is_some() && c.object.name == name);
    if force && !deployed {
        return force_new_deployment(session, &cluster, name, lock_timeout);
    }
    written(&applied, cluster, name.to_string())
}

/// A new deployment of the revision the service runs: every task is replaced within the
/// deployment bounds.
fn force_new_deployment(
    session: &Session,
    cluster: &str,
    name: &str,
    lock_timeout: Duration,
) -> OpsResult<ServiceWritten> {
    let store = &session.store;
    let lock = store.lock_state(lock_timeout)?;
    let mut state = store
        .read_state()?
        .ok_or_else(|| OpsError::not_found(ObjectKind::Service, name, "in an empty state"))?;
    let now = Timestamp::now();
    let Some(record) = state.service_mut(cluster, name) else {
        return Err(OpsError::not_found(
            ObjectKind::Service,
            name,
            resolve::place(Some(cluster)),
        ));
    };
    let id = RandomIds.deployment_id();
    record.deployments.insert(
        0,
        Deployment {
            id: id.clone(),
            task_definition: record.task_definition.clone(),
            created_at: now,
            reason: "forceNewDeployment".into(),
        },
    );
    record.deployments.truncate(MAX_DEPLOYMENTS);
    record.updated_at = now;
    let record = record.clone();
    state.serial += 1;
    store.write_state(&state, &lock)?;
    drop(lock);
    let event = format!(
        "(service {name}) has started a new deployment {id} of {} (forceNewDeployment).",
        record.task_definition
    );
    record_events(
        store,
        &state,
        vec![(cluster.to_string(), name.to_string(), event)],
    )?;
    let mut expectations = Expectations::new();
    expectations.insert(
        cluster.to_string(),
        [(name.to_string(), Expect::Deployment(id))]
            .into_iter()
            .collect(),
    );
    Ok(ServiceWritten {
        cluster: cluster.to_string(),
        name: name.to_string(),
        record,
        expectations,
    })
}

/// `DeleteService`: a REPLICA service still scaled above 0 needs `force`, as in ECS. Its
/// tasks are drained by the reconciler; the record shows DRAINING until they are gone.
pub fn delete_service(
    session: &Session,
    cluster: Option<&str>,
    name: &str,
    force: bool,
    lock_timeout: Duration,
) -> OpsResult<ServiceWritten> {
    let state = session.state_or_empty()?;
    let (cluster, record) = resolve::service(&state, name, cluster)?;
    if record.status != ServiceStatus::Active {
        return Err(OpsError::NotActive {
            kind: ObjectKind::Service,
            name: name.to_string(),
        });
    }
    let daemon = record.effective().scheduling_strategy == SchedulingStrategy::Daemon;
    if !force && !daemon && record.desired_count > 0 {
        return Err(OpsError::invalid(format!(
            "the service cannot be stopped while it is scaled above 0 (desiredCount {}); scale it to 0 or pass force",
            record.desired_count
        )));
    }
    let deletion = delete::prepare(
        session,
        Deletion::Service {
            name,
            cluster: Some(&cluster),
        },
        lock_timeout,
    )?;
    let applied = delete::commit(session, deletion)?;
    let record = applied
        .next
        .as_ref()
        .and_then(|s| s.service(&cluster, name))
        .cloned()
        .unwrap_or_else(|| ServiceRecord {
            status: ServiceStatus::Draining,
            ..record.clone()
        });
    Ok(ServiceWritten {
        cluster,
        name: name.to_string(),
        record,
        expectations: applied.expectations,
    })
}

/// `TagResource`/`UntagResource` on a task definition revision: its tags become what
/// `change` makes of them. Tags are not content (ECS tags a revision without registering a
/// new one), so this is recorded read-modify-write under the lock.
pub fn retag_task_definition(
    session: &Session,
    reference: &str,
    change: impl FnOnce(&mut Vec<crate::model::ecs::Tag>),
    lock_timeout: Duration,
) -> OpsResult<Registered> {
    let reference: TaskDefRef = reference.parse().map_err(OpsError::Invalid)?;
    let store = &session.store;
    let lock = store.lock_state(lock_timeout)?;
    let mut state = store
        .read_state()?
        .unwrap_or_else(|| State::empty(String::new()));
    let number = resolve::task_definition(&state, &reference.to_string())?.revision;
    let Some(revision) = state
        .task_definitions
        .get_mut(&reference.family)
        .and_then(|f| f.revisions.iter_mut().find(|r| r.revision == number))
    else {
        return Err(OpsError::not_found(
            ObjectKind::TaskDefinition,
            &reference.to_string(),
            "in the state",
        ));
    };
    let before = revision.spec.tags.clone();
    change(&mut revision.spec.tags);
    let revision = revision.clone();
    if revision.spec.tags != before {
        state.serial += 1;
        store.write_state(&state, &lock)?;
    }
    Ok(Registered {
        family: reference.family,
        revision,
    })
}

/// What `DeleteTaskDefinitions` did.
#[derive(Debug, Default)]
pub struct TaskDefinitionsDeleted {
    /// The revisions now DELETE_IN_PROGRESS (also those that already were), in request order.
    pub deleted: Vec<Registered>,
    /// The revisions that were not deleted, with ECS's reason.
    pub failures: Vec<(TaskDefRef, String)>,
}

/// The reason ECS gives for an ACTIVE revision in `DeleteTaskDefinitions`.
pub const STILL_ACTIVE: &str = "The specified task definition is still in ACTIVE status. Please deregister the target and try again.";

/// `DeleteTaskDefinitions`: each INACTIVE revision (`family:rev`; every one must name its
/// revision) becomes DELETE_IN_PROGRESS; an ACTIVE or unknown one is a failure, and the
/// others are deleted all the same (one write).
pub fn delete_task_definitions(
    session: &Session,
    references: &[TaskDefRef],
    lock_timeout: Duration,
) -> OpsResult<TaskDefinitionsDeleted> {
    if let Some(r) = references.iter().find(|r| r.revision.is_none()) {
        return Err(OpsError::invalid(format!(
            "`{r}`: name a revision (`{}:1`) to delete",
            r.family
        )));
    }
    let store = &session.store;
    let lock = store.lock_state(lock_timeout)?;
    let Some(mut state) = store.read_state()? else {
        return Ok(TaskDefinitionsDeleted {
            deleted: Vec::new(),
            failures: references
                .iter()
                .map(|r| (r.clone(), "MISSING".to_string()))
                .collect(),
        });
    };
    let now = Timestamp::now();
    let mut out = TaskDefinitionsDeleted::default();
    let mut changed = false;
    for reference in references {
        let revision = state
            .task_definitions
            .get_mut(&reference.family)
            .and_then(|f| {
                f.revisions
                    .iter_mut()
                    .find(|r| Some(r.revision) == reference.revision)
            });
        let Some(revision) = revision else {
            out.failures.push((reference.clone(), "MISSING".into()));
            continue;
        };
        match revision.status {
            RevisionStatus::Active => {
                out.failures
                    .push((reference.clone(), STILL_ACTIVE.to_string()));
                continue;
            }
            RevisionStatus::Inactive => {
                revision.status = RevisionStatus::DeleteInProgress;
                revision.deregistered_at.get_or_insert(now);
                changed = true;
            }
            RevisionStatus::DeleteInProgress => {}
        }
        out.deleted.push(Registered {
            family: reference.family.clone(),
            revision: revision.clone(),
        });
    }
    if changed {
        state.serial += 1;
        store.write_state(&state, &lock)?;
    }
    Ok(out)
}

/// What the API records on a cluster beside its manifest (tags, settings, configuration),
/// changed by `change` under the lock; written only when it changes something. The
/// `default` cluster, or one that only its services name, gets a record the first time.
pub fn change_cluster(
    session: &Session,
    name: &str,
    change: impl FnOnce(&mut ClusterRecord),
    lock_timeout: Duration,
) -> OpsResult<ClusterRecord> {
    let store = &session.store;
    let lock = store.lock_state(lock_timeout)?;
    let mut state = store
        .read_state()?
        .unwrap_or_else(|| State::empty(crate::ids::new_lineage()));
    resolve::cluster(&state, name)?;
    let now = Timestamp::now();
    let spec = state.cluster_spec(name).unwrap_or_default();
    let existing = state.clusters.get(name).cloned();
    let mut record = existing
        .clone()
        .unwrap_or_else(|| ClusterRecord::new(spec, now));
    change(&mut record);
    let unchanged = match &existing {
        Some(old) => *old == record,
        None => record == ClusterRecord::new(record.spec.clone(), now),
    };
    if unchanged {
        return Ok(record);
    }
    record.updated_at = now;
    state.clusters.insert(name.to_string(), record.clone());
    state.serial += 1;
    store.write_state(&state, &lock)?;
    Ok(record)
}
