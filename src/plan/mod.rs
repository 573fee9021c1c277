//! Plans: what applying the manifests would change in the state, and the deployments it
//! would cause. Pure: [`compute`] takes the state and the desired objects; [`apply`] returns
//! the next state. [`render`] prints the human view; the JSON view is [`Plan`] serialized.
//!
//! The JSON form (`plan -o json`, `plan --out FILE`) is a stable interface for CI scripts:
//! documented in the README, versioned by `formatVersion`, keys sorted.

pub mod apply;
pub mod compute;
pub mod diff;
pub mod render;

use serde::{Deserialize, Serialize};

use crate::model::effective::DeploymentBounds;
use crate::model::names::TaskDefRef;
use crate::model::normalize::Desired;
use crate::registry::RegistryUse;

pub use apply::apply;
pub use compute::compute;

/// The plan file format this build writes and reads.
pub const PLAN_FORMAT_VERSION: u32 = 1;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    pub format_version: u32,
    pub ecsctl_version: String,
    /// The state the plan was made against; `apply` refuses a state that moved since.
    pub state: StateRef,
    pub prune: bool,
    pub changes: Vec<Change>,
    /// Objects whose manifests match the state.
    pub unchanged: Vec<ObjectRef>,
    /// Objects in the state but not in the manifests, left alone (no `--prune`).
    pub kept: Vec<ObjectRef>,
    /// Services whose desired count a scalable target owns: not drift.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scaled: Vec<ScaledService>,
    pub summary: Summary,
    /// The normalized objects of the manifests: what `apply PLANFILE` writes.
    pub desired: Desired,
}

impl Plan {
    pub fn has_changes(&self) -> bool {
        !self.changes.is_empty()
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StateRef {
    /// `None` when there was no state yet.
    pub lineage: Option<String>,
    pub serial: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ObjectKind {
    Cluster,
    TaskDefinition,
    Service,
    TargetGroup,
    LoadBalancer,
    ScheduledTask,
    Alarm,
    ScalableTarget,
    ScalingPolicy,
}

impl ObjectKind {
    pub fn label(self) -> &'static str {
        match self {
            ObjectKind::Cluster => "cluster",
            ObjectKind::TaskDefinition => "task definition",
            ObjectKind::Service => "service",
            ObjectKind::TargetGroup => "target group",
            ObjectKind::LoadBalancer => "load balancer",
            ObjectKind::ScheduledTask => "scheduled task",
            ObjectKind::Alarm => "alarm",
            ObjectKind::ScalableTarget => "scalable target",
            ObjectKind::ScalingPolicy => "scaling policy",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectRef {
    pub kind: ObjectKind,
    /// The cluster of a service, a target group or a load balancer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    pub name: String,
}

impl ObjectRef {
    pub fn cluster(name: &str) -> Self {
        ObjectRef {
            kind: ObjectKind::Cluster,
            cluster: None,
            name: name.to_string(),
        }
    }

    pub fn task_definition(family: &str) -> Self {
        ObjectRef {
            kind: ObjectKind::TaskDefinition,
            cluster: None,
            name: family.to_string(),
        }
    }

    pub fn service(cluster: &str, name: &str) -> Self {
        Self::scoped(ObjectKind::Service, cluster, name)
    }

    pub fn target_group(cluster: &str, name: &str) -> Self {
        Self::scoped(ObjectKind::TargetGroup, cluster, name)
    }

    pub fn load_balancer(cluster: &str, name: &str) -> Self {
        Self::scoped(ObjectKind::LoadBalancer, cluster, name)
    }

    pub fn scheduled_task(cluster: &str, name: &str) -> Self {
        Self::scoped(ObjectKind::ScheduledTask, cluster, name)
    }

    pub fn alarm(cluster: &str, name: &str) -> Self {
        Self::scoped(ObjectKind::Alarm, cluster, name)
    }

    pub fn scalable_target(cluster: &str, name: &str) -> Self {
        Self::scoped(ObjectKind::ScalableTarget, cluster, name)
    }

    pub fn scaling_policy(cluster: &str, name: &str) -> Self {
        Self::scoped(ObjectKind::ScalingPolicy, cluster, name)
    }

    fn scoped(kind: ObjectKind, cluster: &str, name: &str) -> Self {
        ObjectRef {
            kind,
            cluster: Some(cluster.to_string()),
            name: name.to_string(),
        }
    }
}

impl std::fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.cluster {
            Some(cluster) => write!(f, "{} {cluster}/{}", self.kind.label(), self.name),
            None => write!(f, "{} {}", self.kind.label(), self.name),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Action {
    Create,
    Update,
    Delete,
}

impl Action {
    /// `+`, `~` or `-`, as plans show it.
    pub fn symbol(self) -> &'static str {
        match self {
            Action::Create => "+",
            Action::Update => "~",
            Action::Delete => "-",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    pub object: ObjectRef,
    pub action: Action,
    /// A task definition registering a revision: `web:1 → web:2` (`from` is absent for a new
    /// family).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<RevisionChange>,
    /// A service deployment this change starts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment: Option<DeploymentPlan>,
    /// A service scaling without a deployment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desired_count: Option<CountChange>,
    /// Field-level differences of the spec (absent for deletions).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub diff: Vec<diff::FieldDiff>,
    /// A task definition's pulls: where each container's registry credentials come from
    /// (the source, never a value).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub registry_credentials: Vec<RegistryUse>,
}

impl Change {
    /// A change of the object's fields only: no revision, deployment or scaling.
    pub fn fields(object: ObjectRef, action: Action, diff: Vec<diff::FieldDiff>) -> Self {
        Change {
            object,
            action,
            revision: None,
            deployment: None,
            desired_count: None,
            diff,
            registry_credentials: Vec::new(),
        }
    }
}

/// A service whose desired count its scalable target owns.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScaledService {
    pub service: ObjectRef,
    pub scalable_target: String,
    /// The count the scaler set (kept).
    pub desired_count: u32,
    /// The manifest's count (only a new service starts with it).
    pub manifest_count: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RevisionChange {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<u32>,
    pub to: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CountChange {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<u32>,
    pub to: u32,
}

/// A rolling deployment: the bounds ECS computes from the deployment configuration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentPlan {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<TaskDefRef>,
    pub to: TaskDefRef,
    pub desired_count: u32,
    pub minimum_healthy_percent: u32,
    pub maximum_percent: u32,
    /// ceil(desiredCount × minimumHealthyPercent / 100): tasks that stay RUNNING throughout.
    pub minimum_running: u32,
    /// floor(desiredCount × maximumPercent / 100): tasks RUNNING or PENDING at most.
    pub maximum_running: u32,
    pub reason: String,
    /// DAEMON services run one task per host; the count is known only on the hosts.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub daemon: bool,
    /// A BLUE_GREEN, LINEAR or CANARY deployment: the strategy and its steps with their
    /// times; absent for rolling ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<ShiftPlan>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShiftPlan {
    pub strategy: String,
    /// `10% for 1m, then 100%; bake 0m`.
    pub steps: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub add: usize,
    pub change: usize,
    pub destroy: usize,
}

/// ECS's deployment bounds: `(minimum running, maximum running)` for a desired count (see
/// [`DeploymentBounds::running`]).
pub fn deployment_bounds(
    desired: u32,
    minimum_healthy_percent: u32,
    maximum_percent: u32,
) -> (u32, u32) {
    DeploymentBounds {
        minimum_healthy_percent,
        maximum_percent,
    }
    .running(desired)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_round_as_ecs_does() {
        assert_eq!(deployment_bounds(4, 50, 200), (2, 8));
        assert_eq!(deployment_bounds(3, 100, 200), (3, 6));
        assert_eq!(deployment_bounds(3, 50, 150), (2, 4));
        assert_eq!(deployment_bounds(1, 0, 100), (0, 1));
        assert_eq!(deployment_bounds(5, 90, 110), (5, 5));
        assert_eq!(deployment_bounds(0, 100, 200), (0, 0));
    }
}
