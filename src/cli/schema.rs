//! `ecsctl schema [--kind KIND] [-o json|yaml]`: prints the JSON Schema of manifests
//! (`ops::schema`), for `# yaml-language-server: $schema=...` and other validators.

use clap::{Args, ValueEnum};

use super::{Context, Outcome, exit};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SchemaFormat {
    Json,
    Yaml,
}

#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Only this kind's manifests (Cluster, TaskDefinition, Service, TargetGroup, LoadBalancer,
    /// ScheduledTask, Alarm, ScalableTarget, ScalingPolicy)
    #[arg(long, value_name = "KIND")]
    pub kind: Option<String>,
    /// Output format
    #[arg(short = 'o', long, value_enum, default_value_t = SchemaFormat::Json)]
    pub output: SchemaFormat,
}

pub fn run(cx: &Context, args: SchemaArgs) -> Outcome {
    let schema = crate::ops::schema::schema(args.kind.as_deref())?;
    match args.output {
        SchemaFormat::Json => cx.out.json(&schema)?,
        SchemaFormat::Yaml => cx.out.yaml(&schema)?,
    }
    Ok(exit::OK)
}
