//! Scheduled tasks in the reconciler's pass: for each scheduled task of the cluster, the pure
//! [`scheduled::decide`] on what the pass observed, then the launch (through
//! [`super::standalone`], the path `run-task` takes) and the record of runs and events in the
//! cluster's runtime file. Runs are standalone tasks started by `ecsctl-schedule/NAME`.

use std::collections::BTreeMap;

use super::reconciler::{PassReport, Reconciler};
use super::standalone::Run;
use crate::model::ecs::PlacementConstraintType;
use crate::model::names::TaskDefRef;
use crate::model::scheduled::{ScheduledTaskSpec, with_overrides};
use crate::reconcile::scheduled::{self, Decision, Launch, TaskSeen};
use crate::reconcile::standalone::Constraints;
use crate::reconcile::task::{ObservedTask, TaskGroup, TaskStatus};
use crate::state::{Event, RevisionStatus, RunStatus, Runtime, ScheduledRun, State};
use crate::time::Timestamp;

/// Who starts the tasks of a scheduled task's runs (`get tasks` shows it).
pub fn started_by(name: &str) -> String {
    format!("ecsctl-schedule/{name}")
}

/// The first non-zero exit code of an essential container, else the first; `None` when no
/// essential container exited.
pub fn essential_exit(t: &ObservedTask) -> Option<i64> {
    t.essential_exit()
}

/// What a pass decided and did for one scheduled task.
struct Outcome {
    name: String,
    decision: Decision,
    /// The launch's tasks, or why it failed.
    launched: Option<(Launch, Result<Vec<String>, String>)>,
}

impl Reconciler {
    pub(super) fn run_schedules(
        &mut self,
        state: &State,
        runtime: &Runtime,
        report: &mut PassReport,
        now: Timestamp,
    ) {
        let empty = BTreeMap::new();
        let schedules = state.scheduled_tasks.get(self.cluster()).unwrap_or(&empty);
        if schedules.is_empty() && runtime.scheduled_tasks.is_empty() {
            return;
        }
        let mut seen: BTreeMap<&str, BTreeMap<String, TaskSeen>> = BTreeMap::new();
        for (t, st) in &report.standalone {
            let TaskGroup::Standalone(by) = &t.group else {
                continue;
            };
            seen.entry(by.as_str()).or_default().insert(
                t.id.clone(),
                TaskSeen {
                    stopped: st.last_status == TaskStatus::Stopped,
                    exit_code: essential_exit(t),
                    stopped_at: t.stopped_at(),
                    stop_reason: st.stop_reason.as_ref().map(|r| r.text.clone()),
                },
            );
        }
        let mut outcomes = Vec::new();
        for (name, record) in schedules {
            let recorded = runtime
                .scheduled_tasks
                .get(name)
                .cloned()
                .unwrap_or_default();
            let by = started_by(name);
            let tasks = seen.get(by.as_str()).cloned().unwrap_or_default();
            let decision = scheduled::decide(&scheduled::Input {
                name,
                spec: &record.spec,
                applied_at: record.updated_at,
                runtime: &recorded,
                tasks: &tasks,
                now,
            });
            if let Some(after) = decision.requeue_after {
                report.requeue_after = Some(report.requeue_after.map_or(after, |r| r.min(after)));
            }
            let launched = decision.launch.clone().map(|launch| {
                let result = self.launch_scheduled(state, runtime, name, &record.spec, &launch);
                (launch, result)
            });
            if decision.changes_record() {
                outcomes.push(Outcome {
                    name: name.clone(),
                    decision,
                    launched,
                });
            }
        }
        let gone: Vec<String> = runtime
            .scheduled_tasks
            .keys()
            .filter(|n| !schedules.contains_key(*n))
            .cloned()
            .collect();
        if outcomes.is_empty() && gone.is_empty() {
            return;
        }
        let messages = self.record_schedules(state, &outcomes, &gone, now, report);
        report.schedule_events.extend(messages);
    }

    /// Starts one run's tasks; their ids, or why they could not start.
    fn launch_scheduled(
        &mut self,
        state: &State,
        runtime: &Runtime,
        name: &str,
        spec: &ScheduledTaskSpec,
        launch: &Launch,
    ) -> Result<Vec<String>, String> {
        let text = spec.task_definition.as_deref().unwrap_or_default();
        let reference: TaskDefRef = text.parse()?;
        let revision = state
            .revision(&reference)
            .ok_or_else(|| format!("task definition `{text}` has no ACTIVE revision"))?;
        if revision.status == RevisionStatus::DeleteInProgress {
            return Err(format!(
                "task definition `{}:{}` is DELETE_IN_PROGRESS",
                reference.family, revision.revision
            ));
        }
        let pinned = TaskDefRef::pinned(reference.family.clone(), revision.revision);
        let task_spec = with_overrides(&revision.spec, spec.overrides.as_ref());
        let mut constraints = Constraints::default();
        for c in &spec.placement_constraints {
            match c.r#type {
                Some(PlacementConstraintType::DistinctInstance) => {
                    constraints.distinct_instance = true
                }
                Some(PlacementConstraintType::MemberOf) => {
                    constraints.add(c.expression.as_deref().unwrap_or_default())?
                }
                None => {}
            }
        }
        let by = started_by(name);
        let cluster = self.cluster().to_string();
        let run = Run {
            cluster: &cluster,
            task_definition: &pinned,
            spec: &task_spec,
            count: launch.count,
            started_by: &by,
            constraints: &constraints,
            // `launchType: FARGATE` is the FARGATE pool, as in ECS (decided by the pools).
            capacity_provider_strategy: &spec.capacity_provider_strategy,
            launch_type: spec.launch_type,
        };
        self.launch_run(state, runtime, &run)
            .map(|chosen| chosen.into_iter().map(|(id, _)| id).collect())
    }

    /// Writes the runs and events; returns the event messages, in order.
    fn record_schedules(
        &mut self,
        state: &State,
        outcomes: &[Outcome],
        gone: &[String],
        now: Timestamp,
        report: &mut PassReport,
    ) -> Vec<String> {
        let texts = |o: &Outcome| -> Vec<String> {
            o.decision
                .events
                .iter()
                .cloned()
                .chain(launch_message(o))
                .collect()
        };
        let messages: Vec<String> = outcomes.iter().flat_map(texts).collect();
        let cluster = self.cluster().to_string();
        let ids = self.new_ids();
        let mut event_ids: Vec<String> = messages.iter().map(|_| ids.event_id()).collect();
        let written = self
            .store()
            .update_runtime(&cluster, &state.lineage, |runtime| {
                for name in gone {
                    runtime.scheduled_tasks.remove(name);
                }
                let mut ids = event_ids.drain(..);
                for o in outcomes {
                    let record = runtime.scheduled_tasks.entry(o.name.clone()).or_default();
                    for end in &o.decision.ended {
                        if let Some(run) = record.runs.get_mut(end.index) {
                            run.status = end.status;
                            run.exit_code = end.exit_code;
                            run.stopped_at = end.stopped_at;
                            run.reason = end.reason.clone();
                        }
                    }
                    if let Some(h) = o.decision.handled_until {
                        record.handled_until = Some(h);
                    }
                    if let Some((launch, result)) = &o.launched {
                        let (tasks, status, reason) = match result {
                            Ok(tasks) => (tasks.clone(), RunStatus::Running, None),
                            Err(reason) => {
                                (Vec::new(), RunStatus::FailedToStart, Some(reason.clone()))
                            }
                        };
                        record.push_run(ScheduledRun {
                            scheduled_at: launch.scheduled_at,
                            started_at: now,
                            missed: launch.missed,
                            tasks,
                            status,
                            exit_code: None,
                            stopped_at: None,
                            reason,
                        });
                    }
                    for message in texts(o) {
                        record.push_event(Event {
                            id: ids.next().unwrap_or_default(),
                            created_at: now,
                            message,
                            by_command: false,
                        });
                    }
                }
            });
        if let Err(e) = written {
            report
                .errors
                .push(format!("recording scheduled task runs: {e:#}"));
        }
        messages
    }
}

/// What the launch of an outcome's run did, as an event.
fn launch_message(o: &Outcome) -> Option<String> {
    let (launch, result) = o.launched.as_ref()?;
    let label = format!("(scheduled task {})", o.name);
    Some(match result {
        Ok(tasks) => format!(
            "{label} started the run of {}: {}.",
            launch.scheduled_at,
            tasks
                .iter()
                .map(|t| format!("task {}", crate::reconcile::task::short_id(t)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Err(reason) => format!(
            "{label} could not start the run of {}: {reason}",
            launch.scheduled_at
        ),
    })
}
