//! `ecsctl serve [--listen ADDR] [--credentials FILE]`: the ECS JSON API for the aws CLI,
//! the SDKs and Terraform (see [`crate::api`]), and a reconciler for every cluster whose
//! lease is free, so what the API writes also runs. Stops on SIGINT/SIGTERM; containers
//! keep running.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::Args;
use tokio::sync::{Notify, mpsc};

use super::reconcile::{options, runtime, transport};
use super::{Context, Outcome, ReconcileArgs, exit};
use crate::api::arn::DEFAULT_ACCOUNT;
use crate::api::operations::Api;
use crate::api::server::Server;
use crate::api::sigv4::Credentials;
use crate::controller::reconciler::{Options, Reconciler};
use crate::controller::run::drive;
use crate::docker::transport::Transport;
use crate::ops::Session;
use crate::state::backend::Store;
use crate::state::lock::LockError;
use crate::time::Timestamp;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on; a non-loopback address needs --credentials
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:4580")]
    pub listen: SocketAddr,
    /// File of `ACCESS_KEY_ID SECRET_ACCESS_KEY` lines (mode 0600): requests must be signed
    /// (AWS Signature Version 4) with one of them
    #[arg(long, value_name = "FILE")]
    pub credentials: Option<PathBuf>,
    /// The account id in ARNs
    #[arg(long, value_name = "ID", default_value = DEFAULT_ACCOUNT)]
    pub account_id: String,
    /// Only record what the API asks for; leave running the tasks to `ecsctl watch`
    #[arg(long)]
    pub no_reconcile: bool,
    /// How long a write waits for the state lock
    #[arg(long, value_name = "DURATION", default_value = "10s")]
    pub lock_timeout: humantime::Duration,
    #[command(flatten)]
    pub reconcile: ReconcileArgs,
}

pub fn run(cx: &Context, args: ServeArgs) -> Outcome {
    let store = cx.open_store()?;
    let credentials = match &args.credentials {
        Some(path) => Some(Arc::new(Credentials::load(path)?)),
        None => None,
    };
    let loopback = args.listen.ip().is_loopback();
    if credentials.is_none() && !loopback {
        bail!(
            "refusing to serve `{}` without authentication; pass --credentials FILE or listen on a loopback address",
            args.listen
        );
    }
    runtime()?.block_on(serve(cx, store, args, credentials))
}

async fn serve(
    cx: &Context,
    store: Store,
    args: ServeArgs,
    credentials: Option<Arc<Credentials>>,
) -> Outcome {
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("listening on `{}`", args.listen))?;
    let address = listener.local_addr().unwrap_or(args.listen);
    let transport = transport(&store);
    let reconcilers = Reconcilers::default();
    let nudge = {
        let reconcilers = reconcilers.clone();
        Arc::new(move || reconcilers.nudge())
    };
    let api = Api {
        session: Session::new(store.clone(), transport.clone()),
        account: args.account_id.clone(),
        lock_timeout: *args.lock_timeout,
        nudge,
        deleted: Default::default(),
        cache: Default::default(),
        writes: Default::default(),
    };
    let server = Arc::new(Server {
        api: Arc::new(api),
        credentials: credentials.clone(),
    });
    eprintln!(
        "{}  serving the ECS API on http://{address}{}",
        Timestamp::now(),
        if credentials.is_some() {
            " (requests must be signed with the configured credentials)"
        } else {
            " WITHOUT authentication (allowed on loopback only); pass --credentials FILE to require signed requests"
        }
    );
    let supervisor = if args.no_reconcile {
        eprintln!(
            "{}  --no-reconcile: recording state only; run `ecsctl watch` to run the tasks",
            Timestamp::now()
        );
        None
    } else {
        Some(tokio::spawn(reconcile_in_background(
            store,
            options(&args.reconcile),
            transport,
            reconcilers,
        )))
    };
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let shutdown = async move {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {},
            _ = terminate.recv() => {},
        }
    };
    server.run(listener, shutdown).await;
    if let Some(handle) = supervisor {
        handle.abort();
        let _ = handle.await;
    }
    cx.out.note("stopping; containers keep running");
    Ok(exit::OK)
}

/// The running reconcilers' nudges, by cluster.
#[derive(Clone, Default)]
struct Reconcilers {
    nudges: Arc<Mutex<BTreeMap<String, mpsc::Sender<()>>>>,
    changed: Arc<Notify>,
}

impl Reconcilers {
    fn nudge(&self) {
        if let Ok(nudges) = self.nudges.lock() {
            for sender in nudges.values() {
                let _ = sender.try_send(());
            }
        }
        self.changed.notify_one();
    }
}

/// The simplest reconcile path that works, until `serve` moves to the controller's
/// supervisor: one reconciler per cluster of the state whose lease is free (a cluster
/// whose lease another process holds, such as a `watch`, is left to it), started as
/// clusters appear; each runs `controller::run::drive` as `watch` does.
async fn reconcile_in_background(
    store: Store,
    options: Options,
    transport: Arc<dyn Transport>,
    reconcilers: Reconcilers,
) {
    let mut handles = Vec::new();
    let mut told: BTreeMap<String, ()> = BTreeMap::new();
    loop {
        let clusters = match store.read_state() {
            Ok(state) => state.map(|s| s.cluster_names()).unwrap_or_else(|| {
                [crate::model::cluster::DEFAULT_CLUSTER.to_string()]
                    .into_iter()
                    .collect()
            }),
            Err(e) => {
                eprintln!("{}  reading the state: {e:#}", Timestamp::now());
                Default::default()
            }
        };
        for cluster in clusters {
            let running = reconcilers
                .nudges
                .lock()
                .map(|n| n.contains_key(&cluster))
                .unwrap_or(true);
            if running {
                continue;
            }
            match store.take_lease_async(&cluster, Duration::ZERO).await {
                Ok(lease) => {
                    let (nudge, nudges) = mpsc::channel(256);
                    if let Ok(mut map) = reconcilers.nudges.lock() {
                        map.insert(cluster.clone(), nudge.clone());
                    }
                    let mut reconciler = Reconciler::new(
                        store.fenced(&lease),
                        &cluster,
                        options.clone(),
                        transport.clone(),
                    );
                    let name = cluster.clone();
                    let lost = lease.on_lost();
                    let registry = reconcilers.clone();
                    handles.push(tokio::spawn(async move {
                        let _lease = lease;
                        // A shared state's lease that cannot be renewed stops the reconciler;
                        // the loop below stands by for the cluster again.
                        let drive = drive(
                            &mut reconciler,
                            nudges,
                            nudge,
                            None,
                            |_| false,
                            |report| {
                                for service in report.services.values() {
                                    for event in &service.events {
                                        eprintln!("{}  [{name}] {event}", Timestamp::now());
                                    }
                                }
                            },
                            |error| {
                                eprintln!(
                                    "{}  [{name}] reconcile error (retrying): {error:#}",
                                    Timestamp::now()
                                )
                            },
                        );
                        tokio::select! {
                            _ = drive => {}
                            () = lost => {
                                eprintln!(
                                    "{}  [{name}] lost the reconciler lease; stopped reconciling",
                                    Timestamp::now()
                                );
                                if let Ok(mut map) = registry.nudges.lock() {
                                    map.remove(&name);
                                }
                            }
                        }
                    }));
                }
                Err(LockError::Held { .. }) => {
                    if told.insert(cluster.clone(), ()).is_none() {
                        eprintln!(
                            "{}  cluster `{cluster}`: another process (a `watch`?) holds its reconciler lease; it runs the tasks",
                            Timestamp::now()
                        );
                    }
                }
                Err(e) => eprintln!("{}  cluster `{cluster}`: {e}", Timestamp::now()),
            }
        }
        // New clusters (and leases given up by others) are looked for on writes and every
        // few seconds.
        let _ = tokio::time::timeout(Duration::from_secs(5), reconcilers.changed.notified()).await;
    }
}
