//! The reconciler's part in auto scaling: read the watched services' counters, evaluate the
//! alarms over both meters, let [`crate::reconcile::scaling::decide`] choose new desired
//! counts, and record them in the state (under its lock, as `ecsctl scale` does) with their
//! events and scaling activities.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{Context as _, Result};

use super::Reconciler;
use crate::controller::{record, usage};
use crate::model::alarm::AlarmSpec;
use crate::model::scaling::{ScalableTargetSpec, ScalingPolicySpec};
use crate::reconcile::alarm::{Meters, evaluate_all};
use crate::reconcile::scaling::{self, Activity, ScalingInput};
use crate::state::{
    MAX_SCALING_ACTIVITIES, ObjectRecord, Runtime, ScalingActivity, ServiceStatus, State,
};
use crate::time::Timestamp;

/// One cluster's specs of a scoped kind.
fn specs<T: Clone>(
    records: &BTreeMap<String, BTreeMap<String, ObjectRecord<T>>>,
    cluster: &str,
) -> BTreeMap<String, T> {
    records
        .get(cluster)
        .map(|objects| {
            objects
                .iter()
                .map(|(name, r)| (name.clone(), r.spec.clone()))
                .collect()
        })
        .unwrap_or_default()
}

/// The cluster's alarms and scaling objects, as this pass read them.
pub(super) struct Watched {
    alarms: BTreeMap<String, AlarmSpec>,
    targets: BTreeMap<String, ScalableTargetSpec>,
    policies: BTreeMap<String, ScalingPolicySpec>,
}

impl Watched {
    pub(super) fn of(state: &State, cluster: &str) -> Self {
        Watched {
            alarms: specs(&state.alarms, cluster),
            targets: specs(&state.scalable_targets, cluster),
            policies: specs(&state.scaling_policies, cluster),
        }
    }

    /// How soon the next pass must look (a fifth of the shortest period).
    pub(super) fn poll(&self) -> Option<Duration> {
        scaling::poll_interval(self.alarms.values(), self.policies.values())
    }
}

impl Reconciler {
    /// Reads the counters of the services whose CPU or memory is watched.
    pub(super) async fn meter_usage(&mut self, state: &State, watched: &Watched, now: Timestamp) {
        let services =
            scaling::metered_services(watched.alarms.values(), watched.policies.values());
        if services.is_empty() {
            return;
        }
        let reads = usage::read(&self.slots, state, &services).await;
        self.usage.observe(now, &reads);
    }

    fn meters(&self) -> Meters<'_> {
        Meters {
            traffic: &self.meter,
            usage: &self.usage,
        }
    }

    /// Evaluates the cluster's alarms over the meters and records states that changed (with
    /// their reasons) in the runtime record, before this pass decides with them.
    pub(super) fn evaluate_alarms(
        &self,
        state: &State,
        watched: &Watched,
        runtime: &mut Runtime,
        now: Timestamp,
    ) -> Result<()> {
        if watched.alarms.is_empty() && runtime.alarms.is_empty() {
            return Ok(());
        }
        let evaluated = evaluate_all(&watched.alarms, self.meters(), &runtime.alarms, now);
        if evaluated != runtime.alarms {
            for (name, record) in &evaluated {
                if runtime
                    .alarms
                    .get(name)
                    .is_none_or(|r| r.state != record.state)
                {
                    tracing::info!(alarm = %name, state = record.state.as_str(), reason = %record.reason, "alarm changed state");
                }
            }
            let fresh = evaluated.clone();
            self.store
                .update_runtime(&self.cluster, &state.lineage, |r| r.alarms = fresh)?;
            runtime.alarms = evaluated;
        }
        Ok(())
    }

    /// Decides and records new desired counts. Returns the state to decide the rest of the
    /// pass with (re-read when a count changed).
    pub(super) fn autoscale(
        &mut self,
        state: State,
        watched: &Watched,
        runtime: &mut Runtime,
        now: Timestamp,
    ) -> Result<State> {
        if watched.targets.is_empty() && runtime.scaling.is_empty() {
            return Ok(state);
        }
        let desired: BTreeMap<String, u32> = state
            .services
            .get(&self.cluster)
            .map(|services| {
                services
                    .iter()
                    .filter(|(_, r)| {
                        r.status == ServiceStatus::Active && !r.effective().is_daemon()
                    })
                    .map(|(name, r)| (name.clone(), r.desired_count))
                    .collect()
            })
            .unwrap_or_default();
        let decision = scaling::decide(&ScalingInput {
            now,
            targets: &watched.targets,
            policies: &watched.policies,
            alarms: &watched.alarms,
            alarm_states: &runtime.alarms,
            desired: &desired,
            meters: self.meters(),
            memory: &runtime.scaling,
        });
        let mut memory = decision.memory;
        let applied = if decision.activities.is_empty() {
            Vec::new()
        } else {
            self.set_desired_counts(&decision.activities, now)?
        };
        for a in &applied {
            tracing::info!(service = %a.service, from = a.from, to = a.to, "{}", a.cause);
            if let Some(m) = memory.get_mut(&a.target) {
                m.activities.push_back(ScalingActivity {
                    at: now,
                    from: a.from,
                    to: a.to,
                    cause: a.cause.clone(),
                });
                while m.activities.len() > MAX_SCALING_ACTIVITIES {
                    m.activities.pop_front();
                }
            }
        }
        if memory != runtime.scaling || !applied.is_empty() {
            let ids = &mut self.ids;
            let fresh = memory.clone();
            self.store
                .update_runtime(&self.cluster, &state.lineage, |r| {
                    r.scaling = fresh;
                    for a in &applied {
                        let service = r.services.entry(a.service.clone()).or_default();
                        record::push_event(service, a.event(), now, ids);
                    }
                })?;
            runtime.scaling = memory;
        }
        if applied.is_empty() {
            return Ok(state);
        }
        Ok(self.store.read_state()?.unwrap_or(state))
    }

    /// Writes the new counts of services whose count is still the one decided from (a
    /// command may have changed it since the pass read the state).
    fn set_desired_counts(&self, activities: &[Activity], now: Timestamp) -> Result<Vec<Activity>> {
        let lock = self
            .store
            .lock_state(Duration::from_secs(10))
            .context("recording a scaling activity")?;
        let Some(mut state) = self.store.read_state()? else {
            return Ok(Vec::new());
        };
        let mut applied = Vec::new();
        for a in activities {
            let Some(record) = state.service_mut(&self.cluster, &a.service) else {
                continue;
            };
            if record.status != ServiceStatus::Active || record.desired_count != a.from {
                continue;
            }
            record.desired_count = a.to;
            record.spec.desired_count = Some(i32::try_from(a.to).unwrap_or(i32::MAX));
            record.updated_at = now;
            applied.push(a.clone());
        }
        if !applied.is_empty() {
            state.serial += 1;
            self.store.write_state(&state, &lock)?;
        }
        Ok(applied)
    }
}
