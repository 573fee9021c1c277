//! Registry credentials and pull policy. Which registry an image is on ([`reference`]),
//! where the Docker client config keeps that registry's credentials ([`config`]), when a
//! host pulls ([`policy`]): pure. Reading the config, the secret files and running
//! `docker-credential-*` helpers where ecsctl runs: `controller::registry_auth`.
//!
//! Credentials are read at the moment a task is launched, travel with the pull as Docker's
//! `X-Registry-Auth`, and are never stored in the state, printed or logged: plans and
//! `describe` name their source only.

pub mod config;
pub mod policy;
pub mod reference;

use std::fmt;

use serde::Serialize;

use crate::diagnostics::Diagnostics;
use crate::model::ecs::ContainerDefinition;
use crate::model::validate::{Check, DiagnosticExt as _, ManifestSet};
use config::{ConfigSource, DockerConfig};

/// What a pull authenticates with. `Debug` never shows the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct RegistryAuth {
    /// The address the registry is known by (`https://index.docker.io/v1/` for Docker Hub).
    pub server: String,
    pub username: String,
    pub password: String,
    pub identity_token: Option<String>,
}

impl fmt::Debug for RegistryAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "RegistryAuth({} as {}, redacted)",
            self.server, self.username
        )
    }
}

/// Where a container's registry credentials come from: what plans and `describe` show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CredentialSource {
    /// `repositoryCredentials.credentialsParameter` (`env:NAME` or `file:/path`).
    RepositoryCredentials(String),
    /// A `credHelpers` entry of the Docker config.
    Helper {
        name: String,
        config: String,
    },
    /// The Docker config's `credsStore`.
    Store {
        name: String,
        config: String,
    },
    /// An `auths` entry of the Docker config.
    Auths {
        key: String,
        config: String,
    },
    Anonymous,
}

impl fmt::Display for CredentialSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::RepositoryCredentials(parameter) => {
                write!(f, "repositoryCredentials `{parameter}`")
            }
            Self::Helper { name, config } => write!(
                f,
                "credential helper `docker-credential-{name}` (credHelpers in {config})"
            ),
            Self::Store { name, config } => write!(
                f,
                "credential store `docker-credential-{name}` (credsStore in {config})"
            ),
            Self::Auths { key, config } => write!(f, "`auths.{key}` in {config}"),
            Self::Anonymous => f.write_str("none (anonymous pull)"),
        }
    }
}

/// The Docker client config where ecsctl runs, as read.
#[derive(Clone, Debug)]
pub struct LoadedConfig {
    pub path: String,
    pub config: DockerConfig,
}

/// Where `container`'s image gets its credentials: its own `repositoryCredentials` first
/// (as ECS), else the Docker config's source for the image's registry.
pub fn source_of(
    container: &ContainerDefinition,
    config: Option<&LoadedConfig>,
) -> CredentialSource {
    if let Some(parameter) = container
        .repository_credentials
        .as_ref()
        .and_then(|r| r.credentials_parameter.as_deref())
    {
        return CredentialSource::RepositoryCredentials(parameter.to_string());
    }
    let Some(image) = container.image.as_deref() else {
        return CredentialSource::Anonymous;
    };
    let registry = reference::parse(image).registry;
    let Some(loaded) = config else {
        return CredentialSource::Anonymous;
    };
    let path = loaded.path.clone();
    match loaded.config.source_for(&registry) {
        Some(ConfigSource::Helper(name)) => CredentialSource::Helper {
            name: name.to_string(),
            config: path,
        },
        Some(ConfigSource::Store(name)) => CredentialSource::Store {
            name: name.to_string(),
            config: path,
        },
        Some(ConfigSource::Auths(key)) => CredentialSource::Auths {
            key: key.to_string(),
            config: path,
        },
        None => CredentialSource::Anonymous,
    }
}

/// One container's image and where its pull credentials come from (plans, `describe`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegistryUse {
    pub container: String,
    pub image: String,
    pub registry: String,
    /// The source, never the value.
    pub credentials: String,
}

/// The containers whose pull a plan should mention: those with credentials, and those on a
/// registry that looks private (pulling anonymously). Docker Hub pulls without any are not.
pub fn notable_uses(
    containers: &[ContainerDefinition],
    config: Option<&LoadedConfig>,
) -> Vec<RegistryUse> {
    let anonymous = CredentialSource::Anonymous.to_string();
    uses(containers, config)
        .into_iter()
        .filter(|u| u.credentials != anonymous || reference::looks_private(&u.registry))
        .collect()
}

/// Every container's registry and credential source, in the task definition's order.
pub fn uses(containers: &[ContainerDefinition], config: Option<&LoadedConfig>) -> Vec<RegistryUse> {
    containers
        .iter()
        .filter_map(|c| {
            let image = c.image.clone()?;
            Some(RegistryUse {
                container: c.name.clone().unwrap_or_default(),
                registry: reference::parse(&image).registry,
                image,
                credentials: source_of(c, config).to_string(),
            })
        })
        .collect()
}

/// Warns about images on a registry that looks private (ECR, a company's own) when nothing
/// would authenticate their pull: the task would fail with `CannotPullContainerError`.
pub fn warn_anonymous_pulls(
    set: &ManifestSet,
    config: Option<&LoadedConfig>,
    out: &mut Diagnostics,
) {
    for m in set.task_definitions.values() {
        let mut c = Check::new(&m.origin, out);
        for (i, container) in m.spec.container_definitions.iter().enumerate() {
            let Some(image) = container.image.as_deref() else {
                continue;
            };
            let registry = reference::parse(image).registry;
            if !reference::looks_private(&registry)
                || source_of(container, config) != CredentialSource::Anonymous
            {
                continue;
            }
            let config = config.map_or_else(
                || "no Docker config where ecsctl runs".to_string(),
                |l| format!("nothing for it in {}", l.path),
            );
            c.warning(
                &format!("containerDefinitions[{i}].image"),
                format!(
                    "image `{image}` is on the registry `{registry}` and no credentials are configured for it ({config}): the pull will be anonymous"
                ),
            )
            .help(format!(
                "add `repositoryCredentials: {{ credentialsParameter: file:/path }}` to the container, or run `docker login {registry}` where ecsctl runs"
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ecs::RepositoryCredentials;

    fn container(image: &str, parameter: Option<&str>) -> ContainerDefinition {
        ContainerDefinition {
            name: Some("app".into()),
            image: Some(image.into()),
            repository_credentials: parameter.map(|p| RepositoryCredentials {
                credentials_parameter: Some(p.into()),
            }),
            ..ContainerDefinition::default()
        }
    }

    #[test]
    fn repository_credentials_win_over_the_docker_config() {
        let loaded = LoadedConfig {
            path: "/home/u/.docker/config.json".into(),
            config: config::parse(r#"{"auths": {"r.example.com": {"auth": "dTpw"}}, "credHelpers": {"h.example.com": "x"}}"#)
                .expect("parses"),
        };
        let sources: Vec<String> = [
            container("r.example.com/app:1", Some("file:/run/reg.json")),
            container("r.example.com/app:1", None),
            container("h.example.com/app:1", None),
            container("elsewhere.example.com/app:1", None),
        ]
        .iter()
        .map(|c| source_of(c, Some(&loaded)).to_string())
        .collect();
        assert_eq!(
            sources,
            [
                "repositoryCredentials `file:/run/reg.json`",
                "`auths.r.example.com` in /home/u/.docker/config.json",
                "credential helper `docker-credential-x` (credHelpers in /home/u/.docker/config.json)",
                "none (anonymous pull)",
            ]
        );
        assert_eq!(
            source_of(&container("r.example.com/app:1", None), None),
            CredentialSource::Anonymous
        );
    }

    #[test]
    fn debug_never_shows_the_password() {
        let auth = RegistryAuth {
            server: "r.example.com".into(),
            username: "u".into(),
            password: "hunter2".into(),
            identity_token: None,
        };
        assert!(!format!("{auth:?}").contains("hunter2"));
    }
}
