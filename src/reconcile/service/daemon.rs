//! DAEMON services: one task on every ACTIVE host that satisfies the service's constraints and
//! has room for it. A new revision replaces the task host by host: the old task stops first
//! (one per host at most), as far as minimumHealthyPercent allows.

use super::{
    Assessed, Decision, HostStatus, ServiceInput, commit_actions, failed_deployment, healthy,
    is_primary, new_start, observed_counts, placement_hosts, request_for, requeue_at, settle,
    stop_intentionally, stop_within_budget, throttled_until,
};
use crate::ids::IdSource;
use crate::model::effective::EffectiveService;
use crate::reconcile::task::TaskStatus;
use crate::schedule::Request;
use crate::schedule::query::HostFacts;
use crate::state::ServiceStatus;

/// The hosts that should run the service's task.
pub(super) fn eligible<'a>(input: &'a ServiceInput<'_>, request: Option<&Request>) -> Vec<&'a str> {
    input
        .hosts
        .iter()
        .filter(|h| h.status == HostStatus::Active)
        .filter(|h| {
            request.is_none_or(|r| {
                r.member_of.iter().all(|(_, expr)| {
                    expr.eval(&HostFacts {
                        name: &h.name,
                        attributes: &h.attributes,
                        running_tasks: input.usage.get(&h.name).map_or(0, |u| u.tasks),
                    })
                })
            })
        })
        .map(|h| h.name.as_str())
        .collect()
}

pub(super) fn decide(
    input: &ServiceInput<'_>,
    service: &EffectiveService,
    ids: &mut dyn IdSource,
    decision: &mut Decision,
) {
    let name = input.name;
    let record = input.record;
    let primary = record.primary();
    let request = request_for(input);
    let hosts: Vec<&str> = if record.status == ServiceStatus::Draining {
        Vec::new()
    } else {
        eligible(input, request.as_ref())
    };
    let desired = hosts.len() as u32;
    let (min_healthy, _) = service.deployment.running(desired);
    let unreachable = |host: &str| {
        input
            .hosts
            .iter()
            .any(|h| h.name == host && h.status == HostStatus::Unreachable)
    };
    let live: Vec<&Assessed<'_>> = input
        .tasks
        .iter()
        .filter(|t| t.state.last_status != TaskStatus::Stopped && !unreachable(&t.task.host))
        .collect();
    let (active, stopping): (Vec<&Assessed<'_>>, Vec<&Assessed<'_>>) = live
        .into_iter()
        .partition(|t| t.state.is_active() && !t.stopping);
    let healthy_total = active
        .iter()
        .filter(|t| hosts.contains(&t.task.host.as_str()) && healthy(t))
        .count() as u32;
    let mut budget = healthy_total.saturating_sub(min_healthy);
    let reason_deployment = primary.map(|p| p.id.as_str());
    let mut stops = Vec::new();
    let mut launch_on: Vec<&str> = Vec::new();
    let mut steady = record.status == ServiceStatus::Active && stopping.is_empty();

    // Tasks on hosts that should not run one (drained, no longer matching, service deleted).
    for t in active
        .iter()
        .filter(|t| !hosts.contains(&t.task.host.as_str()))
    {
        steady = false;
        stops.push(stop_intentionally(t, reason_deployment));
    }
    for host in &hosts {
        let on_host: Vec<&Assessed<'_>> = active
            .iter()
            .copied()
            .filter(|t| t.task.host == *host)
            .collect();
        let (mut current, old): (Vec<&Assessed<'_>>, Vec<&Assessed<'_>>) =
            on_host.into_iter().partition(|t| is_primary(t, primary));
        current.sort_by_key(|t| (!healthy(t), t.task.created_at, t.task.id.clone()));
        // One current task per host; anything else goes.
        for extra in current.iter().skip(1) {
            stops.push(stop_intentionally(extra, reason_deployment));
        }
        let has_current = !current.is_empty();
        let stopping_here = stopping.iter().any(|t| t.task.host == *host);
        if !has_current
            || !old.is_empty()
            || current.len() > 1
            || !current.first().is_some_and(|t| healthy(t))
        {
            steady = false;
        }
        stop_within_budget(&old, &mut budget, reason_deployment, &mut stops);
        // The new task waits until the host's old one is down (one task per host).
        if !has_current && old.is_empty() && !stopping_here {
            launch_on.push(host);
        }
    }

    if failed_deployment(input, decision) {
        launch_on.clear();
    }
    if !launch_on.is_empty()
        && let Some(until) = throttled_until(input, decision)
    {
        requeue_at(decision, input.now, until);
        launch_on.clear();
    }
    decision.counts = observed_counts(desired, &active, healthy_total);
    if let (Some(primary), Some(request)) = (primary, request) {
        let mut candidates = placement_hosts(input, &active);
        for host in launch_on {
            // Capacity and ports on this very host.
            let Some(candidate) = candidates.iter_mut().find(|c| c.name == host) else {
                continue;
            };
            let fits = candidate.cpu_free >= request.cpu
                && candidate.memory_free >= request.memory
                && request
                    .ports
                    .iter()
                    .all(|p| !candidate.ports_used.contains(p));
            if fits {
                candidate.cpu_free -= request.cpu;
                candidate.memory_free -= request.memory;
                decision.starts.push(new_start(ids, host, primary));
            } else {
                decision.counts.unplaced += 1;
                decision.events.push(format!(
                    "(service {name}) was unable to place a task on host `{host}`: it has insufficient resources or ports available."
                ));
            }
        }
    }
    let steady = steady && decision.starts.is_empty() && stops.is_empty();
    commit_actions(name, decision, stops);
    settle(input, decision, steady);
}
