//! `ecsctl validate -f PATH...`: parse and check manifests (`ops::manifests::validate`).

use clap::Args;
use serde::Serialize;

use super::output::Output;
use super::{Context, ManifestArgs, Outcome, ReportFormat, exit};
use crate::diagnostics::DiagnosticJson;

#[derive(Debug, Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub manifests: ManifestArgs,
    /// Output format
    #[arg(short = 'o', long, value_enum, default_value_t = ReportFormat::Text)]
    pub output: ReportFormat,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Report<'a> {
    valid: bool,
    clusters: usize,
    task_definitions: usize,
    services: usize,
    target_groups: usize,
    load_balancers: usize,
    /// Only where there are some (the field came after the others).
    #[serde(skip_serializing_if = "is_zero")]
    scheduled_tasks: usize,
    diagnostics: Vec<DiagnosticJson<'a>>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

pub fn run(cx: &Context, args: ValidateArgs) -> Outcome {
    let checked = crate::ops::manifests::validate(&args.manifests.files);
    let valid = checked.valid();
    match args.output {
        ReportFormat::Json => cx.out.json(&Report {
            valid,
            clusters: checked.clusters,
            task_definitions: checked.task_definitions,
            services: checked.services,
            target_groups: checked.target_groups,
            load_balancers: checked.load_balancers,
            scheduled_tasks: checked.scheduled_tasks,
            diagnostics: Output::diagnostics_json(&checked.diagnostics),
        })?,
        ReportFormat::Text => {
            cx.out.diagnostics(&checked.diagnostics);
            if valid {
                let mut objects = vec![
                    counted(checked.clusters, "cluster"),
                    counted(checked.task_definitions, "task definition"),
                    counted(checked.services, "service"),
                ];
                // Traffic objects are named only where there are some.
                if checked.target_groups > 0 {
                    objects.push(counted(checked.target_groups, "target group"));
                }
                if checked.load_balancers > 0 {
                    objects.push(counted(checked.load_balancers, "load balancer"));
                }
                if checked.scheduled_tasks > 0 {
                    objects.push(counted(checked.scheduled_tasks, "scheduled task"));
                }
                cx.out.println(&format!(
                    "{} {}: {}.",
                    cx.out.paint.green("Valid:"),
                    counted(checked.files, "file"),
                    objects.join(", ")
                ));
            }
        }
    }
    Ok(if valid { exit::OK } else { exit::ERROR })
}

/// `1 file`, `3 files`.
fn counted(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}
