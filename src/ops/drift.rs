//! `plan --refresh` and `diff --live`: the hosts compared with the state, read-only. Reads
//! every cluster's hosts as `get tasks` does and judges drift with the reconciler's own
//! function ([`crate::controller::drift::detect`]); changes nothing.

use std::collections::BTreeSet;

use serde::Serialize;

use super::error::OpsResult;
use super::session::Session;
use super::tasks::{Unanswered, observe_clusters};
use crate::controller::drift::{self, Seen};
use crate::state::State;

pub use crate::reconcile::drift::{DriftItem, DriftKind, FieldChange};

/// One drift item with its cluster.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Drifted {
    pub cluster: String,
    #[serde(flatten)]
    pub item: DriftItem,
}

/// What the hosts showed: drift, sorted by cluster then item, and hosts that did not answer.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Refresh {
    pub drift: Vec<Drifted>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unanswered: Vec<Unanswered>,
}

/// Observes every cluster of `state` and returns its drift.
pub async fn refresh(session: &Session, state: &State) -> OpsResult<Refresh> {
    let mut out = Refresh::default();
    for (cluster, observation) in observe_clusters(session, state, None).await? {
        let runtime = session.store.read_runtime(&cluster)?;
        let answered = observation.answered();
        let busy = BTreeSet::new();
        let seen = Seen {
            observed: &observation.observed,
            configs: &observation.configs,
            answered: &answered,
            port_holders: &observation.port_holders,
            busy: &busy,
        };
        for item in drift::detect(state, &runtime, &cluster, &seen) {
            out.drift.push(Drifted {
                cluster: cluster.clone(),
                item,
            });
        }
        for (host, error) in &observation.failures {
            out.unanswered.push(Unanswered {
                cluster: cluster.clone(),
                host: host.clone(),
                error: error.clone(),
            });
        }
    }
    out.drift.sort();
    Ok(out)
}

/// The short form of a task id shown in tables and events.
pub fn short_id(id: &str) -> &str {
    crate::reconcile::task::short_id(id)
}
