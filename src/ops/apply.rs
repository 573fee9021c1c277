//! `apply`: lock the state, plan, write the next state, record the events, and say what the
//! touched services must reach. The one home of "lock → plan → apply → write → record",
//! used by `apply -f`, `apply PLANFILE`, `watch` (on file changes) and `delete`.
//!
//! Applying is two steps so that a front end can show the plan and ask before anything is
//! written: [`prepare_files`] / [`prepare_saved`] hold the lock and return the plan;
//! [`commit`] writes it. Dropping a [`Pending`] releases the lock and changes nothing.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use anyhow::Context as _;

use super::error::{OpsError, OpsResult};
use super::manifests::{Inputs, plan_against};
use super::session::Session;
use crate::diagnostics::Diagnostics;
use crate::ids::{IdSource, RandomIds};
use crate::plan::apply::apply_owned;
use crate::plan::{Action, ObjectKind, PLAN_FORMAT_VERSION, Plan};
use crate::reconcile::converge::Expect;
use crate::state::backend::StateLock;
use crate::state::backend::Store;
use crate::state::{Event, State};
use crate::time::Timestamp;

/// What each cluster's services must reach: cluster → service → expectation.
pub type Expectations = BTreeMap<String, BTreeMap<String, Expect>>;

/// A plan made under the state lock, not yet written.
pub struct Pending {
    lock: StateLock,
    pub state: Option<State>,
    pub plan: Plan,
    /// Warnings of loading the manifests (none for a saved plan).
    pub diagnostics: Diagnostics,
}

/// What an apply wrote.
pub struct Applied {
    pub plan: Plan,
    /// The state after the apply (`None`: nothing was ever applied and nothing changed).
    pub next: Option<State>,
    /// What the touched services must reach for the apply to be done.
    pub expectations: Expectations,
}

/// Locks the state and plans `files` against it.
pub fn prepare_files(
    session: &Session,
    files: &[String],
    prune: bool,
    lock_timeout: Duration,
) -> OpsResult<Pending> {
    prepare(session, Inputs::Paths(files), prune, lock_timeout)
}

/// Locks the state and plans the manifests against it.
pub fn prepare(
    session: &Session,
    inputs: Inputs<'_>,
    prune: bool,
    lock_timeout: Duration,
) -> OpsResult<Pending> {
    let lock = session.store.lock_state(lock_timeout)?;
    let planned = plan_against(session.store.read_state()?, inputs, prune)?;
    Ok(Pending {
        lock,
        state: planned.state,
        plan: planned.plan,
        diagnostics: planned.diagnostics,
    })
}

/// Locks the state and reads a plan saved by `plan --out`; [`commit`] refuses it if the state
/// moved since.
pub fn prepare_saved(session: &Session, path: &Path, lock_timeout: Duration) -> OpsResult<Pending> {
    let lock = session.store.lock_state(lock_timeout)?;
    let state = session.store.read_state()?;
    Ok(Pending {
        lock,
        state,
        plan: read_plan(path)?,
        diagnostics: Diagnostics::new(),
    })
}

/// A plan computed by the caller (delete) under a lock it took.
pub fn pending(lock: StateLock, state: State, plan: Plan) -> Pending {
    Pending {
        lock,
        state: Some(state),
        plan,
        diagnostics: Diagnostics::new(),
    }
}

/// A plan computed by the caller under a lock it took, over a state that may not exist yet
/// (the ECS API's writes).
pub fn pending_on(lock: StateLock, state: Option<State>, plan: Plan) -> Pending {
    Pending {
        lock,
        state,
        plan,
        diagnostics: Diagnostics::new(),
    }
}

/// Writes the plan (when it changes anything) and records its events.
pub fn commit(session: &Session, pending: Pending) -> OpsResult<Applied> {
    let Pending {
        lock, state, plan, ..
    } = pending;
    if !plan.has_changes() {
        drop(lock);
        let expectations = state
            .as_ref()
            .map(|s| expectations(&plan, s))
            .unwrap_or_default();
        return Ok(Applied {
            plan,
            next: state,
            expectations,
        });
    }
    let (next, events) = apply_owned(state, &plan, Timestamp::now(), &mut RandomIds)?;
    session.store.write_state(&next, &lock)?;
    drop(lock);
    record_events(&session.store, &next, events)?;
    Ok(Applied {
        expectations: expectations(&plan, &next),
        plan,
        next: Some(next),
    })
}

/// Plans and writes without asking: what `watch` does when files change.
pub fn apply_files(
    session: &Session,
    files: &[String],
    prune: bool,
    lock_timeout: Duration,
) -> OpsResult<(Applied, Diagnostics)> {
    let mut pending = prepare_files(session, files, prune, lock_timeout)?;
    let diagnostics = std::mem::take(&mut pending.diagnostics);
    Ok((commit(session, pending)?, diagnostics))
}

/// What each touched service must reach: its new deployment completed, steady, or gone.
/// Without changes, every active service of the manifests' clusters must be steady.
fn expectations(plan: &Plan, next: &State) -> Expectations {
    let mut out = Expectations::new();
    for change in &plan.changes {
        if change.object.kind != ObjectKind::Service {
            continue;
        }
        let cluster = change.object.cluster.clone().unwrap_or_default();
        let name = change.object.name.clone();
        let expect = match (change.action, &change.deployment) {
            (Action::Delete, _) => Expect::Gone,
            (_, Some(_)) => next
                .service(&cluster, &name)
                .and_then(|r| r.primary())
                .map_or(Expect::Steady, |d| Expect::Deployment(d.id.clone())),
            _ => Expect::Steady,
        };
        out.entry(cluster).or_default().insert(name, expect);
    }
    if plan.changes.is_empty() {
        for (cluster, services) in &plan.desired.services {
            for name in services.keys() {
                out.entry(cluster.clone())
                    .or_default()
                    .insert(name.clone(), Expect::Steady);
            }
        }
    }
    for cluster in plan.desired.clusters.keys() {
        out.entry(cluster.clone()).or_default();
    }
    out
}

fn read_plan(path: &Path) -> OpsResult<Plan> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the plan file `{}`", path.display()))?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("`{}` is not a plan file (invalid JSON)", path.display()))?;
    let version = value
        .get("formatVersion")
        .and_then(serde_json::Value::as_u64);
    if version != Some(u64::from(PLAN_FORMAT_VERSION)) {
        return Err(OpsError::invalid(format!(
            "`{}` is not a plan file of this ecsctl (format {}, expected {PLAN_FORMAT_VERSION})",
            path.display(),
            version.map_or_else(|| "none".to_string(), |v| v.to_string())
        )));
    }
    Ok(serde_json::from_value(value)
        .with_context(|| format!("reading the plan file `{}`", path.display()))?)
}

/// Appends events (cluster, service, message) to each cluster's runtime record.
pub fn record_events(
    store: &Store,
    state: &State,
    events: Vec<(String, String, String)>,
) -> anyhow::Result<()> {
    let mut by_cluster: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for (cluster, service, message) in events {
        by_cluster
            .entry(cluster)
            .or_default()
            .push((service, message));
    }
    let now = Timestamp::now();
    for (cluster, events) in by_cluster {
        store.update_runtime(&cluster, &state.lineage, |runtime| {
            let mut ids = RandomIds;
            for (service, message) in events {
                runtime
                    .services
                    .entry(service)
                    .or_default()
                    .push_event(Event {
                        id: ids.event_id(),
                        created_at: now,
                        message,
                        by_command: true,
                    });
            }
        })?;
    }
    Ok(())
}
