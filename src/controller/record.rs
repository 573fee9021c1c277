//! How a decision is written into a service's runtime record: stop reasons, deployment
//! progress, the failure streak, the steady mark and events (an event identical to the last
//! one within ten minutes is not repeated, as ECS throttles its own).

use std::time::Duration;

use crate::ids::IdSource;
use crate::reconcile::service::{Decision, FailureCount};
use crate::state::{Event, ServiceRuntime};
use crate::time::Timestamp;

const REPEAT_AFTER: Duration = Duration::from_secs(600);

pub fn push_event(
    runtime: &mut ServiceRuntime,
    message: String,
    now: Timestamp,
    ids: &mut dyn IdSource,
) {
    if let Some(last) = runtime.events.back()
        && last.message == message
        && now.since(last.created_at) < REPEAT_AFTER
    {
        return;
    }
    runtime.push_event(Event {
        id: ids.event_id(),
        created_at: now,
        message,
        by_command: false,
    });
}

/// Writes `decision` into the service's runtime record. `changed_at`: when the service was
/// last changed; a steady mark older than that is renewed (waiters judge steadiness after
/// the change by it).
pub fn record(
    runtime: &mut ServiceRuntime,
    decision: &Decision,
    changed_at: Timestamp,
    now: Timestamp,
    ids: &mut dyn IdSource,
) {
    for (task, reason) in &decision.record_stops {
        runtime.stop_reasons.insert(task.clone(), reason.clone());
    }
    for (deployment, progress) in &decision.progress {
        runtime
            .deployments
            .insert(deployment.clone(), progress.clone());
    }
    match decision.failures {
        FailureCount::Add(n) => {
            runtime.consecutive_failures += n;
            runtime.last_failure_at = Some(now);
        }
        FailureCount::Reset => runtime.consecutive_failures = 0,
        FailureCount::Unchanged => {}
    }
    runtime.counts = Some(decision.counts);
    runtime.capacity_providers = decision.capacity_providers.clone();
    if decision.steady {
        if runtime.steady_since.is_none_or(|since| since < changed_at) {
            runtime.steady_since = Some(now);
        }
    } else {
        runtime.steady_since = None;
    }
    for event in &decision.events {
        push_event(runtime, event.clone(), now, ids);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::SequentialIds;

    #[test]
    fn repeated_events_are_throttled() {
        let mut runtime = ServiceRuntime::default();
        let mut ids = SequentialIds::default();
        let t0 = Timestamp::from_unix_millis(0);
        push_event(&mut runtime, "unable to place".into(), t0, &mut ids);
        push_event(
            &mut runtime,
            "unable to place".into(),
            t0.plus(Duration::from_secs(60)),
            &mut ids,
        );
        assert_eq!(runtime.events.len(), 1);
        push_event(
            &mut runtime,
            "unable to place".into(),
            t0.plus(Duration::from_secs(700)),
            &mut ids,
        );
        assert_eq!(runtime.events.len(), 2);
        push_event(
            &mut runtime,
            "other".into(),
            t0.plus(Duration::from_secs(701)),
            &mut ids,
        );
        push_event(
            &mut runtime,
            "unable to place".into(),
            t0.plus(Duration::from_secs(702)),
            &mut ids,
        );
        assert_eq!(runtime.events.len(), 4);
    }

    #[test]
    fn events_are_bounded() {
        let mut runtime = ServiceRuntime::default();
        let mut ids = SequentialIds::default();
        for i in 0..250 {
            push_event(
                &mut runtime,
                format!("event {i}"),
                Timestamp::from_unix_millis(i),
                &mut ids,
            );
        }
        assert_eq!(runtime.events.len(), crate::state::MAX_EVENTS);
        assert_eq!(
            runtime.events.back().map(|e| e.message.as_str()),
            Some("event 249")
        );
    }
}
