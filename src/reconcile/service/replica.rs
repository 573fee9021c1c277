//! REPLICA services: keep `desiredCount` tasks of the primary deployment, rolling older ones
//! out within minimumHealthyPercent / maximumPercent.

use super::{
    Assessed, Decision, HostStatus, ServiceInput, StopTask, failed_deployment, health_pending,
    healthy, intentional, is_primary, new_start, percents, placement_hosts, request_for,
    requeue_at, seed, settle, started_event, stop_order, stopped_event, throttled_until,
};
use crate::ids::IdSource;
use crate::plan::deployment_bounds;
use crate::reconcile::task::TaskStatus;
use crate::schedule::Placer;
use crate::state::ServiceStatus;

pub(super) fn decide(input: &ServiceInput<'_>, ids: &mut dyn IdSource, decision: &mut Decision) {
    let name = input.name;
    let record = input.record;
    let primary = record.primary();
    let desired = if record.status == ServiceStatus::Draining {
        0
    } else {
        record.desired_count
    };
    let (min_pct, max_pct) = percents(&record.spec);
    let (min_healthy, max_total) = deployment_bounds(desired, min_pct, max_pct);
    let max_total = max_total.max(desired);

    let live: Vec<&Assessed<'_>> = input
        .tasks
        .iter()
        .filter(|t| t.state.last_status != TaskStatus::Stopped)
        .collect();
    // Tasks on unreachable hosts are lost: replaced, not counted, not stopped (they cannot be).
    let reachable = |t: &&Assessed<'_>| {
        input
            .hosts
            .iter()
            .find(|h| h.name == t.task.host)
            .is_none_or(|h| h.status != HostStatus::Unreachable)
    };
    let (live, _lost): (Vec<&Assessed<'_>>, Vec<&Assessed<'_>>) =
        live.into_iter().partition(reachable);
    let (active, stopping): (Vec<&Assessed<'_>>, Vec<&Assessed<'_>>) = live
        .into_iter()
        .partition(|t| t.state.is_active() && !t.stopping);
    let (mut current, mut old): (Vec<&Assessed<'_>>, Vec<&Assessed<'_>>) =
        active.iter().copied().partition(|t| is_primary(t, primary));

    // Tasks on a DRAINING host are replaced like old ones: started elsewhere first.
    let draining = |t: &&Assessed<'_>| {
        input
            .hosts
            .iter()
            .any(|h| h.name == t.task.host && h.status == HostStatus::Draining)
    };
    let (on_draining, kept): (Vec<&Assessed<'_>>, Vec<&Assessed<'_>>) =
        current.into_iter().partition(draining);
    current = kept;
    old.extend(on_draining);

    // A balanced spread drifts when hosts join or come back: move one task at a time.
    let settled = old.is_empty()
        && stopping.is_empty()
        && current.len() as u32 == desired
        && current.iter().all(|t| healthy(t))
        && max_total > desired
        && input
            .hosts
            .iter()
            .all(|h| h.status != HostStatus::Unreachable)
        && primary.is_none_or(|p| {
            super::current_progress(input, decision, &p.id).rollout_state
                == crate::state::RolloutState::Completed
        });
    if settled
        && let Some(request) = request_for(input)
        && let Some((moved, field)) = rebalance(input, &current, request)
    {
        decision.events.push(format!(
            "(service {name}) is rebalancing its tasks across `{field}`."
        ));
        current.retain(|t| t.task.id != moved.task.id);
        old.push(moved);
    }

    let total = (current.len() + old.len() + stopping.len()) as u32;
    let healthy_current = current.iter().filter(|t| healthy(t)).count() as u32;
    let healthy_old = old.iter().filter(|t| healthy(t)).count() as u32;
    decision.counts = super::Counts {
        desired,
        running: active
            .iter()
            .filter(|t| t.state.last_status == TaskStatus::Running)
            .count() as u32,
        pending: active
            .iter()
            .filter(|t| t.state.last_status != TaskStatus::Running)
            .count() as u32,
        healthy: healthy_current + healthy_old,
        unplaced: 0,
    };

    // Stop: old tasks that are not healthy (they count for nothing), then old healthy ones
    // as far as minimumHealthyPercent allows, then surplus current tasks.
    let mut stops: Vec<StopTask> = Vec::new();
    let reason_deployment = primary.map(|p| p.id.as_str());
    let mut budget = (healthy_current + healthy_old).saturating_sub(min_healthy);
    stop_order(&mut old);
    for t in &old {
        let counts = healthy(t);
        if counts {
            if budget == 0 {
                continue;
            }
            budget -= 1;
        }
        stops.push(StopTask {
            task_id: t.task.id.clone(),
            host: t.task.host.clone(),
            reason: intentional(reason_deployment),
        });
    }
    if current.len() as u32 > desired {
        let mut surplus = current.clone();
        stop_order(&mut surplus);
        let excess = current.len() - desired as usize;
        for t in surplus.into_iter().take(excess) {
            stops.push(StopTask {
                task_id: t.task.id.clone(),
                host: t.task.host.clone(),
                reason: intentional(reason_deployment),
            });
        }
    }

    // Start: as many current tasks as are missing, within maximumPercent (counting every
    // task still up, stopping or not).
    let missing = desired.saturating_sub(current.len() as u32);
    let room = max_total.saturating_sub(total);
    let mut launch = missing.min(room);
    if failed_deployment(input, decision) {
        launch = 0;
    }
    if launch > 0
        && let Some(until) = throttled_until(input, decision)
    {
        requeue_at(decision, input.now, until);
        launch = 0;
    }
    if let (Some(primary), true) = (primary, launch > 0) {
        match request_for(input) {
            Some(request) => {
                let mut hosts = placement_hosts(input, &active);
                let mut placer = Placer::new(&mut hosts, request, seed(name, input.now));
                for _ in 0..launch {
                    match placer.place() {
                        Ok(index) => {
                            let host = placer.hosts()[index].name.clone();
                            decision.starts.push(new_start(ids, &host, primary));
                        }
                        Err(unplaced) => {
                            decision.events.push(unplaced.event(name));
                            decision.counts.unplaced = launch - decision.starts.len() as u32;
                            break;
                        }
                    }
                }
            }
            None => decision.events.push(format!(
                "(service {name}) cannot start tasks: task definition {} is not registered.",
                primary.task_definition
            )),
        }
    }

    decision
        .events
        .extend(started_event(name, &decision.starts));
    decision.events.extend(stopped_event(name, &stops));
    for stop in &stops {
        decision
            .record_stops
            .push((stop.task_id.clone(), stop.reason.clone()));
    }
    decision.stops = stops;

    let steady = record.status == ServiceStatus::Active
        && current.len() as u32 == desired
        && healthy_current == desired
        && old.is_empty()
        && stopping.is_empty()
        && decision.starts.is_empty()
        && decision.stops.is_empty();
    settle(input, decision, steady);
    if current.iter().any(|t| health_pending(t)) && decision.requeue_after.is_none() {
        // Health changes arrive as Docker events; this is only a safety net.
        requeue_at(
            decision,
            input.now,
            input.now.plus(std::time::Duration::from_secs(5)),
        );
    }
}

/// The task to move for a better spread, if moving one helps: where a new task would go
/// (placement decides, with every constraint) holds at least two fewer tasks than the most
/// loaded place.
fn rebalance<'a>(
    input: &ServiceInput<'_>,
    current: &[&'a Assessed<'a>],
    request: crate::schedule::Request,
) -> Option<(&'a Assessed<'a>, String)> {
    let spread = input
        .record
        .spec
        .placement_strategy
        .iter()
        .find(|s| s.r#type == Some(crate::model::ecs::PlacementStrategyType::Spread))?;
    let field = spread.field.clone().unwrap_or_else(|| "instanceId".into());
    let attribute = field.strip_prefix("attribute:");
    let place_of = |host: &str| -> Option<String> {
        match attribute {
            None => Some(host.to_string()),
            Some(name) => input
                .hosts
                .iter()
                .find(|h| h.name == host)?
                .attributes
                .get(name)
                .cloned(),
        }
    };
    let mut load: std::collections::BTreeMap<String, u32> = std::collections::BTreeMap::new();
    for t in current {
        if let Some(place) = place_of(&t.task.host) {
            *load.entry(place).or_insert(0) += 1;
        }
    }
    let mut hosts = placement_hosts(input, current);
    let mut placer = Placer::new(&mut hosts, request, seed(input.name, input.now));
    let target = placer.place().ok()?;
    let target_place = place_of(&placer.hosts()[target].name)?;
    let target_load = load.get(&target_place).copied().unwrap_or(0);
    let moved = current
        .iter()
        .filter(|t| {
            place_of(&t.task.host)
                .is_some_and(|p| load.get(&p).copied().unwrap_or(0) >= target_load + 2)
        })
        .max_by_key(|t| {
            let place = place_of(&t.task.host).unwrap_or_default();
            (
                load.get(&place).copied().unwrap_or(0),
                t.task.created_at,
                t.task.id.clone(),
            )
        })?;
    Some((moved, field))
}
