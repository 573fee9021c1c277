//! ECS response shapes built from the state, the runtime record and observed tasks:
//! `Cluster`, `TaskDefinition`, `Service` (with `deployments[]` as the waiters read them),
//! `Task`, `ContainerInstance`. JSON keys sort (serde_json's map), timestamps are epoch
//! seconds, and empty structures are left out ([`prune`]).

use serde_json::{Map, Value, json};

use super::arn::Arns;
use crate::controller::inspect::TaskView;
use crate::ops::hosts::HostView;
use crate::ops::views::serde_name;
use crate::reconcile::task::{DesiredStatus, Health, TaskGroup, TaskStatus};
use crate::state::{
    Revision, RevisionStatus, RolloutState, Runtime, ServiceRecord, ServiceStatus, State,
};
use crate::time::Timestamp;

/// Epoch seconds, as ECS's JSON carries timestamps.
pub fn ts(t: Timestamp) -> Value {
    json!(t.unix_millis() as f64 / 1000.0)
}

/// Drops `null`s and empty objects, recursively: ECS leaves absent structures out.
pub fn prune(mut value: Value) -> Value {
    prune_in_place(&mut value);
    value
}

/// [`prune`] without moving anything (a pruned value is only walked).
fn prune_in_place(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for v in map.values_mut() {
                prune_in_place(v);
            }
            map.retain(|_, v| !v.is_null() && !v.as_object().is_some_and(Map::is_empty));
        }
        Value::Array(items) => items.iter_mut().for_each(prune_in_place),
        _ => {}
    }
}

/// A `Cluster`, with everything ECS can include (DescribeClusters leaves out what its
/// `include` does not ask for: [`CLUSTER_INCLUDES`]). Settings not set read as ECS's
/// defaults (`containerInsights`: `disabled`).
pub fn cluster(arns: &Arns, state: &State, runtime: &Runtime, name: &str) -> Value {
    let spec = state.cluster_spec(name).unwrap_or_default();
    let hosts = spec.hosts.len();
    let providers: Vec<&str> = spec
        .capacity_providers
        .iter()
        .filter_map(|p| p.name.as_deref())
        .collect();
    let record = state.clusters.get(name);
    let mut settings = vec![json!({"name": "containerInsights", "value": "disabled"})];
    for s in record.map(|r| r.settings.as_slice()).unwrap_or_default() {
        match settings.iter_mut().find(|d| d["name"] == json!(s.name)) {
            Some(d) => d["value"] = json!(s.value),
            None => settings.push(json!(s)),
        }
    }
    let tags = record.map_or_else(|| json!([]), |r| json!(r.tags));
    let configuration = record
        .and_then(|r| r.configuration.as_ref())
        .map(|c| json!(c));
    let services = state
        .all_services()
        .filter(|(c, _, r)| *c == name && r.status == ServiceStatus::Active)
        .count();
    let (running, pending) = runtime
        .services
        .values()
        .filter_map(|s| s.counts)
        .fold((0, 0), |(r, p), c| (r + c.running, p + c.pending));
    json!({
        "clusterArn": arns.cluster(name),
        "clusterName": name,
        "status": "ACTIVE",
        "registeredContainerInstancesCount": hosts,
        "runningTasksCount": running,
        "pendingTasksCount": pending,
        "activeServicesCount": services,
        "statistics": [],
        "tags": tags,
        "settings": settings,
        "configuration": configuration,
        "capacityProviders": providers,
        "defaultCapacityProviderStrategy": spec.default_capacity_provider_strategy,
    })
}

/// The members of a `Cluster` that DescribeClusters returns only when `include` names them:
/// (include value, member).
pub const CLUSTER_INCLUDES: [(&str, &str); 4] = [
    ("CONFIGURATIONS", "configuration"),
    ("SETTINGS", "settings"),
    ("STATISTICS", "statistics"),
    ("TAGS", "tags"),
];

/// `shape` without the members `include` does not ask for (see [`CLUSTER_INCLUDES`]).
pub fn cluster_included(mut shape: Value, include: &[String]) -> Value {
    if let Some(map) = shape.as_object_mut() {
        for (field, member) in CLUSTER_INCLUDES {
            if !include.iter().any(|i| i == field) {
                map.remove(member);
            }
        }
    }
    shape
}

pub fn task_definition(arns: &Arns, family: &str, revision: &Revision) -> Value {
    let mut map = match serde_json::to_value(&revision.spec) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    map.remove("tags");
    map.insert("family".into(), family.into());
    map.insert(
        "taskDefinitionArn".into(),
        arns.task_definition(family, revision.revision).into(),
    );
    map.insert("revision".into(), revision.revision.into());
    map.insert(
        "status".into(),
        match revision.status {
            RevisionStatus::Active => "ACTIVE",
            RevisionStatus::Inactive => "INACTIVE",
            RevisionStatus::DeleteInProgress => "DELETE_IN_PROGRESS",
        }
        .into(),
    );
    map.insert("registeredAt".into(), ts(revision.registered_at));
    if let Some(at) = revision.deregistered_at {
        map.insert("deregisteredAt".into(), ts(at));
    }
    map.insert("compatibilities".into(), json!(["EC2", "EXTERNAL"]));
    prune(Value::Object(map))
}

pub fn tags_of(revision: &Revision) -> Value {
    serde_json::to_value(&revision.spec.tags).unwrap_or_else(|_| json!([]))
}

/// Members of the applied spec that `Service` (DescribeServices) carries as they are.
const SERVICE_MEMBERS: [&str; 16] = [
    "loadBalancers",
    "serviceRegistries",
    "capacityProviderStrategy",
    "platformVersion",
    "deploymentConfiguration",
    "placementConstraints",
    "placementStrategy",
    "networkConfiguration",
    "healthCheckGracePeriodSeconds",
    "schedulingStrategy",
    "deploymentController",
    "enableECSManagedTags",
    "propagateTags",
    "enableExecuteCommand",
    "launchType",
    "availabilityZoneRebalancing",
];

/// A `Service`. The deployments listed are those ECS lists: the PRIMARY, and the previous
/// one (ACTIVE) while the PRIMARY's rollout is in progress. Counts are the reconciler's
/// last view (the runtime record).
pub fn service(
    arns: &Arns,
    cluster: &str,
    name: &str,
    record: &ServiceRecord,
    runtime: &Runtime,
) -> Value {
    let progress = runtime.services.get(name);
    let counts = progress.and_then(|p| p.counts).unwrap_or_default();
    let running = counts.running;
    let pending = counts.pending + counts.unplaced;
    let mut deployments = Vec::new();
    for (i, d) in record.deployments.iter().enumerate() {
        let p = progress.and_then(|p| p.deployments.get(&d.id));
        let rollout = p.map_or(RolloutState::InProgress, |p| p.rollout_state);
        if i > 0 {
            let primary_rollout = record
                .deployments
                .first()
                .and_then(|d| progress.and_then(|p| p.deployments.get(&d.id)))
                .map_or(RolloutState::InProgress, |p| p.rollout_state);
            if i > 1 || primary_rollout != RolloutState::InProgress {
                break;
            }
        }
        let (desired, run, pend) = if i == 0 {
            (record.desired_count, running, pending)
        } else {
            (0, 0, 0)
        };
        let revision = d.task_definition.revision.unwrap_or_default();
        deployments.push(json!({
            "id": d.id,
            "status": if i == 0 { "PRIMARY" } else { "ACTIVE" },
            "taskDefinition": arns.task_definition(&d.task_definition.family, revision),
            "desiredCount": desired,
            "runningCount": run,
            "pendingCount": pend,
            "failedTasks": p.map_or(0, |p| p.failed_tasks),
            "createdAt": ts(d.created_at),
            "updatedAt": ts(p.map_or(d.created_at, |p| p.updated_at)),
            "launchType": "EC2",
            "rolloutState": serde_name(&rollout),
            "rolloutStateReason": p.and_then(|p| p.rollout_state_reason.clone()),
        }));
    }
    let events: Vec<Value> = progress
        .map(|p| {
            p.events
                .iter()
                .rev()
                .map(|e| json!({"id": e.id, "createdAt": ts(e.created_at), "message": e.message}))
                .collect()
        })
        .unwrap_or_default();
    let mut spec = match serde_json::to_value(&record.spec) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    let mut map = Map::new();
    for key in SERVICE_MEMBERS {
        if let Some(v) = spec.remove(key) {
            map.insert(key.to_string(), v);
        }
    }
    // ECS gives a service a launch type or a capacity provider strategy, never both.
    if !map.contains_key("capacityProviderStrategy") {
        map.entry("launchType").or_insert_with(|| "EC2".into());
    }
    map.entry("deploymentController")
        .or_insert_with(|| json!({"type": "ECS"}));
    let revision = record.task_definition.revision.unwrap_or_default();
    let status = match record.status {
        ServiceStatus::Active => "ACTIVE",
        ServiceStatus::Draining => "DRAINING",
    };
    for (k, v) in [
        ("serviceArn", json!(arns.service(cluster, name))),
        ("serviceName", json!(name)),
        ("clusterArn", json!(arns.cluster(cluster))),
        ("status", json!(status)),
        ("desiredCount", json!(record.desired_count)),
        ("runningCount", json!(running)),
        ("pendingCount", json!(pending)),
        (
            "taskDefinition",
            json!(arns.task_definition(&record.task_definition.family, revision)),
        ),
        ("deployments", Value::Array(deployments)),
        ("events", Value::Array(events)),
        ("createdAt", ts(record.created_at)),
        ("createdBy", json!("ecsctl")),
        ("tags", spec.remove("tags").unwrap_or_else(|| json!([]))),
    ] {
        map.insert(k.to_string(), v);
    }
    prune(Value::Object(map))
}

fn health(h: Health) -> &'static str {
    match h {
        Health::Healthy => "HEALTHY",
        Health::Unhealthy => "UNHEALTHY",
        Health::Unknown | Health::Starting => "UNKNOWN",
    }
}

pub fn task(arns: &Arns, cluster: &str, view: &TaskView, revision: Option<&Revision>) -> Value {
    let task = &view.task;
    let task_arn = arns.task(cluster, &task.id);
    let revision_number = task.task_definition.revision.unwrap_or_default();
    let group = match &task.group {
        TaskGroup::Service(name) => format!("service:{name}"),
        TaskGroup::Standalone(_) => format!("family:{}", task.task_definition.family),
    };
    let image_of = |name: &str| {
        revision.and_then(|r| {
            r.spec
                .container_definitions
                .iter()
                .find(|c| c.name.as_deref() == Some(name))
                .and_then(|c| c.image.clone())
        })
    };
    let containers: Vec<Value> = task
        .app_containers()
        .map(|c| {
            let last = if c.state == crate::reconcile::task::ContainerState::Running {
                "RUNNING"
            } else if c.started_at.is_some() || c.finished_at.is_some() {
                "STOPPED"
            } else {
                "PENDING"
            };
            json!({
                "containerArn": arns.container(cluster, &task.id, &c.name),
                "taskArn": task_arn,
                "name": c.name,
                "image": image_of(&c.name),
                "runtimeId": c.docker_id,
                "lastStatus": last,
                "exitCode": if last == "STOPPED" { c.exit_code.map(Value::from) } else { None },
                "reason": c.error,
                "healthStatus": health(c.health),
                "networkBindings": c.ports.iter().map(|p| json!({
                    "bindIP": "0.0.0.0",
                    "containerPort": p.container_port,
                    "hostPort": p.host_port,
                    "protocol": p.protocol,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let state = &view.state;
    let last_status = match state.last_status {
        TaskStatus::Provisioning => "PROVISIONING",
        TaskStatus::Pending => "PENDING",
        TaskStatus::Running => "RUNNING",
        TaskStatus::Stopped => "STOPPED",
    };
    let stopped_at = task.app_containers().filter_map(|c| c.finished_at).max();
    let effective = revision.map(Revision::effective);
    prune(json!({
        "taskArn": task_arn,
        "clusterArn": arns.cluster(cluster),
        "taskDefinitionArn": arns.task_definition(&task.task_definition.family, revision_number),
        "containerInstanceArn": arns.container_instance(cluster, &task.host),
        "lastStatus": last_status,
        "desiredStatus": match state.desired_status {
            DesiredStatus::Running => "RUNNING",
            DesiredStatus::Stopped => "STOPPED",
        },
        "healthStatus": health(state.health),
        "group": group,
        "startedBy": task.deployment,
        "launchType": "EC2",
        "createdAt": ts(task.created_at),
        "startedAt": task.started_at().map(ts),
        "stoppedAt": if state.last_status == TaskStatus::Stopped { stopped_at.map(ts) } else { None },
        "stoppedReason": state.stop_reason.as_ref().map(|r| r.text.clone()),
        "cpu": effective.as_ref().and_then(|e| e.cpu).map(|c| c.to_string()),
        "memory": effective.as_ref().and_then(|e| e.memory).map(|m| m.to_string()),
        "containers": containers,
        "version": 1,
        "attachments": [],
        "tags": [],
    }))
}

pub fn container_instance(arns: &Arns, host: &HostView) -> Value {
    let resources = |cpu: Option<i64>, memory: Option<i64>| {
        let mut out = Vec::new();
        if let Some(cpu) = cpu {
            out.push(json!({"name": "CPU", "type": "INTEGER", "integerValue": cpu}));
        }
        if let Some(memory) = memory {
            out.push(json!({"name": "MEMORY", "type": "INTEGER", "integerValue": memory}));
        }
        out
    };
    let status = match host.status {
        "DRAINING" => "DRAINING",
        _ => "ACTIVE",
    };
    prune(json!({
        "containerInstanceArn": arns.container_instance(&host.cluster, &host.name),
        "ec2InstanceId": host.name,
        "status": status,
        "agentConnected": host.status != "UNREACHABLE",
        "runningTasksCount": host.running_tasks,
        "pendingTasksCount": 0,
        "registeredResources": resources(host.registered_cpu, host.registered_memory),
        "remainingResources": resources(host.remaining_cpu, host.remaining_memory),
        "attributes": host.attributes.iter().map(|(k, v)| json!({"name": k, "value": v})).collect::<Vec<_>>(),
        "versionInfo": host.docker_version.as_ref().map(|v| json!({"dockerVersion": v})),
        "tags": [],
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prune_leaves_out_empty_structures_but_keeps_lists() {
        let v =
            prune(json!({"a": null, "b": {}, "c": {"d": {}}, "e": [], "f": [{"g": null}], "h": 0}));
        assert_eq!(v, json!({"e": [], "f": [{}], "h": 0}));
    }

    #[test]
    fn describe_clusters_includes_only_what_it_is_asked_for() {
        let shape = json!({"clusterName": "c", "tags": [], "settings": [], "configuration": {}, "statistics": []});
        assert_eq!(
            cluster_included(shape.clone(), &[]),
            json!({"clusterName": "c"})
        );
        assert_eq!(
            cluster_included(shape, &["TAGS".into(), "SETTINGS".into()]),
            json!({"clusterName": "c", "tags": [], "settings": []})
        );
    }

    #[test]
    fn cluster_settings_read_as_ecs_defaults_until_set() {
        let arns = Arns {
            region: "r".into(),
            account: "1".into(),
        };
        let mut state = State::empty("l".into());
        let runtime = Runtime::default();
        let shape = cluster(&arns, &state, &runtime, "default");
        assert_eq!(
            shape["settings"],
            json!([{"name": "containerInsights", "value": "disabled"}])
        );
        let mut record = crate::state::ClusterRecord::new(
            crate::model::cluster::ClusterSpec::default(),
            Timestamp::from_unix_millis(0),
        );
        record.settings = vec![crate::model::cluster::ClusterSetting {
            name: Some("containerInsights".into()),
            value: Some("enhanced".into()),
        }];
        record.tags = vec![crate::model::ecs::Tag {
            key: Some("team".into()),
            value: Some("a".into()),
        }];
        state.clusters.insert("c".into(), record);
        let shape = cluster(&arns, &state, &runtime, "c");
        assert_eq!(
            shape["settings"],
            json!([{"name": "containerInsights", "value": "enhanced"}])
        );
        assert_eq!(shape["tags"], json!([{"key": "team", "value": "a"}]));
    }

    #[test]
    fn timestamps_are_epoch_seconds() {
        assert_eq!(ts(Timestamp::from_unix_millis(1_500)), json!(1.5));
    }
}
