//! `state migrate --to URL|DIR`: copies a state, and every cluster's runtime record, from one
//! store to another (a directory and PostgreSQL, either way), unchanged. Both states are
//! locked meanwhile. A target that holds another state (another lineage, or a newer serial
//! of this one) is refused unless forced: migrating must never lose a state silently.

use std::time::Duration;

use anyhow::{Context as _, Result, bail};

use crate::state::State;
use crate::state::backend::Store;

/// What was moved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Migrated {
    pub lineage: String,
    pub serial: u64,
    pub runtimes: Vec<String>,
}

/// Why a target is refused, decided on what it holds (`None` when it may be written).
pub fn refusal(source: &State, target: Option<&State>, force: bool) -> Option<String> {
    let target = target?;
    if force {
        return None;
    }
    if target.lineage != source.lineage {
        return Some(format!(
            "the target holds another state (lineage `{}`, serial {}); pass --force to replace it",
            target.lineage, target.serial
        ));
    }
    if target.serial > source.serial {
        return Some(format!(
            "the target holds a newer serial of this state ({} > {}); pass --force to replace it",
            target.serial, source.serial
        ));
    }
    None
}

pub fn migrate(from: &Store, to: &Store, force: bool, lock_timeout: Duration) -> Result<Migrated> {
    let source_lock = from
        .lock_state(lock_timeout)
        .context("locking the source state")?;
    let Some(state) = from.read_state()? else {
        bail!("there is no state in {} to migrate", from.describe());
    };
    let target_lock = to
        .lock_state(lock_timeout)
        .context("locking the target state")?;
    if let Some(reason) = refusal(&state, to.read_state()?.as_ref(), force) {
        bail!("refusing to migrate to {}: {reason}", to.describe());
    }
    let mut runtimes = Vec::new();
    for cluster in from.runtime_clusters()? {
        let runtime = from.read_runtime(&cluster)?;
        if runtime.lineage != state.lineage {
            continue;
        }
        to.replace_runtime(&cluster, &runtime)?;
        runtimes.push(cluster);
    }
    // Which Git commit the state holds (`watch --git`) goes with it.
    if let Some(sync) = from.read_sync(&state.lineage)? {
        to.write_sync(&sync)?;
    }
    // The state last: a target with this state has its runtime records too.
    to.write_state(&state, &target_lock)?;
    drop(target_lock);
    drop(source_lock);
    Ok(Migrated {
        lineage: state.lineage,
        serial: state.serial,
        runtimes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::store::StateDir;

    fn state(lineage: &str, serial: u64) -> State {
        State {
            serial,
            ..State::empty(lineage.into())
        }
    }

    #[test]
    fn another_state_or_a_newer_one_is_refused_unless_forced() {
        let source = state("a", 5);
        assert_eq!(refusal(&source, None, false), None);
        assert_eq!(refusal(&source, Some(&state("a", 3)), false), None);
        assert!(refusal(&source, Some(&state("b", 1)), false).is_some());
        assert!(refusal(&source, Some(&state("a", 6)), false).is_some());
        assert_eq!(refusal(&source, Some(&state("b", 1)), true), None);
    }

    #[test]
    fn a_directory_migrates_to_another_unchanged() {
        let tmp = tempfile::tempdir().expect("tmp");
        let from = Store::Dir(StateDir::open(tmp.path().join("a")).expect("open"));
        let to = Store::Dir(StateDir::open(tmp.path().join("b")).expect("open"));
        let lock = from.lock_state(Duration::ZERO).expect("lock");
        from.write_state(&state("l", 7), &lock).expect("write");
        drop(lock);
        from.update_runtime("prod", "l", |r| {
            r.services.entry("web".into()).or_default();
        })
        .expect("runtime");
        let moved = migrate(&from, &to, false, Duration::ZERO).expect("migrate");
        assert_eq!(moved.runtimes, ["prod"]);
        assert_eq!(
            to.read_state().expect("read"),
            from.read_state().expect("read")
        );
        assert_eq!(
            to.read_runtime("prod").expect("read"),
            from.read_runtime("prod").expect("read")
        );
    }
}
