//! The command line: argument definitions (one clap tree feeds help, completions and the man
//! page), one module per subcommand, output helpers, and the single place where outcomes
//! become exit codes.

pub mod apply;
pub mod args;
pub mod completion;
pub mod converge;
pub mod delete;
pub mod deploy;
pub mod deployment;
pub mod describe;
pub mod events;
pub mod exec;
pub mod get;
pub mod hosts;
pub mod logs;
pub mod output;
pub mod plan;
pub mod port;
pub mod reconcile;
pub mod run_task;
pub mod scale;
pub mod schema;
pub mod serve;
pub mod state;
pub mod sync;
pub mod task;
pub mod tasks;
pub mod top;
pub mod validate;
pub mod watch;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

pub use args::{DataFormat, ManifestArgs, ReconcileArgs, ReportFormat, WaitArgs};

use crate::state::backend::{Location, Store};
use output::{ColorChoice, Output};

/// Exit codes, as the contract says: 0 success (no changes), 1 any error, 2 changes present
/// (`plan --detailed-exitcode`).
pub mod exit {
    pub const OK: u8 = 0;
    pub const ERROR: u8 = 1;
    pub const CHANGES: u8 = 2;
}

#[derive(Debug, Parser)]
#[command(
    name = "ecsctl",
    version,
    about = "Amazon ECS semantics on your own Docker hosts",
    long_about = "Amazon ECS semantics on your own Docker hosts: task definitions, services, rolling \
deployments and placement, declared in YAML manifests, planned and applied like Terraform, and \
kept converged on Docker hosts reached over SSH.",
    propagate_version = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Where the state is: a directory, or a PostgreSQL database (`postgres://user@host/db`)
    /// shared by several machines [default: $ECSCTL_STATE, else the state directory]
    #[arg(long, global = true, value_name = "DIR|URL")]
    pub state: Option<String>,
    /// The state directory [default: $ECSCTL_STATE_DIR, else the user's data directory]
    #[arg(long, global = true, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    /// When to use colours
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Parse and check manifests; reads no state and no Docker
    Validate(validate::ValidateArgs),
    /// Show what applying the manifests would change
    Plan(plan::PlanArgs),
    /// Like plan, as a diff of each changed object
    Diff(plan::DiffArgs),
    /// Apply manifests (or a saved plan) to the state
    Apply(apply::ApplyArgs),
    /// Delete a service (drained first), or the objects of manifests
    Delete(delete::DeleteArgs),
    /// Deploy a pipeline's images (imagedefinitions.json, imageDetail.json) to a service
    Deploy(deploy::DeployArgs),
    /// List clusters, hosts, task definitions, services or tasks
    Get(get::GetArgs),
    /// Show one object in detail
    Describe(describe::DescribeArgs),
    /// Converge the hosts to the state, then exit
    Reconcile(reconcile::ReconcileCommand),
    /// Logs of every task of a service (or of one task), merged, prefixed
    Logs(logs::LogsArgs),
    /// Run a command in a task's container
    Exec(exec::ExecArgs),
    /// Where a service's (or task's) published ports are reached: ADDRESS:PORT per task
    Port(port::PortArgs),
    /// ECS-style service events
    Events(events::EventsArgs),
    /// Run one-off tasks
    RunTask(run_task::RunTaskArgs),
    /// Protect a service's task from scale-in, or end its protection
    Task(task::TaskArgs),
    /// Change a service's desired count (recorded; the next plan shows the drift)
    Scale(scale::ScaleArgs),
    /// Return a service to an earlier revision (recorded; the next plan shows the drift)
    Rollback(scale::RollbackArgs),
    /// A deployment's stage and outcome; continue or roll back a blue/green, linear or canary one
    Deployment(deployment::DeploymentArgs),
    /// CPU and memory of running tasks
    Top(top::TopArgs),
    /// Set a host to DRAINING: its tasks are started elsewhere, then stopped
    Drain(hosts::DrainArgs),
    /// Set a DRAINING host back to ACTIVE
    Undrain(hosts::DrainArgs),
    /// Keep every host converged; apply manifest changes as files change (or as a Git ref moves)
    Watch(watch::WatchArgs),
    /// Which Git commit the state holds (`watch --git`), and whether it is in sync
    Status(sync::StatusArgs),
    /// Serve the Amazon ECS API (AWS JSON 1.1) for the aws CLI, SDKs and Terraform
    Serve(serve::ServeArgs),
    /// Move the state to another store (a directory, PostgreSQL)
    State(state::StateArgs),
    /// Print the JSON Schema of manifests (for editors: yaml-language-server)
    Schema(schema::SchemaArgs),
    /// Print shell completions
    Completion(completion::CompletionArgs),
    /// Print the man page (roff) of ecsctl, or of one command
    #[command(hide = true)]
    Man {
        /// The command (`plan` prints ecsctl-plan(1))
        command: Option<String>,
    },
}

/// The result of a command: an exit code. Errors that were already reported to the user
/// (diagnostics) come back as `Ok(exit::ERROR)`; unexpected ones as `Err`.
pub type Outcome = anyhow::Result<u8>;

pub struct Context {
    pub global: GlobalArgs,
    pub out: Output,
}

impl Context {
    /// Where the state is: `--state`, `--state-dir`, `$ECSCTL_STATE`, `$ECSCTL_STATE_DIR`,
    /// else the user's data directory.
    pub fn location(&self) -> anyhow::Result<Location> {
        Location::resolve(
            self.global.state.as_deref(),
            self.global.state_dir.as_deref(),
        )
    }

    /// The state's store; nothing is created by opening it (for commands that only read).
    pub fn store(&self) -> anyhow::Result<Store> {
        Store::at(&self.location()?)
    }

    /// A session over the store (not created when missing), reaching hosts over SSH.
    pub fn session(&self) -> anyhow::Result<crate::ops::Session> {
        Ok(crate::ops::Session::with_ssh(self.store()?))
    }

    /// A session over the store, a directory created when missing (for commands that write).
    pub fn open_session(&self) -> anyhow::Result<crate::ops::Session> {
        Ok(crate::ops::Session::with_ssh(self.open_store()?))
    }

    pub fn open_store(&self) -> anyhow::Result<Store> {
        Store::open(&self.location()?)
    }

    /// The state, or an empty one when nothing was applied yet (for commands that only read).
    pub fn read_state_or_empty(&self) -> anyhow::Result<crate::state::State> {
        Ok(self
            .store()?
            .read_state()?
            .unwrap_or_else(|| crate::state::State::empty(String::new())))
    }
}

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version are successes; every usage error exits 1, as the contract says.
            let code = if e.use_stderr() {
                exit::ERROR
            } else {
                exit::OK
            };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    // `watch --log-format json`: ecsctl's own diagnostics are JSON lines too.
    let json_logs =
        matches!(&cli.command, Command::Watch(w) if w.log_format == watch::LogFormat::Json);
    init_logging(json_logs);
    let out = Output::new(cli.global.color);
    let cx = Context {
        global: cli.global,
        out,
    };
    let outcome = match cli.command {
        Command::Validate(args) => validate::run(&cx, args),
        Command::Plan(args) => plan::run(&cx, args),
        Command::Diff(args) => plan::run_diff(&cx, args),
        Command::Apply(args) => apply::run(&cx, args),
        Command::Delete(args) => delete::run(&cx, args),
        Command::Deploy(args) => deploy::run(&cx, args),
        Command::Get(args) => get::run(&cx, args),
        Command::Describe(args) => describe::run(&cx, args),
        Command::Reconcile(args) => reconcile::run(&cx, args),
        Command::Logs(args) => logs::run(&cx, args),
        Command::Exec(args) => exec::run(&cx, args),
        Command::Port(args) => port::run(&cx, args),
        Command::Events(args) => events::run(&cx, args),
        Command::RunTask(args) => run_task::run(&cx, args),
        Command::Task(args) => task::run(&cx, args),
        Command::Scale(args) => scale::scale(&cx, args),
        Command::Rollback(args) => scale::rollback(&cx, args),
        Command::Deployment(args) => deployment::run(&cx, args),
        Command::Top(args) => top::run(&cx, args),
        Command::Drain(args) => hosts::drain(&cx, args, true),
        Command::Undrain(args) => hosts::drain(&cx, args, false),
        Command::Watch(args) => watch::run(&cx, args),
        Command::Status(args) => sync::status(&cx, args),
        Command::Serve(args) => serve::run(&cx, args),
        Command::State(args) => state::run(&cx, args),
        Command::Schema(args) => schema::run(&cx, args),
        Command::Completion(args) => completion::run(&cx, args),
        Command::Man { command } => completion::man(&cx, command.as_deref()),
    };
    match outcome {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            report(&cx, &e);
            ExitCode::from(exit::ERROR)
        }
    }
}

/// The one place an error becomes output: manifests' diagnostics are printed as such (they
/// already say everything), anything else as `error: ...` with its causes.
pub fn report(cx: &Context, e: &anyhow::Error) {
    match e.downcast_ref::<crate::ops::OpsError>() {
        Some(crate::ops::OpsError::InvalidManifests(diagnostics)) => {
            cx.out.diagnostics(diagnostics)
        }
        _ => cx.out.error(e),
    }
}

/// Diagnostics of ecsctl itself (not of manifests) go to stderr through `tracing`; the level
/// comes from `ECSCTL_LOG` (`error`, `warn` (default), `info`, `debug`, `trace`).
fn init_logging(json: bool) {
    let level = std::env::var("ECSCTL_LOG")
        .ok()
        .and_then(|l| l.parse::<tracing::Level>().ok())
        .unwrap_or(tracing::Level::WARN);
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    // Only ecsctl's own messages: the libraries' debug output is about HTTP, not about ecsctl.
    let filter = tracing_subscriber::filter::Targets::new()
        .with_target("ecsctl", level)
        .with_default(tracing::Level::ERROR);
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_target(false);
    let registry = tracing_subscriber::registry().with(filter);
    let _ = if json {
        registry.with(layer.json().flatten_event(true)).try_init()
    } else {
        registry.with(layer).try_init()
    };
}
