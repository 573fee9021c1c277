//! Waiting for services to converge (after `apply`, `scale`, `delete`, `drain`, and for
//! `reconcile`): either this process takes the cluster's lease and reconciles itself, or a
//! `watch` holds it and this process follows what that one records. Either way each service
//! is judged by [`verdict`] over the recorded state and runtime. Progress comes back through
//! the caller's callback; nothing here prints.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;

use super::{OpsResult, Session};
use crate::controller::reconciler::{Options, PassReport, Reconciler};
use crate::controller::run::{Ended, drive};
use crate::reconcile::converge::verdict;
pub use crate::reconcile::converge::{Expect, Verdict};
use crate::state::lock::LockError;
use crate::time::Timestamp;

/// The outcome per service.
pub type Outcome = BTreeMap<String, Verdict>;

/// What happens while waiting.
#[derive(Clone, Debug, PartialEq)]
pub enum Progress {
    /// Another process holds the cluster's lease; `waiting`: this one follows it (else it
    /// returns at once and the holder carries the change out).
    HeldElsewhere {
        cluster: String,
        holder: String,
        waiting: bool,
    },
    /// A service event, with when it happened.
    Event { at: Timestamp, message: String },
    /// A host does not answer (reported when the error changes).
    HostError { host: String, error: String },
    /// A pass failed; the reconciler retries.
    ReconcileError(String),
    /// A service's verdict, as long as it was not final.
    Service {
        name: String,
        expect: Expect,
        verdict: Verdict,
    },
}

/// Converges one cluster until every expectation holds, one fails, or `wait` runs out.
/// With `wait` zero, does one round (the first actions are started) and returns.
pub async fn converge(
    session: &Session,
    cluster: &str,
    expectations: &BTreeMap<String, Expect>,
    wait: Duration,
    options: Options,
    on: &mut dyn FnMut(Progress),
) -> OpsResult<Outcome> {
    match session
        .store
        .take_lease_async(cluster, Duration::ZERO)
        .await
    {
        Ok(lease) => {
            // Its writes are refused if the lease is taken over meanwhile.
            let fenced = Session {
                store: session.store.fenced(&lease),
                ..session.clone()
            };
            let lost = lease.on_lost();
            let outcome = tokio::select! {
                outcome = reconcile_here(&fenced, cluster, expectations, wait, options, on) => outcome,
                () = lost => Err(super::OpsError::Other(anyhow::anyhow!(
                    "lost the reconciler lease of cluster `{cluster}` (it could not be renewed in time); another reconciler carries the change out"
                ))),
            };
            drop(lease);
            outcome
        }
        Err(LockError::Held { holder, .. }) => {
            on(Progress::HeldElsewhere {
                cluster: cluster.to_string(),
                holder: holder.map_or_else(|| "another process".to_string(), |h| h.to_string()),
                waiting: !wait.is_zero(),
            });
            observe_elsewhere(session, cluster, expectations, wait, on).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Judges every service not judged final yet, from what is recorded now.
struct Judge<'a> {
    session: &'a Session,
    cluster: &'a str,
    expectations: &'a BTreeMap<String, Expect>,
    since: Timestamp,
    outcome: Outcome,
}

impl<'a> Judge<'a> {
    fn new(
        session: &'a Session,
        cluster: &'a str,
        expectations: &'a BTreeMap<String, Expect>,
    ) -> Self {
        let outcome = expectations
            .keys()
            .map(|n| (n.clone(), Verdict::Pending("starting".into())))
            .collect();
        Judge {
            session,
            cluster,
            expectations,
            since: Timestamp::now(),
            outcome,
        }
    }

    fn judge(&mut self, on: &mut dyn FnMut(Progress)) -> OpsResult<()> {
        let state = self.session.store.read_state()?;
        let runtime = self.session.store.read_runtime(self.cluster)?;
        for (name, expect) in self.expectations {
            if self.outcome.get(name).is_some_and(Verdict::is_final) {
                continue;
            }
            let record = state.as_ref().and_then(|s| s.service(self.cluster, name));
            let v = verdict(expect, record, runtime.services.get(name), self.since);
            on(Progress::Service {
                name: name.clone(),
                expect: expect.clone(),
                verdict: v.clone(),
            });
            self.outcome.insert(name.clone(), v);
        }
        Ok(())
    }

    fn all_final(&self) -> bool {
        self.outcome.values().all(Verdict::is_final)
    }

    /// What is still pending after the wait ran out has failed.
    fn timed_out(mut self, wait: Duration) -> Outcome {
        for v in self.outcome.values_mut() {
            if let Verdict::Pending(why) = v {
                *v = Verdict::Failed(format!(
                    "not steady after {}: {why}",
                    humantime::format_duration(wait)
                ));
            }
        }
        self.outcome
    }
}

async fn reconcile_here(
    session: &Session,
    cluster: &str,
    expectations: &BTreeMap<String, Expect>,
    wait: Duration,
    options: Options,
    on: &mut dyn FnMut(Progress),
) -> OpsResult<Outcome> {
    let mut reconciler = Reconciler::new(
        session.store.clone(),
        cluster,
        options,
        session.transport.clone(),
    );
    let (nudge, nudges) = mpsc::channel(64);
    let one_round = wait.is_zero();
    let deadline = (!one_round).then(|| Instant::now() + wait);
    let judge = RefCell::new(Judge::new(session, cluster, expectations));
    let on = RefCell::new(on);
    let failure: RefCell<Option<super::OpsError>> = RefCell::new(None);
    let mut host_errors = BTreeMap::new();
    let ended = drive(
        &mut reconciler,
        nudges,
        nudge,
        deadline,
        |_: &PassReport| one_round || judge.borrow().all_final() || failure.borrow().is_some(),
        |report: &PassReport| {
            let mut on = on.borrow_mut();
            report_pass(report, &mut host_errors, &mut **on);
            if let Err(e) = judge.borrow_mut().judge(&mut **on) {
                failure.borrow_mut().get_or_insert(e);
            }
        },
        |error| (on.borrow_mut())(Progress::ReconcileError(format!("{error:#}"))),
    )
    .await;
    if let Some(e) = failure.into_inner() {
        return Err(e);
    }
    let judge = judge.into_inner();
    Ok(match ended {
        Ended::Deadline => judge.timed_out(wait),
        _ => judge.outcome,
    })
}

/// A pass's events, and host errors when they change.
fn report_pass(
    report: &PassReport,
    host_errors: &mut BTreeMap<String, String>,
    on: &mut dyn FnMut(Progress),
) {
    for service in report.services.values() {
        for event in &service.events {
            on(Progress::Event {
                at: Timestamp::now(),
                message: event.clone(),
            });
        }
    }
    for host in &report.hosts {
        if let Some(error) = &host.error
            && host_errors.get(&host.name) != Some(error)
        {
            host_errors.insert(host.name.clone(), error.clone());
            on(Progress::HostError {
                host: host.name.clone(),
                error: error.clone(),
            });
        }
    }
}

/// Another process reconciles: follow the state and runtime it writes.
async fn observe_elsewhere(
    session: &Session,
    cluster: &str,
    expectations: &BTreeMap<String, Expect>,
    wait: Duration,
    on: &mut dyn FnMut(Progress),
) -> OpsResult<Outcome> {
    let deadline = Instant::now() + wait;
    let mut judge = Judge::new(session, cluster, expectations);
    let mut seen_events: BTreeMap<String, usize> = BTreeMap::new();
    loop {
        new_events(
            session,
            cluster,
            expectations,
            judge.since,
            &mut seen_events,
            on,
        )?;
        judge.judge(on)?;
        // `--no-wait`: the reconciler that holds the cluster carries the change out.
        if judge.all_final() || wait.is_zero() {
            return Ok(judge.outcome);
        }
        if Instant::now() >= deadline {
            return Ok(judge.timed_out(wait));
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// The services' events recorded since `since` that were not reported yet.
fn new_events(
    session: &Session,
    cluster: &str,
    expectations: &BTreeMap<String, Expect>,
    since: Timestamp,
    seen: &mut BTreeMap<String, usize>,
    on: &mut dyn FnMut(Progress),
) -> OpsResult<()> {
    let runtime = session.store.read_runtime(cluster)?;
    for name in expectations.keys() {
        let Some(service) = runtime.services.get(name) else {
            continue;
        };
        let seen = seen.entry(name.clone()).or_insert(0);
        for event in service
            .events
            .iter()
            .filter(|e| e.created_at >= since)
            .skip(*seen)
        {
            on(Progress::Event {
                at: event.created_at,
                message: event.message.clone(),
            });
            *seen += 1;
        }
    }
    Ok(())
}
