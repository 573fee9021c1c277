//! Task placement as ECS does it on container instances, over hosts with capacity. Pure and
//! deterministic (`random` takes a seed).
//!
//! 1. Filter: the host is ACTIVE and reachable, satisfies every `memberOf` expression, runs no
//!    task of the service when `distinctInstance` is set, has the task's fixed host ports free,
//!    and has the cpu units and memory the task reserves.
//! 2. Rank by the strategies in order, each breaking the ties of the one before:
//!    `binpack` (least remaining cpu or memory first), `spread` (fewest tasks of the service on
//!    the host, or under the host's value of an attribute), `random`. The host name breaks the
//!    last ties.
//!
//! A [`Placer`] places the tasks of one service one after the other, counting each placement,
//! so that spreading five tasks over three hosts gives 2/2/1.
//!
//! Placement does not scan every host for every task: hosts that fit are indexed by the
//! parts of their rank that only they determine (binpack's remaining capacity, their own task
//! count), in groups of hosts that share the rest (their values of the spread attributes).
//! The best host is the best of each group's first, so one placement costs the number of
//! groups plus a logarithm, and only the chosen host moves in the index. A `random` strategy
//! ranks every host anew at every placement: it scans. [`Placer::linear`] is the simple scan,
//! kept for comparison: both give the same placements.

pub mod capacity;
pub mod pools;
pub mod query;

use std::collections::{BTreeMap, BTreeSet};

use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};

use crate::model::ecs::{PlacementStrategy, PlacementStrategyType};
use query::{Expr, HostFacts};

/// A host as placement sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct Host {
    pub name: String,
    pub attributes: BTreeMap<String, String>,
    /// ACTIVE and reachable; DRAINING and UNREACHABLE hosts get no new tasks.
    pub active: bool,
    pub cpu_free: i64,
    pub memory_free: i64,
    /// Fixed host ports in use: (port, protocol).
    pub ports_used: BTreeSet<(u16, String)>,
    pub running_tasks: u32,
    /// Tasks of the service being placed.
    pub service_tasks: u32,
}

/// What one task of the service needs.
#[derive(Clone, Debug, Default)]
pub struct Request {
    pub cpu: i64,
    pub memory: i64,
    pub ports: Vec<(u16, String)>,
    pub strategies: Vec<PlacementStrategy>,
    pub distinct_instance: bool,
    /// `memberOf` expressions, with their text for messages.
    pub member_of: Vec<(String, Expr)>,
}

/// Why a task could not be placed, in ECS's words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unplaced(pub String);

impl Unplaced {
    /// The service event ECS records.
    pub fn event(&self, service: &str) -> String {
        format!(
            "(service {service}) was unable to place a task because no host met all of its requirements: {}.",
            self.0
        )
    }
}

#[derive(Clone, Copy)]
enum Rank {
    BinpackCpu,
    BinpackMemory,
    SpreadHost,
    /// Index into `Placer::spreads`.
    SpreadAttribute(usize),
    Random,
}

struct Spread {
    /// The attribute value index of each host (`None`: the host lacks the attribute).
    value_of: Vec<Option<usize>>,
    /// Tasks of the service per value.
    counts: Vec<u32>,
}

/// The hosts that fit, grouped by their spread-attribute values, each group ordered by the
/// rank components that depend on the host alone (then by index, the last tie-break).
struct Index {
    /// The group of each host.
    group_of: Vec<usize>,
    groups: Vec<BTreeSet<([i64; 5], usize)>>,
    /// The key each indexed host was filed under.
    filed: Vec<Option<[i64; 5]>>,
}

pub struct Placer<'h> {
    hosts: &'h mut [Host],
    request: Request,
    ranks: Vec<Rank>,
    spreads: Vec<Spread>,
    /// Static filters, computed once: ACTIVE and every memberOf expression.
    eligible: Vec<bool>,
    rng: SmallRng,
    scores: Vec<u64>,
    index: Option<Index>,
}

impl<'h> Placer<'h> {
    pub fn new(hosts: &'h mut [Host], request: Request, seed: u64) -> Self {
        let mut ranks = Vec::new();
        let mut spreads: Vec<Spread> = Vec::new();
        for strategy in &request.strategies {
            let field = strategy.field.as_deref().unwrap_or("");
            let rank = match strategy.r#type {
                Some(PlacementStrategyType::Binpack) if field == "cpu" => Rank::BinpackCpu,
                Some(PlacementStrategyType::Binpack) => Rank::BinpackMemory,
                Some(PlacementStrategyType::Random) => Rank::Random,
                Some(PlacementStrategyType::Spread) => match field.strip_prefix("attribute:") {
                    Some(name) => {
                        let mut values: Vec<&str> = hosts
                            .iter()
                            .filter_map(|h| h.attributes.get(name).map(String::as_str))
                            .collect();
                        values.sort_unstable();
                        values.dedup();
                        let value_of: Vec<Option<usize>> = hosts
                            .iter()
                            .map(|h| {
                                h.attributes
                                    .get(name)
                                    .and_then(|v| values.binary_search(&v.as_str()).ok())
                            })
                            .collect();
                        let mut counts = vec![0; values.len()];
                        for (host, value) in hosts.iter().zip(&value_of) {
                            if let Some(v) = value {
                                counts[*v] += host.service_tasks;
                            }
                        }
                        spreads.push(Spread { value_of, counts });
                        Rank::SpreadAttribute(spreads.len() - 1)
                    }
                    None => Rank::SpreadHost,
                },
                None => continue,
            };
            ranks.push(rank);
        }
        let eligible = hosts
            .iter()
            .map(|h| {
                h.active
                    && request.member_of.iter().all(|(_, expr)| {
                        expr.eval(&HostFacts {
                            name: &h.name,
                            attributes: &h.attributes,
                            running_tasks: h.running_tasks,
                        })
                    })
            })
            .collect();
        let scores = vec![0; hosts.len()];
        let mut placer = Placer {
            hosts,
            request,
            ranks,
            spreads,
            eligible,
            rng: SmallRng::seed_from_u64(seed),
            scores,
            index: None,
        };
        if !placer.ranks.iter().any(|r| matches!(r, Rank::Random)) {
            placer.index = Some(placer.build_index());
        }
        placer
    }

    /// The simple placer: every placement scans every host. Same results as [`Placer::new`].
    pub fn linear(hosts: &'h mut [Host], request: Request, seed: u64) -> Self {
        let mut placer = Placer::new(hosts, request, seed);
        placer.index = None;
        placer
    }

    /// The rank components that depend only on the host (the others are zero).
    fn own_key(&self, index: usize) -> [i64; 5] {
        let mut key = self.key(index);
        for (slot, rank) in key.iter_mut().zip(&self.ranks) {
            if matches!(rank, Rank::SpreadAttribute(_)) {
                *slot = 0;
            }
        }
        key
    }

    fn build_index(&self) -> Index {
        let mut group_ids: BTreeMap<Vec<Option<usize>>, usize> = BTreeMap::new();
        let group_of: Vec<usize> = (0..self.hosts.len())
            .map(|i| {
                let values: Vec<Option<usize>> =
                    self.spreads.iter().map(|s| s.value_of[i]).collect();
                let next = group_ids.len();
                *group_ids.entry(values).or_insert(next)
            })
            .collect();
        let mut index = Index {
            groups: vec![BTreeSet::new(); group_ids.len()],
            filed: vec![None; self.hosts.len()],
            group_of,
        };
        for i in 0..self.hosts.len() {
            if self.fits(i) {
                let key = self.own_key(i);
                index.groups[index.group_of[i]].insert((key, i));
                index.filed[i] = Some(key);
            }
        }
        index
    }

    /// The best host by the index: the best of each group's first.
    fn best_indexed(&self, index: &Index) -> Option<usize> {
        let mut best: Option<(usize, [i64; 5])> = None;
        for group in &index.groups {
            let Some((_, i)) = group.first() else {
                continue;
            };
            let key = self.key(*i);
            if best.is_none_or(|(b, bk)| (key, *i) < (bk, b)) {
                best = Some((*i, key));
            }
        }
        best.map(|(i, _)| i)
    }

    /// Refiles a host whose capacity or counts changed.
    fn refile(&mut self, host: usize) {
        let fits = self.fits(host);
        let key = self.own_key(host);
        let Some(index) = self.index.as_mut() else {
            return;
        };
        let group = index.group_of[host];
        if let Some(old) = index.filed[host].take() {
            index.groups[group].remove(&(old, host));
        }
        if fits {
            index.groups[group].insert((key, host));
            index.filed[host] = Some(key);
        }
    }

    fn fits(&self, index: usize) -> bool {
        let host = &self.hosts[index];
        let r = &self.request;
        self.eligible[index]
            && !(r.distinct_instance && host.service_tasks > 0)
            && r.ports.iter().all(|p| !host.ports_used.contains(p))
            && host.cpu_free >= r.cpu
            && host.memory_free >= r.memory
    }

    /// Places one task and counts it on the chosen host; returns the host's index.
    pub fn place(&mut self) -> Result<usize, Unplaced> {
        if let Some(index) = &self.index {
            let Some(chosen) = self.best_indexed(index) else {
                return Err(self.why_not());
            };
            self.record(chosen);
            self.refile(chosen);
            return Ok(chosen);
        }
        let has_random = self.ranks.iter().any(|r| matches!(r, Rank::Random));
        if has_random {
            for score in &mut self.scores {
                *score = self.rng.random();
            }
        }
        let mut best: Option<(usize, [i64; 5])> = None;
        for index in 0..self.hosts.len() {
            if !self.fits(index) {
                continue;
            }
            let key = self.key(index);
            if best.is_none_or(|(_, b)| key < b) {
                best = Some((index, key));
            }
        }
        let Some((index, _)) = best else {
            return Err(self.why_not());
        };
        self.record(index);
        Ok(index)
    }

    fn key(&self, index: usize) -> [i64; 5] {
        let host = &self.hosts[index];
        let mut key = [0i64; 5];
        for (slot, rank) in key.iter_mut().zip(&self.ranks) {
            *slot = match rank {
                Rank::BinpackCpu => host.cpu_free - self.request.cpu,
                Rank::BinpackMemory => host.memory_free - self.request.memory,
                Rank::SpreadHost => i64::from(host.service_tasks),
                Rank::SpreadAttribute(s) => {
                    let spread = &self.spreads[*s];
                    // Hosts without the attribute form their own group, placed after the others.
                    spread.value_of[index].map_or(i64::MAX, |v| i64::from(spread.counts[v]))
                }
                Rank::Random => (self.scores[index] >> 1) as i64,
            };
        }
        key
    }

    fn record(&mut self, index: usize) {
        let request = &self.request;
        let host = &mut self.hosts[index];
        host.cpu_free -= request.cpu;
        host.memory_free -= request.memory;
        host.running_tasks += 1;
        host.service_tasks += 1;
        for port in &request.ports {
            host.ports_used.insert(port.clone());
        }
        for spread in &mut self.spreads {
            if let Some(v) = spread.value_of[index] {
                spread.counts[v] += 1;
            }
        }
    }

    /// Which requirement ruled out the last hosts, as ECS reports it.
    fn why_not(&self) -> Unplaced {
        let r = &self.request;
        let active: Vec<usize> = (0..self.hosts.len())
            .filter(|i| self.hosts[*i].active)
            .collect();
        if active.is_empty() {
            return Unplaced("no host is ACTIVE and reachable".into());
        }
        let mut left = active;
        for (text, expr) in &r.member_of {
            left.retain(|i| {
                let h = &self.hosts[*i];
                expr.eval(&HostFacts {
                    name: &h.name,
                    attributes: &h.attributes,
                    running_tasks: h.running_tasks,
                })
            });
            if left.is_empty() {
                return Unplaced(format!(
                    "no host satisfies the memberOf constraint `{text}`"
                ));
            }
        }
        if r.distinct_instance {
            left.retain(|i| self.hosts[*i].service_tasks == 0);
            if left.is_empty() {
                return Unplaced(
                    "every host that qualifies already runs a task of this service (distinctInstance)".into(),
                );
            }
        }
        let closest = |left: &[usize]| {
            left.first()
                .map(|i| self.hosts[*i].name.clone())
                .unwrap_or_default()
        };
        let before = closest(&left);
        left.retain(|i| {
            r.ports
                .iter()
                .all(|p| !self.hosts[*i].ports_used.contains(p))
        });
        if left.is_empty() {
            return Unplaced(format!(
                "the closest matching host `{before}` is already using a port required by the task"
            ));
        }
        let before = closest(&left);
        left.retain(|i| self.hosts[*i].cpu_free >= r.cpu);
        if left.is_empty() {
            return Unplaced(format!(
                "the closest matching host `{before}` has insufficient CPU units available"
            ));
        }
        let before = closest(&left);
        Unplaced(format!(
            "the closest matching host `{before}` has insufficient memory available"
        ))
    }

    pub fn hosts(&self) -> &[Host] {
        self.hosts
    }
}

#[cfg(test)]
mod tests;
