//! Secret values, read where ecsctl runs, at the moment a container is created. The values
//! go into the Docker create request and nowhere else: errors name the secret and its
//! source, never the value.

use std::collections::BTreeMap;

use crate::docker::container_spec::SecretValue;
use crate::model::ecs::TaskDefinitionSpec;
use crate::model::secrets::{SecretSource, parse_value_from};

/// Resolves every secret of the task: container name → (variable, value).
pub fn resolve(
    spec: &TaskDefinitionSpec,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<BTreeMap<String, Vec<(String, SecretValue)>>, String> {
    let mut out: BTreeMap<String, Vec<(String, SecretValue)>> = BTreeMap::new();
    for container in &spec.container_definitions {
        let name = container.name.clone().unwrap_or_default();
        for secret in &container.secrets {
            let (Some(variable), Some(value_from)) =
                (secret.name.as_deref(), secret.value_from.as_deref())
            else {
                continue;
            };
            let value = parse_value_from(value_from)
                .and_then(|source| read(&source, env))
                .map_err(|e| format!("secret `{variable}`: {e}"))?;
            out.entry(name.clone())
                .or_default()
                .push((variable.to_string(), SecretValue(value)));
        }
    }
    Ok(out)
}

/// The value of a secret held where ecsctl runs (a file's trailing newline removed); the
/// error names the source, never a value.
pub fn read(source: &SecretSource, env: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    match source {
        SecretSource::Env(name) => env(name).ok_or_else(|| {
            format!("the environment variable `{name}` is not set where ecsctl runs")
        }),
        SecretSource::File(path) => std::fs::read_to_string(path)
            .map(|text| text.strip_suffix('\n').map(str::to_string).unwrap_or(text))
            .map_err(|e| format!("cannot read `{path}`: {}", e.kind())),
    }
}

/// The stopped reason ECS gives a task whose secrets cannot be read.
pub fn failure_reason(error: &str) -> String {
    format!("ResourceInitializationError: unable to pull secrets or registry auth: {error}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ecs::{ContainerDefinition, Secret};

    fn spec(value_from: &str) -> TaskDefinitionSpec {
        TaskDefinitionSpec {
            container_definitions: vec![ContainerDefinition {
                name: Some("app".into()),
                secrets: vec![Secret {
                    name: Some("TOKEN".into()),
                    value_from: Some(value_from.into()),
                }],
                ..ContainerDefinition::default()
            }],
            ..TaskDefinitionSpec::default()
        }
    }

    #[test]
    fn reads_environment_and_files_without_revealing_values() {
        let env = |name: &str| (name == "SRC").then(|| "canary-value".to_string());
        let resolved = resolve(&spec("env:SRC"), &env).expect("resolves");
        assert_eq!(resolved["app"][0].1.0, "canary-value");

        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("token");
        std::fs::write(&path, "from-file\n").expect("write");
        let resolved = resolve(&spec(&format!("file:{}", path.display())), &env).expect("resolves");
        assert_eq!(resolved["app"][0].1.0, "from-file");

        let error = resolve(&spec("env:MISSING"), &env).expect_err("missing");
        assert_eq!(
            error,
            "secret `TOKEN`: the environment variable `MISSING` is not set where ecsctl runs"
        );
        let error = resolve(&spec("arn:aws:ssm:x:1:parameter/p"), &env).expect_err("aws");
        assert!(error.contains("cannot be resolved off AWS"));
    }
}
