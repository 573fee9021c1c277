//! Drift in a pass: judged by [`crate::controller::drift`] on what the pass observed, then
//! recorded in the runtime (known tasks, a Drift section for `describe service`, one event
//! per item). With self-heal (the default) the tasks changed, replaced or started by hand
//! get a stop reason, so the service scheduler replaces them, and tasks removed or stopped by
//! hand are replaced as any lost task; with `--no-self-heal` nothing is corrected: the tasks
//! removed or stopped by hand are held (returned here, the scheduler neither replaces nor
//! counts them).

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Result;

use super::{PassReport, Reconciler};
use crate::controller::drift::{self, Seen};
use crate::controller::record;
use crate::reconcile::cluster::InFlight;
use crate::reconcile::drift::{self as judge, DriftItem};
use crate::reconcile::task::ObservedTask;
use crate::state::{Runtime, State, StopReason};
use crate::time::Timestamp;

/// The tasks each service holds out of service (`--no-self-heal`).
pub type Held = BTreeMap<String, BTreeSet<String>>;

impl Reconciler {
    pub(super) fn judge_drift(
        &mut self,
        state: &State,
        runtime: &mut Runtime,
        in_flight: &InFlight,
        now: Timestamp,
        report: &mut PassReport,
    ) -> Result<Held> {
        let observations: Vec<_> = self
            .slots
            .values()
            .filter(|s| s.failing_since.is_none())
            .filter_map(|s| Some((s.name.clone(), s.last_observation.clone()?)))
            .collect();
        let answered: BTreeSet<String> = observations.iter().map(|(n, _)| n.clone()).collect();
        let observed: Vec<ObservedTask> = observations
            .iter()
            .flat_map(|(_, o)| o.tasks.iter().cloned())
            .collect();
        let configs = observations
            .iter()
            .flat_map(|(_, o)| o.configs.clone())
            .collect();
        let holders: Vec<_> = observations
            .iter()
            .flat_map(|(_, o)| o.port_holders.iter().cloned())
            .collect();
        let busy: BTreeSet<String> = in_flight
            .launching
            .keys()
            .chain(&in_flight.stopping)
            .chain(&in_flight.removing)
            .chain(&in_flight.removed)
            .cloned()
            .collect();
        let seen = Seen {
            observed: &observed,
            configs: &configs,
            answered: &answered,
            port_holders: &holders,
            busy: &busy,
        };
        let self_heal = self.options.self_heal;
        let items = drift::detect(state, runtime, &self.cluster, &seen);
        let known = drift::remember(state, runtime, &self.cluster, &seen, &items, self_heal);
        let before = runtime.clone();
        let ids = &mut self.ids;
        let cluster = self.cluster.clone();
        let mut apply = |runtime: &mut Runtime| {
            let mut said = Vec::new();
            for (service, tasks) in &known {
                if state.service(&cluster, service).is_none() {
                    continue;
                }
                let rt = runtime.services.entry(service.clone()).or_default();
                rt.known_tasks = tasks.clone();
                let mine: Vec<&DriftItem> =
                    items.iter().filter(|i| i.service == *service).collect();
                let (records, events) = judge::record(&rt.drift, &mine, self_heal, now);
                rt.drift = records;
                for event in events {
                    record::push_event(rt, event.clone(), now, ids);
                    said.push(event);
                }
                if self_heal {
                    for item in mine.iter().filter(|i| i.replaces_task()) {
                        if let Some(task) = &item.task {
                            rt.stop_reasons.entry(task.clone()).or_insert_with(|| {
                                StopReason::intentional(format!("Task drifted: {}", item.kind))
                            });
                        }
                    }
                }
            }
            said
        };
        apply(runtime);
        if *runtime != before {
            let lineage = state.lineage.clone();
            let said = self.store.update_runtime(&cluster, &lineage, apply)?;
            report.drift_events.extend(said);
        }
        Ok(if self_heal {
            Held::new()
        } else {
            judge::held(&items)
        })
    }
}
