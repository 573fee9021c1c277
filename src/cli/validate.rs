//! `ecsctl validate -f PATH...`: parse and check manifests. Reads no state and no Docker.

use clap::Args;
use serde::Serialize;

use super::output::Output;
use super::{Context, ManifestArgs, Outcome, ReportFormat, exit};
use crate::diagnostics::{DiagnosticJson, Diagnostics};
use crate::model::load::load;
use crate::model::validate::Known;

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
    diagnostics: Vec<DiagnosticJson<'a>>,
}

pub fn run(cx: &Context, args: ValidateArgs) -> Outcome {
    let mut diagnostics = Diagnostics::new();
    let loaded = load(&args.manifests.files, &Known::default(), &mut diagnostics);
    let set = &loaded.set;
    let valid = !diagnostics.has_errors();
    match args.output {
        ReportFormat::Json => cx.out.json(&Report {
            valid,
            clusters: set.clusters.len(),
            task_definitions: set.task_definitions.len(),
            services: set.services.len(),
            diagnostics: Output::diagnostics_json(&diagnostics),
        })?,
        ReportFormat::Text => {
            cx.out.diagnostics(&diagnostics);
            if valid {
                cx.out.println(&format!(
                    "{} {} files: {} clusters, {} task definitions, {} services.",
                    cx.out.paint.green("Valid:"),
                    loaded.files.len(),
                    set.clusters.len(),
                    set.task_definitions.len(),
                    set.services.len()
                ));
            }
        }
    }
    Ok(if valid { exit::OK } else { exit::ERROR })
}
