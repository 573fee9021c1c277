//! `ecsctl get hosts` and `ecsctl drain host NAME` / `ecsctl undrain host NAME`, over
//! `ops::hosts`.

use clap::Args;

use super::output::table;
use super::{Context, DataFormat, Outcome, WaitArgs};
use crate::ops::target::{Kind, parse_one};
use crate::state::State;
use crate::time::{Timestamp, short_age};

pub fn get(
    cx: &Context,
    state: &State,
    only: Option<&str>,
    name: Option<&str>,
    format: DataFormat,
) -> Outcome {
    let session = cx.session()?;
    let (mut views, unanswered) =
        super::reconcile::runtime()?.block_on(crate::ops::hosts::list(&session, state, only))?;
    if let Some(name) = name {
        views.retain(|v| v.name == name);
        if views.is_empty() {
            return Err(crate::ops::OpsError::not_found(
                crate::ops::ObjectKind::Host,
                name,
                crate::ops::resolve::place(only),
            )
            .into());
        }
    }
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
    Ok(super::output::unanswered(
        cx,
        &unanswered,
        "its capacity is unknown",
    ))
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  ecsctl drain host node-a                   # move its tasks elsewhere, then stop them
  ecsctl undrain host/node-a")]
pub struct DrainArgs {
    /// The host: `host NAME`, `host/NAME` (or NAME)
    #[arg(value_name = "HOST", num_args = 1..=2, required = true)]
    pub host: Vec<String>,
    #[command(flatten)]
    pub wait: WaitArgs,
}

/// `drain` (true) or `undrain` (false).
pub fn drain(cx: &Context, args: DrainArgs, drain: bool) -> Outcome {
    let w = &args.wait;
    let host =
        parse_one(&args.host, &[Kind::Host], Some(Kind::Host)).map_err(anyhow::Error::msg)?;
    let drained = crate::ops::hosts::set_draining(
        &cx.open_session()?,
        &host.name,
        w.cluster.as_deref(),
        drain,
        *w.lock_timeout,
    )?;
    if drained.changed {
        cx.out.note(&format!("{}  {}", drained.at, drained.message));
    } else {
        cx.out.note(&drained.message);
    }
    w.converge(cx, &cx.open_store()?, drained.expectations)
}
