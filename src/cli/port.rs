//! `ecsctl port service/NAME [PORT]`: where the running tasks' published ports are reached,
//! one `ADDRESS:PORT` per line (like `docker port`), so `curl "$(ecsctl port svc/web 8080 |
//! head -1)"` works whatever port Docker picked for this rollout.

use clap::Args;

use super::{Context, Outcome, ReportFormat};
use crate::ops::target::Target;

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  ecsctl port svc/web                  # every published port of every running task
  curl \"http://$(ecsctl port svc web 8080 | head -1)/\"")]
pub struct PortArgs {
    /// service/NAME, service NAME (or NAME), task/ID, task ID
    #[arg(value_name = "TARGET", num_args = 1..=2, required = true)]
    pub target: Vec<String>,
    /// Only this container port
    #[arg(long = "container-port", value_name = "PORT")]
    pub container_port: Option<u16>,
    /// The cluster (needed when the name exists in several)
    #[arg(long)]
    pub cluster: Option<String>,
    /// Output format (`json`: a list with task, host and container)
    #[arg(short = 'o', long, value_enum, default_value_t = ReportFormat::Text)]
    pub output: ReportFormat,
}

pub fn run(cx: &Context, mut args: PortArgs) -> Outcome {
    // `port svc/web 8080`: a trailing number is the container port.
    if args.container_port.is_none()
        && args.target.len() == 2
        && let Ok(port) = args.target[1].parse::<u16>()
        && args.target[0].contains('/')
    {
        args.container_port = Some(port);
        args.target.truncate(1);
    }
    let target = Target::from_words(&args.target).map_err(anyhow::Error::msg)?;
    let session = cx.session()?;
    let state = session.state_or_empty()?;
    let (ports, unanswered) = super::reconcile::runtime()?.block_on(crate::ops::tasks::ports(
        &session,
        &state,
        &target,
        args.cluster.as_deref(),
        args.container_port,
    ))?;
    match args.output {
        ReportFormat::Json => cx.out.json(&ports)?,
        ReportFormat::Text => {
            for p in &ports {
                cx.out.println(&format!("{}:{}", p.address, p.host_port));
            }
        }
    }
    if ports.is_empty() {
        cx.out.note("no running task publishes that port");
    }
    Ok(super::output::unanswered(
        cx,
        &unanswered,
        "its tasks are left out",
    ))
}
