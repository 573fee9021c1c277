//! Capacity providers as pools of hosts: which hosts of a cluster each provider holds (named,
//! or chosen by a cluster query expression on their attributes), which provider a host
//! belongs to, and the strategy a service or a run places with. Pure; the split itself is
//! [`super::capacity`].

use std::collections::BTreeMap;

use super::capacity::Strategy;
use super::query::{Expr, HostFacts};
use crate::model::cluster::{CapacityProviderSpec, ClusterSpec};
use crate::model::ecs::{CapacityProviderStrategyItem, LaunchType, ServiceSpec};
use crate::model::effective;

/// Why a task waits for a capacity provider that has no room, in ECS's words.
pub const CAPACITY_UNAVAILABLE: &str = "Capacity is unavailable at this time. Please try again later or in a different availability zone.";

/// The capacity providers of one cluster.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Providers {
    /// Provider → its hosts, in the cluster's order.
    pools: BTreeMap<String, Vec<String>>,
    /// Host → its provider (a host belongs to one provider: the first that holds it).
    of_host: BTreeMap<String, String>,
    default_strategy: Vec<CapacityProviderStrategyItem>,
}

impl Providers {
    /// The hosts of each of the strategy's providers, in the strategy's order: placement
    /// strategies and constraints then choose inside each pool.
    pub fn pools(&self, strategy: &Strategy, hosts: &[super::Host]) -> Vec<Vec<super::Host>> {
        strategy
            .items()
            .iter()
            .map(|item| {
                let members = self.hosts(&item.provider).unwrap_or(&[]);
                hosts
                    .iter()
                    .filter(|h| members.contains(&h.name))
                    .cloned()
                    .collect()
            })
            .collect()
    }

    pub fn of(spec: &ClusterSpec) -> Self {
        let mut providers = Providers {
            default_strategy: spec.default_capacity_provider_strategy.clone(),
            ..Providers::default()
        };
        for provider in &spec.capacity_providers {
            let Some(name) = provider.name.clone() else {
                continue;
            };
            let members = members(provider, spec);
            for host in &members {
                providers
                    .of_host
                    .entry(host.clone())
                    .or_insert_with(|| name.clone());
            }
            providers.pools.entry(name).or_insert(members);
        }
        providers
    }

    pub fn is_empty(&self) -> bool {
        self.pools.is_empty()
    }

    /// The provider a host belongs to.
    pub fn provider_of(&self, host: &str) -> Option<&str> {
        self.of_host.get(host).map(String::as_str)
    }

    /// The hosts of a provider; `None` when the cluster has no such provider.
    pub fn hosts(&self, provider: &str) -> Option<&[String]> {
        self.pools.get(provider).map(Vec::as_slice)
    }

    /// The strategy a service places with (see [`effective::service_capacity_provider_strategy`]).
    pub fn service_strategy(&self, spec: &ServiceSpec) -> Strategy {
        strategy(&effective::service_capacity_provider_strategy(
            spec,
            &self.default_strategy,
        ))
    }

    /// The strategy of a run: the one given; `FARGATE` for `--launch-type FARGATE`; with
    /// neither one nor a launch type, the cluster's default.
    pub fn run_strategy(
        &self,
        written: &[CapacityProviderStrategyItem],
        launch_type: Option<LaunchType>,
    ) -> Strategy {
        strategy(&effective::capacity_provider_strategy(
            written,
            launch_type,
            false,
            &self.default_strategy,
        ))
    }

    /// The position in `strategy` of the provider of `host`.
    pub fn position(&self, strategy: &Strategy, host: &str) -> Option<usize> {
        self.provider_of(host).and_then(|p| strategy.position(p))
    }

    /// Tasks per item of `strategy`, from the hosts the tasks run on.
    pub fn counts<'h>(
        &self,
        strategy: &Strategy,
        hosts: impl Iterator<Item = &'h str>,
    ) -> Vec<u32> {
        let mut counts = vec![0; strategy.items().len()];
        for host in hosts {
            if let Some(i) = self.position(strategy, host) {
                counts[i] += 1;
            }
        }
        counts
    }

    /// Tasks per provider, for views: the providers of the hosts the tasks run on.
    pub fn tally<'h>(&self, hosts: impl Iterator<Item = &'h str>) -> BTreeMap<String, u32> {
        let mut tally = BTreeMap::new();
        for host in hosts {
            if let Some(p) = self.provider_of(host) {
                *tally.entry(p.to_string()).or_insert(0) += 1;
            }
        }
        tally
    }
}

fn strategy(items: &[effective::StrategyItem]) -> Strategy {
    Strategy::new(items.to_vec())
}

/// The hosts of the cluster a provider holds: those it names, and those its expression
/// matches, in the cluster's order.
pub fn members(provider: &CapacityProviderSpec, spec: &ClusterSpec) -> Vec<String> {
    let expr = provider
        .expression
        .as_deref()
        .and_then(|e| Expr::parse(e).ok());
    spec.hosts
        .iter()
        .filter_map(|h| {
            let name = h.name.as_deref()?;
            let named = provider.hosts.iter().any(|n| n == name);
            let matched = expr.as_ref().is_some_and(|e| {
                e.eval(&HostFacts {
                    name,
                    attributes: &h.attributes,
                    running_tasks: 0,
                })
            });
            (named || matched).then(|| name.to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::cluster::HostSpec;

    fn cluster() -> ClusterSpec {
        let host = |name: &str, pool: &str| HostSpec {
            name: Some(name.into()),
            endpoint: Some("local".into()),
            attributes: [("pool".to_string(), pool.to_string())].into(),
            ..HostSpec::default()
        };
        ClusterSpec {
            hosts: vec![host("a", "spot"), host("b", "spot"), host("c", "ondemand")],
            capacity_providers: vec![
                CapacityProviderSpec {
                    name: Some("spot".into()),
                    expression: Some("attribute:pool == spot".into()),
                    ..CapacityProviderSpec::default()
                },
                CapacityProviderSpec {
                    name: Some("ondemand".into()),
                    hosts: vec!["c".into()],
                    ..CapacityProviderSpec::default()
                },
            ],
            default_capacity_provider_strategy: vec![CapacityProviderStrategyItem {
                capacity_provider: Some("ondemand".into()),
                weight: Some(1),
                base: None,
            }],
            ..ClusterSpec::default()
        }
    }

    #[test]
    fn pools_by_expression_and_by_name() {
        let providers = Providers::of(&cluster());
        assert_eq!(providers.hosts("spot"), Some(&["a".into(), "b".into()][..]));
        assert_eq!(providers.hosts("ondemand"), Some(&["c".into()][..]));
        assert_eq!(providers.hosts("FARGATE"), None);
        assert_eq!(providers.provider_of("b"), Some("spot"));
        let tally = providers.tally(["a", "b", "c", "zz"].into_iter());
        assert_eq!(tally, [("ondemand".into(), 1), ("spot".into(), 2)].into());
    }

    #[test]
    fn the_cluster_default_applies_without_a_strategy_or_a_launch_type() {
        let providers = Providers::of(&cluster());
        let service = ServiceSpec::default();
        let names = |s: &Strategy| {
            s.items()
                .iter()
                .map(|i| i.provider.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(names(&providers.service_strategy(&service)), ["ondemand"]);
        let ec2 = ServiceSpec {
            launch_type: Some(crate::model::ecs::LaunchType::Ec2),
            ..ServiceSpec::default()
        };
        assert!(providers.service_strategy(&ec2).is_empty());
        let daemon = ServiceSpec {
            scheduling_strategy: Some(crate::model::ecs::SchedulingStrategy::Daemon),
            ..ServiceSpec::default()
        };
        assert!(providers.service_strategy(&daemon).is_empty());
        assert!(
            providers
                .run_strategy(&[], Some(LaunchType::Ec2))
                .is_empty()
        );
        assert_eq!(names(&providers.run_strategy(&[], None)), ["ondemand"]);
        // The user never picks a host of a Fargate task: the FARGATE pool does.
        assert_eq!(
            names(&providers.run_strategy(&[], Some(LaunchType::Fargate))),
            ["FARGATE"]
        );
        let fargate = ServiceSpec {
            launch_type: Some(LaunchType::Fargate),
            ..ServiceSpec::default()
        };
        assert_eq!(names(&providers.service_strategy(&fargate)), ["FARGATE"]);
    }
}
