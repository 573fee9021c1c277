//! Carries out a cluster decision: every action on its host, all at once, while the controller
//! goes on. A host that fails or hangs holds up only its own actions. What is under way is
//! remembered ([`InFlight`]) so that nothing is repeated while it runs, and outcomes come back
//! as data: launch failures for the circuit breaker, removed tasks for the record.
//!
//! Hosts are reached through [`super::ops::TaskHost`] (launch/start/stop/remove), which
//! [`crate::docker::host::DockerHost`] implements; the tests use a fake.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::task::JoinSet;

use super::ops::{LaunchPlan, TaskHost};
use crate::reconcile::cluster::{Action, InFlight, LaunchTask, Step};
use crate::reconcile::service::LaunchFailure;
use crate::reconcile::task::{ObservedTask, TaskGroup};

/// Standalone launch outcomes a long watch keeps (scheduled tasks, hooks), newest first.
pub const STANDALONE_KEPT: usize = 1024;
/// How long a standalone launch outcome is kept: its waiter reads it at once.
pub const STANDALONE_AGE: Duration = Duration::from_secs(3600);

/// Drops the outcomes older than `age`, then the oldest beyond `max`.
fn bound_outcomes<T>(
    outcomes: &mut BTreeMap<String, (Instant, T)>,
    now: Instant,
    max: usize,
    age: Duration,
) {
    outcomes.retain(|_, (at, _)| now.saturating_duration_since(*at) <= age);
    while outcomes.len() > max {
        let oldest = outcomes
            .iter()
            .min_by_key(|(id, (at, _))| (*at, (*id).clone()))
            .map(|(id, _)| id.clone());
        match oldest {
            Some(id) => outcomes.remove(&id),
            None => break,
        };
    }
}

/// The hosts of a cluster that can be acted on now, by name.
pub type Hosts = BTreeMap<String, Arc<dyn TaskHost>>;

/// How an operation ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Done {
    Launched {
        task_id: String,
    },
    LaunchFailed {
        task_id: String,
        group: TaskGroup,
        deployment: Option<String>,
        reason: String,
    },
    Started {
        task_id: String,
        containers: Vec<String>,
        error: Option<String>,
    },
    Stopped {
        task_id: String,
        containers: Vec<String>,
        error: Option<String>,
    },
    Removed {
        task_id: String,
        error: Option<String>,
    },
}

/// What the executor was asked that it could not even begin (no connection to the host, no
/// task definition): skipped, decided again next pass.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    pub host: String,
    pub task_id: String,
    pub why: String,
}

#[derive(Default)]
pub struct Executor {
    cluster: String,
    ops: JoinSet<Done>,
    in_flight: InFlight,
    /// How launches of standalone tasks ended (run-task waits for them), and when: at most
    /// [`STANDALONE_KEPT`], none older than [`STANDALONE_AGE`].
    standalone: BTreeMap<String, (Instant, Result<(), String>)>,
    /// Operations that ended with an error since the last [`Executor::take_errors`].
    errors: Vec<String>,
}

impl Executor {
    /// The executor of `cluster`'s operations.
    pub fn new(cluster: &str) -> Self {
        Executor {
            cluster: cluster.to_string(),
            ..Executor::default()
        }
    }

    /// True while operations are under way.
    pub fn busy(&self) -> bool {
        !self.ops.is_empty()
    }

    pub fn in_flight(&self) -> &InFlight {
        &self.in_flight
    }

    /// What the next decision takes as input; launch failures and removals are handed over
    /// once (they are the decision's to record).
    pub fn take_for_pass(&mut self) -> InFlight {
        let mut snapshot = self.in_flight.clone();
        self.in_flight.launch_failures.clear();
        self.in_flight.removed.clear();
        snapshot.removed.sort();
        snapshot
    }

    /// Gives back removals whose record could not be written.
    pub fn restore_removed(&mut self, removed: Vec<String>) {
        self.in_flight.removed.extend(removed);
    }

    /// How a standalone task's launch ended, once it has.
    pub fn standalone_launch(&self, task_id: &str) -> Option<&Result<(), String>> {
        self.standalone.get(task_id).map(|(_, outcome)| outcome)
    }

    fn note_standalone(&mut self, task_id: String, outcome: Result<(), String>) {
        let now = Instant::now();
        self.standalone.insert(task_id, (now, outcome));
        bound_outcomes(&mut self.standalone, now, STANDALONE_KEPT, STANDALONE_AGE);
    }

    /// Errors of operations that ended since the last call (they are retried by later
    /// decisions; the caller logs them).
    pub fn take_errors(&mut self) -> Vec<String> {
        std::mem::take(&mut self.errors)
    }

    /// Starts every step on its host. `prepare` turns a launch into a plan (task definition,
    /// secrets, architecture); its error is a launch failure. Returns how many operations
    /// started and what was skipped.
    pub fn execute(
        &mut self,
        steps: Vec<Step>,
        hosts: &Hosts,
        prepare: &dyn Fn(&LaunchTask) -> Result<LaunchPlan, String>,
    ) -> (usize, Vec<Skipped>) {
        let before = self.ops.len();
        let mut skipped = Vec::new();
        for step in steps {
            let Some(host) = hosts.get(step.action.host()).cloned() else {
                skipped.push(Skipped {
                    host: step.action.host().to_string(),
                    task_id: step.action.task_id().to_string(),
                    why: "no connection to the host".into(),
                });
                continue;
            };
            match step.action {
                Action::Launch(launch) => match prepare(&launch) {
                    Ok(plan) => self.launch(host, &launch.host, plan),
                    Err(reason) => self.launch_failed(&launch, reason),
                },
                Action::Start {
                    task_id,
                    containers,
                    ..
                } => self.start(host, task_id, containers),
                Action::Stop {
                    task_id,
                    containers,
                    last,
                    ..
                } => self.stop(host, task_id, containers, last),
                Action::Remove { task_id, .. } => self.remove(host, task_id),
            }
        }
        (self.ops.len().saturating_sub(before), skipped)
    }

    /// Creates a task on `host` (named `host_name`); until it is done, the task is its
    /// placeholder in the decisions.
    pub fn launch(&mut self, host: Arc<dyn TaskHost>, host_name: &str, plan: LaunchPlan) {
        if self.in_flight.launching.contains_key(&plan.task_id) {
            return;
        }
        let placeholder = ObservedTask {
            id: plan.task_id.clone(),
            cluster: plan.cluster.clone(),
            host: host_name.to_string(),
            group: plan.group.clone(),
            task_definition: crate::model::names::TaskDefRef::pinned(
                plan.family.clone(),
                plan.revision,
            ),
            deployment: plan.deployment.clone(),
            created_at: plan.created_at,
            containers: Vec::new(),
            launch_type: plan.launch_type,
            task_limits: None,
        };
        self.in_flight
            .launching
            .insert(plan.task_id.clone(), placeholder);
        self.ops.spawn(async move {
            match host.launch(&plan).await {
                Ok(()) => Done::Launched {
                    task_id: plan.task_id,
                },
                Err(reason) => Done::LaunchFailed {
                    task_id: plan.task_id,
                    group: plan.group,
                    deployment: plan.deployment,
                    reason,
                },
            }
        });
    }

    fn launch_failed(&mut self, launch: &LaunchTask, reason: String) {
        self.failed(
            launch.task_id.clone(),
            &launch.group,
            launch.deployment.clone(),
            reason,
        );
    }

    fn failed(
        &mut self,
        task_id: String,
        group: &TaskGroup,
        deployment: Option<String>,
        reason: String,
    ) {
        match group {
            TaskGroup::Service(service) => self
                .in_flight
                .launch_failures
                .entry(service.clone())
                .or_default()
                .push(LaunchFailure {
                    task_id,
                    deployment: deployment.unwrap_or_default(),
                    reason,
                }),
            TaskGroup::Standalone(_) => {
                self.note_standalone(task_id, Err(reason));
            }
        }
    }

    fn start(&mut self, host: Arc<dyn TaskHost>, task_id: String, containers: Vec<String>) {
        let busy = &mut self.in_flight.busy_containers;
        if containers.iter().any(|c| busy.contains(c)) {
            return;
        }
        busy.extend(containers.iter().cloned());
        self.ops.spawn(async move {
            let mut error = None;
            // In order: the network holder and dependencies were ordered by the decision.
            for id in &containers {
                if let Err(e) = host.start(id).await {
                    error = Some(format!("{e:#}"));
                    break;
                }
            }
            Done::Started {
                task_id,
                containers,
                error,
            }
        });
    }

    fn stop(
        &mut self,
        host: Arc<dyn TaskHost>,
        task_id: String,
        containers: Vec<(String, Duration)>,
        last: Vec<(String, Duration)>,
    ) {
        if !self.in_flight.stopping.insert(task_id.clone()) {
            return;
        }
        let busy = &mut self.in_flight.busy_containers;
        busy.extend(containers.iter().chain(&last).map(|(id, _)| id.clone()));
        self.ops.spawn(async move {
            // ECS stops a task's containers together; the network holder goes after them.
            let results =
                futures_util::future::join_all(containers.iter().map(|(id, t)| host.stop(id, *t)))
                    .await;
            let mut error = results
                .into_iter()
                .find_map(Result::err)
                .map(|e| format!("{e:#}"));
            for (id, t) in &last {
                if let Err(e) = host.stop(id, *t).await {
                    error.get_or_insert(format!("{e:#}"));
                }
            }
            let containers = containers.into_iter().chain(last).map(|(id, _)| id);
            Done::Stopped {
                task_id,
                containers: containers.collect(),
                error,
            }
        });
    }

    fn remove(&mut self, host: Arc<dyn TaskHost>, task_id: String) {
        if !self.in_flight.removing.insert(task_id.clone()) {
            return;
        }
        let cluster = self.cluster.clone();
        self.ops.spawn(async move {
            let error = host
                .remove(&task_id, &cluster)
                .await
                .err()
                .map(|e| format!("{e:#}"));
            Done::Removed { task_id, error }
        });
    }

    /// Waits for the next operation to finish and records its outcome.
    pub async fn next_done(&mut self) -> Option<Done> {
        let done = self.ops.join_next().await?;
        match done {
            Ok(done) => {
                self.finished(done.clone());
                Some(done)
            }
            Err(e) => {
                self.errors
                    .push(format!("an operation panicked or was cancelled: {e}"));
                None
            }
        }
    }

    /// Records every operation that has already finished, without waiting.
    pub fn drain_done(&mut self) {
        while let Some(done) = self.ops.try_join_next() {
            match done {
                Ok(done) => self.finished(done),
                Err(e) => self
                    .errors
                    .push(format!("an operation panicked or was cancelled: {e}")),
            }
        }
    }

    fn finished(&mut self, done: Done) {
        let in_flight = &mut self.in_flight;
        match done {
            Done::Launched { task_id } => {
                if let Some(t) = in_flight.launching.remove(&task_id)
                    && matches!(t.group, TaskGroup::Standalone(_))
                {
                    self.note_standalone(task_id, Ok(()));
                }
            }
            Done::LaunchFailed {
                task_id,
                group,
                deployment,
                reason,
            } => {
                in_flight.launching.remove(&task_id);
                tracing::info!(task = %task_id, "launch failed: {reason}");
                self.failed(task_id, &group, deployment, reason);
            }
            Done::Started {
                containers, error, ..
            } => {
                for id in containers {
                    in_flight.busy_containers.remove(&id);
                }
                self.errors
                    .extend(error.map(|e| format!("starting containers: {e}")));
            }
            Done::Stopped {
                task_id,
                containers,
                error,
            } => {
                in_flight.stopping.remove(&task_id);
                for id in containers {
                    in_flight.busy_containers.remove(&id);
                }
                self.errors
                    .extend(error.map(|e| format!("stopping task {task_id}: {e}")));
            }
            Done::Removed { task_id, error } => {
                in_flight.removing.remove(&task_id);
                match error {
                    None => in_flight.removed.push(task_id),
                    Some(e) => self.errors.push(format!("removing task {task_id}: {e}")),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
