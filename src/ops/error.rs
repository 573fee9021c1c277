//! One error type for every operation, with the data a front end needs to render it: the CLI
//! prints its `Display`; the ECS API maps each variant to ECS's exception names
//! (`ClusterNotFoundException`, `ServiceNotFoundException`, `InvalidParameterException`, ...).

use std::fmt;

use crate::diagnostics::Diagnostics;
use crate::state::lock::LockError;

/// The kinds of objects an operation can fail to find.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ObjectKind {
    Cluster,
    Service,
    TaskDefinition,
    Task,
    Host,
    TargetGroup,
    LoadBalancer,
    ScheduledTask,
    Alarm,
    ScalableTarget,
    ScalingPolicy,
}

impl fmt::Display for ObjectKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ObjectKind::Cluster => "cluster",
            ObjectKind::Service => "service",
            ObjectKind::TaskDefinition => "task definition",
            ObjectKind::Task => "task",
            ObjectKind::Host => "host",
            ObjectKind::TargetGroup => "target group",
            ObjectKind::LoadBalancer => "load balancer",
            ObjectKind::ScheduledTask => "scheduled task",
            ObjectKind::Alarm => "alarm",
            ObjectKind::ScalableTarget => "scalable target",
            ObjectKind::ScalingPolicy => "scaling policy",
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OpsError {
    /// `no service `web` in any cluster; did you mean `webs`?`
    #[error("no {kind} `{name}` {place}{}", suggestion.as_ref().map(|s| format!("; did you mean `{s}`?")).unwrap_or_default())]
    NotFound {
        kind: ObjectKind,
        name: String,
        /// "in any cluster", "in cluster `prod`", ...
        place: String,
        suggestion: Option<String>,
    },
    /// A name or prefix that matches several objects.
    #[error("{message}")]
    Ambiguous {
        kind: ObjectKind,
        name: String,
        message: String,
    },
    /// The state lock or a reconciler lease is held by someone else.
    #[error(transparent)]
    Locked(#[from] LockError),
    /// A saved plan made against another state (serial or lineage).
    #[error(transparent)]
    StalePlan(#[from] crate::plan::apply::ApplyError),
    /// Manifests with errors; the diagnostics say where and why. Nothing was changed.
    #[error("the manifests have {} error(s); nothing was changed", .0.error_count())]
    InvalidManifests(Diagnostics),
    /// A request that cannot be carried out as asked (bad argument, wrong object state).
    #[error("{0}")]
    Invalid(String),
    /// An object that cannot go while others use it (a cluster with services).
    #[error("{message}")]
    InUse {
        kind: ObjectKind,
        name: String,
        message: String,
    },
    /// An object that is being deleted and so takes no more changes.
    #[error("{kind} `{name}` is being deleted")]
    NotActive { kind: ObjectKind, name: String },
    /// Hosts that did not answer. What could be read is still returned by the operations that
    /// read; this is for those that cannot do without the host.
    #[error("host `{host}` does not answer: {error}")]
    HostUnreachable { host: String, error: String },
    /// Anything else: I/O, Docker, a corrupt state file. Carries its context chain.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

pub type OpsResult<T> = Result<T, OpsError>;

impl OpsError {
    pub fn invalid(message: impl Into<String>) -> Self {
        OpsError::Invalid(message.into())
    }

    pub fn not_found(kind: ObjectKind, name: &str, place: impl Into<String>) -> Self {
        OpsError::NotFound {
            kind,
            name: name.to_string(),
            place: place.into(),
            suggestion: None,
        }
    }
}
