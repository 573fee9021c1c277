//! `watch --git`: one sync of a Git source. Fetch the ref; read the manifests of its commit;
//! plan them against the state under the lock; apply a new commit, refuse a bad one (the
//! last good commit stays applied), and record which commit the state holds, with what each
//! applied commit changed, in the sync record (`get sync`).
//!
//! The same commit applied again only when the state moved away from it (an `ecsctl scale`,
//! the API): with self-healing (the default) the commit is applied again; without it the
//! record says OutOfSync and nothing is changed.

use std::path::PathBuf;
use std::time::Duration;

use super::apply::{self, Applied};
use super::error::{OpsError, OpsResult};
use super::manifests::Inputs;
use super::session::Session;
use crate::diagnostics::{Diagnostics, Paint, render};
use crate::plan::Plan;
use crate::source::git::{Commit, GitSource, Mirror, short};
use crate::state::sync::{AppliedCommit, CommitRef, SyncError, SyncRecord, SyncSource, SyncStatus};
use crate::time::Timestamp;

#[derive(Clone, Debug)]
pub struct SyncOptions {
    /// Delete objects of the state that the commit's manifests no longer have.
    pub prune: bool,
    /// Apply the commit again when the state moved away from it.
    pub self_heal: bool,
    pub lock_timeout: Duration,
}

/// What one sync did.
#[derive(Debug)]
pub enum SyncOutcome {
    /// The commit's manifests were applied (`plan` says what changed; it may change nothing
    /// when a commit touched no manifest).
    Applied {
        commit: CommitRef,
        plan: Box<Plan>,
        warnings: Diagnostics,
    },
    /// The state already holds the commit.
    UpToDate { commit: CommitRef },
    /// The commit's manifests are invalid or cannot be planned; nothing changed. `again`:
    /// the same refusal as last time (said once).
    Refused {
        commit: CommitRef,
        message: String,
        again: bool,
    },
    /// The state moved away from the applied commit and self-healing is off.
    OutOfSync { commit: CommitRef, changes: usize },
    /// The repository could not be fetched; `again`: the same failure as last time.
    FetchFailed { message: String, again: bool },
}

/// What to do with a planned commit (pure).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Write the plan and record the commit.
    Apply,
    /// Nothing to write; record the commit as the applied one.
    Record,
    /// The state holds the commit already.
    Nothing,
    /// The state differs from the applied commit: say so, change nothing.
    Report,
}

/// The decision of one sync: is the commit new, does its plan change anything, may the
/// state be corrected back to it.
pub fn decide(new_commit: bool, has_changes: bool, self_heal: bool) -> Step {
    match (new_commit, has_changes) {
        (true, true) => Step::Apply,
        (true, false) => Step::Record,
        (false, false) => Step::Nothing,
        (false, true) if self_heal => Step::Apply,
        (false, true) => Step::Report,
    }
}

/// The bare repository that fetches `source`, kept under the state directory.
pub fn mirror(session: &Session, source: GitSource) -> OpsResult<Mirror> {
    Ok(Mirror::open(&cache_dir(session)?, source)?)
}

/// Beside a state directory; for a database state, the user's cache directory.
fn cache_dir(session: &Session) -> OpsResult<PathBuf> {
    if let Some(root) = session.store.local_root() {
        return Ok(root.join("git"));
    }
    let dirs = directories::ProjectDirs::from("", "", "ecsctl").ok_or_else(|| {
        OpsError::invalid("no home directory for the Git cache of a database state")
    })?;
    Ok(dirs.cache_dir().join("git"))
}

/// Fetches, plans and (when the decision says so) applies one commit of the source.
pub fn sync(session: &Session, mirror: &Mirror, options: &SyncOptions) -> OpsResult<SyncOutcome> {
    let state = session.store.read_state()?;
    let lineage = state
        .as_ref()
        .map(|s| s.lineage.clone())
        .unwrap_or_default();
    let mut record = session
        .store
        .read_sync(&lineage)?
        .unwrap_or_else(|| SyncRecord {
            lineage: lineage.clone(),
            ..SyncRecord::default()
        });
    record.source = source_of(mirror.source());
    let now = Timestamp::now();
    let head = match mirror.fetch() {
        Ok(head) => commit_ref(head),
        Err(e) => {
            let message = format!("{e:#}");
            let again = refused_before(&record, None, &message);
            fail(&mut record, now, None, &message, again);
            session.store.write_sync(&record)?;
            return Ok(SyncOutcome::FetchFailed { message, again });
        }
    };
    record.last_fetch = Some(now);
    record.head = Some(head.clone());
    let planned = match mirror.manifests(&head.id) {
        Ok(files) => apply::prepare(
            session,
            Inputs::Files(&files),
            options.prune,
            options.lock_timeout,
        ),
        // The commit cannot be read as manifests (none under the path, not UTF-8).
        Err(e) => Err(OpsError::InvalidManifests(Diagnostics::from_error(
            format!("{e:#}"),
        ))),
    };
    let mut pending = match planned {
        Ok(pending) => pending,
        Err(OpsError::InvalidManifests(diagnostics)) => {
            let message = refusal(&diagnostics);
            let again = refused_before(&record, Some(&head.id), &message);
            fail(&mut record, now, Some(&head), &message, again);
            session.store.write_sync(&record)?;
            return Ok(SyncOutcome::Refused {
                commit: head,
                message,
                again,
            });
        }
        Err(e) => return Err(e),
    };
    let new_commit = record.applied.as_ref().map(|a| &a.commit.id) != Some(&head.id);
    let step = decide(new_commit, pending.plan.has_changes(), options.self_heal);
    let warnings = std::mem::take(&mut pending.diagnostics);
    let outcome = match step {
        Step::Nothing => {
            drop(pending);
            record.status = SyncStatus::Synced;
            SyncOutcome::UpToDate {
                commit: head.clone(),
            }
        }
        Step::Report => {
            let changes = pending.plan.changes.len();
            drop(pending);
            if record.status != SyncStatus::OutOfSync {
                record.event(
                    now,
                    format!(
                        "the state differs from commit {} ({changes} to change); not corrected (--no-self-heal)",
                        short(&head.id)
                    ),
                );
            }
            record.status = SyncStatus::OutOfSync;
            SyncOutcome::OutOfSync {
                commit: head.clone(),
                changes,
            }
        }
        Step::Apply | Step::Record => {
            let Applied { plan, next, .. } = apply::commit(session, pending)?;
            let serial = next.as_ref().map_or(0, |s| s.serial);
            record.lineage = next.map(|s| s.lineage).unwrap_or(lineage);
            record.applied(AppliedCommit {
                commit: head.clone(),
                applied_at: now,
                serial,
                changes: change_lines(&plan),
            });
            record.event(now, applied_message(&head, &plan, new_commit));
            record.status = SyncStatus::Synced;
            SyncOutcome::Applied {
                commit: head.clone(),
                plan: Box::new(plan),
                warnings,
            }
        }
    };
    record.last_error = None;
    session.store.write_sync(&record)?;
    Ok(outcome)
}

/// The sync record of the state, if it was ever synced from Git.
pub fn record(session: &Session) -> OpsResult<Option<SyncRecord>> {
    let lineage = session
        .store
        .read_state()?
        .map(|s| s.lineage)
        .unwrap_or_default();
    Ok(session.store.read_sync(&lineage)?)
}

/// `ecsctl status`: the sync record, and the drift the reconcilers left uncorrected
/// (`--no-self-heal`), by cluster and service.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    pub sync: Option<SyncRecord>,
    pub drift: Vec<ServiceDrift>,
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceDrift {
    pub cluster: String,
    pub service: String,
    pub drift: Vec<crate::ops::views::DriftView>,
}

pub fn status(session: &Session) -> OpsResult<Status> {
    let state = session.state_or_empty()?;
    let mut drift = Vec::new();
    for cluster in state.services.keys() {
        let runtime = session.store.read_runtime(cluster)?;
        for (service, record) in &runtime.services {
            let items: Vec<_> = crate::ops::views::drift_views(record)
                .into_iter()
                .filter(|d| !d.corrected)
                .collect();
            if !items.is_empty() {
                drift.push(ServiceDrift {
                    cluster: cluster.clone(),
                    service: service.clone(),
                    drift: items,
                });
            }
        }
    }
    Ok(Status {
        sync: session.store.read_sync(&state.lineage)?,
        drift,
    })
}

fn source_of(source: &GitSource) -> SyncSource {
    SyncSource {
        url: source.display_url(),
        reference: source.reference.clone(),
        path: source.path.clone(),
    }
}

fn commit_ref(commit: Commit) -> CommitRef {
    CommitRef {
        id: commit.id,
        subject: commit.subject,
        author: commit.author,
    }
}

/// Whether the last error was this one (a refusal is said once, not every interval).
fn refused_before(record: &SyncRecord, commit: Option<&String>, message: &str) -> bool {
    record
        .last_error
        .as_ref()
        .is_some_and(|e| e.commit.as_ref() == commit && e.message == message)
}

fn fail(
    record: &mut SyncRecord,
    now: Timestamp,
    commit: Option<&CommitRef>,
    message: &str,
    again: bool,
) {
    if let Some(commit) = commit {
        let applied = record.applied.as_ref().map(|a| &a.commit.id);
        record.status = if applied == Some(&commit.id) {
            SyncStatus::Synced
        } else {
            SyncStatus::OutOfSync
        };
    }
    if !again {
        let headline = match commit {
            Some(commit) => format!(
                "refused commit {} ({}): {}",
                short(&commit.id),
                commit.subject,
                first_line(message)
            ),
            None => format!("fetch failed: {}", first_line(message)),
        };
        record.event(now, headline);
    }
    record.last_error = Some(SyncError {
        at: now,
        commit: commit.map(|c| c.id.clone()),
        message: message.to_string(),
    });
}

/// The diagnostics of a refused commit, rendered without colour, each at its file:line:column.
fn refusal(diagnostics: &Diagnostics) -> String {
    diagnostics
        .sorted()
        .into_iter()
        .filter(|d| d.is_error())
        .map(|d| render(d, Paint(false)))
        .collect::<Vec<_>>()
        .join("\n")
        .trim_end()
        .to_string()
}

/// The headline of a (possibly multi-line) message.
pub fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or_default()
}

/// `+ service default/web`, one per change, in the plan's order.
fn change_lines(plan: &Plan) -> Vec<String> {
    plan.changes
        .iter()
        .map(|c| format!("{} {}", c.action.symbol(), c.object))
        .collect()
}

fn applied_message(commit: &CommitRef, plan: &Plan, new_commit: bool) -> String {
    let s = &plan.summary;
    let what = if new_commit { "applied" } else { "re-applied" };
    format!(
        "{what} commit {} ({}): {} added, {} changed, {} destroyed",
        short(&commit.id),
        commit.subject,
        s.add,
        s.change,
        s.destroy
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_commit_is_applied_or_recorded_and_an_old_one_only_healed() {
        assert_eq!(decide(true, true, false), Step::Apply);
        assert_eq!(decide(true, true, true), Step::Apply);
        assert_eq!(decide(true, false, true), Step::Record);
        assert_eq!(decide(true, false, false), Step::Record);
        assert_eq!(decide(false, false, true), Step::Nothing);
        assert_eq!(decide(false, false, false), Step::Nothing);
        assert_eq!(decide(false, true, true), Step::Apply);
        assert_eq!(decide(false, true, false), Step::Report);
    }
}
