//! `task protect|unprotect`: scale-in protection for a service's task (ECS's
//! UpdateTaskProtection). While protected and healthy, a task is never chosen by scale-in,
//! and a deployment leaves it running until the protection ends; it still stops if it fails.

use std::time::Duration;

use super::error::{OpsError, OpsResult};
use super::session::Session;
use crate::reconcile::task::TaskGroup;
use crate::state::State;
use crate::time::Timestamp;

/// ECS's default and longest protection.
pub const DEFAULT_PROTECTION: Duration = Duration::from_secs(2 * 3600);
pub const MAX_PROTECTION: Duration = Duration::from_secs(48 * 3600);

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Protection {
    pub cluster: String,
    pub service: String,
    pub task_id: String,
    pub protection_enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiration_date: Option<Timestamp>,
}

/// Protects a task for `expires_in` (`None`: removes its protection).
pub async fn protect(
    session: &Session,
    state: &State,
    id: &str,
    cluster: Option<&str>,
    expires_in: Option<Duration>,
) -> OpsResult<Protection> {
    if let Some(d) = expires_in
        && (d < Duration::from_secs(60) || d > MAX_PROTECTION)
    {
        return Err(OpsError::invalid(format!(
            "a protection lasts 1 minute to 48 hours, not {}",
            humantime::format_duration(d)
        )));
    }
    let (cluster, view, _) = super::tasks::describe(session, state, id, cluster).await?;
    let TaskGroup::Service(service) = view.task.group.clone() else {
        return Err(OpsError::invalid(format!(
            "task {} is not a service's task: only services scale in",
            view.task.id
        )));
    };
    let now = Timestamp::now();
    let expires = expires_in.map(|d| now.plus(d));
    let task_id = view.task.id.clone();
    let (task, name) = (task_id.clone(), service.clone());
    session
        .store
        .update_runtime(&cluster, &state.lineage, move |runtime| {
            let service = runtime.services.entry(name).or_default();
            service.protected.retain(|_, until| *until > now);
            match expires {
                Some(until) => {
                    service.protected.insert(task, until);
                }
                None => {
                    service.protected.remove(&task);
                }
            }
        })?;
    Ok(Protection {
        cluster,
        service,
        task_id,
        protection_enabled: expires.is_some(),
        expiration_date: expires,
    })
}
