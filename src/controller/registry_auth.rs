//! Registry credentials, read where ecsctl runs at the moment a task is launched: a
//! container's `repositoryCredentials` (ECS's secret format, a JSON object with `username`
//! and `password`, from `env:` or `file:`), else the Docker client config's `credHelpers`,
//! `credsStore` or `auths` — helpers through the `docker-credential-*` protocol, so
//! `docker-credential-ecr-login` and OS keychains work unchanged. Errors name the source and
//! never a value.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde::Deserialize;

use super::secrets;
use crate::model::ecs::{ContainerDefinition, TaskDefinitionSpec};
use crate::model::secrets::parse_reference;
use crate::registry::config;
use crate::registry::{CredentialSource, LoadedConfig, RegistryAuth, reference, source_of};

type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// How long a credential helper may take (ECR's helper makes a network call).
const HELPER_TIMEOUT: Duration = Duration::from_secs(20);

/// `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`, as the Docker CLI reads it.
pub fn config_path(env: Env<'_>) -> Option<PathBuf> {
    if let Some(dir) = env("DOCKER_CONFIG").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir).join("config.json"));
    }
    env("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .or_else(|| directories::BaseDirs::new().map(|b| b.home_dir().to_path_buf()))
        .map(|home| home.join(".docker").join("config.json"))
}

/// The Docker client config, or `None` when there is none.
pub fn load_config(env: Env<'_>) -> Result<Option<LoadedConfig>, String> {
    let Some(path) = config_path(env) else {
        return Ok(None);
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => config::parse(&text)
            .map(|config| {
                Some(LoadedConfig {
                    path: path.display().to_string(),
                    config,
                })
            })
            .map_err(|e| format!("the Docker config `{}`: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!(
            "cannot read the Docker config `{}`: {}",
            path.display(),
            e.kind()
        )),
    }
}

/// The credentials of every image of the task that has a source: image → credentials.
/// The Docker config is read only when a container needs it.
pub fn resolve(
    spec: &TaskDefinitionSpec,
    env: Env<'_>,
) -> Result<BTreeMap<String, RegistryAuth>, String> {
    let mut loaded: Option<Option<LoadedConfig>> = None;
    let mut out = BTreeMap::new();
    for container in &spec.container_definitions {
        let Some(image) = container.image.as_deref() else {
            continue;
        };
        let name = container.name.as_deref().unwrap_or_default();
        let server = reference::parse(image).server_address();
        let config = if container.repository_credentials.is_some() {
            None
        } else {
            if loaded.is_none() {
                loaded = Some(load_config(env)?);
            }
            loaded.as_ref().and_then(Option::as_ref)
        };
        let auth = credentials(container, config, &server, env)
            .map_err(|e| format!("registry credentials of container `{name}`: {e}"))?;
        if let Some(auth) = auth {
            out.insert(image.to_string(), auth);
        }
    }
    Ok(out)
}

fn credentials(
    container: &ContainerDefinition,
    config: Option<&LoadedConfig>,
    server: &str,
    env: Env<'_>,
) -> Result<Option<RegistryAuth>, String> {
    match source_of(container, config) {
        CredentialSource::RepositoryCredentials(parameter) => {
            from_parameter(&parameter, server, env).map(Some)
        }
        CredentialSource::Helper { name, .. } | CredentialSource::Store { name, .. } => {
            run_helper(&name, server)
        }
        CredentialSource::Auths { key, .. } => {
            let login = config
                .ok_or_else(|| "the Docker config is gone".to_string())?
                .config
                .login(&key)?;
            Ok(Some(RegistryAuth {
                server: server.to_string(),
                username: login.username,
                password: login.password,
                identity_token: login.identity_token,
            }))
        }
        CredentialSource::Anonymous => Ok(None),
    }
}

/// ECS's registry secret: `{"username": "...", "password": "..."}`.
#[derive(Deserialize)]
struct SecretLogin {
    username: String,
    password: String,
}

fn from_parameter(parameter: &str, server: &str, env: Env<'_>) -> Result<RegistryAuth, String> {
    let source = parse_reference(parameter, "credentialsParameter")?;
    let text = secrets::read(&source, env)?;
    let login: SecretLogin = serde_json::from_str(&text).map_err(|_| {
        format!(
            "`{parameter}` does not hold ECS's registry secret format: a JSON object with `username` and `password`"
        )
    })?;
    Ok(RegistryAuth {
        server: server.to_string(),
        username: login.username,
        password: login.password,
        identity_token: None,
    })
}

/// What a credential helper prints for `get`.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct HelperAnswer {
    username: String,
    secret: String,
}

/// Asks `docker-credential-NAME get` for the server's credentials; `None` when it has none.
fn run_helper(name: &str, server: &str) -> Result<Option<RegistryAuth>, String> {
    run_helper_program(&format!("docker-credential-{name}"), server)
}

fn run_helper_program(program: &str, server: &str) -> Result<Option<RegistryAuth>, String> {
    let mut child = Command::new(program)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => {
                format!("the credential helper `{program}` is not on PATH where ecsctl runs")
            }
            kind => format!("cannot run `{program}`: {kind}"),
        })?;
    if let Some(mut stdin) = child.stdin.take() {
        // A helper that exits without reading is answered by its exit status below.
        let _ = stdin.write_all(server.as_bytes());
    }
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let output = match rx.recv_timeout(HELPER_TIMEOUT) {
        Ok(Ok(output)) => output,
        Ok(Err(e)) => return Err(format!("`{program} get` failed: {}", e.kind())),
        Err(_) => {
            if let Ok(pid) = i32::try_from(pid) {
                // SAFETY: a signal to the child started above; its reader thread holds it
                // unreaped until it dies, so the pid cannot have been reused.
                unsafe { libc::kill(pid, libc::SIGKILL) };
            }
            return Err(format!(
                "`{program} get` did not answer within {}s",
                HELPER_TIMEOUT.as_secs()
            ));
        }
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        let said = first_line(&stdout)
            .or_else(|| first_line(&String::from_utf8_lossy(&output.stderr)))
            .unwrap_or_default();
        // The protocol's answer for "nothing stored": the pull goes anonymous, as Docker's.
        if said.contains("credentials not found") {
            return Ok(None);
        }
        return Err(format!("`{program} get` failed: {said}"));
    }
    let answer: HelperAnswer = serde_json::from_str(&stdout).map_err(|_| {
        format!("`{program} get` did not answer with the credential helper protocol's JSON")
    })?;
    // `<token>` as the user name marks an identity token (the protocol's convention).
    let (username, password, identity_token) = if answer.username == "<token>" {
        (String::new(), String::new(), Some(answer.secret))
    } else {
        (answer.username, answer.secret, None)
    };
    Ok(Some(RegistryAuth {
        server: server.to_string(),
        username,
        password,
        identity_token,
    }))
}

fn first_line(text: &str) -> Option<String> {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;
    use crate::model::ecs::RepositoryCredentials;

    fn spec(image: &str, parameter: Option<&str>) -> TaskDefinitionSpec {
        TaskDefinitionSpec {
            container_definitions: vec![ContainerDefinition {
                name: Some("app".into()),
                image: Some(image.into()),
                repository_credentials: parameter.map(|p| RepositoryCredentials {
                    credentials_parameter: Some(p.into()),
                }),
                ..ContainerDefinition::default()
            }],
            ..TaskDefinitionSpec::default()
        }
    }

    #[test]
    fn repository_credentials_from_a_file_and_the_environment() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("reg.json");
        std::fs::write(&path, r#"{"username": "ci", "password": "p@ss"}"#).expect("write");
        let none = |_: &str| None;
        let auths = resolve(
            &spec(
                "r.example.com/app:1",
                Some(&format!("file:{}", path.display())),
            ),
            &none,
        )
        .expect("resolves");
        let auth = &auths["r.example.com/app:1"];
        assert_eq!(
            (auth.server.as_str(), auth.username.as_str()),
            ("r.example.com", "ci")
        );
        assert_eq!(auth.password, "p@ss");

        std::fs::write(&path, "p@ss").expect("write");
        let error = resolve(
            &spec(
                "r.example.com/app:1",
                Some(&format!("file:{}", path.display())),
            ),
            &none,
        )
        .expect_err("not JSON");
        assert!(
            error.contains("does not hold ECS's registry secret format"),
            "{error}"
        );
        assert!(!error.contains("p@ss"));

        let env = |n: &str| (n == "REG").then(|| r#"{"username":"u","password":"v"}"#.to_string());
        let auths = resolve(&spec("nginx", Some("env:REG")), &env).expect("resolves");
        assert_eq!(auths["nginx"].server, reference::DOCKER_HUB_SERVER);

        let error = resolve(
            &spec(
                "r.example.com/app:1",
                Some("arn:aws:secretsmanager:eu-west-1:1:secret:reg"),
            ),
            &none,
        )
        .expect_err("aws");
        assert_eq!(
            error,
            "registry credentials of container `app`: `credentialsParameter` is an AWS Secrets Manager ARN, which cannot be resolved off AWS"
        );
    }

    #[test]
    fn the_docker_config_auths_and_its_absence() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            dir.path().join("config.json"),
            r#"{"auths": {"r.example.com": {"auth": "YWxpY2U6c2VjcmV0"}}}"#,
        )
        .expect("write");
        let config_dir = dir.path().display().to_string();
        let env = move |n: &str| (n == "DOCKER_CONFIG").then(|| config_dir.clone());
        let auths = resolve(&spec("r.example.com/app:1", None), &env).expect("resolves");
        assert_eq!(auths["r.example.com/app:1"].username, "alice");
        assert!(
            resolve(&spec("other.example.com/app:1", None), &env)
                .expect("resolves")
                .is_empty()
        );

        let empty = tempfile::tempdir().expect("tempdir");
        let empty_dir = empty.path().display().to_string();
        let env = move |n: &str| (n == "DOCKER_CONFIG").then(|| empty_dir.clone());
        assert!(
            resolve(&spec("r.example.com/app:1", None), &env)
                .expect("no config is anonymous")
                .is_empty()
        );
    }

    #[test]
    fn speaks_the_credential_helper_protocol() {
        let dir = tempfile::tempdir().expect("tempdir");
        let helper = dir.path().join("docker-credential-unittest");
        // Answers for one server only, as real helpers do.
        std::fs::write(
            &helper,
            "#!/bin/sh\nread server\nif [ \"$server\" = r.example.com ]; then\n  echo '{\"ServerURL\":\"r.example.com\",\"Username\":\"bot\",\"Secret\":\"tok3n\"}'\nelse\n  echo 'credentials not found in native keychain'; exit 1\nfi\n",
        )
        .expect("write");
        std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let program = helper.display().to_string();
        let found = run_helper_program(&program, "r.example.com").expect("runs");
        assert_eq!(
            found.map(|a| (a.username, a.password)),
            Some(("bot".into(), "tok3n".into()))
        );
        assert_eq!(
            run_helper_program(&program, "other.example.com").expect("runs"),
            None
        );
        let missing = run_helper("does-not-exist-here", "r.example.com").expect_err("missing");
        assert_eq!(
            missing,
            "the credential helper `docker-credential-does-not-exist-here` is not on PATH where ecsctl runs"
        );
    }
}
