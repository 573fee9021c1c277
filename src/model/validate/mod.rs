//! Semantic checks: what the types cannot say. Runs on decoded objects, reports with the
//! location of the offending value, and collects everything (no early return).
//!
//! - per object: `task_definition`, `service`, `cluster`, `traffic` (target groups, load
//!   balancers), `scheduled` (scheduled tasks);
//! - across objects (here): duplicates, a service's task definition and cluster exist;
//!   `traffic::check_references`: target groups named, containers and ports mapped, listener
//!   ports unique per host.
//!
//! What is already recorded (the state) is passed in as [`Known`], so `plan` accepts a service
//! that follows a family registered earlier, while `validate` (which reads no state) does not.

mod alarm;
pub mod capacity;
mod cluster;
mod scaling;
mod scheduled;
mod service;
mod strategy;
mod task_definition;
mod traffic;
#[cfg(test)]
pub(crate) use traffic::tests as traffic_fixtures;

use std::collections::{BTreeMap, BTreeSet};

use super::alarm::AlarmSpec;
use super::cluster::{ClusterSpec, DEFAULT_CLUSTER};
use super::ecs::{ServiceSpec, TaskDefinitionSpec};
use super::manifest::{ClusterManifest, Manifest, Object, Origin, ServiceManifest};
use super::names::TaskDefRef;
use super::node::DocPath;
use super::scaling::{ScalableTargetSpec, ScalingPolicySpec};
use super::scheduled::ScheduledTaskSpec;
use super::traffic::{LoadBalancerSpec, TargetGroupSpec};
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::suggest::did_you_mean;

/// Names that exist outside the manifests being checked (in the state).
#[derive(Debug, Default)]
pub struct Known {
    pub clusters: BTreeSet<String>,
    pub families: BTreeSet<String>,
    /// (cluster, name) of recorded target groups.
    pub target_groups: BTreeSet<(String, String)>,
    /// (cluster, name) of recorded alarms.
    pub alarms: BTreeSet<(String, String)>,
    /// (cluster, name) of recorded active services.
    pub services: BTreeSet<(String, String)>,
    /// (cluster, service) of services with a recorded scalable target.
    pub scaled_services: BTreeSet<(String, String)>,
    /// (cluster, name) of recorded scaling policies.
    pub scaling_policies: BTreeSet<(String, String)>,
    /// Cluster → the capacity providers it declares, for recorded clusters.
    pub capacity_providers: BTreeMap<String, BTreeSet<String>>,
}

/// The objects of a run, checked, keyed by identity.
#[derive(Debug, Default)]
pub struct ManifestSet {
    pub clusters: BTreeMap<String, Manifest<ClusterSpec>>,
    pub task_definitions: BTreeMap<String, Manifest<TaskDefinitionSpec>>,
    /// Keyed by (cluster, service name).
    pub services: BTreeMap<(String, String), ServiceManifest>,
    /// Keyed by (cluster, name).
    pub target_groups: BTreeMap<(String, String), ClusterManifest<TargetGroupSpec>>,
    /// Keyed by (cluster, name).
    pub load_balancers: BTreeMap<(String, String), ClusterManifest<LoadBalancerSpec>>,
    /// Keyed by (cluster, name).
    pub scheduled_tasks: BTreeMap<(String, String), ClusterManifest<ScheduledTaskSpec>>,
    /// Keyed by (cluster, name).
    pub alarms: BTreeMap<(String, String), ClusterManifest<AlarmSpec>>,
    /// Keyed by (cluster, name).
    pub scalable_targets: BTreeMap<(String, String), ClusterManifest<ScalableTargetSpec>>,
    /// Keyed by (cluster, name).
    pub scaling_policies: BTreeMap<(String, String), ClusterManifest<ScalingPolicySpec>>,
}

impl ManifestSet {
    pub fn is_empty(&self) -> bool {
        self.clusters.is_empty()
            && self.task_definitions.is_empty()
            && self.services.is_empty()
            && self.target_groups.is_empty()
            && self.load_balancers.is_empty()
            && self.scheduled_tasks.is_empty()
            && self.alarms.is_empty()
            && self.scalable_targets.is_empty()
            && self.scaling_policies.is_empty()
    }
}

/// Reports problems at places in one object.
pub(crate) struct Check<'a> {
    origin: &'a Origin,
    out: &'a mut Diagnostics,
}

impl<'a> Check<'a> {
    pub(crate) fn new(origin: &'a Origin, out: &'a mut Diagnostics) -> Self {
        Check { origin, out }
    }

    /// `path` is relative to the spec, written as text (`containerDefinitions[0].name`).
    pub(crate) fn error(&mut self, path: &str, message: impl Into<String>) -> &mut Diagnostic {
        let location = self.origin.locate(&DocPath::parse(path));
        self.out.push_mut(Diagnostic::error(message).at(location))
    }

    pub(crate) fn warning(&mut self, path: &str, message: impl Into<String>) -> &mut Diagnostic {
        let location = self.origin.locate(&DocPath::parse(path));
        self.out.push_mut(Diagnostic::warning(message).at(location))
    }

    /// An error at a full document path (`metadata.name`), not relative to the spec.
    pub(crate) fn error_at(
        &mut self,
        full: &DocPath,
        message: impl Into<String>,
    ) -> &mut Diagnostic {
        let location = self.origin.locate_full(full, false);
        self.out.push_mut(Diagnostic::error(message).at(location))
    }
}

pub(crate) trait DiagnosticExt {
    fn help(&mut self, help: impl Into<String>) -> &mut Self;
}

impl DiagnosticExt for Diagnostic {
    fn help(&mut self, help: impl Into<String>) -> &mut Self {
        self.help = Some(help.into());
        self
    }
}

/// Checks every object and how they refer to each other; returns the set keyed by identity.
/// Duplicates keep their first definition.
pub fn check(objects: Vec<Object>, known: &Known, out: &mut Diagnostics) -> ManifestSet {
    let mut set = ManifestSet::default();
    for object in objects {
        match object {
            Object::Cluster(m) => {
                cluster::check(&m, out);
                if let Some(first) = set.clusters.get(&m.name) {
                    duplicate(
                        "cluster",
                        &m.name,
                        &first.origin,
                        &m.origin,
                        &m.name_path,
                        out,
                    );
                } else {
                    set.clusters.insert(m.name.clone(), m);
                }
            }
            Object::TaskDefinition(m) => {
                task_definition::check(&m, out);
                if let Some(first) = set.task_definitions.get(&m.name) {
                    duplicate(
                        "task definition",
                        &m.name,
                        &first.origin,
                        &m.origin,
                        &m.name_path,
                        out,
                    );
                } else {
                    set.task_definitions.insert(m.name.clone(), m);
                }
            }
            Object::Service(s) => {
                service::check(&s, out);
                let key = (s.cluster.clone(), s.manifest.name.clone());
                if let Some(first) = set.services.get(&key) {
                    let m = &s.manifest;
                    duplicate(
                        "service",
                        &m.name,
                        &first.manifest.origin,
                        &m.origin,
                        &m.name_path,
                        out,
                    );
                } else {
                    set.services.insert(key, s);
                }
            }
            Object::TargetGroup(t) => {
                traffic::target_group(&t, out);
                insert_scoped("target group", &mut set.target_groups, t, out);
            }
            Object::LoadBalancer(l) => {
                traffic::load_balancer(&l, out);
                insert_scoped("load balancer", &mut set.load_balancers, l, out);
            }
            Object::ScheduledTask(t) => {
                scheduled::scheduled_task(&t, out);
                insert_scoped("scheduled task", &mut set.scheduled_tasks, t, out);
            }
            Object::Alarm(a) => {
                alarm::alarm(&a, out);
                insert_scoped("alarm", &mut set.alarms, a, out);
            }
            Object::ScalableTarget(t) => {
                scaling::scalable_target(&t, out);
                insert_scoped("scalable target", &mut set.scalable_targets, t, out);
            }
            Object::ScalingPolicy(p) => {
                scaling::scaling_policy(&p, out);
                insert_scoped("scaling policy", &mut set.scaling_policies, p, out);
            }
        }
    }
    check_references(&set, known, out);
    set
}

fn insert_scoped<T>(
    what: &str,
    map: &mut BTreeMap<(String, String), ClusterManifest<T>>,
    object: ClusterManifest<T>,
    out: &mut Diagnostics,
) {
    let key = (object.cluster.clone(), object.manifest.name.clone());
    if let Some(first) = map.get(&key) {
        let m = &object.manifest;
        duplicate(
            what,
            &m.name,
            &first.manifest.origin,
            &m.origin,
            &m.name_path,
            out,
        );
    } else {
        map.insert(key, object);
    }
}

fn duplicate(
    what: &str,
    name: &str,
    first: &Origin,
    second: &Origin,
    name_path: &DocPath,
    out: &mut Diagnostics,
) {
    let first_at = first.locate(&DocPath::root());
    out.push(
        Diagnostic::error(format!("{what} `{name}` is defined twice"))
            .at(second.locate_full(name_path, false))
            .with_note(format!(
                "first defined at {}:{}",
                first_at.file.name, first_at.span.line
            )),
    );
}

fn check_references(set: &ManifestSet, known: &Known, out: &mut Diagnostics) {
    let families: BTreeSet<&str> = set
        .task_definitions
        .keys()
        .map(String::as_str)
        .chain(known.families.iter().map(String::as_str))
        .collect();
    let clusters: BTreeSet<&str> = set
        .clusters
        .keys()
        .map(String::as_str)
        .chain(known.clusters.iter().map(String::as_str))
        .chain([DEFAULT_CLUSTER])
        .collect();
    traffic::check_references(set, known, &clusters, out);
    scheduled::check_references(set, &families, &clusters, out);
    alarm::check_references(set, &known.target_groups, &known.alarms, out);
    scaling::check_references(set, known, out);
    for s in set.services.values() {
        let m = &s.manifest;
        let mut check = Check::new(&m.origin, out);
        if !clusters.contains(s.cluster.as_str()) {
            let help = match did_you_mean(&s.cluster, clusters.iter().copied()) {
                Some(c) => format!("did you mean `{c}`?"),
                None => format!(
                    "define it with a `kind: Cluster` manifest, or leave the cluster out to use `{DEFAULT_CLUSTER}`"
                ),
            };
            check
                .error_at(&s.cluster_path, format!("unknown cluster `{}`", s.cluster))
                .help(help);
        }
        let declared = match set.clusters.get(&s.cluster) {
            Some(cluster) => Some(
                cluster
                    .spec
                    .capacity_providers
                    .iter()
                    .filter_map(|p| p.name.clone())
                    .collect(),
            ),
            None => known.capacity_providers.get(&s.cluster).cloned(),
        };
        if let Some(declared) = declared.or_else(|| {
            // The embedded default cluster declares none.
            (s.cluster == DEFAULT_CLUSTER).then(BTreeSet::new)
        }) {
            capacity::known_providers(
                &mut check,
                "capacityProviderStrategy",
                &m.spec.capacity_provider_strategy,
                &declared,
                Some(&s.cluster),
            );
        }
        let Ok(reference) = task_definition_of(&m.name, &m.spec) else {
            continue; // reported by the service check
        };
        if let Some(td) = set.task_definitions.get(&reference.family) {
            check_launch_type(
                &mut check,
                &m.spec,
                declared_default(set, &s.cluster),
                &td.spec,
            );
        }
        if !families.contains(reference.family.as_str()) {
            let help = match did_you_mean(&reference.family, families.iter().copied()) {
                Some(f) => format!("did you mean `{f}`?"),
                None => "define it with a `kind: TaskDefinition` manifest".to_string(),
            };
            check
                .error(
                    "taskDefinition",
                    format!("unknown task definition `{}`", reference.family),
                )
                .help(help);
        }
    }
}

/// The cluster's default strategy, when the cluster is among the manifests.
fn declared_default<'s>(
    set: &'s ManifestSet,
    cluster: &str,
) -> &'s [super::ecs::CapacityProviderStrategyItem] {
    set.clusters
        .get(cluster)
        .map(|c| c.spec.default_capacity_provider_strategy.as_slice())
        .unwrap_or(&[])
}

/// A Fargate service (`launchType: FARGATE`, or a strategy of Fargate's providers) needs a
/// task definition that requires FARGATE, as ECS checks at CreateService.
fn check_launch_type(
    check: &mut Check<'_>,
    spec: &ServiceSpec,
    cluster_default: &[super::ecs::CapacityProviderStrategyItem],
    task_definition: &TaskDefinitionSpec,
) {
    use super::ecs::{Compatibility, LaunchType};
    if super::effective::service_launch_type(spec, cluster_default) != LaunchType::Fargate {
        return;
    }
    if task_definition
        .requires_compatibilities
        .contains(&Compatibility::Fargate)
    {
        return;
    }
    let at = if spec.launch_type.is_some() {
        "launchType"
    } else if spec.capacity_provider_strategy.is_empty() {
        "taskDefinition"
    } else {
        "capacityProviderStrategy"
    };
    check
        .error(at, "Task definition does not support launch_type FARGATE.")
        .help("add `requiresCompatibilities: [FARGATE]` to the task definition (Fargate's rules are then checked)");
}

/// The task definition a service runs: its `taskDefinition`, or the family of its own name.
pub fn task_definition_of(service: &str, spec: &ServiceSpec) -> Result<TaskDefRef, String> {
    match &spec.task_definition {
        Some(text) => text.parse(),
        None => Ok(TaskDefRef {
            family: service.to_string(),
            revision: None,
        }),
    }
}

#[cfg(test)]
mod tests;
