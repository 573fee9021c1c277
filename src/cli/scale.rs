//! `ecsctl scale service/NAME N` and `ecsctl rollback service/NAME [--to REV]`: imperative
//! changes recorded by `ops::scale`, then waited for.

use anyhow::{Result, bail};
use clap::Args;

use super::{Context, Outcome, WaitArgs};
use crate::ops::scale::Changed;
use crate::ops::target::Target;

#[derive(Debug, Args)]
pub struct ScaleArgs {
    /// service/NAME (or NAME)
    pub target: String,
    /// The new desired count
    pub count: u32,
    #[command(flatten)]
    pub wait: WaitArgs,
}

#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// service/NAME (or NAME)
    pub target: String,
    /// The revision to return to (default: the last deployment that completed before this one)
    #[arg(long, value_name = "REVISION")]
    pub to: Option<u32>,
    #[command(flatten)]
    pub wait: WaitArgs,
}

fn service_name(target: &str) -> Result<String> {
    match target.parse::<Target>().map_err(|e| anyhow::anyhow!(e))? {
        Target::Service(name) => Ok(name),
        Target::Task(_) => bail!("only services can be scaled or rolled back: write service/NAME"),
    }
}

/// Prints what was recorded, then waits for it to converge.
fn converge(cx: &Context, changed: Changed, args: &WaitArgs) -> Outcome {
    for note in &changed.notes {
        cx.out.note(note);
    }
    cx.out.note(&format!("{}  {}", changed.at, changed.event));
    args.converge(cx, &cx.open_state_dir()?, changed.expectations)
}

pub fn scale(cx: &Context, args: ScaleArgs) -> Outcome {
    let name = service_name(&args.target)?;
    let w = &args.wait;
    let changed = crate::ops::scale::scale(
        &cx.open_session()?,
        &name,
        w.cluster.as_deref(),
        args.count,
        *w.lock_timeout,
    )?;
    converge(cx, changed, w)
}

pub fn rollback(cx: &Context, args: RollbackArgs) -> Outcome {
    let name = service_name(&args.target)?;
    let w = &args.wait;
    let changed = crate::ops::scale::rollback(
        &cx.open_session()?,
        &name,
        w.cluster.as_deref(),
        args.to,
        *w.lock_timeout,
    )?;
    converge(cx, changed, w)
}
