//! The managed HAProxy container of a cluster on one host: created, configured and reloaded
//! through the host's [`DockerHost`], never touching a container without ecsctl's labels.
//!
//! | what | how |
//! |---|---|
//! | name | `ecsctl-haproxy-CLUSTER-HOST` |
//! | image | the LoadBalancer's `image`, else [`DEFAULT_IMAGE`] (the official one) |
//! | network, restart | `host`, `unless-stopped` |
//! | user | `root` (the official image runs as `haproxy`, which cannot bind ports < 1024) |
//! | command | `haproxy -W -db -S RUN_DIR/master.sock -f CONFIG_FILE` (master-worker) |
//! | labels | `ecsctl.cluster`, `ecsctl.lineage`, `ecsctl.proxy=haproxy` |
//! | config | uploaded into the container through the Docker API (works over the SSH transport) |
//! | admin socket | `HOST_DIR/admin.sock`: `HOST_DIR` bind-mounted at [`RUN_DIR`] |

use std::collections::HashMap;
use std::path::PathBuf;

use anyhow::{Context as _, Result, bail};
use bollard::models::{ContainerCreateBody, HostConfig, RestartPolicy, RestartPolicyNameEnum};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, DownloadFromContainerOptionsBuilder,
    KillContainerOptionsBuilder, RemoveContainerOptionsBuilder, UploadToContainerOptionsBuilder,
};

use crate::docker::host::DockerHost;
use crate::docker::labels;
use crate::docker::transport::proxy_admin_socket;
use crate::traffic::config::RUN_DIR;

pub const DEFAULT_IMAGE: &str = "haproxy:2.8";
pub const CONFIG_DIR: &str = "/etc/ecsctl-haproxy";
pub const CONFIG_FILE: &str = "/etc/ecsctl-haproxy/haproxy.cfg";
/// The label that tells the proxy from tasks.
pub const PROXY_LABEL: &str = "ecsctl.proxy";

/// One host's proxy of one cluster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProxySpec {
    pub cluster: String,
    /// The cluster host it serves (hosts may share a daemon: one proxy each).
    pub host: String,
    pub lineage: String,
    pub image: String,
    /// The host directory holding the admin socket and the server state: the directory of
    /// [`proxy_admin_socket`], which the SSH transport forwards.
    pub host_dir: String,
}

impl ProxySpec {
    pub fn new(cluster: &str, host: &str, lineage: &str, image: Option<&str>) -> Self {
        let socket = proxy_admin_socket(cluster, host);
        let host_dir = socket
            .rsplit_once('/')
            .map_or(socket.as_str(), |(dir, _)| dir)
            .to_string();
        ProxySpec {
            cluster: cluster.to_string(),
            host: host.to_string(),
            lineage: lineage.to_string(),
            image: image.unwrap_or(DEFAULT_IMAGE).to_string(),
            host_dir,
        }
    }

    pub fn container_name(&self) -> String {
        format!(
            "ecsctl-haproxy-{}-{}",
            clean(&self.cluster),
            clean(&self.host)
        )
    }

    /// The admin socket on the host: dialled directly for a local host, forwarded over the
    /// host's SSH connection otherwise (as the Docker socket is).
    pub fn admin_socket(&self) -> PathBuf {
        PathBuf::from(&self.host_dir).join("admin.sock")
    }

    pub fn labels(&self) -> HashMap<String, String> {
        HashMap::from([
            (labels::CLUSTER.to_string(), self.cluster.clone()),
            (labels::LINEAGE.to_string(), self.lineage.clone()),
            (PROXY_LABEL.to_string(), "haproxy".to_string()),
        ])
    }

    /// The create request. Pure.
    pub fn create_body(&self) -> ContainerCreateBody {
        let cmd = [
            "-W",
            "-db",
            "-S",
            &format!("{RUN_DIR}/master.sock"),
            "-f",
            CONFIG_FILE,
        ]
        .map(String::from)
        .to_vec();
        ContainerCreateBody {
            image: Some(self.image.clone()),
            entrypoint: Some(vec!["haproxy".to_string()]),
            cmd: Some(cmd),
            user: Some("root".to_string()),
            labels: Some(self.labels()),
            host_config: Some(HostConfig {
                network_mode: Some("host".to_string()),
                restart_policy: Some(RestartPolicy {
                    name: Some(RestartPolicyNameEnum::UNLESS_STOPPED),
                    maximum_retry_count: None,
                }),
                binds: Some(vec![format!("{}:{RUN_DIR}", self.host_dir)]),
                ..HostConfig::default()
            }),
            ..ContainerCreateBody::default()
        }
    }
}

fn clean(part: &str) -> String {
    part.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_.-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// A tar archive holding `CONFIG_FILE` (relative to `/`), for the Docker archive API.
pub fn config_archive(config: &str) -> Result<Vec<u8>> {
    file_archive(CONFIG_FILE, config)
}

/// A tar archive of one file and its directory, paths relative to `/`.
fn file_archive(path: &str, content: &str) -> Result<Vec<u8>> {
    let (dir_path, _) = path.rsplit_once('/').unwrap_or(("", path));
    let mut builder = tar::Builder::new(Vec::new());
    let mut dir = tar::Header::new_gnu();
    dir.set_entry_type(tar::EntryType::Directory);
    dir.set_mode(0o755);
    dir.set_size(0);
    builder.append_data(&mut dir, dir_path.trim_start_matches('/'), std::io::empty())?;
    let mut file = tar::Header::new_gnu();
    file.set_mode(0o644);
    file.set_size(content.len() as u64);
    builder.append_data(&mut file, path.trim_start_matches('/'), content.as_bytes())?;
    Ok(builder.into_inner()?)
}

/// The config file the running proxy holds (`None` when it has none).
pub async fn read_config(host: &DockerHost, id: &str) -> Result<Option<String>> {
    use futures_util::TryStreamExt as _;
    let options = DownloadFromContainerOptionsBuilder::default()
        .path(CONFIG_FILE)
        .build();
    let download = host
        .docker()
        .download_from_container(id, Some(options))
        .try_fold(Vec::new(), |mut all, chunk| async move {
            all.extend_from_slice(&chunk);
            Ok(all)
        })
        .await;
    let archive = match download {
        Ok(bytes) => bytes,
        Err(e) if is_not_found(&e) => return Ok(None),
        Err(e) => {
            return Err(e)
                .with_context(|| format!("reading the proxy config on host `{}`", host.name));
        }
    };
    let mut reader = tar::Archive::new(archive.as_slice());
    for entry in reader.entries()? {
        let mut entry = entry?;
        if entry.header().entry_type().is_file() {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut entry, &mut text)?;
            return Ok(Some(text));
        }
    }
    Ok(None)
}

/// Writes the servers' states (`show servers state`) where the next process reads them
/// (`server-state-file`): a reload then keeps each target's health, not only its weight.
pub async fn write_server_state(host: &DockerHost, id: &str, state: &str) -> Result<()> {
    let archive = file_archive(&format!("{RUN_DIR}/server-state"), state)?;
    let options = UploadToContainerOptionsBuilder::default().path("/").build();
    host.docker()
        .upload_to_container(id, Some(options), bollard::body_full(archive.into()))
        .await
        .with_context(|| format!("saving the proxy's server state on host `{}`", host.name))
}

fn is_not_found(e: &bollard::errors::Error) -> bool {
    matches!(
        e,
        bollard::errors::Error::DockerResponseServerError {
            status_code: 404,
            ..
        }
    )
}

/// The proxy container as found on a host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    pub id: String,
    pub running: bool,
    /// Made from this spec (image, mounts): else it is re-created.
    pub current: bool,
}

impl Found {
    /// Running as specified: its Runtime API can be used.
    pub fn serving(&self) -> bool {
        self.running && self.current
    }
}

/// The proxy container; `None` when there is none. A container of that name without our
/// labels (or of another state) is refused, never touched.
pub async fn find(host: &DockerHost, spec: &ProxySpec) -> Result<Option<Found>> {
    let name = spec.container_name();
    match host.docker().inspect_container(&name, None).await {
        Ok(c) => {
            let binds = c.host_config.as_ref().and_then(|h| h.binds.clone());
            let image = c.config.as_ref().and_then(|c| c.image.clone());
            let wanted = spec.create_body();
            let current =
                image == wanted.image && binds == wanted.host_config.and_then(|h| h.binds);
            let l = c.config.and_then(|c| c.labels).unwrap_or_default();
            if l.get(labels::LINEAGE) != Some(&spec.lineage)
                || l.get(PROXY_LABEL).map(String::as_str) != Some("haproxy")
            {
                bail!(
                    "container `{name}` on host `{}` is not ecsctl's proxy for this state: left alone",
                    host.name
                );
            }
            let running = c.state.and_then(|s| s.running).unwrap_or(false);
            Ok(Some(Found {
                id: c.id.unwrap_or(name),
                running,
                current,
            }))
        }
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(e).with_context(|| format!("inspecting `{name}` on host `{}`", host.name)),
    }
}

/// Makes the proxy run with `config`: creates it when missing (config first, then start)
/// or made from another spec (another image or mounts: removed first), or rewrites the
/// config of the existing one (and starts it if stopped). A config change of a running proxy
/// takes effect on [`reload`]. Returns the container id.
pub async fn ensure(host: &DockerHost, spec: &ProxySpec, config: &str) -> Result<String> {
    let found = match find(host, spec).await? {
        Some(found) if !found.current => {
            remove(host, spec).await?;
            None
        }
        found => found,
    };
    let (id, running) = match found {
        Some(found) => (found.id, found.running),
        None => {
            let options = CreateContainerOptionsBuilder::default()
                .name(&spec.container_name())
                .build();
            let created = host
                .docker()
                .create_container(Some(options), spec.create_body())
                .await
                .with_context(|| {
                    format!(
                        "creating the proxy `{}` on host `{}`",
                        spec.container_name(),
                        host.name
                    )
                })?;
            (created.id, false)
        }
    };
    write_config(host, &id, config).await?;
    if !running {
        host.docker()
            .start_container(&id, None)
            .await
            .with_context(|| format!("starting the proxy on host `{}`", host.name))?;
    }
    Ok(id)
}

/// Uploads the whole config file into the container.
pub async fn write_config(host: &DockerHost, id: &str, config: &str) -> Result<()> {
    let archive = config_archive(config)?;
    let options = UploadToContainerOptionsBuilder::default().path("/").build();
    host.docker()
        .upload_to_container(id, Some(options), bollard::body_full(archive.into()))
        .await
        .with_context(|| format!("writing the proxy config on host `{}`", host.name))
}

/// A graceful reload (SIGUSR2 to the master): new workers read the file, old ones finish
/// their sessions. Servers added at runtime are gone afterwards: write the full config first.
pub async fn reload(host: &DockerHost, id: &str) -> Result<()> {
    let options = KillContainerOptionsBuilder::default()
        .signal("USR2")
        .build();
    host.docker()
        .kill_container(id, Some(options))
        .await
        .with_context(|| format!("reloading the proxy on host `{}`", host.name))
}

/// Removes the proxy (if it is ours).
pub async fn remove(host: &DockerHost, spec: &ProxySpec) -> Result<()> {
    let Some(Found { id, .. }) = find(host, spec).await? else {
        return Ok(());
    };
    let options = RemoveContainerOptionsBuilder::default().force(true).build();
    match host.docker().remove_container(&id, Some(options)).await {
        Ok(()) => Ok(()),
        Err(e) if is_not_found(&e) => Ok(()),
        Err(e) => Err(e).with_context(|| format!("removing the proxy on host `{}`", host.name)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_proxy_container_is_exact() {
        let spec = ProxySpec::new("production", "node-a", "lin-1", None);
        let body = serde_json::to_value(spec.create_body()).expect("json");
        assert_eq!(
            body,
            serde_json::json!({
                "Image": "haproxy:2.8",
                "Entrypoint": ["haproxy"],
                "Cmd": ["-W", "-db", "-S", "/run/ecsctl-haproxy/master.sock", "-f", "/etc/ecsctl-haproxy/haproxy.cfg"],
                "User": "root",
                "Labels": {
                    "ecsctl.cluster": "production",
                    "ecsctl.lineage": "lin-1",
                    "ecsctl.proxy": "haproxy"
                },
                "HostConfig": {
                    "NetworkMode": "host",
                    "RestartPolicy": { "Name": "unless-stopped" },
                    "Binds": ["/var/lib/ecsctl/haproxy/production/node-a:/run/ecsctl-haproxy"]
                }
            })
        );
        assert_eq!(spec.container_name(), "ecsctl-haproxy-production-node-a");
        assert_eq!(
            spec.admin_socket(),
            PathBuf::from("/var/lib/ecsctl/haproxy/production/node-a/admin.sock")
        );
    }

    #[test]
    fn the_config_archive_holds_the_file() {
        let archive = config_archive("global\n").expect("tar");
        let mut reader = tar::Archive::new(archive.as_slice());
        let names: Vec<String> = reader
            .entries()
            .expect("entries")
            .map(|e| {
                e.expect("entry")
                    .path()
                    .expect("path")
                    .display()
                    .to_string()
            })
            .collect();
        assert_eq!(
            names,
            ["etc/ecsctl-haproxy", "etc/ecsctl-haproxy/haproxy.cfg"]
        );
    }
}
