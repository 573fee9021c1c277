//! The load balancers and target groups as views: `get targetgroups|loadbalancers` and
//! `describe targetgroup`, with each target's health as the reconciler last recorded it
//! from the proxies (`aws elbv2 describe-target-health`).

use std::collections::BTreeMap;

use serde::Serialize;

use super::error::{ObjectKind, OpsError, OpsResult};
use super::resolve;
use super::session::Session;
use crate::model::effective::traffic::{EffectiveTargetGroup, HealthCheckKind, listener_protocol};
use crate::model::traffic::{LoadBalancerSpec, TargetGroupSpec};
use crate::state::{ObjectRecord, State, TargetHealth, TargetRecord};
use crate::suggest::did_you_mean;
use crate::time::Timestamp;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetGroupView {
    pub cluster: String,
    pub name: String,
    pub protocol: String,
    /// `HTTP /health 200-399`, `TCP connect`, `none`.
    pub health_check: String,
    pub deregistration_delay_seconds: u64,
    /// The load balancers that forward to it.
    pub load_balancers: Vec<String>,
    pub targets: usize,
    pub healthy: usize,
    pub created_at: Timestamp,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LoadBalancerView {
    pub cluster: String,
    pub name: String,
    /// The hosts its listeners run on; empty: every host of the cluster.
    pub hosts: Vec<String>,
    /// `8080/HTTP→web` per listener.
    pub listeners: Vec<String>,
    pub created_at: Timestamp,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetGroupDescription {
    pub cluster: String,
    pub name: String,
    pub spec: TargetGroupSpec,
    pub load_balancers: Vec<String>,
    /// As recorded by the reconciler (empty until one has run).
    pub targets: Vec<TargetRecord>,
}

fn health_check(spec: &TargetGroupSpec) -> String {
    let effective = EffectiveTargetGroup::of(spec);
    match effective.check {
        HealthCheckKind::Disabled => "none".into(),
        HealthCheckKind::Tcp => "TCP connect".into(),
        HealthCheckKind::Http { path, codes } => format!(
            "HTTP {path} {}",
            crate::traffic::config::status_codes(&codes)
        ),
    }
}

/// The load balancers of a cluster that forward to `group`.
fn forwarding_to(
    balancers: Option<&BTreeMap<String, ObjectRecord<LoadBalancerSpec>>>,
    group: &str,
) -> Vec<String> {
    let Some(balancers) = balancers else {
        return Vec::new();
    };
    balancers
        .iter()
        .filter(|(_, lb)| {
            lb.spec.listeners.iter().any(|l| {
                l.default_actions
                    .iter()
                    .chain(l.rules.iter().flat_map(|r| r.actions.iter()))
                    .any(|a| a.target_group_name.as_deref() == Some(group))
            })
        })
        .map(|(name, _)| name.clone())
        .collect()
}

/// `no target group `wbe` in any cluster; did you mean `web`?`, over every cluster's objects.
fn not_found<T>(
    kind: ObjectKind,
    name: &str,
    by_cluster: &BTreeMap<String, BTreeMap<String, T>>,
) -> OpsError {
    let known = by_cluster
        .values()
        .flat_map(|g| g.keys().map(String::as_str));
    OpsError::NotFound {
        kind,
        name: name.to_string(),
        place: "in any cluster".into(),
        suggestion: did_you_mean(name, known).map(str::to_string),
    }
}

pub fn target_groups(
    session: &Session,
    state: &State,
    cluster: Option<&str>,
    name: Option<&str>,
) -> OpsResult<Vec<TargetGroupView>> {
    if let Some(cluster) = cluster {
        resolve::cluster(state, cluster)?;
    }
    let mut views = Vec::new();
    for (c, groups) in &state.target_groups {
        if cluster.is_some_and(|only| only != c) {
            continue;
        }
        let runtime = session.store.read_runtime(c)?;
        for (n, record) in groups {
            if name.is_some_and(|only| only != n) {
                continue;
            }
            let targets = runtime
                .targets
                .get(n)
                .map(Vec::as_slice)
                .unwrap_or_default();
            views.push(TargetGroupView {
                cluster: c.clone(),
                name: n.clone(),
                protocol: crate::model::effective::traffic::target_group_protocol(&record.spec)
                    .to_string(),
                health_check: health_check(&record.spec),
                deregistration_delay_seconds: EffectiveTargetGroup::of(&record.spec)
                    .deregistration_delay
                    .as_secs(),
                load_balancers: forwarding_to(state.load_balancers.get(c), n),
                targets: targets.len(),
                healthy: targets
                    .iter()
                    .filter(|t| t.health == TargetHealth::Healthy)
                    .count(),
                created_at: record.created_at,
            });
        }
    }
    if let (Some(name), true) = (name, views.is_empty()) {
        return Err(not_found(
            ObjectKind::TargetGroup,
            name,
            &state.target_groups,
        ));
    }
    Ok(views)
}

pub fn load_balancers(
    state: &State,
    cluster: Option<&str>,
    name: Option<&str>,
) -> OpsResult<Vec<LoadBalancerView>> {
    if let Some(cluster) = cluster {
        resolve::cluster(state, cluster)?;
    }
    let mut views = Vec::new();
    for (c, balancers) in &state.load_balancers {
        if cluster.is_some_and(|only| only != c) {
            continue;
        }
        for (n, record) in balancers {
            if name.is_some_and(|only| only != n) {
                continue;
            }
            let listeners = record
                .spec
                .listeners
                .iter()
                .map(|l| {
                    let to = l
                        .default_actions
                        .first()
                        .and_then(|a| a.target_group_name.clone())
                        .unwrap_or_default();
                    let rules = if l.rules.is_empty() {
                        String::new()
                    } else {
                        format!(" (+{} rules)", l.rules.len())
                    };
                    format!(
                        "{}/{}→{to}{rules}",
                        l.port.unwrap_or_default(),
                        listener_protocol(l)
                    )
                })
                .collect();
            views.push(LoadBalancerView {
                cluster: c.clone(),
                name: n.clone(),
                hosts: record.spec.hosts.clone(),
                listeners,
                created_at: record.created_at,
            });
        }
    }
    if let (Some(name), true) = (name, views.is_empty()) {
        return Err(not_found(
            ObjectKind::LoadBalancer,
            name,
            &state.load_balancers,
        ));
    }
    Ok(views)
}

pub fn describe_target_group(
    session: &Session,
    state: &State,
    name: &str,
    cluster: Option<&str>,
) -> OpsResult<TargetGroupDescription> {
    let found: Vec<(&String, &ObjectRecord<TargetGroupSpec>)> = state
        .target_groups
        .iter()
        .filter(|(c, _)| cluster.is_none_or(|only| only == c.as_str()))
        .filter_map(|(c, groups)| groups.get(name).map(|g| (c, g)))
        .collect();
    let (c, record) = match found[..] {
        [one] => one,
        [] => {
            return Err(not_found(
                ObjectKind::TargetGroup,
                name,
                &state.target_groups,
            ));
        }
        _ => {
            return Err(OpsError::Ambiguous {
                kind: ObjectKind::TargetGroup,
                name: name.to_string(),
                message: format!(
                    "target group `{name}` exists in several clusters; say which with --cluster"
                ),
            });
        }
    };
    let runtime = session.store.read_runtime(c)?;
    Ok(TargetGroupDescription {
        cluster: c.clone(),
        name: name.to_string(),
        spec: record.spec.clone(),
        load_balancers: forwarding_to(state.load_balancers.get(c), name),
        targets: runtime.targets.get(name).cloned().unwrap_or_default(),
    })
}
