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
        }
    }

    pub fn status(&self, now: Timestamp, grace: Duration) -> HostStatus {
        match self.failing_since {
            Some(since) if now.since(since) >= grace => HostStatus::Unreachable,
            Some(_) if self.last_observation.is_none() => HostStatus::Unreachable,
            _ if self.draining => HostStatus::Draining,
            _ => HostStatus::Active,
        }
    }

    /// Registered capacity: the manifest's, else what Docker reports.
    pub fn capacity(&self) -> (i64, i64) {
        let configured = self.spec.capacity.as_ref();
        let cpu = configured
            .and_then(|c| c.cpu)
            .or_else(|| self.info.as_ref().map(|i| i.cpus * 1024))
            .unwrap_or(0);
        let memory = configured
            .and_then(|c| c.memory)
            .or_else(|| self.info.as_ref().map(|i| i.memory_mib))
            .unwrap_or(0);
        (cpu, memory)
    }

    pub fn scheduling_view(&self, now: Timestamp, grace: Duration) -> SchedHost {
        let (cpu, memory) = self.capacity();
        SchedHost {
            name: self.name.clone(),
            attributes: self.spec.attributes.clone(),
            status: self.status(now, grace),
            cpu,
            memory,
        }
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

/// Connects to a host. SSH endpoints go through the SSH transport (one connection per host).
pub async fn connect(
    slot: &HostSlot,
    transport: &dyn Transport,
) -> Result<(Arc<DockerHost>, HostInfo)> {
    let endpoint = match &slot.endpoint {
        Ok(e) => e.clone(),
        Err(e) => bail!("host `{}`: {e}", slot.name),
    };
    let host = match &endpoint {
        Endpoint::Local => DockerHost::local(&slot.name).await?,
        Endpoint::Unix { path } => DockerHost::unix(&slot.name, path).await?,
        Endpoint::Ssh { .. } => {
            let socket = transport
                .socket(&slot.name, &endpoint, slot.spec.docker_socket.as_deref())
                .await?;
            DockerHost::unix(&slot.name, &socket).await?
        }
    };
    let info = host.info().await?;
    Ok((Arc::new(host), info))
}

pub type Slots = BTreeMap<String, HostSlot>;
