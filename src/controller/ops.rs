//! The operations a pass starts on hosts, as owned values so they can run concurrently while
//! the controller goes on. Each is idempotent: repeating one after a crash is harmless.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use crate::docker::container_spec::{SecretValue, TaskContext};
use crate::docker::host::DockerHost;
use crate::model::ecs::TaskDefinitionSpec;
use crate::reconcile::task::TaskGroup;
use crate::time::Timestamp;

/// Everything needed to create a task on a host.
pub struct LaunchPlan {
    pub host: Arc<DockerHost>,
    pub architecture: String,
    pub cluster: String,
    pub lineage: String,
    pub task_id: String,
    pub group: TaskGroup,
    pub deployment: Option<String>,
    pub family: String,
    pub revision: u32,
    pub spec: TaskDefinitionSpec,
    pub created_at: Timestamp,
    pub secrets: BTreeMap<String, Vec<(String, SecretValue)>>,
}

pub enum Op {
    Launch(Box<LaunchPlan>),
    Start {
        host: Arc<DockerHost>,
        task_id: String,
        containers: Vec<String>,
    },
    Stop {
        host: Arc<DockerHost>,
        task_id: String,
        /// (container id, stop timeout); the last entries (the pause container) stop last.
        containers: Vec<(String, Duration)>,
        last: Vec<(String, Duration)>,
    },
    Remove {
        host: Arc<DockerHost>,
        task_id: String,
        cluster: String,
    },
}

pub enum Done {
    Launched {
        task_id: String,
    },
    LaunchFailed {
        task_id: String,
        group: TaskGroup,
        deployment: Option<String>,
        reason: String,
    },
    Started {
        task_id: String,
        containers: Vec<String>,
        error: Option<String>,
    },
    Stopped {
        task_id: String,
        containers: Vec<String>,
        error: Option<String>,
    },
    Removed {
        task_id: String,
        error: Option<String>,
    },
}

pub async fn run(op: Op) -> Done {
    match op {
        Op::Launch(plan) => launch(*plan).await,
        Op::Start {
            host,
            task_id,
            containers,
        } => {
            let mut error = None;
            // In order: the network holder and dependencies were ordered by the caller.
            for id in &containers {
                if let Err(e) = host.start(id).await {
                    error = Some(format!("{e:#}"));
                    break;
                }
            }
            Done::Started {
                task_id,
                containers,
                error,
            }
        }
        Op::Stop {
            host,
            task_id,
            containers,
            last,
        } => {
            // ECS stops a task's containers together; the network holder goes after them.
            let results =
                futures_util::future::join_all(containers.iter().map(|(id, t)| host.stop(id, *t)))
                    .await;
            let mut error = results
                .into_iter()
                .find_map(|r| r.err())
                .map(|e| format!("{e:#}"));
            for (id, t) in &last {
                if let Err(e) = host.stop(id, *t).await {
                    error.get_or_insert(format!("{e:#}"));
                }
            }
            Done::Stopped {
                task_id,
                containers: containers
                    .into_iter()
                    .chain(last)
                    .map(|(id, _)| id)
                    .collect(),
                error,
            }
        }
        Op::Remove {
            host,
            task_id,
            cluster,
        } => {
            let error = host
                .remove_task_containers(&task_id, &cluster)
                .await
                .err()
                .map(|e| format!("{e:#}"));
            Done::Removed { task_id, error }
        }
    }
}

async fn launch(plan: LaunchPlan) -> Done {
    let ctx = TaskContext {
        cluster: &plan.cluster,
        lineage: &plan.lineage,
        task_id: &plan.task_id,
        group: &plan.group,
        deployment: plan.deployment.as_deref(),
        family: &plan.family,
        revision: plan.revision,
        spec: &plan.spec,
        created_at: plan.created_at,
        secrets: &plan.secrets,
        pause_image: crate::docker::pause::IMAGE,
    };
    match plan.host.launch(&ctx, &plan.architecture).await {
        Ok(_) => {
            // Start what depends on nothing right away: the next pass would, but later.
            let ready = first_containers(&plan, &ctx);
            for name in ready {
                let _ = plan.host.start(&name).await;
            }
            Done::Launched {
                task_id: plan.task_id,
            }
        }
        Err(e) => Done::LaunchFailed {
            task_id: plan.task_id,
            group: plan.group,
            deployment: plan.deployment,
            reason: e.0,
        },
    }
}

/// Docker names of the containers to start at launch: the network holder, then the
/// containers without dependencies.
fn first_containers(plan: &LaunchPlan, ctx: &TaskContext<'_>) -> Vec<String> {
    let mut names = Vec::new();
    if ctx.needs_pause() {
        names.push(ctx.pause_name());
    }
    for name in crate::reconcile::task::start_order(&plan.spec) {
        let definition = plan
            .spec
            .container_definitions
            .iter()
            .find(|d| d.name.as_deref() == Some(name));
        if definition.is_some_and(|d| d.depends_on.is_empty() && d.links.is_empty()) {
            names.push(ctx.docker_name(name));
        }
    }
    names
}
