//! What every manifest-reading command does first: load and check `-f PATH...` against what
//! the state knows, then (for plan/apply) compute the plan, reporting state-level problems at
//! the manifest that causes them.

use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::model::load::{Loaded, load};
use crate::model::node::DocPath;
use crate::model::normalize::Desired;
use crate::model::validate::Known;
use crate::plan::compute::PlanError;
use crate::plan::{ObjectKind, Plan, compute};
use crate::state::State;

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
    }
    known
}

/// Loads and checks manifests. `None` when there were errors (already collected).
pub fn load_checked(
    files: &[String],
    state: Option<&State>,
    out: &mut Diagnostics,
) -> Option<Loaded> {
    let loaded = load(files, &known(state), out);
    if out.has_errors() {
        return None;
    }
    if loaded.set.is_empty() {
        out.push(
            Diagnostic::error("no manifests found").with_help("pass files or directories with -f"),
        );
        return None;
    }
    Some(loaded)
}

/// Computes the plan for loaded manifests; plan errors become diagnostics at their manifest.
pub fn plan_for(
    loaded: &Loaded,
    state: Option<&State>,
    prune: bool,
    out: &mut Diagnostics,
) -> Option<Plan> {
    let desired = Desired::from_set(&loaded.set);
    match compute(state, &desired, prune, env!("CARGO_PKG_VERSION")) {
        Ok(plan) => Some(plan),
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
    };
    let path = error
        .field
        .map_or_else(DocPath::root, |f| DocPath::root().key(f));
    Diagnostic::error(error.message)
        .at_opt(origin.map(|o| o.locate(&path)))
        .with_help_opt(error.help)
}
