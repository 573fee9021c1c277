//! `run-task`: one-off tasks placed like service tasks (the same host views and usage, so no
//! task lands on a DRAINING host and `memberOf` constraints see the host attributes) and
//! launched through the same executor. Their containers are driven by the cluster's
//! reconciler: when no other process holds the cluster's lease, this one runs a reconciler
//! while it waits; when a `watch` holds it, this one only launches and then observes.
//! Progress (tasks started, log lines) comes back through the caller's callback.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::{OpsError, OpsResult, Session};
use crate::controller::executor::Executor;
use crate::controller::inspect;
use crate::controller::ops::TaskHost;
use crate::controller::reconciler::{Options, PassReport, Reconciler};
use crate::controller::run::drive;
use crate::controller::standalone;
use crate::docker::host::DockerHost;
use crate::docker::logs;
use crate::model::cluster::FARGATE_PROVIDERS;
use crate::model::ecs::{CapacityProviderStrategyItem, LaunchType, TaskDefinitionSpec};
use crate::model::names::TaskDefRef;
use crate::model::validate::capacity::strategy_problems;
use crate::reconcile::standalone::Constraints;
use crate::reconcile::task::{ObservedTask, TaskState, TaskStatus};
use crate::state::State;
use crate::state::lock;
use crate::time::Timestamp;

/// What to run.
pub struct RunTask {
    pub cluster: String,
    /// The revision to run (pinned).
    pub task_definition: TaskDefRef,
    /// Its content with the run's overrides.
    pub spec: TaskDefinitionSpec,
    pub count: u32,
    pub started_by: String,
    pub constraints: Constraints,
    /// As `aws ecs run-task --capacity-provider-strategy`; empty: the cluster's default
    /// strategy, else every host.
    pub capacity_provider_strategy: Vec<CapacityProviderStrategyItem>,
    /// As `aws ecs run-task --launch-type`: `FARGATE` places on the cluster's `FARGATE`
    /// provider and bounds each task as a whole; `EC2` on every host.
    pub launch_type: Option<LaunchType>,
    /// Wait this long for the tasks to stop, streaming their logs (None: launch and return).
    pub wait: Option<Duration>,
}

/// The revision a run names (`family`, `family:REV` or its ARN; without a revision the
/// newest ACTIVE one), pinned, with its content. A deleted revision runs no new task.
pub fn revision_to_run(state: &State, text: &str) -> OpsResult<(TaskDefRef, TaskDefinitionSpec)> {
    let revision = super::resolve::task_definition(state, text)?;
    let family = text
        .parse::<TaskDefRef>()
        .map_err(OpsError::Invalid)?
        .family;
    if revision.status == crate::state::RevisionStatus::DeleteInProgress {
        return Err(OpsError::invalid(format!(
            "task definition `{family}:{}` is DELETE_IN_PROGRESS (deleted): no new task may use it",
            revision.revision
        )));
    }
    Ok((
        TaskDefRef::pinned(family, revision.revision),
        revision.spec.clone(),
    ))
}

/// What happens, as it happens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Progress {
    Started {
        task_id: String,
        host: String,
    },
    LaunchFailed {
        task_id: String,
        reason: String,
    },
    /// A line of a task's logs, prefixed `family/task/container | `.
    Log(String),
    /// A task stopped before any essential container ran.
    StoppedWithoutRunning {
        task_id: String,
        reason: String,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub launched: Vec<String>,
    pub failed_launches: usize,
    /// With a wait: the exit code to exit with (the first non-zero essential one; 1 for a
    /// task that stopped without running).
    pub exit_code: Option<u8>,
}

/// Runs the tasks. Fails before launching anything when they cannot all be placed.
pub async fn run_task(
    session: &Session,
    request: &RunTask,
    options: Options,
    on: &mut dyn FnMut(Progress),
) -> OpsResult<Outcome> {
    let state = session.state_or_empty()?;
    check(&state, request)?;
    match session
        .store
        .take_lease_async(&request.cluster, Duration::ZERO)
        .await
    {
        Ok(lease) => {
            let outcome = run_here(session, &state, request, options, on).await;
            drop(lease);
            outcome
        }
        Err(lock::LockError::Held { .. }) => run_beside(session, &state, request, on).await,
        Err(e) => Err(e.into()),
    }
}

fn check(state: &State, request: &RunTask) -> OpsResult<()> {
    if request.count == 0 {
        return Err(OpsError::invalid("--count must be at least 1"));
    }
    if state.lineage.is_empty() {
        return Err(OpsError::invalid(
            "the state is empty: register the task definition first (`ecsctl apply -f`)",
        ));
    }
    if !state.cluster_names().contains(&request.cluster) {
        return Err(OpsError::not_found(
            super::ObjectKind::Cluster,
            &request.cluster,
            "in the state",
        ));
    }
    check_strategy(state, request)
}

/// The run's strategy, by the rules manifests follow, naming providers the cluster has.
fn check_strategy(state: &State, request: &RunTask) -> OpsResult<()> {
    let items = &request.capacity_provider_strategy;
    let flag = "--capacity-provider-strategy";
    if request.launch_type.is_some() && !items.is_empty() {
        return Err(OpsError::invalid(
            "specifying both a launch type and capacity provider strategy is not supported: give `--launch-type` or `--capacity-provider-strategy`",
        ));
    }
    let mut problems: Vec<String> = strategy_problems(items)
        .into_iter()
        .map(|p| match p.help {
            Some(help) => format!("{flag}{}: {} ({help})", p.at, p.message),
            None => format!("{flag}{}: {}", p.at, p.message),
        })
        .collect();
    let spec = state.cluster_spec(&request.cluster).unwrap_or_default();
    let declared: Vec<&str> = spec
        .capacity_providers
        .iter()
        .filter_map(|p| p.name.as_deref())
        .collect();
    for (i, item) in items.iter().enumerate() {
        if let Some(name) = item.capacity_provider.as_deref()
            && !name.is_empty()
            && !declared.contains(&name)
            && !FARGATE_PROVIDERS.contains(&name)
        {
            let known = if declared.is_empty() {
                "it declares none".to_string()
            } else {
                format!("its capacity providers are `{}`", declared.join("`, `"))
            };
            problems.push(format!(
                "{flag}[{i}]: unknown capacity provider `{name}` in cluster `{}`: {known}",
                request.cluster
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(OpsError::invalid(problems.join("\n")))
    }
}

impl RunTask {
    fn run(&self) -> standalone::Run<'_> {
        standalone::Run {
            cluster: &self.cluster,
            task_definition: &self.task_definition,
            spec: &self.spec,
            count: self.count,
            started_by: &self.started_by,
            constraints: &self.constraints,
            capacity_provider_strategy: &self.capacity_provider_strategy,
            launch_type: self.launch_type,
        }
    }
}

/// Reports how each launch ended; returns the tasks that were created, and how many were not.
fn report_launches(
    chosen: &[(String, String)],
    outcome: &dyn Fn(&str) -> Option<Result<(), String>>,
    on: &mut dyn FnMut(Progress),
) -> (Vec<(String, String)>, usize) {
    let mut ok = Vec::new();
    let mut failed = 0;
    for (task_id, host) in chosen {
        match outcome(task_id) {
            Some(Ok(())) => {
                on(Progress::Started {
                    task_id: task_id.clone(),
                    host: host.clone(),
                });
                ok.push((task_id.clone(), host.clone()));
            }
            Some(Err(reason)) => {
                failed += 1;
                on(Progress::LaunchFailed {
                    task_id: task_id.clone(),
                    reason,
                });
            }
            None => failed += 1,
        }
    }
    (ok, failed)
}

/// This process holds the lease: a reconciler of its own places, launches and drives.
async fn run_here(
    session: &Session,
    state: &State,
    request: &RunTask,
    options: Options,
    on: &mut dyn FnMut(Progress),
) -> OpsResult<Outcome> {
    let mut reconciler = Reconciler::new(
        session.store.clone(),
        &request.cluster,
        options,
        session.transport.clone(),
    );
    reconciler.pass().await?;
    let runtime = session.store.read_runtime(&request.cluster)?;
    let chosen = reconciler
        .launch_run(state, &runtime, &request.run())
        .map_err(OpsError::invalid)?;
    let pending = |r: &Reconciler| {
        let executor = r.executor();
        chosen
            .iter()
            .any(|(id, _)| executor.standalone_launch(id).is_none())
    };
    while pending(&reconciler) && reconciler.busy() {
        reconciler.next_done().await;
    }
    let executor = reconciler.executor();
    let (ok, failed) = report_launches(&chosen, &|id| executor.standalone_launch(id).cloned(), on);
    let hosts: BTreeMap<String, Arc<DockerHost>> = ok
        .iter()
        .filter_map(|(_, h)| Some((h.clone(), reconciler.host(h)?)))
        .collect();
    let exit_code = match request.wait {
        None => None,
        Some(wait) => {
            Some(drive_until_stopped(&mut reconciler, request, &ok, &hosts, wait, on).await?)
        }
    };
    // What the reconciler started for the services finishes before it is dropped.
    while reconciler.busy() {
        reconciler.next_done().await;
    }
    Ok(Outcome {
        launched: ok.into_iter().map(|(id, _)| id).collect(),
        failed_launches: failed,
        exit_code,
    })
}

/// Runs the reconciler until the tasks have stopped, streaming their logs.
async fn drive_until_stopped(
    reconciler: &mut Reconciler,
    request: &RunTask,
    tasks: &[(String, String)],
    hosts: &BTreeMap<String, Arc<DockerHost>>,
    wait: Duration,
    on: &mut dyn FnMut(Progress),
) -> OpsResult<u8> {
    let ids: BTreeSet<&str> = tasks.iter().map(|(id, _)| id.as_str()).collect();
    let (tx, mut rx) = mpsc::channel::<String>(1024);
    let logs = RefCell::new(LogStreams::new(&request.task_definition.family, tx));
    let last: RefCell<Vec<(ObservedTask, TaskState)>> = RefCell::new(Vec::new());
    let (nudge, nudges) = mpsc::channel(64);
    let on = RefCell::new(on);
    let finished = |report: &PassReport| {
        let mine: Vec<(ObservedTask, TaskState)> = report
            .standalone
            .iter()
            .filter(|(t, _)| ids.contains(t.id.as_str()))
            .cloned()
            .collect();
        for (t, _) in &mine {
            logs.borrow_mut().follow(t, hosts);
        }
        let done = mine.len() == ids.len()
            && mine
                .iter()
                .all(|(_, st)| st.last_status == TaskStatus::Stopped);
        *last.borrow_mut() = mine;
        done
    };
    let deadline = Instant::now() + wait;
    let driving = drive(
        reconciler,
        nudges,
        nudge,
        Some(deadline),
        |_| last_done(&last, ids.len()),
        |r| {
            finished(r);
        },
        |e| tracing::warn!("reconcile error (retrying): {e:#}"),
    );
    let pump = async {
        while let Some(line) = rx.recv().await {
            (on.borrow_mut())(Progress::Log(line));
        }
    };
    let ended = tokio::select! {
        ended = driving => ended,
        () = pump => crate::controller::run::Ended::Stopped,
    };
    let on = on.into_inner();
    finish_logs(&mut rx, on).await;
    if ended != crate::controller::run::Ended::Done {
        return Err(timed_out(wait));
    }
    Ok(exit_code(&last.borrow(), on))
}

fn last_done(last: &RefCell<Vec<(ObservedTask, TaskState)>>, count: usize) -> bool {
    let last = last.borrow();
    last.len() == count
        && last
            .iter()
            .all(|(_, st)| st.last_status == TaskStatus::Stopped)
}

fn timed_out(wait: Duration) -> OpsError {
    OpsError::invalid(format!(
        "the tasks did not stop within {}",
        humantime::format_duration(wait)
    ))
}

/// The last lines of the logs.
async fn finish_logs(rx: &mut mpsc::Receiver<String>, on: &mut dyn FnMut(Progress)) {
    tokio::time::sleep(Duration::from_millis(200)).await;
    while let Ok(line) = rx.try_recv() {
        on(Progress::Log(line));
    }
}

/// A watch holds the lease: launch through an executor of our own, then only observe (the
/// watch drives the containers).
async fn run_beside(
    session: &Session,
    state: &State,
    request: &RunTask,
    on: &mut dyn FnMut(Progress),
) -> OpsResult<Outcome> {
    let runtime = session.store.read_runtime(&request.cluster)?;
    let observation =
        inspect::observe(state, &runtime, &request.cluster, &session.transport).await?;
    let views = observation.host_views(state, &request.cluster);
    let chosen = standalone::choose(state, &request.run(), &views, &observation.usage(state))
        .map_err(OpsError::invalid)?;
    let mut executor = Executor::new(&request.cluster);
    for (task_id, host) in &chosen {
        let Some(conn) = observation.host(host).cloned() else {
            continue;
        };
        let architecture = observation
            .hosts
            .iter()
            .find(|h| h.name == *host)
            .and_then(|h| h.info.as_ref())
            .map(|i| i.architecture.clone())
            .unwrap_or_default();
        let plan = standalone::plan(state, &request.run(), task_id, architecture)
            .map_err(OpsError::invalid)?;
        let conn: Arc<dyn TaskHost> = conn;
        executor.launch(conn, host, plan);
    }
    while chosen
        .iter()
        .any(|(id, _)| executor.standalone_launch(id).is_none())
        && executor.busy()
    {
        executor.next_done().await;
    }
    let (ok, failed) = report_launches(&chosen, &|id| executor.standalone_launch(id).cloned(), on);
    let exit_code = match request.wait {
        None => None,
        Some(wait) => Some(
            observe_until_stopped(state, &runtime, request, &ok, &observation, wait, on).await?,
        ),
    };
    Ok(Outcome {
        launched: ok.into_iter().map(|(id, _)| id).collect(),
        failed_launches: failed,
        exit_code,
    })
}

/// Follows the tasks (assessed as the reconciler does) until they have stopped, streaming
/// their logs.
async fn observe_until_stopped(
    state: &State,
    runtime: &crate::state::Runtime,
    request: &RunTask,
    tasks: &[(String, String)],
    observation: &inspect::ClusterObservation,
    wait: Duration,
    on: &mut dyn FnMut(Progress),
) -> OpsResult<u8> {
    let deadline = Instant::now() + wait;
    let hosts: BTreeMap<String, Arc<DockerHost>> = tasks
        .iter()
        .filter_map(|(_, h)| Some((h.clone(), observation.host(h)?.clone())))
        .collect();
    let (tx, mut rx) = mpsc::channel::<String>(1024);
    let mut logs = LogStreams::new(&request.task_definition.family, tx);
    loop {
        let mut seen = Vec::new();
        for (id, host) in tasks {
            let Some(conn) = hosts.get(host) else {
                continue;
            };
            let observed = conn.observe(&request.cluster, &state.lineage).await?;
            let Some(t) = observed.tasks.into_iter().find(|t| &t.id == id) else {
                continue;
            };
            logs.follow(&t, &hosts);
            seen.extend(inspect::assess_observed(
                state,
                runtime,
                &request.cluster,
                vec![t],
                Timestamp::now(),
            ));
        }
        while let Ok(line) = rx.try_recv() {
            on(Progress::Log(line));
        }
        if seen.len() == tasks.len()
            && seen
                .iter()
                .all(|v| v.state.last_status == TaskStatus::Stopped)
        {
            finish_logs(&mut rx, on).await;
            let finals: Vec<(ObservedTask, TaskState)> =
                seen.into_iter().map(|v| (v.task, v.state)).collect();
            return Ok(exit_code(&finals, on));
        }
        if Instant::now() >= deadline {
            return Err(timed_out(wait));
        }
        tokio::select! {
            line = rx.recv() => if let Some(line) = line { on(Progress::Log(line)) },
            () = tokio::time::sleep(Duration::from_millis(250)) => {}
        }
    }
}

/// One log stream per started container, forwarding lines prefixed `family/task/container`.
struct LogStreams {
    family: String,
    streaming: BTreeSet<String>,
    tx: mpsc::Sender<String>,
}

impl LogStreams {
    fn new(family: &str, tx: mpsc::Sender<String>) -> Self {
        LogStreams {
            family: family.to_string(),
            streaming: BTreeSet::new(),
            tx,
        }
    }

    fn follow(&mut self, t: &ObservedTask, hosts: &BTreeMap<String, Arc<DockerHost>>) {
        let Some(host) = hosts.get(&t.host) else {
            return;
        };
        for c in t.app_containers() {
            if !c.was_started() || !self.streaming.insert(c.docker_id.clone()) {
                continue;
            }
            let short = t.id.get(..6).unwrap_or(&t.id);
            let prefix = format!("{}/{short}/{}", self.family, c.name);
            let docker = host.docker().clone();
            let container = c.docker_id.clone();
            let tx = self.tx.clone();
            tokio::spawn(async move {
                let mut lines = Box::pin(logs::lines(&docker, &container, true, None, None));
                while let Some(Ok(line)) = lines.next().await {
                    if tx.send(format!("{prefix} | {}", line.text)).await.is_err() {
                        break;
                    }
                }
            });
        }
    }
}

/// The exit code of stopped tasks: the first non-zero exit of an essential container; 1 for
/// a task that stopped without running.
pub fn exit_code(tasks: &[(ObservedTask, TaskState)], on: &mut dyn FnMut(Progress)) -> u8 {
    let mut code = 0u8;
    for (t, st) in tasks {
        let essential: Vec<i64> = t
            .app_containers()
            .filter(|c| c.essential)
            .filter_map(|c| c.exit_code)
            .collect();
        let exit = essential
            .iter()
            .copied()
            .find(|c| *c != 0)
            .or(essential.first().copied());
        match exit {
            Some(c) if c != 0 && code == 0 => code = u8::try_from(c.clamp(1, 255)).unwrap_or(1),
            None => {
                on(Progress::StoppedWithoutRunning {
                    task_id: t.id.clone(),
                    reason: st
                        .stop_reason
                        .as_ref()
                        .map(|r| r.text.clone())
                        .unwrap_or_default(),
                });
                if code == 0 {
                    code = 1;
                }
            }
            _ => {}
        }
    }
    code
}
