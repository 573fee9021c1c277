//! The human view of a plan, Terraform-style: `+` create, `~` update, `-` destroy, `=` the
//! unchanged summarised, then the summary line.

use std::fmt::Write as _;

use serde_json::Value;

use super::diff::{DiffKind, FieldDiff};
use super::{Action, Change, DeploymentPlan, ObjectKind, Plan};
use crate::diagnostics::Paint;

pub fn render(plan: &Plan, paint: Paint) -> String {
    let mut out = String::new();
    if plan.changes.is_empty() {
        let _ = writeln!(
            out,
            "{} The state matches the manifests.",
            paint.green("No changes.")
        );
    } else {
        let _ = writeln!(out, "ecsctl will perform the following actions:\n");
        for change in &plan.changes {
            render_change(&mut out, change, paint);
            out.push('\n');
        }
    }
    if !plan.unchanged.is_empty() {
        let names: Vec<String> = plan.unchanged.iter().map(ToString::to_string).collect();
        let _ = writeln!(
            out,
            "  {} {} unchanged: {}\n",
            paint.dim("="),
            names.len(),
            names.join(", ")
        );
    }
    for scaled in &plan.scaled {
        let _ = writeln!(
            out,
            "  {} {}: desiredCount {} is owned by scalable target `{}` (the manifest's {} only starts a new service)\n",
            paint.dim("#"),
            scaled.service,
            scaled.desired_count,
            scaled.scalable_target,
            scaled.manifest_count
        );
    }
    if !plan.kept.is_empty() {
        let _ = writeln!(
            out,
            "Kept (in the state but not in the manifests; `--prune` would delete them):"
        );
        for object in &plan.kept {
            let _ = writeln!(out, "    {object}");
        }
        out.push('\n');
    }
    let s = &plan.summary;
    let _ = writeln!(
        out,
        "{} {} to add, {} to change, {} to destroy.",
        paint.bold("Plan:"),
        s.add,
        s.change,
        s.destroy
    );
    out
}

fn render_change(out: &mut String, change: &Change, paint: Paint) {
    let colour: fn(Paint, &str) -> String = match change.action {
        Action::Create => Paint::green,
        Action::Update => Paint::yellow,
        Action::Delete => Paint::red,
    };
    let mut header = format!(
        "{} {}",
        colour(paint, change.action.symbol()),
        paint.bold(&change.object.to_string())
    );
    if let Some(revision) = &change.revision {
        let family = &change.object.name;
        match revision.from {
            Some(from) => {
                let _ = write!(header, ": {family}:{from} → {family}:{}", revision.to);
            }
            None => {
                let _ = write!(header, ": registers {family}:{}", revision.to);
            }
        }
    }
    let _ = writeln!(out, "  {header}");
    if change.action == Action::Delete {
        let what = match change.object.kind {
            ObjectKind::Service => "stop its tasks, then forget it",
            ObjectKind::TaskDefinition => {
                "deregister its revisions (they stay readable as INACTIVE)"
            }
            ObjectKind::Cluster => "forget it (its hosts are left as they are)",
            ObjectKind::TargetGroup => "deregister its targets, then forget it",
            ObjectKind::LoadBalancer => "stop its listeners, then forget it",
            ObjectKind::ScheduledTask => "stop scheduling it (runs under way finish)",
            ObjectKind::Alarm => "stop evaluating it (deployments that name it stop watching it)",
            ObjectKind::ScalableTarget => "stop scaling the service (its desired count stays)",
            ObjectKind::ScalingPolicy => "stop applying it",
        };
        let _ = writeln!(out, "      {what}");
        return;
    }
    for field in &change.diff {
        let _ = writeln!(out, "      {}", field_line(field, paint));
    }
    for pull in &change.registry_credentials {
        let _ = writeln!(
            out,
            "      {} `{}` pulls from {} with {}",
            paint.dim("#"),
            pull.container,
            pull.registry,
            pull.credentials
        );
    }
    if let Some(deployment) = &change.deployment {
        let _ = writeln!(out, "      {}", deployment_line(deployment, paint));
    }
}

fn value_text(value: &Value) -> String {
    value.to_string()
}

fn field_line(field: &FieldDiff, paint: Paint) -> String {
    match field.kind {
        DiffKind::Add => format!(
            "{} {}: {}",
            paint.green("+"),
            field.path,
            field.after.as_ref().map(value_text).unwrap_or_default()
        ),
        DiffKind::Remove => format!(
            "{} {}: {}",
            paint.red("-"),
            field.path,
            field.before.as_ref().map(value_text).unwrap_or_default()
        ),
        DiffKind::Change => format!(
            "{} {}: {} → {}",
            paint.yellow("~"),
            field.path,
            field.before.as_ref().map(value_text).unwrap_or_default(),
            field.after.as_ref().map(value_text).unwrap_or_default()
        ),
    }
}

fn deployment_line(d: &DeploymentPlan, paint: Paint) -> String {
    let kind = d
        .strategy
        .as_ref()
        .map_or("rolling", |s| s.strategy.as_str());
    let what = match &d.from {
        Some(from) if *from != d.to => format!("{kind} deployment {from} → {}", d.to),
        Some(_) => format!("{kind} deployment of {} ({})", d.to, d.reason),
        None => format!("deployment of {}", d.to),
    };
    if let Some(shift) = &d.strategy {
        return format!(
            "{} {what}: {} tasks of the new revision start beside the old ones; production traffic {}",
            paint.blue("»"),
            d.desired_count,
            shift.steps
        );
    }
    let bounds = if d.daemon {
        format!(
            "one task per host; minimumHealthyPercent {}, maximumPercent {}",
            d.minimum_healthy_percent, d.maximum_percent
        )
    } else {
        format!(
            "{} task{}; at least {} running, at most {} running or pending (minimumHealthyPercent {}, maximumPercent {})",
            d.desired_count,
            if d.desired_count == 1 { "" } else { "s" },
            d.minimum_running,
            d.maximum_running,
            d.minimum_healthy_percent,
            d.maximum_percent
        )
    };
    format!("{} {what}: {bounds}", paint.blue("»"))
}
