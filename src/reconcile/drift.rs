//! Drift: what was changed on the hosts by hand, compared with what ecsctl recorded and
//! would create. The one place that decides it; `plan --refresh` shows its items and the
//! reconciler reports them and, unless told not to (`--no-self-heal`), corrects them. Pure:
//! observed containers, the recorded state and runtime, and the expected container
//! configuration come in as plain values.
//!
//! What counts as drift, and what does not (the rule lives here):
//! - a task ecsctl knows (it launched or adopted it, [`KnownTask`]) whose containers are gone
//!   while ecsctl did not stop it (no recorded stop reason, nothing under way) and its host
//!   answered: **removed by hand**. A task last seen exited and then gone was cleaned up by
//!   ecsctl itself, not drift;
//! - an essential container that exited with 137 or 143 (SIGKILL, SIGTERM) without being
//!   OOM-killed, while ecsctl recorded no stop reason: **stopped by hand** (`docker stop`,
//!   `docker kill`). Any other exit (a crash, an OOM kill, a failed health check that ecsctl
//!   acted on) is an ordinary failure: the service scheduler replaces it, with or without
//!   self-heal. The exit code is all the container keeps: a host that shuts down also ends
//!   its containers with SIGTERM, and that reads as a stop by hand too;
//! - a known task whose container has another Docker id than recorded, or a container whose
//!   Docker name is not the one ecsctl gives it: **replaced by hand**;
//! - a task of the service with ecsctl's labels that ecsctl neither knows nor named:
//!   **extra task** (started by hand);
//! - a running container whose image, environment (the variables of `environment`; secrets
//!   are never compared nor shown) or limits (memory, memory reservation, cpu shares, task
//!   cpu) differ from what ecsctl creates for it: **changed by hand** (`docker update`);
//! - a container without ecsctl's labels (or of another state) publishing a fixed host port
//!   of one of our services: **foreign container on our port**. It is never touched.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::Serialize;

use super::cluster::SpecOf;
use super::task::{ObservedContainer, ObservedTask, TaskGroup, short_id};
use crate::model::effective;
use crate::state::{DriftRecord, KnownTask, Runtime, ServiceRecord};
use crate::time::Timestamp;

const MIB: i64 = 1024 * 1024;

/// A container's configuration as far as drift looks at it: as inspected, or as ecsctl
/// would create it. Docker reports an unset limit as 0; [`LiveConfig::normalized`] makes
/// both sides say `None`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LiveConfig {
    pub image: Option<String>,
    /// `NAME=value`, as Docker's `Config.Env`.
    pub env: Vec<String>,
    pub memory: Option<i64>,
    pub memory_reservation: Option<i64>,
    pub cpu_shares: Option<i64>,
    pub nano_cpus: Option<i64>,
}

impl LiveConfig {
    pub fn normalized(mut self) -> Self {
        for limit in [
            &mut self.memory,
            &mut self.memory_reservation,
            &mut self.cpu_shares,
            &mut self.nano_cpus,
        ] {
            *limit = limit.filter(|v| *v != 0);
        }
        self
    }

    fn env_value(&self, name: &str) -> Option<&str> {
        self.env.iter().find_map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (k == name).then_some(v)
        })
    }
}

/// What ecsctl would create for one container of a task: its Docker name and configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpectedContainer {
    pub docker_name: String,
    pub config: LiveConfig,
    /// The variables of `environment` (never those of `secrets`).
    pub environment: Vec<(String, String)>,
}

/// A container that is not ecsctl's (or belongs to another state) and publishes host ports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortHolder {
    pub host: String,
    pub container: String,
    pub ports: Vec<u16>,
}

/// Everything drift is judged on.
pub struct DriftInput<'a> {
    pub services: &'a BTreeMap<String, ServiceRecord>,
    pub task_definitions: &'a SpecOf<'a>,
    /// Known tasks and stop reasons.
    pub runtime: &'a Runtime,
    pub observed: &'a [ObservedTask],
    /// Inspected configuration by Docker id.
    pub live: &'a BTreeMap<String, LiveConfig>,
    /// What ecsctl would create for a container of an observed task (`None`: unknown).
    pub expected: &'a dyn Fn(&ObservedTask, &ObservedContainer) -> Option<ExpectedContainer>,
    /// Hosts that answered this time: a task on another host is not judged missing.
    pub answered: &'a BTreeSet<String>,
    pub port_holders: &'a [PortHolder],
    /// Tasks ecsctl is launching, stopping or removing right now.
    pub busy: &'a BTreeSet<String>,
}

/// What changed by hand on a running container.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldChange {
    pub container: String,
    /// `image`, `memory`, `memoryReservation`, `cpu`, `taskCpu`, `environment.NAME`.
    pub field: String,
    pub expected: String,
    pub found: String,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum DriftKind {
    /// The task's containers were removed by hand.
    TaskMissing,
    StoppedByHand {
        container: String,
        exit_code: i64,
    },
    Replaced {
        container: String,
        expected: String,
        found: String,
    },
    Changed(FieldChange),
    ExtraTask {
        container: String,
    },
    ForeignPort {
        container: String,
        port: u16,
    },
}

/// One drift item.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DriftItem {
    pub service: String,
    pub host: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task: Option<String>,
    #[serde(flatten)]
    pub kind: DriftKind,
}

impl DriftItem {
    /// Does correcting it mean replacing the task (changed, replaced, extra)?
    pub fn replaces_task(&self) -> bool {
        matches!(
            self.kind,
            DriftKind::Changed(_) | DriftKind::Replaced { .. } | DriftKind::ExtraTask { .. }
        )
    }

    /// Is the task out of service because of it (removed or stopped by hand)? Under
    /// `--no-self-heal` such a task is held: not replaced, not counted as missing.
    pub fn holds_task(&self) -> bool {
        matches!(
            self.kind,
            DriftKind::TaskMissing | DriftKind::StoppedByHand { .. }
        )
    }

    /// Can ecsctl correct it at all? A foreign container is never touched.
    pub fn correctable(&self) -> bool {
        !matches!(self.kind, DriftKind::ForeignPort { .. })
    }

    /// `task 3f2a… drifted: memory changed by hand (expected 128 MiB, found 64 MiB)`.
    pub fn message(&self) -> String {
        match &self.task {
            Some(task) => format!("task {} drifted: {}", short_id(task), self.kind),
            None => format!("host {} drifted: {}", self.host, self.kind),
        }
    }
}

impl fmt::Display for DriftKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DriftKind::TaskMissing => f.write_str("container removed by hand"),
            DriftKind::StoppedByHand {
                container,
                exit_code,
            } => write!(
                f,
                "container `{container}` stopped by hand (exit code {exit_code})"
            ),
            DriftKind::Replaced {
                container,
                expected,
                found,
            } => write!(
                f,
                "container `{container}` replaced by hand (expected {}, found {})",
                short_id(expected),
                short_id(found)
            ),
            DriftKind::Changed(c) => {
                let what = match c.field.strip_prefix("environment.") {
                    Some(name) => format!("environment variable `{name}`"),
                    None => c.field.clone(),
                };
                write!(
                    f,
                    "{what} of `{}` changed by hand (expected {}, found {})",
                    c.container, c.expected, c.found
                )
            }
            DriftKind::ExtraTask { container } => {
                write!(f, "extra task started by hand (container `{container}`)")
            }
            DriftKind::ForeignPort { container, port } => write!(
                f,
                "container `{container}`, not ecsctl's, publishes host port {port} of the service"
            ),
        }
    }
}

/// The drift of a cluster, sorted (service, host, task, kind).
pub fn detect(input: &DriftInput<'_>) -> Vec<DriftItem> {
    let mut items = Vec::new();
    for (name, record) in input.services {
        if record.status != crate::state::ServiceStatus::Active {
            continue;
        }
        let runtime = input.runtime.services.get(name);
        let known = runtime.map(|r| &r.known_tasks);
        let stopped_by_ecsctl = |task: &str| {
            runtime.is_some_and(|r| r.stop_reasons.contains_key(task)) || input.busy.contains(task)
        };
        let tasks: Vec<&ObservedTask> = input
            .observed
            .iter()
            .filter(|t| t.group == TaskGroup::Service(name.clone()))
            .collect();
        for (id, k) in known.into_iter().flatten() {
            let seen = tasks.iter().any(|t| t.id == *id);
            if !seen && k.running && input.answered.contains(&k.host) && !stopped_by_ecsctl(id) {
                items.push(DriftItem {
                    service: name.clone(),
                    host: k.host.clone(),
                    task: Some(id.clone()),
                    kind: DriftKind::TaskMissing,
                });
            }
        }
        for task in tasks {
            if stopped_by_ecsctl(&task.id) {
                continue;
            }
            let known_task = known.and_then(|k| k.get(&task.id));
            items.extend(task_drift(input, name, task, known_task));
        }
        items.extend(foreign_ports(input, name, record));
    }
    items.sort();
    items.dedup();
    items
}

fn item(service: &str, task: &ObservedTask, kind: DriftKind) -> DriftItem {
    DriftItem {
        service: service.to_string(),
        host: task.host.clone(),
        task: Some(task.id.clone()),
        kind,
    }
}

/// Drift of one observed task of `service`.
fn task_drift(
    input: &DriftInput<'_>,
    service: &str,
    task: &ObservedTask,
    known: Option<&KnownTask>,
) -> Vec<DriftItem> {
    let mut items = Vec::new();
    for container in task.app_containers() {
        let expected = (input.expected)(task, container);
        let named_by_ecsctl = expected
            .as_ref()
            .is_none_or(|e| e.docker_name == container.docker_name);
        match known {
            None if !named_by_ecsctl => {
                items.push(item(
                    service,
                    task,
                    DriftKind::ExtraTask {
                        container: container.docker_name.clone(),
                    },
                ));
                continue;
            }
            Some(k) => {
                let recorded = k.containers.get(&container.name);
                if let Some(recorded) = recorded.filter(|r| **r != container.docker_id) {
                    items.push(item(
                        service,
                        task,
                        DriftKind::Replaced {
                            container: container.name.clone(),
                            expected: recorded.clone(),
                            found: container.docker_id.clone(),
                        },
                    ));
                    continue;
                }
                if !named_by_ecsctl {
                    items.push(item(
                        service,
                        task,
                        DriftKind::Replaced {
                            container: container.name.clone(),
                            expected: expected
                                .as_ref()
                                .map(|e| e.docker_name.clone())
                                .unwrap_or_default(),
                            found: container.docker_name.clone(),
                        },
                    ));
                    continue;
                }
            }
            None => {}
        }
        if container.essential
            && container.has_stopped()
            && !container.oom_killed
            && let Some(code @ (137 | 143)) = container.exit_code
        {
            items.push(item(
                service,
                task,
                DriftKind::StoppedByHand {
                    container: container.name.clone(),
                    exit_code: code,
                },
            ));
        }
        if !container.is_running() {
            continue;
        }
        let (Some(expected), Some(live)) = (expected, input.live.get(&container.docker_id)) else {
            continue;
        };
        for change in changes(&container.name, &expected, live) {
            items.push(item(service, task, DriftKind::Changed(change)));
        }
    }
    items
}

fn mib(bytes: Option<i64>) -> String {
    match bytes {
        None => "no limit".into(),
        Some(b) if b % MIB == 0 => format!("{} MiB", b / MIB),
        Some(b) => format!("{b} bytes"),
    }
}

fn plain(value: Option<i64>) -> String {
    value.map_or_else(|| "none".into(), |v| v.to_string())
}

fn cpus(nano: Option<i64>) -> String {
    // Task cpu is given in units (1024 = one core); Docker holds it as nanocpus.
    nano.map_or_else(
        || "no limit".into(),
        |n| format!("{} units", n * 1024 / 1_000_000_000),
    )
}

/// The fields of a running container that differ from what ecsctl creates.
pub fn changes(
    container: &str,
    expected: &ExpectedContainer,
    live: &LiveConfig,
) -> Vec<FieldChange> {
    let want = expected.config.clone().normalized();
    let have = live.clone().normalized();
    let mut out = Vec::new();
    let mut push = |field: &str, expected: String, found: String| {
        out.push(FieldChange {
            container: container.to_string(),
            field: field.to_string(),
            expected,
            found,
        });
    };
    if want.image.is_some() && want.image != have.image {
        push(
            "image",
            want.image.clone().unwrap_or_default(),
            have.image.clone().unwrap_or_else(|| "none".into()),
        );
    }
    if want.memory != have.memory {
        push("memory", mib(want.memory), mib(have.memory));
    }
    if want.memory_reservation != have.memory_reservation {
        push(
            "memoryReservation",
            mib(want.memory_reservation),
            mib(have.memory_reservation),
        );
    }
    if want.cpu_shares != have.cpu_shares {
        push("cpu", plain(want.cpu_shares), plain(have.cpu_shares));
    }
    if want.nano_cpus != have.nano_cpus {
        push("taskCpu", cpus(want.nano_cpus), cpus(have.nano_cpus));
    }
    for (name, value) in &expected.environment {
        match have.env_value(name) {
            Some(found) if found == value => {}
            found => push(
                &format!("environment.{name}"),
                format!("`{value}`"),
                found.map_or_else(|| "unset".into(), |f| format!("`{f}`")),
            ),
        }
    }
    out
}

/// Foreign containers on a fixed host port that the service's tasks take.
fn foreign_ports(input: &DriftInput<'_>, service: &str, record: &ServiceRecord) -> Vec<DriftItem> {
    let Some(spec) = (input.task_definitions)(&record.task_definition) else {
        return Vec::new();
    };
    let ours: BTreeSet<u16> = effective::fixed_host_ports(spec)
        .into_iter()
        .map(|(p, _)| p)
        .collect();
    let mut items = Vec::new();
    for holder in input.port_holders {
        for port in holder.ports.iter().filter(|p| ours.contains(p)) {
            items.push(DriftItem {
                service: service.to_string(),
                host: holder.host.clone(),
                task: None,
                kind: DriftKind::ForeignPort {
                    container: holder.container.clone(),
                    port: *port,
                },
            });
        }
    }
    items
}

/// The tasks each service holds out of service under `--no-self-heal` (removed or stopped
/// by hand): the scheduler neither replaces nor counts them.
pub fn held(items: &[DriftItem]) -> BTreeMap<String, BTreeSet<String>> {
    let mut held: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for i in items.iter().filter(|i| i.holds_task()) {
        if let Some(task) = &i.task {
            held.entry(i.service.clone())
                .or_default()
                .insert(task.clone());
        }
    }
    held
}

/// What each service's known tasks become after this pass: every observed task of the
/// service that ecsctl launched (it carries ecsctl's names) and is not being stopped, with
/// its containers' ids as first seen; tasks on hosts that did not answer stay as they were;
/// a task removed by hand stays known while it is held (`self_heal` false), so it is
/// reported until it is back, and is forgotten when it is being replaced.
pub fn remember(
    input: &DriftInput<'_>,
    items: &[DriftItem],
    self_heal: bool,
) -> BTreeMap<String, BTreeMap<String, KnownTask>> {
    let replaced: BTreeSet<&str> = items
        .iter()
        .filter(|i| i.replaces_task() && self_heal)
        .filter_map(|i| i.task.as_deref())
        .collect();
    let extra: BTreeSet<&str> = items
        .iter()
        .filter(|i| matches!(i.kind, DriftKind::ExtraTask { .. }))
        .filter_map(|i| i.task.as_deref())
        .collect();
    let missing: BTreeSet<&str> = items
        .iter()
        .filter(|i| i.kind == DriftKind::TaskMissing)
        .filter_map(|i| i.task.as_deref())
        .collect();
    let mut all = BTreeMap::new();
    for name in input.services.keys() {
        let runtime = input.runtime.services.get(name);
        let before = runtime.map(|r| r.known_tasks.clone()).unwrap_or_default();
        let stop_reasons = runtime.map(|r| &r.stop_reasons);
        let mut now: BTreeMap<String, KnownTask> = BTreeMap::new();
        for (id, k) in &before {
            let keep = if missing.contains(id.as_str()) {
                !self_heal
            } else {
                !input.answered.contains(&k.host) && !input.observed.iter().any(|t| t.id == *id)
            };
            if keep {
                now.insert(id.clone(), k.clone());
            }
        }
        for task in input
            .observed
            .iter()
            .filter(|t| t.group == TaskGroup::Service(name.clone()))
        {
            let id = task.id.as_str();
            if extra.contains(id)
                || replaced.contains(id)
                || stop_reasons.is_some_and(|s| s.contains_key(id))
            {
                continue;
            }
            let running = task
                .app_containers()
                .filter(|c| c.essential)
                .all(ObservedContainer::is_running);
            let mut known = before.get(id).cloned().unwrap_or_else(|| KnownTask {
                host: task.host.clone(),
                containers: task
                    .app_containers()
                    .map(|c| (c.name.clone(), c.docker_id.clone()))
                    .collect(),
                running,
            });
            known.running = running;
            now.insert(id.to_string(), known);
        }
        all.insert(name.clone(), now);
    }
    all
}

/// The service event for an item seen for the first time, in ECS's words, saying whether
/// it was corrected.
pub fn event(item: &DriftItem, self_heal: bool) -> String {
    let outcome = if !item.correctable() {
        "not corrected: the container is not ecsctl's"
    } else if !self_heal {
        "not corrected (--no-self-heal)"
    } else if item.holds_task() {
        "corrected: a replacement task is started"
    } else {
        "corrected: the task is replaced"
    };
    format!("(service {}) {}; {outcome}.", item.service, item.message())
}

/// A service's drift records after this pass (items gone are dropped, new ones added, each
/// once) and the events of the new ones.
pub fn record(
    before: &BTreeMap<String, DriftRecord>,
    items: &[&DriftItem],
    self_heal: bool,
    now: Timestamp,
) -> (BTreeMap<String, DriftRecord>, Vec<String>) {
    let mut after = BTreeMap::new();
    let mut events = Vec::new();
    for item in items {
        let key = item.message();
        let corrected = self_heal && item.correctable();
        // Reported again when its fate changes: an item left by `--no-self-heal` that a
        // default reconciler now corrects says so.
        let record = match before.get(&key) {
            Some(r) if r.corrected == corrected => r.clone(),
            _ => {
                events.push(event(item, self_heal));
                DriftRecord {
                    since: now,
                    corrected,
                }
            }
        };
        after.insert(key, record);
    }
    (after, events)
}

#[cfg(test)]
mod tests;
