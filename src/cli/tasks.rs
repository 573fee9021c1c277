//! `ecsctl get tasks` and `ecsctl describe task ID`: tasks as they are on the hosts
//! (`ops::tasks`), as tables or data; exit 1 when a host did not answer.

use std::fmt::Write as _;

use super::output::table;
use super::reconcile::runtime;
use super::{Context, DataFormat, Outcome};
use crate::controller::inspect::TaskView;
use crate::ops::views::serde_name;
use crate::reconcile::task::{DesiredStatus, Health, TaskStatus};
use crate::state::State;
use crate::time::{Timestamp, short_age};

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

fn status(s: TaskStatus) -> String {
    serde_name(&s)
}

pub fn health_label(h: Health) -> String {
    serde_name(&h)
}

/// Which tasks `get tasks` lists.
pub struct Filter<'a> {
    pub cluster: Option<&'a str>,
    pub service: Option<&'a str>,
    /// One task, by id or prefix.
    pub task: Option<&'a str>,
    pub desired: Option<DesiredStatus>,
}

pub fn get(cx: &Context, state: &State, filter: &Filter<'_>, format: DataFormat) -> Outcome {
    let session = cx.session()?;
    let wide = format == DataFormat::Wide;
    let cluster = filter.cluster;
    let mut listing = runtime()?.block_on(crate::ops::tasks::list(
        &session,
        state,
        cluster,
        filter.service,
        wide,
    ))?;
    if let Some(desired) = filter.desired {
        listing
            .tasks
            .retain(|(_, t)| t.state.desired_status == desired);
    }
    // RUNNING first (the order within each stays the observation's).
    listing
        .tasks
        .sort_by_key(|(_, t)| t.state.desired_status == DesiredStatus::Stopped);
    if let Some(prefix) = filter.task {
        let i = crate::ops::resolve::task_prefix(
            listing.tasks.iter().map(|(_, t)| t.task.id.as_str()),
            prefix,
            cluster,
        )?;
        let one = listing.tasks.swap_remove(i);
        listing.tasks = vec![one];
    }
    let views = listing.tasks;
    let used = listing.usage;
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
                headers.extend([
                    "cpu",
                    "memory",
                    "restarts",
                    "cluster",
                    "capacity provider",
                    "stopped reason",
                ]);
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
                                super::output::bytes(u.memory),
                                super::output::bytes(u.memory_limit)
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
                            v.capacity_provider_name
                                .clone()
                                .unwrap_or_else(|| "-".into()),
                        );
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
    Ok(super::output::unanswered(
        cx,
        &listing.unanswered,
        "its tasks are not listed",
    ))
}

pub fn describe(
    cx: &Context,
    state: &State,
    id: &str,
    cluster: Option<&str>,
    format: DataFormat,
) -> Outcome {
    let session = cx.session()?;
    let (cluster_name, view, unanswered) =
        runtime()?.block_on(crate::ops::tasks::describe(&session, state, id, cluster))?;
    match format {
        DataFormat::Json => cx.out.json(&view)?,
        DataFormat::Yaml => cx.out.yaml(&view)?,
        DataFormat::Table | DataFormat::Wide => cx.out.print(&describe_text(&cluster_name, &view)),
    }
    Ok(super::output::unanswered(
        cx,
        &unanswered,
        "its tasks were not looked at",
    ))
}

/// `256 CPU, 512 MiB` from the task definition's task-level cpu and memory, as written.
fn task_size(v: &TaskView) -> String {
    match (&v.cpu, &v.memory) {
        (None, None) => "-".into(),
        (cpu, memory) => format!(
            "{} CPU, {} memory",
            cpu.as_deref().unwrap_or("-"),
            memory.as_deref().unwrap_or("-")
        ),
    }
}

/// What bounds the task: a Fargate task's own cgroup, or each container by itself (and why).
fn task_limits(v: &TaskView) -> String {
    match v.task.task_limits.as_deref() {
        Some(limits) => match limits.strip_prefix("task cgroup ") {
            Some(path) => format!("the task as a whole (cgroup {path})"),
            None => limits.to_string(),
        },
        None => "per container".into(),
    }
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
        ("Launch type", t.launch_type.to_string()),
        ("Task size", task_size(v)),
        ("Task limits", task_limits(v)),
        ("Last status", status(v.state.last_status).to_string()),
        ("Desired status", serde_name(&v.state.desired_status)),
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
                serde_name(&c.state),
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

/// The tasks a target names (`logs`, `exec`), warning about hosts that did not answer.
pub async fn select(
    cx: &Context,
    state: &State,
    target: &crate::ops::target::Target,
    cluster: Option<&str>,
) -> anyhow::Result<crate::ops::tasks::Selection> {
    let selection = crate::ops::tasks::select(&cx.session()?, state, target, cluster).await?;
    super::output::unanswered(cx, &selection.unanswered, "its tasks are left out");
    Ok(selection)
}
