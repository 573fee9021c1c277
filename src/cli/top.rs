//! `ecsctl top`: cpu and memory per running task, from Docker's stats (`ops::tasks::top`).

use clap::Args;

use super::output::{bytes, table};
use super::{Context, Outcome};
use crate::ops::views::serde_name;
use crate::time::{Timestamp, short_age};

#[derive(Debug, Args)]
pub struct TopArgs {
    /// Only this cluster
    #[arg(long)]
    pub cluster: Option<String>,
    /// Only the tasks of this service
    #[arg(long)]
    pub service: Option<String>,
    /// Output format
    #[arg(short = 'o', long, value_enum, default_value_t = super::ReportFormat::Text)]
    pub output: super::ReportFormat,
}

pub fn run(cx: &Context, args: TopArgs) -> Outcome {
    let session = cx.session()?;
    let state = session.state_or_empty()?;
    let (rows, unanswered) = super::reconcile::runtime()?.block_on(crate::ops::tasks::top(
        &session,
        &state,
        args.cluster.as_deref(),
        args.service.as_deref(),
    ))?;
    let now = Timestamp::now();
    match args.output {
        super::ReportFormat::Json => cx.out.json(&rows)?,
        super::ReportFormat::Text => {
            let lines = rows
                .iter()
                .map(|r| {
                    vec![
                        crate::reconcile::task::short_id(&r.task).to_string(),
                        r.service.clone().unwrap_or_else(|| "-".into()),
                        r.cluster.clone(),
                        format!("{:.1}%", r.cpu_percent),
                        format!(
                            "{}/{}",
                            bytes(r.memory_bytes),
                            if r.memory_limit_bytes > 0 {
                                bytes(r.memory_limit_bytes)
                            } else {
                                "-".into()
                            }
                        ),
                        r.restarts.to_string(),
                        short_age(now.since(r.created_at)),
                        serde_name(&r.health),
                        r.host.clone(),
                    ]
                })
                .collect();
            cx.out.print(&table(
                &[
                    "task", "service", "cluster", "cpu", "memory", "restarts", "age", "health",
                    "host",
                ],
                lines,
            ));
        }
    }
    Ok(super::output::unanswered(
        cx,
        &unanswered,
        "its tasks are not shown",
    ))
}
