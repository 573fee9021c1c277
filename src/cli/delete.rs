//! `ecsctl delete TYPE NAME` (`svc web`, `service/web`, `td web`, `cluster staging`) and
//! `ecsctl delete -f PATH...`: remove objects. Services are drained first (their tasks
//! stopped), then forgotten (`ops::delete`). Like `apply`, it shows the plan and asks on a
//! terminal; without one it needs `--auto-approve`.

use anyhow::bail;
use clap::Args;

use super::{Context, Outcome, WaitArgs, exit};
use crate::ops::delete::{self, Deletion};
use crate::ops::target::{Kind, parse_one};
use crate::plan::render::render;

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  ecsctl delete svc web                 # drain the service's tasks, then forget it
  ecsctl delete -f manifests/ --auto-approve
  ecsctl delete taskdef worker          # deregister every revision
  ecsctl delete st nightly              # no more runs; a run under way finishes")]
pub struct DeleteArgs {
    /// What to delete: `service NAME`, `svc/NAME`, `taskdef FAMILY`, `cluster NAME`,
    /// `scheduledtask NAME`
    #[arg(value_name = "TYPE NAME", num_args = 1..=2, conflicts_with = "files")]
    pub object: Vec<String>,
    /// Delete the objects these manifests define
    #[arg(short = 'f', long = "filename", value_name = "PATH")]
    pub files: Vec<String>,
    /// Delete without asking for confirmation
    #[arg(long)]
    pub auto_approve: bool,
    #[command(flatten)]
    pub wait: WaitArgs,
}

pub fn run(cx: &Context, args: DeleteArgs) -> Outcome {
    let named = if args.object.is_empty() {
        None
    } else {
        Some(
            parse_one(
                &args.object,
                &[
                    Kind::Service,
                    Kind::TaskDefinition,
                    Kind::Cluster,
                    Kind::ScheduledTask,
                ],
                None,
            )
            .map_err(anyhow::Error::msg)?,
        )
    };
    let what = match &named {
        Some(n) if n.kind == Kind::Service => Deletion::Service {
            name: &n.name,
            cluster: args.wait.cluster.as_deref(),
        },
        Some(n) if n.kind == Kind::TaskDefinition => Deletion::TaskDefinition(&n.name),
        Some(n) if n.kind == Kind::ScheduledTask => Deletion::ScheduledTask {
            name: &n.name,
            cluster: args.wait.cluster.as_deref(),
        },
        Some(n) => Deletion::Cluster(&n.name),
        None if !args.files.is_empty() => Deletion::Manifests(&args.files),
        None => {
            bail!("say what to delete: `ecsctl delete service NAME` or `ecsctl delete -f PATH`")
        }
    };
    let session = cx.open_session()?;
    let deletion = delete::prepare(&session, what, *args.wait.lock_timeout)?;
    for object in &deletion.missing {
        cx.out.note(&format!(
            "{object} is not in the state (or already deleted)"
        ));
    }
    if !deletion.pending.plan.has_changes() {
        return Ok(exit::OK);
    }
    cx.out.print(&render(&deletion.pending.plan, cx.out.paint));
    if !args.auto_approve && !super::apply::confirm("delete")? {
        cx.out.note("Delete cancelled.");
        return Ok(exit::ERROR);
    }
    let applied = delete::commit(&session, deletion)?;
    args.wait.converge(cx, &session.store, applied.expectations)
}
