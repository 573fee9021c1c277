//! `ecsctl scale service/NAME N` and `ecsctl rollback service/NAME [--to REV]`: imperative
//! changes recorded by `ops::scale`, then waited for.

use anyhow::{Result, bail};
use clap::Args;

use super::{Context, Outcome, WaitArgs};
use crate::ops::scale::Changed;
use crate::ops::target::{Kind, parse_one};

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  ecsctl scale svc web 6
  ecsctl scale service/web 2 --no-wait")]
pub struct ScaleArgs {
    /// The service and its new desired count: `service/NAME N`, `svc NAME N` (or `NAME N`)
    #[arg(value_name = "SERVICE COUNT", num_args = 2..=3, required = true)]
    pub target: Vec<String>,
    #[command(flatten)]
    pub wait: WaitArgs,
}

#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// service/NAME, service NAME (or NAME)
    #[arg(value_name = "SERVICE", num_args = 1..=2, required = true)]
    pub target: Vec<String>,
    /// The revision to return to (default: the last deployment that completed before this one)
    #[arg(long, value_name = "REVISION")]
    pub to: Option<u32>,
    #[command(flatten)]
    pub wait: WaitArgs,
}

fn service_name(words: &[String]) -> Result<String> {
    Ok(parse_one(words, &[Kind::Service], Some(Kind::Service))
        .map_err(anyhow::Error::msg)?
        .name)
}

/// `SERVICE... COUNT`: the count is the last word.
fn service_and_count(words: &[String]) -> Result<(String, u32)> {
    let Some((count, service)) = words.split_last() else {
        bail!("give the service and the count: `ecsctl scale service/NAME N`");
    };
    let count = count
        .parse::<u32>()
        .map_err(|_| anyhow::anyhow!("the count must be a whole number, not `{count}`"))?;
    Ok((service_name(service)?, count))
}

/// Prints what was recorded, then waits for it to converge.
fn converge(cx: &Context, changed: Changed, args: &WaitArgs) -> Outcome {
    for note in &changed.notes {
        cx.out.note(note);
    }
    cx.out.note(&format!("{}  {}", changed.at, changed.event));
    args.converge(cx, &cx.open_store()?, changed.expectations)
}

pub fn scale(cx: &Context, args: ScaleArgs) -> Outcome {
    let (name, count) = service_and_count(&args.target)?;
    let w = &args.wait;
    let changed = crate::ops::scale::scale(
        &cx.open_session()?,
        &name,
        w.cluster.as_deref(),
        count,
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
