//! `ecsctl delete service NAME` and `ecsctl delete -f PATH...`: remove objects. Services are
//! drained first (their tasks stopped), then forgotten; task definitions are deregistered
//! (their revisions stay readable, INACTIVE); clusters are forgotten.
//!
//! A deletion is a plan like any other: the desired objects are the recorded ones minus
//! those named, applied with pruning.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Result, bail};
use clap::{Args, ValueEnum};

use super::converge::Expect;
use super::manifests::known;
use super::{Context, Outcome, WaitArgs, exit};
use crate::diagnostics::Diagnostics;
use crate::ids::RandomIds;
use crate::model::load::load;
use crate::model::normalize::Desired;
use crate::plan::render::render;
use crate::plan::{Action, ObjectKind, ObjectRef, apply, compute};
use crate::state::{ServiceStatus, State};
use crate::time::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    Service,
}

#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// What to delete (`service`), when not deleting by manifests
    #[arg(value_enum, requires = "name", conflicts_with = "files")]
    pub kind: Option<Kind>,
    /// Its name
    pub name: Option<String>,
    /// Delete the objects these manifests define
    #[arg(short = 'f', long = "filename", value_name = "PATH")]
    pub files: Vec<String>,
    #[command(flatten)]
    pub wait: WaitArgs,
}

/// The state's objects, as desired objects (what applying them again would keep).
fn recorded(state: &State) -> Desired {
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
    desired
}

/// What the manifests name: the objects to delete.
fn named_by_manifests(
    cx: &Context,
    files: &[String],
    state: &State,
) -> Result<Option<BTreeSet<ObjectRef>>> {
    let mut diagnostics = Diagnostics::new();
    let loaded = load(files, &known(Some(state)), &mut diagnostics);
    cx.out.diagnostics(&diagnostics);
    if diagnostics.has_errors() {
        return Ok(None);
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
    Ok(Some(named))
}

pub fn run(cx: &Context, args: DeleteArgs) -> Outcome {
    if args.kind.is_none() && args.files.is_empty() {
        bail!("say what to delete: `ecsctl delete service NAME` or `ecsctl delete -f PATH`");
    }
    let store = cx.open_state_dir()?;
    let lock = store.lock_state(*args.wait.lock_timeout)?;
    let Some(state) = store.read_state()? else {
        bail!("the state is empty: there is nothing to delete");
    };
    let named: BTreeSet<ObjectRef> = match (&args.kind, &args.name) {
        (Some(Kind::Service), Some(name)) => {
            let (cluster, _) = super::resolve::service(&state, name, args.wait.cluster.as_deref())?;
            [ObjectRef::service(&cluster, name)].into_iter().collect()
        }
        _ => match named_by_manifests(cx, &args.files, &state)? {
            Some(named) => named,
            None => return Ok(exit::ERROR),
        },
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
            ObjectKind::Service => {
                if let Some(services) = object
                    .cluster
                    .as_ref()
                    .and_then(|c| desired.services.get_mut(c))
                {
                    services.remove(&object.name);
                }
            }
        }
    }
    let plan = match compute(Some(&state), &desired, true, env!("CARGO_PKG_VERSION")) {
        Ok(plan) => plan,
        Err(errors) => {
            for e in errors {
                cx.out
                    .note(&format!("{}: {}", cx.out.paint_err.red("error"), e.message));
                if let Some(help) = e.help {
                    cx.out.note(&format!("  help: {help}"));
                }
            }
            return Ok(exit::ERROR);
        }
    };
    let missing: Vec<String> = named
        .iter()
        .filter(|o| !plan.changes.iter().any(|c| &c.object == *o))
        .map(ToString::to_string)
        .collect();
    for object in &missing {
        cx.out.note(&format!(
            "{object} is not in the state (or already deleted)"
        ));
    }
    if !plan.has_changes() {
        return Ok(exit::OK);
    }
    cx.out.print(&render(&plan, cx.out.paint));
    let (next, events) = apply(Some(&state), &plan, Timestamp::now(), &mut RandomIds)?;
    store.write_state(&next, &lock)?;
    drop(lock);
    super::apply::record_events(&store, &next, events)?;
    let mut expectations: BTreeMap<String, BTreeMap<String, Expect>> = BTreeMap::new();
    for change in plan
        .changes
        .iter()
        .filter(|c| c.action == Action::Delete && c.object.kind == ObjectKind::Service)
    {
        let cluster = change.object.cluster.clone().unwrap_or_default();
        expectations
            .entry(cluster)
            .or_default()
            .insert(change.object.name.clone(), Expect::Gone);
    }
    args.wait.converge(cx, &store, expectations)
}
