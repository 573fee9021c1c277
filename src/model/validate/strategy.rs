//! Checks of a service's deployment strategy: ECS's ranges for `bakeTimeInMinutes`, the
//! linear and canary settings and lifecycle hooks, and what traffic shifting needs (a target
//! group to shift in, a REPLICA service).

use super::{Check, DiagnosticExt};
use crate::model::ecs::{
    DeploymentConfiguration, DeploymentLifecycleHookTargetType, DeploymentStrategy, ServiceSpec,
};

/// ECS's bound on every bake time (24 hours).
const MAX_BAKE_MINUTES: i32 = 1440;

fn minutes(c: &mut Check<'_>, path: &str, value: Option<i32>) {
    if let Some(m) = value
        && !(0..=MAX_BAKE_MINUTES).contains(&m)
    {
        c.error(
            path,
            format!("{m} minutes: it must be between 0 and {MAX_BAKE_MINUTES} (24 hours)"),
        );
    }
}

/// A percentage in multiples of 0.1 within `low..=100`.
fn percent(c: &mut Check<'_>, path: &str, value: Option<f64>, low: f64) {
    let Some(p) = value else {
        return;
    };
    let tenths = p * 10.0;
    if !(low..=100.0).contains(&p) || (tenths - tenths.round()).abs() > 1e-6 {
        c.error(
            path,
            format!("{p}%: it must be a multiple of 0.1 from {low} to 100"),
        );
    }
}

pub(super) fn check(spec: &ServiceSpec, daemon: bool, c: &mut Check<'_>) {
    let Some(config) = &spec.deployment_configuration else {
        return;
    };
    let strategy = config.strategy.unwrap_or(DeploymentStrategy::Rolling);
    let at = |field: &str| format!("deploymentConfiguration.{field}");
    minutes(c, &at("bakeTimeInMinutes"), config.bake_time_in_minutes);
    if let Some(linear) = &config.linear_configuration {
        percent(
            c,
            &at("linearConfiguration.stepPercent"),
            linear.step_percent,
            3.0,
        );
        minutes(
            c,
            &at("linearConfiguration.stepBakeTimeInMinutes"),
            linear.step_bake_time_in_minutes,
        );
        if strategy != DeploymentStrategy::Linear {
            c.error(
                &at("linearConfiguration"),
                format!("linearConfiguration applies to the LINEAR strategy, not {strategy}"),
            )
            .help("write `strategy: LINEAR`, or remove `linearConfiguration`");
        }
    }
    if let Some(canary) = &config.canary_configuration {
        percent(
            c,
            &at("canaryConfiguration.canaryPercent"),
            canary.canary_percent,
            0.1,
        );
        minutes(
            c,
            &at("canaryConfiguration.canaryBakeTimeInMinutes"),
            canary.canary_bake_time_in_minutes,
        );
        if strategy != DeploymentStrategy::Canary {
            c.error(
                &at("canaryConfiguration"),
                format!("canaryConfiguration applies to the CANARY strategy, not {strategy}"),
            )
            .help("write `strategy: CANARY`, or remove `canaryConfiguration`");
        }
    }
    check_hooks(config, c);
    if let Some(alarms) = &config.alarms
        && alarms.enable == Some(true)
        && alarms.alarm_names.is_empty()
    {
        c.error(
            &at("alarms.alarmNames"),
            "deployment alarms are enabled but name no alarm",
        )
        .help("list the `kind: Alarm` names that fail a deployment, or write `enable: false`");
    }
    if let Some(alarms) = &config.alarms
        && (alarms.enable.is_none() || alarms.rollback.is_none())
    {
        c.error(
            &at("alarms"),
            "deployment alarms need `alarmNames`, `enable` and `rollback`",
        )
        .help("write `alarms: { alarmNames: [NAME], enable: true, rollback: true }`");
    }
    if strategy == DeploymentStrategy::Rolling {
        return;
    }
    if daemon {
        c.error(
            &at("strategy"),
            format!("a DAEMON service runs one task per host and cannot use {strategy}"),
        )
        .help("use `strategy: ROLLING` (the default) for DAEMON services");
    }
    if spec.load_balancers.is_empty() && spec.service_connect_configuration.is_none() {
        c.warning(
            &at("strategy"),
            format!("{strategy} shifts production traffic between revisions in a target group, and the service has no `loadBalancers`: the new revision starts at full size and the old one stops after the steps and bake time"),
        )
        .help("register the service with a target group (`loadBalancers: [{ targetGroupName, containerName, containerPort }]`) to shift its traffic");
    }
    if strategy == DeploymentStrategy::BlueGreen && config.bake_time_in_minutes.is_none() {
        c.error(
            &at("strategy"),
            "a BLUE_GREEN deployment needs `bakeTimeInMinutes` (how long both revisions stay up after production traffic moved)",
        )
        .help("add `bakeTimeInMinutes: 5` (0 to 1440) to `deploymentConfiguration`");
    }
}

fn check_hooks(config: &DeploymentConfiguration, c: &mut Check<'_>) {
    for (i, hook) in config.lifecycle_hooks.iter().enumerate() {
        let path = format!("deploymentConfiguration.lifecycleHooks[{i}]");
        match hook.target_type {
            Some(DeploymentLifecycleHookTargetType::Pause) => {}
            // ecsctl's stand-in for the Lambda function: a one-off task whose exit decides.
            _ if hook
                .hook_target_arn
                .as_deref()
                .and_then(crate::model::effective::strategy::hook_task_definition)
                .is_some() => {}
            kind => {
                // Real ECS documents carry them: reported, and the stage passes without them.
                let kind = kind.unwrap_or(DeploymentLifecycleHookTargetType::AwsLambda);
                c.warning(
                    &format!("{path}.targetType"),
                    format!("{kind} hooks call AWS Lambda, which cannot run off AWS: the hook is ignored"),
                )
                .help("write `targetType: PAUSE` (the deployment waits for `ecsctl deployment continue service/NAME`), or `hookTargetArn: task-definition/FAMILY:REV` (a one-off task whose exit code decides)");
            }
        }
        if hook.lifecycle_stages.is_empty() {
            c.error(
                &format!("{path}.lifecycleStages"),
                "a lifecycle hook names the stages it runs at",
            )
            .help("e.g. `lifecycleStages: [POST_TEST_TRAFFIC_SHIFT]`");
        }
        if let Some(timeout) = &hook.timeout_configuration
            && let Some(m) = timeout.timeout_in_minutes
            && !(1..=MAX_BAKE_MINUTES).contains(&m)
        {
            c.error(
                &format!("{path}.timeoutConfiguration.timeoutInMinutes"),
                format!("{m} minutes: it must be between 1 and {MAX_BAKE_MINUTES}"),
            );
        }
    }
}
