//! REPLICA services: keep `desiredCount` tasks of the primary deployment, rolling older ones
//! out within minimumHealthyPercent / maximumPercent.

use super::{
    Assessed, Decision, HookLaunch, HostStatus, ServiceInput, StopTask, TrafficShare,
    commit_actions, current_progress, fail_primary, failed_deployment, health_pending, healthy,
    is_primary, new_start, observed_counts, placement_hosts, request_for, requeue_at, seed, settle,
    shift, stop_intentionally, stop_order, stop_within_budget, throttled_until,
};
use std::collections::{BTreeMap, BTreeSet};

use crate::ids::IdSource;
use crate::model::effective::EffectiveService;
use crate::model::effective::strategy::{Stage, Strategy as DeploymentStrategy};
use crate::reconcile::converge::BREAKER_ROLLBACK;
use crate::reconcile::task::{Health, TaskStatus};
use crate::schedule::capacity::Strategy;
use crate::schedule::pools::CAPACITY_UNAVAILABLE;
use crate::schedule::{self, Placer, Request, Unplaced};
use crate::state::{Deployment, RolloutState, ServiceStatus};

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

    // With a capacity provider strategy, tasks on hosts outside its providers (the strategy
    // changed, a host left its pool) are replaced like old ones: started in a provider first.
    let strategy = input.providers.service_strategy(&record.spec);
    if !strategy.is_empty() {
        let (inside, outside): (Vec<&Assessed<'_>>, Vec<&Assessed<'_>>) = current
            .into_iter()
            .partition(|t| input.providers.position(&strategy, &t.task.host).is_some());
        current = inside;
        old.extend(outside);
    }

    // A balanced spread drifts when hosts join or come back, a split when the strategy
    // changes: move one task at a time.
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
    if settled && let Some(request) = request_for(input) {
        let moved = if strategy.is_empty() {
            rebalance(input, &current, request).map(|(moved, field)| {
                let event = format!("(service {name}) is rebalancing its tasks across `{field}`.");
                (moved, event)
            })
        } else {
            rebalance_providers(input, &strategy, &current, request).map(|(moved, from, to)| {
                let event = format!(
                    "(service {name}) is moving a task from capacity provider `{from}` to `{to}` to follow its capacity provider strategy."
                );
                (moved, event)
            })
        };
        if let Some((moved, event)) = moved {
            decision.events.push(event);
            current.retain(|t| t.task.id != moved.task.id);
            old.push(moved);
        }
    }

    let total = (current.len() + old.len() + stopping.len()) as u32;
    let healthy_current = current.iter().filter(|t| healthy(t)).count() as u32;
    let healthy_old = old.iter().filter(|t| healthy(t)).count() as u32;
    decision.counts = observed_counts(desired, &active, healthy_current + healthy_old);
    decision.capacity_providers = input
        .providers
        .tally(active.iter().map(|t| t.task.host.as_str()));

    // A shifted deployment (BLUE_GREEN, LINEAR, CANARY) starts the new revision at full size
    // beside the old one and moves production traffic by steps; the old tasks stop at
    // CLEAN_UP, all at once (each drains first).
    let scaled_up = current.len() as u32 == desired && healthy_current == desired;
    let shifted = shift_progress(input, decision, primary, !old.is_empty(), scaled_up);

    // Stop: old tasks that are not healthy (they count for nothing), then old healthy ones
    // as far as minimumHealthyPercent allows, then surplus current tasks.
    let mut stops: Vec<StopTask> = Vec::new();
    let reason_deployment = primary.map(|p| p.id.as_str());
    let mut budget = (healthy_current + healthy_old).saturating_sub(min_healthy);
    // Protected tasks (`ecsctl task protect`) are never chosen while healthy: scale-in
    // takes others, deployments wait for the protection to end.
    let guarded =
        |t: &Assessed<'_>| healthy(t) && input.runtime.is_protected(&t.task.id, input.now);
    for t in old.iter().chain(current.iter()).filter(|t| guarded(t)) {
        if let Some(expires) = input.runtime.protected.get(&t.task.id) {
            requeue_at(decision, input.now, *expires);
        }
    }
    let mut stoppable: Vec<&Assessed<'_>> = old.iter().filter(|t| !guarded(t)).copied().collect();
    stop_order(&mut stoppable);
    match shifted {
        Some(stage) if stage != Stage::CleanUp => {}
        Some(_) => {
            let mut all = u32::MAX;
            stop_within_budget(&stoppable, &mut all, reason_deployment, &mut stops);
        }
        None => stop_within_budget(&stoppable, &mut budget, reason_deployment, &mut stops),
    }
    if current.len() as u32 > desired {
        let excess = current.len() - desired as usize;
        let choosable: Vec<&Assessed<'_>> =
            current.iter().filter(|t| !guarded(t)).copied().collect();
        for t in scale_in(input, &strategy, &choosable, excess, &mut budget) {
            stops.push(stop_intentionally(t, reason_deployment));
        }
    }

    // Start: as many current tasks as are missing, within maximumPercent (counting every
    // task still up, stopping or not).
    let missing = desired.saturating_sub(current.len() as u32);
    let room = match shifted {
        None => max_total.saturating_sub(total),
        Some(Stage::PreScaleUp) => 0,
        Some(_) => missing,
    };
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
                let hosts = placement_hosts(input, &active);
                let launch = Launch {
                    request,
                    count: launch,
                    primary,
                };
                if strategy.is_empty() {
                    place_anywhere(input, hosts, launch, ids, decision);
                } else {
                    place_by_strategy(input, &strategy, &current, hosts, launch, ids, decision);
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

/// Moves a shifted deployment along (see [`shift`]) and records its progress and traffic
/// share; returns its stage, or `None` when the service deploys by rolling: a ROLLING
/// strategy, a deployment that is not in progress, a first deployment (nothing to shift
/// from), or a deployment the service rolled back to (traffic returns at once).
fn shift_progress(
    input: &ServiceInput<'_>,
    decision: &mut Decision,
    primary: Option<&Deployment>,
    has_old: bool,
    scaled_up: bool,
) -> Option<Stage> {
    let primary = primary?;
    let strategy = DeploymentStrategy::of(&input.record.spec);
    if !strategy.shifts() || primary.reason == BREAKER_ROLLBACK {
        return None;
    }
    let mut progress = current_progress(input, decision, &primary.id);
    if progress.rollout_state == RolloutState::Failed && has_old && progress.shift.is_some() {
        // Failed without a rollback: the old revision keeps its tasks and all the traffic.
        decision.traffic_share = Some(TrafficShare {
            deployment: primary.id.clone(),
            permille: 0,
        });
        return Some(Stage::PreScaleUp);
    }
    if progress.rollout_state != RolloutState::InProgress {
        return None;
    }
    let from = match &progress.shift {
        Some(shift) => shift.clone(),
        None if has_old => shift::start(input.now),
        None => return None,
    };
    let label = format!("(service {}) (deployment {})", input.name, primary.id);
    let control = input.runtime.controls.get(&primary.id);
    let facts = shift::Facts {
        scaled_up,
        hook_tasks: input.hook_tasks,
    };
    let advance = shift::advance(&strategy, &from, control, facts, &label, input.now);
    decision.events.extend(advance.events);
    if let Some(task_definition) = advance.run_hook {
        decision.hook_run = Some(HookLaunch {
            deployment: primary.id.clone(),
            stage: advance.progress.stage,
            task_definition,
        });
    }
    let poll = input.now.plus(shift::CONTROL_POLL);
    let wake = advance.wake_at.map_or(poll, |at| at.min(poll));
    requeue_at(decision, input.now, wake);
    let stage = advance.progress.stage;
    decision.traffic_share = Some(TrafficShare {
        deployment: primary.id.clone(),
        permille: advance.progress.traffic,
    });
    let changed = progress.shift.as_ref() != Some(&advance.progress);
    progress.shift = Some(advance.progress);
    if let Some(why) = advance.fail {
        // A manual rollback or a hook's verdict always returns to the last completed
        // deployment (the circuit breaker and alarms follow their own `rollback` settings).
        fail_primary(input, decision, &mut progress, &why, &why, true);
        decision.traffic_share = Some(TrafficShare {
            deployment: primary.id.clone(),
            permille: 0,
        });
        decision.progress.push((primary.id.clone(), progress));
        // Nothing stops or starts until the rollback is recorded (the next pass).
        return Some(Stage::PreScaleUp);
    }
    if changed {
        progress.updated_at = input.now;
        decision.progress.push((primary.id.clone(), progress));
    }
    Some(stage)
}

/// New tasks of the primary deployment to place.
struct Launch<'d> {
    request: Request,
    count: u32,
    primary: &'d Deployment,
}

/// Without capacity providers: over every host of the cluster.
fn place_anywhere(
    input: &ServiceInput<'_>,
    mut hosts: Vec<schedule::Host>,
    launch: Launch<'_>,
    ids: &mut dyn IdSource,
    decision: &mut Decision,
) {
    let name = input.name;
    let mut placer = Placer::new(&mut hosts, launch.request, seed(name, input.now));
    for _ in 0..launch.count {
        match placer.place() {
            Ok(index) => {
                let host = placer.hosts()[index].name.clone();
                decision.starts.push(new_start(ids, &host, launch.primary));
            }
            Err(unplaced) => {
                decision.events.push(unplaced.event(name));
                decision.counts.unplaced = launch.count - decision.starts.len() as u32;
                break;
            }
        }
    }
}

/// With a capacity provider strategy: each new task goes to the provider the split gives it
/// ([`Strategy::next`], counting the tasks already there), then to one of that provider's
/// hosts by the placement strategies and constraints. A provider that cannot take its task
/// keeps it PENDING (unplaced): the split is not bent towards the other providers.
fn place_by_strategy(
    input: &ServiceInput<'_>,
    strategy: &Strategy,
    current: &[&Assessed<'_>],
    hosts: Vec<schedule::Host>,
    launch: Launch<'_>,
    ids: &mut dyn IdSource,
    decision: &mut Decision,
) {
    let name = input.name;
    let providers = input.providers;
    let mut counts = providers.counts(strategy, current.iter().map(|t| t.task.host.as_str()));
    let mut pools = providers.pools(strategy, &hosts);
    let mut placers: Vec<Placer<'_>> = pools
        .iter_mut()
        .map(|pool| Placer::new(pool, launch.request.clone(), seed(name, input.now)))
        .collect();
    let mut failed: BTreeSet<usize> = BTreeSet::new();
    let mut unplaced = 0;
    for _ in 0..launch.count {
        let Some(i) = strategy.next(&counts) else {
            unplaced += 1;
            continue;
        };
        counts[i] += 1;
        if failed.contains(&i) {
            unplaced += 1;
            continue;
        }
        match placers[i].place() {
            Ok(index) => {
                let host = placers[i].hosts()[index].name.clone();
                decision.starts.push(new_start(ids, &host, launch.primary));
            }
            Err(why) => {
                failed.insert(i);
                unplaced += 1;
                let provider = &strategy.items()[i].provider;
                decision.events.push(unplaced_on_provider(
                    name,
                    provider,
                    providers.hosts(provider),
                    &why,
                ));
            }
        }
    }
    decision.counts.unplaced = unplaced;
}

/// The service event for a task its capacity provider cannot take: ECS's words for a
/// provider without capacity (the cluster has no such pool, as `FARGATE` in a cluster that
/// does not declare it), else why no host of the pool fits.
fn unplaced_on_provider(
    service: &str,
    provider: &str,
    pool: Option<&[String]>,
    why: &Unplaced,
) -> String {
    match pool {
        None | Some([]) => format!(
            "(service {service}) was unable to place a task. Reason: {CAPACITY_UNAVAILABLE} (capacity provider `{provider}` has no hosts in this cluster)"
        ),
        Some(_) => format!(
            "(service {service}) was unable to place a task on capacity provider `{provider}` because no host met all of its requirements: {}.",
            why.0
        ),
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
///
/// With a capacity provider strategy, each task is taken from the provider the split says
/// ([`Strategy::next_to_take`]), then as above among that provider's tasks.
fn scale_in<'a>(
    input: &ServiceInput<'_>,
    strategy: &Strategy,
    current: &[&'a Assessed<'a>],
    excess: usize,
    budget: &mut u32,
) -> Vec<&'a Assessed<'a>> {
    let places = Places::of(input);
    let mut remaining: Vec<&'a Assessed<'a>> = current.to_vec();
    let mut chosen = Vec::new();
    while chosen.len() < excess {
        let pool = from_provider(input, strategy, &remaining);
        let load = places.load(&pool);
        let key = |t: &&Assessed<'_>| {
            (
                std::cmp::Reverse(places.load_of(&load, &t.task.host)),
                healthy(t),
                std::cmp::Reverse(t.task.created_at),
                t.task.id.clone(),
            )
        };
        let Some(best) = pool.iter().min_by_key(|t| key(t)).copied() else {
            break;
        };
        let pick = if !healthy(best) || *budget > 0 {
            best
        } else if pool.iter().any(|t| starting(t)) {
            break;
        } else {
            match pool.iter().filter(|t| !healthy(t)).min_by_key(|t| key(t)) {
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

/// The tasks to choose the next scale-in from: those of the provider the split takes from
/// next, or all of them without a strategy.
fn from_provider<'a>(
    input: &ServiceInput<'_>,
    strategy: &Strategy,
    remaining: &[&'a Assessed<'a>],
) -> Vec<&'a Assessed<'a>> {
    let providers = input.providers;
    let counts = providers.counts(strategy, remaining.iter().map(|t| t.task.host.as_str()));
    let Some(i) = strategy.next_to_take(&counts) else {
        return remaining.to_vec();
    };
    remaining
        .iter()
        .copied()
        .filter(|t| providers.position(strategy, &t.task.host) == Some(i))
        .collect()
}

/// The task to move when the tasks per provider are not the split of their number (the
/// strategy changed, a provider had no room for a while): the newest task of the provider
/// most over its share, when the provider the split gives the next task to is another one
/// and has a host that takes it. `(task, from, to)`.
fn rebalance_providers<'a>(
    input: &ServiceInput<'_>,
    strategy: &Strategy,
    current: &[&'a Assessed<'a>],
    request: Request,
) -> Option<(&'a Assessed<'a>, String, String)> {
    let providers = input.providers;
    let counts = providers.counts(strategy, current.iter().map(|t| t.task.host.as_str()));
    let target = strategy.split(counts.iter().sum());
    let from = (0..counts.len())
        .filter(|&i| counts[i] > target[i])
        .max_by_key(|&i| (counts[i] - target[i], std::cmp::Reverse(i)))?;
    let mut after = counts.clone();
    after[from] -= 1;
    let to = strategy.next(&after).filter(|&to| to != from)?;
    let to_name = strategy.items()[to].provider.clone();
    let members = providers.hosts(&to_name)?;
    let mut pool: Vec<schedule::Host> = placement_hosts(input, current)
        .into_iter()
        .filter(|h| members.contains(&h.name))
        .collect();
    Placer::new(&mut pool, request, seed(input.name, input.now))
        .place()
        .ok()?;
    let moved = current
        .iter()
        .filter(|t| providers.position(strategy, &t.task.host) == Some(from))
        .max_by_key(|t| (t.task.created_at, t.task.id.clone()))?;
    Some((moved, strategy.items()[from].provider.clone(), to_name))
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
