//! ECS's long-format ARNs: `arn:aws:ecs:REGION:ACCOUNT:cluster/NAME`, `service/CLUSTER/NAME`,
//! `task/CLUSTER/ID`, `task-definition/FAMILY:REV`, `container-instance/CLUSTER/ID`. Made
//! with the request's region and the configured account; every operation that takes a name
//! takes the ARN too (any region or account: the name decides).

use super::error::ApiError;

/// The default account id in ARNs.
pub const DEFAULT_ACCOUNT: &str = "000000000000";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Arns {
    pub region: String,
    pub account: String,
}

impl Arns {
    fn arn(&self, resource: &str) -> String {
        format!("arn:aws:ecs:{}:{}:{resource}", self.region, self.account)
    }

    pub fn cluster(&self, name: &str) -> String {
        self.arn(&format!("cluster/{name}"))
    }

    pub fn service(&self, cluster: &str, name: &str) -> String {
        self.arn(&format!("service/{cluster}/{name}"))
    }

    pub fn task(&self, cluster: &str, id: &str) -> String {
        self.arn(&format!("task/{cluster}/{id}"))
    }

    pub fn task_definition(&self, family: &str, revision: u32) -> String {
        self.arn(&format!("task-definition/{family}:{revision}"))
    }

    pub fn container_instance(&self, cluster: &str, id: &str) -> String {
        self.arn(&format!("container-instance/{cluster}/{id}"))
    }

    pub fn container(&self, cluster: &str, task: &str, name: &str) -> String {
        self.arn(&format!("container/{cluster}/{task}/{name}"))
    }
}

/// The resource part of an ECS ARN (`service/c/web`), or `None` for a plain name.
fn resource(text: &str) -> Result<Option<&str>, ApiError> {
    if !text.starts_with("arn:") {
        return Ok(None);
    }
    let parts: Vec<&str> = text.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", _, "ecs", _, _, resource] if !resource.is_empty() => Ok(Some(resource)),
        _ => Err(ApiError::invalid(format!("`{text}` is not an ECS ARN"))),
    }
}

/// A cluster name or ARN → the name.
pub fn cluster_name(text: &str) -> Result<String, ApiError> {
    match resource(text)? {
        None => Ok(text.to_string()),
        Some(r) => r
            .strip_prefix("cluster/")
            .filter(|n| !n.is_empty() && !n.contains('/'))
            .map(str::to_string)
            .ok_or_else(|| ApiError::invalid(format!("`{text}` is not a cluster ARN"))),
    }
}

/// A service name or ARN → (the cluster the ARN names, the name). Both ARN formats.
pub fn service_name(text: &str) -> Result<(Option<String>, String), ApiError> {
    match resource(text)? {
        None => Ok((None, text.to_string())),
        Some(r) => {
            let rest = r
                .strip_prefix("service/")
                .ok_or_else(|| ApiError::invalid(format!("`{text}` is not a service ARN")))?;
            match rest.split_once('/') {
                Some((cluster, name)) if !cluster.is_empty() && !name.is_empty() => {
                    Ok((Some(cluster.to_string()), name.to_string()))
                }
                None if !rest.is_empty() => Ok((None, rest.to_string())),
                _ => Err(ApiError::invalid(format!("`{text}` is not a service ARN"))),
            }
        }
    }
}

/// A task id or ARN → (the cluster the ARN names, the id). Both ARN formats.
pub fn task_id(text: &str) -> Result<(Option<String>, String), ApiError> {
    qualified(text, "task/", "task")
}

/// A container instance id or ARN → (cluster, id).
pub fn container_instance_id(text: &str) -> Result<(Option<String>, String), ApiError> {
    qualified(text, "container-instance/", "container instance")
}

fn qualified(text: &str, prefix: &str, what: &str) -> Result<(Option<String>, String), ApiError> {
    match resource(text)? {
        None => Ok((None, text.to_string())),
        Some(r) => {
            let rest = r
                .strip_prefix(prefix)
                .ok_or_else(|| ApiError::invalid(format!("`{text}` is not a {what} ARN")))?;
            match rest.rsplit_once('/') {
                Some((cluster, id)) if !cluster.is_empty() && !id.is_empty() => {
                    Ok((Some(cluster.to_string()), id.to_string()))
                }
                None if !rest.is_empty() => Ok((None, rest.to_string())),
                _ => Err(ApiError::invalid(format!("`{text}` is not a {what} ARN"))),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arns() -> Arns {
        Arns {
            region: "eu-west-1".into(),
            account: DEFAULT_ACCOUNT.into(),
        }
    }

    #[test]
    fn long_format() {
        let a = arns();
        assert_eq!(
            a.cluster("prod"),
            "arn:aws:ecs:eu-west-1:000000000000:cluster/prod"
        );
        assert_eq!(
            a.service("prod", "web"),
            "arn:aws:ecs:eu-west-1:000000000000:service/prod/web"
        );
        assert_eq!(
            a.task_definition("web", 3),
            "arn:aws:ecs:eu-west-1:000000000000:task-definition/web:3"
        );
        assert_eq!(
            a.task("prod", "abc"),
            "arn:aws:ecs:eu-west-1:000000000000:task/prod/abc"
        );
        assert_eq!(
            a.container_instance("prod", "node-a"),
            "arn:aws:ecs:eu-west-1:000000000000:container-instance/prod/node-a"
        );
    }

    #[test]
    fn names_or_arns() {
        assert_eq!(cluster_name("prod").ok(), Some("prod".into()));
        assert_eq!(
            cluster_name("arn:aws:ecs:us-east-1:123456789012:cluster/prod").ok(),
            Some("prod".into())
        );
        assert!(cluster_name("arn:aws:ecs:us-east-1:1:service/prod/web").is_err());
        assert!(cluster_name("arn:aws:s3:::bucket").is_err());
        assert_eq!(
            service_name("arn:aws:ecs:us-east-1:1:service/prod/web").ok(),
            Some((Some("prod".into()), "web".into()))
        );
        assert_eq!(
            service_name("arn:aws:ecs:us-east-1:1:service/web").ok(),
            Some((None, "web".into()))
        );
        assert_eq!(service_name("web").ok(), Some((None, "web".into())));
        assert_eq!(
            task_id("arn:aws:ecs:us-east-1:1:task/prod/0123").ok(),
            Some((Some("prod".into()), "0123".into()))
        );
        assert_eq!(
            task_id("arn:aws:ecs:us-east-1:1:task/0123").ok(),
            Some((None, "0123".into()))
        );
        assert!(task_id("arn:aws:ecs:us-east-1:1:task/").is_err());
        let e = service_name("arn:aws:ecs:us-east-1:1:cluster/prod").err();
        assert_eq!(e.map(|e| e.code), Some("InvalidParameterException"));
    }
}
