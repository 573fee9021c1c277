//! `ecsctl get clusters|hosts|taskdefs|services`: lists, as tables or data.

use clap::{Args, ValueEnum};
use serde::Serialize;

use super::output::table;
use super::{Context, DataFormat, Outcome, exit};
use crate::state::{RevisionStatus, ServiceRecord, State};
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

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterView {
    pub name: String,
    pub status: &'static str,
    pub hosts: usize,
    pub services: usize,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskDefinitionView {
    pub family: String,
    pub revision: u32,
    pub status: RevisionStatus,
    pub revisions: usize,
    pub network_mode: String,
    pub cpu: Option<String>,
    pub memory: Option<String>,
    pub containers: Vec<String>,
    pub images: Vec<String>,
    pub registered_at: Timestamp,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceView {
    pub cluster: String,
    pub name: String,
    pub status: crate::state::ServiceStatus,
    pub task_definition: String,
    pub desired_count: u32,
    /// As the reconciler last saw them (absent before any reconcile).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub running_count: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending_count: Option<u32>,
    pub scheduling_strategy: String,
    pub deployments: usize,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

pub fn cluster_views(state: &State, only: Option<&str>) -> Vec<ClusterView> {
    state
        .cluster_names()
        .into_iter()
        .filter(|name| only.is_none_or(|c| c == name))
        .map(|name| ClusterView {
            hosts: state.cluster_spec(&name).map_or(0, |s| s.hosts.len()),
            services: state.services.get(&name).map_or(0, |s| s.len()),
            status: "ACTIVE",
            name,
        })
        .collect()
}

pub fn task_definition_views(state: &State) -> Vec<TaskDefinitionView> {
    state
        .task_definitions
        .iter()
        .filter_map(|(family, record)| {
            let revision = record.latest_active().or(record.latest())?;
            let spec = &revision.spec;
            Some(TaskDefinitionView {
                family: family.clone(),
                revision: revision.revision,
                status: revision.status,
                revisions: record.revisions.len(),
                network_mode: spec
                    .network_mode
                    .map_or_else(|| "bridge".into(), |m| m.to_string()),
                cpu: spec.cpu.clone(),
                memory: spec.memory.clone(),
                containers: spec
                    .container_definitions
                    .iter()
                    .filter_map(|c| c.name.clone())
                    .collect(),
                images: spec
                    .container_definitions
                    .iter()
                    .filter_map(|c| c.image.clone())
                    .collect(),
                registered_at: revision.registered_at,
            })
        })
        .collect()
}

pub fn service_view(cluster: &str, name: &str, record: &ServiceRecord) -> ServiceView {
    ServiceView {
        cluster: cluster.to_string(),
        name: name.to_string(),
        status: record.status,
        task_definition: record.task_definition.to_string(),
        desired_count: record.desired_count,
        running_count: None,
        pending_count: None,
        scheduling_strategy: record
            .spec
            .scheduling_strategy
            .map_or_else(|| "REPLICA".into(), |s| s.to_string()),
        deployments: record.deployments.len(),
        created_at: record.created_at,
        updated_at: record.updated_at,
    }
}

pub fn service_views(state: &State, only: Option<&str>) -> Vec<ServiceView> {
    state
        .all_services()
        .filter(|(cluster, _, _)| only.is_none_or(|c| c == *cluster))
        .map(|(cluster, name, record)| service_view(cluster, name, record))
        .collect()
}

fn age(since: Timestamp) -> String {
    short_age(Timestamp::now().since(since))
}

pub fn run(cx: &Context, args: GetArgs) -> Outcome {
    let state = cx.read_state_or_empty()?;
    let only = args.cluster.as_deref();
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
            return super::tasks::get(cx, &state, only, args.service.as_deref(), args.output);
        }
        Resource::Clusters => emit!(
            cluster_views(&state, only),
            &["name", "status", "hosts", "services"],
            |v: &ClusterView| vec![
                v.name.clone(),
                v.status.into(),
                v.hosts.to_string(),
                v.services.to_string()
            ]
        ),
        Resource::Hosts => {
            return super::hosts::get(cx, &state, only, args.output);
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
                task_definition_views(&state),
                headers,
                |v: &TaskDefinitionView| {
                    let dash = |s: &Option<String>| s.clone().unwrap_or_else(|| "-".into());
                    let status = match v.status {
                        RevisionStatus::Active => "ACTIVE",
                        RevisionStatus::Inactive => "INACTIVE",
                    };
                    if wide {
                        vec![
                            v.family.clone(),
                            v.revision.to_string(),
                            status.into(),
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
                            status.into(),
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
            let store = cx.state_dir()?;
            let mut views = service_views(&state, only);
            for view in &mut views {
                let counts = store
                    .read_runtime(&view.cluster)?
                    .services
                    .get(&view.name)
                    .and_then(|s| s.counts);
                view.running_count = counts.map(|c| c.running);
                view.pending_count = counts.map(|c| c.pending + c.unplaced);
            }
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
                    format!("{:?}", v.status).to_uppercase(),
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
