//! Checks of one cluster: its hosts are named, reachable in a known way, and distinct.

use std::collections::BTreeMap;

use super::{Check, DiagnosticExt};
use crate::diagnostics::Diagnostics;
use crate::model::cluster::{ClusterSpec, Endpoint, IMAGE_PULL_BEHAVIORS};
use crate::model::manifest::Manifest;
use crate::model::names::{check_ecs_name, check_host_name};
use crate::suggest::did_you_mean;

pub(super) fn check(m: &Manifest<ClusterSpec>, out: &mut Diagnostics) {
    let mut c = Check::new(&m.origin, out);
    if let Err(e) = check_ecs_name(&m.name) {
        c.error_at(&m.name_path, format!("invalid cluster name: {e}"));
    }
    if m.spec.hosts.is_empty() {
        c.error("hosts", "a cluster needs at least one host")
            .help("add `hosts: [{ name: local, endpoint: local }]` for the local Docker daemon");
    }
    let mut names: BTreeMap<&str, usize> = BTreeMap::new();
    let mut endpoints: BTreeMap<String, &str> = BTreeMap::new();
    for (i, host) in m.spec.hosts.iter().enumerate() {
        let path = format!("hosts[{i}]");
        let name = match host.name.as_deref() {
            None => {
                c.error(&path, "the host has no `name`");
                ""
            }
            Some(name) => {
                if let Err(e) = check_host_name(name) {
                    c.error(&format!("{path}.name"), format!("invalid host name: {e}"));
                }
                if let Some(first) = names.insert(name, i) {
                    c.error(
                        &format!("{path}.name"),
                        format!("two hosts are named `{name}`"),
                    )
                    .help(format!("the first is hosts[{first}]"));
                }
                name
            }
        };
        match host.endpoint.as_deref().map(Endpoint::parse) {
            None => {
                c.error(&path, format!("host `{name}` has no `endpoint`"))
                    .help("write `endpoint: ssh://user@host`, `endpoint: local` or `endpoint: unix:///path/docker.sock`");
            }
            Some(Err(e)) => {
                c.error(&format!("{path}.endpoint"), e);
            }
            Some(Ok(endpoint)) => {
                let ssh = matches!(endpoint, Endpoint::Ssh { .. });
                let key = match (&endpoint, host.docker_socket.as_deref()) {
                    (Endpoint::Ssh { .. }, Some(socket)) => format!("{endpoint}{socket}"),
                    _ => endpoint.to_string(),
                };
                if let Some(first) = endpoints.get(&key).copied() {
                    c.warning(
                        &format!("{path}.endpoint"),
                        format!(
                            "hosts `{first}` and `{name}` are the same Docker daemon ({endpoint}): they share its cpu, memory and ports"
                        ),
                    )
                    .help("each sees only the tasks placed on it; list a daemon once unless you mean to split it (capacity providers on one machine)");
                } else {
                    endpoints.insert(key, name);
                }
                if let Some(socket) = host.docker_socket.as_deref() {
                    if !ssh {
                        c.error(
                            &format!("{path}.dockerSocket"),
                            "`dockerSocket` applies to `ssh://` endpoints; a unix endpoint names its socket itself",
                        );
                    } else if !socket.starts_with('/') {
                        c.error(
                            &format!("{path}.dockerSocket"),
                            format!("`{socket}` is not an absolute path"),
                        );
                    }
                }
            }
        }
        if let Some(capacity) = &host.capacity {
            for (field, value) in [("cpu", capacity.cpu), ("memory", capacity.memory)] {
                if value.is_some_and(|v| v <= 0) {
                    c.error(
                        &format!("{path}.capacity.{field}"),
                        format!("capacity {field} must be positive"),
                    );
                }
            }
        }
        for key in host.attributes.keys() {
            let valid = !key.is_empty()
                && key.len() <= 128
                && key
                    .chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '-' | '_' | '.' | '/'));
            if !valid {
                c.error(
                    &format!("{path}.attributes"),
                    format!("invalid attribute name `{key}`: use letters, digits, `-`, `_`, `.`, `/` (up to 128)"),
                );
            }
        }
    }
    if let Some(behavior) = m.spec.image_pull_behavior.as_deref()
        && !IMAGE_PULL_BEHAVIORS.contains(&behavior)
    {
        let help = match did_you_mean(behavior, IMAGE_PULL_BEHAVIORS) {
            Some(name) => format!("did you mean `{name}`?"),
            None => format!("write one of {}", IMAGE_PULL_BEHAVIORS.join(", ")),
        };
        c.error(
            "imagePullBehavior",
            format!("`{behavior}` is not an image pull behavior"),
        )
        .help(help);
    }
    super::capacity::cluster(&mut c, &m.spec);
}
