//! Waiting for services to converge after `apply` (and for `reconcile`): either this process
//! holds the cluster's lease and reconciles itself, or a `watch` holds it and this process
//! waits by observing the state it records. Shows progress: bars on a terminal, plain lines
//! otherwise, and the services' events as they happen.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::controller::reconciler::{Options, PassReport, Reconciler};
use crate::controller::run::{Ended, drive};
use crate::docker::transport::Transport;
use crate::state::lock::{self, LockError};
use crate::state::store::StateDir;
use crate::state::{RolloutState, ServiceStatus};
use crate::time::Timestamp;

/// What "converged" means for one service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expect {
    /// This deployment completes.
    Deployment(String),
    /// The service is steady.
    Steady,
    /// The service is gone (deleted, drained).
    Gone,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Pending(String),
    Done,
    Failed(String),
}

/// What one service's last report says about an expectation.
fn judge(
    expect: &Expect,
    report: Option<&crate::controller::reconciler::ServiceReport>,
) -> Verdict {
    let Some(r) = report else {
        return match expect {
            Expect::Gone => Verdict::Done,
            _ => Verdict::Pending("not in the state yet".into()),
        };
    };
    if let Some(to) = &r.rolled_back_to {
        return Verdict::Failed(format!(
            "the deployment failed ({}) and the circuit breaker rolled it back to {to}",
            r.rollout_reason
                .clone()
                .unwrap_or_else(|| "tasks failed to start".into())
        ));
    }
    let mut counts = format!(
        "{}/{} tasks healthy, {} pending",
        r.counts.healthy, r.counts.desired, r.counts.pending
    );
    if r.counts.unplaced > 0 {
        counts.push_str(&format!(", {} cannot be placed", r.counts.unplaced));
    }
    match expect {
        Expect::Gone if r.forgotten => Verdict::Done,
        Expect::Gone => Verdict::Pending(format!(
            "draining: {} tasks left",
            r.counts.running + r.counts.pending
        )),
        Expect::Deployment(id) if r.primary.as_deref() != Some(id) => Verdict::Failed(format!(
            "deployment {id} is no longer the service's primary deployment (rolled back)"
        )),
        Expect::Deployment(_) => match r.rollout {
            Some(RolloutState::Failed) => Verdict::Failed(format!(
                "deployment failed: {}",
                r.rollout_reason
                    .clone()
                    .unwrap_or_else(|| "tasks failed to start".into())
            )),
            Some(RolloutState::Completed) if r.steady => Verdict::Done,
            _ => Verdict::Pending(counts),
        },
        Expect::Steady if r.steady => Verdict::Done,
        Expect::Steady => Verdict::Pending(counts),
    }
}

/// Progress: one bar per service on a terminal, lines when something changes otherwise.
struct Progress {
    bars: Option<(MultiProgress, BTreeMap<String, ProgressBar>)>,
    last: BTreeMap<String, String>,
}

impl Progress {
    fn new(services: &BTreeMap<String, Expect>) -> Self {
        if !std::io::stderr().is_terminal() {
            return Progress {
                bars: None,
                last: BTreeMap::new(),
            };
        }
        let multi = MultiProgress::new();
        let style = ProgressStyle::with_template("{spinner} {prefix:<20} {wide_msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
        let mut bars = BTreeMap::new();
        for name in services.keys() {
            let bar = multi.add(ProgressBar::new_spinner());
            bar.set_style(style.clone());
            bar.set_prefix(format!("service {name}"));
            bar.enable_steady_tick(Duration::from_millis(120));
            bars.insert(name.clone(), bar);
        }
        Progress {
            bars: Some((multi, bars)),
            last: BTreeMap::new(),
        }
    }

    fn event(&self, text: &str) {
        match &self.bars {
            Some((multi, _)) => {
                let _ = multi.println(text);
            }
            None => eprintln!("{text}"),
        }
    }

    fn update(&mut self, service: &str, expect: &Expect, verdict: &Verdict) {
        let text = match verdict {
            Verdict::Pending(what) => what.clone(),
            Verdict::Done if *expect == Expect::Gone => "deleted".to_string(),
            Verdict::Done => "steady".to_string(),
            Verdict::Failed(why) => format!("failed: {why}"),
        };
        match &self.bars {
            Some((_, bars)) => {
                if let Some(bar) = bars.get(service) {
                    bar.set_message(text.clone());
                    if *verdict != Verdict::Pending(String::new())
                        && !matches!(verdict, Verdict::Pending(_))
                    {
                        bar.finish_with_message(text);
                    }
                }
            }
            None => {
                if self.last.get(service) != Some(&text) {
                    eprintln!("service {service}: {text}");
                    self.last.insert(service.to_string(), text);
                }
            }
        }
    }

    fn finish(&self) {
        if let Some((_, bars)) = &self.bars {
            for bar in bars.values() {
                if !bar.is_finished() {
                    bar.abandon();
                }
            }
        }
    }
}

/// The outcome per service.
pub type Outcome = BTreeMap<String, Verdict>;

/// Converges one cluster until every expectation holds, one fails, or `wait` runs out.
/// With `wait` zero, does one round (the first actions are started) and returns.
pub async fn converge(
    store: &StateDir,
    cluster: &str,
    expectations: BTreeMap<String, Expect>,
    wait: Duration,
    options: Options,
    transport: Arc<dyn Transport>,
) -> Result<Outcome> {
    let lease_path = store.lease_path(cluster);
    match lock::acquire(
        &lease_path,
        &format!("reconciler of cluster `{cluster}`"),
        Duration::ZERO,
    ) {
        Ok(lease) => {
            let outcome =
                reconcile_here(store, cluster, &expectations, wait, options, transport).await;
            drop(lease);
            outcome
        }
        Err(LockError::Held { holder, .. }) => {
            let who = holder.map_or_else(|| "another process".to_string(), |h| h.to_string());
            if wait.is_zero() {
                eprintln!(
                    "A reconciler holds cluster `{cluster}` ({who}); it carries out the change."
                );
            } else {
                eprintln!(
                    "A reconciler holds cluster `{cluster}` ({who}); waiting for it to converge."
                );
            }
            observe_elsewhere(store, cluster, &expectations, wait).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn reconcile_here(
    store: &StateDir,
    cluster: &str,
    expectations: &BTreeMap<String, Expect>,
    wait: Duration,
    options: Options,
    transport: Arc<dyn Transport>,
) -> Result<Outcome> {
    let mut reconciler = Reconciler::new(store.clone(), cluster, options, transport);
    let (nudge, nudges) = mpsc::channel(64);
    let progress = RefCell::new(Progress::new(expectations));
    let outcome: RefCell<Outcome> = RefCell::new(
        expectations
            .keys()
            .map(|n| (n.clone(), Verdict::Pending("starting".into())))
            .collect(),
    );
    let one_round = wait.is_zero();
    let deadline = (!one_round).then(|| Instant::now() + wait);
    let mut last_error: Option<String> = None;
    let ended = drive(
        &mut reconciler,
        nudges,
        nudge,
        deadline,
        |_report: &PassReport| {
            let outcome = outcome.borrow();
            one_round || outcome.values().all(|v| !matches!(v, Verdict::Pending(_)))
        },
        |report: &PassReport| {
            let mut progress = progress.borrow_mut();
            for service in report.services.values() {
                for event in &service.events {
                    progress.event(&format!("{}  {event}", Timestamp::now()));
                }
            }
            for host in &report.hosts {
                if let Some(error) = &host.error {
                    let line = format!("host `{}`: {error}", host.name);
                    if last_error.as_deref() != Some(&line) {
                        progress.event(&line);
                        last_error = Some(line);
                    }
                }
            }
            let mut outcome = outcome.borrow_mut();
            for (name, expect) in expectations {
                let verdict = judge(expect, report.services.get(name));
                if !matches!(outcome.get(name), Some(Verdict::Done | Verdict::Failed(_))) {
                    progress.update(name, expect, &verdict);
                    outcome.insert(name.clone(), verdict);
                }
            }
        },
        |error| {
            progress
                .borrow()
                .event(&format!("reconcile error (retrying): {error:#}"))
        },
    )
    .await;
    progress.borrow().finish();
    let mut outcome = outcome.into_inner();
    if ended == Ended::Deadline {
        for verdict in outcome.values_mut() {
            if let Verdict::Pending(why) = verdict {
                *verdict = Verdict::Failed(format!(
                    "not steady after {}: {why}",
                    humantime::format_duration(wait)
                ));
            }
        }
    }
    Ok(outcome)
}

/// Another process reconciles: follow the state and runtime it writes.
async fn observe_elsewhere(
    store: &StateDir,
    cluster: &str,
    expectations: &BTreeMap<String, Expect>,
    wait: Duration,
) -> Result<Outcome> {
    let started = Timestamp::now();
    let deadline = Instant::now() + wait;
    let mut progress = Progress::new(expectations);
    let mut seen_events: BTreeMap<String, usize> = BTreeMap::new();
    let mut outcome: Outcome = BTreeMap::new();
    loop {
        let state = store.read_state()?;
        let runtime = store.read_runtime(cluster)?;
        for (name, expect) in expectations {
            let record = state.as_ref().and_then(|s| s.service(cluster, name));
            let service_runtime = runtime.services.get(name);
            if let Some(events) = service_runtime.map(|s| &s.events) {
                let seen = seen_events.entry(name.clone()).or_insert(0);
                for event in events
                    .iter()
                    .filter(|e| e.created_at >= started)
                    .skip(*seen)
                {
                    progress.event(&format!("{}  {}", event.created_at, event.message));
                    *seen += 1;
                }
            }
            let verdict = match (expect, record) {
                (Expect::Gone, None) => Verdict::Done,
                (Expect::Gone, Some(_)) => Verdict::Pending("draining".into()),
                (_, None) => Verdict::Pending("not in the state".into()),
                (Expect::Deployment(id), Some(r)) if r.primary().map(|p| &p.id) != Some(id) => {
                    Verdict::Failed(format!(
                        "deployment {id} was rolled back to {}",
                        r.task_definition
                    ))
                }
                (Expect::Deployment(id), Some(_)) => {
                    match service_runtime
                        .and_then(|s| s.deployments.get(id))
                        .map(|p| (p.rollout_state, p.rollout_state_reason.clone()))
                    {
                        Some((RolloutState::Completed, _)) => Verdict::Done,
                        Some((RolloutState::Failed, reason)) => Verdict::Failed(format!(
                            "deployment failed: {}",
                            reason.unwrap_or_default()
                        )),
                        _ => Verdict::Pending("deployment in progress".into()),
                    }
                }
                (Expect::Steady, Some(r)) => {
                    let steady =
                        service_runtime
                            .and_then(|s| s.steady_since)
                            .is_some_and(|since| {
                                since >= started
                                    || r.status == ServiceStatus::Active && since >= r.updated_at
                            });
                    if steady {
                        Verdict::Done
                    } else {
                        Verdict::Pending("not steady yet".into())
                    }
                }
            };
            if !matches!(outcome.get(name), Some(Verdict::Done | Verdict::Failed(_))) {
                progress.update(name, expect, &verdict);
                outcome.insert(name.clone(), verdict);
            }
        }
        if outcome.values().all(|v| !matches!(v, Verdict::Pending(_))) {
            break;
        }
        // `--no-wait`: the reconciler that holds the cluster carries the change out.
        if wait.is_zero() {
            break;
        }
        if Instant::now() >= deadline {
            for verdict in outcome.values_mut() {
                if let Verdict::Pending(why) = verdict {
                    *verdict = Verdict::Failed(format!(
                        "not steady after {}: {why}",
                        humantime::format_duration(wait)
                    ));
                }
            }
            break;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    progress.finish();
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::controller::reconciler::ServiceReport;
    use crate::reconcile::service::Counts;

    fn report(primary: &str, rollout: Option<RolloutState>, steady: bool) -> ServiceReport {
        ServiceReport {
            name: "web".into(),
            status: ServiceStatus::Active,
            counts: Counts {
                desired: 3,
                running: 2,
                pending: 1,
                healthy: 2,
                unplaced: 0,
            },
            steady,
            primary: Some(primary.into()),
            task_definition: None,
            rollout,
            rollout_reason: None,
            rolled_back_to: None,
            forgotten: false,
            events: Vec::new(),
        }
    }

    #[test]
    fn verdicts() {
        let expect = Expect::Deployment("d2".into());
        assert_eq!(
            judge(
                &expect,
                Some(&report("d2", Some(RolloutState::InProgress), false))
            ),
            Verdict::Pending("2/3 tasks healthy, 1 pending".into())
        );
        assert_eq!(
            judge(
                &expect,
                Some(&report("d2", Some(RolloutState::Completed), true))
            ),
            Verdict::Done
        );
        assert!(matches!(
            judge(
                &expect,
                Some(&report("d1", Some(RolloutState::Completed), true))
            ),
            Verdict::Failed(_)
        ));
        assert!(matches!(
            judge(
                &expect,
                Some(&report("d2", Some(RolloutState::Failed), false))
            ),
            Verdict::Failed(_)
        ));
        let mut rolled = report("d2", Some(RolloutState::Failed), false);
        rolled.rolled_back_to = Some(crate::model::names::TaskDefRef::pinned("web", 1));
        match judge(&expect, Some(&rolled)) {
            Verdict::Failed(why) => assert!(why.contains("rolled it back to web:1"), "{why}"),
            other => panic!("{other:?}"),
        }
        assert_eq!(judge(&Expect::Gone, None), Verdict::Done);
        assert_eq!(
            judge(&Expect::Steady, Some(&report("d1", None, true))),
            Verdict::Done
        );
    }
}
