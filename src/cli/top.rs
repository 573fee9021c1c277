//! `ecsctl top` (and the usage columns of `get tasks -o wide`): cpu and memory per task, from
//! Docker's stats. Docker has no bulk stats call: each running container is sampled once,
//! all at the same time, over each host's single connection.

use std::collections::BTreeMap;

use clap::Args;

use super::output::table;
use super::{Context, Outcome, exit};
use crate::controller::inspect::ClusterObservation;
use crate::docker::exec::{Usage, stats};
use crate::reconcile::task::TaskStatus;
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

#[derive(Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct TopRow {
    task: String,
    service: Option<String>,
    cluster: String,
    host: String,
    cpu_percent: f64,
    memory_bytes: u64,
    memory_limit_bytes: u64,
    restarts: i64,
    health: &'static str,
    created_at: Timestamp,
}

/// Usage per task id: the sum over its running containers.
pub async fn usage(observation: &ClusterObservation) -> BTreeMap<String, Usage> {
    let work = observation
        .tasks
        .iter()
        .filter(|t| t.state.last_status != TaskStatus::Stopped)
        .flat_map(|t| {
            t.task
                .containers
                .iter()
                .filter(|c| c.is_running())
                .map(move |c| (t.task.id.clone(), t.task.host.clone(), c.docker_id.clone()))
        })
        .filter_map(|(task, host, container)| {
            let docker = observation.host(&host)?.docker().clone();
            Some(async move { (task, stats(&docker, &container).await.ok()) })
        });
    let mut out: BTreeMap<String, Usage> = BTreeMap::new();
    for (task, sample) in futures_util::future::join_all(work).await {
        let Some(sample) = sample else { continue };
        let entry = out.entry(task).or_default();
        entry.cpu_percent += sample.cpu_percent;
        entry.memory += sample.memory;
        entry.memory_limit = entry.memory_limit.max(sample.memory_limit);
    }
    out
}

pub fn mib(bytes: u64) -> String {
    format!("{:.0}Mi", bytes as f64 / (1024.0 * 1024.0))
}

pub fn run(cx: &Context, args: TopArgs) -> Outcome {
    let state = cx.read_state_or_empty()?;
    let rt = super::reconcile::runtime()?;
    let observations = rt.block_on(super::tasks::observe_all(
        cx,
        &state,
        args.cluster.as_deref(),
    ))?;
    let now = Timestamp::now();
    let mut rows = Vec::new();
    for (cluster, observation) in &observations {
        let used = rt.block_on(usage(observation));
        for v in &observation.tasks {
            if v.state.last_status == TaskStatus::Stopped
                || args
                    .service
                    .as_deref()
                    .is_some_and(|s| v.service() != Some(s))
            {
                continue;
            }
            let u = used.get(&v.task.id).copied().unwrap_or_default();
            rows.push(TopRow {
                task: v.task.id.clone(),
                service: v.service().map(str::to_string),
                cluster: cluster.clone(),
                host: v.task.host.clone(),
                cpu_percent: (u.cpu_percent * 10.0).round() / 10.0,
                memory_bytes: u.memory,
                memory_limit_bytes: u.memory_limit,
                restarts: v.task.containers.iter().map(|c| c.restart_count).sum(),
                health: super::tasks::health_label(v.state.health),
                created_at: v.task.created_at,
            });
        }
    }
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
                            mib(r.memory_bytes),
                            if r.memory_limit_bytes > 0 {
                                mib(r.memory_limit_bytes)
                            } else {
                                "-".into()
                            }
                        ),
                        r.restarts.to_string(),
                        short_age(now.since(r.created_at)),
                        r.health.to_string(),
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
    Ok(exit::OK)
}
