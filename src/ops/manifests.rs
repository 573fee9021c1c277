//! What every manifest-reading operation does first: load and check the files against what
//! the state knows, then (for plan/apply) compute the plan, reporting state-level problems at
//! the manifest that causes them.

use std::sync::Arc;

use crate::controller::registry_auth;
use crate::diagnostics::{Diagnostic, Diagnostics, SourceFile};
use crate::model::load::{Loaded, analyze, load};
use crate::model::node::DocPath;
use crate::model::normalize::Desired;
use crate::model::validate::{Known, ManifestSet};
use crate::plan::compute::{PlanError, compute_owned};
use crate::plan::{Action, ObjectKind, Plan, compute};
use crate::registry::{self, LoadedConfig};
use crate::state::State;

use super::error::{OpsError, OpsResult};
use super::session::Session;

pub fn known(state: Option<&State>) -> Known {
    let mut known = Known::default();
    if let Some(state) = state {
        known.clusters = state.cluster_names();
        known.families = state
            .task_definitions
            .iter()
            .filter(|(_, f)| f.latest_active().is_some())
            .map(|(name, _)| name.clone())
            .collect();
        known.target_groups = state
            .target_groups
            .iter()
            .flat_map(|(c, groups)| groups.keys().map(move |n| (c.clone(), n.clone())))
            .collect();
        known.alarms = state
            .alarms
            .iter()
            .flat_map(|(c, alarms)| alarms.keys().map(move |n| (c.clone(), n.clone())))
            .collect();
        known.services = state
            .services
            .iter()
            .flat_map(|(c, services)| {
                services
                    .iter()
                    .filter(|(_, r)| r.status == crate::state::ServiceStatus::Active)
                    .map(move |(n, _)| (c.clone(), n.clone()))
            })
            .collect();
        known.scaled_services = state
            .scalable_targets
            .iter()
            .flat_map(|(c, targets)| {
                targets
                    .values()
                    .filter_map(move |t| Some((c.clone(), t.spec.service_name()?.to_string())))
            })
            .collect();
        known.scaling_policies = state
            .scaling_policies
            .iter()
            .flat_map(|(c, policies)| policies.keys().map(move |n| (c.clone(), n.clone())))
            .collect();
        known.capacity_providers = state
            .clusters
            .iter()
            .map(|(name, c)| {
                let providers = c.spec.capacity_providers.iter();
                (
                    name.clone(),
                    providers.filter_map(|p| p.name.clone()).collect(),
                )
            })
            .collect();
    }
    known
}

/// Where manifests are read from: paths given with `-f`, or files already in memory (the
/// commit of a Git source).
#[derive(Clone, Copy)]
pub enum Inputs<'a> {
    Paths(&'a [String]),
    Files(&'a [Arc<SourceFile>]),
}

/// Loads and checks manifests. `None` when there were errors (already collected).
pub fn load_checked(
    inputs: Inputs<'_>,
    state: Option<&State>,
    out: &mut Diagnostics,
) -> Option<Loaded> {
    let loaded = match inputs {
        Inputs::Paths(paths) => load(paths, &known(state), out),
        Inputs::Files(files) => {
            let (set, ignored) = analyze(files, &known(state), out);
            Loaded {
                set,
                ignored,
                files: files.to_vec(),
            }
        }
    };
    if out.has_errors() {
        return None;
    }
    if loaded.set.is_empty() {
        out.push(
            Diagnostic::error("no manifests found").with_help("pass files or directories with -f"),
        );
        return None;
    }
    check_pull_credentials(&loaded.set, out);
    Some(loaded)
}

/// Warns about pulls that will go anonymous to a private-looking registry, and about a
/// Docker config that cannot be read.
fn check_pull_credentials(set: &ManifestSet, out: &mut Diagnostics) {
    match docker_config() {
        Ok(config) => registry::warn_anonymous_pulls(set, config.as_ref(), out),
        Err(e) => out.push(Diagnostic::warning(e).with_help(
            "pulls that take credentials from it will fail with ResourceInitializationError",
        )),
    }
}

/// The Docker client config of the user running ecsctl (where pull credentials are read).
fn docker_config() -> Result<Option<LoadedConfig>, String> {
    registry_auth::load_config(&|name| std::env::var(name).ok())
}

/// Names each task definition's registry credential sources in the plan.
fn with_registry_credentials(plan: &mut Plan, set: &ManifestSet) {
    let Ok(config) = docker_config() else {
        return;
    };
    for change in &mut plan.changes {
        if change.object.kind != ObjectKind::TaskDefinition || change.action == Action::Delete {
            continue;
        }
        if let Some(m) = set.task_definitions.get(&change.object.name) {
            change.registry_credentials =
                registry::notable_uses(&m.spec.container_definitions, config.as_ref());
        }
    }
}

/// Computes the plan for loaded manifests; plan errors become diagnostics at their manifest.
pub fn plan_for(
    loaded: &Loaded,
    state: Option<&State>,
    prune: bool,
    out: &mut Diagnostics,
) -> Option<Plan> {
    let desired = Desired::from_set(&loaded.set);
    match compute_owned(state, desired, prune, env!("CARGO_PKG_VERSION")) {
        Ok(mut plan) => {
            with_registry_credentials(&mut plan, &loaded.set);
            Some(plan)
        }
        Err(errors) => {
            for error in errors {
                out.push(locate(loaded, error));
            }
            None
        }
    }
}

fn locate(loaded: &Loaded, error: PlanError) -> Diagnostic {
    let set = &loaded.set;
    let object = &error.object;
    let origin = match object.kind {
        ObjectKind::Cluster => set.clusters.get(&object.name).map(|m| &m.origin),
        ObjectKind::TaskDefinition => set.task_definitions.get(&object.name).map(|m| &m.origin),
        ObjectKind::Service => object
            .cluster
            .as_ref()
            .and_then(|c| set.services.get(&(c.clone(), object.name.clone())))
            .map(|s| &s.manifest.origin),
        ObjectKind::TargetGroup => object
            .cluster
            .as_ref()
            .and_then(|c| set.target_groups.get(&(c.clone(), object.name.clone())))
            .map(|t| &t.manifest.origin),
        ObjectKind::ScheduledTask => object
            .cluster
            .as_ref()
            .and_then(|c| set.scheduled_tasks.get(&(c.clone(), object.name.clone())))
            .map(|t| &t.manifest.origin),
        ObjectKind::Alarm => object
            .cluster
            .as_ref()
            .and_then(|c| set.alarms.get(&(c.clone(), object.name.clone())))
            .map(|t| &t.manifest.origin),
        ObjectKind::ScalableTarget => object
            .cluster
            .as_ref()
            .and_then(|c| set.scalable_targets.get(&(c.clone(), object.name.clone())))
            .map(|t| &t.manifest.origin),
        ObjectKind::ScalingPolicy => object
            .cluster
            .as_ref()
            .and_then(|c| set.scaling_policies.get(&(c.clone(), object.name.clone())))
            .map(|t| &t.manifest.origin),
        ObjectKind::LoadBalancer => object
            .cluster
            .as_ref()
            .and_then(|c| set.load_balancers.get(&(c.clone(), object.name.clone())))
            .map(|l| &l.manifest.origin),
    };
    let path = error
        .field
        .map_or_else(DocPath::root, |f| DocPath::root().key(f));
    Diagnostic::error(error.message)
        .at_opt(origin.map(|o| o.locate(&path)))
        .with_help_opt(error.help)
}

/// The plan of the manifests against the state, with the warnings of loading them. Read-only:
/// no lock, no Docker, no state directory is created.
pub struct Planned {
    pub state: Option<State>,
    pub plan: Plan,
    /// Warnings (errors come back as [`OpsError::InvalidManifests`]).
    pub diagnostics: Diagnostics,
}

/// Loads, checks and plans the manifests against `state`.
pub fn plan_against(state: Option<State>, inputs: Inputs<'_>, prune: bool) -> OpsResult<Planned> {
    let mut diagnostics = Diagnostics::new();
    let plan = load_checked(inputs, state.as_ref(), &mut diagnostics)
        .and_then(|loaded| plan_for(&loaded, state.as_ref(), prune, &mut diagnostics));
    match plan {
        Some(plan) => Ok(Planned {
            state,
            plan,
            diagnostics,
        }),
        None => Err(OpsError::InvalidManifests(diagnostics)),
    }
}

/// `ecsctl plan`: the manifests against the recorded state.
pub fn plan(session: &Session, files: &[String], prune: bool) -> OpsResult<Planned> {
    plan_against(session.store.read_state()?, Inputs::Paths(files), prune)
}

/// What `validate` found: the objects the files define, and every diagnostic.
pub struct Validated {
    pub files: usize,
    pub clusters: usize,
    pub task_definitions: usize,
    pub services: usize,
    pub target_groups: usize,
    pub load_balancers: usize,
    pub scheduled_tasks: usize,
    pub diagnostics: Diagnostics,
}

impl Validated {
    pub fn valid(&self) -> bool {
        !self.diagnostics.has_errors()
    }
}

/// `ecsctl validate`: parse and check manifests on their own (no state, no Docker).
pub fn validate(files: &[String]) -> Validated {
    let mut diagnostics = Diagnostics::new();
    let loaded = load(files, &Known::default(), &mut diagnostics);
    let set = &loaded.set;
    if !diagnostics.has_errors() {
        check_pull_credentials(set, &mut diagnostics);
    }
    Validated {
        files: loaded.files.len(),
        clusters: set.clusters.len(),
        task_definitions: set.task_definitions.len(),
        services: set.services.len(),
        target_groups: set.target_groups.len(),
        load_balancers: set.load_balancers.len(),
        scheduled_tasks: set.scheduled_tasks.len(),
        diagnostics,
    }
}

/// Plans `desired` against `state` for an operation that changes recorded objects (delete,
/// deploy, the API's writes): plan errors have no manifest to point at, so they become
/// diagnostics naming the field.
pub fn plan_recorded(state: Option<&State>, desired: &Desired, prune: bool) -> OpsResult<Plan> {
    compute(state, desired, prune, env!("CARGO_PKG_VERSION")).map_err(|errors| {
        let mut diagnostics = Diagnostics::new();
        for e in errors {
            let message = match e.field {
                Some(field) => format!("{field}: {}", e.message),
                None => e.message,
            };
            diagnostics.push(Diagnostic::error(message).with_help_opt(e.help));
        }
        OpsError::InvalidManifests(diagnostics)
    })
}
