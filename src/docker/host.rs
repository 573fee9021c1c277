//! One Docker host: a bollard client over a unix socket (the local daemon, or a socket that
//! the SSH transport forwards), and the operations the controller needs. Every call is
//! bounded in time; a slow host never blocks the others (the controller drives hosts in
//! parallel).

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::Duration;

use anyhow::{Context as _, Result, anyhow};
use bollard::Docker;
use bollard::models::ContainerInspectResponse;
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, EventsOptionsBuilder, ListContainersOptionsBuilder,
    ListVolumesOptionsBuilder, RemoveContainerOptionsBuilder, RemoveVolumeOptionsBuilder,
    StopContainerOptionsBuilder, TopOptionsBuilder,
};
use futures_util::{Stream, StreamExt};

use super::container_spec::{self, TaskContext};
pub use super::error::{LaunchError, docker_message};
use super::observe::{self, Facts, Foreign};
use super::{labels, pause, pull};
use crate::model::ecs::{LaunchType, NetworkMode, Scope};
use crate::reconcile::drift::{LiveConfig, PortHolder};
use crate::reconcile::task::ObservedTask;

/// How long ordinary calls may take; stops get the container's stop timeout on top.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// A task cgroup result, borrowed for a [`TaskContext`].
fn borrowed(cgroup: &Option<Result<String, String>>) -> Option<Result<&str, &str>> {
    cgroup
        .as_ref()
        .map(|r| r.as_deref().map_err(String::as_str))
}

/// What `docker info` says about the host's capacity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostInfo {
    pub cpus: i64,
    pub memory_mib: i64,
    pub architecture: String,
    pub server_version: String,
}

/// What one observation of a host found.
#[derive(Debug, Default)]
pub struct Observation {
    pub tasks: Vec<ObservedTask>,
    pub foreign: Vec<Foreign>,
    /// The inspected configuration of this cluster's containers, by Docker id.
    pub configs: BTreeMap<String, LiveConfig>,
    /// Containers that are not this state's and publish host ports (drift: a foreign
    /// container on a port of ours).
    pub port_holders: Vec<PortHolder>,
}

pub struct DockerHost {
    pub name: String,
    docker: Docker,
    /// Inspect results by container id, with the (state, status) they were taken at: a
    /// container is inspected again only when Docker reports a change.
    inspected: Mutex<HashMap<String, (String, Facts)>>,
    /// Image pulls in flight and done, shared by the tasks launched here.
    pulls: pull::Pulls,
}

impl DockerHost {
    /// The daemon `DOCKER_HOST` names, or the default socket.
    pub async fn local(name: &str) -> Result<Self> {
        let docker =
            Docker::connect_with_defaults().context("connecting to the local Docker daemon")?;
        Self::ready(name, docker).await
    }

    pub async fn unix(name: &str, socket: &str) -> Result<Self> {
        let docker =
            Docker::connect_with_unix(socket, CALL_TIMEOUT.as_secs(), bollard::API_DEFAULT_VERSION)
                .with_context(|| format!("connecting to the Docker socket `{socket}`"))?;
        Self::ready(name, docker).await
    }

    async fn ready(name: &str, docker: Docker) -> Result<Self> {
        let docker = tokio::time::timeout(CALL_TIMEOUT, docker.negotiate_version())
            .await
            .map_err(|_| anyhow!("the Docker daemon of host `{name}` did not answer"))?
            .with_context(|| format!("the Docker daemon of host `{name}` did not answer"))?
            .with_timeout(CALL_TIMEOUT);
        Ok(DockerHost {
            name: name.to_string(),
            docker,
            inspected: Mutex::new(HashMap::new()),
            pulls: pull::Pulls::default(),
        })
    }

    pub fn docker(&self) -> &Docker {
        &self.docker
    }

    pub async fn info(&self) -> Result<HostInfo> {
        let info = self.docker.info().await.context("docker info")?;
        Ok(HostInfo {
            cpus: info.ncpu.unwrap_or(1),
            memory_mib: info.mem_total.unwrap_or(0) / (1024 * 1024),
            architecture: info.architecture.unwrap_or_default(),
            server_version: info.server_version.unwrap_or_default(),
        })
    }

    fn cluster_filter(cluster: &str) -> HashMap<String, Vec<String>> {
        let mut filters = HashMap::new();
        filters.insert(
            "label".to_string(),
            vec![format!("{}={cluster}", labels::CLUSTER)],
        );
        filters
    }

    /// Every task of `cluster` on this host (running or stopped), rebuilt from labels.
    pub async fn observe(&self, cluster: &str, lineage: &str) -> Result<Observation> {
        let options = ListContainersOptionsBuilder::default()
            .all(true)
            .filters(&Self::cluster_filter(cluster))
            .build();
        let summaries = self
            .docker
            .list_containers(Some(options))
            .await
            .context("listing containers")?;
        let mut fresh = Vec::new();
        let mut stale = Vec::new();
        {
            let cache = self
                .inspected
                .lock()
                .map_err(|_| anyhow!("inspect cache poisoned"))?;
            for summary in &summaries {
                let Some(id) = summary.id.clone() else {
                    continue;
                };
                let key = format!(
                    "{:?}|{}",
                    summary.state,
                    health_marker(summary.status.as_deref())
                );
                match cache.get(&id) {
                    Some((cached, facts)) if *cached == key => fresh.push(facts.clone()),
                    _ => stale.push((id, key)),
                }
            }
        }
        let inspected =
            futures_util::future::join_all(stale.iter().map(|(id, _)| self.inspect(id))).await;
        {
            let mut cache = self
                .inspected
                .lock()
                .map_err(|_| anyhow!("inspect cache poisoned"))?;
            for ((id, key), result) in stale.into_iter().zip(inspected) {
                // A container removed between the list and the inspect is simply gone.
                if let Ok(Some(inspect)) = result
                    && let Some(facts) = observe::facts(&inspect)
                {
                    cache.insert(id, (key, facts.clone()));
                    fresh.push(facts);
                }
            }
            let listed: std::collections::HashSet<&str> =
                summaries.iter().filter_map(|s| s.id.as_deref()).collect();
            cache.retain(|id, _| listed.contains(id.as_str()));
            // A rollout's peak of containers leaves its buckets behind: give them back.
            cache.shrink_to(listed.len() * 2);
        }
        let configs = fresh
            .iter()
            .map(|f| (f.container.docker_id.clone(), f.config.clone()))
            .collect();
        let (tasks, foreign) = observe::tasks(&self.name, lineage, fresh);
        let port_holders = self.port_holders(lineage).await?;
        Ok(Observation {
            tasks,
            foreign,
            configs,
            port_holders,
        })
    }

    /// Running containers of no state of ours (no lineage label, or another one) that
    /// publish host ports, from the container list alone (no inspect).
    async fn port_holders(&self, lineage: &str) -> Result<Vec<PortHolder>> {
        let options = ListContainersOptionsBuilder::default().all(false).build();
        let summaries = self
            .docker
            .list_containers(Some(options))
            .await
            .context("listing containers")?;
        let mut holders = Vec::new();
        for s in summaries {
            let ours = s
                .labels
                .as_ref()
                .and_then(|l| l.get(labels::LINEAGE))
                .is_some_and(|l| l == lineage);
            let mut ports: Vec<u16> = s
                .ports
                .iter()
                .flatten()
                .filter_map(|p| p.public_port)
                .collect();
            ports.sort_unstable();
            ports.dedup();
            if ours || ports.is_empty() {
                continue;
            }
            let name = s
                .names
                .as_ref()
                .and_then(|n| n.first())
                .map(|n| n.trim_start_matches('/').to_string())
                .unwrap_or_else(|| s.id.clone().unwrap_or_default());
            holders.push(PortHolder {
                host: self.name.clone(),
                container: name,
                ports,
            });
        }
        holders.sort_by(|a, b| a.container.cmp(&b.container));
        Ok(holders)
    }

    async fn inspect(&self, id: &str) -> Result<Option<ContainerInspectResponse>> {
        match self.docker.inspect_container(id, None).await {
            Ok(inspect) => Ok(Some(inspect)),
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => Ok(None),
            Err(e) => Err(e).with_context(|| format!("inspecting container {id}")),
        }
    }

    /// Forgets what is known about a container so the next observation inspects it again.
    pub fn invalidate(&self, id: &str) {
        if let Ok(mut cache) = self.inspected.lock() {
            cache.remove(id);
        }
    }

    /// Records an exit announced by a `die` event. Docker announces it before its container
    /// list shows it (and an inspect would wait for the daemon's cleanup), so the next
    /// observation takes the event's word until the list catches up.
    pub fn note_exit(&self, id: &str, exit_code: Option<i64>, at: crate::time::Timestamp) {
        if let Ok(mut cache) = self.inspected.lock()
            && let Some((_, facts)) = cache.get_mut(id)
        {
            let container = &mut facts.container;
            container.state = crate::reconcile::task::ContainerState::Exited;
            container.exit_code = exit_code;
            container.finished_at = Some(at);
        }
    }

    /// Applies what a Docker event says to the inspect cache.
    pub fn note_event(&self, event: &ContainerEvent) {
        match event.action.as_str() {
            "die" => self.note_exit(&event.container, event.exit_code, event.time),
            "kill" | "create" | "stop" => {}
            _ => self.invalidate(&event.container),
        }
    }

    /// Creates the task's containers (and its network holder and volumes), then starts the
    /// ones that depend on nothing. On failure nothing of the task is left behind.
    pub async fn launch(
        &self,
        ctx: &TaskContext<'_>,
        architecture: &str,
    ) -> Result<Vec<String>, LaunchError> {
        let result = self.create_task(ctx, architecture).await;
        if result.is_err() {
            let _ = self.remove_task_containers(ctx.task_id, ctx.cluster).await;
        }
        result
    }

    async fn create_task(
        &self,
        ctx: &TaskContext<'_>,
        architecture: &str,
    ) -> Result<Vec<String>, LaunchError> {
        for definition in &ctx.spec.container_definitions {
            if let Some(image) = definition.image.as_deref() {
                pull::ensure(
                    &self.docker,
                    &self.name,
                    &self.pulls,
                    image,
                    ctx.registry_auth.get(image),
                    ctx.pull_behavior,
                )
                .await?;
            }
        }
        self.create_volumes(ctx).await?;
        let mut created = Vec::new();
        // A Fargate task's cgroup: the pause container's, once it runs (see `cgroup`).
        let mut task_cgroup: Option<Result<String, String>> = None;
        if ctx.launch_type == LaunchType::Fargate {
            task_cgroup = self.task_cgroup_support(ctx).await.err().map(Err);
        }
        if ctx.network_mode() == NetworkMode::Awsvpc {
            pause::ensure(&self.docker, architecture)
                .await
                .map_err(|e| LaunchError(format!("TaskNetworkError: {e:#}")))?;
            let pause_ctx = TaskContext {
                task_cgroup: borrowed(&task_cgroup),
                ..*ctx
            };
            let id = self
                .create(&ctx.pause_name(), container_spec::pause(&pause_ctx))
                .await?;
            if pause_ctx.task_wide_limits() {
                task_cgroup = Some(self.pause_cgroup(&id).await);
            }
            created.push(id);
        }
        if let Some(Err(reason)) = &task_cgroup {
            tracing::info!(host = %self.name, task = ctx.task_id, "the Fargate task gets per-container limits: {reason}");
        }
        let ctx = &TaskContext {
            task_cgroup: borrowed(&task_cgroup),
            ..*ctx
        };
        // Containers that others link to or take volumes from must exist first.
        for name in crate::reconcile::task::start_order(ctx.spec) {
            let Some(definition) = ctx
                .spec
                .container_definitions
                .iter()
                .find(|d| d.name.as_deref() == Some(name))
            else {
                continue;
            };
            let id = self
                .create(
                    &ctx.docker_name(name),
                    container_spec::container(ctx, definition),
                )
                .await?;
            created.push(id);
        }
        Ok(created)
    }

    /// Whether this host can bound a Fargate task as a whole (see [`super::cgroup`]).
    async fn task_cgroup_support(&self, ctx: &TaskContext<'_>) -> Result<(), String> {
        if ctx.network_mode() != NetworkMode::Awsvpc {
            return Err("the task has no pause container to hold its limits (its network mode is not awsvpc)".into());
        }
        if crate::model::effective::task_memory(ctx.spec).is_none() {
            return Err("the task definition sets no task-level memory".into());
        }
        let info = tokio::time::timeout(CALL_TIMEOUT, self.docker.info())
            .await
            .map_err(|_| "docker info did not answer".to_string())?
            .map_err(|e| format!("docker info: {}", docker_message(&e)))?;
        let text = |v: Option<String>| v.filter(|v| !v.is_empty());
        super::cgroup::support(
            text(info.cgroup_driver.map(|d| d.to_string())).as_deref(),
            text(info.cgroup_version.map(|v| v.to_string())).as_deref(),
        )
    }

    /// Starts the pause container and reads its cgroup path, as the host sees it, from the
    /// `ps` that Docker's top runs on the host.
    async fn pause_cgroup(&self, id: &str) -> Result<String, String> {
        self.docker
            .start_container(id, None)
            .await
            .map_err(|e| format!("starting the pause container: {}", docker_message(&e)))?;
        let options = TopOptionsBuilder::default()
            .ps_args("-o pid,cgroup")
            .build();
        let top = tokio::time::timeout(CALL_TIMEOUT, self.docker.top_processes(id, Some(options)))
            .await
            .map_err(|_| "docker top did not answer".to_string())?
            .map_err(|e| {
                format!(
                    "reading the pause container's cgroup (docker top runs `ps` on the host): {}",
                    docker_message(&e)
                )
            })?;
        let column = top
            .titles
            .unwrap_or_default()
            .iter()
            .position(|t| t.eq_ignore_ascii_case("cgroup"));
        column
            .and_then(|i| {
                top.processes
                    .unwrap_or_default()
                    .first()
                    .and_then(|p| p.get(i).cloned())
            })
            .and_then(|text| super::cgroup::path_from_ps(&text))
            .ok_or_else(|| "the host's `ps` did not show the pause container's cgroup".to_string())
    }

    async fn create(
        &self,
        name: &str,
        mut body: bollard::models::ContainerCreateBody,
    ) -> Result<String, LaunchError> {
        body.labels
            .get_or_insert_with(HashMap::new)
            .insert(labels::HOST.into(), self.name.clone());
        let options = CreateContainerOptionsBuilder::default().name(name).build();
        self.docker
            .create_container(Some(options), body)
            .await
            .map(|r| r.id)
            .map_err(|e| {
                LaunchError(format!(
                    "CannotCreateContainerError: {}",
                    docker_message(&e)
                ))
            })
    }

    /// Task-scoped volumes are created for the task (and removed with it); shared ones with
    /// `autoprovision` are created when missing.
    async fn create_volumes(&self, ctx: &TaskContext<'_>) -> Result<(), LaunchError> {
        for volume in &ctx.spec.volumes {
            if volume
                .host
                .as_ref()
                .is_some_and(|h| h.source_path.is_some())
            {
                continue;
            }
            let config = volume.docker_volume_configuration.as_ref();
            let shared = config.is_some_and(|c| c.scope == Some(Scope::Shared));
            let name = container_spec::volume_source(ctx, volume);
            if shared && self.docker.inspect_volume(&name).await.is_ok() {
                continue;
            }
            if shared && config.is_some_and(|c| c.autoprovision != Some(true)) {
                return Err(LaunchError(format!(
                    "ResourceInitializationError: shared volume `{name}` does not exist and autoprovision is off"
                )));
            }
            let mut volume_labels: HashMap<String, String> = config
                .map(|c| {
                    c.labels
                        .iter()
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect()
                })
                .unwrap_or_default();
            if !shared {
                volume_labels.insert(labels::VOLUME_TASK.into(), ctx.task_id.into());
                volume_labels.insert(labels::CLUSTER.into(), ctx.cluster.into());
            }
            let request = bollard::models::VolumeCreateRequest {
                name: Some(name.clone()),
                driver: config.and_then(|c| c.driver.clone()),
                driver_opts: config.map(|c| {
                    c.driver_opts
                        .iter()
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect()
                }),
                labels: Some(volume_labels),
                ..Default::default()
            };
            self.docker.create_volume(request).await.map_err(|e| {
                LaunchError(format!(
                    "ResourceInitializationError: volume `{name}`: {}",
                    docker_message(&e)
                ))
            })?;
        }
        Ok(())
    }

    /// Starts a created container. A failure to start is recorded by Docker on the container
    /// (State.Error) and seen by the next observation, so it is not an error here.
    pub async fn start(&self, id: &str) -> Result<()> {
        self.invalidate(id);
        match self.docker.start_container(id, None).await {
            Ok(()) => Ok(()),
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => Ok(()),
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 500 | 400,
                message,
            }) => {
                tracing::debug!(host = %self.name, container = id, "start failed: {message}");
                Ok(())
            }
            Err(e) => Err(e).with_context(|| format!("starting container {id}")),
        }
    }

    /// Stops a container with its own stop timeout (SIGTERM, then SIGKILL).
    pub async fn stop(&self, id: &str, timeout: Duration) -> Result<()> {
        self.invalidate(id);
        let options = StopContainerOptionsBuilder::default()
            .t(timeout.as_secs() as i32)
            .build();
        let client = self.docker.clone().with_timeout(timeout + CALL_TIMEOUT);
        match client.stop_container(id, Some(options)).await {
            Ok(()) => Ok(()),
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 304 | 404,
                ..
            }) => Ok(()),
            Err(e) => Err(e).with_context(|| format!("stopping container {id}")),
        }
    }

    /// Removes every container of a task, and its task-scoped volumes.
    pub async fn remove_task_containers(&self, task_id: &str, cluster: &str) -> Result<()> {
        let mut filters = HashMap::new();
        filters.insert(
            "label".to_string(),
            vec![
                format!("{}={cluster}", labels::CLUSTER),
                format!("{}={task_id}", labels::TASK),
            ],
        );
        let options = ListContainersOptionsBuilder::default()
            .all(true)
            .filters(&filters)
            .build();
        let containers = self
            .docker
            .list_containers(Some(options))
            .await
            .context("listing containers")?;
        // The pause container last: a Fargate task's containers nest in its cgroup, which
        // runc removes only once they are gone.
        let mut containers = containers;
        containers.sort_by_key(|c| {
            c.labels
                .as_ref()
                .is_some_and(|l| l.contains_key(labels::PAUSE))
        });
        for container in containers {
            let Some(id) = container.id else { continue };
            self.invalidate(&id);
            let options = RemoveContainerOptionsBuilder::default()
                .force(true)
                .v(true)
                .build();
            match self.docker.remove_container(&id, Some(options)).await {
                Ok(())
                | Err(bollard::errors::Error::DockerResponseServerError {
                    status_code: 404, ..
                }) => {}
                Err(e) => return Err(e).with_context(|| format!("removing container {id}")),
            }
        }
        let mut filters = HashMap::new();
        filters.insert(
            "label".to_string(),
            vec![format!("{}={task_id}", labels::VOLUME_TASK)],
        );
        let volumes = self
            .docker
            .list_volumes(Some(
                ListVolumesOptionsBuilder::default()
                    .filters(&filters)
                    .build(),
            ))
            .await
            .context("listing volumes")?;
        for volume in volumes.volumes.unwrap_or_default() {
            let _ = self
                .docker
                .remove_volume(
                    &volume.name,
                    Some(RemoveVolumeOptionsBuilder::default().force(true).build()),
                )
                .await;
        }
        Ok(())
    }

    /// Docker events about this cluster's containers: a nudge to look again.
    pub fn events(&self, cluster: &str) -> impl Stream<Item = Result<ContainerEvent>> + use<> {
        let mut filters = Self::cluster_filter(cluster);
        filters.insert("type".to_string(), vec!["container".to_string()]);
        filters.insert(
            "event".to_string(),
            [
                "create",
                "start",
                "die",
                "oom",
                "health_status",
                "destroy",
                "kill",
                "stop",
                // `docker update` changes limits without changing the state: looked at
                // again for drift.
                "update",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        );
        let options = EventsOptionsBuilder::default().filters(&filters).build();
        let docker = self
            .docker
            .clone()
            .with_timeout(Duration::from_secs(365 * 24 * 3600));
        docker.events(Some(options)).map(|event| {
            let event = event.context("reading Docker events")?;
            let attributes = event
                .actor
                .as_ref()
                .and_then(|a| a.attributes.clone())
                .unwrap_or_default();
            Ok(ContainerEvent {
                action: event.action.unwrap_or_default(),
                container: event.actor.and_then(|a| a.id).unwrap_or_default(),
                exit_code: attributes.get("exitCode").and_then(|c| c.parse().ok()),
                time: event.time_nano.map_or_else(
                    crate::time::Timestamp::now,
                    crate::time::Timestamp::from_unix_nanos,
                ),
            })
        })
    }
}

/// A Docker event of one of the cluster's containers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContainerEvent {
    pub action: String,
    pub container: String,
    pub exit_code: Option<i64>,
    pub time: crate::time::Timestamp,
}

/// `(healthy)`, `(unhealthy)` or `(health: starting)` in a container list status.
fn health_marker(status: Option<&str>) -> &'static str {
    let status = status.unwrap_or("");
    if status.contains("(healthy)") {
        "healthy"
    } else if status.contains("(unhealthy)") {
        "unhealthy"
    } else if status.contains("starting") {
        "starting"
    } else {
        ""
    }
}

/// Docker's own words for a missing daemon are long; say which host.
pub fn unreachable(host: &str, error: &anyhow::Error) -> String {
    format!("host `{host}` is unreachable: {error:#}")
}

/// Order-stable map of host name → value.
pub type PerHost<T> = BTreeMap<String, T>;
