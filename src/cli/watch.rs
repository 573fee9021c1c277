//! `ecsctl watch -f PATH...` / `watch --git URL`: runs until SIGINT/SIGTERM. Applies the
//! manifests when their files change (debounced) or when the Git ref moves (fetched every
//! interval, or at once on a signed push webhook), follows state changes made by other
//! commands, and keeps every cluster converged with one reconciler each (holding the
//! cluster's lease). Stopping it leaves the containers running. The work is
//! [`crate::controller::supervisor`]'s and [`crate::ops::sync`]'s; this file parses the
//! flags, applies the manifests when asked, and prints what it reports.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Result, bail};
use clap::Args;

use super::reconcile::{options, runtime, transport};
use super::{Context, Outcome, ReconcileArgs, exit};
use crate::controller::metrics::Live;
use crate::controller::supervisor::{self, Config, Ended, Report};
use crate::ops::sync::SyncOptions;
use crate::state::backend::Store;

mod endpoints;
mod git;
mod log;

use log::Log;
pub use log::LogFormat;

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
    /// Serve Prometheus metrics on ADDR (`http://ADDR/metrics`)
    #[arg(long, value_name = "ADDR")]
    pub metrics: Option<String>,
    /// How the watch logs: text lines, or one JSON object per line
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    #[command(flatten)]
    pub git: git::GitArgs,
    #[command(flatten)]
    pub reconcile: ReconcileArgs,
}

pub fn run(cx: &Context, args: WatchArgs) -> Outcome {
    let store = cx.open_store()?;
    runtime()?.block_on(watch(cx, store, args))
}

/// One line per report. `watched`: what is watched, for the first line.
fn print(log: Log, report: Report, watched: &str) {
    match report {
        Report::Watching => {
            let watched = if watched.is_empty() {
                String::new()
            } else {
                format!(" {watched}")
            };
            log.info(
                None,
                &format!("watching{watched}; stop with Ctrl-C (containers keep running)"),
            );
        }
        Report::Stopping { tasks: 1 } => log.info(None, "stopped watching; 1 task keeps running"),
        Report::Stopping { tasks } => log.info(
            None,
            &format!("stopped watching; {tasks} tasks keep running"),
        ),
        Report::ManifestsChanged => log.info(None, "manifests changed"),
        Report::ApplyFailed(e) => log.warn(None, &format!("applying the manifests failed: {e}")),
        Report::Event { cluster, message } => log.info(Some(&cluster), &message),
        Report::HostDown {
            cluster,
            host,
            error,
        } => log.warn(
            Some(&cluster),
            &format!("host `{host}` does not answer: {error}"),
        ),
        Report::HostUp { cluster, host } => {
            log.info(Some(&cluster), &format!("host `{host}` answers again"))
        }
        Report::Standby { cluster, holder } => log.info(
            Some(&cluster),
            &format!("standing by: {holder} holds the reconciler lease; taking over if it stops renewing it"),
        ),
        Report::LeaseTaken { cluster } => log.info(
            Some(&cluster),
            "took over the reconciler lease; reconciling",
        ),
        Report::LeaseLost { cluster } => log.warn(
            Some(&cluster),
            "lost the reconciler lease (it could not be renewed in time); stopped reconciling",
        ),
        Report::ReconcileError { cluster, error } => log.warn(
            Some(&cluster),
            &format!("reconcile error (retrying): {error}"),
        ),
        Report::Pass { .. } => {}
    }
}

/// Applies the manifests (when there are any) and says what changed.
fn apply_manifests(cx: &Context, log: Log, store: &Store, args: &WatchArgs) -> Result<()> {
    if args.files.is_empty() {
        return Ok(());
    }
    match super::apply::apply_files(cx, store, &args.files, args.prune, Duration::from_secs(30))? {
        Some(plan) if plan.has_changes() => {
            let s = &plan.summary;
            log.info(
                None,
                &format!(
                    "applied the manifests: {} added, {} changed, {} destroyed",
                    s.add, s.change, s.destroy
                ),
            );
        }
        Some(_) => {}
        None => log.warn(None, "the manifests have errors; the state is unchanged"),
    }
    Ok(())
}

/// How often a watch gives freed memory back (a pass of 1,000 tasks takes about as long).
const RELEASE_EVERY: Duration = Duration::from_secs(5);

async fn watch(cx: &Context, store: Store, args: WatchArgs) -> Outcome {
    if args.files.iter().any(|f| f == "-") {
        bail!("watch cannot follow stdin; pass files or directories");
    }
    // What a rollout freed goes back to the system instead of staying with the watch.
    let _release = tokio::spawn(crate::alloc::release_free_memory_every(RELEASE_EVERY));
    let source = args.git.source();
    let config = Config {
        // Absolute: file-system events carry absolute paths.
        manifests: args
            .files
            .iter()
            .map(|f| std::fs::canonicalize(f).unwrap_or_else(|_| PathBuf::from(f)))
            .collect(),
        cluster: args.cluster.clone(),
        lease_timeout: *args.lease_timeout,
        poll: source.as_ref().map(|_| *args.git.interval),
        options: options(&args.reconcile),
    };
    let log = Log {
        format: args.log_format,
    };
    let live = Arc::new(Live::default());
    if let Some(addr) = &args.metrics {
        let session = crate::ops::Session::new(store.clone(), transport(&store));
        endpoints::metrics(addr, session, live.clone(), log).await?;
    }
    let pokes = match &args.git.webhook_listen {
        Some(addr) => Some(endpoints::webhook(addr, args.git.webhook_secret()?, log).await?),
        None => None,
    };
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let stop = async move {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = terminate.recv() => {}
        }
    };
    let (watched, mut syncer) = match source {
        Some(source) => {
            let described = format!(
                "{} ({}, {})",
                source.display_url(),
                source.reference,
                source.path
            );
            let session = crate::ops::Session::new(store.clone(), transport(&store));
            let options = SyncOptions {
                prune: args.prune,
                self_heal: !args.reconcile.no_self_heal,
                lock_timeout: Duration::from_secs(30),
            };
            (
                described,
                Some(git::Syncer::new(session, source, options, log)?),
            )
        }
        None => (args.files.join(", "), None),
    };
    let on: supervisor::OnReport = Arc::new(move |report| {
        live.observe(&report);
        print(log, report, &watched);
    });
    let mut apply = || match syncer.as_mut() {
        Some(syncer) => syncer.sync(),
        None => apply_manifests(cx, log, &store, &args),
    };
    let ended = supervisor::watch(
        &store,
        transport(&store),
        &config,
        &mut apply,
        pokes,
        on,
        stop,
    );
    match ended.await? {
        Ended::Stopped => Ok(exit::OK),
        Ended::LeaseHeld(e) => {
            cx.out
                .note(&format!("{}: {e}", cx.out.paint_err.red("error")));
            cx.out.note("  help: one reconciler per cluster: stop the other one, or pass --lease-timeout to wait for it");
            Ok(exit::ERROR)
        }
    }
}
