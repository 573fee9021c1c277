//! `ecsctl delete service NAME` and `ecsctl delete -f PATH...`: remove objects. Services are
//! drained first (their tasks stopped), then forgotten (`ops::delete`); this file shows the
//! plan and waits for the drained services to be gone.

use anyhow::bail;
use clap::{Args, ValueEnum};

use super::{Context, Outcome, WaitArgs, exit};
use crate::ops::delete::{self, Deletion};
use crate::plan::render::render;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    Service,
}

#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// What to delete (`service`), when not deleting by manifests
    #[arg(value_enum, requires = "name", conflicts_with = "files")]
    pub kind: Option<Kind>,
    /// Its name
    pub name: Option<String>,
    /// Delete the objects these manifests define
    #[arg(short = 'f', long = "filename", value_name = "PATH")]
    pub files: Vec<String>,
    #[command(flatten)]
    pub wait: WaitArgs,
}

pub fn run(cx: &Context, args: DeleteArgs) -> Outcome {
    let what = match (&args.kind, &args.name) {
        (Some(Kind::Service), Some(name)) => Deletion::Service {
            name,
            cluster: args.wait.cluster.as_deref(),
        },
        _ if !args.files.is_empty() => Deletion::Manifests(&args.files),
        _ => bail!("say what to delete: `ecsctl delete service NAME` or `ecsctl delete -f PATH`"),
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
    let applied = delete::commit(&session, deletion)?;
    args.wait.converge(cx, &session.store, applied.expectations)
}
