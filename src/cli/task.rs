//! `ecsctl task protect|unprotect TASK`: scale-in protection (`ops::protection`).

use clap::{Args, Subcommand};

use super::reconcile::runtime;
use super::{Context, Outcome, ReportFormat, exit};
use crate::ops::protection::{DEFAULT_PROTECTION, Protection, protect};
use crate::ops::target::{Kind, parse_one};

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  ecsctl task protect task/3f2a9c1e --expires-in 60m   # scale-in and deployments leave it running
  ecsctl task unprotect 3f2a9c1e")]
pub struct TaskArgs {
    #[command(subcommand)]
    pub command: TaskCommand,
}

#[derive(Debug, Subcommand)]
pub enum TaskCommand {
    /// Protect a service's task from scale-in; deployments wait for it (ECS's UpdateTaskProtection)
    Protect(ProtectArgs),
    /// End a task's protection
    Unprotect(UnprotectArgs),
}

#[derive(Debug, Args)]
pub struct ProtectArgs {
    /// task/ID, task ID (or ID; a unique prefix is enough)
    #[arg(value_name = "TASK", num_args = 1..=2, required = true)]
    pub task: Vec<String>,
    /// How long the protection lasts (1m to 48h; ECS's default is 2h)
    #[arg(long, value_name = "DURATION", default_value_t = DEFAULT_PROTECTION.into())]
    pub expires_in: humantime::Duration,
    #[arg(long)]
    pub cluster: Option<String>,
    #[arg(short = 'o', long, value_enum, default_value_t = ReportFormat::Text)]
    pub output: ReportFormat,
}

#[derive(Debug, Args)]
pub struct UnprotectArgs {
    /// task/ID, task ID (or ID)
    #[arg(value_name = "TASK", num_args = 1..=2, required = true)]
    pub task: Vec<String>,
    #[arg(long)]
    pub cluster: Option<String>,
    #[arg(short = 'o', long, value_enum, default_value_t = ReportFormat::Text)]
    pub output: ReportFormat,
}

pub fn run(cx: &Context, args: TaskArgs) -> Outcome {
    let session = cx.session()?;
    let state = session.state_or_empty()?;
    let (words, cluster, expires, output) = match &args.command {
        TaskCommand::Protect(a) => (&a.task, &a.cluster, Some(*a.expires_in), a.output),
        TaskCommand::Unprotect(a) => (&a.task, &a.cluster, None, a.output),
    };
    let id = parse_one(words, &[Kind::Task], Some(Kind::Task))
        .map_err(anyhow::Error::msg)?
        .name;
    let done = runtime()?.block_on(protect(&session, &state, &id, cluster.as_deref(), expires))?;
    match output {
        ReportFormat::Json => cx.out.json(&done)?,
        ReportFormat::Text => cx.out.print(&text(&done)),
    }
    Ok(exit::OK)
}

fn text(p: &Protection) -> String {
    match p.expiration_date {
        Some(until) => format!(
            "task {} of service {} is protected from scale-in until {until}\n",
            p.task_id, p.service
        ),
        None => format!(
            "task {} of service {} is no longer protected\n",
            p.task_id, p.service
        ),
    }
}
