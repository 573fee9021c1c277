//! What a launch needs (owned, so it runs while the controller goes on), and how a Docker
//! host carries out the executor's operations ([`TaskHost`] for [`DockerHost`]). Each
//! operation is idempotent: repeating one after a crash is harmless.

use std::collections::BTreeMap;
use std::time::Duration;

use super::{registry_auth, secrets};
use crate::docker::container_spec::{SecretValue, TaskContext};
use crate::docker::host::DockerHost;
use crate::model::cluster::ClusterSpec;
use crate::model::ecs::{LaunchType, TaskDefinitionSpec};
use crate::reconcile::task::TaskGroup;
use crate::registry::RegistryAuth;
use crate::registry::policy::PullBehavior;
use crate::time::Timestamp;

/// Everything needed to create a task on a host (which host: the executor's business).
#[derive(Clone, Debug)]
pub struct LaunchPlan {
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
    /// Pull credentials by image (read at launch, never stored).
    pub registry_auth: BTreeMap<String, RegistryAuth>,
    pub pull_behavior: PullBehavior,
    /// `FARGATE` for a task of a Fargate service or run (see [`crate::model::fargate`]).
    pub launch_type: LaunchType,
}

/// What a launch reads where ecsctl runs, at the moment it is prepared: the task's secrets
/// and its images' registry credentials.
pub struct LaunchSecrets {
    pub secrets: BTreeMap<String, Vec<(String, SecretValue)>>,
    pub registry_auth: BTreeMap<String, RegistryAuth>,
}

impl LaunchSecrets {
    /// Reads both; the error is the task's stopped reason, in ECS's words.
    pub fn read(
        spec: &TaskDefinitionSpec,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, String> {
        let secrets = secrets::resolve(spec, env).map_err(|e| secrets::failure_reason(&e))?;
        let registry_auth =
            registry_auth::resolve(spec, env).map_err(|e| secrets::failure_reason(&e))?;
        Ok(Self {
            secrets,
            registry_auth,
        })
    }
}

/// The cluster's `imagePullBehavior` (validated when applied; unknown reads as `default`).
pub fn pull_behavior(cluster: Option<&ClusterSpec>) -> PullBehavior {
    cluster
        .and_then(|c| c.image_pull_behavior.as_deref())
        .and_then(PullBehavior::parse)
        .unwrap_or_default()
}

/// One host, as the executor uses it.
#[async_trait::async_trait]
pub trait TaskHost: Send + Sync {
    /// Creates the task (and starts what depends on nothing); the error is the launch
    /// failure's reason, in ECS's words.
    async fn launch(&self, plan: &LaunchPlan) -> Result<(), String>;
    async fn start(&self, container: &str) -> anyhow::Result<()>;
    async fn stop(&self, container: &str, timeout: Duration) -> anyhow::Result<()>;
    async fn remove(&self, task_id: &str, cluster: &str) -> anyhow::Result<()>;
}

impl LaunchPlan {
    fn context(&self) -> TaskContext<'_> {
        TaskContext {
            cluster: &self.cluster,
            lineage: &self.lineage,
            task_id: &self.task_id,
            group: &self.group,
            deployment: self.deployment.as_deref(),
            family: &self.family,
            revision: self.revision,
            spec: &self.spec,
            created_at: self.created_at,
            secrets: &self.secrets,
            registry_auth: &self.registry_auth,
            pull_behavior: self.pull_behavior,
            pause_image: crate::docker::pause::IMAGE,
            launch_type: self.launch_type,
            task_cgroup: None,
        }
    }
}

#[async_trait::async_trait]
impl TaskHost for DockerHost {
    async fn launch(&self, plan: &LaunchPlan) -> Result<(), String> {
        let ctx = plan.context();
        DockerHost::launch(self, &ctx, &plan.architecture)
            .await
            .map_err(|e| e.0)?;
        // Start what depends on nothing right away: the next pass would, but later.
        for name in first_containers(plan, &ctx) {
            let _ = DockerHost::start(self, &name).await;
        }
        Ok(())
    }

    async fn start(&self, container: &str) -> anyhow::Result<()> {
        DockerHost::start(self, container).await
    }

    async fn stop(&self, container: &str, timeout: Duration) -> anyhow::Result<()> {
        DockerHost::stop(self, container, timeout).await
    }

    async fn remove(&self, task_id: &str, cluster: &str) -> anyhow::Result<()> {
        self.remove_task_containers(task_id, cluster).await
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
