//! A service's deployment strategy as plain values: which strategy, the production traffic
//! steps with their bake times, the final bake, the PAUSE hooks and the alarms that fail a
//! deployment. The one place ECS's defaults for them are decided.
//!
//! | field | default (ECS) |
//! |---|---|
//! | `strategy` | `ROLLING` |
//! | `bakeTimeInMinutes` | 0 (`BLUE_GREEN` requires it, checked by validation) |
//! | `linearConfiguration.stepPercent` / `stepBakeTimeInMinutes` | 10.0 / 6 |
//! | `canaryConfiguration.canaryPercent` / `canaryBakeTimeInMinutes` | 5.0 / 10 |
//! | `lifecycleHooks[].timeoutConfiguration` | none (a PAUSE waits until continued) |
//!
//! Traffic shares are in permille (0.1 % steps, ECS's granularity for the percentages).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::model::ecs::{
    DeploymentLifecycleHookAction, DeploymentLifecycleHookStage, DeploymentLifecycleHookTargetType,
    DeploymentStrategy, ServiceSpec,
};

pub const DEFAULT_LINEAR_STEP_PERCENT: f64 = 10.0;
pub const DEFAULT_LINEAR_STEP_BAKE_MINUTES: i32 = 6;
pub const DEFAULT_CANARY_PERCENT: f64 = 5.0;
pub const DEFAULT_CANARY_BAKE_MINUTES: i32 = 10;

/// All production traffic, in permille.
pub const ALL_TRAFFIC: u32 = 1000;

/// The stages a shifted deployment goes through, in order (ECS's
/// `ServiceDeploymentLifecycleStage`, with the hook-only `PRE_PRODUCTION_TRAFFIC_SHIFT`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Stage {
    PreScaleUp,
    ScaleUp,
    PostScaleUp,
    TestTrafficShift,
    PostTestTrafficShift,
    PreProductionTrafficShift,
    ProductionTrafficShift,
    PostProductionTrafficShift,
    BakeTime,
    CleanUp,
}

impl Stage {
    pub const ALL: [Stage; 10] = [
        Stage::PreScaleUp,
        Stage::ScaleUp,
        Stage::PostScaleUp,
        Stage::TestTrafficShift,
        Stage::PostTestTrafficShift,
        Stage::PreProductionTrafficShift,
        Stage::ProductionTrafficShift,
        Stage::PostProductionTrafficShift,
        Stage::BakeTime,
        Stage::CleanUp,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::PreScaleUp => "PRE_SCALE_UP",
            Stage::ScaleUp => "SCALE_UP",
            Stage::PostScaleUp => "POST_SCALE_UP",
            Stage::TestTrafficShift => "TEST_TRAFFIC_SHIFT",
            Stage::PostTestTrafficShift => "POST_TEST_TRAFFIC_SHIFT",
            Stage::PreProductionTrafficShift => "PRE_PRODUCTION_TRAFFIC_SHIFT",
            Stage::ProductionTrafficShift => "PRODUCTION_TRAFFIC_SHIFT",
            Stage::PostProductionTrafficShift => "POST_PRODUCTION_TRAFFIC_SHIFT",
            Stage::BakeTime => "BAKE_TIME",
            Stage::CleanUp => "CLEAN_UP",
        }
    }

    /// The stage after this one (`None` after CLEAN_UP).
    pub fn next(self) -> Option<Stage> {
        let at = Stage::ALL.iter().position(|s| *s == self)?;
        Stage::ALL.get(at + 1).copied()
    }

    /// The stage a hook names (`RECONCILE_SERVICE` hooks run before anything: PRE_SCALE_UP).
    pub fn of_hook(stage: DeploymentLifecycleHookStage) -> Stage {
        use DeploymentLifecycleHookStage as H;
        match stage {
            H::ReconcileService | H::PreScaleUp => Stage::PreScaleUp,
            H::PostScaleUp => Stage::PostScaleUp,
            H::TestTrafficShift => Stage::TestTrafficShift,
            H::PostTestTrafficShift => Stage::PostTestTrafficShift,
            H::PreProductionTrafficShift => Stage::PreProductionTrafficShift,
            H::ProductionTrafficShift => Stage::ProductionTrafficShift,
            H::PostProductionTrafficShift => Stage::PostProductionTrafficShift,
        }
    }
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One production traffic step: the share of the new revision, then how long it holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    pub permille: u32,
    pub hold: Duration,
}

/// A PAUSE hook: the deployment waits at `stage` until continued (or its timeout acts).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pause {
    pub stage: Stage,
    pub timeout: Option<(Duration, DeploymentLifecycleHookAction)>,
}

/// An AWS_LAMBDA hook whose `hookTargetArn` names an ECS task definition
/// (`…:task-definition/FAMILY:REV` or `task-definition/FAMILY[:REV]`): ecsctl's stand-in for
/// the Lambda function. At `stage` one task of it runs; its essential container's exit code
/// decides (0 goes on, anything else fails the deployment).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskHook {
    pub stage: Stage,
    /// `FAMILY` or `FAMILY:REV`.
    pub task_definition: String,
}

/// The task definition an AWS_LAMBDA hook's target names, if it names one.
pub fn hook_task_definition(target: &str) -> Option<&str> {
    let (_, rest) = target.split_once("task-definition/")?;
    (!rest.is_empty()).then_some(rest)
}

/// How a service's deployments run.
#[derive(Clone, Debug, PartialEq)]
pub struct Strategy {
    pub kind: DeploymentStrategy,
    /// Production traffic steps (empty for ROLLING); the last one is always 100 %.
    pub steps: Vec<Step>,
    /// Both revisions stay up this long after all traffic moved.
    pub bake: Duration,
    pub pauses: Vec<Pause>,
    pub task_hooks: Vec<TaskHook>,
    /// `deploymentConfiguration.alarms`, when enabled: (alarm names, roll back).
    pub alarms: Option<(Vec<String>, bool)>,
}

fn minutes(value: Option<i32>, default: i32) -> Duration {
    let minutes = value.unwrap_or(default).max(0);
    Duration::from_secs(u64::try_from(minutes).unwrap_or(0) * 60)
}

/// A percentage (0.1 steps) in permille, within 0..=1000.
fn permille(percent: f64) -> u32 {
    let value = (percent * 10.0).round();
    if value.is_nan() || value <= 0.0 {
        0
    } else if value >= f64::from(ALL_TRAFFIC) {
        ALL_TRAFFIC
    } else {
        // In range, and whole after rounding.
        value as u32
    }
}

impl Strategy {
    pub fn of(spec: &ServiceSpec) -> Self {
        let config = spec.deployment_configuration.as_ref();
        let kind = config
            .and_then(|c| c.strategy)
            .unwrap_or(DeploymentStrategy::Rolling);
        let steps = match kind {
            DeploymentStrategy::Rolling => Vec::new(),
            DeploymentStrategy::BlueGreen => vec![Step {
                permille: ALL_TRAFFIC,
                hold: Duration::ZERO,
            }],
            DeploymentStrategy::Canary => {
                let canary = config.and_then(|c| c.canary_configuration.as_ref());
                let share = permille(
                    canary
                        .and_then(|c| c.canary_percent)
                        .unwrap_or(DEFAULT_CANARY_PERCENT),
                );
                let hold = minutes(
                    canary.and_then(|c| c.canary_bake_time_in_minutes),
                    DEFAULT_CANARY_BAKE_MINUTES,
                );
                let mut steps = Vec::new();
                if share < ALL_TRAFFIC {
                    steps.push(Step {
                        permille: share.max(1),
                        hold,
                    });
                }
                steps.push(Step {
                    permille: ALL_TRAFFIC,
                    hold: Duration::ZERO,
                });
                steps
            }
            DeploymentStrategy::Linear => {
                let linear = config.and_then(|c| c.linear_configuration.as_ref());
                let step = permille(
                    linear
                        .and_then(|c| c.step_percent)
                        .unwrap_or(DEFAULT_LINEAR_STEP_PERCENT),
                )
                .max(1);
                let hold = minutes(
                    linear.and_then(|c| c.step_bake_time_in_minutes),
                    DEFAULT_LINEAR_STEP_BAKE_MINUTES,
                );
                let mut steps = Vec::new();
                let mut share = step;
                while share < ALL_TRAFFIC {
                    steps.push(Step {
                        permille: share,
                        hold,
                    });
                    share += step;
                }
                // ECS applies no bake after reaching 100 %.
                steps.push(Step {
                    permille: ALL_TRAFFIC,
                    hold: Duration::ZERO,
                });
                steps
            }
        };
        let pauses = config
            .map(|c| c.lifecycle_hooks.as_slice())
            .unwrap_or_default()
            .iter()
            .filter(|h| h.target_type == Some(DeploymentLifecycleHookTargetType::Pause))
            .flat_map(|h| {
                let timeout = h.timeout_configuration.as_ref().and_then(|t| {
                    Some((
                        minutes(Some(t.timeout_in_minutes?), 0),
                        t.action.unwrap_or(DeploymentLifecycleHookAction::Rollback),
                    ))
                });
                h.lifecycle_stages.iter().map(move |s| Pause {
                    stage: Stage::of_hook(*s),
                    timeout,
                })
            })
            .collect();
        let task_hooks = config
            .map(|c| c.lifecycle_hooks.as_slice())
            .unwrap_or_default()
            .iter()
            .filter(|h| h.target_type != Some(DeploymentLifecycleHookTargetType::Pause))
            .filter_map(|h| {
                let task_definition = hook_task_definition(h.hook_target_arn.as_deref()?)?;
                Some(h.lifecycle_stages.iter().map(move |s| TaskHook {
                    stage: Stage::of_hook(*s),
                    task_definition: task_definition.to_string(),
                }))
            })
            .flatten()
            .collect();
        let alarms = config
            .and_then(|c| c.alarms.as_ref())
            .filter(|a| a.enable == Some(true))
            .map(|a| (a.alarm_names.clone(), a.rollback == Some(true)));
        Strategy {
            kind,
            steps,
            bake: minutes(config.and_then(|c| c.bake_time_in_minutes), 0),
            pauses,
            task_hooks,
            alarms,
        }
    }

    /// Whether deployments shift traffic by steps (every strategy but ROLLING): the new
    /// revision starts at full size beside the old one.
    pub fn shifts(&self) -> bool {
        self.kind != DeploymentStrategy::Rolling
    }

    /// The task hook at `stage`, if any.
    pub fn task_hook_at(&self, stage: Stage) -> Option<&TaskHook> {
        self.task_hooks.iter().find(|h| h.stage == stage)
    }

    /// The PAUSE hook at `stage`, if any.
    pub fn pause_at(&self, stage: Stage) -> Option<&Pause> {
        self.pauses.iter().find(|p| p.stage == stage)
    }

    /// The strategy and its steps in words: `CANARY: 10% for 1m, then 100%; bake 5m`.
    pub fn describe(&self) -> String {
        if !self.shifts() {
            return "ROLLING".into();
        }
        format!("{}: {}", self.kind, self.steps_text())
    }

    /// The steps in words, for `plan`: `10% for 1m, then 100%; bake 5m; pause at STAGE`.
    pub fn steps_text(&self) -> String {
        let steps: Vec<String> = self
            .steps
            .iter()
            .map(|s| {
                let share = format!("{}%", percent_text(s.permille));
                if s.hold.is_zero() {
                    share
                } else {
                    format!("{share} for {}", duration_text(s.hold))
                }
            })
            .collect();
        let mut text = steps.join(", then ");
        text.push_str(&format!("; bake {}", duration_text(self.bake)));
        for pause in &self.pauses {
            text.push_str(&format!("; pause at {}", pause.stage));
        }
        text
    }
}

/// `12.5` for 125 permille, `10` for 100.
pub fn percent_text(permille: u32) -> String {
    if permille.is_multiple_of(10) {
        (permille / 10).to_string()
    } else {
        format!("{}.{}", permille / 10, permille % 10)
    }
}

/// A bake or step time as the manifests write it: `0m`, `5m`, `2h` (or seconds).
pub fn duration_text(d: Duration) -> String {
    let secs = d.as_secs();
    match secs {
        0 => "0m".into(),
        s if s.is_multiple_of(3600) => format!("{}h", s / 3600),
        s if s.is_multiple_of(60) => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ecs::{
        CanaryConfiguration, DeploymentConfiguration, DeploymentLifecycleHook, LinearConfiguration,
    };

    fn spec(config: DeploymentConfiguration) -> ServiceSpec {
        ServiceSpec {
            deployment_configuration: Some(config),
            ..ServiceSpec::default()
        }
    }

    fn permilles(s: &Strategy) -> Vec<u32> {
        s.steps.iter().map(|s| s.permille).collect()
    }

    #[test]
    fn rolling_has_no_steps() {
        let s = Strategy::of(&ServiceSpec::default());
        assert!(!s.shifts());
        assert!(s.steps.is_empty());
        assert_eq!(s.describe(), "ROLLING");
    }

    #[test]
    fn blue_green_moves_everything_at_once_then_bakes() {
        let s = Strategy::of(&spec(DeploymentConfiguration {
            strategy: Some(DeploymentStrategy::BlueGreen),
            bake_time_in_minutes: Some(5),
            ..Default::default()
        }));
        assert_eq!(permilles(&s), vec![1000]);
        assert_eq!(s.bake, Duration::from_secs(300));
        assert_eq!(s.describe(), "BLUE_GREEN: 100%; bake 5m");
    }

    #[test]
    fn canary_holds_its_share_for_its_bake_time() {
        let s = Strategy::of(&spec(DeploymentConfiguration {
            strategy: Some(DeploymentStrategy::Canary),
            canary_configuration: Some(CanaryConfiguration {
                canary_percent: Some(12.5),
                canary_bake_time_in_minutes: Some(1),
            }),
            ..Default::default()
        }));
        assert_eq!(permilles(&s), vec![125, 1000]);
        assert_eq!(s.steps[0].hold, Duration::from_secs(60));
        assert_eq!(s.describe(), "CANARY: 12.5% for 1m, then 100%; bake 0m");
        let defaults = Strategy::of(&spec(DeploymentConfiguration {
            strategy: Some(DeploymentStrategy::Canary),
            ..Default::default()
        }));
        assert_eq!(permilles(&defaults), vec![50, 1000]);
        assert_eq!(defaults.steps[0].hold, Duration::from_secs(600));
    }

    #[test]
    fn linear_steps_up_to_all_traffic_without_a_last_bake() {
        let s = Strategy::of(&spec(DeploymentConfiguration {
            strategy: Some(DeploymentStrategy::Linear),
            linear_configuration: Some(LinearConfiguration {
                step_percent: Some(30.0),
                step_bake_time_in_minutes: Some(2),
            }),
            ..Default::default()
        }));
        assert_eq!(permilles(&s), vec![300, 600, 900, 1000]);
        assert_eq!(s.steps[3].hold, Duration::ZERO);
        assert!(
            s.steps[..3]
                .iter()
                .all(|s| s.hold == Duration::from_secs(120))
        );
        let defaults = Strategy::of(&spec(DeploymentConfiguration {
            strategy: Some(DeploymentStrategy::Linear),
            ..Default::default()
        }));
        assert_eq!(defaults.steps.len(), 10);
    }

    #[test]
    fn pause_hooks_and_alarms_are_read() {
        let s = Strategy::of(&spec(DeploymentConfiguration {
            strategy: Some(DeploymentStrategy::BlueGreen),
            lifecycle_hooks: vec![
                DeploymentLifecycleHook {
                    target_type: Some(DeploymentLifecycleHookTargetType::Pause),
                    lifecycle_stages: vec![DeploymentLifecycleHookStage::PostTestTrafficShift],
                    ..Default::default()
                },
                DeploymentLifecycleHook {
                    target_type: Some(DeploymentLifecycleHookTargetType::AwsLambda),
                    lifecycle_stages: vec![DeploymentLifecycleHookStage::PostScaleUp],
                    ..Default::default()
                },
            ],
            alarms: Some(crate::model::ecs::DeploymentAlarms {
                alarm_names: vec!["5xx".into()],
                enable: Some(true),
                rollback: Some(true),
            }),
            ..Default::default()
        }));
        assert_eq!(s.pauses.len(), 1);
        assert!(s.pause_at(Stage::PostTestTrafficShift).is_some());
        assert!(s.pause_at(Stage::PostScaleUp).is_none());
        assert_eq!(s.alarms, Some((vec!["5xx".to_string()], true)));
    }

    #[test]
    fn stages_run_in_ecs_order() {
        let mut stage = Stage::PreScaleUp;
        let mut seen = vec![stage];
        while let Some(next) = stage.next() {
            seen.push(next);
            stage = next;
        }
        assert_eq!(seen, Stage::ALL.to_vec());
        let json = serde_json::to_string(&Stage::PostTestTrafficShift).expect("json");
        assert_eq!(json, "\"POST_TEST_TRAFFIC_SHIFT\"");
    }
}
