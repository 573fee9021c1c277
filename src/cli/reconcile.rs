//! `ecsctl reconcile`: converge the hosts to the state once (until every service is steady or
//! `--wait` runs out), then exit. Shared with `apply`, which converges after writing.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;

use super::converge::{Expect, Verdict, converge};
use super::{Context, Outcome, ReconcileArgs, exit};
use crate::controller::reconciler::Options;
use crate::docker::transport::Transport;
use crate::reconcile::service::Settings;
use crate::state::ServiceStatus;
use crate::state::backend::Store;

#[derive(Debug, Args)]
pub struct ReconcileCommand {
    /// Only this cluster (default: every cluster in the state)
    #[arg(long)]
    pub cluster: Option<String>,
    /// How long to wait for the services to be steady (0: one round of actions)
    #[arg(long, value_name = "DURATION", default_value = "5m")]
    pub wait: humantime::Duration,
    #[command(flatten)]
    pub reconcile: ReconcileArgs,
}

pub fn options(args: &ReconcileArgs) -> Options {
    Options {
        resync: *args.resync,
        host_grace: *args.host_grace,
        settings: Settings {
            task_retention: *args.task_retention,
            max_stopped: args.max_stopped_tasks,
        },
        self_heal: !args.no_self_heal,
    }
}

/// The transport to hosts that are not local: the system `ssh`, one connection per host,
/// shared with other commands through the state directory.
pub fn transport(store: &Store) -> Arc<dyn Transport> {
    Arc::new(crate::docker::ssh::SshTransport::new(store.local_root()))
}

pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?)
}

/// Converges every cluster of `expectations`; prints the outcome; exit code 1 if any
/// service failed or is not steady in time.
pub fn converge_all(
    cx: &Context,
    store: &Store,
    expectations: BTreeMap<String, BTreeMap<String, Expect>>,
    wait: Duration,
    args: &ReconcileArgs,
) -> Outcome {
    let runtime = runtime()?;
    let transport = transport(store);
    let mut failed = 0;
    let expected = expectations.values().flat_map(|s| s.values());
    let (gone, kept) = expected.fold((0, 0), |(gone, kept), e| match e {
        Expect::Gone => (gone + 1, kept),
        _ => (gone, kept + 1),
    });
    for (cluster, services) in expectations {
        let outcome = runtime.block_on(converge(
            store,
            &cluster,
            services,
            wait,
            options(args),
            transport.clone(),
        ))?;
        for (service, verdict) in outcome {
            match verdict {
                Verdict::Done => {}
                Verdict::Failed(why) => {
                    failed += 1;
                    cx.out.note(&format!(
                        "{}: service `{service}` (cluster `{cluster}`) is not steady: {why}",
                        cx.out.paint_err.red("error")
                    ));
                }
                Verdict::Pending(_) if wait.is_zero() => {}
                Verdict::Pending(why) => {
                    failed += 1;
                    cx.out
                        .note(&format!("error: service `{service}` is not steady: {why}"));
                }
            }
        }
    }
    if failed > 0 {
        return Ok(exit::ERROR);
    }
    if !wait.is_zero() {
        cx.out.note(match (gone, kept) {
            (0, _) => "Every service is steady.",
            (_, 0) => "Every deleted service is gone.",
            _ => "Every service is steady; the deleted ones are gone.",
        });
    }
    Ok(exit::OK)
}

pub fn run(cx: &Context, args: ReconcileCommand) -> Outcome {
    let store = cx.open_store()?;
    let Some(state) = store.read_state()? else {
        cx.out.note("The state is empty: nothing to reconcile.");
        return Ok(exit::OK);
    };
    let mut expectations: BTreeMap<String, BTreeMap<String, Expect>> = BTreeMap::new();
    for cluster in state.cluster_names() {
        if args.cluster.as_ref().is_some_and(|c| *c != cluster) {
            continue;
        }
        let services = expectations.entry(cluster.clone()).or_default();
        for (name, record) in state.services.get(&cluster).into_iter().flatten() {
            let expect = match record.status {
                ServiceStatus::Active => Expect::Steady,
                ServiceStatus::Draining => Expect::Gone,
            };
            services.insert(name.clone(), expect);
        }
    }
    if let Some(cluster) = &args.cluster
        && !expectations.contains_key(cluster)
    {
        anyhow::bail!("no cluster `{cluster}` in the state");
    }
    converge_all(cx, &store, expectations, *args.wait, &args.reconcile)
}
