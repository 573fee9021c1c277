//! The reconciler's traffic side, carried out: it reads each load-balancer host's proxy
//! (`show stat` through its Runtime API socket) for the pure [`traffic::decide`], then makes
//! the proxy what was decided: created with the whole config when missing or stopped, the
//! runtime changes applied, the config file rewritten when it changed (so a restart or a
//! re-created proxy keeps every target), and a graceful reload only when listeners, rules
//! or target-group settings changed.
//!
//! [`traffic::decide`]: crate::reconcile::traffic::decide

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use anyhow::{Context as _, Result};

use crate::docker::host::DockerHost;
use crate::model::effective::traffic::EffectiveTargetGroup;
use crate::model::traffic::{LoadBalancerSpec, TargetGroupSpec};
use crate::proxy::client::RuntimeClient;
use crate::proxy::container::{self as proxy, ProxySpec};
use crate::reconcile::traffic::{ProxyPlan, ProxyView, RuntimeOp, ServerKey};
use crate::state::State;
use crate::time::Timestamp;
use crate::traffic::config::{backend_name, render, skeleton_of};
use crate::traffic::runtime::SHOW_SERVERS_STATE;

/// How long `del server` is retried while connections remain, within one pass.
const DELETE_WAIT: Duration = Duration::from_secs(2);

/// The cluster's load balancers and target groups, as the state has them.
#[derive(Clone, Debug, Default)]
pub struct TrafficObjects {
    pub load_balancers: BTreeMap<String, LoadBalancerSpec>,
    pub target_groups: BTreeMap<String, TargetGroupSpec>,
    /// Service Connect's registrations, by service.
    pub registrations: BTreeMap<String, Vec<crate::model::ecs::LoadBalancer>>,
    /// Service Connect's names each service's tasks resolve to their host.
    pub aliases: BTreeMap<String, Vec<String>>,
}

impl TrafficObjects {
    /// The cluster's load balancers and target groups, and those Service Connect implies.
    pub fn of(state: &State, cluster: &str) -> Self {
        let mut load_balancers = specs(state.load_balancers.get(cluster));
        let mut target_groups = specs(state.target_groups.get(cluster));
        let empty = BTreeMap::new();
        let services = state.services.get(cluster).unwrap_or(&empty);
        let spec_of = |r: &crate::model::names::TaskDefRef| state.revision(r).map(|rev| &rev.spec);
        let connect = crate::reconcile::traffic::connect::derive(services, &spec_of);
        load_balancers.extend(connect.load_balancers);
        target_groups.extend(connect.target_groups);
        TrafficObjects {
            load_balancers,
            target_groups,
            registrations: connect.registrations,
            aliases: connect.aliases,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.load_balancers.is_empty()
    }

    /// The proxy image: the first load balancer (by name) that names one, else
    /// `ECSCTL_PROXY_IMAGE` (hosts without a registry, Service Connect alone), else the
    /// default.
    pub fn image(&self) -> Option<String> {
        self.load_balancers
            .values()
            .find_map(|lb| lb.image.clone())
            .or_else(|| {
                std::env::var("ECSCTL_PROXY_IMAGE")
                    .ok()
                    .filter(|i| !i.is_empty())
            })
    }
}

fn specs<T: Clone>(
    records: Option<&BTreeMap<String, crate::state::ObjectRecord<T>>>,
) -> BTreeMap<String, T> {
    records
        .map(|m| {
            m.iter()
                .map(|(name, r)| (name.clone(), r.spec.clone()))
                .collect()
        })
        .unwrap_or_default()
}

/// What the reconciler remembers between passes about its proxies.
#[derive(Clone, Debug, Default)]
pub struct TrafficMemory {
    pub draining_since: BTreeMap<ServerKey, Timestamp>,
    pub held: BTreeSet<String>,
    /// By host: the config text last written, and its skeleton (what a reload is for).
    pub written: BTreeMap<String, (String, String)>,
    /// Hosts known to carry no proxy of this cluster (checked once, not every pass).
    pub without_proxy: BTreeSet<String>,
}

/// Reads one proxy: whether it runs, and its servers by (target group, server).
pub async fn observe(
    host: &DockerHost,
    spec: &ProxySpec,
    admin_socket: &str,
    target_groups: &BTreeMap<String, TargetGroupSpec>,
) -> Result<ProxyView> {
    let serving = proxy::find(host, spec).await?.is_some_and(|f| f.serving());
    if !serving {
        return Ok(ProxyView::default());
    }
    let by_backend: BTreeMap<String, &String> = target_groups
        .keys()
        .map(|name| (backend_name(name), name))
        .collect();
    let stats = RuntimeClient::new(admin_socket)
        .stats()
        .await
        .with_context(|| format!("reading the proxy on host `{}`", host.name))?;
    let servers = stats
        .into_iter()
        .filter_map(|((backend, server), stat)| {
            let group = by_backend.get(&backend)?;
            Some((((*group).clone(), server), stat))
        })
        .collect();
    Ok(ProxyView {
        running: true,
        servers,
    })
}

/// Makes one host's proxy what `plan` says. `reached`: its servers were read this pass
/// (runtime changes are only made against what was seen). Errors are per step: one that
/// fails does not stop the rest; all are returned.
pub async fn carry_out(
    host: &DockerHost,
    spec: &ProxySpec,
    admin_socket: &str,
    plan: &ProxyPlan,
    target_groups: &BTreeMap<String, TargetGroupSpec>,
    written: Option<&(String, String)>,
) -> (Option<(String, String)>, Vec<String>) {
    let text = render(&plan.config);
    let skeleton = plan.config.skeleton();
    let mut errors = Vec::new();
    let serving = match proxy::find(host, spec).await {
        Ok(found) => found.is_some_and(|f| f.serving()),
        Err(e) => return (written.cloned(), vec![format!("{e:#}")]),
    };
    if !serving {
        // Created (or started) with the whole config: every target is in it.
        return match proxy::ensure(host, spec, &text).await {
            Ok(_) => (Some((text, skeleton)), errors),
            Err(e) => (written.cloned(), vec![format!("{e:#}")]),
        };
    }
    let id = spec.container_name();
    // A controller that just started reads what the proxy holds: no reload for nothing.
    let read;
    let written = match written {
        Some(w) => Some(w),
        None => {
            read = proxy::read_config(host, &id)
                .await
                .ok()
                .flatten()
                .map(|text| {
                    let skeleton = skeleton_of(&text);
                    (text, skeleton)
                });
            read.as_ref()
        }
    };
    let client = RuntimeClient::new(admin_socket);
    for op in &plan.ops {
        if let Err(e) = apply(&client, op, target_groups).await {
            errors.push(format!("host `{}`: {e:#}", host.name));
        }
    }
    if written.map(|(t, _)| t) == Some(&text) {
        return (written.cloned(), errors);
    }
    if let Err(e) = proxy::write_config(host, &id, &text).await {
        errors.push(format!("{e:#}"));
        return (written.cloned(), errors);
    }
    if written.map(|(_, s)| s) != Some(&skeleton) {
        // The servers' health goes to the next process too (else every target restarts its
        // checks, and a deployment would count its healthy tasks as new).
        match client.send(SHOW_SERVERS_STATE).await {
            Ok(state) => {
                if let Err(e) = proxy::write_server_state(host, &id, &state).await {
                    errors.push(format!("{e:#}"));
                }
            }
            Err(e) => errors.push(format!("host `{}`: {e:#}", host.name)),
        }
        if let Err(e) = proxy::reload(host, &id).await {
            errors.push(format!("{e:#}"));
            return (Some((text, String::new())), errors);
        }
    }
    (Some((text, skeleton)), errors)
}

async fn apply(
    client: &RuntimeClient,
    op: &RuntimeOp,
    target_groups: &BTreeMap<String, TargetGroupSpec>,
) -> Result<()> {
    match op {
        RuntimeOp::Add {
            target_group,
            server,
        } => {
            let Some(group) = target_groups.get(target_group) else {
                return Ok(());
            };
            client
                .add(target_group, &EffectiveTargetGroup::of(group), server)
                .await
        }
        RuntimeOp::Weight {
            target_group,
            server,
            weight,
        } => client.set_weight(target_group, server, *weight).await,
        RuntimeOp::Ready {
            target_group,
            server,
        } => client.ready(target_group, server).await,
        RuntimeOp::Drain {
            target_group,
            server,
        } => client.drain(target_group, server).await,
        RuntimeOp::Delete {
            target_group,
            server,
        } => client.deregister(target_group, server, DELETE_WAIT).await,
    }
}
