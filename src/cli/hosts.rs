//! `ecsctl get hosts` (registered and remaining capacity, running tasks, attributes, status,
//! last contact) and `ecsctl drain host NAME` / `ecsctl undrain host NAME`.

use std::collections::BTreeMap;

use anyhow::{Result, bail};
use clap::{Args, ValueEnum};
use serde::Serialize;

use super::converge::Expect;
use super::output::table;
use super::{Context, DataFormat, Outcome, WaitArgs, exit};
use crate::model::cluster::{ClusterSpec, Endpoint};
use crate::reconcile::task::TaskStatus;
use crate::state::{ClusterRecord, ServiceStatus, State};
use crate::time::{Timestamp, short_age};

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HostView {
    pub cluster: String,
    pub name: String,
    pub endpoint: String,
    /// ACTIVE, DRAINING or UNREACHABLE.
    pub status: &'static str,
    pub attributes: BTreeMap<String, String>,
    /// Cpu units (1024 per core) and MiB the host offers: the manifest's, else Docker's.
    pub registered_cpu: Option<i64>,
    pub registered_memory: Option<i64>,
    pub remaining_cpu: Option<i64>,
    pub remaining_memory: Option<i64>,
    pub running_tasks: u32,
    pub last_contact: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub docker_version: Option<String>,
}

/// Every host of every cluster (or one), asked now.
pub fn views(cx: &Context, state: &State, only: Option<&str>) -> Result<Vec<HostView>> {
    let store = cx.state_dir()?;
    let rt = super::reconcile::runtime()?;
    let observations = rt.block_on(super::tasks::observe_all(cx, state, only))?;
    let now = Timestamp::now();
    let mut out = Vec::new();
    for (cluster, observation) in observations {
        let spec = state.cluster_spec(&cluster).unwrap_or_default();
        let runtime = store.read_runtime(&cluster)?;
        let draining = state
            .clusters
            .get(&cluster)
            .map(|c| c.draining_hosts.clone())
            .unwrap_or_default();
        let used = observation.usage(state);
        for host in &spec.hosts {
            let name = host.name.clone().unwrap_or_default();
            let connected = observation.hosts.iter().find(|c| c.name == name);
            let info = connected.and_then(|c| c.info.as_ref());
            let failure = observation
                .failures
                .iter()
                .find(|(h, _)| *h == name)
                .map(|(_, e)| e.clone());
            let answering = connected.is_some_and(|c| c.host.is_some()) && failure.is_none();
            let capacity = host.capacity.as_ref();
            let registered_cpu = capacity.and_then(|c| c.cpu).or(info.map(|i| i.cpus * 1024));
            let registered_memory = capacity
                .and_then(|c| c.memory)
                .or(info.map(|i| i.memory_mib));
            let u = used.get(&name).cloned().unwrap_or_default();
            let recorded = runtime.hosts.get(&name);
            out.push(HostView {
                cluster: cluster.clone(),
                status: if !answering {
                    "UNREACHABLE"
                } else if draining.contains(&name) {
                    "DRAINING"
                } else {
                    "ACTIVE"
                },
                endpoint: host
                    .endpoint
                    .as_deref()
                    .and_then(|e| Endpoint::parse(e).ok())
                    .map_or_else(String::new, |e| e.to_string()),
                attributes: host.attributes.clone(),
                registered_cpu,
                registered_memory,
                remaining_cpu: registered_cpu.map(|c| c - u.cpu),
                remaining_memory: registered_memory.map(|m| m - u.memory),
                running_tasks: observation
                    .tasks
                    .iter()
                    .filter(|t| t.task.host == name && t.state.last_status == TaskStatus::Running)
                    .count() as u32,
                last_contact: if answering {
                    Some(now)
                } else {
                    recorded.and_then(|r| r.last_contact)
                },
                error: failure,
                docker_version: info.map(|i| i.server_version.clone()),
                name,
            });
        }
    }
    Ok(out)
}

pub fn get(cx: &Context, state: &State, only: Option<&str>, format: DataFormat) -> Outcome {
    let views = views(cx, state, only)?;
    let now = Timestamp::now();
    match format {
        DataFormat::Json => cx.out.json(&views)?,
        DataFormat::Yaml => cx.out.yaml(&views)?,
        DataFormat::Table | DataFormat::Wide => {
            let wide = format == DataFormat::Wide;
            let mut headers = vec![
                "cluster",
                "name",
                "status",
                "endpoint",
                "cpu",
                "memory",
                "tasks",
                "last contact",
            ];
            if wide {
                headers.extend(["attributes", "docker"]);
            }
            let pair =
                |remaining: Option<i64>, registered: Option<i64>| match (remaining, registered) {
                    (Some(r), Some(t)) => format!("{r}/{t}"),
                    _ => "-".into(),
                };
            let rows = views
                .iter()
                .map(|v| {
                    let mut row = vec![
                        v.cluster.clone(),
                        v.name.clone(),
                        v.status.into(),
                        v.endpoint.clone(),
                        pair(v.remaining_cpu, v.registered_cpu),
                        pair(v.remaining_memory, v.registered_memory),
                        v.running_tasks.to_string(),
                        v.last_contact.map_or("never".into(), |t| {
                            format!("{} ago", short_age(now.since(t)))
                        }),
                    ];
                    if wide {
                        row.push(
                            v.attributes
                                .iter()
                                .map(|(k, val)| format!("{k}={val}"))
                                .collect::<Vec<_>>()
                                .join(","),
                        );
                        row.push(v.docker_version.clone().unwrap_or_else(|| "-".into()));
                    }
                    row
                })
                .collect();
            cx.out.print(&table(&headers, rows));
        }
    }
    Ok(exit::OK)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HostKind {
    Host,
}

#[derive(Debug, Args)]
pub struct DrainArgs {
    /// What to drain: a `host`
    #[arg(value_enum)]
    pub kind: HostKind,
    /// The host's name
    pub name: String,
    #[command(flatten)]
    pub wait: WaitArgs,
}

/// The cluster a host belongs to: `--cluster`, or the one cluster that has it.
fn cluster_of(state: &State, host: &str, cluster: Option<&str>) -> Result<String> {
    let with: Vec<String> = state
        .cluster_names()
        .into_iter()
        .filter(|c| cluster.is_none_or(|only| only == c))
        .filter(|c| {
            state
                .cluster_spec(c)
                .is_some_and(|s| s.hosts.iter().any(|h| h.name.as_deref() == Some(host)))
        })
        .collect();
    match with.as_slice() {
        [one] => Ok(one.clone()),
        [] => match cluster {
            Some(c) => bail!("no host `{host}` in cluster `{c}`"),
            None => bail!("no host `{host}` in any cluster"),
        },
        many => bail!(
            "host `{host}` is in several clusters ({}); pick one with --cluster",
            many.iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// `drain` (true) or `undrain` (false).
pub fn drain(cx: &Context, args: DrainArgs, drain: bool) -> Outcome {
    let store = cx.open_state_dir()?;
    let lock = store.lock_state(*args.wait.lock_timeout)?;
    let Some(mut state) = store.read_state()? else {
        bail!("the state is empty: no host `{}`", args.name);
    };
    let cluster = cluster_of(&state, &args.name, args.wait.cluster.as_deref())?;
    let now = Timestamp::now();
    let spec = state
        .cluster_spec(&cluster)
        .unwrap_or_else(ClusterSpec::embedded_default);
    let record = state
        .clusters
        .entry(cluster.clone())
        .or_insert_with(|| ClusterRecord {
            spec,
            created_at: now,
            updated_at: now,
            draining_hosts: Default::default(),
        });
    let changed = if drain {
        record.draining_hosts.insert(args.name.clone())
    } else {
        record.draining_hosts.remove(&args.name)
    };
    let host = &args.name;
    if !changed {
        cx.out.note(&format!(
            "host `{host}` is already {}",
            if drain { "DRAINING" } else { "ACTIVE" }
        ));
    } else {
        record.updated_at = now;
        state.serial += 1;
        store.write_state(&state, &lock)?;
    }
    drop(lock);
    let services: Vec<String> = state
        .services
        .get(&cluster)
        .map(|s| {
            s.iter()
                .filter(|(_, r)| r.status == ServiceStatus::Active)
                .map(|(n, _)| n.clone())
                .collect()
        })
        .unwrap_or_default();
    if changed {
        let message = if drain {
            format!("host `{host}` is DRAINING: its tasks are replaced elsewhere, then stopped.")
        } else {
            format!("host `{host}` is ACTIVE again.")
        };
        let events = services
            .iter()
            .map(|s| {
                (
                    cluster.clone(),
                    s.clone(),
                    format!("(service {s}) {message}"),
                )
            })
            .collect();
        super::apply::record_events(&store, &state, events)?;
        cx.out.note(&format!("{now}  {message}"));
    }
    let expectations: BTreeMap<String, BTreeMap<String, Expect>> = [(
        cluster,
        services.into_iter().map(|s| (s, Expect::Steady)).collect(),
    )]
    .into_iter()
    .collect();
    args.wait.converge(cx, &store, expectations)
}
