//! The reconciler of one cluster: a pass observes every host (in parallel), hands what it saw
//! to the pure [`cluster::decide`], records what was decided, and gives the actions to the
//! [`Executor`], which runs them concurrently; their completion triggers the next pass. What
//! is under way is remembered so that no pass repeats it. A pass never decides anything
//! itself: observe → decide → act.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result, anyhow};

use super::executor::{Executor, Hosts};
use super::hosts::{self, HostSlot};
use super::ops::TaskHost;
use super::ops::{self, LaunchPlan, LaunchSecrets};
use super::record;
use super::traffic::{self as proxies, TrafficMemory, TrafficObjects};
use crate::docker::host::{DockerHost, Observation};
use crate::docker::observe::Foreign;
use crate::docker::transport::Transport;
use crate::ids::{IdSource, RandomIds};
use crate::model::cluster::ClusterSpec;
use crate::model::ecs::LaunchType;
use crate::model::effective;
use crate::model::names::TaskDefRef;
use crate::proxy::container::ProxySpec;
use crate::reconcile::cluster::{self, ClusterDecision, ClusterInput, LaunchTask};
use crate::reconcile::service::{self, HostStatus, Settings};
use crate::reconcile::task::{ObservedTask, TaskGroup};
use crate::reconcile::traffic::{self, ProxyView, TrafficDecision, TrafficInput};
use crate::schedule::pools::Providers;
use crate::state::backend::Store;
use crate::state::{DeploymentProgress, HostRuntime, Runtime, ServiceStatus, State};
use crate::time::Timestamp;

mod drift;
mod hooks;
mod scaling;

pub use crate::reconcile::cluster::{ServiceReport, usage};

#[derive(Clone, Debug)]
pub struct Options {
    /// Look at everything this often even without events.
    pub resync: Duration,
    /// A host that does not answer this long is UNREACHABLE: its tasks count as lost.
    pub host_grace: Duration,
    pub settings: Settings,
    /// Correct drift (what was changed on the hosts by hand); off: only report it.
    pub self_heal: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            resync: Duration::from_secs(30),
            host_grace: Duration::from_secs(30),
            settings: Settings::default(),
            self_heal: true,
        }
    }
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
    /// What failed in this pass without stopping the rest (writing the runtime record or a
    /// rollback); the loop retries with backoff.
    pub errors: Vec<String>,
    /// Standalone tasks (run-task) as judged by this pass.
    pub standalone: Vec<(ObservedTask, crate::reconcile::task::TaskState)>,
    /// What the scheduled tasks did in this pass (runs started, skipped, missed, ended).
    pub schedule_events: Vec<String>,
    /// How long the pass took (set by the loop that drives it).
    pub took: Duration,
    /// Drift seen for the first time in this pass, as service events.
    pub drift_events: Vec<String>,
}

pub struct Reconciler {
    store: Store,
    cluster: String,
    options: Options,
    slots: BTreeMap<String, HostSlot>,
    transport: Arc<dyn Transport>,
    executor: Executor,
    foreign_reported: BTreeSet<String>,
    ids: RandomIds,
    env: fn(&str) -> Option<String>,
    /// The load-balancer hosts' proxies as this pass read them (`None`: not reached).
    proxies: BTreeMap<String, Option<ProxyView>>,
    /// The proxies' counters summed per target group over time, for alarms and scaling.
    meter: crate::reconcile::alarm::Meter,
    /// The watched services' CPU and memory over time.
    usage: crate::reconcile::usage::UsageMeter,
    traffic: TrafficMemory,
}

fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

impl Reconciler {
    pub fn new(
        store: Store,
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
            executor: Executor::new(cluster),
            foreign_reported: BTreeSet::new(),
            ids: RandomIds,
            env: process_env,
            proxies: BTreeMap::new(),
            meter: Default::default(),
            usage: Default::default(),
            traffic: TrafficMemory::default(),
        }
    }

    pub fn cluster(&self) -> &str {
        &self.cluster
    }

    pub fn options(&self) -> &Options {
        &self.options
    }

    /// Connected hosts, for event streams.
    pub fn connections(&self) -> Vec<Arc<DockerHost>> {
        self.slots.values().filter_map(|s| s.conn.clone()).collect()
    }

    /// True while operations are under way.
    pub fn busy(&self) -> bool {
        self.executor.busy()
    }

    pub fn executor(&self) -> &Executor {
        &self.executor
    }

    /// Waits for the next operation to finish and records its outcome.
    pub async fn next_done(&mut self) -> Option<()> {
        self.executor.next_done().await?;
        self.log_errors();
        Some(())
    }

    /// Records every operation that has already finished, without waiting.
    pub fn drain_done(&mut self) {
        self.executor.drain_done();
        self.log_errors();
    }

    fn log_errors(&mut self) {
        for error in self.executor.take_errors() {
            tracing::warn!(cluster = %self.cluster, "{error}");
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
                    let (conn, info, admin) = match (conn, info, slot.proxy_admin.clone()) {
                        (Some(conn), Some(info), Some(admin)) => (conn, info, admin),
                        _ => {
                            let c = hosts::connect(&cluster, slot, transport.as_ref()).await?;
                            (c.docker, c.info, c.proxy_admin)
                        }
                    };
                    let observation = conn.observe(&cluster, &lineage).await?;
                    Ok::<_, anyhow::Error>((conn, info, admin, observation))
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
                Ok((conn, info, admin, observation)) => {
                    slot.conn = Some(conn);
                    slot.info = Some(info);
                    slot.proxy_admin = Some(admin);
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

    /// One reconcile pass: observe, decide, act. Starts operations and returns what it saw.
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
        let objects = TrafficObjects::of(&state, &self.cluster);
        self.observe_proxies(&objects, &state.lineage).await;
        self.meter.observe(now, &self.proxies);
        let watched = scaling::Watched::of(&state, &self.cluster);
        self.meter_usage(&state, &watched, now).await;
        let mut runtime = self.store.read_runtime(&self.cluster)?;
        self.evaluate_alarms(&state, &watched, &mut runtime, now)?;
        let state = self.autoscale(state, &watched, &mut runtime, now)?;
        let mut report = self.observed_report(now);
        let in_flight = self.executor.take_for_pass();
        let held = self
            .judge_drift(&state, &mut runtime, &in_flight, now, &mut report)
            .unwrap_or_else(|e| {
                report.errors.push(format!("{e:#}"));
                drift::Held::new()
            });
        let mut decision = self.decide(&state, &runtime, &objects, in_flight, &held, now);
        let traffic = decision.traffic.take();
        let hooks: Vec<(String, crate::reconcile::service::HookLaunch)> = decision
            .services
            .iter()
            .filter_map(|(name, d)| Some((name.clone(), d.hook_run.clone()?)))
            .collect();
        self.act(&state, decision, now, &mut report);
        if !hooks.is_empty() {
            self.run_hooks(&state, &runtime, &hooks, now, &mut report);
        }
        let listener_hosts: BTreeSet<String> = traffic
            .as_ref()
            .map(|t| t.proxies.keys().cloned().collect())
            .unwrap_or_default();
        if let Some(traffic) = traffic {
            self.carry_out_traffic(&objects, &state.lineage, traffic, &mut report)
                .await;
        }
        self.remove_stray_proxies(&objects, &state.lineage, &listener_hosts)
            .await;
        self.run_schedules(&state, &runtime, &mut report, now);
        if let Some(poll) = watched.poll() {
            report.requeue_after = Some(report.requeue_after.map_or(poll, |r| r.min(poll)));
        }
        Ok(report)
    }

    /// Removes this cluster's proxy from the hosts that no longer carry a listener (a deleted
    /// load balancer, a host taken out of `hosts:`). Each host is checked once per change.
    async fn remove_stray_proxies(
        &mut self,
        objects: &TrafficObjects,
        lineage: &str,
        listener_hosts: &BTreeSet<String>,
    ) {
        self.traffic
            .without_proxy
            .retain(|h| !listener_hosts.contains(h));
        let work: Vec<_> = self
            .slots
            .iter()
            .filter(|(name, _)| {
                !listener_hosts.contains(*name) && !self.traffic.without_proxy.contains(*name)
            })
            .filter_map(|(name, slot)| {
                let conn = slot.conn.clone()?;
                let spec = self.proxy_spec(objects, name, lineage);
                Some(async move {
                    let removed = crate::proxy::container::remove(&conn, &spec).await;
                    (name.clone(), removed)
                })
            })
            .collect();
        for (name, removed) in futures_util::future::join_all(work).await {
            // A container of that name that is not ours is left alone, and said once.
            if let Err(e) = removed {
                tracing::warn!(cluster = %self.cluster, "{e:#}");
            }
            self.traffic.written.remove(&name);
            self.traffic.without_proxy.insert(name);
        }
    }

    fn proxy_spec(&self, objects: &TrafficObjects, host: &str, lineage: &str) -> ProxySpec {
        ProxySpec::new(&self.cluster, host, lineage, objects.image().as_deref())
    }

    /// Reads the proxy of every load-balancer host that answered, all at once.
    async fn observe_proxies(&mut self, objects: &TrafficObjects, lineage: &str) {
        self.proxies.clear();
        if objects.is_empty() {
            return;
        }
        let listener_hosts = traffic::listener_hosts(
            &objects.load_balancers,
            self.slots.keys().map(String::as_str),
        );
        let work = listener_hosts.into_iter().map(|name| {
            let slot = self.slots.get(&name);
            let conn = slot.and_then(|s| s.last_observation.is_some().then(|| s.conn.clone()));
            let admin = slot.and_then(|s| s.proxy_admin.clone());
            let spec = self.proxy_spec(objects, &name, lineage);
            async move {
                let (Some(Some(conn)), Some(admin)) = (conn, admin) else {
                    return (name, None);
                };
                let read = proxies::observe(&conn, &spec, &admin, &objects.target_groups);
                match tokio::time::timeout(Duration::from_secs(10), read).await {
                    Ok(Ok(view)) => (name, Some(view)),
                    Ok(Err(e)) => {
                        tracing::debug!(host = %name, "proxy not read: {e:#}");
                        (name, None)
                    }
                    Err(_) => (name, None),
                }
            }
        });
        self.proxies = futures_util::future::join_all(work)
            .await
            .into_iter()
            .collect();
    }

    /// Makes every connected load-balancer host's proxy what the pass decided.
    async fn carry_out_traffic(
        &mut self,
        objects: &TrafficObjects,
        lineage: &str,
        decision: TrafficDecision,
        report: &mut PassReport,
    ) {
        self.traffic.draining_since = decision.draining_since;
        self.traffic.held = decision.held_stops;
        let work = decision.proxies.into_iter().filter_map(|(name, plan)| {
            let slot = self.slots.get(&name)?;
            let conn = slot.conn.clone()?;
            let admin = slot.proxy_admin.clone()?;
            let spec = self.proxy_spec(objects, &name, lineage);
            let written = self.traffic.written.get(&name).cloned();
            Some(async move {
                let (written, errors) = proxies::carry_out(
                    &conn,
                    &spec,
                    &admin,
                    &plan,
                    &objects.target_groups,
                    written.as_ref(),
                )
                .await;
                (name, written, errors)
            })
        });
        for (name, written, errors) in futures_util::future::join_all(work).await {
            match written {
                Some(w) => self.traffic.written.insert(name, w),
                None => self.traffic.written.remove(&name),
            };
            for e in errors {
                tracing::warn!(cluster = %self.cluster, "proxy: {e}");
                report.errors.push(e);
            }
        }
    }

    /// The address each host's targets are reached on.
    fn target_addresses(&self) -> BTreeMap<String, String> {
        self.slots
            .iter()
            .map(|(name, s)| {
                (
                    name.clone(),
                    hosts::target_address(&s.spec, s.endpoint.as_ref().ok()),
                )
            })
            .collect()
    }

    /// What the observation says about the hosts, and containers of other states.
    fn observed_report(&mut self, now: Timestamp) -> PassReport {
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
        for observation in self
            .slots
            .values()
            .filter_map(|s| s.last_observation.as_ref())
        {
            report.foreign.extend(observation.foreign.iter().cloned());
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
        report
    }

    /// The pure decision over what was observed. Tasks held for drift (`--no-self-heal`:
    /// removed or stopped by hand) are left out, and their service's desired count lowered
    /// by as many, so that the scheduler neither replaces them nor touches them.
    fn decide(
        &mut self,
        state: &State,
        runtime: &Runtime,
        objects: &TrafficObjects,
        in_flight: crate::reconcile::cluster::InFlight,
        held: &drift::Held,
        now: Timestamp,
    ) -> ClusterDecision {
        let mut services = state
            .services
            .get(&self.cluster)
            .cloned()
            .unwrap_or_default();
        for (name, tasks) in held {
            if let Some(record) = services.get_mut(name) {
                let n = u32::try_from(tasks.len()).unwrap_or(u32::MAX);
                record.desired_count = record.desired_count.saturating_sub(n);
            }
        }
        let spec_of = |r: &TaskDefRef| state.revision(r).map(|rev| &rev.spec);
        let is_held = |t: &ObservedTask| held.values().any(|h| h.contains(&t.id));
        let observed: Vec<ObservedTask> = self
            .slots
            .values()
            .filter_map(|s| s.last_observation.as_deref())
            .flat_map(|o: &Observation| o.tasks.iter().cloned())
            .filter(|t| !is_held(t))
            .collect();
        let hosts = self.host_views_at(now);
        let host_records = self.host_records();
        let addresses = self.target_addresses();
        let traffic = (!objects.is_empty()).then_some(TrafficInput {
            load_balancers: &objects.load_balancers,
            target_groups: &objects.target_groups,
            addresses: &addresses,
            proxies: &self.proxies,
            draining_since: &self.traffic.draining_since,
            held_before: &self.traffic.held,
            registrations: &objects.registrations,
        });
        let providers = Providers::of(&state.cluster_spec(&self.cluster).unwrap_or_default());
        let input = ClusterInput {
            services: &services,
            task_definitions: &spec_of,
            runtime,
            hosts: &hosts,
            host_records: &host_records,
            observed: &observed,
            in_flight: &in_flight,
            now,
            settings: &self.options.settings,
            traffic,
            providers: &providers,
        };
        let decision = cluster::decide(&input, &mut self.ids);
        for (name, d) in &decision.services {
            tracing::debug!(service = %name, counts = ?d.counts, starts = d.starts.len(),
                stops = d.stops.len(), steady = d.steady, "decided");
        }
        decision
    }

    /// Records the decision, changes the state, and starts the actions. A failed record holds
    /// back only the stops whose reasons it carried; the rest goes ahead.
    fn act(
        &mut self,
        state: &State,
        decision: ClusterDecision,
        now: Timestamp,
        report: &mut PassReport,
    ) {
        let recorded = match self.record(state, &decision, now) {
            Ok(()) => true,
            Err(e) => {
                report.errors.push(format!("{e:#}"));
                self.executor.restore_removed(decision.removed.clone());
                false
            }
        };
        let rolled_back = self
            .change_state(state, &decision, now)
            .unwrap_or_else(|e| {
                report.errors.push(format!("{e:#}"));
                BTreeMap::new()
            });
        let steps: Vec<_> = decision
            .steps
            .iter()
            .filter(|s| recorded || !decision.needs_record(s))
            .cloned()
            .collect();
        let hosts = self.action_hosts();
        let prepare = self.launch_preparer(state, now);
        let (started, skipped) = self.executor.execute(steps, &hosts, &prepare);
        for s in skipped {
            tracing::debug!(host = %s.host, task = %s.task_id, "skipped: {}", s.why);
        }
        report.started = started;
        report.requeue_after = decision.requeue_after;
        report.services = decision.reports;
        report.standalone = decision.standalone;
        for (name, to) in rolled_back {
            if let Some(r) = report.services.get_mut(&name) {
                r.rolled_back_to = Some(to);
            }
        }
    }

    /// The connected hosts, for the executor.
    fn action_hosts(&self) -> Hosts {
        self.slots
            .iter()
            .filter_map(|(name, s)| {
                let conn: Arc<dyn TaskHost> = s.conn.clone()?;
                Some((name.clone(), conn))
            })
            .collect()
    }

    /// Turns a decided launch into a plan: the task definition, its secrets (resolved only
    /// now), the host's architecture.
    fn launch_preparer<'s>(
        &self,
        state: &'s State,
        now: Timestamp,
    ) -> impl Fn(&LaunchTask) -> Result<LaunchPlan, String> + 's {
        let architectures: BTreeMap<String, String> = self
            .slots
            .iter()
            .map(|(n, s)| {
                (
                    n.clone(),
                    s.info
                        .as_ref()
                        .map(|i| i.architecture.clone())
                        .unwrap_or_default(),
                )
            })
            .collect();
        let env = self.env;
        let cluster = self.cluster.clone();
        let aliases = TrafficObjects::of(state, &self.cluster).aliases;
        let pull_behavior = ops::pull_behavior(state.clusters.get(&self.cluster).map(|c| &c.spec));
        let cluster_default = state
            .cluster_spec(&self.cluster)
            .map(|c| c.default_capacity_provider_strategy)
            .unwrap_or_default();
        move |launch: &LaunchTask| {
            let launch_type = match &launch.group {
                TaskGroup::Service(name) => {
                    state.service(&cluster, name).map_or(LaunchType::Ec2, |s| {
                        effective::service_launch_type(&s.spec, &cluster_default)
                    })
                }
                TaskGroup::Standalone(_) => LaunchType::Ec2,
            };
            let revision = state.revision(&launch.task_definition).ok_or_else(|| {
                format!(
                    "task definition {} is not in the state",
                    launch.task_definition
                )
            })?;
            let read = LaunchSecrets::read(&revision.spec, &env)?;
            Ok(LaunchPlan {
                architecture: architectures.get(&launch.host).cloned().unwrap_or_default(),
                cluster: cluster.clone(),
                lineage: state.lineage.clone(),
                task_id: launch.task_id.clone(),
                group: launch.group.clone(),
                deployment: launch.deployment.clone(),
                family: launch.task_definition.family.clone(),
                revision: launch.task_definition.revision.unwrap_or(0),
                spec: with_service_connect_names(&revision.spec, &launch.group, &aliases),
                created_at: now,
                secrets: read.secrets,
                registry_auth: read.registry_auth,
                pull_behavior,
                launch_type,
            })
        }
    }

    /// What each host looks like now, for the runtime record (`get hosts` reads it).
    fn host_records(&self) -> BTreeMap<String, HostRuntime> {
        self.slots
            .values()
            .map(|slot| {
                let record = HostRuntime {
                    last_contact: slot.last_contact,
                    failing_since: slot.failing_since,
                    error: slot.last_error.clone(),
                };
                (slot.name.clone(), record)
            })
            .collect()
    }

    /// Writes what the decision says into the cluster's runtime record, when it changes it.
    fn record(&mut self, state: &State, decision: &ClusterDecision, now: Timestamp) -> Result<()> {
        if !decision.write_runtime {
            return Ok(());
        }
        let ids = &mut self.ids;
        self.store
            .update_runtime(&self.cluster, &state.lineage, |runtime| {
                for (name, d) in &decision.services {
                    let service = runtime.services.entry(name.clone()).or_default();
                    let applied = state.service(&self.cluster, name);
                    let changed_at = applied.map_or(now, |r| r.updated_at);
                    record::record(service, d, changed_at, now, ids);
                    if let Some(applied) = applied {
                        service.prune_deployments(&applied.deployments, now);
                    }
                    if d.forget {
                        runtime.services.remove(name);
                    }
                }
                for task in &decision.removed {
                    runtime.stop_reasons.remove(task);
                    for service in runtime.services.values_mut() {
                        service.stop_reasons.remove(task);
                    }
                }
                runtime.hosts = decision.host_records.clone();
                if let Some(targets) = &decision.targets {
                    runtime.targets = targets.clone();
                }
            })?;
        Ok(())
    }

    /// Rollbacks and forgotten services change the state itself, under its lock. The state
    /// may have moved since the pass read it: each change is made only if still valid.
    fn change_state(
        &mut self,
        read: &State,
        decision: &ClusterDecision,
        now: Timestamp,
    ) -> Result<BTreeMap<String, TaskDefRef>> {
        let mut rolled_back = BTreeMap::new();
        if decision.rollbacks.is_empty() && decision.forget.is_empty() {
            return Ok(rolled_back);
        }
        let lock = self
            .store
            .lock_state(Duration::from_secs(10))
            .context("recording a rollback or a deleted service")?;
        let mut state = self.store.read_state()?.unwrap_or_else(|| read.clone());
        let mut changed = false;
        for (name, rollback) in &decision.rollbacks {
            let Some(record) = state.service_mut(&self.cluster, name) else {
                continue;
            };
            if record.primary().map(|p| p.id.clone()) != rollback.was {
                continue;
            }
            let mut deployment = rollback.to.clone();
            deployment.reason = crate::reconcile::converge::BREAKER_ROLLBACK.into();
            record.deployments.insert(0, deployment);
            record.deployments.truncate(crate::state::MAX_DEPLOYMENTS);
            record.task_definition = rollback.to.task_definition.clone();
            record.updated_at = now;
            rolled_back.insert(name.clone(), rollback.to.task_definition.clone());
            changed = true;
        }
        for name in &decision.forget {
            let draining = state
                .service(&self.cluster, name)
                .is_some_and(|r| r.status == ServiceStatus::Draining);
            if draining && let Some(services) = state.services.get_mut(&self.cluster) {
                services.remove(name);
                changed = true;
            }
        }
        if changed {
            state.serial += 1;
            self.store.write_state(&state, &lock)?;
        }
        drop(lock);
        self.restart_progress(&state, decision, &rolled_back, now)?;
        Ok(rolled_back)
    }

    /// A deployment the circuit breaker returned to is in progress again.
    fn restart_progress(
        &self,
        state: &State,
        decision: &ClusterDecision,
        rolled_back: &BTreeMap<String, TaskDefRef>,
        now: Timestamp,
    ) -> Result<()> {
        if rolled_back.is_empty() {
            return Ok(());
        }
        self.store
            .update_runtime(&self.cluster, &state.lineage, |runtime| {
                for name in rolled_back.keys() {
                    let Some(rollback) = decision.rollbacks.get(name) else {
                        continue;
                    };
                    let service = runtime.services.entry(name.clone()).or_default();
                    let mut progress = DeploymentProgress::in_progress(now);
                    progress.rollout_state_reason =
                        Some("rolled back to by the circuit breaker".into());
                    service.deployments.insert(rollback.to.id.clone(), progress);
                    service.steady_since = None;
                }
            })?;
        Ok(())
    }

    /// Lets the caller's own runs (run-task) be launched through this reconciler's hosts.
    pub fn host(&self, name: &str) -> Option<Arc<DockerHost>> {
        self.slots.get(name).and_then(|s| s.conn.clone())
    }

    /// Launches a standalone task (run-task) through this reconciler's executor: until it is
    /// created, passes see its placeholder; then the reconciler drives its containers.
    /// False when the host is not connected.
    pub fn launch_standalone(&mut self, host: &str, plan: LaunchPlan) -> bool {
        let Some(conn) = self.slots.get(host).and_then(|s| s.conn.clone()) else {
            return false;
        };
        self.executor.launch(conn, host, plan);
        true
    }

    /// The architecture Docker reports for a host (empty when unknown).
    pub fn architecture(&self, host: &str) -> String {
        self.slots
            .get(host)
            .and_then(|s| s.info.as_ref())
            .map(|i| i.architecture.clone())
            .unwrap_or_default()
    }

    /// Reads the environment through `env` instead of the process's (tests).
    pub fn with_env(mut self, env: fn(&str) -> Option<String>) -> Self {
        self.env = env;
        self
    }

    /// The hosts' current views (status, capacity), for `get hosts` and placement.
    pub fn host_views(&self) -> Vec<service::HostInfo> {
        self.host_views_at(Timestamp::now())
    }

    fn host_views_at(&self, now: Timestamp) -> Vec<service::HostInfo> {
        self.slots
            .values()
            .map(|s| s.scheduling_view(now, self.options.host_grace))
            .collect()
    }

    /// The tasks of the last observation, with tasks being launched as their placeholders.
    pub fn observed_tasks(&self) -> Vec<ObservedTask> {
        let launching = &self.executor.in_flight().launching;
        let mut tasks: Vec<ObservedTask> = self
            .slots
            .values()
            .filter_map(|s| s.last_observation.as_deref())
            .flat_map(|o| o.tasks.iter().cloned())
            .filter(|t| !launching.contains_key(&t.id))
            .collect();
        tasks.extend(launching.values().cloned());
        tasks
    }

    /// The state directory this reconciler records into.
    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn new_ids(&mut self) -> &mut dyn IdSource {
        &mut self.ids
    }
}

/// A task of a Service Connect service resolves its namespace's names to its own host,
/// where the proxy listens (Docker's `host-gateway`; for an awsvpc task the names go on its
/// pause container, see `container_spec::pause`).
fn with_service_connect_names(
    spec: &crate::model::ecs::TaskDefinitionSpec,
    group: &crate::reconcile::task::TaskGroup,
    aliases: &BTreeMap<String, Vec<String>>,
) -> crate::model::ecs::TaskDefinitionSpec {
    let mut spec = spec.clone();
    let crate::reconcile::task::TaskGroup::Service(service) = group else {
        return spec;
    };
    let Some(names) = aliases.get(service) else {
        return spec;
    };
    for container in &mut spec.container_definitions {
        for name in names {
            container.extra_hosts.push(crate::model::ecs::HostEntry {
                hostname: Some(name.clone()),
                ip_address: Some("host-gateway".into()),
            });
        }
    }
    spec
}
