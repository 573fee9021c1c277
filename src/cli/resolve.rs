//! Finding the object a user names: `--cluster` when given; otherwise a name that exists in
//! exactly one cluster resolves there, and an ambiguous one is an error listing the clusters.

use anyhow::{Result, bail};

use crate::model::names::TaskDefRef;
use crate::state::{Revision, ServiceRecord, State};
use crate::suggest::did_you_mean;

pub fn service<'s>(
    state: &'s State,
    name: &str,
    cluster: Option<&str>,
) -> Result<(String, &'s ServiceRecord)> {
    if let Some(cluster) = cluster {
        return match state.service(cluster, name) {
            Some(record) => Ok((cluster.to_string(), record)),
            None => bail!("{}", missing_service(state, name, Some(cluster))),
        };
    }
    let found: Vec<(&str, &ServiceRecord)> = state
        .all_services()
        .filter(|(_, n, _)| *n == name)
        .map(|(c, _, r)| (c, r))
        .collect();
    match found.as_slice() {
        [(cluster, record)] => Ok((cluster.to_string(), record)),
        [] => bail!("{}", missing_service(state, name, None)),
        many => {
            let clusters: Vec<String> = many.iter().map(|(c, _)| format!("`{c}`")).collect();
            bail!(
                "service `{name}` exists in several clusters ({}); pick one with --cluster",
                clusters.join(", ")
            )
        }
    }
}

fn missing_service(state: &State, name: &str, cluster: Option<&str>) -> String {
    let names: Vec<&str> = state
        .all_services()
        .filter(|(c, _, _)| cluster.is_none_or(|x| x == *c))
        .map(|(_, n, _)| n)
        .collect();
    let place = match cluster {
        Some(c) => format!("in cluster `{c}`"),
        None => "in any cluster".to_string(),
    };
    match did_you_mean(name, names.iter().copied()) {
        Some(s) => format!("no service `{name}` {place}; did you mean `{s}`?"),
        None => format!("no service `{name}` {place}"),
    }
}

/// `family` (newest ACTIVE revision, else newest) or `family:rev`.
pub fn task_definition<'s>(state: &'s State, text: &str) -> Result<&'s Revision> {
    let reference: TaskDefRef = text.parse().map_err(|e: String| anyhow::anyhow!("{e}"))?;
    let Some(family) = state.task_definitions.get(&reference.family) else {
        let help = did_you_mean(
            &reference.family,
            state.task_definitions.keys().map(String::as_str),
        )
        .map(|s| format!("; did you mean `{s}`?"))
        .unwrap_or_default();
        bail!("no task definition `{}`{help}", reference.family);
    };
    let revision = match reference.revision {
        Some(n) => family.revisions.iter().find(|r| r.revision == n),
        None => family.latest_active().or(family.latest()),
    };
    match revision {
        Some(r) => Ok(r),
        None => bail!(
            "no revision {} of task definition `{}` (the newest is {})",
            reference.revision.unwrap_or_default(),
            reference.family,
            family.latest().map_or(0, |r| r.revision)
        ),
    }
}
