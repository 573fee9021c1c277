//! ECS response shapes built from the state, the runtime record and observed tasks:
//! `Cluster`, `TaskDefinition`, `Service` (with `deployments[]` as the waiters read them),
//! `Task`, `ContainerInstance`. JSON keys sort (serde_json's map), timestamps are epoch
//! seconds, and empty structures are left out ([`prune`]).

use serde::Serialize;
use serde_json::{Map, Value, json};

use super::arn::Arns;
use super::reply::absent_value;
use crate::controller::inspect::TaskView;
use crate::model::ecs::{CapacityProviderStrategyItem, Tag};
use crate::model::effective;
use crate::ops::cluster_counts::{self, ClusterCounts};
use crate::ops::hosts::HostView;
use crate::reconcile::task::{DesiredStatus, Health, TaskGroup, TaskStatus};
use crate::state::{
    Revision, RevisionStatus, RolloutState, Runtime, ServiceRecord, ServiceStatus, State,
};
use crate::time::Timestamp;

/// Epoch seconds, as ECS's JSON carries timestamps.
pub fn ts(t: Timestamp) -> Value {
    json!(seconds(t))
}

/// [`ts`] for typed shapes.
pub fn seconds(t: Timestamp) -> f64 {
    t.unix_millis() as f64 / 1000.0
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

/// An entry of `Cluster.settings`.
#[derive(Serialize)]
pub struct SettingShape<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<&'a str>,
}

/// An entry of `Cluster.statistics` (a `KeyValuePair`: the count as a string).
#[derive(Serialize)]
pub struct StatisticShape {
    name: &'static str,
    value: String,
}

/// A `Cluster`, typed: fields in sorted key order (see [`super::reply`]). The members
/// DescribeClusters returns only when `include` names them are `Option`s.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterShape<'a> {
    active_services_count: u32,
    capacity_providers: Vec<String>,
    cluster_arn: String,
    cluster_name: &'a str,
    #[serde(skip_serializing_if = "absent_value")]
    configuration: Option<Value>,
    default_capacity_provider_strategy: Value,
    pending_tasks_count: u32,
    registered_container_instances_count: u32,
    running_tasks_count: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    settings: Option<Vec<SettingShape<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    statistics: Option<Vec<StatisticShape>>,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<&'a [Tag]>,
}

impl ClusterShape<'_> {
    /// Without the members `include` does not ask for: `CONFIGURATIONS`, `SETTINGS`,
    /// `STATISTICS`, `TAGS` (ECS's include values).
    pub fn included(mut self, include: &[String]) -> Self {
        let asked = |field: &str| include.iter().any(|i| i == field);
        if !asked("CONFIGURATIONS") {
            self.configuration = None;
        }
        if !asked("SETTINGS") {
            self.settings = None;
        }
        if !asked("STATISTICS") {
            self.statistics = None;
        }
        if !asked("TAGS") {
            self.tags = None;
        }
        self
    }
}

/// A `Cluster`, with everything ECS can include (DescribeClusters leaves out what its
/// `include` does not ask for: [`ClusterShape::included`]). Settings not set read as ECS's
/// defaults (`containerInsights`: `disabled`). The counts are [`cluster_counts`]'.
pub fn cluster_shape<'a>(
    arns: &Arns,
    state: &'a State,
    counts: &ClusterCounts,
    name: &'a str,
) -> ClusterShape<'a> {
    let spec = state.cluster_spec(name).unwrap_or_default();
    let record = state.clusters.get(name);
    let mut settings = vec![SettingShape {
        name: Some("containerInsights"),
        value: Some("disabled"),
    }];
    for s in record.map(|r| r.settings.as_slice()).unwrap_or_default() {
        match settings.iter_mut().find(|d| d.name == s.name.as_deref()) {
            Some(d) => d.value = s.value.as_deref(),
            None => settings.push(SettingShape {
                name: s.name.as_deref(),
                value: s.value.as_deref(),
            }),
        }
    }
    ClusterShape {
        active_services_count: counts.active_services,
        capacity_providers: spec
            .capacity_providers
            .iter()
            .filter_map(|p| p.name.clone())
            .collect(),
        cluster_arn: arns.cluster(name),
        cluster_name: name,
        configuration: record
            .and_then(|r| r.configuration.as_ref())
            .and_then(|c| serde_json::to_value(c).ok())
            .map(prune),
        default_capacity_provider_strategy: serde_json::to_value(
            &spec.default_capacity_provider_strategy,
        )
        .map(prune)
        .unwrap_or_else(|_| json!([])),
        pending_tasks_count: counts.pending_tasks,
        registered_container_instances_count: counts.registered_container_instances,
        running_tasks_count: counts.running_tasks,
        settings: Some(settings),
        statistics: Some(
            counts
                .statistics
                .named()
                .into_iter()
                .map(|(name, n)| StatisticShape {
                    name,
                    value: n.to_string(),
                })
                .collect(),
        ),
        status: "ACTIVE",
        tags: Some(record.map_or(&[][..], |r| r.tags.as_slice())),
    }
}

/// [`cluster_shape`] as a `Value`, for the writes: counted from the reconciler's last view
/// of the services, without asking the hosts.
pub fn cluster(arns: &Arns, state: &State, runtime: &Runtime, name: &str) -> Value {
    let counts = cluster_counts::counts(state, runtime, name, None);
    serde_json::to_value(cluster_shape(arns, state, &counts, name))
        .map(prune)
        .unwrap_or_else(|_| json!({}))
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

/// DescribeTaskDefinition's answer (keys in sorted order). The task definition stays a
/// `Value`: its members are the model's, whose declared order is not the sorted one.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribedTaskDefinition<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<&'a [Tag]>,
    pub task_definition: Value,
}

pub fn tags_of(revision: &Revision) -> Value {
    serde_json::to_value(&revision.spec.tags).unwrap_or_else(|_| json!([]))
}

/// A member of the applied spec as `Service` carries it: `None` when the spec leaves it
/// out. Only the members a spec sets are built, each pruned (their keys sort as a map's).
fn member<T: Serialize + crate::model::ecs::Absent>(field: &T) -> Option<Value> {
    if field.is_absent() {
        return None;
    }
    serde_json::to_value(field).ok().map(prune)
}

/// A deployment of `Service.deployments` (fields in sorted key order: see
/// [`super::reply`]).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentShape<'a> {
    created_at: f64,
    desired_count: u32,
    failed_tasks: u32,
    id: &'a str,
    launch_type: &'static str,
    pending_count: u32,
    rollout_state: RolloutState,
    #[serde(skip_serializing_if = "Option::is_none")]
    rollout_state_reason: Option<&'a str>,
    running_count: u32,
    status: &'static str,
    task_definition: String,
    updated_at: f64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EventShape<'a> {
    created_at: f64,
    id: &'a str,
    message: &'a str,
}

/// A `Service`, typed: fields in sorted key order (byte for byte what the pruned `Value`
/// gave, see [`super::reply`]), borrowing from the record and the runtime.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceShape<'a> {
    #[serde(skip_serializing_if = "absent_value")]
    availability_zone_rebalancing: Option<Value>,
    #[serde(skip_serializing_if = "absent_value")]
    capacity_provider_strategy: Option<Value>,
    cluster_arn: String,
    created_at: f64,
    created_by: &'static str,
    #[serde(skip_serializing_if = "absent_value")]
    deployment_configuration: Option<Value>,
    #[serde(skip_serializing_if = "absent_value")]
    deployment_controller: Option<Value>,
    deployments: Vec<DeploymentShape<'a>>,
    desired_count: u32,
    #[serde(rename = "enableECSManagedTags", skip_serializing_if = "absent_value")]
    enable_ecs_managed_tags: Option<Value>,
    #[serde(skip_serializing_if = "absent_value")]
    enable_execute_command: Option<Value>,
    events: Vec<EventShape<'a>>,
    #[serde(skip_serializing_if = "absent_value")]
    health_check_grace_period_seconds: Option<Value>,
    #[serde(skip_serializing_if = "absent_value")]
    launch_type: Option<Value>,
    #[serde(skip_serializing_if = "absent_value")]
    load_balancers: Option<Value>,
    #[serde(skip_serializing_if = "absent_value")]
    network_configuration: Option<Value>,
    pending_count: u32,
    #[serde(skip_serializing_if = "absent_value")]
    placement_constraints: Option<Value>,
    #[serde(skip_serializing_if = "absent_value")]
    placement_strategy: Option<Value>,
    #[serde(skip_serializing_if = "absent_value")]
    platform_version: Option<Value>,
    #[serde(skip_serializing_if = "absent_value")]
    propagate_tags: Option<Value>,
    running_count: u32,
    #[serde(skip_serializing_if = "absent_value")]
    scheduling_strategy: Option<Value>,
    service_arn: String,
    service_name: &'a str,
    #[serde(skip_serializing_if = "absent_value")]
    service_registries: Option<Value>,
    status: &'static str,
    /// `None` when DescribeServices is not asked to `include` them.
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<&'a [Tag]>,
    task_definition: String,
}

impl ServiceShape<'_> {
    /// Leaves `tags` out (DescribeServices without `include: [TAGS]`).
    pub fn without_tags(mut self) -> Self {
        self.tags = None;
        self
    }
}

/// A `Service`. The deployments listed are those ECS lists: the PRIMARY, and the previous
/// one (ACTIVE) while the PRIMARY's rollout is in progress. Counts are the reconciler's
/// last view (the runtime record).
pub fn service_shape<'a>(
    arns: &Arns,
    cluster: &str,
    name: &'a str,
    record: &'a ServiceRecord,
    runtime: &'a Runtime,
    cluster_default: &[CapacityProviderStrategyItem],
) -> ServiceShape<'a> {
    let progress = runtime.services.get(name);
    let counts = progress.and_then(|p| p.counts).unwrap_or_default();
    let running = counts.running;
    let pending = counts.pending + counts.unplaced;
    let primary_rollout = record
        .deployments
        .first()
        .and_then(|d| progress.and_then(|p| p.deployments.get(&d.id)))
        .map_or(RolloutState::InProgress, |p| p.rollout_state);
    let mut deployments = Vec::with_capacity(2);
    for (i, d) in record.deployments.iter().enumerate() {
        if i > 1 || (i == 1 && primary_rollout != RolloutState::InProgress) {
            break;
        }
        let p = progress.and_then(|p| p.deployments.get(&d.id));
        let (desired, run, pend) = if i == 0 {
            (record.desired_count, running, pending)
        } else {
            (0, 0, 0)
        };
        let revision = d.task_definition.revision.unwrap_or_default();
        deployments.push(DeploymentShape {
            created_at: seconds(d.created_at),
            desired_count: desired,
            failed_tasks: p.map_or(0, |p| p.failed_tasks),
            id: &d.id,
            launch_type: "EC2",
            pending_count: pend,
            rollout_state: p.map_or(RolloutState::InProgress, |p| p.rollout_state),
            rollout_state_reason: p.and_then(|p| p.rollout_state_reason.as_deref()),
            running_count: run,
            status: if i == 0 { "PRIMARY" } else { "ACTIVE" },
            task_definition: arns.task_definition(&d.task_definition.family, revision),
            updated_at: seconds(p.map_or(d.created_at, |p| p.updated_at)),
        });
    }
    let events = progress
        .map(|p| {
            p.events
                .iter()
                .rev()
                .map(|e| EventShape {
                    created_at: seconds(e.created_at),
                    id: &e.id,
                    message: &e.message,
                })
                .collect()
        })
        .unwrap_or_default();
    let spec = &record.spec;
    // A service that names neither a strategy nor a launch type places with the cluster's
    // default strategy, and ECS shows it as the service's own.
    let capacity_provider_strategy = if spec.capacity_provider_strategy.is_empty()
        && !effective::service_capacity_provider_strategy(spec, cluster_default).is_empty()
    {
        serde_json::to_value(cluster_default).ok().map(prune)
    } else {
        member(&spec.capacity_provider_strategy)
    };
    // ECS gives a service a launch type or a capacity provider strategy, never both.
    let launch_type = match (&spec.launch_type, &capacity_provider_strategy) {
        (Some(_), _) => member(&spec.launch_type),
        (None, None) => Some(Value::from("EC2")),
        (None, Some(_)) => None,
    };
    let deployment_controller = match spec.deployment_controller {
        Some(_) => member(&spec.deployment_controller),
        None => Some(json!({"type": "ECS"})),
    };
    let revision = record.task_definition.revision.unwrap_or_default();
    ServiceShape {
        availability_zone_rebalancing: member(&spec.availability_zone_rebalancing),
        capacity_provider_strategy,
        cluster_arn: arns.cluster(cluster),
        created_at: seconds(record.created_at),
        created_by: "ecsctl",
        deployment_configuration: member(&spec.deployment_configuration),
        deployment_controller,
        deployments,
        desired_count: record.desired_count,
        enable_ecs_managed_tags: member(&spec.enable_ecs_managed_tags),
        enable_execute_command: member(&spec.enable_execute_command),
        events,
        health_check_grace_period_seconds: member(&spec.health_check_grace_period_seconds),
        launch_type,
        load_balancers: member(&spec.load_balancers),
        network_configuration: member(&spec.network_configuration),
        pending_count: pending,
        placement_constraints: member(&spec.placement_constraints),
        placement_strategy: member(&spec.placement_strategy),
        platform_version: member(&spec.platform_version),
        propagate_tags: member(&spec.propagate_tags),
        running_count: running,
        scheduling_strategy: member(&spec.scheduling_strategy),
        service_arn: arns.service(cluster, name),
        service_name: name,
        service_registries: member(&spec.service_registries),
        status: match record.status {
            ServiceStatus::Active => "ACTIVE",
            ServiceStatus::Draining => "DRAINING",
        },
        tags: Some(&spec.tags),
        task_definition: arns.task_definition(&record.task_definition.family, revision),
    }
}

/// [`service_shape`] as a `Value`, for the writes (and the INACTIVE copy kept of a deleted
/// service).
pub fn service(
    arns: &Arns,
    cluster: &str,
    name: &str,
    record: &ServiceRecord,
    runtime: &Runtime,
    cluster_default: &[CapacityProviderStrategyItem],
) -> Value {
    serde_json::to_value(service_shape(
        arns,
        cluster,
        name,
        record,
        runtime,
        cluster_default,
    ))
    .map(prune)
    .unwrap_or_else(|_| json!({}))
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
    // A service's tasks are started by their deployment; a run's by whoever it says.
    let started_by = match &task.group {
        TaskGroup::Standalone(by) if !by.is_empty() => Some(by.clone()),
        _ => task.deployment.clone(),
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
        "startedBy": started_by,
        "launchType": task.launch_type,
        "capacityProviderName": view.capacity_provider_name,
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
        let arns = arns();
        let state = State::empty("l".into());
        let runtime = Runtime::default();
        let keys = |include: &[String]| {
            let counts = cluster_counts::counts(&state, &runtime, "default", None);
            let shape = cluster_shape(&arns, &state, &counts, "default").included(include);
            let value = serde_json::to_value(shape).expect("value");
            ["configuration", "settings", "statistics", "tags"]
                .into_iter()
                .filter(|k| value.get(*k).is_some())
                .collect::<Vec<_>>()
        };
        assert!(keys(&[]).is_empty());
        assert_eq!(
            keys(&["TAGS".into(), "SETTINGS".into()]),
            ["settings", "tags"]
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

    fn arns() -> Arns {
        Arns {
            region: "r".into(),
            account: "1".into(),
        }
    }

    /// A service with most members set, two deployments (the PRIMARY's rollout in
    /// progress: both listed) and events.
    fn busy_service() -> (ServiceRecord, Runtime) {
        let at = Timestamp::from_unix_millis;
        let spec = serde_json::from_value(json!({
            "taskDefinition": "web:2",
            "loadBalancers": [{"targetGroupArn": "tg", "containerName": "web", "containerPort": 80}],
            "capacityProviderStrategy": [{"capacityProvider": "cp", "weight": 1}],
            "deploymentConfiguration": {"maximumPercent": 200, "deploymentCircuitBreaker": {"enable": true, "rollback": true}},
            "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["s"]}},
            "deploymentController": {},
            "healthCheckGracePeriodSeconds": 5,
            "enableECSManagedTags": true,
            "tags": [{"key": "team", "value": "a"}],
        }))
        .expect("spec");
        let deployment = |id: &str, revision| crate::state::Deployment {
            id: id.into(),
            task_definition: crate::model::names::TaskDefRef {
                family: "web".into(),
                revision: Some(revision),
            },
            created_at: at(1_000 * u64::from(revision)),
            reason: "apply".into(),
        };
        let record = ServiceRecord {
            spec,
            task_definition: crate::model::names::TaskDefRef {
                family: "web".into(),
                revision: Some(2),
            },
            desired_count: 3,
            status: ServiceStatus::Active,
            deployments: vec![deployment("ecs-svc/2", 2), deployment("ecs-svc/1", 1)],
            created_at: at(500),
            updated_at: at(2_000),
        };
        let mut progress = crate::state::ServiceRuntime::default();
        progress.deployments.insert(
            "ecs-svc/2".into(),
            crate::state::DeploymentProgress {
                rollout_state: RolloutState::InProgress,
                rollout_state_reason: Some("starting".into()),
                failed_tasks: 1,
                updated_at: at(2_500),
                shift: None,
            },
        );
        for (i, message) in ["first", "second"].into_iter().enumerate() {
            progress.events.push_back(crate::state::Event {
                id: format!("e{i}"),
                created_at: at(3_000 + i as u64),
                message: message.into(),
                by_command: false,
            });
        }
        let mut runtime = Runtime::default();
        runtime.services.insert("web".into(), progress);
        (record, runtime)
    }

    #[test]
    fn a_typed_service_serializes_as_the_pruned_value_would() {
        let (record, runtime) = busy_service();
        let shape = service_shape(&arns(), "c", "web", &record, &runtime, &[]);
        let (typed, value) = crate::api::reply::canonical(&shape);
        assert_eq!(typed, value);
        let v: Value = serde_json::from_str(&typed).expect("json");
        // A capacity provider strategy, so no launch type; an empty controller is left out.
        assert!(v.get("launchType").is_none() && v.get("deploymentController").is_none());
        assert_eq!(v["deployments"].as_array().map(Vec::len), Some(2));
        assert_eq!(v["deployments"][0]["rolloutStateReason"], "starting");
        assert!(v["deployments"][1].get("rolloutStateReason").is_none());
        assert_eq!(v["events"][0]["message"], "second");
        assert_eq!(v["tags"], json!([{"key": "team", "value": "a"}]));
        assert_eq!(v["createdAt"], json!(0.5));
        let untagged = service_shape(&arns(), "c", "web", &record, &runtime, &[]).without_tags();
        let (typed, value) = crate::api::reply::canonical(&untagged);
        assert_eq!(typed, value);
        assert!(!typed.contains("\"tags\""));

        let plain = ServiceRecord {
            spec: Default::default(),
            ..record
        };
        let v = serde_json::to_value(service_shape(&arns(), "c", "web", &plain, &runtime, &[]))
            .expect("value");
        assert_eq!(v["launchType"], "EC2");
        assert_eq!(v["deploymentController"], json!({"type": "ECS"}));
    }

    #[test]
    fn a_typed_cluster_serializes_as_the_pruned_value_would() {
        let mut state = State::empty("l".into());
        let mut record = crate::state::ClusterRecord::new(
            crate::model::cluster::ClusterSpec::default(),
            Timestamp::from_unix_millis(0),
        );
        record.settings = vec![crate::model::cluster::ClusterSetting {
            name: Some("other".into()),
            value: None,
        }];
        state.clusters.insert("c".into(), record);
        let runtime = Runtime::default();
        let all = ["CONFIGURATIONS", "SETTINGS", "STATISTICS", "TAGS"].map(String::from);
        for include in [&all[..], &[]] {
            let counts = cluster_counts::counts(&state, &runtime, "c", None);
            let shape = cluster_shape(&arns(), &state, &counts, "c").included(include);
            let (typed, value) = crate::api::reply::canonical(&shape);
            assert_eq!(typed, value);
        }
    }

    #[test]
    fn timestamps_are_epoch_seconds() {
        assert_eq!(ts(Timestamp::from_unix_millis(1_500)), json!(1.5));
    }
}
