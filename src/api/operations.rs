//! One function per ECS operation: decode the request (typed, every problem named), call
//! the operations layer, build the response shape. Writes take their turn in the server's
//! [`WriteQueue`], run off the async threads (they take the state lock) and nudge the
//! reconcilers when they change something. Reads run on the async thread while the files
//! they need are parsed already ([`read_here`]); a changed file is parsed off it.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use super::arn::{self, Arns};
use super::error::ApiError;
use super::page::page;
use super::reply::{self, Failure, Listed, Reply};
use super::shapes;
use crate::model::cluster::{
    self as cluster_model, ClusterConfiguration, ClusterSetting, DEFAULT_CLUSTER,
};
use crate::model::de::decode as decode_node;
use crate::model::ecs::Tag;
use crate::model::node::DocPath;
use crate::ops::{self, Session, register};
use crate::reconcile::task::DesiredStatus;
use crate::state::cache::StateCache;
use crate::state::{RevisionStatus, ServiceStatus, State};

/// What every operation works with.
pub struct Api {
    pub session: Session,
    pub account: String,
    /// How long a write waits for the state lock.
    pub lock_timeout: Duration,
    /// Tells the reconcilers that the state changed.
    pub nudge: Arc<dyn Fn() + Send + Sync>,
    /// Services deleted through this server, still described (as INACTIVE).
    pub deleted: Deleted,
    /// The state and runtime files as last parsed: reads parse them only when they change.
    pub cache: StateCache,
    /// Writes take their turn here before the state lock.
    pub writes: WriteQueue,
}

/// The server's writes, one at a time and first come first served. The state lock's own
/// wait polls (it is a `flock` shared with other processes), so under many concurrent
/// writers an unlucky one could poll past its timeout while later ones got the lock: at 16
/// connections, RegisterTaskDefinition answered a few `ServerException: the state is locked
/// by pid <this server>`. In line here, a write waits for the ones before it (at most the
/// lock timeout), then finds the lock free unless another process holds it.
#[derive(Default)]
pub struct WriteQueue(Arc<tokio::sync::Mutex<()>>);

impl WriteQueue {
    /// Waits for this write's turn, at most `timeout`; the turn lasts as long as the guard.
    async fn turn(&self, timeout: Duration) -> Result<tokio::sync::OwnedMutexGuard<()>, ApiError> {
        tokio::time::timeout(timeout, self.0.clone().lock_owned())
            .await
            .map_err(|_| {
                ApiError::server(format!(
                    "the state is busy: other writes of this server held it for {}",
                    humantime::format_duration(timeout)
                ))
            })
    }
}

/// How long a deleted service stays describable as INACTIVE.
pub const INACTIVE_RETENTION: Duration = Duration::from_secs(3600);

/// Services deleted through the API: ECS keeps answering DescribeServices for a deleted
/// service with `status: INACTIVE` for a while (Terraform's destroy waits for it), after the
/// state has forgotten it. Kept in memory: a restarted server, or a service deleted with
/// `ecsctl delete`, answers MISSING instead.
#[derive(Default)]
pub struct Deleted(Mutex<BTreeMap<(String, String), (Instant, Value)>>);

impl Deleted {
    fn remember(&self, cluster: &str, name: &str, mut shape: Value) {
        for (k, v) in [
            ("status", json!("INACTIVE")),
            ("desiredCount", json!(0)),
            ("runningCount", json!(0)),
            ("pendingCount", json!(0)),
            ("deployments", json!([])),
        ] {
            shape[k] = v;
        }
        if let Ok(mut map) = self.0.lock() {
            map.retain(|_, (at, _)| at.elapsed() < INACTIVE_RETENTION);
            map.insert(
                (cluster.to_string(), name.to_string()),
                (Instant::now(), shape),
            );
        }
    }

    fn get(&self, cluster: &str, name: &str) -> Option<Value> {
        let map = self.0.lock().ok()?;
        map.get(&(cluster.to_string(), name.to_string()))
            .filter(|(at, _)| at.elapsed() < INACTIVE_RETENTION)
            .map(|(_, shape)| shape.clone())
    }
}

/// The operations ecsctl answers.
pub const OPERATIONS: [&str; 27] = [
    "CreateCluster",
    "UpdateCluster",
    "UpdateClusterSettings",
    "DeleteCluster",
    "DescribeClusters",
    "ListClusters",
    "RegisterTaskDefinition",
    "DeregisterTaskDefinition",
    "DeleteTaskDefinitions",
    "DescribeTaskDefinition",
    "ListTaskDefinitions",
    "ListTaskDefinitionFamilies",
    "CreateService",
    "UpdateService",
    "DeleteService",
    "DescribeServices",
    "ListServices",
    "ListTasks",
    "DescribeTasks",
    "ListContainerInstances",
    "DescribeContainerInstances",
    "UpdateContainerInstancesState",
    "ListTagsForResource",
    "TagResource",
    "UntagResource",
    "StopTask",
    "RunTask",
];

type Out = Result<Value, ApiError>;

/// A read's answer, serialized from typed shapes (see [`super::reply`]).
type Read = Result<Reply, ApiError>;

/// Runs `operation` on `body` (JSON text).
pub async fn dispatch(
    api: Arc<Api>,
    arns: Arns,
    operation: &str,
    body: String,
) -> Result<Reply, ApiError> {
    let body = if body.trim().is_empty() {
        "{}".to_string()
    } else {
        body
    };
    let blocking = |f: fn(&Api, &Arns, &str) -> Out| {
        let (api, arns, body) = (&api, &arns, &body);
        async move {
            let turn = api.writes.turn(api.lock_timeout).await?;
            off_thread(api, arns, body, Some(turn), f)
                .await
                .map(Reply::Value)
        }
    };
    let read = |f: fn(&Api, &Arns, &str) -> Read| read_here(&api, &arns, &body, f);
    let read_value = |f: fn(&Api, &Arns, &str) -> Out| {
        let (api, arns, body) = (&api, &arns, &body);
        async move { off_thread(api, arns, body, None, f).await.map(Reply::Value) }
    };
    let value = |out: Out| out.map(Reply::Value);
    match operation {
        "CreateCluster" => blocking(create_cluster).await,
        "UpdateCluster" => blocking(update_cluster).await,
        "UpdateClusterSettings" => blocking(update_cluster_settings).await,
        "DeleteCluster" => blocking(delete_cluster).await,
        "DescribeClusters" => describe_clusters(&api, &arns, &body).await,
        "ListClusters" => read(list_clusters).await,
        "RegisterTaskDefinition" => blocking(register_task_definition).await,
        "DeregisterTaskDefinition" => blocking(deregister_task_definition).await,
        "DeleteTaskDefinitions" => blocking(delete_task_definitions).await,
        "DescribeTaskDefinition" => read(describe_task_definition).await,
        "ListTaskDefinitions" => read(list_task_definitions).await,
        "ListTaskDefinitionFamilies" => read(list_task_definition_families).await,
        "CreateService" => blocking(create_service).await,
        "UpdateService" => blocking(update_service).await,
        "DeleteService" => blocking(delete_service).await,
        "DescribeServices" => read(describe_services).await,
        "ListServices" => read(list_services).await,
        "ListTagsForResource" => read_value(list_tags).await,
        "TagResource" => blocking(tag_resource).await,
        "UntagResource" => blocking(untag_resource).await,
        "StopTask" => value(stop_task(&api, &arns, &body).await),
        "RunTask" => value(run_task(&api, &arns, &body).await),
        "ListTasks" => list_tasks(&api, &arns, &body).await,
        "DescribeTasks" => describe_tasks(&api, &arns, &body).await,
        "ListContainerInstances" => value(list_container_instances(&api, &arns, &body).await),
        "DescribeContainerInstances" => {
            value(describe_container_instances(&api, &arns, &body).await)
        }
        "UpdateContainerInstancesState" => {
            value(update_container_instances_state(&api, &arns, &body).await)
        }
        other => Err(ApiError::unknown_operation(other)),
    }
}

/// Runs `f` on the blocking pool: it reads files, and writes wait for the state lock. A
/// write's `turn` is held until `f` returns, even when the client goes away meanwhile.
async fn off_thread<R: Send + 'static>(
    api: &Arc<Api>,
    arns: &Arns,
    body: &str,
    turn: Option<tokio::sync::OwnedMutexGuard<()>>,
    f: fn(&Api, &Arns, &str) -> Result<R, ApiError>,
) -> Result<R, ApiError> {
    let (api, arns, body) = (api.clone(), arns.clone(), body.to_string());
    tokio::task::spawn_blocking(move || {
        let out = f(&api, &arns, &body);
        drop(turn);
        out
    })
    .await
    .map_err(|e| ApiError::server(format!("the operation did not finish: {e}")))?
}

thread_local! {
    /// Set while a read runs on an async thread ([`read_here`]): the state and runtime
    /// files are then taken from the cache only if unchanged, never parsed.
    static ON_ASYNC_THREAD: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// What a read on an async thread answers when a file it needs changed: it runs again on
/// the blocking pool, which parses it. Never sent.
const PARSE_OFF_THREAD: &str = "ecsctl.ParseOffThread";

/// Runs the read `f` here, on the async thread, when every file it needs is parsed already
/// (costing one `stat` each); else on the blocking pool. Most reads find the files unchanged,
/// and skip two thread hand-offs: at 16 connections on 2 cores those hand-offs were a fifth
/// of the server's time and most of its latency tail (issue 11).
async fn read_here(
    api: &Arc<Api>,
    arns: &Arns,
    body: &str,
    f: fn(&Api, &Arns, &str) -> Read,
) -> Read {
    let here = {
        let _flag = AsyncThreadFlag::set();
        f(api, arns, body)
    };
    match here {
        Err(e) if e.code == PARSE_OFF_THREAD => off_thread(api, arns, body, None, f).await,
        other => other,
    }
}

/// [`ON_ASYNC_THREAD`] while it lives (cleared however the read ends).
struct AsyncThreadFlag;

impl AsyncThreadFlag {
    fn set() -> Self {
        ON_ASYNC_THREAD.with(|on| on.set(true));
        AsyncThreadFlag
    }
}

impl Drop for AsyncThreadFlag {
    fn drop(&mut self) {
        ON_ASYNC_THREAD.with(|on| on.set(false));
    }
}

fn on_async_thread() -> bool {
    ON_ASYNC_THREAD.with(std::cell::Cell::get)
}

fn parse_off_thread() -> ApiError {
    ApiError::client(
        PARSE_OFF_THREAD,
        "a file changed: parsed off the async threads",
    )
}

/// How often the server looks for deleted task definition revisions nothing uses any more.
pub const REVISIONS_LOOK_INTERVAL: Duration = Duration::from_secs(30);

/// Removes, every [`REVISIONS_LOOK_INTERVAL`], the DELETE_IN_PROGRESS revisions that no task
/// or service has used on two looks in a row ([`ops::revisions`]). Runs until dropped.
pub async fn remove_unused_revisions(api: Arc<Api>) {
    let mut before = Vec::new();
    let mut every = tokio::time::interval(REVISIONS_LOOK_INTERVAL);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        match look_at_revisions(&api, &before).await {
            Ok(removal) => {
                for r in &removal.removed {
                    tracing::info!("task definition `{r}` removed: deleted, and nothing uses it");
                }
                before = removal.waiting;
            }
            Err(e) => tracing::warn!("looking at deleted task definitions: {}", e.message),
        }
    }
}

async fn look_at_revisions(
    api: &Arc<Api>,
    before: &[crate::model::names::TaskDefRef],
) -> Result<ops::revisions::Removal, ApiError> {
    let state = cached_state(api).await?;
    let Some(in_use) = ops::revisions::in_use(&api.session, &state).await? else {
        return Ok(Default::default());
    };
    let turn = api.writes.turn(api.lock_timeout).await?;
    let (api, before) = (api.clone(), before.to_vec());
    tokio::task::spawn_blocking(move || {
        let _turn = turn;
        ops::revisions::remove_unused(&api.session, &in_use, &before, api.lock_timeout)
    })
    .await
    .map_err(|e| ApiError::server(e.to_string()))?
    .map_err(ApiError::from)
}

/// The request as JSON (bad JSON is a `SerializationException`).
fn object(body: &str) -> Result<Map<String, Value>, ApiError> {
    match serde_json::from_str::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::serialization(
            "the request body must be a JSON object",
        )),
        Err(e) => Err(ApiError::serialization(format!(
            "the request body is not valid JSON: {e}"
        ))),
    }
}

/// The request as a typed value: wrong types are `SerializationException`, unknown members
/// `InvalidParameterException`, each naming the member.
fn decode<T: DeserializeOwned>(body: &str) -> Result<T, ApiError> {
    // What `object` checks, without building the `Value` (the same parser says the same
    // about bad JSON).
    if let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(body) {
        return Err(ApiError::serialization(format!(
            "the request body is not valid JSON: {e}"
        )));
    }
    if !body.trim_start().starts_with('{') {
        return Err(ApiError::serialization(
            "the request body must be a JSON object",
        ));
    }
    let parsed = crate::model::json::parse(body);
    if let Some(error) = parsed.errors.first() {
        return Err(ApiError::serialization(error.message.clone()));
    }
    let Some(node) = parsed.documents.first() else {
        return Err(ApiError::serialization("the request body is empty"));
    };
    let (value, issues) = decode_node::<T>(node, &DocPath::root());
    if let Some(issue) = issues.iter().find(|i| i.is_error()) {
        let message = format!(
            "`{}`: {}{}",
            issue.path,
            issue.message,
            issue
                .help
                .as_deref()
                .map(|h| format!(" ({h})"))
                .unwrap_or_default()
        );
        return Err(if issue.message.contains("unknown field") {
            ApiError::invalid(message)
        } else {
            ApiError::serialization(message)
        });
    }
    value.ok_or_else(|| ApiError::serialization("the request could not be read"))
}

/// The state as recorded now (shared: parsed again only when the file was replaced).
fn state(api: &Api) -> Result<Arc<State>, ApiError> {
    if on_async_thread() {
        return api
            .cache
            .state_if_unchanged(&api.session.store)
            .ok_or_else(parse_off_thread);
    }
    Ok(api
        .cache
        .state(&api.session.store)
        .map_err(ops::OpsError::Other)?)
}

fn cluster_or_default(cluster: Option<&str>) -> Result<String, ApiError> {
    match cluster {
        Some(c) if !c.is_empty() => arn::cluster_name(c),
        _ => Ok(DEFAULT_CLUSTER.to_string()),
    }
}

fn known_cluster(state: &State, cluster: Option<&str>) -> Result<String, ApiError> {
    let name = cluster_or_default(cluster)?;
    ops::resolve::cluster(state, &name)?;
    Ok(name)
}

fn runtime(api: &Api, cluster: &str) -> Result<Arc<crate::state::Runtime>, ApiError> {
    if on_async_thread() {
        return api
            .cache
            .runtime_if_unchanged(&api.session.store, cluster)
            .ok_or_else(parse_off_thread);
    }
    Ok(api
        .cache
        .runtime(&api.session.store, cluster)
        .map_err(ops::OpsError::Other)?)
}

/// `{MEMBER: items, "failures": failures}`, moving the shapes (`json!` would copy them).
fn listed(member: &str, items: Vec<Value>, failures: Vec<Value>) -> Value {
    let mut map = Map::new();
    map.insert(member.to_string(), Value::Array(items));
    map.insert("failures".to_string(), Value::Array(failures));
    Value::Object(map)
}

fn failure(arn: String, reason: &str) -> Value {
    json!({"arn": arn, "reason": reason})
}

/// Every value of `include` must be one of `allowed` (named in the error).
fn check_include(include: &[String], allowed: &[&str]) -> Result<(), ApiError> {
    match include.iter().find(|i| !allowed.contains(&i.as_str())) {
        Some(bad) => Err(ApiError::invalid(format!(
            "`include`: `{bad}` is not one of {}",
            allowed.join(", ")
        ))),
        None => Ok(()),
    }
}

/// At most `max` items in the list member `member`.
fn at_most<T>(items: &[T], max: usize, member: &str) -> Result<(), ApiError> {
    if items.len() > max {
        return Err(ApiError::invalid(format!(
            "`{member}`: at most {max} per request (found {})",
            items.len()
        )));
    }
    Ok(())
}

/// ECS's rules for tags: at most 50, each with a key of 1 to 128 characters and a value of
/// at most 256.
fn check_tags(tags: &[Tag], member: &str) -> Result<(), ApiError> {
    at_most(tags, 50, member)?;
    for (i, tag) in tags.iter().enumerate() {
        let key = tag.key.as_deref().unwrap_or_default();
        if key.is_empty() || key.chars().count() > 128 {
            return Err(ApiError::invalid(format!(
                "`{member}[{i}].key`: every tag needs a key of 1 to 128 characters (found {})",
                json!(tag)
            )));
        }
        if tag.value.as_deref().unwrap_or_default().chars().count() > 256 {
            return Err(ApiError::invalid(format!(
                "`{member}[{i}].value`: a tag value has at most 256 characters"
            )));
        }
    }
    Ok(())
}

// ---- clusters ----

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct CreateClusterRequest {
    cluster_name: Option<String>,
    tags: Vec<Tag>,
    settings: Vec<ClusterSetting>,
    configuration: Option<ClusterConfiguration>,
    capacity_providers: Vec<String>,
    default_capacity_provider_strategy: Vec<Value>,
    service_connect_defaults: Option<Value>,
}

/// Settings and configuration checked (every problem named) before anything is written;
/// `settings` merged into `into`.
fn checked_settings(
    into: &mut Vec<ClusterSetting>,
    settings: &[ClusterSetting],
    configuration: Option<&ClusterConfiguration>,
) -> Result<(), ApiError> {
    cluster_model::merge_settings(into, settings).map_err(ApiError::invalid)?;
    if let Some(c) = configuration {
        cluster_model::check_configuration(c).map_err(ApiError::invalid)?;
    }
    Ok(())
}

fn create_cluster(api: &Api, arns: &Arns, body: &str) -> Out {
    let request: CreateClusterRequest = decode(body)?;
    let name = request
        .cluster_name
        .unwrap_or_else(|| DEFAULT_CLUSTER.to_string());
    check_tags(&request.tags, "tags")?;
    let mut settings = Vec::new();
    checked_settings(
        &mut settings,
        &request.settings,
        request.configuration.as_ref(),
    )?;
    register::create_cluster(&api.session, &name, api.lock_timeout)?;
    if !request.tags.is_empty() || !settings.is_empty() || request.configuration.is_some() {
        register::change_cluster(
            &api.session,
            &name,
            |record| {
                Retag::Set(request.tags).apply(&mut record.tags);
                for s in settings {
                    match record.settings.iter_mut().find(|o| o.name == s.name) {
                        Some(old) => *old = s,
                        None => record.settings.push(s),
                    }
                }
                record.settings.sort_by(|a, b| a.name.cmp(&b.name));
                if request.configuration.is_some() {
                    record.configuration = request.configuration;
                }
            },
            api.lock_timeout,
        )?;
    }
    (api.nudge)();
    let state = state(api)?;
    Ok(json!({"cluster": shapes::cluster(arns, &state, &*runtime(api, &name)?, &name)}))
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct UpdateClusterRequest {
    cluster: Option<String>,
    settings: Option<Vec<ClusterSetting>>,
    configuration: Option<ClusterConfiguration>,
    service_connect_defaults: Option<Value>,
}

/// `UpdateCluster`: `settings` are merged by name, `configuration` replaces the cluster's.
/// Service Connect defaults need a Cloud Map namespace, which ecsctl does not have.
fn update_cluster(api: &Api, arns: &Arns, body: &str) -> Out {
    let request: UpdateClusterRequest = decode(body)?;
    let text = required(&request.cluster, "cluster")?;
    if request.service_connect_defaults.is_some() {
        return Err(ApiError::client(
            "NamespaceNotFoundException",
            "`serviceConnectDefaults`: ecsctl has no Cloud Map namespaces",
        ));
    }
    let name = arn::cluster_name(text)?;
    ops::resolve::cluster(&*state(api)?, &name)?;
    let settings = request.settings.unwrap_or_default();
    checked_settings(&mut Vec::new(), &settings, request.configuration.as_ref())?;
    register::change_cluster(
        &api.session,
        &name,
        |record| {
            // Checked above: merging cannot fail.
            let _ = cluster_model::merge_settings(&mut record.settings, &settings);
            if request.configuration.is_some() {
                record.configuration = request.configuration;
            }
        },
        api.lock_timeout,
    )?;
    let state = state(api)?;
    Ok(json!({"cluster": shapes::cluster(arns, &state, &*runtime(api, &name)?, &name)}))
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct UpdateClusterSettingsRequest {
    cluster: Option<String>,
    settings: Option<Vec<ClusterSetting>>,
}

/// `UpdateClusterSettings`: UpdateCluster with `settings` alone (and required).
fn update_cluster_settings(api: &Api, arns: &Arns, body: &str) -> Out {
    let request: UpdateClusterSettingsRequest = decode(body)?;
    required(&request.cluster, "cluster")?;
    let Some(settings) = request.settings else {
        return Err(ApiError::invalid("`settings` is required"));
    };
    let body = json!({"cluster": request.cluster, "settings": settings}).to_string();
    update_cluster(api, arns, &body)
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct ClusterRequest {
    cluster: Option<String>,
}

fn delete_cluster(api: &Api, arns: &Arns, body: &str) -> Out {
    let request: ClusterRequest = decode(body)?;
    let state = state(api)?;
    let name = known_cluster(&state, request.cluster.as_deref())?;
    let mut shape = shapes::cluster(arns, &state, &*runtime(api, &name)?, &name);
    register::delete_cluster(&api.session, &name, api.lock_timeout)?;
    (api.nudge)();
    shape["status"] = json!("INACTIVE");
    Ok(json!({ "cluster": shape }))
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct DescribeClustersRequest {
    clusters: Vec<String>,
    include: Vec<String>,
}

/// `DescribeClusters`: the counts are of the tasks on the clusters' hosts now (see
/// [`ops::cluster_counts`]).
async fn describe_clusters(api: &Arc<Api>, arns: &Arns, body: &str) -> Read {
    let request: DescribeClustersRequest = decode(body)?;
    check_include(
        &request.include,
        &[
            "ATTACHMENTS",
            "CONFIGURATIONS",
            "SETTINGS",
            "STATISTICS",
            "TAGS",
        ],
    )?;
    at_most(&request.clusters, 100, "clusters")?;
    let state = cached_state(api).await?;
    let names = if request.clusters.is_empty() {
        vec![DEFAULT_CLUSTER.to_string()]
    } else {
        request.clusters
    };
    let existing = state.cluster_names();
    let mut found = Vec::new();
    let mut failures = Vec::new();
    for text in names {
        let name = arn::cluster_name(&text)?;
        if existing.contains(&name) {
            let runtime = {
                let (api, name) = (api.clone(), name.clone());
                tokio::task::spawn_blocking(move || runtime(&api, &name))
                    .await
                    .map_err(|e| ApiError::server(e.to_string()))??
            };
            let counts =
                ops::cluster_counts::observe(&api.session, &state, &runtime, &name).await?;
            found.push((name, counts));
        } else {
            failures.push(Failure {
                arn: arns.cluster(&name),
                reason: "MISSING",
            });
        }
    }
    let clusters: Vec<_> = found
        .iter()
        .map(|(name, counts)| {
            shapes::cluster_shape(arns, &state, counts, name).included(&request.include)
        })
        .collect();
    reply::json(&Listed {
        member: "clusters",
        items: &clusters,
        failures: &failures,
    })
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct ListRequest {
    cluster: Option<String>,
    max_results: Option<i32>,
    next_token: Option<String>,
    launch_type: Option<String>,
    scheduling_strategy: Option<String>,
    resource_management_type: Option<String>,
}

fn list_clusters(api: &Api, arns: &Arns, body: &str) -> Read {
    let request: ListRequest = decode(body)?;
    let state = state(api)?;
    let items = state
        .cluster_names()
        .into_iter()
        .map(|n| (n.clone(), n))
        .collect();
    let p = page(
        items,
        request.max_results,
        request.next_token.as_deref(),
        100,
    )?;
    let arns: Vec<String> = p.items.iter().map(|n| arns.cluster(n)).collect();
    arn_list("clusterArns", &arns, p.next_token.as_deref())
}

/// A list answer; its ARNs are made for one page, not for every object listed.
fn arn_list(member: &'static str, arns: &[String], next_token: Option<&str>) -> Read {
    reply::json(&reply::Arns {
        member,
        arns,
        next_token,
    })
}

// ---- task definitions ----

fn register_task_definition(api: &Api, arns: &Arns, body: &str) -> Out {
    object(body)?;
    let registered = register::register_task_definition(&api.session, body, api.lock_timeout)?;
    Ok(json!({
        "taskDefinition": shapes::task_definition(arns, &registered.family, &registered.revision),
        "tags": shapes::tags_of(&registered.revision),
    }))
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct TaskDefinitionRequest {
    task_definition: Option<String>,
    include: Vec<String>,
}

fn required<'a>(value: &'a Option<String>, member: &str) -> Result<&'a str, ApiError> {
    value
        .as_deref()
        .filter(|v| !v.is_empty())
        .ok_or_else(|| ApiError::invalid(format!("`{member}` is required")))
}

fn deregister_task_definition(api: &Api, arns: &Arns, body: &str) -> Out {
    let request: TaskDefinitionRequest = decode(body)?;
    let text = required(&request.task_definition, "taskDefinition")?;
    let r = register::deregister_task_definition(&api.session, text, api.lock_timeout)?;
    Ok(json!({"taskDefinition": shapes::task_definition(arns, &r.family, &r.revision)}))
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct DeleteTaskDefinitionsRequest {
    task_definitions: Vec<String>,
}

/// `DeleteTaskDefinitions`: INACTIVE revisions become DELETE_IN_PROGRESS; the others are
/// listed in `failures`.
fn delete_task_definitions(api: &Api, arns: &Arns, body: &str) -> Out {
    let request: DeleteTaskDefinitionsRequest = decode(body)?;
    if request.task_definitions.is_empty() {
        return Err(ApiError::invalid("`taskDefinitions` is required"));
    }
    at_most(&request.task_definitions, 10, "taskDefinitions")?;
    let references = request
        .task_definitions
        .iter()
        .map(|t| {
            t.parse::<crate::model::names::TaskDefRef>()
                .map_err(|e| ApiError::invalid(format!("`taskDefinitions`: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let done = register::delete_task_definitions(&api.session, &references, api.lock_timeout)?;
    let deleted: Vec<Value> = done
        .deleted
        .iter()
        .map(|r| shapes::task_definition(arns, &r.family, &r.revision))
        .collect();
    let failures: Vec<Value> = done
        .failures
        .iter()
        .map(|(r, reason)| {
            failure(
                arns.task_definition(&r.family, r.revision.unwrap_or_default()),
                reason,
            )
        })
        .collect();
    Ok(listed("taskDefinitions", deleted, failures))
}

fn describe_task_definition(api: &Api, arns: &Arns, body: &str) -> Read {
    let request: TaskDefinitionRequest = decode(body)?;
    let text = required(&request.task_definition, "taskDefinition")?;
    check_include(&request.include, &["TAGS"])?;
    let state = state(api)?;
    let reference: crate::model::names::TaskDefRef = text.parse().map_err(ApiError::invalid)?;
    let family = ops::resolve::family(&state, &reference.family)?;
    let revision = match reference.revision {
        Some(n) => family.revisions.iter().find(|r| r.revision == n),
        None => family.latest_active(),
    }
    .ok_or_else(|| {
        ApiError::client(
            "ClientException",
            format!("no task definition `{reference}`: unable to describe task definition"),
        )
    })?;
    let tags = request.include.iter().any(|i| i == "TAGS");
    reply::json(&shapes::DescribedTaskDefinition {
        tags: tags.then_some(revision.spec.tags.as_slice()),
        task_definition: shapes::task_definition(arns, &reference.family, revision),
    })
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct ListTaskDefinitionsRequest {
    family_prefix: Option<String>,
    status: Option<String>,
    sort: Option<String>,
    max_results: Option<i32>,
    next_token: Option<String>,
}

fn status_filter(status: Option<&str>) -> Result<Option<RevisionStatus>, ApiError> {
    match status {
        None | Some("ACTIVE") => Ok(Some(RevisionStatus::Active)),
        Some("INACTIVE") => Ok(Some(RevisionStatus::Inactive)),
        Some("DELETE_IN_PROGRESS") => Ok(Some(RevisionStatus::DeleteInProgress)),
        Some("ALL") => Ok(None),
        Some(other) => Err(ApiError::invalid(format!(
            "`status`: `{other}` is not one of ACTIVE, INACTIVE, DELETE_IN_PROGRESS (ALL for families)"
        ))),
    }
}

fn list_task_definitions(api: &Api, arns: &Arns, body: &str) -> Read {
    let request: ListTaskDefinitionsRequest = decode(body)?;
    let status = status_filter(request.status.as_deref())?;
    let descending = match request.sort.as_deref() {
        None | Some("ASC") => false,
        Some("DESC") => true,
        Some(other) => {
            return Err(ApiError::invalid(format!(
                "`sort`: `{other}` is not ASC or DESC"
            )));
        }
    };
    let state = state(api)?;
    let mut items = Vec::new();
    for (family, record) in &state.task_definitions {
        if request
            .family_prefix
            .as_deref()
            .is_some_and(|p| family != p)
        {
            continue;
        }
        for r in &record.revisions {
            if status.is_some_and(|s| s != r.status) {
                continue;
            }
            // Keys sort by family, then revision number (zero-padded).
            let key = format!("{family}:{:010}", r.revision);
            let key = if descending { invert(&key) } else { key };
            items.push((key, (family.as_str(), r.revision)));
        }
    }
    let p = page(
        items,
        request.max_results,
        request.next_token.as_deref(),
        100,
    )?;
    let arns: Vec<String> = p
        .items
        .iter()
        .map(|(family, revision)| arns.task_definition(family, *revision))
        .collect();
    arn_list("taskDefinitionArns", &arns, p.next_token.as_deref())
}

/// A key that sorts in the opposite order (for `sort: DESC`).
fn invert(key: &str) -> String {
    key.chars()
        .map(|c| char::from_u32(0x10_FFFF - c as u32).unwrap_or(c))
        .collect()
}

fn list_task_definition_families(api: &Api, _arns: &Arns, body: &str) -> Read {
    let request: ListTaskDefinitionsRequest = decode(body)?;
    if request.sort.is_some() {
        return Err(ApiError::invalid(
            "`sort` is not a member of ListTaskDefinitionFamilies",
        ));
    }
    let status = status_filter(request.status.as_deref())?;
    let state = state(api)?;
    let items = state
        .task_definitions
        .iter()
        .filter(|(f, _)| {
            request
                .family_prefix
                .as_deref()
                .is_none_or(|p| f.starts_with(p))
        })
        // A family whose every revision was removed is gone, as in ECS.
        .filter(|(_, r)| !r.revisions.is_empty())
        .filter(|(_, r)| {
            let active = r.latest_active().is_some();
            match status {
                None => true,
                Some(RevisionStatus::Active) => active,
                Some(RevisionStatus::Inactive) => {
                    !active
                        && r.revisions
                            .iter()
                            .any(|x| x.status == RevisionStatus::Inactive)
                }
                Some(RevisionStatus::DeleteInProgress) => r
                    .revisions
                    .iter()
                    .any(|x| x.status == RevisionStatus::DeleteInProgress),
            }
        })
        .map(|(f, _)| (f.clone(), f.clone()))
        .collect();
    let p = page(
        items,
        request.max_results,
        request.next_token.as_deref(),
        100,
    )?;
    arn_list("families", &p.items, p.next_token.as_deref())
}

// ---- services ----

fn service_out(api: &Api, arns: &Arns, written: &register::ServiceWritten) -> Out {
    let runtime = runtime(api, &written.cluster)?;
    let state = state(api)?;
    Ok(json!({
        "service": shapes::service(
            arns,
            &written.cluster,
            &written.name,
            &written.record,
            &runtime,
            default_strategy(&state, &written.cluster),
        )
    }))
}

/// The cluster's `defaultCapacityProviderStrategy` (none for the embedded default cluster).
fn default_strategy<'a>(
    state: &'a State,
    cluster: &str,
) -> &'a [crate::model::ecs::CapacityProviderStrategyItem] {
    state.clusters.get(cluster).map_or(&[][..], |r| {
        r.spec.default_capacity_provider_strategy.as_slice()
    })
}

fn create_service(api: &Api, arns: &Arns, body: &str) -> Out {
    let mut map = object(body)?;
    if let Some(Value::String(c)) = map.get("cluster") {
        let name = arn::cluster_name(c)?;
        map.insert("cluster".into(), name.into());
    }
    if !map.contains_key("serviceName") {
        return Err(ApiError::invalid("`serviceName` is required"));
    }
    let text = Value::Object(map).to_string();
    let written = register::create_service(&api.session, &text, api.lock_timeout)?;
    (api.nudge)();
    service_out(api, arns, &written)
}

fn take_string(map: &mut Map<String, Value>, key: &str) -> Result<Option<String>, ApiError> {
    match map.remove(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(ApiError::serialization(format!(
            "`{key}`: expected a string, found {other}"
        ))),
    }
}

/// The service a request names (`service` as name or ARN, `cluster` as name or ARN).
fn service_target(
    cluster: Option<String>,
    service: Option<String>,
) -> Result<(Option<String>, String), ApiError> {
    let service = required(&service, "service")?;
    let (from_arn, name) = arn::service_name(service)?;
    let cluster = match cluster {
        Some(c) => Some(arn::cluster_name(&c)?),
        None => from_arn.or(Some(DEFAULT_CLUSTER.to_string())),
    };
    Ok((cluster, name))
}

fn check_cluster(api: &Api, cluster: Option<&str>) -> Result<(), ApiError> {
    if let Some(c) = cluster {
        ops::resolve::cluster(&*state(api)?, c)?;
    }
    Ok(())
}

fn update_service(api: &Api, arns: &Arns, body: &str) -> Out {
    let mut map = object(body)?;
    let cluster = take_string(&mut map, "cluster")?;
    let service = take_string(&mut map, "service")?;
    let force = match map.remove("forceNewDeployment") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => b,
        Some(other) => {
            return Err(ApiError::serialization(format!(
                "`forceNewDeployment`: expected a boolean, found {other}"
            )));
        }
    };
    for key in ["serviceName", "clientToken"] {
        if map.contains_key(key) {
            return Err(ApiError::invalid(format!(
                "`{key}` is not a member of UpdateService"
            )));
        }
    }
    let (cluster, name) = service_target(cluster, service)?;
    check_cluster(api, cluster.as_deref())?;
    let written = register::update_service(
        &api.session,
        cluster.as_deref(),
        &name,
        map,
        force,
        api.lock_timeout,
    )?;
    (api.nudge)();
    service_out(api, arns, &written)
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct DeleteServiceRequest {
    cluster: Option<String>,
    service: Option<String>,
    force: Option<bool>,
}

fn delete_service(api: &Api, arns: &Arns, body: &str) -> Out {
    let request: DeleteServiceRequest = decode(body)?;
    let (cluster, name) = service_target(request.cluster, request.service)?;
    check_cluster(api, cluster.as_deref())?;
    let written = register::delete_service(
        &api.session,
        cluster.as_deref(),
        &name,
        request.force.unwrap_or(false),
        api.lock_timeout,
    )?;
    (api.nudge)();
    let out = service_out(api, arns, &written)?;
    api.deleted
        .remember(&written.cluster, &written.name, out["service"].clone());
    Ok(out)
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct DescribeServicesRequest {
    cluster: Option<String>,
    services: Vec<String>,
    include: Vec<String>,
}

fn describe_services(api: &Api, arns: &Arns, body: &str) -> Read {
    let request: DescribeServicesRequest = decode(body)?;
    if request.services.is_empty() {
        return Err(ApiError::invalid("`services` is required"));
    }
    at_most(&request.services, 10, "services")?;
    check_include(&request.include, &["TAGS"])?;
    let tags = request.include.iter().any(|i| i == "TAGS");
    let state = state(api)?;
    let cluster = known_cluster(&state, request.cluster.as_deref())?;
    let runtime = runtime(api, &cluster)?;
    let defaults = default_strategy(&state, &cluster);
    let mut services = Vec::with_capacity(request.services.len());
    let mut failures = Vec::new();
    for text in &request.services {
        let (_, name) = arn::service_name(text)?;
        match state
            .services
            .get_key_value(&cluster)
            .and_then(|(_, s)| s.get_key_value(&name))
        {
            Some((name, record)) => {
                let shape = shapes::service_shape(arns, &cluster, name, record, &runtime, defaults);
                services.push(Described::Live(if tags {
                    shape
                } else {
                    shape.without_tags()
                }));
            }
            None => match api.deleted.get(&cluster, &name) {
                Some(mut shape) => {
                    if !tags && let Some(map) = shape.as_object_mut() {
                        map.remove("tags");
                    }
                    services.push(Described::Deleted(shape));
                }
                None => failures.push(Failure {
                    arn: arns.service(&cluster, &name),
                    reason: "MISSING",
                }),
            },
        }
    }
    reply::json(&Listed {
        member: "services",
        items: &services,
        failures: &failures,
    })
}

/// A service of DescribeServices: in the state, or deleted through this server (INACTIVE).
// One page of a request's services, serialized at once: boxing the live shape would cost an
// allocation per service for no saving.
#[allow(clippy::large_enum_variant)]
#[derive(serde::Serialize)]
#[serde(untagged)]
enum Described<'a> {
    Live(shapes::ServiceShape<'a>),
    Deleted(Value),
}

fn list_services(api: &Api, arns: &Arns, body: &str) -> Read {
    let request: ListRequest = decode(body)?;
    let state = state(api)?;
    let cluster = known_cluster(&state, request.cluster.as_deref())?;
    let items = state
        .services
        .get(&cluster)
        .into_iter()
        .flatten()
        .filter(|(_, r)| r.status == ServiceStatus::Active)
        .filter(|(_, r)| {
            request
                .scheduling_strategy
                .as_deref()
                .is_none_or(|s| r.effective().scheduling_strategy.as_str() == s)
        })
        .map(|(n, _)| (n.clone(), n.as_str()))
        .collect();
    let p = page(
        items,
        request.max_results,
        request.next_token.as_deref(),
        10,
    )?;
    let arns: Vec<String> = p.items.iter().map(|n| arns.service(&cluster, n)).collect();
    arn_list("serviceArns", &arns, p.next_token.as_deref())
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct TagsRequest {
    resource_arn: Option<String>,
    tags: Option<Vec<Tag>>,
    tag_keys: Option<Vec<String>>,
}

fn list_tags(api: &Api, _arns: &Arns, body: &str) -> Out {
    let request: TagsRequest = decode(body)?;
    let text = required(&request.resource_arn, "resourceArn")?;
    let state = state(api)?;
    let tags = if text.contains(":task-definition/") {
        ops::resolve::task_definition(&state, text)?
            .spec
            .tags
            .clone()
    } else if text.contains(":service/") {
        let (cluster, name) = arn::service_name(text)?;
        ops::resolve::service(&state, &name, cluster.as_deref())?
            .1
            .spec
            .tags
            .clone()
    } else if text.contains(":cluster/") {
        let name = arn::cluster_name(text)?;
        ops::resolve::cluster(&state, &name)?;
        state
            .clusters
            .get(&name)
            .map(|r| r.tags.clone())
            .unwrap_or_default()
    } else {
        return Err(ApiError::invalid(format!(
            "`{text}`: tags are kept for clusters, services and task definitions"
        )));
    };
    Ok(json!({ "tags": tags }))
}

/// What a tag write does to a resource's tags.
enum Retag {
    /// Sets these (a key already there takes the new value).
    Set(Vec<Tag>),
    /// Removes the tags with these keys.
    Remove(Vec<String>),
}

impl Retag {
    fn apply(self, tags: &mut Vec<Tag>) {
        match self {
            Retag::Set(new) => {
                for tag in new {
                    match tags.iter_mut().find(|t| t.key == tag.key) {
                        Some(old) => old.value = tag.value,
                        None => tags.push(tag),
                    }
                }
            }
            Retag::Remove(keys) => {
                tags.retain(|t| t.key.as_ref().is_none_or(|k| !keys.contains(k)));
            }
        }
    }
}

/// `TagResource`/`UntagResource` on a service (an update of its `tags`, which starts no
/// deployment), a task definition revision or a cluster.
fn retag(api: &Api, text: &str, change: Retag) -> Out {
    if text.contains(":task-definition/") {
        register::retag_task_definition(
            &api.session,
            text,
            |tags| change.apply(tags),
            api.lock_timeout,
        )?;
    } else if text.contains(":service/") {
        let (cluster, name) = arn::service_name(text)?;
        let state = state(api)?;
        let (cluster, record) = ops::resolve::service(&state, &name, cluster.as_deref())?;
        let mut tags = record.spec.tags.clone();
        change.apply(&mut tags);
        if tags != record.spec.tags {
            let mut overlay = Map::new();
            overlay.insert("tags".into(), json!(tags));
            register::update_service(
                &api.session,
                Some(&cluster),
                &name,
                overlay,
                false,
                api.lock_timeout,
            )?;
        }
    } else if text.contains(":cluster/") {
        let name = arn::cluster_name(text)?;
        register::change_cluster(
            &api.session,
            &name,
            |record| change.apply(&mut record.tags),
            api.lock_timeout,
        )?;
    } else {
        return Err(ApiError::invalid(format!(
            "`{text}`: tags are kept for clusters, services and task definitions"
        )));
    }
    Ok(json!({}))
}

fn tag_resource(api: &Api, _arns: &Arns, body: &str) -> Out {
    let request: TagsRequest = decode(body)?;
    let text = required(&request.resource_arn, "resourceArn")?;
    let Some(tags) = request.tags else {
        return Err(ApiError::invalid("`tags` is required"));
    };
    check_tags(&tags, "tags")?;
    retag(api, text, Retag::Set(tags))
}

fn untag_resource(api: &Api, _arns: &Arns, body: &str) -> Out {
    let request: TagsRequest = decode(body)?;
    let text = required(&request.resource_arn, "resourceArn")?;
    let Some(keys) = request.tag_keys else {
        return Err(ApiError::invalid("`tagKeys` is required"));
    };
    retag(api, text, Retag::Remove(keys))
}

// ---- tasks and container instances ----

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct ListTasksRequest {
    cluster: Option<String>,
    container_instance: Option<String>,
    family: Option<String>,
    started_by: Option<String>,
    service_name: Option<String>,
    desired_status: Option<String>,
    launch_type: Option<String>,
    max_results: Option<i32>,
    next_token: Option<String>,
}

/// The state through the cache, read on the blocking pool (a changed file is parsed).
async fn cached_state(api: &Arc<Api>) -> Result<Arc<State>, ApiError> {
    let api = api.clone();
    tokio::task::spawn_blocking(move || state(&api))
        .await
        .map_err(|e| ApiError::server(e.to_string()))?
}

async fn observed_tasks(
    api: &Arc<Api>,
    cluster: Option<String>,
    service: Option<&str>,
) -> Result<
    (
        Arc<State>,
        String,
        Vec<crate::controller::inspect::TaskView>,
    ),
    ApiError,
> {
    let state = cached_state(api).await?;
    let cluster = known_cluster(&state, cluster.as_deref())?;
    let listing = ops::tasks::list(&api.session, &state, Some(&cluster), service, false).await?;
    let tasks = listing.tasks.into_iter().map(|(_, t)| t).collect();
    Ok((state, cluster, tasks))
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct RunTaskRequest {
    cluster: Option<String>,
    task_definition: Option<String>,
    count: Option<u32>,
    started_by: Option<String>,
    launch_type: Option<String>,
    capacity_provider_strategy: Vec<crate::model::ecs::CapacityProviderStrategyItem>,
    /// The aws CLI sends one with every run; accepted, not yet used to make retries idempotent.
    #[allow(dead_code)]
    client_token: Option<String>,
}

/// `RunTask`: the tasks are placed and launched as `ecsctl run-task` does (beside the
/// reconciler that `serve` runs); the answer describes each launched task, and a task that
/// could not start is a failure.
async fn run_task(api: &Api, arns: &Arns, body: &str) -> Out {
    use crate::ops::run_task::{Progress, RunTask, revision_to_run};
    let request: RunTaskRequest = decode(body)?;
    let text = required(&request.task_definition, "taskDefinition")?;
    let count = request.count.unwrap_or(1);
    if !(1..=10).contains(&count) {
        return Err(ApiError::invalid("`count`: between 1 and 10 tasks"));
    }
    let launch_type = match request.launch_type.as_deref() {
        None => None,
        Some("FARGATE") => Some(crate::model::ecs::LaunchType::Fargate),
        Some("EC2" | "EXTERNAL") => Some(crate::model::ecs::LaunchType::Ec2),
        Some(other) => {
            return Err(ApiError::invalid(format!(
                "`launchType`: `{other}` is not EC2, FARGATE or EXTERNAL"
            )));
        }
    };
    let cluster = request
        .cluster
        .as_deref()
        .map(arn::cluster_name)
        .transpose()?
        .unwrap_or_else(|| DEFAULT_CLUSTER.to_string());
    let session = api.session.clone();
    let state = tokio::task::spawn_blocking(move || session.state_or_empty())
        .await
        .map_err(|e| ApiError::server(e.to_string()))?
        .map_err(ops::OpsError::Other)?;
    ops::resolve::cluster(&state, &cluster)?;
    let (task_definition, spec) = revision_to_run(&state, text)?;
    let run = RunTask {
        cluster: cluster.clone(),
        task_definition,
        spec,
        count,
        started_by: request.started_by.unwrap_or_default(),
        constraints: Default::default(),
        capacity_provider_strategy: request.capacity_provider_strategy,
        launch_type,
        wait: None,
    };
    // The run reports progress through a callback that stays on its thread: it runs on a
    // thread of its own, with a runtime of its own.
    let session = api.session.clone();
    let ran = tokio::task::spawn_blocking(move || -> ops::OpsResult<_> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| ops::OpsError::Other(e.into()))?;
        let mut failed = Vec::new();
        let mut on = |progress: Progress| {
            if let Progress::LaunchFailed { task_id, reason } = progress {
                failed.push((task_id, reason));
            }
        };
        let outcome = runtime.block_on(ops::run_task::run_task(
            &session,
            &run,
            Default::default(),
            &mut on,
        ))?;
        Ok((outcome, failed))
    })
    .await
    .map_err(|e| ApiError::server(e.to_string()))?;
    let (outcome, failed) = ran?;
    (api.nudge)();
    let mut tasks = Vec::new();
    for id in &outcome.launched {
        if failed.iter().any(|(f, _)| f == id) {
            continue;
        }
        let (cluster, view, _) =
            ops::tasks::describe(&api.session, &state, id, Some(&cluster)).await?;
        tasks.push(shapes::task(
            arns,
            &cluster,
            &view,
            state.revision(&view.task.task_definition),
        ));
    }
    let failures: Vec<Value> = failed
        .iter()
        .map(|(id, reason)| json!({ "arn": arns.task(&cluster, id), "reason": reason }))
        .collect();
    Ok(json!({ "tasks": tasks, "failures": failures }))
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct StopTaskRequest {
    cluster: Option<String>,
    task: Option<String>,
    reason: Option<String>,
}

/// `StopTask`: the task's containers are stopped; a service starts a replacement. The
/// answer is the task as it was when the stop was asked (`desiredStatus: STOPPED`).
async fn stop_task(api: &Api, arns: &Arns, body: &str) -> Out {
    let request: StopTaskRequest = decode(body)?;
    let text = required(&request.task, "task")?;
    let reason = request
        .reason
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| "Task stopped by user".into());
    if reason.chars().count() > 255 {
        return Err(ApiError::invalid(
            "`reason`: at most 255 characters are allowed",
        ));
    }
    let (from_arn, id) = arn::task_id(text)?;
    let cluster = request
        .cluster
        .as_deref()
        .map(arn::cluster_name)
        .transpose()?
        .or(from_arn)
        .unwrap_or_else(|| DEFAULT_CLUSTER.to_string());
    let session = api.session.clone();
    let state = tokio::task::spawn_blocking(move || session.state_or_empty())
        .await
        .map_err(|e| ApiError::server(e.to_string()))?
        .map_err(ops::OpsError::Other)?;
    ops::resolve::cluster(&state, &cluster)?;
    let (cluster, view) =
        ops::tasks::stop(&api.session, &state, &id, Some(&cluster), &reason).await?;
    (api.nudge)();
    let mut shape = shapes::task(
        arns,
        &cluster,
        &view,
        state.revision(&view.task.task_definition),
    );
    shape["desiredStatus"] = json!("STOPPED");
    shape["stoppedReason"] = json!(reason);
    Ok(json!({ "task": shape }))
}

async fn list_tasks(api: &Arc<Api>, arns: &Arns, body: &str) -> Read {
    let request: ListTasksRequest = decode(body)?;
    let wanted = match request.desired_status.as_deref() {
        None | Some("RUNNING") => DesiredStatus::Running,
        Some("STOPPED") => DesiredStatus::Stopped,
        Some(other) => {
            return Err(ApiError::invalid(format!(
                "`desiredStatus`: `{other}` is not RUNNING, PENDING or STOPPED"
            )));
        }
    };
    let host = request
        .container_instance
        .as_deref()
        .map(arn::container_instance_id)
        .transpose()?
        .map(|(_, id)| id);
    let (_, cluster, tasks) = observed_tasks(
        api,
        request.cluster.clone(),
        request.service_name.as_deref(),
    )
    .await?;
    let items = tasks
        .iter()
        .filter(|t| t.state.desired_status == wanted)
        .filter(|t| {
            request
                .family
                .as_deref()
                .is_none_or(|f| t.task.task_definition.family == f)
        })
        .filter(|t| host.as_deref().is_none_or(|h| t.task.host == h))
        .filter(|t| {
            request
                .started_by
                .as_deref()
                .is_none_or(|s| t.task.deployment.as_deref().is_some_and(|d| d == s))
        })
        .map(|t| (t.task.id.clone(), t.task.id.as_str()))
        .collect();
    let p = page(
        items,
        request.max_results,
        request.next_token.as_deref(),
        100,
    )?;
    let arns: Vec<String> = p.items.iter().map(|id| arns.task(&cluster, id)).collect();
    arn_list("taskArns", &arns, p.next_token.as_deref())
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct DescribeTasksRequest {
    cluster: Option<String>,
    tasks: Vec<String>,
    include: Vec<String>,
}

async fn describe_tasks(api: &Arc<Api>, arns: &Arns, body: &str) -> Read {
    let request: DescribeTasksRequest = decode(body)?;
    if request.tasks.is_empty() {
        return Err(ApiError::invalid("`tasks` is required"));
    }
    let (state, cluster, tasks) = observed_tasks(api, request.cluster.clone(), None).await?;
    let mut found = Vec::new();
    let mut failures = Vec::new();
    for text in &request.tasks {
        let (_, id) = arn::task_id(text)?;
        match tasks.iter().find(|t| t.task.id == id) {
            Some(view) => found.push(shapes::task(
                arns,
                &cluster,
                view,
                state.revision(&view.task.task_definition),
            )),
            None => failures.push(Failure {
                arn: arns.task(&cluster, &id),
                reason: "MISSING",
            }),
        }
    }
    reply::json(&Listed {
        member: "tasks",
        items: &found,
        failures: &failures,
    })
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct ContainerInstancesRequest {
    cluster: Option<String>,
    container_instances: Vec<String>,
    include: Vec<String>,
    filter: Option<String>,
    status: Option<String>,
    max_results: Option<i32>,
    next_token: Option<String>,
}

async fn hosts(
    api: &Arc<Api>,
    cluster: Option<&str>,
) -> Result<(String, Vec<crate::ops::hosts::HostView>), ApiError> {
    let state = cached_state(api).await?;
    let cluster = known_cluster(&state, cluster)?;
    let (views, _) = ops::hosts::list(&api.session, &state, Some(&cluster)).await?;
    Ok((cluster, views))
}

async fn list_container_instances(api: &Arc<Api>, arns: &Arns, body: &str) -> Out {
    let request: ContainerInstancesRequest = decode(body)?;
    let (cluster, views) = hosts(api, request.cluster.as_deref()).await?;
    let items = views
        .iter()
        .filter(|h| {
            request
                .status
                .as_deref()
                .is_none_or(|s| s == h.status || (s == "ACTIVE" && h.status == "UNREACHABLE"))
        })
        .map(|h| (h.name.clone(), arns.container_instance(&cluster, &h.name)))
        .collect();
    let p = page(
        items,
        request.max_results,
        request.next_token.as_deref(),
        100,
    )?;
    Ok(json!({"containerInstanceArns": p.items, "nextToken": p.next_token}))
}

async fn describe_container_instances(api: &Arc<Api>, arns: &Arns, body: &str) -> Out {
    let request: ContainerInstancesRequest = decode(body)?;
    if request.container_instances.is_empty() {
        return Err(ApiError::invalid("`containerInstances` is required"));
    }
    let (cluster, views) = hosts(api, request.cluster.as_deref()).await?;
    let mut found = Vec::new();
    let mut failures = Vec::new();
    for text in &request.container_instances {
        let (_, id) = arn::container_instance_id(text)?;
        match views.iter().find(|h| h.name == id) {
            Some(h) => found.push(shapes::container_instance(arns, h)),
            None => failures.push(failure(arns.container_instance(&cluster, &id), "MISSING")),
        }
    }
    Ok(listed("containerInstances", found, failures))
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct ContainerInstancesStateRequest {
    cluster: Option<String>,
    container_instances: Vec<String>,
    status: Option<String>,
}

/// `UpdateContainerInstancesState`: DRAINING or back to ACTIVE, through the same operation
/// as `ecsctl drain`/`undrain` (the reconciler then starts the host's service tasks
/// elsewhere and stops them). Unknown instances are `failures` (MISSING).
async fn update_container_instances_state(api: &Arc<Api>, arns: &Arns, body: &str) -> Out {
    let request: ContainerInstancesStateRequest = decode(body)?;
    let draining = match request.status.as_deref() {
        Some("DRAINING") => true,
        Some("ACTIVE") => false,
        Some(other) => {
            return Err(ApiError::invalid(format!(
                "`status`: `{other}` cannot be set; a container instance is set to ACTIVE or DRAINING"
            )));
        }
        None => return Err(ApiError::invalid("`status` is required")),
    };
    if request.container_instances.is_empty() {
        return Err(ApiError::invalid("`containerInstances` is required"));
    }
    at_most(&request.container_instances, 10, "containerInstances")?;
    let ids = request
        .container_instances
        .iter()
        .map(|t| arn::container_instance_id(t).map(|(_, id)| id))
        .collect::<Result<Vec<_>, _>>()?;
    let session = api.session.clone();
    let state = tokio::task::spawn_blocking(move || session.state_or_empty())
        .await
        .map_err(|e| ApiError::server(e.to_string()))?
        .map_err(ops::OpsError::Other)?;
    let cluster = known_cluster(&state, request.cluster.as_deref())?;
    let hosts_of_cluster: Vec<String> = state
        .cluster_spec(&cluster)
        .map(|s| s.hosts.iter().filter_map(|h| h.name.clone()).collect())
        .unwrap_or_default();
    let (known, missing): (Vec<String>, Vec<String>) = ids
        .into_iter()
        .partition(|id| hosts_of_cluster.contains(id));
    let session = api.session.clone();
    let lock_timeout = api.lock_timeout;
    let (for_write, in_cluster) = (known.clone(), cluster.clone());
    let turn = api.writes.turn(lock_timeout).await?;
    let changed = tokio::task::spawn_blocking(move || {
        let _turn = turn;
        let mut changed = false;
        for host in &for_write {
            let drained = ops::hosts::set_draining(
                &session,
                host,
                Some(&in_cluster),
                draining,
                lock_timeout,
            )?;
            changed |= drained.changed;
        }
        Ok::<_, ops::OpsError>(changed)
    })
    .await
    .map_err(|e| ApiError::server(e.to_string()))??;
    if changed {
        (api.nudge)();
    }
    let views = if known.is_empty() {
        Vec::new()
    } else {
        hosts(api, Some(&cluster)).await?.1
    };
    let found: Vec<Value> = known
        .iter()
        .filter_map(|id| views.iter().find(|h| h.name == *id))
        .map(|h| shapes::container_instance(arns, h))
        .collect();
    let failures: Vec<Value> = missing
        .iter()
        .map(|id| failure(arns.container_instance(&cluster, id), "MISSING"))
        .collect();
    Ok(listed("containerInstances", found, failures))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize, Default, Debug)]
    #[serde(rename_all = "camelCase", default)]
    struct Sample {
        cluster: Option<String>,
        max_results: Option<i32>,
    }

    #[test]
    fn requests_decode_with_named_errors() {
        let ok: Sample = decode(r#"{"cluster": "c", "maxResults": 5}"#).expect("ok");
        assert_eq!(
            (ok.cluster.as_deref(), ok.max_results),
            (Some("c"), Some(5))
        );
        let e = decode::<Sample>(r#"{"clustr": "c"}"#).expect_err("unknown");
        assert_eq!(e.code, "InvalidParameterException");
        assert!(e.message.contains("clustr"), "{}", e.message);
        let e = decode::<Sample>(r#"{"maxResults": "many"}"#).expect_err("type");
        assert_eq!(e.code, "SerializationException");
        assert!(e.message.contains("maxResults"), "{}", e.message);
        let e = decode::<Sample>(r#"{"cluster": "#).expect_err("json");
        assert_eq!(e.code, "SerializationException");
    }

    fn tag(key: &str, value: &str) -> Tag {
        Tag {
            key: Some(key.into()),
            value: Some(value.into()),
        }
    }

    #[test]
    fn retag_replaces_values_in_place_appends_new_keys_and_removes_by_key() {
        let mut tags = vec![tag("team", "a"), tag("env", "dev")];
        Retag::Set(vec![tag("env", "prod"), tag("tier", "web")]).apply(&mut tags);
        assert_eq!(
            tags,
            vec![tag("team", "a"), tag("env", "prod"), tag("tier", "web")]
        );
        Retag::Remove(vec!["team".into(), "nope".into()]).apply(&mut tags);
        assert_eq!(tags, vec![tag("env", "prod"), tag("tier", "web")]);
    }

    #[test]
    fn a_cluster_whose_services_were_all_forgotten_is_not_listed() {
        let mut state = State::empty("l".into());
        state.services.insert("gone".into(), Default::default());
        assert!(!state.cluster_names().contains("gone"));
    }

    #[test]
    fn tags_and_includes_are_checked_naming_the_member() {
        assert!(check_tags(&[tag("team", "a")], "tags").is_ok());
        let e = check_tags(&[tag("team", "a"), tag("", "b")], "tags").expect_err("no key");
        assert_eq!(e.code, "InvalidParameterException");
        assert!(e.message.starts_with("`tags[1].key`"), "{}", e.message);
        let long = "v".repeat(257);
        let e = check_tags(&[tag("k", &long)], "tags").expect_err("long value");
        assert!(e.message.starts_with("`tags[0].value`"), "{}", e.message);
        let many: Vec<Tag> = (0..51).map(|i| tag(&format!("k{i}"), "v")).collect();
        assert!(check_tags(&many, "tags").is_err());
        assert!(check_include(&["TAGS".into()], &["TAGS"]).is_ok());
        let e = check_include(&["TAG".into()], &["TAGS"]).expect_err("unknown");
        assert!(e.message.contains("`include`: `TAG`"), "{}", e.message);
    }

    fn api_over(dir: &std::path::Path) -> Arc<Api> {
        let store = crate::state::backend::Store::open(&crate::state::backend::Location::Dir(
            dir.to_path_buf(),
        ))
        .expect("state dir");
        Arc::new(Api {
            session: Session::new(store, Arc::new(crate::docker::transport::NoTransport)),
            account: "123456789012".into(),
            lock_timeout: Duration::from_secs(10),
            nudge: Arc::new(|| {}),
            deleted: Default::default(),
            cache: Default::default(),
            writes: Default::default(),
        })
    }

    fn arns() -> Arns {
        Arns {
            region: "us-east-1".into(),
            account: "123456789012".into(),
        }
    }

    /// Issue 11: concurrent RegisterTaskDefinition calls wait for each other (in line, then
    /// the state lock) instead of failing with "the state is locked"; each gets its own
    /// revision, with no gap and no repeat.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_registrations_all_succeed_with_consecutive_revisions() {
        let dir = tempfile::tempdir().expect("tempdir");
        let api = api_over(dir.path());
        let calls: Vec<_> = (0..24)
            .map(|i| {
                let body = format!(
                    r#"{{"family":"web","containerDefinitions":[{{"name":"web","image":"nginx:1.27","memory":64,"environment":[{{"name":"N","value":"{i}"}}]}}]}}"#
                );
                tokio::spawn(dispatch(api.clone(), arns(), "RegisterTaskDefinition", body))
            })
            .collect();
        let mut revisions = Vec::new();
        for call in calls {
            match call.await.expect("joined").expect("registered") {
                Reply::Value(v) => revisions.push(v["taskDefinition"]["revision"].as_u64()),
                Reply::Json(_) => panic!("a write answers with a value"),
            }
        }
        revisions.sort();
        assert_eq!(revisions, (1..=24).map(Some).collect::<Vec<_>>());
    }

    /// Issue 11: a read runs on the async thread when the files it needs are parsed already,
    /// and on the blocking pool (which parses) when one changed; both answer the same.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn reads_parse_changed_files_off_the_async_threads_only() {
        let dir = tempfile::tempdir().expect("tempdir");
        let api = api_over(dir.path());
        let body = r#"{"family":"web","containerDefinitions":[{"name":"web","image":"nginx:1.27","memory":64}]}"#;
        dispatch(api.clone(), arns(), "RegisterTaskDefinition", body.into())
            .await
            .expect("registered");
        {
            let _flag = AsyncThreadFlag::set();
            let e = state(&api).expect_err("never parsed");
            assert_eq!(e.code, PARSE_OFF_THREAD);
        }
        let list = || dispatch(api.clone(), arns(), "ListTaskDefinitions", "{}".into());
        let json = |reply: Reply| match reply {
            Reply::Json(bytes) => String::from_utf8(bytes).expect("utf-8"),
            Reply::Value(v) => v.to_string(),
        };
        let first = json(list().await.expect("parsed off the thread"));
        assert!(first.contains("task-definition/web:1"), "{first}");
        {
            let _flag = AsyncThreadFlag::set();
            assert!(state(&api).is_ok(), "parsed now: taken from the cache");
        }
        assert!(!on_async_thread(), "the flag is cleared");
        assert_eq!(json(list().await.expect("here")), first);
    }

    #[tokio::test]
    async fn a_write_that_waits_past_the_lock_timeout_is_a_server_exception() {
        let queue = WriteQueue::default();
        let _first = queue.turn(Duration::from_millis(10)).await.expect("free");
        let e = queue
            .turn(Duration::from_millis(20))
            .await
            .expect_err("busy");
        assert_eq!(e.code, "ServerException");
        assert!(e.message.contains("busy"), "{}", e.message);
    }

    #[test]
    fn descending_keys_sort_backwards() {
        let mut keys = [
            invert("a:0000000001"),
            invert("a:0000000002"),
            invert("b:0000000001"),
        ];
        keys.sort();
        assert_eq!(keys[0], invert("b:0000000001"));
        assert_eq!(keys[2], invert("a:0000000001"));
    }
}
