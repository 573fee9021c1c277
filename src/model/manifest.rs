//! One document → one typed object: the `ecsctl/v1` envelope, or a plain ECS JSON document.
//!
//! Recognised shapes:
//! - `apiVersion: ecsctl/v1`, `kind: Cluster | TaskDefinition | Service | TargetGroup |
//!   LoadBalancer | ScheduledTask`, `metadata`, `spec`;
//! - a `register-task-definition --cli-input-json` document (`family`, `containerDefinitions`),
//!   also wrapped as DescribeTaskDefinition prints it (`{"taskDefinition": {...}, "tags": []}`);
//! - a `create-service --cli-input-json` document (or an `update-service` one, named by
//!   `service`); without a name, the service is named after its file.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use serde::Deserialize;

use super::alarm::AlarmSpec;
use super::cluster::{ClusterSpec, DEFAULT_CLUSTER};
use super::de::{self, Issue, IssueKind};
use super::ecs::{ServiceSpec, TaskDefinitionSpec, ecs_struct};
use super::node::{DocPath, Node, NodeKind};
use super::scaling::{ScalableTargetSpec, ScalingPolicySpec};
use super::scheduled::ScheduledTaskSpec;
use super::traffic::{LoadBalancerSpec, TargetGroupSpec};
use crate::diagnostics::{Diagnostic, Diagnostics, Location, SourceFile};
use crate::suggest::did_you_mean;

pub const API_VERSION: &str = "ecsctl/v1";
pub const KINDS: [&str; 9] = [
    "Cluster",
    "TaskDefinition",
    "Service",
    "TargetGroup",
    "LoadBalancer",
    "ScheduledTask",
    "Alarm",
    "ScalableTarget",
    "ScalingPolicy",
];
/// Kinds that live in a cluster (`metadata.cluster`).
pub const CLUSTER_SCOPED: [&str; 7] = [
    "Service",
    "TargetGroup",
    "LoadBalancer",
    "ScheduledTask",
    "Alarm",
    "ScalableTarget",
    "ScalingPolicy",
];
const ENVELOPE_KEYS: [&str; 4] = ["apiVersion", "kind", "metadata", "spec"];

/// Where an object was written: its file, its document, and the path of its spec inside the
/// document. Checks that run on typed values use it to point back at the source.
#[derive(Clone, Debug)]
pub struct Origin {
    pub file: Arc<SourceFile>,
    pub root: Arc<Node>,
    pub spec_path: DocPath,
}

impl Origin {
    /// The location of `path` (relative to the spec).
    pub fn locate(&self, path: &DocPath) -> Location {
        self.locate_full(&self.full_path(path), false)
    }

    /// The location of the key of the field at `path` (for "unknown/ignored field" messages).
    pub fn locate_key(&self, path: &DocPath) -> Location {
        self.locate_full(&self.full_path(path), true)
    }

    pub fn full_path(&self, path: &DocPath) -> DocPath {
        let mut full = self.spec_path.clone();
        full.segments.extend(path.segments.iter().cloned());
        full
    }

    pub fn locate_full(&self, full: &DocPath, key: bool) -> Location {
        Location {
            file: self.file.clone(),
            span: self.root.locate(full, key),
            path: (!full.is_root()).then(|| full.to_string()),
        }
    }
}

/// A decoded object with its name and origin.
#[derive(Clone, Debug)]
pub struct Manifest<T> {
    pub name: String,
    /// The full document path the name came from (`metadata.name`, `family`), if written.
    pub name_path: DocPath,
    pub spec: T,
    pub origin: Origin,
}

/// An object that lives in a cluster other than a service: a target group, a load balancer.
#[derive(Clone, Debug)]
pub struct ClusterManifest<T> {
    pub cluster: String,
    pub cluster_path: DocPath,
    pub manifest: Manifest<T>,
}

#[derive(Clone, Debug)]
pub struct ServiceManifest {
    pub cluster: String,
    pub cluster_path: DocPath,
    pub manifest: Manifest<ServiceSpec>,
}

// One per document and short-lived: boxing the larger variants would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub enum Object {
    Cluster(Manifest<ClusterSpec>),
    TaskDefinition(Manifest<TaskDefinitionSpec>),
    Service(ServiceManifest),
    TargetGroup(ClusterManifest<TargetGroupSpec>),
    LoadBalancer(ClusterManifest<LoadBalancerSpec>),
    ScheduledTask(ClusterManifest<ScheduledTaskSpec>),
    Alarm(ClusterManifest<AlarmSpec>),
    ScalableTarget(ClusterManifest<ScalableTargetSpec>),
    ScalingPolicy(ClusterManifest<ScalingPolicySpec>),
}

ecs_struct! {
    Metadata {
        name: Option<String>,
        cluster: Option<String>,
        labels: BTreeMap<String, String>,
    }
}

/// Decodes one document. Problems go to `diagnostics`; `None` when the document is unusable.
pub fn decode_document(
    file: &Arc<SourceFile>,
    root: Node,
    diagnostics: &mut Diagnostics,
) -> Option<Object> {
    let root = Arc::new(root);
    let origin = |spec_path: DocPath| Origin {
        file: file.clone(),
        root: root.clone(),
        spec_path,
    };
    let at_root = origin(DocPath::root());
    if !root.is_map() {
        diagnostics.push(
            Diagnostic::error(format!(
                "a manifest must be a mapping, found {}",
                root.kind.describe()
            ))
            .at(at_root.locate(&DocPath::root())),
        );
        return None;
    }
    let is_envelope = ENVELOPE_KEYS.iter().any(|k| root.get(k).is_some());
    let mut quoted = Vec::new();
    let object = if is_envelope {
        decode_envelope(&root, &at_root, origin, &mut quoted, diagnostics)
    } else {
        decode_plain(&root, &at_root, origin, &mut quoted, diagnostics)
    };
    report_quoted_numbers(&quoted, diagnostics);
    object
}

/// Numbers written as strings, read as numbers: one warning for the document, at the first.
fn report_quoted_numbers(quoted: &[Location], diagnostics: &mut Diagnostics) {
    const LISTED: usize = 10;
    let Some(first) = quoted.first() else {
        return;
    };
    let paths: Vec<&str> = quoted
        .iter()
        .take(LISTED)
        .map(|l| l.path.as_deref().unwrap_or("(document)"))
        .collect();
    let more = quoted.len().saturating_sub(LISTED);
    let more = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    diagnostics.push(
        Diagnostic::warning(format!(
            "numbers written as strings were read as numbers: {}{more}",
            paths.join(", ")
        ))
        .at(Location {
            path: None,
            ..first.clone()
        })
        .with_help("ECS takes these fields as numbers: write them without quotes"),
    );
}

fn report(
    issues: Vec<Issue>,
    origin: &Origin,
    quoted: &mut Vec<Location>,
    diagnostics: &mut Diagnostics,
) {
    for issue in issues {
        let location = Location {
            file: origin.file.clone(),
            span: issue.span,
            path: (!issue.path.is_root()).then(|| issue.path.to_string()),
        };
        let diagnostic = match issue.kind {
            IssueKind::Error => Diagnostic::error(issue.message),
            IssueKind::Warning => Diagnostic::warning(issue.message),
            IssueKind::QuotedNumber => {
                quoted.push(location);
                continue;
            }
        };
        diagnostics.push(diagnostic.at(location).with_help_opt(issue.help));
    }
}

fn decode_as<T: serde::de::DeserializeOwned + Default>(
    node: Option<&Node>,
    path: &DocPath,
    origin: &Origin,
    quoted: &mut Vec<Location>,
    diagnostics: &mut Diagnostics,
) -> Option<T> {
    let Some(node) = node else {
        return Some(T::default());
    };
    // The value is kept even when issues were found (they are reported, and the decoder put
    // neutral values in their place), so the semantic checks still run and every error of the
    // document is reported at once.
    let (value, issues) = de::decode::<T>(node, path);
    report(issues, origin, quoted, diagnostics);
    value
}

fn decode_envelope(
    root: &Node,
    at_root: &Origin,
    origin: impl Fn(DocPath) -> Origin,
    quoted: &mut Vec<Location>,
    diagnostics: &mut Diagnostics,
) -> Option<Object> {
    if let NodeKind::Map(entries) = &root.kind {
        for entry in entries
            .iter()
            .filter(|e| !ENVELOPE_KEYS.contains(&e.key.as_str()))
        {
            let help = did_you_mean(&entry.key, ENVELOPE_KEYS)
                .map(|s| format!("did you mean `{s}`?"))
                .unwrap_or_else(|| {
                    "a manifest has `apiVersion`, `kind`, `metadata` and `spec`".into()
                });
            diagnostics.push(
                Diagnostic::error(format!("unknown field `{}` in a manifest", entry.key))
                    .at(at_root.locate_key(&DocPath::root().key(&entry.key)))
                    .with_help(help),
            );
        }
    }
    match root.get("apiVersion").map(|n| &n.kind) {
        Some(NodeKind::Str(v)) if v == API_VERSION => {}
        Some(_) => {
            let path = DocPath::root().key("apiVersion");
            diagnostics.push(
                Diagnostic::error("unsupported `apiVersion`")
                    .at(at_root.locate(&path))
                    .with_help(format!("write `apiVersion: {API_VERSION}`")),
            );
        }
        None => {
            diagnostics.push(
                Diagnostic::error("the manifest has no `apiVersion`")
                    .at(at_root.locate(&DocPath::root()))
                    .with_help(format!("add `apiVersion: {API_VERSION}`")),
            );
        }
    }
    let kind_path = DocPath::root().key("kind");
    let kind = match root.get("kind").map(|n| &n.kind) {
        Some(NodeKind::Str(k)) if KINDS.contains(&k.as_str()) => Some(k.as_str()),
        Some(NodeKind::Str(k)) => {
            let help = did_you_mean(k, KINDS)
                .map(|s| format!("did you mean `{s}`?"))
                .unwrap_or_else(|| {
                    "expected `Cluster`, `TaskDefinition`, `Service`, `TargetGroup`, `LoadBalancer`, `ScheduledTask`, `Alarm`, `ScalableTarget` or `ScalingPolicy`"
                        .into()
                });
            diagnostics.push(
                Diagnostic::error(format!("unknown kind `{k}`"))
                    .at(at_root.locate(&kind_path))
                    .with_help(help),
            );
            None
        }
        Some(_) | None => {
            diagnostics.push(
                Diagnostic::error("the manifest has no `kind`")
                    .at(at_root.locate(&kind_path))
                    .with_help("add `kind: Cluster`, `kind: TaskDefinition` or `kind: Service`"),
            );
            None
        }
    };
    let metadata_path = DocPath::root().key("metadata");
    let metadata: Option<Metadata> = decode_as(
        root.get("metadata"),
        &metadata_path,
        at_root,
        quoted,
        diagnostics,
    );
    let name_path = metadata_path.key("name");
    let name = metadata.as_ref().and_then(|m| m.name.clone());
    if metadata.is_some() && name.is_none() {
        diagnostics.push(
            Diagnostic::error("the manifest has no `metadata.name`")
                .at(at_root.locate(&metadata_path))
                .with_help("add `metadata: { name: NAME }`"),
        );
    }
    let spec_path = DocPath::root().key("spec");
    if root.get("spec").is_none() && kind.is_some() {
        diagnostics.push(
            Diagnostic::error("the manifest has no `spec`").at(at_root.locate(&DocPath::root())),
        );
    }
    let kind = kind?;
    let spec_node = root.get("spec");
    let spec_origin = origin(spec_path.clone());
    let cluster_from_metadata = metadata.as_ref().and_then(|m| m.cluster.clone());
    if !CLUSTER_SCOPED.contains(&kind) && cluster_from_metadata.is_some() {
        diagnostics.push(
            Diagnostic::error(format!(
                "`metadata.cluster` applies to services, target groups, load balancers, scheduled tasks, alarms, scalable targets and scaling policies, not to a {kind}"
            ))
            .at(at_root.locate_key(&metadata_path.key("cluster"))),
        );
    }
    let object = match kind {
        "Cluster" => {
            let spec: ClusterSpec =
                decode_as(spec_node, &spec_path, &spec_origin, quoted, diagnostics)?;
            Object::Cluster(Manifest {
                name: name?,
                name_path,
                spec,
                origin: spec_origin,
            })
        }
        "TaskDefinition" => {
            let spec: TaskDefinitionSpec =
                decode_as(spec_node, &spec_path, &spec_origin, quoted, diagnostics)?;
            let name = name?;
            if let Some(family) = &spec.family
                && family != &name
            {
                diagnostics.push(
                    Diagnostic::error(format!(
                        "`spec.family` is `{family}` but `metadata.name` is `{name}`"
                    ))
                    .at(spec_origin.locate(&DocPath::root().key("family")))
                    .with_help("the family is the name: remove `spec.family`"),
                );
            }
            Object::TaskDefinition(Manifest {
                name,
                name_path,
                spec,
                origin: spec_origin,
            })
        }
        "TargetGroup" | "LoadBalancer" | "ScheduledTask" | "Alarm" | "ScalableTarget"
        | "ScalingPolicy" => {
            let (cluster, cluster_path) = match &cluster_from_metadata {
                Some(c) => (c.clone(), metadata_path.key("cluster")),
                None => (DEFAULT_CLUSTER.to_string(), metadata_path.clone()),
            };
            // The cluster-scoped kinds differ only in their spec.
            macro_rules! scoped {
                ($variant:ident, $spec:ty) => {{
                    // The spec first: its problems are reported even when the name is missing.
                    let spec: $spec =
                        decode_as(spec_node, &spec_path, &spec_origin, quoted, diagnostics)?;
                    Object::$variant(ClusterManifest {
                        cluster,
                        cluster_path,
                        manifest: Manifest {
                            name: name?,
                            name_path,
                            spec,
                            origin: spec_origin,
                        },
                    })
                }};
            }
            match kind {
                "ScheduledTask" => scoped!(ScheduledTask, ScheduledTaskSpec),
                "Alarm" => scoped!(Alarm, AlarmSpec),
                "ScalableTarget" => scoped!(ScalableTarget, ScalableTargetSpec),
                "ScalingPolicy" => scoped!(ScalingPolicy, ScalingPolicySpec),
                "TargetGroup" => scoped!(TargetGroup, TargetGroupSpec),
                _ => scoped!(LoadBalancer, LoadBalancerSpec),
            }
        }
        _ => {
            let spec: ServiceSpec =
                decode_as(spec_node, &spec_path, &spec_origin, quoted, diagnostics)?;
            let name = name?;
            for (field, value) in [
                ("serviceName", &spec.service_name),
                ("service", &spec.service),
            ] {
                if let Some(value) = value
                    && value != &name
                {
                    diagnostics.push(
                        Diagnostic::error(format!(
                            "`spec.{field}` is `{value}` but `metadata.name` is `{name}`"
                        ))
                        .at(spec_origin.locate(&DocPath::root().key(field)))
                        .with_help(format!(
                            "the service is named by `metadata.name`: remove `spec.{field}`"
                        )),
                    );
                }
            }
            let (cluster, cluster_path) = match (&cluster_from_metadata, &spec.cluster) {
                (Some(a), Some(b)) if a != b => {
                    diagnostics.push(
                        Diagnostic::error(format!(
                            "`spec.cluster` is `{b}` but `metadata.cluster` is `{a}`"
                        ))
                        .at(spec_origin.locate(&DocPath::root().key("cluster")))
                        .with_help("set the cluster once, in `metadata.cluster`"),
                    );
                    (a.clone(), metadata_path.key("cluster"))
                }
                (Some(a), _) => (a.clone(), metadata_path.key("cluster")),
                (None, Some(b)) => (b.clone(), spec_path.key("cluster")),
                (None, None) => (DEFAULT_CLUSTER.to_string(), metadata_path.clone()),
            };
            Object::Service(ServiceManifest {
                cluster,
                cluster_path,
                manifest: Manifest {
                    name,
                    name_path,
                    spec,
                    origin: spec_origin,
                },
            })
        }
    };
    Some(object)
}

/// Keys that only a CreateService/UpdateService document has at its top level.
const SERVICE_KEYS: [&str; 12] = [
    "serviceName",
    "service",
    "desiredCount",
    "schedulingStrategy",
    "launchType",
    "loadBalancers",
    "deploymentConfiguration",
    "deploymentController",
    "networkConfiguration",
    "capacityProviderStrategy",
    "placementStrategy",
    "serviceRegistries",
];

fn decode_plain(
    root: &Node,
    at_root: &Origin,
    origin: impl Fn(DocPath) -> Origin,
    quoted: &mut Vec<Location>,
    diagnostics: &mut Diagnostics,
) -> Option<Object> {
    // DescribeTaskDefinition output: {"taskDefinition": {...}, "tags": [...]}.
    // Keys in another case are read by the decoder (with a warning), so they tell the shape too.
    if let Some(inner) = root.get_any_case("taskDefinition").filter(|n| n.is_map()) {
        #[derive(Deserialize, Default)]
        #[serde(rename_all = "camelCase", default)]
        #[allow(dead_code)]
        struct Wrapper {
            task_definition: serde_json::Value,
            tags: serde_json::Value,
        }
        let _: Wrapper = decode_as(Some(root), &DocPath::root(), at_root, quoted, diagnostics)?;
        let path = DocPath::root().key("taskDefinition");
        return plain_task_definition(inner, path, origin, quoted, diagnostics);
    }
    if root.get_any_case("containerDefinitions").is_some() || root.get_any_case("family").is_some()
    {
        return plain_task_definition(root, DocPath::root(), origin, quoted, diagnostics);
    }
    if SERVICE_KEYS.iter().any(|k| root.get_any_case(k).is_some())
        || root.get_any_case("taskDefinition").is_some()
    {
        return plain_service(root, at_root, quoted, diagnostics);
    }
    diagnostics.push(
        Diagnostic::error("cannot tell what this document is")
            .at(at_root.locate(&DocPath::root()))
            .with_help(format!(
                "write an `apiVersion: {API_VERSION}` manifest with `kind:`, or an ECS register-task-definition / create-service JSON document"
            )),
    );
    None
}

fn plain_task_definition(
    node: &Node,
    path: DocPath,
    origin: impl Fn(DocPath) -> Origin,
    quoted: &mut Vec<Location>,
    diagnostics: &mut Diagnostics,
) -> Option<Object> {
    let spec_origin = origin(path.clone());
    let spec: TaskDefinitionSpec = decode_as(Some(node), &path, &spec_origin, quoted, diagnostics)?;
    let Some(family) = spec.family.clone() else {
        diagnostics.push(
            Diagnostic::error("the task definition has no `family`")
                .at(spec_origin.locate(&DocPath::root()))
                .with_help("add `\"family\": \"NAME\"`"),
        );
        return None;
    };
    Some(Object::TaskDefinition(Manifest {
        name: family,
        name_path: path.key("family"),
        spec,
        origin: spec_origin,
    }))
}

fn plain_service(
    root: &Node,
    at_root: &Origin,
    quoted: &mut Vec<Location>,
    diagnostics: &mut Diagnostics,
) -> Option<Object> {
    let spec: ServiceSpec = decode_as(Some(root), &DocPath::root(), at_root, quoted, diagnostics)?;
    let (name, name_path) = match (&spec.service_name, &spec.service) {
        (Some(name), _) => (name.clone(), DocPath::root().key("serviceName")),
        (None, Some(name)) => (name.clone(), DocPath::root().key("service")),
        (None, None) => {
            let stem = Path::new(&at_root.file.name)
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            diagnostics.push(
                Diagnostic::warning(format!(
                    "the service has no `serviceName`; it is named `{stem}` after its file"
                ))
                .at(at_root.locate(&DocPath::root()))
                .with_help("add `\"serviceName\": \"NAME\"` to choose the name"),
            );
            (stem, DocPath::root())
        }
    };
    let (cluster, cluster_path) = match &spec.cluster {
        Some(cluster) => (cluster.clone(), DocPath::root().key("cluster")),
        None => (DEFAULT_CLUSTER.to_string(), DocPath::root()),
    };
    Some(Object::Service(ServiceManifest {
        cluster,
        cluster_path,
        manifest: Manifest {
            name,
            name_path,
            spec,
            origin: at_root.clone(),
        },
    }))
}

#[cfg(test)]
mod tests;
