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
use crate::state::State;
use crate::time::{Timestamp, short_age};

#[derive(Debug, Args)]
pub struct TopArgs {
    /// Only this cluster
    #[arg(long)]
    pub cluster: Option<String>,
    /// Only the tasks of this service
    #[arg(long)]
    pub service: Option<String>,
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
    let state = cx
        .state_dir()?
        .read_state()?
        .unwrap_or_else(|| State::empty(String::new()));
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
            rows.push(vec![
                v.task.short_id().to_string(),
                v.service().unwrap_or("-").to_string(),
                cluster.clone(),
                format!("{:.1}%", u.cpu_percent),
                format!(
                    "{}/{}",
                    mib(u.memory),
                    if u.memory_limit > 0 {
                        mib(u.memory_limit)
                    } else {
                        "-".into()
                    }
                ),
                v.task
                    .containers
                    .iter()
                    .map(|c| c.restart_count)
                    .sum::<i64>()
                    .to_string(),
                short_age(now.since(v.task.created_at)),
                super::tasks::health_label(v.state.health).to_string(),
                v.task.host.clone(),
            ]);
        }
    }
    cx.out.print(&table(
        &[
            "task", "service", "cluster", "cpu", "memory", "restarts", "age", "health", "host",
        ],
        rows,
    ));
    Ok(exit::OK)
}
