//! `ecsctl state migrate --to URL|DIR [--force]`: moves the current state (`--state`,
//! `--state-dir`) to another store; the work is [`crate::ops::migrate`]'s.

use clap::{Args, Subcommand};

use super::{Context, Outcome, exit};
use crate::state::backend::{Location, Store};

#[derive(Debug, Args)]
pub struct StateArgs {
    #[command(subcommand)]
    pub command: StateCommand,
}

#[derive(Debug, Subcommand)]
pub enum StateCommand {
    /// Copy the state and its runtime records to another store (a directory or postgres://…)
    Migrate(MigrateArgs),
}

#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// Where to: a directory, or a PostgreSQL database (`postgres://user@host/db`)
    #[arg(long, value_name = "DIR|URL")]
    pub to: String,
    /// Replace a target that holds another state (or a newer serial of this one)
    #[arg(long)]
    pub force: bool,
    /// How long to wait for either state's lock (0: fail at once, naming its holder)
    #[arg(long, value_name = "DURATION", default_value = "0s")]
    pub lock_timeout: humantime::Duration,
}

pub fn run(cx: &Context, args: StateArgs) -> Outcome {
    match args.command {
        StateCommand::Migrate(args) => migrate(cx, args),
    }
}

fn migrate(cx: &Context, args: MigrateArgs) -> Outcome {
    let from = cx.store()?;
    let to = Store::open(&Location::parse(&args.to))?;
    let moved = crate::ops::migrate::migrate(&from, &to, args.force, *args.lock_timeout)?;
    cx.out.note(&format!(
        "migrated the state (lineage {}, serial {}) and {} runtime record(s) from {} to {}",
        moved.lineage,
        moved.serial,
        moved.runtimes.len(),
        from.describe(),
        to.describe()
    ));
    Ok(exit::OK)
}
