//! Assembles drift's input from what a pass (or `plan --refresh`) observed, so both judge
//! drift with one function, [`crate::reconcile::drift::detect`], on the same expected
//! container configuration (the launch's own request builder).

use std::collections::{BTreeMap, BTreeSet};

use crate::docker::container_spec;
use crate::model::names::TaskDefRef;
use crate::reconcile::drift::{self, DriftInput, DriftItem, LiveConfig, PortHolder};
use crate::reconcile::task::{ObservedContainer, ObservedTask};
use crate::state::{KnownTask, Runtime, State};

/// What was seen of a cluster's hosts.
pub struct Seen<'a> {
    pub observed: &'a [ObservedTask],
    pub configs: &'a BTreeMap<String, LiveConfig>,
    pub answered: &'a BTreeSet<String>,
    pub port_holders: &'a [PortHolder],
    /// Tasks ecsctl is launching, stopping or removing now.
    pub busy: &'a BTreeSet<String>,
}

/// Runs `f` on the drift input of `cluster`.
fn with_input<R>(
    state: &State,
    runtime: &Runtime,
    cluster: &str,
    seen: &Seen<'_>,
    f: impl FnOnce(&DriftInput<'_>) -> R,
) -> R {
    let services = state.services.get(cluster).cloned().unwrap_or_default();
    let spec_of = |r: &TaskDefRef| state.revision(r).map(|rev| &rev.spec);
    let lineage = state.lineage.clone();
    let expected = |task: &ObservedTask, c: &ObservedContainer| {
        let spec = state.revision(&task.task_definition).map(|r| &r.spec)?;
        container_spec::expected(&lineage, task, spec, &c.name)
    };
    let input = DriftInput {
        services: &services,
        task_definitions: &spec_of,
        runtime,
        observed: seen.observed,
        live: seen.configs,
        expected: &expected,
        answered: seen.answered,
        port_holders: seen.port_holders,
        busy: seen.busy,
    };
    f(&input)
}

/// The drift of `cluster`, sorted.
pub fn detect(state: &State, runtime: &Runtime, cluster: &str, seen: &Seen<'_>) -> Vec<DriftItem> {
    with_input(state, runtime, cluster, seen, drift::detect)
}

/// The known tasks of each service after this pass (see [`drift::remember`]).
pub fn remember(
    state: &State,
    runtime: &Runtime,
    cluster: &str,
    seen: &Seen<'_>,
    items: &[DriftItem],
    self_heal: bool,
) -> BTreeMap<String, BTreeMap<String, KnownTask>> {
    with_input(state, runtime, cluster, seen, |input| {
        drift::remember(input, items, self_heal)
    })
}
