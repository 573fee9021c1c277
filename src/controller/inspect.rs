//! Read-only observation of a cluster for the commands that show tasks (`get tasks`,
//! `describe task`, `logs`, `exec`): every host in parallel, each task assessed as the
//! reconciler would. Changes nothing.

use std::sync::Arc;
use std::time::Duration;

use anyhow::anyhow;
use serde::Serialize;

use super::hosts::{self, HostSlot};
use crate::docker::host::DockerHost;
use crate::docker::transport::Transport;
use crate::reconcile::service::HostUsage;
use crate::reconcile::task::{self, ObservedTask, TaskGroup, TaskState};
use crate::state::{Runtime, State};
use crate::time::Timestamp;

/// A task with its ECS status and the host it runs on.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskView {
    #[serde(flatten)]
    pub task: ObservedTask,
    #[serde(flatten)]
    pub state: TaskState,
}

impl TaskView {
    pub fn service(&self) -> Option<&str> {
        match &self.task.group {
            TaskGroup::Service(name) => Some(name),
            TaskGroup::Standalone(_) => None,
        }
    }
}

/// A host of the cluster, connected or not.
pub struct Connected {
    pub name: String,
    pub host: Option<Arc<DockerHost>>,
    pub info: Option<crate::docker::host::HostInfo>,
    pub error: Option<String>,
}

/// Connects to every host of `cluster` at once (bounded in time).
pub async fn connect_all(
    state: &State,
    cluster: &str,
    transport: &dyn Transport,
) -> anyhow::Result<Vec<Connected>> {
    let spec = state
        .cluster_spec(cluster)
        .ok_or_else(|| anyhow!("no cluster `{cluster}` in the state"))?;
    let slots: Vec<HostSlot> = spec.hosts.into_iter().map(HostSlot::new).collect();
    let work = slots.iter().map(|slot| async move {
        let result =
            tokio::time::timeout(Duration::from_secs(15), hosts::connect(slot, transport)).await;
        match result {
            Ok(Ok((host, info))) => Connected {
                name: slot.name.clone(),
                host: Some(host),
                info: Some(info),
                error: None,
            },
            Ok(Err(e)) => Connected {
                name: slot.name.clone(),
                host: None,
                info: None,
                error: Some(format!("{e:#}")),
            },
            Err(_) => Connected {
                name: slot.name.clone(),
                host: None,
                info: None,
                error: Some("no answer within 15 s".into()),
            },
        }
    });
    Ok(futures_util::future::join_all(work).await)
}

/// A cluster as observed right now: its hosts (connected or not) and every task on the hosts
/// that answered, assessed.
pub struct ClusterObservation {
    pub hosts: Vec<Connected>,
    pub tasks: Vec<TaskView>,
    /// Hosts that did not answer, with why.
    pub failures: Vec<(String, String)>,
    /// Keeps the hosts' connections (SSH tunnels) open while the observation is in use.
    _transport: Arc<dyn Transport>,
}

impl ClusterObservation {
    /// What the observed live tasks take on each host.
    pub fn usage(&self, state: &State) -> std::collections::BTreeMap<String, HostUsage> {
        let spec_of = |r: &crate::model::names::TaskDefRef| state.revision(r).map(|rev| &rev.spec);
        super::reconciler::usage(self.tasks.iter().map(|t| (&t.task, &t.state)), &spec_of)
    }

    pub fn host(&self, name: &str) -> Option<&Arc<DockerHost>> {
        self.hosts
            .iter()
            .find(|h| h.name == name)
            .and_then(|h| h.host.as_ref())
    }
}

pub async fn observe(
    state: &State,
    runtime: &Runtime,
    cluster: &str,
    transport: &Arc<dyn Transport>,
) -> anyhow::Result<ClusterObservation> {
    let connected = connect_all(state, cluster, transport.as_ref()).await?;
    let mut views = Vec::new();
    let mut failures = Vec::new();
    let observed = futures_util::future::join_all(connected.iter().map(|c| async {
        match &c.host {
            Some(host) => (
                c.name.clone(),
                host.observe(cluster, &state.lineage)
                    .await
                    .map_err(|e| format!("{e:#}")),
            ),
            None => (c.name.clone(), Err(c.error.clone().unwrap_or_default())),
        }
    }))
    .await;
    let now = Timestamp::now();
    for (host, result) in observed {
        match result {
            Ok(observation) => {
                for t in observation.tasks {
                    let recorded = match &t.group {
                        TaskGroup::Service(name) => runtime
                            .services
                            .get(name)
                            .and_then(|s| s.stop_reasons.get(&t.id))
                            .cloned(),
                        TaskGroup::Standalone(_) => None,
                    };
                    let spec = state.revision(&t.task_definition).map(|r| &r.spec);
                    let st = task::assess(&t, spec, recorded.as_ref(), None, now);
                    views.push(TaskView { task: t, state: st });
                }
            }
            Err(error) => failures.push((host, error)),
        }
    }
    views.sort_by(|a, b| {
        (a.service(), &a.task.host, a.task.created_at, &a.task.id).cmp(&(
            b.service(),
            &b.task.host,
            b.task.created_at,
            &b.task.id,
        ))
    });
    Ok(ClusterObservation {
        hosts: connected,
        tasks: views,
        failures,
        _transport: transport.clone(),
    })
}
