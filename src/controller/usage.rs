//! Reads the counters of the containers whose service's CPU or memory is watched (by an
//! alarm or a target tracking policy), for the usage meter. One quick stats call per
//! container, all at once; a container that does not answer is left out of this read.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use super::hosts::HostSlot;
use crate::docker::exec::counters;
use crate::reconcile::service::task_size;
use crate::reconcile::task::{ContainerState, TaskGroup};
use crate::reconcile::usage::TaskRead;
use crate::state::State;

/// How long one container's read may take.
const READ_TIMEOUT: Duration = Duration::from_secs(5);

pub async fn read(
    slots: &BTreeMap<String, HostSlot>,
    state: &State,
    services: &BTreeSet<String>,
) -> Vec<TaskRead> {
    let mut reads = Vec::new();
    let mut work = Vec::new();
    for slot in slots.values() {
        let (Some(conn), Some(observation)) = (&slot.conn, &slot.last_observation) else {
            continue;
        };
        for task in &observation.tasks {
            let TaskGroup::Service(service) = &task.group else {
                continue;
            };
            if !services.contains(service) {
                continue;
            }
            let Some(revision) = state.revision(&task.task_definition) else {
                continue;
            };
            let (cpu_reserved, memory_reserved) = task_size(&revision.spec);
            let index = reads.len();
            reads.push(TaskRead {
                service: service.clone(),
                task: task.id.clone(),
                cpu_reserved,
                memory_reserved,
                containers: BTreeMap::new(),
            });
            for container in task.app_containers() {
                if container.state != ContainerState::Running {
                    continue;
                }
                let conn = conn.clone();
                let id = container.docker_id.clone();
                work.push(async move {
                    let read =
                        tokio::time::timeout(READ_TIMEOUT, counters(conn.docker(), &id)).await;
                    (index, id, read)
                });
            }
        }
    }
    for (index, id, read) in futures_util::future::join_all(work).await {
        match read {
            Ok(Ok(c)) => {
                if let Some(r) = reads.get_mut(index) {
                    r.containers.insert(id, c);
                }
            }
            Ok(Err(e)) => tracing::debug!(container = %id, "no counters: {e:#}"),
            Err(_) => tracing::debug!(container = %id, "no counters within {READ_TIMEOUT:?}"),
        }
    }
    reads
}
