//! Deleted task definition revisions go away once nothing uses them, as in ECS:
//! `DeleteTaskDefinitions` makes an INACTIVE revision DELETE_IN_PROGRESS, and the revision
//! is removed from the state when no task of it is RUNNING or PENDING (on any cluster's
//! hosts) and no service's deployments name it, on two looks in a row ([`decide`], pure).
//! [`in_use`] observes the hosts; [`remove_unused`] decides under the state lock and writes.
//!
//! A removed revision's number is never given again ([`FamilyRecord::removed_through`]). While
//! any host does not answer, nothing is removed: a task of the revision could be running there.

use std::collections::BTreeSet;
use std::time::Duration;

use super::error::OpsResult;
use super::session::Session;
use crate::model::names::TaskDefRef;
use crate::reconcile::task::TaskStatus;
use crate::state::{FamilyRecord, RevisionStatus, State};

/// Revisions (family, number) that tasks on the hosts run or are starting.
pub type InUse = BTreeSet<(String, u32)>;

/// The DELETE_IN_PROGRESS revisions that no task in `in_use` runs and no service names (its
/// current revision or any of its deployments'), in family and revision order.
pub fn unused_deleted(state: &State, in_use: &InUse) -> Vec<TaskDefRef> {
    let mut used = in_use.clone();
    for (_, _, service) in state.all_services() {
        let named = std::iter::once(&service.task_definition)
            .chain(service.deployments.iter().map(|d| &d.task_definition));
        for reference in named {
            if let Some(revision) = reference.revision {
                used.insert((reference.family.clone(), revision));
            }
        }
    }
    let mut out = Vec::new();
    for (family, record) in &state.task_definitions {
        for revision in &record.revisions {
            if revision.status == RevisionStatus::DeleteInProgress
                && !used.contains(&(family.clone(), revision.revision))
            {
                out.push(TaskDefRef::pinned(family.clone(), revision.revision));
            }
        }
    }
    out
}

/// Removes `revisions` from the state's families, keeping each family's highest number.
/// Returns whether anything was removed.
pub fn remove(state: &mut State, revisions: &[TaskDefRef]) -> bool {
    let mut removed = false;
    for reference in revisions {
        let Some(number) = reference.revision else {
            continue;
        };
        let Some(family) = state.task_definitions.get_mut(&reference.family) else {
            continue;
        };
        let highest = family.next_revision() - 1;
        let before = family.revisions.len();
        family.revisions.retain(|r| r.revision != number);
        if family.revisions.len() != before {
            removed = true;
            if family.latest().is_none_or(|r| r.revision < highest) {
                family.removed_through = Some(highest);
            }
        }
    }
    removed
}

/// True when some revision is DELETE_IN_PROGRESS (so [`remove_unused`] has work to look at).
pub fn any_deleted(state: &State) -> bool {
    state
        .task_definitions
        .values()
        .flat_map(|f: &FamilyRecord| &f.revisions)
        .any(|r| r.status == RevisionStatus::DeleteInProgress)
}

/// The revisions tasks on every cluster's hosts run or are starting; `None` when no
/// revision is deleted (nothing to look at) or a host did not answer (nothing can be known).
pub async fn in_use(session: &Session, state: &State) -> OpsResult<Option<InUse>> {
    if !any_deleted(state) {
        return Ok(None);
    }
    let observed = super::tasks::observe_clusters(session, state, None).await?;
    if observed.iter().any(|(_, o)| !o.failures.is_empty()) {
        return Ok(None);
    }
    Ok(Some(
        observed
            .iter()
            .flat_map(|(_, o)| &o.tasks)
            .filter(|t| t.state.last_status != TaskStatus::Stopped)
            .filter_map(|t| {
                let r = &t.task.task_definition;
                Some((r.family.clone(), r.revision?))
            })
            .collect(),
    ))
}

/// What a look at the deleted revisions found.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Removal {
    /// Removed from the state: unused on this look and on the one before.
    pub removed: Vec<TaskDefRef>,
    /// Unused for the first time: removed on the next look if still unused.
    pub waiting: Vec<TaskDefRef>,
}

/// Of the unused deleted revisions ([`unused_deleted`]), those also found unused on the look
/// before (`before`, that look's [`Removal::waiting`] and `removed`) go; the others wait for
/// the next look. Two looks in a row, an interval apart, so a revision stays describable as
/// DELETE_IN_PROGRESS for a while after DeleteTaskDefinitions, as in ECS.
pub fn decide(state: &State, in_use: &InUse, before: &[TaskDefRef]) -> Removal {
    let (removed, waiting) = unused_deleted(state, in_use)
        .into_iter()
        .partition(|r| before.contains(r));
    Removal { removed, waiting }
}

/// [`decide`] on the state as read under the lock, and the removal written.
pub fn remove_unused(
    session: &Session,
    in_use: &InUse,
    before: &[TaskDefRef],
    lock_timeout: Duration,
) -> OpsResult<Removal> {
    let store = &session.store;
    let lock = store.lock_state(lock_timeout)?;
    let Some(mut state) = store.read_state()? else {
        return Ok(Removal::default());
    };
    let removal = decide(&state, in_use, before);
    if remove(&mut state, &removal.removed) {
        state.serial += 1;
        store.write_state(&state, &lock)?;
    }
    Ok(removal)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{Deployment, Revision, ServiceRecord, ServiceStatus};
    use crate::time::Timestamp;

    fn revision(n: u32, status: RevisionStatus) -> Revision {
        Revision {
            revision: n,
            status,
            registered_at: Timestamp::from_unix_millis(0),
            deregistered_at: None,
            spec: Default::default(),
        }
    }

    fn state() -> State {
        use RevisionStatus::*;
        let mut state = State::empty("l".into());
        state.task_definitions.insert(
            "web".into(),
            FamilyRecord {
                revisions: vec![
                    revision(1, DeleteInProgress),
                    revision(2, DeleteInProgress),
                    revision(3, Inactive),
                    revision(4, DeleteInProgress),
                    revision(5, DeleteInProgress),
                ],
                removed_through: None,
            },
        );
        let service = ServiceRecord {
            spec: Default::default(),
            task_definition: TaskDefRef::pinned("web", 4),
            desired_count: 1,
            status: ServiceStatus::Active,
            deployments: vec![Deployment {
                id: "d".into(),
                task_definition: TaskDefRef::pinned("web", 2),
                created_at: Timestamp::from_unix_millis(0),
                reason: "apply".into(),
            }],
            created_at: Timestamp::from_unix_millis(0),
            updated_at: Timestamp::from_unix_millis(0),
        };
        state
            .services
            .entry("c".into())
            .or_default()
            .insert("svc".into(), service);
        state
    }

    /// Issue 11: a deleted revision stays while a task runs it or a service names it.
    #[test]
    fn deleted_revisions_used_by_no_task_or_service_are_the_ones_removed() {
        let in_use: InUse = [("web".to_string(), 1)].into();
        assert_eq!(
            unused_deleted(&state(), &in_use),
            vec![TaskDefRef::pinned("web", 5)]
        );
        assert_eq!(
            unused_deleted(&state(), &InUse::new()),
            vec![TaskDefRef::pinned("web", 1), TaskDefRef::pinned("web", 5)]
        );
        let mut quiet = state();
        quiet.services.clear();
        assert_eq!(unused_deleted(&quiet, &in_use).len(), 3);
    }

    #[test]
    fn a_removed_newest_revision_keeps_its_number_from_being_given_again() {
        let mut state = state();
        let unused = unused_deleted(&state, &InUse::new());
        assert!(remove(&mut state, &unused));
        let family = &state.task_definitions["web"];
        let left: Vec<u32> = family.revisions.iter().map(|r| r.revision).collect();
        assert_eq!(left, [2, 3, 4]);
        assert_eq!(family.next_revision(), 6);
        assert!(!remove(&mut state, &unused), "already gone");
        // Every revision gone: the family's numbering goes on.
        let family = state.task_definitions.get_mut("web").expect("web");
        family.revisions.clear();
        family.removed_through = Some(5);
        assert_eq!(family.next_revision(), 6);
    }

    #[test]
    fn a_revision_goes_on_the_second_look_that_finds_it_unused() {
        let state = state();
        let first = decide(&state, &InUse::new(), &[]);
        assert!(first.removed.is_empty());
        assert_eq!(
            first.waiting,
            vec![TaskDefRef::pinned("web", 1), TaskDefRef::pinned("web", 5)]
        );
        // web:1 got a task meanwhile: it waits again; web:5 goes.
        let in_use: InUse = [("web".to_string(), 1)].into();
        let second = decide(&state, &in_use, &first.waiting);
        assert_eq!(second.removed, vec![TaskDefRef::pinned("web", 5)]);
        assert!(second.waiting.is_empty());
    }

    #[test]
    fn nothing_is_deleted_nothing_to_look_at() {
        let mut state = state();
        assert!(any_deleted(&state));
        for r in &mut state
            .task_definitions
            .get_mut("web")
            .expect("web")
            .revisions
        {
            r.status = RevisionStatus::Inactive;
        }
        assert!(!any_deleted(&state));
        assert!(unused_deleted(&state, &InUse::new()).is_empty());
    }
}
