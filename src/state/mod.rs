//! The recorded state: what was applied. Types here; where they are kept in [`backend`]: files
//! in [`store`] (the default) with locks in [`lock`], or rows in [`postgres`] (shared by
//! several machines, with a reconciler lease that fails over: [`lease`]).
//!
//! Two documents, written by different parties and never torn:
//! - [`State`] (`state.json`): clusters, every task definition revision with its content, and
//!   each service's applied spec and deployments, target groups and load balancers. Changed by `apply`, `delete`, `scale`,
//!   `rollback` and the circuit breaker's rollback; each change bumps `serial` (saved plans
//!   check it). `lineage` names this state for life; containers carry it.
//! - [`Runtime`] (`runtime/CLUSTER.json`): how deployments progress, service events, why
//!   tasks stopped. Written by reconcilers; never bumps the serial.
//!
//! What runs is not recorded: it is read from the hosts (container labels).

pub mod backend;
pub mod cache;
pub mod lease;
pub mod lock;
pub mod postgres;
pub mod store;
pub mod sync;

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde::{Deserialize, Serialize};

use crate::model::alarm::{AlarmSpec, AlarmState};
use crate::model::cluster::{ClusterConfiguration, ClusterSetting, ClusterSpec};
use crate::model::ecs::{ServiceSpec, Tag, TaskDefinitionSpec};
use crate::model::effective::strategy::Stage;
use crate::model::effective::{EffectiveService, EffectiveTaskDefinition};
use crate::model::names::TaskDefRef;
use crate::model::scaling::{ScalableTargetSpec, ScalingPolicySpec};
use crate::model::scheduled::ScheduledTaskSpec;
use crate::model::traffic::{LoadBalancerSpec, TargetGroupSpec};
use crate::time::Timestamp;

/// The state format this build writes. Older formats are upgraded on read.
pub const FORMAT_VERSION: u32 = 1;

/// Events kept per service (ECS keeps about 100).
pub const MAX_EVENTS: usize = 100;

/// Events older than this are dropped when a new one is recorded, however few there are.
pub const MAX_EVENT_AGE: std::time::Duration = std::time::Duration::from_secs(7 * 24 * 3600);

/// Appends `event` and drops the oldest beyond [`MAX_EVENTS`] and those older than
/// [`MAX_EVENT_AGE`] (measured from the new event).
pub fn push_bounded_event(events: &mut VecDeque<Event>, event: Event) {
    let now = event.created_at;
    events.push_back(event);
    while events.len() > MAX_EVENTS
        || events
            .front()
            .is_some_and(|e| now.since(e.created_at) > MAX_EVENT_AGE)
    {
        events.pop_front();
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct State {
    pub format_version: u32,
    pub lineage: String,
    pub serial: u64,
    #[serde(default)]
    pub clusters: BTreeMap<String, ClusterRecord>,
    #[serde(default)]
    pub task_definitions: BTreeMap<String, FamilyRecord>,
    /// cluster → service name → record.
    #[serde(default)]
    pub services: BTreeMap<String, BTreeMap<String, ServiceRecord>>,
    /// cluster → target group name → record. Absent in state files written before them.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub target_groups: BTreeMap<String, BTreeMap<String, ObjectRecord<TargetGroupSpec>>>,
    /// cluster → load balancer name → record.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub load_balancers: BTreeMap<String, BTreeMap<String, ObjectRecord<LoadBalancerSpec>>>,
    /// cluster → scheduled task name → record. Absent in state files written before them.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub scheduled_tasks: BTreeMap<String, BTreeMap<String, ObjectRecord<ScheduledTaskSpec>>>,
    /// cluster → alarm name → record. Absent in state files written before them.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub alarms: BTreeMap<String, BTreeMap<String, ObjectRecord<AlarmSpec>>>,
    /// cluster → scalable target name → record.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub scalable_targets: BTreeMap<String, BTreeMap<String, ObjectRecord<ScalableTargetSpec>>>,
    /// cluster → scaling policy name → record.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub scaling_policies: BTreeMap<String, BTreeMap<String, ObjectRecord<ScalingPolicySpec>>>,
}

impl State {
    pub fn empty(lineage: String) -> Self {
        State {
            format_version: FORMAT_VERSION,
            lineage,
            serial: 0,
            clusters: BTreeMap::new(),
            task_definitions: BTreeMap::new(),
            services: BTreeMap::new(),
            target_groups: BTreeMap::new(),
            load_balancers: BTreeMap::new(),
            scheduled_tasks: BTreeMap::new(),
            alarms: BTreeMap::new(),
            scalable_targets: BTreeMap::new(),
            scaling_policies: BTreeMap::new(),
        }
    }

    pub fn service(&self, cluster: &str, name: &str) -> Option<&ServiceRecord> {
        self.services.get(cluster).and_then(|s| s.get(name))
    }

    pub fn service_mut(&mut self, cluster: &str, name: &str) -> Option<&mut ServiceRecord> {
        self.services.get_mut(cluster).and_then(|s| s.get_mut(name))
    }

    /// Every (cluster, name, record), in order.
    pub fn all_services(&self) -> impl Iterator<Item = (&str, &str, &ServiceRecord)> {
        self.services.iter().flat_map(|(cluster, services)| {
            services
                .iter()
                .map(move |(name, record)| (cluster.as_str(), name.as_str(), record))
        })
    }

    pub fn revision(&self, reference: &TaskDefRef) -> Option<&Revision> {
        let family = self.task_definitions.get(&reference.family)?;
        match reference.revision {
            Some(n) => family.revisions.iter().find(|r| r.revision == n),
            None => family.latest_active(),
        }
    }

    /// The clusters that exist: the recorded ones, and `default` always.
    pub fn cluster_names(&self) -> BTreeSet<String> {
        let mut names: BTreeSet<String> = self.clusters.keys().cloned().collect();
        names.insert(crate::model::cluster::DEFAULT_CLUSTER.to_string());
        // A cluster whose last service was forgotten keeps an empty map: not a cluster.
        names.extend(
            self.services
                .iter()
                .filter(|(_, services)| !services.is_empty())
                .map(|(cluster, _)| cluster.clone()),
        );
        names
    }

    /// The spec of a cluster: recorded, or the embedded default.
    pub fn cluster_spec(&self, name: &str) -> Option<ClusterSpec> {
        match self.clusters.get(name) {
            Some(record) => Some(record.spec.clone()),
            None if name == crate::model::cluster::DEFAULT_CLUSTER => {
                Some(ClusterSpec::embedded_default())
            }
            None => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterRecord {
    pub spec: ClusterSpec,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Hosts set to DRAINING by `ecsctl drain host` (or the API's
    /// UpdateContainerInstancesState).
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub draining_hosts: BTreeSet<String>,
    /// Recorded through the ECS API (CreateCluster, UpdateCluster, TagResource), not by
    /// manifests: an `apply` of the cluster's manifest keeps them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
    /// Sorted by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub settings: Vec<ClusterSetting>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configuration: Option<ClusterConfiguration>,
}

impl ClusterRecord {
    pub fn new(spec: ClusterSpec, now: Timestamp) -> Self {
        ClusterRecord {
            spec,
            created_at: now,
            updated_at: now,
            draining_hosts: BTreeSet::new(),
            tags: Vec::new(),
            settings: Vec::new(),
            configuration: None,
        }
    }
}

/// A cluster-scoped object recorded with its normalized spec: a target group, a load balancer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectRecord<T> {
    pub spec: T,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FamilyRecord {
    /// Ascending by revision. Revisions are made INACTIVE, then DELETE_IN_PROGRESS; only a
    /// DELETE_IN_PROGRESS one is removed, once nothing uses it.
    pub revisions: Vec<Revision>,
    /// The highest revision number given, when that revision was removed: numbers are
    /// never given twice. Absent until then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub removed_through: Option<u32>,
}

impl FamilyRecord {
    pub fn latest(&self) -> Option<&Revision> {
        self.revisions.last()
    }

    pub fn latest_active(&self) -> Option<&Revision> {
        self.revisions
            .iter()
            .rev()
            .find(|r| r.status == RevisionStatus::Active)
    }

    pub fn next_revision(&self) -> u32 {
        let given = self.latest().map_or(0, |r| r.revision);
        given.max(self.removed_through.unwrap_or(0)) + 1
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RevisionStatus {
    Active,
    Inactive,
    /// Deleted (ECS's DeleteTaskDefinitions) after it was INACTIVE. The record stays, so its
    /// number is never given again; nothing new may use it.
    DeleteInProgress,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Revision {
    pub revision: u32,
    pub status: RevisionStatus,
    pub registered_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deregistered_at: Option<Timestamp>,
    /// The normalized content (see `model::normalize`).
    pub spec: TaskDefinitionSpec,
}

impl Revision {
    /// The content with its defaults as plain values (essential, stop timeouts, size).
    pub fn effective(&self) -> EffectiveTaskDefinition {
        EffectiveTaskDefinition::of(&self.spec)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ServiceStatus {
    Active,
    /// Deleted: its tasks are being stopped; then the record goes.
    Draining,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceRecord {
    /// The normalized spec as last applied.
    pub spec: ServiceSpec,
    /// The revision the service runs (its PRIMARY deployment's).
    pub task_definition: TaskDefRef,
    pub desired_count: u32,
    pub status: ServiceStatus,
    /// Newest first: `deployments[0]` is PRIMARY; the others are being replaced or done.
    pub deployments: Vec<Deployment>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl ServiceRecord {
    pub fn primary(&self) -> Option<&Deployment> {
        self.deployments.first()
    }

    /// The applied spec with its defaults as plain values (bounds, strategy, breaker).
    pub fn effective(&self) -> EffectiveService {
        EffectiveService::of(&self.spec)
    }
}

/// Deployments kept per service in the state (newest first).
pub const MAX_DEPLOYMENTS: usize = 10;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Deployment {
    pub id: String,
    pub task_definition: TaskDefRef,
    pub created_at: Timestamp,
    /// Why it was started: `apply`, `rollback`, `circuit breaker rollback`, `placement change`.
    pub reason: String,
}

/// What reconcilers record about one cluster (`runtime/CLUSTER.json`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Runtime {
    pub format_version: u32,
    /// The lineage of the state this belongs to; a mismatch means a foreign file.
    pub lineage: String,
    #[serde(default)]
    pub services: BTreeMap<String, ServiceRuntime>,
    /// What the reconciler last saw of each host.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub hosts: BTreeMap<String, HostRuntime>,
    /// Each target group's targets as its proxies last reported them.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub targets: BTreeMap<String, Vec<TargetRecord>>,
    /// Why standalone tasks (run-task) were stopped, by task id: written before they are
    /// stopped (StopTask), dropped when their containers are removed. Service tasks keep
    /// theirs in [`ServiceRuntime::stop_reasons`].
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub stop_reasons: BTreeMap<String, StopReason>,
    /// Each alarm's state, as last evaluated.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub alarms: BTreeMap<String, AlarmRecord>,
    /// What the scaler remembers of each scalable target (cooldowns, low watches, history).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub scaling: BTreeMap<String, ScalingRecord>,
    /// Each scheduled task's runs and events. Absent in runtime files written before them.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub scheduled_tasks: BTreeMap<String, ScheduleRuntime>,
}

/// Runs kept per scheduled task (newest last).
pub const MAX_RUNS: usize = 20;

/// What the reconciler recorded about one scheduled task.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleRuntime {
    /// The last scheduled time dealt with (run, skipped or reported missed): the times after
    /// it are still to come. A watch that starts after a gap counts its missed runs from here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handled_until: Option<Timestamp>,
    /// Oldest first, at most [`MAX_RUNS`].
    #[serde(default)]
    pub runs: VecDeque<ScheduledRun>,
    /// Oldest first, at most [`MAX_EVENTS`], none older than [`MAX_EVENT_AGE`] when pushed.
    #[serde(default)]
    pub events: VecDeque<Event>,
}

impl ScheduleRuntime {
    pub fn push_run(&mut self, run: ScheduledRun) {
        self.runs.push_back(run);
        while self.runs.len() > MAX_RUNS {
            self.runs.pop_front();
        }
    }

    pub fn push_event(&mut self, event: Event) {
        push_bounded_event(&mut self.events, event);
    }
}

/// One run of a scheduled task: the tasks it started and how they ended.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduledRun {
    /// The time the schedule named (for a missed run run late: the last one missed).
    pub scheduled_at: Timestamp,
    pub started_at: Timestamp,
    /// `true` for the one run of missed times that `runMissed: ONCE` makes.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub missed: bool,
    pub tasks: Vec<String>,
    pub status: RunStatus,
    /// The first non-zero exit code of an essential container (0 when all exited 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped_at: Option<Timestamp>,
    /// Why the run could not start or has no exit code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RunStatus {
    Running,
    /// Every task stopped, every essential container exited 0.
    Succeeded,
    /// A task stopped with a non-zero exit, or without running.
    Failed,
    /// No task could be started.
    FailedToStart,
    /// Its tasks are gone without their exit having been seen (removed while no watch ran).
    Unknown,
}

/// A target's state, with ELBv2's names (`describe-target-health`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TargetHealth {
    /// Registered, its checks not passed yet.
    Initial,
    Healthy,
    Unhealthy,
    /// Deregistering: no new requests, its sessions finish.
    Draining,
    /// Not registered with a reachable proxy.
    Unused,
}

impl TargetHealth {
    pub fn as_str(self) -> &'static str {
        match self {
            TargetHealth::Initial => "initial",
            TargetHealth::Healthy => "healthy",
            TargetHealth::Unhealthy => "unhealthy",
            TargetHealth::Draining => "draining",
            TargetHealth::Unused => "unused",
        }
    }
}

/// One target of a target group: a task's container port on its host.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetRecord {
    pub task: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    pub host: String,
    pub address: String,
    pub port: u16,
    pub health: TargetHealth,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HostRuntime {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_contact: Option<Timestamp>,
    /// Since when the host does not answer, and why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failing_since: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A service's task counts as the reconciler last saw them (`get services` shows them
/// without asking the hosts).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceCounts {
    pub desired: u32,
    pub running: u32,
    pub pending: u32,
    pub healthy: u32,
    /// Tasks that no host can take (their events say why).
    #[serde(default)]
    pub unplaced: u32,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceRuntime {
    /// Deployment id → progress.
    #[serde(default)]
    pub deployments: BTreeMap<String, DeploymentProgress>,
    /// Oldest first, at most [`MAX_EVENTS`], none older than [`MAX_EVENT_AGE`] when pushed.
    #[serde(default)]
    pub events: VecDeque<Event>,
    /// When the service last reached a steady state (for "has reached a steady state" once).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steady_since: Option<Timestamp>,
    /// Why tasks stopped (or are stopping), by task id. Written before ecsctl stops a task,
    /// so the reason survives a crash; dropped when the task's containers are removed.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub stop_reasons: BTreeMap<String, StopReason>,
    /// Tasks that failed in a row (started and died young); throttles new launches.
    #[serde(default)]
    pub consecutive_failures: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_failure_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counts: Option<ServiceCounts>,
    /// Active tasks per capacity provider, as last counted (absent without providers).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub capacity_providers: BTreeMap<String, u32>,
    /// Commands' requests to deployments, by deployment id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub controls: BTreeMap<String, DeploymentControl>,
    /// Scale-in protection (ECS's UpdateTaskProtection): task id → when it expires.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub protected: BTreeMap<String, Timestamp>,
    /// The service's tasks as the reconciler last knew them, by task id: a known task whose
    /// containers vanish without ecsctl stopping it was removed by hand (drift).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub known_tasks: BTreeMap<String, KnownTask>,
    /// Drift seen on the hosts and not resolved yet, by its message (`describe service`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub drift: BTreeMap<String, DriftRecord>,
}

/// A task ecsctl launched (or adopted), as last observed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KnownTask {
    pub host: String,
    /// Container name → Docker id.
    #[serde(default)]
    pub containers: BTreeMap<String, String>,
    /// Its essential containers ran when last seen (a task last seen exited and then gone
    /// was cleaned up by ecsctl, not removed by hand).
    #[serde(default)]
    pub running: bool,
}

/// One drift item as recorded: reported once, kept until it is gone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DriftRecord {
    pub since: Timestamp,
    /// Corrected by the reconciler (self-heal) rather than only reported.
    pub corrected: bool,
}

impl ServiceRuntime {
    /// Is the task protected from scale-in (and from deployments) now?
    pub fn is_protected(&self, task: &str, now: Timestamp) -> bool {
        self.protected
            .get(task)
            .is_some_and(|expires| *expires > now)
    }
}

/// Why a task stopped, as ECS words it (`Essential container in task exited`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StopReason {
    pub text: String,
    /// Stopped by ecsctl on purpose (scale-in, deployment, deletion), not a failure.
    #[serde(default)]
    pub intentional: bool,
}

impl StopReason {
    pub fn failure(text: impl Into<String>) -> Self {
        StopReason {
            text: text.into(),
            intentional: false,
        }
    }

    pub fn intentional(text: impl Into<String>) -> Self {
        StopReason {
            text: text.into(),
            intentional: true,
        }
    }
}

impl ServiceRuntime {
    pub fn push_event(&mut self, event: Event) {
        push_bounded_event(&mut self.events, event);
    }

    /// Forgets the progress of deployments that the state no longer lists (`listed`: the
    /// service record's, at most [`MAX_DEPLOYMENTS`]) once it is [`UNLISTED_PROGRESS_AGE`]
    /// old, keeping at most [`MAX_DEPLOYMENTS`] of those younger; and the commands'
    /// requests to deployments that are neither listed nor have progress kept.
    pub fn prune_deployments(&mut self, listed: &[Deployment], now: Timestamp) {
        let is_listed = |id: &str| listed.iter().any(|d| d.id == id);
        let mut unlisted: Vec<(Timestamp, String)> = self
            .deployments
            .iter()
            .filter(|(id, _)| !is_listed(id))
            .map(|(id, p)| (p.updated_at, id.clone()))
            .collect();
        // Newest first: the oldest beyond the count go, and any past the age.
        unlisted.sort_by(|a, b| b.cmp(a));
        for (i, (updated_at, id)) in unlisted.into_iter().enumerate() {
            if i >= MAX_DEPLOYMENTS || now.since(updated_at) > UNLISTED_PROGRESS_AGE {
                self.deployments.remove(&id);
            }
        }
        let deployments = &self.deployments;
        self.controls
            .retain(|id, _| is_listed(id) || deployments.contains_key(id));
    }
}

/// How long the progress of a deployment the state no longer lists is kept.
pub const UNLISTED_PROGRESS_AGE: std::time::Duration = std::time::Duration::from_secs(3600);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RolloutState {
    InProgress,
    Completed,
    Failed,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentProgress {
    pub rollout_state: RolloutState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollout_state_reason: Option<String>,
    #[serde(default)]
    pub failed_tasks: u32,
    pub updated_at: Timestamp,
    /// Where a shifted deployment (BLUE_GREEN, LINEAR, CANARY) stands; absent for rolling ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shift: Option<ShiftProgress>,
}

/// An alarm's state as the reconciler last evaluated it (`get alarms`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlarmRecord {
    pub state: AlarmState,
    /// CloudWatch-style: `Threshold Crossed: 1 out of the last 1 datapoints [3 (…)] …`.
    pub reason: String,
    /// When it entered this state.
    pub since: Timestamp,
}

/// A scalable target as the scaler left it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScalingRecord {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_scale_out: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_scale_in: Option<Timestamp>,
    /// Target tracking policy → since when its metric is under 90 % of its target.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub low_since: BTreeMap<String, Timestamp>,
    /// Step policy → when it last acted.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub last_step: BTreeMap<String, Timestamp>,
    /// The last [`MAX_SCALING_ACTIVITIES`] changes, oldest first.
    #[serde(default, skip_serializing_if = "VecDeque::is_empty")]
    pub activities: VecDeque<ScalingActivity>,
}

/// Scaling activities kept per scalable target.
pub const MAX_SCALING_ACTIVITIES: usize = 20;

/// One change of a desired count (Application Auto Scaling's scaling activity).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScalingActivity {
    pub at: Timestamp,
    pub from: u32,
    pub to: u32,
    pub cause: String,
}

/// A shifted deployment's stage and its production traffic.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShiftProgress {
    pub stage: Stage,
    /// The production traffic step under way (PRODUCTION_TRAFFIC_SHIFT).
    #[serde(default)]
    pub step: u32,
    /// When the stage (or the step, or the pause) began.
    pub since: Timestamp,
    /// The new revision's share of production traffic, in permille.
    #[serde(default)]
    pub traffic: u32,
    /// A PAUSE hook holds the deployment at `stage`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub paused: bool,
    /// The task of the lifecycle hook of `stage`, once launched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hook: Option<HookRun>,
}

/// A lifecycle hook's one-off task.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HookRun {
    pub stage: Stage,
    /// Empty when the task could not be launched.
    pub task_id: String,
    pub since: Timestamp,
    /// It exited 0: the stage goes on.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub passed: bool,
}

/// What a command asked of a deployment (`ecsctl deployment continue|rollback`). Kept apart
/// from the progress the reconciler writes, so neither overwrites the other.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentControl {
    /// Stages whose PAUSE hook was continued.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub continued: BTreeSet<Stage>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub rollback: bool,
}

impl DeploymentProgress {
    pub fn in_progress(now: Timestamp) -> Self {
        DeploymentProgress {
            rollout_state: RolloutState::InProgress,
            rollout_state_reason: None,
            failed_tasks: 0,
            updated_at: now,
            shift: None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    pub id: String,
    pub created_at: Timestamp,
    pub message: String,
    /// Recorded by a command (`apply`, `scale`, `rollback`, `drain`, the API), not by a
    /// reconciler: a running `watch` shows these as they come.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub by_command: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn event(i: u64, at: Timestamp) -> Event {
        Event {
            id: format!("e{i}"),
            created_at: at,
            message: format!("event {i}"),
            by_command: false,
        }
    }

    #[test]
    fn events_are_bounded_by_count() {
        let mut events = VecDeque::new();
        for i in 0..250 {
            push_bounded_event(&mut events, event(i, Timestamp::from_unix_millis(i)));
        }
        assert_eq!(events.len(), MAX_EVENTS);
        assert_eq!(events.front().map(|e| e.id.as_str()), Some("e150"));
        assert_eq!(events.back().map(|e| e.id.as_str()), Some("e249"));
    }

    #[test]
    fn events_are_bounded_by_age() {
        let t0 = Timestamp::from_unix_millis(1_000_000);
        let mut events = VecDeque::new();
        push_bounded_event(&mut events, event(0, t0));
        push_bounded_event(&mut events, event(1, t0.plus(Duration::from_secs(60))));
        // Exactly the age: kept; past it: dropped, however few there are.
        push_bounded_event(&mut events, event(2, t0.plus(MAX_EVENT_AGE)));
        assert_eq!(events.len(), 3);
        let later = t0.plus(MAX_EVENT_AGE).plus(Duration::from_secs(61));
        push_bounded_event(&mut events, event(3, later));
        let ids: Vec<&str> = events.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["e2", "e3"]);
    }

    fn deployment(id: &str) -> Deployment {
        Deployment {
            id: id.to_string(),
            task_definition: TaskDefRef::pinned("web", 1),
            created_at: Timestamp::from_unix_millis(0),
            reason: "apply".into(),
        }
    }

    fn progress(at: Timestamp) -> DeploymentProgress {
        DeploymentProgress {
            rollout_state: RolloutState::Completed,
            ..DeploymentProgress::in_progress(at)
        }
    }

    #[test]
    fn progress_of_listed_deployments_is_kept_however_old() {
        let t0 = Timestamp::from_unix_millis(0);
        let mut runtime = ServiceRuntime::default();
        runtime.deployments.insert("ecs-svc/1".into(), progress(t0));
        runtime
            .controls
            .insert("ecs-svc/1".into(), DeploymentControl::default());
        let now = t0.plus(Duration::from_secs(30 * 24 * 3600));
        runtime.prune_deployments(&[deployment("ecs-svc/1")], now);
        assert!(runtime.deployments.contains_key("ecs-svc/1"));
        assert!(runtime.controls.contains_key("ecs-svc/1"));
    }

    #[test]
    fn progress_of_unlisted_deployments_is_bounded_by_age_and_count() {
        let t0 = Timestamp::from_unix_millis(10_000_000);
        let now = t0.plus(Duration::from_secs(7200));
        let mut runtime = ServiceRuntime::default();
        // Two hours old, unlisted: goes.
        runtime.deployments.insert("old".into(), progress(t0));
        runtime
            .controls
            .insert("old".into(), DeploymentControl::default());
        // 25 young unlisted ones: the newest MAX_DEPLOYMENTS stay.
        for i in 0..25u64 {
            // A minute ago and after.
            let at = Timestamp::from_unix_millis(10_000_000 + 7_200_000 - 60_000 + i * 1000);
            runtime
                .deployments
                .insert(format!("young-{i:02}"), progress(at));
        }
        runtime.deployments.insert("primary".into(), progress(t0));
        // A control of a deployment with neither a listing nor progress: goes.
        runtime
            .controls
            .insert("stray".into(), DeploymentControl::default());
        runtime.prune_deployments(&[deployment("primary")], now);
        assert!(runtime.deployments.contains_key("primary"));
        assert!(!runtime.deployments.contains_key("old"));
        assert!(!runtime.controls.contains_key("old"));
        assert!(!runtime.controls.contains_key("stray"));
        let young: Vec<&String> = runtime
            .deployments
            .keys()
            .filter(|k| k.starts_with("young-"))
            .collect();
        assert_eq!(young.len(), MAX_DEPLOYMENTS);
        assert_eq!(young.first().map(|s| s.as_str()), Some("young-15"));
    }
}
