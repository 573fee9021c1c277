//! `ecsctl get clusters|hosts|taskdefs|services|tasks [NAME]`: lists from `ops::views`,
//! `ops::hosts` and `ops::tasks`, as tables or data.

use clap::{Args, ValueEnum};

use super::output::table;
use super::{Context, DataFormat, Outcome, exit};
use crate::ops::views::{self, ClusterView, ServiceView, TaskDefinitionView};
use crate::time::{Timestamp, short_age};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Resource {
    #[value(alias = "cluster")]
    Clusters,
    #[value(alias = "host")]
    Hosts,
    #[value(alias = "taskdef", alias = "task-definitions", alias = "td")]
    Taskdefs,
    #[value(alias = "service", alias = "svc")]
    Services,
    #[value(alias = "task")]
    Tasks,
}

#[derive(Debug, Args)]
pub struct GetArgs {
    /// What to list
    #[arg(value_enum)]
    pub resource: Resource,
    /// Only this one (for `taskdefs`: every revision of the family)
    pub name: Option<String>,
    /// Only this cluster
    #[arg(long)]
    pub cluster: Option<String>,
    /// Only the tasks of this service (with `get tasks`)
    #[arg(long)]
    pub service: Option<String>,
    /// Output format
    #[arg(short = 'o', long, value_enum, default_value_t = DataFormat::Table)]
    pub output: DataFormat,
}

fn age(since: Timestamp) -> String {
    short_age(Timestamp::now().since(since))
}

pub fn run(cx: &Context, args: GetArgs) -> Outcome {
    let session = cx.session()?;
    let state = session.state_or_empty()?;
    let only = args.cluster.as_deref();
    let name = args.name.as_deref();
    let wide = args.output == DataFormat::Wide;
    macro_rules! emit {
        ($views:expr, $headers:expr, $row:expr) => {{
            let views = $views;
            match args.output {
                DataFormat::Json => cx.out.json(&views)?,
                DataFormat::Yaml => cx.out.yaml(&views)?,
                DataFormat::Table | DataFormat::Wide => {
                    let rows = views.iter().map($row).collect();
                    cx.out.print(&table($headers, rows));
                }
            }
        }};
    }
    match args.resource {
        Resource::Tasks => {
            return super::tasks::get(cx, &state, only, args.service.as_deref(), name, args.output);
        }
        Resource::Clusters => emit!(
            views::clusters(&state, name.or(only))?,
            &["name", "status", "hosts", "services"],
            |v: &ClusterView| vec![
                v.name.clone(),
                v.status.into(),
                v.hosts.to_string(),
                v.services.to_string()
            ]
        ),
        Resource::Hosts => {
            return super::hosts::get(cx, &state, only, name, args.output);
        }
        Resource::Taskdefs => {
            let headers: &[&str] = if wide {
                &[
                    "family",
                    "revision",
                    "status",
                    "revisions",
                    "network",
                    "cpu",
                    "memory",
                    "containers",
                    "images",
                    "age",
                ]
            } else {
                &[
                    "family",
                    "revision",
                    "status",
                    "containers",
                    "cpu",
                    "memory",
                    "age",
                ]
            };
            emit!(
                views::task_definitions(&state, name)?,
                headers,
                |v: &TaskDefinitionView| {
                    let dash = |s: &Option<String>| s.clone().unwrap_or_else(|| "-".into());
                    let status = views::serde_name(&v.status);
                    if wide {
                        vec![
                            v.family.clone(),
                            v.revision.to_string(),
                            status.clone(),
                            v.revisions.to_string(),
                            v.network_mode.clone(),
                            dash(&v.cpu),
                            dash(&v.memory),
                            v.containers.join(","),
                            v.images.join(","),
                            age(v.registered_at),
                        ]
                    } else {
                        vec![
                            v.family.clone(),
                            v.revision.to_string(),
                            status.clone(),
                            v.containers.join(","),
                            dash(&v.cpu),
                            dash(&v.memory),
                            age(v.registered_at),
                        ]
                    }
                }
            )
        }
        Resource::Services => {
            let views = views::services(&session, &state, only, name)?;
            let count = |n: Option<u32>| n.map_or_else(|| "-".to_string(), |n| n.to_string());
            emit!(
                views,
                &[
                    "cluster",
                    "name",
                    "status",
                    "task definition",
                    "desired",
                    "running",
                    "pending",
                    "scheduling",
                    "age"
                ],
                |v: &ServiceView| vec![
                    v.cluster.clone(),
                    v.name.clone(),
                    views::serde_name(&v.status),
                    v.task_definition.clone(),
                    v.desired_count.to_string(),
                    count(v.running_count),
                    count(v.pending_count),
                    v.scheduling_strategy.clone(),
                    age(v.created_at),
                ]
            )
        }
    }
    Ok(exit::OK)
}
