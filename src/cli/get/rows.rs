//! Table rows of the kinds ecsctl adds to ECS's (traffic, alarms, scaling, schedules): the
//! headers and one row per view, in the same order.

use crate::ops::alarm::AlarmView;
use crate::ops::scaling::ScalableTargetView;
use crate::ops::scheduled::ScheduledTaskView;
use crate::ops::traffic::{LoadBalancerView, TargetGroupView};
use crate::ops::views;
use crate::time::{Timestamp, short_age};

pub(super) fn age(since: Timestamp) -> String {
    short_age(Timestamp::now().since(since))
}

pub(super) fn dash_join(items: &[String]) -> String {
    if items.is_empty() {
        "-".into()
    } else {
        items.join(", ")
    }
}

fn when(t: Option<Timestamp>) -> String {
    t.map_or_else(|| "-".to_string(), |t| t.to_string())
}

pub(super) const TARGET_GROUP: &[&str] = &[
    "cluster",
    "name",
    "protocol",
    "health check",
    "load balancers",
    "healthy",
    "age",
];

pub(super) fn target_group(v: &TargetGroupView) -> Vec<String> {
    vec![
        v.cluster.clone(),
        v.name.clone(),
        v.protocol.clone(),
        v.health_check.clone(),
        dash_join(&v.load_balancers),
        format!("{}/{}", v.healthy, v.targets),
        age(v.created_at),
    ]
}

pub(super) const LOAD_BALANCER: &[&str] = &["cluster", "name", "hosts", "listeners", "age"];

pub(super) fn load_balancer(v: &LoadBalancerView) -> Vec<String> {
    vec![
        v.cluster.clone(),
        v.name.clone(),
        if v.hosts.is_empty() {
            "(every host)".to_string()
        } else {
            v.hosts.join(",")
        },
        dash_join(&v.listeners),
        age(v.created_at),
    ]
}

pub(super) const ALARM: &[&str] = &[
    "cluster",
    "name",
    "metric",
    "watches",
    "condition",
    "state",
    "since",
];

pub(super) fn alarm(v: &AlarmView) -> Vec<String> {
    vec![
        v.cluster.clone(),
        v.name.clone(),
        v.metric_name.clone(),
        v.watches.clone(),
        v.condition.clone(),
        v.state.clone(),
        v.since.map_or_else(|| "-".to_string(), age),
    ]
}

pub(super) const SCALABLE_TARGET: &[&str] = &[
    "cluster",
    "name",
    "service",
    "min",
    "max",
    "desired",
    "policies",
    "last activity",
];

pub(super) fn scalable_target(v: &ScalableTargetView) -> Vec<String> {
    vec![
        v.cluster.clone(),
        v.name.clone(),
        v.service.clone(),
        v.min_capacity.to_string(),
        v.max_capacity.to_string(),
        v.desired_count.map_or("-".into(), |n| n.to_string()),
        dash_join(&v.policies),
        v.activities.last().map_or("-".into(), |a| {
            format!("{} → {} {} ago", a.from, a.to, age(a.at))
        }),
    ]
}

pub(super) const SCHEDULED_TASK: &[&str] = &[
    "cluster",
    "name",
    "schedule",
    "state",
    "task definition",
    "last run",
    "last status",
    "last exit",
    "next run",
];

pub(super) fn scheduled_task(v: &ScheduledTaskView) -> Vec<String> {
    vec![
        v.cluster.clone(),
        v.name.clone(),
        if v.schedule_expression_timezone == "UTC" {
            v.schedule_expression.clone()
        } else {
            format!(
                "{} {}",
                v.schedule_expression, v.schedule_expression_timezone
            )
        },
        v.state.clone(),
        v.task_definition.clone(),
        when(v.last_run),
        v.last_status
            .map_or_else(|| "-".to_string(), |s| views::serde_name(&s)),
        v.last_exit_code
            .map_or_else(|| "-".to_string(), |c| c.to_string()),
        when(v.next_run),
    ]
}
