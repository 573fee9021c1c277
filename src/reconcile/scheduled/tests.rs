//! The run decision over time: on time, skipped while a run is under way, missed while no
//! watch ran (reported; run once with `runMissed: ONCE`), and how runs end.

use super::*;
use crate::model::normalize::scheduled_task;

fn t(text: &str) -> Timestamp {
    Timestamp::parse(text).expect("timestamp")
}

fn spec(expression: &str, edit: impl FnOnce(&mut ScheduledTaskSpec)) -> ScheduledTaskSpec {
    let mut s = ScheduledTaskSpec {
        schedule_expression: Some(expression.into()),
        task_definition: Some("job".into()),
        ..Default::default()
    };
    edit(&mut s);
    scheduled_task(&s)
}

const APPLIED: &str = "2026-01-01T10:00:00Z";

fn decide_at(
    spec: &ScheduledTaskSpec,
    runtime: &ScheduleRuntime,
    tasks: &BTreeMap<String, TaskSeen>,
    now: &str,
) -> Decision {
    decide(&Input {
        name: "job",
        spec,
        applied_at: t(APPLIED),
        runtime,
        tasks,
        now: t(now),
    })
}

fn run(at: &str, tasks: &[&str]) -> ScheduledRun {
    ScheduledRun {
        scheduled_at: t(at),
        started_at: t(at),
        missed: false,
        tasks: tasks.iter().map(|s| s.to_string()).collect(),
        status: RunStatus::Running,
        exit_code: None,
        stopped_at: None,
        reason: None,
    }
}

fn stopped(code: Option<i64>) -> TaskSeen {
    TaskSeen {
        stopped: true,
        exit_code: code,
        stopped_at: Some(t("2026-01-01T10:01:05Z")),
        stop_reason: code
            .is_none()
            .then(|| "CannotPullContainerError".to_string()),
    }
}

fn running() -> TaskSeen {
    TaskSeen {
        stopped: false,
        exit_code: None,
        stopped_at: None,
        stop_reason: None,
    }
}

#[test]
fn nothing_is_due_before_the_first_period() {
    let s = spec("rate(1 minute)", |_| {});
    let d = decide_at(
        &s,
        &ScheduleRuntime::default(),
        &BTreeMap::new(),
        "2026-01-01T10:00:30Z",
    );
    assert_eq!(d.launch, None);
    assert!(!d.changes_record());
    assert_eq!(d.next_run, Some(t("2026-01-01T10:01:00Z")));
    assert_eq!(d.requeue_after, Some(Duration::from_secs(30)));
}

#[test]
fn a_due_time_launches_task_count_tasks_once() {
    let s = spec("rate(1 minute)", |s| s.task_count = Some(3));
    let d = decide_at(
        &s,
        &ScheduleRuntime::default(),
        &BTreeMap::new(),
        "2026-01-01T10:01:00.200Z",
    );
    assert_eq!(
        d.launch,
        Some(Launch {
            scheduled_at: t("2026-01-01T10:01:00Z"),
            count: 3,
            missed: false
        })
    );
    assert_eq!(d.handled_until, Some(t("2026-01-01T10:01:00Z")));
    assert_eq!(d.next_run, Some(t("2026-01-01T10:02:00Z")));
    assert!(d.events.is_empty(), "{:?}", d.events);
    // Once handled, the same time is not due again.
    let runtime = ScheduleRuntime {
        handled_until: d.handled_until,
        ..Default::default()
    };
    let again = decide_at(&s, &runtime, &BTreeMap::new(), "2026-01-01T10:01:05Z");
    assert_eq!(again.launch, None);
    assert!(!again.changes_record());
}

#[test]
fn a_run_still_running_makes_the_next_one_skip() {
    let s = spec("rate(1 minute)", |_| {});
    let mut runtime = ScheduleRuntime {
        handled_until: Some(t("2026-01-01T10:01:00Z")),
        ..Default::default()
    };
    runtime.push_run(run("2026-01-01T10:01:00Z", &["a"]));
    let tasks = BTreeMap::from([("a".to_string(), running())]);
    let d = decide_at(&s, &runtime, &tasks, "2026-01-01T10:02:00Z");
    assert_eq!(d.launch, None);
    assert_eq!(
        d.events,
        [
            "(scheduled task job) skipped the run of 2026-01-01T10:02:00.000Z: 1 run is still running (maximumConcurrency 1)."
        ]
    );
    assert_eq!(d.handled_until, Some(t("2026-01-01T10:02:00Z")));
    // With room for two, it runs.
    let s = spec("rate(1 minute)", |s| s.maximum_concurrency = Some(2));
    assert!(
        decide_at(&s, &runtime, &tasks, "2026-01-01T10:02:00Z")
            .launch
            .is_some()
    );
}

#[test]
fn runs_end_with_the_first_non_zero_exit_code() {
    let s = spec("rate(1 hour)", |_| {});
    let mut runtime = ScheduleRuntime::default();
    runtime.push_run(run("2026-01-01T10:01:00Z", &["a", "b"]));
    runtime.push_run(run("2026-01-01T10:02:00Z", &["c"]));
    runtime.push_run(run("2026-01-01T10:03:00Z", &["d"]));
    let tasks = BTreeMap::from([
        ("a".to_string(), stopped(Some(0))),
        ("b".to_string(), stopped(Some(3))),
        ("c".to_string(), stopped(Some(0))),
        ("d".to_string(), stopped(None)),
    ]);
    let d = decide_at(&s, &runtime, &tasks, "2026-01-01T10:05:00Z");
    let ends: Vec<(usize, RunStatus, Option<i64>)> = d
        .ended
        .iter()
        .map(|e| (e.index, e.status, e.exit_code))
        .collect();
    assert_eq!(
        ends,
        [
            (0, RunStatus::Failed, Some(3)),
            (1, RunStatus::Succeeded, Some(0)),
            (2, RunStatus::Failed, None)
        ]
    );
    assert_eq!(
        d.ended[2].reason.as_deref(),
        Some("CannotPullContainerError")
    );
    assert_eq!(
        d.events,
        [
            "(scheduled task job) the run of 2026-01-01T10:01:00.000Z ended with exit code 3.",
            "(scheduled task job) the run of 2026-01-01T10:02:00.000Z ended with exit code 0.",
            "(scheduled task job) the run of 2026-01-01T10:03:00.000Z ended without running.",
        ]
    );
    // A run whose tasks are not all stopped goes on; one whose tasks vanished ends unseen.
    let tasks = BTreeMap::from([
        ("a".to_string(), stopped(Some(0))),
        ("b".to_string(), running()),
    ]);
    let d = decide_at(&s, &runtime, &tasks, "2026-01-01T10:05:00Z");
    assert!(d.ended.is_empty());
    let d = decide_at(&s, &runtime, &tasks, "2026-01-01T10:20:00Z");
    assert_eq!(
        d.ended
            .iter()
            .map(|e| (e.index, e.status))
            .collect::<Vec<_>>(),
        [(1, RunStatus::Unknown), (2, RunStatus::Unknown)]
    );
}

#[test]
fn missed_runs_are_reported_and_run_once_only_when_asked() {
    // The watch stopped after the run of 10:01 and starts again at 10:05:30.
    let runtime = ScheduleRuntime {
        handled_until: Some(t("2026-01-01T10:01:00Z")),
        ..Default::default()
    };
    let none = spec("rate(1 minute)", |_| {});
    let d = decide_at(&none, &runtime, &BTreeMap::new(), "2026-01-01T10:05:30Z");
    assert_eq!(
        d.events,
        [
            "(scheduled task job) missed 3 runs between 2026-01-01T10:02:00.000Z and 2026-01-01T10:04:00.000Z (no watch was running)."
        ]
    );
    // 10:05 is 30 s late: on time, it runs (and covers the missed ones).
    assert_eq!(
        d.launch.as_ref().map(|l| (l.scheduled_at, l.missed)),
        Some((t("2026-01-01T10:05:00Z"), false))
    );
    // Every time noticed more than a minute late was missed: NONE runs nothing, ONCE runs
    // the last of them, once.
    let runtime = ScheduleRuntime {
        handled_until: Some(t("2026-01-01T10:05:00Z")),
        ..Default::default()
    };
    let none = spec("rate(5 minutes)", |_| {});
    let d = decide_at(&none, &runtime, &BTreeMap::new(), "2026-01-01T10:27:00Z");
    assert_eq!(
        d.events,
        [
            "(scheduled task job) missed 4 runs between 2026-01-01T10:10:00.000Z and 2026-01-01T10:25:00.000Z (no watch was running)."
        ]
    );
    assert_eq!(d.launch, None);
    assert_eq!(d.handled_until, Some(t("2026-01-01T10:25:00Z")));
    assert_eq!(d.next_run, Some(t("2026-01-01T10:30:00Z")));
    let once = spec("rate(5 minutes)", |s| s.run_missed = Some(RunMissed::Once));
    let d = decide_at(&once, &runtime, &BTreeMap::new(), "2026-01-01T10:27:00Z");
    assert_eq!(
        d.launch,
        Some(Launch {
            scheduled_at: t("2026-01-01T10:25:00Z"),
            count: 1,
            missed: true
        })
    );
    // Handled: a second look runs nothing more.
    let runtime = ScheduleRuntime {
        handled_until: d.handled_until,
        ..Default::default()
    };
    assert_eq!(
        decide_at(&once, &runtime, &BTreeMap::new(), "2026-01-01T10:27:10Z").launch,
        None
    );
    // A daily cron missed once.
    let daily = spec("cron(0 3 * * ? *)", |_| {});
    let d = decide_at(
        &daily,
        &ScheduleRuntime::default(),
        &BTreeMap::new(),
        "2026-01-02T09:00:00Z",
    );
    assert_eq!(
        d.events,
        ["(scheduled task job) missed 1 run at 2026-01-02T03:00:00.000Z (no watch was running)."]
    );
    assert_eq!(d.next_run, Some(t("2026-01-03T03:00:00Z")));
}

#[test]
fn a_disabled_schedule_drops_its_times_silently() {
    let s = spec("rate(1 minute)", |s| {
        s.state = Some(ScheduleState::Disabled)
    });
    let d = decide_at(
        &s,
        &ScheduleRuntime::default(),
        &BTreeMap::new(),
        "2026-01-01T10:03:00Z",
    );
    assert_eq!(d.launch, None);
    assert!(d.events.is_empty());
    assert_eq!(d.handled_until, Some(t("2026-01-01T10:03:00Z")));
    assert_eq!(d.next_run, None);
}

#[test]
fn cron_times_follow_the_schedule_time_zone() {
    let s = spec("cron(30 2 * * ? *)", |s| {
        s.schedule_expression_timezone = Some("America/New_York".into())
    });
    // 2026-03-08 02:30 does not exist in New York: the run is at 03:00 EDT (07:00Z).
    let runtime = ScheduleRuntime {
        handled_until: Some(t("2026-03-07T07:30:00Z")),
        ..Default::default()
    };
    let d = decide_at(&s, &runtime, &BTreeMap::new(), "2026-03-08T07:00:01Z");
    assert_eq!(
        d.launch.map(|l| l.scheduled_at),
        Some(t("2026-03-08T07:00:00Z"))
    );
    assert_eq!(d.next_run, Some(t("2026-03-09T06:30:00Z")));
}
