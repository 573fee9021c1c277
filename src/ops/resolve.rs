//! Finding the object a user names, once for every front end: `--cluster` when given;
//! otherwise a name that exists in exactly one cluster resolves there, and an ambiguous one
//! is an error listing the clusters. Task ids resolve by unambiguous prefix.

use super::error::{ObjectKind, OpsError, OpsResult};
use crate::model::names::TaskDefRef;
use crate::state::{FamilyRecord, Revision, ServiceRecord, State};
use crate::suggest::did_you_mean;

/// "in cluster `c`" or "in any cluster".
pub fn place(cluster: Option<&str>) -> String {
    match cluster {
        Some(c) => format!("in cluster `{c}`"),
        None => "in any cluster".to_string(),
    }
}

fn clusters_list(clusters: &[&str]) -> String {
    clusters
        .iter()
        .map(|c| format!("`{c}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A cluster of the state.
pub fn cluster(state: &State, name: &str) -> OpsResult<()> {
    if state.cluster_names().contains(name) {
        return Ok(());
    }
    let names = state.cluster_names();
    Err(OpsError::NotFound {
        kind: ObjectKind::Cluster,
        name: name.to_string(),
        place: "in the state".into(),
        suggestion: did_you_mean(name, names.iter().map(String::as_str)).map(str::to_string),
    })
}

/// A service by name: `(cluster, record)`.
pub fn service<'s>(
    state: &'s State,
    name: &str,
    cluster: Option<&str>,
) -> OpsResult<(String, &'s ServiceRecord)> {
    if let Some(cluster) = cluster
        && let Some(record) = state.service(cluster, name)
    {
        return Ok((cluster.to_string(), record));
    }
    let found: Vec<(&str, &ServiceRecord)> = state
        .all_services()
        .filter(|(c, n, _)| *n == name && cluster.is_none_or(|only| only == *c))
        .map(|(c, _, r)| (c, r))
        .collect();
    match found.as_slice() {
        [(cluster, record)] => Ok((cluster.to_string(), record)),
        [] => {
            let names: Vec<&str> = state
                .all_services()
                .filter(|(c, _, _)| cluster.is_none_or(|x| x == *c))
                .map(|(_, n, _)| n)
                .collect();
            Err(OpsError::NotFound {
                kind: ObjectKind::Service,
                name: name.to_string(),
                place: place(cluster),
                suggestion: did_you_mean(name, names.iter().copied()).map(str::to_string),
            })
        }
        many => {
            let clusters: Vec<&str> = many.iter().map(|(c, _)| *c).collect();
            Err(OpsError::Ambiguous {
                kind: ObjectKind::Service,
                name: name.to_string(),
                message: format!(
                    "service `{name}` exists in several clusters ({}); pick one with --cluster",
                    clusters_list(&clusters)
                ),
            })
        }
    }
}

/// A task definition family.
pub fn family<'s>(state: &'s State, family: &str) -> OpsResult<&'s FamilyRecord> {
    state
        .task_definitions
        .get(family)
        .ok_or_else(|| OpsError::NotFound {
            kind: ObjectKind::TaskDefinition,
            name: family.to_string(),
            place: "in the state".into(),
            suggestion: did_you_mean(family, state.task_definitions.keys().map(String::as_str))
                .map(str::to_string),
        })
}

/// `family` (newest ACTIVE revision, else newest) or `family:rev`.
pub fn task_definition<'s>(state: &'s State, text: &str) -> OpsResult<&'s Revision> {
    let reference: TaskDefRef = text.parse().map_err(OpsError::Invalid)?;
    let record = family(state, &reference.family)?;
    let revision = match reference.revision {
        Some(n) => record.revisions.iter().find(|r| r.revision == n),
        None => record.latest_active().or(record.latest()),
    };
    revision.ok_or_else(|| {
        OpsError::invalid(format!(
            "no revision {} of task definition `{}` (the newest is {})",
            reference.revision.unwrap_or_default(),
            reference.family,
            record.latest().map_or(0, |r| r.revision)
        ))
    })
}

/// The cluster a host belongs to: `cluster`, or the one cluster that has it.
pub fn host_cluster(state: &State, host: &str, cluster: Option<&str>) -> OpsResult<String> {
    let with: Vec<String> = state
        .cluster_names()
        .into_iter()
        .filter(|c| cluster.is_none_or(|only| only == c))
        .filter(|c| {
            state
                .cluster_spec(c)
                .is_some_and(|s| s.hosts.iter().any(|h| h.name.as_deref() == Some(host)))
        })
        .collect();
    match with.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(OpsError::not_found(ObjectKind::Host, host, place(cluster))),
        many => Err(OpsError::Ambiguous {
            kind: ObjectKind::Host,
            name: host.to_string(),
            message: format!(
                "host `{host}` is in several clusters ({}); pick one with --cluster",
                clusters_list(&many.iter().map(String::as_str).collect::<Vec<_>>())
            ),
        }),
    }
}

/// The one item whose id starts with `prefix` (at least four characters, unless it is a
/// whole id). `ids` yields (id, short id) of every candidate; returns the index.
pub fn task_prefix<'a>(
    ids: impl IntoIterator<Item = &'a str>,
    prefix: &str,
    cluster: Option<&str>,
) -> OpsResult<usize> {
    let prefix = prefix.strip_prefix("task/").unwrap_or(prefix);
    let found: Vec<(usize, &str)> = ids
        .into_iter()
        .enumerate()
        .filter(|(_, id)| id.starts_with(prefix))
        .collect();
    match found.as_slice() {
        [(i, id)] if prefix.len() >= 4 || *id == prefix => Ok(*i),
        [_] => Err(OpsError::invalid(format!(
            "task id `{prefix}` is too short: give at least four characters"
        ))),
        [] => Err(OpsError::not_found(
            ObjectKind::Task,
            prefix,
            place(cluster),
        )),
        many => Err(OpsError::Ambiguous {
            kind: ObjectKind::Task,
            name: prefix.to_string(),
            message: format!(
                "task id `{prefix}` matches {} tasks {}: {}",
                many.len(),
                place(cluster),
                many.iter()
                    .map(|(_, id)| &id[..id.len().min(12)])
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_prefixes_resolve_once() {
        let ids = ["1a2b3c4d5e6f", "1a2bffff0000", "99aa00"];
        assert_eq!(task_prefix(ids, "1a2b3", None).ok(), Some(0));
        assert_eq!(task_prefix(ids, "task/99aa", None).ok(), Some(2));
        assert!(matches!(
            task_prefix(ids, "1a2b", None),
            Err(OpsError::Ambiguous { .. })
        ));
        assert!(matches!(
            task_prefix(ids, "99a", None),
            Err(OpsError::Invalid(_))
        ));
        assert!(matches!(
            task_prefix(ids, "ffff", Some("prod")),
            Err(OpsError::NotFound {
                kind: ObjectKind::Task,
                ..
            })
        ));
        assert_eq!(task_prefix(["abc"], "abc", None).ok(), Some(0));
    }
}
