//! From a target (`service/web`, `task/1a2b`) to the tasks it names, observed on the hosts,
//! with the hosts' connections (for logs, exec, stats).

use anyhow::{Result, bail};

use super::Context;
use super::reconcile::transport;
use super::target::Target;
use crate::controller::inspect::{self, ClusterObservation, TaskView};
use crate::state::State;

pub struct Selection {
    pub cluster: String,
    pub observation: ClusterObservation,
    /// Indexes into `observation.tasks`.
    pub tasks: Vec<usize>,
    /// The service named, if the target was one.
    pub service: Option<String>,
}

impl Selection {
    pub fn tasks(&self) -> impl Iterator<Item = &TaskView> {
        self.tasks.iter().map(|i| &self.observation.tasks[*i])
    }
}

fn warn_unanswered(cx: &Context, cluster: &str, observation: &ClusterObservation) {
    for (host, error) in &observation.failures {
        cx.out.note(&format!(
            "{}: host `{host}` of cluster `{cluster}` does not answer; its tasks are left out: {error}",
            cx.out.paint_err.yellow("warning")
        ));
    }
}

/// Observes the cluster(s) the target lives in and picks its tasks.
pub async fn select(
    cx: &Context,
    state: &State,
    target: &Target,
    cluster: Option<&str>,
) -> Result<Selection> {
    let store = cx.state_dir()?;
    let transport = transport();
    match target {
        Target::Service(name) => {
            let (cluster, _) = super::resolve::service(state, name, cluster)?;
            let runtime = store.read_runtime(&cluster)?;
            let observation = inspect::observe(state, &runtime, &cluster, &transport).await?;
            warn_unanswered(cx, &cluster, &observation);
            let tasks = observation
                .tasks
                .iter()
                .enumerate()
                .filter(|(_, t)| t.service() == Some(name.as_str()))
                .map(|(i, _)| i)
                .collect();
            Ok(Selection {
                cluster,
                observation,
                tasks,
                service: Some(name.clone()),
            })
        }
        Target::Task(id) => {
            let clusters: Vec<String> = state
                .cluster_names()
                .into_iter()
                .filter(|c| cluster.is_none_or(|only| only == c))
                .collect();
            let mut matches = Vec::new();
            for name in &clusters {
                let runtime = store.read_runtime(name)?;
                let observation = inspect::observe(state, &runtime, name, &transport).await?;
                warn_unanswered(cx, name, &observation);
                let found: Vec<usize> = observation
                    .tasks
                    .iter()
                    .enumerate()
                    .filter(|(_, t)| t.task.id.starts_with(id.as_str()))
                    .map(|(i, _)| i)
                    .collect();
                if !found.is_empty() {
                    matches.push(Selection {
                        cluster: name.clone(),
                        observation,
                        tasks: found,
                        service: None,
                    });
                }
            }
            let where_ = match (cluster, clusters.as_slice()) {
                (Some(c), _) => format!("cluster `{c}`"),
                (None, [only]) => format!("cluster `{only}`"),
                _ => "any cluster".to_string(),
            };
            let total: usize = matches.iter().map(|m| m.tasks.len()).sum();
            match (matches.pop(), total) {
                (None, _) => bail!("no task `{id}` in {where_}"),
                (Some(selection), 1)
                    if id.len() >= 4 || selection.tasks().any(|t| t.task.id == *id) =>
                {
                    Ok(selection)
                }
                (Some(_), 1) => bail!("task id `{id}` is too short: give at least four characters"),
                (Some(_), n) => {
                    bail!("task id `{id}` matches {n} tasks in {where_}: give more of it")
                }
            }
        }
    }
}
