//! Getting a task's image onto a host: the cluster's pull behavior decides whether to pull
//! ([`crate::registry::policy`]); the credentials travel as Docker's `X-Registry-Auth`; and
//! a host pulls an image once for all the tasks that want it at the same time — the first
//! launch pulls, the others wait for its outcome.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bollard::Docker;
use bollard::auth::DockerCredentials;
use bollard::query_parameters::CreateImageOptionsBuilder;
use futures_util::StreamExt;
use tokio::time::Instant;

use super::error::{LaunchError, docker_message};
use crate::registry::RegistryAuth;
use crate::registry::policy::{self, PullBehavior, PullDecision};
use crate::registry::reference;

const PULL_TIMEOUT: Duration = Duration::from_secs(300);

/// The pulls of one host: one gate per (image, credentials' user).
#[derive(Default)]
pub struct Pulls {
    gates: Mutex<HashMap<String, Arc<tokio::sync::Mutex<Gate>>>>,
}

#[derive(Default)]
struct Gate {
    /// When the last pull ended, and how.
    last: Option<(Instant, Result<(), LaunchError>)>,
    /// A pull of this image has succeeded on this host in this process (`once`).
    pulled: bool,
}

impl Pulls {
    fn gate(&self, key: String) -> Arc<tokio::sync::Mutex<Gate>> {
        match self.gates.lock() {
            Ok(mut gates) => gates.entry(key).or_default().clone(),
            // A poisoned map only loses the sharing of pulls, not their correctness.
            Err(_) => Arc::default(),
        }
    }
}

/// Makes sure `image` is on the host as the pull behavior wants it.
pub async fn ensure(
    docker: &Docker,
    host: &str,
    pulls: &Pulls,
    image: &str,
    auth: Option<&RegistryAuth>,
    behavior: PullBehavior,
) -> Result<(), LaunchError> {
    let asked = Instant::now();
    let key = format!("{image}\n{}", auth.map_or("", |a| a.username.as_str()));
    let gate = pulls.gate(key);
    let mut gate = gate.lock().await;
    // Another launch pulled while this one waited: its outcome stands for both.
    if let Some((ended, result)) = &gate.last
        && *ended >= asked
    {
        return result.clone();
    }
    let present = docker.inspect_image(image).await.is_ok();
    let decision = policy::decide(behavior, &reference::parse(image), present, gate.pulled);
    let PullDecision::Pull { fallback_to_cached } = decision else {
        return Ok(());
    };
    let result = match pull(docker, image, auth).await {
        Ok(()) => {
            gate.pulled = true;
            Ok(())
        }
        Err(_) if fallback_to_cached && present => {
            tracing::info!(host, image, "pull failed; using the image on the host");
            Ok(())
        }
        Err(reason) => {
            let place = if present {
                format!("on host `{host}`")
            } else {
                format!("(not on host `{host}`)")
            };
            Err(LaunchError(format!(
                "CannotPullContainerError: pull image `{image}` {place}: {reason}"
            )))
        }
    };
    gate.last = Some((Instant::now(), result.clone()));
    result
}

/// One pull; the error is Docker's (the registry's) reason. It never contains the
/// credentials: Docker sends them to the registry, not back.
async fn pull(docker: &Docker, image: &str, auth: Option<&RegistryAuth>) -> Result<(), String> {
    let options = CreateImageOptionsBuilder::default()
        .from_image(image)
        .build();
    let credentials = auth.map(|a| DockerCredentials {
        username: Some(a.username.clone()).filter(|u| !u.is_empty()),
        password: Some(a.password.clone()).filter(|p| !p.is_empty()),
        identitytoken: a.identity_token.clone(),
        serveraddress: Some(a.server.clone()),
        ..DockerCredentials::default()
    });
    let run = async {
        let mut stream = docker.create_image(Some(options), None, credentials);
        while let Some(progress) = stream.next().await {
            progress?;
        }
        Ok::<(), bollard::errors::Error>(())
    };
    match tokio::time::timeout(PULL_TIMEOUT, run).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(scrub(&docker_message(&e), auth)),
        Err(_) => Err(format!("timed out after {}s", PULL_TIMEOUT.as_secs())),
    }
}

/// Removes a secret from a message, should a daemon or registry ever echo one.
fn scrub(message: &str, auth: Option<&RegistryAuth>) -> String {
    let mut out = message.to_string();
    if let Some(auth) = auth {
        for secret in [Some(&auth.password), auth.identity_token.as_ref()]
            .into_iter()
            .flatten()
            .filter(|s| s.len() >= 4)
        {
            out = out.replace(secret.as_str(), "[redacted]");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrubs_echoed_secrets() {
        let auth = RegistryAuth {
            server: "r".into(),
            username: "u".into(),
            password: "hunter2".into(),
            identity_token: None,
        };
        assert_eq!(
            scrub("denied for u:hunter2", Some(&auth)),
            "denied for u:[redacted]"
        );
        assert_eq!(scrub("unauthorized", None), "unauthorized");
    }
}
