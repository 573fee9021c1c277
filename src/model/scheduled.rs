//! The `ScheduledTask` kind, typed: EventBridge Scheduler's schedule with an ECS target, field
//! names as in its API (camelCase) where they apply. Lives in a cluster (`metadata.cluster`,
//! default `default`).
//!
//! | EventBridge Scheduler | here |
//! |---|---|
//! | `ScheduleExpression`, `ScheduleExpressionTimezone` (default UTC), `State` | `scheduleExpression`, `scheduleExpressionTimezone`, `state: ENABLED \| DISABLED` |
//! | `EcsParameters.TaskDefinitionArn`, `TaskCount` (1-10) | `taskDefinition` (`family` or `family:revision`), `taskCount` |
//! | `EcsParameters.LaunchType`, `CapacityProviderStrategy`, `PlacementConstraints` | same names |
//! | the target's `Input` (RunTask `overrides`) | `overrides.containerOverrides[]`: `name`, `command`, `environment` |
//! | — (ecsctl's own) | `maximumConcurrency` (default 1: a run is skipped while one is still running), `runMissed: NONE \| ONCE` |
//!
//! Data only: required-ness and ranges are checked in `model::validate::scheduled`, the
//! schedule is parsed by [`super::schedule_expr`], defaults are written out by
//! `model::normalize::scheduled_task`.

use super::ecs::{
    CapacityProviderStrategyItem, KeyValuePair, LaunchType, PlacementConstraint, ecs_enum,
    strict_struct,
};

strict_struct! {
    /// `spec` of `kind: ScheduledTask`.
    ScheduledTaskSpec {
        schedule_expression: Option<String>,
        /// An IANA time zone name; default `UTC`.
        schedule_expression_timezone: Option<String>,
        state: Option<ScheduleState>,
        task_definition: Option<String>,
        task_count: Option<i32>,
        overrides: Option<TaskOverride>,
        launch_type: Option<LaunchType>,
        capacity_provider_strategy: Vec<CapacityProviderStrategyItem>,
        placement_constraints: Vec<PlacementConstraint>,
        /// Runs that may be in progress at once; a run that would exceed it is skipped.
        maximum_concurrency: Option<i32>,
        run_missed: Option<RunMissed>,
    }
}

strict_struct! {
    /// RunTask's `overrides`, the part that applies off AWS.
    TaskOverride {
        container_overrides: Vec<ContainerOverride>,
    }
}

strict_struct! {
    ContainerOverride {
        name: Option<String>,
        command: Vec<String>,
        environment: Vec<KeyValuePair>,
    }
}

ecs_enum! {
    ScheduleState {
        Enabled = "ENABLED",
        Disabled = "DISABLED",
    }
}

ecs_enum! {
    /// What a `watch` that starts after a gap does about the runs it missed: report them
    /// (`NONE`), or report them and run once (`ONCE`).
    RunMissed {
        None = "NONE",
        Once = "ONCE",
    }
}

/// EventBridge Scheduler's bounds of `TaskCount`.
pub const TASK_COUNT: std::ops::RangeInclusive<i32> = 1..=10;

/// The task definition as a run of the schedule starts it: each container override's command
/// replaces the container's, its environment adds to or replaces the container's variables
/// (RunTask's rules).
pub fn with_overrides(
    spec: &super::ecs::TaskDefinitionSpec,
    overrides: Option<&TaskOverride>,
) -> super::ecs::TaskDefinitionSpec {
    let mut spec = spec.clone();
    for o in overrides.iter().flat_map(|o| o.container_overrides.iter()) {
        let Some(container) = spec
            .container_definitions
            .iter_mut()
            .find(|c| c.name.is_some() && c.name == o.name)
        else {
            continue;
        };
        if !o.command.is_empty() {
            container.command = o.command.clone();
        }
        for kv in &o.environment {
            container.environment.retain(|e| e.name != kv.name);
            container.environment.push(kv.clone());
        }
    }
    spec
}
