//! `ecsctl scale service/NAME N` and `ecsctl rollback service/NAME [--to REV]`: imperative
//! changes for the bad night. They are recorded in the state (and as events), so the next
//! `plan` shows them as drift from the manifests, which stay the source of truth: the next
//! `apply` returns to them unless the manifests change.

use std::collections::BTreeMap;

use anyhow::{Result, bail};
use clap::Args;

use super::converge::Expect;
use super::target::Target;
use super::{Context, Outcome, WaitArgs};
use crate::ids::{IdSource, RandomIds};
use crate::model::ecs::SchedulingStrategy;
use crate::model::names::TaskDefRef;
use crate::state::{Deployment, RevisionStatus, RolloutState, ServiceStatus, State};
use crate::time::Timestamp;

#[derive(Debug, Args)]
pub struct ScaleArgs {
    /// service/NAME (or NAME)
    pub target: String,
    /// The new desired count
    pub count: u32,
    #[command(flatten)]
    pub wait: WaitArgs,
}

#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// service/NAME (or NAME)
    pub target: String,
    /// The revision to return to (default: the last deployment that completed before this one)
    #[arg(long, value_name = "REVISION")]
    pub to: Option<u32>,
    #[command(flatten)]
    pub wait: WaitArgs,
}

fn service_name(target: &str) -> Result<String> {
    match target.parse::<Target>().map_err(|e| anyhow::anyhow!(e))? {
        Target::Service(name) => Ok(name),
        Target::Task(_) => bail!("only services can be scaled or rolled back: write service/NAME"),
    }
}

/// Read-modify-write of one service under the state lock; returns (cluster, expectation,
/// event, next state).
fn change<F>(cx: &Context, name: &str, args: &WaitArgs, f: F) -> Result<(String, Expect, State)>
where
    F: FnOnce(
        &State,
        &str,
        &mut crate::state::ServiceRecord,
        Timestamp,
    ) -> Result<(Expect, String)>,
{
    let store = cx.open_state_dir()?;
    let lock = store.lock_state(*args.lock_timeout)?;
    let Some(mut state) = store.read_state()? else {
        bail!("the state is empty: no service `{name}`");
    };
    let (cluster, _) = super::resolve::service(&state, name, args.cluster.as_deref())?;
    let snapshot = state.clone();
    let now = Timestamp::now();
    let Some(record) = state.service_mut(&cluster, name) else {
        bail!("no service `{name}` in cluster `{cluster}`");
    };
    if record.status != ServiceStatus::Active {
        bail!("service `{name}` is being deleted");
    }
    let (expect, event) = f(&snapshot, &cluster, record, now)?;
    record.updated_at = now;
    state.serial += 1;
    store.write_state(&state, &lock)?;
    drop(lock);
    super::apply::record_events(
        &store,
        &state,
        vec![(cluster.clone(), name.to_string(), event.clone())],
    )?;
    cx.out.note(&format!("{now}  {event}"));
    Ok((cluster, expect, state))
}

fn converge(
    cx: &Context,
    cluster: String,
    name: String,
    expect: Expect,
    args: &WaitArgs,
) -> Outcome {
    let mut expectations = BTreeMap::new();
    expectations.insert(cluster, [(name, expect)].into_iter().collect());
    args.converge(cx, &cx.open_state_dir()?, expectations)
}

pub fn scale(cx: &Context, args: ScaleArgs) -> Outcome {
    let name = service_name(&args.target)?;
    let count = args.count;
    let (cluster, expect, _) = change(cx, &name, &args.wait, |_, _, record, _| {
        if record.spec.scheduling_strategy == Some(SchedulingStrategy::Daemon) {
            bail!(
                "service `{name}` is a DAEMON service: it runs one task per host and has no count to scale"
            );
        }
        let from = record.desired_count;
        record.desired_count = count;
        record.spec.desired_count = Some(i32::try_from(count).unwrap_or(i32::MAX));
        Ok((
            Expect::Steady,
            format!(
                "(service {name}) desired count changed from {from} to {count} by `ecsctl scale`."
            ),
        ))
    })?;
    converge(cx, cluster, name, expect, &args.wait)
}

pub fn rollback(cx: &Context, args: RollbackArgs) -> Outcome {
    let name = service_name(&args.target)?;
    let store = cx.state_dir()?;
    let to = args.to;
    let (cluster, expect, _) = change(cx, &name, &args.wait, |state, cluster, record, now| {
        let current = record.task_definition.clone();
        let target: TaskDefRef = match to {
            Some(revision) => {
                let reference = TaskDefRef::pinned(current.family.clone(), revision);
                match state.revision(&reference) {
                    None => bail!(
                        "no revision {revision} of task definition `{}`",
                        current.family
                    ),
                    Some(r) if r.status == RevisionStatus::Inactive => {
                        cx.out.note(&format!(
                            "note: {reference} is INACTIVE (deregistered); running it anyway"
                        ));
                    }
                    Some(_) => {}
                }
                reference
            }
            None => {
                let runtime = store.read_runtime(cluster)?;
                let progress = runtime.services.get(&name);
                let completed = |d: &&&Deployment| {
                    progress
                        .and_then(|p| p.deployments.get(&d.id))
                        .is_some_and(|p| p.rollout_state == RolloutState::Completed)
                };
                let earlier: Vec<&Deployment> = record
                    .deployments
                    .iter()
                    .skip(1)
                    .filter(|d| d.task_definition != current)
                    .collect();
                match earlier.iter().find(completed).or(earlier.first()) {
                    Some(d) => d.task_definition.clone(),
                    None => bail!(
                        "service `{name}` has no earlier revision to roll back to; use --to REVISION"
                    ),
                }
            }
        };
        if target == current {
            bail!("service `{name}` already runs {current}");
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
        ))
    })?;
    converge(cx, cluster, name, expect, &args.wait)
}
