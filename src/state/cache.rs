//! Read-through caches of `state.json` and the runtime files for a long-running reader (the
//! API server): a file is parsed again only when it is another file. Writers replace files by
//! rename ([`super::store::write_atomic`]), so a file's content never changes in place: the
//! opened file's identity (device, inode, size, modification time, from the same descriptor
//! that is read) names its content. Readers get the parsed value shared ([`Arc`]); nothing
//! here writes, and writes (under the lock) always read the file itself. A PostgreSQL store
//! is not cached: each read asks the database (off the async threads, as a changed file).

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};

use super::backend::Store;
use super::store::parse_state;
use super::{Runtime, State};

/// Which file was read: equal stamps, equal content.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stamp {
    dev: u64,
    ino: u64,
    len: u64,
    mtime: i64,
    mtime_nsec: i64,
}

impl Stamp {
    fn of(metadata: &std::fs::Metadata) -> Self {
        Stamp {
            dev: metadata.dev(),
            ino: metadata.ino(),
            len: metadata.len(),
            mtime: metadata.mtime(),
            mtime_nsec: metadata.mtime_nsec(),
        }
    }
}

/// One file's last parse.
struct Slot<T> {
    stamp: Stamp,
    value: Arc<T>,
}

#[derive(Default)]
pub struct StateCache {
    state: Mutex<Option<Slot<State>>>,
    runtimes: Mutex<BTreeMap<String, Slot<Runtime>>>,
}

/// Reads `path` unless `cached` is the same file: `Ok(None)` when there is no file.
fn read_if_changed(path: &Path, cached: Option<Stamp>) -> Result<Option<(Stamp, Option<String>)>> {
    // The common case, an unchanged file, costs one `stat` of the path: the file there now
    // is the one read before when its identity is the cached one (a replaced file is
    // another inode). Only a changed file is opened, and its identity then taken from the
    // descriptor that is read.
    if let Some(stamp) = cached
        && unchanged(path, cached)
    {
        return Ok(Some((stamp, None)));
    }
    let mut file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("reading `{}`", path.display())),
    };
    let stamp = Stamp::of(
        &file
            .metadata()
            .with_context(|| format!("reading `{}`", path.display()))?,
    );
    if cached == Some(stamp) {
        return Ok(Some((stamp, None)));
    }
    let mut text = String::new();
    file.read_to_string(&mut text)
        .with_context(|| format!("reading `{}`", path.display()))?;
    Ok(Some((stamp, Some(text))))
}

/// True when the file at `path` is the one `cached` names (one `stat`).
fn unchanged(path: &Path, cached: Option<Stamp>) -> bool {
    cached.is_some_and(|stamp| std::fs::metadata(path).is_ok_and(|m| Stamp::of(&m) == stamp))
}

impl StateCache {
    /// The state as last parsed, when `state.json` is still that file; `None` when it must
    /// be read (and parsed) again, or was never read: then [`Self::state`] does it.
    pub fn state_if_unchanged(&self, store: &Store) -> Option<Arc<State>> {
        let dir = store.as_dir()?;
        let slot = self.state.lock().ok()?;
        let slot = slot.as_ref()?;
        unchanged(&dir.state_path(), Some(slot.stamp)).then(|| slot.value.clone())
    }

    /// [`Self::state_if_unchanged`] for a cluster's runtime record.
    pub fn runtime_if_unchanged(&self, store: &Store, cluster: &str) -> Option<Arc<Runtime>> {
        let dir = store.as_dir()?;
        let slots = self.runtimes.lock().ok()?;
        let slot = slots.get(cluster)?;
        unchanged(&dir.runtime_path(cluster), Some(slot.stamp)).then(|| slot.value.clone())
    }

    /// The recorded state, or an empty one before the first write.
    pub fn state(&self, store: &Store) -> Result<Arc<State>> {
        let Some(dir) = store.as_dir() else {
            // A database has no file identity to key on: read it each time.
            return Ok(Arc::new(
                store
                    .read_state()?
                    .unwrap_or_else(|| State::empty(String::new())),
            ));
        };
        let path = dir.state_path();
        let mut slot = self
            .state
            .lock()
            .map_err(|_| anyhow::anyhow!("the state cache is poisoned"))?;
        match read_if_changed(&path, slot.as_ref().map(|s| s.stamp))? {
            None => {
                *slot = None;
                Ok(Arc::new(State::empty(String::new())))
            }
            Some((_, None)) => match slot.as_ref() {
                Some(s) => Ok(s.value.clone()),
                None => Ok(Arc::new(State::empty(String::new()))),
            },
            Some((stamp, Some(text))) => {
                let state = Arc::new(
                    parse_state(&text)
                        .with_context(|| format!("reading state file `{}`", path.display()))?,
                );
                *slot = Some(Slot {
                    stamp,
                    value: state.clone(),
                });
                Ok(state)
            }
        }
    }

    /// A cluster's runtime record (empty when there is none).
    pub fn runtime(&self, store: &Store, cluster: &str) -> Result<Arc<Runtime>> {
        let Some(dir) = store.as_dir() else {
            return Ok(Arc::new(store.read_runtime(cluster)?));
        };
        let path = dir.runtime_path(cluster);
        let mut slots = self
            .runtimes
            .lock()
            .map_err(|_| anyhow::anyhow!("the runtime cache is poisoned"))?;
        match read_if_changed(&path, slots.get(cluster).map(|s| s.stamp))? {
            None => {
                slots.remove(cluster);
                Ok(Arc::new(Runtime::default()))
            }
            Some((_, None)) => match slots.get(cluster) {
                Some(s) => Ok(s.value.clone()),
                None => Ok(Arc::new(Runtime::default())),
            },
            Some((stamp, Some(text))) => {
                let runtime: Arc<Runtime> = Arc::new(
                    serde_json::from_str(&text)
                        .with_context(|| format!("reading runtime file `{}`", path.display()))?,
                );
                slots.insert(
                    cluster.to_string(),
                    Slot {
                        stamp,
                        value: runtime.clone(),
                    },
                );
                Ok(runtime)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::backend::StateLock;
    use crate::state::store::StateDir;

    fn write(dir: &Store, state: &State) {
        let lock: StateLock = dir.lock_state(std::time::Duration::ZERO).expect("lock");
        dir.write_state(state, &lock).expect("write");
    }

    #[test]
    fn a_replaced_file_is_read_again_an_unchanged_one_is_shared() {
        let tmp = tempfile::tempdir().expect("tmp");
        let dir = Store::Dir(StateDir::open(tmp.path()).expect("open"));
        let cache = StateCache::default();
        assert_eq!(cache.state(&dir).expect("empty").serial, 0);
        let mut state = State::empty("lineage".into());
        state.serial = 1;
        write(&dir, &state);
        let first = cache.state(&dir).expect("read");
        assert_eq!(first.serial, 1);
        let again = cache.state(&dir).expect("cached");
        assert!(Arc::ptr_eq(&first, &again));
        let unchanged = cache.state_if_unchanged(&dir).expect("unchanged");
        assert!(Arc::ptr_eq(&first, &unchanged));
        state.serial = 2;
        write(&dir, &state);
        assert!(cache.state_if_unchanged(&dir).is_none(), "replaced");
        assert_eq!(cache.state(&dir).expect("reread").serial, 2);
        assert_eq!(cache.runtime(&dir, "c").expect("none").services.len(), 0);
        dir.update_runtime("c", "lineage", |r| {
            r.services.insert("web".into(), Default::default());
        })
        .expect("runtime");
        assert!(cache.runtime_if_unchanged(&dir, "c").is_none(), "replaced");
        assert_eq!(cache.runtime(&dir, "c").expect("runtime").services.len(), 1);
        assert!(cache.runtime_if_unchanged(&dir, "c").is_some());
    }
}
