//! A shifted deployment's progress (BLUE_GREEN, LINEAR, CANARY), pure: from where it stands,
//! the strategy, the manual controls and whether the new revision is fully up, the stage it
//! moves to, the production traffic it carries, the events, and when to look again.
//!
//! The stages are ECS's, in order: PRE_SCALE_UP → SCALE_UP (the new revision starts at full
//! size beside the old one) → POST_SCALE_UP → TEST_TRAFFIC_SHIFT (its tasks are in the
//! alternate target group, which a test listener reaches) → POST_TEST_TRAFFIC_SHIFT →
//! PRE_PRODUCTION_TRAFFIC_SHIFT → PRODUCTION_TRAFFIC_SHIFT (the steps, each held for its bake
//! time) → POST_PRODUCTION_TRAFFIC_SHIFT → BAKE_TIME → CLEAN_UP (the old tasks drain and
//! stop). A PAUSE hook holds its stage until `ecsctl deployment continue`, or until its
//! timeout acts.

use std::time::Duration;

use crate::model::ecs::DeploymentLifecycleHookAction;
use crate::model::effective::strategy::{Stage, Strategy, duration_text, percent_text};
use crate::state::{DeploymentControl, ShiftProgress};
use crate::time::Timestamp;

/// How often a shifted deployment in progress looks again: commands' `continue` and
/// `rollback` land in the runtime record, and alarms change between passes.
pub const CONTROL_POLL: Duration = Duration::from_secs(2);

/// What the service decision knows this pass.
#[derive(Clone, Copy, Debug)]
pub struct Facts<'a> {
    /// Every desired task of the new revision runs and is healthy.
    pub scaled_up: bool,
    /// One-off tasks seen: id → the essential container's exit code once stopped.
    pub hook_tasks: &'a std::collections::BTreeMap<String, Option<i64>>,
}

/// A hook task not seen this long after its launch is taken as lost.
pub const HOOK_GRACE: Duration = Duration::from_secs(60);

#[derive(Clone, Debug, PartialEq)]
pub struct Advance {
    pub progress: ShiftProgress,
    pub events: Vec<String>,
    /// The deployment must fail (and roll back when its settings say so).
    pub fail: Option<String>,
    /// When the next step or bake ends.
    pub wake_at: Option<Timestamp>,
    /// A lifecycle hook's task to launch now: its task definition (`FAMILY[:REV]`).
    pub run_hook: Option<String>,
}

/// Where a deployment starts: before scaling up, no production traffic.
pub fn start(now: Timestamp) -> ShiftProgress {
    ShiftProgress {
        stage: Stage::PreScaleUp,
        step: 0,
        since: now,
        traffic: 0,
        paused: false,
        hook: None,
    }
}

/// Moves a deployment as far as it can go this pass.
pub fn advance(
    strategy: &Strategy,
    from: &ShiftProgress,
    control: Option<&DeploymentControl>,
    facts: Facts,
    label: &str,
    now: Timestamp,
) -> Advance {
    let mut out = Advance {
        progress: from.clone(),
        events: Vec::new(),
        fail: None,
        wake_at: None,
        run_hook: None,
    };
    let continued = |stage: Stage| control.is_some_and(|c| c.continued.contains(&stage));
    // Every stage is passed at most once per pass (and a step at most once each).
    for _ in 0..(Stage::ALL.len() + strategy.steps.len() + 2) {
        let p = &mut out.progress;
        let stage = p.stage;
        if let Some(pause) = strategy.pause_at(stage)
            && !continued(stage)
        {
            if !p.paused {
                p.paused = true;
                p.since = now;
                out.events.push(format!(
                    "{label} paused at lifecycle stage {stage}: run `ecsctl deployment continue` to go on, or `ecsctl deployment rollback`."
                ));
            }
            if let Some((timeout, action)) = pause.timeout {
                let due = p.since.plus(timeout);
                if now < due {
                    out.wake_at = Some(due);
                    return out;
                }
                if action == DeploymentLifecycleHookAction::Rollback {
                    out.fail = Some(format!(
                        "the PAUSE hook at {stage} timed out after {}m",
                        timeout.as_secs() / 60
                    ));
                    return out;
                }
                out.events.push(format!(
                    "{label} continues past {stage}: its PAUSE hook timed out."
                ));
            } else {
                return out;
            }
        } else if p.paused {
            out.events
                .push(format!("{label} continued at lifecycle stage {stage}."));
        }
        p.paused = false;
        if let Some(hook) = strategy.task_hook_at(stage) {
            match p.hook.as_mut().filter(|h| h.stage == stage) {
                Some(run) if run.passed => {}
                None => {
                    out.run_hook = Some(hook.task_definition.clone());
                    return out;
                }
                Some(run) if run.task_id.is_empty() => {
                    out.fail = Some(format!(
                        "the lifecycle hook task at {stage} ({}) could not start",
                        hook.task_definition
                    ));
                    return out;
                }
                Some(run) => match facts.hook_tasks.get(&run.task_id) {
                    Some(Some(0)) => {
                        run.passed = true;
                        out.events.push(format!(
                            "{label} lifecycle hook task {} at {stage} succeeded.",
                            run.task_id
                        ));
                    }
                    Some(Some(code)) => {
                        out.fail = Some(format!(
                            "the lifecycle hook task {} at {stage} exited with {code}",
                            run.task_id
                        ));
                        return out;
                    }
                    Some(None) => return out,
                    None if now.since(run.since) < HOOK_GRACE => return out,
                    None => {
                        out.fail = Some(format!(
                            "the lifecycle hook task {} at {stage} is gone",
                            run.task_id
                        ));
                        return out;
                    }
                },
            }
        }
        match stage {
            Stage::ScaleUp if !facts.scaled_up => return out,
            Stage::ProductionTrafficShift => {
                let Some(step) = strategy.steps.get(p.step as usize).copied() else {
                    next_stage(p, now);
                    continue;
                };
                if p.traffic != step.permille {
                    p.traffic = step.permille;
                    p.since = now;
                    out.events.push(format!(
                        "{label} shifted {}% of production traffic to the new revision.",
                        percent_text(step.permille)
                    ));
                }
                let due = p.since.plus(step.hold);
                if now < due {
                    out.wake_at = Some(due);
                    return out;
                }
                if (p.step as usize) + 1 < strategy.steps.len() {
                    p.step += 1;
                    p.since = now;
                    continue;
                }
                next_stage(p, now);
            }
            Stage::BakeTime => {
                if p.since == now && !strategy.bake.is_zero() {
                    out.events.push(format!(
                        "{label} is baking for {}: both revisions stay up.",
                        duration_text(strategy.bake)
                    ));
                }
                let due = p.since.plus(strategy.bake);
                if now < due {
                    out.wake_at = Some(due);
                    return out;
                }
                next_stage(p, now);
                out.events.push(format!(
                    "{label} is cleaning up: the old tasks drain and stop."
                ));
            }
            Stage::CleanUp => return out,
            _ => next_stage(p, now),
        }
    }
    out
}

fn next_stage(p: &mut ShiftProgress, now: Timestamp) {
    if let Some(next) = p.stage.next() {
        p.stage = next;
        p.step = 0;
        p.since = now;
    }
}

/// HAProxy weights for a production share: `(new, old)` per target so that `new_targets`
/// targets of the new revision take `permille` of the traffic and `old_targets` the rest.
/// Weights stay within 1..=`max` where they are not 0.
pub fn weights(permille: u32, new_targets: u32, old_targets: u32, max: u32) -> (u32, u32) {
    use crate::model::effective::strategy::ALL_TRAFFIC;
    if old_targets == 0 || permille >= ALL_TRAFFIC {
        return (max, 0);
    }
    if new_targets == 0 || permille == 0 {
        return (0, max);
    }
    // share = n·wn / (n·wn + o·wo)  ⇔  wn / wo = permille·o / ((1000 − permille)·n)
    let new = u64::from(permille) * u64::from(old_targets);
    let old = u64::from(ALL_TRAFFIC - permille) * u64::from(new_targets);
    let top = new.max(old);
    let scale = |w: u64| -> u32 {
        let scaled = (w * u64::from(max) + top / 2) / top;
        u32::try_from(scaled).unwrap_or(max).clamp(1, max)
    };
    (scale(new), scale(old))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ecs::{
        CanaryConfiguration, DeploymentConfiguration, DeploymentLifecycleHook,
        DeploymentLifecycleHookStage, DeploymentLifecycleHookTargetType,
        DeploymentLifecycleHookTimeoutConfiguration, DeploymentStrategy, ServiceSpec,
    };

    fn at(secs: u64) -> Timestamp {
        Timestamp::from_unix_millis(1_000_000 + secs * 1000)
    }

    fn canary(percent: f64, bake_minutes: i32, total_bake: i32) -> Strategy {
        Strategy::of(&ServiceSpec {
            deployment_configuration: Some(DeploymentConfiguration {
                strategy: Some(DeploymentStrategy::Canary),
                canary_configuration: Some(CanaryConfiguration {
                    canary_percent: Some(percent),
                    canary_bake_time_in_minutes: Some(bake_minutes),
                }),
                bake_time_in_minutes: Some(total_bake),
                ..Default::default()
            }),
            ..ServiceSpec::default()
        })
    }

    fn with_pause(
        mut strategy: Strategy,
        stage: DeploymentLifecycleHookStage,
        timeout: Option<(i32, DeploymentLifecycleHookAction)>,
    ) -> Strategy {
        let spec = ServiceSpec {
            deployment_configuration: Some(DeploymentConfiguration {
                strategy: Some(strategy.kind),
                lifecycle_hooks: vec![DeploymentLifecycleHook {
                    target_type: Some(DeploymentLifecycleHookTargetType::Pause),
                    lifecycle_stages: vec![stage],
                    timeout_configuration: timeout.map(|(m, a)| {
                        DeploymentLifecycleHookTimeoutConfiguration {
                            timeout_in_minutes: Some(m),
                            action: Some(a),
                        }
                    }),
                    ..Default::default()
                }],
                ..Default::default()
            }),
            ..ServiceSpec::default()
        };
        strategy.pauses = Strategy::of(&spec).pauses;
        strategy
    }

    const NO_TASKS: &std::collections::BTreeMap<String, Option<i64>> =
        &std::collections::BTreeMap::new();
    const UP: Facts = Facts {
        scaled_up: true,
        hook_tasks: NO_TASKS,
    };
    const NOT_UP: Facts = Facts {
        scaled_up: false,
        hook_tasks: NO_TASKS,
    };

    fn run(
        s: &Strategy,
        p: &ShiftProgress,
        c: Option<&DeploymentControl>,
        f: Facts,
        now: u64,
    ) -> Advance {
        advance(s, p, c, f, "(service web) (deployment d1)", at(now))
    }

    #[test]
    fn waits_at_scale_up_until_the_new_revision_is_up() {
        let s = canary(10.0, 1, 0);
        let a = run(&s, &start(at(0)), None, NOT_UP, 0);
        assert_eq!(a.progress.stage, Stage::ScaleUp);
        assert_eq!(a.progress.traffic, 0);
        assert!(a.events.is_empty());
        assert_eq!(a.wake_at, None);
    }

    #[test]
    fn canary_holds_its_share_for_the_bake_then_moves_all_and_cleans_up() {
        let s = canary(10.0, 1, 0);
        let a = run(&s, &start(at(0)), None, UP, 5);
        assert_eq!(a.progress.stage, Stage::ProductionTrafficShift);
        assert_eq!(a.progress.traffic, 100);
        assert_eq!(a.wake_at, Some(at(65)));
        assert_eq!(
            a.events,
            vec![
                "(service web) (deployment d1) shifted 10% of production traffic to the new revision."
            ]
        );
        let b = run(&s, &a.progress, None, UP, 30);
        assert_eq!(b.progress, a.progress, "nothing moves during the bake");
        assert!(b.events.is_empty());
        let c = run(&s, &b.progress, None, UP, 65);
        assert_eq!(c.progress.traffic, 1000);
        assert_eq!(c.progress.stage, Stage::CleanUp);
        assert_eq!(c.events.len(), 2, "{:?}", c.events);
        assert!(c.events[0].contains("shifted 100%"));
        assert!(c.events[1].contains("cleaning up"));
    }

    #[test]
    fn blue_green_moves_everything_at_once_and_bakes() {
        let s = Strategy::of(&ServiceSpec {
            deployment_configuration: Some(DeploymentConfiguration {
                strategy: Some(DeploymentStrategy::BlueGreen),
                bake_time_in_minutes: Some(2),
                ..Default::default()
            }),
            ..ServiceSpec::default()
        });
        let a = run(&s, &start(at(0)), None, UP, 0);
        assert_eq!(
            (a.progress.stage, a.progress.traffic),
            (Stage::BakeTime, 1000)
        );
        assert_eq!(a.wake_at, Some(at(120)));
        assert!(a.events.iter().any(|e| e.contains("baking for 2m")));
        let b = run(&s, &a.progress, None, UP, 120);
        assert_eq!(b.progress.stage, Stage::CleanUp);
    }

    #[test]
    fn a_pause_hook_holds_until_continued() {
        let s = with_pause(
            canary(10.0, 0, 0),
            DeploymentLifecycleHookStage::PostTestTrafficShift,
            None,
        );
        let a = run(&s, &start(at(0)), None, UP, 0);
        assert_eq!(a.progress.stage, Stage::PostTestTrafficShift);
        assert!(a.progress.paused);
        assert_eq!(
            a.progress.traffic, 0,
            "no production traffic before the pause ends"
        );
        assert!(a.events[0].contains("paused at lifecycle stage POST_TEST_TRAFFIC_SHIFT"));
        let again = run(&s, &a.progress, None, UP, 500);
        assert_eq!(again.progress, a.progress);
        assert!(again.events.is_empty(), "the pause is told once");
        let control = DeploymentControl {
            continued: [Stage::PostTestTrafficShift].into_iter().collect(),
            ..DeploymentControl::default()
        };
        let b = run(&s, &a.progress, Some(&control), UP, 600);
        assert!(!b.progress.paused);
        assert_eq!(b.progress.stage, Stage::CleanUp);
        assert!(b.events[0].contains("continued at lifecycle stage POST_TEST_TRAFFIC_SHIFT"));
    }

    #[test]
    fn a_pause_timeout_continues_or_fails() {
        let hold = |action| {
            with_pause(
                canary(10.0, 0, 0),
                DeploymentLifecycleHookStage::PostScaleUp,
                Some((5, action)),
            )
        };
        let s = hold(DeploymentLifecycleHookAction::Continue);
        let a = run(&s, &start(at(0)), None, UP, 0);
        assert!(a.progress.paused);
        assert_eq!(a.wake_at, Some(at(300)));
        let b = run(&s, &a.progress, None, UP, 300);
        assert_eq!(b.progress.stage, Stage::CleanUp);
        let s = hold(DeploymentLifecycleHookAction::Rollback);
        let b = run(&s, &a.progress, None, UP, 300);
        assert_eq!(
            b.fail.as_deref(),
            Some("the PAUSE hook at POST_SCALE_UP timed out after 5m")
        );
    }

    #[test]
    fn weights_split_traffic_by_share() {
        // 2 new and 2 old targets, 10 % to new: 1 : 9 per target.
        let (n, o) = weights(100, 2, 2, 100);
        assert_eq!((n, o), (11, 100));
        let share =
            |n: u32, o: u32, nn: u32, on: u32| f64::from(n * nn) / f64::from(n * nn + o * on);
        for (p, nn, on) in [(100, 2, 2), (50, 3, 1), (250, 1, 4), (900, 4, 4), (1, 2, 2)] {
            let (n, o) = weights(p, nn, on, 256);
            let got = share(n, o, nn, on);
            let want = f64::from(p) / 1000.0;
            assert!((got - want).abs() < 0.01, "{p}‰ {nn}/{on}: {got}");
        }
        assert_eq!(weights(1000, 2, 2, 100), (100, 0));
        assert_eq!(weights(0, 2, 2, 100), (0, 100));
        assert_eq!(
            weights(100, 2, 0, 100),
            (100, 0),
            "nothing old: all traffic to new"
        );
        assert_eq!(weights(100, 0, 2, 100), (0, 100));
    }

    fn with_task_hook(mut strategy: Strategy, stage: DeploymentLifecycleHookStage) -> Strategy {
        let spec = ServiceSpec {
            deployment_configuration: Some(DeploymentConfiguration {
                strategy: Some(strategy.kind),
                lifecycle_hooks: vec![DeploymentLifecycleHook {
                    target_type: Some(DeploymentLifecycleHookTargetType::AwsLambda),
                    hook_target_arn: Some("arn:aws:ecs:eu-west-1:1:task-definition/smoke:2".into()),
                    lifecycle_stages: vec![stage],
                    ..Default::default()
                }],
                ..Default::default()
            }),
            ..ServiceSpec::default()
        };
        strategy.task_hooks = Strategy::of(&spec).task_hooks;
        strategy
    }

    #[test]
    fn a_task_hook_runs_once_and_its_exit_code_decides() {
        let s = with_task_hook(
            canary(10.0, 1, 0),
            DeploymentLifecycleHookStage::PostScaleUp,
        );
        let a = run(&s, &start(at(0)), None, UP, 1);
        assert_eq!(a.progress.stage, Stage::PostScaleUp);
        assert_eq!(a.run_hook.as_deref(), Some("smoke:2"));
        // The controller records the launched task; while it runs, the stage holds.
        let mut p = a.progress.clone();
        p.hook = Some(crate::state::HookRun {
            stage: Stage::PostScaleUp,
            task_id: "h1".into(),
            since: at(1),
            passed: false,
        });
        let running: std::collections::BTreeMap<String, Option<i64>> =
            [("h1".to_string(), None)].into_iter().collect();
        let facts = |tasks| Facts {
            scaled_up: true,
            hook_tasks: tasks,
        };
        let a = run(&s, &p, None, facts(&running), 2);
        assert_eq!(
            (a.progress.stage, a.run_hook.clone(), a.fail.clone()),
            (Stage::PostScaleUp, None, None)
        );
        // Exit 0: on to the traffic shift, and the hook does not run again.
        let passed: std::collections::BTreeMap<String, Option<i64>> =
            [("h1".to_string(), Some(0))].into_iter().collect();
        let a = run(&s, &p, None, facts(&passed), 3);
        assert_eq!(a.progress.stage, Stage::ProductionTrafficShift);
        assert!(
            a.events
                .iter()
                .any(|e| e.contains("lifecycle hook task h1 at POST_SCALE_UP succeeded")),
            "{:?}",
            a.events
        );
        assert_eq!(a.run_hook, None);
        // Another exit fails the deployment.
        let failed: std::collections::BTreeMap<String, Option<i64>> =
            [("h1".to_string(), Some(3))].into_iter().collect();
        let a = run(&s, &p, None, facts(&failed), 3);
        assert_eq!(
            a.fail.as_deref(),
            Some("the lifecycle hook task h1 at POST_SCALE_UP exited with 3")
        );
        // Not seen for a minute after its launch: lost, a failure too.
        let a = run(&s, &p, None, UP, 30);
        assert_eq!(a.fail, None);
        let a = run(&s, &p, None, UP, 62);
        assert_eq!(
            a.fail.as_deref(),
            Some("the lifecycle hook task h1 at POST_SCALE_UP is gone")
        );
    }
}
