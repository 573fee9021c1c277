//! The text views of `describe`: one function per kind, from the operation's description.

use std::fmt::Write as _;

use super::super::output::{table, to_yaml};
use crate::ops::traffic::TargetGroupDescription;
use crate::ops::views::{self, RegistryUse, ServiceDescription, serde_name};
use crate::state::Revision;

pub(super) fn scheduled_task_text(d: &crate::ops::scheduled::ScheduledTaskDescription) -> String {
    use std::fmt::Write as _;
    let v = &d.view;
    let when =
        |t: Option<crate::time::Timestamp>| t.map_or_else(|| "-".to_string(), |t| t.to_string());
    let mut out = String::new();
    let _ = writeln!(out, "Name:                 {}", v.name);
    let _ = writeln!(out, "Cluster:              {}", v.cluster);
    let _ = writeln!(out, "State:                {}", v.state);
    let _ = writeln!(
        out,
        "Schedule:             {} ({})",
        v.schedule_expression, v.schedule_expression_timezone
    );
    let _ = writeln!(out, "Task definition:      {}", v.task_definition);
    let _ = writeln!(out, "Task count:           {}", v.task_count);
    let _ = writeln!(out, "Maximum concurrency:  {}", v.maximum_concurrency);
    let _ = writeln!(out, "Run missed:           {}", v.run_missed);
    let _ = writeln!(out, "Last run:             {}", when(v.last_run));
    let _ = writeln!(
        out,
        "Last exit code:       {}",
        v.last_exit_code
            .map_or_else(|| "-".to_string(), |c| c.to_string())
    );
    let _ = writeln!(out, "Next run:             {}", when(v.next_run));
    let _ = writeln!(out, "Runs:");
    if v.runs.is_empty() {
        let _ = writeln!(out, "  (none yet)");
    }
    for r in v.runs.iter().rev() {
        let tasks: Vec<&str> = r
            .tasks
            .iter()
            .map(|t| crate::reconcile::task::short_id(t))
            .collect();
        let _ = writeln!(
            out,
            "  {}  {:<15} exit {:<4} tasks {}{}{}",
            r.scheduled_at,
            views::serde_name(&r.status),
            r.exit_code
                .map_or_else(|| "-".to_string(), |c| c.to_string()),
            if tasks.is_empty() {
                "-".to_string()
            } else {
                tasks.join(",")
            },
            if r.missed { "  (missed run)" } else { "" },
            r.reason
                .as_deref()
                .map(|x| format!("  {x}"))
                .unwrap_or_default(),
        );
    }
    let _ = writeln!(out, "Events:");
    for e in d.events.iter().rev().take(20) {
        let _ = writeln!(out, "  {}  {}", e.created_at, e.message);
    }
    out
}

pub(super) fn service_text(d: &ServiceDescription) -> anyhow::Result<String> {
    let r = &d.record;
    let mut out = String::new();
    let effective = r.effective();
    let strategies: Vec<String> = r
        .spec
        .placement_strategy
        .iter()
        .map(|s| match (&s.r#type, &s.field) {
            (Some(t), Some(f)) => format!("{t}({f})"),
            (Some(t), None) => t.to_string(),
            _ => "?".into(),
        })
        .collect();
    let constraints: Vec<String> = r
        .spec
        .placement_constraints
        .iter()
        .map(|c| match (&c.r#type, &c.expression) {
            (Some(t), Some(e)) => format!("{t}({e})"),
            (Some(t), None) => t.to_string(),
            _ => "?".into(),
        })
        .collect();
    let fields = [
        ("Name", d.name.to_string()),
        ("Cluster", d.cluster.to_string()),
        ("Status", serde_name(&r.status)),
        ("Task definition", r.task_definition.to_string()),
        ("Desired count", r.desired_count.to_string()),
        ("Scheduling", effective.scheduling_strategy.to_string()),
        (
            "Deployment",
            format!(
                "minimumHealthyPercent {}, maximumPercent {}, circuit breaker {}",
                effective.deployment.minimum_healthy_percent,
                effective.deployment.maximum_percent,
                effective.circuit_breaker
            ),
        ),
        (
            "Placement",
            match (strategies.is_empty(), constraints.is_empty()) {
                (true, true) => "-".into(),
                _ => format!(
                    "strategies [{}], constraints [{}]",
                    strategies.join(", "),
                    constraints.join(", ")
                ),
            },
        ),
        ("Created", r.created_at.to_string()),
        ("Updated", r.updated_at.to_string()),
    ];
    for (label, value) in fields {
        let _ = writeln!(out, "{:<17}{value}", format!("{label}:"));
    }
    if !d.capacity_providers.is_empty() {
        let _ = writeln!(out, "\nCapacity providers:");
        let rows = d
            .capacity_providers
            .iter()
            .map(|p| {
                vec![
                    p.capacity_provider.clone(),
                    p.base.to_string(),
                    p.weight.to_string(),
                    p.tasks.to_string(),
                    p.target.to_string(),
                ]
            })
            .collect();
        for line in table(&["provider", "base", "weight", "tasks", "target"], rows).lines() {
            let _ = writeln!(out, "  {line}");
        }
    }
    let _ = writeln!(out, "\nDeployments:");
    let rows = d
        .deployment_states
        .iter()
        .map(|s| {
            vec![
                s.id.clone(),
                s.status.into(),
                s.task_definition.clone(),
                s.rollout_state
                    .map_or_else(|| "-".into(), |r| serde_name(&r)),
                s.failed_tasks.to_string(),
            ]
        })
        .collect();
    for line in table(
        &["id", "status", "task definition", "rollout", "failed tasks"],
        rows,
    )
    .lines()
    {
        let _ = writeln!(out, "  {line}");
    }
    if !d.drift.is_empty() {
        let _ = writeln!(out, "\nDrift (changed on the hosts by hand):");
        for x in &d.drift {
            let fate = if x.corrected {
                "corrected"
            } else {
                "not corrected"
            };
            let _ = writeln!(out, "  {}  {}  ({fate})", x.since, x.message);
        }
    }
    let _ = writeln!(out, "\nEvents (newest last):");
    if d.events.is_empty() {
        let _ = writeln!(out, "  <none>");
    }
    for event in d.events.iter().rev().take(10).rev() {
        let _ = writeln!(out, "  {}  {}", event.created_at, event.message);
    }
    Ok(out)
}

pub(super) fn target_group_text(d: &TargetGroupDescription) -> anyhow::Result<String> {
    let mut out = String::new();
    let _ = writeln!(out, "Target group:    {}", d.name);
    let _ = writeln!(out, "Cluster:         {}", d.cluster);
    let balancers = if d.load_balancers.is_empty() {
        "-".to_string()
    } else {
        d.load_balancers.join(", ")
    };
    let _ = writeln!(out, "Load balancers:  {balancers}");
    let _ = writeln!(out, "\nSpec:");
    for line in to_yaml(&d.spec)?.lines() {
        let _ = writeln!(out, "  {line}");
    }
    let _ = writeln!(out, "\nTargets:");
    if d.targets.is_empty() {
        let _ = writeln!(out, "  <none>");
        return Ok(out);
    }
    let rows = d
        .targets
        .iter()
        .map(|t| {
            vec![
                crate::reconcile::task::short_id(&t.task).to_string(),
                t.service.clone().unwrap_or_else(|| "-".into()),
                t.host.clone(),
                format!("{}:{}", t.address, t.port),
                t.health.as_str().to_string(),
            ]
        })
        .collect();
    for line in table(&["task", "service", "host", "target", "health"], rows).lines() {
        let _ = writeln!(out, "  {line}");
    }
    Ok(out)
}

pub(super) fn taskdef_text(
    family: &str,
    revision: &Revision,
    pulls: &[RegistryUse],
) -> anyhow::Result<String> {
    let mut out = String::new();
    let status = serde_name(&revision.status);
    let _ = writeln!(out, "Task definition: {family}:{}", revision.revision);
    let _ = writeln!(out, "Status:          {status}");
    let _ = writeln!(out, "Registered:      {}", revision.registered_at);
    if let Some(at) = revision.deregistered_at {
        let _ = writeln!(out, "Deregistered:    {at}");
    }
    let _ = writeln!(out, "\nSpec:");
    for line in to_yaml(&revision.spec)?.lines() {
        let _ = writeln!(out, "  {line}");
    }
    if !pulls.is_empty() {
        let _ = writeln!(out, "\nRegistry credentials (read where ecsctl runs):");
        let rows = pulls
            .iter()
            .map(|p| {
                vec![
                    p.container.clone(),
                    p.registry.clone(),
                    p.credentials.clone(),
                ]
            })
            .collect();
        for line in table(&["container", "registry", "credentials"], rows).lines() {
            let _ = writeln!(out, "  {line}");
        }
    }
    Ok(out)
}
