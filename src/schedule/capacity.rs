//! The capacity provider split: which provider each task of a service (or a run) goes to, as
//! ECS's `capacityProviderStrategy` says. Pure; the only place that decides the split.
//!
//! 1. `base`: the first `base` tasks go to the item that has one (ECS allows one such item).
//! 2. `weight`: the tasks beyond the bases are shared in proportion to the weights; an item
//!    of weight 0 gets nothing beyond its base.
//!
//! ECS documents the ratio, not the rounding. Here the shares are rounded by the Webster
//! (Sainte-Laguë) divisor method, one task at a time: the next task goes to the item with
//! the largest `weight / (2 × tasks beyond its base + 1)`, ties to the earlier item of the
//! strategy. Why this rounding:
//! - for two providers it is rounding the exact share to the nearest whole task (a half
//!   goes to the earlier item): base 1 weight 1 on A and weight 3 on B with 8 tasks gives A
//!   `1 + round(7 × 1/4 = 1.75) = 3` and B 5;
//! - it only ever adds: the split of N + 1 tasks is the split of N plus one task, so scaling
//!   out never moves a task, and scaling in ([`Strategy::take`]) removes exactly the task that
//!   scaling out added last.
//!
//! Tasks already running are counted as they are: [`Strategy::assign`] sends new tasks
//! where the split is short, [`Strategy::take`] takes from where it is over, so a split
//! that drifted (a provider had no room for a while) comes back as tasks come and go.

use std::cmp::Ordering;

/// One item of a strategy, with its defaults (see [`crate::model::effective::StrategyItem`]).
pub use crate::model::effective::StrategyItem as Item;

/// A capacity provider strategy, in its written order (the order breaks ties).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Strategy {
    items: Vec<Item>,
}

impl Strategy {
    pub fn new(items: Vec<Item>) -> Self {
        Strategy { items }
    }

    pub fn items(&self) -> &[Item] {
        &self.items
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The position of `provider` in the strategy.
    pub fn position(&self, provider: &str) -> Option<usize> {
        self.items.iter().position(|i| i.provider == provider)
    }

    /// Tasks of item `i` beyond its base.
    fn beyond_base(&self, i: usize, counts: &[u32]) -> u32 {
        counts
            .get(i)
            .copied()
            .unwrap_or(0)
            .saturating_sub(self.items[i].base)
    }

    /// Compares the claims of items `a` and `b` to a seat, given how many beyond their base
    /// each would then hold before it (`ea`, `eb`): `weight / (2e + 1)`, in integers.
    fn claim(&self, a: usize, ea: u32, b: usize, eb: u32) -> Ordering {
        let left = u64::from(self.items[a].weight) * (2 * u64::from(eb) + 1);
        let right = u64::from(self.items[b].weight) * (2 * u64::from(ea) + 1);
        left.cmp(&right)
    }

    /// The item the next task goes to, given the tasks each item holds (`counts`, aligned
    /// with the items); `None` when no item can take one (every weight is 0 and the bases
    /// are full).
    pub fn next(&self, counts: &[u32]) -> Option<usize> {
        let count = |i: usize| counts.get(i).copied().unwrap_or(0);
        if let Some(i) = (0..self.items.len()).find(|&i| count(i) < self.items[i].base) {
            return Some(i);
        }
        let mut best: Option<usize> = None;
        for i in (0..self.items.len()).filter(|&i| self.items[i].weight > 0) {
            let better = match best {
                None => true,
                Some(b) => {
                    self.claim(
                        i,
                        self.beyond_base(i, counts),
                        b,
                        self.beyond_base(b, counts),
                    ) == Ordering::Greater
                }
            };
            if better {
                best = Some(i);
            }
        }
        best
    }

    /// The item each of `count` new tasks goes to, in order, given the tasks each item holds.
    /// Shorter than `count` only when no item can take tasks.
    pub fn assign(&self, counts: &[u32], count: u32) -> Vec<usize> {
        let mut counts = self.aligned(counts);
        let mut chosen = Vec::new();
        for _ in 0..count {
            let Some(i) = self.next(&counts) else {
                break;
            };
            counts[i] += 1;
            chosen.push(i);
        }
        chosen
    }

    /// The item to take the next task from when scaling in: the reverse of [`Strategy::next`]
    /// (the task it would have added last). Tasks beyond a base go first, weight-0 items'
    /// first of all; the base goes last. `None` when no item holds a task.
    pub fn next_to_take(&self, counts: &[u32]) -> Option<usize> {
        let n = self.items.len();
        let count = |i: usize| counts.get(i).copied().unwrap_or(0);
        // Over an item of weight 0 beyond its base: a drifted split, taken first.
        if let Some(i) =
            (0..n).rfind(|&i| self.items[i].weight == 0 && self.beyond_base(i, counts) > 0)
        {
            return Some(i);
        }
        let mut worst: Option<usize> = None;
        for i in (0..n).rev().filter(|&i| self.beyond_base(i, counts) > 0) {
            let worse = match worst {
                None => true,
                Some(w) => {
                    self.claim(
                        i,
                        self.beyond_base(i, counts) - 1,
                        w,
                        self.beyond_base(w, counts) - 1,
                    ) == Ordering::Less
                }
            };
            if worse {
                worst = Some(i);
            }
        }
        worst.or_else(|| (0..n).rfind(|&i| count(i) > 0))
    }

    /// The items to take `count` tasks from, first first.
    pub fn take(&self, counts: &[u32], count: u32) -> Vec<usize> {
        let mut counts = self.aligned(counts);
        let mut chosen = Vec::new();
        for _ in 0..count {
            let Some(i) = self.next_to_take(&counts) else {
                break;
            };
            counts[i] -= 1;
            chosen.push(i);
        }
        chosen
    }

    /// How `total` tasks are split, aligned with the items.
    pub fn split(&self, total: u32) -> Vec<u32> {
        let mut counts = vec![0; self.items.len()];
        for i in self.assign(&[], total) {
            counts[i] += 1;
        }
        counts
    }

    fn aligned(&self, counts: &[u32]) -> Vec<u32> {
        (0..self.items.len())
            .map(|i| counts.get(i).copied().unwrap_or(0))
            .collect()
    }
}

#[cfg(test)]
mod tests;
