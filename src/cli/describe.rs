//! `ecsctl describe service|taskdef|task NAME`: one object in detail (`ops::views`,
//! `ops::tasks`), with recent events.

use clap::Args;

use super::{Context, DataFormat, Outcome, exit};
use text::{scheduled_task_text, service_text, target_group_text, taskdef_text};

mod text;
use crate::ops::target::{Kind, parse_one};
use crate::ops::views;

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  ecsctl describe svc web
  ecsctl describe taskdef web:3
  ecsctl describe task 1a2b
  ecsctl describe targetgroup web            # each target and its health
  ecsctl describe st nightly                 # last and next run, recent runs and events")]
pub struct DescribeArgs {
    /// `service web`, `svc/web`, `taskdef web:3`, `task 1a2b`, `targetgroup web`,
    /// `scheduledtask nightly` (every kind has its aliases: `st nightly`)
    #[arg(value_name = "TYPE NAME", num_args = 1..=2, required = true)]
    pub object: Vec<String>,
    /// The cluster of a service (needed when the name exists in several)
    #[arg(long)]
    pub cluster: Option<String>,
    /// Output format (`table` and `wide` print the human view)
    #[arg(short = 'o', long, value_enum, default_value_t = DataFormat::Table)]
    pub output: DataFormat,
}

pub fn run(cx: &Context, args: DescribeArgs) -> Outcome {
    let named = parse_one(
        &args.object,
        &[
            Kind::Service,
            Kind::TaskDefinition,
            Kind::Task,
            Kind::TargetGroup,
            Kind::ScheduledTask,
        ],
        None,
    )
    .map_err(anyhow::Error::msg)?;
    let name = &named.name;
    let session = cx.session()?;
    let state = session.state_or_empty()?;
    match named.kind {
        Kind::Service => {
            let description =
                views::describe_service(&session, &state, name, args.cluster.as_deref())?;
            match args.output {
                DataFormat::Json => cx.out.json(&description)?,
                DataFormat::Yaml => cx.out.yaml(&description)?,
                DataFormat::Table | DataFormat::Wide => cx.out.print(&service_text(&description)?),
            }
        }
        Kind::Task => {
            return super::tasks::describe(cx, &state, name, args.cluster.as_deref(), args.output);
        }
        Kind::TaskDefinition => {
            let revision = crate::ops::resolve::task_definition(&state, name)?;
            let family = name.split(':').next().unwrap_or(name);
            match args.output {
                DataFormat::Json => cx.out.json(revision)?,
                DataFormat::Yaml => cx.out.yaml(revision)?,
                DataFormat::Table | DataFormat::Wide => {
                    let pulls = views::registry_credentials(&revision.spec);
                    cx.out.print(&taskdef_text(family, revision, &pulls)?)
                }
            }
        }
        Kind::TargetGroup => {
            let description = crate::ops::traffic::describe_target_group(
                &session,
                &state,
                name,
                args.cluster.as_deref(),
            )?;
            match args.output {
                DataFormat::Json => cx.out.json(&description)?,
                DataFormat::Yaml => cx.out.yaml(&description)?,
                DataFormat::Table | DataFormat::Wide => {
                    cx.out.print(&target_group_text(&description)?)
                }
            }
        }
        Kind::ScheduledTask => {
            let description = crate::ops::scheduled::describe(
                &session,
                &state,
                name,
                args.cluster.as_deref(),
                crate::time::Timestamp::now(),
            )?;
            match args.output {
                DataFormat::Json => cx.out.json(&description)?,
                DataFormat::Yaml => cx.out.yaml(&description)?,
                DataFormat::Table | DataFormat::Wide => {
                    cx.out.print(&scheduled_task_text(&description))
                }
            }
        }
        Kind::Cluster
        | Kind::Host
        | Kind::LoadBalancer
        | Kind::Alarm
        | Kind::ScalableTarget
        | Kind::Sync => {}
    }
    Ok(exit::OK)
}
