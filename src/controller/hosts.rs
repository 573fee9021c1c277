//! The hosts of a cluster as the controller keeps them: a connection (made lazily, remade
//! after failures), capacity, and reachability. A host that stops answering keeps its last
//! observation for the grace period (its tasks are not replaced because of one slow answer),
//! then becomes UNREACHABLE and its tasks count as lost.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Result, bail};

use crate::docker::transport::Transport;

use crate::docker::host::{DockerHost, HostInfo, Observation};
use crate::model::cluster::{Endpoint, HostSpec};
use crate::reconcile::service::{HostInfo as SchedHost, HostStatus};
use crate::time::Timestamp;

/// A host's status, the one definition: UNREACHABLE once it has failed for `grace` (or
/// failed before it was ever observed), else DRAINING when drained, else ACTIVE. A one-off
/// observation (`get hosts`) passes `failing_since: Some(now)` and `observed: false` for a
/// host that did not answer.
pub fn status(
    failing_since: Option<Timestamp>,
    observed: bool,
    draining: bool,
    now: Timestamp,
    grace: Duration,
) -> HostStatus {
    match failing_since {
        Some(since) if now.since(since) >= grace => HostStatus::Unreachable,
        Some(_) if !observed => HostStatus::Unreachable,
        _ if draining => HostStatus::Draining,
        _ => HostStatus::Active,
    }
}

/// ECS's name of a status (`ACTIVE`, `DRAINING`, `UNREACHABLE`).
pub fn status_name(status: HostStatus) -> &'static str {
    match status {
        HostStatus::Active => "ACTIVE",
        HostStatus::Draining => "DRAINING",
        HostStatus::Unreachable => "UNREACHABLE",
    }
}

/// A host's registered capacity (cpu units, MiB), the one definition: the manifest's, else
/// what Docker reports (1024 units per core); None when neither says.
pub fn capacity(spec: &HostSpec, info: Option<&HostInfo>) -> (Option<i64>, Option<i64>) {
    let configured = spec.capacity.as_ref();
    let cpu = configured
        .and_then(|c| c.cpu)
        .or_else(|| info.map(|i| i.cpus * 1024));
    let memory = configured
        .and_then(|c| c.memory)
        .or_else(|| info.map(|i| i.memory_mib));
    (cpu, memory)
}

/// The scheduling view of a host (what placement sees), the one definition.
pub fn scheduling_view(spec: &HostSpec, info: Option<&HostInfo>, status: HostStatus) -> SchedHost {
    let (cpu, memory) = capacity(spec, info);
    SchedHost {
        name: spec.name.clone().unwrap_or_default(),
        attributes: spec.attributes.clone(),
        status,
        cpu: cpu.unwrap_or(0),
        memory: memory.unwrap_or(0),
    }
}

pub struct HostSlot {
    pub name: String,
    pub spec: HostSpec,
    pub endpoint: Result<Endpoint, String>,
    pub conn: Option<Arc<DockerHost>>,
    pub info: Option<HostInfo>,
    pub last_contact: Option<Timestamp>,
    pub failing_since: Option<Timestamp>,
    pub last_error: Option<String>,
    pub last_observation: Option<Arc<Observation>>,
    pub draining: bool,
    /// The local path of the host's proxy Runtime API socket (forwarded for SSH hosts).
    pub proxy_admin: Option<String>,
}

impl HostSlot {
    pub fn new(spec: HostSpec) -> Self {
        let name = spec.name.clone().unwrap_or_default();
        let endpoint = Endpoint::parse(spec.endpoint.as_deref().unwrap_or("local"));
        HostSlot {
            name,
            spec,
            endpoint,
            conn: None,
            info: None,
            last_contact: None,
            failing_since: None,
            last_error: None,
            last_observation: None,
            draining: false,
            proxy_admin: None,
        }
    }

    pub fn status(&self, now: Timestamp, grace: Duration) -> HostStatus {
        status(
            self.failing_since,
            self.last_observation.is_some(),
            self.draining,
            now,
            grace,
        )
    }

    /// Registered capacity: the manifest's, else what Docker reports.
    pub fn capacity(&self) -> (i64, i64) {
        let (cpu, memory) = capacity(&self.spec, self.info.as_ref());
        (cpu.unwrap_or(0), memory.unwrap_or(0))
    }

    pub fn scheduling_view(&self, now: Timestamp, grace: Duration) -> SchedHost {
        let mut view = scheduling_view(&self.spec, self.info.as_ref(), self.status(now, grace));
        view.name = self.name.clone();
        view
    }

    pub fn mark_ok(&mut self, now: Timestamp, observation: Observation) {
        self.failing_since = None;
        self.last_error = None;
        self.last_contact = Some(now);
        self.last_observation = Some(Arc::new(observation));
    }

    pub fn mark_failed(&mut self, now: Timestamp, error: String) {
        self.failing_since.get_or_insert(now);
        self.last_error = Some(error);
        // The connection may be the problem: make a new one next time.
        self.conn = None;
    }
}

/// A connected host: Docker, what it reports, and where its proxy's Runtime API is reached.
pub struct Connection {
    pub docker: Arc<DockerHost>,
    pub info: HostInfo,
    pub proxy_admin: String,
}

/// Connects to a host. SSH endpoints go through the SSH transport (one connection per host,
/// which also forwards the proxy's socket); local ones reach that socket directly.
pub async fn connect(
    cluster: &str,
    slot: &HostSlot,
    transport: &dyn Transport,
) -> Result<Connection> {
    let endpoint = match &slot.endpoint {
        Ok(e) => e.clone(),
        Err(e) => bail!("host `{}`: {e}", slot.name),
    };
    let direct = crate::docker::transport::proxy_admin_socket(cluster, &slot.name);
    let (host, proxy_admin) = match &endpoint {
        Endpoint::Local => (DockerHost::local(&slot.name).await?, direct),
        Endpoint::Unix { path } => (DockerHost::unix(&slot.name, path).await?, direct),
        Endpoint::Ssh { .. } => {
            let forwarded = transport
                .socket(
                    &slot.name,
                    &endpoint,
                    slot.spec.docker_socket.as_deref(),
                    &direct,
                )
                .await?;
            (
                DockerHost::unix(&slot.name, &forwarded.docker).await?,
                forwarded.proxy_admin,
            )
        }
    };
    let info = host.info().await?;
    Ok(Connection {
        docker: Arc::new(host),
        info,
        proxy_admin,
    })
}

/// The address a host's targets are reached on: the manifest's `address`, else the SSH
/// endpoint's host, else the loopback (a local daemon).
pub fn target_address(spec: &HostSpec, endpoint: Option<&Endpoint>) -> String {
    if let Some(address) = spec.address.as_deref().filter(|a| !a.is_empty()) {
        return address.to_string();
    }
    match endpoint {
        Some(Endpoint::Ssh { host, .. }) => host.clone(),
        _ => "127.0.0.1".to_string(),
    }
}

pub type Slots = BTreeMap<String, HostSlot>;
