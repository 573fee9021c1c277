//! Scheduled tasks as views for every front end: each one's schedule, its last run (when,
//! how it ended) and its next run; one with its recent runs and events.

use serde::Serialize;

use super::error::{ObjectKind, OpsError, OpsResult};
use super::session::Session;
use crate::reconcile::scheduled::next_run;
use crate::state::{Event, RunStatus, ScheduleRuntime, ScheduledRun, State};
use crate::suggest::did_you_mean;
use crate::time::Timestamp;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduledTaskView {
    pub cluster: String,
    pub name: String,
    pub state: String,
    pub schedule_expression: String,
    pub schedule_expression_timezone: String,
    pub task_definition: String,
    pub task_count: i32,
    pub maximum_concurrency: i32,
    pub run_missed: String,
    /// The scheduled time of the last run.
    pub last_run: Option<Timestamp>,
    pub last_status: Option<RunStatus>,
    /// The last run that ended with one.
    pub last_exit_code: Option<i64>,
    /// `None`: disabled, or never again.
    pub next_run: Option<Timestamp>,
    /// Runs under way.
    pub running: usize,
    /// The recorded runs, oldest first (at most 20).
    pub runs: Vec<ScheduledRun>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Scheduled tasks of every cluster (or one), in (cluster, name) order; with `name`, that one.
pub fn scheduled_tasks(
    session: &Session,
    state: &State,
    cluster: Option<&str>,
    name: Option<&str>,
    now: Timestamp,
) -> OpsResult<Vec<ScheduledTaskView>> {
    let mut views = Vec::new();
    for (cluster_name, tasks) in &state.scheduled_tasks {
        if cluster.is_some_and(|c| c != cluster_name) {
            continue;
        }
        let runtime = session.store.read_runtime(cluster_name)?;
        for (task_name, record) in tasks {
            if name.is_some_and(|n| n != task_name) {
                continue;
            }
            let recorded = runtime
                .scheduled_tasks
                .get(task_name)
                .cloned()
                .unwrap_or_default();
            views.push(view(cluster_name, task_name, record, &recorded, now));
        }
    }
    if let Some(name) = name
        && views.is_empty()
    {
        return Err(not_found(state, name));
    }
    Ok(views)
}

fn not_found(state: &State, name: &str) -> OpsError {
    let names = state.scheduled_tasks.values().flat_map(|t| t.keys());
    OpsError::NotFound {
        kind: ObjectKind::ScheduledTask,
        name: name.to_string(),
        place: "in the state".into(),
        suggestion: did_you_mean(name, names.map(String::as_str)).map(str::to_string),
    }
}

fn view(
    cluster: &str,
    name: &str,
    record: &crate::state::ObjectRecord<crate::model::scheduled::ScheduledTaskSpec>,
    recorded: &ScheduleRuntime,
    now: Timestamp,
) -> ScheduledTaskView {
    let spec = &record.spec;
    let text = |v: Option<String>| v.unwrap_or_default();
    let last = recorded.runs.back();
    let after = recorded.handled_until.map_or(now, |h| h.max(now));
    ScheduledTaskView {
        cluster: cluster.to_string(),
        name: name.to_string(),
        state: text(spec.state.map(|s| s.to_string())),
        schedule_expression: text(spec.schedule_expression.clone()),
        schedule_expression_timezone: text(spec.schedule_expression_timezone.clone()),
        task_definition: text(spec.task_definition.clone()),
        task_count: spec.task_count.unwrap_or(1),
        maximum_concurrency: spec.maximum_concurrency.unwrap_or(1),
        run_missed: text(spec.run_missed.map(|r| r.to_string())),
        last_run: last.map(|r| r.scheduled_at),
        last_status: last.map(|r| r.status),
        last_exit_code: recorded.runs.iter().rev().find_map(|r| r.exit_code),
        next_run: next_run(spec, record.updated_at, after),
        running: recorded
            .runs
            .iter()
            .filter(|r| r.status == RunStatus::Running)
            .count(),
        runs: recorded.runs.iter().cloned().collect(),
        created_at: record.created_at,
        updated_at: record.updated_at,
    }
}

/// One scheduled task with its events, oldest first.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduledTaskDescription {
    #[serde(flatten)]
    pub view: ScheduledTaskView,
    pub events: Vec<Event>,
}

/// `describe scheduledtask NAME`: found in `cluster`, or in the one cluster that has it.
pub fn describe(
    session: &Session,
    state: &State,
    name: &str,
    cluster: Option<&str>,
    now: Timestamp,
) -> OpsResult<ScheduledTaskDescription> {
    let mut found = scheduled_tasks(session, state, cluster, Some(name), now)?;
    if found.len() > 1 {
        let clusters: Vec<String> = found.iter().map(|v| v.cluster.clone()).collect();
        return Err(OpsError::invalid(format!(
            "scheduled task `{name}` is in clusters `{}`: pick one with --cluster",
            clusters.join("`, `")
        )));
    }
    let Some(view) = found.pop() else {
        return Err(not_found(state, name));
    };
    let runtime = session.store.read_runtime(&view.cluster)?;
    let events = runtime
        .scheduled_tasks
        .get(name)
        .map(|r| r.events.iter().cloned().collect())
        .unwrap_or_default();
    Ok(ScheduledTaskDescription { view, events })
}
