//! `ecsctl watch -f PATH...`: runs until SIGINT/SIGTERM. Applies the manifests when their
//! files change (debounced), follows state changes made by other commands, and keeps every
//! cluster converged with one reconciler each (holding the cluster's lease). Stopping it
//! leaves the containers running. The work is [`crate::controller::supervisor`]'s; this file
//! parses the flags, applies the manifests when asked, and prints what it reports.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Result, bail};
use clap::Args;

use super::reconcile::{options, runtime, transport};
use super::{Context, Outcome, ReconcileArgs, exit};
use crate::controller::supervisor::{self, Config, Ended, Report};
use crate::state::backend::Store;
use crate::time::Timestamp;

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Manifest files or directories to apply now and whenever they change
    #[arg(short = 'f', long = "filename", value_name = "PATH")]
    pub files: Vec<String>,
    /// Delete objects that are in the state but not in the manifests
    #[arg(long)]
    pub prune: bool,
    /// Only this cluster (default: every cluster in the state)
    #[arg(long)]
    pub cluster: Option<String>,
    /// How long to wait for another reconciler's lease (0: exit at once, naming its holder)
    #[arg(long, value_name = "DURATION", default_value = "0s")]
    pub lease_timeout: humantime::Duration,
    #[command(flatten)]
    pub reconcile: ReconcileArgs,
}

pub fn run(cx: &Context, args: WatchArgs) -> Outcome {
    let store = cx.open_store()?;
    runtime()?.block_on(watch(cx, store, args))
}

/// One line per report, on stderr. `files`: what is watched, for the first line.
fn print(report: Report, files: &str) {
    let now = Timestamp::now();
    match report {
        Report::Watching => {
            let files = if files.is_empty() {
                String::new()
            } else {
                format!(" {files}")
            };
            eprintln!("{now}  watching{files}; stop with Ctrl-C (containers keep running)");
        }
        Report::Stopping { tasks: 1 } => eprintln!("{now}  stopped watching; 1 task keeps running"),
        Report::Stopping { tasks } => {
            eprintln!("{now}  stopped watching; {tasks} tasks keep running")
        }
        Report::ManifestsChanged => eprintln!("{now}  manifests changed"),
        Report::ApplyFailed(e) => eprintln!("{now}  applying the manifests failed: {e}"),
        Report::Event { cluster, message } => eprintln!("{now}  [{cluster}] {message}"),
        Report::HostDown {
            cluster,
            host,
            error,
        } => eprintln!("{now}  [{cluster}] host `{host}` does not answer: {error}"),
        Report::HostUp { cluster, host } => {
            eprintln!("{now}  [{cluster}] host `{host}` answers again")
        }
        Report::Standby { cluster, holder } => eprintln!(
            "{now}  [{cluster}] standing by: {holder} holds the reconciler lease; taking over if it stops renewing it"
        ),
        Report::LeaseTaken { cluster } => {
            eprintln!("{now}  [{cluster}] took over the reconciler lease; reconciling")
        }
        Report::LeaseLost { cluster } => eprintln!(
            "{now}  [{cluster}] lost the reconciler lease (it could not be renewed in time); stopped reconciling"
        ),
        Report::ReconcileError { cluster, error } => {
            eprintln!("{now}  [{cluster}] reconcile error (retrying): {error}")
        }
    }
}

/// Applies the manifests (when there are any) and says what changed.
fn apply_manifests(cx: &Context, store: &Store, args: &WatchArgs) -> Result<()> {
    if args.files.is_empty() {
        return Ok(());
    }
    match super::apply::apply_files(cx, store, &args.files, args.prune, Duration::from_secs(30))? {
        Some(plan) if plan.has_changes() => {
            let s = &plan.summary;
            eprintln!(
                "{}  applied the manifests: {} added, {} changed, {} destroyed",
                Timestamp::now(),
                s.add,
                s.change,
                s.destroy
            );
        }
        Some(_) => {}
        None => eprintln!(
            "{}  the manifests have errors; the state is unchanged",
            Timestamp::now()
        ),
    }
    Ok(())
}

async fn watch(cx: &Context, store: Store, args: WatchArgs) -> Outcome {
    if args.files.iter().any(|f| f == "-") {
        bail!("watch cannot follow stdin; pass files or directories");
    }
    let config = Config {
        // Absolute: file-system events carry absolute paths.
        manifests: args
            .files
            .iter()
            .map(|f| std::fs::canonicalize(f).unwrap_or_else(|_| PathBuf::from(f)))
            .collect(),
        cluster: args.cluster.clone(),
        lease_timeout: *args.lease_timeout,
        options: options(&args.reconcile),
    };
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let stop = async move {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = terminate.recv() => {}
        }
    };
    let files = args.files.join(", ");
    let on: supervisor::OnReport = Arc::new(move |report| print(report, &files));
    let mut apply = || apply_manifests(cx, &store, &args);
    match supervisor::watch(&store, transport(&store), &config, &mut apply, on, stop).await? {
        Ended::Stopped => Ok(exit::OK),
        Ended::LeaseHeld(e) => {
            cx.out
                .note(&format!("{}: {e}", cx.out.paint_err.red("error")));
            cx.out.note("  help: one reconciler per cluster: stop the other one, or pass --lease-timeout to wait for it");
            Ok(exit::ERROR)
        }
    }
}
