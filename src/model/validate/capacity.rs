//! Checks of capacity providers and strategies: a cluster's pools (named once, hosts that
//! exist, a valid expression, each host in one pool) and a strategy's items as ECS checks
//! them (a provider, `base` 0..100000 on one item at most, `weight` 0..1000 with one above 0,
//! at most 20 items, each provider once, providers the cluster has).

use std::collections::{BTreeMap, BTreeSet};

use super::{Check, DiagnosticExt};
use crate::model::cluster::{ClusterSpec, FARGATE_PROVIDERS};
use crate::model::ecs::CapacityProviderStrategyItem;
use crate::model::names::check_ecs_name;
use crate::schedule::pools;
use crate::schedule::query::Expr;
use crate::suggest::did_you_mean;

const MAX_BASE: i32 = 100_000;
const MAX_WEIGHT: i32 = 1_000;
const MAX_ITEMS: usize = 20;

/// The cluster's `capacityProviders` and `defaultCapacityProviderStrategy`.
pub(super) fn cluster(c: &mut Check<'_>, spec: &ClusterSpec) {
    let hosts: BTreeSet<&str> = spec
        .hosts
        .iter()
        .filter_map(|h| h.name.as_deref())
        .collect();
    let mut names: BTreeMap<&str, usize> = BTreeMap::new();
    let mut owner: BTreeMap<String, &str> = BTreeMap::new();
    for (i, provider) in spec.capacity_providers.iter().enumerate() {
        let path = format!("capacityProviders[{i}]");
        let Some(name) = provider.name.as_deref() else {
            c.error(&path, "the capacity provider has no `name`")
                .help("add `name: NAME` (strategies refer to it)");
            continue;
        };
        if let Err(e) = check_ecs_name(name) {
            c.error(
                &format!("{path}.name"),
                format!("invalid capacity provider name: {e}"),
            );
        }
        if let Some(first) = names.insert(name, i) {
            c.error(
                &format!("{path}.name"),
                format!("two capacity providers are named `{name}`"),
            )
            .help(format!("the first is capacityProviders[{first}]"));
            continue;
        }
        if provider.hosts.is_empty() && provider.expression.is_none() {
            c.error(
                &path,
                format!("capacity provider `{name}` has neither `hosts` nor `expression`"),
            )
            .help("list its hosts (`hosts: [node-a]`) or choose them by attribute (`expression: attribute:pool == spot`)");
            continue;
        }
        for (j, host) in provider.hosts.iter().enumerate() {
            if !hosts.contains(host.as_str()) {
                let help = match did_you_mean(host, hosts.iter().copied()) {
                    Some(h) => format!("did you mean `{h}`?"),
                    None => "a capacity provider holds hosts listed in `hosts` of this cluster"
                        .to_string(),
                };
                c.error(
                    &format!("{path}.hosts[{j}]"),
                    format!("capacity provider `{name}` names the unknown host `{host}`"),
                )
                .help(help);
            }
        }
        if let Some(expression) = provider.expression.as_deref()
            && let Err(e) = Expr::parse(expression)
        {
            c.error(
                &format!("{path}.expression"),
                format!("invalid expression `{expression}`: {e}"),
            )
            .help("write a cluster query, as in a memberOf constraint: `attribute:pool == spot`");
            continue;
        }
        let members = pools::members(provider, spec);
        if members.is_empty() {
            c.warning(
                &path,
                format!("capacity provider `{name}` holds no host: its tasks will stay PENDING"),
            );
        }
        for host in members {
            if let Some(first) = owner.get(&host) {
                c.error(
                    &path,
                    format!("host `{host}` is in capacity providers `{first}` and `{name}`"),
                )
                .help("a host belongs to one capacity provider, as an instance does in ECS");
            } else {
                owner.insert(host, name);
            }
        }
    }
    let declared: BTreeSet<String> = names.keys().map(|n| n.to_string()).collect();
    let items = &spec.default_capacity_provider_strategy;
    strategy(c, "defaultCapacityProviderStrategy", items);
    known_providers(c, "defaultCapacityProviderStrategy", items, &declared, None);
}

/// A problem of a strategy: where in it (`[1].base`, or empty for the whole), what, and how
/// to fix it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub at: String,
    pub message: String,
    pub help: Option<String>,
}

/// The items of a strategy on their own (ranges, one base, a weight above 0), as ECS checks
/// them. One home for the rules: manifests and `run-task --capacity-provider-strategy`.
pub fn strategy_problems(items: &[CapacityProviderStrategyItem]) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut problem = |at: String, message: String, help: Option<String>| {
        problems.push(Problem { at, message, help })
    };
    if items.is_empty() {
        return problems;
    }
    if items.len() > MAX_ITEMS {
        problem(
            String::new(),
            format!(
                "a capacity provider strategy has at most {MAX_ITEMS} items; this one has {}",
                items.len()
            ),
            None,
        );
    }
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    let mut with_base: Option<usize> = None;
    for (i, item) in items.iter().enumerate() {
        let at = format!("[{i}]");
        match item.capacity_provider.as_deref() {
            None | Some("") => problem(
                at.clone(),
                "the item has no `capacityProvider`".into(),
                Some("name one of the cluster's capacity providers".into()),
            ),
            Some(name) => {
                if let Some(first) = seen.insert(name, i) {
                    problem(
                        format!("{at}.capacityProvider"),
                        format!("capacity provider `{name}` is in the strategy twice"),
                        Some(format!("the first is item [{first}]; merge them")),
                    );
                }
            }
        }
        if let Some(base) = item.base {
            if !(0..=MAX_BASE).contains(&base) {
                problem(
                    format!("{at}.base"),
                    format!("`base` is {base}; it must be between 0 and {MAX_BASE}"),
                    None,
                );
            } else if base > 0 {
                if let Some(first) = with_base {
                    problem(
                        format!("{at}.base"),
                        "only one capacity provider in a strategy can have a base".into(),
                        Some(format!(
                            "item [{first}] has one already; set `base: 0` on the others"
                        )),
                    );
                } else {
                    with_base = Some(i);
                }
            }
        }
        if let Some(weight) = item.weight
            && !(0..=MAX_WEIGHT).contains(&weight)
        {
            problem(
                format!("{at}.weight"),
                format!("`weight` is {weight}; it must be between 0 and {MAX_WEIGHT}"),
                None,
            );
        }
    }
    let fargate = items
        .iter()
        .filter_map(|i| i.capacity_provider.as_deref())
        .filter(|p| !p.is_empty())
        .map(crate::model::fargate::is_fargate_provider);
    let kinds: BTreeSet<bool> = fargate.collect();
    if kinds.len() > 1 {
        problem(
            String::new(),
            "The capacity provider strategy cannot contain a mix of capacity providers using Auto Scaling groups and Fargate providers. Specify one or the other and try again.".into(),
            Some("FARGATE and FARGATE_SPOT place Fargate tasks; list them without the cluster's other providers".into()),
        );
    }
    if items.iter().all(|i| i.weight.unwrap_or(0) <= 0) {
        problem(
            String::new(),
            "at least one capacity provider in the strategy must have a weight greater than zero"
                .into(),
            Some("add `weight: 1` to the provider that takes the tasks beyond the base".into()),
        );
    }
    problems
}

/// [`strategy_problems`], reported at `path` in a manifest.
pub(super) fn strategy(c: &mut Check<'_>, path: &str, items: &[CapacityProviderStrategyItem]) {
    for p in strategy_problems(items) {
        let d = c.error(&format!("{path}{}", p.at), p.message);
        if let Some(help) = p.help {
            d.help(help);
        }
    }
}

/// Every provider of the strategy is one the cluster declares (`FARGATE` and `FARGATE_SPOT`
/// are always known: a cluster without them leaves their tasks PENDING, as ECS does).
pub(super) fn known_providers(
    c: &mut Check<'_>,
    path: &str,
    items: &[CapacityProviderStrategyItem],
    declared: &BTreeSet<String>,
    cluster: Option<&str>,
) {
    for (i, item) in items.iter().enumerate() {
        let Some(name) = item.capacity_provider.as_deref().filter(|n| !n.is_empty()) else {
            continue;
        };
        if declared.contains(name) || FARGATE_PROVIDERS.contains(&name) {
            continue;
        }
        let where_ = match cluster {
            Some(cluster) => format!(" in cluster `{cluster}`"),
            None => String::new(),
        };
        let help = match did_you_mean(name, declared.iter().map(String::as_str)) {
            Some(p) => format!("did you mean `{p}`?"),
            None if declared.is_empty() => {
                "declare it in the cluster's `capacityProviders` (a pool of its hosts)".to_string()
            }
            None => format!(
                "the cluster's capacity providers are {}",
                declared
                    .iter()
                    .map(|p| format!("`{p}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        c.error(
            &format!("{path}[{i}].capacityProvider"),
            format!("unknown capacity provider `{name}`{where_}"),
        )
        .help(help);
    }
}
