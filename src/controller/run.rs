//! Drives a reconciler: a pass whenever something happens (a Docker event, an operation that
//! finished, a timer a decision asked for, a nudge from outside), and at least every resync
//! interval because events get lost. Errors back off as kube-rs does: 800 ms doubling to
//! 30 s, with jitter, reset after a quiet spell of two minutes without failures (not on the
//! first success: a flapping host would otherwise retry at full speed forever). Transient
//! Docker errors never end the loop.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use rand::RngExt;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::reconciler::{PassReport, Reconciler};
use crate::docker::host::DockerHost;

/// Why the loop stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// The caller's condition held.
    Done,
    Deadline,
    /// Asked to stop (a signal, or the nudge channel closed).
    Stopped,
}

/// After this long without a failure, the backoff starts again from the beginning
/// (kube-rs's `ResetTimerBackoff`, 120 s).
pub const QUIET_RESET: Duration = Duration::from_secs(120);

/// kube-rs's default error policy: 800 ms, doubling, at most 30 s, ±50 % jitter; back to the
/// start after [`QUIET_RESET`] without a failure. The clock is the caller's.
#[derive(Debug, Clone)]
pub struct Backoff {
    next: Duration,
    last_failure: Option<Instant>,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            next: Duration::from_millis(800),
            last_failure: None,
        }
    }
}

impl Backoff {
    /// The wait after a failure at `now`.
    pub fn failure(&mut self, now: Instant) -> Duration {
        self.forget_if_quiet(now);
        self.last_failure = Some(now);
        let base = self.next;
        self.next = (self.next * 2).min(Duration::from_secs(30));
        let jitter: f64 = rand::rng().random_range(0.5..1.5);
        base.mul_f64(jitter)
    }

    /// A success at `now`: the streak ends only once it has been quiet long enough.
    pub fn success(&mut self, now: Instant) {
        self.forget_if_quiet(now);
    }

    fn forget_if_quiet(&mut self, now: Instant) {
        if self
            .last_failure
            .is_some_and(|last| now.saturating_duration_since(last) >= QUIET_RESET)
        {
            *self = Backoff::default();
        }
    }
}

/// Forwards Docker events of every connected host as nudges; restarts a host's listener when
/// its stream ends (the daemon restarted, the link dropped).
#[derive(Default)]
pub struct Listeners {
    running: BTreeMap<String, (usize, tokio::task::JoinHandle<()>)>,
}

impl Listeners {
    pub fn ensure(&mut self, cluster: &str, hosts: Vec<Arc<DockerHost>>, nudge: &mpsc::Sender<()>) {
        for host in hosts {
            let key = Arc::as_ptr(&host) as usize;
            let alive = self
                .running
                .get(&host.name)
                .is_some_and(|(k, handle)| *k == key && !handle.is_finished());
            if alive {
                continue;
            }
            let nudge = nudge.clone();
            let cluster = cluster.to_string();
            let name = host.name.clone();
            let handle = tokio::spawn(async move {
                let mut events = Box::pin(host.events(&cluster));
                while let Some(event) = events.next().await {
                    match event {
                        Ok(event) => {
                            tracing::debug!(host = %host.name, "docker event {} {}", event.action, event.container);
                            host.note_event(&event);
                            if nudge.send(()).await.is_err() {
                                return;
                            }
                        }
                        Err(e) => {
                            tracing::debug!(host = %host.name, "event stream ended: {e:#}");
                            return;
                        }
                    }
                }
            });
            if let Some((_, old)) = self.running.insert(name, (key, handle)) {
                old.abort();
            }
        }
    }
}

impl Drop for Listeners {
    fn drop(&mut self) {
        for (_, handle) in self.running.values() {
            handle.abort();
        }
    }
}

/// When to look again after a pass that went through: what the decision asked for, at most
/// the resync interval; often while a host fails (to notice its grace ending), and shortly
/// after an event.
fn next_wait(report: &PassReport, resync: Duration, follow_up: bool) -> Duration {
    // Docker announces `die` a moment before its container list shows the exit: after a pass
    // woken by an event, look again shortly.
    const FOLLOW_UP: Duration = Duration::from_millis(150);
    let mut wait = report.requeue_after.unwrap_or(resync).min(resync);
    if report.hosts.iter().any(|h| h.error.is_some()) {
        wait = wait.min(Duration::from_secs(2));
    }
    if follow_up {
        wait = wait.min(FOLLOW_UP);
    }
    wait
}

/// Runs passes until `done` says so, the deadline passes, or `nudges` closes.
/// `on_pass` sees every report (progress displays, event printing).
pub async fn drive(
    reconciler: &mut Reconciler,
    mut nudges: mpsc::Receiver<()>,
    nudge: mpsc::Sender<()>,
    deadline: Option<Instant>,
    mut done: impl FnMut(&PassReport) -> bool,
    mut on_pass: impl FnMut(&PassReport),
    mut on_error: impl FnMut(&anyhow::Error),
) -> Ended {
    let mut listeners = Listeners::default();
    let mut backoff = Backoff::default();
    let resync = reconciler.options().resync;
    let mut follow_up = false;
    loop {
        let started = Instant::now();
        let wait = match reconciler.pass().await {
            Ok(mut report) => {
                report.took = started.elapsed();
                tracing::debug!(started = report.started, requeue = ?report.requeue_after, "pass");
                on_pass(&report);
                listeners.ensure(reconciler.cluster(), reconciler.connections(), &nudge);
                if report.errors.is_empty() && done(&report) && !reconciler.busy() {
                    return Ended::Done;
                }
                let wait = next_wait(&report, resync, std::mem::take(&mut follow_up));
                if report.errors.is_empty() {
                    backoff.success(Instant::now());
                    wait
                } else {
                    for error in &report.errors {
                        on_error(&anyhow::anyhow!("{error}"));
                    }
                    wait.min(backoff.failure(Instant::now()))
                }
            }
            Err(e) => {
                on_error(&e);
                backoff.failure(Instant::now())
            }
        };
        let sleep_until = Instant::now() + wait;
        let sleep_until = deadline.map_or(sleep_until, |d| sleep_until.min(d));
        tokio::select! {
            finished = reconciler.next_done(), if reconciler.busy() => {
                let _ = finished;
                tracing::debug!("woken: an operation finished");
            }
            nudged = nudges.recv() => {
                if nudged.is_none() {
                    return Ended::Stopped;
                }
                tracing::debug!("woken: nudged");
                follow_up = true;
            }
            () = tokio::time::sleep_until(sleep_until) => {
                tracing::debug!("woken: timer");
            }
        }
        // Batch what arrives together: a burst of events is one pass.
        tokio::time::sleep(Duration::from_millis(5)).await;
        while nudges.try_recv().is_ok() {}
        reconciler.drain_done();
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Ended::Deadline;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_thirty_seconds() {
        let t0 = Instant::now();
        let mut b = Backoff::default();
        let first = b.failure(t0);
        assert!(first >= Duration::from_millis(400) && first <= Duration::from_millis(1200));
        for i in 0..10 {
            b.failure(t0 + Duration::from_secs(i));
        }
        let capped = b.failure(t0 + Duration::from_secs(11));
        assert!(capped <= Duration::from_secs(45) && capped >= Duration::from_secs(15));
    }

    #[test]
    fn backoff_resets_after_a_quiet_spell_not_on_the_first_success() {
        let t0 = Instant::now();
        let mut b = Backoff::default();
        for i in 0..6 {
            b.failure(t0 + Duration::from_secs(i));
        }
        // A success right after the failures: the streak goes on (a flapping host).
        b.success(t0 + Duration::from_secs(7));
        let still = b.failure(t0 + Duration::from_secs(8));
        assert!(still >= Duration::from_secs(12), "{still:?}");
        // Two minutes without a failure: from the start again.
        b.success(t0 + Duration::from_secs(8) + QUIET_RESET);
        let fresh = b.failure(t0 + Duration::from_secs(9) + QUIET_RESET);
        assert!(fresh <= Duration::from_millis(1200), "{fresh:?}");
        // A failure after a quiet spell with no success in between resets too.
        for i in 0..6 {
            b.failure(t0 + Duration::from_secs(200 + i));
        }
        let after_quiet = b.failure(t0 + Duration::from_secs(206) + QUIET_RESET);
        assert!(
            after_quiet <= Duration::from_millis(1200),
            "{after_quiet:?}"
        );
    }
}
