//! `ecsctl get tasks` and `ecsctl describe task ID`: tasks as they are on the hosts.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use anyhow::{Result, bail};

use super::output::table;
use super::reconcile::{runtime, transport};
use super::{Context, DataFormat, Outcome, exit};
use crate::controller::inspect::{self, ClusterObservation, TaskView};
use crate::reconcile::task::{Health, TaskStatus};
use crate::state::State;
use crate::time::{Timestamp, short_age};

/// Observes every cluster (or one), noting hosts that do not answer.
pub async fn observe_all(
    cx: &Context,
    state: &State,
    cluster: Option<&str>,
) -> Result<Vec<(String, ClusterObservation)>> {
    let store = cx.state_dir()?;
    let transport = transport();
    let mut all = Vec::new();
    for name in state.cluster_names() {
        if cluster.is_some_and(|c| c != name) {
            continue;
        }
        let runtime_state = store.read_runtime(&name)?;
        let observation = inspect::observe(state, &runtime_state, &name, &transport).await?;
        for (host, error) in &observation.failures {
            cx.out.note(&format!(
                "{}: host `{host}` of cluster `{name}` does not answer; its tasks are not listed: {error}",
                cx.out.paint_err.yellow("warning")
            ));
        }
        all.push((name, observation));
    }
    Ok(all)
}

/// The tasks of every cluster (or one).
pub fn observe(
    cx: &Context,
    state: &State,
    cluster: Option<&str>,
) -> Result<Vec<(String, TaskView)>> {
    let rt = runtime()?;
    let all = rt.block_on(observe_all(cx, state, cluster))?;
    Ok(all
        .into_iter()
        .flat_map(|(name, o)| o.tasks.into_iter().map(move |t| (name.clone(), t)))
        .collect())
}

fn ports(view: &TaskView) -> String {
    let mut out: Vec<String> = view
        .task
        .containers
        .iter()
        .flat_map(|c| c.ports.iter())
        .map(|p| format!("{}->{}/{}", p.host_port, p.container_port, p.protocol))
        .collect();
    out.dedup();
    if out.is_empty() {
        "-".into()
    } else {
        out.join(",")
    }
}

fn status(s: TaskStatus) -> &'static str {
    match s {
        TaskStatus::Provisioning => "PROVISIONING",
        TaskStatus::Pending => "PENDING",
        TaskStatus::Running => "RUNNING",
        TaskStatus::Stopped => "STOPPED",
    }
}

pub fn health_label(h: Health) -> &'static str {
    match h {
        Health::Unknown => "UNKNOWN",
        Health::Starting => "STARTING",
        Health::Healthy => "HEALTHY",
        Health::Unhealthy => "UNHEALTHY",
    }
}

pub fn get(
    cx: &Context,
    state: &State,
    cluster: Option<&str>,
    service: Option<&str>,
    format: DataFormat,
) -> Outcome {
    if let Some(s) = service
        && !state
            .all_services()
            .any(|(c, n, _)| n == s && cluster.is_none_or(|only| only == c))
    {
        bail!(
            "no service `{s}` in {}",
            cluster.map_or("any cluster".to_string(), |c| format!("cluster `{c}`"))
        );
    }
    let rt = runtime()?;
    let observations = rt.block_on(observe_all(cx, state, cluster))?;
    let wide = format == DataFormat::Wide;
    let mut used = BTreeMap::new();
    if wide {
        for (_, observation) in &observations {
            used.extend(rt.block_on(super::top::usage(observation)));
        }
    }
    let views: Vec<(String, TaskView)> = observations
        .into_iter()
        .flat_map(|(name, o)| o.tasks.into_iter().map(move |t| (name.clone(), t)))
        .filter(|(_, v)| service.is_none_or(|s| v.service() == Some(s)))
        .collect();
    let now = Timestamp::now();
    match format {
        DataFormat::Json => cx
            .out
            .json(&views.iter().map(|(_, v)| v).collect::<Vec<_>>())?,
        DataFormat::Yaml => cx
            .out
            .yaml(&views.iter().map(|(_, v)| v).collect::<Vec<_>>())?,
        DataFormat::Table | DataFormat::Wide => {
            let mut headers = vec![
                "task",
                "service",
                "task definition",
                "status",
                "health",
                "host",
                "ports",
                "age",
            ];
            if wide {
                headers.extend(["cpu", "memory", "restarts", "cluster", "stopped reason"]);
            }
            let rows = views
                .iter()
                .map(|(cluster, v)| {
                    let mut row = vec![
                        v.task.short_id().to_string(),
                        v.service().unwrap_or("-").to_string(),
                        v.task.task_definition.to_string(),
                        status(v.state.last_status).to_string(),
                        health_label(v.state.health).to_string(),
                        v.task.host.clone(),
                        ports(v),
                        short_age(now.since(v.task.created_at)),
                    ];
                    if wide {
                        let u = used.get(&v.task.id).copied().unwrap_or_default();
                        let running = v.state.last_status != TaskStatus::Stopped;
                        row.push(if running {
                            format!("{:.1}%", u.cpu_percent)
                        } else {
                            "-".into()
                        });
                        row.push(if running && u.memory_limit > 0 {
                            format!(
                                "{}/{}",
                                super::top::mib(u.memory),
                                super::top::mib(u.memory_limit)
                            )
                        } else {
                            "-".into()
                        });
                        row.push(
                            v.task
                                .containers
                                .iter()
                                .map(|c| c.restart_count)
                                .sum::<i64>()
                                .to_string(),
                        );
                        row.push(cluster.clone());
                        row.push(
                            v.state
                                .stop_reason
                                .as_ref()
                                .map_or("-".to_string(), |r| r.text.clone()),
                        );
                    }
                    row
                })
                .collect();
            cx.out.print(&table(&headers, rows));
        }
    }
    Ok(exit::OK)
}

/// A task by id or unambiguous prefix (at least four characters).
pub fn find<'a>(
    views: &'a [(String, TaskView)],
    id: &str,
    cluster: Option<&str>,
) -> Result<&'a (String, TaskView)> {
    let id = id.strip_prefix("task/").unwrap_or(id);
    let found: Vec<&(String, TaskView)> = views
        .iter()
        .filter(|(_, v)| v.task.id.starts_with(id))
        .collect();
    let place = cluster.map_or(String::new(), |c| format!(" in cluster `{c}`"));
    match found.as_slice() {
        [one] if id.len() >= 4 || one.1.task.id == id => Ok(one),
        [_] => bail!("task id `{id}` is too short: give at least four characters"),
        [] => match cluster {
            Some(c) => bail!("no task `{id}` in cluster `{c}`"),
            None => bail!("no task `{id}` in any cluster"),
        },
        many => bail!(
            "task id `{id}` matches {} tasks{place}: {}",
            many.len(),
            many.iter()
                .map(|(_, v)| v.task.short_id().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

pub fn describe(
    cx: &Context,
    state: &State,
    id: &str,
    cluster: Option<&str>,
    format: DataFormat,
) -> Outcome {
    let views = observe(cx, state, cluster)?;
    let (cluster_name, view) = find(&views, id, cluster)?;
    match format {
        DataFormat::Json => cx.out.json(view)?,
        DataFormat::Yaml => cx.out.yaml(view)?,
        DataFormat::Table | DataFormat::Wide => cx.out.print(&describe_text(cluster_name, view)),
    }
    Ok(exit::OK)
}

fn describe_text(cluster: &str, v: &TaskView) -> String {
    let mut out = String::new();
    let t = &v.task;
    let fields = [
        ("Task", t.id.clone()),
        ("Cluster", cluster.to_string()),
        (
            "Started by",
            match &t.group {
                crate::reconcile::task::TaskGroup::Service(s) => format!("service {s}"),
                crate::reconcile::task::TaskGroup::Standalone(by) => by.clone(),
            },
        ),
        ("Task definition", t.task_definition.to_string()),
        (
            "Deployment",
            t.deployment.clone().unwrap_or_else(|| "-".into()),
        ),
        ("Host", t.host.clone()),
        ("Last status", status(v.state.last_status).to_string()),
        (
            "Desired status",
            format!("{:?}", v.state.desired_status).to_uppercase(),
        ),
        ("Health", health_label(v.state.health).to_string()),
        ("Created", t.created_at.to_string()),
        (
            "Started",
            t.started_at().map_or("-".into(), |s| s.to_string()),
        ),
        (
            "Stopped",
            t.stopped_at().map_or("-".into(), |s| s.to_string()),
        ),
        (
            "Stopped reason",
            v.state
                .stop_reason
                .as_ref()
                .map_or("-".into(), |r| r.text.clone()),
        ),
    ];
    for (label, value) in fields {
        let _ = writeln!(out, "{:<17}{value}", format!("{label}:"));
    }
    let _ = writeln!(out, "\nContainers:");
    let rows = t
        .containers
        .iter()
        .map(|c| {
            vec![
                if c.pause {
                    "(network)".into()
                } else {
                    c.name.clone()
                },
                format!("{:?}", c.state).to_lowercase(),
                health_label(c.health).to_string(),
                c.exit_code.map_or("-".into(), |e| e.to_string()),
                if c.essential {
                    "yes".into()
                } else {
                    "no".into()
                },
                c.ports
                    .iter()
                    .map(|p| format!("{}->{}/{}", p.host_port, p.container_port, p.protocol))
                    .collect::<Vec<_>>()
                    .join(","),
                c.docker_name.clone(),
            ]
        })
        .collect();
    for line in table(
        &[
            "name",
            "state",
            "health",
            "exit code",
            "essential",
            "ports",
            "docker name",
        ],
        rows,
    )
    .lines()
    {
        let _ = writeln!(out, "  {line}");
    }
    out
}
