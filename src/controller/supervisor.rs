//! The supervisor behind `ecsctl watch`: one reconciler per cluster of the state (each holding
//! the cluster's lease), the manifests applied again when their files change and the
//! reconcilers nudged when the state changes (both debounced: editors write several times),
//! until the caller's stop future resolves. Applying manifests is the caller's callback;
//! what happens comes back as [`Report`]s through the caller's callback. Prints nothing.
//!
//! On a shared (PostgreSQL) state, several watches run on different machines: a cluster
//! whose lease another one holds is stood by for, and taken over when that lease expires; a
//! reconciler whose lease is lost is stopped at once (its writes are fenced anyway). Without
//! file events there, the state's serial and the runtime versions are polled instead.

use std::collections::BTreeMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result};
use notify::{RecursiveMode, Watcher};
use tokio::sync::mpsc;

use super::reconciler::{Options, PassReport, Reconciler};
use super::run::drive;
use crate::docker::transport::Transport;
use crate::state::backend::{Lease, Store};
use crate::state::lock::LockError;

/// What a watch does.
#[derive(Clone, Debug)]
pub struct Config {
    /// Manifest files and directories to follow (none: only the state).
    pub manifests: Vec<PathBuf>,
    /// Only this cluster (default: every cluster of the state).
    pub cluster: Option<String>,
    /// How long to wait for another reconciler's lease.
    pub lease_timeout: Duration,
    /// Call `apply` again this often (a Git source is fetched, not watched).
    pub poll: Option<Duration>,
    pub options: Options,
}

/// What happens, as it happens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Report {
    /// Everything is set up; the loop runs.
    Watching,
    ManifestsChanged,
    /// The apply callback failed (the watch goes on).
    ApplyFailed(String),
    /// A service event of a cluster.
    Event {
        cluster: String,
        message: String,
    },
    HostDown {
        cluster: String,
        host: String,
        error: String,
    },
    HostUp {
        cluster: String,
        host: String,
    },
    /// Another process holds the cluster's lease (a shared state): this watch stands by.
    Standby {
        cluster: String,
        holder: String,
    },
    /// This watch holds the cluster's lease now and reconciles it.
    LeaseTaken {
        cluster: String,
    },
    /// The lease could not be renewed in time: the cluster's reconciler stopped.
    LeaseLost {
        cluster: String,
    },
    ReconcileError {
        cluster: String,
        error: String,
    },
    /// A reconcile pass ended: how long it took, which hosts answered (for metrics).
    Pass {
        cluster: String,
        took: Duration,
        hosts: Vec<(String, bool)>,
    },
    /// The stop future resolved; the reconcilers stop. `tasks` keep running: the RUNNING tasks
    /// the reconcilers last counted.
    Stopping {
        tasks: u32,
    },
}

/// How a watch ended.
#[derive(Debug)]
pub enum Ended {
    Stopped,
    /// Another reconciler holds a cluster's lease (after waiting `lease_timeout`).
    LeaseHeld(LockError),
}

pub type OnReport = Arc<dyn Fn(Report) + Send + Sync>;

/// What a file-system event is about.
enum Change {
    Manifests,
    State,
    /// A cluster's runtime record (events, counts) was rewritten.
    Runtime,
}

struct Running {
    nudge: mpsc::Sender<()>,
    handle: tokio::task::JoinHandle<()>,
}

/// The clusters of a watch: those it reconciles, and those it stands by for (told once).
#[derive(Default)]
struct Clusters {
    running: BTreeMap<String, Running>,
    standby: std::collections::BTreeSet<String>,
}

/// Runs the watch until `stop` resolves. `apply` is called once first, then on every
/// (debounced) change of the manifests, every `config.poll`, and whenever `pokes` says the
/// source changed (a push webhook); an error of the first call ends the watch.
pub async fn watch(
    store: &Store,
    transport: Arc<dyn Transport>,
    config: &Config,
    apply: &mut dyn FnMut() -> Result<()>,
    mut pokes: Option<mpsc::Receiver<()>>,
    on: OnReport,
    stop: impl Future<Output = ()>,
) -> Result<Ended> {
    let mut clusters = Clusters::default();
    // One reconciler per cluster: a second watch fails on the lease before it applies anything
    // or says it watches (on a shared state, it stands by instead).
    if let Some(ended) = take_missing(store, &transport, config, &on, &mut clusters).await? {
        return Ok(ended);
    }
    if let Err(e) = apply() {
        stop_all(clusters.running).await;
        return Err(e);
    }
    for r in clusters.running.values() {
        let _ = r.nudge.try_send(());
    }
    let (changes_tx, mut changes) = mpsc::channel::<Change>(256);
    let _watcher = file_watcher(store, &config.manifests, changes_tx)?;
    on(Report::Watching);
    let mut commands = CommandEvents::since(crate::time::Timestamp::now());
    let mut poll = config.poll.map(|every| {
        let mut interval = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        interval
    });
    // A state in a database sends no file events: its change stamp is polled.
    let polled = store.change_stamp().is_some();
    let mut stamp_poll = tokio::time::interval(crate::state::lease::STANDBY_POLL);
    let mut stamp = store.change_stamp().and_then(Result::ok);
    tokio::pin!(stop);
    loop {
        if let Some(ended) = take_missing(store, &transport, config, &on, &mut clusters).await? {
            return Ok(ended);
        }
        let running = &mut clusters.running;
        // What changed: (the source, the state, a runtime record).
        let (source, state, runtime) = tokio::select! {
            () = &mut stop => break,
            () = tick(&mut poll) => (true, false, false),
            () = poked(&mut pokes) => (true, false, false),
            _ = stamp_poll.tick(), if polled => {
                // Reconcilers that ended lost their lease; the next round stands by again.
                let lost: Vec<String> = running
                    .iter()
                    .filter(|(_, r)| r.handle.is_finished())
                    .map(|(c, _)| c.clone())
                    .collect();
                for cluster in lost {
                    running.remove(&cluster);
                    on(Report::LeaseLost { cluster });
                }
                let now = store.change_stamp().and_then(Result::ok);
                if now.is_some() && now != stamp {
                    let state_moved = now.map(|n| n.0) != stamp.map(|s| s.0);
                    stamp = now;
                    if state_moved {
                        for r in running.values() {
                            let _ = r.nudge.try_send(());
                        }
                    }
                    commands.report(store, running.keys(), &on);
                }
                (false, false, false)
            }
            change = changes.recv() => {
                let Some(change) = change else { break };
                let (manifests, state, runtime) = debounce(change, &mut changes).await;
                if manifests {
                    on(Report::ManifestsChanged);
                }
                (manifests, state, runtime)
            }
        };
        if source {
            match apply() {
                // What the apply recorded (`started deployment ...`) comes before what the
                // reconcilers do about it.
                Ok(()) => commands.report(store, running.keys(), &on),
                Err(e) => on(Report::ApplyFailed(format!("{e:#}"))),
            }
        }
        if source || state {
            for r in running.values() {
                let _ = r.nudge.try_send(());
            }
        }
        if state || runtime {
            commands.report(store, running.keys(), &on);
        }
    }
    on(Report::Stopping {
        tasks: running_tasks(store, clusters.running.keys()),
    });
    stop_all(clusters.running).await;
    Ok(Ended::Stopped)
}

/// The next tick of the poll interval; never, without one.
async fn tick(poll: &mut Option<tokio::time::Interval>) {
    match poll {
        Some(interval) => {
            interval.tick().await;
        }
        None => std::future::pending().await,
    }
}

/// The next poke; never, without a poker or once it is gone.
async fn poked(pokes: &mut Option<mpsc::Receiver<()>>) {
    if let Some(receiver) = pokes {
        if receiver.recv().await.is_some() {
            // Several deliveries at once make one fetch.
            while receiver.try_recv().is_ok() {}
            return;
        }
        *pokes = None;
    }
    std::future::pending().await
}

/// Spawns the missing reconcilers; on a held lease or an error, stops the others and says how
/// the watch ends.
async fn take_missing(
    store: &Store,
    transport: &Arc<dyn Transport>,
    config: &Config,
    on: &OnReport,
    clusters: &mut Clusters,
) -> Result<Option<Ended>> {
    match spawn_missing(store, transport, config, on, clusters).await {
        Ok(None) => Ok(None),
        Ok(Some(held)) => {
            stop_all(std::mem::take(&mut clusters.running)).await;
            Ok(Some(Ended::LeaseHeld(held)))
        }
        Err(e) => {
            stop_all(std::mem::take(&mut clusters.running)).await;
            Err(e)
        }
    }
}

/// The RUNNING tasks the reconcilers of `clusters` last recorded.
fn running_tasks<'a>(store: &Store, clusters: impl Iterator<Item = &'a String>) -> u32 {
    clusters
        .filter_map(|c| store.read_runtime(c).ok())
        .flat_map(|r| r.services.into_values())
        .filter_map(|s| s.counts.map(|c| c.running))
        .sum()
}

/// Collects what arrives within 300 ms: (manifests, state, a runtime record) changed.
async fn debounce(first: Change, changes: &mut mpsc::Receiver<Change>) -> (bool, bool, bool) {
    let mut seen = [false; 3];
    let mut note = |change: &Change| {
        seen[match change {
            Change::Manifests => 0,
            Change::State => 1,
            Change::Runtime => 2,
        }] = true;
    };
    note(&first);
    tokio::time::sleep(Duration::from_millis(300)).await;
    while let Ok(more) = changes.try_recv() {
        note(&more);
    }
    (seen[0], seen[1], seen[2])
}

/// The events other commands record while the watch runs (`scale`, `rollback`, `drain`, an
/// `apply` elsewhere, the API), reported once each: the watch log tells every change. What
/// was reported is remembered per cluster only while the runtime record still holds it (its
/// events are bounded), so the memory of a long watch stays bounded too.
struct CommandEvents {
    since: crate::time::Timestamp,
    reported: BTreeMap<String, std::collections::BTreeSet<String>>,
}

impl CommandEvents {
    fn since(since: crate::time::Timestamp) -> Self {
        CommandEvents {
            since,
            reported: BTreeMap::new(),
        }
    }

    fn report<'a>(
        &mut self,
        store: &Store,
        clusters: impl Iterator<Item = &'a String>,
        on: &OnReport,
    ) {
        let mut seen = std::collections::BTreeSet::new();
        for cluster in clusters {
            seen.insert(cluster.clone());
            let Ok(runtime) = store.read_runtime(cluster) else {
                continue;
            };
            let reported = self.reported.entry(cluster.clone()).or_default();
            for event in fresh_command_events(&runtime, self.since, reported) {
                on(Report::Event {
                    cluster: cluster.clone(),
                    message: event.message.clone(),
                });
            }
        }
        self.reported.retain(|cluster, _| seen.contains(cluster));
    }
}

/// The command events of `runtime` since `since` not in `reported`, oldest first; `reported`
/// becomes the ids of those events still in the record (the new ones included).
fn fresh_command_events<'r>(
    runtime: &'r crate::state::Runtime,
    since: crate::time::Timestamp,
    reported: &mut std::collections::BTreeSet<String>,
) -> Vec<&'r crate::state::Event> {
    let present: Vec<&crate::state::Event> = runtime
        .services
        .values()
        .flat_map(|s| s.events.iter())
        .filter(|e| e.by_command && e.created_at >= since)
        .collect();
    let mut fresh: Vec<&crate::state::Event> = present
        .iter()
        .copied()
        .filter(|e| !reported.contains(&e.id))
        .collect();
    fresh.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    *reported = present.iter().map(|e| e.id.clone()).collect();
    fresh
}

/// A reconciler for every cluster of the state that has none yet.
async fn spawn_missing(
    store: &Store,
    transport: &Arc<dyn Transport>,
    config: &Config,
    on: &OnReport,
    clusters: &mut Clusters,
) -> Result<Option<LockError>> {
    let names = store
        .read_state()?
        .map(|s| s.cluster_names())
        .unwrap_or_else(|| {
            [crate::model::cluster::DEFAULT_CLUSTER.to_string()]
                .into_iter()
                .collect()
        });
    for cluster in names {
        if config.cluster.as_ref().is_some_and(|c| *c != cluster)
            || clusters.running.contains_key(&cluster)
        {
            continue;
        }
        // A standby looks once per poll; it already waited for the lease the first time.
        let timeout = if clusters.standby.contains(&cluster) {
            Duration::ZERO
        } else {
            config.lease_timeout
        };
        let lease = match take_lease(store, &cluster, timeout).await {
            Ok(lease) => lease,
            Err(LockError::Held { holder, .. }) if store.as_dir().is_none() => {
                if clusters.standby.insert(cluster.clone()) {
                    on(Report::Standby {
                        cluster: cluster.clone(),
                        holder: holder
                            .map_or_else(|| "another process".to_string(), |h| h.to_string()),
                    });
                }
                continue;
            }
            Err(e @ LockError::Held { .. }) => return Ok(Some(e)),
            Err(e) => return Err(e.into()),
        };
        if clusters.standby.remove(&cluster) {
            on(Report::LeaseTaken {
                cluster: cluster.clone(),
            });
        }
        let reconciler = Reconciler::new(
            store.fenced(&lease),
            &cluster,
            config.options.clone(),
            transport.clone(),
        );
        clusters
            .running
            .insert(cluster, spawn_reconciler(reconciler, lease, on.clone()));
    }
    Ok(None)
}

/// Takes the lease of a cluster, waiting up to `timeout` (off the async threads).
pub async fn take_lease(
    store: &Store,
    cluster: &str,
    timeout: Duration,
) -> Result<Lease, LockError> {
    store.take_lease_async(cluster, timeout).await
}

/// Runs the reconciler while the lease holds: a lost lease ends the task at once (at the
/// reconciler's next await), before anyone else may take the lease over.
fn spawn_reconciler(mut reconciler: Reconciler, lease: Lease, on: OnReport) -> Running {
    let (nudge, nudges) = mpsc::channel(256);
    let own_nudge = nudge.clone();
    let cluster = reconciler.cluster().to_string();
    let lost = lease.on_lost();
    let handle = tokio::spawn(async move {
        let _lease = lease;
        let mut hosts = BTreeMap::new();
        let drive = drive(
            &mut reconciler,
            nudges,
            own_nudge,
            None,
            |_| false,
            |report| pass_reports(&cluster, report, &mut hosts, &on),
            |error| {
                on(Report::ReconcileError {
                    cluster: cluster.clone(),
                    error: format!("{error:#}"),
                })
            },
        );
        tokio::select! {
            _ = drive => {}
            () = lost => {}
        }
    });
    Running { nudge, handle }
}

/// A pass's events, and hosts that stop or start answering.
fn pass_reports(
    cluster: &str,
    report: &PassReport,
    hosts: &mut BTreeMap<String, Option<String>>,
    on: &OnReport,
) {
    on(Report::Pass {
        cluster: cluster.to_string(),
        took: report.took,
        hosts: report
            .hosts
            .iter()
            .map(|h| (h.name.clone(), h.error.is_none()))
            .collect(),
    });
    for service in report.services.values() {
        for event in &service.events {
            on(Report::Event {
                cluster: cluster.to_string(),
                message: event.clone(),
            });
        }
    }
    for message in report.drift_events.iter().chain(&report.schedule_events) {
        on(Report::Event {
            cluster: cluster.to_string(),
            message: message.clone(),
        });
    }
    for host in &report.hosts {
        let previous = hosts.insert(host.name.clone(), host.error.clone());
        if previous.as_ref() == Some(&host.error) {
            continue;
        }
        match &host.error {
            Some(error) => on(Report::HostDown {
                cluster: cluster.to_string(),
                host: host.name.clone(),
                error: error.clone(),
            }),
            None if previous.is_some() => on(Report::HostUp {
                cluster: cluster.to_string(),
                host: host.name.clone(),
            }),
            None => {}
        }
    }
}

async fn stop_all(running: BTreeMap<String, Running>) {
    for (_, r) in running {
        r.handle.abort();
        let _ = r.handle.await;
    }
}

/// Watches the state directory and the manifests (their directories: editors replace files
/// by renaming).
fn file_watcher(
    store: &Store,
    manifests: &[PathBuf],
    changes: mpsc::Sender<Change>,
) -> Result<notify::RecommendedWatcher> {
    // A database has no files to watch: its changes are polled (see `watch`).
    let scratch;
    let store = match store.as_dir() {
        Some(dir) => dir,
        None => {
            scratch =
                crate::state::store::StateDir::at(std::env::temp_dir().join("ecsctl-no-state"));
            &scratch
        }
    };
    let state_file = std::fs::canonicalize(store.root())
        .map(|root| root.join("state.json"))
        .unwrap_or_else(|_| store.state_path());
    let runtime_dir = std::fs::canonicalize(store.root())
        .map(|root| root.join("runtime"))
        .unwrap_or_else(|_| store.root().join("runtime"));
    let watched_runtime = runtime_dir.clone();
    let roots = manifests.to_vec();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let Ok(event) = event else { return };
        if matches!(event.kind, notify::EventKind::Access(_)) {
            return;
        }
        for path in &event.paths {
            let change = if path == &state_file {
                Change::State
            } else if path.parent() == Some(runtime_dir.as_path()) && is_manifest(path) {
                Change::Runtime
            } else if roots
                .iter()
                .any(|r| path.starts_with(r) || r.starts_with(path))
                && is_manifest(path)
            {
                Change::Manifests
            } else {
                continue;
            };
            let _ = changes.try_send(change);
        }
    })
    .context("starting the file watcher")?;
    if store.root().is_dir() {
        watcher
            .watch(store.root(), RecursiveMode::NonRecursive)
            .with_context(|| format!("watching `{}`", store.root().display()))?;
    }
    if watched_runtime.is_dir() {
        watcher
            .watch(&watched_runtime, RecursiveMode::NonRecursive)
            .with_context(|| format!("watching `{}`", watched_runtime.display()))?;
    }
    for root in manifests {
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
    Ok(watcher)
}

fn is_manifest(path: &Path) -> bool {
    path.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .is_some_and(|e| matches!(e.as_str(), "yaml" | "yml" | "json"))
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::controller::reconciler::HostReport;
    use crate::reconcile::service::HostStatus;

    fn command_event(id: &str, at: u64) -> crate::state::Event {
        crate::state::Event {
            id: id.to_string(),
            created_at: crate::time::Timestamp::from_unix_millis(at),
            message: format!("message {id}"),
            by_command: true,
        }
    }

    #[test]
    fn command_events_are_told_once_and_forgotten_with_the_record() {
        let since = crate::time::Timestamp::from_unix_millis(100);
        let mut runtime = crate::state::Runtime::default();
        let web = runtime.services.entry("web".into()).or_default();
        web.events.push_back(command_event("before", 50));
        web.events.push_back(command_event("b", 300));
        web.events.push_back(command_event("a", 200));
        let mut reported = std::collections::BTreeSet::new();
        let ids = |events: Vec<&crate::state::Event>| -> Vec<String> {
            events.iter().map(|e| e.id.clone()).collect()
        };
        let first = ids(fresh_command_events(&runtime, since, &mut reported));
        assert_eq!(
            first,
            ["a", "b"],
            "oldest first, none from before the watch"
        );
        assert!(ids(fresh_command_events(&runtime, since, &mut reported)).is_empty());
        // The record drops `a` (its events are bounded): so does the memory of it.
        if let Some(web) = runtime.services.get_mut("web") {
            web.events.retain(|e| e.id != "a");
            web.events.push_back(command_event("c", 400));
        }
        let next = ids(fresh_command_events(&runtime, since, &mut reported));
        assert_eq!(next, ["c"]);
        let kept: Vec<&str> = reported.iter().map(String::as_str).collect();
        assert_eq!(kept, ["b", "c"]);
    }

    fn pass(error: Option<&str>) -> PassReport {
        PassReport {
            hosts: vec![HostReport {
                name: "h1".into(),
                status: HostStatus::Active,
                error: error.map(str::to_string),
            }],
            ..PassReport::default()
        }
    }

    #[test]
    fn hosts_are_reported_when_they_stop_and_start_answering() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = seen.clone();
        let on: OnReport = Arc::new(move |r| {
            if let Ok(mut s) = sink.lock()
                && !matches!(r, Report::Pass { .. })
            {
                s.push(r);
            }
        });
        let mut hosts = BTreeMap::new();
        for error in [None, Some("refused"), Some("refused"), None, None] {
            pass_reports("c", &pass(error), &mut hosts, &on);
        }
        let seen = seen.lock().map(|s| s.clone()).unwrap_or_default();
        assert_eq!(
            seen,
            [
                Report::HostDown {
                    cluster: "c".into(),
                    host: "h1".into(),
                    error: "refused".into()
                },
                Report::HostUp {
                    cluster: "c".into(),
                    host: "h1".into()
                },
            ]
        );
    }
}
