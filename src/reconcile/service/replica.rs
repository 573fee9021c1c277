//! REPLICA services: keep `desiredCount` tasks of the primary deployment, rolling older ones
//! out within minimumHealthyPercent / maximumPercent.

use super::{
    Assessed, Decision, HostStatus, ServiceInput, StopTask, commit_actions, failed_deployment,
    health_pending, healthy, is_primary, new_start, observed_counts, placement_hosts, request_for,
    requeue_at, seed, settle, stop_intentionally, stop_order, stop_within_budget, throttled_until,
};
use std::collections::BTreeMap;

use crate::ids::IdSource;
use crate::model::effective::EffectiveService;
use crate::reconcile::task::{Health, TaskStatus};
use crate::schedule::Placer;
use crate::state::ServiceStatus;

pub(super) fn decide(
    input: &ServiceInput<'_>,
    service: &EffectiveService,
    ids: &mut dyn IdSource,
    decision: &mut Decision,
) {
    let name = input.name;
    let record = input.record;
    let primary = record.primary();
    let desired = if record.status == ServiceStatus::Draining {
        0
    } else {
        record.desired_count
    };
    let (min_healthy, max_total) = service.deployment.running(desired);
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
    decision.counts = observed_counts(desired, &active, healthy_current + healthy_old);

    // Stop: old tasks that are not healthy (they count for nothing), then old healthy ones
    // as far as minimumHealthyPercent allows, then surplus current tasks.
    let mut stops: Vec<StopTask> = Vec::new();
    let reason_deployment = primary.map(|p| p.id.as_str());
    let mut budget = (healthy_current + healthy_old).saturating_sub(min_healthy);
    stop_order(&mut old);
    stop_within_budget(&old, &mut budget, reason_deployment, &mut stops);
    if current.len() as u32 > desired {
        let excess = current.len() - desired as usize;
        for t in scale_in(input, &current, excess, &mut budget) {
            stops.push(stop_intentionally(t, reason_deployment));
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

    commit_actions(name, decision, stops);

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

/// The spread strategy's field and where a host stands under it (`instanceId`: the host
/// itself; `attribute:zone`: its zone). Without a spread strategy, hosts are their own place.
struct Places<'r, 'i> {
    field: Option<String>,
    input: &'r ServiceInput<'i>,
}

impl<'r, 'i> Places<'r, 'i> {
    fn of(input: &'r ServiceInput<'i>) -> Self {
        let field = input
            .record
            .spec
            .placement_strategy
            .iter()
            .find(|s| s.r#type == Some(crate::model::ecs::PlacementStrategyType::Spread))
            .map(|s| s.field.clone().unwrap_or_else(|| "instanceId".into()));
        Places { field, input }
    }

    fn place(&self, host: &str) -> Option<String> {
        match self
            .field
            .as_deref()
            .and_then(|f| f.strip_prefix("attribute:"))
        {
            None => Some(host.to_string()),
            Some(name) => self
                .input
                .hosts
                .iter()
                .find(|h| h.name == host)?
                .attributes
                .get(name)
                .cloned(),
        }
    }

    fn load(&self, tasks: &[&Assessed<'_>]) -> BTreeMap<String, u32> {
        let mut load = BTreeMap::new();
        for t in tasks {
            if let Some(place) = self.place(&t.task.host) {
                *load.entry(place).or_insert(0) += 1;
            }
        }
        load
    }

    fn load_of(&self, load: &BTreeMap<String, u32>, host: &str) -> u32 {
        self.place(host)
            .and_then(|p| load.get(&p).copied())
            .unwrap_or(0)
    }
}

/// Which `excess` current tasks to stop, one at a time from the most loaded place (as ECS
/// scales in along the spread), not-yet-healthy and newest first within a place. A healthy
/// task is stopped only within the minimumHealthyPercent `budget`; when that blocks the best
/// choice while another task is still starting, nothing more is chosen this pass: stopping
/// the starting task instead would undo a rebalance move (or a replacement) forever.
fn scale_in<'a>(
    input: &ServiceInput<'_>,
    current: &[&'a Assessed<'a>],
    excess: usize,
    budget: &mut u32,
) -> Vec<&'a Assessed<'a>> {
    let places = Places::of(input);
    let mut remaining: Vec<&'a Assessed<'a>> = current.to_vec();
    let mut chosen = Vec::new();
    while chosen.len() < excess {
        let load = places.load(&remaining);
        let key = |t: &&Assessed<'_>| {
            (
                std::cmp::Reverse(places.load_of(&load, &t.task.host)),
                healthy(t),
                std::cmp::Reverse(t.task.created_at),
                t.task.id.clone(),
            )
        };
        let Some(best) = remaining.iter().min_by_key(|t| key(t)).copied() else {
            break;
        };
        let pick = if !healthy(best) || *budget > 0 {
            best
        } else if remaining.iter().any(|t| starting(t)) {
            break;
        } else {
            match remaining
                .iter()
                .filter(|t| !healthy(t))
                .min_by_key(|t| key(t))
            {
                Some(t) => t,
                None => break,
            }
        };
        if healthy(pick) {
            *budget -= 1;
        }
        remaining.retain(|t| t.task.id != pick.task.id);
        chosen.push(pick);
    }
    chosen
}

/// Still on its way to healthy: provisioning, pending, or running with a health check that
/// has not passed yet.
fn starting(t: &Assessed<'_>) -> bool {
    t.state.is_active() && !healthy(t) && t.state.health != Health::Unhealthy
}

/// The task to move for a better spread, if moving one helps: where a new task would go
/// (placement decides, with every constraint) holds at least two fewer tasks than the most
/// loaded place.
fn rebalance<'a>(
    input: &ServiceInput<'_>,
    current: &[&'a Assessed<'a>],
    request: crate::schedule::Request,
) -> Option<(&'a Assessed<'a>, String)> {
    let places = Places::of(input);
    let field = places.field.clone()?;
    let load = places.load(current);
    let mut hosts = placement_hosts(input, current);
    let mut placer = Placer::new(&mut hosts, request, seed(input.name, input.now));
    let target = placer.place().ok()?;
    let target_load = places.load_of(&load, &placer.hosts()[target].name);
    let moved = current
        .iter()
        .filter(|t| places.load_of(&load, &t.task.host) >= target_load + 2)
        .max_by_key(|t| {
            (
                places.load_of(&load, &t.task.host),
                t.task.created_at,
                t.task.id.clone(),
            )
        })?;
    Some((moved, field))
}
