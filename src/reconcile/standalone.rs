//! Placement of standalone tasks (`run-task`): over the same host views (status, attributes,
//! capacity) and the same usage as service tasks, so DRAINING and UNREACHABLE hosts get none
//! and `memberOf` constraints on host attributes are honoured. Spreads over the hosts; with a
//! capacity provider strategy, the run's tasks are split over the providers first (the base,
//! then the weights, counted within the run as ECS does) and spread inside each.

use std::collections::BTreeMap;

use super::service::{self, HostInfo, HostStatus, HostUsage};
use crate::model::ecs::{
    PlacementStrategy, PlacementStrategyType, TaskDefinitionPlacementConstraintType,
    TaskDefinitionSpec,
};
use crate::schedule::capacity::Strategy;
use crate::schedule::pools::{CAPACITY_UNAVAILABLE, Providers};
use crate::schedule::query::Expr;
use crate::schedule::{self, Placer, Request, Unplaced};

/// Placement constraints of a run, as `aws ecs run-task --placement-constraints` takes them.
#[derive(Clone, Debug, Default)]
pub struct Constraints {
    pub distinct_instance: bool,
    /// `memberOf` expressions, with their text for messages.
    pub member_of: Vec<(String, Expr)>,
}

impl Constraints {
    /// Adds one constraint: `type=distinctInstance`, `type=memberOf,expression=EXPR`, or a
    /// bare `memberOf` expression (`attribute:zone == a`).
    pub fn add(&mut self, text: &str) -> Result<(), String> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("type=distinctInstance") || text == "distinctInstance" {
            self.distinct_instance = true;
            return Ok(());
        }
        let expression = text
            .strip_prefix("type=memberOf,expression=")
            .unwrap_or(text);
        let expr = Expr::parse(expression)
            .map_err(|e| format!("invalid placement constraint `{expression}`: {e}"))?;
        self.member_of.push((expression.to_string(), expr));
        Ok(())
    }
}

/// The placement candidates: every host with what is free on it.
pub fn candidates(hosts: &[HostInfo], usage: &BTreeMap<String, HostUsage>) -> Vec<schedule::Host> {
    hosts
        .iter()
        .map(|h| {
            let used = usage.get(&h.name).cloned().unwrap_or_default();
            schedule::Host {
                name: h.name.clone(),
                attributes: h.attributes.clone(),
                active: h.status == HostStatus::Active,
                cpu_free: h.cpu - used.cpu,
                memory_free: h.memory - used.memory,
                ports_used: used.ports,
                running_tasks: used.tasks,
                service_tasks: 0,
            }
        })
        .collect()
}

/// Where a run's tasks may go: its capacity provider strategy over the cluster's providers
/// (an empty strategy: every host).
#[derive(Clone, Copy)]
pub struct Capacity<'a> {
    pub providers: &'a Providers,
    pub strategy: &'a Strategy,
}

/// Chooses a host for each of `count` tasks of `spec`, or says why one cannot be placed.
pub fn place(
    hosts: &[HostInfo],
    usage: &BTreeMap<String, HostUsage>,
    spec: &TaskDefinitionSpec,
    constraints: &Constraints,
    capacity: Capacity<'_>,
    count: u32,
    seed: u64,
) -> Result<Vec<String>, Unplaced> {
    let (cpu, memory) = service::task_size(spec);
    let mut member_of = constraints.member_of.clone();
    for constraint in &spec.placement_constraints {
        if constraint.r#type == Some(TaskDefinitionPlacementConstraintType::MemberOf)
            && let Some(text) = constraint.expression.as_deref()
            && let Ok(expr) = Expr::parse(text)
        {
            member_of.push((text.to_string(), expr));
        }
    }
    let request = Request {
        cpu,
        memory,
        ports: service::fixed_host_ports(spec),
        strategies: vec![PlacementStrategy {
            r#type: Some(PlacementStrategyType::Spread),
            field: Some("instanceId".into()),
        }],
        distinct_instance: constraints.distinct_instance,
        member_of,
    };
    let mut hosts = candidates(hosts, usage);
    let Capacity {
        providers,
        strategy,
    } = capacity;
    if strategy.is_empty() {
        let mut placer = Placer::new(&mut hosts, request, seed);
        let mut chosen = Vec::new();
        for _ in 0..count {
            let i = placer.place()?;
            chosen.push(placer.hosts()[i].name.clone());
        }
        return Ok(chosen);
    }
    let mut pools = providers.pools(strategy, &hosts);
    let mut placers: Vec<Placer<'_>> = pools
        .iter_mut()
        .map(|pool| Placer::new(pool, request.clone(), seed))
        .collect();
    let mut chosen = Vec::new();
    for i in strategy.assign(&[], count) {
        let provider = &strategy.items()[i].provider;
        if providers.hosts(provider).is_none_or(<[String]>::is_empty) {
            return Err(Unplaced(format!(
                "capacity provider `{provider}` has no hosts in this cluster: {CAPACITY_UNAVAILABLE}"
            )));
        }
        let placed = placers[i]
            .place()
            .map_err(|why| Unplaced(format!("{} (capacity provider `{provider}`)", why.0)))?;
        chosen.push(placers[i].hosts()[placed].name.clone());
    }
    if chosen.len() < count as usize {
        return Err(Unplaced(
            "no capacity provider of the strategy has a weight above 0 for the tasks beyond the base".into(),
        ));
    }
    Ok(chosen)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(name: &str, zone: &str, status: HostStatus) -> HostInfo {
        HostInfo {
            name: name.into(),
            attributes: [("zone".to_string(), zone.to_string())]
                .into_iter()
                .collect(),
            status,
            cpu: 4096,
            memory: 4096,
        }
    }

    fn place_anywhere(
        hosts: &[HostInfo],
        usage: &BTreeMap<String, HostUsage>,
        spec: &TaskDefinitionSpec,
        constraints: &Constraints,
        count: u32,
        seed: u64,
    ) -> Result<Vec<String>, Unplaced> {
        let (providers, strategy) = (Providers::default(), Strategy::default());
        let capacity = Capacity {
            providers: &providers,
            strategy: &strategy,
        };
        place(hosts, usage, spec, constraints, capacity, count, seed)
    }

    fn spec() -> TaskDefinitionSpec {
        TaskDefinitionSpec {
            memory: Some("64".into()),
            ..TaskDefinitionSpec::default()
        }
    }

    #[test]
    fn draining_and_unreachable_hosts_get_no_task() {
        let hosts = [
            host("h1", "a", HostStatus::Draining),
            host("h2", "b", HostStatus::Active),
            host("h3", "c", HostStatus::Unreachable),
        ];
        let chosen = place_anywhere(
            &hosts,
            &BTreeMap::new(),
            &spec(),
            &Constraints::default(),
            4,
            7,
        );
        assert_eq!(chosen, Ok(vec!["h2".to_string(); 4]));
    }

    #[test]
    fn member_of_matches_host_attributes() {
        let hosts = [
            host("h1", "a", HostStatus::Active),
            host("h2", "b", HostStatus::Active),
            host("h3", "c", HostStatus::Active),
        ];
        let mut constraints = Constraints::default();
        constraints
            .add("type=memberOf,expression=attribute:zone == c")
            .unwrap_or_else(|e| panic!("{e}"));
        let chosen = place_anywhere(&hosts, &BTreeMap::new(), &spec(), &constraints, 2, 7);
        assert_eq!(chosen, Ok(vec!["h3".to_string(); 2]));
        let mut none = Constraints::default();
        none.add("attribute:zone == z")
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(place_anywhere(&hosts, &BTreeMap::new(), &spec(), &none, 1, 7).is_err());
        assert!(Constraints::default().add("attribute:zone ==").is_err());
    }

    #[test]
    fn tasks_are_spread_over_the_hosts() {
        let hosts = [
            host("h1", "a", HostStatus::Active),
            host("h2", "b", HostStatus::Active),
        ];
        let mut chosen = place_anywhere(
            &hosts,
            &BTreeMap::new(),
            &spec(),
            &Constraints::default(),
            2,
            7,
        )
        .unwrap_or_default();
        chosen.sort();
        assert_eq!(chosen, ["h1", "h2"]);
    }
}

#[cfg(test)]
mod capacity_tests {
    use super::*;
    use crate::model::cluster::{CapacityProviderSpec, ClusterSpec, HostSpec};
    use crate::model::effective::StrategyItem;

    /// Issue 13: a run's tasks are split over the providers, then spread inside each.
    #[test]
    fn a_run_splits_its_tasks_over_the_providers() {
        let hosts: Vec<HostInfo> = ["s1", "o1", "o2"]
            .iter()
            .map(|name| HostInfo {
                name: name.to_string(),
                attributes: BTreeMap::new(),
                status: HostStatus::Active,
                cpu: 4096,
                memory: 4096,
            })
            .collect();
        let cluster = ClusterSpec {
            hosts: hosts
                .iter()
                .map(|h| HostSpec {
                    name: Some(h.name.clone()),
                    ..HostSpec::default()
                })
                .collect(),
            capacity_providers: vec![
                CapacityProviderSpec {
                    name: Some("spot".into()),
                    hosts: vec!["s1".into()],
                    expression: None,
                },
                CapacityProviderSpec {
                    name: Some("ondemand".into()),
                    hosts: vec!["o1".into(), "o2".into()],
                    expression: None,
                },
            ],
            ..ClusterSpec::default()
        };
        let providers = Providers::of(&cluster);
        let item = |provider: &str, base, weight| StrategyItem {
            provider: provider.into(),
            base,
            weight,
        };
        let strategy = Strategy::new(vec![item("spot", 1, 1), item("ondemand", 0, 3)]);
        let capacity = Capacity {
            providers: &providers,
            strategy: &strategy,
        };
        let spec = TaskDefinitionSpec {
            memory: Some("64".into()),
            ..TaskDefinitionSpec::default()
        };
        let chosen = place(
            &hosts,
            &BTreeMap::new(),
            &spec,
            &Constraints::default(),
            capacity,
            8,
            7,
        )
        .unwrap_or_default();
        let on = |h: &str| chosen.iter().filter(|c| *c == h).count();
        assert_eq!((on("s1"), on("o1") + on("o2")), (3, 5));
        assert!(on("o1").abs_diff(on("o2")) <= 1);

        let fargate = Strategy::new(vec![item("FARGATE", 0, 1)]);
        let nowhere = Capacity {
            providers: &providers,
            strategy: &fargate,
        };
        let refused = place(
            &hosts,
            &BTreeMap::new(),
            &spec,
            &Constraints::default(),
            nowhere,
            1,
            7,
        );
        assert_eq!(
            refused,
            Err(Unplaced(format!(
                "capacity provider `FARGATE` has no hosts in this cluster: {CAPACITY_UNAVAILABLE}"
            )))
        );
    }
}
