//! When a scheduled task runs: given its spec, what was recorded of it, the tasks of its runs
//! as observed and `now`, decide whether a run is due (launch N tasks), is skipped (and why),
//! or was missed while no reconciler looked; and how the runs under way ended. Pure: the
//! controller launches, records and reports.
//!
//! - A time is due once `now` reaches it; a due time noticed more than [`ON_TIME`] late was
//!   missed (no watch ran then). Missed times are reported as one event; with
//!   `runMissed: ONCE` the last of them runs once, unless a time on time runs anyway.
//! - `maximumConcurrency` runs may be under way at once; a due time beyond that is skipped,
//!   with an event that says so.
//! - Times before the spec was applied never count: a schedule starts when it is applied
//!   (a `rate` counts its periods from then too).

use std::collections::BTreeMap;
use std::time::Duration;

use crate::model::schedule_expr::{ScheduleExpression, time_zone};
use crate::model::scheduled::{RunMissed, ScheduleState, ScheduledTaskSpec};
use crate::state::{RunStatus, ScheduleRuntime, ScheduledRun};
use crate::time::Timestamp;

/// How late a due time may be noticed and still run as scheduled (a pass can be held up by a
/// slow host or a backoff); later than that it was missed.
pub const ON_TIME: Duration = Duration::from_secs(60);
/// A run none of whose tasks has been seen for this long ended unseen.
pub const GONE_AFTER: Duration = Duration::from_secs(600);
/// Missed times counted at most (a year of `rate(1 minute)` is half a million).
pub const MISSED_LIMIT: usize = 100_000;

/// A task of one of the schedule's runs, as the reconciler last judged it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskSeen {
    pub stopped: bool,
    /// The first non-zero exit of an essential container, else 0; `None`: none ran.
    pub exit_code: Option<i64>,
    pub stopped_at: Option<Timestamp>,
    pub stop_reason: Option<String>,
}

pub struct Input<'a> {
    pub name: &'a str,
    /// Normalized (its defaults written out).
    pub spec: &'a ScheduledTaskSpec,
    /// When the spec was last applied: the schedule starts there.
    pub applied_at: Timestamp,
    pub runtime: &'a ScheduleRuntime,
    /// The tasks of its runs that the hosts show, by id.
    pub tasks: &'a BTreeMap<String, TaskSeen>,
    pub now: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Launch {
    pub scheduled_at: Timestamp,
    pub count: u32,
    /// The one run of missed times (`runMissed: ONCE`).
    pub missed: bool,
}

/// How a run under way ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunEnd {
    /// Index in `runtime.runs`.
    pub index: usize,
    pub status: RunStatus,
    pub exit_code: Option<i64>,
    pub stopped_at: Option<Timestamp>,
    pub reason: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Decision {
    pub launch: Option<Launch>,
    pub ended: Vec<RunEnd>,
    /// Event messages, in order.
    pub events: Vec<String>,
    /// Set when due times were dealt with: the new `handled_until`.
    pub handled_until: Option<Timestamp>,
    pub next_run: Option<Timestamp>,
    /// Look again then (the next run).
    pub requeue_after: Option<Duration>,
}

impl Decision {
    /// True when the runtime record must be written.
    pub fn changes_record(&self) -> bool {
        self.launch.is_some()
            || !self.ended.is_empty()
            || !self.events.is_empty()
            || self.handled_until.is_some()
    }
}

/// The next run after `after` of a normalized spec (`None`: disabled, never again, or an
/// expression that does not parse).
pub fn next_run(
    spec: &ScheduledTaskSpec,
    applied_at: Timestamp,
    after: Timestamp,
) -> Option<Timestamp> {
    if spec.state == Some(ScheduleState::Disabled) {
        return None;
    }
    let expression: ScheduleExpression = spec.schedule_expression.as_deref()?.parse().ok()?;
    let tz = time_zone(
        spec.schedule_expression_timezone
            .as_deref()
            .unwrap_or("UTC"),
    )
    .ok()?;
    expression.next_after(after.max(applied_at), &tz, applied_at)
}

fn run_end(
    index: usize,
    run: &ScheduledRun,
    tasks: &BTreeMap<String, TaskSeen>,
    now: Timestamp,
) -> Option<RunEnd> {
    if run.status != RunStatus::Running {
        return None;
    }
    let seen: Vec<&TaskSeen> = run.tasks.iter().filter_map(|id| tasks.get(id)).collect();
    if seen.is_empty() {
        return (now.since(run.started_at) >= GONE_AFTER).then(|| RunEnd {
            index,
            status: RunStatus::Unknown,
            exit_code: None,
            stopped_at: None,
            reason: Some("its tasks are gone: they stopped while no watch was running".into()),
        });
    }
    if seen.len() < run.tasks.len() || !seen.iter().all(|t| t.stopped) {
        return None;
    }
    let codes: Vec<Option<i64>> = seen.iter().map(|t| t.exit_code).collect();
    let exit_code = codes
        .iter()
        .flatten()
        .copied()
        .find(|c| *c != 0)
        .or_else(|| codes.iter().flatten().copied().next());
    let all_ran_ok = codes.iter().all(|c| *c == Some(0));
    let reason = seen
        .iter()
        .find(|t| t.exit_code != Some(0))
        .and_then(|t| t.stop_reason.clone());
    Some(RunEnd {
        index,
        status: if all_ran_ok {
            RunStatus::Succeeded
        } else {
            RunStatus::Failed
        },
        exit_code,
        stopped_at: seen.iter().filter_map(|t| t.stopped_at).max(),
        reason,
    })
}

pub fn decide(input: &Input<'_>) -> Decision {
    let mut out = Decision::default();
    let label = format!("(scheduled task {})", input.name);
    for (index, run) in input.runtime.runs.iter().enumerate() {
        if let Some(end) = run_end(index, run, input.tasks, input.now) {
            let how = match (end.status, end.exit_code) {
                (RunStatus::Unknown, _) => "ended unseen".to_string(),
                (_, Some(code)) => format!("ended with exit code {code}"),
                (_, None) => "ended without running".to_string(),
            };
            out.events
                .push(format!("{label} the run of {} {how}.", run.scheduled_at));
            out.ended.push(end);
        }
    }
    let running = input
        .runtime
        .runs
        .iter()
        .enumerate()
        .filter(|(i, r)| r.status == RunStatus::Running && !out.ended.iter().any(|e| e.index == *i))
        .count();
    let spec = input.spec;
    let Ok(expression) = spec
        .schedule_expression
        .as_deref()
        .unwrap_or_default()
        .parse::<ScheduleExpression>()
    else {
        return out;
    };
    let Ok(tz) = time_zone(
        spec.schedule_expression_timezone
            .as_deref()
            .unwrap_or("UTC"),
    ) else {
        return out;
    };
    let anchor = input.applied_at;
    let from = input
        .runtime
        .handled_until
        .map_or(anchor, |h| h.max(anchor));
    let due = expression.occurrences(from, input.now, &tz, anchor, MISSED_LIMIT);
    if let Some(last) = due.last {
        out.handled_until = Some(last);
        if spec.state != Some(ScheduleState::Disabled) {
            decide_due(
                input,
                &expression,
                &tz,
                from,
                due,
                last,
                running,
                &label,
                &mut out,
            );
        }
    }
    out.next_run = next_run(spec, anchor, input.now.max(from));
    out.requeue_after = out.next_run.map(|n| n.since(input.now));
    out
}

#[allow(clippy::too_many_arguments)]
fn decide_due(
    input: &Input<'_>,
    expression: &ScheduleExpression,
    tz: &jiff::tz::TimeZone,
    from: Timestamp,
    due: crate::model::schedule_expr::Occurrences,
    last: Timestamp,
    running: usize,
    label: &str,
    out: &mut Decision,
) {
    let spec = input.spec;
    let on_time = input.now.since(last) <= ON_TIME;
    let (missed, last_missed) = if on_time {
        let before = last.minus(Duration::from_millis(1));
        let earlier = expression.occurrences(from, before, tz, input.applied_at, MISSED_LIMIT);
        (earlier.count, earlier.last)
    } else {
        (due.count, Some(last))
    };
    if missed > 0
        && let (Some(first), Some(last_missed)) = (due.first, last_missed)
    {
        let runs = if missed == 1 { "run" } else { "runs" };
        let more = if missed >= MISSED_LIMIT {
            "at least "
        } else {
            ""
        };
        out.events.push(if first == last_missed {
            format!("{label} missed {more}{missed} {runs} at {first} (no watch was running).")
        } else {
            format!(
                "{label} missed {more}{missed} {runs} between {first} and {last_missed} (no watch was running)."
            )
        });
    }
    let trigger = if on_time {
        Some((last, false))
    } else if spec.run_missed == Some(RunMissed::Once) {
        Some((last, true))
    } else {
        None
    };
    let Some((scheduled_at, missed_run)) = trigger else {
        return;
    };
    let limit = usize::try_from(spec.maximum_concurrency.unwrap_or(1).max(1)).unwrap_or(1);
    if running >= limit {
        let runs = if running == 1 { "run is" } else { "runs are" };
        out.events.push(format!(
            "{label} skipped the run of {scheduled_at}: {running} {runs} still running (maximumConcurrency {limit})."
        ));
        return;
    }
    out.launch = Some(Launch {
        scheduled_at,
        count: u32::try_from(spec.task_count.unwrap_or(1).max(1)).unwrap_or(1),
        missed: missed_run,
    });
}

#[cfg(test)]
mod tests;
