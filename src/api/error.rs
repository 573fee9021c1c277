//! ECS's errors: an HTTP status, the exception name (`__type`, `X-Amzn-Errortype`) and a
//! message. [`From<OpsError>`] is the one place where the operations layer's failures
//! become ECS exceptions; 500 `ServerException` is kept for real faults.

use crate::ops::{ObjectKind, OpsError};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn client(code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status: 400,
            code,
            message: message.into(),
        }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::client("InvalidParameterException", message)
    }

    pub fn serialization(message: impl Into<String>) -> Self {
        Self::client("SerializationException", message)
    }

    pub fn unknown_operation(target: &str) -> Self {
        Self::client(
            "UnknownOperationException",
            format!("the operation `{target}` is not supported by ecsctl serve"),
        )
    }

    pub fn server(message: impl Into<String>) -> Self {
        ApiError {
            status: 500,
            code: "ServerException",
            message: message.into(),
        }
    }

    /// The response body: `{"__type": CODE, "message": MESSAGE}`.
    pub fn body(&self) -> serde_json::Value {
        serde_json::json!({ "__type": self.code, "message": self.message })
    }
}

impl From<OpsError> for ApiError {
    fn from(error: OpsError) -> Self {
        let message = error.to_string();
        match error {
            OpsError::NotFound { kind, .. } => match kind {
                ObjectKind::Cluster => Self::client("ClusterNotFoundException", message),
                ObjectKind::Service => Self::client("ServiceNotFoundException", message),
                ObjectKind::TaskDefinition => Self::client("ClientException", message),
                ObjectKind::Task
                | ObjectKind::Host
                | ObjectKind::TargetGroup
                | ObjectKind::LoadBalancer
                | ObjectKind::ScheduledTask
                | ObjectKind::Alarm
                | ObjectKind::ScalableTarget
                | ObjectKind::ScalingPolicy => Self::invalid(message),
            },
            OpsError::Ambiguous { .. } | OpsError::Invalid(_) => Self::invalid(message),
            OpsError::InvalidManifests(diagnostics) => {
                let errors: Vec<String> = diagnostics
                    .iter()
                    .filter(|d| d.is_error())
                    .map(|d| {
                        let at = d
                            .location
                            .as_ref()
                            .and_then(|l| l.path.as_deref())
                            .filter(|p| !p.is_empty())
                            .map(|p| format!("`{p}`: "))
                            .unwrap_or_default();
                        let help = d
                            .help
                            .as_deref()
                            .map(|h| format!(" ({h})"))
                            .unwrap_or_default();
                        format!("{at}{}{help}", d.message)
                    })
                    .collect();
                Self::invalid(errors.join("; "))
            }
            OpsError::InUse { kind, .. } => match kind {
                ObjectKind::Cluster => Self::client("ClusterContainsServicesException", message),
                _ => Self::invalid(message),
            },
            OpsError::NotActive { kind, .. } => match kind {
                ObjectKind::Service => Self::client("ServiceNotActiveException", message),
                _ => Self::invalid(message),
            },
            // The lock is held (by an `apply`, a `watch` writing): worth retrying, as SDKs
            // do with 5xx.
            OpsError::Locked(_) => Self::server(message),
            OpsError::StalePlan(_) => Self::server(message),
            OpsError::HostUnreachable { .. } => Self::server(message),
            OpsError::Other(e) => {
                // The chain may name paths; it goes to the server's log, not to the client.
                tracing::error!("internal error: {e:#}");
                Self::server("an internal error occurred; the server's log says more")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::{Diagnostic, Diagnostics, Location, SourceFile, Span};

    #[test]
    fn ops_errors_map_to_ecs_exceptions() {
        let code = |e: OpsError| ApiError::from(e);
        let e = code(OpsError::not_found(
            ObjectKind::Cluster,
            "prod",
            "in the state",
        ));
        assert_eq!((e.status, e.code), (400, "ClusterNotFoundException"));
        assert!(e.message.contains("`prod`"));
        let e = code(OpsError::not_found(
            ObjectKind::Service,
            "web",
            "in any cluster",
        ));
        assert_eq!(e.code, "ServiceNotFoundException");
        let e = code(OpsError::not_found(ObjectKind::TaskDefinition, "web", ""));
        assert_eq!(e.code, "ClientException");
        assert_eq!(
            code(OpsError::invalid("x")).code,
            "InvalidParameterException"
        );
        let e = code(OpsError::InUse {
            kind: ObjectKind::Cluster,
            name: "c".into(),
            message: "m".into(),
        });
        assert_eq!(e.code, "ClusterContainsServicesException");
        let e = code(OpsError::NotActive {
            kind: ObjectKind::Service,
            name: "web".into(),
        });
        assert_eq!(e.code, "ServiceNotActiveException");
        let e = code(OpsError::Other(anyhow::anyhow!("reading `/secret/path`")));
        assert_eq!((e.status, e.code), (500, "ServerException"));
        assert!(!e.message.contains("/secret/path"));
        assert_eq!(
            e.body(),
            serde_json::json!({"__type": "ServerException", "message": e.message})
        );
    }

    #[test]
    fn manifest_errors_name_the_member() {
        let mut d = Diagnostics::new();
        d.push(
            Diagnostic::error("unknown field `essentail`")
                .at(Location {
                    file: SourceFile::new("r.json", "{}"),
                    span: Span::new(1, 1, 1),
                    path: Some("containerDefinitions[0].essentail".into()),
                })
                .with_help("did you mean `essential`?"),
        );
        let e = ApiError::from(OpsError::InvalidManifests(d));
        assert_eq!(e.code, "InvalidParameterException");
        assert_eq!(
            e.message,
            "`containerDefinitions[0].essentail`: unknown field `essentail` (did you mean `essential`?)"
        );
    }
}
