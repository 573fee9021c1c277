//! The reconciler of one cluster: a pass observes every host (in parallel), assesses every
//! task, asks the pure deciders what to do, records what they decided, and starts the
//! operations. Operations run concurrently; their completion triggers the next pass. What is
//! under way is remembered so that no pass repeats it.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result, anyhow};
use tokio::task::JoinSet;

use super::hosts::{self, HostSlot};
use super::ops::{self, Done, LaunchPlan, Op};
use super::record;
use super::secrets;
use crate::docker::host::Observation;
use crate::docker::observe::Foreign;
use crate::docker::transport::Transport;
use crate::ids::{IdSource, RandomIds};
use crate::model::cluster::ClusterSpec;
use crate::model::ecs::TaskDefinitionSpec;
use crate::model::names::TaskDefRef;
use crate::reconcile::service::{
    self, Assessed, Counts, Decision, HostStatus, HostUsage, LaunchFailure, ServiceInput, Settings,
};
use crate::reconcile::task::{
    self, ContainerStep, DesiredStatus, ObservedTask, StopReason, TaskGroup, TaskState, TaskStatus,
};
use crate::state::store::StateDir;
use crate::state::{DeploymentProgress, RolloutState, ServiceStatus, State};
use crate::time::Timestamp;

#[derive(Clone, Debug)]
pub struct Options {
    /// Look at everything this often even without events.
    pub resync: Duration,
    /// A host that does not answer this long is UNREACHABLE: its tasks count as lost.
    pub host_grace: Duration,
    pub settings: Settings,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            resync: Duration::from_secs(30),
            host_grace: Duration::from_secs(30),
            settings: Settings::default(),
        }
    }
}

/// What a pass found for one service.
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceReport {
    pub name: String,
    pub status: ServiceStatus,
    pub counts: Counts,
    pub steady: bool,
    pub primary: Option<String>,
    pub task_definition: Option<TaskDefRef>,
    pub rollout: Option<RolloutState>,
    pub rollout_reason: Option<String>,
    pub rolled_back_to: Option<TaskDefRef>,
    pub forgotten: bool,
    pub events: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct HostReport {
    pub name: String,
    pub status: HostStatus,
    pub error: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct PassReport {
    pub services: BTreeMap<String, ServiceReport>,
    pub hosts: Vec<HostReport>,
    pub foreign: Vec<Foreign>,
    pub requeue_after: Option<Duration>,
    /// Operations started by this pass.
    pub started: usize,
}

pub struct Reconciler {
    store: StateDir,
    cluster: String,
    options: Options,
    slots: BTreeMap<String, HostSlot>,
    transport: Arc<dyn Transport>,
    ops: JoinSet<Done>,
    launching: BTreeMap<String, ObservedTask>,
    busy_containers: BTreeSet<String>,
    stopping: BTreeSet<String>,
    removing: BTreeSet<String>,
    removed: Vec<String>,
    launch_failures: BTreeMap<String, Vec<LaunchFailure>>,
    foreign_reported: BTreeSet<String>,
    ids: RandomIds,
    env: fn(&str) -> Option<String>,
}

fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

impl Reconciler {
    pub fn new(
        store: StateDir,
        cluster: &str,
        options: Options,
        transport: Arc<dyn Transport>,
    ) -> Self {
        Reconciler {
            store,
            cluster: cluster.to_string(),
            options,
            slots: BTreeMap::new(),
            transport,
            ops: JoinSet::new(),
            launching: BTreeMap::new(),
            busy_containers: BTreeSet::new(),
            stopping: BTreeSet::new(),
            removing: BTreeSet::new(),
            removed: Vec::new(),
            launch_failures: BTreeMap::new(),
            foreign_reported: BTreeSet::new(),
            ids: RandomIds,
            env: process_env,
        }
    }

    pub fn cluster(&self) -> &str {
        &self.cluster
    }

    pub fn options(&self) -> &Options {
        &self.options
    }

    /// Connected hosts, for event streams.
    pub fn connections(&self) -> Vec<Arc<crate::docker::host::DockerHost>> {
        self.slots.values().filter_map(|s| s.conn.clone()).collect()
    }

    /// True while operations are under way.
    pub fn busy(&self) -> bool {
        !self.ops.is_empty()
    }

    /// Waits for the next operation to finish and records its outcome.
    pub async fn next_done(&mut self) -> Option<()> {
        let done = self.ops.join_next().await?;
        match done {
            Ok(done) => self.finished(done),
            Err(e) => tracing::warn!("an operation panicked or was cancelled: {e}"),
        }
        Some(())
    }

    /// Records every operation that has already finished, without waiting.
    pub fn drain_done(&mut self) {
        while let Some(done) = self.ops.try_join_next() {
            match done {
                Ok(done) => self.finished(done),
                Err(e) => tracing::warn!("an operation panicked or was cancelled: {e}"),
            }
        }
    }

    fn finished(&mut self, done: Done) {
        match done {
            Done::Launched { task_id } => {
                self.launching.remove(&task_id);
            }
            Done::LaunchFailed {
                task_id,
                group,
                deployment,
                reason,
            } => {
                self.launching.remove(&task_id);
                tracing::info!(task = %task_id, "launch failed: {reason}");
                if let TaskGroup::Service(service) = group {
                    self.launch_failures
                        .entry(service)
                        .or_default()
                        .push(LaunchFailure {
                            task_id,
                            deployment: deployment.unwrap_or_default(),
                            reason,
                        });
                }
            }
            Done::Started {
                containers, error, ..
            } => {
                for id in containers {
                    self.busy_containers.remove(&id);
                }
                if let Some(error) = error {
                    tracing::warn!("starting containers: {error}");
                }
            }
            Done::Stopped {
                task_id,
                containers,
                error,
            } => {
                self.stopping.remove(&task_id);
                for id in containers {
                    self.busy_containers.remove(&id);
                }
                if let Some(error) = error {
                    tracing::warn!(task = %task_id, "stopping: {error}");
                }
            }
            Done::Removed { task_id, error } => {
                self.removing.remove(&task_id);
                match error {
                    None => self.removed.push(task_id),
                    Some(error) => tracing::warn!(task = %task_id, "removing: {error}"),
                }
            }
        }
    }

    fn sync_slots(&mut self, spec: &ClusterSpec, draining: &BTreeSet<String>) {
        let names: BTreeSet<String> = spec.hosts.iter().filter_map(|h| h.name.clone()).collect();
        self.slots.retain(|name, _| names.contains(name));
        for host in &spec.hosts {
            let Some(name) = host.name.clone() else {
                continue;
            };
            let slot = self
                .slots
                .entry(name.clone())
                .or_insert_with(|| HostSlot::new(host.clone()));
            if slot.spec != *host {
                *slot = HostSlot::new(host.clone());
            }
            slot.draining = draining.contains(&name);
        }
    }

    /// Connects where needed and observes every host, all at once.
    async fn observe(&mut self, lineage: &str, now: Timestamp) {
        let cluster = self.cluster.clone();
        let transport = self.transport.clone();
        let work = self.slots.values().map(|slot| {
            let conn = slot.conn.clone();
            let info = slot.info.clone();
            let cluster = cluster.clone();
            let lineage = lineage.to_string();
            let transport = transport.clone();
            async move {
                let attempt = async {
                    let (conn, info) = match (conn, info) {
                        (Some(conn), Some(info)) => (conn, info),
                        _ => hosts::connect(slot, transport.as_ref()).await?,
                    };
                    let observation = conn.observe(&cluster, &lineage).await?;
                    Ok::<_, anyhow::Error>((conn, info, observation))
                };
                let result = tokio::time::timeout(Duration::from_secs(15), attempt)
                    .await
                    .map_err(|_| anyhow!("no answer within 15 s"))
                    .and_then(|r| r);
                (slot.name.clone(), result)
            }
        });
        let results = futures_util::future::join_all(work).await;
        for (name, result) in results {
            let Some(slot) = self.slots.get_mut(&name) else {
                continue;
            };
            match result {
                Ok((conn, info, observation)) => {
                    slot.conn = Some(conn);
                    slot.info = Some(info);
                    slot.mark_ok(now, observation);
                }
                Err(e) => {
                    if slot.failing_since.is_none() {
                        tracing::warn!(host = %name, "host does not answer: {e:#}");
                    }
                    slot.mark_failed(now, format!("{e:#}"));
                }
            }
        }
    }

    /// One reconcile pass. Starts operations and returns what it saw.
    pub async fn pass(&mut self) -> Result<PassReport> {
        let now = Timestamp::now();
        let Some(state) = self.store.read_state()? else {
            return Ok(PassReport::default());
        };
        let cluster_spec = state
            .cluster_spec(&self.cluster)
            .ok_or_else(|| anyhow!("cluster `{}` is not in the state", self.cluster))?;
        let draining = state
            .clusters
            .get(&self.cluster)
            .map(|c| c.draining_hosts.clone())
            .unwrap_or_default();
        self.sync_slots(&cluster_spec, &draining);
        self.observe(&state.lineage, now).await;

        let grace = self.options.host_grace;
        let mut report = PassReport {
            hosts: self
                .slots
                .values()
                .map(|s| HostReport {
                    name: s.name.clone(),
                    status: s.status(now, grace),
                    error: s.last_error.clone(),
                })
                .collect(),
            ..PassReport::default()
        };
        let mut tasks: Vec<ObservedTask> = Vec::new();
        for slot in self.slots.values() {
            if let Some(observation) = &slot.last_observation {
                let Observation {
                    tasks: seen,
                    foreign,
                } = observation.as_ref();
                tasks.extend(seen.iter().cloned());
                report.foreign.extend(foreign.iter().cloned());
            }
        }
        for foreign in &report.foreign {
            if self.foreign_reported.insert(foreign.container.clone()) {
                tracing::warn!(
                    host = %foreign.host,
                    "container `{}` belongs to cluster `{}` of another state (lineage {}); it is left alone",
                    foreign.container,
                    self.cluster,
                    foreign.lineage
                );
            }
        }
        // A task still being created is its placeholder until the launch finishes, so that a
        // half-created task is not judged.
        tasks.retain(|t| !self.launching.contains_key(&t.id));
        tasks.extend(self.launching.values().cloned());
        let runtime = self.store.read_runtime(&self.cluster)?;
        let empty = crate::state::ServiceRuntime::default();
        let services = state
            .services
            .get(&self.cluster)
            .cloned()
            .unwrap_or_default();

        // Assess every task.
        let spec_of = |r: &TaskDefRef| state.revision(r).map(|rev| &rev.spec);
        let states: Vec<TaskState> = tasks
            .iter()
            .map(|t| {
                let (recorded, grace_until) = match &t.group {
                    TaskGroup::Service(name) => {
                        let recorded = runtime
                            .services
                            .get(name)
                            .and_then(|s| s.stop_reasons.get(&t.id));
                        let grace = services
                            .get(name)
                            .and_then(|r| r.spec.health_check_grace_period_seconds)
                            .and_then(|g| u64::try_from(g).ok())
                            .and_then(|g| t.started_at().map(|s| s.plus(Duration::from_secs(g))));
                        (recorded.cloned(), grace)
                    }
                    TaskGroup::Standalone(_) => (None, None),
                };
                let orphan =
                    matches!(&t.group, TaskGroup::Service(name) if !services.contains_key(name));
                let recorded =
                    recorded.or_else(|| orphan.then(|| StopReason::intentional("Service deleted")));
                task::assess(
                    t,
                    spec_of(&t.task_definition),
                    recorded.as_ref(),
                    grace_until,
                    now,
                )
            })
            .collect();

        // Container-level steps (dependencies, stopping what an essential exit stopped).
        let mut container_ops = Vec::new();
        for (t, st) in tasks.iter().zip(&states) {
            if t.containers.is_empty()
                || self.stopping.contains(&t.id)
                || self.removing.contains(&t.id)
            {
                continue;
            }
            if t.containers
                .iter()
                .any(|c| self.busy_containers.contains(&c.docker_id))
            {
                continue;
            }
            let Some(spec) = spec_of(&t.task_definition) else {
                continue;
            };
            match task::container_steps(t, spec, st) {
                Some(ContainerStep::Start(ids)) => container_ops.push((t.clone(), ids, false)),
                Some(ContainerStep::Stop(_)) => container_ops.push((t.clone(), Vec::new(), true)),
                None => {}
            }
        }

        // Service decisions.
        let host_views: Vec<service::HostInfo> = self
            .slots
            .values()
            .map(|s| s.scheduling_view(now, grace))
            .collect();
        let usage = usage(tasks.iter().zip(&states), &spec_of);
        let mut decisions: BTreeMap<String, Decision> = BTreeMap::new();
        let launch_failures = std::mem::take(&mut self.launch_failures);
        let settings = self.options.settings.clone();
        for (name, service_record) in &services {
            let lookup = |r: &TaskDefRef| state.revision(r).map(|rev| &rev.spec);
            let assessed: Vec<Assessed<'_>> = tasks
                .iter()
                .zip(&states)
                .filter(|(t, _)| t.group == TaskGroup::Service(name.clone()))
                .map(|(t, st)| Assessed {
                    task: t,
                    state: st.clone(),
                    stopping: self.stopping.contains(&t.id),
                })
                .collect();
            let failures = launch_failures.get(name).cloned().unwrap_or_default();
            let input = ServiceInput {
                name,
                record: service_record,
                runtime: runtime.services.get(name).unwrap_or(&empty),
                tasks: &assessed,
                hosts: &host_views,
                usage: &usage,
                task_definitions: &lookup,
                now,
                settings: &settings,
                launch_failures: &failures,
            };
            let decision = service::decide(&input, &mut self.ids);
            tracing::debug!(
                service = %name,
                tasks = assessed.len(),
                counts = ?decision.counts,
                starts = decision.starts.len(),
                stops = decision.stops.len(),
                steady = decision.steady,
                "decided"
            );
            for t in &assessed {
                tracing::trace!(task = %t.task.short_id(), state = ?t.state, stopping = t.stopping, "task");
            }
            decisions.insert(name.clone(), decision);
        }

        // Orphans (tasks of services no longer in the state) and stopped standalone tasks.
        let mut extra_removals: Vec<(String, String)> = Vec::new();
        for (t, st) in tasks.iter().zip(&states) {
            let orphan =
                matches!(&t.group, TaskGroup::Service(name) if !services.contains_key(name));
            let standalone = matches!(t.group, TaskGroup::Standalone(_));
            if (orphan || standalone)
                && st.last_status == TaskStatus::Stopped
                && !t.containers.is_empty()
            {
                let stopped_at = t.stopped_at().unwrap_or(t.created_at);
                let expired = now.since(stopped_at) >= self.options.settings.task_retention;
                if orphan || expired {
                    extra_removals.push((t.id.clone(), t.host.clone()));
                }
            }
        }

        self.record(&state, &decisions, now)?;
        let rolled_back = self.change_state(&state, &decisions, now)?;

        // Act.
        let started_before = self.ops.len();
        for (t, ids, stop) in container_ops {
            if stop {
                self.stop_task(&t, spec_of(&t.task_definition));
            } else {
                self.start_containers(&t, ids);
            }
        }
        for (name, decision) in &decisions {
            let record = &services[name];
            for start in &decision.starts {
                self.launch(
                    &state,
                    name,
                    start,
                    record.primary().map(|d| d.id.clone()),
                    now,
                );
            }
            for stop in &decision.stops {
                if let Some(t) = tasks.iter().find(|t| t.id == stop.task_id) {
                    self.stop_task(t, spec_of(&t.task_definition));
                }
            }
            for removal in &decision.removals {
                self.remove(&removal.task_id, &removal.host);
            }
        }
        for (task_id, host) in extra_removals {
            self.remove(&task_id, &host);
        }
        report.started = self.ops.len().saturating_sub(started_before);

        // Report.
        let runtime = self.store.read_runtime(&self.cluster)?;
        for (name, decision) in &decisions {
            let record = &services[name];
            let primary = record.primary();
            let progress = primary.and_then(|p| {
                runtime
                    .services
                    .get(name)
                    .and_then(|s| s.deployments.get(&p.id))
            });
            report.services.insert(
                name.clone(),
                ServiceReport {
                    name: name.clone(),
                    status: record.status,
                    counts: decision.counts,
                    steady: decision.steady,
                    primary: primary.map(|p| p.id.clone()),
                    task_definition: Some(record.task_definition.clone()),
                    rollout: progress.map(|p| p.rollout_state),
                    rollout_reason: progress.and_then(|p| p.rollout_state_reason.clone()),
                    rolled_back_to: rolled_back.get(name).cloned(),
                    forgotten: decision.forget,
                    events: decision.events.clone(),
                },
            );
            if let Some(after) = decision.requeue_after {
                report.requeue_after = Some(report.requeue_after.map_or(after, |r| r.min(after)));
            }
        }
        Ok(report)
    }

    /// Writes what the decisions say into the cluster's runtime record.
    /// What each host looks like now, for the runtime record (`get hosts` reads it).
    fn host_records(&self) -> BTreeMap<String, crate::state::HostRuntime> {
        self.slots
            .values()
            .map(|slot| {
                (
                    slot.name.clone(),
                    crate::state::HostRuntime {
                        last_contact: slot.last_contact,
                        failing_since: slot.failing_since,
                        error: slot.last_error.clone(),
                    },
                )
            })
            .collect()
    }

    /// Writes what the decisions say into the cluster's runtime record; skipped when nothing
    /// changed (a host's last contact is refreshed at most every ten seconds).
    fn record(
        &mut self,
        state: &State,
        decisions: &BTreeMap<String, Decision>,
        now: Timestamp,
    ) -> Result<()> {
        let removed = std::mem::take(&mut self.removed);
        let hosts = self.host_records();
        let runtime = self.store.read_runtime(&self.cluster)?;
        let decisions_quiet = decisions.iter().all(|(name, d)| {
            let recorded = runtime.services.get(name);
            d.events.is_empty()
                && d.record_stops.is_empty()
                && d.progress.is_empty()
                && d.failures == service::FailureCount::Unchanged
                && !d.forget
                && recorded.is_some_and(|s| s.steady_since.is_some()) == d.steady
                && recorded.and_then(|s| s.counts) == Some(d.counts)
        });
        let hosts_quiet = hosts.iter().all(|(name, now_seen)| {
            runtime.hosts.get(name).is_some_and(|before| {
                before.failing_since == now_seen.failing_since
                    && before.error == now_seen.error
                    && match (before.last_contact, now_seen.last_contact) {
                        (Some(a), Some(b)) => b.since(a) < Duration::from_secs(10),
                        (a, b) => a == b,
                    }
            })
        }) && runtime.hosts.len() == hosts.len();
        if decisions_quiet && hosts_quiet && removed.is_empty() {
            return Ok(());
        }
        let ids = &mut self.ids;
        self.store
            .update_runtime(&self.cluster, &state.lineage, |runtime| {
                for (name, decision) in decisions {
                    let service = runtime.services.entry(name.clone()).or_default();
                    record::record(service, decision, now, ids);
                    if decision.forget {
                        runtime.services.remove(name);
                    }
                }
                for service in runtime.services.values_mut() {
                    for task in &removed {
                        service.stop_reasons.remove(task);
                    }
                }
                runtime.hosts = hosts;
            })?;
        Ok(())
    }

    /// Rollbacks and forgotten services change the state itself, under its lock. The state
    /// may have moved since the pass read it: each change is made only if still valid.
    fn change_state(
        &mut self,
        read: &State,
        decisions: &BTreeMap<String, Decision>,
        now: Timestamp,
    ) -> Result<BTreeMap<String, TaskDefRef>> {
        let mut rolled_back = BTreeMap::new();
        if decisions
            .values()
            .all(|d| d.rollback.is_none() && !d.forget)
        {
            return Ok(rolled_back);
        }
        let lock = self
            .store
            .lock_state(Duration::from_secs(10))
            .context("recording a rollback or a deleted service")?;
        let mut state = self.store.read_state()?.unwrap_or_else(|| read.clone());
        let mut changed = false;
        let mut restarted = Vec::new();
        for (name, decision) in decisions {
            let was = read
                .service(&self.cluster, name)
                .and_then(|r| r.primary())
                .map(|p| p.id.clone());
            let Some(record) = state.service_mut(&self.cluster, name) else {
                continue;
            };
            if let Some(target) = &decision.rollback
                && record.primary().map(|p| p.id.clone()) == was
            {
                let mut deployment = target.clone();
                deployment.reason = "circuit breaker rollback".into();
                record.deployments.insert(0, deployment);
                record.deployments.truncate(crate::state::MAX_DEPLOYMENTS);
                record.task_definition = target.task_definition.clone();
                record.updated_at = now;
                rolled_back.insert(name.clone(), target.task_definition.clone());
                restarted.push((name.clone(), target.id.clone()));
                changed = true;
            }
            if decision.forget && record.status == ServiceStatus::Draining {
                if let Some(services) = state.services.get_mut(&self.cluster) {
                    services.remove(name);
                }
                changed = true;
            }
        }
        if changed {
            state.serial += 1;
            self.store.write_state(&state, &lock)?;
        }
        drop(lock);
        if !restarted.is_empty() {
            self.store
                .update_runtime(&self.cluster, &state.lineage, |runtime| {
                    for (name, deployment) in &restarted {
                        let service = runtime.services.entry(name.clone()).or_default();
                        let mut progress = DeploymentProgress::in_progress(now);
                        progress.rollout_state_reason =
                            Some("rolled back to by the circuit breaker".into());
                        service.deployments.insert(deployment.clone(), progress);
                        service.steady_since = None;
                    }
                })?;
        }
        Ok(rolled_back)
    }

    fn slot_conn(&self, host: &str) -> Option<(Arc<crate::docker::host::DockerHost>, String)> {
        let slot = self.slots.get(host)?;
        Some((
            slot.conn.clone()?,
            slot.info
                .as_ref()
                .map(|i| i.architecture.clone())
                .unwrap_or_default(),
        ))
    }

    fn launch(
        &mut self,
        state: &State,
        service: &str,
        start: &service::StartTask,
        deployment: Option<String>,
        now: Timestamp,
    ) {
        let Some((host, architecture)) = self.slot_conn(&start.host) else {
            return;
        };
        let Some(revision) = state.revision(&start.task_definition) else {
            return;
        };
        let group = TaskGroup::Service(service.to_string());
        let secrets = match secrets::resolve(&revision.spec, &self.env) {
            Ok(s) => s,
            Err(e) => {
                self.launch_failures
                    .entry(service.to_string())
                    .or_default()
                    .push(LaunchFailure {
                        task_id: start.task_id.clone(),
                        deployment: start.deployment.clone(),
                        reason: secrets::failure_reason(&e),
                    });
                return;
            }
        };
        let _ = deployment;
        let placeholder = ObservedTask {
            id: start.task_id.clone(),
            cluster: self.cluster.clone(),
            host: start.host.clone(),
            group: group.clone(),
            task_definition: start.task_definition.clone(),
            deployment: Some(start.deployment.clone()),
            created_at: now,
            containers: Vec::new(),
        };
        self.launching.insert(start.task_id.clone(), placeholder);
        let plan = LaunchPlan {
            host,
            architecture,
            cluster: self.cluster.clone(),
            lineage: state.lineage.clone(),
            task_id: start.task_id.clone(),
            group,
            deployment: Some(start.deployment.clone()),
            family: start.task_definition.family.clone(),
            revision: start.task_definition.revision.unwrap_or(0),
            spec: revision.spec.clone(),
            created_at: now,
            secrets,
        };
        self.ops.spawn(ops::run(Op::Launch(Box::new(plan))));
    }

    fn start_containers(&mut self, task: &ObservedTask, ids: Vec<String>) {
        let Some((host, _)) = self.slot_conn(&task.host) else {
            return;
        };
        for id in &ids {
            self.busy_containers.insert(id.clone());
        }
        self.ops.spawn(ops::run(Op::Start {
            host,
            task_id: task.id.clone(),
            containers: ids,
        }));
    }

    fn stop_task(&mut self, task: &ObservedTask, spec: Option<&TaskDefinitionSpec>) {
        if self.stopping.contains(&task.id) {
            return;
        }
        let Some((host, _)) = self.slot_conn(&task.host) else {
            return;
        };
        let timeout_of = |name: &str| {
            let seconds = spec
                .and_then(|s| {
                    s.container_definitions
                        .iter()
                        .find(|c| c.name.as_deref() == Some(name))
                })
                .and_then(|c| c.stop_timeout)
                .map_or(
                    crate::docker::container_spec::DEFAULT_STOP_TIMEOUT,
                    i64::from,
                );
            Duration::from_secs(u64::try_from(seconds).unwrap_or(30))
        };
        let running: Vec<&task::ObservedContainer> =
            task.containers.iter().filter(|c| c.is_running()).collect();
        if running.is_empty() {
            return;
        }
        let containers: Vec<(String, Duration)> = running
            .iter()
            .filter(|c| !c.pause)
            .map(|c| (c.docker_id.clone(), timeout_of(&c.name)))
            .collect();
        let last: Vec<(String, Duration)> = running
            .iter()
            .filter(|c| c.pause)
            .map(|c| (c.docker_id.clone(), Duration::from_secs(2)))
            .collect();
        for (id, _) in containers.iter().chain(&last) {
            self.busy_containers.insert(id.clone());
        }
        self.stopping.insert(task.id.clone());
        self.ops.spawn(ops::run(Op::Stop {
            host,
            task_id: task.id.clone(),
            containers,
            last,
        }));
    }

    fn remove(&mut self, task_id: &str, host: &str) {
        if self.removing.contains(task_id) {
            return;
        }
        let Some((conn, _)) = self.slot_conn(host) else {
            return;
        };
        self.removing.insert(task_id.to_string());
        self.ops.spawn(ops::run(Op::Remove {
            host: conn,
            task_id: task_id.to_string(),
            cluster: self.cluster.clone(),
        }));
    }

    /// Lets the caller's own runs (run-task) be launched through this reconciler's hosts.
    pub fn host(&self, name: &str) -> Option<Arc<crate::docker::host::DockerHost>> {
        self.slots.get(name).and_then(|s| s.conn.clone())
    }

    /// Reads the environment through `env` instead of the process's (tests).
    pub fn with_env(mut self, env: fn(&str) -> Option<String>) -> Self {
        self.env = env;
        self
    }

    /// The hosts' current views (status, capacity), for `get hosts`.
    pub fn host_views(&self) -> Vec<service::HostInfo> {
        let now = Timestamp::now();
        self.slots
            .values()
            .map(|s| s.scheduling_view(now, self.options.host_grace))
            .collect()
    }

    pub fn new_ids(&mut self) -> &mut dyn IdSource {
        &mut self.ids
    }
}

/// Resources in use on each host by its live tasks (any service, or none).
pub fn usage<'a, 't>(
    tasks: impl IntoIterator<Item = (&'t ObservedTask, &'t TaskState)>,
    spec_of: &dyn Fn(&TaskDefRef) -> Option<&'a TaskDefinitionSpec>,
) -> BTreeMap<String, HostUsage> {
    let mut usage: BTreeMap<String, HostUsage> = BTreeMap::new();
    for (t, st) in tasks {
        if st.last_status == TaskStatus::Stopped && st.desired_status == DesiredStatus::Stopped {
            continue;
        }
        let entry = usage.entry(t.host.clone()).or_default();
        entry.tasks += 1;
        let Some(spec) = spec_of(&t.task_definition) else {
            continue;
        };
        let (cpu, memory) = service::task_size(spec);
        entry.cpu += cpu;
        entry.memory += memory;
        entry.ports.extend(service::fixed_host_ports(spec));
    }
    usage
}
