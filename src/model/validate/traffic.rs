//! Checks of target groups and load balancers (ELBv2's limits), and of how services and
//! listeners refer to them: a target group that exists in the same cluster with the same
//! protocol, a container of the task definition that maps the port, one listener per port
//! and host.

use std::collections::{BTreeMap, BTreeSet};

use super::{Check, DiagnosticExt, Known, ManifestSet, task_definition_of};
use crate::diagnostics::Diagnostics;
use crate::model::cluster::DEFAULT_CLUSTER;
use crate::model::effective::traffic::{
    EffectiveTargetGroup, listener_protocol, parse_http_codes, target_group_protocol,
};
use crate::model::manifest::ClusterManifest;
use crate::model::names::{check_ecs_name, is_templated};
use crate::model::traffic::{
    ActionType, ListenerAction, LoadBalancerSpec, TargetGroupRef, TargetGroupSpec, TrafficProtocol,
};
use crate::suggest::did_you_mean;

/// ELBv2's rule priorities.
const PRIORITIES: std::ops::RangeInclusive<i32> = 1..=50_000;
/// ECS: at most five target groups per service.
const MAX_SERVICE_LOAD_BALANCERS: usize = 5;

/// ELBv2 names: at most 32 letters, digits and hyphens, not starting or ending with a hyphen.
fn check_elb_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > 32 {
        return Err("a name has 1 to 32 characters".into());
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err("a name has only letters, digits and hyphens".into());
    }
    if name.starts_with('-') || name.ends_with('-') {
        return Err("a name cannot start or end with a hyphen".into());
    }
    Ok(())
}

fn names<T>(m: &ClusterManifest<T>, c: &mut Check<'_>, what: &str) {
    let name = &m.manifest.name;
    if !is_templated(name)
        && let Err(e) = check_elb_name(name)
    {
        c.error_at(&m.manifest.name_path, format!("invalid {what} name: {e}"));
    }
    if !is_templated(&m.cluster)
        && let Err(e) = check_ecs_name(&m.cluster)
    {
        c.error_at(&m.cluster_path, format!("invalid cluster name: {e}"));
    }
}

fn range(c: &mut Check<'_>, field: &str, value: Option<i32>, low: i32, high: i32) {
    if let Some(v) = value
        && !(low..=high).contains(&v)
    {
        c.error(
            field,
            format!("{v}: `{field}` must be between {low} and {high}"),
        );
    }
}

pub(super) fn target_group(t: &ClusterManifest<TargetGroupSpec>, out: &mut Diagnostics) {
    let m = &t.manifest;
    let mut c = Check::new(&m.origin, out);
    names(t, &mut c, "target group");
    let spec = &m.spec;
    range(&mut c, "port", spec.port, 1, 65_535);
    range(
        &mut c,
        "healthCheckIntervalSeconds",
        spec.health_check_interval_seconds,
        5,
        300,
    );
    range(
        &mut c,
        "healthCheckTimeoutSeconds",
        spec.health_check_timeout_seconds,
        2,
        120,
    );
    range(
        &mut c,
        "healthyThresholdCount",
        spec.healthy_threshold_count,
        2,
        10,
    );
    range(
        &mut c,
        "unhealthyThresholdCount",
        spec.unhealthy_threshold_count,
        2,
        10,
    );
    range(
        &mut c,
        "deregistrationDelaySeconds",
        spec.deregistration_delay_seconds,
        0,
        3600,
    );
    if let Some(s) = spec.slow_start_seconds
        && s != 0
        && !(30..=900).contains(&s)
    {
        c.error(
            "slowStartSeconds",
            format!("{s}: `slowStartSeconds` is 0 (off) or between 30 and 900"),
        );
    }
    let effective = EffectiveTargetGroup::of(spec);
    if effective.timeout >= effective.interval
        && (spec.health_check_timeout_seconds.is_some()
            || spec.health_check_interval_seconds.is_some())
    {
        c.error(
            "healthCheckTimeoutSeconds",
            format!(
                "the health check timeout ({}s) must be shorter than its interval ({}s)",
                effective.timeout.as_secs(),
                effective.interval.as_secs()
            ),
        );
    }
    if let Some(port) = spec.health_check_port.as_deref()
        && port != "traffic-port"
        && !port.parse::<u16>().is_ok_and(|p| p > 0)
    {
        c.error(
            "healthCheckPort",
            format!("`{port}` is not a port: write `traffic-port` or a port number"),
        );
    }
    let tcp = target_group_protocol(spec) == TrafficProtocol::Tcp;
    if let Some(path) = spec.health_check_path.as_deref() {
        if tcp {
            c.error(
                "healthCheckPath",
                "a TCP target group checks with a TCP connect: it takes no `healthCheckPath`",
            );
        } else if !path.starts_with('/') || path.chars().any(char::is_whitespace) {
            c.error(
                "healthCheckPath",
                format!("`{path}`: a health check path starts with `/` and has no spaces"),
            );
        }
    }
    if let Some(matcher) = &spec.matcher {
        if tcp {
            c.error(
                "matcher",
                "a TCP target group checks with a TCP connect: it takes no `matcher`",
            );
        } else if let Some(code) = matcher.http_code.as_deref() {
            match parse_http_codes(code) {
                Ok(ranges) if ranges.iter().any(|r| r.from < 200 || r.to > 499) => {
                    c.error(
                        "matcher.httpCode",
                        format!("`{code}`: codes are between 200 and 499"),
                    );
                }
                Ok(_) => {}
                Err(e) => {
                    c.error("matcher.httpCode", format!("invalid `httpCode`: {e}"))
                        .help("for example `\"200\"`, `\"200,202\"` or `\"200-399\"`");
                }
            }
        } else {
            c.error("matcher", "a matcher needs `httpCode`");
        }
    }
}

fn check_action(c: &mut Check<'_>, path: &str, action: &ListenerAction) {
    if action.r#type.is_none() {
        c.error(path, "an action needs a `type`")
            .help("write `type: forward`");
    }
    match TargetGroupRef::of(
        action.target_group_name.as_deref(),
        action.target_group_arn.as_deref(),
    ) {
        TargetGroupRef::Named(_) => {}
        TargetGroupRef::Missing => {
            c.error(path, "a forward action names a target group")
                .help("add `targetGroupName: NAME`");
        }
        TargetGroupRef::Both { name, arn_name } => {
            c.error(
                &format!("{path}.targetGroupArn"),
                format!(
                    "the ARN names target group `{arn_name}` but `targetGroupName` is `{name}`"
                ),
            );
        }
        TargetGroupRef::BadArn(arn) => {
            c.error(
                &format!("{path}.targetGroupArn"),
                format!("`{arn}` is not a target group ARN"),
            )
            .help("write `arn:aws:elasticloadbalancing:REGION:ACCOUNT:targetgroup/NAME/ID`, or `targetGroupName: NAME`");
        }
    }
}

fn one_action(c: &mut Check<'_>, path: &str, actions: &[ListenerAction], what: &str) {
    match actions {
        [] => {
            c.error(path, format!("{what} needs one action"))
                .help("write `[{ type: forward, targetGroupName: NAME }]`");
        }
        [action] => check_action(c, &format!("{path}[0]"), action),
        _ => {
            c.error(
                &format!("{path}[1]"),
                format!("{what} takes one action: `forward` to one target group"),
            );
        }
    }
}

pub(super) fn load_balancer(l: &ClusterManifest<LoadBalancerSpec>, out: &mut Diagnostics) {
    let m = &l.manifest;
    let mut c = Check::new(&m.origin, out);
    names(l, &mut c, "load balancer");
    let spec = &m.spec;
    let mut hosts = BTreeSet::new();
    for (i, host) in spec.hosts.iter().enumerate() {
        if !hosts.insert(host) {
            c.error(
                &format!("hosts[{i}]"),
                format!("host `{host}` is listed twice"),
            );
        }
    }
    if spec.listeners.is_empty() {
        c.error("", "a load balancer needs at least one listener")
            .help("add `listeners: [{ port: 8080, protocol: HTTP, defaultActions: [...] }]`");
    }
    let mut ports = BTreeMap::new();
    for (i, listener) in spec.listeners.iter().enumerate() {
        let path = format!("listeners[{i}]");
        match listener.port {
            None => {
                c.error(&path, "a listener needs a `port`");
            }
            Some(port) if !(1..=65_535).contains(&port) => {
                c.error(
                    &format!("{path}.port"),
                    format!("{port}: a port is between 1 and 65535"),
                );
            }
            Some(port) => {
                if let Some(first) = ports.insert(port, i) {
                    c.error(
                        &format!("{path}.port"),
                        format!(
                            "port {port} has two listeners (listeners[{first}] and listeners[{i}])"
                        ),
                    );
                }
            }
        }
        one_action(
            &mut c,
            &format!("{path}.defaultActions"),
            &listener.default_actions,
            "a listener",
        );
        if listener_protocol(listener) == TrafficProtocol::Tcp && !listener.rules.is_empty() {
            c.error(
                &format!("{path}.rules"),
                "a TCP listener forwards everything to its default action: it takes no rules",
            );
        }
        let mut priorities = BTreeMap::new();
        for (j, rule) in listener.rules.iter().enumerate() {
            let rule_path = format!("{path}.rules[{j}]");
            match rule.priority {
                None => {
                    c.error(&rule_path, "a rule needs a `priority` (1 to 50000)");
                }
                Some(p) if !PRIORITIES.contains(&p) => {
                    c.error(
                        &format!("{rule_path}.priority"),
                        format!("{p}: a priority is between 1 and 50000"),
                    );
                }
                Some(p) => {
                    if let Some(first) = priorities.insert(p, j) {
                        c.error(
                            &format!("{rule_path}.priority"),
                            format!("priority {p} is used twice (rules[{first}] and rules[{j}])"),
                        );
                    }
                }
            }
            if rule.conditions.is_empty() {
                c.error(&rule_path, "a rule needs at least one condition")
                    .help(
                        "for example `conditions: [{ field: path-pattern, values: [\"/api/*\"] }]`",
                    );
            }
            for (k, condition) in rule.conditions.iter().enumerate() {
                let condition_path = format!("{rule_path}.conditions[{k}]");
                if condition.field.is_none() {
                    c.error(
                        &condition_path,
                        "a condition needs a `field` (host-header or path-pattern)",
                    );
                }
                if condition.values.is_empty() {
                    c.error(&condition_path, "a condition needs at least one value");
                }
                for (v, value) in condition.values.iter().enumerate() {
                    if value.is_empty()
                        || value.len() > 128
                        || value.chars().any(char::is_whitespace)
                    {
                        c.error(
                            &format!("{condition_path}.values[{v}]"),
                            "a condition value has 1 to 128 characters and no spaces",
                        );
                    }
                }
            }
            one_action(
                &mut c,
                &format!("{rule_path}.actions"),
                &rule.actions,
                "a rule",
            );
        }
    }
}

/// Where listeners run: the named hosts, or every host of the cluster.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Placement {
    Hosts(BTreeSet<String>),
    /// Every host, of a cluster whose hosts are not in the manifests.
    Every,
}

impl Placement {
    fn overlap(&self, other: &Placement) -> Option<String> {
        match (self, other) {
            (Placement::Hosts(a), Placement::Hosts(b)) => {
                a.intersection(b).next().map(|h| format!("host `{h}`"))
            }
            (Placement::Hosts(a), Placement::Every) | (Placement::Every, Placement::Hosts(a)) => {
                a.iter().next().map(|h| format!("host `{h}`"))
            }
            (Placement::Every, Placement::Every) => Some("every host".into()),
        }
    }
}

/// The references of target groups, load balancers and services' `loadBalancers[]`.
/// `clusters` are the clusters that exist.
pub(super) fn check_references(
    set: &ManifestSet,
    known: &Known,
    clusters: &BTreeSet<&str>,
    out: &mut Diagnostics,
) {
    let groups: BTreeSet<(&str, &str)> = set
        .target_groups
        .keys()
        .chain(known.target_groups.iter())
        .map(|(c, n)| (c.as_str(), n.as_str()))
        .collect();
    let cluster_hosts = |cluster: &str| -> Option<BTreeSet<String>> {
        match set.clusters.get(cluster) {
            Some(m) => Some(m.spec.hosts.iter().filter_map(|h| h.name.clone()).collect()),
            None if cluster == DEFAULT_CLUSTER => Some(
                crate::model::cluster::ClusterSpec::embedded_default()
                    .hosts
                    .into_iter()
                    .filter_map(|h| h.name)
                    .collect(),
            ),
            None => None,
        }
    };
    let unknown_group = |c: &mut Check<'_>, path: &str, cluster: &str, name: &str| {
        let in_cluster = groups
            .iter()
            .filter(|(gc, _)| *gc == cluster)
            .map(|(_, n)| *n);
        let help = match did_you_mean(name, in_cluster) {
            Some(g) => format!("did you mean `{g}`?"),
            None => format!("define it with a `kind: TargetGroup` manifest in cluster `{cluster}`"),
        };
        c.error(
            path,
            format!("unknown target group `{name}` in cluster `{cluster}`"),
        )
        .help(help);
    };
    for t in set.target_groups.values() {
        if !clusters.contains(t.cluster.as_str()) {
            let mut c = Check::new(&t.manifest.origin, out);
            c.error_at(&t.cluster_path, format!("unknown cluster `{}`", t.cluster))
                .help("define it with a `kind: Cluster` manifest");
        }
    }
    // (port, cluster) → the listeners on it, in manifest order.
    let mut listeners: BTreeMap<(i32, &str), Vec<(&str, Placement)>> = BTreeMap::new();
    for l in set.load_balancers.values() {
        let m = &l.manifest;
        let mut c = Check::new(&m.origin, out);
        let cluster = l.cluster.as_str();
        if !clusters.contains(cluster) {
            c.error_at(&l.cluster_path, format!("unknown cluster `{cluster}`"))
                .help("define it with a `kind: Cluster` manifest");
        }
        let hosts = cluster_hosts(cluster);
        if let Some(known_hosts) = &hosts {
            for (i, host) in m.spec.hosts.iter().enumerate() {
                if !known_hosts.contains(host) {
                    let help = match did_you_mean(host, known_hosts.iter().map(String::as_str)) {
                        Some(h) => format!("did you mean `{h}`?"),
                        None => {
                            format!("the hosts of cluster `{cluster}` are listed in its manifest")
                        }
                    };
                    c.error(
                        &format!("hosts[{i}]"),
                        format!("unknown host `{host}` in cluster `{cluster}`"),
                    )
                    .help(help);
                }
            }
        }
        let placement = if !m.spec.hosts.is_empty() {
            Placement::Hosts(m.spec.hosts.iter().cloned().collect())
        } else {
            hosts.map_or(Placement::Every, Placement::Hosts)
        };
        for (i, listener) in m.spec.listeners.iter().enumerate() {
            let protocol = listener_protocol(listener);
            let actions = listener
                .default_actions
                .iter()
                .enumerate()
                .map(|(a, action)| (format!("listeners[{i}].defaultActions[{a}]"), action))
                .chain(listener.rules.iter().enumerate().flat_map(|(j, rule)| {
                    rule.actions.iter().enumerate().map(move |(a, action)| {
                        (format!("listeners[{i}].rules[{j}].actions[{a}]"), action)
                    })
                }));
            for (path, action) in actions {
                if action.r#type != Some(ActionType::Forward) {
                    continue;
                }
                let reference = TargetGroupRef::of(
                    action.target_group_name.as_deref(),
                    action.target_group_arn.as_deref(),
                );
                let Some(name) = reference.name() else {
                    continue; // reported by the load balancer's own check
                };
                if is_templated(name) {
                    continue;
                }
                if !groups.contains(&(cluster, name)) {
                    unknown_group(&mut c, &path, cluster, name);
                    continue;
                }
                if let Some(group) = set
                    .target_groups
                    .get(&(cluster.to_string(), name.to_string()))
                {
                    let group_protocol = target_group_protocol(&group.manifest.spec);
                    if group_protocol != protocol {
                        c.error(
                            &path,
                            format!(
                                "a {protocol} listener cannot forward to target group `{name}`, which is {group_protocol}"
                            ),
                        )
                        .help("the listener and the target group have the same protocol");
                    }
                }
            }
            if let Some(port) = listener.port {
                let others = listeners.entry((port, cluster)).or_default();
                for (other, other_placement) in others.iter() {
                    if *other == m.name {
                        continue; // the load balancer's own check reports it
                    }
                    if let Some(place) = placement.overlap(other_placement) {
                        c.error(
                            &format!("listeners[{i}].port"),
                            format!(
                                "listener port {port} is used twice on {place}: by load balancers `{other}` and `{}`",
                                m.name
                            ),
                        )
                        .help("give one of them another port, or other `hosts`");
                    }
                }
                others.push((m.name.as_str(), placement.clone()));
            }
        }
    }
    for s in set.services.values() {
        let m = &s.manifest;
        if m.spec.load_balancers.is_empty() {
            continue;
        }
        let mut c = Check::new(&m.origin, out);
        let cluster = s.cluster.as_str();
        if m.spec.load_balancers.len() > MAX_SERVICE_LOAD_BALANCERS {
            c.error(
                "loadBalancers",
                format!(
                    "a service registers with at most {MAX_SERVICE_LOAD_BALANCERS} target groups"
                ),
            );
        }
        let task_definition = task_definition_of(&m.name, &m.spec)
            .ok()
            .and_then(|r| set.task_definitions.get(&r.family));
        let mut seen = BTreeSet::new();
        for (i, lb) in m.spec.load_balancers.iter().enumerate() {
            let path = format!("loadBalancers[{i}]");
            if lb.load_balancer_name.is_some() {
                c.error(
                    &format!("{path}.loadBalancerName"),
                    "Classic Load Balancers are not supported: name a target group",
                )
                .help("write `targetGroupName: NAME` and define a `kind: TargetGroup`");
            }
            match TargetGroupRef::of(
                lb.target_group_name.as_deref(),
                lb.target_group_arn.as_deref(),
            ) {
                TargetGroupRef::Named(name) => {
                    let unknown =
                        !is_templated(&name) && !groups.contains(&(cluster, name.as_str()));
                    if unknown && lb.target_group_name.is_some() {
                        unknown_group(&mut c, &format!("{path}.targetGroupName"), cluster, &name);
                    } else if unknown {
                        // A plain ECS document naming a real ELBv2 target group: the AWS
                        // resource is not ecsctl's to create, so the entry is reported, not
                        // refused.
                        c.warning(
                            &format!("{path}.targetGroupArn"),
                            format!(
                                "target group `{name}` (named by this ARN) is not defined in cluster `{cluster}`: the tasks are not registered with it"
                            ),
                        )
                        .help(format!("define it with a `kind: TargetGroup` manifest named `{name}`"));
                    }
                    if let Some(port) = lb.container_port
                        && !seen.insert((name.clone(), port))
                    {
                        c.error(
                            &path,
                            format!("target group `{name}` is named twice with port {port}"),
                        );
                    }
                }
                TargetGroupRef::Missing => {
                    c.error(&path, "a load balancer entry names its target group")
                        .help("add `targetGroupName: NAME`");
                }
                TargetGroupRef::Both { name, arn_name } => {
                    c.error(
                        &format!("{path}.targetGroupArn"),
                        format!("the ARN names target group `{arn_name}` but `targetGroupName` is `{name}`"),
                    );
                }
                TargetGroupRef::BadArn(arn) => {
                    c.warning(
                        &format!("{path}.targetGroupArn"),
                        format!("`{arn}` is not a target group ARN: the entry is ignored"),
                    )
                    .help("write `arn:aws:elasticloadbalancing:REGION:ACCOUNT:targetgroup/NAME/ID`, or `targetGroupName: NAME`");
                    continue;
                }
            }
            if let Some(advanced) = &lb.advanced_configuration {
                let alternate = TargetGroupRef::of(
                    advanced.alternate_target_group_name.as_deref(),
                    advanced.alternate_target_group_arn.as_deref(),
                );
                let at = format!("{path}.advancedConfiguration");
                match alternate.name() {
                    Some(name) if is_templated(name) => {}
                    Some(name) if !groups.contains(&(cluster, name)) => {
                        unknown_group(
                            &mut c,
                            &format!("{at}.alternateTargetGroupName"),
                            cluster,
                            name,
                        );
                    }
                    Some(name) if Some(name) == lb.target_group_name.as_deref() => {
                        c.error(
                            &format!("{at}.alternateTargetGroupName"),
                            format!("the alternate target group is the production one (`{name}`)"),
                        )
                        .help("name a second target group: it carries the new revision for a test listener");
                    }
                    Some(_) => {}
                    None => {
                        c.error(&at, "advancedConfiguration names the alternate target group")
                            .help("add `alternateTargetGroupName: NAME` (a `kind: TargetGroup` of the cluster)");
                    }
                }
            }
            let Some(container_name) = lb.container_name.as_deref() else {
                c.error(&path, "a load balancer entry needs `containerName`");
                continue;
            };
            let Some(port) = lb.container_port else {
                c.error(&path, "a load balancer entry needs `containerPort`");
                continue;
            };
            let Some(td) = task_definition else {
                continue; // recorded earlier, or unknown (reported elsewhere)
            };
            let containers = &td.spec.container_definitions;
            let Some(container) = containers
                .iter()
                .find(|k| k.name.as_deref() == Some(container_name))
            else {
                let help = match did_you_mean(
                    container_name,
                    containers.iter().filter_map(|k| k.name.as_deref()),
                ) {
                    Some(k) => format!("did you mean `{k}`?"),
                    None => format!("the containers of `{}` are in its task definition", td.name),
                };
                c.error(
                    &format!("{path}.containerName"),
                    format!(
                        "task definition `{}` has no container `{container_name}`",
                        td.name
                    ),
                )
                .help(help);
                continue;
            };
            if !container
                .port_mappings
                .iter()
                .any(|p| p.container_port == Some(port))
            {
                let mapped: Vec<String> = container
                    .port_mappings
                    .iter()
                    .filter_map(|p| p.container_port.map(|n| n.to_string()))
                    .collect();
                let help = if mapped.is_empty() {
                    format!(
                        "add `portMappings: [{{ containerPort: {port} }}]` to container `{container_name}`"
                    )
                } else {
                    format!("container `{container_name}` maps {}", mapped.join(", "))
                };
                c.error(
                    &format!("{path}.containerPort"),
                    format!("container `{container_name}` does not map port {port}"),
                )
                .help(help);
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests;
