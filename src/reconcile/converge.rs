//! What "converged" means, once: whether a service meets what a command waits for (a
//! deployment completes, the service is steady, the service is gone), judged from the
//! recorded state and runtime alone. The waiting commands use it whether this process
//! reconciles or another one (a `watch`) does and this one only reads what it records.

use crate::state::{RolloutState, ServiceRecord, ServiceRuntime, ServiceStatus};
use crate::time::Timestamp;

/// What a command waits for, per service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expect {
    /// This deployment completes.
    Deployment(String),
    /// The service is steady.
    Steady,
    /// The service is gone (deleted, drained).
    Gone,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Pending(String),
    Done,
    Failed(String),
}

impl Verdict {
    pub fn is_final(&self) -> bool {
        !matches!(self, Verdict::Pending(_))
    }
}

/// The reason the circuit breaker records on the deployment it returns to.
pub const BREAKER_ROLLBACK: &str = "circuit breaker rollback";

/// Judges one service. `record` and `runtime` are what is recorded now; `since` is when the
/// command started waiting (a steady mark or a rollback older than both it and the service's
/// last change does not count).
pub fn verdict(
    expect: &Expect,
    record: Option<&ServiceRecord>,
    runtime: Option<&ServiceRuntime>,
    since: Timestamp,
) -> Verdict {
    let Some(record) = record else {
        return match expect {
            Expect::Gone => Verdict::Done,
            _ => Verdict::Pending("not in the state yet".into()),
        };
    };
    if let Some(failed) = rolled_back_since(record, since) {
        return rollback_failure(record, runtime, failed);
    }
    match expect {
        Expect::Gone => {
            let left = runtime
                .and_then(|r| r.counts)
                .map_or(0, |c| c.running + c.pending);
            Verdict::Pending(match left {
                1 => "draining: 1 task left".into(),
                n => format!("draining: {n} tasks left"),
            })
        }
        Expect::Deployment(id) => deployment(record, runtime, id),
        Expect::Steady if steady(record, runtime, since) => Verdict::Done,
        Expect::Steady => Verdict::Pending(counts(runtime)),
    }
}

fn deployment(record: &ServiceRecord, runtime: Option<&ServiceRuntime>, id: &str) -> Verdict {
    let progress = runtime.and_then(|s| s.deployments.get(id));
    if record.primary().map(|p| p.id.as_str()) != Some(id) {
        if progress.is_some_and(|p| p.rollout_state == RolloutState::Failed) {
            return rollback_failure(record, runtime, Some(id));
        }
        return Verdict::Failed(format!(
            "deployment {id} is no longer the service's primary deployment (rolled back to {})",
            record.task_definition
        ));
    }
    match progress.map(|p| p.rollout_state) {
        Some(RolloutState::Failed) => Verdict::Failed(format!(
            "deployment failed: {}",
            failure_reason(runtime, id)
        )),
        Some(RolloutState::Completed) if runtime.is_some_and(|r| r.steady_since.is_some()) => {
            Verdict::Done
        }
        _ => Verdict::Pending(counts(runtime)),
    }
}

/// The deployment the circuit breaker rolled back from, when it did so after `since`.
fn rolled_back_since(record: &ServiceRecord, since: Timestamp) -> Option<Option<&str>> {
    let primary = record.primary()?;
    (primary.reason == BREAKER_ROLLBACK && record.updated_at >= since)
        .then(|| record.deployments.get(1).map(|d| d.id.as_str()))
}

fn rollback_failure(
    record: &ServiceRecord,
    runtime: Option<&ServiceRuntime>,
    failed: Option<&str>,
) -> Verdict {
    let reason = failed.map_or_else(
        || "tasks failed to start".to_string(),
        |id| failure_reason(runtime, id),
    );
    Verdict::Failed(format!(
        "the deployment failed ({reason}) and the circuit breaker rolled it back to {}",
        record.task_definition
    ))
}

fn failure_reason(runtime: Option<&ServiceRuntime>, deployment: &str) -> String {
    runtime
        .and_then(|s| s.deployments.get(deployment))
        .and_then(|p| p.rollout_state_reason.clone())
        .unwrap_or_else(|| "tasks failed to start".into())
}

/// Steady, and marked so after the wait began or after the service last changed.
fn steady(record: &ServiceRecord, runtime: Option<&ServiceRuntime>, since: Timestamp) -> bool {
    runtime.and_then(|s| s.steady_since).is_some_and(|at| {
        at >= since || record.status == ServiceStatus::Active && at >= record.updated_at
    })
}

/// `2/3 tasks healthy, 1 pending[, 1 cannot be placed]`, from the recorded counts.
fn counts(runtime: Option<&ServiceRuntime>) -> String {
    let Some(c) = runtime.and_then(|r| r.counts) else {
        return "starting".into();
    };
    let mut text = format!(
        "{}/{} tasks healthy, {} pending",
        c.healthy, c.desired, c.pending
    );
    if c.unplaced > 0 {
        text.push_str(&format!(", {} cannot be placed", c.unplaced));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ecs::ServiceSpec;
    use crate::model::names::TaskDefRef;
    use crate::state::{Deployment, DeploymentProgress, ServiceCounts};

    fn at(s: u64) -> Timestamp {
        Timestamp::from_unix_millis(s * 1000)
    }

    fn deployment(id: &str, revision: u32, reason: &str) -> Deployment {
        Deployment {
            id: id.into(),
            task_definition: TaskDefRef::pinned("web", revision),
            created_at: at(0),
            reason: reason.into(),
        }
    }

    fn record(deployments: Vec<Deployment>, updated: u64) -> ServiceRecord {
        ServiceRecord {
            spec: ServiceSpec::default(),
            task_definition: deployments[0].task_definition.clone(),
            desired_count: 3,
            status: ServiceStatus::Active,
            deployments,
            created_at: at(0),
            updated_at: at(updated),
        }
    }

    fn runtime(d: &str, state: RolloutState, steady: Option<u64>) -> ServiceRuntime {
        let mut progress = DeploymentProgress::in_progress(at(10));
        progress.rollout_state = state;
        let mut r = ServiceRuntime {
            steady_since: steady.map(at),
            counts: Some(ServiceCounts {
                desired: 3,
                running: 2,
                pending: 1,
                healthy: 2,
                unplaced: 0,
            }),
            ..ServiceRuntime::default()
        };
        r.deployments.insert(d.into(), progress);
        r
    }

    #[test]
    fn a_deployment_completes_when_recorded_completed_and_steady() {
        let rec = record(vec![deployment("d2", 2, "apply")], 10);
        let expect = Expect::Deployment("d2".into());
        let pending = runtime("d2", RolloutState::InProgress, None);
        assert_eq!(
            verdict(&expect, Some(&rec), Some(&pending), at(10)),
            Verdict::Pending("2/3 tasks healthy, 1 pending".into())
        );
        let done = runtime("d2", RolloutState::Completed, Some(20));
        assert_eq!(
            verdict(&expect, Some(&rec), Some(&done), at(10)),
            Verdict::Done
        );
        let failed = runtime("d2", RolloutState::Failed, None);
        assert!(matches!(
            verdict(&expect, Some(&rec), Some(&failed), at(10)),
            Verdict::Failed(why) if why.starts_with("deployment failed: ")
        ));
    }

    #[test]
    fn a_circuit_breaker_rollback_fails_the_wait_naming_the_revision() {
        let rec = record(
            vec![
                deployment("d1", 1, BREAKER_ROLLBACK),
                deployment("d2", 2, "apply"),
            ],
            30,
        );
        let mut rt = runtime("d2", RolloutState::Failed, None);
        if let Some(p) = rt.deployments.get_mut("d2") {
            p.rollout_state_reason = Some("tasks failed to start: 3 failed".into());
        }
        for expect in [Expect::Deployment("d2".into()), Expect::Steady] {
            match verdict(&expect, Some(&rec), Some(&rt), at(10)) {
                Verdict::Failed(why) => {
                    assert!(why.contains("rolled it back to web:1"), "{why}");
                    assert!(why.contains("tasks failed to start: 3 failed"), "{why}");
                }
                other => panic!("{other:?}"),
            }
        }
        // A rollback from before the wait began is history.
        let steady = ServiceRuntime {
            steady_since: Some(at(40)),
            ..rt.clone()
        };
        assert_eq!(
            verdict(&Expect::Steady, Some(&rec), Some(&steady), at(35)),
            Verdict::Done
        );
    }

    #[test]
    fn steady_means_marked_after_the_wait_began_or_the_last_change() {
        let rec = record(vec![deployment("d1", 1, "apply")], 50);
        let old = runtime("d1", RolloutState::Completed, Some(40));
        assert!(!verdict(&Expect::Steady, Some(&rec), Some(&old), at(60)).is_final());
        let fresh = runtime("d1", RolloutState::Completed, Some(55));
        assert_eq!(
            verdict(&Expect::Steady, Some(&rec), Some(&fresh), at(60)),
            Verdict::Done
        );
    }

    #[test]
    fn gone_is_done_once_the_service_left_the_state() {
        assert_eq!(verdict(&Expect::Gone, None, None, at(0)), Verdict::Done);
        let rec = record(vec![deployment("d1", 1, "apply")], 0);
        assert_eq!(
            verdict(
                &Expect::Gone,
                Some(&rec),
                Some(&runtime("d1", RolloutState::Completed, None)),
                at(0)
            ),
            Verdict::Pending("draining: 3 tasks left".into())
        );
        let mut one = runtime("d1", RolloutState::Completed, None);
        one.counts = one.counts.map(|c| ServiceCounts {
            running: 1,
            pending: 0,
            ..c
        });
        assert_eq!(
            verdict(&Expect::Gone, Some(&rec), Some(&one), at(0)),
            Verdict::Pending("draining: 1 task left".into())
        );
        assert!(!verdict(&Expect::Steady, None, None, at(0)).is_final());
    }
}
