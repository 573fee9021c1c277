//! `ecsctl apply -f PATH...` and `ecsctl apply PLANFILE`: record the plan in the state.

use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use anyhow::{Context as _, bail};
use clap::Args;

use super::converge::Expect;
use super::manifests::{load_checked, plan_for};
use super::{Context, Outcome, exit};
use crate::diagnostics::Diagnostics;
use crate::ids::RandomIds;
use crate::plan::render::render;
use crate::plan::{PLAN_FORMAT_VERSION, Plan, apply};
use crate::state::store::StateDir;
use crate::state::{Event, State};
use crate::time::Timestamp;

#[derive(Debug, Args)]
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
    let store = cx.open_state_dir()?;
    let lock = store.lock_state(*args.lock_timeout)?;
    let state = store.read_state()?;
    let plan = match &args.plan_file {
        Some(path) => read_plan(path)?,
        None => {
            let mut diagnostics = Diagnostics::new();
            let plan = load_checked(&args.files, state.as_ref(), &mut diagnostics)
                .and_then(|loaded| plan_for(&loaded, state.as_ref(), args.prune, &mut diagnostics));
            cx.out.diagnostics(&diagnostics);
            match plan {
                Some(plan) => plan,
                None => return Ok(exit::ERROR),
            }
        }
    };
    cx.out.print(&render(&plan, cx.out.paint));
    let next = if plan.has_changes() {
        if args.plan_file.is_none() && !args.auto_approve && !confirm()? {
            cx.out.note("Apply cancelled.");
            return Ok(exit::ERROR);
        }
        let (next, events) = apply(state.as_ref(), &plan, Timestamp::now(), &mut RandomIds)?;
        store.write_state(&next, &lock)?;
        drop(lock);
        record_events(&store, &next, events)?;
        let s = &plan.summary;
        cx.out.println(&format!(
            "\nApply complete! Resources: {} added, {} changed, {} destroyed.",
            s.add, s.change, s.destroy
        ));
        next
    } else {
        drop(lock);
        cx.out.println("\nApply complete! Nothing to change.");
        match state {
            Some(state) => state,
            None => return Ok(exit::OK),
        }
    };
    if args.no_converge {
        return Ok(exit::OK);
    }
    let wait = if args.no_wait {
        std::time::Duration::ZERO
    } else {
        *args.wait
    };
    let expectations = expectations(&plan, &next);
    super::reconcile::converge_all(cx, &store, expectations, wait, &args.reconcile)
}

/// What each touched service must reach: its new deployment completed, steady, or gone.
/// Without changes, every active service of the manifests' clusters must be steady.
fn expectations(plan: &Plan, next: &State) -> BTreeMap<String, BTreeMap<String, Expect>> {
    let mut out: BTreeMap<String, BTreeMap<String, Expect>> = BTreeMap::new();
    for change in &plan.changes {
        if change.object.kind != crate::plan::ObjectKind::Service {
            continue;
        }
        let cluster = change.object.cluster.clone().unwrap_or_default();
        let name = change.object.name.clone();
        let expect = match (change.action, &change.deployment) {
            (crate::plan::Action::Delete, _) => Expect::Gone,
            (_, Some(_)) => next
                .service(&cluster, &name)
                .and_then(|r| r.primary())
                .map_or(Expect::Steady, |d| Expect::Deployment(d.id.clone())),
            _ => Expect::Steady,
        };
        out.entry(cluster).or_default().insert(name, expect);
    }
    if plan.changes.is_empty() {
        for (cluster, services) in &plan.desired.services {
            for name in services.keys() {
                out.entry(cluster.clone())
                    .or_default()
                    .insert(name.clone(), Expect::Steady);
            }
        }
    }
    for cluster in plan.desired.clusters.keys() {
        out.entry(cluster.clone()).or_default();
    }
    out
}

fn read_plan(path: &PathBuf) -> anyhow::Result<Plan> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the plan file `{}`", path.display()))?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("`{}` is not a plan file (invalid JSON)", path.display()))?;
    let version = value
        .get("formatVersion")
        .and_then(serde_json::Value::as_u64);
    if version != Some(u64::from(PLAN_FORMAT_VERSION)) {
        bail!(
            "`{}` is not a plan file of this ecsctl (format {version:?}, expected {PLAN_FORMAT_VERSION})",
            path.display()
        );
    }
    serde_json::from_value(value)
        .with_context(|| format!("reading the plan file `{}`", path.display()))
}

/// Asks on the terminal; without one, confirmation is impossible and that is an error.
fn confirm() -> anyhow::Result<bool> {
    if !std::io::stdin().is_terminal() {
        bail!(
            "apply needs confirmation, but stdin is not a terminal: pass --auto-approve, or apply a saved plan (`ecsctl plan --out plan.json`, then `ecsctl apply plan.json`)"
        );
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

/// Appends the events of an apply to each cluster's runtime file.
pub fn record_events(
    store: &StateDir,
    state: &State,
    events: Vec<(String, String, String)>,
) -> anyhow::Result<()> {
    let mut by_cluster: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for (cluster, service, message) in events {
        by_cluster
            .entry(cluster)
            .or_default()
            .push((service, message));
    }
    let now = Timestamp::now();
    for (cluster, events) in by_cluster {
        store.update_runtime(&cluster, &state.lineage, |runtime| {
            let mut ids = RandomIds;
            for (service, message) in events {
                runtime
                    .services
                    .entry(service)
                    .or_default()
                    .push_event(Event {
                        id: crate::ids::IdSource::event_id(&mut ids),
                        created_at: now,
                        message,
                    });
            }
        })?;
    }
    Ok(())
}

/// Plans the manifests against the state and records the result without asking: what
/// `watch` does when files change. `None` when the manifests are invalid (the diagnostics
/// are printed and nothing is written).
pub fn apply_files(
    cx: &Context,
    store: &StateDir,
    files: &[String],
    prune: bool,
    lock_timeout: std::time::Duration,
) -> anyhow::Result<Option<Plan>> {
    let lock = store.lock_state(lock_timeout)?;
    let state = store.read_state()?;
    let mut diagnostics = Diagnostics::new();
    let plan = load_checked(files, state.as_ref(), &mut diagnostics)
        .and_then(|loaded| plan_for(&loaded, state.as_ref(), prune, &mut diagnostics));
    cx.out.diagnostics(&diagnostics);
    let Some(plan) = plan else {
        return Ok(None);
    };
    if plan.has_changes() {
        cx.out.note(&render(&plan, cx.out.paint_err));
        let (next, events) = apply(state.as_ref(), &plan, Timestamp::now(), &mut RandomIds)?;
        store.write_state(&next, &lock)?;
        drop(lock);
        record_events(store, &next, events)?;
    }
    Ok(Some(plan))
}
