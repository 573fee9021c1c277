//! `ecsctl get clusters|hosts|taskdefs|services|tasks|targetgroups|loadbalancers|scheduledtasks|alarms|scalabletargets|sync [NAME]`: lists from `ops::views`,
//! `ops::hosts` and `ops::tasks`, as tables or data.

use clap::{Args, ValueEnum};

/// ECS's `--desired-status` filter of `list-tasks`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DesiredStatusArg {
    Running,
    Stopped,
}

use super::output::table;
use super::{Context, DataFormat, Outcome, exit};
use crate::ops::scheduled;
use crate::ops::target::{Kind, parse_one};
use crate::ops::traffic;
use crate::ops::views::{self, ClusterView, ServiceView, TaskDefinitionView};
use crate::time::Timestamp;
use rows::age;

mod rows;

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  ecsctl get services
  ecsctl get tasks --service web -o wide
  ecsctl get taskdefs web                    # every revision of the family
  ecsctl get svc/web -o json
  ecsctl get targetgroups                    # targets and how many are healthy
  ecsctl get scheduledtasks                  # last run, its exit code, next run (alias: st)
  ecsctl get alarms                          # OK, ALARM or INSUFFICIENT_DATA, and since when
  ecsctl get scalabletargets                 # bounds, desired count, last scaling activity
  ecsctl get sync                            # the Git commit applied by `watch --git`")]
pub struct GetArgs {
    /// What to list: clusters, hosts, taskdefs, services, tasks, targetgroups, loadbalancers,
    /// scheduledtasks, alarms, scalabletargets, sync; then optionally a name
    /// (`get svc web`, `get svc/web`; for taskdefs every revision of the family)
    #[arg(value_name = "TYPE [NAME]", num_args = 1..=2, required = true)]
    pub object: Vec<String>,
    /// Only this cluster
    #[arg(long)]
    pub cluster: Option<String>,
    /// Only the tasks of this service (with `get tasks`)
    #[arg(long)]
    pub service: Option<String>,
    /// Only tasks with this desired status (with `get tasks`; default: both, RUNNING first)
    #[arg(long, value_enum, value_name = "STATUS")]
    pub desired_status: Option<DesiredStatusArg>,
    /// Output format
    #[arg(short = 'o', long, value_enum, default_value_t = DataFormat::Table)]
    pub output: DataFormat,
}

/// `TYPE`, `TYPE NAME` or `TYPE/NAME`.
fn what(words: &[String]) -> anyhow::Result<(Kind, Option<String>)> {
    let first = words.first().map(String::as_str).unwrap_or_default();
    if words.len() == 1
        && !first.contains('/')
        && let Some(kind) = Kind::from_word(first)
    {
        return Ok((kind, None));
    }
    let all = [
        Kind::Cluster,
        Kind::Host,
        Kind::TaskDefinition,
        Kind::Service,
        Kind::Task,
        Kind::TargetGroup,
        Kind::LoadBalancer,
        Kind::ScheduledTask,
        Kind::Alarm,
        Kind::ScalableTarget,
    ];
    let named = parse_one(words, &all, None).map_err(anyhow::Error::msg)?;
    Ok((named.kind, Some(named.name)))
}

/// `spot 3/3, ondemand 5/5`: each provider's tasks and its share of the desired count.
fn split_text(split: &[views::ProviderSplit]) -> String {
    if split.is_empty() {
        return "-".into();
    }
    split
        .iter()
        .map(|p| format!("{} {}/{}", p.capacity_provider, p.tasks, p.target))
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn run(cx: &Context, args: GetArgs) -> Outcome {
    let session = cx.session()?;
    let state = session.state_or_empty()?;
    let only = args.cluster.as_deref();
    let (kind, name) = what(&args.object)?;
    let name = name.as_deref();
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
    match kind {
        Kind::Task => {
            let desired = args.desired_status.map(|s| match s {
                DesiredStatusArg::Running => crate::reconcile::task::DesiredStatus::Running,
                DesiredStatusArg::Stopped => crate::reconcile::task::DesiredStatus::Stopped,
            });
            let filter = super::tasks::Filter {
                cluster: only,
                service: args.service.as_deref(),
                task: name,
                desired,
            };
            return super::tasks::get(cx, &state, &filter, args.output);
        }
        Kind::Cluster => emit!(
            views::clusters(&state, name.or(only))?,
            &["name", "status", "hosts", "services"],
            |v: &ClusterView| vec![
                v.name.clone(),
                v.status.into(),
                v.hosts.to_string(),
                v.services.to_string()
            ]
        ),
        Kind::Host => {
            return super::hosts::get(cx, &state, only, name, args.output);
        }
        Kind::Sync => return super::sync::get(cx, &session, args.output),
        Kind::TaskDefinition => {
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
        Kind::TargetGroup => emit!(
            traffic::target_groups(&session, &state, only, name)?,
            rows::TARGET_GROUP,
            rows::target_group
        ),
        Kind::Alarm => emit!(
            crate::ops::alarm::alarms(&session, &state, only, name)?,
            rows::ALARM,
            rows::alarm
        ),
        Kind::ScalableTarget => emit!(
            crate::ops::scaling::scalable_targets(&session, &state, only, name)?,
            rows::SCALABLE_TARGET,
            rows::scalable_target
        ),
        Kind::ScheduledTask => emit!(
            scheduled::scheduled_tasks(&session, &state, only, name, Timestamp::now())?,
            rows::SCHEDULED_TASK,
            rows::scheduled_task
        ),
        Kind::LoadBalancer => emit!(
            traffic::load_balancers(&state, only, name)?,
            rows::LOAD_BALANCER,
            rows::load_balancer
        ),
        Kind::Service => {
            let views = views::services(&session, &state, only, name)?;
            let count = |n: Option<u32>| n.map_or_else(|| "-".to_string(), |n| n.to_string());
            let mut headers = vec![
                "cluster",
                "name",
                "status",
                "task definition",
                "desired",
                "running",
                "pending",
                "scheduling",
            ];
            if wide {
                headers.push("capacity providers (tasks/target)");
            }
            headers.push("age");
            emit!(views, &headers, |v: &ServiceView| {
                let mut row = vec![
                    v.cluster.clone(),
                    v.name.clone(),
                    views::serde_name(&v.status),
                    v.task_definition.clone(),
                    v.desired_count.to_string(),
                    count(v.running_count),
                    count(v.pending_count),
                    v.scheduling_strategy.clone(),
                ];
                if wide {
                    row.push(split_text(&v.capacity_providers));
                }
                row.push(age(v.created_at));
                row
            })
        }
    }
    Ok(exit::OK)
}
