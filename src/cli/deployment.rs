//! `ecsctl deployment status|continue|rollback service/NAME`: a deployment's stage and
//! outcome, and the manual controls of BLUE_GREEN, LINEAR and CANARY deployments.

use anyhow::Result;
use clap::{Args, Subcommand};

use super::{Context, Outcome, ReportFormat, exit};
use crate::ops::deployment::DeploymentStatus;
use crate::ops::target::{Kind, parse_one};

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  ecsctl deployment status service/web        # exits 1 when the deployment failed
  ecsctl deployment continue service/web      # past a PAUSE lifecycle hook
  ecsctl deployment rollback service/web      # traffic back to the last completed deployment")]
pub struct DeploymentArgs {
    #[command(subcommand)]
    pub command: DeploymentCommand,
}

#[derive(Debug, Subcommand)]
pub enum DeploymentCommand {
    /// The current deployment: strategy, lifecycle stage, production traffic, outcome
    Status(StatusArgs),
    /// Let a deployment paused by a PAUSE lifecycle hook go on
    Continue(ControlArgs),
    /// Fail the deployment in progress and return to the last completed one
    Rollback(ControlArgs),
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// service/NAME, service NAME (or NAME)
    #[arg(value_name = "SERVICE", num_args = 1..=2, required = true)]
    pub target: Vec<String>,
    /// The cluster (needed when the name exists in several)
    #[arg(long)]
    pub cluster: Option<String>,
    #[arg(short = 'o', long, value_enum, default_value_t = ReportFormat::Text)]
    pub output: ReportFormat,
}

#[derive(Debug, Args)]
pub struct ControlArgs {
    /// service/NAME, service NAME (or NAME)
    #[arg(value_name = "SERVICE", num_args = 1..=2, required = true)]
    pub target: Vec<String>,
    /// The cluster (needed when the name exists in several)
    #[arg(long)]
    pub cluster: Option<String>,
}

fn service_name(words: &[String]) -> Result<String> {
    Ok(parse_one(words, &[Kind::Service], Some(Kind::Service))
        .map_err(anyhow::Error::msg)?
        .name)
}

pub fn run(cx: &Context, args: DeploymentArgs) -> Outcome {
    let session = cx.open_session()?;
    match args.command {
        DeploymentCommand::Status(a) => {
            let name = service_name(&a.target)?;
            let status = crate::ops::deployment::status(&session, &name, a.cluster.as_deref())?;
            match a.output {
                ReportFormat::Json => cx.out.json(&status)?,
                ReportFormat::Text => cx.out.print(&render(&status)),
            }
            Ok(if status.failed() {
                exit::ERROR
            } else {
                exit::OK
            })
        }
        DeploymentCommand::Continue(a) => {
            let name = service_name(&a.target)?;
            let done = crate::ops::deployment::resume(&session, &name, a.cluster.as_deref())?;
            cx.out.note(&done.event);
            Ok(exit::OK)
        }
        DeploymentCommand::Rollback(a) => {
            let name = service_name(&a.target)?;
            let done = crate::ops::deployment::roll_back(&session, &name, a.cluster.as_deref())?;
            cx.out.note(&done.event);
            Ok(exit::OK)
        }
    }
}

fn render(s: &DeploymentStatus) -> String {
    let mut lines = vec![
        format!("Service:     {} (cluster {})", s.service, s.cluster),
        format!("Deployment:  {} ({})", s.deployment, s.task_definition),
        format!("Strategy:    {}", s.strategy),
    ];
    let state = match &s.rollout_state_reason {
        Some(reason) => format!("{} ({reason})", s.rollout_state),
        None => s.rollout_state.clone(),
    };
    lines.push(format!("State:       {state}"));
    if let Some(stage) = &s.stage {
        let paused = if s.paused {
            " (paused: `ecsctl deployment continue` goes on)"
        } else {
            ""
        };
        lines.push(format!("Stage:       {stage}{paused}"));
    }
    if let Some(share) = &s.production_traffic_percent {
        lines.push(format!(
            "Traffic:     {share}% of production traffic on the new revision"
        ));
    }
    if let Some(from) = &s.rolled_back_from {
        let why = from.reason.as_deref().unwrap_or("it failed");
        lines.push(format!(
            "Rolled back: from {} ({}): {why}",
            from.deployment, from.task_definition
        ));
    }
    lines.join("\n") + "\n"
}
