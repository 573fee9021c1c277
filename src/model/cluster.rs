//! `kind: Cluster`: the hosts a cluster runs on, and how to reach each one.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::ecs::{CapacityProviderStrategyItem, ecs_struct};

ecs_struct! {
    /// The spec of `kind: Cluster`.
    ClusterSpec {
        hosts: Vec<HostSpec>,
        /// Named pools of the cluster's hosts, used by capacity provider strategies.
        capacity_providers: Vec<CapacityProviderSpec>,
        /// The strategy of services and runs that give neither `launchType` nor a strategy.
        default_capacity_provider_strategy: Vec<CapacityProviderStrategyItem>,
        /// When hosts pull images, as the ECS agent's `ECS_IMAGE_PULL_BEHAVIOR`: `default`
        /// (missing images and `latest` tags), `always`, `once`, `prefer-cached`.
        image_pull_behavior: Option<String>,
    }
}

ecs_struct! {
    /// A capacity provider: a named pool of the cluster's hosts, listed by name or chosen by
    /// an expression in the cluster query language (`attribute:pool == spot`). `FARGATE` and
    /// `FARGATE_SPOT` are names like any other.
    CapacityProviderSpec {
        name: Option<String>,
        hosts: Vec<String>,
        expression: Option<String>,
    }
}

/// The capacity providers every ECS account has: a cluster has them only when it declares
/// them (as pools of its own hosts); a strategy may name them either way.
pub const FARGATE_PROVIDERS: [&str; 2] = ["FARGATE", "FARGATE_SPOT"];

ecs_struct! {
    /// One Docker host of a cluster (an ECS "container instance").
    HostSpec {
        name: Option<String>,
        /// `local`, `unix:///path/docker.sock` or `ssh://user@host[:port]`.
        endpoint: Option<String>,
        /// The Docker socket on the far side of an `ssh://` endpoint, when not the default.
        docker_socket: Option<String>,
        /// Custom attributes for placement (`attribute:zone == a`).
        attributes: BTreeMap<String, String>,
        /// Registered capacity; by default read from the host's Docker.
        capacity: Option<Capacity>,
        /// The address load balancers reach this host's tasks on; default: the SSH
        /// endpoint's host, `127.0.0.1` for a local daemon.
        address: Option<String>,
    }
}

ecs_struct! {
    /// Cpu units (1024 per core) and memory (MiB) a host offers to tasks.
    Capacity {
        cpu: Option<i64>,
        memory: Option<i64>,
    }
}

ecs_struct! {
    /// A cluster setting, as ECS has them: `containerInsights` = `enhanced` | `enabled` |
    /// `disabled`. Recorded through the ECS API (CreateCluster, UpdateCluster); ecsctl
    /// collects no metrics for it.
    ClusterSetting {
        name: Option<String>,
        value: Option<String>,
    }
}

ecs_struct! {
    /// ECS's `ClusterConfiguration` (ECS Exec logging, managed storage keys), recorded
    /// through the ECS API and returned as given.
    ClusterConfiguration {
        execute_command_configuration: Option<ExecuteCommandConfiguration>,
        managed_storage_configuration: Option<ManagedStorageConfiguration>,
    }
}

ecs_struct! {
    ExecuteCommandConfiguration {
        kms_key_id: Option<String>,
        /// `NONE` | `DEFAULT` | `OVERRIDE`.
        logging: Option<String>,
        log_configuration: Option<ExecuteCommandLogConfiguration>,
    }
}

ecs_struct! {
    ExecuteCommandLogConfiguration {
        cloud_watch_log_group_name: Option<String>,
        cloud_watch_encryption_enabled: Option<bool>,
        s3_bucket_name: Option<String>,
        s3_encryption_enabled: Option<bool>,
        s3_key_prefix: Option<String>,
    }
}

ecs_struct! {
    ManagedStorageConfiguration {
        kms_key_id: Option<String>,
        fargate_ephemeral_storage_kms_key_id: Option<String>,
    }
}

/// The values of `imagePullBehavior`, as the ECS agent spells them.
pub const IMAGE_PULL_BEHAVIORS: [&str; 4] = ["default", "always", "once", "prefer-cached"];

/// The cluster settings ECS knows, with the values each takes.
pub const CLUSTER_SETTINGS: [(&str, &[&str]); 1] =
    [("containerInsights", &["enhanced", "enabled", "disabled"])];

/// `settings` merged into `into` (a name already there takes the new value), after checking
/// every one; on an error (naming the member, `settings[1].value`) `into` is unchanged.
pub fn merge_settings(
    into: &mut Vec<ClusterSetting>,
    settings: &[ClusterSetting],
) -> Result<(), String> {
    for (i, setting) in settings.iter().enumerate() {
        let name = setting.name.as_deref().unwrap_or_default();
        let Some((_, values)) = CLUSTER_SETTINGS.iter().find(|(n, _)| *n == name) else {
            return Err(format!(
                "`settings[{i}].name`: `{name}` is not a cluster setting (the one there is: `containerInsights`)"
            ));
        };
        let value = setting.value.as_deref().unwrap_or_default();
        if !values.contains(&value) {
            return Err(format!(
                "`settings[{i}].value`: `{value}` is not a value of `{name}` (one of {})",
                values.join(", ")
            ));
        }
    }
    for setting in settings {
        match into.iter_mut().find(|s| s.name == setting.name) {
            Some(old) => old.value = setting.value.clone(),
            None => into.push(setting.clone()),
        }
    }
    into.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(())
}

/// Checks the enumerations of a `configuration` (naming the member).
pub fn check_configuration(configuration: &ClusterConfiguration) -> Result<(), String> {
    let logging = configuration
        .execute_command_configuration
        .as_ref()
        .and_then(|e| e.logging.as_deref());
    match logging {
        None | Some("NONE" | "DEFAULT" | "OVERRIDE") => Ok(()),
        Some(other) => Err(format!(
            "`configuration.executeCommandConfiguration.logging`: `{other}` is not one of NONE, DEFAULT, OVERRIDE"
        )),
    }
}

pub const DEFAULT_CLUSTER: &str = "default";
pub const LOCAL_HOST: &str = "local";
pub const DEFAULT_DOCKER_SOCKET: &str = "/var/run/docker.sock";

impl ClusterSpec {
    /// The cluster that exists without any manifest: one host, the local Docker daemon.
    pub fn embedded_default() -> Self {
        ClusterSpec {
            hosts: vec![HostSpec {
                name: Some(LOCAL_HOST.to_string()),
                endpoint: Some("local".to_string()),
                ..HostSpec::default()
            }],
            ..ClusterSpec::default()
        }
    }
}

/// How a host is reached.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Endpoint {
    /// The daemon `DOCKER_HOST` (or the default socket) names, where ecsctl runs.
    Local,
    Unix {
        path: String,
    },
    Ssh {
        user: Option<String>,
        host: String,
        port: Option<u16>,
    },
}

impl Endpoint {
    pub fn parse(text: &str) -> Result<Endpoint, String> {
        let text = text.trim();
        if text == "local" {
            return Ok(Endpoint::Local);
        }
        if let Some(path) = text.strip_prefix("unix://") {
            if !path.starts_with('/') {
                return Err(format!(
                    "`{text}`: a unix endpoint needs an absolute path (`unix:///var/run/docker.sock`)"
                ));
            }
            return Ok(Endpoint::Unix {
                path: path.to_string(),
            });
        }
        if let Some(rest) = text.strip_prefix("ssh://") {
            let rest = rest.trim_end_matches('/');
            let (user, host_port) = match rest.rsplit_once('@') {
                Some((user, hp)) if !user.is_empty() => (Some(user.to_string()), hp),
                Some(_) => return Err(format!("`{text}`: the user before `@` is empty")),
                None => (None, rest),
            };
            let (host, port) = match host_port.rsplit_once(':') {
                Some((host, port)) => {
                    let port: u16 = port
                        .parse()
                        .map_err(|_| format!("`{text}`: `{port}` is not a port number"))?;
                    (host, Some(port))
                }
                None => (host_port, None),
            };
            if host.is_empty() || host.contains('/') {
                return Err(format!("`{text}`: expected ssh://[user@]host[:port]"));
            }
            return Ok(Endpoint::Ssh {
                user,
                host: host.to_string(),
                port,
            });
        }
        Err(format!(
            "unknown endpoint `{text}`: expected `local`, `unix:///path/to/docker.sock` or `ssh://user@host[:port]`"
        ))
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Endpoint::Local => f.write_str("local"),
            Endpoint::Unix { path } => write!(f, "unix://{path}"),
            Endpoint::Ssh { user, host, port } => {
                f.write_str("ssh://")?;
                if let Some(user) = user {
                    write!(f, "{user}@")?;
                }
                f.write_str(host)?;
                if let Some(port) = port {
                    write!(f, ":{port}")?;
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_parse_and_print() {
        for text in [
            "local",
            "unix:///run/docker.sock",
            "ssh://deploy@node-a:2222",
            "ssh://node-b",
        ] {
            let endpoint = Endpoint::parse(text).expect(text);
            assert_eq!(endpoint.to_string(), text);
        }
        assert_eq!(
            Endpoint::parse("ssh://root@10.0.0.1:22"),
            Ok(Endpoint::Ssh {
                user: Some("root".into()),
                host: "10.0.0.1".into(),
                port: Some(22)
            })
        );
        assert!(Endpoint::parse("tcp://x:2375").is_err());
        assert!(Endpoint::parse("unix://relative").is_err());
        assert!(Endpoint::parse("ssh://u@h:port").is_err());
    }

    fn setting(name: &str, value: &str) -> ClusterSetting {
        ClusterSetting {
            name: Some(name.into()),
            value: Some(value.into()),
        }
    }

    #[test]
    fn settings_merge_by_name_and_bad_ones_change_nothing() {
        let mut settings = vec![setting("containerInsights", "disabled")];
        merge_settings(&mut settings, &[setting("containerInsights", "enhanced")]).expect("ok");
        assert_eq!(settings, vec![setting("containerInsights", "enhanced")]);
        let e = merge_settings(
            &mut settings,
            &[
                setting("containerInsights", "enabled"),
                setting("containerInsights", "loud"),
            ],
        )
        .expect_err("bad value");
        assert!(e.starts_with("`settings[1].value`"), "{e}");
        let e = merge_settings(&mut settings, &[setting("insights", "enabled")]).expect_err("name");
        assert!(e.starts_with("`settings[0].name`"), "{e}");
        assert_eq!(settings, vec![setting("containerInsights", "enhanced")]);
    }

    #[test]
    fn exec_logging_is_an_enumeration() {
        let mut configuration = ClusterConfiguration {
            execute_command_configuration: Some(ExecuteCommandConfiguration {
                logging: Some("OVERRIDE".into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(check_configuration(&configuration), Ok(()));
        if let Some(e) = configuration.execute_command_configuration.as_mut() {
            e.logging = Some("ALL".into());
        }
        let e = check_configuration(&configuration).expect_err("bad");
        assert!(e.contains("executeCommandConfiguration.logging"), "{e}");
    }
}
