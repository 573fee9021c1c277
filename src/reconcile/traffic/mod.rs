//! Traffic decisions, pure: which targets each load-balancer host's proxy must carry, in
//! which admin state and at which weight, and which task stops wait for a drain. The order is
//! ECS's:
//!
//! 1. a task of a service with `loadBalancers` is registered once it is RUNNING, at weight 0
//!    (ELB's `initial`); it gets its weight only when the proxy's check says UP;
//! 2. the deployment counts it healthy only when it is healthy in every target group
//!    ([`target_health`]); after the grace period, an unhealthy one is replaced;
//! 3. a task to be stopped is first put to `drain` on every proxy; once its sessions are gone
//!    (or `deregistrationDelaySeconds` passed) it is deleted from the proxy, and only then is
//!    its stop let through ([`TrafficDecision::held_stops`]).
//!
//! Proxies that were not reached this pass are left out of every judgement: a dead host's
//! proxy must not hold the rest of the cluster.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use super::service::TrafficShare;
use super::service::shift::weights;
use super::task::{DesiredStatus, ObservedTask, TaskGroup, TaskState, TaskStatus};
use crate::model::effective::traffic::EffectiveTargetGroup;
use crate::model::traffic::{LoadBalancerSpec, TargetGroupSpec};
use crate::state::ServiceRecord;
use crate::time::Timestamp;
use crate::traffic::config::{AdminState, ProxyConfig, Server};
use crate::traffic::runtime::ServerStat;

/// The weight of a healthy target (HAProxy's range is 0–256; room for weighted shifting).
pub const TARGET_WEIGHT: u32 = 100;

/// How soon to look again while targets register or drain.
const TRAFFIC_REQUEUE: Duration = Duration::from_secs(1);

pub mod connect;

pub use crate::state::{TargetHealth, TargetRecord};

/// What a proxy's `show stat` line says of a target.
pub fn health_of(stat: &ServerStat) -> TargetHealth {
    match admin_state(stat) {
        AdminState::Drain => TargetHealth::Draining,
        AdminState::Maint => TargetHealth::Unused,
        AdminState::Ready if stat.is_healthy() => TargetHealth::Healthy,
        // DOWN with a finished check (not `INI`, not a check still in progress).
        AdminState::Ready
            if stat.is_down() && stat.check_status.as_deref().is_some_and(|s| s != "INI") =>
        {
            TargetHealth::Unhealthy
        }
        AdminState::Ready => TargetHealth::Initial,
    }
}

/// The admin state a `show stat` status reports (`MAINT`, `MAINT (via …)`, `DRAIN`, …).
pub fn admin_state(stat: &ServerStat) -> AdminState {
    if stat.status.starts_with("MAINT") {
        AdminState::Maint
    } else if stat.status.starts_with("DRAIN") {
        AdminState::Drain
    } else {
        AdminState::Ready
    }
}

/// What one load-balancer host's proxy showed this pass.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProxyView {
    /// The container exists and runs (a stopped or missing proxy carries nothing).
    pub running: bool,
    /// By (target group, server name).
    pub servers: BTreeMap<(String, String), ServerStat>,
}

/// A server on one host's proxy: (host, target group, server).
pub type ServerKey = (String, String, String);

/// The cluster's traffic objects and what its proxies showed.
#[derive(Clone, Copy)]
pub struct TrafficInput<'a> {
    pub load_balancers: &'a BTreeMap<String, LoadBalancerSpec>,
    pub target_groups: &'a BTreeMap<String, TargetGroupSpec>,
    /// The address each host's targets are reached on.
    pub addresses: &'a BTreeMap<String, String>,
    /// The hosts that carry listeners, with their proxy as observed (`None`: not reached).
    pub proxies: &'a BTreeMap<String, Option<ProxyView>>,
    /// When each server began draining (the controller's memory between passes).
    pub draining_since: &'a BTreeMap<ServerKey, Timestamp>,
    /// The stops the last pass held (their "has stopped" event waits for the release).
    pub held_before: &'a BTreeSet<String>,
    /// Registrations beyond the services' own `loadBalancers` (Service Connect's), by service.
    pub registrations: &'a BTreeMap<String, Vec<crate::model::ecs::LoadBalancer>>,
}

/// One change through the Runtime API, without a reload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RuntimeOp {
    /// `add server` at weight 0, `enable health`, `state ready`.
    Add {
        target_group: String,
        server: Server,
    },
    Weight {
        target_group: String,
        server: String,
        weight: u32,
    },
    /// Back in rotation (a drain that is no longer wanted).
    Ready {
        target_group: String,
        server: String,
    },
    Drain {
        target_group: String,
        server: String,
    },
    /// `state maint`, then `del server` (retried while connections remain).
    Delete {
        target_group: String,
        server: String,
    },
}

/// What one host's proxy must become: the whole config (written before any reload, so that
/// a reload or a re-created proxy keeps every target) and the runtime changes to get there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProxyPlan {
    pub config: ProxyConfig,
    pub ops: Vec<RuntimeOp>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct TrafficDecision {
    /// By host: every load-balancer host, reached or not (an unreached one gets its plan
    /// once it answers).
    pub proxies: BTreeMap<String, ProxyPlan>,
    /// Stops that wait: their tasks are still registered with a proxy.
    pub held_stops: BTreeSet<String>,
    /// Events by service, in ECS's words.
    pub events: BTreeMap<String, Vec<String>>,
    /// The drain memory for the next pass.
    pub draining_since: BTreeMap<ServerKey, Timestamp>,
    /// Every target group's targets and their health over the reached proxies.
    pub targets: BTreeMap<String, Vec<TargetRecord>>,
    pub requeue_after: Option<Duration>,
}

/// One registration a task should have: its container port on its host.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Wanted {
    task: String,
    service: String,
    /// The task's deployment (a shifted deployment's share is by deployment).
    deployment: Option<String>,
    target_group: String,
    /// Whether this is a blue/green alternate group (its tasks take its traffic alike).
    alternate: bool,
    server: Server,
    /// The weight it takes once healthy.
    weight: u32,
}

/// The name of a task's target in a backend: unique per task and container port.
pub fn server_name(task_id: &str, container_port: u16) -> String {
    format!("{task_id}-{container_port}")
}

/// The task whose target a server name is (see [`server_name`]).
pub fn task_of_server(server: &str) -> &str {
    server.rsplit_once('-').map_or(server, |(task, _)| task)
}

/// The load-balancer hosts: those the load balancers name, and every host for one that names
/// none. Sorted, unique.
pub fn listener_hosts<'h>(
    load_balancers: &BTreeMap<String, LoadBalancerSpec>,
    hosts: impl IntoIterator<Item = &'h str>,
) -> BTreeSet<String> {
    let hosts: Vec<&str> = hosts.into_iter().collect();
    let mut out = BTreeSet::new();
    for lb in load_balancers.values() {
        if lb.hosts.is_empty() {
            out.extend(hosts.iter().map(|h| h.to_string()));
        } else {
            out.extend(
                lb.hosts
                    .iter()
                    .filter(|h| hosts.contains(&h.as_str()))
                    .cloned(),
            );
        }
    }
    out
}

/// The targets a task should have: one per `loadBalancers[]` entry whose container maps the
/// port on its host. Empty for tasks of services without load balancers.
fn targets_of(
    input: &TrafficInput<'_>,
    services: &BTreeMap<String, ServiceRecord>,
    task: &ObservedTask,
) -> Vec<Wanted> {
    let TaskGroup::Service(service) = &task.group else {
        return Vec::new();
    };
    let Some(record) = services.get(service) else {
        return Vec::new();
    };
    let Some(address) = input.addresses.get(&task.host) else {
        return Vec::new();
    };
    // The alternate group of a blue/green pair carries the current deployment's tasks.
    let current = record
        .primary()
        .is_some_and(|p| task.deployment.as_deref() == Some(p.id.as_str()));
    record
        .spec
        .load_balancers
        .iter()
        .chain(input.registrations.get(service).into_iter().flatten())
        .flat_map(|lb| {
            let alternate = lb
                .advanced_configuration
                .as_ref()
                .and_then(|a| a.alternate_target_group_name.clone())
                .filter(|_| current);
            let groups = [(lb.target_group_name.clone(), false), (alternate, true)];
            groups
                .into_iter()
                .filter_map(move |(group, alternate)| Some((lb, group?, alternate)))
        })
        .filter_map(|(lb, target_group, alternate)| {
            if !input.target_groups.contains_key(&target_group) {
                return None;
            }
            let container_port = u16::try_from(lb.container_port?).ok()?;
            let container = task.container(lb.container_name.as_deref()?)?;
            let host_port = container
                .ports
                .iter()
                .find(|p| p.container_port == container_port && p.host_port != 0)?
                .host_port;
            Some(Wanted {
                task: task.id.clone(),
                service: service.clone(),
                deployment: task.deployment.clone(),
                target_group,
                alternate,
                server: Server {
                    name: server_name(&task.id, container_port),
                    address: address.clone(),
                    port: host_port,
                    weight: 0,
                    state: AdminState::Ready,
                },
                weight: TARGET_WEIGHT,
            })
        })
        .collect()
}

/// The proxies that were reached and run.
fn reached<'a>(input: &TrafficInput<'a>) -> impl Iterator<Item = (&'a String, &'a ProxyView)> {
    input
        .proxies
        .iter()
        .filter_map(|(host, view)| view.as_ref().filter(|v| v.running).map(|v| (host, v)))
}

/// Each load-balanced task's health over every target group and every reached proxy: healthy
/// only when healthy everywhere; unhealthy when any proxy's check failed it; `initial` while
/// it is not yet registered or checked. Tasks of services without load balancers are absent.
pub fn target_health(
    input: &TrafficInput<'_>,
    services: &BTreeMap<String, ServiceRecord>,
    tasks: &[ObservedTask],
) -> BTreeMap<String, TargetHealth> {
    let mut out = BTreeMap::new();
    for task in tasks {
        let wanted = targets_of(input, services, task);
        if wanted.is_empty() {
            continue;
        }
        let mut healths = Vec::new();
        for (_, view) in reached(input) {
            for w in &wanted {
                let key = (w.target_group.clone(), w.server.name.clone());
                healths.push(
                    view.servers
                        .get(&key)
                        .map_or(TargetHealth::Initial, health_of),
                );
            }
        }
        let summary = if healths.is_empty() {
            TargetHealth::Initial
        } else if healths.contains(&TargetHealth::Unhealthy) {
            TargetHealth::Unhealthy
        } else if healths.iter().all(|h| *h == TargetHealth::Healthy) {
            TargetHealth::Healthy
        } else {
            TargetHealth::Initial
        };
        out.insert(task.id.clone(), summary);
    }
    out
}

/// ECS's stop reason for a task its target groups found unhealthy.
pub fn elb_health_failure(service: &ServiceRecord) -> String {
    let groups: Vec<String> = service
        .spec
        .load_balancers
        .iter()
        .filter_map(|lb| lb.target_group_name.clone())
        .collect();
    format!(
        "Task failed ELB health checks in (target-group {})",
        groups.join(", ")
    )
}

/// Per-service counts of distinct tasks, for the events of one pass.
#[derive(Default)]
struct Tally {
    registered: BTreeMap<(String, String), BTreeSet<String>>,
    draining: BTreeMap<String, BTreeSet<String>>,
    deregistered: BTreeMap<(String, String), BTreeSet<String>>,
}

/// Decides every proxy's targets. `stopping` is the tasks this pass stops (or is stopping):
/// they must not stay registered; those still registered are returned in `held_stops`.
pub fn decide(
    input: &TrafficInput<'_>,
    services: &BTreeMap<String, ServiceRecord>,
    tasks: &[(ObservedTask, TaskState)],
    stopping: &BTreeSet<String>,
    shares: &BTreeMap<String, TrafficShare>,
    now: Timestamp,
) -> TrafficDecision {
    let mut out = TrafficDecision::default();
    let by_id: BTreeMap<&str, &(ObservedTask, TaskState)> = tasks
        .iter()
        .map(|entry| (entry.0.id.as_str(), entry))
        .collect();
    let wanted: Vec<Wanted> = tasks
        .iter()
        .filter(|(t, st)| {
            st.last_status == TaskStatus::Running
                && st.desired_status == DesiredStatus::Running
                && !stopping.contains(&t.id)
        })
        .flat_map(|(t, _)| targets_of(input, services, t))
        .collect();
    let wanted = with_shares(wanted, shares);
    let mut tally = Tally::default();
    let mut busy = false;
    for (host, view) in input.proxies {
        let view = view.as_ref().filter(|v| v.running);
        let (plan, host_busy) = plan_host(
            input, host, view, &wanted, &by_id, now, &mut tally, &mut out,
        );
        busy |= host_busy;
        out.proxies.insert(host.clone(), plan);
    }
    // A stop waits while any reached proxy still has one of its task's servers.
    for (_, view) in reached(input) {
        for (_, server) in view.servers.keys() {
            let task = task_of_server(server);
            if stopping.contains(task) {
                out.held_stops.insert(task.to_string());
            }
        }
    }
    events(services, &tally, &mut out.events);
    out.targets = target_records(input, &wanted, tasks);
    if busy || !out.held_stops.is_empty() {
        out.requeue_after = Some(TRAFFIC_REQUEUE);
    }
    out
}

/// Weighs the targets of services whose deployment shifts traffic: in each production
/// target group, the deployment's targets together take its share (see
/// [`crate::reconcile::service::shift::weights`]), the service's other targets the rest.
fn with_shares(mut wanted: Vec<Wanted>, shares: &BTreeMap<String, TrafficShare>) -> Vec<Wanted> {
    let mut counts: BTreeMap<(&str, &str), (u32, u32)> = BTreeMap::new();
    for w in wanted.iter().filter(|w| !w.alternate) {
        if let Some(share) = shares.get(&w.service) {
            let entry = counts
                .entry((w.service.as_str(), w.target_group.as_str()))
                .or_default();
            if w.deployment.as_deref() == Some(share.deployment.as_str()) {
                entry.0 += 1;
            } else {
                entry.1 += 1;
            }
        }
    }
    let weights: BTreeMap<(String, String), (u32, u32)> = counts
        .into_iter()
        .filter_map(|((service, group), (new, old))| {
            let share = shares.get(service)?;
            let pair = weights(share.permille, new, old, TARGET_WEIGHT);
            Some(((service.to_string(), group.to_string()), pair))
        })
        .collect();
    for w in wanted.iter_mut().filter(|w| !w.alternate) {
        let (Some(share), Some((new, old))) = (
            shares.get(&w.service),
            weights.get(&(w.service.clone(), w.target_group.clone())),
        ) else {
            continue;
        };
        w.weight = if w.deployment.as_deref() == Some(share.deployment.as_str()) {
            *new
        } else {
            *old
        };
    }
    wanted
}

/// One host: the config it must hold and the runtime changes to get there. Returns whether
/// targets are still in transition there (registering, draining).
#[allow(clippy::too_many_arguments)]
fn plan_host(
    input: &TrafficInput<'_>,
    host: &str,
    view: Option<&ProxyView>,
    wanted: &[Wanted],
    tasks: &BTreeMap<&str, &(ObservedTask, TaskState)>,
    now: Timestamp,
    tally: &mut Tally,
    out: &mut TrafficDecision,
) -> (ProxyPlan, bool) {
    let mut ops = Vec::new();
    let mut busy = false;
    let mut servers: BTreeMap<String, Vec<Server>> = BTreeMap::new();
    let wanted_names: BTreeSet<(&str, &str)> = wanted
        .iter()
        .map(|w| (w.target_group.as_str(), w.server.name.as_str()))
        .collect();
    for w in wanted {
        let observed = view.and_then(|v| {
            v.servers
                .get(&(w.target_group.clone(), w.server.name.clone()))
        });
        let mut server = w.server.clone();
        match observed {
            // A proxy being (re)created, or not read: its config carries every target at its
            // weight, and its own checks take the bad ones out.
            None if view.is_none() => {
                server.weight = w.weight;
                busy = true;
            }
            None => {
                {
                    ops.push(RuntimeOp::Add {
                        target_group: w.target_group.clone(),
                        server: server.clone(),
                    });
                    tally
                        .registered
                        .entry((w.service.clone(), w.target_group.clone()))
                        .or_default()
                        .insert(w.task.clone());
                }
                busy = true;
            }
            Some(stat) => match admin_state(stat) {
                AdminState::Drain | AdminState::Maint => {
                    ops.push(RuntimeOp::Ready {
                        target_group: w.target_group.clone(),
                        server: server.name.clone(),
                    });
                    busy = true;
                }
                AdminState::Ready if stat.is_healthy() => {
                    if stat.weight != w.weight {
                        ops.push(RuntimeOp::Weight {
                            target_group: w.target_group.clone(),
                            server: server.name.clone(),
                            weight: w.weight,
                        });
                    }
                    server.weight = w.weight;
                }
                AdminState::Ready => busy = true,
            },
        }
        servers
            .entry(w.target_group.clone())
            .or_default()
            .push(server);
    }
    if let Some(view) = view {
        for ((target_group, name), stat) in &view.servers {
            if wanted_names.contains(&(target_group.as_str(), name.as_str()))
                || !input.target_groups.contains_key(target_group)
            {
                continue;
            }
            let task_id = task_of_server(name);
            let task = tasks.get(task_id).copied();
            let service = match task.map(|(t, _)| &t.group) {
                Some(TaskGroup::Service(s)) => Some(s.clone()),
                _ => None,
            };
            let alive = task.is_some_and(|(_, st)| st.last_status != TaskStatus::Stopped);
            let key: ServerKey = (host.to_string(), target_group.clone(), name.clone());
            let settings = EffectiveTargetGroup::of(&input.target_groups[target_group]);
            let state = admin_state(stat);
            // A DOWN server takes no traffic (its status then hides a drain): nothing to wait
            // for, it is deleted at once.
            let delete = match state {
                AdminState::Ready if alive && !stat.is_down() => {
                    ops.push(RuntimeOp::Drain {
                        target_group: target_group.clone(),
                        server: name.clone(),
                    });
                    out.draining_since.insert(key.clone(), now);
                    if let Some(s) = &service {
                        tally
                            .draining
                            .entry(s.clone())
                            .or_default()
                            .insert(task_id.to_string());
                    }
                    false
                }
                AdminState::Drain if alive => {
                    let since = input.draining_since.get(&key).copied().unwrap_or(now);
                    out.draining_since.insert(key.clone(), since);
                    stat.sessions == 0 && since < now
                        || now.since(since) >= settings.deregistration_delay
                }
                _ => true,
            };
            if delete {
                ops.push(RuntimeOp::Delete {
                    target_group: target_group.clone(),
                    server: name.clone(),
                });
                out.draining_since.remove(&key);
                if let Some(s) = &service {
                    tally
                        .deregistered
                        .entry((s.clone(), target_group.clone()))
                        .or_default()
                        .insert(task_id.to_string());
                }
            } else if let Some(address) = task.and_then(|(t, _)| input.addresses.get(&t.host)) {
                // Still draining: the config keeps it, drained, so a reload does not cut it.
                let port = task
                    .and_then(|(t, _)| server_port(t, name))
                    .unwrap_or_default();
                servers
                    .entry(target_group.clone())
                    .or_default()
                    .push(Server {
                        name: name.clone(),
                        address: address.clone(),
                        port,
                        weight: 0,
                        state: AdminState::Drain,
                    });
            }
            busy = true;
        }
    }
    let config = ProxyConfig::for_host(
        host,
        "0.0.0.0",
        input.load_balancers,
        input.target_groups,
        &servers,
    );
    (ProxyPlan { config, ops }, busy)
}

/// Each target group's targets: the wanted ones, and those still draining, with their
/// health over the reached proxies (the least healthy answer wins).
fn target_records(
    input: &TrafficInput<'_>,
    wanted: &[Wanted],
    tasks: &[(ObservedTask, TaskState)],
) -> BTreeMap<String, Vec<TargetRecord>> {
    let mut seen: BTreeMap<(String, String), Vec<TargetHealth>> = BTreeMap::new();
    for (_, view) in reached(input) {
        for (key, stat) in &view.servers {
            seen.entry(key.clone()).or_default().push(health_of(stat));
        }
    }
    let summary = |healths: Option<&Vec<TargetHealth>>, registered_everywhere: bool| {
        let Some(healths) = healths.filter(|h| !h.is_empty()) else {
            return if reached(input).next().is_some() {
                TargetHealth::Initial
            } else {
                TargetHealth::Unused
            };
        };
        [
            TargetHealth::Draining,
            TargetHealth::Unhealthy,
            TargetHealth::Initial,
        ]
        .into_iter()
        .find(|h| healths.contains(h))
        .unwrap_or(if registered_everywhere {
            TargetHealth::Healthy
        } else {
            TargetHealth::Initial
        })
    };
    let proxies = reached(input).count();
    let mut out: BTreeMap<String, Vec<TargetRecord>> = BTreeMap::new();
    for w in wanted {
        let key = (w.target_group.clone(), w.server.name.clone());
        let healths = seen.remove(&key);
        let everywhere = healths.as_ref().is_some_and(|h| h.len() == proxies);
        out.entry(w.target_group.clone())
            .or_default()
            .push(TargetRecord {
                task: w.task.clone(),
                service: Some(w.service.clone()),
                host: tasks
                    .iter()
                    .find(|(t, _)| t.id == w.task)
                    .map(|(t, _)| t.host.clone())
                    .unwrap_or_default(),
                address: w.server.address.clone(),
                port: w.server.port,
                health: summary(healths.as_ref(), everywhere),
            });
    }
    for ((group, server), healths) in seen {
        if !input.target_groups.contains_key(&group) {
            continue;
        }
        let task_id = task_of_server(&server);
        let task = tasks.iter().find(|(t, _)| t.id == task_id).map(|(t, _)| t);
        out.entry(group).or_default().push(TargetRecord {
            task: task_id.to_string(),
            service: task.and_then(|t| match &t.group {
                TaskGroup::Service(s) => Some(s.clone()),
                TaskGroup::Standalone(_) => None,
            }),
            host: task.map(|t| t.host.clone()).unwrap_or_default(),
            address: task
                .and_then(|t| input.addresses.get(&t.host).cloned())
                .unwrap_or_default(),
            port: task
                .and_then(|t| server_port(t, &server))
                .unwrap_or_default(),
            health: summary(Some(&healths), false).max(TargetHealth::Draining),
        });
    }
    for records in out.values_mut() {
        records.sort();
    }
    out
}

/// The host port behind a server name's container port.
fn server_port(task: &ObservedTask, server: &str) -> Option<u16> {
    let container_port: u16 = server.rsplit_once('-')?.1.parse().ok()?;
    task.app_containers()
        .flat_map(|c| c.ports.iter())
        .find(|p| p.container_port == container_port)
        .map(|p| p.host_port)
}

fn events(
    services: &BTreeMap<String, ServiceRecord>,
    tally: &Tally,
    out: &mut BTreeMap<String, Vec<String>>,
) {
    let mut push = |service: &str, text: String| {
        if services.contains_key(service) {
            out.entry(service.to_string()).or_default().push(text);
        }
    };
    for ((service, group), tasks) in &tally.registered {
        push(
            service,
            format!(
                "(service {service}) registered {} targets in (target-group {group})",
                tasks.len()
            ),
        );
    }
    for (service, tasks) in &tally.draining {
        push(
            service,
            format!(
                "(service {service}) has begun draining connections on {} tasks.",
                tasks.len()
            ),
        );
    }
    for ((service, group), tasks) in &tally.deregistered {
        push(
            service,
            format!(
                "(service {service}) deregistered {} targets in (target-group {group})",
                tasks.len()
            ),
        );
    }
}

#[cfg(test)]
mod tests;
