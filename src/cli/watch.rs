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
use crate::controller::supervisor::{self, Config, Ended, Report};
use crate::ops::sync::SyncOptions;
use crate::state::store::StateDir;
use crate::time::Timestamp;

mod git;

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
    pub git: git::GitArgs,
    #[command(flatten)]
    pub reconcile: ReconcileArgs,
}

pub fn run(cx: &Context, args: WatchArgs) -> Outcome {
    let store = cx.open_state_dir()?;
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
        Report::ReconcileError { cluster, error } => {
            eprintln!("{now}  [{cluster}] reconcile error (retrying): {error}")
        }
    }
}

/// Applies the manifests (when there are any) and says what changed.
fn apply_manifests(cx: &Context, store: &StateDir, args: &WatchArgs) -> Result<()> {
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

async fn watch(cx: &Context, store: StateDir, args: WatchArgs) -> Outcome {
    if args.files.iter().any(|f| f == "-") {
        bail!("watch cannot follow stdin; pass files or directories");
    }
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
    let pokes = match &args.git.webhook_listen {
        Some(addr) => Some(webhook(addr, args.git.webhook_secret()?).await?),
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
                self_heal: true,
                lock_timeout: Duration::from_secs(30),
            };
            (described, Some(git::Syncer::new(session, source, options)?))
        }
        None => (args.files.join(", "), None),
    };
    let on: supervisor::OnReport = Arc::new(move |report| print(report, &watched));
    let mut apply = || match syncer.as_mut() {
        Some(syncer) => syncer.sync(),
        None => apply_manifests(cx, &store, &args),
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

/// Starts the push webhook on `addr`; its pokes make the watch fetch at once.
async fn webhook(addr: &str, secret: Vec<u8>) -> Result<tokio::sync::mpsc::Receiver<()>> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen for webhooks on `{addr}`: {e}"))?;
    let bound = listener.local_addr()?;
    let (pokes, poked) = tokio::sync::mpsc::channel(1);
    tokio::spawn(crate::controller::webhook::serve(
        listener,
        secret,
        pokes,
        git::log_line(),
    ));
    eprintln!(
        "{}  webhook listening on http://{bound}/ (signed deliveries only)",
        Timestamp::now()
    );
    Ok(poked)
}
