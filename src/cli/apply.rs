//! `ecsctl apply -f PATH...` and `ecsctl apply PLANFILE`: show the plan, ask, record it in the
//! state (`ops::apply`), then converge the hosts.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use anyhow::bail;
use clap::Args;

use super::{Context, Outcome, exit};
use crate::ops::apply::{commit, prepare_files, prepare_saved};
use crate::plan::render::render;

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  ecsctl apply -f manifests/                 # show the plan, ask, apply, wait until steady
  ecsctl apply -f manifests/ --auto-approve --no-wait
  ecsctl apply plan.json                     # a plan saved by `ecsctl plan --out`")]
pub struct ApplyArgs {
    /// A plan saved by `ecsctl plan --out FILE` (instead of -f)
    #[arg(value_name = "PLANFILE", conflicts_with = "files")]
    pub plan_file: Option<PathBuf>,
    /// Manifest files or directories (recursive: *.yaml, *.yml, *.json); `-` reads stdin
    #[arg(short = 'f', long = "filename", value_name = "PATH")]
    pub files: Vec<String>,
    /// Delete objects that are in the state but not in the manifests
    #[arg(long, conflicts_with = "plan_file")]
    pub prune: bool,
    /// Apply without asking for confirmation
    #[arg(long)]
    pub auto_approve: bool,
    /// How long to wait for the state lock (0: fail at once, naming its holder)
    #[arg(long, value_name = "DURATION", default_value = "0s")]
    pub lock_timeout: humantime::Duration,
    /// How long to wait for the services to be steady
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "5m",
        conflicts_with = "no_wait"
    )]
    pub wait: humantime::Duration,
    /// Return once the state is written and the first round of actions is started
    #[arg(long)]
    pub no_wait: bool,
    /// Only record the state: a running `watch` (or a later `reconcile`) converges the hosts
    #[arg(long, conflicts_with = "no_wait")]
    pub no_converge: bool,
    #[command(flatten)]
    pub reconcile: super::ReconcileArgs,
}

pub fn run(cx: &Context, args: ApplyArgs) -> Outcome {
    if args.plan_file.is_none() && args.files.is_empty() {
        bail!("nothing to apply: pass manifests with -f PATH, or a saved plan file");
    }
    let session = cx.open_session()?;
    let pending = match &args.plan_file {
        Some(path) => prepare_saved(&session, path, *args.lock_timeout)?,
        None => prepare_files(&session, &args.files, args.prune, *args.lock_timeout)?,
    };
    cx.out.diagnostics(&pending.diagnostics);
    cx.out.print(&render(&pending.plan, cx.out.paint));
    let changes = pending.plan.has_changes();
    if changes && args.plan_file.is_none() && !args.auto_approve && !confirm("apply")? {
        cx.out.note("Apply cancelled.");
        return Ok(exit::ERROR);
    }
    let applied = commit(&session, pending)?;
    if changes {
        let s = &applied.plan.summary;
        cx.out.println(&format!(
            "\nApply complete! Resources: {} added, {} changed, {} destroyed.",
            s.add, s.change, s.destroy
        ));
    } else {
        cx.out.println("\nApply complete! Nothing to change.");
    }
    if args.no_converge || applied.next.is_none() {
        return Ok(exit::OK);
    }
    let wait = if args.no_wait {
        std::time::Duration::ZERO
    } else {
        *args.wait
    };
    super::reconcile::converge_all(
        cx,
        &session.store,
        applied.expectations,
        wait,
        &args.reconcile,
    )
}

/// Asks on the terminal before `verb` (apply, delete) changes anything; without a terminal,
/// confirmation is impossible and that is an error.
pub fn confirm(verb: &str) -> anyhow::Result<bool> {
    if !std::io::stdin().is_terminal() {
        if verb == "apply" {
            bail!(
                "apply needs confirmation, but stdin is not a terminal: pass --auto-approve, or apply a saved plan (`ecsctl plan --out plan.json`, then `ecsctl apply plan.json`)"
            );
        }
        bail!("{verb} needs confirmation, but stdin is not a terminal: pass --auto-approve");
    }
    let mut stderr = std::io::stderr();
    write!(
        stderr,
        "\nDo you want to perform these actions?\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: "
    )?;
    stderr.flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(answer.trim() == "yes")
}

/// Plans the manifests against the state and records the result without asking: what
/// `watch` does when files change. `None` when the manifests are invalid (the diagnostics
/// are printed and nothing is written).
pub fn apply_files(
    cx: &Context,
    store: &crate::state::backend::Store,
    files: &[String],
    prune: bool,
    lock_timeout: std::time::Duration,
) -> anyhow::Result<Option<crate::plan::Plan>> {
    let session = crate::ops::Session::new(
        store.clone(),
        std::sync::Arc::new(crate::docker::transport::NoTransport),
    );
    match crate::ops::apply::apply_files(&session, files, prune, lock_timeout) {
        Ok((applied, diagnostics)) => {
            cx.out.diagnostics(&diagnostics);
            if applied.plan.has_changes() {
                cx.out.note(&render(&applied.plan, cx.out.paint_err));
            }
            Ok(Some(applied.plan))
        }
        Err(crate::ops::OpsError::InvalidManifests(diagnostics)) => {
            cx.out.diagnostics(&diagnostics);
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}
