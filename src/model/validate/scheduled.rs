//! Checks of scheduled tasks: a schedule expression and time zone that parse, EventBridge
//! Scheduler's bounds (`taskCount` 1-10), a launch type or a strategy (not both), placement
//! constraints as services have them, and overrides that name containers of the task
//! definition (checked across objects with the task definitions of the run).

use std::collections::BTreeMap;

use super::{Check, DiagnosticExt, ManifestSet};
use crate::diagnostics::Diagnostics;
use crate::model::ecs::TaskDefinitionSpec;
use crate::model::manifest::{ClusterManifest, Manifest};
use crate::model::names::{TaskDefRef, check_ecs_name, is_templated};
use crate::model::schedule_expr::{ScheduleExpression, time_zone};
use crate::model::scheduled::{ScheduledTaskSpec, TASK_COUNT};
use crate::suggest::did_you_mean;

/// EventBridge Scheduler's schedule names: 1 to 64 letters, digits, `-`, `_` and `.`.
fn check_schedule_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > 64 {
        return Err("a name has 1 to 64 characters".into());
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err("a name has only letters, digits, `-`, `_` and `.`".into());
    }
    Ok(())
}

pub(super) fn scheduled_task(t: &ClusterManifest<ScheduledTaskSpec>, out: &mut Diagnostics) {
    let m = &t.manifest;
    let mut c = Check::new(&m.origin, out);
    if !is_templated(&m.name)
        && let Err(e) = check_schedule_name(&m.name)
    {
        c.error_at(&m.name_path, format!("invalid scheduled task name: {e}"));
    }
    if !is_templated(&t.cluster)
        && let Err(e) = check_ecs_name(&t.cluster)
    {
        c.error_at(&t.cluster_path, format!("invalid cluster name: {e}"));
    }
    let spec = &m.spec;
    match spec.schedule_expression.as_deref() {
        None => {
            c.error("", "a scheduled task needs a `scheduleExpression`")
                .help("add `scheduleExpression: rate(5 minutes)` or `scheduleExpression: cron(0 3 * * ? *)`");
        }
        Some(text) if is_templated(text) => {}
        Some(text) => {
            if let Err(e) = text.parse::<ScheduleExpression>() {
                let d = c.error(
                    "scheduleExpression",
                    format!("invalid schedule expression: {}", e.message),
                );
                if let Some(help) = e.help {
                    d.help(help);
                }
            }
        }
    }
    if let Some(zone) = spec.schedule_expression_timezone.as_deref()
        && !is_templated(zone)
        && let Err(e) = time_zone(zone)
    {
        let d = c.error("scheduleExpressionTimezone", e.message);
        if let Some(help) = e.help {
            d.help(help);
        }
    }
    match spec.task_definition.as_deref() {
        None => {
            c.error("", "a scheduled task needs a `taskDefinition`")
                .help("add `taskDefinition: FAMILY` (its newest revision at each run) or `FAMILY:REVISION`");
        }
        Some(text) if is_templated(text) => {}
        Some(text) => {
            if let Err(e) = text.parse::<TaskDefRef>() {
                c.error("taskDefinition", e);
            }
        }
    }
    if let Some(n) = spec.task_count
        && !TASK_COUNT.contains(&n)
    {
        c.error(
            "taskCount",
            format!(
                "{n}: `taskCount` must be between {} and {}",
                TASK_COUNT.start(),
                TASK_COUNT.end()
            ),
        );
    }
    if let Some(n) = spec.maximum_concurrency
        && n < 1
    {
        c.error(
            "maximumConcurrency",
            format!("{n}: `maximumConcurrency` must be at least 1"),
        )
        .help("1 (the default) skips a run while the previous one is still running");
    }
    if !spec.capacity_provider_strategy.is_empty() {
        if spec.launch_type.is_some() {
            c.error(
                "capacityProviderStrategy",
                "specifying both a launch type and capacity provider strategy is not supported",
            )
            .help("remove one of them");
        }
        super::capacity::strategy(
            &mut c,
            "capacityProviderStrategy",
            &spec.capacity_provider_strategy,
        );
    }
    super::service::placement_constraints(&spec.placement_constraints, &mut c);
    if let Some(overrides) = &spec.overrides {
        for (i, o) in overrides.container_overrides.iter().enumerate() {
            if o.name.is_none() {
                c.error(
                    &format!("overrides.containerOverrides[{i}]"),
                    "a container override needs the `name` of the container",
                );
            }
            for (j, kv) in o.environment.iter().enumerate() {
                if kv.name.as_deref().is_none_or(str::is_empty) {
                    c.error(
                        &format!("overrides.containerOverrides[{i}].environment[{j}]"),
                        "an environment variable needs a `name`",
                    );
                }
            }
        }
    }
}

/// The task definition and the containers its overrides name, in the manifests of the run or
/// recorded (`known` families: the containers of a recorded one are checked when it runs).
pub(super) fn check_references(
    set: &ManifestSet,
    families: &std::collections::BTreeSet<&str>,
    clusters: &std::collections::BTreeSet<&str>,
    out: &mut Diagnostics,
) {
    let task_definitions: &BTreeMap<String, Manifest<TaskDefinitionSpec>> = &set.task_definitions;
    for t in set.scheduled_tasks.values() {
        let m = &t.manifest;
        let mut c = Check::new(&m.origin, out);
        if !is_templated(&t.cluster) && !clusters.contains(t.cluster.as_str()) {
            c.error_at(&t.cluster_path, format!("unknown cluster `{}`", t.cluster))
                .help("define it with a `kind: Cluster` manifest, or leave the cluster out to use `default`");
        }
        let Some(Ok(reference)) = m
            .spec
            .task_definition
            .as_deref()
            .map(str::parse::<TaskDefRef>)
        else {
            continue;
        };
        if !families.contains(reference.family.as_str()) {
            let help = match did_you_mean(&reference.family, families.iter().copied()) {
                Some(f) => format!("did you mean `{f}`?"),
                None => "define it with a `kind: TaskDefinition` manifest".to_string(),
            };
            c.error(
                "taskDefinition",
                format!("unknown task definition `{}`", reference.family),
            )
            .help(help);
            continue;
        }
        let Some(td) = task_definitions.get(&reference.family) else {
            continue;
        };
        let containers: Vec<&str> = td
            .spec
            .container_definitions
            .iter()
            .filter_map(|c| c.name.as_deref())
            .collect();
        let overrides = m
            .spec
            .overrides
            .iter()
            .flat_map(|o| o.container_overrides.iter());
        for (i, o) in overrides.enumerate() {
            let Some(name) = o.name.as_deref() else {
                continue;
            };
            if !containers.contains(&name) {
                let help = match did_you_mean(name, containers.iter().copied()) {
                    Some(n) => format!("did you mean `{n}`?"),
                    None => format!("its containers are `{}`", containers.join("`, `")),
                };
                c.error(
                    &format!("overrides.containerOverrides[{i}].name"),
                    format!(
                        "task definition `{}` has no container `{name}`",
                        reference.family
                    ),
                )
                .help(help);
            }
        }
    }
}
