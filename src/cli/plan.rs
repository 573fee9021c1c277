//! `ecsctl plan` and `ecsctl diff`: what applying the manifests would change (`ops::manifests`),
//! as a plan or as a diff of each changed object.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;
use serde_json::Value;
use similar::TextDiff;

use super::output::to_yaml;
use super::{Context, ManifestArgs, Outcome, ReportFormat, exit};
use crate::ops::drift::Refresh;
use crate::ops::manifests::Planned;
use crate::plan::render::render;
use crate::plan::{Action, ObjectKind, Plan};
use crate::state::State;
use crate::state::store::{to_json, write_atomic};

mod drift;

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  ecsctl plan -f manifests/                       # what apply would change
  ecsctl plan -f manifests/ --detailed-exitcode   # CI: exit 2 when there are changes
  ecsctl plan -f manifests/ --out plan.json && ecsctl apply plan.json")]
pub struct PlanArgs {
    #[command(flatten)]
    pub manifests: ManifestArgs,
    /// Delete objects that are in the state but not in the manifests
    #[arg(long)]
    pub prune: bool,
    /// Exit 0 when there are no changes, 2 when there are, 1 on error
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Output format (`json` is the stable, documented form for scripts)
    #[arg(short = 'o', long, value_enum, default_value_t = ReportFormat::Text)]
    pub output: ReportFormat,
    /// Save the plan for `ecsctl apply FILE`
    #[arg(long = "out", value_name = "FILE")]
    pub out_file: Option<PathBuf>,
    /// Also read the hosts and show drift: what was changed on them by hand
    #[arg(long)]
    pub refresh: bool,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    #[command(flatten)]
    pub manifests: ManifestArgs,
    /// Include deletions of objects missing from the manifests
    #[arg(long)]
    pub prune: bool,
    /// Exit 0 when there are no changes, 2 when there are, 1 on error
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Also read the hosts and show drift: what was changed on them by hand
    #[arg(long)]
    pub live: bool,
}

/// Plans the manifests against the state; warnings are printed, errors come back.
fn make_plan(cx: &Context, manifests: &ManifestArgs, prune: bool) -> anyhow::Result<Planned> {
    let planned = crate::ops::manifests::plan(&cx.session()?, &manifests.files, prune)?;
    cx.out.diagnostics(&planned.diagnostics);
    Ok(planned)
}

fn exit_code(detailed: bool, plan: &Plan, drift: Option<&Refresh>) -> u8 {
    let drifted = drift.is_some_and(|d| !d.drift.is_empty());
    if detailed && (plan.has_changes() || drifted) {
        exit::CHANGES
    } else {
        exit::OK
    }
}

pub fn run(cx: &Context, args: PlanArgs) -> Outcome {
    let Planned { state, plan, .. } = make_plan(cx, &args.manifests, args.prune)?;
    let refresh = args
        .refresh
        .then(|| drift::refresh(cx, state.as_ref()))
        .transpose()?;
    match (args.output, &refresh) {
        (ReportFormat::Json, None) => cx.out.json(&plan)?,
        (ReportFormat::Json, Some(r)) => cx.out.json(&drift::with_drift(&plan, r)?)?,
        (ReportFormat::Text, _) => {
            cx.out.print(&render(&plan, cx.out.paint));
            if let Some(r) = &refresh {
                cx.out.print(&drift::render(r, cx.out.paint));
            }
        }
    }
    if let Some(path) = &args.out_file {
        write_atomic(path, to_json(&plan)?.as_bytes())
            .with_context(|| format!("saving the plan to `{}`", path.display()))?;
        cx.out.note(&format!(
            "Saved the plan to {}; apply it with `ecsctl apply {}`.",
            path.display(),
            path.display()
        ));
    }
    Ok(exit_code(args.detailed_exitcode, &plan, refresh.as_ref()))
}

pub fn run_diff(cx: &Context, args: DiffArgs) -> Outcome {
    let Planned { state, plan, .. } = make_plan(cx, &args.manifests, args.prune)?;
    cx.out
        .print(&render_diff(state.as_ref(), &plan, cx.out.paint.0)?);
    let refresh = args
        .live
        .then(|| drift::refresh(cx, state.as_ref()))
        .transpose()?;
    if let Some(r) = &refresh {
        cx.out.print(&drift::render(r, cx.out.paint));
    }
    Ok(exit_code(args.detailed_exitcode, &plan, refresh.as_ref()))
}

/// An object as JSON, or null when there is none.
fn as_json<T: serde::Serialize>(object: Option<&T>) -> anyhow::Result<Value> {
    Ok(object
        .map(serde_json::to_value)
        .transpose()?
        .unwrap_or(Value::Null))
}

/// A service as it runs (state) and as it will run (manifests): the revision and count the
/// plan deploys, not only the spec's text, so `diff` shows what `plan` shows (after a
/// rollback, the pending deployment back to the manifests' revision).
/// The recorded and desired spec of a cluster-scoped object.
fn scoped_sides<T: serde::Serialize>(
    recorded: Option<&Records<T>>,
    desired: &BTreeMap<String, BTreeMap<String, T>>,
    object: &crate::plan::ObjectRef,
) -> anyhow::Result<(Value, Value)> {
    let cluster = object.cluster.as_deref().unwrap_or_default();
    let name = &object.name;
    Ok((
        as_json(
            recorded
                .and_then(|r| r.get(cluster))
                .and_then(|o| o.get(name))
                .map(|r| &r.spec),
        )?,
        as_json(desired.get(cluster).and_then(|o| o.get(name)))?,
    ))
}

type Records<T> = BTreeMap<String, BTreeMap<String, crate::state::ObjectRecord<T>>>;

fn service_sides(
    record: Option<&crate::state::ServiceRecord>,
    desired: Option<&crate::model::ecs::ServiceSpec>,
    change: &crate::plan::Change,
) -> anyhow::Result<(Value, Value)> {
    let before = record.map(|r| {
        let mut spec = r.spec.clone();
        spec.task_definition = Some(r.task_definition.to_string());
        if spec.desired_count.is_some() {
            spec.desired_count = Some(i32::try_from(r.desired_count).unwrap_or(i32::MAX));
        }
        spec
    });
    let after = desired.map(|d| {
        let mut spec = d.clone();
        let runs = change
            .deployment
            .as_ref()
            .map(|d| d.to.to_string())
            .or_else(|| record.map(|r| r.task_definition.to_string()));
        if runs.is_some() {
            spec.task_definition = runs;
        }
        spec
    });
    Ok((as_json(before.as_ref())?, as_json(after.as_ref())?))
}

/// Each changed object as a unified diff of its YAML, recorded (state) → desired (manifests).
pub fn render_diff(state: Option<&State>, plan: &Plan, colour: bool) -> anyhow::Result<String> {
    let mut out = String::new();
    for change in &plan.changes {
        let object = &change.object;
        let (before, after) = match object.kind {
            ObjectKind::Cluster => (
                as_json(
                    state
                        .and_then(|s| s.clusters.get(&object.name))
                        .map(|r| &r.spec),
                )?,
                as_json(plan.desired.clusters.get(&object.name))?,
            ),
            ObjectKind::TaskDefinition => (
                as_json(
                    state
                        .and_then(|s| s.task_definitions.get(&object.name))
                        .and_then(|f| f.latest_active())
                        .map(|r| &r.spec),
                )?,
                as_json(plan.desired.task_definitions.get(&object.name))?,
            ),
            ObjectKind::Service => {
                let cluster = object.cluster.as_deref().unwrap_or_default();
                let record = state.and_then(|s| s.service(cluster, &object.name));
                let desired = plan
                    .desired
                    .services
                    .get(cluster)
                    .and_then(|s| s.get(&object.name));
                service_sides(record, desired, change)?
            }
            ObjectKind::TargetGroup => scoped_sides(
                state.map(|s| &s.target_groups),
                &plan.desired.target_groups,
                object,
            )?,
            ObjectKind::LoadBalancer => scoped_sides(
                state.map(|s| &s.load_balancers),
                &plan.desired.load_balancers,
                object,
            )?,
            ObjectKind::ScheduledTask => scoped_sides(
                state.map(|s| &s.scheduled_tasks),
                &plan.desired.scheduled_tasks,
                object,
            )?,
            ObjectKind::Alarm => {
                scoped_sides(state.map(|s| &s.alarms), &plan.desired.alarms, object)?
            }
            ObjectKind::ScalableTarget => scoped_sides(
                state.map(|s| &s.scalable_targets),
                &plan.desired.scalable_targets,
                object,
            )?,
            ObjectKind::ScalingPolicy => scoped_sides(
                state.map(|s| &s.scaling_policies),
                &plan.desired.scaling_policies,
                object,
            )?,
        };
        let after = if change.action == Action::Delete {
            Value::Null
        } else {
            after
        };
        let text_of = |v: &Value| -> anyhow::Result<String> {
            Ok(if v.is_null() {
                String::new()
            } else {
                to_yaml(v)?
            })
        };
        let (before, after) = (text_of(&before)?, text_of(&after)?);
        let diff = TextDiff::from_lines(&before, &after);
        let title = object.to_string();
        let unified = diff
            .unified_diff()
            .context_radius(3)
            .header(&format!("{title} (state)"), &format!("{title} (manifests)"))
            .to_string();
        for line in unified.lines() {
            let painted = match line.chars().next() {
                Some('+') if colour && !line.starts_with("+++") => format!("\x1b[32m{line}\x1b[0m"),
                Some('-') if colour && !line.starts_with("---") => format!("\x1b[31m{line}\x1b[0m"),
                Some('@') if colour => format!("\x1b[36m{line}\x1b[0m"),
                _ => line.to_string(),
            };
            out.push_str(&painted);
            out.push('\n');
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
