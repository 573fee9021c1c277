//! `ecsctl watch -f PATH...`: runs until SIGINT/SIGTERM. Applies the manifests when their
//! files change (debounced), follows state changes made by other commands, and keeps every
//! cluster converged with one reconciler each (holding the cluster's lease). Stopping it
//! leaves the containers running.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use clap::Args;
use notify::{RecursiveMode, Watcher};
use tokio::sync::mpsc;

use super::reconcile::{options, runtime, transport};
use super::{Context, Outcome, ReconcileArgs, exit};
use crate::controller::reconciler::{Options, PassReport, Reconciler};
use crate::controller::run::drive;
use crate::docker::transport::Transport;
use crate::state::lock::{self, LockError, LockGuard};
use crate::state::store::StateDir;
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
    let store = cx.open_state_dir()?;
    runtime()?.block_on(watch(cx, store, args))
}

/// Takes the lease of a cluster, waiting up to `timeout` (off the async threads).
async fn take_lease(
    store: &StateDir,
    cluster: &str,
    timeout: Duration,
) -> Result<LockGuard, LockError> {
    let path = store.lease_path(cluster);
    let what = format!("reconciler lease of cluster `{cluster}`");
    tokio::task::spawn_blocking(move || lock::acquire(&path, &what, timeout))
        .await
        .unwrap_or_else(|e| {
            Err(LockError::Io {
                path: PathBuf::new(),
                source: std::io::Error::other(e.to_string()),
            })
        })
}

struct Running {
    nudge: mpsc::Sender<()>,
    handle: tokio::task::JoinHandle<()>,
}

fn print_report(cluster: &str, report: &PassReport, hosts: &mut BTreeMap<String, Option<String>>) {
    for service in report.services.values() {
        for event in &service.events {
            eprintln!("{}  [{cluster}] {event}", Timestamp::now());
        }
    }
    for host in &report.hosts {
        let previous = hosts.insert(host.name.clone(), host.error.clone());
        if previous.as_ref() != Some(&host.error) {
            match &host.error {
                Some(error) => eprintln!(
                    "{}  [{cluster}] host `{}` does not answer: {error}",
                    Timestamp::now(),
                    host.name
                ),
                None if previous.is_some() => eprintln!(
                    "{}  [{cluster}] host `{}` answers again",
                    Timestamp::now(),
                    host.name
                ),
                None => {}
            }
        }
    }
}

fn spawn_reconciler(
    store: &StateDir,
    cluster: &str,
    lease: LockGuard,
    options: Options,
    transport: Arc<dyn Transport>,
) -> Running {
    let (nudge, nudges) = mpsc::channel(256);
    let own_nudge = nudge.clone();
    let mut reconciler = Reconciler::new(store.clone(), cluster, options, transport);
    let cluster = cluster.to_string();
    let handle = tokio::spawn(async move {
        let _lease = lease;
        let mut hosts = BTreeMap::new();
        drive(
            &mut reconciler,
            nudges,
            own_nudge,
            None,
            |_| false,
            |report| print_report(&cluster, report, &mut hosts),
            |error| {
                eprintln!(
                    "{}  [{cluster}] reconcile error (retrying): {error:#}",
                    Timestamp::now()
                )
            },
        )
        .await;
    });
    Running { nudge, handle }
}

/// What a file-system event is about.
enum Change {
    Manifests,
    State,
}

async fn watch(cx: &Context, store: StateDir, args: WatchArgs) -> Outcome {
    // Absolute: file-system events carry absolute paths.
    let manifest_roots: Vec<PathBuf> = args
        .files
        .iter()
        .filter(|f| *f != "-")
        .map(|f| std::fs::canonicalize(f).unwrap_or_else(|_| PathBuf::from(f)))
        .collect();
    if args.files.iter().any(|f| f == "-") {
        bail!("watch cannot follow stdin; pass files or directories");
    }
    let apply = |cx: &Context| -> Result<()> {
        if args.files.is_empty() {
            return Ok(());
        }
        match super::apply::apply_files(
            cx,
            &store,
            &args.files,
            args.prune,
            Duration::from_secs(30),
        )? {
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
    };
    apply(cx)?;

    let (changes_tx, mut changes) = mpsc::channel::<Change>(256);
    let state_file = std::fs::canonicalize(store.root())
        .map(|root| root.join("state.json"))
        .unwrap_or_else(|_| store.state_path());
    let roots = manifest_roots.clone();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let Ok(event) = event else { return };
        if matches!(event.kind, notify::EventKind::Access(_)) {
            return;
        }
        for path in &event.paths {
            let change = if path == &state_file {
                Change::State
            } else if roots
                .iter()
                .any(|r| path.starts_with(r) || r.starts_with(path))
                && is_manifest(path)
            {
                Change::Manifests
            } else {
                continue;
            };
            let _ = changes_tx.try_send(change);
        }
    })
    .context("starting the file watcher")?;
    watcher
        .watch(store.root(), RecursiveMode::NonRecursive)
        .with_context(|| format!("watching `{}`", store.root().display()))?;
    for root in &manifest_roots {
        // Editors replace files by renaming: watch the directory of a file, not the file.
        let target = if root.is_dir() {
            root.clone()
        } else {
            root.parent().map(Path::to_path_buf).unwrap_or_default()
        };
        let target = if target.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            target
        };
        watcher
            .watch(&target, RecursiveMode::Recursive)
            .with_context(|| format!("watching `{}`", target.display()))?;
    }

    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let transport = transport();
    let options = options(&args.reconcile);
    let mut running: BTreeMap<String, Running> = BTreeMap::new();
    eprintln!(
        "{}  watching{}; stop with Ctrl-C (containers keep running)",
        Timestamp::now(),
        if args.files.is_empty() {
            String::new()
        } else {
            format!(" {}", args.files.join(", "))
        }
    );
    loop {
        // A reconciler for every cluster of the state.
        let clusters = store
            .read_state()?
            .map(|s| s.cluster_names())
            .unwrap_or_else(|| {
                [crate::model::cluster::DEFAULT_CLUSTER.to_string()]
                    .into_iter()
                    .collect()
            });
        for cluster in clusters {
            if args.cluster.as_ref().is_some_and(|c| *c != cluster)
                || running.contains_key(&cluster)
            {
                continue;
            }
            match take_lease(&store, &cluster, *args.lease_timeout).await {
                Ok(lease) => {
                    running.insert(
                        cluster.clone(),
                        spawn_reconciler(
                            &store,
                            &cluster,
                            lease,
                            options.clone(),
                            transport.clone(),
                        ),
                    );
                }
                Err(e @ LockError::Held { .. }) => {
                    cx.out
                        .note(&format!("{}: {e}", cx.out.paint_err.red("error")));
                    cx.out.note("  help: one reconciler per cluster: stop the other one, or pass --lease-timeout to wait for it");
                    stop_all(running).await;
                    return Ok(exit::ERROR);
                }
                Err(e) => return Err(e.into()),
            }
        }
        tokio::select! {
            _ = tokio::signal::ctrl_c() => break,
            _ = terminate.recv() => break,
            change = changes.recv() => {
                let Some(change) = change else { break };
                // Debounce: editors write several times.
                let mut manifests = matches!(change, Change::Manifests);
                let mut state = matches!(change, Change::State);
                tokio::time::sleep(Duration::from_millis(300)).await;
                while let Ok(more) = changes.try_recv() {
                    manifests |= matches!(more, Change::Manifests);
                    state |= matches!(more, Change::State);
                }
                if manifests {
                    eprintln!("{}  manifests changed", Timestamp::now());
                    if let Err(e) = apply(cx) {
                        eprintln!("{}  applying the manifests failed: {e:#}", Timestamp::now());
                    }
                    state = true;
                }
                if state {
                    for r in running.values() {
                        let _ = r.nudge.try_send(());
                    }
                }
            }
        }
    }
    eprintln!("{}  stopping; containers keep running", Timestamp::now());
    stop_all(running).await;
    Ok(exit::OK)
}

async fn stop_all(running: BTreeMap<String, Running>) {
    for (_, r) in running {
        r.handle.abort();
        let _ = r.handle.await;
    }
}

fn is_manifest(path: &Path) -> bool {
    path.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .is_some_and(|e| matches!(e.as_str(), "yaml" | "yml" | "json"))
}
