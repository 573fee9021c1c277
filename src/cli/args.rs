//! The arguments several commands share, defined once (clap derives help, completions and
//! man pages from them): manifests (`-f`), how reconcilers behave, waiting for an imperative
//! change, and the output formats.

use clap::{Args, ValueEnum};

use super::converge::Expect;
use super::{Context, Outcome};

/// `-f PATH...`, shared by every command that reads manifests.
#[derive(Debug, Clone, Args)]
pub struct ManifestArgs {
    /// Manifest files or directories (recursive: *.yaml, *.yml, *.json); `-` reads stdin
    #[arg(short = 'f', long = "filename", value_name = "PATH", required = true)]
    pub files: Vec<String>,
}

/// How reconcilers behave (`apply`, `reconcile`, `watch`).
#[derive(Debug, Clone, Args)]
pub struct ReconcileArgs {
    /// Look at every host at least this often, events or not
    #[arg(long, value_name = "DURATION", default_value = "30s")]
    pub resync: humantime::Duration,
    /// A host that does not answer this long is UNREACHABLE: its tasks are started elsewhere
    #[arg(long, value_name = "DURATION", default_value = "30s")]
    pub host_grace: humantime::Duration,
    /// How long stopped tasks stay visible before their containers are removed
    #[arg(long, value_name = "DURATION", default_value = "1h")]
    pub task_retention: humantime::Duration,
    /// At most this many stopped tasks of each service are kept (within the retention): a
    /// crash loop must not fill the host with dead containers
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub max_stopped_tasks: usize,
    /// Report drift (containers removed, stopped or changed by hand) as events without
    /// correcting it
    #[arg(long)]
    pub no_self_heal: bool,
}

/// Waiting for an imperative change (`scale`, `rollback`, `drain`, `delete`) to converge.
#[derive(Debug, Args)]
pub struct WaitArgs {
    /// How long to wait for the change to converge (services steady, or drained and gone)
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "5m",
        conflicts_with = "no_wait"
    )]
    pub wait: humantime::Duration,
    /// Return once the change is recorded and the first actions are started
    #[arg(long)]
    pub no_wait: bool,
    /// How long to wait for the state lock
    #[arg(long, value_name = "DURATION", default_value = "0s")]
    pub lock_timeout: humantime::Duration,
    /// The cluster (needed when the name exists in several)
    #[arg(long)]
    pub cluster: Option<String>,
    #[command(flatten)]
    pub reconcile: ReconcileArgs,
}

impl WaitArgs {
    /// Converges until the expectations hold (or one round, with `--no-wait`).
    pub fn converge(
        &self,
        cx: &Context,
        store: &crate::state::backend::Store,
        expectations: std::collections::BTreeMap<
            String,
            std::collections::BTreeMap<String, Expect>,
        >,
    ) -> Outcome {
        let wait = if self.no_wait {
            std::time::Duration::ZERO
        } else {
            *self.wait
        };
        super::reconcile::converge_all(cx, store, expectations, wait, &self.reconcile)
    }
}

/// Output formats of commands that print data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DataFormat {
    Table,
    Wide,
    Json,
    Yaml,
}

/// Output formats of commands that print a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Text,
    Json,
}
